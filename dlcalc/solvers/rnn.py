"""A simple (Elman) RNN run over a sequence, as the exam's forward computation asks:

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)         (or ReLU with nonlinearity: relu)
    y_t = W_hy h_t + b_y                                      (optional output layer, optional softmax)

Textbook names: W_xh (or W) for W_ih, W_hh (or U) for W_hh, b_h (or b) for the bias.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_bool
from dlcalc.result import Result, Step
from dlcalc.solvers import recurrent as R
from dlcalc.solvers.recurrent import H0, SEQUENCE, WEIGHTS
from dlcalc.text import T, Text

ALIASES = {"h": (("W_xh", "W"), ("W_hh", "U"), ("b_h", "b"))}
FIELDS = {
    "x",
    "h0",
    "nonlinearity",
    "W_hy",
    "V",
    "b_y",
    "c",
    "softmax",
    *R.TORCH_KEYS,
    "W_xh",
    "W",
    "W_hh",
    "U",
    "b_h",
    "b",
}


@dataclass(frozen=True)
class RNNSpec:
    x: tuple[tuple[float, ...], ...]
    h0: tuple[float, ...]
    weights: R.Weights
    nonlinearity: str = "tanh"
    w_hy: tuple[tuple[float, ...], ...] | None = None
    b_y: tuple[float, ...] | None = None
    softmax: bool = False
    out_names: tuple[str, str | None] = ("W_hy", "b_y")  # the output layer's weights and bias, as given


SOLVER = Solver(
    name="rnn",
    help=T(
        "A simple RNN's forward pass, h_t = tanh(W_ih x_t + b_ih + W_hh h_t-1 + b_hh), step by step.",
        "简单 RNN 的前向传播 h_t = tanh(W_ih x_t + b_ih + W_hh h_t-1 + b_hh)，逐步计算。",
    ),
    example='dlcalc rnn --sequence "1; 2; 3" --weight-ih 0.5 --weight-hh 0.1',
    inputs=(
        SEQUENCE,
        H0,
        *WEIGHTS,
        Input("nonlinearity", help=T("tanh or relu.", "tanh 或 relu。"), choices=("tanh", "relu"), default="tanh"),
    ),
    fields=tuple(sorted(FIELDS)),
    file=True,
    picture=True,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> RNNSpec:
    only_keys(inputs, FIELDS, "rnn")
    inputs = dict(inputs)
    x = R.parse_sequence(inputs.get("x"))
    w = R.read_weights(inputs, ("h",), ALIASES, len(x[0]), {"h": R.GateNames("W_ih", "W_hh", "b_ih", "b_hh")})
    nonlinearity = str(inputs.get("nonlinearity") or "tanh").strip().lower()
    if nonlinearity not in ("tanh", "relu"):
        raise DlcalcError(f"nonlinearity: expected tanh or relu, got {nonlinearity!r}")
    w_hy = b_y = by_key = None
    out_key = "W_hy" if inputs.get("W_hy") is not None else ("V" if inputs.get("V") is not None else None)
    if out_key is not None:
        w_hy = R._matrix(inputs[out_key], f"{out_key} (outputs x hidden {w.hidden})", None, w.hidden)
        by_key = "b_y" if inputs.get("b_y") is not None else ("c" if inputs.get("c") is not None else None)
        b_y = R._vector(inputs[by_key], by_key, len(w_hy)) if by_key else [0.0] * len(w_hy)
    softmax = parse_bool(inputs.get("softmax", False), "softmax")
    if softmax and w_hy is None:
        raise DlcalcError("softmax: needs an output layer (W_hy)")
    return RNNSpec(
        tuple(map(tuple, x)),
        tuple(R.initial_state(inputs, "h0", w.hidden)),
        w,
        nonlinearity,
        None if w_hy is None else tuple(map(tuple, w_hy)),
        None if b_y is None else tuple(b_y),
        softmax,
        (out_key or "W_hy", by_key if out_key is not None else None),
    )


def solve(spec: RNNSpec) -> Result:
    w = spec.weights
    h = list(spec.h0)
    hs, ys, steps = [], [], []
    for t, x in enumerate(spec.x, 1):
        h_new, step = _hidden_step(spec, t, list(x), h)
        steps.append(step)
        h = h_new
        hs.append(h)
        if spec.w_hy is not None:
            y, step = _output_step(spec, t, h)
            steps.append(step)
            ys.append(y)
    answer = {
        "h": hs,
        "h_last": hs[-1],
        "hidden_size": w.hidden,
        "input_size": w.inputs,
        "nonlinearity": spec.nonlinearity,
        "weights_form": w.form,
    }
    summary: list[tuple[Text, Text | str]] = [
        (T("Sizes", "尺寸"), T("input {i}, hidden {h}, {n} step(s)", "输入 {i}，隐藏 {h}，{n} 步").format(i=w.inputs, h=w.hidden, n=len(spec.x))),
        (T("h per step", "各步 h"), ", ".join(R.vec(v).text for v in hs)),
    ]  # fmt: skip
    if ys:
        answer["y"] = ys
        summary.append((T("y per step", "各步 y"), ", ".join(R.vec(v).text for v in ys)))
    return Result("rnn", T("RNN", "RNN"), answer, summary, steps, spec=spec)


def _hidden_step(spec: RNNSpec, t: int, x: list[float], h: list[float]) -> tuple[list[float], Step]:
    """h_t = tanh (or relu) of the affine map of x_t and h_{t-1}."""
    w = spec.weights
    pre = R.add(R.matvec(w.block("ih", "h"), x), w.bias("ih", "h"), R.matvec(w.block("hh", "h"), h), w.bias("hh", "h"))
    h_new = R.tanh(pre) if spec.nonlinearity == "tanh" else R.relu(pre)
    step = R.gate_step(
        T("t = {t}: hidden state", "t = {t}：隐藏状态").format(t=t),
        R.indexed("h", t),
        R.affine_formula(w.named("h"), t),
        pre,
        h_new,
        spec.nonlinearity,
        [R.affine_numbers(w, "h", x, h, i) for i in range(w.hidden)],
    )
    return h_new, step


def _output_step(spec: RNNSpec, t: int, h: list[float]) -> tuple[list[float], Step]:
    """y_t = W_hy·h_t + b_y, through softmax when asked."""
    assert spec.w_hy is not None and spec.b_y is not None  # parse_spec gives b_y with W_hy (zeros when not given)
    w_hy = [list(r) for r in spec.w_hy]
    logits = R.add(R.matvec(w_hy, h), list(spec.b_y))
    y = R.softmax(logits) if spec.softmax else logits
    w_name, b_name = spec.out_names
    formula = R.symbol(w_name) * R.indexed("h", t)
    if b_name is not None:
        formula = formula + R.symbol(b_name)
    y_units = R.components(
        [
            m.total(
                [R.num(a) * R.num(v) for a, v in zip(row, h)] + ([R.num(bi)] if b_name is not None else []),
                limit=10**6,
            )
            for row, bi in zip(w_hy, spec.b_y)
        ]
    )
    chain = [formula, y_units, R.vec(logits)]
    if spec.softmax:
        chain = [R.apply("softmax", c) for c in chain]
    return y, Step(T("t = {t}: output", "t = {t}：输出").format(t=t), R.indexed("y", t), m.dedupe(chain + [R.vec(y)]))
