"""optim, attention, batchnorm, softmax/loss, act, metrics: against torch built here and by hand."""

import json
import math
import random

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import DlcalcError
from dlcalc.solvers import act, attention, batchnorm, metrics, optim, softmax

F64 = torch.float64


# --- optim --------------------------------------------------------------------------------------


def _torch_path(name, f, start, lr, steps, **kw):
    w = torch.tensor(start, dtype=F64, requires_grad=True)
    cls = {
        "sgd": torch.optim.SGD,
        "momentum": torch.optim.SGD,
        "nesterov": torch.optim.SGD,
        "adagrad": torch.optim.Adagrad,
        "rmsprop": torch.optim.RMSprop,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
    }[name]
    extra = (
        {"momentum": 0.9} if name == "momentum" else {"momentum": 0.9, "nesterov": True} if name == "nesterov" else {}
    )
    opt = cls([w], lr=lr, **extra, **kw)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        f(w).backward()
        opt.step()
        path.append(w.detach().tolist())
    return path


@pytest.mark.parametrize("name", optim.OPTIMIZERS)
def test_optimizers_match_torch_optim(name):
    ours = optim.solve(
        optim.parse_spec({"f": "x^2 + 10*y^2 + x*y", "optimizer": name, "lr": 0.05, "start": "1.5, -1", "steps": 12})
    ).answer["path"]
    theirs = _torch_path(name, lambda w: w[0] ** 2 + 10 * w[1] ** 2 + w[0] * w[1], [1.5, -1.0], 0.05, 12)
    assert [v for row in ours for v in row] == pytest.approx([v for row in theirs for v in row], abs=1e-12)


def test_sgd_by_hand_and_given_gradients():
    # w² + 3w from w = 1 with lr 0.1: g = 5 → w = 0.5; g = 4 → 0.1; g = 3.2 → -0.22
    a = optim.solve(optim.parse_spec({"f": "w^2 + 3*w", "lr": 0.1, "start": 1, "steps": 3})).answer
    assert [p[0] for p in a["path"]] == pytest.approx([0.5, 0.1, -0.22])
    # momentum with given gradients 1, 1: b = 1, w = -0.1; b = 0.9 + 1 = 1.9, w = -0.29
    b = optim.solve(optim.parse_spec({"grads": "1; 1", "optimizer": "momentum", "lr": 0.1})).answer
    assert [p[0] for p in b["path"]] == pytest.approx([-0.1, -0.29])


def test_adam_first_step_is_lr_in_the_gradients_direction():
    # Adam's bias correction makes the first step ≈ lr·sign(g), whatever |g| is (Kingma & Ba 2015, §2.1).
    a = optim.solve(optim.parse_spec({"grads": "1000", "optimizer": "adam", "lr": 0.01, "start": 0})).answer
    assert a["path"][0][0] == pytest.approx(-0.01, rel=1e-6)


def test_optim_errors():
    with pytest.raises(DlcalcError, match="^optim"):
        optim.parse_spec({})
    with pytest.raises(DlcalcError, match="^start"):
        optim.parse_spec({"f": "x^2 + y^2", "start": "1"})
    with pytest.raises(DlcalcError, match="^steps"):
        optim.parse_spec({"grads": "1; 2", "steps": 5})


# --- attention ----------------------------------------------------------------------------------


def _rand(rng, r, c):
    return [[round(rng.uniform(-1, 1), 3) for _ in range(c)] for _ in range(r)]


@pytest.mark.parametrize("seed", range(6))
def test_attention_matches_sdpa(seed):
    rng = random.Random(seed)
    n, d, dv = rng.randint(1, 5), rng.randint(1, 4), rng.randint(1, 4)
    q, k, v = _rand(rng, n, d), _rand(rng, n, d), _rand(rng, n, dv)
    causal = rng.random() < 0.5
    a = attention.solve(attention.parse_spec({"Q": q, "K": k, "V": v, "mask": "causal" if causal else None})).answer
    t = lambda x: torch.tensor(x, dtype=F64).unsqueeze(0)  # noqa: E731
    ref = F.scaled_dot_product_attention(t(q), t(k), t(v), is_causal=causal)[0]
    assert [x for r in a["output"] for x in r] == pytest.approx(ref.flatten().tolist(), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(1, 3), st.integers(0, 10**6))
