"""Backpropagation through a small dense network, written out the way the exam wants it.

Forward, layer l = 1..L (weights: one row per neuron):   z_l = W_l a_{l-1} + b_l,   a_l = f_l(z_l)
Output error (the chain rule at the last layer):          δ_L = ∂E/∂a_L ⊙ f_L'(z_L)
Back one layer:                                            δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ f_l'(z_l)
Gradients:                                                 ∂E/∂W_l[j,i] = δ_l[j]·a_{l-1}[i],   ∂E/∂b_l[j] = δ_l[j]
Gradient descent:                                          W ← W - η ∂E/∂W

Losses: half_sse E = Σ ½(t - o)² (∂E/∂o = o - t); mse E = (1/n)Σ(t - o)² (∂E/∂o = 2(o - t)/n);
cross_entropy E = -Σ t·ln o after softmax (then δ_L = o - t), or the binary form after sigmoid.
A bias written as one number is one parameter shared by the layer (its gradient is Σ_j δ_l[j]),
as in Matt Mazur's worked example; a list gives each neuron its own.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_bool, parse_int, parse_matrix, parse_number, parse_vector
from dlcalc.result import Result, Step, Table
from dlcalc.solvers.stable import log_softmax, sigmoid, sigmoid_minus_target, softmax, softmax_minus_target
from dlcalc.text import T, Text

FIELDS = {"input", "target", "layers", "loss", "lr", "update_bias", "steps"}
LAYER_FIELDS = {"weights", "bias", "activation", "alpha"}
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax")
LOSSES = ("half_sse", "mse", "cross_entropy")
DIGITS = 9  # the precision of published worked examples


@dataclass(frozen=True)
class DenseLayer:
    weights: tuple[tuple[Any, ...], ...]
    bias: tuple[Any, ...]
    shared_bias: bool
    activation: str
    alpha: Any = 0.01  # leaky_relu slope


@dataclass(frozen=True)
class BackpropSpec:
    input: tuple[Any, ...]
    target: tuple[Any, ...]
    layers: tuple[DenseLayer, ...]
    loss: str = "half_sse"
    lr: Any = Fraction(1, 2)
    update_bias: bool = True
    steps: int = 1

    @property
    def exact(self) -> bool:
        return all(isinstance(v, Fraction) for v in self.input)


SOLVER = Solver(
    name="backprop",
    help=T(
        "Backpropagation worked out: forward pass, loss, every δ and gradient, the updated weights.",
        "完整的反向传播：前向传播、损失、每个 δ 与梯度、更新后的权重。",
    ),
    example="dlcalc backprop -f mazur.yaml --check",
    inputs=(Input("steps", help=T("Gradient-descent steps to take.", "梯度下降的步数。"), metavar="N", default=1),),
    fields=("input", "target", "layers", "loss", "lr", "update_bias"),
    file=True,
    picture=True,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> BackpropSpec:
    only_keys(inputs, FIELDS, "backprop")
    for key in ("input", "target", "layers"):
        if inputs.get(key) is None:
            raise DlcalcError(f"backprop: {key} is missing")
    raw_layers = inputs["layers"]
    if not isinstance(raw_layers, list) or not raw_layers:
        raise DlcalcError("layers: expected a list of layers, each with weights, bias and activation")
    loss = str(inputs.get("loss", "half_sse")).strip().lower()
    if loss not in LOSSES:
        raise DlcalcError(f"loss: expected one of {', '.join(LOSSES)}, got {loss!r}")
    activations = []
    for n, layer in enumerate(raw_layers, 1):
        if not isinstance(layer, dict):
            raise DlcalcError(f"layer {n}: expected weights, bias and activation")
        only_keys(layer, LAYER_FIELDS, f"layer {n}")
        act = str(layer.get("activation", "sigmoid")).strip().lower()
        if act not in ACTIVATIONS:
            raise DlcalcError(f"layer {n}: unknown activation {act!r} (expected one of {', '.join(ACTIVATIONS)})")
        activations.append(act)
    exact = all(a in ("relu", "leaky_relu", "linear") for a in activations) and loss != "cross_entropy"
    num = parse_number if exact else _parse_float
    x = [num(v, "input") for v in parse_vector(inputs["input"], "input")]
    t = [num(v, "target") for v in parse_vector(inputs["target"], "target")]
    layers = []
    width = len(x)
    for n, (layer, act) in enumerate(zip(raw_layers, activations), 1):
        if layer.get("weights") is None:
            raise DlcalcError(f"layer {n}: weights are missing")
        w = [
            [num(v, f"layer {n} weights") for v in row] for row in parse_matrix(layer["weights"], f"layer {n} weights")
        ]
        if len(w[0]) != width:
            raise DlcalcError(
                f"W{n}: each row needs {width} weights (one per input of the layer), got {len(w[0])}; "
                f"expected shape {len(w)}x{width}"
            )
        raw_bias = layer.get("bias", 0)
        shared = not isinstance(raw_bias, (list, tuple)) and not (isinstance(raw_bias, str) and "," in raw_bias)
        bias = [num(v, f"layer {n} bias") for v in parse_vector(raw_bias, f"layer {n} bias")]
        if not shared and len(bias) != len(w):
            raise DlcalcError(f"b{n}: {len(bias)} biases for {len(w)} neurons")
        alpha = num(layer.get("alpha", "0.01"), f"layer {n} alpha")
        layers.append(DenseLayer(tuple(map(tuple, w)), tuple(bias), shared, act, alpha))
        width = len(w)
    if len(t) != width:
        raise DlcalcError(f"target: {len(t)} values but the last layer has {width} neurons")
    if any(layer.activation == "softmax" for layer in layers[:-1]):
        raise DlcalcError("softmax: only the last layer may use it")
    if loss == "cross_entropy" and layers[-1].activation not in ("softmax", "sigmoid"):
        raise DlcalcError("loss: cross_entropy needs a softmax or sigmoid output layer")
    steps = parse_int(inputs.get("steps", 1), "steps")
    if not 1 <= steps <= 1000:
        raise DlcalcError(f"steps: expected 1 to 1000, got {steps}")
    lr = num(inputs.get("lr", "0.5"), "lr")
    return BackpropSpec(
        tuple(x), tuple(t), tuple(layers), loss, lr, parse_bool(inputs.get("update_bias", True), "update_bias"), steps
    )


def _parse_float(value: Any, what: str) -> float:
    return float(parse_number(value, what))


# --- the mathematics -------------------------------------------------------------------------


def activate(kind: str, z: list, alpha: Any = 0.01) -> list:
    if kind == "sigmoid":
        return [sigmoid(float(v)) for v in z]
    if kind == "tanh":
        return [math.tanh(float(v)) for v in z]
    if kind == "relu":
        return [v if v > 0 else 0 * v for v in z]
    if kind == "leaky_relu":
        return [v if v > 0 else alpha * v for v in z]
    if kind == "softmax":
        return softmax([float(v) for v in z])
    return list(z)


def derivative(kind: str, z: Any, a: Any, alpha: Any = 0.01) -> Any:
    """f'(z) written through the output a where the course does: σ' = σ(1 - σ), tanh' = 1 - tanh²."""
    if kind == "sigmoid":
        return a * (1 - a)
    if kind == "tanh":
        return 1 - a * a
    if kind == "relu":
        return 1 if z > 0 else 0  # torch's choice at z = 0
    if kind == "leaky_relu":
        return 1 if z > 0 else alpha
    return 1


