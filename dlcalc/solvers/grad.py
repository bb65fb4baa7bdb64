"""Differentiate a typed expression with every rule named, the way a step-by-step calculator does.

The rules: constant, identity, sum, constant multiple, product (u·v)' = u'v + uv', quotient
(u/v)' = (u'v - uv')/v², power (uⁿ)' = n·uⁿ⁻¹·u', exponential, logarithm, the known derivatives
σ' = σ(1 - σ), tanh' = 1 - tanh², ReLU' = H (step), and the chain rule f(u)' = f'(u)·u'.
The result of the steps is compared with sympy's own derivative on every run, so a bug in the
step printer can never reach a student.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.parse.expr import parse_assignments, parse_expression
from dlcalc.result import Result, Step
from dlcalc.solvers.symbolic import expand_special, relu, sigmoid, softplus
from dlcalc.text import T

FIELDS = {"expr", "wrt", "at", "claim"}


@dataclass(frozen=True)
class GradSpec:
    expr: Any
    wrt: Any
    at: dict
    claim: Any | None
    text: str
    claim_text: str | None


def parse_spec(inputs: Mapping[str, Any]) -> GradSpec:
    from dlcalc.parse import only_keys

    only_keys(inputs, FIELDS, "grad")
    text = inputs.get("expr")
    if not text:
        raise DlcalcError('grad: the expression is missing, e.g. dlcalc grad "sigmoid(w*x + b)" --wrt w')
    expr = parse_expression(str(text))
    wrt_name = str(inputs.get("wrt") or "").strip()
    symbols = {s.name: s for s in expr.free_symbols}
    if not wrt_name:
        if len(symbols) != 1:
            raise DlcalcError(
                f"--wrt: name the variable to differentiate by (the expression has {', '.join(sorted(symbols)) or 'none'})"
            )
        wrt_name = next(iter(symbols))
    wrt = symbols.get(wrt_name, sympy.Symbol(wrt_name, real=True))
    at = parse_assignments(str(inputs.get("at") or ""))
    claim_text = inputs.get("claim")
    claim = parse_expression(str(claim_text), "--claim") if claim_text not in (None, "") else None
    return GradSpec(expr, wrt, at, claim, str(text), None if claim is None else str(claim_text))


def show(expr: Any) -> str:
    """sympy's text with ^ for powers, as students type them."""
    return sympy.sstr(expr).replace("**", "^")


def _d(expr: Any, x: Any) -> m.Math:
    return m.Math(f"d/d{x}[{show(expr)}]", rf"\frac{{d}}{{d{sympy.latex(x)}}}\left[{sympy.latex(expr)}\right]")


def _e(expr: Any) -> m.Math:
    return m.Math(show(expr), sympy.latex(expr))


KNOWN = {
    sigmoid: (
        T("known derivative σ'(u) = σ(u)(1 - σ(u))", "已知导数 σ'(u) = σ(u)(1 - σ(u))"),
        lambda u: sigmoid(u) * (1 - sigmoid(u)),
    ),
    sympy.tanh: (
        T("known derivative tanh'(u) = 1 - tanh²(u)", "已知导数 tanh'(u) = 1 - tanh²(u)"),
        lambda u: 1 - sympy.tanh(u) ** 2,
    ),
    relu: (
        T("known derivative ReLU'(u) = H(u), the unit step", "已知导数 ReLU'(u) = H(u)（单位阶跃）"),
        lambda u: sympy.Heaviside(u, 0),
    ),
    softplus: (T("known derivative softplus'(u) = σ(u)", "已知导数 softplus'(u) = σ(u)"), lambda u: sigmoid(u)),
    sympy.exp: (T("exponential: (e^u)' = e^u", "指数函数：(e^u)' = e^u"), lambda u: sympy.exp(u)),
    sympy.log: (T("logarithm: (ln u)' = 1/u", "对数：(ln u)' = 1/u"), lambda u: 1 / u),
    sympy.sin: (T("(sin u)' = cos u", "(sin u)' = cos u"), lambda u: sympy.cos(u)),
    sympy.cos: (T("(cos u)' = -sin u", "(cos u)' = -sin u"), lambda u: -sympy.sin(u)),
    sympy.Abs: (T("(|u|)' = sign(u)", "(|u|)' = sign(u)"), lambda u: sympy.sign(u)),
}


