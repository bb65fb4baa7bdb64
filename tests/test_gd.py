"""gd: batch, mini-batch and stochastic gradient descent against torch trained here (nn.Linear,
torch.optim.SGD, MSELoss/BCEWithLogitsLoss, a DataLoader with a seeded generator), a hand-worked
first update, the sample order of torch's DataLoader, and the side-by-side of the three kinds."""

import math
from fractions import Fraction

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, TensorDataset

from dlcalc.errors import DlcalcError
from dlcalc.render import say
from dlcalc.solvers import gd


def solve(**inputs):
    return gd.solve(gd.parse_spec(inputs))


def _text(matrix):
    return "; ".join(",".join(str(v) for v in row) for row in matrix)


def torch_train(x, y, *, batch, lr, epochs, seed=None, model="linear", init=None, hidden=2, activation="sigmoid", loss=None):
    """A student's torch script: returns (sample numbers of each batch, flat parameters after each
    update, loss over all samples after each epoch)."""
    X = torch.tensor(x, dtype=torch.float64)
    Y = torch.tensor([[v] for v in y], dtype=torch.float64)
    d = X.shape[1]
    if model == "mlp":
        act = {"sigmoid": torch.nn.Sigmoid(), "tanh": torch.nn.Tanh(), "relu": torch.nn.ReLU()}[activation]
        net = torch.nn.Sequential(torch.nn.Linear(d, hidden), act, torch.nn.Linear(hidden, 1)).double()
    else:
        net = torch.nn.Linear(d, 1).double()
    with torch.no_grad():
        flat = iter(init) if init is not None else None
        for p in net.parameters():
            p.copy_(torch.tensor([next(flat) for _ in range(p.numel())], dtype=torch.float64).reshape(p.shape) if flat else 0)
    criterion = torch.nn.BCEWithLogitsLoss() if (loss or ("bce" if model == "logistic" else "mse")) == "bce" else torch.nn.MSELoss()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed) if seed is not None else None
    loader = DataLoader(TensorDataset(X, Y, torch.arange(len(x))), batch_size=batch, shuffle=seed is not None, generator=g)
    samples, params, losses = [], [], []
    for _ in range(epochs):
        for xb, yb, ib in loader:
            opt.zero_grad()
            criterion(net(xb), yb).backward()
            opt.step()
            samples.append([int(i) + 1 for i in ib])
            params.append(torch.cat([p.detach().flatten() for p in net.parameters()]).tolist())
        with torch.no_grad():
            losses.append(criterion(net(X), Y).item())
    return samples, params, losses


def flat(params):
    out = []
    for v in params.values():
        for e in v if isinstance(v, list) else [v]:
            out.extend(float(x) for x in (e if isinstance(e, list) else [e]))
    return out


def assert_like_torch(answer, theirs, rel=1e-9):
    samples, params, losses = theirs
    assert [h["samples"] for h in answer["history"]] == samples
    assert len(answer["history"]) == len(params)
    for h, p in zip(answer["history"], params):
        assert flat(h["params"]) == pytest.approx(p, rel=rel, abs=rel)
    assert [float(v) for v in answer["epoch_loss"]] == pytest.approx(losses, rel=rel, abs=rel)


# --- the sample order -----------------------------------------------------------------------------


@settings(max_examples=30)
@given(seed=st.integers(0, 2**63 - 1), n=st.integers(1, 12), epochs=st.integers(1, 4))
def test_shuffled_order_is_torch_dataloaders(seed, n, epochs):
    loader = DataLoader(TensorDataset(torch.arange(n)), batch_size=1, shuffle=True, generator=torch.Generator().manual_seed(seed))
    theirs = [[int(b[0]) for b in loader] for _ in range(epochs)]
    assert gd.torch_orders(seed, n, epochs) == theirs


# --- a hand-worked update ---------------------------------------------------------------------------


