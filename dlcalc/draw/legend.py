"""The legend under every diagram: each labelled part with its caption, then the notes, wrapped to
the diagram's width by display cells (a Chinese character takes two). Both back-ends print these
same lines, so the terminal and the picture say the same thing."""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.cells import cell_len

from dlcalc.draw.model import Diagram

LABEL_MAX = 22
OPEN = "（《「『【“‘"  # never at the end of a line
CLOSE = "，。：；、）》」』】”’！？"  # never at the start of one
WIDE = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"  # raw: the pattern, not the characters, is the text
# a word, or one Chinese character, with the punctuation that sticks to it
ATOM = re.compile(rf"\s+|[{OPEN}]*(?:[{WIDE}]|[^\s{WIDE}{OPEN}{CLOSE}]+)[{CLOSE}]*|[{OPEN}{CLOSE}]+")


def wrap(text: str, width: float, measure: Callable[[str], float] = cell_len) -> list[str]:
    """Greedy line breaking at spaces, or between Chinese characters, to `width` as `measure`d."""
    lines: list[str] = []
    line, space = "", False
    for atom in ATOM.findall(text):
        if atom.isspace():
            space = bool(line)
            continue
        candidate = line + (" " if space else "") + atom
        if line and measure(candidate) > width:
            lines.append(line)
            candidate = atom
        while measure(candidate) > width and len(candidate) > 1:  # a word longer than the line: cut it
            cut = max([1] + [i for i in range(1, len(candidate)) if measure(candidate[:i]) <= width])
            lines.append(candidate[:cut])
            candidate = candidate[cut:]
        line, space = candidate, False
    if line:
        lines.append(line)
    return lines


def legend(
    diagram: Diagram, lang: str, measure: Callable[[str], float] = cell_len
) -> tuple[float, list[tuple[str, str, str]]]:
    """The label column's width and the rows: ("part", label, text) with the label on a part's
    first row only, then ("note", "•", text) for the notes, each wrapped to the diagram's width
    (in terminal cells, or as a picture `measure`s its text in the same units)."""
    labels = [p.label(lang) for p in diagram.parts]
    column = min(LABEL_MAX, max((measure(s) for s in labels), default=0))
    rows: list[tuple[str, str, str]] = []
    for label, part in zip(labels, diagram.parts):
        lines = wrap(part.caption(lang), diagram.width - column - 2, measure)
        if measure(label) > column:  # a long label gets a row of its own
            rows.append(("part", label, ""))
            label = ""
        rows += [("part", label if i == 0 else "", line) for i, line in enumerate(lines)]
    for note in diagram.notes:
        lines = wrap(note(lang), diagram.width - 2, measure)
        rows += [("note", "•" if i == 0 else "", line) for i, line in enumerate(lines)]
    return column, rows


def legend_text(diagram: Diagram, lang: str) -> list[str]:
    column, rows = legend(diagram, lang)
    out = []
    for kind, label, text in rows:
        if kind == "note":
            out.append(f"{label or ' '} {text}")
        elif not text:
            out.append(label)
        else:
            out.append(label + " " * (int(column) - cell_len(label) + 2) + text)
    return out


def legend_column(diagram: Diagram, lang: str) -> int:
    return int(legend(diagram, lang)[0])
