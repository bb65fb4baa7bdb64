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
from dlcalc.declare import Input
from dlcalc.errors import DlcalcError
from dlcalc.parse import parse_matrix, parse_vector
from dlcalc.result import Step
from dlcalc.solvers import stable
from dlcalc.text import T, Text

# The inputs every recurrent command declares alike (rnn, lstm, gru, bptt), in their --help order.
SEQUENCE = Input("x", help=T('The sequence, one step per row: "1; 2; 3" or "1,0; 0,1".', '输入序列，每行一步："1; 2; 3" 或 "1,0; 0,1"。'),
                 flag="--sequence", aliases=("--x",), metavar="MATRIX")  # fmt: skip
H0 = Input("h0", help=T('Initial hidden state, e.g. "0,0".', '初始隐藏状态，例如 "0,0"。'), metavar="LIST",
           shown_default=T("zeros", "全零"))  # fmt: skip
WEIGHTS = (
    Input("weight_ih", help=T('torch layout: rows "0.1,0.2; 0.3,0.4" (gates stacked).', 'torch 排布：按行 "0.1,0.2; 0.3,0.4"（各门堆叠）。'),
          metavar="MATRIX"),
    Input("weight_hh", help=T("torch layout: hidden-to-hidden weights.", "torch 排布：隐藏到隐藏的权重。"), metavar="MATRIX"),
    Input("bias_ih", help=T("torch layout: input bias.", "torch 排布：输入偏置。"), metavar="LIST"),
    Input("bias_hh", help=T("torch layout: hidden bias.", "torch 排布：隐藏偏置。"), metavar="LIST"),
)  # fmt: skip

DIGITS = 6
TORCH_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@dataclass(frozen=True)
class GateNames:
    """What the input called one gate's weights, so the worked solution writes the same names.

    w acts on x_t, u on h_{t-1} (None when w was given on the concatenation [h_{t-1}, x_t]);
    b_ih / b_hh are None when the input gave no such bias (the term is then left out)."""

    w: str
    u: str | None
    b_ih: str | None
    b_hh: str | None


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
    names: tuple[tuple[str, GateNames], ...] = ()

    def named(self, gate: str) -> GateNames:
        return dict(self.names)[gate]

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
        raise DlcalcError(f'{what}: the input sequence is missing (e.g. --sequence "1; 2; 3")')
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
    inputs: Mapping[str, Any], gates: tuple[str, ...], aliases: Mapping[str, tuple[tuple[str, ...], ...]]
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
    inputs: Mapping[str, Any],
    gates: tuple[str, ...],
    aliases: Mapping[str, tuple[tuple[str, ...], ...]],
    n_in: int,
    torch_names: dict[str, GateNames] | None = None,
) -> Weights:
    """Either layout → torch's stacked layout, with every shape checked and named on error.

    aliases[gate] = (names for W, names for U, names for b), each a tuple of accepted keys;
    torch_names[gate] = how the worked solution names a block of the torch layout (torch's
    docs: W_ir, W_hr, b_ir, b_hr; an RNN's W_ih, W_hh, b_ih, b_hh).
    """
    h = hidden_size(inputs, gates, aliases)
    textbook_keys = {name for gate in gates for names in aliases[gate] for name in names}
    has_torch = any(inputs.get(k) is not None for k in TORCH_KEYS)
    has_book = any(inputs.get(k) is not None for k in textbook_keys)
    if has_torch and has_book:
        raise DlcalcError(
            "weights: use either the torch layout (weight_ih, …) or the per-gate form (W_*, U_*, b_*), not both"
        )
    if has_torch:
        return _torch_layout(inputs, gates, h, n_in, torch_names)
    return _textbook_layout(inputs, gates, aliases, h, n_in)


def _torch_layout(
    inputs: Mapping[str, Any], gates: tuple[str, ...], h: int, n_in: int, torch_names: dict[str, GateNames] | None
) -> Weights:
    """weight_ih, weight_hh (required) and the biases (zeros when not given), shapes checked."""
    g = len(gates)
    gh = g * h
    label = f"{g} gates × hidden {h}" if g > 1 else f"hidden {h}"
    for k in ("weight_ih", "weight_hh"):
        if inputs.get(k) is None:
            raise DlcalcError(f"{k}: missing (expected shape {gh}x{n_in if k == 'weight_ih' else h})")
    w_ih = _matrix(inputs["weight_ih"], f"weight_ih ({label}, input {n_in})", gh, n_in)
    w_hh = _matrix(inputs["weight_hh"], f"weight_hh ({label}, hidden {h})", gh, h)
    b_ih = _vector(inputs["bias_ih"], "bias_ih", gh) if inputs.get("bias_ih") is not None else [0.0] * gh
    b_hh = _vector(inputs["bias_hh"], "bias_hh", gh) if inputs.get("bias_hh") is not None else [0.0] * gh
    names = torch_names or {g_: GateNames(f"W_i{g_}", f"W_h{g_}", f"b_i{g_}", f"b_h{g_}") for g_ in gates}
    return Weights(
        gates,
        tuple(map(tuple, w_ih)),
        tuple(map(tuple, w_hh)),
        tuple(b_ih),
        tuple(b_hh),
        h,
        n_in,
        "torch",
        tuple((g_, names[g_]) for g_ in gates),
    )


