"""mathfmt's operators for sums, derivatives, elementwise products, norms, roots and counts: each
gives the text a student writes and LaTeX that compiles and means the same.

The expected strings are written by hand from the notation (Σ_j, ⊙, ‖·‖₂, √, ᵀ as a textbook sets
them), never copied from dlcalc's output; the numeric ones are read back by the independent text
and LaTeX readers of test_latex and compared with Python's own arithmetic.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_latex import LatexReader, TextReader, _compile, _engine

from dlcalc import mathfmt as m

z, p, t = m.sym("z"), m.sym("p"), m.sym("t")
h3 = m.indexed("h", 3)

CASES = [
    # (expression, text, LaTeX)
    (m.apply("max", z), "max z", r"\max z"),
    (m.apply("ln", 1 - p), "ln(1 - p)", r"\ln\left(1 - p\right)"),
    (m.apply("ln", 2.5), "ln(2.5)", r"\ln\left(2.5\right)"),
    (m.apply("max", "s_ij", under="j"), "max_j s_ij", r"\max_{j} s_{ij}"),
    (z - m.apply("max", z), "z - max z", r"z - \max z"),
    (m.apply("max", z) + m.apply("ln", "Σ"), "max z + ln Σ", r"\max z + \ln \Sigma"),
    (m.apply("ln", p) * t, "(ln p)·t", r"\left(\ln p\right) \cdot t"),  # the operator would take ·t
    (-m.apply("ln", "p_0"), "-ln p_0", r"-\ln p_{0}"),
    (
        m.sum_over(m.sym("e") ** (m.sym("z_j") - m.apply("max", z)), "j"),
        "Σ_j e^(z_j - max z)",
        r"\sum_{j} e^{z_{j} - \max z}",
    ),
    (m.sum_over(m.sym("a") + m.sym("b")), "Σ [a + b]", r"\sum \left[a + b\right]"),
    (m.sum_over(m.sym("δz_t"), "t", 1, 3), "Σ_t δz_t", r"\sum_{t=1}^{3} \delta z_{t}"),
    (-m.sum_over(m.juxt("t_i", m.apply("ln", "p_i"))), "-Σ t_i ln p_i", r"-\sum t_{i} \ln p_{i}"),
    (
        m.juxt(m.frac(1, "n"), m.sum_over(m.squared(m.sym("y_i") - m.sym("t_i")))),
        "(1/n) Σ (y_i - t_i)²",
        r"\frac{1}{n} \sum \left(y_{i} - t_{i}\right)^{2}",
    ),  # fmt: skip
    (m.frac("E_ij", m.sum_over("E_ij", "j")), "E_ij/(Σ_j E_ij)", r"\frac{E_{ij}}{\sum_{j} E_{ij}}"),
    (m.partial("E", "z"), "∂E/∂z", r"\partial E/\partial z"),
    (m.sym("η") * m.partial("L", "w"), "η·∂L/∂w", r"\eta \cdot \partial L/\partial w"),
    (
        m.hadamard(m.indexed(m.sym("δh"), 3), m.group(1 - m.squared(h3))),
        "δh3 ⊙ (1 - h3²)",
        r"\delta h_{3} \odot \left(1 - h_{3}^{2}\right)",
    ),  # fmt: skip
    (m.hadamard("o", m.juxt("i", 1 - m.sym("i"))), "o ⊙ i(1 - i)", r"o \odot i\left(1 - i\right)"),
    (m.hadamard(m.sym("a") + 1, "b"), "(a + 1) ⊙ b", r"\left(a + 1\right) \odot b"),
    (m.transpose("K"), "Kᵀ", r"K^{\top}"),
    (m.juxt("Q", m.transpose("K")), "QKᵀ", r"QK^{\top}"),
    (m.transpose(m.sym("A") + m.sym("B")), "(A + B)ᵀ", r"\left(A + B\right)^{\top}"),
    (m.sqrt(2), "√2", r"\sqrt{2}"),
    (m.sqrt(m.squared(m.sym("σ")) + m.sym("ε")), "√(σ² + ε)", r"\sqrt{\sigma^{2} + \varepsilon}"),
    (m.norm(m.sym("y") - t, 2), "‖y - t‖₂", r"\left\|y - t\right\|_{2}"),
    (m.norm("x", squared=True), "‖x‖²", r"\left\|x\right\|^{2}"),
    (m.absolute(z), "|z|", r"\left|z\right|"),
    (m.squared(m.sym("x") - 1), "(x - 1)²", r"\left(x - 1\right)^{2}"),
    (m.element("a", "n", "t_n"), "a[n, t_n]", r"a_{n,t_{n}}"),
    (m.indexed(m.sym("δz"), 4, "f"), "δz_f4", r"\delta z_{f,4}"),
    (m.prime("W"), "W′", "W'"),
    (m.if_else("x", m.rel("x", ">", 0), m.juxt("α", "x")), "x if x > 0 else αx", r"x > 0 \,?\, x : \alpha x"),
    (m.juxt(m.group(1 - t), m.apply("ln", 1 - p)), "(1 - t) ln(1 - p)", r"\left(1 - t\right) \ln\left(1 - p\right)"),
    (m.sub(m.group(m.sym("p") - m.sym("y")), "i"), "(p - y)_i", r"\left(p - y\right)_{i}"),
    (m.word("LSE"), "LSE", r"\operatorname{LSE}"),
    (m.side_by_side(m.rel("a", "=", 1), m.rel("b", "=", 2)), "a = 1,  b = 2", r"a = 1,\ b = 2"),
    (m.vec([h3, m.sym("x")], brackets="[]"), "[h3, x]", r"\left[h_{3}, x\right]"),
]


@pytest.mark.parametrize("expr, text, latex", CASES, ids=[c[1] for c in CASES])
def test_each_operator_writes_the_textbook_form(expr, text, latex):
    assert expr.text == text
    assert expr.latex == latex


def test_older_juxtapositions_are_unchanged():
    """2P, D(K - 1), 2TP: what conv, pool and metrics print stays as it was."""
    assert (m.juxt(2, "P").text, m.juxt(2, "P").latex) == ("2P", "2P")
    assert m.juxt("D", m.sym("K") - 1).text == "D(K - 1)"
    assert m.juxt(2, "TP").text == "2TP"


_positive = st.floats(0.01, 500, allow_nan=False).map(lambda v: round(v, 3))
_any = st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 3))


@settings(max_examples=150, deadline=None)
@given(_positive, _any, _any)
def test_roots_groups_and_logs_read_back_to_their_value(a, b, c):
    """√a + b, (b - c)·a and ln(a)·(b + c) mean in both forms what Python computes."""
    for expr, value in (
        (m.sqrt(m.num(a)) + m.num(b), math.sqrt(a) + b),
        (m.group(m.num(b) - m.num(c)) * m.num(a), (b - c) * a),
        (m.apply("ln", m.num(a)) * m.group(m.num(b) + m.num(c)), math.log(a) * (b + c)),
        (m.frac(m.num(b), m.sqrt(m.num(a))), b / math.sqrt(a)),
    ):
        tol = 1e-6 * (1 + abs(value))
        assert abs(TextReader.value(expr.text) - value) <= tol, expr.text
        assert abs(LatexReader.value(expr.latex) - value) <= tol, expr.latex


def test_the_operators_latex_compiles(tmp_path):
    """Every case set in display math with dlcalc's own preamble: pdflatex must take it without an error."""
    from dlcalc.render.latex import preamble

    engine = _engine("pdflatex")
    body = "\n".join(rf"\[ {latex} \]" for _, _, latex in CASES)
    source = "\n".join([*preamble("en"), r"\begin{document}", body, r"\end{document}", ""])
    assert source.isascii()
    assert _compile(engine, source, tmp_path) == ""