def loss_value(kind: str, o: list, t: list) -> Any:
    if kind == "half_sse":
        return sum((ti - oi) ** 2 for oi, ti in zip(o, t)) / 2
    return sum((ti - oi) ** 2 for oi, ti in zip(o, t)) / len(o)


def loss_ce(z: list, t: list, binary: bool = False) -> float:
    """Cross-entropy from the output layer's net inputs z, never from its rounded outputs.

    sigmoid: -[t ln σ(z) + (1 - t) ln σ(-z)] = max(z, 0) - z·t + ln(1 + e^(-|z|))  (torch's
    binary_cross_entropy_with_logits); softmax: -Σ t_i ln a_i with ln a_i = log_softmax(z)_i.
    """
    zf, tf = [float(v) for v in z], [float(v) for v in t]
    if binary:
        return math.fsum(bce_terms(zf, tf))
    return -math.fsum(ti * lp for ti, lp in zip(tf, log_softmax(zf)) if ti != 0)


def bce_terms(z: list[float], t: list[float]) -> list[float]:
    return [max(zi, 0.0) - zi * ti + math.log1p(math.exp(-abs(zi))) for zi, ti in zip(z, t)]


FLOAT_MAX = sys.float_info.max


def _overflow(what: str, value: Any) -> None:
    """Refuse a value outside float64's finite range: exit 2 naming it, never inf, NaN or a traceback."""
    if isinstance(value, float) and math.isnan(value):
        raise DlcalcError(f"backprop: {what} is undefined (NaN): the numbers overflow float64; scale them down")
    if not abs(value) <= FLOAT_MAX:
        raise DlcalcError(
            f"backprop: {what} overflows: it exceeds float64's largest number (1.8e308); "
            "use smaller weights, inputs or learning rate"
        )


@dataclass
class Pass:
    zs: list[list]
    activations: list[list]  # activations[0] is the input
    loss: Any
    dE_da: list
    deltas: list[list]  # deltas[l] for layer l+1
    grads_w: list[list[list]]
    grads_b: list[list]


