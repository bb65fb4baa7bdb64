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
from dlcalc.text import T


class Lang(str, Enum):
    en = "en"
    zh = "zh"


SHARED_HELP = {
    "json": T("Print one JSON object (stable keys, see README) to stdout.", "向标准输出打印一个 JSON 对象（键名固定，见 README）。"),
    "latex": T("Print the derivation as LaTeX (amsmath) for your notes.", "把推导过程打印为 LaTeX（amsmath），便于记笔记。"),
    "md": T("Print the derivation as Markdown with $…$ math.", "把推导过程打印为 Markdown（公式写在 $…$ 中）。"),
    "lang": T("Language of step names, prose, errors and help (or DLCALC_LANG).", "步骤名、说明、错误与帮助的语言（也可设 DLCALC_LANG）。"),
    "check": T("Rebuild the computation in torch and compare; exit 1 on any mismatch.", "用 torch 重新计算并对照；不一致时退出码为 1。"),
}


def _help(key: str) -> str:
    from dlcalc.cli.build import help_lang

    return SHARED_HELP[key](help_lang())


def _shared_annotations() -> dict[str, Any]:
    return {
        "json": Annotated[bool, typer.Option("--json", help=_help("json"))],
        "latex": Annotated[bool, typer.Option("--latex", help=_help("latex"))],
        "md": Annotated[bool, typer.Option("--md", help=_help("md"))],
        "lang": Annotated[Lang, typer.Option("--lang", help=_help("lang"), envvar="DLCALC_LANG", show_envvar=False)],
        "check": Annotated[bool, typer.Option("--check", help=_help("check"))],
    }


JsonOpt = Annotated[bool, typer.Option("--json", help=SHARED_HELP["json"].en)]
LatexOpt = Annotated[bool, typer.Option("--latex", help=SHARED_HELP["latex"].en)]
MdOpt = Annotated[bool, typer.Option("--md", help=SHARED_HELP["md"].en)]
LangOpt = Annotated[Lang, typer.Option("--lang", help=SHARED_HELP["lang"].en, envvar="DLCALC_LANG", show_envvar=False)]
CheckOpt = Annotated[bool, typer.Option("--check", help=SHARED_HELP["check"].en)]


@dataclass
class Output:
    json: bool = False
    latex: bool = False
    md: bool = False
    lang: str = "en"
    check: bool = False

    def __post_init__(self) -> None:
        if sum([self.json, self.latex, self.md]) > 1:
            raise DlcalcError(
                T("choose one output format: --json, --latex or --md", "只能选一种输出格式：--json、--latex 或 --md")
            )
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


_SHARED_NAMES = ("json", "latex", "md", "lang", "check")
_SHARED_DEFAULTS: dict[str, Any] = {"json": False, "latex": False, "md": False, "lang": Lang.en, "check": False}


def shared_parameters() -> list[inspect.Parameter]:
    """--json, --latex, --md, --lang, --check as signature parameters, helped in the help's language."""
    annotations = _shared_annotations()
    return [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=_SHARED_DEFAULTS[n], annotation=annotations[n])
        for n in _SHARED_NAMES
    ]


def output_from(kwargs: dict[str, Any]) -> Output:
    """The shared options taken out of a command's keyword arguments, as one `Output`."""
    return Output(*(kwargs.pop(n) for n in _SHARED_NAMES))


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a solver command --json, --latex, --md, --lang and --check, defined once here.

    The command declares `out: Output | None = None` and receives the options as one `Output`;
    Typer reads the signature set below, so every command's help lists the shared options.
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for name, p in signature.parameters.items() if name != "out"]

    @functools.wraps(command)
    def with_output(*args: Any, **kwargs: Any) -> Any:
        out = output_from(kwargs)
        try:
            return command(*args, out=out, **kwargs)
        except DlcalcError as e:  # a bilingual refusal speaks the --lang of the command
            e.message = e.in_language(out.lang)
            raise

    with_output.__signature__ = signature.replace(parameters=own + shared_parameters())  # type: ignore[attr-defined]
    return with_output
