"""Benchmark code analysis: YARA-X over every packaged file against just reading the files.

    .venv/bin/python bench/analyze_code.py [--packages 200] [--files 40] [--kb 16]

Builds a case of synthetic code packages (Python-like text files plus one native library
each), then in the same run times: the baseline (open every zip in memory and read every
member within the limits, no scanning), the YARA-X code detector (the case index, which
the IOC detector reads for the trail, is built first and timed on its own) (bundled rules), the IOC
detector, and the whole `analyze` (every detector, the index included). Prints MB/s and the
ratio of each to the baseline, so the numbers mean the same on any machine.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import random
import tempfile
import time
import zipfile
from pathlib import Path

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_files
from lambda_ir.analyze.detectors import ALL, code_yara, ioc_match
from lambda_ir.analyze.engine import analyze_case
from lambda_ir.evidence import Case

ACCOUNT = "111122223333"
REGION = "eu-west-1"
WORDS = ("def", "return", "import", "json", "event", "context", "self", "value", "for", "in")


def _package(rng: random.Random, files: int, kb: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(files):
            words = [rng.choice(WORDS) for _ in range(kb * 1024 // 6)]
            archive.writestr(f"pkg/mod{i}.py", " ".join(words))
        archive.writestr("pkg/_native.so", b"\x7fELF" + rng.randbytes(kb * 1024))
    return buf.getvalue()


def _build(root: Path, packages: int, files: int, kb: int) -> int:
    """A case laid out as acquire writes it (docs/EVIDENCE.md): versions + code blobs."""
    rng = random.Random(7)
    case = Case.create(root, {"bench": True})
    where = {"account": ACCOUNT, "region": REGION}
    total = 0
    for n in range(packages):
        blob = _package(rng, files, kb)
        sha = base64.b64encode(hashlib.sha256(blob).digest()).decode()
        params = {"FunctionName": f"fn{n}", "Qualifier": "$LATEST"}
        case.put_bytes(
            blob,
            kind="code",
            api="lambda:GetFunction",
            params=params,
            meta={"code_sha256": sha},
            **where,
        )
        config = {
            "FunctionName": f"fn{n}",
            "Version": "$LATEST",
            "Runtime": "python3.12",
            "CodeSha256": sha,
            "Role": f"arn:aws:iam::{ACCOUNT}:role/r",
            "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn{n}:$LATEST",
        }
        case.put_json(
            f"raw/{ACCOUNT}/{REGION}/lambda/functions/fn{n}/versions/1.json",
            {"Versions": [config]},
            kind="function-versions",
            api="lambda:ListVersionsByFunction",
            params={"FunctionName": f"fn{n}"},
            **where,
        )
        total += (files + 1) * kb * 1024
    return total


def _timed(
    label: str, work: object, size: int, baseline: float | None, note: str = "baseline"
) -> float:
    started = time.perf_counter()
    count = work() if callable(work) else 0
    seconds = time.perf_counter() - started
    ratio = f"{seconds / baseline:5.1f}x baseline" if baseline else note
    print(f"{label:<34} {seconds:7.2f} s  {size / seconds / 1e6:8.1f} MB/s  {ratio}  ({count})")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--kb", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "case"
        size = _build(root, args.packages, args.files, args.kb)
        print(
            f"{args.packages} packages x {args.files + 1} files, {size / 1e6:.0f} MB uncompressed"
        )
        view = CaseView(Case.open(root))
        _timed(
            "case index built (once, shared)",
            lambda: len(view.index.execute("SELECT * FROM code_files").fetchall()),
            size,
            None,
            "evidence index (not analysis)",
        )
        base = _timed(
            "read members (baseline)", lambda: sum(1 for _ in iter_files(view)), size, None
        )
        _timed("YARA-X code detector", lambda: len(list(code_yara.detect(view))), size, base)
        _timed("IOC detector", lambda: len(list(ioc_match.detect(view))), size, base)
        _timed(
            "analyze, every detector",
            lambda: len(analyze_case(Case.open(root), ALL)[0].findings),
            size,
            base,
        )


if __name__ == "__main__":
    main()