def run_pass(spec: BackpropSpec, layers: list[DenseLayer], step: int = 1) -> Pass:
    """One forward and backward pass; a value beyond float64's range is refused (exit 2), naming it."""
    try:
        p = _run_pass(spec, layers)
    except OverflowError:  # math.exp, or float() of an exact value beyond float64
        raise DlcalcError(
            f"backprop: the numbers overflow float64 (beyond 1.8e308){_at(step)}; use smaller weights, inputs or "
            "learning rate"
        ) from None
    where = _at(step)
    for l, (z, a) in enumerate(zip(p.zs, p.activations[1:]), 1):
        for j, (zj, aj) in enumerate(zip(z, a), 1):
            _overflow(f"z{l}[{j}]{where}", zj)
            _overflow(f"a{l}[{j}]{where}", aj)
    _overflow(f"the loss{where}", p.loss)
    for l, (d, gw, gb) in enumerate(zip(p.deltas, p.grads_w, p.grads_b), 1):
        for j, dj in enumerate(d, 1):
            _overflow(f"δ{l}[{j}]{where}", dj)
        for j, row in enumerate(gw, 1):
            for i, g in enumerate(row, 1):
                _overflow(f"∂E/∂W{l}[{j},{i}]{where}", g)
        for j, g in enumerate(gb, 1):
            _overflow(f"∂E/∂b{l}[{j}]{where}", g)
    return p


def _at(step: int) -> str:
    return "" if step == 1 else f" after {step - 1} gradient-descent step(s) (the training diverges)"


def _run_pass(spec: BackpropSpec, layers: list[DenseLayer]) -> Pass:
    a = list(spec.input)
    zs, acts = [], [a]
    for layer in layers:
        b = [layer.bias[0]] * len(layer.weights) if layer.shared_bias else list(layer.bias)
        z = [sum((w * x for w, x in zip(row, a)), 0 * a[0]) + bj for row, bj in zip(layer.weights, b)]
        a = activate(layer.activation, z, layer.alpha)
        zs.append(z)
        acts.append(a)
    o, t = acts[-1], list(spec.target)
    last = layers[-1]
    binary = spec.loss == "cross_entropy" and last.activation == "sigmoid"
    loss = loss_ce(zs[-1], t, binary) if spec.loss == "cross_entropy" else loss_value(spec.loss, o, t)
    n = len(o)
    if spec.loss == "half_sse":
        dE_da = [oi - ti for oi, ti in zip(o, t)]
    elif spec.loss == "mse":
        dE_da = [2 * (oi - ti) / n for oi, ti in zip(o, t)]
    else:  # cross-entropy: δ_L = o - t directly; -t/o is never formed (o may round to 0 or 1)
        dE_da = []
    if spec.loss == "cross_entropy":  # o - t (o·Σt - t when Σt ≠ 1), without cancellation when o ≈ t
        tf = [float(v) for v in t]
        delta = (
            [sigmoid_minus_target(float(zi), ti) for zi, ti in zip(zs[-1], tf)]
            if binary
            else softmax_minus_target(o, tf)
        )
    elif last.activation == "softmax":  # the full softmax Jacobian: ∂a_k/∂z_j = a_k(δ_kj - a_j)
        delta = [sum(dE_da[k] * o[k] * ((1 if k == j else 0) - o[j]) for k in range(n)) for j in range(n)]
    else:
        delta = [g * derivative(last.activation, z, a, last.alpha) for g, z, a in zip(dE_da, zs[-1], o)]
    deltas = [delta]
    for li in range(len(layers) - 2, -1, -1):
        nxt = layers[li + 1]
        back = [sum(nxt.weights[k][j] * deltas[0][k] for k in range(len(nxt.weights))) for j in range(len(zs[li]))]
        layer = layers[li]
        deltas.insert(
            0, [g * derivative(layer.activation, z, a, layer.alpha) for g, z, a in zip(back, zs[li], acts[li + 1])]
        )
    grads_w = [[[d * x for x in acts[li]] for d in deltas[li]] for li in range(len(layers))]
    grads_b = [[sum(deltas[li])] if layer.shared_bias else list(deltas[li]) for li, layer in enumerate(layers)]
    return Pass(zs, acts, loss, dE_da, deltas, grads_w, grads_b)


def descend(spec: BackpropSpec, layers: list[DenseLayer], p: Pass, step: int = 1) -> list[DenseLayer]:
    out = []
    for l, (layer, gw, gb) in enumerate(zip(layers, p.grads_w, p.grads_b), 1):
        w = tuple(tuple(wi - spec.lr * g for wi, g in zip(row, grow)) for row, grow in zip(layer.weights, gw))
        b = tuple(bi - spec.lr * g for bi, g in zip(layer.bias, gb)) if spec.update_bias else layer.bias
        for j, row in enumerate(w, 1):
            for i, v in enumerate(row, 1):
                _overflow(f"the updated W{l}[{j},{i}]{_at(step)}", v)
        for j, v in enumerate(b, 1):
            _overflow(f"the updated b{l}[{j}]{_at(step)}", v)
        out.append(DenseLayer(w, b, layer.shared_bias, layer.activation, layer.alpha))
    return out


# --- the worked solution ---------------------------------------------------------------------


def _n(v: Any) -> m.Math:
    return m.num(v, DIGITS)


