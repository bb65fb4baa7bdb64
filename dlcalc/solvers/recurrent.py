"""What RNN, LSTM and GRU share: reading the weights in either form, and writing a gate's step.

Weights are kept in PyTorch's layout, so a `state_dict` can be pasted: `weight_ih` (G·H × I),
`weight_hh` (G·H × H), `bias_ih` and `bias_hh` (G·H), the G gates stacked in torch's order
(LSTM i, f, g, o; GRU r, z, n; RNN one block). The textbook per-gate form (`W_f`, `U_f`, `b_f`, …,
where W multiplies x_t and U multiplies h_{t-1}) is stacked into that layout with its bias in
`bias_ih`; a `W_f` with H + I columns and no `U_f` is read as acting on the concatenation
[h_{t-1}, x_t], as the course notes write it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.parse import parse_matrix, parse_vector
from dlcalc.result import Step
from dlcalc.solvers import stable
from dlcalc.text import Text

DIGITS = 6
TORCH_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@dataclass(frozen=True)
class Weights:
    gates: tuple[str, ...]
    w_ih: tuple[tuple[float, ...], ...]
    w_hh: tuple[tuple[float, ...], ...]
    b_ih: tuple[float, ...]
    b_hh: tuple[float, ...]
    hidden: int
    inputs: int
    form: str  # "torch" or "textbook"

    def block(self, matrix: str, gate: str) -> list[list[float]]:
        k = self.gates.index(gate)
        rows = self.w_ih if matrix == "ih" else self.w_hh
        return [list(r) for r in rows[k * self.hidden : (k + 1) * self.hidden]]

    def bias(self, which: str, gate: str) -> list[float]:
        k = self.gates.index(gate)
        b = self.b_ih if which == "ih" else self.b_hh
        return list(b[k * self.hidden : (k + 1) * self.hidden])


def floats(rows: list[list[Any]]) -> list[list[float]]:
    return [[float(v) for v in r] for r in rows]


def parse_sequence(value: Any, what: str = "x") -> list[list[float]]:
    """`"1; 2; 3"` (scalars), `"1,0; 0,1"` or a YAML list of vectors: one vector per time step."""
    if value is None:
        raise DlcalcError(f'{what}: the input sequence is missing (e.g. --x "1; 2; 3")')
    if isinstance(value, (list, tuple)) and value and not any(isinstance(v, (list, tuple)) for v in value):
        return [[float(v)] for v in parse_vector(list(value), what)]
    rows = floats(parse_matrix(value, what))
    if not rows or not rows[0]:
        raise DlcalcError(f"{what}: empty sequence")
    return rows


def _matrix(value: Any, what: str, rows: int | None, cols: int | None) -> list[list[float]]:
    mat = floats(parse_matrix(value, what))
    got = (len(mat), len(mat[0]))
    want = (rows if rows is not None else got[0], cols if cols is not None else got[1])
    if got != want:
        raise DlcalcError(f"{what}: expected shape {want[0]}x{want[1]}, got {got[0]}x{got[1]}")
    return mat


def _vector(value: Any, what: str, n: int) -> list[float]:
    vec = [float(v) for v in parse_vector(value, what)]
    if len(vec) != n:
        raise DlcalcError(f"{what}: expected {n} values, got {len(vec)}")
    return vec


def hidden_size(
    inputs: Mapping[str, Any], gates: tuple[str, ...], aliases: dict[str, tuple[tuple[str, ...], ...]]
) -> int:
    """H, from h0, weight_hh, or the rows of any per-gate matrix."""
    if inputs.get("h0") is not None:
        return len(parse_vector(inputs["h0"], "h0"))
    if inputs.get("weight_hh") is not None:
        return len(parse_matrix(inputs["weight_hh"], "weight_hh")[0])
    for gate in gates:
        for name in aliases[gate][1] + aliases[gate][0]:
            if inputs.get(name) is not None:
                return len(parse_matrix(inputs[name], name))
    raise DlcalcError("weights are missing: give weight_ih/weight_hh (torch layout) or the per-gate W_*, U_*, b_*")


def read_weights(
    inputs: Mapping[str, Any], gates: tuple[str, ...], aliases: dict[str, tuple[str, ...]], n_in: int
) -> Weights:
    """Either layout → torch's stacked layout, with every shape checked and named on error.

    aliases[gate] = (names for W, names for U, names for b), each a tuple of accepted keys.
    """
    g = len(gates)
    h = hidden_size(inputs, gates, aliases)
    textbook_keys = {name for gate in gates for names in aliases[gate] for name in names}
    has_torch = any(inputs.get(k) is not None for k in TORCH_KEYS)
    has_book = any(inputs.get(k) is not None for k in textbook_keys)
    if has_torch and has_book:
        raise DlcalcError(
            "weights: use either the torch layout (weight_ih, …) or the per-gate form (W_*, U_*, b_*), not both"
        )
    if has_torch:
        gh = g * h
        label = f"{g} gates × hidden {h}" if g > 1 else f"hidden {h}"
        for k in ("weight_ih", "weight_hh"):
            if inputs.get(k) is None:
                raise DlcalcError(f"{k}: missing (expected shape {gh}x{n_in if k == 'weight_ih' else h})")
        w_ih = _matrix(inputs["weight_ih"], f"weight_ih ({label}, input {n_in})", gh, n_in)
        w_hh = _matrix(inputs["weight_hh"], f"weight_hh ({label}, hidden {h})", gh, h)
        b_ih = _vector(inputs["bias_ih"], "bias_ih", gh) if inputs.get("bias_ih") is not None else [0.0] * gh
        b_hh = _vector(inputs["bias_hh"], "bias_hh", gh) if inputs.get("bias_hh") is not None else [0.0] * gh
        return Weights(
            gates, tuple(map(tuple, w_ih)), tuple(map(tuple, w_hh)), tuple(b_ih), tuple(b_hh), h, n_in, "torch"
        )
    w_ih, w_hh, b_ih, b_hh = [], [], [], []
    for gate in gates:
        w_names, u_names, b_names = aliases[gate]
        w_key = next((k for k in w_names if inputs.get(k) is not None), None)
        u_key = next((k for k in u_names if inputs.get(k) is not None), None)
        b_key = next((k for k in b_names if inputs.get(k) is not None), None)
        if w_key is None:
            raise DlcalcError(f"{w_names[0]}: missing (expected shape {h}x{n_in}, or {h}x{h + n_in} on [h, x])")
        w = floats(parse_matrix(inputs[w_key], w_key))
        if u_key is None and len(w[0]) == h + n_in and len(w) == h:
            u = [row[:h] for row in w]  # [h_{t-1}, x_t]: the first H columns act on h
            w = [row[h:] for row in w]
        else:
            w = _matrix(inputs[w_key], w_key, h, n_in)
            if u_key is None:
                raise DlcalcError(
                    f"{u_names[0]}: missing (expected shape {h}x{h}); or give {w_key} as {h}x{h + n_in} on [h, x]"
                )
            u = _matrix(inputs[u_key], u_key, h, h)
        b = _vector(inputs[b_key], b_key, h) if b_key is not None else [0.0] * h
        w_ih += w
        w_hh += u
        b_ih += b
        b_hh += [0.0] * h
    return Weights(
        gates, tuple(map(tuple, w_ih)), tuple(map(tuple, w_hh)), tuple(b_ih), tuple(b_hh), h, n_in, "textbook"
    )


def initial_state(inputs: Mapping[str, Any], key: str, h: int) -> list[float]:
    if inputs.get(key) is None:
        return [0.0] * h
    return _vector(inputs[key], key, h)


# --- arithmetic on plain lists ----------------------------------------------------------------


def matvec(a: list[list[float]], x: list[float]) -> list[float]:
    return [sum(w * v for w, v in zip(row, x)) for row in a]


def add(*vs: list[float]) -> list[float]:
    return [sum(t) for t in zip(*vs)]


def mul(a: list[float], b: list[float]) -> list[float]:
    return [x * y for x, y in zip(a, b)]


def sigmoid(v: list[float]) -> list[float]:
    return [stable.sigmoid(z) for z in v]


def tanh(v: list[float]) -> list[float]:
    return [math.tanh(z) for z in v]


def relu(v: list[float]) -> list[float]:
    return [z if z > 0 else 0.0 for z in v]


softmax = stable.softmax


# --- showing a step --------------------------------------------------------------------------


def vec(v: list[float]) -> m.Math:
    if len(v) == 1:
        return m.num(v[0], DIGITS)
    return m.vec(list(v), DIGITS)


def scalar_terms(w: list[list[float]], x: list[float]) -> m.Math:
    """W·x written out for a 1-neuron layer: 0.5·1 + 0.2·(-1)."""
    row = w[0]
    out = m.num(row[0], DIGITS) * m.num(x[0], DIGITS)
    for wi, xi in zip(row[1:], x[1:]):
        out = out + m.num(wi, DIGITS) * m.num(xi, DIGITS)
    return out


def gate_step(
    label: Text,
    name: m.Math,
    formula: m.Math,
    pre: list[float],
    post: list[float],
    fn: str,
    substituted: m.Math | None = None,
    note: Text | None = None,
) -> Step:
    """name = formula = [numbers] = f(pre-activation) = activation."""
    chain = [formula]
    if substituted is not None:
        chain.append(substituted)
    if fn:
        chain.append(
            m.Math(
                f"{fn}({vec(pre).text})",
                rf"\{fn}\left({vec(pre).latex}\right)"
                if fn in ("tanh",)
                else rf"{_latex_fn(fn)}\left({vec(pre).latex}\right)",
            )
        )
    chain.append(vec(post))
    return Step(label, name, chain, note)


def _latex_fn(fn: str) -> str:
    return {"σ": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{ReLU}", "softmax": r"\operatorname{softmax}"}.get(
        fn, fn
    )
