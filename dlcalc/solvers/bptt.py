"""Backpropagation through time (BPTT) for a simple RNN or an LSTM, every number written out.

The forward pass is the `rnn` / `lstm` solvers' own (same YAML fields, both weight forms); then,
for a loss on the hidden states (or on an RNN's output layer y_t = W_hy h_t + b_y):

    δh_t = ∂L_t/∂h_t + W_hhᵀ·δz_{t+1}          δz_t = δh_t ⊙ (1 − h_t²)        (tanh RNN)
    ∂L/∂W_ih = Σ_t δz_t·x_tᵀ    ∂L/∂W_hh = Σ_t δz_t·h_{t−1}ᵀ    ∂L/∂b = Σ_t δz_t

and for an LSTM δc_t = δh_t ⊙ o_t ⊙ (1 − tanh²c_t) + δc_{t+1} ⊙ f_{t+1}, each gate's δz from it.
Each gradient is a sum over time steps (the table says which step gave what); the update is
W ← W − η·∂L/∂W. The vanishing/exploding picture is ‖∂h_T/∂h_t‖₂ for every lag T − t, the product
of the per-step Jacobians ∂h_k/∂h_{k−1} (for an LSTM beside the cell path ∂c_k/∂c_{k−1} = f_k).

`truncate: K` is truncated BPTT as in the textbooks' sum: the loss at step s reaches back K steps
(h_s … h_{s−K+1}); the state before them is treated as a constant.

Losses: half_sse L = Σ_t ½‖o_t − y*_t‖² (as `backprop`); mse L = (1/N)·Σ(o − y*)² over the N
targeted numbers (torch.nn.MSELoss). Floats throughout, as the forward pass (tanh, σ) makes them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_int, parse_matrix, parse_number
from dlcalc.result import Result, Step, Table
from dlcalc.solvers import lstm as lstm_solver
from dlcalc.solvers import recurrent as R
from dlcalc.solvers import rnn as rnn_solver
from dlcalc.solvers.recurrent import H0, SEQUENCE, WEIGHTS
from dlcalc.text import T, Text

CELLS = ("rnn", "lstm")
LOSSES = ("half_sse", "mse")
OWN = {"cell", "target", "loss", "lr", "truncate"}
LSTM_FIELDS = {"x", "h0", "c0", *R.TORCH_KEYS} | {
    k for names in lstm_solver.ALIASES.values() for group in names for k in group
}
FIELDS = OWN | rnn_solver.FIELDS | LSTM_FIELDS
MAX_HIDDEN = 8  # BPTT by hand: a few units; the Jacobian products stay quick in plain Python
MAX_STEPS = 50
DEFAULT_LR = 0.1
CHART_WIDTH = 40
STEPS_SHOWN = 30  # a longer derivation (an LSTM's) is folded in the terminal unless asked (--full)


@dataclass(frozen=True)
class Param:
    """One trainable tensor under the name the input gave it."""

    key: str  # the input's own field name: the JSON key of its gradient (weight_hh, U, W_f, b_y …)
    label: str  # how the derivation writes it (W_hh for weight_hh)
    part: str  # ih, hh, cat ([h, x] columns), bih, bhh, wy, by
    gate: str | None  # one gate's block (textbook form); None: every gate stacked (torch layout)


@dataclass(frozen=True)
class BPTTSpec:
    cell: str
    forward: Any  # rnn.RNNSpec or lstm.LSTMSpec
    target: tuple[tuple[float, ...] | None, ...]  # one per step; None: no loss at that step
    loss: str
    lr: float
    truncate: int | None
    params: tuple[Param, ...]


SOLVER = Solver(
    name="bptt",
    help=T(
        "Backpropagation through time: δh_t back along the sequence, each gradient as a sum over the steps, "
        "the update, and ‖∂h_T/∂h_t‖ for every lag (vanishing gradients; an LSTM's cell path beside it).",
        "随时间反向传播：沿序列回传 δh_t、各梯度为各时间步之和、参数更新，以及每个时间间隔的 ‖∂h_T/∂h_t‖"
        "（梯度消失；LSTM 另给细胞通路）。",
    ),
    example='dlcalc bptt --sequence "1; 2; 3" --weight-ih 0.5 --weight-hh 0.1 --target 0.5',
    inputs=(
        SEQUENCE,
        Input("target", help=T('One target per step ("0; 0; 1", vectors as rows "1,0; 0,1"), or one value: the last step only.',
                               '每步一个目标（"0; 0; 1"，向量按行 "1,0; 0,1"），或只给一个值：仅最后一步。'), metavar="MATRIX"),
        Input("cell", help=T("The recurrent cell.", "循环单元。"), choices=CELLS, default="rnn"),
        H0,
        Input("c0", help=T("LSTM: initial cell state.", "LSTM：初始细胞状态。"), metavar="LIST", shown_default=T("zeros", "全零")),
        *WEIGHTS,
        Input("nonlinearity", help=T("RNN: tanh or relu.", "RNN：tanh 或 relu。"), choices=("tanh", "relu"), default="tanh"),
        Input("loss", help=T("half_sse: Σ ½(o − y)², as backprop; mse: torch.nn.MSELoss (the mean).",
                             "half_sse：Σ ½(o − y)²，与 backprop 相同；mse：torch.nn.MSELoss（取平均）。"),
              choices=LOSSES, default="half_sse"),
        Input("lr", help=T("Learning rate η of the update.", "更新的学习率 η。"), metavar="NUMBER", default=DEFAULT_LR),
        Input("truncate", help=T("Truncated BPTT: each loss flows back K steps only.", "截断 BPTT：每个损失只回传 K 步。"),
              metavar="K"),
    ),
    fields=tuple(sorted(FIELDS)),
    file=True,
    read_all=lambda inputs: parse_spec(inputs),
)  # fmt: skip


# --- reading the problem ---------------------------------------------------------------------


def parse_spec(inputs: Mapping[str, Any]) -> BPTTSpec:
    only_keys(inputs, FIELDS, "bptt")
    cell = str(inputs.get("cell") or "rnn").strip().lower()
    if cell not in CELLS:
        raise DlcalcError(
            T("cell: expected rnn or lstm, got {v!r}", "cell：应为 rnn 或 lstm，得到 {v!r}").format(v=cell)
        )
    rest = {k: v for k, v in inputs.items() if k not in OWN and v is not None}
    if cell == "lstm":
        extra = sorted(k for k in rest if k not in LSTM_FIELDS)
        if extra:
            raise DlcalcError(
                T(
                    "bptt: {k} is not a field of an LSTM (an output layer and nonlinearity are the RNN's)",
                    "bptt：{k} 不是 LSTM 的字段（输出层与 nonlinearity 只属于 RNN）",
                ).format(k=extra[0])
            )
        forward: Any = lstm_solver.parse_spec(rest)
    else:
        forward = rnn_solver.parse_spec(rest)
    w = forward.weights
    steps = len(forward.x)
    if w.hidden > MAX_HIDDEN:
        raise DlcalcError(
            T(
                "bptt: hidden size {h}; BPTT by hand takes at most {n} units",
                "bptt：隐藏层大小 {h}；手算 BPTT 最多 {n} 个单元",
            ).format(h=w.hidden, n=MAX_HIDDEN)
        )
    if steps > MAX_STEPS:
        raise DlcalcError(
            T("bptt: {s} time steps; at most {n}", "bptt：{s} 个时间步；最多 {n} 个").format(s=steps, n=MAX_STEPS)
        )
    out_size = len(forward.w_hy) if cell == "rnn" and forward.w_hy is not None else w.hidden
    target = _targets(inputs.get("target"), steps, out_size)
    loss = str(inputs.get("loss") or "half_sse").strip().lower().replace("-", "_")
    if loss not in LOSSES:
        raise DlcalcError(
            T("loss: expected half_sse or mse, got {v!r}", "loss：应为 half_sse 或 mse，得到 {v!r}").format(v=loss)
        )
    lr = float(parse_number(inputs["lr"], "lr")) if inputs.get("lr") is not None else DEFAULT_LR
    truncate = None
    if inputs.get("truncate") is not None:
        truncate = parse_int(inputs["truncate"], "truncate")
        if truncate < 1:
            raise DlcalcError(
                T(
                    "truncate: expected at least 1 step back, got {k}",
                    "truncate：至少回传 1 步，得到 {k}",
                ).format(k=truncate)
            )
    return BPTTSpec(cell, forward, target, loss, lr, truncate, _params(cell, forward))


def _targets(value: Any, steps: int, size: int) -> tuple[tuple[float, ...] | None, ...]:
    """One target per step (rows), or one value/vector meaning the last step only; YAML null: none."""
    if value is None:
        raise DlcalcError(
            T(
                'bptt: target is missing (one per step, e.g. --target "0; 0; 1", or one value for the last step)',
                'bptt：缺少 target（每步一个，如 --target "0; 0; 1"，或只给最后一步的一个值）',
            )
        )
    if isinstance(value, (list, tuple)) and len(value) == steps and any(v is None for v in value):
        rows: list[tuple[float, ...] | None] = []
        for v in value:
            if v is None:
                rows.append(None)
                continue
            got = _targets(v, 1, size)[0]
            rows.append(got)
        if all(r is None for r in rows):
            raise DlcalcError(
                T("target: every step is null: nothing to learn", "target：每一步都是 null，没有可学的目标")
            )
        return tuple(rows)
    grid = [[float(v) for v in row] for row in parse_matrix(value, "target")]
    if size == 1 and len(grid) == 1 and len(grid[0]) == steps:
        grid = [[v] for v in grid[0]]  # a flat list of scalars: one per step
    if len(grid) == steps and len(grid[0]) == size:
        return tuple(tuple(r) for r in grid)
    if len(grid) == 1 and len(grid[0]) == size:
        return tuple([None] * (steps - 1) + [tuple(grid[0])])
    raise DlcalcError(
        T(
            "target: expected one value per step ({s} rows of {n}) or one for the last step ({ns}), got {r}x{c}",
            "target：应为每步一个（{s} 行，每行 {n} 个）或只给最后一步（{n} 个数），得到 {r}x{c}",
        ).format(s=steps, n=size, ns=m.plural(size, "value"), r=len(grid), c=len(grid[0]))
    )


def _params(cell: str, forward: Any) -> tuple[Param, ...]:
    w = forward.weights
    out: list[Param] = []
    if w.form == "torch":
        out = [
            Param("weight_ih", "W_ih", "ih", None),
            Param("weight_hh", "W_hh", "hh", None),
            Param("bias_ih", "b_ih", "bih", None),
            Param("bias_hh", "b_hh", "bhh", None),
        ]
    else:
        for gate in w.gates:
            names = w.named(gate)
            if names.u is None:
                out.append(Param(names.w, names.w, "cat", gate))
            else:
                out.append(Param(names.w, names.w, "ih", gate))
                out.append(Param(names.u, names.u, "hh", gate))
            if names.b_ih is not None:
                out.append(Param(names.b_ih, names.b_ih, "bih", gate))
    if cell == "rnn" and forward.w_hy is not None:
        w_name, b_name = forward.out_names
        out.append(Param(w_name, w_name, "wy", None))
        if b_name is not None:
            out.append(Param(b_name, b_name, "by", None))
    return tuple(out)


# --- plain-list arithmetic -------------------------------------------------------------------


def _zeros(n: int) -> list[float]:
    return [0.0] * n


def _transpose_times(a: list[list[float]], v: list[float]) -> list[float]:
    """aᵀ·v."""
    return [sum(a[j][k] * v[j] for j in range(len(a))) for k in range(len(a[0]))]


def _outer(a: list[float], b: list[float]) -> list[list[float]]:
    return [[x * y for y in b] for x in a]


def _matmul(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def _identity(n: int) -> list[list[float]]:
    return [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]


def _madd(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def spectral_norm(a: list[list[float]]) -> float:
    """‖a‖₂, the largest singular value: √(largest eigenvalue of aᵀa), by Jacobi rotations."""
    scale = max((abs(v) for row in a for v in row), default=0.0)
    if scale == 0.0 or not math.isfinite(scale):
        return scale
    b = [[v / scale for v in row] for row in a]
    n = len(b[0])
    s = [[sum(b[k][i] * b[k][j] for k in range(len(b))) for j in range(n)] for i in range(n)]
    for _ in range(100):
        off = sum(s[i][j] ** 2 for i in range(n) for j in range(n) if i != j)
        if off <= 1e-32 * sum(s[i][i] ** 2 for i in range(n)):
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if s[p][q] == 0.0:
                    continue
                theta = (s[q][q] - s[p][p]) / (2 * s[p][q])
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1))
                c = 1 / math.sqrt(t * t + 1)
                sn = t * c
                for k in range(n):
                    kp, kq = s[k][p], s[k][q]
                    s[k][p], s[k][q] = c * kp - sn * kq, sn * kp + c * kq
                for k in range(n):
                    pk, qk = s[p][k], s[q][k]
                    s[p][k], s[q][k] = c * pk - sn * qk, sn * pk + c * qk
    return scale * math.sqrt(max(0.0, max(s[i][i] for i in range(n))))


# --- the forward pass, as the backward pass needs it ------------------------------------------


@dataclass
class Forward:
    result: Result  # the rnn / lstm solver's own worked forward pass
    x: list[list[float]]
    h: list[list[float]]  # h[0] = h0, h[t] for t = 1..T
    c: list[list[float]]  # LSTM: c[0] = c0 …; RNN: empty
    gates: list[dict[str, list[float]]]  # LSTM: gates[t] for t = 1..T (gates[0] empty)
    y: list[list[float]]  # RNN output layer: y[t] (y[0] empty); else empty
    slope: list[list[float]]  # RNN: φ'(z_t) per unit (1 − h² or 0/1), slope[0] empty


def forward_pass(spec: BPTTSpec) -> Forward:
    fwd = spec.forward
    if spec.cell == "rnn":
        res = rnn_solver.solve(fwd)
        hs = [list(fwd.h0)] + [list(v) for v in res.answer["h"]]
        if fwd.nonlinearity == "tanh":
            slope = [[]] + [[1 - v * v for v in h] for h in hs[1:]]
        else:
            slope = [[]] + [[1.0 if v > 0 else 0.0 for v in h] for h in hs[1:]]
        ys = [[]] + [list(v) for v in res.answer.get("y", [])] if fwd.w_hy is not None else []
        return Forward(res, [list(v) for v in fwd.x], hs, [], [], ys, slope)
    res = lstm_solver.solve(fwd)
    hs = [list(fwd.h0)] + [list(v) for v in res.answer["h"]]
    cs = [list(fwd.c0)] + [list(v) for v in res.answer["c"]]
    gates: list[dict[str, list[float]]] = [{}] + [{g: list(v) for g, v in step.items()} for step in res.answer["gates"]]
    return Forward(res, [list(v) for v in fwd.x], hs, cs, gates, [], [])


# --- the loss and its direct derivatives -------------------------------------------------------


def _outputs(spec: BPTTSpec, f: Forward) -> list[list[float]]:
    """What the loss compares with the target at each step: y_t with an output layer, else h_t."""
    return f.y if f.y else f.h


def loss_value(spec: BPTTSpec, f: Forward) -> float:
    o = _outputs(spec, f)
    sq = [(a - b) ** 2 for t, tgt in enumerate(spec.target, 1) if tgt is not None for a, b in zip(o[t], tgt)]
    return 0.5 * sum(sq) if spec.loss == "half_sse" else sum(sq) / len(sq)


def _n_targets(spec: BPTTSpec) -> int:
    return sum(len(t) for t in spec.target if t is not None)


def direct(spec: BPTTSpec, f: Forward) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """{t: ∂L_t/∂h_t} for every targeted step, and {t: δy_t} (∂L/∂ of the output layer's net input)."""
    o = _outputs(spec, f)
    scale = 1.0 if spec.loss == "half_sse" else 2.0 / _n_targets(spec)
    e: dict[int, list[float]] = {}
    dy: dict[int, list[float]] = {}
    fwd = spec.forward
    for t, tgt in enumerate(spec.target, 1):
        if tgt is None:
            continue
        g = [scale * (a - b) for a, b in zip(o[t], tgt)]
        if not f.y:
            e[t] = g
            continue
        if fwd.softmax:
            y = o[t]
            dot = sum(a * b for a, b in zip(y, g))
            g = [yk * (gk - dot) for yk, gk in zip(y, g)]
        dy[t] = g
        e[t] = _transpose_times([list(r) for r in fwd.w_hy], g)
    return e, dy


# --- the backward pass -------------------------------------------------------------------------


@dataclass
class Backward:
    """One backward sweep from step `top` down to step `low` (truncated: one per loss)."""

    top: int
    low: int
    dh: dict[int, list[float]]
    dc: dict[int, list[float]]  # LSTM only
    dz: dict[int, list[float]]  # ∂L/∂(net input) per step, gates stacked as torch stacks them


def backward(spec: BPTTSpec, f: Forward, e: dict[int, list[float]], top: int, low: int) -> Backward:
    w = spec.forward.weights
    n = w.hidden
    out = Backward(top, low, {}, {}, {})
    for t in range(top, low - 1, -1):
        dh = list(e.get(t, _zeros(n)))
        if t < top:
            dh = R.add(dh, _transpose_times([list(r) for r in w.w_hh], out.dz[t + 1]))
        out.dh[t] = dh
        if spec.cell == "rnn":
            out.dz[t] = R.mul(dh, f.slope[t])
            continue
        gates = f.gates[t]
        i, fg, g, o = gates["i"], gates["f"], gates["g"], gates["o"]
        tc = R.tanh(f.c[t])
        dc = [dh[k] * o[k] * (1 - tc[k] ** 2) for k in range(n)]
        if t < top:
            nf = f.gates[t + 1]["f"]
            dc = [dc[k] + out.dc[t + 1][k] * nf[k] for k in range(n)]
        out.dc[t] = dc
        dz_i = [dc[k] * g[k] * i[k] * (1 - i[k]) for k in range(n)]
        dz_f = [dc[k] * f.c[t - 1][k] * fg[k] * (1 - fg[k]) for k in range(n)]
        dz_g = [dc[k] * i[k] * (1 - g[k] ** 2) for k in range(n)]
        dz_o = [dh[k] * tc[k] * o[k] * (1 - o[k]) for k in range(n)]
        out.dz[t] = dz_i + dz_f + dz_g + dz_o
    return out


def sweeps(spec: BPTTSpec, f: Forward, e: dict[int, list[float]]) -> list[Backward]:
    """Full BPTT: one sweep from the last targeted step to step 1. Truncated: one per loss term."""
    if spec.truncate is None:
        return [backward(spec, f, e, max(e), 1)]
    return [backward(spec, f, {s: e[s]}, s, max(1, s - spec.truncate + 1)) for s in sorted(e, reverse=True)]


def summed_dz(spec: BPTTSpec, runs: list[Backward]) -> list[list[float]]:
    """δz_t for t = 1..T (index 0 unused), the sweeps added: zeros where no gradient arrives."""
    size = len(spec.forward.weights.b_ih)
    total = [_zeros(size) for _ in range(len(spec.forward.x) + 1)]
    for run in runs:
        for t, dz in run.dz.items():
            total[t] = R.add(total[t], dz)
    return total


# --- gradients, per step and summed -------------------------------------------------------------


def _rows(part: str, gate: str | None, w: R.Weights) -> slice:
    if gate is None:
        return slice(0, len(w.b_ih))
    k = w.gates.index(gate)
    return slice(k * w.hidden, (k + 1) * w.hidden)


def contribution(spec: BPTTSpec, f: Forward, p: Param, t: int, dz: list[float], dy: dict[int, list[float]]) -> Any:
    """Step t's share of ∂L/∂p: δz_t·x_tᵀ, δz_t·h_{t−1}ᵀ, δz_t (one gate's rows), δy_t·h_tᵀ, δy_t."""
    w = spec.forward.weights
    if p.part in ("wy", "by"):
        g = dy.get(t, _zeros(len(spec.forward.w_hy)))
        return _outer(g, f.h[t]) if p.part == "wy" else g
    d = dz[_rows(p.part, p.gate, w)]
    if p.part == "ih":
        return _outer(d, f.x[t - 1])
    if p.part == "hh":
        return _outer(d, f.h[t - 1])
    if p.part == "cat":
        return _outer(d, f.h[t - 1] + f.x[t - 1])
    return list(d)


def current(spec: BPTTSpec, p: Param) -> Any:
    """The parameter's value before the update, in the shape the gradient has."""
    w = spec.forward.weights
    rows = _rows(p.part, p.gate, w)
    if p.part == "ih":
        return [list(r) for r in w.w_ih[rows]]
    if p.part == "hh":
        return [list(r) for r in w.w_hh[rows]]
    if p.part == "cat":
        return [list(a) + list(b) for a, b in zip(w.w_hh[rows], w.w_ih[rows])]
    if p.part == "bih":
        return list(w.b_ih[rows])
    if p.part == "bhh":
        return list(w.b_hh[rows])
    if p.part == "wy":
        return [list(r) for r in spec.forward.w_hy]
    return list(spec.forward.b_y)


def _add_any(a: Any, b: Any) -> Any:
    if a and isinstance(a[0], list):
        return _madd(a, b)
    return R.add(a, b)


def _axpy(a: Any, lr: float, g: Any) -> Any:
    """a − lr·g, elementwise."""
    if a and isinstance(a[0], list):
        return [[x - lr * y for x, y in zip(ra, rg)] for ra, rg in zip(a, g)]
    return [x - lr * y for x, y in zip(a, g)]


# --- ∂h_T/∂h_t: the product of per-step Jacobians ----------------------------------------------


def step_jacobian(spec: BPTTSpec, f: Forward, k: int) -> list[list[float]]:
    """∂s_k/∂s_{k−1}: RNN s = h (diag(φ′)·W_hh); LSTM s = (h, c), a 2H × 2H matrix."""
    w = spec.forward.weights
    n = w.hidden
    if spec.cell == "rnn":
        return [[f.slope[k][i] * w.w_hh[i][j] for j in range(n)] for i in range(n)]
    gates = f.gates[k]
    i_, f_, g_, o_ = gates["i"], gates["f"], gates["g"], gates["o"]
    tc = R.tanh(f.c[k])

    def d_gate(gate: str, slope: list[float]) -> list[list[float]]:
        block = w.block("hh", gate)
        return [[slope[a] * block[a][b] for b in range(n)] for a in range(n)]

    di = d_gate("i", [v * (1 - v) for v in i_])
    df = d_gate("f", [v * (1 - v) for v in f_])
    dg = d_gate("g", [1 - v * v for v in g_])
    do = d_gate("o", [v * (1 - v) for v in o_])
    c_prev = f.c[k - 1]
    dc_dh = [[c_prev[a] * df[a][b] + g_[a] * di[a][b] + i_[a] * dg[a][b] for b in range(n)] for a in range(n)]
    through = [o_[a] * (1 - tc[a] ** 2) for a in range(n)]
    dh_dh = [[tc[a] * do[a][b] + through[a] * dc_dh[a][b] for b in range(n)] for a in range(n)]
    dh_dc = [[through[a] * f_[a] if a == b else 0.0 for b in range(n)] for a in range(n)]
    dc_dc = [[f_[a] if a == b else 0.0 for b in range(n)] for a in range(n)]
    return [dh_dh[a] + dh_dc[a] for a in range(n)] + [dc_dh[a] + dc_dc[a] for a in range(n)]


@dataclass
class Lag:
    lag: int
    t: int
    dh: list[list[float]]  # ∂h_T/∂h_t (c_t held fixed for an LSTM)
    norm: float
    factor: float | None  # ‖∂h_{t+1}/∂h_t‖₂ (RNN), None at lag 0
    cell_path: list[float] | None = None  # LSTM: Π_{k=t+1..T} f_k, the direct cell path
    cell_path_norm: float | None = None
    dc: list[list[float]] | None = None  # LSTM: ∂c_T/∂c_t along every path
    dc_norm: float | None = None


def through_time(spec: BPTTSpec, f: Forward) -> list[Lag]:
    n = spec.forward.weights.hidden
    last = len(f.x)
    size = n if spec.cell == "rnn" else 2 * n
    product = _identity(size)
    path = [1.0] * n
    out = []
    for t in range(last, -1, -1):
        if t < last:
            product = _matmul(product, step_jacobian(spec, f, t + 1))
            if spec.cell == "lstm":
                path = R.mul(path, f.gates[t + 1]["f"])
        dh = [row[:n] for row in product[:n]]
        lag = Lag(last - t, t, dh, spectral_norm(dh), None)
        if spec.cell == "rnn" and t < last:
            lag.factor = spectral_norm(step_jacobian(spec, f, t + 1))
        if spec.cell == "lstm":
            lag.cell_path = list(path)
            lag.cell_path_norm = max(abs(v) for v in path)
            lag.dc = [row[n:] for row in product[n:]]
            lag.dc_norm = spectral_norm(lag.dc)
        out.append(lag)
    return out


# --- showing it ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _num(v: float) -> m.Math:
    """A number as the derivation writes it (the same values recur in many steps: formatted once)."""
    return R.num(v)


def show(v: Any) -> m.Math:
    """A number for a 1-vector or 1×1 matrix, else a tuple or a matrix."""
    if v and isinstance(v[0], list):
        if len(v) == 1 and len(v[0]) == 1:
            return _num(v[0][0])
        return m.matrix(v, R.DIGITS, limit=10**6)
    return R.vec(list(v))


def _plain(v: Any) -> str:
    return show(v).text


def idx(name: str, t: int, sub: str = "") -> m.Math:
    """δh3, δz_f3 in text; \\delta h_{3}, \\delta z_{f,3} in LaTeX."""
    return m.indexed(m.sym(name), t, sub or None)


def _loss_at(t: int) -> m.Math:
    return m.indexed("L", t)


def _tr(name: str) -> m.Math:
    return m.transpose(R.symbol(name))


TARGET = T("target", "目标")


def _target_sym(t: int) -> m.Math:
    return m.indexed(m.sym("y*", "y^{*}"), t)


def _out_sym(spec: BPTTSpec, t: int) -> m.Math:
    return R.indexed("y" if spec.cell == "rnn" and spec.forward.w_hy is not None else "h", t)


def loss_step(spec: BPTTSpec, f: Forward, value: float) -> Step:
    o = _outputs(spec, f)
    pairs = [(t, k) for t, tgt in enumerate(spec.target, 1) if tgt is not None for k in range(len(tgt))]
    terms = [(_num(o[t][k]) - _num(spec.target[t - 1][k])) ** 2 for t, k in pairs]  # type: ignore[index]
    steps_ = [t for t, tgt in enumerate(spec.target, 1) if tgt is not None]
    names = [(_out_sym(spec, t) - _target_sym(t)) for t in steps_]
    if len(o[steps_[0]]) == 1:
        sym_terms = [n_**2 for n_ in names]
    else:
        sym_terms = [m.norm(n_, squared=True) for n_ in names]
    if spec.loss == "half_sse":
        half = m.sym("½", r"\tfrac{1}{2}")
        chain = [half * m.group(m.total(sym_terms, 10**6)), half * m.group(m.total(terms, limit=10**6))]
    else:
        n = len(terms)
        chain = [m.frac(1, n) * m.group(m.total(sym_terms, 10**6)), m.frac(1, n) * m.group(m.total(terms, 10**6))]
    chain.append(_num(value))
    note = (
        T("half the sum of squared errors, as backprop uses", "误差平方和的一半（与 backprop 相同）")
        if spec.loss == "half_sse"
        else T(
            "the mean over the {n} targeted numbers (torch.nn.MSELoss)", "对 {n} 个目标值取平均（torch.nn.MSELoss）"
        ).format(n=len(terms))
    )
    return Step(T("Loss", "损失"), m.sym("L"), m.dedupe(chain), note)


def direct_steps(spec: BPTTSpec, f: Forward, e: dict[int, list[float]], dy: dict[int, list[float]]) -> list[Step]:
    """∂L_t/∂h_t for each targeted step, with the numbers in."""
    o = _outputs(spec, f)
    scale = 1.0 if spec.loss == "half_sse" else 2.0 / _n_targets(spec)
    out = []
    for t in sorted(e):
        tgt = spec.target[t - 1]
        assert tgt is not None
        err = _out_sym(spec, t) - _target_sym(t)
        if spec.loss == "mse":
            err = m.frac(2, _n_targets(spec)) * m.group(err)
        nums = R.components(
            [
                (m.frac(2, _n_targets(spec)) * m.group(_num(a) - _num(b))) if spec.loss == "mse" else _num(a) - _num(b)
                for a, b in zip(o[t], tgt)
            ]
        )
        if not f.y:
            out.append(
                Step(
                    T("t = {t}: the loss's own gradient", "t = {t}：该步损失的直接梯度").format(t=t),
                    m.partial(_loss_at(t), R.indexed("h", t)),
                    m.dedupe([err, nums, R.vec(e[t])]),
                )
            )
            continue
        out += _output_layer_steps(spec, t, err, nums, [scale * (a - b) for a, b in zip(o[t], tgt)], dy, e)
    return out


def _output_layer_steps(
    spec: BPTTSpec,
    t: int,
    err: m.Math,
    nums: m.Math,
    g: list[float],
    dy: dict[int, list[float]],
    e: dict[int, list[float]],
) -> list[Step]:
    """δy_t at the output layer (through its softmax when it has one), then W_hyᵀ·δy_t back to h_t."""
    fwd = spec.forward
    out = []
    chain = [err, nums, R.vec(g)]
    note = None
    if fwd.softmax:
        y_t, g_t = R.indexed("y", t), R.indexed("g", t)
        chain = [
            m.side_by_side(m.hadamard(y_t, m.group(g_t - y_t * g_t)), m.rel(g_t, "=", err), gap=" "),
            R.vec(g),
            R.vec(dy[t]),
        ]
        note = T("through the softmax: its Jacobian diag(y) − y·yᵀ", "经过 softmax：雅可比矩阵 diag(y) − y·yᵀ")
    out.append(
        Step(
            T("t = {t}: gradient at the output layer", "t = {t}：输出层的梯度").format(t=t),
            idx("δy", t),
            m.dedupe(chain),
            note,
        )
    )
    w_name = fwd.out_names[0]
    w_hy = [list(r) for r in fwd.w_hy]
    units = [
        m.total([_num(w_hy[j][k]) * _num(dy[t][j]) for j in range(len(w_hy))], limit=10**6)
        for k in range(fwd.weights.hidden)
    ]
    out.append(
        Step(
            T("t = {t}: back to the hidden state", "t = {t}：传回隐藏状态").format(t=t),
            m.partial(_loss_at(t), R.indexed("h", t)),
            m.dedupe([_tr(w_name) * idx("δy", t), R.components(units), R.vec(e[t])]),
        )
    )
    return out


def _hh_name(spec: BPTTSpec, gate: str) -> str:
    w = spec.forward.weights
    names = w.named(gate)
    if names.u is not None:
        return names.u
    return f"{names.w}[h]"  # the columns of a [h, x] matrix that act on h


def sweep_steps(spec: BPTTSpec, f: Forward, run: Backward, e: dict[int, list[float]], tag: Text | None) -> list[Step]:
    """δh_t (and δc_t, the gates' δz for an LSTM) from the top step of the sweep down."""
    w = spec.forward.weights
    n = w.hidden
    num = _num
    out = []
    prefix = (
        (lambda t: T("t = {t}", "t = {t}").format(t=t) + tag)
        if tag is not None
        else (lambda t: T("t = {t}", "t = {t}").format(t=t))
    )
    for t in range(run.top, run.low - 1, -1):
        terms: list[m.Math] = []
        if t in e:
            terms.append(m.partial(_loss_at(t), R.indexed("h", t)))
        nums: list[list[m.Math]] = [[num(e[t][k])] if t in e else [] for k in range(n)]
        if t < run.top:
            for gate in w.gates:
                dz_name = idx("δz", t + 1) if spec.cell == "rnn" else idx("δz", t + 1, gate)
                terms.append(_tr(_hh_name(spec, gate)) * dz_name)
                block = w.block("hh", gate)
                dz = run.dz[t + 1][w.gates.index(gate) * n : (w.gates.index(gate) + 1) * n]
                for k in range(n):
                    nums[k] += [num(block[j][k]) * num(dz[j]) for j in range(n)]
        chain = [m.total(terms, 10**6), R.components([m.total(p, 10**6) for p in nums]), R.vec(run.dh[t])]
        out.append(
            Step(
                prefix(t) + T(": gradient reaching h", "：到达 h 的梯度"),
                idx("δh", t),
                m.dedupe(chain),
                T(
                    "δh_t = ∂L_t/∂h_t + W_hhᵀ(δh_{t+1} ⊙ (1 − h_{t+1}²)): this step's loss plus what comes back from t + 1",
                    "δh_t = ∂L_t/∂h_t + W_hhᵀ(δh_{t+1} ⊙ (1 − h_{t+1}²))：本步损失的梯度加上从 t + 1 传回的梯度",
                )
                if t == run.top and spec.cell == "rnn" and spec.forward.nonlinearity == "tanh" and tag is None
                else None,
            )
        )
        if spec.cell == "rnn":
            h = f.h[t]
            if spec.forward.nonlinearity == "tanh":
                slope = _slope_formula(spec, t)
                formula = m.hadamard(idx("δh", t), slope) if n > 1 else idx("δh", t) * slope
                units = [num(run.dh[t][k]) * _one_minus_square(h[k]) for k in range(n)]
            else:
                formula = m.hadamard(idx("δh", t), _slope_formula(spec, t))
                units = [num(run.dh[t][k]) * num(f.slope[t][k]) for k in range(n)]
            out.append(
                Step(
                    prefix(t) + T(": through the activation", "：经过激活函数"),
                    idx("δz", t),
                    m.dedupe([formula, R.components(units), R.vec(run.dz[t])]),
                )
            )
            continue
        out += _lstm_steps(spec, f, run, t, prefix(t))
    return out


def _slope_formula(spec: BPTTSpec, t: int) -> m.Math:
    """The activation's slope at step t from its output: (1 - h3²) for tanh, [z3 > 0] for relu."""
    if spec.forward.nonlinearity == "tanh":
        return m.group(1 - m.squared(R.indexed("h", t)))
    return m.group(m.rel(R.indexed("z", t), ">", 0), "[]")


def _tanh2(x: object) -> m.Math:
    return m.call("tanh²", x, latex_name=r"\tanh^{2}")


def _lstm_steps(spec: BPTTSpec, f: Forward, run: Backward, t: int, prefix: Text) -> list[Step]:
    """δc_t, then each gate's δz at step t."""
    return [_cell_gradient_step(spec, f, run, t, prefix)] + _gate_steps(spec, f, run, t, prefix)


def _cell_gradient_step(spec: BPTTSpec, f: Forward, run: Backward, t: int, prefix: Text) -> Step:
    """δc_t = δh_t ⊙ o_t ⊙ (1 - tanh²(c_t)) + δc_{t+1} ⊙ f_{t+1}: the cell path adds."""
    n = spec.forward.weights.hidden
    num = _num
    dh, o = run.dh[t], f.gates[t]["o"]
    terms = [m.hadamard(idx("δh", t), R.indexed("o", t), m.group(1 - _tanh2(R.indexed("c", t))))]
    units = [[num(dh[k]) * num(o[k]) * m.group(1 - _tanh2(num(f.c[t][k])))] for k in range(n)]
    if t < run.top:
        terms.append(m.hadamard(idx("δc", t + 1), R.indexed("f", t + 1)))
        nf = f.gates[t + 1]["f"]
        for k in range(n):
            units[k].append(num(run.dc[t + 1][k]) * num(nf[k]))
    return Step(
        prefix + T(": gradient reaching the cell", "：到达细胞状态的梯度"),
        idx("δc", t),
        m.dedupe([m.total(terms, 10**6), R.components([m.total(u, 10**6) for u in units]), R.vec(run.dc[t])]),
        T(
            "the cell path: δc_{t+1} ⊙ f_{t+1} is added, not multiplied through a squashing function",
            "细胞通路：δc_{t+1} ⊙ f_{t+1} 是相加传回的，不经过挤压函数的导数连乘",
        )
        if t < run.top
        else None,
    )


GATE_NAMES = {
    "i": T("input gate", "输入门"),
    "f": T("forget gate", "遗忘门"),
    "g": T("candidate", "候选记忆"),
    "o": T("output gate", "输出门"),
}


def _gate_steps(spec: BPTTSpec, f: Forward, run: Backward, t: int, prefix: Text) -> list[Step]:
    """Each gate's δz at step t: the gradient reaching it times the slope of its squashing function."""
    n = spec.forward.weights.hidden
    num = _num
    g, tc = f.gates[t], R.tanh(f.c[t])
    dh, dc, dz = run.dh[t], run.dc[t], run.dz[t]
    parts = {gate: dz[k * n : (k + 1) * n] for k, gate in enumerate(lstm_solver.GATES)}
    at = lambda name, k=t: R.indexed(name, k)  # noqa: E731
    rules = {
        "o": (
            m.hadamard(idx("δh", t), m.call("tanh", at("c")), m.juxt(at("o"), 1 - at("o"))),
            [num(dh[k]) * num(tc[k]) * _sig(g["o"][k]) for k in range(n)],
        ),
        "i": (
            m.hadamard(idx("δc", t), at("g"), m.juxt(at("i"), 1 - at("i"))),
            [num(dc[k]) * num(g["g"][k]) * _sig(g["i"][k]) for k in range(n)],
        ),
        "f": (
            m.hadamard(idx("δc", t), at("c", t - 1), m.juxt(at("f"), 1 - at("f"))),
            [num(dc[k]) * num(f.c[t - 1][k]) * _sig(g["f"][k]) for k in range(n)],
        ),
        "g": (
            m.hadamard(idx("δc", t), at("i"), m.group(1 - m.squared(at("g")))),
            [num(dc[k]) * num(g["i"][k]) * _one_minus_square(g["g"][k]) for k in range(n)],
        ),
    }
    return [
        Step(
            prefix + T(": ", "：") + GATE_NAMES[gate] + T(" (net input)", "（净输入）"),
            idx("δz", t, gate),
            m.dedupe([rules[gate][0], R.components(rules[gate][1]), R.vec(parts[gate])]),
        )
        for gate in ("o", "i", "f", "g")
    ]


def _one_minus_square(v: float) -> m.Math:
    """(1 - 0.78^2), (1 - (-0.5)^2): the slope of tanh written from its value."""
    return m.group(_num(1.0) - _num(v) ** 2)


def _sig(v: float) -> m.Math:
    """σ′ written from the gate's value: 0.6·(1 − 0.6)."""
    a = _num(v)
    return a * m.group(1 - a)


def _sum_formula(spec: BPTTSpec, p: Param, last: int) -> m.Math:
    """Σ_t δz_t·x_tᵀ (the parameter's gradient as a sum over the time steps)."""
    if p.part in ("wy", "by"):
        head = m.sym("δy_t")
    elif spec.cell == "lstm" and p.gate is not None:
        head = m.sym(f"δz_{p.gate},t")
    else:
        head = m.sym("δz_t")
    h_prev, x_t = m.sym("h_(t-1)", "h_{t-1}"), m.sym("x_t")
    src = {"ih": x_t, "hh": h_prev, "wy": m.sym("h_t"), "cat": m.vec([h_prev, x_t], brackets="[]")}.get(p.part)
    return m.sum_over(head if src is None else head * m.transpose(src), "t", 1, last)


def _piece(spec: BPTTSpec, f: Forward, p: Param, t: int, dz: list[float], dy: dict[int, list[float]]) -> m.Math:
    """Step t's term with the numbers in: δz_t·x_t for one unit, the contribution matrix otherwise."""
    c = contribution(spec, f, p, t, dz, dy)
    if not _scalar(c):
        return show(c)
    if p.part in ("wy", "by"):
        d = dy.get(t, [0.0])[0]
    else:
        d = dz[_rows(p.part, p.gate, spec.forward.weights)][0]
    if p.part in ("ih", "hh", "wy"):
        src = {"ih": f.x[t - 1], "hh": f.h[t - 1], "wy": f.h[t]}[p.part]
        return _num(d) * _num(src[0])
    return _num(d)


def gradient_steps(
    spec: BPTTSpec,
    f: Forward,
    dz: list[list[float]],
    dy: dict[int, list[float]],
    grads: dict[str, Any],
    per_step: dict[str, list[Any]],
) -> list[Step]:
    out = []
    last = len(f.x)
    for p in spec.params:
        pieces = [_piece(spec, f, p, t, dz[t], dy) for t in range(1, last + 1) if not _is_zero(per_step[p.key][t - 1])]
        chain = [_sum_formula(spec, p, last), m.total(pieces or [_num(0.0)], 10**6), show(grads[p.key])]
        out.append(
            Step(
                T("Gradient of {p}: a sum over the time steps", "{p} 的梯度：各时间步之和").format(p=p.label),
                m.partial("L", R.symbol(p.label)),
                m.dedupe(chain),
            )
        )
    return out


def _scalar(v: Any) -> bool:
    if v and isinstance(v[0], list):
        return len(v) == 1 and len(v[0]) == 1
    return len(v) == 1


def _is_zero(v: Any) -> bool:
    flat = [x for row in v for x in row] if v and isinstance(v[0], list) else list(v)
    return all(x == 0 for x in flat)


def update_steps(spec: BPTTSpec, grads: dict[str, Any], updated: dict[str, Any]) -> list[Step]:
    eta = m.sym("η")
    out = []
    for p in spec.params:
        sym = R.symbol(p.label)
        now, g = current(spec, p), grads[p.key]
        numbers = show(now) - _num(spec.lr) * show(g)
        out.append(
            Step(
                T("Update {p}", "更新 {p}").format(p=p.label),
                m.prime(sym),
                m.dedupe([sym - eta * m.partial("L", sym), numbers, show(updated[p.key])]),
            )
        )
    return out


def jacobian_steps(spec: BPTTSpec, f: Forward, lags: list[Lag]) -> list[Step]:
    """The per-step factors, then ∂h_T/∂h_t for each lag as their product."""
    last = len(f.x)
    if spec.cell == "rnn":
        out = [_step_jacobian_step(spec, f, k) for k in range(last, 0, -1)]
        return out + [_rnn_lag_step(spec, f, lag, last) for lag in lags[1:]]
    out = [_cell_path_step(f, k, last) for k in range(last, 0, -1)]
    return out + [_lstm_lag_step(spec, f, lag, last) for lag in lags[1:]]


def _jacobian_name(k: int) -> m.Math:
    return m.indexed("J", k)


def _step_jacobian_step(spec: BPTTSpec, f: Forward, k: int) -> Step:
    """J_k = ∂h_k/∂h_{k-1} = diag(φ′)·W_hh, the slope from h_k (tanh) or z_k (relu)."""
    w = spec.forward.weights
    slope = _slope_formula(spec, k)
    hh = R.symbol(_hh_name(spec, "h"))
    if w.hidden == 1:
        formula = slope * hh
        s = _one_minus_square(f.h[k][0]) if spec.forward.nonlinearity == "tanh" else _num(f.slope[k][0])
        nums = s * _num(w.w_hh[0][0])
    else:
        diag = m.word("diag")
        formula = m.juxt(diag, slope) * hh
        nums = m.juxt(diag, R.vec(f.slope[k])) * show([list(r) for r in w.w_hh])
    return Step(
        T("Jacobian of step {k}", "第 {k} 步的雅可比矩阵").format(k=k),
        m.rel(_jacobian_name(k), "=", m.partial(R.indexed("h", k), R.indexed("h", k - 1))),
        m.dedupe([formula, nums, show(step_jacobian(spec, f, k))]),
    )


def _cell_path_step(f: Forward, k: int, last: int) -> Step:
    return Step(
        T("Cell path of step {k} (direct)", "第 {k} 步的细胞通路（直接）").format(k=k),
        m.partial(R.indexed("c", k), R.indexed("c", k - 1)),  # the label says: direct
        [R.indexed("f", k), R.vec(f.gates[k]["f"])],
        T(
            "c_k = f_k ⊙ c_{k−1} + i_k ⊙ g_k: the old cell is only scaled by the forget gate",
            "c_k = f_k ⊙ c_{k−1} + i_k ⊙ g_k：旧细胞状态只被遗忘门缩放",
        )
        if k == last
        else None,
    )


def _product(factors: list[m.Math]) -> m.Math:
    out = factors[0]
    for x in factors[1:]:
        out = out * x
    return out


def _rnn_lag_step(spec: BPTTSpec, f: Forward, lag: Lag, last: int) -> Step:
    """∂h_T/∂h_t = J_T·…·J_{t+1}: the numbers for one unit, the spectral norm for several."""
    t = lag.t
    lhs = m.partial(R.indexed("h", last), R.indexed("h", t))
    prod = _product([_jacobian_name(k) for k in range(last, t, -1)])
    if spec.forward.weights.hidden == 1:
        nums = _product([_num(step_jacobian(spec, f, k)[0][0]) for k in range(last, t, -1)])
        chain = [prod, nums, _num(lag.dh[0][0])]
    else:
        lhs = m.norm(lhs, 2)
        chain = [m.norm(prod, 2), _num(lag.norm)]
    return Step(
        T("Lag {k}: the product of Jacobians", "间隔 {k}：雅可比矩阵的连乘").format(k=lag.lag),
        lhs,
        m.dedupe(chain),
    )


def _lstm_lag_step(spec: BPTTSpec, f: Forward, lag: Lag, last: int) -> Step:
    """The cell path ∂c_T/∂c_t = f_T ⊙ … ⊙ f_{t+1}, beside ‖∂h_T/∂h_t‖₂."""
    t = lag.t
    prod = m.hadamard(*[R.indexed("f", k) for k in range(last, t, -1)])
    if spec.forward.weights.hidden == 1:
        nums = _product([_num(f.gates[k]["f"][0]) for k in range(last, t, -1)])
    else:
        nums = m.hadamard(*[R.vec(f.gates[k]["f"]) for k in range(last, t, -1)])
    assert lag.cell_path is not None
    return Step(
        T("Lag {k}: cell path against the gated path", "间隔 {k}：细胞通路与门控通路").format(k=lag.lag),
        m.partial(R.indexed("c", last), R.indexed("c", t)),  # the label says: cell path
        m.dedupe([prod, nums, R.vec(lag.cell_path)]),
        T(
            "beside it ‖∂h_T/∂h_t‖₂ = {h} (c_t held: through the gates, and the cells after t)",
            "对照：‖∂h_T/∂h_t‖₂ = {h}（c_t 不变：经过各门及 t 之后的细胞）",
        ).format(h=m.fmt_number(lag.norm, R.DIGITS)),
    )


# --- the table, the chart, the verdict -------------------------------------------------------


def lag_table(spec: BPTTSpec, lags: list[Lag]) -> Table:
    last = lags[0].t
    cols = [T("lag T − t", "间隔 T − t"), T("t", "t")]
    if spec.cell == "rnn":
        cols += [T("‖∂h_(t+1)/∂h_t‖₂", "‖∂h_(t+1)/∂h_t‖₂"), T(f"‖∂h{last}/∂h_t‖₂", f"‖∂h{last}/∂h_t‖₂")]
    else:
        cols += [
            T(f"‖∂h{last}/∂h_t‖₂ (c_t held)", f"‖∂h{last}/∂h_t‖₂（c_t 不变）"),
            T("cell path Π f_k", "细胞通路 Π f_k"),
            T(f"‖∂c{last}/∂c_t‖₂ (all paths)", f"‖∂c{last}/∂c_t‖₂（所有通路）"),
        ]
    if spec.truncate is not None:
        cols.append(T("--truncate", "--truncate"))
    rows: list[list[Text | str]] = []
    fmt = lambda v: m.fmt_number(v, 4)  # noqa: E731
    for lag in lags:
        row: list[Text | str] = [str(lag.lag), str(lag.t)]
        if spec.cell == "rnn":
            row += ["" if lag.factor is None else fmt(lag.factor), fmt(lag.norm)]
        else:
            assert lag.cell_path is not None and lag.dc_norm is not None
            path = [fmt(v) for v in lag.cell_path]
            row += [fmt(lag.norm), path[0] if len(path) == 1 else "(" + ", ".join(path) + ")", fmt(lag.dc_norm)]
        if spec.truncate is not None:
            row.append(T("reached", "回传到") if lag.lag < spec.truncate else T("cut", "截断"))
        rows.append(row)
    return Table(cols, rows, title=T("The gradient through time, lag by lag", "梯度随时间间隔的变化"))


def chart(spec: BPTTSpec, lags: list[Lag]) -> tuple[list[str], bool]:
    """A text bar chart of ‖∂h_T/∂h_t‖₂ (#) and, for an LSTM, the cell path (=), one row per lag;
    ASCII only (it is set verbatim in LaTeX), its legend a bilingual note. True: a log scale."""
    series: list[tuple[str, list[float]]] = [("#", [lag.norm for lag in lags])]
    if spec.cell == "lstm":
        series.append(("=", [lag.cell_path_norm or 0.0 for lag in lags]))
    values = [v for _, vs in series for v in vs]
    top = max(values)
    tiny = min((v for v in values if v > 0), default=0.0)
    log = top > 0 and tiny > 0 and top / tiny > 1000

    def length(v: float) -> int:
        if v <= 0 or top <= 0:
            return 0
        if not log:
            return max(1, round(CHART_WIDTH * v / top))
        span = math.log10(top) - math.log10(tiny)
        return max(1, round(CHART_WIDTH * (1 + (math.log10(v) - math.log10(top)) / (span * 1.05))))

    lines = []
    label_w = len(f"T-t={lags[-1].lag}, t={lags[-1].t}")
    for k, lag in enumerate(lags):
        for s, (mark, vs) in enumerate(series):
            label = f"T-t={lag.lag}, t={lag.t}" if s == 0 else ""
            bar = mark * length(vs[k])
            lines.append(f"{label:<{label_w}} |{bar} {m.fmt_number(vs[k], 4)}")
    return lines, log


def verdict(spec: BPTTSpec, lags: list[Lag]) -> tuple[float | None, Text]:
    """The average factor per step over the longest lag, and what it means."""
    far = lags[-1]
    if far.lag == 0 or far.norm == 0:
        return None, T(
            "one step only: no product through time to look at",
            "只有一步：没有随时间的连乘可看",
        ) if far.lag == 0 else T(
            "∂h_T/∂h_0 is exactly 0: no gradient reaches the start", "∂h_T/∂h_0 恰为 0：梯度到不了序列开头"
        )
    rate = far.norm ** (1 / far.lag)
    what = (
        T("it vanishes: early steps barely move the last state", "梯度消失：早期步几乎影响不到最后的状态")
        if rate < 0.9
        else T("it explodes: early steps swing the last state wildly", "梯度爆炸：早期步对最后状态的影响被放大")
        if rate > 1.1
        else T("it neither vanishes nor explodes much over these steps", "在这些步内既无明显消失也无明显爆炸")
    )
    held = T(" (c_0 held)", "（c_0 不变）") if spec.cell == "lstm" else T("", "")
    text = (
        T(
            "‖∂h_T/∂h_0‖₂{h} = {v} after {ns}: ×{r} per step on average — ",
            "经过 {n} 步 ‖∂h_T/∂h_0‖₂{hz} = {v}：平均每步 ×{r} —— ",
        ).format(
            h=held.en,
            hz=held.zh,
            v=m.fmt_number(far.norm, 4),
            n=far.lag,
            ns=m.plural(far.lag, "step"),
            r=m.fmt_number(rate, 3),
        )
        + what
    )
    if spec.cell == "lstm":
        cp = far.cell_path_norm or 0.0
        text = text + T(
            "; along the cell path the gradient is scaled only by the forget gates: ‖Π f_k‖ = {c}",
            "；沿细胞通路梯度只被遗忘门缩放：‖Π f_k‖ = {c}",
        ).format(c=m.fmt_number(cp, 4))
    return rate, text


def contributions_table(spec: BPTTSpec, per_step: dict[str, list[Any]], grads: dict[str, Any]) -> Table:
    cols = [T("t", "t")] + [Text(f"∂L/∂{p.label}", f"∂L/∂{p.label}") for p in spec.params]
    steps_ = len(spec.forward.x)
    rows: list[list[Text | str]] = []
    for t in range(1, steps_ + 1):
        row: list[Text | str] = [str(t)]
        rows.append(row + [_plain(per_step[p.key][t - 1]) for p in spec.params])
    rows.append([T("Σ", "Σ")] + [_plain(grads[p.key]) for p in spec.params])
    return Table(cols, rows, title=T("Which step contributed what", "各时间步的贡献"))


# --- solve -----------------------------------------------------------------------------------


def solve(spec: BPTTSpec) -> Result:
    try:
        return _solve(spec)
    except (OverflowError, ZeroDivisionError):
        raise _overflow() from None


def _solve(spec: BPTTSpec) -> Result:
    f = forward_pass(spec)
    last = len(f.x)
    loss = loss_value(spec, f)
    e, dy = direct(spec, f)
    runs = sweeps(spec, f, e)
    dz = summed_dz(spec, runs)
    per_step, grads = _gradients(spec, f, dz, dy)
    updated = {p.key: _axpy(current(spec, p), spec.lr, grads[p.key]) for p in spec.params}
    lags = through_time(spec, f)
    _finite(loss, grads, lags)
    rate, says = verdict(spec, lags)
    picture, log = chart(spec, lags)
    steps = _derivation(spec, f, loss, e, dy, runs, dz, grads, per_step, updated, lags)
    answer = _answer(spec, f, loss, runs, dz, grads, per_step, updated, lags)
    answer["rate_per_step"] = rate
    return Result(
        "bptt",
        T("BPTT: backpropagation through time", "BPTT：随时间反向传播"),
        answer,
        _summary(spec, last, loss, grads, says),
        steps,
        tables=[contributions_table(spec, per_step, grads), lag_table(spec, lags)],
        notes=_notes(spec, log),
        spec=spec,
        figures=[picture],
        show_steps=len(steps) <= STEPS_SHOWN,
    )


def _gradients(
    spec: BPTTSpec, f: Forward, dz: list[list[float]], dy: dict[int, list[float]]
) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """Each step's share of every gradient, and their sums over the steps."""
    last = len(f.x)
    per_step = {p.key: [contribution(spec, f, p, t, dz[t], dy) for t in range(1, last + 1)] for p in spec.params}
    grads: dict[str, Any] = {}
    for p in spec.params:
        total = per_step[p.key][0]
        for c in per_step[p.key][1:]:
            total = _add_any(total, c)
        grads[p.key] = total
    return per_step, grads


def _derivation(
    spec: BPTTSpec,
    f: Forward,
    loss: float,
    e: dict[int, list[float]],
    dy: dict[int, list[float]],
    runs: list[Backward],
    dz: list[list[float]],
    grads: dict[str, Any],
    per_step: dict[str, list[Any]],
    updated: dict[str, Any],
    lags: list[Lag],
) -> list[Step]:
    """Forward pass, loss, the direct gradients, each backward sweep, the sums, the update, the Jacobians."""
    steps = list(f.result.steps)
    steps.append(loss_step(spec, f, loss))
    steps += direct_steps(spec, f, e, dy)
    for run in runs:
        tag = None
        if spec.truncate is not None:
            tag = T(" (loss at t = {s}, K = {k})", "（t = {s} 的损失，K = {k}）").format(s=run.top, k=spec.truncate)
        steps += sweep_steps(spec, f, run, {run.top: e[run.top]} if spec.truncate is not None else e, tag)
    if spec.truncate is not None:
        steps += truncated_sums(spec, runs, dz)
    steps += gradient_steps(spec, f, dz, dy, grads, per_step)
    steps += update_steps(spec, grads, updated)
    return steps + jacobian_steps(spec, f, lags)


def _answer(
    spec: BPTTSpec,
    f: Forward,
    loss: float,
    runs: list[Backward],
    dz: list[list[float]],
    grads: dict[str, Any],
    per_step: dict[str, list[Any]],
    updated: dict[str, Any],
    lags: list[Lag],
) -> dict[str, Any]:
    w = spec.forward.weights
    last = len(f.x)
    answer: dict[str, Any] = {
        "cell": spec.cell,
        "hidden_size": w.hidden,
        "input_size": w.inputs,
        "time_steps": last,
        "weights_form": w.form,
        "h": f.h[1:],
    }
    if spec.cell == "lstm":
        answer["c"] = f.c[1:]
    if f.y:
        answer["y"] = f.y[1:]
    answer.update(
        {
            "target": [list(t) if t is not None else None for t in spec.target],
            "loss_kind": spec.loss,
            "loss": loss,
            "truncate": spec.truncate,
        }
    )
    if spec.truncate is None:
        run = runs[0]
        answer["delta_h"] = [run.dh.get(t, _zeros(w.hidden)) for t in range(1, last + 1)]
        if spec.cell == "lstm":
            answer["delta_c"] = [run.dc.get(t, _zeros(w.hidden)) for t in range(1, last + 1)]
    answer["delta_z"] = dz[1:]
    answer["grads"] = grads
    answer["contributions"] = per_step
    answer["lr"] = spec.lr
    answer["updated"] = updated
    answer["through_time"] = [_lag_row(spec, lag) for lag in lags]
    return answer


def _lag_row(spec: BPTTSpec, lag: Lag) -> dict[str, Any]:
    row: dict[str, Any] = {"lag": lag.lag, "t": lag.t, "norm": lag.norm, "dh_dh": lag.dh}
    if spec.cell == "rnn":
        row["factor"] = lag.factor
    else:
        row.update(
            {
                "cell_path": lag.cell_path,
                "cell_path_norm": lag.cell_path_norm,
                "dc_dc": lag.dc,
                "dc_norm": lag.dc_norm,
            }
        )
    return row


def _summary(
    spec: BPTTSpec, last: int, loss: float, grads: dict[str, Any], says: Text
) -> list[tuple[Text, Text | str]]:
    w = spec.forward.weights
    summary: list[tuple[Text, Text | str]] = [
        (
            T("Network", "网络"),
            T("{c}, input {i}, hidden {h}, {ns}; loss {l}", "{c}，输入 {i}，隐藏 {h}，{n} 步；损失 {l}").format(
                c=spec.cell.upper(), i=w.inputs, h=w.hidden, n=last, ns=m.plural(last, "step"), l=spec.loss
            ),
        ),
        (T("Loss", "损失"), m.fmt_number(loss, R.DIGITS)),
    ]
    if spec.truncate is not None:
        summary.append(
            (
                T("Truncated BPTT", "截断 BPTT"),
                T("K = {k} back per loss", "每个损失回传 K = {n} 步").format(
                    k=m.plural(spec.truncate, "step"), n=spec.truncate
                ),
            )
        )
    for p in spec.params:
        summary.append((Text(f"∂L/∂{p.label}", f"∂L/∂{p.label}"), _plain(grads[p.key])))
    summary.append((T("Through time", "随时间"), says))
    return summary


def _notes(spec: BPTTSpec, log: bool) -> list[Text]:
    notes = [
        T(
            "‖·‖₂ is the spectral norm (the largest singular value); for one unit it is |·|",
            "‖·‖₂ 为谱范数（最大奇异值）；单个单元时即绝对值",
        ),
        T(
            "the update is one gradient step W′ = W − η·∂L/∂W with η = {lr}",
            "更新为一步梯度下降 W′ = W − η·∂L/∂W，η = {lr}",
        ).format(lr=m.fmt_number(spec.lr, R.DIGITS)),
    ]
    legend = T("the chart: # is ‖∂h_T/∂h_t‖₂", "图：# 为 ‖∂h_T/∂h_t‖₂")
    if spec.cell == "lstm":
        legend = legend + T(", = is the cell path ‖Π f_k‖", "，= 为细胞通路 ‖Π f_k‖")
    legend = legend + (
        T(", bars on a log scale", "，条长按对数刻度") if log else T(", bars on a linear scale", "，条长按线性刻度")
    )
    notes.append(legend)
    if spec.cell == "lstm":
        notes.append(
            T(
                "the course: LSTM turns BPTT's product into a sum — the cell path adds δc_{t+1} ⊙ f_{t+1} instead of "
                "multiplying by tanh′ and W_hh at every step",
                "课程要点：LSTM 把 BPTT 的连乘变成了加法——细胞通路每步只加上 δc_{t+1} ⊙ f_{t+1}，而不是连乘 tanh′ 与 W_hh",
            )
        )
    else:
        notes.append(
            T(
                "the course: BPTT chains the derivatives along time into a product; factors below 1 make it vanish, "
                "above 1 explode",
                "课程要点：BPTT 沿时间轴链式求导成连乘；因子小于 1 则梯度消失，大于 1 则爆炸",
            )
        )
    if spec.truncate is not None:
        notes.append(
            T(
                "truncated BPTT: the loss at step s flows back to h_s … h_(s−K+1) only; the state before is a constant",
                "截断 BPTT：第 s 步的损失只回传到 h_s … h_(s−K+1)，更早的状态视为常数",
            )
        )
    return notes


def truncated_sums(spec: BPTTSpec, runs: list[Backward], dz: list[list[float]]) -> list[Step]:
    """δz_t = the sum of what each loss's sweep left at step t, where more than one reaches it."""
    out = []
    for t in range(len(spec.forward.x), 0, -1):
        parts = [run.dz[t] for run in runs if t in run.dz]
        if len(parts) < 2:
            continue
        out.append(
            Step(
                T("t = {t}: δz summed over the losses that reach it", "t = {t}：能回传到该步的各损失的 δz 之和").format(
                    t=t
                ),
                idx("δz", t),
                m.dedupe([m.total([R.vec(p) for p in parts], 10**6), R.vec(dz[t])]),
            )
        )
    return out


def _finite(loss: float, grads: dict[str, Any], lags: list[Lag]) -> None:
    values = [loss] + [lag.norm for lag in lags]
    for g in grads.values():
        values += [x for row in g for x in row] if g and isinstance(g[0], list) else list(g)
    if not all(math.isfinite(v) for v in values):
        raise _overflow()


def _overflow() -> DlcalcError:
    return DlcalcError(
        T(
            "bptt: the numbers overflow (the gradient explodes past floating point); use smaller weights or fewer steps",
            "bptt：数值溢出（梯度爆炸超出浮点范围）；请用更小的权重或更少的步数",
        )
    )


# --- the quiz --------------------------------------------------------------------------------


def template(rng: Any, difficulty: int = 1) -> Any:
    """A quiz question on BPTT (dlcalc.quiz.bptt_template draws it; this solver answers it)."""
    from dlcalc.quiz.bptt_template import template as draw

    return draw(rng, difficulty)


def well_posed(q: Any) -> bool:
    from dlcalc.quiz.bptt_template import well_posed as fit

    return fit(q)