class StepPrinter:
    def __init__(self, x: Any):
        self.x = x
        self.steps: list[Step] = []

    def add(self, label, expr, *chain) -> None:
        self.steps.append(Step(label, _d(expr, self.x), [c if isinstance(c, m.Math) else _e(c) for c in chain]))

    def diff(self, f: Any) -> Any:
        x = self.x
        if not f.has(x):
            return sympy.Integer(0)
        if f == x:
            return sympy.Integer(1)
        if f.is_Add:
            parts = [self.diff(a) for a in f.args]
            result = sympy.Add(*parts)
            self.add(
                T("sum rule: differentiate term by term", "和法则：逐项求导"),
                f,
                m.Math(" + ".join(f"d/d{x}[{show(a)}]" for a in f.args), " + ".join(_d(a, x).latex for a in f.args)),
                result,
            )
            return result
        if f.is_Mul:
            const = sympy.Mul(*[a for a in f.args if not a.has(x)])
            rest = sympy.Mul(*[a for a in f.args if a.has(x)])
            if const != 1:
                inner = self.diff(rest)
                result = const * inner
                self.add(
                    T("constant multiple: (c·u)' = c·u'", "常数倍：(c·u)' = c·u'"),
                    f,
                    m.Math(f"{show(const)}·d/d{x}[{show(rest)}]", rf"{sympy.latex(const)} \cdot {_d(rest, x).latex}"),
                    result,
                )
                return result
            num, den = sympy.fraction(rest)
            if den != 1 and den.has(x):
                du, dv = self.diff(num), self.diff(den)
                result = (du * den - num * dv) / den**2
                self.add(
                    T("quotient rule: (u/v)' = (u'v - uv')/v²", "商法则：(u/v)' = (u'v - uv')/v²"),
                    f,
                    m.Math(
                        f"(({show(du)})·({show(den)}) - ({show(num)})·({show(dv)}))/({show(den)})^2",
                        rf"\frac{{{sympy.latex(du)} \cdot {sympy.latex(den)} - {sympy.latex(num)} \cdot {sympy.latex(dv)}}}{{\left({sympy.latex(den)}\right)^2}}",
                    ),
                    result,
                )
                return result
            u, v = rest.args[0], sympy.Mul(*rest.args[1:])
            du, dv = self.diff(u), self.diff(v)
            result = du * v + u * dv
            self.add(
                T("product rule: (u·v)' = u'v + uv'", "积法则：(u·v)' = u'v + uv'"),
                f,
                m.Math(
                    f"({show(du)})·({show(v)}) + ({show(u)})·({show(dv)})",
                    rf"{sympy.latex(du)} \cdot {sympy.latex(v)} + {sympy.latex(u)} \cdot {sympy.latex(dv)}",
                ),
                result,
            )
            return result
        if f.is_Pow:
            base, exp = f.args
            if not exp.has(x):
                du = self.diff(base)
                result = exp * base ** (exp - 1) * du
                label = (
                    T("power rule: (uⁿ)' = n·uⁿ⁻¹·u'", "幂法则：(uⁿ)' = n·uⁿ⁻¹·u'")
                    if base != x
                    else T("power rule: (xⁿ)' = n·xⁿ⁻¹", "幂法则：(xⁿ)' = n·xⁿ⁻¹")
                )
                self.add(
                    label,
                    f,
                    m.Math(
                        f"{show(exp)}·({show(base)})^({show(exp - 1)})·({show(du)})",
                        rf"{sympy.latex(exp)} \cdot \left({sympy.latex(base)}\right)^{{{sympy.latex(exp - 1)}}} \cdot {sympy.latex(du)}",
                    ),
                    result,
                )
                return result
            if not base.has(x):
                du = self.diff(exp)
                result = f * sympy.log(base) * du
                self.add(T("exponential: (a^u)' = a^u·ln a·u'", "指数：(a^u)' = a^u·ln a·u'"), f, result)
                return result
            du, dv = self.diff(base), self.diff(exp)
            result = f * (dv * sympy.log(base) + exp * du / base)
            self.add(
                T("general power: (u^v)' = u^v·(v' ln u + v·u'/u)", "一般幂：(u^v)' = u^v·(v' ln u + v·u'/u)"),
                f,
                result,
            )
            return result
        if f.func in KNOWN and len(f.args) == 1:
            label, rule = KNOWN[f.func]
            u = f.args[0]
            outer = rule(u)
            if u == x:
                self.add(label, f, outer)
                return outer
            du = self.diff(u)
            result = outer * du
            self.add(
                T("chain rule: f(u)' = f'(u)·u', with ", "链式法则：f(u)' = f'(u)·u'，其中 ") + label,
                f,
                m.Math(f"({show(outer)})·({show(du)})", rf"\left({sympy.latex(outer)}\right) \cdot {sympy.latex(du)}"),
                result,
            )
            return result
        raise DlcalcError(f"grad: no rule for {show(f)}")


