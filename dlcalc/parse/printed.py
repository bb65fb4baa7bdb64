"""The text `print(model)` shows, read back into a module tree (never run)."""

from __future__ import annotations

import re

_HEAD = re.compile(r"^\s*[A-Za-z_][\w.]*\($")
_CHILD = re.compile(r"^\s*\((?:[\w.-]+)\): ")


def is_printed(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) >= 2 and bool(_HEAD.match(lines[0])) and bool(_CHILD.match(lines[1]))


def read_printed(text: str):
    raise NotImplementedError
