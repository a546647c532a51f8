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
