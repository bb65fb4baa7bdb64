"""The functions of the expression language: sympy classes for the steps, and a numeric evaluator.

sympy side: the deep-learning functions sympy lacks (σ, ReLU, softplus, leaky ReLU, ELU,
softsign, log to a base), with the derivatives a student writes: σ'(z) = σ(z)(1 - σ(z)), ReLU'
= H(z) (the unit step), softplus' = σ. Their printers accept sympy's `exp=` (a power of the
function) and every other keyword the printers pass, in text and in LaTeX.

Numeric side: `Program` reads the parsed tree exactly as the student wrote it (sympy's rewriting
of exp(log(b)) into b never applies) and computes a value and its reverse-mode gradient in
float64 with domain checks (log of a non-positive number, square root of a negative one, division
by zero, a negative base to a fractional power) and overflow detection. It is compiled once into
a flat list of operations, so an optimizer's 10,000 steps or a claim's 25 sample points cost a
loop over that list each, never a symbolic evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from dlcalc.text import T, Text

# ---------------------------------------------------------------------------------------------
# sympy classes


class _Named(sympy.Function):
    """A function printed as students write it: name(args) in text, \\name(args) in LaTeX."""

    text_name = ""
    latex_name = ""

    def _args_text(self, printer) -> list[str]:
        return [printer._print(a) for a in self.args]

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_evalf(self, prec):
        written = expand_special(self)
        if written == self:
            return None
        return written.evalf(prec)

    def _latex(self, printer, exp=None, **kwargs):
        args = ", ".join(printer._print(a) for a in self.args)
        head = self.latex_name + (f"^{{{exp}}}" if exp is not None else "")
        return rf"{head}\left({args}\right)"

    def _sympystr(self, printer, **kwargs):
        return f"{self.text_name}({', '.join(self._args_text(printer))})"


def _known_sign(z) -> int | None:
    """+1, 0 or -1 for a rational number (relu(0), leaky_relu(-2) are worked out); None otherwise."""
    if isinstance(z, sympy.Rational):
        return int(bool(z > 0)) - int(bool(z < 0))
    return None


class sigmoid(_Named):  # noqa: N801  (named as students write it)
    """σ(z) = 1/(1 + e^-z)."""

    text_name, latex_name = "σ", r"\sigma"

    def fdiff(self, argindex: int = 1):
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + sympy.exp(-z))

    def _eval_evalf(self, prec):
        return (1 / (1 + sympy.exp(-self.args[0]))).evalf(prec)


class relu(_Named):  # noqa: N801
    """max(0, z)."""

    text_name, latex_name = "relu", r"\operatorname{ReLU}"

    @classmethod
    def eval(cls, z):
        sign = _known_sign(z)
        if sign is not None:  # relu(0) = 0, relu(-1) = 0: a 0 that 0^1.5 can use
            return z if sign > 0 else sympy.Integer(0)
        return None

    def fdiff(self, argindex: int = 1):
        return sympy.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, z, **kwargs):
        return sympy.Max(0, z)

    def _eval_evalf(self, prec):
        return sympy.Max(0, self.args[0]).evalf(prec)


class softplus(_Named):  # noqa: N801
    """ln(1 + e^z)."""

    text_name, latex_name = "softplus", r"\operatorname{softplus}"

    def fdiff(self, argindex: int = 1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_log(self, z, **kwargs):
        return sympy.log(1 + sympy.exp(z))

    def _eval_evalf(self, prec):
        return sympy.log(1 + sympy.exp(self.args[0])).evalf(prec)


class leaky_relu(_Named):  # noqa: N801
    """z for z > 0, slope·z otherwise (torch's default slope 0.01)."""

    text_name, latex_name = "leaky_relu", r"\operatorname{LeakyReLU}"

    @classmethod
    def eval(cls, z, slope):
        sign = _known_sign(z)
        if sign is not None and slope.is_number:
            return z if sign > 0 else slope * z
        return None

    def fdiff(self, argindex: int = 1):
        h = sympy.Heaviside(self.args[0], 0)
        return h + self.args[1] * (1 - h)

    def _eval_rewrite_as_Max(self, z, slope, **kwargs):
        return sympy.Max(0, z) + slope * sympy.Min(0, z)

    def _args_text(self, printer) -> list[str]:
        return [printer._print(self.args[0])] + (
            [printer._print(self.args[1])] if self.args[1] != sympy.Rational(1, 100) else []
        )


class elu(_Named):  # noqa: N801
    """z for z > 0, α·(e^z - 1) otherwise (α = 1 by default)."""

    text_name, latex_name = "elu", r"\operatorname{ELU}"

    @classmethod
    def eval(cls, z, alpha):
        sign = _known_sign(z)
        if sign is not None and alpha.is_number:
            return z if sign > 0 else alpha * (sympy.exp(z) - 1)
        return None

    def fdiff(self, argindex: int = 1):
        z, alpha = self.args
        h = sympy.Heaviside(z, 0)
        return h + alpha * sympy.exp(z) * (1 - h)

    def _eval_rewrite_as_Max(self, z, alpha, **kwargs):
        return sympy.Max(0, z) + alpha * (sympy.exp(sympy.Min(0, z)) - 1)

    def _args_text(self, printer) -> list[str]:
        return [printer._print(self.args[0])] + ([printer._print(self.args[1])] if self.args[1] != 1 else [])


class softsign(_Named):  # noqa: N801
    """z/(1 + |z|)."""

    text_name, latex_name = "softsign", r"\operatorname{softsign}"

    def fdiff(self, argindex: int = 1):
        return 1 / (1 + sympy.Abs(self.args[0])) ** 2

    def _eval_rewrite_as_Abs(self, z, **kwargs):
        return z / (1 + sympy.Abs(z))


class logb(_Named):  # noqa: N801
    """log_b(z) = ln z / ln b, for a number b (log2, log10, log(z, b))."""

    @classmethod
    def eval(cls, z, b):
        if z.is_zero:  # as sympy's log(0): infinite, so `log(w - w, 3)` is refused like `log(w - w)`
            return sympy.zoo
        return None

    def fdiff(self, argindex: int = 1):
        return 1 / (self.args[0] * sympy.log(self.args[1]))

    def _eval_rewrite_as_log(self, z, b, **kwargs):
        return sympy.log(z) / sympy.log(b)

    def _eval_evalf(self, prec):
        return (sympy.log(self.args[0]) / sympy.log(self.args[1])).evalf(prec)

    def _latex(self, printer, exp=None, **kwargs):
        head = rf"\log_{{{printer._print(self.args[1])}}}" + (f"^{{{exp}}}" if exp is not None else "")
        return rf"{head}\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer, **kwargs):
        z, b = self.args
        if b in (2, 10):
            return f"log{b}({printer._print(z)})"
        return f"log({printer._print(z)}, {printer._print(b)})"


def _log(z, b=None):
    return sympy.log(z) if b is None else logb(z, b)


FUNCTION_BUILDERS = {
    "sigmoid": sigmoid,
    "tanh": sympy.tanh,
    "relu": relu,
    "leaky_relu": lambda z, s=sympy.Rational(1, 100): leaky_relu(z, s),
    "elu": lambda z, a=sympy.Integer(1): elu(z, a),
    "softplus": softplus,
    "softsign": softsign,
    "exp": sympy.exp,
    "log": _log,
    "log2": lambda z: logb(z, 2),
    "log10": lambda z: logb(z, 10),
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "sech": sympy.sech,
    "arctan": sympy.atan,
    "abs": sympy.Abs,
    "max": sympy.Max,
    "min": sympy.Min,
    "heaviside": lambda z, h=sympy.Integer(0): sympy.Heaviside(z, h),
    "sign": sympy.sign,
}


def expand_special(expr):
    """The same expression with our functions written out, for sympy's own checks."""
    return (
        expr.rewrite(sigmoid, sympy.exp)
        .rewrite(softplus, sympy.log)
        .rewrite(logb, sympy.log)
        .rewrite(softsign, sympy.Abs)
        .rewrite(relu, sympy.Max)
        .rewrite(leaky_relu, sympy.Max)
        .rewrite(elu, sympy.Max)
    )


class StudentPrinter(StrPrinter):
    """sympy's text printer, but every name it prints is one the expression reader accepts."""

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr):
        z, h = expr.args if len(expr.args) == 2 else (expr.args[0], sympy.S.Half)
        return f"heaviside({self._print(z)})" if h == 0 else f"heaviside({self._print(z)}, {self._print(h)})"

    def _print_Max(self, expr):
        return f"max({', '.join(self._print(a) for a in expr.args)})"

    def _print_Min(self, expr):
        return f"min({', '.join(self._print(a) for a in expr.args)})"

    def _print_Exp1(self, expr):
        return "e"

    def _print_atan(self, expr):
        return f"arctan({self._print(expr.args[0])})"