def test_first_batch_update_worked_by_hand():
    # x = 1, 2, 3, 4 and y = 2x; w = b = 0, lr = 0.1, B = N = 4. By hand: every ŷ is 0, so
    # ∂L/∂w = (2/4)·Σ(0 − y_i)x_i = 0.5·(−2 − 8 − 18 − 32) = −30 and ∂L/∂b = 0.5·(−20) = −10,
    # so w = 0 − 0.1·(−30) = 3 and b = 1; the starting loss is (4 + 16 + 36 + 64)/4 = 30.
    a = solve(x="1; 2; 3; 4", y="2; 4; 6; 8", lr="0.1", epochs=1).answer
    first = a["history"][0]
    assert first["samples"] == [1, 2, 3, 4]
    assert first["gradient"] == {"w": [-30], "b": -10}
    assert first["params"] == {"w": [3], "b": 1}
    assert a["initial_loss"] == 30 and a["updates_per_epoch"] == 1
    assert isinstance(first["params"]["w"][0], Fraction)  # exact input, exact answer


def test_exact_fractions_equal_torch_and_stay_exact():
    x, y = [[1, 2], [2, 0], [0, 1]], [3, 1, 2]
    r = solve(x=_text(x), y="3; 1; 2", batch=2, lr="0.05", epochs=3, seed=5)
    assert r.spec.exact
    assert all(isinstance(v, Fraction) for v in r.answer["final"]["w"])
    assert_like_torch(r.answer, torch_train(x, y, batch=2, lr=0.05, epochs=3, seed=5))


# --- random cases against torch -----------------------------------------------------------------

small = st.integers(-3, 3)


@settings(max_examples=25)
@given(
    data=st.integers(2, 6).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(small, min_size=2, max_size=2), min_size=n, max_size=n),
            st.lists(small, min_size=n, max_size=n),
            st.integers(1, n),
        )
    ),
    w0=st.tuples(small, small, small),
    seed=st.one_of(st.none(), st.integers(0, 10**6)),
    epochs=st.integers(1, 3),
)
def test_linear_regression_matches_torch(data, w0, seed, epochs):
    x, y, batch = data
    r = solve(x=_text(x), y=",".join(map(str, y)), batch=batch, lr="0.05", epochs=epochs, seed=seed,
              w0=f"{w0[0]},{w0[1]}", b0=w0[2])  # fmt: skip
    assert r.answer["updates_per_epoch"] == math.ceil(len(x) / batch)
    assert len(r.answer["history"]) == epochs * math.ceil(len(x) / batch)
    assert_like_torch(r.answer, torch_train(x, y, batch=batch, lr=0.05, epochs=epochs, seed=seed, init=list(w0)))


@settings(max_examples=15)
@given(
    n=st.integers(2, 6),
    values=st.lists(st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3)), min_size=40, max_size=40),
    labels=st.lists(st.sampled_from([0, 1]), min_size=6, max_size=6),
    batch=st.integers(1, 6),
    seed=st.one_of(st.none(), st.integers(0, 1000)),
)
def test_logistic_regression_matches_torch(n, values, labels, batch, seed):
    batch = min(batch, n)
    x = [values[2 * i : 2 * i + 2] for i in range(n)]
    y = labels[:n]
    init = values[20:23]
    r = solve(x=x, y=y, model="logistic", batch=batch, lr="0.5", epochs=2, seed=seed, w0=init[:2], b0=init[2])
    assert r.answer["loss"] == "bce"
    assert_like_torch(r.answer, torch_train(x, y, batch=batch, lr=0.5, epochs=2, seed=seed, model="logistic", init=init))


@settings(max_examples=15)
@given(
    n=st.integers(2, 5),
    hidden=st.integers(1, 3),
    values=st.lists(st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 3)), min_size=40, max_size=40),
    activation=st.sampled_from(gd.ACTIVATIONS),
    loss=st.sampled_from(gd.LOSSES),
    batch=st.integers(1, 5),
    seed=st.one_of(st.none(), st.integers(0, 1000)),
)
def test_one_hidden_layer_net_matches_torch(n, hidden, values, activation, loss, batch, seed):
    batch = min(batch, n)
    x = [values[2 * i : 2 * i + 2] for i in range(n)]
    y = [(1 if v > 0 else 0) if loss == "bce" else v for v in values[10 : 10 + n]]
    init = values[16 : 16 + 4 * hidden + 1]
    r = solve(x=x, y=y, model="mlp", hidden=hidden, activation=activation, loss=loss, batch=batch, lr="0.3",
              epochs=2, seed=seed, w0=init)  # fmt: skip
    theirs = torch_train(x, y, batch=batch, lr=0.3, epochs=2, seed=seed, model="mlp", init=init, hidden=hidden,
                         activation=activation, loss=loss)  # fmt: skip
    assert_like_torch(r.answer, theirs)