ACT_TEXT = {
    "sigmoid": ("σ", r"\sigma"),
    "tanh": ("tanh", r"\tanh"),
    "relu": ("ReLU", r"\operatorname{ReLU}"),
    "leaky_relu": ("LeakyReLU", r"\operatorname{LeakyReLU}"),
    "linear": ("", ""),
    "softmax": ("softmax", r"\operatorname{softmax}"),
}
DERIV_TEXT = {
    "sigmoid": T("σ'(z) = σ(z)(1 - σ(z)) = a(1 - a)", "σ'(z) = σ(z)(1 - σ(z)) = a(1 - a)"),
    "tanh": T("tanh'(z) = 1 - tanh²(z) = 1 - a²", "tanh'(z) = 1 - tanh²(z) = 1 - a²"),
    "relu": T("ReLU'(z) = 1 for z > 0, else 0", "ReLU'(z)：z > 0 时为 1，否则为 0"),
    "leaky_relu": T("LeakyReLU'(z) = 1 for z > 0, else α", "LeakyReLU'(z)：z > 0 时为 1，否则为 α"),
    "linear": T("linear: f'(z) = 1", "线性：f'(z) = 1"),
}


def _name(kind: str, l: int, j: int | None = None, i: int | None = None) -> m.Math:
    """z1[2], a2[1], W2[1,2], δ1[2]: layer first, then 1-based neuron (and input) indices."""
    idx = "" if j is None else (f"[{j}]" if i is None else f"[{j},{i}]")
    lidx = "" if j is None else (f"{j}" if i is None else f"{j}{i}")
    latex_base = {"δ": r"\delta", "z": "z", "a": "a", "W": "w", "b": "b"}[kind]
    latex = f"{latex_base}^{{({l})}}" + (f"_{{{lidx}}}" if lidx else "")
    return m.sym(f"{kind}{l}{idx}", latex)


@dataclass
class Derivation:
    """The worked solution as it is written: its steps, and which step computes each named value
    (`a1[2]`, `grads.W2[1,1]`), so `--mine` can point at the first line a student got wrong."""

    steps: list[Step] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)

    def add(self, step: Step, key: str | None = None) -> None:
        if key is not None:
            self.anchors[key] = len(self.steps)
        self.steps.append(step)


def solve(spec: BackpropSpec) -> Result:
    """One training step written out: forward, loss, δ, gradients, update; then `steps - 1` more."""
    layers = list(spec.layers)
    first = run_pass(spec, layers)
    work = Derivation()
    forward(work, layers, first)
    write_loss(work, spec, first)
    output_deltas(work, spec, first)
    hidden_deltas(work, layers, first)
    gradients(work, spec, layers, first)
    updated = descend(spec, layers, first)
    update(work, spec, layers, updated, first)
    current, history, after = keep_training(spec, updated, first)
    return Result(
        "backprop",
        T("Backpropagation", "反向传播"),
        _answer(first, current, history, after),
        _summary(spec, layers, first, after),
        work.steps,
        [_parameter_table(layers, current, first)],
        [_descent_note(spec)],
        spec,
        anchors=work.anchors,
    )


def forward(work: Derivation, layers: list[DenseLayer], p: Pass) -> None:
    """Layer by layer: each neuron's net input z, then the layer's activations a."""
    for l, layer in enumerate(layers, 1):
        for j in range(1, len(layer.weights) + 1):
            _net_input(work, l, j, layer, p)
        if layer.activation == "softmax":
            _softmax_outputs(work, l, layer, p)
        else:
            _activations(work, l, layer, p)


def _net_input(work: Derivation, l: int, j: int, layer: DenseLayer, p: Pass) -> None:
    row, prev = layer.weights[j - 1], p.activations[l - 1]
    bj = layer.bias[0] if layer.shared_bias else layer.bias[j - 1]
    terms_sym = [
        _name("W", l, j, i) * (_name("a", l - 1, i) if l > 1 else m.numbered("x", i)) for i in range(1, len(row) + 1)
    ]
    sym_expr = terms_sym[0]
    for t_ in terms_sym[1:]:
        sym_expr = sym_expr + t_
    num_expr = _n(row[0]) * _n(prev[0])
    for w, x in zip(row[1:], prev[1:]):
        num_expr = num_expr + _n(w) * _n(x)
    bsym = _name("b", l) if layer.shared_bias else _name("b", l, j)
    work.add(
        Step(
            T("Forward: net input", "前向：净输入"),
            _name("z", l, j),
            [sym_expr + bsym, num_expr + _n(bj), _n(p.zs[l - 1][j - 1])],
        ),
        f"z{l}[{j}]",
    )


def _softmax_outputs(work: Derivation, l: int, layer: DenseLayer, p: Pass) -> None:
    z = [float(v) for v in p.zs[l - 1]]
    top = max(z)
    exps = [math.exp(v - top) for v in z]
    denominator = m.total([m.sym("e") ** (_n(v) - _n(top)) for v in z])
    for j in range(1, len(layer.weights) + 1):
        work.add(
            Step(
                T("Forward: softmax", "前向：softmax"),
                _name("a", l, j),
                [
                    m.Math(
                        f"e^(z{l}[{j}] - max z) / Σ_k e^(z{l}[k] - max z)",
                        rf"\frac{{e^{{z^{{({l})}}_{j} - \max z}}}}{{\sum_k e^{{z^{{({l})}}_k - \max z}}}}",
                    ),
                    m.frac(m.sym("e") ** (_n(z[j - 1]) - _n(top)), denominator),
                    m.frac(_n(exps[j - 1]), m.total([_n(e) for e in exps])),
                    _n(p.activations[l][j - 1]),
                ],
            ),
            f"a{l}[{j}]",
        )


