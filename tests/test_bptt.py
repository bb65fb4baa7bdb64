"""bptt: a hand-worked 3-step scalar RNN, random RNNs and LSTMs (both weight forms, truncated or
not) against torch autograd run here in the test, the Jacobian table, and refusals."""

import json
import math
import random

import pytest
import torch

from dlcalc.check import run as check
from dlcalc.errors import DlcalcError
from dlcalc.solvers import bptt

F64 = torch.float64


def solve(**inputs):
    return bptt.solve(bptt.parse_spec(inputs))


# --- by hand -----------------------------------------------------------------------------------


def test_three_step_scalar_rnn_by_hand():
    # h_t = tanh(W x_t + U h_(t-1)), W = 0.5, U = 0.1, h0 = 0, x = 1, 2, 3; L = ½(h3 − 0.5)².
    # Written out as on paper: δz3 = (h3 − y)(1 − h3²), δz2 = δz3·U·(1 − h2²), δz1 = δz2·U·(1 − h1²),
    # ∂L/∂W = Σ δz_t x_t, ∂L/∂U = Σ δz_t h_(t−1).
    W, U, y = 0.5, 0.1, 0.5
    h1 = math.tanh(W * 1)
    h2 = math.tanh(W * 2 + U * h1)
    h3 = math.tanh(W * 3 + U * h2)
    d3 = (h3 - y) * (1 - h3**2)
    d2 = d3 * U * (1 - h2**2)
    d1 = d2 * U * (1 - h1**2)
    a = solve(x="1; 2; 3", W=W, U=U, target=y, lr=0.5).answer
    assert a["loss"] == pytest.approx(0.5 * (h3 - y) ** 2, abs=1e-15)
    assert a["grads"]["W"][0][0] == pytest.approx(d1 * 1 + d2 * 2 + d3 * 3, abs=1e-15)
    assert a["grads"]["U"][0][0] == pytest.approx(d1 * 0 + d2 * h1 + d3 * h2, abs=1e-15)
    assert [c[0][0] for c in a["contributions"]["U"]] == pytest.approx([0, d2 * h1, d3 * h2], abs=1e-15)
    assert a["updated"]["W"][0][0] == pytest.approx(W - 0.5 * (d1 + 2 * d2 + 3 * d3), abs=1e-15)
    # the calculator's digits: h3 = 0.918294, δz3 = 0.418294·(1 − 0.918294²) = 0.0655617
    assert round(a["delta_z"][2][0], 7) == 0.0655617
    # ∂h3/∂h_t = Π (1 − h_k²)·U: the vanishing product
    j = {3: 1.0, 2: (1 - h3**2) * U}
    j[1] = j[2] * (1 - h2**2) * U
    j[0] = j[1] * (1 - h1**2) * U
    rows = {r["t"]: r for r in a["through_time"]}
    for t, v in j.items():
        assert rows[t]["dh_dh"][0][0] == pytest.approx(v, rel=1e-14)
        assert rows[t]["norm"] == pytest.approx(abs(v), rel=1e-14)
    assert rows[0]["norm"] < 1e-4  # vanished after three steps


def test_loss_at_every_step_adds_each_step_s_own_gradient():
    W, U = 0.5, 0.1
    h1 = math.tanh(W)
    h2 = math.tanh(2 * W + U * h1)
    a = solve(x="1; 2", W=W, U=U, target="0; 1").answer
    dh2 = h2 - 1
    dz2 = dh2 * (1 - h2**2)
    dh1 = (h1 - 0) + U * dz2
    assert [v[0] for v in a["delta_h"]] == pytest.approx([dh1, dh2], abs=1e-15)
    assert a["loss"] == pytest.approx(0.5 * (h1**2 + (h2 - 1) ** 2), abs=1e-15)


# --- torch autograd, computed here ----------------------------------------------------------------


def _r(rng, *shape):
    if len(shape) == 1:
        return [round(rng.uniform(-1, 1), 3) for _ in range(shape[0])]
    return [[round(rng.uniform(-1, 1), 3) for _ in range(shape[1])] for _ in range(shape[0])]


GATES = {"rnn": ["h"], "lstm": ["i", "f", "g", "o"]}


