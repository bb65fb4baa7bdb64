"""backprop: Matt Mazur's published worked example to 9 digits, random nets vs torch autograd."""

import json
import random
from pathlib import Path

import pytest
import torch
import yaml

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
