"""Re-run every `$ dlcalc …` example in README.md and write its real output under it.

The test suite runs the same examples and fails when the README has drifted from the program,
so the documented output is always what a user sees (at 100 columns, without colour).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
WIDTH = "100"


def run_example(command: str) -> str:
    """Run one `dlcalc …` line in-process; stdout and stderr together, as a terminal shows them."""
    from dlcalc.cli import run

    args = shlex.split(command)
    assert args[0] == "dlcalc", command
    buffer = io.StringIO()
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            code = run(args[1:])
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    text = "\n".join(line.rstrip() for line in buffer.getvalue().rstrip("\n").split("\n"))
    return text + (f"\n[exit code {code}]" if code else "")


def render_block(body: str) -> str:
    out = []
    for line in body.split("\n"):
        if line.startswith("$ "):
            command = line[2:].split("  #")[0].strip()
            out.append(line)
            if command.startswith("dlcalc "):
                out.append(run_example(command))
    return "\n".join(out) + "\n"


def updated(text: str) -> str:
    return BLOCK.sub(lambda mt: "```console\n" + render_block(mt.group(1)) + "```", text)


def main() -> int:
    text = README.read_text(encoding="utf-8")
    README.write_text(updated(text), encoding="utf-8")
    print("README.md examples refreshed")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
