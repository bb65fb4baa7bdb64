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
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_bool
from dlcalc.result import Result, Step
from dlcalc.solvers import recurrent as R
from dlcalc.text import T

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


def parse_spec(inputs: Mapping[str, Any]) -> RNNSpec:
    only_keys(inputs, FIELDS, "rnn")
    inputs = dict(inputs)
    x = R.parse_sequence(inputs.get("x"))
    w = R.read_weights(inputs, ("h",), ALIASES, len(x[0]))
    nonlinearity = str(inputs.get("nonlinearity") or "tanh").strip().lower()
    if nonlinearity not in ("tanh", "relu"):
        raise DlcalcError(f"nonlinearity: expected tanh or relu, got {nonlinearity!r}")
    w_hy = b_y = None
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
    )


def solve(spec: RNNSpec) -> Result:
    w = spec.weights
    fn = spec.nonlinearity
    h = list(spec.h0)
    hs, ys, steps = [], [], []
    scalar = w.hidden == 1
    for t, x in enumerate(spec.x, 1):
        pre = R.add(
            R.matvec(w.block("ih", "h"), list(x)), w.bias("ih", "h"), R.matvec(w.block("hh", "h"), h), w.bias("hh", "h")
        )
        h_new = R.tanh(pre) if fn == "tanh" else R.relu(pre)
        formula = m.Math(
            f"{fn}(W_ih·x{t} + b_ih + W_hh·h{t - 1} + b_hh)",
            rf"{R._latex_fn(fn)}\left(W_{{ih}} x_{t} + b_{{ih}} + W_{{hh}} h_{{{t - 1}}} + b_{{hh}}\right)",
        )
        sub = None
        if scalar:
            ih, hh = R.scalar_terms(w.block("ih", "h"), list(x)), R.scalar_terms(w.block("hh", "h"), h)
            bi, bh = m.num(w.bias("ih", "h")[0], R.DIGITS), m.num(w.bias("hh", "h")[0], R.DIGITS)
            sub = m.Math(
                f"{fn}({ih.text} + {bi.text} + {hh.text} + {bh.text})",
                rf"{R._latex_fn(fn)}\left({ih.latex} + {bi.latex} + {hh.latex} + {bh.latex}\right)",
            )
        steps.append(
            R.gate_step(
                T("t = {t}: hidden state", "t = {t}：隐藏状态").format(t=t),
                m.Math(f"h{t}", f"h_{t}"),
                formula,
                pre,
                h_new,
                fn,
                sub,
            )
        )
        h = h_new
        hs.append(h)
        if spec.w_hy is not None:
            logits = R.add(R.matvec([list(r) for r in spec.w_hy], h), list(spec.b_y))
            y = R.softmax(logits) if spec.softmax else logits
            chain = [m.Math(f"W_hy·h{t} + b_y", rf"W_{{hy}} h_{t} + b_y")]
            if spec.softmax:
                chain = [
                    m.Math(f"softmax(W_hy·h{t} + b_y)", rf"\operatorname{{softmax}}\left(W_{{hy}} h_{t} + b_y\right)"),
                    m.Math(
                        f"softmax({R.vec(logits).text})", rf"\operatorname{{softmax}}\left({R.vec(logits).latex}\right)"
                    ),
                ]
            steps.append(
                Step(T("t = {t}: output", "t = {t}：输出").format(t=t), m.Math(f"y{t}", f"y_{t}"), chain + [R.vec(y)])
            )
            ys.append(y)
    answer = {
        "h": hs,
        "h_last": hs[-1],
        "hidden_size": w.hidden,
        "input_size": w.inputs,
        "nonlinearity": fn,
        "weights_form": w.form,
    }
    summary = [
        (T("Sizes", "尺寸"), f"input {w.inputs}, hidden {w.hidden}, {len(spec.x)} step(s)"),
        (T("h per step", "各步 h"), ", ".join(R.vec(v).text for v in hs)),
    ]
    if ys:
        answer["y"] = ys
        summary.append((T("y per step", "各步 y"), ", ".join(R.vec(v).text for v in ys)))
    return Result("rnn", T("RNN", "RNN"), answer, summary, steps, spec=spec)
