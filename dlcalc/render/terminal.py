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
    "folded": T("({n} derivation steps not shown: add --full)", "（省略 {n} 步推导：加 --full 显示）"),
}


def render(console: Console, result: Result, lang: str = "en", check: Any = None) -> None:
    console.print(
        Panel(
            _summary(result, lang, console.width),
            title=RichText(result.title(lang), style="bold"),  # a title may be data (a bank title): never markup
            title_align="left",
            expand=False,
        )
    )

    for table in result.tables:
        print_table(
            console,
            [c(lang) for c in table.columns],
            [[say(c, lang) for c in row] for row in table.rows],
            title=table.title(lang) if table.title else None,
            wrap=table.wrap,
            lang=lang,
        )
    for figure in result.figures:
        console.print(RichText("\n".join(say(row, lang) for row in figure)))

    if result.steps and not result.show_steps:
        console.print(RichText(HEADINGS["folded"](lang).format(n=len(result.steps)), style="dim"))
    elif result.steps:
        console.print(RichText(HEADINGS["steps"](lang), style="bold underline"))
        width = max(40, console.width - 6)
        console.print(_derivation(console, result.steps, lang, width), soft_wrap=True)
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
        grid.add_row(RichText(label), RichText(value))  # values are data (a path, a topic): never markup
    return grid


def _derivation(console: Console, steps: list[Step], lang: str, width: int) -> RichText:
    """Every step as one text, printed once: its heading, then its lines indented by 4 (a line
    longer than the terminal wrapped under its own indent, as rich wraps it). Printing a rich
    Group per step cost a 2,000-step backprop seconds of layout; one text costs milliseconds."""
    from rich.cells import cell_len

    room = max(1, console.width - 4)
    out = RichText()
    for i, step in enumerate(steps, 1):
        head, body = _step_parts(i, step, lang, width)
        if i > 1:
            out.append("\n")
        out.append_text(head)
        for line in body:
            pieces = line.wrap(console, room) if cell_len(line.plain) > room else [line]
            for piece in pieces:
                out.append("\n    ")
                out.append_text(piece)
    return out


def _step(i: int, step: Step, lang: str, width: int) -> Group:
    head, body = _step_parts(i, step, lang, width)
    return Group(head, Padding(Group(*body), (0, 0, 0, 4), expand=False))


def _step_parts(i: int, step: Step, lang: str, width: int) -> tuple[RichText, list[RichText]]:
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
    return head, body


# --- tables that never cut a number -------------------------------------------------------
#
# A table that fits its natural width is rich's own table, unchanged. When the terminal is
# narrower, every cell is wrapped at places that split no figure (spaces, and after a call's `(`
# and after `,` `=` `;` `:` `/` unless a digit stands on both sides, as in 48,120 or 1/3), each
# column gets at least its widest such piece, and the columns share what is left. When even that
# is too wide,
# the table is split into several narrower ones (the first column, the row's name, repeated in
# each), as pandas prints a wide frame. Only a single piece wider than the whole terminal is
# ever folded.

_BREAK_AFTER = set("(,=;:/")
_BOX_OVERHEAD = 3  # "│ " before and " " after each cell …
_BOX_EDGE = 1  # … plus the closing "│"


def _pieces(line: str) -> list[str]:
    """A line cut at every place a break may go; a piece keeps its trailing break character and
    its trailing spaces (dropped where the line breaks)."""
    pieces: list[str] = []
    current = ""
    for i, ch in enumerate(line):
        current += ch
        nxt = line[i + 1] if i + 1 < len(line) else ""
        if ch == " " and nxt != " ":
            pieces.append(current)
            current = ""
        elif ch in _BREAK_AFTER and nxt and nxt != " ":
            prev = line[i - 1] if i else ""
            if ch == "(" and not prev.isalnum():
                continue  # "D (3x224x224)" stays together; "AvgPool2d(" may end a line
            if not (prev.isdigit() and nxt.isdigit()):
                pieces.append(current)
                current = ""
    if current:
        pieces.append(current)
    return pieces


