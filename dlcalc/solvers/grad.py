"""Differentiate a typed expression with every rule named, the way a step-by-step calculator does.

The rules: constant, identity, sum, constant multiple, product (u·v)' = u'v + uv', quotient
(u/v)' = (u'v - uv')/v², power (uⁿ)' = n·uⁿ⁻¹·u', exponential, logarithm (any base), the known
derivatives of every function the reader accepts (σ' = σ(1 - σ), tanh' = 1 - tanh², ReLU' = H,
sinh, cosh, sech, tan, arctan, leaky ReLU, ELU, softsign, max/min …) and the chain rule
f(u)' = f'(u)·u'. The result of the steps is compared with sympy's own derivative at sample
points on every run, so a bug in the step printer can never reach a student.

Numbers never come from sympy's simplified form: the value at --at and the verdict on a --claim
are computed on the expression exactly as typed (`symbolic.Program`, float64 with domain and
overflow checks), so a point where the function is undefined is reported as such, a claim is
judged at sample points first (a counterexample ends it) and symbolic equivalence is only tried
afterwards, under a time and size budget.
"""

from __future__ import annotations

import functools
import math
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse.expr import CONSTANTS, FUNCTIONS, NAME, parse_assignments, parse_tree, to_sympy, variables
from dlcalc.result import Result, Step
from dlcalc.solvers import symbolic as S
from dlcalc.solvers.symbolic import show
from dlcalc.text import T, Text

FIELDS = {"expr", "wrt", "at", "claim"}
SIMPLIFY_NODES = 300  # larger derivatives are shown as the rules produced them
SYMBOLIC_STEPS_SECONDS = 2.0  # all symbolic work of one answer; beyond it the numbers stand alone
READING_SECONDS = 1.0  # sympy taking in the expression and the claim (it simplifies as it builds)
SUMMARY_NODES = 4000  # a derivative larger than this is not printed in full
FORMULA_NODES = 250  # a formula in a step larger than this is printed with its depths elided
SYMBOLIC_SECONDS = 1.0  # the budget for proving a claim symbolically after it passed every sample point
CLAIM_POINTS = 25


@dataclass(frozen=True)
class GradSpec:
    expr: Any
    wrt: Any
    at: dict
    claim: Any | None
    text: str
    claim_text: str | None
    tree: tuple = ("n", 0)
    claim_tree: tuple | None = None