def test_causal_attention_with_different_numbers_of_queries_and_keys(n_q, n_k, d, dv, seed):
    """torch 2.13's is_causal=True is documented as ones(L, S).tril(0): the mask aligned top-left,
    query i sees keys 0..i. dlcalc answers every L ≠ S as torch does (it refused them before)."""
    rng = random.Random(seed)
    q, k, v = _rand(rng, n_q, d), _rand(rng, n_k, d), _rand(rng, n_k, dv)
    a = attention.solve(attention.parse_spec({"Q": q, "K": k, "V": v, "mask": "causal"})).answer
    t = lambda x: torch.tensor(x, dtype=F64).unsqueeze(0)  # noqa: E731
    ref = F.scaled_dot_product_attention(t(q), t(k), t(v), is_causal=True)[0]
    assert [x for r in a["output"] for x in r] == pytest.approx(ref.flatten().tolist(), abs=1e-12)
    # the same mask written out as the docs' reference implementation does, independently of sdpa
    mask = torch.ones(n_q, n_k, dtype=torch.bool).tril(diagonal=0)
    scores = (t(q)[0] @ t(k)[0].T / math.sqrt(d)).masked_fill(~mask, float("-inf"))
    assert [x for r in a["weights"] for x in r] == pytest.approx(
        torch.softmax(scores, -1).flatten().tolist(), abs=1e-12
    )


def test_multihead_matches_nn_multiheadattention():
    rng = random.Random(5)
    e, h, n = 4, 2, 3
    x, wq, wk, wv, wo = (_rand(rng, n, e),) + tuple(_rand(rng, e, e) for _ in range(4))
    a = attention.solve(attention.parse_spec({"X": x, "W_Q": wq, "W_K": wk, "W_V": wv, "W_O": wo, "heads": h})).answer
    mha = torch.nn.MultiheadAttention(e, h, bias=False, batch_first=True, dtype=F64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([torch.tensor(w, dtype=F64).T for w in (wq, wk, wv)]))
        mha.out_proj.weight.copy_(torch.tensor(wo, dtype=F64).T)
        xt = torch.tensor(x, dtype=F64).unsqueeze(0)
        y, _ = mha(xt, xt, xt, need_weights=False)
    assert [v for r in a["output"] for v in r] == pytest.approx(y.flatten().tolist(), abs=1e-12)


def test_attention_by_hand():
    # one query (1, 0) against keys (1, 0), (0, 1): scores (1, 0)/√2; weights e^{0.707}/(e^{0.707} + 1)
    a = attention.solve(attention.parse_spec({"Q": [[1, 0]], "K": [[1, 0], [0, 1]], "V": [[10], [20]]})).answer
    w1 = math.exp(1 / math.sqrt(2)) / (math.exp(1 / math.sqrt(2)) + 1)
    assert a["weights"][0] == pytest.approx([w1, 1 - w1]) and a["output"][0][0] == pytest.approx(
        10 * w1 + 20 * (1 - w1)
    )
    with pytest.raises(DlcalcError, match="^K"):
        attention.parse_spec({"Q": [[1, 0]], "K": [[1, 0, 0]], "V": [[1]]})