def _draw(rng, cell):
    """A random problem: per-gate weights (the test's own), and the YAML the student would write."""
    n_in, hidden, steps = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 5)
    gates = {
        g: {"W": _r(rng, hidden, n_in), "U": _r(rng, hidden, hidden), "b": _r(rng, hidden), "bh": _r(rng, hidden)}
        for g in GATES[cell]
    }
    problem = {"cell": cell, "x": _r(rng, steps, n_in), "h0": _r(rng, hidden)}
    if cell == "lstm":
        problem["c0"] = _r(rng, hidden)
    torch_form = rng.random() < 0.5
    if torch_form:
        problem["weight_ih"] = [row for g in GATES[cell] for row in gates[g]["W"]]
        problem["weight_hh"] = [row for g in GATES[cell] for row in gates[g]["U"]]
        problem["bias_ih"] = [v for g in GATES[cell] for v in gates[g]["b"]]
        problem["bias_hh"] = [v for g in GATES[cell] for v in gates[g]["bh"]]
    else:
        for g in GATES[cell]:
            gates[g]["bh"] = [0.0] * hidden
            if cell == "rnn":
                problem.update({"W": gates[g]["W"], "U": gates[g]["U"], "b": gates[g]["b"]})
            else:
                problem.update({f"W_{g}": gates[g]["W"], f"U_{g}": gates[g]["U"], f"b_{g}": gates[g]["b"]})
    out = hidden
    if cell == "rnn":
        problem["nonlinearity"] = rng.choice(["tanh", "tanh", "relu"])
        if rng.random() < 0.4:
            out = rng.randint(1, 3)
            problem.update({"W_hy": _r(rng, out, hidden), "b_y": _r(rng, out), "softmax": rng.random() < 0.5})
    problem["target"] = _r(rng, steps, out) if rng.random() < 0.5 else _r(rng, out)
    problem["loss"] = rng.choice(["half_sse", "mse"])
    problem["lr"] = rng.choice([0.1, 0.5])
    if rng.random() < 0.4:
        problem["truncate"] = rng.randint(1, 3)
    return problem, gates, torch_form


class Reference:
    """The network written out with torch ops, parameters per gate, autograd for every gradient."""

    def __init__(self, problem, gates):
        self.p = problem
        self.cell = problem["cell"]
        t = lambda v: torch.tensor(v, dtype=F64, requires_grad=True)  # noqa: E731
        self.params = {g: {k: t(v) for k, v in ws.items()} for g, ws in gates.items()}
        self.out = None
        if "W_hy" in problem:
            self.out = (t(problem["W_hy"]), t(problem["b_y"]))

    def step(self, x, h, c):
        a = {g: ps["W"] @ x + ps["b"] + ps["U"] @ h + ps["bh"] for g, ps in self.params.items()}
        if self.cell == "rnn":
            return (torch.tanh(a["h"]) if self.p["nonlinearity"] == "tanh" else torch.relu(a["h"])), None
        c = torch.sigmoid(a["f"]) * c + torch.sigmoid(a["i"]) * torch.tanh(a["g"])
        return torch.sigmoid(a["o"]) * torch.tanh(c), c

    def output(self, h):
        if self.out is None:
            return h
        y = self.out[0] @ h + self.out[1]
        return torch.softmax(y, 0) if self.p.get("softmax") else y

    def targets(self):
        steps = len(self.p["x"])
        tg = self.p["target"]
        if isinstance(tg[0], list):
            return {s + 1: torch.tensor(v, dtype=F64) for s, v in enumerate(tg)}
        return {steps: torch.tensor(tg, dtype=F64)}

    def term(self, o, y):
        n = sum(len(v) for v in self.targets().values())
        sq = ((o - y) ** 2).sum()
        return 0.5 * sq if self.p["loss"] == "half_sse" else sq / n

    def grads(self):
        xs = [torch.tensor(v, dtype=F64) for v in self.p["x"]]
        h0 = torch.tensor(self.p["h0"], dtype=F64)
        c0 = torch.tensor(self.p["c0"], dtype=F64) if self.cell == "lstm" else None
        K = self.p.get("truncate")
        if K is None:
            h, c, loss = h0, c0, 0
            for s, x in enumerate(xs, 1):
                h, c = self.step(x, h, c)
                if s in self.targets():
                    loss = loss + self.term(self.output(h), self.targets()[s])
            loss.backward()
        else:
            with torch.no_grad():
                states = [(h0, c0)]
                for x in xs:
                    states.append(self.step(x, *states[-1]))
            for s, y in self.targets().items():
                h, c = states[max(0, s - K)]
                for x in xs[max(0, s - K) : s]:
                    h, c = self.step(x, h, c)
                self.term(self.output(h), y).backward()

        def g(v):
            return v.grad.tolist() if v.grad is not None else torch.zeros_like(v).tolist()

        return {gate: {k: g(v) for k, v in ps.items()} for gate, ps in self.params.items()}, (
            None if self.out is None else (g(self.out[0]), g(self.out[1]))
        )


