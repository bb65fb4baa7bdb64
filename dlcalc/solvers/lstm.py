"""One LSTM layer run over a sequence, every gate worked out (torch's equations, gate order i, f, g, o):

i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)       input gate
f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)       forget gate
g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)    candidate cell (the notes' C̃_t)
o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)       output gate
c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
h_t = o_t ⊙ tanh(c_t)

Peephole connections (Gers & Schmidhuber 2000; fields p_i, p_f, p_o, one weight per unit, diagonal):
the input and forget gates also see c_{t-1} (+ p_i ⊙ c_{t-1}, + p_f ⊙ c_{t-1}), and the output gate
sees the new cell state (+ p_o ⊙ c_t), so o_t is computed after c_t. torch.nn.LSTM has none: the check
writes these equations out in torch operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys
from dlcalc.result import Result, Step
from dlcalc.solvers import recurrent as R
from dlcalc.solvers.recurrent import H0, SEQUENCE, WEIGHTS
from dlcalc.text import T

GATES = ("i", "f", "g", "o")
ALIASES = {
    "i": (("W_i",), ("U_i",), ("b_i",)),
    "f": (("W_f",), ("U_f",), ("b_f",)),
    "g": (("W_g", "W_c"), ("U_g", "U_c"), ("b_g", "b_c")),
    "o": (("W_o",), ("U_o",), ("b_o",)),
}
PEEPHOLES = ("p_i", "p_f", "p_o")
FIELDS = {"x", "h0", "c0", *R.TORCH_KEYS, *PEEPHOLES} | {
    k for names in ALIASES.values() for group in names for k in group
}
NAMES = {
    "i": (T("input gate", "输入门"), "σ"),
    "f": (T("forget gate", "遗忘门"), "σ"),
    "g": (T("candidate cell", "候选记忆"), "tanh"),
    "o": (T("output gate", "输出门"), "σ"),
}


@dataclass(frozen=True)
class LSTMSpec:
    x: tuple[tuple[float, ...], ...]
    h0: tuple[float, ...]
    c0: tuple[float, ...]
    weights: R.Weights
    peephole: tuple[tuple[str, tuple[float, ...]], ...] = ()  # (gate, diagonal weights) for i, f, o

    def peep(self, gate: str) -> list[float] | None:
        return next((list(p) for g, p in self.peephole if g == gate), None)


SOLVER = Solver(
    name="lstm",
    help=T(
        "An LSTM's forward pass: input, forget and output gates, candidate, cell and hidden state.",
        "LSTM 的前向传播：输入门、遗忘门、输出门、候选值、细胞状态与隐藏状态。",
    ),
    example="dlcalc lstm -f lstm-scalar.yaml --check",
    inputs=(
        SEQUENCE,
        H0,
        Input("c0", help=T("Initial cell state.", "初始细胞状态。"), metavar="LIST", shown_default=T("zeros", "全零")),
        *WEIGHTS,
    ),
    fields=tuple(sorted(FIELDS)),
    file=True,
    picture=True,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> LSTMSpec:
    only_keys(inputs, FIELDS, "lstm")
    x = R.parse_sequence(inputs.get("x"))
    n_in = len(x[0])
    w = R.read_weights(inputs, GATES, ALIASES, n_in)
    if inputs.get("h0") is not None and len(R.initial_state(inputs, "h0", w.hidden)) != w.hidden:
        raise DlcalcError(f"h0: expected {w.hidden} values")
    peephole = []
    for key in PEEPHOLES:
        if inputs.get(key) is not None:
            from dlcalc.parse import parse_vector

            values = tuple(float(v) for v in parse_vector(inputs[key], key))
            if len(values) != w.hidden:
                raise DlcalcError(
                    T(
                        "{k}: expected {h} peephole weights (one per hidden unit), got {n}",
                        "{k}：应有 {h} 个窥视孔权重（每个隐藏单元一个），得到 {n} 个",
                    ).format(k=key, h=w.hidden, n=len(values))  # fmt: skip
                )
            peephole.append((key[-1], values))
    return LSTMSpec(
        tuple(map(tuple, x)),
        tuple(R.initial_state(inputs, "h0", w.hidden)),
        tuple(R.initial_state(inputs, "c0", w.hidden)),
        w,
        tuple(peephole),
    )


def _gate(
    spec: LSTMSpec, gate: str, t: int, x: list[float], h: list[float], c_seen: list[float]
) -> tuple[list[float], Step]:
    """One gate's activation and its worked step; a peephole adds p ⊙ c (c_{t-1}, or c_t for o)."""
    w = spec.weights
    p = spec.peep(gate)
    pre = R.add(
        R.matvec(w.block("ih", gate), x), w.bias("ih", gate), R.matvec(w.block("hh", gate), h), w.bias("hh", gate)
    )
    formula = R.affine_formula(w.named(gate), t)
    units = [R.affine_numbers(w, gate, x, h, i) for i in range(w.hidden)]
    if p is not None:
        pre = R.add(pre, R.mul(p, c_seen))
        c_name = R.indexed("c", t if gate == "o" else t - 1)
        formula = formula + m.odot(m.sym(f"p_{gate}"), c_name)
        units = [units[i] + R.num(p[i]) * R.num(c_seen[i]) for i in range(w.hidden)]
    label, fn = NAMES[gate]
    post = R.sigmoid(pre) if fn == "σ" else R.tanh(pre)
    step = R.gate_step(
        T("t = {t}: ", "t = {t}：").format(t=t) + label, R.indexed(gate, t), formula, pre, post, fn, units
    )
    if p is not None:
        step.note = T("peephole: the gate also sees the cell state", "窥视孔连接：该门也看到细胞状态")
    return post, step


