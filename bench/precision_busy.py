"""Precision on the `busy` scenario: findings by severity, medium+ findings on honest
resources, and where each intrusion ranks (flat finding list and incidents).

    python bench/precision_busy.py                 # seed, collect, analyze (about 20 s)
    python bench/precision_busy.py RUN.json [...]  # saved `python -m tests.analyze.busy_run` output

The figures are defined in `tests/analyze/busy_measure.py` (the precision test asserts them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.analyze.busy_measure import measure  # noqa: E402 - after the path is set


def main(paths: list[str]) -> None:
    if not paths:
        out = subprocess.run(
            [sys.executable, "-m", "tests.analyze.busy_run"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        documents = [("run", json.loads(out.stdout))]
    else:
        documents = [(p, json.loads(Path(p).read_text())) for p in paths]
    for label, document in documents:
        print(label, json.dumps(measure(document), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