SOLVER = Solver(
    name="grad",
    help=T(
        "Differentiate step by step, naming each rule; check a hand-derived derivative with --claim.",
        "逐步求导并写出每条法则；用 --claim 检查手算的导数。",
    ),
    example='dlcalc grad "sigmoid(w*x + b)" --wrt w --at "w=0.5, x=1, b=0"',
    inputs=(
        Input(
            "expr",
            help=T(
                'The function, e.g. "sigmoid(w*x + b)" (^ or ** for powers).',
                '函数，例如 "sigmoid(w*x + b)"（乘方用 ^ 或 **）。',
            ),
            positional=True,
            required=True,
            metavar="EXPR",
        ),
        Input("wrt", help=T("The variable to differentiate by.", "求导变量。"), metavar="NAME"),
        Input(
            "at",
            help=T('Where to evaluate, e.g. "x=1, w=0.5".', '求值点，例如 "x=1, w=0.5"。'),
            metavar="NAME=NUMBER,…",
        ),
        Input(
            "claim",
            help=T(
                "Your own derivative: dlcalc says whether it is right (exit 1 if not).",
                "你自己求的导数：dlcalc 判断是否正确（错误时退出码为 1）。",
            ),
            metavar="EXPR",
        ),
    ),
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> GradSpec:
    from dlcalc.parse import only_keys

    only_keys(inputs, FIELDS, "grad")
    text = inputs.get("expr")
    if text is None or not str(text).strip():
        raise DlcalcError('grad: the expression is missing, e.g. dlcalc grad "sigmoid(w*x + b)" --wrt w')
    tree = parse_tree(str(text))
    found = sorted(variables(tree))
    wrt_name = str(inputs.get("wrt") or "").strip()
    if not wrt_name:
        if len(found) != 1:
            raise DlcalcError(
                T(
                    "--wrt: name the variable to differentiate by (the expression has {v})",
                    "--wrt：请指定求导变量（表达式中的变量：{v}）",
                )
                .format(v=", ".join(found) or "none")
                .en
            )
        wrt_name = found[0]
    if not NAME.fullmatch(wrt_name) or wrt_name.startswith("_") or wrt_name in FUNCTIONS or wrt_name in CONSTANTS:
        raise DlcalcError(f"--wrt: {wrt_name!r} is not a variable name (a letter, then letters, digits or _)")
    if wrt_name not in found:
        raise DlcalcError(
            f"--wrt: {wrt_name} does not occur in the expression"
            + (f" (its variables: {', '.join(found)})" if found else " (it has no variables)")
        )
    with S.deadline(READING_SECONDS):
        expr = sympy_of(tree)
    if _undefined(expr):
        raise DlcalcError(f"expression: {text!r} has no real value (it reduces to {show(expr)})")
    at = parse_assignments(str(inputs.get("at") or ""))
    claim_text = inputs.get("claim")
    claim_tree = claim = None
    if claim_text is not None and str(claim_text).strip() != "":
        claim_tree = parse_tree(str(claim_text), "--claim")
        with S.deadline(READING_SECONDS):
            claim = sympy_of(claim_tree)
        if _undefined(claim):
            raise DlcalcError(f"--claim: {claim_text!r} has no real value (it reduces to {show(claim)})")
    known = set(found) | (variables(claim_tree) if claim_tree is not None else set())
    stray = sorted(set(at) - known)
    if stray:  # almost always a typo: a value for a name the expression never uses would be ignored
        raise DlcalcError(
            T(
                "--at: {s} does not occur in the expression (its variables: {v})",
                "--at：表达式中没有 {s}（其变量为：{v}）",
            ).format(s=", ".join(stray), v=", ".join(found) or "none")
        )
    return GradSpec(
        expr,
        sympy.Symbol(wrt_name, real=True),
        at,
        claim,
        str(text),
        None if claim_tree is None else str(claim_text),
        tree,
        claim_tree,
    )


# ---------------------------------------------------------------------------------------------
# formulas, printed only when a renderer asks (a generated quiz question never prints most steps)

_PREC = {"Add": m.ADD, "Mul": m.MUL, "Pow": m.POW}


class Lazy:
    """A formula computed on first use: `text`, `latex` and `prec`, as mathfmt.Math has."""

    __slots__ = ("_make", "_math")

    def __init__(self, make):
        self._make = make
        self._math = None

    def _get(self) -> m.Math:
        if self._math is None:
            self._math = self._make()
        return self._math

    @property
    def math(self) -> m.Math:
        """The formula itself, made now: for building a larger one from it (vec, +, …)."""
        return self._get()

    @property
    def text(self) -> str:
        return self._get().text

    @property
    def latex(self) -> str:
        return self._get().latex

    @property
    def prec(self) -> int:
        return self._get().prec

    def __str__(self) -> str:
        return self.text


def _fits(expr: Any, limit: int) -> bool:
    return S.node_count(expr, limit + 1) <= limit


def _elided(expr: Any, depth: int) -> Any:
    """The expression with everything deeper than `depth` written as …"""
    if depth == 0 and expr.args:
        return sympy.Symbol("…")
    if not expr.args:
        return expr
    with sympy.evaluate(False):
        return expr.func(*[_elided(a, depth - 1) for a in expr.args])


def as_math(expr: Any, dot: bool = False) -> m.Math:
    """A sympy expression as a formula, its precedence from its top node (a leading minus adds).
    A formula too large to read (a chain 70 functions deep) is printed to a few levels, the rest …"""
    if not _fits(expr, FORMULA_NODES):
        expr = _elided(expr, 4)
    text, latex = show(expr), S.latex(expr, dot)
    if text.startswith("-") or isinstance(expr, sympy.Rational) and not expr.is_Integer:
        prec = m.ADD if text.startswith("-") else m.MUL
    elif expr.is_Add:
        prec = m.ADD
    elif expr.is_Mul:
        prec = m.MUL
    elif expr.is_Pow:
        prec = m.POW
    else:
        prec = m.ATOM
    return m.Math(text, latex, prec)


def _e(expr: Any) -> Lazy:
    return Lazy(lambda: as_math(expr))


def _d_math(expr: Any, x: Any) -> m.Math:
    inner = as_math(expr)
    return m.ddx(m.sym(str(x), S.latex(x)), inner)


def _d(expr: Any, x: Any) -> Lazy:
    return Lazy(lambda: _d_math(expr, x))


def _times(*factors: Any) -> Lazy:
    """f₁·f₂·… with each factor parenthesized by its precedence, the same in text and LaTeX."""

    def one(f: Any) -> m.Math:
        if isinstance(f, Lazy):
            return f._get()
        return f if isinstance(f, m.Math) else as_math(f)

    def make() -> m.Math:
        out = one(factors[0])
        for f in factors[1:]:
            out = out * one(f)
        return out

    return Lazy(make)


# ---------------------------------------------------------------------------------------------
# the rules


def _h(u):
    return sympy.Heaviside(u, 0)


KNOWN = {
    S.sigmoid: (
        T("known derivative σ'(u) = σ(u)(1 - σ(u))", "已知导数 σ'(u) = σ(u)(1 - σ(u))"),
        lambda u: S.sigmoid(u) * (1 - S.sigmoid(u)),
    ),
    sympy.tanh: (
        T("known derivative tanh'(u) = 1 - tanh²(u)", "已知导数 tanh'(u) = 1 - tanh²(u)"),
        lambda u: 1 - sympy.tanh(u) ** 2,
    ),
    S.relu: (
        T("known derivative ReLU'(u) = H(u), the unit step", "已知导数 ReLU'(u) = H(u)（单位阶跃）"),
        lambda u: _h(u),
    ),
    S.softplus: (T("known derivative softplus'(u) = σ(u)", "已知导数 softplus'(u) = σ(u)"), lambda u: S.sigmoid(u)),
    S.softsign: (
        T("known derivative softsign'(u) = 1/(1 + |u|)²", "已知导数 softsign'(u) = 1/(1 + |u|)²"),
        lambda u: 1 / (1 + sympy.Abs(u)) ** 2,
    ),
    sympy.exp: (T("exponential: (e^u)' = e^u", "指数函数：(e^u)' = e^u"), lambda u: sympy.exp(u)),
    sympy.log: (T("logarithm: (ln u)' = 1/u", "对数：(ln u)' = 1/u"), lambda u: 1 / u),
    sympy.sin: (T("(sin u)' = cos u", "(sin u)' = cos u"), lambda u: sympy.cos(u)),
    sympy.cos: (T("(cos u)' = -sin u", "(cos u)' = -sin u"), lambda u: -sympy.sin(u)),
    sympy.tan: (
        T("(tan u)' = 1 + tan²(u) = sec²(u)", "(tan u)' = 1 + tan²(u) = sec²(u)"),
        lambda u: 1 + sympy.tan(u) ** 2,
    ),
    sympy.sinh: (T("(sinh u)' = cosh u", "(sinh u)' = cosh u"), lambda u: sympy.cosh(u)),
    sympy.cosh: (T("(cosh u)' = sinh u", "(cosh u)' = sinh u"), lambda u: sympy.sinh(u)),
    sympy.sech: (
        T("(sech u)' = -sech(u)·tanh(u)", "(sech u)' = -sech(u)·tanh(u)"),
        lambda u: -sympy.sech(u) * sympy.tanh(u),
    ),
    sympy.atan: (T("(arctan u)' = 1/(1 + u²)", "(arctan u)' = 1/(1 + u²)"), lambda u: 1 / (1 + u**2)),
    sympy.Abs: (T("(|u|)' = sign(u)", "(|u|)' = sign(u)"), lambda u: sympy.sign(u)),
    sympy.sign: (T("sign'(u) = 0 (u ≠ 0)", "sign'(u) = 0（u ≠ 0）"), lambda u: sympy.Integer(0)),
}
# functions with a number as their second argument: the rule reads that number
KNOWN_WITH_PARAMETER = {
    S.leaky_relu: (
        T(
            "known derivative leaky_relu'(u) = 1 for u > 0, else the slope a",
            "已知导数 leaky_relu'(u)：u > 0 时为 1，否则为斜率 a",
        ),
        lambda u, a: _h(u) + a * (1 - _h(u)),
    ),
    S.elu: (
        T("known derivative elu'(u) = 1 for u > 0, else α·e^u", "已知导数 elu'(u)：u > 0 时为 1，否则为 α·e^u"),
        lambda u, a: _h(u) + a * sympy.exp(u) * (1 - _h(u)),
    ),
    S.logb: (
        T("logarithm to base b: (log_b u)' = 1/(u·ln b)", "以 b 为底的对数：(log_b u)' = 1/(u·ln b)"),
        lambda u, b: 1 / (u * sympy.log(b)),
    ),
    sympy.Heaviside: (T("H'(u) = 0 (u ≠ 0)", "H'(u) = 0（u ≠ 0）"), lambda u, h: sympy.Integer(0)),
}


class NoRule(Exception):
    """A node the rules do not cover (sympy may rewrite into atan2, re, im …)."""


class StepPrinter:
    def __init__(self, x: Any):
        self.x = x
        self.steps: list[Step] = []

    def add(self, label, expr, *chain) -> None:
        self.steps.append(Step(label, _d(expr, self.x), [c if isinstance(c, Lazy) else _e(c) for c in chain]))  # type: ignore[arg-type, misc]  # Lazy is a duck-typed Math

    def diff(self, f: Any) -> Any:
        """f' by the rule its top node calls for, each rule's step recorded (inner derivatives first)."""
        x = self.x
        if not f.has(x):
            return sympy.Integer(0)
        if f == x:
            return sympy.Integer(1)
        if f.is_Add:
            return self._sum(f)
        if f.is_Mul:
            return self._product(f)
        if f.is_Pow:
            return self._power(f)
        if f.func in (sympy.Max, sympy.Min):
            return self._extremum(f)
        return self._function(f)

    def _sum(self, f: Any) -> Any:
        """Sum rule: term by term."""
        x = self.x
        parts = [self.diff(a) for a in f.args]
        result = sympy.Add(*parts)
        terms = f.args
        self.add(
            T("sum rule: differentiate term by term", "和法则：逐项求导"),
            f,
            Lazy(lambda: m.total([_d_math(a, x) for a in terms], limit=len(terms))),
            result,
        )
        return result

    def _product(self, f: Any) -> Any:
        """A constant multiple, the quotient rule, or the product rule."""
        x = self.x
        const = sympy.Mul(*[a for a in f.args if not a.has(x)])
        rest = sympy.Mul(*[a for a in f.args if a.has(x)])
        if const != 1:
            inner = self.diff(rest)
            result = const * inner
            self.add(
                T("constant multiple: (c·u)' = c·u'", "常数倍：(c·u)' = c·u'"),
                f,
                _times(const, _d(rest, x)),
                _times(const, inner),
                result,
            )
            return result
        num, den = sympy.fraction(rest)
        if den != 1 and den.has(x):
            du, dv = self.diff(num), self.diff(den)
            result = (du * den - num * dv) / den**2

            def quotient() -> m.Math:
                top = as_math(du) * as_math(den) - as_math(num) * as_math(dv)
                return m.frac(top, as_math(den) ** 2)

            self.add(
                T("quotient rule: (u/v)' = (u'v - uv')/v²", "商法则：(u/v)' = (u'v - uv')/v²"),
                f,
                Lazy(quotient),
                result,
            )
            return result
        u, v = rest.args[0], sympy.Mul(*rest.args[1:])
        du, dv = self.diff(u), self.diff(v)
        result = du * v + u * dv
        self.add(
            T("product rule: (u·v)' = u'v + uv'", "积法则：(u·v)' = u'v + uv'"),
            f,
            Lazy(lambda: as_math(du) * as_math(v) + as_math(u) * as_math(dv)),
            result,
        )
        return result

    def _power(self, f: Any) -> Any:
        """uⁿ (power rule), a^u (exponential), 0^u, or u^v in general."""
        x = self.x
        base, exp = f.args
        if not exp.has(x):
            du = self.diff(base)
            result = exp * base ** (exp - 1) * du
            label = (
                T("power rule: (uⁿ)' = n·uⁿ⁻¹·u'", "幂法则：(uⁿ)' = n·uⁿ⁻¹·u'")
                if base != x
                else T("power rule: (xⁿ)' = n·xⁿ⁻¹", "幂法则：(xⁿ)' = n·xⁿ⁻¹")
            )
            power = Lazy(lambda: as_math(base) ** as_math(exp - 1) if exp != 2 else as_math(base))
            chain = _times(exp, power, du) if base != x else _times(exp, power)
            self.add(label, f, chain, result)
            return result
        if base == 0:  # 0^u is 0 wherever it is defined (u > 0): a constant there
            result = sympy.Integer(0)
            self.add(T("0^u = 0 for every u > 0: a constant", "当 u > 0 时 0^u = 0：为常数"), f, result)
            return result
        if not base.has(x):
            du = self.diff(exp)
            result = f * sympy.log(base) * du
            self.add(
                T("exponential: (a^u)' = a^u·ln a·u'", "指数：(a^u)' = a^u·ln a·u'"),
                f,
                _times(f, sympy.log(base), du),
                result,
            )
            return result
        du, dv = self.diff(base), self.diff(exp)
        result = f * (dv * sympy.log(base) + exp * du / base)
        self.add(
            T("general power: (u^v)' = u^v·(v' ln u + v·u'/u)", "一般幂：(u^v)' = u^v·(v' ln u + v·u'/u)"),
            f,
            _times(f, dv * sympy.log(base) + exp * du / base),
            result,
        )
        return result

    def _extremum(self, f: Any) -> Any:
        """max/min: the derivative of the argument that wins."""
        # the argument that is largest (smallest) carries the derivative: H(a_i - max(others))·a_i'
        result = sympy.Integer(0)
        for i, a in enumerate(f.args):
            others = f.func(*(f.args[:i] + f.args[i + 1 :]))
            gap = a - others if f.func is sympy.Max else others - a
            result += sympy.Heaviside(gap) * self.diff(a)
        rule = (
            T(
                "max(u, v)' = u' where u > v, v' where v > u (half each at a tie, as torch.maximum)",
                "max(u, v)' 在 u > v 处为 u'，v > u 处为 v'（相等时各取一半，与 torch.maximum 一致）",
            )
            if f.func is sympy.Max
            else T(
                "min(u, v)' = u' where u < v, v' where v < u (half each at a tie, as torch.minimum)",
                "min(u, v)' 在 u < v 处为 u'，v < u 处为 v'（相等时各取一半，与 torch.minimum 一致）",
            )
        )
        self.add(rule, f, result)
        return result

    def _function(self, f: Any) -> Any:
        """A known function of u (σ, tanh, ln, …): its derivative, times u' by the chain rule."""
        x = self.x
        rule_of: Callable[[Any], Any] | None = None
        if f.func in KNOWN and len(f.args) == 1:
            label, rule_of = KNOWN[f.func]
        elif f.func in KNOWN_WITH_PARAMETER and len(f.args) == 2 and not f.args[1].has(x):
            label, rule2 = KNOWN_WITH_PARAMETER[f.func]
            param = f.args[1]

            def rule_with_param(u, rule2=rule2, param=param):
                return rule2(u, param)

            rule_of = rule_with_param

        if rule_of is not None:
            u = f.args[0]
            outer = rule_of(u)
            if u == x:
                self.add(label, f, outer)
                return outer
            du = self.diff(u)
            # sympy's product sorts its factors by comparing whole trees: for a deep chain keep it as written
            big = S.node_count(du, 101) > 100
            result = sympy.Mul(outer, du, evaluate=False) if big else outer * du
            self.add(
                T("chain rule: f(u)' = f'(u)·u', with ", "链式法则：f(u)' = f'(u)·u'，其中 ") + label,
                f,
                _times(outer, du),
                result,
            )
            return result
        raise NoRule(show(f))


# ---------------------------------------------------------------------------------------------
# numbers on the expression as typed


@functools.lru_cache(maxsize=256)
def program(tree: tuple) -> S.Program:
    return S.compile_tree(tree)


def _floats(point: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in point.items()}


def _where(point: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{k} = {_number_text(v) if isinstance(v, sympy.Basic) else m.fmt_number(float(v), 9)}"
        for k, v in point.items()
    )


def derivative_at(tree: tuple, wrt: str, point: Mapping[str, Any], backend: Any = S.FLOAT):
    """d(tree)/d(wrt) at the point, on the expression as typed (raises symbolic.Undefined)."""
    _, grads = program(tree).gradient(point if backend is not S.FLOAT else _floats(point), backend)
    return grads.get(wrt, 0)


PRECISIONS = (30, 120, 600, 3000, 12000)  # digits tried, in turn, when float64 finds no value
PRECISION_SECONDS = 1.5  # no higher precision is started after this long


def precise_derivative_at(tree: tuple, wrt: str, point: Mapping[str, Any]) -> float:
    """d(tree)/d(wrt) at the point as a float, undefined only where it truly is.

    float64 first; where it finds no value (1 - σ(40) rounds to 0 and its log is "undefined"; σ(-750)
    underflows; an intermediate overflows) the same expression is worked out again at 30, 120, 600,
    3000 and 12000 digits (while under 1.5 s) with the exact inputs (mpmath's exponent range is unbounded). The first precision
    that finds a value gives it; undefined only when every one fails. An answer beyond float64
    overflows."""
    try:
        return float(derivative_at(tree, wrt, point))
    except S.Undefined as first:
        original = first
    import time

    import mpmath

    backend = S.mp_backend()
    started = time.monotonic()
    for dps in PRECISIONS:
        if time.monotonic() - started > S.scaled(PRECISION_SECONDS):
            break
        try:
            with mpmath.workdps(dps):
                exact = {k: _mp_number(v) for k, v in point.items()}
                value = derivative_at(tree, wrt, exact, backend)
        except (S.Undefined, ValueError, ZeroDivisionError, OverflowError, TypeError):
            continue
        try:
            out = float(value)
        except (OverflowError, ValueError):
            out = math.inf
        if not math.isfinite(out):
            raise S.Undefined(
                T("the derivative is {v}, beyond float64", "导数为 {v}，超出 float64").format(v=mpmath.nstr(value, 6)),
                overflow=True,
            )
        return out
    raise original


def _mp_number(v: Any) -> Any:
    import mpmath

    if isinstance(v, sympy.Rational):
        return mpmath.mpf(int(v.p)) / int(v.q)
    if isinstance(v, sympy.Basic):
        return mpmath.mpf(str(v.evalf(mpmath.mp.dps + 5)))
    return mpmath.mpf(v)


def judge_claim(spec: GradSpec, derivative: Any = None, seed: int = 7) -> dict[str, Any]:
    """Sample points first (a confirmed counterexample ends it), then symbolic under a budget.

    The points (`sampling.compare`) cover several scales and both sides of every breakpoint of a
    piecewise function in the expression or the claim; agreement is re-checked at 50 digits.

    Returns {"equivalent": True/False/None, "how": "symbolic" | "points" | None, "checked": n,
    "breakpoints": k, "proof": "proved" | "budget" | "unproven" | "constant" | None,
    "counterexample": {...}?}.
    """
    from dlcalc.solvers import sampling

    assert spec.claim_tree is not None  # only a --claim is judged
    names = sorted(variables(spec.tree) | variables(spec.claim_tree))
    wrt = spec.wrt.name
    claim = program(spec.claim_tree)

    def reference(point, backend):
        return derivative_at(spec.tree, wrt, point, backend)

    def candidate(point, backend):
        return claim.value(point, backend)

    verdict = sampling.compare(reference, candidate, [spec.tree, spec.claim_tree], names, seed, CLAIM_POINTS)
    checked, kinks = verdict["checked"], verdict["breakpoints"]
    out: dict[str, Any] = {"checked": checked, "breakpoints": kinks}
    if verdict["equivalent"] is False:
        return {**out, "equivalent": False, "how": "points", "counterexample": verdict["counterexample"]}
    proof, constant = _symbolic_zero(spec, derivative)
    if proof == "proved":
        return {**out, "equivalent": True, "how": "symbolic", "proof": proof}
    if proof == "constant":  # derivative − claim is a nonzero number: wrong everywhere
        return {**out, "equivalent": False, "how": "symbolic", "proof": proof, "difference": constant}
    if checked:
        return {**out, "equivalent": True, "how": "points", "proof": proof}
    return {**out, "equivalent": None, "how": None, "proof": proof}


def _symbolic_zero(spec: GradSpec, derivative: Any) -> tuple[str | None, Any]:
    """sympy on derivative − claim, within the node and time budget: ("proved", None) when it is 0,
    ("constant", c) when it is a nonzero number c, ("budget", None) when the budget ran out or the
    difference is too large to try, ("unproven", None) when sympy finished without a proof, and
    (None, None) when there is no symbolic derivative to compare with."""
    if derivative is None or spec.claim is None:
        return None, None
    difference = S.expand_special(derivative - spec.claim)
    if S.node_count(difference, SIMPLIFY_NODES + 1) > SIMPLIFY_NODES:
        return "budget", None
    outcome = None
    with S.budget(SYMBOLIC_SECONDS):
        outcome = difference if difference == 0 else sympy.simplify(difference)
    if outcome is None:
        return "budget", None
    if outcome == 0:
        return "proved", None
    if outcome.is_number and not outcome.free_symbols:
        value = None
        with S.budget(0.3):
            value = complex(outcome.evalf(30))
        if value is not None and value.imag == 0 and value.real != 0:
            return "constant", outcome
    return "unproven", None


def _differ_precisely(ours: Any, tree: tuple, wrt: str, env: dict[str, float]) -> bool:
    """float64 saw a difference: 40 digits decide (a deep composition can lose float64's digits)."""
    import mpmath

    try:
        with mpmath.workdps(40):
            b = derivative_at(tree, wrt, {k: mpmath.mpf(v) for k, v in env.items()}, S.mp_backend())
        with S.budget(1.0):
            point = {sympy.Symbol(k, real=True): sympy.Float(v, 40) for k, v in env.items()}
            a = complex(S.expand_special(ours).xreplace(point).evalf(40))
            return abs(a.imag) < 1e-20 and abs(a.real - float(b)) > 1e-12 * (1 + abs(a.real))
    except (S.Undefined, ValueError, TypeError, ZeroDivisionError, OverflowError):
        pass
    return False


def _agrees_with_numeric_gradient(ours: Any, tree: tuple, wrt: str, seed: int = 1) -> bool:
    """The rules' result == the reverse-mode gradient of the expression as typed, at every sample
    point where both have a real value (an independent computation: no sympy in it)."""
    rng = random.Random(seed)
    names = sorted(variables(tree))
    checked = 0
    for _ in range(40):
        env = {n: rng.randint(-300, 300) / 100 + 0.001 for n in names}
        try:
            a = S.evaluate_sympy(ours, env)
            b = derivative_at(tree, wrt, env)
        except (ValueError, S.Undefined):
            continue
        if abs(a - b) > 1e-7 * (1 + abs(a) + abs(b)) and _differ_precisely(ours, tree, wrt, env):
            return False
        checked += 1
        if checked >= 6:
            break
    return True


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Symbolic:
    """What the rules produce for one expression and variable (cached: a quiz asks the same forms)."""

    steps: tuple
    derivative: Any  # None when the rules ran out of budget
    expression_text: str
    derivative_text: str | None
    derivative_latex: str | None
    why: Any = None  # a note when there are no steps


@functools.lru_cache(maxsize=512)
def sympy_of(tree: tuple) -> Any:
    """sympy's form of the tree, or None when building it (sympy simplifies as it builds) runs out of
    budget: then only the numbers, which never need it, are given."""
    out = None
    with S.budget(READING_SECONDS):
        out = to_sympy(tree)
    return out


@functools.lru_cache(maxsize=512)
def _undefined(expr: Any) -> bool:
    """Infinite, undefined or never real (sympy writes the square root of a negative with I)."""
    return expr is not None and bool(expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I))


