"""perceptron: two published worked examples step for step, XOR, bad input, torch replays."""

import json
import random
from fractions import Fraction

import pytest
import torch

from dlcalc.errors import DlcalcError
from dlcalc.solvers import perceptron as P


def train(**inputs):
    return P.solve(P.parse_spec(inputs)).answer


def test_li_hang_example_2_1_misclassified_rule():
    # 李航《统计学习方法》例 2.1: x1 = (3,3), x2 = (4,3) positive, x3 = (1,1) negative, η = 1,
    # w0 = 0, b0 = 0. The book's table of updates picks x1, x3, x3, x3, x1, x3, x3 and ends at
    # w = (1, 1), b = -3, i.e. the separating line x1 + x2 - 3 = 0.
    a = train(x="3,3; 4,3; 1,1", y="1,1,-1", lr=1, rule="misclassified")
    updates = [(h["sample"], tuple(h["w"]), h["b"]) for h in a["history"] if h["updated"]]
    assert updates == [
        (1, (3, 3), 1),
        (3, (2, 2), 0),
        (3, (1, 1), -1),
        (3, (0, 0), -2),
        (1, (3, 3), -1),
        (3, (2, 2), -2),
        (3, (1, 1), -3),
    ]
    assert a["converged"] and a["updates"] == 7 and a["hyperplane"] == "x1 + x2 - 3 = 0"


def test_hagan_nnd_test_problem_error_rule():
    # Hagan, Demuth, Beale, "Neural Network Design" (2nd ed.), ch. 4 test problem: p1 = (1, 2) → 1,
    # p2 = (-1, 2) → 0, p3 = (0, -1) → 0, hardlim (0/1, hardlim(0) = 1), no bias, w = (1, -0.8).
    # The book's updates: (2.0, 1.2), then (3.0, -0.8), then (3.0, 0.2), after which all are right.
    a = train(x="1,2; -1,2; 0,-1", y="1,0,0", w0="1,-0.8", bias=False, outputs="01", rule="error")
    ws = [tuple(h["w"]) for h in a["history"] if h["updated"]]
    assert ws == [(2, Fraction(6, 5)), (3, Fraction(-4, 5)), (3, Fraction(1, 5))]
    assert a["converged"] and a["b"] is None


def test_exact_fractions_from_decimals():
    a = train(x="0.1,0.2; -0.3,0.1", y="1,-1", lr="0.5", w0="0,0")
    assert all(isinstance(v, Fraction) for v in a["w"])


def test_xor_does_not_converge_and_is_an_answer(cli):
    a = train(x="0,0; 0,1; 1,0; 1,1", y="-1,1,1,-1")
    assert a["converged"] is False
    code, out, err = cli("perceptron", "--x", "0,0; 0,1; 1,0; 1,1", "--y", "-1,1,1,-1", "--json")
    assert code == 0 and json.loads(out)["converged"] is False


def test_sign0_convention_changes_the_run():
    base = dict(x="1,0; 0,1", y="1,-1", rule="error")
    assert train(**base, sign0=1)["history"][0]["updated"] is False  # net 0 → +1 = d
    assert train(**base, sign0=-1)["history"][0]["updated"] is True


@pytest.mark.parametrize(
    "inputs, field",
    [
        (dict(x="1,2; 3,4", y="1,1,-1"), "y"),
        (dict(x="1,2; 3,4", y="1,2"), "y"),
        (dict(x="1,2; 3,4", y="1,0"), "y"),
        (dict(x="1,2; 3", y="1,-1"), "x"),
        (dict(x="1,2; 3,4", y="1,-1", w0="1"), "w0"),
        (dict(x="1,2; 3,4", y="1,-1", lr="-1"), "lr"),
        (dict(x="1,2; 3,4", y="1,-1", rule="hebb"), "rule"),
        (dict(x="a,b", y="1"), "x"),
    ],
)
def test_bad_input(inputs, field):
    with pytest.raises(DlcalcError) as e:
        P.parse_spec(inputs)
    assert e.value.message.startswith(field)


def _torch_replay(spec):
    x = torch.tensor([[float(v) for v in r] for r in spec.x], dtype=torch.float64)
    w = torch.tensor([float(v) for v in spec.w0], dtype=torch.float64)
    b = 0.0 if spec.b0 is None else float(spec.b0)
    ws = []
    for _ in range(spec.max_epochs):
        changed = False
        for i in range(len(spec.y)):
            d = float(spec.y[i])
            net = float(w @ x[i]) + b
            o = 1.0 if net > 0 else (-1.0 if net < 0 else float(spec.sign0))
            if o != d:
                w = w + float(spec.lr) * (d - o) * x[i]
                b = b + float(spec.lr) * (d - o) if spec.b0 is not None else b
                changed = True
            ws.append(w.tolist() + [b])
        if not changed:
            break
    return ws


def test_random_sets_match_a_torch_replay():
    rng = random.Random(3)
    for _ in range(30):
        n = rng.randint(2, 3)
        w_true = [rng.uniform(-1, 1) for _ in range(n)]
        pts = [[rng.randint(-5, 5) for _ in range(n)] for _ in range(rng.randint(3, 7))]
        labels = [1 if sum(a * b for a, b in zip(w_true, p)) > 0.3 else -1 for p in pts]
        spec = P.parse_spec({"x": pts, "y": labels, "lr": "0.5", "max_epochs": 50})
        answer = P.solve(spec).answer
        theirs = _torch_replay(spec)
        assert len(theirs) == len(answer["history"])
        for h, t in zip(answer["history"], theirs):
            assert [float(v) for v in h["w"]] + [float(h["b"])] == pytest.approx(t, abs=1e-12)


def test_cli_check_plot_and_file(cli, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("x: [[3, 3], [4, 3], [1, 1]]\ny: [1, 1, -1]\nlr: 1\nrule: misclassified\n", encoding="utf-8")
    code, out, err = cli("perceptron", "--file", str(f), "--check", "--plot")
    assert code == 0, err
    assert "x1 + x2 - 3 = 0" in out and "torch agrees" in out and "decision boundary" in out
    png = tmp_path / "p.png"
    code, out, err = cli("perceptron", "--file", str(f), "--png", str(png))
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG"
    code, out, err = cli("perceptron", "--x", "1,2; 3,4", "--y", "1,1,-1")
    assert code == 2 and "labels" in err