def solve(spec: LSTMSpec) -> Result:
    w = spec.weights
    h, c = list(spec.h0), list(spec.c0)
    hs, cs, gates_log, steps = [], [], [], []
    peephole = spec.peep("o") is not None
    for t, x in enumerate(spec.x, 1):
        gates = {}
        # with an output peephole, o_t needs c_t: the cell state comes first
        for gate in ("i", "f", "g") if peephole else GATES:
            gates[gate], step = _gate(spec, gate, t, list(x), h, c)
            steps.append(step)
        c_new = R.add(R.mul(gates["f"], c), R.mul(gates["i"], gates["g"]))
        steps.append(_cell_step(t, gates, c, c_new))
        if peephole:
            gates["o"], step = _gate(spec, "o", t, list(x), h, c_new)
            steps.append(step)
        h_new = R.mul(gates["o"], R.tanh(c_new))
        steps.append(_hidden_step(t, gates["o"], c_new, h_new))
        h, c = h_new, c_new
        hs.append(h)
        cs.append(c)
        gates_log.append(gates)
    return Result(
        kind="lstm",
        title=T("LSTM", "LSTM"),
        answer={
            "h": hs,
            "c": cs,
            "gates": gates_log,
            "h_last": hs[-1],
            "c_last": cs[-1],
            "hidden_size": w.hidden,
            "input_size": w.inputs,
            "weights_form": w.form,
            **({"peephole": {f"p_{g}": list(p) for g, p in spec.peephole}} if spec.peephole else {}),
        },
        summary=[
            (T("Sizes", "尺寸"), T("input {i}, hidden {h}, {n} step(s)", "输入 {i}，隐藏 {h}，{n} 步").format(i=w.inputs, h=w.hidden, n=len(spec.x))),
            (T("Final h", "最终 h"), R.vec(hs[-1]).text),
            (T("Final c", "最终 c"), R.vec(cs[-1]).text),
        ],
        steps=steps,
        notes=_notes(spec),
        spec=spec,
    )  # fmt: skip


def _cell_step(t: int, gates: dict[str, list[float]], c: list[float], c_new: list[float]) -> Step:
    """c_t = f_t⊙c_{t-1} + i_t⊙g_t, with the numbers put in."""
    num, f_, i_, g_ = R.num, gates["f"], gates["i"], gates["g"]
    rule = m.odot(R.indexed("f", t), R.indexed("c", t - 1)) + m.odot(R.indexed("i", t), R.indexed("g", t))
    return Step(
        T("t = {t}: cell state", "t = {t}：细胞状态").format(t=t),
        R.indexed("c", t),
        m.dedupe(
            [
                rule,
                R.components([num(f_[k]) * num(c[k]) + num(i_[k]) * num(g_[k]) for k in range(len(c))]),
                R.vec(c_new),
            ]
        ),
        T("forget part of the old memory, add the gated candidate", "遗忘部分旧记忆，加入门控后的候选记忆"),
    )


def _hidden_step(t: int, o_: list[float], c_new: list[float], h_new: list[float]) -> Step:
    """h_t = o_t⊙tanh(c_t), with the numbers put in."""
    num = R.num
    return Step(
        T("t = {t}: hidden state", "t = {t}：隐藏状态").format(t=t),
        R.indexed("h", t),
        m.dedupe(
            [
                m.odot(R.indexed("o", t), m.call("tanh", R.indexed("c", t))),
                R.components([num(o_[k]) * R.apply("tanh", num(c_new[k])) for k in range(len(c_new))]),
                R.vec(h_new),
            ]
        ),
    )


def _notes(spec: LSTMSpec) -> list:
    notes = [
        T(
            "gate order i, f, g, o as in torch; g is the candidate cell C̃",
            "门顺序为 i、f、g、o（与 torch 一致）；g 即候选记忆 C̃",
        )
    ]
    if spec.peephole:
        notes.append(
            T(
                "peephole connections ({p}): torch.nn.LSTM has none, so --check writes these equations out in torch operations",
                "窥视孔连接（{p}）：torch.nn.LSTM 没有窥视孔，因此 --check 用 torch 运算逐式写出这些方程",
            ).format(p=", ".join(f"p_{g}" for g, _ in spec.peephole))
        )
    return notes