@functools.lru_cache(maxsize=256)
def symbolic(tree: tuple, wrt_name: str) -> Symbolic:
    expr, wrt = sympy_of(tree), sympy.Symbol(wrt_name, real=True)
    if expr is None:
        from dlcalc.solvers.symbolic import tree_text

        return Symbolic(
            (),
            None,
            tree_text(tree),
            None,
            None,
            T(
                "sympy could not take in the expression within the budget ({s} s): the value and any claim are judged numerically",
                "sympy 在预算（{s} 秒）内无法处理该表达式：数值与结论由数值计算判定",
            ).format(s=SYMBOLIC_STEPS_SECONDS),
        )
    printer = StepPrinter(wrt)
    ours = None
    why = T(
        "the symbolic derivative is beyond the budget ({s} s): the value and any claim are judged numerically",
        "符号求导超出预算（{s} 秒）：数值与结论由数值计算判定",
    ).format(s=SYMBOLIC_STEPS_SECONDS)
    try:
        with S.budget(SYMBOLIC_STEPS_SECONDS):
            ours = printer.diff(expr)
    except NoRule as e:  # sympy rewrote the expression into a form without a textbook rule
        why = T(
            "no textbook rule for {f} (sympy's form of the expression): the value and any claim are judged numerically",
            "{f}（sympy 化简后的形式）没有教科书规则：数值与结论由数值计算判定",
        ).format(f=e.args[0])
    if ours is not None and not _agrees_with_numeric_gradient(ours, tree, wrt_name):
        if os.environ.get("DLCALC_DEBUG"):
            raise RuntimeError(f"step printer disagrees with the numeric gradient on d/d{wrt}[{show(expr)}]")
        ours = None  # never shown: a bug in the rules cannot reach a student
        why = T(
            "the symbolic steps could not be confirmed numerically, so they are not shown: the value is numeric",
            "符号步骤未能通过数值核对，故不显示：数值由数值计算给出",
        )
    if ours is None:
        return Symbolic((), None, show(expr), None, None, why)
    derivative = ours
    if S.node_count(ours, SIMPLIFY_NODES + 1) <= SIMPLIFY_NODES:
        with S.budget(0.5):
            derivative = sympy.factor_terms(ours)
        if derivative.has(sympy.I):  # factoring pulled √-1 out of √(-w² - 1): keep the real form
            derivative = ours
    steps = printer.steps or [Step(T("constant", "常数"), _d(expr, wrt), [_e(derivative)])]  # type: ignore[arg-type, list-item]  # Lazy is a duck-typed Math
    shown = _fits(derivative, SUMMARY_NODES)
    return Symbolic(
        tuple(steps),
        derivative,
        show(expr),
        show(derivative) if shown else None,
        S.latex(derivative) if shown else None,
    )


