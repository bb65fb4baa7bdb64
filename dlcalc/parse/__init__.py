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

from dlcalc import limits
from dlcalc.errors import DlcalcError
from dlcalc.limits import at_most

# The arithmetic both whitelisted readers (expressions, layer arguments) allow; `ast` and
# `operator` are already loaded by the CLI's own imports, so this costs a plain answer nothing.
ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

_DIM_SPLIT = re.compile(r"\s*[x×X*,]\s*|\s+")
# What `only_keys` counts as one number of a problem: a run of digits, with its point and exponent,
# in a text that is a list of numbers (an expression or a layer has letters: its own reader bounds it).
_NUMERAL = re.compile(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?")
_NUMBERS_TEXT = re.compile(r"[\d\s.,;:eE+\-−/()\[\]x×X*]*")


def _short(value: Any) -> str:
    """A value as an error message shows it: its repr, cut to 60 characters."""
    if isinstance(value, int) and value.bit_length() > 300:  # repr of a 4,300-digit int raises
        return f"<a whole number of about {int(value.bit_length() * 0.30103):,} digits>"
    try:
        text = (
            repr(value) if not isinstance(value, (list, tuple, dict)) or len(value) <= 20 else f"<{len(value):,} items>"
        )
    except ValueError:  # a huge int inside a list
        text = "<a value too large to show>"
    return text if len(text) <= 60 else text[:57] + "…"


def _bad(what: str, value: Any, expected: str) -> DlcalcError:
    return DlcalcError(f"{what}: {expected}, got {_short(value)}")


def _check_text(value: str, what: str) -> None:
    at_most(what, len(value), limits.TEXT, "characters", "字符")


def _check_numeral(text: str, what: str) -> None:
    """A written number is refused above NUMBER_CHARS characters — before Python converts it."""
    at_most(what, len(text.strip()), limits.NUMBER_CHARS, "characters in one number", "字符（单个数）")


def _check_whole(n: int | float, what: str) -> int:
    if abs(n) > limits.WHOLE:
        raise limits.refuse(
            f"{what}: {_short(n)} is out of range (whole numbers up to 10^15 in size)",
            f"{what}：{_short(n)} 超出范围（整数的绝对值不超过 10^15）",
        )
    return int(n)


def parse_int(value: Any, what: str) -> int:
    """A whole number, |n| ≤ 10^15 (`limits.WHOLE`)."""
    if isinstance(value, bool):
        raise _bad(what, value, "expected a whole number")
    if isinstance(value, int):
        return _check_whole(value, what)
    if isinstance(value, float) and value.is_integer():
        return _check_whole(value, what)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        _check_numeral(value, what)
        return _check_whole(int(value), what)
    raise _bad(what, value, "expected a whole number")


def parse_dims(value: Any, what: str, lengths: tuple[int, ...] = (1, 2, 3)) -> tuple[int, ...]:
    """`3x227x227`, `3×227×227`, `3*227*227`, `(3, 227, 227)`, `[3, 227, 227]` or `227`."""
    if isinstance(value, (list, tuple)):
        if len(value) > max(lengths):
            raise _bad(what, value, _dims_expected(lengths))
        parts = [parse_int(v, what) for v in value]
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parts = [parse_int(value, what)]
    elif isinstance(value, str):
        _check_text(value, what)
        stripped = value.strip().strip("()[]").strip()
        pieces = _DIM_SPLIT.split(stripped)
        if len(pieces) > max(lengths) or not all(re.fullmatch(r"[+-]?\d+", p) for p in pieces):
            raise _bad(what, value, _dims_expected(lengths))
        parts = [parse_int(p, what) for p in pieces]
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


LARGEST = limits.LARGEST


def parse_number(value: Any, what: str) -> Fraction:
    """An exact Fraction, within 1e-100 ≤ |x| ≤ 1e100 (or 0), so later float arithmetic cannot overflow."""
    number = _parse_number(value, what)
    if number != 0 and not (number.__class__(1, LARGEST) <= abs(number) <= LARGEST):
        raise _out_of_range(value, what)
    return number


def _out_of_range(value: Any, what: str) -> DlcalcError:
    return limits.refuse(
        f"{what}: {_short(value)} is out of range (use numbers from 1e-100 to 1e100 in size)",
        f"{what}：{_short(value)} 超出范围（数的绝对值须在 1e-100 到 1e100 之间）",
    )


def _parse_number(value: Any, what: str) -> Fraction:
    """An exact Fraction: `0.5`, `1/3`, `2`, or a YAML float such as 0.1 read back through its
    shortest decimal form (which is what the file said), so it too becomes exact.
    """
    from fractions import Fraction

    if isinstance(value, bool):
        raise _bad(what, value, "expected a number")
    if isinstance(value, int):
        if abs(value) > LARGEST:  # before Fraction: a 5,000-digit int is refused, not converted
            raise _out_of_range(value, what)
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _bad(what, value, "expected a finite number")
        return Fraction(repr(value))
    if isinstance(value, str):
        s = value.strip().replace("−", "-")
        match = _NUMBER.fullmatch(s)
        if match or _FRACTION.fullmatch(s):
            _check_numeral(s, what)
        if match:
            exponent = match.group(3)
            # 1e999999999 would make Fraction build a billion-digit power of ten: with at most
            # 100 written digits, an exponent over 400 is out of range (or the number is 0).
            if exponent is not None and abs(int(exponent[1:])) > 400:
                if not any(c in "123456789" for c in match.group(1)):
                    return Fraction(0)
                raise _out_of_range(value, what)
            return Fraction(s)
        if _FRACTION.fullmatch(s):
            p, q = s.split("/")
            if int(q) == 0:
                raise _bad(what, value, "expected a number (division by zero)")
            return Fraction(int(p), int(q))
    raise _bad(what, value, "expected a number")


def parse_vector(value: Any, what: str) -> list[Fraction]:
    """`"1, 2, 3"`, `"1 2 3"`, `[1, 2, 3]` or a single number; at most `limits.LIST` numbers."""
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, str):
        _check_text(value, what)
        s = value.strip().strip("[]()")
        items = [p for p in re.split(r"\s*,\s*|\s+", s.strip()) if p != ""]
    else:
        items = [value]
    if not items:
        raise _bad(what, value, "expected at least one number")
    at_most(what, len(items), limits.LIST, "numbers in one list", "数（单个列表）")
    if any(isinstance(v, (list, tuple, dict)) for v in items):
        raise _bad(what, value, "expected a flat list of numbers")
    return [parse_number(v, what) for v in items]