# --- the three kinds side by side -------------------------------------------------------------------


def test_compare_counts_updates_and_sees_sgd_noise():
    x = "1; 2; 3; 4; 5; 6; 7; 8"
    y = "1.5; 1.9; 3.2; 3.8; 5.1; 6.3; 6.8; 8.1"
    r = solve(x=x, y=y, batch=4, lr="0.01", epochs=4, seed=1, compare=True)
    runs = r.answer["compare"]
    assert {k: v["updates_per_epoch"] for k, v in runs.items()} == {"8": 1, "4": 2, "1": 8}
    assert {k: v["updates"] for k, v in runs.items()} == {"8": 4, "4": 8, "1": 32}
    assert runs["8"]["gradient_noise"] == 0  # the full batch's gradient is the gradient
    assert runs["1"]["gradient_noise"] > runs["4"]["gradient_noise"] > 0
    # with lr below 1/L (L = 2·mean(x²) + … ≈ 51 here) batch GD's loss falls at every update
    assert runs["8"]["loss_rises"] == 0
    losses = runs["8"]["epoch_loss"]
    assert all(a > b for a, b in zip([runs["8"]["initial_loss"]] + losses, losses))
    # every run is torch's
    for key, run in runs.items():
        _, params, epoch_loss = torch_train([[v] for v in range(1, 9)], [float(v) for v in y.split(";")], batch=int(key),
                                            lr=0.01, epochs=4, seed=1)  # fmt: skip
        assert flat(run["final"]) == pytest.approx(params[-1], rel=1e-9)
        assert [float(v) for v in run["epoch_loss"]] == pytest.approx(epoch_loss, rel=1e-9)
    assert r.figures and any("B batch (B = 8)" in say(line, "en") for line in r.figures[0])  # lines may be bilingual Text


def test_last_batch_is_smaller_and_its_mean_divides_by_its_size():
    # N = 5, B = 2: batches of 2, 2, 1; the lone sample's gradient is 2(ŷ − y)x/1
    r = solve(x="1; 1; 1; 1; 3", y="0; 0; 0; 0; 1", batch=2, lr="0.1", epochs=1)
    last = r.answer["history"][-1]
    assert last["samples"] == [5]
    before = r.answer["history"][-2]["params"]
    yhat = before["w"][0] * 3 + before["b"]
    assert last["gradient"]["w"] == [2 * (yhat - 1) * 3]
    assert any("drop_last" in n.en for n in r.notes)


def test_long_exact_runs_fall_back_to_floats_with_a_note():
    r = solve(x="1; 2; 3", y="1; 2; 3", batch=1, lr="0.07", epochs=60)
    assert not r.spec.exact and any("floating point" in n.en for n in r.notes)
    assert_like_torch(r.answer, torch_train([[1], [2], [3]], [1, 2, 3], batch=1, lr=0.07, epochs=60))


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inputs, words",
    [
        (dict(x="1; 2", y="1; 2; 3"), "3 targets for 2 samples"),
        (dict(x="1; 2", y="1; 2", batch=3), "batch"),
        (dict(x="1; 2", y="1; 2", batch=0), "batch"),
        (dict(x="1; 2", y="1; 2", lr=-1), "lr"),
        (dict(x="1; 2", y="1; 2", epochs=0), "epochs"),
        (dict(x="1; 2", y="1; 2", epochs=1000, batch=1, compare=False, lr=0.1) | {"x": "; ".join(["1"] * 30), "y": "; ".join(["1"] * 30)}, "updates"),
        (dict(x="1; 2", y="0; 2", model="logistic"), "bce targets"),
        (dict(x="1; 2", y="1; 2", model="logistic", loss="mse"), "bce"),
        (dict(x="1; 2", y="1; 2", w0="1, 2"), "w0"),
        (dict(x="1; 2", y="1; 2", model="mlp", w0="1, 2"), "parameters"),
        (dict(x="1; 2", y="1; 2", model="cubic"), "model"),
        (dict(y="1; 2"), "x is missing"),
        (dict(x="1; 2; 3", y="1; 2; 3", lr=10, epochs=100, batch=1), "diverged"),
        (dict(x="; ".join(f"{i},{i}" for i in range(20)), y="; ".join("1" * 20), model="mlp", hidden=16, epochs=900,
              batch=1, compare=True), "too much to work out"),  # fmt: skip
    ],
)
def test_bad_input_is_one_clear_error(inputs, words):
    with pytest.raises(DlcalcError) as e:
        solve(**inputs)
    assert words in str(e.value)