_PRINTER = StudentPrinter({"order": None})


class StudentLatexPrinter(LatexPrinter):
    """sympy's LaTeX, with H(u) for the unit step and max/min as operators."""

    def _print_Heaviside(self, expr, exp=None):
        z, h = expr.args if len(expr.args) == 2 else (expr.args[0], sympy.S.Half)
        head = "H" if exp is None else f"H^{{{exp}}}"
        inner = self._print(z) if h == 0 else f"{self._print(z)}, {self._print(h)}"
        return rf"{head}\left({inner}\right)"

    def _print_atan(self, expr, exp=None):
        head = r"\arctan" if exp is None else rf"\arctan^{{{exp}}}"
        return rf"{head}{{\left({self._print(expr.args[0])} \right)}}"

    def _print_Max(self, expr, exp=None):
        body = rf"\max\left({', '.join(self._print(a) for a in expr.args)}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"

    def _print_Min(self, expr, exp=None):
        body = rf"\min\left({', '.join(self._print(a) for a in expr.args)}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


_LATEX = StudentLatexPrinter()
_LATEX_DOT = StudentLatexPrinter({"mul_symbol": "dot"})


def latex(expr: Any, dot: bool = False) -> str:
    """LaTeX of an expression; `dot` writes every product with \\cdot (for numbers side by side)."""
    return (_LATEX_DOT if dot else _LATEX).doprint(expr)


