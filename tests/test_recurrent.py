"""rnn / lstm / gru: a hand-checkable exam RNN, random sizes in both weight forms against torch."""

import json
import math
import random
import re
from pathlib import Path

import pytest
import torch

from dlcalc.errors import DlcalcError
from dlcalc.solvers import gru, lstm, rnn

F64 = torch.float64
ROOT = Path(__file__).resolve().parent.parent


def test_scalar_exam_rnn_by_hand():
    # h_t = tanh(0.5·x_t + 0.1·h_{t-1}), x = 1, 2, 3, h0 = 0: worked with a calculator,
    # h1 = tanh(0.5), h2 = tanh(1 + 0.1·h1), h3 = tanh(1.5 + 0.1·h2).
    a = rnn.solve(rnn.parse_spec({"x": "1; 2; 3", "W": 0.5, "U": 0.1})).answer
    h1 = math.tanh(0.5)
    h2 = math.tanh(1 + 0.1 * h1)
    h3 = math.tanh(1.5 + 0.1 * h2)
    assert [v[0] for v in a["h"]] == pytest.approx([h1, h2, h3], abs=1e-15)
    assert round(a["h"][0][0], 6) == 0.462117 and round(a["h"][1][0], 6) == 0.780329


def _rand(rng, rows, cols):
    return [[round(rng.uniform(-1, 1), 3) for _ in range(cols)] for _ in range(rows)]


def _vec(rng, n):
    return [round(rng.uniform(-1, 1), 3) for _ in range(n)]


def _torch_layout(rng, gates, i, h):
    return {
        "weight_ih": _rand(rng, gates * h, i),
        "weight_hh": _rand(rng, gates * h, h),
        "bias_ih": _vec(rng, gates * h),
        "bias_hh": _vec(rng, gates * h),
    }


def _close(ours, theirs):
    assert [v for row in ours for v in row] == pytest.approx(theirs.flatten().tolist(), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_rnn_random_vs_torch(seed):
    rng = random.Random(seed)
    i, h, steps = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 5)
    w = _torch_layout(rng, 1, i, h)
    x, h0 = _rand(rng, steps, i), _vec(rng, h)
    nl = rng.choice(["tanh", "relu"])
    ours = rnn.solve(rnn.parse_spec({"x": x, "h0": h0, "nonlinearity": nl, **w})).answer
    ref = torch.nn.RNN(i, h, nonlinearity=nl, dtype=F64)
    with torch.no_grad():
        for k in w:
            getattr(ref, k + "_l0").copy_(torch.tensor(w[k], dtype=F64))
        out, _ = ref(torch.tensor(x, dtype=F64).unsqueeze(1), torch.tensor(h0, dtype=F64).view(1, 1, -1))
    _close(ours["h"], out)
    # the textbook names give the same network (bias only on the input side)
    book = rnn.solve(
        rnn.parse_spec(
            {
                "x": x,
                "h0": h0,
                "nonlinearity": nl,
                "W_xh": w["weight_ih"],
                "W_hh": w["weight_hh"],
                "b_h": [a + b for a, b in zip(w["bias_ih"], w["bias_hh"])],
            }
        )
    )
    _close(book.answer["h"], out)


@pytest.mark.parametrize("seed", range(6))
def test_lstm_random_vs_torch_both_forms(seed):
    rng = random.Random(100 + seed)
    i, h, steps = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
    w = _torch_layout(rng, 4, i, h)
    x, h0, c0 = _rand(rng, steps, i), _vec(rng, h), _vec(rng, h)
    cell = torch.nn.LSTMCell(i, h, dtype=F64)
    with torch.no_grad():
        for k in w:
            getattr(cell, k).copy_(torch.tensor(w[k], dtype=F64))
        hh, cc = torch.tensor([h0], dtype=F64), torch.tensor([c0], dtype=F64)
        hs, cs = [], []
        for xt in x:
            hh, cc = cell(torch.tensor([xt], dtype=F64), (hh, cc))
            hs.append(hh[0])
            cs.append(cc[0])
    ours = lstm.solve(lstm.parse_spec({"x": x, "h0": h0, "c0": c0, **w})).answer
    _close(ours["h"], torch.stack(hs))
    _close(ours["c"], torch.stack(cs))
    # per-gate textbook form: W_* = the gate's block of weight_ih, U_* of weight_hh, b_* both biases
    book = {"x": x, "h0": h0, "c0": c0}
    for k, gate in enumerate("ifgo"):
        rows = slice(k * h, (k + 1) * h)
        book[f"W_{gate}"] = w["weight_ih"][rows]
        book[f"U_{gate}"] = w["weight_hh"][rows]
        book[f"b_{gate}"] = [a + b for a, b in zip(w["bias_ih"][rows], w["bias_hh"][rows])]
    _close(lstm.solve(lstm.parse_spec(book)).answer["h"], torch.stack(hs))
    # and on the concatenation [h, x], as the course notes write W_f·[h_{t-1}, x_t]
    concat = {"x": x, "h0": h0, "c0": c0}
    for gate in "ifgo":
        concat[f"W_{gate}"] = [u + v for u, v in zip(book[f"U_{gate}"], book[f"W_{gate}"])]
        concat[f"b_{gate}"] = book[f"b_{gate}"]
    _close(lstm.solve(lstm.parse_spec(concat)).answer["h"], torch.stack(hs))