def solve(spec: GradSpec) -> Result:
    with S.deadline(SYMBOLIC_STEPS_SECONDS):
        return _solve(spec)


def _solve(spec: GradSpec) -> Result:
    sym = symbolic(spec.tree, spec.wrt.name)
    derivative = sym.derivative
    steps = list(sym.steps)
    notes: list = []
    if derivative is None:
        notes.append(sym.why)
    value = None
    status = None
    answer: dict[str, Any] = {
        "expression": sym.expression_text,
        "wrt": spec.wrt.name,
        "derivative": sym.derivative_text,
        "derivative_latex": sym.derivative_latex,
        "value": None,
        "equivalent": None,
    }
    summary = [
        (T("Function", "函数"), sym.expression_text),
        (
            T("Derivative", "导数"),
            f"d/d{spec.wrt} = {sym.derivative_text}"
            if sym.derivative_text is not None
            else T("too large to print (beyond the symbolic budget)", "过大，不予打印（超出符号计算预算）"),
        ),
    ]
    if spec.at:
        value, status = _value_at(spec, derivative, steps, notes)
        answer["value"] = value
        if status is not None:
            answer["value_status"] = status[0]
            summary.append((T("Value", "数值"), status[1]))
        elif value is not None:
            summary.append((T("Value", "数值"), m.fmt_number(value, 12)))
    if spec.claim_tree is not None:
        summary.append((T("Your claim", "你的结果"), _claim_verdict(spec, derivative, answer)))
    return Result("grad", T("Derivative", "导数"), answer, summary, steps, notes=notes, spec=spec)