def _cell_len(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _natural(cell: str) -> int:
    return max((_cell_len(line) for line in cell.split("\n")), default=0)


def _least(cell: str) -> int:
    """The narrowest width that shows `cell` without splitting any piece."""
    return max((_cell_len(p.rstrip(" ")) for line in cell.split("\n") for p in _pieces(line)), default=0)


def wrap_cell(cell: str, width: int) -> str:
    """`cell` broken into lines of at most `width` cells, never inside a piece that fits."""
    out: list[str] = []
    for line in cell.split("\n"):
        current = ""
        for piece in _pieces(line):
            if _cell_len((current + piece).rstrip(" ")) <= width:
                current += piece
                continue
            if current.strip():
                out.append(current.rstrip(" "))
            current = ""
            while _cell_len(piece.rstrip(" ")) > width:  # a piece wider than the terminal: fold it
                out.append(piece[:width])
                piece = piece[width:]
            current = piece
        out.append(current.rstrip(" "))
    return "\n".join(out)


def _boxed(widths: list[int]) -> int:
    return sum(widths) + _BOX_OVERHEAD * len(widths) + _BOX_EDGE


def _share(least: list[int], natural: list[int], room: int) -> list[int]:
    """Column widths from `least` up towards `natural`, the spare room going to the widest need."""
    widths = list(least)
    spare = room - _boxed(widths)
    while spare > 0:
        want = [n - w for w, n in zip(widths, natural)]
        i = max(range(len(widths)), key=lambda j: want[j])
        if want[i] <= 0:
            break
        widths[i] += 1
        spare -= 1
    return widths


def table_layout(columns: list[str], rows: list[list[str]], width: int) -> list[tuple[list[int], list[int]]]:
    """[(column indices, their widths)] for each table to print; one entry when it fits."""
    n = len(columns)
    cells = [columns] + rows
    natural = [max(_natural(r[i]) for r in cells) for i in range(n)]
    least = [max(_least(r[i]) for r in cells) for i in range(n)]
    if _boxed(natural) <= width:
        return [(list(range(n)), natural)]
    if _boxed(least) <= width:
        return [(list(range(n)), _share(least, natural, width))]
    groups: list[list[int]] = []
    current: list[int] = [0]
    for i in range(1, n):
        if _boxed([least[j] for j in current + [i]]) <= width:
            current.append(i)
            continue
        groups.append(current)
        current = [0, i] if _boxed([least[0], least[i]]) <= width else [i]
    groups.append(current)
    layout = []
    for group in groups:
        lo, nat = [least[i] for i in group], [natural[i] for i in group]
        if _boxed(lo) > width:  # one piece wider than the terminal: the only case that folds
            lo = [max(1, min(x, width - _boxed([0]) - 1)) for x in lo]
        layout.append((group, _share(lo, nat, width)))
    return layout


def print_table(
    console: Console,
    columns: list[str],
    rows: list[list[str]],
    title: str | None = None,
    wrap: int | None = None,
    lang: str = "en",
) -> None:
    """Print a table of plain strings (never read as markup) so that no figure in it is cut."""
    from rich.table import Table as RichTable

    rows = [[str(c) for c in row] + [""] * (len(columns) - len(row)) for row in rows]
    layout = table_layout(columns, rows, console.width)
    fits = len(layout) == 1 and len(layout[0][0]) == len(columns)
    for part, (group, widths) in enumerate(layout):
        heading = title if part == 0 else T("(continued)", "（续）")(lang)
        out = RichTable(title=RichText(heading) if heading else None, title_justify="left")
        for i, w in zip(group, widths):
            natural_fit = fits and w == max(_natural(r[i]) for r in [columns] + rows)
            out.add_column(
                RichText(wrap_cell(columns[i], w)),
                width=w,
                overflow="fold",
                no_wrap=not (natural_fit and i == wrap),
            )
        for row in rows:
            out.add_row(*[RichText(wrap_cell(row[i], w)) for i, w in zip(group, widths)])
        console.print(out)


def render_check(console: Console, check: Any, lang: str = "en") -> None:
    rows = [[say(item.what, lang), say(item.ours, lang), say(item.theirs, lang), "✓" if item.ok else "✗"] for item in check.items]
    print_table(
        console,
        [HEADINGS["what"](lang), HEADINGS["ours"](lang), HEADINGS["torch"](lang), ""],
        rows,
        title=HEADINGS["check"](lang),
        lang=lang,
    )
    console.print(RichText(say(check.engine, lang), style="dim"))
    if check.ok:
        console.print(RichText("✓ " + HEADINGS["agree"](lang), style="bold green"))
    else:
        console.print(RichText("✗ " + HEADINGS["differ"](lang), style="bold red"))