def show(expr: Any) -> str:
    """Text with ^ for powers and only names the reader accepts, as students type them."""
    return _PRINTER.doprint(expr).replace("**", "^")


# ---------------------------------------------------------------------------------------------
# numeric evaluation of the parsed tree


class Undefined(Exception):
    """The expression (or its derivative) has no real value here; `reason` says why, bilingual."""

    def __init__(self, reason: Text, overflow: bool = False):
        super().__init__(reason.en)
        self.reason = reason
        self.overflow = overflow


def tree_text(node: tuple) -> str:
    """A parsed tree written back as text (for messages)."""
    kind = node[0]
    if kind == "n":
        v = node[1]
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    if kind in ("c", "v"):
        return node[1]
    if kind == "neg":
        return f"-({tree_text(node[1])})" if node[1][0] not in ("n", "c", "v", "f") else f"-{tree_text(node[1])}"
    if kind == "f":
        return f"{node[1]}({', '.join(tree_text(a) for a in node[2])})"
    a, b = node[1], node[2]

    def wrap(x):
        return tree_text(x) if x[0] in ("n", "c", "v", "f") and not (x[0] == "n" and x[1] < 0) else f"({tree_text(x)})"

    return f"{wrap(a)} {kind} {wrap(b)}" if kind in "+-" else f"{wrap(a)}{'^' if kind == '^' else kind}{wrap(b)}"


def _fmt(x: float) -> str:
    return f"{float(x):.6g}"


class _Float:
    """float64 arithmetic with math's functions; overflow becomes Undefined(overflow=True)."""

    inf_check = staticmethod(math.isfinite)
    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    sin, cos, tan = staticmethod(math.sin), staticmethod(math.cos), staticmethod(math.tan)
    sinh, cosh, tanh = staticmethod(math.sinh), staticmethod(math.cosh), staticmethod(math.tanh)
    atan = staticmethod(math.atan)
    expm1 = staticmethod(math.expm1)
    log1p = staticmethod(math.log1p)
    pi, e = math.pi, math.e

    @staticmethod
    def num(v) -> float:
        return float(v)

    @staticmethod
    def sigmoid(x):
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)