def parse_matrix(value: Any, what: str) -> list[list[Fraction]]:
    """Rows separated by `;` (`"0.1,0.2; 0.3,0.4"`) or a YAML list of rows; a bare number is 1x1.

    At most `limits.ROWS` rows of `limits.COLUMNS` numbers.
    """
    if isinstance(value, str):
        _check_text(value, what)
        at_most(what, value.count(";") + 1, limits.ROWS, "rows", "行")
        rows = [r for r in value.split(";")]
        if any(r.strip() == "" for r in rows):
            raise _bad(what, value, "expected rows like '0.1,0.2; 0.3,0.4'")
        matrix = [_row(r, what) for r in rows]
    elif isinstance(value, (list, tuple)):
        if not value:
            raise _bad(what, value, "expected at least one row")
        if all(not isinstance(r, (list, tuple)) for r in value):
            matrix = [_row(list(value), what)]
        else:
            at_most(what, len(value), limits.ROWS, "rows", "行")
            matrix = [_row(r, what) for r in value]
    else:
        matrix = [[parse_number(value, what)]]
    if len({len(r) for r in matrix}) != 1:
        lengths = [len(r) for r in matrix]
        shown = str(lengths) if len(lengths) <= 10 else f"{lengths[:10]}"[:-1] + ", …]"
        raise DlcalcError(f"{what}: rows have different lengths {shown}")
    return matrix


def _row(value: Any, what: str) -> list[Fraction]:
    if isinstance(value, (list, tuple)):
        at_most(what, len(value), limits.COLUMNS, "numbers in one row", "数（单行）")
    row = parse_vector(value, what)
    at_most(what, len(row), limits.COLUMNS, "numbers in one row", "数（单行）")
    return row


def only_keys(mapping: Mapping[str, Any], allowed: set[str], what: str) -> None:
    """Refuse a field the solver does not know, and a problem holding more than `limits.NUMBERS`
    numbers in all (every solver calls this first, so the count comes before any work)."""
    unknown = sorted((k for k in mapping if k not in allowed), key=lambda k: (type(k).__name__, str(k)))
    if unknown:
        raise DlcalcError(f"{what}: unknown field {_short(unknown[0])} (expected one of {', '.join(sorted(allowed))})")
    at_most(what, count_numbers(list(mapping.values()), limits.NUMBERS), limits.NUMBERS, "numbers in all", "数（合计）")


def count_numbers(values: Any, stop: int) -> int:
    """How many numbers a problem's values hold (a list written as text counts number by number);
    stops counting once past `stop`, so a huge input costs no more than a small one."""
    total = 0
    stack = [values]
    while stack and total <= stop:
        v = stack.pop()
        if isinstance(v, str):
            if not _NUMBERS_TEXT.fullmatch(v):
                continue
            for _ in _NUMERAL.finditer(v):
                total += 1
                if total > stop:
                    break
        elif isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif v is not None and not isinstance(v, bool):
            total += 1
    return total