def _activations(work: Derivation, l: int, layer: DenseLayer, p: Pass) -> None:
    ft, fl = ACT_TEXT[layer.activation]
    for j in range(1, len(layer.weights) + 1):
        z = p.zs[l - 1][j - 1]
        chain = (
            [
                m.call(ft, _name("z", l, j), latex_name=fl),
                m.call(ft, _n(z), latex_name=fl),
                _n(p.activations[l][j - 1]),
            ]
            if ft
            else [_name("z", l, j), _n(p.activations[l][j - 1])]
        )
        work.add(Step(T("Forward: activation", "前向：激活"), _name("a", l, j), chain), f"a{l}[{j}]")


def write_loss(work: Derivation, spec: BackpropSpec, p: Pass) -> None:
    work.add(Step(T("Loss", "损失"), m.sym("E"), _loss_chain(spec, p), _loss_note(spec, spec.layers[-1])), "loss")


def output_deltas(work: Derivation, spec: BackpropSpec, p: Pass) -> None:
    """δ_L = ∂E/∂a_L ⊙ f'(z_L), collapsing to o - t for cross-entropy on softmax or sigmoid."""
    last, L, o = spec.layers[-1], len(spec.layers), p.activations[-1]
    for j in range(1, len(o) + 1):
        d = p.deltas[-1][j - 1]
        aj, tj = _n(o[j - 1]), _n(spec.target[j - 1])
        if spec.loss == "cross_entropy":
            t_sum = sum(float(v) for v in spec.target)
            collapsed = last.activation == "sigmoid" or abs(t_sum - 1) < 1e-12
            chain = [
                _name("a", L, j) - m.numbered("t", j)
                if collapsed
                else _name("a", L, j) * m.summation("t") - m.numbered("t", j),
                aj - tj if collapsed else aj * _n(t_sum) - tj,
                _n(d),
            ]
            note = T(
                "softmax/sigmoid with cross-entropy: the chain rule collapses to o - t",
                "softmax/sigmoid 配交叉熵：链式法则化简为 o - t",
            )
        elif last.activation == "softmax":
            ks = range(len(o))
            chain = [
                m.Math(
                    f"Σ_k ∂E/∂a{L}[k]·a{L}[k](δ_kj - a{L}[{j}])",
                    rf"\sum_k \frac{{\partial E}}{{\partial a^{{({L})}}_k}} a^{{({L})}}_k (\delta_{{kj}} - a^{{({L})}}_{j})",
                ),
                m.total(
                    [
                        _dE_math(spec, o[k], spec.target[k], len(o)) * _n(o[k]) * ((1 if k == j - 1 else 0) - aj)
                        for k in ks
                    ]
                ),
                _n(d),
            ]
            note = _dE_note(spec) + T(
                "; softmax Jacobian ∂a_k/∂z_j = a_k(δ_kj - a_j)", "；softmax 雅可比 ∂a_k/∂z_j = a_k(δ_kj - a_j)"
            )
        else:
            chain = [
                m.Math(
                    f"∂E/∂a{L}[{j}] · f'(z{L}[{j}])",
                    rf"\frac{{\partial E}}{{\partial a^{{({L})}}_{j}}} f'(z^{{({L})}}_{j})",
                ),
                _times_fprime(_dE_math(spec, o[j - 1], spec.target[j - 1], len(o)), last, p.zs[-1][j - 1], o[j - 1]),
                _n(d),
            ]
            note = _dE_note(spec) + T("; ", "；") + DERIV_TEXT[last.activation]
        work.add(Step(T("Backward: output δ", "反向：输出层 δ"), _name("δ", L, j), chain, note), f"delta{L}[{j}]")


def hidden_deltas(work: Derivation, layers: list[DenseLayer], p: Pass) -> None:
    """δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ f_l'(z_l), from the last hidden layer back to the first."""
    for l in range(len(layers) - 1, 0, -1):
        nxt, layer = layers[l], layers[l - 1]
        for j in range(1, len(layer.weights) + 1):
            ks = range(1, len(nxt.weights) + 1)
            sym = m.total([_name("W", l + 1, k, j) * _name("δ", l + 1, k) for k in ks])
            numeric = m.total([_n(nxt.weights[k - 1][j - 1]) * _n(p.deltas[l][k - 1]) for k in ks])
            chain = [
                m.group(sym) * m.call("f'", _name("z", l, j), latex_name="f'"),
                _times_fprime(
                    m.group(numeric),
                    layer,
                    p.zs[l - 1][j - 1],
                    p.activations[l][j - 1],
                ),
                _n(p.deltas[l - 1][j - 1]),
            ]
            work.add(
                Step(
                    T("Backward: hidden δ", "反向：隐藏层 δ"),
                    _name("δ", l, j),
                    chain,
                    T("error sent back through the weights out of this neuron; ", "误差沿该神经元的出边权重传回；")
                    + DERIV_TEXT.get(layer.activation, T("", "")),
                ),
                f"delta{l}[{j}]",
            )