def _flat(v):
    return [x for row in v for x in row] if v and isinstance(v[0], list) else list(v)


@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_random_against_torch_autograd(cell, seed):
    rng = random.Random(f"{cell}-{seed}")
    problem, gates, torch_form = _draw(rng, cell)
    a = bptt.solve(bptt.parse_spec(problem)).answer
    grads, out = Reference(problem, gates).grads()
    order = GATES[cell]
    if torch_form:
        want = {
            "weight_ih": [r for g in order for r in grads[g]["W"]],
            "weight_hh": [r for g in order for r in grads[g]["U"]],
            "bias_ih": [v for g in order for v in grads[g]["b"]],
            "bias_hh": [v for g in order for v in grads[g]["bh"]],
        }
    else:
        want = {}
        for g in order:
            pre = "" if cell == "rnn" else f"_{g}"
            want.update({f"W{pre}": grads[g]["W"], f"U{pre}": grads[g]["U"], f"b{pre}": grads[g]["b"]})
    if out is not None:
        want.update({"W_hy": out[0], "b_y": out[1]})
    assert set(a["grads"]) == set(want)
    for k, v in want.items():
        assert _flat(a["grads"][k]) == pytest.approx(_flat(v), rel=1e-9, abs=1e-12), k
        new = [
            p - problem["lr"] * d for p, d in zip(_flat(problem.get(k) if k in problem else a["updated"][k]), _flat(v))
        ]
        if k in problem:
            assert _flat(a["updated"][k]) == pytest.approx(new, rel=1e-9, abs=1e-12), k
    # the per-step table adds up to the gradient
    for k in want:
        cols = [_flat(c) for c in a["contributions"][k]]
        assert [sum(x) for x in zip(*cols)] == pytest.approx(_flat(a["grads"][k]), rel=1e-9, abs=1e-12)


def test_concatenated_weights_get_the_concatenated_gradient():
    # W_f on [h_(t−1), x_t] (the course's form) is the U_f and W_f blocks side by side
    rng = random.Random(5)
    hidden, n_in = 2, 1
    split = {f"{k}_{g}": _r(rng, hidden, n_in if k == "W" else hidden) for g in "ifgo" for k in "WU"}
    common = {"cell": "lstm", "x": "1; -1", "target": "0.2, -0.1"}
    a = solve(**common, **split).answer
    cat = solve(
        **common, **{f"W_{g}": [u + w for u, w in zip(split[f"U_{g}"], split[f"W_{g}"])] for g in "ifgo"}
    ).answer
    for g in "ifgo":
        assert _flat(cat["grads"][f"W_{g}"]) == pytest.approx(
            _flat([u + w for u, w in zip(a["grads"][f"U_{g}"], a["grads"][f"W_{g}"])]), abs=1e-15
        )


# --- the picture through time ---------------------------------------------------------------------