# --- batchnorm ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("dims", [2, 4])
def test_batchnorm_matches_torch(mode, dims):
    rng = random.Random(dims)
    shape = (4, 3) if dims == 2 else (2, 3, 2, 2)
    x = torch.tensor([rng.uniform(-2, 2) for _ in range(math.prod(shape))], dtype=F64).reshape(shape)
    gamma, beta = [0.5, 1.5, -1.0], [0.1, 0.0, 0.3]
    rm, rv = [0.2, -0.1, 0.0], [1.5, 0.5, 2.0]
    a = batchnorm.solve(
        batchnorm.parse_spec(
            {
                "x": x.tolist(),
                "gamma": gamma,
                "beta": beta,
                "mode": mode,
                "running_mean": rm,
                "running_var": rv,
                "momentum": 0.2,
            }
        )
    ).answer
    bn = (torch.nn.BatchNorm1d if dims == 2 else torch.nn.BatchNorm2d)(3, momentum=0.2, dtype=F64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma, dtype=F64))
        bn.bias.copy_(torch.tensor(beta, dtype=F64))
        bn.running_mean.copy_(torch.tensor(rm, dtype=F64))
        bn.running_var.copy_(torch.tensor(rv, dtype=F64))
        bn.train(mode == "train")
        y = bn(x)
    assert torch.allclose(torch.tensor(a["output"], dtype=F64), y, atol=1e-12)
    if mode == "train":
        assert a["running_var"] == pytest.approx(bn.running_var.tolist(), abs=1e-12)


def test_batchnorm_by_hand():
    # feature 1: 1, 3, 5 → μ = 3, biased σ² = 8/3, x̂ = (x - 3)/√(8/3 + 1e-5)
    a = batchnorm.solve(batchnorm.parse_spec({"x": [[1], [3], [5]]})).answer
    assert a["mean"] == [3.0] and a["var"] == pytest.approx([8 / 3])
    assert a["output"][0][0] == pytest.approx(-2 / math.sqrt(8 / 3 + 1e-5))
    with pytest.raises(DlcalcError, match="^gamma"):
        batchnorm.parse_spec({"x": [[1, 2], [3, 4]], "gamma": [1, 2, 3]})


# --- softmax and losses -------------------------------------------------------------------------


def test_softmax_and_cross_entropy_match_torch():
    z = [2.0, 1.0, 0.1]
    a = softmax.solve(softmax.parse_spec({"logits": z, "loss": "cross_entropy", "target": 0})).answer
    zt = torch.tensor(z, dtype=F64, requires_grad=True)
    loss = F.cross_entropy(zt.unsqueeze(0), torch.tensor([0]))
    (g,) = torch.autograd.grad(loss, zt)
    assert a["loss"] == pytest.approx(loss.item(), abs=1e-14) and a["gradient"] == pytest.approx(g.tolist(), abs=1e-14)
    # the textbook softmax of (2, 1, 0.1): (0.659, 0.242, 0.099)
    assert [round(p, 3) for p in a["probabilities"]] == [0.659, 0.242, 0.099]


def test_stable_for_huge_logits():
    a = softmax.solve(softmax.parse_spec({"logits": [1000, 0, -1000], "loss": "cross_entropy", "target": 1})).answer
    assert a["loss"] == pytest.approx(1000) and all(math.isfinite(v) for v in a["gradient"])
    b = softmax.solve(softmax.parse_spec({"logits": [800, -800], "loss": "bce", "target": [0, 1]})).answer
    assert b["loss"] == pytest.approx(800) and math.isfinite(b["loss"])