class _Mp:
    """mpmath (the caller sets the precision with mpmath.workdps), to confirm what float64 found."""

    exp: Any  # set in __init__ (mpmath.exp, bounded)

    def __init__(self):
        import mpmath

        self.m = mpmath
        for name in ("log", "sqrt", "sin", "cos", "tan", "tanh", "atan", "log1p"):
            setattr(self, name, getattr(mpmath, name))
        for name in ("exp", "sinh", "cosh", "expm1"):  # e^(10^30) has 4·10^29 digits: beyond any use
            setattr(self, name, self._bounded(getattr(mpmath, name)))

    @staticmethod
    def _bounded(f):
        def g(x):
            if abs(x) > 1e30:
                raise OverflowError
            return f(x)

        return g

    @property
    def pi(self):
        return self.m.pi

    @property
    def e(self):
        return self.m.e

    def inf_check(self, x) -> bool:
        return bool(self.m.isfinite(x))

    def num(self, v):
        from fractions import Fraction

        if isinstance(v, Fraction):
            return self.m.mpf(v.numerator) / v.denominator
        return self.m.mpf(v)

    def sigmoid(self, x):
        return 1 / (1 + self.exp(-x))


FLOAT = _Float()


def _is_int(x) -> bool:
    return float(x).is_integer() if abs(x) < 1e300 else True