def gradients(work: Derivation, spec: BackpropSpec, layers: list[DenseLayer], p: Pass) -> None:
    """∂E/∂W_l[j,i] = δ_l[j]·a_{l-1}[i] and ∂E/∂b_l[j] = δ_l[j], last layer first."""
    for l in range(len(layers), 0, -1):
        layer = layers[l - 1]
        for j in range(1, len(layer.weights) + 1):
            for i in range(1, len(p.activations[l - 1]) + 1):
                _weight_gradient(work, l, j, i, p)
        if spec.update_bias:
            _bias_gradients(work, l, layer, p)


def _weight_gradient(work: Derivation, l: int, j: int, i: int, p: Pass) -> None:
    src = _name("a", l - 1, i) if l > 1 else m.numbered("x", i)
    chain = [
        m.Math(
            f"∂E/∂a · ∂a/∂z · ∂z/∂w = δ{l}[{j}]·{src.text}",
            rf"\frac{{\partial E}}{{\partial a}}\frac{{\partial a}}{{\partial z}}\frac{{\partial z}}{{\partial w}} = "
            rf"{_name('δ', l, j).latex} {src.latex}",
        ),
        _n(p.deltas[l - 1][j - 1]) * _n(p.activations[l - 1][i - 1]),
        _n(p.grads_w[l - 1][j - 1][i - 1]),
    ]
    work.add(
        Step(
            T("Gradient", "梯度"),
            m.partial_frac("E", _name("W", l, j, i)),
            chain,
        ),
        f"grads.W{l}[{j},{i}]",
    )


def _bias_gradients(work: Derivation, l: int, layer: DenseLayer, p: Pass) -> None:
    gb = p.grads_b[l - 1]
    if layer.shared_bias:
        work.add(
            Step(
                T("Gradient of the shared bias", "共享偏置的梯度"),
                m.partial_frac("E", _name("b", l)),
                m.dedupe(
                    [
                        m.summation(m.sym(f"δ{l}[j]", rf"\delta^{{({l})}}_j"), index="j"),
                        m.total([_n(v) for v in p.deltas[l - 1]]),
                        _n(gb[0]),
                    ]
                ),
            ),
            f"grads.b{l}[1]",
        )
        return
    for j in range(1, len(gb) + 1):
        work.add(
            Step(
                T("Gradient", "梯度"),
                m.partial_frac("E", _name("b", l, j)),
                [_name("δ", l, j), _n(gb[j - 1])],
            ),
            f"grads.b{l}[{j}]",
        )


def update(work: Derivation, spec: BackpropSpec, layers: list[DenseLayer], updated: list[DenseLayer], p: Pass) -> None:
    """W ← W - η·∂E/∂W for every weight (and bias, unless update_bias is false), first layer first."""
    for l in range(1, len(layers) + 1):
        for j, (row, new_row, grow) in enumerate(
            zip(layers[l - 1].weights, updated[l - 1].weights, p.grads_w[l - 1]), 1
        ):
            for i, (w, w2, g) in enumerate(zip(row, new_row, grow), 1):
                work.add(
                    Step(
                        T("Update", "更新"),
                        m.marked(_name("W", l, j, i), "+"),
                        [
                            _name("W", l, j, i) - m.sym("η") * m.partial_frac("E", _name("W", l, j, i)),
                            _n(w) - _n(spec.lr) * _n(g),
                            _n(w2),
                        ],
                    ),
                    f"updated.W{l}[{j},{i}]",
                )
        if spec.update_bias:
            for j, (b, b2, g) in enumerate(zip(layers[l - 1].bias, updated[l - 1].bias, p.grads_b[l - 1]), 1):
                work.add(
                    Step(
                        T("Update", "更新"),
                        m.marked(_name("b", l, j), "+"),
                        [_n(b) - _n(spec.lr) * _n(g), _n(b2)],
                    ),
                    f"updated.b{l}[{j}]",
                )


def keep_training(
    spec: BackpropSpec, updated: list[DenseLayer], first: Pass
) -> tuple[list[DenseLayer], list[dict[str, Any]], Any]:
    """The remaining `steps - 1` gradient-descent steps (not written out): the final layers, the
    loss before each step, and the loss after the last."""
    history: list[dict[str, Any]] = [{"step": 1, "loss": first.loss}]
    current = updated
    for s in range(2, spec.steps + 1):
        p = run_pass(spec, current, s)
        history.append({"step": s, "loss": p.loss})
        current = descend(spec, current, p, s)
    after = run_pass(spec, current, spec.steps + 1).loss
    history.append({"step": spec.steps + 1, "loss": after})
    return current, history, after