@pytest.mark.parametrize("seed", range(6))
def test_gru_random_vs_torch(seed):
    rng = random.Random(200 + seed)
    i, h, steps = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
    w = _torch_layout(rng, 3, i, h)
    x, h0 = _rand(rng, steps, i), _vec(rng, h)
    cell = torch.nn.GRUCell(i, h, dtype=F64)
    with torch.no_grad():
        for k in w:
            getattr(cell, k).copy_(torch.tensor(w[k], dtype=F64))
        hh, hs = torch.tensor([h0], dtype=F64), []
        for xt in x:
            hh = cell(torch.tensor([xt], dtype=F64), hh)
            hs.append(hh[0])
    _close(gru.solve(gru.parse_spec({"x": x, "h0": h0, **w})).answer["h"], torch.stack(hs))


def test_gru_textbook_conventions_by_hand():
    # One unit, x = 1, h0 = 0.5, every weight 0.5 and no biases: r = z = σ(0.75);
    # textbook: n = tanh(0.5 + 0.5·r·0.5), h = (1 - z)·0.5 + z·n; cho: h = z·0.5 + (1 - z)·n.
    spec = {"x": [1], "h0": [0.5], "W_r": 0.5, "U_r": 0.5, "W_z": 0.5, "U_z": 0.5, "W_n": 0.5, "U_n": 0.5}
    s = 1 / (1 + math.exp(-0.75))
    n = math.tanh(0.5 + 0.5 * s * 0.5)
    book = gru.solve(gru.parse_spec({**spec, "convention": "textbook"})).answer["h"][0][0]
    cho = gru.solve(gru.parse_spec({**spec, "convention": "cho"})).answer["h"][0][0]
    assert book == pytest.approx((1 - s) * 0.5 + s * n, abs=1e-15)
    assert cho == pytest.approx(s * 0.5 + (1 - s) * n, abs=1e-15)


@pytest.mark.parametrize(
    "module, inputs, message",
    [
        (
            lstm,
            {"x": "1,2; 3,4", "weight_ih": "1,2; 3,4", "weight_hh": 0.1},
            "weight_ih (4 gates × hidden 1, input 2): expected shape 4x2, got 2x2",
        ),
        (
            gru,
            {"x": "1; 2", "weight_ih": "1;2;3", "weight_hh": "1;2"},
            "weight_hh (3 gates × hidden 1, hidden 1): expected shape 3x1",
        ),
        (rnn, {"x": "1; 2", "W": "1; 2", "U": "1,0; 0,1,0"}, "U"),
        (lstm, {"x": "1; 2", "W_i": 0.5, "U_i": 0.1}, "W_f: missing"),
        (
            gru,
            {"x": "1", "W_r": 1, "U_r": 1, "W_z": 1, "U_z": 1, "W_n": 1, "U_n": 1, "convention": "keras"},
            "convention",
        ),
        (rnn, {"W": 1, "U": 1}, "x: the input sequence is missing"),
    ],
)
def test_shape_errors_name_the_matrix(module, inputs, message):
    with pytest.raises(DlcalcError) as e:
        module.parse_spec(inputs)
    assert message in e.value.message