class Program:
    """A parsed tree flattened into operations: value and gradient by one loop each."""

    def __init__(self, tree: tuple):
        from dlcalc.parse.expr import is_constant

        self.ops: list[tuple] = []  # (kind, payload, argument indices, tree node, depends on a variable)
        index: dict[int, int] = {}
        stack: list[tuple[tuple, bool]] = [(tree, False)]
        while stack:  # post-order without recursion: deep trees never hit the recursion limit
            node, ready = stack.pop()
            if id(node) in index:
                continue
            kind = node[0]
            children = node[2] if kind == "f" else (node[1:] if kind not in ("n", "c", "v") else ())
            if not ready:
                stack.append((node, True))
                stack.extend((c, False) for c in reversed(children))
                continue
            args = tuple(index[id(c)] for c in children)
            varying = kind == "v" or any(self.ops[i][4] for i in args)
            payload = node[1] if kind in ("n", "c", "v", "f") else None
            if kind == "n":
                payload = node[1]
            self.ops.append((kind, payload, args, node, varying))
            index[id(node)] = len(self.ops) - 1
        self.names = sorted({op[1] for op in self.ops if op[0] == "v"})
        self.constant = is_constant(tree)

    # -- forward --------------------------------------------------------------------------------
    def values(self, env: Mapping[str, Any], B: Any = FLOAT) -> list:
        vals: list = []
        for kind, payload, args, node, _ in self.ops:
            try:
                v = self._forward(kind, payload, [vals[i] for i in args], env, B)
            except OverflowError:
                raise Undefined(T("overflows in {e}", "{e} 溢出").format(e=tree_text(node)), overflow=True) from None
            except ZeroDivisionError:
                raise Undefined(T("division by zero in {e}", "{e} 中除以零").format(e=tree_text(node))) from None
            if not B.inf_check(v):
                raise Undefined(T("overflows in {e}", "{e} 溢出").format(e=tree_text(node)), overflow=True)
            vals.append(v)
        return vals

    def value(self, env: Mapping[str, Any], B: Any = FLOAT):
        return self.values(env, B)[-1]

    def _forward(self, kind, payload, a, env, B):
        if kind == "n":
            return B.num(payload)
        if kind == "c":
            return B.pi if payload == "pi" else B.e
        if kind == "v":
            if payload not in env:
                raise Undefined(T("no value for {v}", "{v} 没有给出数值").format(v=payload))
            return B.num(env[payload])
        if kind == "+":
            return a[0] + a[1]
        if kind == "-":
            return a[0] - a[1]
        if kind == "*":
            return a[0] * a[1]
        if kind == "neg":
            return -a[0]
        if kind == "/":
            if a[1] == 0:
                raise ZeroDivisionError
            return a[0] / a[1]
        if kind == "^":
            x, y = a
            if x == 0 and y < 0:
                raise ZeroDivisionError
            if x < 0 and not _is_int(y):
                raise Undefined(
                    T(
                        "a negative number to a fractional power ({x}^{y})",
                        "负数的非整数次幂（{x}^{y}）",
                    ).format(x=f"({_fmt(x)})", y=_fmt(y))
                )
            if x == 0:
                return B.num(0) if y > 0 else B.num(1)
            if B is FLOAT and y * math.log(abs(x)) > 709.7:
                raise OverflowError
            return x**y
        return self._function(payload, a, B)

    @staticmethod
    def _function(name, a, B):
        x = a[0]

        def need(ok: bool, en: str, zh: str):
            if not ok:
                raise Undefined(T(en, zh).format(f=name, x=_fmt(x)))

        if name == "sigmoid":
            return B.sigmoid(x)
        if name == "tanh":
            return B.tanh(x)
        if name == "relu":
            return x if x > 0 else x * 0
        if name == "leaky_relu":
            return x if x > 0 else x * (a[1] if len(a) > 1 else B.num(0.01) if B is FLOAT else B.num(1) / 100)
        if name == "elu":
            alpha = a[1] if len(a) > 1 else B.num(1)
            return x if x > 0 else alpha * B.expm1(x)
        if name == "softplus":
            return (x if x > 0 else x * 0) + B.log1p(B.exp(-abs(x)))
        if name == "softsign":
            return x / (1 + abs(x))
        if name == "exp":
            return B.exp(x)
        if name in ("log", "log2", "log10"):
            need(x > 0, "{f} needs a positive number, got {x}", "{f} 的自变量须为正数，实际为 {x}")
            base = {"log2": 2, "log10": 10}.get(name, a[1] if len(a) > 1 else None)
            if base is None:
                return B.log(x)
            base = B.num(base)
            if not (base > 0 and base != 1):
                raise Undefined(
                    T("log base {b} must be positive and not 1", "对数的底 {b} 须为正数且不等于 1").format(b=_fmt(base))
                )
            return B.log(x) / B.log(base)
        if name == "sqrt":
            need(x >= 0, "sqrt of a negative number ({x})", "负数开平方（{x}）")
            return B.sqrt(x)
        if name == "sin":
            return B.sin(x)
        if name == "cos":
            return B.cos(x)
        if name == "tan":
            c = B.cos(x)
            need(c != 0, "tan is undefined at {x}", "tan 在 {x} 处无定义")
            return B.sin(x) / c
        if name == "sinh":
            return B.sinh(x)
        if name == "cosh":
            return B.cosh(x)
        if name == "sech":
            t = B.exp(-abs(x))
            return 2 * t / (1 + t * t)
        if name == "arctan":
            return B.atan(x)
        if name == "abs":
            return abs(x)
        if name == "max":
            return max(a)
        if name == "min":
            return min(a)
        if name == "heaviside":
            return B.num(1) if x > 0 else (a[1] if len(a) > 1 else B.num(0)) if x == 0 else B.num(0)
        if name == "sign":
            return B.num((x > 0) - (x < 0))
        raise ValueError(f"no numeric form for {name}")

    # -- backward -------------------------------------------------------------------------------
    def gradient(self, env: Mapping[str, Any], B: Any = FLOAT) -> tuple[Any, dict[str, Any]]:
        """The value and ∂/∂name for every variable (reverse mode, one pass back)."""
        vals = self.values(env, B)
        adj: list = [0] * len(self.ops)
        adj[-1] = B.num(1)
        grads = {n: B.num(0) for n in self.names}
        for i in range(len(self.ops) - 1, -1, -1):
            kind, payload, args, node, varying = self.ops[i]
            g = adj[i]
            if not varying or (g == 0 and kind != "v"):
                continue
            if kind == "v":
                grads[payload] = grads[payload] + g
                continue
            a = [vals[j] for j in args]
            try:
                partials = self._partials(kind, payload, a, vals[i], [self.ops[j][4] for j in args], B)
            except OverflowError:
                raise Undefined(
                    T("the derivative overflows in {e}", "{e} 的导数溢出").format(e=tree_text(node)), overflow=True
                ) from None
            except (ZeroDivisionError, ValueError):
                partials = None
            if partials is None:
                raise Undefined(
                    T("the derivative of {e} is undefined here", "{e} 的导数在此处无定义").format(e=tree_text(node))
                )
            for j, p in zip(args, partials):
                if self.ops[j][4] and p != 0:
                    adj[j] = adj[j] + g * p
                    if not B.inf_check(adj[j]):
                        raise Undefined(
                            T("the derivative overflows in {e}", "{e} 的导数溢出").format(e=tree_text(node)),
                            overflow=True,
                        )
        return vals[-1], grads

    @staticmethod
    def _partials(kind, name, a, out, varying, B):
        if kind == "+":
            return (1, 1)
        if kind == "-":
            return (1, -1)
        if kind == "*":
            return (a[1], a[0])
        if kind == "neg":
            return (-1,)
        if kind == "/":
            return (1 / a[1], -a[0] / (a[1] * a[1]))
        if kind == "^":
            x, y = a
            dx = dy = 0
            if varying[0]:
                if x == 0 and y < 1 and y != 0:
                    return None
                dx = y * x ** (y - 1) if y != 0 else 0
            if varying[1]:
                if x == 0 and y > 0:
                    dy = 0  # 0^v is 0 for every v > 0: constant near this point
                elif x <= 0:
                    return None
                else:
                    dy = out * B.log(x)
            return (dx, dy)
        x = a[0]
        if name == "sigmoid":
            return (out * (1 - out),)
        if name == "tanh":
            return (1 - out * out,)
        if name == "relu":
            return (1 if x > 0 else 0,)
        if name == "leaky_relu":
            return (1 if x > 0 else (a[1] if len(a) > 1 else B.num(0.01) if B is FLOAT else B.num(1) / 100), 0)
        if name == "elu":
            alpha = a[1] if len(a) > 1 else B.num(1)
            return (1 if x > 0 else alpha * B.exp(x), 0)
        if name == "softplus":
            return (B.sigmoid(x),)
        if name == "softsign":
            return (1 / ((1 + abs(x)) ** 2),)
        if name == "exp":
            return (out,)
        if name == "log":
            return (1 / (x * B.log(a[1])), 0) if len(a) > 1 else (1 / x,)
        if name in ("log2", "log10"):
            return (1 / (x * B.log(B.num(2 if name == "log2" else 10))),)
        if name == "sqrt":
            if x == 0:
                return None
            return (1 / (2 * out),)
        if name == "sin":
            return (B.cos(x),)
        if name == "cos":
            return (-B.sin(x),)
        if name == "tan":
            return (1 + out * out,)
        if name == "sinh":
            return (B.cosh(x),)
        if name == "cosh":
            return (B.sinh(x),)
        if name == "sech":
            return (-out * B.tanh(x),)
        if name == "arctan":
            return (1 / (1 + x * x),)
        if name == "abs":
            return ((x > 0) - (x < 0),)  # sign(0) = 0, as torch
        if name in ("max", "min"):
            best = max(a) if name == "max" else min(a)
            ties = sum(1 for v in a if v == best)
            return tuple(B.num(1) / ties if v == best else 0 for v in a)  # a tie splits it, as torch.maximum
        if name in ("heaviside", "sign"):
            return (0,) * len(a)
        raise ValueError(name)


