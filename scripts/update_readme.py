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
    # grad's symbolic work has time budgets: on a busy machine (CI running tests in parallel) a
    # proof could run out of time and the example would read differently. Give it ample time.
    old_scale = os.environ.get("DLCALC_BUDGET_SCALE")
    os.environ["DLCALC_BUDGET_SCALE"] = "30"
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            code = run(args[1:])
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
        if old_scale is None:
            os.environ.pop("DLCALC_BUDGET_SCALE", None)
        else:
            os.environ["DLCALC_BUDGET_SCALE"] = old_scale
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


OPTION_TABLES = re.compile(r"(<!-- BEGIN option tables[^\n]*-->\n).*?(<!-- END option tables -->)", re.S)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def option_tables() -> str:
    """One table per command built from a solver's declaration (dlcalc.declare): every option, its
    value, its default, what it means, and its old spellings (hidden in --help, still accepted)."""
    from dlcalc.cli.build import FILE_INPUT, PNG, SET_INPUT, SVG, extension
    from dlcalc.declare import Input
    from dlcalc.solvers import declared

    out = []
    for solver in sorted(declared(), key=lambda s: s.name):
        if not solver.command or not solver.inputs:
            continue
        inputs = [i for i in solver.inputs if i.cli] + list(getattr(extension(solver.name), "OPTIONS", ()))
        if solver.file:
            inputs += [FILE_INPUT, SET_INPUT]
        if solver.picture:
            inputs += [Input("png", help=PNG, metavar="FILE"), Input("svg", help=SVG, metavar="FILE")]
        out += [f"**`dlcalc {solver.name}`** — {solver.help('en')}", "", "| option | value | default | meaning | old spelling |",
                "| --- | --- | --- | --- | --- |"]  # fmt: skip
        for i in inputs:
            name = f"`{i.metavar}` (argument)" if i.positional else ", ".join(f"`{n}`" for n in (i.short, i.option) if n)
            value = "" if i.switch else ("`" + "|".join(i.choices) + "`" if i.choices else f"`{i.metavar}`")
            value = _cell(value) if not (i.positional and not i.choices) else ""
            default = i.default_text("en") or ""
            old = ", ".join(f"`{a}`" for a in i.aliases)
            if i is FILE_INPUT:
                old = "positional `FILE`"
            out.append(f"| {name} | {value} | {_cell(default)} | {_cell(i.help('en'))} | {old} |")
        out.append("")
    return "\n".join(out)


def updated(text: str) -> str:
    text = BLOCK.sub(lambda mt: "```console\n" + render_block(mt.group(1)) + "```", text)
    if OPTION_TABLES.search(text):
        tables = option_tables()
        text = OPTION_TABLES.sub(lambda mt: mt.group(1) + "\n" + tables + "\n" + mt.group(2), text)
    return text


def main() -> int:
    text = README.read_text(encoding="utf-8")
    README.write_text(updated(text), encoding="utf-8")
    print("README.md examples refreshed")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