def _textbook_layout(
    inputs: Mapping[str, Any],
    gates: tuple[str, ...],
    aliases: Mapping[str, tuple[tuple[str, ...], ...]],
    h: int,
    n_in: int,
) -> Weights:
    """W_*, U_*, b_* per gate (W on the concatenation [h, x] when U is not given), stacked in torch's order."""
    w_ih, w_hh, b_ih, b_hh = [], [], [], []
    named: list[tuple[str, GateNames]] = []
    for gate in gates:
        w, u, b, names = _gate_weights(inputs, aliases[gate], h, n_in)
        w_ih += w
        w_hh += u
        b_ih += b
        b_hh += [0.0] * h
        named.append((gate, names))
    return Weights(
        gates,
        tuple(map(tuple, w_ih)),
        tuple(map(tuple, w_hh)),
        tuple(b_ih),
        tuple(b_hh),
        h,
        n_in,
        "textbook",
        tuple(named),
    )


def _gate_weights(
    inputs: Mapping[str, Any], aliases: tuple[tuple[str, ...], ...], h: int, n_in: int
) -> tuple[list[list[float]], list[list[float]], list[float], GateNames]:
    """One gate's W (on x), U (on h) and b, by whichever accepted name the input used."""
    w_names, u_names, b_names = aliases
    w_key = next((k for k in w_names if inputs.get(k) is not None), None)
    u_key = next((k for k in u_names if inputs.get(k) is not None), None)
    b_key = next((k for k in b_names if inputs.get(k) is not None), None)
    if w_key is None:
        raise DlcalcError(f"{w_names[0]}: missing (expected shape {h}x{n_in}, or {h}x{h + n_in} on [h, x])")
    w = floats(parse_matrix(inputs[w_key], w_key))
    concat = u_key is None and len(w[0]) == h + n_in and len(w) == h
    if concat:
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
    return w, u, b, GateNames(w_key, None if concat else u_key, b_key, None)


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


def latex_name(name: str) -> str:
    """W_ir → W_{ir}, U_r → U_{r}, W → W: the subscript braced, as LaTeX needs."""
    base, _, index = name.partition("_")
    return f"{base}_{{{index}}}" if index else base


def symbol(name: str) -> m.Math:
    return m.sym(name, latex_name(name))


def indexed(name: str, t: int) -> m.Math:
    """h0, x1, c2 in text; h_{0}, x_{1} in LaTeX."""
    return m.numbered(m.sym(name, name), t)


def num(v: float) -> m.Math:
    return m.num(v, DIGITS)


def components(parts: list[m.Math]) -> m.Math:
    """One formula per hidden unit, as a vector (a plain scalar for one unit)."""
    return parts[0] if len(parts) == 1 else m.vec(parts)


def affine_formula(names: GateNames, t: int, h_term: m.Math | None = None) -> m.Math:
    """W_r·x1 + U_r·h0 + b_r (textbook), W_ir·x1 + b_ir + W_hr·h0 + b_hr (torch), W_r·[h0, x1] + b_r
    (concatenated), in the input's own names. h_term replaces h_{t-1} (GRU's r⊙h)."""
    h = h_term if h_term is not None else indexed("h", t - 1)
    x = indexed("x", t)
    if names.u is None:
        out = symbol(names.w) * m.vec([h, x], brackets="[]")
    else:
        out = symbol(names.w) * x
        if names.b_hh is not None and names.b_ih is not None:
            out = out + symbol(names.b_ih)
        out = out + symbol(names.u) * _hwrap(h)
    if names.b_hh is not None:
        out = out + symbol(names.b_hh)
    elif names.b_ih is not None:
        out = out + symbol(names.b_ih)
    return out


def _hwrap(h: m.Math) -> m.Math:
    return h if h.prec >= m.ATOM else m.group(h)


def affine_numbers(w: Weights, gate: str, x: list[float], h: list[float], unit: int, h_factor=None) -> m.Math:
    """The same sum for one hidden unit with the numbers in, terms in the formula's order.

    h_factor, when given, multiplies each h_k inside the U product (GRU's r⊙h): 0.1·(0.6·0.2)."""
    names = w.named(gate)
    wx = [num(a) * num(b) for a, b in zip(w.block("ih", gate)[unit], x)]

    def h_val(k: int) -> m.Math:
        return num(h[k]) if h_factor is None else num(h_factor[k]) * num(h[k])

    uh = [num(a) * h_val(k) for k, a in enumerate(w.block("hh", gate)[unit])]
    b_ih = [num(w.bias("ih", gate)[unit])] if names.b_ih is not None else []
    b_hh = [num(w.bias("hh", gate)[unit])] if names.b_hh is not None else []
    if names.u is None:
        return m.total(uh + wx + b_ih + b_hh, limit=10**6)
    if names.b_hh is not None:
        return m.total(wx + b_ih + uh + b_hh, limit=10**6)
    return m.total(wx + uh + b_ih, limit=10**6)


def gate_step(
    label: Text,
    name: m.Math,
    formula: m.Math,
    pre: list[float],
    post: list[float],
    fn: str,
    units: list[m.Math] | None = None,
    note: Text | None = None,
) -> Step:
    """name = f(formula) = (f(numbers of unit 1), …) = (f(pre-activation), …) = activation."""
    chain = [apply(fn, formula)]
    if units is not None:
        chain.append(components([apply(fn, u) for u in units]))
    if fn:
        chain.append(components([apply(fn, num(v)) for v in pre]))
    chain.append(vec(post))
    return Step(label, name, m.dedupe(chain), note)


def apply(fn: str, arg: m.Math) -> m.Math:
    """σ(…), tanh(…), relu(…) around a formula (nothing for the identity)."""
    if not fn:
        return arg
    return m.call(fn, arg, latex_name=_latex_fn(fn))


def _latex_fn(fn: str) -> str:
    return {"σ": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{ReLU}", "softmax": r"\operatorname{softmax}"}.get(
        fn, fn
    )
