"""backprop: Matt Mazur's published worked example to 9 digits, random nets vs torch autograd."""

import json
import math
import random
from pathlib import Path

import pytest
import torch
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import DlcalcError
from dlcalc.solvers import backprop as B

ROOT = Path(__file__).resolve().parent.parent
MAZUR = ROOT / "examples" / "mazur.yaml"


def flat(rows):
    return [float(v) for r in rows for v in r]


def solve(inputs):
    return B.solve(B.parse_spec(inputs))


def test_mazur_step_by_step_example():
    # Matt Mazur, "A Step by Step Backpropagation Example" (2015): out_h1 = 0.593269992,
    # out_h2 = 0.596884378, out_o1 = 0.75136507, out_o2 = 0.772928465, E_total = 0.298371109,
    # w5+ = 0.35891648, w6+ = 0.408666186, w7+ = 0.511301270, w8+ = 0.561370121,
    # w1+ = 0.149780716, w2+ = 0.19956143, w3+ = 0.24975114, w4+ = 0.29950229.
    a = solve(yaml.safe_load(MAZUR.read_text())).answer
    assert a["forward"]["a1"] == pytest.approx([0.593269992, 0.596884378], abs=5e-10)
    assert a["forward"]["a2"] == pytest.approx([0.75136507, 0.772928465], abs=5e-9)
    assert a["loss"] == pytest.approx(0.298371109, abs=5e-10)
    assert flat(a["updated"]["W2"]) == pytest.approx([0.35891648, 0.408666186, 0.511301270, 0.561370121], abs=5e-9)
    assert flat(a["updated"]["W1"]) == pytest.approx([0.149780716, 0.19956143, 0.24975114, 0.29950229], abs=5e-9)
    assert a["updated"]["b1"] == [0.35] and a["updated"]["b2"] == [0.6]  # update_bias: false


def _torch_grads(spec):
    f64 = torch.float64
    a = torch.tensor([float(v) for v in spec.input], dtype=f64)
    t = torch.tensor([float(v) for v in spec.target], dtype=f64)
    ps = []
    for layer in spec.layers:
        w = torch.tensor([[float(v) for v in r] for r in layer.weights], dtype=f64, requires_grad=True)
        b = torch.tensor([float(v) for v in layer.bias], dtype=f64, requires_grad=True)
        ps.append((w, b))
        z = w @ a + b
        a = {
            "sigmoid": torch.sigmoid,
            "tanh": torch.tanh,
            "relu": torch.relu,
            "linear": lambda v: v,
            "softmax": lambda v: torch.softmax(v, 0),
        }[layer.activation](z)
    if spec.loss == "half_sse":
        loss = 0.5 * ((a - t) ** 2).sum()
    elif spec.loss == "mse":
        loss = ((a - t) ** 2).mean()
    else:
        loss = -(t * torch.log(a)).sum()
    loss.backward()
    return loss.item(), [(w.grad.tolist(), b.grad.tolist()) for w, b in ps]


@pytest.mark.parametrize("seed", range(3))
def test_random_networks_match_autograd(seed):
    rng = random.Random(seed)
    for _ in range(15):
        sizes = [rng.randint(1, 4) for _ in range(rng.randint(2, 4))]
        acts = [rng.choice(["sigmoid", "tanh", "relu", "linear"]) for _ in sizes[1:]]
        loss = rng.choice(["half_sse", "mse", "cross_entropy"])
        if loss == "cross_entropy":
            acts[-1] = "softmax"
            target = [0.0] * sizes[-1]
            target[rng.randrange(sizes[-1])] = 1.0
        else:
            target = [round(rng.uniform(-1, 1), 2) for _ in range(sizes[-1])]
        layers = [
            {
                "weights": [[round(rng.uniform(-1, 1), 2) for _ in range(sizes[i])] for _ in range(sizes[i + 1])],
                "bias": [round(rng.uniform(-1, 1), 2) for _ in range(sizes[i + 1])],
                "activation": acts[i],
            }
            for i in range(len(sizes) - 1)
        ]
        inputs = {
            "input": [round(rng.uniform(-1, 1), 2) for _ in range(sizes[0])],
            "target": target,
            "layers": layers,
            "loss": loss,
            "lr": 0.1,
        }
        spec = B.parse_spec(inputs)
        ours = B.solve(spec).answer
        loss_t, grads_t = _torch_grads(spec)
        assert float(ours["loss"]) == pytest.approx(loss_t, abs=1e-9)
        for l, (gw, gb) in enumerate(grads_t, 1):
            assert flat(ours["grads"][f"W{l}"]) == pytest.approx(flat(gw), abs=1e-9)
            assert [float(v) for v in ours["grads"][f"b{l}"]] == pytest.approx(gb, abs=1e-9)


