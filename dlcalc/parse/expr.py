"""Math expressions a student types (`w^2 + 3*w`, `sigmoid(w*x + b)`), built into sympy safely.

The text goes through Python's `ast` parser only for its grammar (after `^` becomes `**`), and
the tree is walked against a whitelist: numbers, names, + - * / ^ **, unary minus, and calls of
the known functions below. The sympy expression is built node by node; the text itself is never
evaluated, sympified or passed to parse_expr.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

from dlcalc.errors import DlcalcError
from dlcalc.parse import ARITHMETIC

MAX_LENGTH = 500
MAX_EXPONENT = 100
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _functions() -> dict[str, Any]:
    import sympy

    from dlcalc.solvers.symbolic import relu, sigmoid, softplus

    return {
        "sigmoid": sigmoid,
        "sigma": sigmoid,
        "σ": sigmoid,
        "tanh": sympy.tanh,
        "relu": relu,
        "softplus": softplus,
        "exp": sympy.exp,
        "log": sympy.log,
        "ln": sympy.log,
        "sqrt": sympy.sqrt,
        "sin": sympy.sin,
        "cos": sympy.cos,
        "abs": sympy.Abs,
    }


CONSTANTS = {"pi", "e"}


def parse_expression(text: str, what: str = "expression") -> Any:
    """A sympy expression for `text`, or a DlcalcError naming what is not allowed."""
    import sympy

    if not isinstance(text, str) or not text.strip():
        raise DlcalcError(f"{what}: empty expression")
    if len(text) > MAX_LENGTH:
        raise DlcalcError(f"{what}: longer than {MAX_LENGTH} characters")
    source = text.replace("^", "**")
    # implicit multiplication as written by hand: 3w, 2(x + 1), (a + b)(a - b); not 1e-3
    source = re.sub(r"(\d)(?![eE][+-]?\d)(?=[A-Za-z_(])", r"\1*", source)
    source = (
        re.sub(r"\)\s*(?=[(A-Za-z_\d])", ")*", source)
        .replace("−", "-")
        .replace("·", "*")
        .replace("×", "*")
        .replace("σ", "sigmoid")
    )
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        raise DlcalcError(f"{what}: cannot read {text!r} (use + - * / ^ and functions such as sigmoid(x))") from None
    functions = _functions()

    def segment(node: ast.AST) -> str:
        return ast.get_source_segment(source, node) or type(node).__name__

    def build(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise DlcalcError(f"{what}: {segment(node)} is too large a number")
            if abs(node.value) > 10**100:
                raise DlcalcError(f"{what}: {segment(node)} is too large a number (at most 1e100)")
            return sympy.Rational(repr(node.value)) if isinstance(node.value, float) else sympy.Integer(node.value)
        if isinstance(node, ast.Name):
            if node.id in functions:
                raise DlcalcError(f"{what}: {node.id} is a function; write {node.id}(…)")
            if node.id == "pi":
                return sympy.pi
            if node.id == "e":
                return sympy.E
            if node.id.startswith("_"):
                raise DlcalcError(f"{what}: name {node.id!r} is not allowed")
            return sympy.Symbol(node.id, real=True)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = build(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and isinstance(node.op, (*ARITHMETIC, ast.Pow)):
            a, b = build(node.left), build(node.right)
            if isinstance(node.op, ast.Div) and b == 0:
                raise DlcalcError(f"{what}: division by zero")
            if type(node.op) in ARITHMETIC:
                return ARITHMETIC[type(node.op)](a, b)
            if isinstance(node.op, ast.Pow):
                if b.is_number and abs(b) > MAX_EXPONENT:
                    raise DlcalcError(f"{what}: exponent {b} is too large (at most {MAX_EXPONENT})")
                if a.is_number and b.is_number and a != 0 and abs(float(b)) * abs(float(sympy.log(abs(a), 10))) > 300:
                    raise DlcalcError(f"{what}: {a}^{b} is too large a number")
                return a**b
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            fn = functions.get(node.func.id)
            if fn is None:
                known = ", ".join(sorted(k for k in functions if k.isascii()))
                raise DlcalcError(f"{what}: unknown function {node.func.id!r} (known: {known})")
            if len(node.args) != 1:
                raise DlcalcError(f"{what}: {node.func.id} takes one argument")
            return fn(build(node.args[0]))
        raise DlcalcError(
            f"{what}: {segment(node)!r} is not allowed (only numbers, names, + - * / ^ and known functions)"
        )

    expr = build(tree)
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise DlcalcError(f"{what}: {text!r} is undefined (it reduces to {expr})")
    return expr


def parse_assignments(text: str, what: str = "--at") -> dict[str, Any]:
    """`x=1, w=0.5` → {x: 1, w: 1/2} with exact values."""
    import sympy

    values: dict[str, Any] = {}
    for part in [p for p in re.split(r"[,;]", text or "") if p.strip()]:
        if "=" not in part:
            raise DlcalcError(f"{what}: expected name=value, got {part.strip()!r}")
        name, value = (s.strip() for s in part.split("=", 1))
        if not NAME.fullmatch(name) or name.startswith("_"):
            raise DlcalcError(f"{what}: {name!r} is not a variable name")
        number = parse_expression(value, f"{what} {name}")
        if not number.is_number:
            raise DlcalcError(f"{what}: the value of {name} must be a number, got {value!r}")
        if number != 0 and not (sympy.Rational(1, 10**15) <= abs(number) <= 10**15):
            raise DlcalcError(f"{what}: {name}={value} is out of range (use values from 1e-15 to 1e15 in size)")
        values[name] = sympy.nsimplify(number) if number.is_Float else number
    return values