def _claim_verdict(spec: GradSpec, derivative: Any, answer: dict[str, Any]) -> Text:
    """--claim judged: right (and how it was shown), wrong (where, or by which constant), or undecided."""
    verdict = judge_claim(spec, derivative)
    answer["equivalent"] = verdict["equivalent"]
    answer["claim"] = spec.claim_text
    answer["claim_verified_by"] = verdict["how"]
    answer["claim_points"] = verdict["checked"]
    answer["claim_breakpoints"] = verdict.get("breakpoints", 0)
    where = verdict.get("counterexample")
    if where is not None:
        answer["counterexample"] = where
        text = T(
            "WRONG: at {pt} the derivative is {a} but your expression gives {b}",
            "错误：在 {pt} 处导数为 {a}，而你的表达式为 {b}",
        ).format(
            pt=_where(where["point"]),
            a=m.fmt_number(where["correct"], 9),
            b=m.fmt_number(where["claimed"], 9),
        )
        if "difference" in where:  # equal to 9 digits: say by how much they differ
            text = text + T(" (they differ by {d})", "（两者相差 {d}）").format(d=m.fmt_number(where["difference"], 6))
        return text
    elif verdict["equivalent"] is False:  # sympy: derivative − claim is a nonzero constant
        answer["difference"] = show(verdict["difference"])
        return T(
            "WRONG: the derivative minus your expression is the constant {d}, not 0",
            "错误：导数减去你的表达式等于常数 {d}，而不是 0",
        ).format(d=show(verdict["difference"]))
    elif verdict["equivalent"]:
        kinks = verdict.get("breakpoints", 0)
        sides = (
            T(
                ", incl. both sides of each breakpoint ({k} found)", "，包括每个分段点两侧的点（共 {k} 个分段点）"
            ).format(k=kinks)
            if kinks
            else T("", "")
        )
        if verdict["how"] == "symbolic":
            how = T("sympy proves them equal", "sympy 证明两者恒等")
        elif verdict.get("proof") == "budget":
            how = T(
                "equal at all {n} sample points over several scales{s}, also at 50 digits (a symbolic proof was beyond the budget)",
                "在多个尺度上的全部 {n} 个采样点相等{s}，50 位精度下亦然（符号证明超出预算）",
            )
            how = Text(how.en.format(n=verdict["checked"], s=sides.en), how.zh.format(n=verdict["checked"], s=sides.zh))
        else:
            how = T(
                "equal at all {n} sample points over several scales{s}, also at 50 digits; not proven symbolically",
                "在多个尺度上的全部 {n} 个采样点相等{s}，50 位精度下亦然；未经符号证明",
            )
            how = Text(how.en.format(n=verdict["checked"], s=sides.en), how.zh.format(n=verdict["checked"], s=sides.zh))
        return T("right: {c} equals the derivative; ", "正确：{c} 与导数相等；").format(c=spec.claim_text) + how
    return T(
        "undecided: no sample point where both are defined, and no symbolic proof within the budget",
        "无法判定：找不到两者都有定义的采样点，且预算内无法符号证明",
    )


