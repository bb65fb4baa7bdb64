"""`dlcalc draw`: the diagrams an exam asks students to draw, and pictures of worked computations.

A diagram is data (`model.Diagram`: nodes, grids, lines, and a legend of parts); `terminal`
draws it with box-drawing characters and `figure` with matplotlib (PNG, SVG). Topics live in
`topics/`, one function each.
"""

from __future__ import annotations

from typing import Any

from dlcalc.draw.model import Diagram
from dlcalc.text import T

__all__ = ["Diagram", "as_result", "picture", "save", "show"]

SAVED = {
    "png": T("saved {path} (PNG, {w}×{h} px)", "已保存 {path}（PNG，{w}×{h} 像素）"),
    "svg": T("saved {path} (SVG, text kept as text)", "已保存 {path}（SVG，文字保留为文本）"),
}


def picture(diagram: Diagram, lang: str = "en") -> list[str]:
    """The diagram as terminal lines (box-drawing characters, at most diagram.width cells)."""
    from dlcalc.draw.terminal import render

    return render(diagram, lang)


def save(diagram: Diagram, path: str, lang: str = "en", fmt: str | None = None) -> tuple[int, int]:
    """Write the diagram as PNG or SVG (by `fmt`, else by the file's suffix); its size in pixels."""
    from dlcalc.draw.figure import save as save_figure

    fmt = fmt or ("svg" if path.lower().endswith(".svg") else "png")
    return save_figure(diagram, lang, path, fmt)


def as_result(diagram: Diagram, lang: str, saved: dict[str, str] | None = None) -> Any:
    """The diagram as a `Result`, so --json and --md come from the common renderer: the picture
    is its figure, the legend its summary."""
    from dlcalc.result import Result

    lines = picture(diagram, lang)
    parts = [{"key": p.key, "label": p.label(lang), "caption": p.caption(lang), "term": p.term} for p in diagram.parts]
    return Result(
        kind="draw",
        title=diagram.title,
        answer={
            "topic": diagram.name,
            "title": diagram.title(lang),
            "parts": parts,
            "picture": lines,
            "files": dict(saved or {}),
        },  # fmt: skip
        summary=[(p.label, p.caption) for p in diagram.parts],
        notes=list(diagram.notes),
        figures=[lines],
    )


def show(diagram: Diagram, lang: str = "en", console: Any = None) -> None:
    """Print the title, the picture, and the legend."""
    from rich.console import Console
    from rich.text import Text as RichText

    from dlcalc.draw.legend import legend_column, legend_text

    console = console or Console(highlight=False)
    console.print(RichText(diagram.title(lang), style="bold"))
    console.print()
    for line in picture(diagram, lang):
        console.print(RichText(line), crop=False, overflow="ignore", no_wrap=True)
    console.print()
    column = legend_column(diagram, lang)
    for line in legend_text(diagram, lang):
        text = RichText(line)
        if not line.startswith(("• ", "  ")):
            text.stylize("bold", 0, len(line) if column == 0 else _chars_in(line, column))
        console.print(text, no_wrap=True, crop=False, overflow="ignore")


def _chars_in(line: str, cells: int) -> int:
    """How many characters of line fill its first `cells` display cells."""
    from rich.cells import cell_len

    for i in range(len(line) + 1):
        if cell_len(line[:i]) >= cells:
            return i
    return len(line)
