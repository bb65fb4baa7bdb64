"""One GRU layer run over a sequence, every gate worked out, in a named convention:

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)        reset gate
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)        update gate

  torch:    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn)),   h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
  textbook: n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn),   h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ n_t
  cho:      n_t as textbook,                                              h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ n_t

torch is nn.GRU's; textbook is the "fully gated unit" most lecture slides draw (z weights the new
candidate, r applied to h before the product); cho is Cho et al. 2014 and d2l.ai.
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

GATES = ("r", "z", "n")
ALIASES = {
    "r": (("W_r",), ("U_r",), ("b_r",)),
    "z": (("W_z",), ("U_z",), ("b_z",)),
    "n": (("W_n", "W_h"), ("U_n", "U_h"), ("b_n", "b_h")),
}
CONVENTIONS = ("torch", "textbook", "cho")
FIELDS = {"x", "h0", "convention", *R.TORCH_KEYS} | {k for names in ALIASES.values() for group in names for k in group}


@dataclass(frozen=True)
class GRUSpec:
    x: tuple[tuple[float, ...], ...]
    h0: tuple[float, ...]
    weights: R.Weights
    convention: str = "torch"


SOLVER = Solver(
    name="gru",
    help=T(
        "A GRU's forward pass: reset and update gates, candidate and hidden state, in a named convention.",
        "GRU 的前向传播：重置门、更新门、候选值与隐藏状态，可选约定。",
    ),
    example="dlcalc gru -f gru-scalar.yaml --convention textbook --check",
    inputs=(
        SEQUENCE,
        H0,
        *WEIGHTS,
        Input(
            "convention",
            help=T(
                "torch: n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)), h = (1-z)⊙n + z⊙h.  "
                "textbook: n = tanh(W_in x + b_in + W_hn(r⊙h) + b_hn), h = (1-z)⊙h + z⊙n.  cho: n as textbook, h = z⊙h + (1-z)⊙n.",
                "torch：n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))，h = (1-z)⊙n + z⊙h。"
                "textbook：n = tanh(W_in x + b_in + W_hn(r⊙h) + b_hn)，h = (1-z)⊙h + z⊙n。cho：n 同 textbook，h = z⊙h + (1-z)⊙n。",
            ),
            choices=CONVENTIONS,
            default="torch",
        ),
    ),
    fields=tuple(sorted(FIELDS)),
    file=True,
    picture=True,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> GRUSpec:
    only_keys(inputs, FIELDS, "gru")
    x = R.parse_sequence(inputs.get("x"))
    w = R.read_weights(inputs, GATES, ALIASES, len(x[0]))
    convention = str(inputs.get("convention") or "torch").strip().lower()
    if convention not in CONVENTIONS:
        raise DlcalcError(f"convention: expected one of {', '.join(CONVENTIONS)}, got {convention!r}")
    return GRUSpec(tuple(map(tuple, x)), tuple(R.initial_state(inputs, "h0", w.hidden)), w, convention)


def step(spec: GRUSpec, x: list[float], h: list[float]) -> tuple[dict, list[float], dict]:
    """One time step: (gates, new h, pre-activations)."""
    w = spec.weights
    pre, gates = {}, {}
    for gate in ("r", "z"):
        pre[gate] = R.add(
            R.matvec(w.block("ih", gate), x), w.bias("ih", gate), R.matvec(w.block("hh", gate), h), w.bias("hh", gate)
        )
        gates[gate] = R.sigmoid(pre[gate])
    r, z = gates["r"], gates["z"]
    if spec.convention == "torch":
        hidden = R.mul(r, R.add(R.matvec(w.block("hh", "n"), h), w.bias("hh", "n")))
    else:
        hidden = R.add(R.matvec(w.block("hh", "n"), R.mul(r, h)), w.bias("hh", "n"))
    pre["n"] = R.add(R.matvec(w.block("ih", "n"), x), w.bias("ih", "n"), hidden)
    n = gates["n"] = R.tanh(pre["n"])
    one_minus_z = [1 - v for v in z]
    if spec.convention == "torch":
        h_new = R.add(R.mul(one_minus_z, n), R.mul(z, h))
    elif spec.convention == "textbook":
        h_new = R.add(R.mul(one_minus_z, h), R.mul(z, n))
    else:
        h_new = R.add(R.mul(z, h), R.mul(one_minus_z, n))
    return gates, h_new, pre


LABELS = {"r": T("reset gate", "重置门"), "z": T("update gate", "更新门"), "n": T("candidate state", "候选状态")}


def solve(spec: GRUSpec) -> Result:
    h = list(spec.h0)
    hs, log, steps = [], [], []
    for t, x_t in enumerate(spec.x, 1):
        x = list(x_t)
        gates, h_new, pre = step(spec, x, h)
        steps += _gate_steps(spec, t, x, h, gates, pre)
        steps.append(_hidden_step(spec, t, h, gates, h_new))
        h = h_new
        hs.append(h)
        log.append(gates)
    w = spec.weights
    return Result(
        kind="gru",
        title=T("GRU ({c} convention)", "GRU（{c} 约定）").format(c=spec.convention),
        answer={
            "h": hs,
            "gates": log,
            "h_last": hs[-1],
            "convention": spec.convention,
            "hidden_size": w.hidden,
            "input_size": w.inputs,
            "weights_form": w.form,
        },
        summary=[
            (T("Sizes", "尺寸"), T("input {i}, hidden {h}, {n} step(s)", "输入 {i}，隐藏 {h}，{n} 步").format(i=w.inputs, h=w.hidden, n=len(spec.x))),
            (T("Convention", "约定"), spec.convention),
            (T("Final h", "最终 h"), R.vec(hs[-1]).text),
        ],
        steps=steps,
        notes=[_convention_note(spec.convention)],
        spec=spec,
    )  # fmt: skip


def _gate_steps(
    spec: GRUSpec, t: int, x: list[float], h: list[float], gates: dict[str, list[float]], pre: dict[str, list[float]]
) -> list[Step]:
    """r_t and z_t (σ), then the candidate n_t (tanh) in the convention's form."""
    w = spec.weights
    head = T("t = {t}: ", "t = {t}：").format(t=t)
    steps = [
        R.gate_step(
            head + LABELS[gate],
            R.indexed(gate, t),
            R.affine_formula(w.named(gate), t),
            pre[gate],
            gates[gate],
            "σ",
            [R.affine_numbers(w, gate, x, h, i) for i in range(w.hidden)],
        )
        for gate in ("r", "z")
    ]
    steps.append(
        R.gate_step(
            head + LABELS["n"],
            R.indexed("n", t),
            _candidate_formula(spec, t),
            pre["n"],
            gates["n"],
            "tanh",
            [_candidate_numbers(spec, x, h, gates["r"], i) for i in range(w.hidden)],
        )
    )
    return steps