@pytest.mark.parametrize("count, word, words, expected", [
    (1, "step", None, "1 step"), (2, "step", None, "2 steps"), (0, "sample", None, "0 samples"),
    (1, "batch", None, "1 batch"), (3, "batch", None, "3 batches"), (2, "query", "queries", "2 queries"),
])  # fmt: skip
def test_plural(count, word, words, expected):
    assert m.plural(count, word, words) == expected


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3))
def test_counts_are_worded_in_the_singular_and_the_plural(steps, truncate):
    """No `1 steps` or `step(s)` in what bptt, attention and the nll loss print in English, for any
    count; Chinese, which has no plural, keeps its measure words."""
    from dlcalc.solvers import attention, bptt, softmax

    seq = "; ".join(str(i + 1) for i in range(steps))
    results = [
        bptt.solve(bptt.parse_spec({"x": seq, "weight_ih": 0.5, "weight_hh": 0.9, "target": 1, "truncate": truncate})),
        attention.solve(attention.parse_spec({"Q": "1,0", "K": "; ".join(["1,0"] * steps), "V": "; ".join(["1,2"] * steps)})),
        softmax.solve(softmax.parse_spec({"logits": "; ".join(["-0.5, -1"] * steps), "target": ", ".join(["0"] * steps), "loss": "nll"})),
    ]  # fmt: skip
    for result in results:
        en = " ".join(
            [label("en") if callable(label) else str(label) for pair in result.summary for label in pair]
            + [s.label("en") for s in result.steps]
            + [n("en") for n in result.notes]
        )
        assert "(s)" not in en, en
        for word in ("steps", "keys", "heads", "samples", "rows", "queries"):
            assert f" 1 {word}" not in f" {en}", en
        zh = " ".join(label("zh") for pair in result.summary for label in pair if callable(label))
        assert "(s)" not in zh and "steps" not in zh