def compile_tree(tree: tuple) -> Program:
    return Program(tree)


def evaluate_tree(tree: tuple, env: dict[str, Any], B: Any = FLOAT):
    return Program(tree).value(env, B)


def mp_backend() -> Any:
    return _Mp()


# ---------------------------------------------------------------------------------------------
# a budget for symbolic work


class OverBudget(Exception):
    """A symbolic step would take longer than its budget: fall back to the numeric verdict."""


def node_count(expr: Any, limit: int = 10**6) -> int:
    """How many nodes sympy's tree has (counted up to `limit`)."""
    n = 0
    for _ in sympy.preorder_traversal(expr):
        n += 1
        if n >= limit:
            break
    return n


_DEADLINE: list = [None]  # the end of the current deadline block (time.monotonic), if any


def scaled(seconds: float) -> float:
    """A time budget times DLCALC_BUDGET_SCALE (default 1): a slow or busy machine may give symbolic
    work longer, and the README's examples are re-run with a generous scale so they read the same
    on any machine."""
    import os

    try:
        scale = float(os.environ.get("DLCALC_BUDGET_SCALE", "1") or 1)
    except ValueError:
        scale = 1.0
    return seconds * min(max(scale, 0.01), 1000.0)


class deadline:  # noqa: N801
    """`with deadline(2.0): …` caps the total of every budget inside the block (the outermost wins)."""

    def __init__(self, seconds: float):
        self.seconds = scaled(seconds)
        self.owner = False

    def __enter__(self):
        import time

        if _DEADLINE[0] is None:
            _DEADLINE[0] = time.monotonic() + self.seconds
            self.owner = True
        return self

    def __exit__(self, *exc):
        if self.owner:
            _DEADLINE[0] = None
        return False


