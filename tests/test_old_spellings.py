"""No message, hint or example dlcalc prints recommends an old spelling (a hidden alias such as
`--x` or `--f`): the aliases still work, but what a student is told to type is the current name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import dlcalc

PACKAGE = Path(dlcalc.__file__).parent


def hidden_aliases() -> set[str]:
    """Every alias declared in any module (`aliases=("--f",)`), read from the source."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "aliases" and isinstance(node.value, ast.Tuple):
                found |= {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    return found


def test_aliases_are_found():
    assert {"--x", "--f"} <= hidden_aliases()  # the reader works: these two are known old spellings


def test_no_printed_string_recommends_an_old_spelling():
    aliases = hidden_aliases()
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(a) for a in sorted(aliases)) + r")(?![\w-])")
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        declared = set()  # the declarations themselves, and docstrings (not printed)
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "aliases":
                declared |= {id(e) for e in ast.walk(node.value)}
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node) is not None:
                declared.add(id(node.body[0].value))  # type: ignore[attr-defined]
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in declared:
                if pattern.search(node.value):
                    hits.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value[:90]}")
    assert not hits, "\n".join(hits)
