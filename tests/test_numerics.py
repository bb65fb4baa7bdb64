"""Numerics: stable for large |x|, exact where the input is exact, rounded only when printed."""

import json
import math
import warnings
from fractions import Fraction

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.solvers import act, backprop, perceptron, softmax


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("x", [-1e6, -1000, -745.5, 745.5, 1000, 1e6])
def test_sigmoid_and_tanh_never_overflow(x):
    for fn in ("sigmoid", "tanh", "elu", "gelu"):
        a = act.solve(act.parse_spec({"function": fn, "at": [x]})).answer
        assert all(math.isfinite(v) for v in a["value"] + a["derivative"])
    s = act.solve(act.parse_spec({"function": "sigmoid", "at": [x]})).answer
    assert s["value"][0] == (1.0 if x > 0 else pytest.approx(0.0, abs=1e-300))


def test_softmax_and_log_sum_exp_for_huge_logits():
    a = softmax.solve(softmax.parse_spec({"logits": [1e4, 1e4 - 1, -1e4], "loss": "cross_entropy", "target": 1})).answer
    assert a["log_sum_exp"] == pytest.approx(1e4 + math.log(1 + math.exp(-1)))
    assert a["loss"] == pytest.approx(1 + math.log(1 + math.exp(-1)))
    assert all(math.isfinite(p) for p in a["probabilities"]) and sum(a["probabilities"]) == pytest.approx(1)


def test_backprop_with_saturated_units_stays_finite():
    spec = {
        "input": [1000, -1000],
        "target": [1],
        "lr": 0.1,
        "layers": [
            {"weights": [[5, 5], [-5, 5]], "bias": 0, "activation": "sigmoid"},
            {"weights": [[3, -3]], "bias": 0, "activation": "sigmoid"},
        ],
    }
    a = backprop.solve(backprop.parse_spec(spec)).answer
    assert math.isfinite(a["loss"]) and all(math.isfinite(g) for row in a["grads"]["W1"] for g in row)


def test_exact_input_gives_exact_steps():
    r = perceptron.solve(perceptron.parse_spec({"x": "0.1,0.2; -0.3,0.1", "y": "1,-1", "lr": "0.1"}))
    assert all(isinstance(v, Fraction) for v in r.answer["w"])
    texts = " ".join(c.text for s in r.steps for c in s.chain)
    # 0.1·(-2)·(-0.3) is exactly 0.06 (in floats it would be 0.06000000000000001)
    assert "(0.06, -0.02)" in texts and "(0.08, 0.02)" in texts and "0000000" not in texts


def test_terminal_rounds_but_json_keeps_full_precision(cli):
    code, out, err = cli("act", "sigmoid", "--at", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["value"][0] == 1 / (1 + math.exp(-1))  # every bit
    code, out, err = cli("act", "sigmoid", "--at", "1")
    assert code == 0, err
    assert "0.731058579" in out and "0.7310585786300049" not in out


# --- the softmax Jacobian near p = 1 (issue 14) ------------------------------------------------

logit_lists = st.lists(st.floats(min_value=-60, max_value=60).map(lambda v: round(v, 4)), min_size=2, max_size=5)


def _jacobian_mp(z: list[float]) -> list[list]:
    """The Jacobian of softmax in 1500-digit arithmetic (mpmath), the independent truth: 1 - p_i keeps
    its digits even when p_i is within 1e-1000 of 1."""
    import mpmath

    with mpmath.workdps(1500):
        e = [mpmath.exp(mpmath.mpf(v)) for v in z]
        s = mpmath.fsum(e)
        p = [v / s for v in e]
        return [[p[i] * ((1 if i == j else 0) - p[j]) for j in range(len(z))] for i in range(len(z))]


@settings(max_examples=150, deadline=None)
@given(logit_lists, st.sampled_from([1.0, 0.1, 0.05, 3.0]))
def test_softmax_jacobian_keeps_relative_precision(z, temperature):
    a = softmax.solve(softmax.parse_spec({"logits": z, "temperature": temperature})).answer
    scaled = [v / temperature for v in z]
    truth = _jacobian_mp(scaled)
    assert len(a["jacobian"]) == len(z) and all(len(row) == len(z) for row in a["jacobian"])
    for i, row in enumerate(a["jacobian"]):
        for j, v in enumerate(row):
            exact = float(truth[i][j])
            if abs(exact) < 1e-290:  # beyond float64's normal range: only the sign and size matter
                assert abs(v) < 1e-280
                continue
            assert abs(v - exact) <= 1e-12 * abs(exact), (i, j, v, exact)
    # torch autograd agrees to its own rounding (it forms 1 - p_i from its own p_i, a few ulps of 1 off)
    zt = torch.tensor(scaled, dtype=torch.float64)
    jt = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, dim=0), zt).tolist()
    p = a["probabilities"]
    for i, row in enumerate(a["jacobian"]):
        for j, v in enumerate(row):
            assert abs(v - jt[i][j]) <= 1e-12 * abs(jt[i][j]) + 2.0**-49 * p[i] * (i == j) + 1e-300


