"""Turning any `Result` into terminal output, JSON, LaTeX or Markdown.

Solvers never print; the CLI hands their result here. A new solver gets every format for free.
"""

from __future__ import annotations

from typing import Any

from dlcalc.mathfmt import is_ratio
from dlcalc.result import Result, Step

JSON_SCHEMA_VERSION = 1


def jsonable(value: Any) -> Any:
    """Plain JSON values: exact fractions become ints or full-precision floats, tuples lists."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if is_ratio(value):  # a Fraction (ints returned above)
        return value.numerator if value.denominator == 1 else value.numerator / value.denominator  # type: ignore[operator]  # typeshed: numbers.Rational parts lack __truediv__
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # a numpy/torch scalar, should one slip through
        return jsonable(value.item())
    return str(value)


def say(value: Any, lang: str) -> str:
    """A summary value: bilingual `Text` in the chosen language, anything else as it is."""
    return value(lang) if callable(value) else str(value)


LATEX_JOINERS = {"=": "=", "⇔": r"\iff", "→": r"\to", "←": r"\leftarrow"}


def step_text(step: Step) -> str:
    parts = ([step.lhs.text] if step.lhs is not None else []) + [c.text for c in step.chain]
    return f" {step.joiner} ".join(parts)


def step_latex(step: Step) -> str:
    parts = ([step.lhs.latex] if step.lhs is not None else []) + [c.latex for c in step.chain]
    return f" {LATEX_JOINERS[step.joiner]} ".join(parts)


def to_dict(result: Result, lang: str = "en", check: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"dlcalc": JSON_SCHEMA_VERSION, "kind": result.kind}
    out.update(jsonable(result.answer))
    out["steps"] = [
        {
            "label": s.label(lang),
            "text": step_text(s),
            "latex": step_latex(s),
            "note": s.note(lang) if s.note else None,
        }
        for s in result.steps
    ]
    out["notes"] = [n(lang) for n in result.notes]
    if result.tables and "tables" not in out:  # the same tables the terminal, Markdown and LaTeX show
        out["tables"] = [
            {
                "kind": "table",
                "title": t.title(lang) if t.title else None,
                "columns": [c(lang) for c in t.columns],
                "rows": [[say(c, lang) for c in row] for row in t.rows],
            }
            for t in result.tables
        ]
    if check is not None:
        out["check"] = check.to_dict()
    return out


def to_json(result: Result, lang: str = "en", check: Any = None) -> str:
    import json

    return json.dumps(to_dict(result, lang, check), ensure_ascii=False, indent=2)
