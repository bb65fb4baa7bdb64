"""The gaps students hit in the training calculators (#19), each against torch run here:
AdamW and weight decay (torch.optim), softplus and SiLU (torch.nn.functional + autograd), NLL
(F.nll_loss), BatchNorm1d on N×C×L and with momentum=None (nn.BatchNorm1d), and peephole LSTMs
(no torch module: the equations of Gers & Schmidhuber written out here in torch operations)."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import DlcalcError
from dlcalc.solvers import act, batchnorm, lstm, optim, softmax

F64 = torch.float64
round3 = st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 3))


# --- optim: AdamW, weight decay ------------------------------------------------------------------

TORCH = {
    "sgd": (torch.optim.SGD, {}),
    "momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "nesterov": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (torch.optim.Adagrad, {}),
    "rmsprop": (torch.optim.RMSprop, {}),
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
}


def torch_path(name, start, lr, steps, weight_decay=None):
    cls, extra = TORCH[name]
    w = torch.tensor(start, dtype=F64, requires_grad=True)
    kw = {} if weight_decay is None else {"weight_decay": weight_decay}
    opt = cls([w], lr=lr, **extra, **kw)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        (w[0] ** 2 + 3 * w[1] ** 2 - w[0] * w[1] + 2 * w[0]).backward()
        opt.step()
        path.append(w.detach().tolist())
    return path


@settings(max_examples=20)
@given(
    name=st.sampled_from(optim.OPTIMIZERS),
    start=st.tuples(round3, round3),
    lr=st.sampled_from([0.01, 0.05, 0.1]),
    weight_decay=st.one_of(st.none(), st.sampled_from([0.0, 0.01, 0.1, 0.5])),
)
def test_weight_decay_and_adamw_follow_torch_optim(name, start, lr, weight_decay):
    spec = {"f": "x^2 + 3*y^2 - x*y + 2*x", "optimizer": name, "lr": lr, "start": f"{start[0]},{start[1]}", "steps": 6}
    if weight_decay is not None:
        spec["weight_decay"] = weight_decay
    ours = optim.solve(optim.parse_spec(spec)).answer["path"]
    theirs = torch_path(name, list(start), lr, 6, weight_decay)
    assert [v for r in ours for v in r] == pytest.approx([v for r in theirs for v in r], rel=1e-10, abs=1e-12)


def test_adamw_decays_the_weights_not_the_gradient():
    # AdamW (Loshchilov & Hutter): w ← w(1 − lr·λ), then Adam with the plain gradient. With f = w²/2 from
    # w = 1, lr = 0.1, λ = 0.5: w → 0.95, then m̂ = g = 1, v̂ = 1, so w = 0.95 − 0.1·1/(1 + 1e-8).
    a = optim.solve(
        optim.parse_spec({"f": "w^2/2", "optimizer": "adamw", "lr": 0.1, "start": 1, "steps": 1, "weight_decay": 0.5})
    )
    assert a.answer["path"][0][0] == pytest.approx(0.95 - 0.1 / (1 + 1e-8), rel=1e-15)
    assert a.answer["weight_decay"] == 0.5
    # L2 in Adam's gradient instead: g = 1 + 0.5·1 = 1.5, and Adam's first step is lr·sign(g)
    b = optim.solve(
        optim.parse_spec({"f": "w^2/2", "optimizer": "adam", "lr": 0.1, "start": 1, "steps": 1, "weight_decay": 0.5})
    )
    assert b.answer["path"][0][0] == pytest.approx(1 - 0.1 * 1.5 / (1.5 + 1e-8), rel=1e-15)
    texts = [s.lhs.text for s in b.steps if s.lhs is not None]
    assert "g ← g + λ·w" in texts
    assert "w ← w·(1 - lr·λ)" in [s.lhs.text for s in a.steps if s.lhs is not None]
    # torch's AdamW default weight_decay is 0.01
    assert optim.parse_spec({"f": "w^2", "optimizer": "adamw"}).decay("adamw") == 0.01


def test_negative_weight_decay_is_refused():
    with pytest.raises(DlcalcError, match="weight_decay"):
        optim.parse_spec({"f": "w^2", "weight_decay": -0.1})


# --- act: softplus, SiLU -------------------------------------------------------------------------


@settings(max_examples=30)
@given(name=st.sampled_from(["softplus", "silu"]), points=st.lists(st.floats(-40, 40, allow_nan=False).map(lambda v: round(v, 4)), min_size=1, max_size=6))
def test_softplus_and_silu_match_torch(name, points):
    r = act.solve(act.parse_spec({"function": name, "at": ", ".join(map(str, points))}))
    x = torch.tensor(points, dtype=F64, requires_grad=True)
    y = (F.softplus if name == "softplus" else F.silu)(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert r.answer["value"] == pytest.approx(y.tolist(), rel=1e-12, abs=1e-15)
    assert r.answer["derivative"] == pytest.approx(g.tolist(), rel=1e-12, abs=1e-15)


def test_softplus_and_silu_by_hand():
    # softplus(0) = ln 2 with slope σ(0) = 1/2; SiLU(1) = σ(1) and SiLU'(0) = 1/2
    r = act.solve(act.parse_spec({"function": "softplus", "at": "0"})).answer
    assert r["value"] == [pytest.approx(math.log(2))] and r["derivative"] == [0.5]
    s = act.solve(act.parse_spec({"function": "silu", "at": "1, 0"})).answer
    assert s["value"] == pytest.approx([1 / (1 + math.exp(-1)), 0]) and s["derivative"][1] == 0.5


# --- loss: NLL -------------------------------------------------------------------------------------


@settings(max_examples=25)
@given(n=st.integers(1, 4), c=st.integers(2, 5), data=st.data())
def test_nll_matches_torch_nll_loss(n, c, data):
    logits = data.draw(st.lists(st.lists(round3, min_size=c, max_size=c), min_size=n, max_size=n))
    targets = data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    logp = torch.log_softmax(torch.tensor(logits, dtype=F64), dim=1)
    rows = "; ".join(", ".join(repr(v) for v in row) for row in logp.tolist())
    r = softmax.solve(softmax.parse_spec({"logits": rows, "target": ", ".join(map(str, targets)), "loss": "nll"}))
    inp = logp.clone().requires_grad_(True)
    loss = F.nll_loss(inp, torch.tensor(targets))
    (g,) = torch.autograd.grad(loss, inp)
    assert r.answer["loss"] == pytest.approx(loss.item(), rel=1e-12)
    ours = r.answer["gradient"] if n > 1 else [r.answer["gradient"]]
    assert ours == [pytest.approx(row) for row in g.tolist()]
    assert not r.notes  # real log-probabilities: no warning


def test_nll_warns_when_the_input_is_not_log_probabilities():
    r = softmax.solve(softmax.parse_spec({"logits": "2, 1, 0.1", "target": 0, "loss": "nll"}))
    assert r.answer["loss"] == -2  # NLLLoss just negates the picked entry
    assert any("cross_entropy" in n.en for n in r.notes)
    with pytest.raises(DlcalcError, match="class index 3"):
        softmax.parse_spec({"logits": "-1, -1, -1", "target": 3, "loss": "nll"})
    with pytest.raises(DlcalcError, match="2 class indices for 1 rows"):
        softmax.parse_spec({"logits": "-1, -1", "target": "0, 1", "loss": "nll"})


# --- batchnorm: N×C×L and momentum=None -----------------------------------------------------------


@settings(max_examples=20)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    length=st.integers(2, 4),
    data=st.data(),
    momentum=st.one_of(st.none(), st.sampled_from([0.1, 0.5])),
    tracked=st.integers(0, 5),
)
def test_batchnorm1d_on_ncl_and_cumulative_average_match_torch(n, c, length, data, momentum, tracked):
    x = data.draw(st.lists(st.lists(st.lists(round3, min_size=length, max_size=length), min_size=c, max_size=c), min_size=n, max_size=n))
    rm = data.draw(st.lists(round3, min_size=c, max_size=c))
    rv = data.draw(st.lists(st.floats(0.1, 3).map(lambda v: round(v, 3)), min_size=c, max_size=c))
    r = batchnorm.solve(
        batchnorm.parse_spec(
            {"x": x, "momentum": momentum, "num_batches_tracked": tracked, "running_mean": rm, "running_var": rv}
        )
    )
    bn = torch.nn.BatchNorm1d(c, momentum=momentum, dtype=F64)
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor(rm, dtype=F64))
        bn.running_var.copy_(torch.tensor(rv, dtype=F64))
        bn.num_batches_tracked.fill_(tracked)
        y = bn(torch.tensor(x, dtype=F64))
    assert torch.allclose(torch.tensor(r.answer["output"], dtype=F64), y, rtol=1e-10, atol=1e-10)
    assert r.answer["running_mean"] == pytest.approx(bn.running_mean.tolist(), rel=1e-12, abs=1e-12)
    assert r.answer["running_var"] == pytest.approx(bn.running_var.tolist(), rel=1e-12, abs=1e-12)
    assert r.answer["num_batches_tracked"] == bn.num_batches_tracked.item()


def test_cumulative_average_by_hand():
    # momentum=None after 3 earlier batches: this one weighs 1/4. Batch mean 2 over (1, 3) → running
    # mean 0.75·0 + 0.25·2 = 0.5; unbiased variance 2 → running var 0.75·1 + 0.25·2 = 1.25.
    r = batchnorm.solve(batchnorm.parse_spec({"x": [[[1, 3]]], "momentum": None, "num_batches_tracked": 3}))
    assert r.answer["running_mean"] == [0.5] and r.answer["running_var"] == [1.25]
    assert "momentum=None" in r.summary[0][1]


# --- lstm: peepholes --------------------------------------------------------------------------------


def peephole_lstm_reference(x_seq, W, U, b, p, h0, c0):
    """Gers, Schraudolph & Schmidhuber (2002), eqs. with peepholes, per gate (textbook W, U, b):
    i = σ(W_i x + U_i h + p_i⊙c_prev + b_i), f likewise, g = tanh(W_g x + U_g h + b_g),
    c = f⊙c_prev + i⊙g, o = σ(W_o x + U_o h + p_o⊙c + b_o), h = o⊙tanh(c)."""
    h, c = torch.tensor(h0, dtype=F64), torch.tensor(c0, dtype=F64)
    t = lambda v: torch.tensor(v, dtype=F64)  # noqa: E731
    hs, cs = [], []
    for x in x_seq:
        x = t(x)
        pre = {k: t(W[k]) @ x + t(U[k]) @ h + t(b[k]) for k in "ifgo"}
        i = torch.sigmoid(pre["i"] + t(p["i"]) * c)
        f = torch.sigmoid(pre["f"] + t(p["f"]) * c)
        g = torch.tanh(pre["g"])
        c = f * c + i * g
        o = torch.sigmoid(pre["o"] + t(p["o"]) * c)
        h = o * torch.tanh(c)
        hs.append(h.tolist())
        cs.append(c.tolist())
    return hs, cs


@settings(max_examples=15)
@given(hidden=st.integers(1, 2), inputs=st.integers(1, 2), steps=st.integers(1, 3), data=st.data())
def test_peephole_lstm_matches_the_equations_in_torch(hidden, inputs, steps, data):
    def mat(r, c):
        return data.draw(st.lists(st.lists(round3, min_size=c, max_size=c), min_size=r, max_size=r))

    W = {k: mat(hidden, inputs) for k in "ifgo"}
    U = {k: mat(hidden, hidden) for k in "ifgo"}
    b = {k: mat(1, hidden)[0] for k in "ifgo"}
    p = {k: mat(1, hidden)[0] for k in "ifo"}
    x = mat(steps, inputs)
    spec = {"x": "; ".join(",".join(map(str, r)) for r in x)}
    for k in "ifgo":
        spec |= {f"W_{k}": "; ".join(",".join(map(str, r)) for r in W[k]),
                 f"U_{k}": "; ".join(",".join(map(str, r)) for r in U[k]), f"b_{k}": ",".join(map(str, b[k]))}  # fmt: skip
    spec |= {f"p_{k}": ",".join(map(str, p[k])) for k in "ifo"}
    r = lstm.solve(lstm.parse_spec(spec))
    hs, cs = peephole_lstm_reference(x, W, U, b, p, [0.0] * hidden, [0.0] * hidden)
    assert [v for row in r.answer["h"] for v in row] == pytest.approx([v for row in hs for v in row], rel=1e-12, abs=1e-14)
    assert [v for row in r.answer["c"] for v in row] == pytest.approx([v for row in cs for v in row], rel=1e-12, abs=1e-14)
    from dlcalc.check import run

    assert run(r).ok


def test_peephole_output_gate_is_worked_after_the_cell_and_the_note_says_torch_has_none():
    base = {"x": "1; 2", **{f"{m}_{k}": v for k in "ifgo" for m, v in (("W", 0.5), ("U", 0.1), ("b", 0))}}
    plain = lstm.solve(lstm.parse_spec(base))
    peep = lstm.solve(lstm.parse_spec(base | {"p_o": 0.5}))
    order = [s.lhs.text[0] for s in peep.steps[:6]]
    assert order == ["i", "f", "g", "c", "o", "h"]
    assert [s.lhs.text[0] for s in plain.steps[:6]] == ["i", "f", "g", "o", "c", "h"]
    assert any("torch.nn.LSTM has none" in n.en for n in peep.notes)
    # peepholes of zero change nothing
    zero = lstm.solve(lstm.parse_spec(base | {"p_i": 0, "p_f": 0, "p_o": 0}))
    assert sum(zero.answer["h"], []) == pytest.approx(sum(plain.answer["h"], []), rel=1e-15)
    with pytest.raises(DlcalcError, match="peephole weights"):
        lstm.parse_spec(base | {"p_i": "1, 2"})
