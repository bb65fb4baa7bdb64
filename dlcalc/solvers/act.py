"""Activation functions at given points: value, derivative, and the remark the course notes make.

sigmoid σ(x) = 1/(1 + e^(-x)),          σ'(x) = σ(x)(1 - σ(x))        (at most 0.25)
tanh(x),                              tanh'(x) = 1 - tanh²(x)
ReLU(x) = max(0, x),                  ReLU'(x) = 1 for x > 0, else 0 (torch's choice at 0)
LeakyReLU(x) = x or αx,               1 for x > 0, else α
ELU(x) = x or α(e^x - 1),             1 for x > 0, else α·e^x
GELU(x) = x·Φ(x) (exact, erf form),   Φ(x) + x·φ(x)
softplus(x) = ln(1 + e^x),            σ(x)    (torch: x itself, slope 1, above its threshold x > 20)
SiLU(x) = x·σ(x) (swish),             σ(x)(1 + x(1 - σ(x)))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_number, parse_vector
from dlcalc.result import Result, Step, Table
from dlcalc.solvers.stable import sigmoid
from dlcalc.text import T, Text

FUNCTIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "silu")
FIELDS = {"function", "at", "alpha"}
SOFTPLUS_THRESHOLD = 20  # torch's default: softplus is the identity above it
SATURATED = 0.01  # a slope below this is what the notes call the saturated (vanishing-gradient) region


@dataclass(frozen=True)
class ActSpec:
    function: str
    points: tuple[float, ...]
    alpha: float


SOLVER = Solver(
    name="act",
    help=T(
        "An activation's value and slope at given points, with the saturation and dead-unit remarks.",
        "激活函数在给定点的值与斜率，并指出饱和区与“死亡”单元。",
    ),
    example='dlcalc act sigmoid --at "-6, 0, 2"',
    inputs=(
        Input(
            "function",
            help=T(
                "sigmoid, tanh, relu, leaky_relu, elu, gelu, softplus or silu.",
                "sigmoid、tanh、relu、leaky_relu、elu、gelu、softplus 或 silu。",
            ),
            positional=True,
            required=True,
            metavar="FUNCTION",
            choices=FUNCTIONS,
        ),
        Input("at", help=T('The points, e.g. "-2, 0, 3".', '求值点，例如 "-2, 0, 3"。'), required=True, metavar="LIST"),
        Input(
            "alpha",
            help=T("Slope (leaky_relu) or α (elu).", "斜率（leaky_relu）或 α（elu）。"),
            metavar="NUMBER",
            shown_default=T("0.01 for leaky_relu, 1 for elu", "leaky_relu 为 0.01，elu 为 1"),
        ),
    ),
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> ActSpec:
    only_keys(inputs, FIELDS, "act")
    fn = str(inputs.get("function") or "").strip().lower().replace("-", "_")
    if fn not in FUNCTIONS:
        raise DlcalcError(f"function: expected one of {', '.join(FUNCTIONS)}, got {inputs.get('function')!r}")
    if inputs.get("at") is None:
        raise DlcalcError('act: give the points with --at, e.g. --at "-2, 0, 3"')
    points = tuple(float(v) for v in parse_vector(inputs["at"], "at"))
    if any(abs(p) > 1e6 for p in points):
        raise DlcalcError("at: points must lie within ±1e6")
    default_alpha = 0.01 if fn == "leaky_relu" else 1.0
    alpha = float(parse_number(inputs["alpha"], "alpha")) if inputs.get("alpha") is not None else default_alpha
    return ActSpec(fn, points, alpha)


def value_and_slope(fn: str, x: float, alpha: float) -> tuple[float, float]:
    if fn == "sigmoid":
        s = sigmoid(x)
        return s, s * (1 - s)
    if fn == "tanh":
        t = math.tanh(x)
        return t, 1 - t * t
    if fn == "relu":
        return max(0.0, x), 1.0 if x > 0 else 0.0
    if fn == "leaky_relu":
        return (x, 1.0) if x > 0 else (alpha * x, alpha)
    if fn == "elu":
        return (x, 1.0) if x > 0 else (alpha * math.expm1(x), alpha * math.exp(x))
    if fn == "softplus":
        if x > SOFTPLUS_THRESHOLD:  # torch.nn.Softplus(beta=1, threshold=20) returns x there
            return x, 1.0
        return max(x, 0.0) + math.log1p(math.exp(-abs(x))), sigmoid(x)
    if fn == "silu":
        s = sigmoid(x)
        return x * s, s * (1 + x * (1 - s))
    cdf = 0.5 * (1 + math.erf(x / math.sqrt(2)))
    pdf = math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    return x * cdf, cdf + x * pdf


X_SYM, ALPHA, EULER = m.sym("x"), m.sym("α"), m.sym("e")
POSITIVE = m.rel(X_SYM, ">", 0)


def _sigma(x: object) -> m.Math:
    return m.call("σ", x)


FORMULAS = {
    "sigmoid": (m.frac(1, 1 + EULER ** (-X_SYM)), m.juxt(_sigma(X_SYM), 1 - _sigma(X_SYM))),
    "tanh": (m.call("tanh", X_SYM), 1 - m.call("tanh²", X_SYM, latex_name=r"\tanh^{2}")),
    "relu": (m.call("max", 0, X_SYM), m.if_else(1, POSITIVE, 0)),
    "leaky_relu": (m.if_else(X_SYM, POSITIVE, m.juxt(ALPHA, X_SYM)), m.if_else(1, POSITIVE, ALPHA)),
    "elu": (
        m.if_else(X_SYM, POSITIVE, m.juxt(ALPHA, EULER**X_SYM - 1)),
        m.if_else(1, POSITIVE, ALPHA * EULER**X_SYM),
    ),
    "gelu": (X_SYM * m.call("Φ", X_SYM), m.call("Φ", X_SYM) + X_SYM * m.call("φ", X_SYM)),
    "softplus": (m.apply("ln", 1 + EULER**X_SYM), _sigma(X_SYM)),
    "silu": (X_SYM * _sigma(X_SYM), m.juxt(_sigma(X_SYM), 1 + m.juxt(X_SYM, 1 - _sigma(X_SYM)))),
}


def worked(fn: str, x: float, alpha: float) -> tuple[list[m.Math], list[m.Math], Text | None]:
    """The value's and the slope's working with x substituted: the branch taken, then its numbers."""
    n = lambda v: m.num(v, 9)  # noqa: E731
    X = n(x)
    if fn == "sigmoid":
        s = sigmoid(x)
        return [m.frac(1, 1 + m.sym("e") ** n(-x))], [n(s) * (1 - n(s))], None
    if fn == "tanh":
        t = math.tanh(x)
        return [m.call("tanh", X, latex_name=r"\tanh")], [1 - n(t) ** 2], None
    if fn == "gelu":
        cdf = 0.5 * (1 + math.erf(x / math.sqrt(2)))
        pdf = math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        phi = lambda v: m.call("Φ", v, latex_name=r"\Phi")  # noqa: E731
        return (
            [X * phi(X), X * n(cdf)],
            [phi(X) + X * m.call("φ", X, latex_name=r"\varphi"), n(cdf) + X * n(pdf)],
            T("Φ is the standard normal CDF, φ its density", "Φ 为标准正态分布函数，φ 为其密度"),
        )
    if fn == "softplus":
        if x > SOFTPLUS_THRESHOLD:
            above = T(
                "x > 20: torch's softplus returns x itself there (threshold=20), slope 1",
                "x > 20：torch 的 softplus 在此直接返回 x（threshold=20），导数为 1",
            )
            return [X], [n(1.0)], above
        stable = T(
            "computed as max(x, 0) + ln(1 + e^(-|x|)): never e^x of a large x",
            "按 max(x, 0) + ln(1 + e^(-|x|)) 计算：不会对大的 x 求 e^x",
        )
        ln = lambda v: m.call("ln", v, latex_name=r"\ln")  # noqa: E731
        return (
            [ln(1 + m.sym("e") ** X), m.call("max", X, 0, latex_name=r"\max") + ln(1 + m.sym("e") ** n(-abs(x)))],
            [m.call("σ", X, latex_name=r"\sigma")],
            stable,
        )
    if fn == "silu":
        s = sigmoid(x)
        return [X * n(s)], [n(s) * (1 + X * (1 - n(s)))], T("σ(x) = {s}", "σ(x) = {s}").format(s=m.fmt_number(s, 9))
    positive = x > 0
    side = (
        T("x = {x} > 0: the positive branch", "x = {x} > 0：正半轴分支")
        if positive
        else T("x = {x} ≤ 0: the negative branch", "x = {x} ≤ 0：负半轴分支")
    ).format(x=m.fmt_number(x))
    if fn == "relu":
        return [m.call("max", 0, X, latex_name=r"\max")], [n(1.0 if positive else 0.0)], side
    a = n(alpha)
    if positive:
        return [X], [n(1.0)], side
    if fn == "leaky_relu":
        return [a * X], [a], side
    return [a * (m.sym("e") ** X - 1)], [a * m.sym("e") ** X], side


def remark(fn: str, x: float, slope: float) -> Text | None:
    if fn in ("sigmoid", "tanh") and slope < SATURATED:
        return T(
            "saturated: the slope is below 0.01, so gradients through this unit all but vanish",
            "处于饱和区：导数小于 0.01，经过该单元的梯度几乎消失",
        )
    if fn == "relu" and x <= 0:
        return T(
            "zero gradient: a ReLU stuck here learns nothing (a dead neuron); Leaky ReLU keeps a small slope",
            "梯度为 0：一直停在这里的 ReLU 不再学习（神经元死亡）；Leaky ReLU 保留小斜率",
        )
    if fn == "sigmoid" and x == 0:
        return T(
            "the largest slope σ ever has: 0.25, so each sigmoid layer shrinks gradients at least 4×",
            "σ 的最大导数 0.25：每经过一层 sigmoid，梯度至少缩小为 1/4",
        )
    return None


def solve(spec: ActSpec) -> Result:
    f_formula, d_formula = FORMULAS[spec.function]
    name = spec.function
    values, slopes, steps, rows = [], [], [], []
    for x in spec.points:
        v, d = value_and_slope(name, x, spec.alpha)
        values.append(v)
        slopes.append(d)
        note = remark(name, x, d)
        value_work, slope_work, side = worked(name, x, spec.alpha)
        steps.append(
            Step(
                T("{f} at x = {x}", "{f} 在 x = {x} 处").format(f=name, x=m.fmt_number(x)),
                m.call("f", m.num(x), latex_name="f"),
                m.dedupe([f_formula, *value_work, m.num(v, 9)]),
                side,
            )
        )
        steps.append(
            Step(
                T("slope at x = {x}", "x = {x} 处的导数").format(x=m.fmt_number(x)),
                m.call("f'", m.num(x), latex_name="f'"),
                m.dedupe([d_formula, *slope_work, m.num(d, 9)]),
                note or side,
            )
        )
        rows.append([m.fmt_number(x), m.fmt_number(v, 9), m.fmt_number(d, 9), note or ""])
    table = Table([T("x", "x"), T("f(x)", "f(x)"), T("f'(x)", "f'(x)"), T("remark", "说明")], rows, wrap=3)
    return Result(
        kind="act",
        title=T("{f}: values and slopes", "{f}：函数值与导数").format(f=name),
        answer={
            "function": name,
            "x": list(spec.points),
            "value": values,
            "derivative": slopes,
            **({"alpha": spec.alpha} if name in ("leaky_relu", "elu") else {}),
        },
        summary=[(T("Function", "函数"), f"{name}(x) = {f_formula.text}"), (T("Derivative", "导数"), d_formula.text)],
        steps=steps,
        tables=[table],
        spec=spec,
    )