def test_exact_fractions_for_linear_relu_nets():
    a = solve(
        {
            "input": [1, 2],
            "target": [1],
            "layers": [{"weights": [[0.5, -0.25]], "bias": 0.1, "activation": "relu"}],
            "lr": 0.1,
        }
    ).answer
    from fractions import Fraction

    assert a["grads"]["W1"][0][0] == Fraction(-9, 10)  # z = 0.1 > 0, δ = z - t = -0.9, x1 = 1


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"layers": [{"weights": [[0.1, 0.2, 0.3]], "bias": 0, "activation": "sigmoid"}]},
            "W1: each row needs 2 weights",
        ),
        ({"layers": [{"weights": [[0.1, 0.2]], "bias": 0, "activation": "swish"}]}, "unknown activation 'swish'"),
        ({"target": [1, 2, 3]}, "target: 3 values but the last layer has 2 neurons"),
        ({"loss": "hinge"}, "loss"),
        (
            {"layers": [{"weights": [[0.1, 0.2], [0.3, 0.4]], "bias": [1, 2, 3], "activation": "sigmoid"}]},
            "b1: 3 biases",
        ),
    ],
)
def test_malformed_specs(change, message):
    inputs = yaml.safe_load(MAZUR.read_text())
    inputs.update(change)
    with pytest.raises(DlcalcError) as e:
        solve(inputs)
    assert message in e.value.message