def test_jacobians_and_cell_path_against_torch():
    rng = random.Random(11)
    hidden = 2
    problem = {"cell": "lstm", "x": _r(rng, 4, 1), "target": _r(rng, hidden)}
    for g in "ifgo":
        problem.update({f"W_{g}": _r(rng, hidden, 1), f"U_{g}": _r(rng, hidden, hidden), f"b_{g}": _r(rng, hidden)})
    a = solve(**problem).answer
    p = {g: {k: torch.tensor(problem[f"{k}_{g}"], dtype=F64) for k in "WUb"} for g in "ifgo"}
    xs = [torch.tensor(v, dtype=F64) for v in problem["x"]]

    def step(x, h, c):
        z = {g: p[g]["W"] @ x + p[g]["U"] @ h + p[g]["b"] for g in "ifgo"}
        c = torch.sigmoid(z["f"]) * c + torch.sigmoid(z["i"]) * torch.tanh(z["g"])
        return torch.sigmoid(z["o"]) * torch.tanh(c), c, torch.sigmoid(z["f"])

    states = [(torch.zeros(hidden, dtype=F64), torch.zeros(hidden, dtype=F64))]
    forgets = [None]
    for x in xs:
        h, c, f = step(x, *states[-1])
        states.append((h, c))
        forgets.append(f)

    def h_last(h, t):
        c = states[t][1]
        for x in xs[t:]:
            h, c, _ = step(x, h, c)
        return h

    for row in a["through_time"]:
        t = row["t"]
        jac = torch.autograd.functional.jacobian(lambda h, t=t: h_last(h, t), states[t][0])
        assert _flat(row["dh_dh"]) == pytest.approx(jac.flatten().tolist(), abs=1e-12)
        assert row["norm"] == pytest.approx(torch.linalg.matrix_norm(jac, ord=2).item(), rel=1e-9, abs=1e-15)
        path = torch.ones(hidden, dtype=F64)
        for k in range(t + 1, 5):
            path = path * forgets[k]
        assert row["cell_path"] == pytest.approx(path.tolist(), abs=1e-14)