def _update_formula(convention: str, t: int) -> m.Math:
    """h_t from z_t, n_t and h_{t-1}, in the convention's order."""
    z, n, h = R.indexed("z", t), R.indexed("n", t), R.indexed("h", t - 1)
    if convention == "torch":
        return m.odot(1 - z, n) + m.odot(z, h)
    if convention == "textbook":
        return m.odot(1 - z, h) + m.odot(z, n)
    return m.odot(z, h) + m.odot(1 - z, n)


def _hidden_step(spec: GRUSpec, t: int, h: list[float], gates: dict[str, list[float]], h_new: list[float]) -> Step:
    """h_t = the z-weighted mix of h_{t-1} and n_t, with the numbers put in."""
    num, z, n = R.num, gates["z"], gates["n"]

    def unit(k: int) -> m.Math:
        keep, new = 1 - num(z[k]), num(z[k])
        if spec.convention == "torch":
            return keep * num(n[k]) + new * num(h[k])
        if spec.convention == "textbook":
            return keep * num(h[k]) + new * num(n[k])
        return new * num(h[k]) + keep * num(n[k])

    return Step(
        T("t = {t}: hidden state", "t = {t}：隐藏状态").format(t=t),
        R.indexed("h", t),
        m.dedupe(
            [
                _update_formula(spec.convention, t),
                R.components([unit(k) for k in range(spec.weights.hidden)]),
                R.vec(h_new),
            ]
        ),
        _update_note(spec.convention),
    )


def _candidate_formula(spec: GRUSpec, t: int) -> m.Math:
    """The candidate's pre-activation in the convention and in the input's own names."""
    names = spec.weights.named("n")
    rh = m.odot(R.indexed("r", t), R.indexed("h", t - 1))
    if spec.convention != "torch":
        return R.affine_formula(names, t, rh)
    # torch: r multiplies the whole hidden part W_hn·h + b_hn
    w_x, w_h = (names.w, names.u) if names.u is not None else (f"{names.w}[x]", f"{names.w}[h]")
    out = R.symbol(w_x) * R.indexed("x", t)
    hidden = R.symbol(w_h) * R.indexed("h", t - 1)
    if names.b_hh is not None:
        assert names.b_ih is not None  # the torch layout names both biases
        out = out + R.symbol(names.b_ih)
        hidden = hidden + R.symbol(names.b_hh)
    out = out + m.odot(R.indexed("r", t), m.group(hidden))
    if names.b_hh is None and names.b_ih is not None:
        out = out + R.symbol(names.b_ih)
    return out


def _candidate_numbers(spec: GRUSpec, x: list[float], h: list[float], r: list[float], i: int) -> m.Math:
    w = spec.weights
    names = w.named("n")
    if spec.convention != "torch":
        return R.affine_numbers(w, "n", x, h, i, h_factor=r)
    num = R.num
    wx = [num(a) * num(b) for a, b in zip(w.block("ih", "n")[i], x)]
    uh = m.total([num(a) * num(b) for a, b in zip(w.block("hh", "n")[i], h)], limit=10**6)
    if names.b_hh is not None:
        uh = uh + num(w.bias("hh", "n")[i])
    b_ih = [num(w.bias("ih", "n")[i])] if names.b_ih is not None else []
    gated = num(r[i]) * m.group(uh)
    if names.b_hh is not None:
        return m.total(wx + b_ih + [gated], limit=10**6)
    return m.total(wx + [gated] + b_ih, limit=10**6)


def _update_note(convention: str):
    if convention == "textbook":
        return T("z decides how much of the new candidate enters", "z 决定新候选状态进入的比例")
    return T("z decides how much of the old state is kept", "z 决定保留旧状态的比例")


def _convention_note(convention: str):
    return {
        "torch": T(
            "torch convention: r multiplies (W_hn h + b_hn); h = (1 - z)⊙n + z⊙h_prev",
            "torch 约定：r 乘在 (W_hn h + b_hn) 上；h = (1 - z)⊙n + z⊙h_prev",
        ),
        "textbook": T(
            "textbook convention: r multiplies h before W_hn; h = (1 - z)⊙h_prev + z⊙n",
            "教材约定：r 先乘 h 再乘 W_hn；h = (1 - z)⊙h_prev + z⊙n",
        ),
        "cho": T(
            "Cho et al. (2014) convention: r multiplies h before W_hn; h = z⊙h_prev + (1 - z)⊙n",
            "Cho 等（2014）约定：r 先乘 h 再乘 W_hn；h = z⊙h_prev + (1 - z)⊙n",
        ),
    }[convention]