class LazyStep(Step):
    """A step whose chain is worked out when a renderer first reads it (a quiz question that is never
    shown never prints it)."""

    def __init__(self, label, lhs, make_chain, note=None):
        self.label, self.lhs, self.note, self.joiner = label, lhs, note, "="
        self._make_chain, self._chain = make_chain, None

    @property
    def chain(self):
        if self._chain is None:
            self._chain = self._make_chain()
        return self._chain

    @chain.setter
    def chain(self, value):
        self._chain = value


def _value_at(spec: GradSpec, derivative: Any, steps: list, notes: list):
    """The derivative's value at --at, on the expression as typed; (value, None) or (None, (status, text))."""
    needed = sorted(variables(spec.tree))
    missing = [n for n in needed if n not in spec.at]
    given = {k: v for k, v in spec.at.items()}
    at_text = ", ".join(f"{k} = {_number_text(v)}" for k, v in spec.at.items())
    label = T("Value at {at}", "在 {at} 处的值").format(at=at_text)
    lhs = m.ddx(m.sym(spec.wrt, S.latex(spec.wrt)))
    if missing:
        # the derivative may not need them (d/dw (w + x) = 1); the expression as typed does
        unknown = set(missing) if derivative is None else {s.name for s in derivative.free_symbols} - set(spec.at)
        if unknown:
            notes.append(
                T("no value: --at does not give {v}", "无法求值：--at 未给出 {v}").format(v=", ".join(sorted(unknown)))
            )
            return None, None
        try:
            value = S.evaluate_sympy(derivative, _floats(given))
        except ValueError:
            return None, ("undefined", T("undefined at {p}", "在 {p} 处无定义").format(p=_where(given)))
    else:
        try:
            value = precise_derivative_at(spec.tree, spec.wrt.name, given)
        except S.Undefined as e:
            where = _where({k: given[k] for k in needed})
            if e.overflow:
                status = (
                    "overflow",
                    T(
                        "overflows at {p} (beyond float64, ±1.8e308): ", "在 {p} 处溢出（超出 float64 的 ±1.8e308）："
                    ).format(p=where)
                    + e.reason,
                )
            else:
                status = ("undefined", T("undefined at {p}: ", "在 {p} 处无定义：").format(p=where) + e.reason)
            if derivative is not None:
                steps.append(Step(label, lhs, [_substituted(derivative, spec.at)], status[1]))  # type: ignore[list-item]  # Lazy is a duck-typed Math
            return None, status

    def chain() -> list:
        if derivative is None:
            return [m.num(value, 12)]
        items: list = [_substituted(derivative, spec.at)]
        exact = _exact_value(derivative, spec.at, value)
        if exact is not None:
            items.append(_e(exact))
        items.append(m.num(value, 12))
        return _dedupe(items)

    steps.append(LazyStep(label, lhs, chain))
    return value, None