def test_cli(cli):
    code, out, err = cli("rnn", "--x", "1; 2; 3", "--weight-ih", "0.5", "--weight-hh", "0.1", "--json", "--check")
    data = json.loads(out)
    assert code == 0 and data["check"]["ok"] and len(data["h"]) == 3
    code, out, err = cli("lstm", str(ROOT / "examples/lstm-scalar.yaml"), "--json")
    data = json.loads(out)
    assert code == 0 and set(data["gates"][0]) == {"i", "f", "g", "o"} and len(data["c"]) == 2
    code, out, err = cli("gru", str(ROOT / "examples/gru-scalar.yaml"), "--convention", "textbook", "--check")
    assert code == 0 and "textbook" in out
    code, out, err = cli("lstm", "--x", "1", "--set", "W_i")
    assert code == 2 and "--set" in err


# --- the worked solution: numbers substituted, the input's own names (issue 14) -----------------


def _textbook(rng, module, gates, aliases, i, h, concat):
    """A per-gate spec with a random choice among each gate's accepted names; returns the names used."""
    spec, used = {}, []
    for gate in gates:
        w_names, u_names, b_names = aliases[gate]
        w_key, u_key, b_key = rng.choice(w_names), rng.choice(u_names), rng.choice(b_names)
        if concat:
            spec[w_key] = _rand(rng, h, h + i)
            used.append(w_key)
        else:
            spec[w_key], spec[u_key] = _rand(rng, h, i), _rand(rng, h, h)
            used += [w_key, u_key]
        if rng.random() < 0.7:
            spec[b_key] = _vec(rng, h)
            used.append(b_key)
    return spec, used


@pytest.mark.parametrize("seed", range(12))
def test_gate_steps_substitute_numbers_in_the_inputs_names(seed):
    from dlcalc.render import step_text

    rng = random.Random(300 + seed)
    module, gates = rng.choice([(rnn, ("h",)), (lstm, lstm.GATES), (gru, gru.GATES)])
    i, h, steps = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3)
    x = _rand(rng, steps, i)
    concat = module is not rnn and rng.random() < 0.3
    spec, used = _textbook(rng, module, gates, module.ALIASES, i, h, concat)
    if module is gru:
        spec["convention"] = rng.choice(gru.CONVENTIONS)
    result = module.solve(module.parse_spec({"x": x, **spec}))
    text = "\n".join(step_text(s) for s in result.steps)
    for name in used:  # every weight appears under the name the input gave it…
        assert re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text), (name, text[:500])
    for torch_name in ("W_ir", "W_hr", "W_iz", "W_in", "W_hn", "W_ii", "W_hi", "W_ih", "b_ih"):
        assert torch_name not in used and not re.search(rf"\b{torch_name}\b", text)  # …and none is renamed
    gate_steps = [s for s in result.steps if s.chain and any(fn in s.chain[0].text for fn in ("σ(", "tanh("))]
    assert gate_steps
    for s in gate_steps:  # the weights' numbers are written into every gate before its value
        assert "·" in s.chain[1].text and any(c.isdigit() for c in s.chain[1].text), step_text(s)


def test_torch_layout_keeps_torchs_names():
    from dlcalc.render import step_text

    rng = random.Random(7)
    w = _torch_layout(rng, 3, 2, 2)
    result = gru.solve(gru.parse_spec({"x": _rand(rng, 2, 2), **w}))
    text = "\n".join(step_text(s) for s in result.steps)
    assert all(name in text for name in ("W_ir", "W_hr", "b_ir", "b_hr", "W_in", "W_hn", "b_hn"))


@pytest.mark.parametrize("convention", gru.CONVENTIONS)
def test_gru_update_latex_braces_every_subscript(convention):
    """At t = 10 and beyond a subscript has two digits: z_{10}, never z_10 (which sets as z₁0)."""
    inputs = {"x": "; ".join(str(i % 3) for i in range(11)), "convention": convention,
              "W_r": 0.5, "U_r": 0.1, "b_r": 0, "W_z": 0.5, "U_z": 0.1, "b_z": 0, "W_n": 0.5, "U_n": 0.1, "b_n": 0}  # fmt: skip
    result = gru.solve(gru.parse_spec(inputs))
    hidden = [s for s in result.steps if s.lhs is not None and s.lhs.text == "h11"]
    assert hidden, [s.lhs.text for s in result.steps if s.lhs is not None]
    latex = hidden[0].chain[0].latex
    assert "z_{11}" in latex and "n_{11}" in latex and "h_{10}" in latex, latex
    assert not re.search(r"_\d", latex), latex
