"""The operators mathB added to mathfmt: every formula's text reads back (through the expression
reader, not through mathfmt) to the number it stands for, and its LaTeX to the same number."""

import math
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_grad import LatexValue

from dlcalc import mathfmt as m
from dlcalc.parse.expr import parse_tree
from dlcalc.solvers.symbolic import Program

small = st.fractions(min_value=-20, max_value=20, max_denominator=8)
nonzero = small.filter(lambda v: v != 0)


def _text_value(text: str, env: dict[str, float] | None = None) -> float:
    """A formula's text read back by dlcalc's expression reader: · is *, √ a square root, ² a power."""
    source = text.replace("·", "*").replace("²", "^2").replace("³", "^3")
    source = re.sub(r"√\(", "sqrt(", source)
    source = re.sub(r"√([\w.]+)", r"sqrt(\1)", source)
    return Program(parse_tree(source)).value(env or {})


@settings(max_examples=30, deadline=None)
@given(st.lists(small, min_size=1, max_size=5), small, st.lists(small, min_size=5, max_size=5))
def test_linear_reads_back_to_its_value(coefs, constant, xs):
    names = [m.sym(f"x{i}", f"x_{{{i}}}") for i in range(1, len(coefs) + 1)]
    formula = m.linear(list(zip(coefs, names)), constant)
    env = {f"x{i}": float(x) for i, x in enumerate(xs[: len(coefs)], 1)}
    want = float(sum(c * x for c, x in zip(coefs, xs)) + constant)
    assert "+ -" not in formula.text and "- -" not in formula.text, formula.text
    assert _text_value(formula.text, env) == pytest.approx(want, abs=1e-9)


def test_linear_writes_signs_and_drops_unit_coefficients():
    x1, x2 = m.sym("x1", "x_{1}"), m.sym("x2", "x_{2}")
    f = m.linear([(Fraction(1), x1), (Fraction(-2), x2)], Fraction(-3))
    assert (f.text, f.latex) == ("x1 - 2·x2 - 3", "x_{1} - 2x_{2} - 3")
    assert m.linear([(0, x1)], 0).text == "0"


@settings(max_examples=30, deadline=None)
@given(small, small)
def test_squared_and_root_read_back(a, b):
    value = m.num(a) - m.num(b)
    sq = m.squared(value)
    assert _text_value(sq.text) == pytest.approx(float((a - b) ** 2), abs=1e-9)
    assert LatexValue(sq.latex, {}).value() == pytest.approx(float((a - b) ** 2), abs=1e-9)
    r = m.sqrt(m.squared(value) + 1)
    want = math.sqrt(float((a - b) ** 2 + 1))
    assert _text_value(r.text) == pytest.approx(want, rel=1e-12)
    assert LatexValue(r.latex, {}).value() == pytest.approx(want, rel=1e-12)


def test_squared_brackets_what_is_not_a_single_symbol():
    assert m.squared("g").text == "g²" and m.squared("g").latex == "g^{2}"
    assert m.squared(m.num(-2)).text == "(-2)²"
    assert m.squared(m.sym("x") - m.sym("μ")).text == "(x - μ)²"


def test_implicit_never_glues_a_macro_to_a_letter():
    f = m.implicit(m.sym("η"), m.sym("y"), m.sym("x"))
    assert f.text == "ηyx"
    assert not re.search(r"\\[A-Za-z]+[a-z]", f.latex.replace(r"\eta ", "")), f.latex
    assert r"\eta y" in f.latex
    g = m.implicit(m.sym("η"), m.sym("d") - m.sym("o"), m.sym("x"))
    assert g.text == "η(d - o)x"


@settings(max_examples=30, deadline=None)
@given(nonzero, small, small)
def test_odot_and_bracketed_keep_negatives_apart(a, b, c):
    f = m.odot(m.num(a), m.num(b) + m.num(c))
    assert "⊙-" not in f.text
    assert _text_value(f.text.replace("⊙", "*")) == pytest.approx(float(a * (b + c)), abs=1e-9)
    g = m.num(a) * m.group(m.num(b) + m.num(c))
    assert _text_value(g.text) == pytest.approx(float(a * (b + c)), abs=1e-9)
    assert LatexValue(g.latex, {}).value() == pytest.approx(float(a * (b + c)), abs=1e-9)


def test_summation_numbered_partial_marked_ddx():
    assert m.summation("x", m.frac(1, m.sym("m"))).text == "(1/m) Σ x"
    assert m.summation(m.squared(m.sym("x") - m.sym("μ"))).latex == r"\sum \left(x - \mu\right)^{2}"
    assert m.summation("t", index="j").latex == r"\sum_{j} t"
    assert (m.numbered("z", 10).text, m.numbered("z", 10).latex) == ("z10", "z_{10}")
    assert m.partial_frac("E", m.sym("b1", "b^{(1)}")).latex == r"\frac{\partial E}{\partial b^{(1)}}"
    assert m.marked(m.sym("W1[1,2]", "w^{(1)}_{12}"), "+").text == "W1[1,2]⁺"
    assert m.ddx("w", m.sym("w") * m.sym("x")).text == "d/dw[w·x]"


def test_a_product_with_a_partial_keeps_it_whole():
    f = m.sym("w") - m.sym("η") * m.partial_frac("E", "w")
    assert f.text == "w - η·∂E/∂w"
