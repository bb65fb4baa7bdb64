"""optim: update rules as on paper, every step's arithmetic with its numbers, undefined points, and
the numbers against torch.optim run here."""

import json
import math
import re

import pytest
import torch
from test_grad import LatexValue

from dlcalc.parse.expr import parse_tree
from dlcalc.solvers import optim
from dlcalc.solvers.symbolic import Program, Undefined

RULE_SHAPE = re.compile(r"^(w|b|s|v|m|m̂|v̂) (←|=) \S")


def _solve(**inputs):
    return optim.solve(optim.parse_spec(inputs))


def _text_value(text: str) -> float:
    """A worked line read back by the expression reader (· is a product, √x a square root)."""
    source = re.sub(r"√\(", "sqrt(", text.replace("·", "*"))
    source = re.sub(r"√([\d.e+-]+)", r"sqrt(\1)", source)
    return Program(parse_tree(source)).value({})


@pytest.mark.parametrize("name", optim.OPTIMIZERS)
def test_update_rules_read_as_on_paper(name):
    result = _solve(f="w^2 - 3*w", optimizer=name, start=-1, steps=2)
    rules = [s for s in result.steps if s.lhs is not None and ("←" in s.lhs.text or s.lhs.text[:2] in ("m̂", "v̂"))]
    assert rules, [s.lhs.text for s in result.steps if s.lhs]
    for step in rules:
        text = step.lhs.text
        assert RULE_SHAPE.match(text), text
        assert not re.search(r"← \w+ =", text), f"garbled rule {text!r}"
        assert ("←" in text) == (r"\leftarrow" in step.lhs.latex)
    assert any(s.lhs.text.startswith("w ← w - lr·") for s in rules)


@pytest.mark.parametrize("name", optim.OPTIMIZERS)
@pytest.mark.parametrize("start", [-1.5, 2])
def test_every_worked_step_shows_its_arithmetic_and_it_adds_up(name, start):
    result = _solve(f="w^2 - 3*w", optimizer=name, start=start, steps=3, lr=0.1)
    worked = [s for s in result.steps if s.lhs is not None and len(s.chain) >= 2 and "←" in s.lhs.text + "="]
    assert len(worked) >= 3
    for step in worked:
        for item in step.chain:
            assert not re.search(r"[·*/^] ?-|[+] -", item.text), f"unbracketed negative in {item.text!r}"
        if step.lhs.text in ("g", "g = ∇f"):
            continue
        shown, value = step.chain[-2], step.chain[-1]
        assert _text_value(shown.text) == pytest.approx(_text_value(value.text), rel=1e-5, abs=1e-9), shown.text
        assert LatexValue(shown.latex, {}).value() == pytest.approx(_text_value(shown.text), rel=1e-12), shown.latex


def test_gradient_step_puts_the_numbers_in():
    result = _solve(f="w^2 - 3*w", optimizer="sgd", start=-1, steps=1)
    g = next(s for s in result.steps if s.lhs is not None and s.lhs.text == "g")
    assert "(-1)" in g.chain[0].text and g.chain[-1].text == "-5"


def test_momentum_worked_example_by_hand():
    # f = w², w = 1, lr 0.1, μ 0.9: g = 2, b = 2, w = 0.8; g = 1.6, b = 0.9·2 + 1.6 = 3.4, w = 0.46
    result = _solve(f="w^2", optimizer="momentum", start=1, steps=2)
    lines = [f"{s.lhs.text} = " + " = ".join(c.text for c in s.chain) for s in result.steps if s.lhs and s.chain]
    assert "b ← μ·b + g = 0.9·2 + 1.6 = 3.4" in lines
    assert "w ← w - lr·b = 0.8 - 0.1·3.4 = 0.46" in lines


def test_undefined_at_the_start_is_refused(cli):
    code, out, err = cli("optim", "--f", "sqrt(w)", "--start", "-1")
    assert code == 2 and "undefined at the start" in err and "w = -1" in err and "complex" not in err


def test_a_run_that_steps_into_an_undefined_point_stops_with_a_note(cli):
    code, out, err = cli("optim", "--f", "w^1.5", "--start", "0.3", "--lr", "0.5", "--steps", "4", "--json", "--check")
    data = json.loads(out)
    assert code == 0 and data["check"]["ok"]
    assert data["stopped"]["step"] == 2 and len(data["path"]) == 1
    # torch agrees the point is outside the domain: its gradient of w^1.5 there is NaN
    w = torch.tensor(data["path"][0][0], dtype=torch.float64, requires_grad=True)
    (w**1.5).backward()
    assert math.isnan(w.grad.item())
    assert any("stopped before step 2" in n for n in data["notes"])


def test_compiled_gradient_matches_autograd_on_a_deep_function():
    text = "tanh(" * 12 + "w*x" + ")" * 12 + " + x^2"
    program = Program(parse_tree(text))
    w = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(-0.4, dtype=torch.float64, requires_grad=True)
    y = w * x
    for _ in range(12):
        y = torch.tanh(y)
    (y + x**2).backward()
    _, grads = program.gradient({"w": 0.7, "x": -0.4})
    assert grads["w"] == pytest.approx(w.grad.item(), rel=1e-12)
    assert grads["x"] == pytest.approx(x.grad.item(), rel=1e-12)


def test_overflow_is_undefined_not_a_crash():
    with pytest.raises(Undefined) as e:
        Program(parse_tree("exp(exp(w))")).gradient({"w": 10.0})
    assert e.value.overflow


def test_long_runs_list_first_and_last_rows_and_keep_every_step_in_json(cli):
    code, out, err = cli("optim", "--f", "w^2", "--start", "1", "--steps", "200", "--lr", "0.01", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["path"]) == 200 and len(data["history"]) == 200
    assert data["final"][0] == pytest.approx(0.98**200)
