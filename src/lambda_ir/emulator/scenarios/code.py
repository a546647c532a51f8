"""Deployment packages for scenario functions and layers: small, real source files in zips.

The content is ours, written for the emulator. Zips are deterministic (fixed timestamps and
permissions) so the same source always gives the same `CodeSha256`, and a scenario can build
one package and reuse it across hundreds of functions.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping

# A fixed timestamp makes every build byte-identical, like a reproducible CI build.
ZIP_EPOCH = (2026, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16
EXEC_MODE = 0o100755 << 16


def build_zip(files: Mapping[str, bytes | str], executable: frozenset[str] = frozenset()) -> bytes:
    """A deterministic zip of `path -> content`; paths in `executable` get mode 0755."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = EXEC_MODE if path in executable else FILE_MODE
            content = files[path]
            archive.writestr(info, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


PYTHON_HANDLER = '''"""{description}"""

import json
import logging
import os

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

APP_VERSION = "{release}"


def handler(event, context):
    records = event.get("Records", [])
    logger.info("processing %d record(s), release %s", len(records), APP_VERSION)
    for record in records:
        logger.debug("record %s", record.get("messageId") or record.get("eventID"))
    return {{"statusCode": 200, "body": json.dumps({{"processed": len(records)}})}}
'''

NODE_HANDLER = """// {description}
const APP_VERSION = "{release}";

exports.handler = async (event) => {{
  const records = event.Records || [];
  console.info(`processing ${{records.length}} record(s), release ${{APP_VERSION}}`);
  return {{ statusCode: 200, body: JSON.stringify({{ processed: records.length }}) }};
}};
"""

REQUIREMENTS = "boto3==1.35.36\nPillow==10.4.0\npython-json-logger==2.0.7\n"
# The one library a Python package vendors (`pip install -r requirements.txt -t .`; boto3
# comes with the runtime, Pillow from a layer): its files, the bytecode pip compiled and its
# dist-info, whose RECORD pip writes with each file's SHA-256 (none for the bytecode and the
# RECORD itself).
LIBRARY = "python_json_logger-2.0.7.dist-info"
LIBRARY_FILES = {
    "pythonjsonlogger/__init__.py": "",
    "pythonjsonlogger/jsonlogger.py": '''"""Log records as JSON lines."""

import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record):
        return json.dumps({"level": record.levelname, "message": record.getMessage()})
''',
    "pythonjsonlogger/py.typed": "",
    f"{LIBRARY}/INSTALLER": "pip\n",
    f"{LIBRARY}/METADATA": "Metadata-Version: 2.1\nName: python-json-logger\nVersion: 2.0.7\n",
    f"{LIBRARY}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    f"{LIBRARY}/top_level.txt": "pythonjsonlogger\n",
}
LIBRARY_BYTECODE = (
    "pythonjsonlogger/__pycache__/__init__.cpython-312.pyc",
    "pythonjsonlogger/__pycache__/jsonlogger.cpython-312.pyc",
)


def _installed_library() -> dict[str, bytes | str]:
    """LIBRARY_FILES, its bytecode and its RECORD, as pip leaves them in a package."""
    lines = []
    for path, content in LIBRARY_FILES.items():
        data = content.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        lines.append(f"{path},sha256={digest.decode()},{len(data)}")
    lines += [f"{path},," for path in LIBRARY_BYTECODE]
    lines.append(f"{LIBRARY}/RECORD,,")
    bytecode = dict.fromkeys(LIBRARY_BYTECODE, b"\xcb\r\r\n" + bytes(12) + b"\xe3")
    return {**LIBRARY_FILES, **bytecode, f"{LIBRARY}/RECORD": "\n".join(sorted(lines)) + "\n"}


def function_zip(
    runtime: str, description: str, release: str, tools: Mapping[str, bytes] | None = None
) -> bytes:
    """The package of one release of a benign function (handler `app.handler`), with the
    bundled `tools` (a path and its bytes: `bin/ffmpeg`, made executable) when given."""
    files: dict[str, bytes | str]
    if runtime.startswith("nodejs"):
        source = NODE_HANDLER.format(description=description, release=release)
        files = {"app.js": source, "package.json": _package_json(description)}
    else:
        source = PYTHON_HANDLER.format(description=description, release=release)
        files = {"app.py": source, "requirements.txt": REQUIREMENTS, **_installed_library()}
    files.update(tools or {})
    return build_zip(files, frozenset(tools or ()))


def _package_json(description: str) -> str:
    manifest = {"name": "app", "private": True, "description": description, "main": "app.js"}
    return json.dumps(manifest) + "\n"


def python_layer_zip(name: str, release: str) -> bytes:
    """A benign shared-code layer for Python (`python/<name>/__init__.py`)."""
    module = name.replace("-", "_")
    source = (
        f'"""Shared helpers ({name}), release {release}."""\n\n'
        "def correlation_id(event):\n"
        '    return (event.get("headers") or {}).get("x-correlation-id", "-")\n'
    )
    return build_zip({f"python/{module}/__init__.py": source})


def node_layer_zip(name: str, release: str) -> bytes:
    """A benign shared-code layer for Node.js (`nodejs/node_modules/<name>/index.js`)."""
    source = (
        f"// Shared helpers ({name}), release {release}.\n"
        "exports.correlationId = (event) => (event.headers || {})['x-correlation-id'] || '-';\n"
    )
    return build_zip({f"nodejs/node_modules/{name}/index.js": source})


def image_manifest(repository: str, release: str) -> str:
    """A Docker v2 image manifest for one release; its digests are derived from the name."""
    config = hashlib.sha256(f"{repository}:{release}:config".encode()).hexdigest()
    layer = hashlib.sha256(f"{repository}:{release}:layer".encode()).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7023,
            "digest": f"sha256:{config}",
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 31_457_280,
                "digest": f"sha256:{layer}",
            }
        ],
    }
    return json.dumps(manifest)
