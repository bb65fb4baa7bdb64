"""Math expressions a student types (`w^2 + 3*w`, `sigmoid(w*x + b)`), read safely.

The text goes through Python's `ast` parser only for its grammar (after `^` becomes `**`), and
the tree is walked against a whitelist: numbers, names, + - * / ^ **, unary minus, and calls of
the known functions below. The walk produces a small tree of tuples exactly as the student wrote
it (`exp(log(b))` stays `exp(log(b))`), which the numeric evaluator reads with its domain
checks; the sympy expression for the steps is built from that tree node by node. The text itself
is never evaluated, sympified or passed to parse_expr.

A name directly followed by `(` is a function call, known or refused: `log10(u)` is log₁₀ u,
never `log10·u`.

The tree: ("n", Fraction) a number, ("c", "pi" | "e") a constant, ("v", name) a variable,
("+" | "-" | "*" | "/" | "^", a, b), ("neg", a), ("f", name, (args…)) a known function.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

from dlcalc.errors import DlcalcError
from dlcalc.text import T, Text

MAX_LENGTH = 500
MAX_EXPONENT = 100
MAX_DEPTH = 100
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# name → (canonical name, smallest and largest number of arguments)
FUNCTIONS: dict[str, tuple[str, int, int]] = {
    "sigmoid": ("sigmoid", 1, 1),
    "sigma": ("sigmoid", 1, 1),
    "tanh": ("tanh", 1, 1),
    "relu": ("relu", 1, 1),
    "leaky_relu": ("leaky_relu", 1, 2),
    "elu": ("elu", 1, 2),
    "softplus": ("softplus", 1, 1),
    "softsign": ("softsign", 1, 1),
    "exp": ("exp", 1, 1),
    "log": ("log", 1, 2),
    "ln": ("log", 1, 1),
    "log2": ("log2", 1, 1),
    "log10": ("log10", 1, 1),
    "sqrt": ("sqrt", 1, 1),
    "sin": ("sin", 1, 1),
    "cos": ("cos", 1, 1),
    "tan": ("tan", 1, 1),
    "sinh": ("sinh", 1, 1),
    "cosh": ("cosh", 1, 1),
    "sech": ("sech", 1, 1),
    "arctan": ("arctan", 1, 1),
    "atan": ("arctan", 1, 1),
    "abs": ("abs", 1, 1),
    "max": ("max", 2, 8),
    "min": ("min", 2, 8),
    "heaviside": ("heaviside", 1, 2),
    "sign": ("sign", 1, 1),
}
CONSTANTS = {"pi", "e"}
# a number (not inside a name such as log10 or x2) right before a name or "(": 3w, 2(x + 1); not 1e-3
_IMPLICIT_NUMBER = re.compile(
    r"(?<![A-Za-z_\d.])((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?![\d.]|[eE][+-]?\d)(?=\s*[A-Za-z_(])"
)


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺"


def _closing(text: str, i: int) -> int:
    """The index just after the bracket group that opens at text[i] == "(" (len(text) if unclosed)."""
    depth = 0
    for j in range(i, len(text)):
        depth += (text[j] == "(") - (text[j] == ")")
        if depth == 0:
            return j + 1
    return len(text)


def _atom_end(text: str, i: int) -> int:
    """The end of the operand that starts at i: a name (with its call), a number or a bracket group."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "(":
        return _closing(text, i)
    match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+\.?\d*|\.\d+").match(text, i)
    if not match:
        return i
    end = match.end()
    if match.group()[0].isalpha() or match.group()[0] == "_":
        k = end
        while k < len(text) and text[k] == " ":
            k += 1
        if k < len(text) and text[k] == "(":
            return _closing(text, k)
    return end


def unicode_math(text: str) -> str:
    """The forms students paste, in the reader's spelling: x² → x^(2), tanh²(x) → (tanh(x))^(2),
    √x → sqrt(x), √(x + 1) → sqrt(x + 1), |x| → abs(x)."""
    # a function raised to a power before its argument: tanh²(x) is tanh(x)²
    power_call = re.compile(r"([^\W\d]\w*)\s*([" + _SUPERSCRIPTS + r"]+)\s*\(")
    for _ in range(50):
        match = power_call.search(text)
        if not match:
            break
        start, open_at = match.start(), match.end() - 1
        end = _closing(text, open_at)
        power = match.group(2).translate(_SUPERSCRIPT)
        text = f"{text[:start]}({match.group(1)}{text[open_at:end]})^({power}){text[end:]}"
    text = re.sub("[" + _SUPERSCRIPTS + "]+", lambda m: f"^({m.group().translate(_SUPERSCRIPT)})", text)
    for _ in range(50):
        i = text.find("√")
        if i < 0:
            break
        end = _atom_end(text, i + 1)
        if end == i + 1:
            break
        body = text[i + 1 : end].strip()
        if body.startswith("(") and body.endswith(")") and _closing(body, 0) == len(body):
            body = body[1:-1]
        text = f"{text[:i]}sqrt({body}){text[end:]}"
    if "|" in text:
        out, depth, previous = [], 0, ""
        for ch in text:
            if ch == "|":
                opening = depth == 0 or previous in ("", "(", "+", "-", "*", "/", "^", ",", "|")
                out.append("abs(" if opening else ")")
                depth += 1 if opening else -1
                previous = "|" if opening else ")"
                continue
            out.append(ch)
            if not ch.isspace():
                previous = ch
        text = "".join(out)
    return text


def known_functions() -> str:
    return ", ".join(sorted(FUNCTIONS))


def parse_tree(text: str, what: str = "expression") -> tuple:
    """The whitelisted tree of `text`, or a DlcalcError naming what is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise DlcalcError(T("{w}: empty expression", "{w}：表达式为空").format(w=what))
    if len(text) > MAX_LENGTH:
        raise DlcalcError(f"{what}: longer than {MAX_LENGTH} characters")
    source = (
        unicode_math(text)
        .replace("−", "-")
        .replace("·", "*")
        .replace("×", "*")
        .replace("σ", "sigmoid")
        .replace("ℯ", "e")
        .replace("π", "pi")
        .replace("^", "**")
    )
    # implicit multiplication as written by hand: 3w, 2(x + 1), (a + b)(a - b), (x)2, (x)y
    source = _IMPLICIT_NUMBER.sub(r"\1*", source)
    source = re.sub(r"\)\s*(?=[(A-Za-z_\d.])", ")*", source)
    depth = deepest = 0
    for ch in source:
        depth += (ch == "(") - (ch == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise DlcalcError(f"{what}: brackets nested more than {MAX_DEPTH} levels deep")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise DlcalcError(f"{what}: cannot read {text!r} (use + - * / ^ and functions such as sigmoid(x))") from None

    def segment(node: ast.AST) -> str:
        return ast.get_source_segment(source, node) or type(node).__name__

    def build(node: ast.AST, depth: int = 0) -> tuple:
        if depth > 3 * MAX_DEPTH:
            raise DlcalcError(f"{what}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Expression):
            return build(node.body, depth + 1)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise DlcalcError(f"{what}: {segment(node)} is too large a number")
            if abs(node.value) > 10**100:
                raise DlcalcError(f"{what}: {segment(node)} is too large a number (at most 1e100)")
            from fractions import Fraction

            return ("n", Fraction(repr(node.value)) if isinstance(node.value, float) else Fraction(node.value))
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise DlcalcError(f"{what}: {node.id} is a function; write {node.id}(…)")
            if node.id in CONSTANTS:
                return ("c", node.id)
            if node.id.startswith("_"):
                raise DlcalcError(f"{what}: name {node.id!r} is not allowed")
            return ("v", node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = build(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return inner
            return ("n", -inner[1]) if inner[0] == "n" else ("neg", inner)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            a, b = build(node.left, depth + 1), build(node.right, depth + 1)
            op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}[type(node.op)]
            if op == "/" and b == ("n", 0):
                raise DlcalcError(f"{what}: division by zero")
            if op == "^" and b[0] == "n":
                if abs(b[1]) > MAX_EXPONENT:
                    raise DlcalcError(f"{what}: exponent {b[1]} is too large (at most {MAX_EXPONENT})")
                if a[0] == "n" and a[1] != 0 and abs(float(b[1])) * abs(math.log10(abs(a[1]))) > 300:
                    raise DlcalcError(f"{what}: {a[1]}^{b[1]} is too large a number")
                if a == ("n", 0) and b[1] < 0:
                    raise DlcalcError(f"{what}: division by zero (0 to a negative power)")
            out: tuple = (op, a, b)
            if op == "^" and is_constant(out):
                _check_constant(out, what)
            return out
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else segment(node.func)
            if name not in FUNCTIONS or not isinstance(node.func, ast.Name):
                raise DlcalcError(
                    T(
                        "{w}: unknown function {n!r} (known: {k})",
                        "{w}：未知函数 {n!r}（已知：{k}）",
                    ).format(w=what, n=name, k=known_functions())
                )
            if node.keywords:
                raise DlcalcError(f"{what}: {name}(…) takes no keyword arguments")
            canonical, low, high = FUNCTIONS[name]
            if not low <= len(node.args) <= high:
                count = str(low) if low == high else f"{low} or {high}"
                raise DlcalcError(f"{what}: {name} takes {count} argument(s), got {len(node.args)}")
            args = tuple(build(a, depth + 1) for a in node.args)
            if canonical in ("leaky_relu", "elu") and len(args) == 2 and not is_constant(args[1]):
                raise DlcalcError(f"{what}: the second argument of {name} must be a number")
            if canonical == "heaviside" and len(args) == 2 and not is_constant(args[1]):
                raise DlcalcError(f"{what}: the second argument of heaviside (its value at 0) must be a number")
            if canonical == "log" and len(args) == 2 and not is_constant(args[1]):
                raise DlcalcError(f"{what}: the base of log(x, b) must be a number")
            out = ("f", canonical, args)
            if is_constant(out):
                _check_constant(out, what)
            return out
        raise DlcalcError(
            f"{what}: {segment(node)!r} is not allowed (only numbers, names, + - * / ^ and known functions)"
        )

    try:
        return build(tree)
    except RecursionError:
        raise DlcalcError(f"{what}: nested too deeply") from None


def _check_constant(node: tuple, what: str) -> None:
    """A constant part such as exp(exp(exp(exp(100)))) or log(-1) has a finite real value in float64,
    or the expression is refused: sympy would otherwise try to work it out exactly."""
    from dlcalc.solvers.symbolic import Undefined, evaluate_tree, tree_text

    try:
        evaluate_tree(node, {})
    except Undefined as e:
        if e.overflow:
            raise DlcalcError(f"{what}: {tree_text(node)} overflows (larger than 1.8e308)") from None
        shown = tree_text(node)
        raise DlcalcError(
            Text(f"{what}: {shown} is undefined ({e.reason.en})", f"{what}：{shown} 无定义（{e.reason.zh}）")
        ) from None


def is_constant(node: tuple) -> bool:
    """No variable anywhere below."""
    if node[0] == "v":
        return False
    if node[0] in ("n", "c"):
        return True
    if node[0] == "f":
        return all(is_constant(a) for a in node[2])
    return all(is_constant(a) for a in node[1:])


def variables(node: tuple) -> set[str]:
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n[0] == "v":
            out.add(n[1])
        elif n[0] == "f":
            stack.extend(n[2])
        elif n[0] not in ("n", "c"):
            stack.extend(n[1:])
    return out


def to_sympy(node: tuple) -> Any:
    """The sympy expression of a tree (sympy's own automatic simplification applies here)."""
    import sympy

    from dlcalc.solvers import symbolic as s
    from dlcalc.solvers.symbolic import tree_text

    memo: dict[int, Any] = {}

    def build(n: tuple) -> Any:
        key = id(n)
        if key in memo:
            return memo[key]
        kind = n[0]
        if kind == "n":
            v = n[1]
            out = sympy.Integer(v.numerator) if v.denominator == 1 else sympy.Rational(v.numerator, v.denominator)
        elif kind == "c":
            out = sympy.pi if n[1] == "pi" else sympy.E
        elif kind == "v":
            out = sympy.Symbol(n[1], real=True)
        elif kind == "neg":
            out = -build(n[1])
        elif kind == "f":
            args = [build(a) for a in n[2]]
            if any(a.has(sympy.zoo, sympy.nan) for a in args):
                raise DlcalcError(f"expression: {tree_text(n)} has no real value (an argument is infinite)")
            try:
                out = s.FUNCTION_BUILDERS[n[1]](*args)
            except (ValueError, TypeError) as e:  # sympy's Max/Min compare numbers it cannot order
                raise DlcalcError(f"expression: cannot build {n[1]}(…): {e}") from None
        else:
            a, b = build(n[1]), build(n[2])
            if kind == "+":
                out = a + b
            elif kind == "-":
                out = a - b
            elif kind == "*":
                out = a * b
            elif kind == "/":
                out = a / b
            else:
                if a.is_number and b.is_number and a != 0:
                    magnitude = 0.0
                    try:  # sized numerically: sympy's log of a number it cannot size may be complex
                        magnitude = abs(float(b)) * abs(math.log10(abs(complex(a.evalf(20)))))
                    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                        pass
                    if magnitude > 300:
                        raise DlcalcError(f"expression: {a}^{b} is too large a number")
                out = a**b
        memo[key] = out
        return out

    return build(node)


def parse_expression(text: str, what: str = "expression") -> Any:
    """A sympy expression for `text`, or a DlcalcError naming what is not allowed."""
    import sympy

    expr = to_sympy(parse_tree(text, what))
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise DlcalcError(f"{what}: {text!r} is undefined (it reduces to {expr})")
    return expr


def parse_assignments(text: str, what: str = "--at") -> dict[str, Any]:
    """`x=1, w=0.5` → {x: 1, w: 1/2} with exact values (sympy numbers)."""
    import sympy

    from dlcalc.solvers.symbolic import Undefined, evaluate_tree

    values: dict[str, Any] = {}
    for part in [p for p in re.split(r"[,;]", text or "") if p.strip()]:
        if "=" not in part:
            raise DlcalcError(f"{what}: expected name=value, got {part.strip()!r}")
        name, value = (s.strip() for s in part.split("=", 1))
        if not NAME.fullmatch(name) or name.startswith("_"):
            raise DlcalcError(f"{what}: {name!r} is not a variable name")
        if name in FUNCTIONS or name in CONSTANTS:
            raise DlcalcError(f"{what}: {name!r} is a function or constant, not a variable")
        tree = parse_tree(value, f"{what} {name}")
        if variables(tree):
            raise DlcalcError(f"{what}: the value of {name} must be a number, got {value!r}")
        try:
            approx = evaluate_tree(tree, {})
        except Undefined as e:
            raise DlcalcError(
                Text(
                    f"{what}: {name}={value} is not a number ({e.reason.en})",
                    f"{what}：{name}={value} 不是数（{e.reason.zh}）",
                )
            ) from None
        if approx != 0 and not (1e-15 <= abs(approx) <= 1e15):
            raise DlcalcError(f"{what}: {name}={value} is out of range (use values from 1e-15 to 1e15 in size)")
        number = to_sympy(tree)
        if not number.is_real:
            raise DlcalcError(f"{what}: the value of {name} must be a real number, got {value!r}")
        values[name] = sympy.nsimplify(number) if number.is_Float else number
    return values