def _substituted(derivative: Any, at: Mapping[str, Any]) -> Lazy:
    """The derivative with the numbers put in, not yet worked out (never evaluated symbolically)."""
    # each number stands in as an opaque symbol printed as that number: sympy never evaluates it
    # (exp(exp(100)) would otherwise be worked out by the printer's own sign checks)
    subs = {sympy.Symbol(k, real=True): _Number(_number_text(v)) for k, v in at.items()}

    def make() -> m.Math:
        with sympy.evaluate(False):  # put in, not worked out (and no assumption queries on the way)
            filled = derivative.xreplace(subs)
        return as_math(filled, dot=True)

    return Lazy(make)


class _Number(sympy.Symbol):
    """A number shown in a formula without sympy ever evaluating it."""

    def _sympystr(self, printer, **kwargs):
        return f"({self.name})" if self.name.startswith("-") else self.name

    def _latex(self, printer, **kwargs):
        body = self.name.lstrip("-")
        if "/" in body:
            p, q = body.split("/")
            body = rf"\frac{{{p}}}{{{q}}}"
        elif "e" in body:
            mantissa, exp = body.split("e")
            body = rf"{mantissa} \times 10^{{{int(exp)}}}"
        return rf"\left(-{body}\right)" if self.name.startswith("-") else body


def _number_text(v: Any) -> str:
    from fractions import Fraction

    if isinstance(v, sympy.Rational):
        return m.fmt_number(Fraction(int(v.p), int(v.q)))
    return m.fmt_number(float(v))


def _exact_value(derivative: Any, at: Mapping[str, Any], value: float) -> Any:
    """The exact value when it is cheap: small tree, moderate value, no variable in an exponent."""
    if abs(value) > 1e12 or S.node_count(derivative, 81) > 80:
        return None
    for p in sympy.preorder_traversal(derivative):
        if p.is_Pow and (p.exp.free_symbols or abs(p.exp) > 100):
            return None
    exact = None
    with S.budget(0.3):
        exact = derivative.xreplace({sympy.Symbol(k, real=True): v for k, v in at.items()})
    if exact is None or exact.is_Float or not exact.is_number:
        return None
    return exact


def _dedupe(chain: list) -> list:
    out: list = []
    for item in chain:
        if not out or out[-1].text != item.text:
            out.append(item)
    return out