def _answer(first: Pass, current: list[DenseLayer], history: list[dict[str, Any]], after: Any) -> dict[str, Any]:
    L = len(current)
    grads = {}
    for l in range(1, L + 1):
        grads[f"W{l}"] = first.grads_w[l - 1]
        grads[f"b{l}"] = first.grads_b[l - 1]
    params = {}
    for l, layer in enumerate(current, 1):
        params[f"W{l}"] = [list(r) for r in layer.weights]
        params[f"b{l}"] = list(layer.bias)
    return {
        "loss": first.loss,
        "loss_after": after,
        "forward": {
            **{f"z{l}": first.zs[l - 1] for l in range(1, L + 1)},
            **{f"a{l}": first.activations[l] for l in range(1, L + 1)},
        },
        "deltas": {f"delta{l}": first.deltas[l - 1] for l in range(1, L + 1)},
        "grads": grads,
        "updated": params,
        "history": history,
    }


def _summary(spec: BackpropSpec, layers: list[DenseLayer], first: Pass, after: Any) -> list[tuple[Text, Text | str]]:
    return [
        (
            T("Network", "网络"),
            " → ".join([str(len(spec.input))] + [f"{len(ly.weights)} {ly.activation}" for ly in layers]),
        ),
        (T("Loss before", "更新前损失"), m.fmt_number(first.loss, DIGITS)),
        (T("Loss after {n} step(s)", "{n} 步后损失").format(n=spec.steps), m.fmt_number(after, DIGITS)),
    ]


def _descent_note(spec: BackpropSpec) -> Text:
    return T("gradient descent with η = {lr}; biases {b}", "梯度下降，η = {lr}；偏置{bz}").format(
        lr=m.fmt_number(spec.lr),
        b="updated" if spec.update_bias else "kept fixed (update_bias: false)",
        bz="参与更新" if spec.update_bias else "保持不变（update_bias: false）",
    )


def _parameter_table(layers: list[DenseLayer], current: list[DenseLayer], first: Pass) -> Table:
    return Table(
        [T("parameter", "参数"), T("value", "原值"), T("∂E/∂·", "∂E/∂·"), T("updated", "更新后")],
        [
            [
                f"W{l}[{j},{i}]",
                m.fmt_number(layers[l - 1].weights[j - 1][i - 1], DIGITS),
                m.fmt_number(first.grads_w[l - 1][j - 1][i - 1], DIGITS),
                m.fmt_number(current[l - 1].weights[j - 1][i - 1], DIGITS),
            ]
            for l in range(1, len(layers) + 1)
            for j in range(1, len(layers[l - 1].weights) + 1)
            for i in range(1, len(layers[l - 1].weights[0]) + 1)
        ],
        T("Parameters, gradients and the update", "参数、梯度与更新"),
    )


def _loss_chain(spec: BackpropSpec, p: Pass) -> list[m.Math]:
    """E written as its formula, with the numbers in, then its value (cross-entropy from z, stably)."""
    o, t, n = p.activations[-1], spec.target, len(spec.target)
    if spec.loss == "half_sse":
        terms = [m.frac(1, 2) * (_n(ti) - _n(oi)) ** 2 for oi, ti in zip(o, t)]
        values = [(ti - oi) ** 2 / 2 for oi, ti in zip(o, t)]
        return m.dedupe(
            [
                m.Math("Σ ½(t - o)²", r"\sum \tfrac{1}{2}(t - o)^2"),
                m.total(terms),
                m.total([_n(v) for v in values]),
                _n(p.loss),
            ]
        )
    if spec.loss == "mse":
        squares = [(ti - oi) ** 2 for oi, ti in zip(o, t)]
        return m.dedupe(
            [
                m.summation(m.squared(m.sym("t") - m.sym("o")), m.frac(1, m.sym("n"))),
                m.frac(1, n) * m.total([(_n(ti) - _n(oi)) ** 2 for oi, ti in zip(o, t)]),
                m.frac(1, n) * m.total([_n(v) for v in squares]),
                _n(p.loss),
            ]
        )
    z = [float(v) for v in p.zs[-1]]
    tf = [float(v) for v in t]
    if spec.layers[-1].activation == "sigmoid":
        return m.dedupe(
            [
                m.Math("-Σ [t ln o + (1 - t) ln(1 - o)]", r"-\sum [t \ln o + (1 - t) \ln(1 - o)]"),
                m.Math("Σ [max(z, 0) - z·t + ln(1 + e^(-|z|))]", r"\sum [\max(z, 0) - z t + \ln(1 + e^{-|z|})]"),
                m.total(
                    [
                        m.call("max", _n(zi), 0) - _n(zi) * _n(ti) + _ln(1 + m.sym("e") ** _n(-abs(zi)))
                        for zi, ti in zip(z, tf)
                    ]
                ),
                m.total([_n(v) for v in bce_terms(z, tf)]),
                _n(p.loss),
            ]
        )
    log_a = log_softmax(z)
    used = [(ti, la) for ti, la in zip(tf, log_a) if ti != 0]
    return m.dedupe(
        [
            m.Math("-Σ t·ln o", r"-\sum t \ln o"),
            -m.total([_n(ti) * _n(la) for ti, la in used]) if used else _n(0),
            _n(p.loss),
        ]
    )