class budget:  # noqa: N801
    """`with budget(1.0): …` raises OverBudget after about that many seconds (main thread, POSIX);
    elsewhere it does nothing, and the size limits the callers check bound the work instead.
    The exception is swallowed at the end of the block: a caller sees that no result was set.
    Nested budgets keep the outer deadline."""

    def __init__(self, seconds: float):
        self.seconds = scaled(seconds)
        self.armed = False

    def __enter__(self):
        import signal
        import threading
        import time

        if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
            return self
        seconds = self.seconds
        if _DEADLINE[0] is not None:
            seconds = max(min(seconds, _DEADLINE[0] - time.monotonic()), 0.001)
        self.outer = signal.getitimer(signal.ITIMER_REAL)[0]
        if self.outer and self.outer <= seconds:
            return self  # the enclosing budget ends first: it stays in charge
        self.started = time.monotonic()
        self.previous = signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        self.armed = True
        return self

    @staticmethod
    def _fire(signum, frame):
        raise OverBudget()

    def __exit__(self, *exc):
        import signal
        import time

        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
            if self.outer:
                left = self.outer - (time.monotonic() - self.started)
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
        return exc[0] is OverBudget and self.armed


def evaluate_sympy(expr: Any, env: dict[str, float]) -> float:
    """A float value of a sympy tree (ours or sympy.diff's), walking its nodes; ValueError where it
    has none (a domain error, an overflow, a function without a numeric form)."""
    memo: dict[Any, float] = {}

    def ev(e: Any) -> float:
        if e in memo:
            return memo[e]
        if e.is_Symbol:
            out = float(env[e.name])
        elif e.is_Number or e in (sympy.pi, sympy.E):
            out = float(e)
        else:
            a = [ev(x) for x in e.args]
            if e.is_Add:
                out = math.fsum(a)
            elif e.is_Mul:
                out = 1.0
                for x in a:
                    out *= x
            elif e.is_Pow:
                x, y = a
                if x == 0 and y < 0 or x < 0 and not float(y).is_integer():
                    raise ValueError("domain")
                out = x**y
            else:
                name = {
                    sympy.tanh: "tanh",
                    sympy.exp: "exp",
                    sympy.log: "log",
                    sympy.sin: "sin",
                    sympy.cos: "cos",
                    sympy.tan: "tan",
                    sympy.sinh: "sinh",
                    sympy.cosh: "cosh",
                    sympy.sech: "sech",
                    sympy.atan: "arctan",
                    sympy.Abs: "abs",
                    sympy.Max: "max",
                    sympy.Min: "min",
                    sympy.sign: "sign",
                    sympy.Heaviside: "heaviside",
                    sigmoid: "sigmoid",
                    relu: "relu",
                    softplus: "softplus",
                    leaky_relu: "leaky_relu",
                    elu: "elu",
                    softsign: "softsign",
                }.get(e.func)
                if e.func is logb:
                    name, a = "log", a
                if e.func in (sympy.Max, sympy.Min) and len(a) > 2:
                    out = (max if e.func is sympy.Max else min)(a)
                elif e.func in (sympy.sec, sympy.csc, sympy.cot, sympy.coth, sympy.csch):
                    f = {
                        sympy.sec: math.cos,
                        sympy.csc: math.sin,
                        sympy.cot: math.tan,
                        sympy.coth: math.tanh,
                        sympy.csch: math.sinh,
                    }[e.func]
                    d = f(a[0])
                    if d == 0:
                        raise ValueError("domain")
                    out = 1 / d
                elif name is None:
                    raise ValueError(f"no numeric form for {e.func}")
                else:
                    try:
                        out = Program._function(name, a, FLOAT)
                    except Undefined:
                        raise ValueError("domain") from None
            if not math.isfinite(out):
                raise ValueError("overflow")
        memo[e] = out
        return out

    try:
        return ev(expr)
    except (OverflowError, ZeroDivisionError, TypeError, RecursionError):
        raise ValueError("no value") from None
