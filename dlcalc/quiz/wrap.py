"""Breaking Chinese text into terminal lines the way Chinese is set: between any two characters.

rich wraps at spaces only, so a sentence of Chinese with a few spaces ("步长 2 的最大池化层。求……")
breaks early and leaves ragged lines. Here a line may break between two Chinese characters or at a
space, never inside a Latin word or a number (`padding`, `3×224×224`, `W2[1,2]`), and never before
closing punctuation (，。、）) or after opening punctuation (（“).
"""

from __future__ import annotations

import re

from rich.cells import cell_len

CJK = r"\u3400-\u9fff\uf900-\ufaff"
CLOSING = "，。、；：？！）》」』】”’…%"
OPENING = "（《「『【“‘"
TOKEN = re.compile(rf"\s+|[{CJK}]|[{re.escape(CLOSING + OPENING)}]|[^\s{CJK}{re.escape(CLOSING + OPENING)}]+")


def _tokens(line: str) -> list[str]:
    raw = TOKEN.findall(line)
    out: list[str] = []
    for tok in raw:
        if tok and tok[0] in CLOSING and out and not out[-1].isspace():
            out[-1] += tok  # never start a line with closing punctuation
        elif out and out[-1] and out[-1][-1] in OPENING and not tok.isspace():
            out[-1] += tok  # never end one with opening punctuation
        else:
            out.append(tok)
    return out


def fold(text: str, width: int) -> str:
    """`text` with line breaks so that no line is wider than `width` cells (a Latin word wider than
    the whole line is cut, as nothing else can be done)."""
    if width < 4:
        return text
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for tok in _tokens(paragraph):
            if tok.isspace():
                if current:
                    current += " "
                continue
            if cell_len(current + tok) <= width:
                current += tok
                continue
            if current:
                lines.append(current.rstrip())
            while cell_len(tok) > width:
                cut = width
                while cell_len(tok[:cut]) > width:
                    cut -= 1
                lines.append(tok[:cut])
                tok = tok[cut:]
            current = tok
        lines.append(current.rstrip())
    return "\n".join(lines)


def for_terminal(text: str, lang: str, width: int) -> str:
    """Chinese folded for a terminal `width` wide; English left to rich's own wrapping."""
    return fold(text, width) if lang == "zh" else text