@pytest.mark.parametrize("seed", range(8))
def test_spectral_norm_is_the_largest_singular_value(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    a = [[rng.uniform(-3, 3) for _ in range(n)] for _ in range(n)]
    want = torch.linalg.matrix_norm(torch.tensor(a, dtype=F64), ord=2).item()
    assert bptt.spectral_norm(a) == pytest.approx(want, rel=1e-12)


def test_vanishing_rnn_and_lstm_cell_path_side_by_side():
    # a tanh RNN with a small recurrent weight: the product falls geometrically; an LSTM whose
    # forget gate is nearly open keeps the cell path near 1 over the same steps
    r = solve(x="1; 1; 1; 1; 1; 1", W=0.5, U=0.5, target=0.5).answer
    norms = [row["norm"] for row in r["through_time"]]
    assert all(b < a for a, b in zip(norms, norms[1:]))
    assert r["rate_per_step"] < 0.5
    ls = {"cell": "lstm", "x": "1; 1; 1; 1; 1; 1", "target": 0.5}
    ls.update({f"W_{g}": 0.5 for g in "ifgo"} | {f"U_{g}": 0.5 for g in "ifgo"} | {"b_f": 5})
    lstm = solve(**ls).answer
    far = lstm["through_time"][-1]
    assert far["cell_path_norm"] > 0.9 > 100 * r["through_time"][-1]["norm"]


# --- truncation ------------------------------------------------------------------------------------


def test_truncate_one_keeps_each_step_s_own_term_only():
    W, U = 0.5, 0.1
    h1 = math.tanh(W)
    h2 = math.tanh(2 * W + U * h1)
    a = solve(x="1; 2", W=W, U=U, target=0.5, truncate=1).answer
    dz2 = (h2 - 0.5) * (1 - h2**2)
    assert a["grads"]["U"][0][0] == pytest.approx(dz2 * h1, abs=1e-15)  # nothing flows into h1
    assert a["grads"]["W"][0][0] == pytest.approx(dz2 * 2, abs=1e-15)
    assert "delta_h" not in a
    full = solve(x="1; 2", W=W, U=U, target=0.5, truncate=2).answer
    assert full["grads"] == solve(x="1; 2", W=W, U=U, target=0.5).answer["grads"]


# --- the torch check -----------------------------------------------------------------------------------


def test_check_agrees_and_a_wrong_gradient_fails():
    result = solve(
        cell="lstm",
        x="1; 2; -1",
        W_i=0.5,
        U_i=0.1,
        W_f=0.3,
        U_f=0.2,
        b_f=1,
        W_g=0.8,
        U_g=-0.2,
        W_o=0.4,
        U_o=0.1,
        target=0.5,
    )
    report = check(result)
    assert report.ok and len(report.items) > 20
    result.answer["grads"]["U_f"][0][0] += 1e-6
    bad = check(result)
    assert not bad.ok
    assert [i.what for i in bad.items if not i.ok] == ["∂L/∂U_f"]


def test_check_catches_a_wrong_jacobian_and_a_wrong_truncation():
    result = solve(x="1; 2; 3", W=0.5, U=0.9, target="0; 0; 1", truncate=2)
    assert check(result).ok
    result.answer["through_time"][2]["norm"] *= 1.001
    assert not check(result).ok
    # the full-BPTT gradient is not the truncated one torch computes
    full = solve(x="1; 2; 3", W=0.5, U=0.9, target="0; 0; 1")
    result = solve(x="1; 2; 3", W=0.5, U=0.9, target="0; 0; 1", truncate=2)
    result.answer["grads"] = full.answer["grads"]
    assert not check(result).ok


# --- input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inputs, words",
    [
        ({"x": "1; 2", "W": 0.5, "U": 0.1}, "target is missing"),
        ({"x": "1; 2", "W": 0.5, "U": 0.1, "target": "1; 2; 3"}, "target: expected one value per step"),
        ({"x": "1; 2", "W": 0.5, "U": 0.1, "target": 1, "cell": "gru"}, "cell: expected rnn or lstm"),
        ({"x": "1; 2", "W": 0.5, "U": 0.1, "target": 1, "loss": "hinge"}, "loss: expected half_sse or mse"),
        ({"x": "1; 2", "W": 0.5, "U": 0.1, "target": 1, "truncate": 0}, "truncate"),
        ({"x": "1; 2", "W": 0.5, "U": 0.1, "target": 1, "truncate": "x"}, "truncate"),
        ({"x": "1; 2", "W": 0.5, "U": 0.1, "target": 1, "lr": "fast"}, "lr"),
        ({"x": "1; 2", "W_i": 0.5, "target": 1, "cell": "lstm", "W_hy": 1}, "not a field of an LSTM"),
        ({"x": "1; 2", "W": 0.5, "U": 0.1, "target": 1, "peephole": 1}, "unknown field"),
        ({"x": "1", "weight_ih": [[0.1]] * 9, "weight_hh": [[0.1] * 9] * 9, "target": 1}, "at most 8"),
        ({"x": "1; 2", "W": 0.5, "U": 0.1, "target": [None, None]}, "null"),
        ({"x": "1; 2; 3", "W": 50, "U": 1e100, "target": 1, "nonlinearity": "relu"}, "overflow"),
    ],
)
def test_bad_input_is_one_clear_error(inputs, words):
    with pytest.raises(DlcalcError) as e:
        solve(**inputs)
    assert words in e.value.message and "\n" not in e.value.message


def test_target_forms():
    per_step = solve(x="1; 2; 3", W=0.5, U=0.1, target=[0, None, 1]).answer["target"]
    assert per_step == [[0.0], None, [1.0]]
    assert solve(x="1; 2; 3", W=0.5, U=0.1, target="0; 0; 1").answer["target"] == [[0.0], [0.0], [1.0]]
    assert solve(x="1; 2; 3", W=0.5, U=0.1, target=[0, 0, 1]).answer["target"] == [[0.0], [0.0], [1.0]]
    assert solve(x="1; 2; 3", W=0.5, U=0.1, target=1).answer["target"] == [None, None, [1.0]]
    two = solve(x="1; 2", weight_ih="1; 0", weight_hh="0,0; 0,0", target="0.5, 0.5").answer
    assert two["target"] == [None, [0.5, 0.5]]