def _loss_note(spec: BackpropSpec, last: DenseLayer) -> Text | None:
    if spec.loss != "cross_entropy":
        return None
    if last.activation == "sigmoid":
        return T(
            "the same loss written through z (torch's binary_cross_entropy_with_logits): "
            "finite even when o rounds to 0 or 1",
            "把同一损失写成 z 的函数（torch 的 binary_cross_entropy_with_logits）：o 舍入为 0 或 1 时仍有限",
        )
    return T(
        "ln o = z - LSE(z) (log-softmax), never the log of a rounded probability",
        "ln o = z - LSE(z)（log-softmax），不对舍入后的概率取对数",
    )


def _ln(x: object) -> m.Math:
    return m.call("ln", x, latex_name=r"\ln")


def _dE_math(spec: BackpropSpec, o: Any, t: Any, n: int) -> m.Math:
    """∂E/∂o with the numbers in: (o - t), or 2(o - t)/n for mse."""
    if spec.loss == "mse":
        return m.frac(m.juxt(2, _n(o) - _n(t)), n)
    return _n(o) - _n(t)


def _times_fprime(left: m.Math, layer: DenseLayer, z: Any, a: Any) -> m.Math:
    """left·f'(z) with the numbers in, f' through the output where the course does: a(1 - a), 1 - a²."""
    if layer.activation == "sigmoid":
        return left * _n(a) * (1 - _n(a))
    if layer.activation == "tanh":
        return left * (1 - _n(a) ** 2)
    return left * _n(derivative(layer.activation, z, a, layer.alpha))


def _dE_note(spec: BackpropSpec) -> Text:
    return {
        "half_sse": T("∂E/∂o = o - t for E = Σ ½(t - o)²", "对 E = Σ ½(t - o)²，∂E/∂o = o - t"),
        "mse": T("∂E/∂o = 2(o - t)/n for E = (1/n)Σ(t - o)²", "对 E = (1/n)Σ(t - o)²，∂E/∂o = 2(o - t)/n"),
        "cross_entropy": T("∂E/∂o = -t/o for E = -Σ t·ln o", "对 E = -Σ t·ln o，∂E/∂o = -t/o"),
    }[spec.loss]


# --- checking a student's own numbers ---------------------------------------------------------


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a1": [0.59, 0.6], "grads": {"W1": [[…]]}} → {"a1[1]": 0.59, …, "grads.W1[1,1]": …}."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
            for j, row in enumerate(value, 1):
                if not isinstance(row, (list, tuple)) or any(isinstance(v, (list, tuple, dict)) for v in row):
                    raise DlcalcError(f"mine: {name} must be a matrix of numbers (row {j} is not a list of numbers)")
                for i, v in enumerate(row, 1):
                    out[f"{name}[{j},{i}]"] = v
        elif isinstance(value, (list, tuple)):
            for j, v in enumerate(value, 1):
                if isinstance(v, (list, tuple, dict)):
                    raise DlcalcError(f"mine: {name}[{j}] must be a number")
                out[f"{name}[{j}]"] = v
        else:
            out[name] = value
    return out


def _rounding_allowance(written: Any) -> float:
    """Half a unit in the last place the student wrote, when they wrote 3 or more significant digits.

    -0.0227 for -0.02274024 is a correct rounding; 0.3 for 0.2995 (one digit) is not accepted.
    """
    text = repr(written) if isinstance(written, float) else str(written).strip()
    if "e" in text.lower() or "/" in text:
        return 0.0
    digits = text.lstrip("+-").replace(".", "").lstrip("0")
    if len(digits) < 3:
        return 0.0
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10**-decimals * (1 + 1e-9)


def mark(result: Result, mine: Mapping[str, Any], tol: float) -> dict[str, Any]:
    """Mark each value the student wrote, in derivation order, and find the first wrong one."""
    answer = result.answer
    truth = flatten(
        {
            **answer["forward"],
            "loss": answer["loss"],
            **answer["deltas"],
            "grads": answer["grads"],
            "updated": answer["updated"],
        }
    )
    theirs = flatten(mine)
    unknown = [k for k in theirs if k not in truth]
    if unknown:
        raise DlcalcError(
            f"mine: unknown value {unknown[0]!r} (names look like z1, a2, loss, delta1, grads.W1, updated.b2)"
        )
    order = sorted(theirs, key=lambda k: result.anchors.get(k, len(result.steps)))
    rows = []
    first = None
    for key in order:
        yours = float(parse_number(theirs[key], f"mine {key}"))
        correct = float(truth[key])
        ok = abs(yours - correct) <= max(tol * abs(correct), _rounding_allowance(theirs[key]), 1e-9)
        rows.append({"name": key, "yours": yours, "correct": correct, "ok": ok})
        if not ok and first is None:
            first = rows[-1]
    return {
        "checked": len(rows),
        "wrong": [r["name"] for r in rows if not r["ok"]],
        "first_wrong": first,
        "rows": rows,
        "tolerance": tol,
    }