def test_the_check_module_agrees_and_catches_a_wrong_answer():
    from dlcalc.check import run

    r = solve(x="1,0; 0,1; 1,1", y="1; 2; 3", batch=2, seed=3, epochs=2, compare=True)
    assert run(r).ok
    r.answer["history"][1]["params"]["b"] += Fraction(1, 1000)
    assert not run(r).ok


# --- the quiz template -------------------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", [1, 2])
def test_quiz_template_asks_what_it_grades(difficulty):
    import random

    from dlcalc.bank.parts import lookup, statement_problems
    from dlcalc.render import jsonable

    for seed in range(15):
        draft = gd.template(random.Random(seed), difficulty)
        answer = jsonable(gd.solve(gd.parse_spec(draft.inputs)).answer)
        raws = [lookup(answer, p.key) for p in draft.parts]
        assert statement_problems(draft.statement, draft.parts, raws) == []
        if difficulty == 1:  # ⌈N/B⌉ by hand, from the statement's own numbers
            n, b, e = draft.inputs["x"].count(";") + 1, draft.inputs["batch"], draft.inputs["epochs"]
            assert raws == [math.ceil(n / b), e * math.ceil(n / b)]
        else:  # exact answers: terminating decimals a student can type
            values = flat({"w": raws[0], "b": raws[1]})
            assert all(abs(v * 10**6 - round(v * 10**6)) < 1e-6 for v in values)


# --- the command ------------------------------------------------------------------------------------


def test_command_checks_clean_and_prints_json(cli, tmp_path):
    import json

    code, out, err = cli("gd", "--samples", "1,2; 2,0; 3,1; 0,1", "--targets", "3; 2; 4; 1", "--batch", "2",
                         "--seed", "4", "--compare", "--check", "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["dlcalc"] == 1 and data["kind"] == "gd" and data["method"] == "mini-batch" and data["check"]["ok"]
    png = tmp_path / "loss.png"
    code, out, err = cli("gd", "--x", "1; 2; 3", "--y", "2; 4; 6", "--batch", "1", "--compare", "--png", str(png))
    assert code == 0 and png.stat().st_size > 1000
    assert "derivation steps not shown" in out  # --compare folds the updates …
    code, out, _ = cli("gd", "--x", "1; 2; 3", "--y", "2; 4; 6", "--batch", "1", "--compare", "--full")
    assert "Epoch 1, update 1: samples 1" in out  # … and --full shows them


@pytest.mark.parametrize(
    "args, words",
    [
        (("--samples", "1; 2", "--targets", "1; 2; 3"), "3 targets for 2 samples"),
        (("--samples", "1; 2", "--targets", "1; 2", "--batch", "half"), "batch"),
        (("--samples", "1; 2", "--targets", "1; 2", "--model", "cubic"), "cubic"),
        (("--targets", "1; 2"), "x is missing"),
    ],
)
def test_command_refuses_bad_input_in_one_line(cli, args, words):
    code, out, err = cli("gd", *args)
    assert code == 2 and words in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("dlcalc: error")]) == 1
