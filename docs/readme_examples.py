"""Regenerate the README's example outputs by running their commands; never edit them by hand.

A README block between `<!-- example:NAME -->` and `<!-- /example:NAME -->` holds one
```console fence; each line starting with `$ ` is a command, the lines after it its output.
This script runs every command of every block (in order, in one scratch folder, so a case
made by an early block is there for later ones), and writes the outputs back. Paths under
the scratch folder are shown relative to it, as a user who ran the commands in a fresh
folder would see them.

    .venv/bin/python docs/readme_examples.py            # rewrite README.md
    .venv/bin/python docs/readme_examples.py --check    # show what would change, exit 1
    .venv/bin/python docs/readme_examples.py --only report-first-screen

Hashes, generation times and the demo's access key ids change on every run, so `--check`
shows the differences to read rather than failing only on real drift.

Commands run with bash in the scratch folder with the project's `.venv/bin` first on PATH;
a command that fails stops the run (its output is shown) and nothing is written.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(
    r"(<!-- example:(?P<name>[\w-]+) -->\n```console\n)(?P<body>.*?)"
    r"(```\n<!-- /example:(?P=name) -->)",
    re.DOTALL,
)


def commands_of(body: str) -> list[str]:
    """The `$ ` lines of a block, without the prompt."""
    return [line[2:] for line in body.splitlines() if line.startswith("$ ")]


def run_block(commands: list[str], workdir: Path) -> str:
    """Each command and its output, as the block shows them."""
    env = dict(os.environ, PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.update(NO_COLOR="1", COLUMNS="100", TERM="dumb")
    lines = []
    for command in commands:
        done = subprocess.run(  # the README's own commands, run on purpose
            ["/bin/bash", "-o", "pipefail", "-c", command],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"failed ({done.returncode}): {command}\n{done.stdout}{done.stderr}")
        output = (done.stdout + done.stderr).replace(f"{workdir}/", "").replace(str(workdir), ".")
        lines.append(f"$ {command}")
        lines.extend(line.rstrip() for line in output.rstrip("\n").splitlines())
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    parser.add_argument("--only", nargs="*", default=(), help="block names to run")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a new temp one)")
    args = parser.parse_args()
    text = README.read_text()
    if args.workdir is None:
        # `../shared/data` in the README is relative to a checkout beside the shared folder.
        base = Path(tempfile.mkdtemp(prefix="lambda-ir-readme-"))
        if (ROOT.parent / "shared").is_dir():
            (base / "shared").symlink_to(ROOT.parent / "shared")
        workdir = base / "work"
    else:
        workdir = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)

    outputs: dict[str, str] = {}
    for match in BLOCK.finditer(text):
        if not args.only or match["name"] in args.only:
            print(f"running example {match['name']} in {workdir}", file=sys.stderr)
            outputs[match["name"]] = run_block(commands_of(match["body"]), workdir.resolve())
    # Read again: others may have changed the README while the commands ran; only the
    # example blocks are replaced.
    text = README.read_text()
    updated = BLOCK.sub(
        lambda m: m[1] + outputs[m["name"]] + m[4] if m["name"] in outputs else m[0], text
    )
    if updated == text:
        print("README examples are up to date", file=sys.stderr)
        return 0
    if args.check:
        diff = difflib.unified_diff(text.splitlines(), updated.splitlines(), lineterm="")
        print("\n".join(diff))
        return 1
    README.write_text(updated)
    print("README.md rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