def test_json_has_every_gradient_under_its_own_name():
    from dlcalc.render import to_json

    r = solve(
        x="1,0; 0,1", weight_ih="0.5,-0.2; 0.1,0.3", weight_hh="0.2,0; -0.1,0.4", W_hy="1,-1", b_y=0, target="0.3"
    )
    data = json.loads(to_json(r))
    assert data["dlcalc"] == 1 and data["kind"] == "bptt"
    assert set(data["grads"]) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "W_hy", "b_y"}
    assert set(data["updated"]) == set(data["grads"]) == set(data["contributions"])
    assert all({"lag", "t", "norm", "dh_dh"} <= set(row) for row in data["through_time"])


# --- the command ----------------------------------------------------------------------------------

SCALAR = ["--sequence", "1; 2; 3", "--set", "W=0.5", "--set", "U=0.1"]


@pytest.mark.parametrize(
    "args, words",
    [
        (SCALAR, "target is missing"),
        ([*SCALAR, "--target", "1; 2"], "target: expected one value per step"),
        ([*SCALAR, "--target", "1", "--truncate", "0"], "truncate"),
        ([*SCALAR, "--target", "1", "--lr", "fast"], "lr"),
        ([*SCALAR, "--target", "1", "--cell", "gru"], "cell"),
        ([*SCALAR, "--target", "1", "--set", "bogus=1"], "unknown field"),
        (["--sequence", "1; 2", "--set", "W_i=0.5", "--cell", "lstm", "--target", "1"], "missing"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(cli, args, words):
    code, out, err = cli("bptt", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_cli_bad_input_speaks_chinese(cli):
    code, _, err = cli("bptt", *SCALAR, "--target", "1", "--truncate", "0", "--lang", "zh")
    assert code == 2 and "至少回传 1 步" in err


def test_cli_json_lists_every_gradient_under_its_name(cli):
    code, out, _ = cli("bptt", "--cell", "lstm", "--sequence", "1; 2", "--weight-ih", "0.1; 0.2; 0.3; 0.4",
                       "--weight-hh", "0.1; 0.1; 0.1; 0.1", "--target", "0.5", "--json")  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["dlcalc"] == 1 and data["kind"] == "bptt" and data["cell"] == "lstm"
    assert set(data["grads"]) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert data["grads"]["bias_ih"] == data["grads"]["bias_hh"]  # both biases add into the same net input
    assert {"cell_path", "cell_path_norm", "dc_dc", "dc_norm"} <= set(data["through_time"][1])


def test_cli_check_agrees_and_a_wrong_solver_exits_1(cli, monkeypatch):
    code, out, _ = cli("bptt", *SCALAR, "--target", "0; 0; 1", "--truncate", "2", "--check")
    assert code == 0 and "torch agrees" in out
    real = bptt.summed_dz

    def off_by_a_little(spec, runs):
        dz = real(spec, runs)
        dz[1] = [v * 1.001 for v in dz[1]]
        return dz

    monkeypatch.setattr(bptt, "summed_dz", off_by_a_little)
    code, out, _ = cli("bptt", *SCALAR, "--target", "0; 0; 1", "--truncate", "2", "--check")
    assert code == 1 and "DISAGREES" in out


def test_cli_png_draws_the_picture(cli, tmp_path):
    path = tmp_path / "through-time.png"
    code, _, err = cli("bptt", *SCALAR, "--target", "0.5", "--png", str(path))
    assert code == 0 and str(path) in err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_old_spelling_still_works_with_a_note(cli):
    code, out, err = cli("bptt", "--x", "1; 2", "--set", "W=0.5", "--set", "U=0.1", "--target", "0.5", "--json")
    assert code == 0 and json.loads(out)["kind"] == "bptt" and "--sequence" in err


def test_cli_full_shows_a_folded_derivation(cli):
    lstm = [
        "--cell",
        "lstm",
        "--sequence",
        "1; 1; 1",
        "--weight-ih",
        "0.5; 0.5; 0.5; 0.5",
        "--weight-hh",
        "0.5; 0.5; 0.5; 0.5",
    ]
    code, out, _ = cli("bptt", *lstm, "--target", "0.5")
    assert code == 0 and "add --full" in out and "δc2" not in out
    code, out, _ = cli("bptt", *lstm, "--target", "0.5", "--full")
    assert code == 0 and "δc2" in out and "add --full" not in out