def test_mse_and_bce_match_torch():
    y, t = [0.5, -1.0, 2.0], [1.0, 0.0, 1.0]
    a = softmax.solve(softmax.parse_spec({"logits": y, "loss": "mse", "target": t})).answer
    yt = torch.tensor(y, dtype=F64, requires_grad=True)
    loss = F.mse_loss(yt, torch.tensor(t, dtype=F64))
    (g,) = torch.autograd.grad(loss, yt)
    assert a["loss"] == pytest.approx(loss.item()) and a["gradient"] == pytest.approx(g.tolist())
    b = softmax.solve(softmax.parse_spec({"logits": y, "loss": "bce", "target": t})).answer
    yt = torch.tensor(y, dtype=F64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(yt, torch.tensor(t, dtype=F64))
    (g,) = torch.autograd.grad(loss, yt)
    assert b["loss"] == pytest.approx(loss.item()) and b["gradient"] == pytest.approx(g.tolist())


# --- activations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, fn",
    [
        ("sigmoid", torch.sigmoid),
        ("tanh", torch.tanh),
        ("relu", torch.relu),
        ("leaky_relu", lambda x: F.leaky_relu(x, 0.01)),
        ("elu", F.elu),
        ("gelu", F.gelu),
    ],
)
def test_activations_match_autograd(name, fn):
    points = [-30.0, -3.0, -0.5, 0.0, 0.7, 2.0, 30.0]
    a = act.solve(act.parse_spec({"function": name, "at": points})).answer
    x = torch.tensor(points, dtype=F64, requires_grad=True)
    y = fn(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert a["value"] == pytest.approx(y.tolist(), abs=1e-12)
    assert a["derivative"] == pytest.approx(g.tolist(), abs=1e-12)


def test_saturation_remark():
    r = act.solve(act.parse_spec({"function": "sigmoid", "at": "-8, 0"}))
    notes = [s.note.en for s in r.steps if s.note]
    assert any("saturated" in n for n in notes) and any("0.25" in n for n in notes)


# --- metrics ------------------------------------------------------------------------------------


def test_metrics_by_hand():
    from fractions import Fraction

    a = metrics.solve(metrics.parse_spec({"tp": 8, "fp": 2, "fn": 4, "tn": 6})).answer
    assert (a["precision"], a["recall"], a["f1"], a["accuracy"]) == (
        Fraction(4, 5),
        Fraction(2, 3),
        Fraction(8, 11),
        Fraction(7, 10),
    )
    b = metrics.solve(metrics.parse_spec({"y_true": "1,0,1,1,0", "y_pred": "1,1,0,1,0"})).answer
    assert (b["tp"], b["fp"], b["fn"], b["tn"]) == (2, 1, 1, 1)


def test_scaling_matches_torch():
    data = [1.0, 2.0, 3.0, 10.0]
    a = metrics.solve(metrics.parse_spec({"data": data})).answer
    x = torch.tensor(data, dtype=F64)
    assert [float(v) for v in a["minmax"]] == pytest.approx(((x - x.min()) / (x.max() - x.min())).tolist())
    assert [float(v) for v in a["zscore"]] == pytest.approx(((x - x.mean()) / x.std(unbiased=False)).tolist())


def test_metrics_errors():
    with pytest.raises(DlcalcError, match="^fn"):
        metrics.parse_spec({"tp": 1, "fp": 2})
    with pytest.raises(DlcalcError, match="^y_pred"):
        metrics.parse_spec({"y_true": "1,0", "y_pred": "1"})


# --- the commands ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["optim", "--f", "w^2 + 3*w", "--optimizer", "nesterov", "--lr", "0.1", "--start", "1", "--steps", "3"],
        ["optim", "--f", "x^2 + 10*y^2", "--start", "1,1", "--compare", "sgd,adam", "--steps", "3"],
        ["attention", "examples/attention.yaml", "--causal"],
        ["batchnorm", "examples/batchnorm.yaml"],
        ["softmax", "2, 1, 0.1"],
        ["loss", "--logits", "2, 1, 0.1", "--target", "0"],
        ["act", "gelu", "--at", "-1, 0, 1"],
        ["metrics", "--tp", "8", "--fp", "2", "--fn", "4", "--tn", "6"],
    ],
)
def test_commands_check_clean(cli, args, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    code, out, err = cli(*args, "--json", "--check")
    assert code == 0, err
    assert json.loads(out)["check"]["ok"]


def test_optim_png(cli, tmp_path):
    png = tmp_path / "paths.png"
    code, out, err = cli(
        "optim",
        "--f",
        "x^2 + 10*y^2",
        "--start",
        "1,1",
        "--compare",
        "sgd,momentum,adam",
        "--lr",
        "0.05",
        "--steps",
        "5",
        "--png",
        str(png),
    )
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG"
