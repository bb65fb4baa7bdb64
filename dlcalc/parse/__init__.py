"""The one input language shared by the CLI, the YAML bank and the quiz.

Every solver takes a mapping of plain values (what a YAML problem holds, or what the CLI's
options hold as strings) and reads it through these functions, so `"3x227x227"`, `[3, 227, 227]`
and `3*227*227` mean the same thing everywhere and a bad value gets the same one-line error.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fractions import Fraction
from typing import Any

from dlcalc.errors import DlcalcError

# The arithmetic both whitelisted readers (expressions, layer arguments) allow; `ast` and
# `operator` are already loaded by the CLI's own imports, so this costs a plain answer nothing.
ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

_DIM_SPLIT = re.compile(r"\s*[x×X*,]\s*|\s+")


def _bad(what: str, value: Any, expected: str) -> DlcalcError:
    return DlcalcError(f"{what}: {expected}, got {value!r}")


def parse_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise _bad(what, value, "expected a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    raise _bad(what, value, "expected a whole number")


def parse_dims(value: Any, what: str, lengths: tuple[int, ...] = (1, 2, 3)) -> tuple[int, ...]:
    """`3x227x227`, `3×227×227`, `3*227*227`, `(3, 227, 227)`, `[3, 227, 227]` or `227`."""
    if isinstance(value, (list, tuple)):
        parts = [parse_int(v, what) for v in value]
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parts = [parse_int(value, what)]
    elif isinstance(value, str):
        stripped = value.strip().strip("()[]").strip()
        pieces = _DIM_SPLIT.split(stripped)
        if not all(re.fullmatch(r"[+-]?\d+", p) for p in pieces):
            raise _bad(what, value, _dims_expected(lengths))
        parts = [int(p) for p in pieces]
    else:
        raise _bad(what, value, _dims_expected(lengths))
    if len(parts) not in lengths:
        raise _bad(what, value, _dims_expected(lengths))
    return tuple(parts)


def _dims_expected(lengths: tuple[int, ...]) -> str:
    forms = {1: "N", 2: "HxW", 3: "CxHxW"}
    return "expected " + " or ".join(forms.get(n, f"{n} sizes") for n in lengths)


def parse_pair(value: Any, what: str) -> tuple[int, int]:
    """A per-dimension setting: `3` (both) or `3x5` (height x width)."""
    dims = parse_dims(value, what, (1, 2))
    return (dims[0], dims[0]) if len(dims) == 1 else (dims[0], dims[1])


def parse_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise _bad(what, value, "expected true or false")


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FRACTION = re.compile(r"[+-]?\d+\s*/\s*\d+")


LARGEST = 10**100


def parse_number(value: Any, what: str) -> Fraction:
    """An exact Fraction, within 1e-100 ≤ |x| ≤ 1e100 (or 0), so later float arithmetic cannot overflow."""
    number = _parse_number(value, what)
    if number != 0 and not (number.__class__(1, LARGEST) <= abs(number) <= LARGEST):
        raise DlcalcError(f"{what}: {value!r} is out of range (use numbers from 1e-100 to 1e100 in size)")
    return number


def _parse_number(value: Any, what: str) -> Fraction:
    """An exact Fraction: `0.5`, `1/3`, `2`, or a YAML float such as 0.1 read back through its
    shortest decimal form (which is what the file said), so it too becomes exact.
    """
    from fractions import Fraction

    if isinstance(value, bool):
        raise _bad(what, value, "expected a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _bad(what, value, "expected a finite number")
        return Fraction(repr(value))
    if isinstance(value, str):
        s = value.strip().replace("−", "-")
        if _NUMBER.fullmatch(s):
            return Fraction(s)
        if _FRACTION.fullmatch(s):
            p, q = s.split("/")
            if int(q) == 0:
                raise _bad(what, value, "expected a number (division by zero)")
            return Fraction(int(p), int(q))
    raise _bad(what, value, "expected a number")


def parse_vector(value: Any, what: str) -> list[Fraction]:
    """`"1, 2, 3"`, `"1 2 3"`, `[1, 2, 3]` or a single number."""
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, str):
        s = value.strip().strip("[]()")
        items = [p for p in re.split(r"\s*,\s*|\s+", s.strip()) if p != ""]
    else:
        items = [value]
    if not items:
        raise _bad(what, value, "expected at least one number")
    if any(isinstance(v, (list, tuple, dict)) for v in items):
        raise _bad(what, value, "expected a flat list of numbers")
    return [parse_number(v, what) for v in items]


def parse_matrix(value: Any, what: str) -> list[list[Fraction]]:
    """Rows separated by `;` (`"0.1,0.2; 0.3,0.4"`) or a YAML list of rows; a bare number is 1x1."""
    if isinstance(value, str):
        rows = [r for r in value.split(";")]
        if any(r.strip() == "" for r in rows):
            raise _bad(what, value, "expected rows like '0.1,0.2; 0.3,0.4'")
        matrix = [parse_vector(r, what) for r in rows]
    elif isinstance(value, (list, tuple)):
        if not value:
            raise _bad(what, value, "expected at least one row")
        if all(not isinstance(r, (list, tuple)) for r in value):
            matrix = [parse_vector(list(value), what)]
        else:
            matrix = [parse_vector(r, what) for r in value]
    else:
        matrix = [[parse_number(value, what)]]
    if len({len(r) for r in matrix}) != 1:
        raise DlcalcError(f"{what}: rows have different lengths {[len(r) for r in matrix]}")
    return matrix


def only_keys(mapping: Mapping[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise DlcalcError(f"{what}: unknown field {unknown[0]!r} (expected one of {', '.join(sorted(allowed))})")