def agree(a: Any, b: Any, symbols: list, seed: int = 0, points: int = 25) -> tuple[bool | None, dict | None]:
    """(True, None) when a == b symbolically or at every sampled point; (False, point) at a difference."""
    written_out = expand_special(a - b)
    if sympy.expand(written_out) == 0 or sympy.simplify(written_out) == 0:  # expand is cheap, try it first
        return True, None
    rng = random.Random(seed)
    checked = 0
    for _ in range(points * 4):
        point = {s: sympy.Rational(rng.randint(-300, 300), 100) for s in symbols}
        try:
            va = complex(sympy.N(expand_special(a).subs(point), 30))
            vb = complex(sympy.N(expand_special(b).subs(point), 30))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if any(v != v or abs(v) == float("inf") for v in (va, vb)) or abs(va.imag) > 1e-12 or abs(vb.imag) > 1e-12:
            continue
        checked += 1
        if abs(va.real - vb.real) > 1e-9 * (1 + abs(va.real)):
            return False, {"point": {s.name: float(v) for s, v in point.items()}, "a": va.real, "b": vb.real}
        if checked >= points:
            break
    return (True, None) if checked else (None, None)


def solve(spec: GradSpec) -> Result:
    printer = StepPrinter(spec.wrt)
    ours = printer.diff(spec.expr)
    reference = sympy.diff(spec.expr, spec.wrt)
    same, _ = agree(ours, reference, sorted(spec.expr.free_symbols, key=lambda s: s.name), seed=1)
    if same is False:
        raise RuntimeError(f"step printer disagrees with sympy on d/d{spec.wrt}[{show(spec.expr)}]")
    derivative = sympy.factor_terms(ours)
    steps = printer.steps or [Step(T("constant", "常数"), _d(spec.expr, spec.wrt), [_e(derivative)])]
    value = None
    free = {s.name for s in derivative.free_symbols}
    missing = sorted(free - set(spec.at))
    notes = []
    if spec.at:
        subs = {sympy.Symbol(k, real=True): v for k, v in spec.at.items()}
        exact = derivative.subs(subs)
        if not missing:
            try:
                number = complex(sympy.N(expand_special(exact), 20))
            except (TypeError, ValueError, OverflowError):
                raise DlcalcError(f"--at: d/d{spec.wrt} has no finite value at {spec.at}") from None
            if number != number or abs(number) == float("inf"):
                raise DlcalcError(f"--at: d/d{spec.wrt} is undefined at that point ({number.real})")
            value = number.real if abs(number.imag) < 1e-15 else None
            steps.append(
                Step(
                    T("Value at {at}", "在 {at} 处的值").format(at=", ".join(f"{k}={v}" for k, v in spec.at.items())),
                    m.Math(f"d/d{spec.wrt}", rf"\frac{{d}}{{d{sympy.latex(spec.wrt)}}}"),
                    m.dedupe(
                        [_e(derivative.subs(subs)), _e(exact), m.num(value, 12) if value is not None else _e(exact)]
                    ),
                )
            )
        else:
            notes.append(
                T("no value: --at does not give {v}", "无法求值：--at 未给出 {v}").format(v=", ".join(missing))
            )
    answer: dict[str, Any] = {
        "expression": show(spec.expr),
        "wrt": spec.wrt.name,
        "derivative": show(derivative),
        "derivative_latex": sympy.latex(derivative),
        "value": value,
        "equivalent": None,
    }
    summary = [
        (T("Function", "函数"), show(spec.expr)),
        (T("Derivative", "导数"), f"d/d{spec.wrt} = {show(derivative)}"),
    ]
    if value is not None:
        summary.append((T("Value", "数值"), m.fmt_number(value, 12)))
    if spec.claim is not None:
        symbols = sorted(spec.expr.free_symbols | spec.claim.free_symbols, key=lambda s: s.name)
        equivalent, where = agree(derivative, spec.claim, symbols, seed=7)
        answer["equivalent"] = equivalent
        answer["claim"] = show(spec.claim)
        if equivalent is False and where is not None:
            answer["counterexample"] = {"point": where["point"], "correct": where["a"], "claimed": where["b"]}
            pt = ", ".join(f"{k}={m.fmt_number(v)}" for k, v in where["point"].items())
            summary.append(
                (
                    T("Your claim", "你的结果"),
                    T(
                        "WRONG: at {pt} the derivative is {a} but your expression gives {b}",
                        "错误：在 {pt} 处导数为 {a}，而你的表达式为 {b}",
                    ).format(pt=pt, a=m.fmt_number(where["a"], 9), b=m.fmt_number(where["b"], 9)),
                )
            )
        elif equivalent:
            summary.append(
                (
                    T("Your claim", "你的结果"),
                    T("right: {c} equals the derivative", "正确：{c} 与导数相等").format(c=show(spec.claim)),
                )
            )
        else:
            summary.append(
                (
                    T("Your claim", "你的结果"),
                    T("undecided: no point where both are defined", "无法判定：找不到两者都有定义的点"),
                )
            )
    return Result("grad", T("Derivative", "导数"), answer, summary, steps, notes=notes, spec=spec)