def test_softmax_jacobian_issue_case():
    # dlcalc softmax --temperature 0.1 -- 6.86,3.71: J[0][0] = p0·p1 = 2.08797e-14 (was 1.42e-14)
    a = softmax.solve(softmax.parse_spec({"logits": "6.86, 3.71", "temperature": "0.1"})).answer
    exact = float(_jacobian_mp([68.6, 37.1])[0][0])
    assert a["jacobian"][0][0] == pytest.approx(exact, rel=1e-12)
    assert a["jacobian"][1][1] == pytest.approx(exact, rel=1e-12)


# --- losses on extreme logits: log-softmax / log-sigmoid forms (issue 14) -----------------------


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(min_value=-900, max_value=900).map(lambda v: round(v, 3)), min_size=2, max_size=4),
    st.integers(0, 3),
)
def test_loss_command_on_extreme_logits_matches_torch(z, k):
    import mpmath

    k %= len(z)
    ce = softmax.solve(softmax.parse_spec({"logits": z, "loss": "cross_entropy", "target": k})).answer
    t = [float(i % 2) for i in range(len(z))]
    bce = softmax.solve(softmax.parse_spec({"logits": z, "loss": "bce", "target": t})).answer
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    ce_t = torch.nn.functional.cross_entropy(zt.unsqueeze(0), torch.tensor([k]))
    (ce_g,) = torch.autograd.grad(ce_t, zt)
    bce_t = torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.tensor(t, dtype=torch.float64))
    (bce_g,) = torch.autograd.grad(bce_t, zt)
    with mpmath.workdps(1000):
        e = [mpmath.exp(mpmath.mpf(v)) for v in z]
        p = [v / mpmath.fsum(e) for v in e]
        sig = [1 / (1 + mpmath.exp(-mpmath.mpf(v))) for v in z]
        truth = {
            "ce": float(-mpmath.log(p[k])),
            "ce_grad": [float(pi - (i == k)) for i, pi in enumerate(p)],
            "bce": float(
                -mpmath.fsum(ti * mpmath.log(s) + (1 - ti) * mpmath.log(1 - s) for s, ti in zip(sig, t)) / len(z)
            ),
            "bce_grad": [float((s - ti) / len(z)) for s, ti in zip(sig, t)],
        }
    scale = 1 + max(abs(v) for v in z)
    for ours, true, theirs, size in [
        (ce["loss"], truth["ce"], ce_t.item(), scale),
        (bce["loss"], truth["bce"], bce_t.item(), scale),
        *zip(ce["gradient"], truth["ce_grad"], ce_g.tolist(), [1] * len(z)),
        *zip(bce["gradient"], truth["bce_grad"], bce_g.tolist(), [1] * len(z)),
    ]:
        assert math.isfinite(ours)
        assert abs(ours - true) <= 1e-12 * abs(true) + 1e-300, (ours, true)  # relative, against 1000 digits
        assert abs(ours - theirs) <= 1e-15 * size, (ours, theirs)  # torch, within its own float64 rounding
