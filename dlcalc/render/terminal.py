"""The rich terminal view: the answer first, then the derivation, then the torch cross-check."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text as RichText

from dlcalc.render import say, step_text
from dlcalc.result import Result, Step
from dlcalc.text import T

HEADINGS = {
    "steps": T("Derivation", "推导过程"),
    "check": T("Cross-check with torch", "torch 交叉验证"),
    "agree": T("torch agrees", "torch 结果一致"),
    "differ": T("torch DISAGREES", "torch 结果不一致"),
    "what": T("quantity", "项目"),
    "ours": T("dlcalc", "dlcalc"),
    "torch": T("torch", "torch"),
    "folded": T("({n} derivation steps not shown: add --steps)", "（省略 {n} 步推导：加 --steps 显示）"),
}


def render(console: Console, result: Result, lang: str = "en", check: Any = None) -> None:
    console.print(
        Panel(
            _summary(result, lang, console.width),
            title=f"[bold]{result.title(lang)}[/]",
            title_align="left",
            expand=False,
        )
    )

    for table in result.tables:
        console.print(_table(table, lang))
    for figure in result.figures:
        console.print(RichText("\n".join(figure)))

    if result.steps and not result.show_steps:
        console.print(RichText(HEADINGS["folded"](lang).format(n=len(result.steps)), style="dim"))
    elif result.steps:
        console.print(RichText(HEADINGS["steps"](lang), style="bold underline"))
        width = max(40, console.width - 6)
        for i, step in enumerate(result.steps, 1):
            console.print(_step(i, step, lang, width))
    for note in result.notes:
        console.print(Padding(RichText("• " + note(lang), style="italic"), (0, 0, 0, 1), expand=False))
    if check is not None:
        render_check(console, check, lang)


def _summary(result: Result, lang: str, width: int) -> Any:
    """Label and value columns; plain aligned text when every row fits (rich.table costs a plain
    answer 3 ms of imports), a grid that wraps values under their column otherwise."""
    from rich.cells import cell_len

    rows = [(label(lang), say(value, lang)) for label, value in result.summary]
    label_width = max((cell_len(label) for label, _ in rows), default=0)
    if all(label_width + 2 + cell_len(value) <= width - 4 and "\n" not in value for _, value in rows):
        text = RichText()
        for i, (label, value) in enumerate(rows):
            text.append(label + " " * (label_width - cell_len(label) + 2), style="bold")
            text.append(value + ("\n" if i < len(rows) - 1 else ""))
        return text
    from rich.table import Table as RichTable

    grid = RichTable.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")  # Chinese has no spaces to wrap at: fold, never cut with "…"
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def _step(i: int, step: Step, lang: str, width: int) -> Group:
    head = RichText(f"{i:>2}. ", style="bold")
    head.append(step.label(lang), style="bold cyan")
    body: list[RichText] = []
    one_line = step_text(step)
    if one_line and step.lhs is None and len(one_line) > width:
        body += [RichText(("" if i == 0 else f"{step.joiner} ") + c.text) for i, c in enumerate(step.chain)]
    elif one_line and (len(one_line) <= width or step.lhs is None or len(step.chain) < 2):
        body.append(RichText(one_line))
    elif one_line:
        # the formula on the first line, then the working packed into lines under its "="
        assert step.lhs is not None
        lhs = step.lhs.text
        body.append(RichText(f"{lhs} {step.joiner} {step.chain[0].text}"))
        pad = " " * len(lhs)
        line = ""
        for item in step.chain[1:]:
            piece = f" {step.joiner} {item.text}"
            if line and len(pad) + len(line) + len(piece) > width:
                body.append(RichText(pad + line))
                line = ""
            line += piece
        body.append(RichText(pad + line))
    if step.note:
        body.append(RichText(step.note(lang), style="dim italic"))
    return Group(head, Padding(Group(*body), (0, 0, 0, 4), expand=False))


def _table(table: Any, lang: str) -> Any:
    from rich.table import Table as RichTable

    out = RichTable(title=table.title(lang) if table.title else None, title_justify="left")
    for i, col in enumerate(table.columns):
        out.add_column(col(lang), overflow="fold", no_wrap=i != table.wrap)
    for row in table.rows:
        out.add_row(*[RichText(say(c, lang)) for c in row])
    return out


def render_check(console: Console, check: Any, lang: str = "en") -> None:
    from rich.table import Table as RichTable

    table = RichTable(title=HEADINGS["check"](lang), title_justify="left", caption=check.engine, caption_justify="left")
    table.add_column(HEADINGS["what"](lang))
    table.add_column(HEADINGS["ours"](lang))
    table.add_column(HEADINGS["torch"](lang))
    table.add_column("")
    for item in check.items:
        mark = RichText("✓", style="green") if item.ok else RichText("✗", style="bold red")
        table.add_row(item.what, RichText(str(item.ours)), RichText(str(item.theirs)), mark)
    console.print(table)
    if check.ok:
        console.print(RichText("✓ " + HEADINGS["agree"](lang), style="bold green"))
    else:
        console.print(RichText("✗ " + HEADINGS["differ"](lang), style="bold red"))
