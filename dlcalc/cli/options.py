"""Options every solver command shares, defined once, and the one place output is produced."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import typer

from dlcalc.errors import CheckFailed, DlcalcError


class Lang(str, Enum):
    en = "en"
    zh = "zh"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object (stable keys, see README) to stdout.")]
LatexOpt = Annotated[bool, typer.Option("--latex", help="Print the derivation as LaTeX (amsmath) for your notes.")]
MdOpt = Annotated[bool, typer.Option("--md", help="Print the derivation as Markdown with $…$ math.")]
LangOpt = Annotated[Lang, typer.Option("--lang", help="Language of step names and prose.")]
CheckOpt = Annotated[
    bool, typer.Option("--check", help="Rebuild the computation in torch and compare; exit 1 on any mismatch.")
]


@dataclass
class Output:
    json: bool = False
    latex: bool = False
    md: bool = False
    lang: str = "en"
    check: bool = False

    def __post_init__(self) -> None:
        if sum([self.json, self.latex, self.md]) > 1:
            raise DlcalcError("choose one output format: --json, --latex or --md")
        self.lang = getattr(self.lang, "value", self.lang)


def emit(result: Any, out: Output) -> None:
    """Print a result in the chosen format, then fail with exit 1 if the torch check disagreed."""
    report = None
    if out.check:
        from dlcalc.check import run

        report = run(result)
    if out.json:
        from dlcalc.render import to_json

        print(to_json(result, out.lang, report))
    elif out.latex or out.md:
        from dlcalc.render.latex import to_latex_document, to_markdown

        print((to_latex_document if out.latex else to_markdown)(result, out.lang))
        if report is not None:
            _report_to_stderr(report, out.lang)
    else:
        from rich.console import Console

        from dlcalc.render.terminal import render

        render(Console(highlight=False), result, out.lang, report)
    if report is not None and not report.ok:
        raise CheckFailed()


def _report_to_stderr(report: Any, lang: str) -> None:
    from rich.console import Console

    from dlcalc.render.terminal import render_check

    render_check(Console(stderr=True, highlight=False), report, lang)


def fail(message: str) -> None:
    """The one stderr line of a refusal; a value echoed back is cut, so the line stays short."""
    print(f"dlcalc: error: {_shorten(' '.join(message.split()))}", file=sys.stderr)


def _shorten(message: str) -> str:
    import re

    def middle(m: re.Match[str]) -> str:
        word = m.group()
        return f"{word[:60]}…{word[-30:]} ({len(word):,} characters)"

    cut = re.sub(r"\S{161,}", middle, message)
    return cut if len(cut) <= 360 else cut[:359] + "…"


_SHARED = [
    inspect.Parameter("json", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=JsonOpt),
    inspect.Parameter("latex", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=LatexOpt),
    inspect.Parameter("md", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=MdOpt),
    inspect.Parameter("lang", inspect.Parameter.KEYWORD_ONLY, default=Lang.en, annotation=LangOpt),
    inspect.Parameter("check", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=CheckOpt),
]


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a solver command --json, --latex, --md, --lang and --check, defined once here.

    The command declares `out: Output | None = None` and receives the options as one `Output`;
    Typer reads the signature set below, so every command's help lists the shared options.
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for name, p in signature.parameters.items() if name != "out"]

    @functools.wraps(command)
    def with_output(*args: Any, **kwargs: Any) -> Any:
        out = Output(*(kwargs.pop(p.name) for p in _SHARED))
        try:
            return command(*args, out=out, **kwargs)
        except DlcalcError as e:  # a bilingual refusal speaks the --lang of the command
            e.message = e.in_language(out.lang)
            raise

    with_output.__signature__ = signature.replace(parameters=own + _SHARED)  # type: ignore[attr-defined]
    return with_output