def test_cli_check_and_mine(cli, tmp_path):
    code, out, err = cli("backprop", str(MAZUR), "--check", "--json")
    assert code == 0 and json.loads(out)["check"]["ok"]
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "a1: [0.593269992, 0.596884378]\nloss: 0.2984\ndelta2: [0.1385, -0.0381]\n"
        "grads: {W2: [[0.0822, 0.0827], [-0.0226, -0.0227]]}\n"
        "updated: {W1: [[0.1498, 0.1996], [0.2498, 0.3]]}\n",
        encoding="utf-8",
    )
    code, out, err = cli("backprop", str(MAZUR), "--mine", str(mine), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["mine"]["first_wrong"]["name"] == "updated.W1[2,2]"
    code, out, err = cli("backprop", str(tmp_path / "missing.yaml"))
    assert code == 2 and "no such file" in err


# --- extreme logits: the stable cross-entropy (issue 14) and overflow (issue 15) ----------------

extreme = st.floats(min_value=-900, max_value=900).map(lambda v: round(v, 3))


def _close(ours, truth, torch_value, scale):
    """Within 1e-12 relative of the 80-digit truth; within torch's own rounding of torch (it forms
    ln(1 + e^-|z|) and p - t in float64, an absolute error of a few ulps of the logits' size)."""
    ours = float(ours)
    return abs(ours - truth) <= 1e-12 * abs(truth) + 1e-300 and abs(ours - torch_value) <= 1e-15 * (1 + scale)


@settings(max_examples=80, deadline=None)
@given(st.lists(extreme, min_size=1, max_size=3), st.lists(st.sampled_from([0.0, 1.0, 0.25]), min_size=3, max_size=3))
def test_sigmoid_cross_entropy_with_extreme_logits_matches_torch(logits, targets):
    """One sigmoid layer on input 1 with weights = the logits: z = logits. torch's
    binary_cross_entropy_with_logits (summed) and autograd give the loss and gradients."""
    import mpmath

    t = targets[: len(logits)]
    spec = B.parse_spec(
        {
            "input": [1],
            "target": t,
            "loss": "cross_entropy",
            "layers": [{"weights": [[v] for v in logits], "bias": [0] * len(logits), "activation": "sigmoid"}],
        }
    )
    a = B.solve(spec).answer
    w = torch.tensor([[v] for v in logits], dtype=torch.float64, requires_grad=True)
    z = (w @ torch.ones(1, dtype=torch.float64)).reshape(-1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        z, torch.tensor(t, dtype=torch.float64), reduction="sum"
    )
    loss.backward()
    with mpmath.workdps(1000):  # 1 - σ(z) within e^-900 of 0 needs ~400 digits
        sig = [1 / (1 + mpmath.exp(-mpmath.mpf(v))) for v in logits]
        true_loss = float(-mpmath.fsum(ti * mpmath.log(s) + (1 - ti) * mpmath.log(1 - s) for s, ti in zip(sig, t)))
        true_grad = [float(s - ti) for s, ti in zip(sig, t)]
    scale = max(abs(v) for v in logits)
    assert _close(a["loss"], true_loss, loss.item(), scale)
    assert len(flat(a["grads"]["W1"])) == len(true_grad) == len(logits)
    for ours, truth, theirs in zip(flat(a["grads"]["W1"]), true_grad, w.grad.reshape(-1).tolist()):
        assert _close(ours, truth, theirs, 1)


@settings(max_examples=80, deadline=None)
@given(st.lists(extreme, min_size=2, max_size=4), st.integers(0, 3))
def test_softmax_cross_entropy_with_extreme_logits_matches_torch(logits, k):
    import mpmath

    k %= len(logits)
    target = [1.0 if i == k else 0.0 for i in range(len(logits))]
    spec = B.parse_spec(
        {
            "input": [1],
            "target": target,
            "loss": "cross_entropy",
            "layers": [{"weights": [[v] for v in logits], "bias": [0] * len(logits), "activation": "softmax"}],
        }
    )
    a = B.solve(spec).answer
    w = torch.tensor([[v] for v in logits], dtype=torch.float64, requires_grad=True)
    z = (w @ torch.ones(1, dtype=torch.float64)).reshape(1, -1)
    loss = torch.nn.functional.cross_entropy(z, torch.tensor([k]))
    loss.backward()
    with mpmath.workdps(1000):  # p_k within e^-1800 of 1: p_k - 1 needs ~800 digits
        e = [mpmath.exp(mpmath.mpf(v)) for v in logits]
        p = [v / mpmath.fsum(e) for v in e]
        true_loss = float(-mpmath.log(p[k]))
        true_grad = [float(pi - ti) for pi, ti in zip(p, target)]
    scale = max(abs(v) for v in logits)
    assert _close(a["loss"], true_loss, loss.item(), scale)
    assert len(flat(a["grads"]["W1"])) == len(true_grad) == len(logits)
    for ours, truth, theirs in zip(flat(a["grads"]["W1"]), true_grad, w.grad.reshape(-1).tolist()):
        assert _close(ours, truth, theirs, 1)


@pytest.mark.parametrize(
    "layer, target",
    [
        ({"weights": [[-1]], "activation": "sigmoid"}, [1]),  # input 10: σ(-10)… the issue's case, and σ → 1:
        ({"weights": [[5]], "activation": "sigmoid"}, [0]),  # σ(50) rounds to 1.0: ln(1 - o) was ln 0
        ({"weights": [[80], [-80]], "activation": "softmax"}, [0, 1]),  # logit gap 1600: o rounds to 0
    ],
)
def test_issue_cases_answer_and_check(cli, tmp_path, layer, target):
    f = tmp_path / "net.yaml"
    f.write_text(
        yaml.safe_dump({"input": [10], "target": target, "loss": "cross_entropy", "layers": [layer]}), encoding="utf-8"
    )
    code, out, err = cli("backprop", str(f), "--check", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["check"]["ok"] and math.isfinite(data["loss"])


def test_overflow_is_refused_in_the_solver(cli, tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text(
        "input: [1, 2]\ntarget: [1]\nlayers:\n"
        "  - {weights: [[1e100, 1e100], [1e100, -1e100]], activation: relu}\n"
        "  - {weights: [[1e100, 1e100]], activation: linear}\n",
        encoding="utf-8",
    )
    for extra in ([], ["--check"], ["--json"]):
        code, out, err = cli("backprop", str(f), *extra)
        assert code == 2 and out == "" and "overflows" in err and "internal error" not in err, (extra, err)


def test_diverging_training_is_refused_naming_the_step(cli, tmp_path):
    f = tmp_path / "diverge.yaml"
    f.write_text(
        "input: [1e50]\ntarget: [0]\nlr: 1e50\nlayers:\n  - {weights: [[1]], activation: linear}\n", encoding="utf-8"
    )
    code, out, err = cli("backprop", str(f), "--steps", "20")
    assert code == 2 and "overflows" in err and "gradient-descent step" in err, err


def test_check_that_overflows_in_torch_is_not_a_disagreement(cli, tmp_path):
    # z3 = 1e100·4e300 - 1e100·4e300 is exactly 0 (dlcalc works in fractions here); torch's float64
    # forms inf - inf = NaN. That is a check that could not run (exit 2), not "torch disagrees" (1).
    f = tmp_path / "cancel.yaml"
    f.write_text(
        "input: [1e100, 1e100]\ntarget: [0]\nlayers:\n"
        "  - {weights: [[1e100, 1e100], [1e100, 1e100]], activation: linear}\n"
        "  - {weights: [[1e100, 1e100], [1e100, 1e100]], activation: linear}\n"
        "  - {weights: [[1e100, -1e100]], activation: linear}\n",
        encoding="utf-8",
    )
    code, out, err = cli("backprop", str(f))
    assert code == 0
    code, out, err = cli("backprop", str(f), "--check")
    assert code == 2 and "could not run" in err, err
