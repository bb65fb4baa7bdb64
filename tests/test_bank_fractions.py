"""A bank answer may be an exact fraction (`ratio: 73/576`): `bank check` compares it with the
solver's exact value, and the quiz grades it exactly — the fraction, an equal one, or a decimal to
the stated precision are right; another fraction is wrong even when it rounds the same. The
references here come from the formula (fractions.Fraction), never from dlcalc's output."""

import textwrap
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.bank import check_problem, load_bank, load_file
from dlcalc.bank.parts import Grade
from dlcalc.quiz.answers import grade_parts, read
from dlcalc.quiz.questions import asked_parts
from dlcalc.text import Text


def saving_ratio(c_out, k):
    """MobileNet §3.1: depthwise + pointwise over standard = 1/N + 1/D_K²."""
    return Fraction(1, c_out) + Fraction(1, k * k)


def dwsep_problem(tmp_path, c, c_out, k, ratio_text, digits=4):
    path = tmp_path / "dwsep.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            - id: dwsep-test
              topic: dwsep
              title: {{en: t, zh: t}}
              statement:
                en: A {c}×8×8 map, a {k}×{k} depthwise conv and a 1×1 pointwise conv to {c_out} channels. Give the ratio (to {digits} decimals).
                zh: {c}×8×8 的特征图，{k}×{k} 逐通道卷积后接 1×1 逐点卷积到 {c_out} 通道。求比例（保留 {digits} 位小数）。
              solver: dwsep
              inputs: {{input: {c}x8x8, kernel: {k}, out_channels: {c_out}, padding: {k // 2}, bias: false}}
              answer: {{ratio: {ratio_text}}}
              parts:
                - {{key: ratio, label: {{en: ratio, zh: 比例}}, grade: {digits} decimals}}
              tags: [t]
              difficulty: 1
              source: made up
            """
        )
    )
    return load_file(path)[0]


def grades(problem, typed):
    """The ratio part alone, answered with `typed`."""
    statement = Text(problem.statement["en"], problem.statement["zh"])
    asked = asked_parts([p for p in problem.parts if p.key == "ratio"], problem.answer, statement)
    return grade_parts(asked, read(asked, typed))[0]


def decimal_free(value):
    """No decimal writes it exactly: its denominator has a prime factor other than 2 and 5."""
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d != 1


def test_the_shipped_mobilenet_problem_stores_the_exact_ratio():
    problem = next(p for p in load_bank() if p.id == "dwsep-mobilenet-v1-block")
    expected = saving_ratio(64, 3)
    assert expected == Fraction(73, 576)
    assert problem.answer["ratio"] == expected and isinstance(problem.answer["ratio"], Fraction)
    outcome = check_problem(problem, with_torch=False)
    assert outcome.ok, (outcome.wrong, outcome.error)
    assert grades(problem, f"{expected.numerator}/{expected.denominator}")
    assert grades(problem, f"{2 * expected.numerator}/{2 * expected.denominator}")
    assert grades(problem, f"{float(expected):.4f}")
    assert grades(problem, f"{float(expected):.7f}")
    assert not grades(problem, "74/584")  # 0.12671…: rounds to the same 4 decimals, but is not 73/576
    assert not grades(problem, f"{float(expected):.3f}")


@settings(max_examples=30, deadline=None)
@given(
    c=st.integers(1, 8),
    c_out=st.integers(2, 96),
    k=st.sampled_from([3, 5, 7]),
    scale=st.integers(2, 9),
    digits=st.integers(2, 5),
)
def test_fraction_answers_are_graded_exactly(tmp_path_factory, c, c_out, k, scale, digits):
    expected = saving_ratio(c_out, k)
    problem = dwsep_problem(
        tmp_path_factory.mktemp("b"), c, c_out, k, f"{expected.numerator}/{expected.denominator}", digits
    )
    assert problem.answer["ratio"] == expected
    assert check_problem(problem, with_torch=False).ok
    assert grades(problem, f"{expected.numerator * scale}/{expected.denominator * scale}")
    assert grades(problem, f"{float(expected):.{digits}f}")
    # a different fraction that rounds the same at these decimals is wrong
    near = Fraction(expected.numerator * 1000 + 1, expected.denominator * 1000)
    if decimal_free(expected) and decimal_free(near) and round(float(near), digits) == round(float(expected), digits):
        assert not grades(problem, f"{near.numerator}/{near.denominator}")
    # a decimal off by one in the last stated place is wrong
    off = round(float(expected), digits) + 10**-digits
    assert not grades(problem, f"{off:.{digits}f}")


@pytest.mark.parametrize("stored", ["74/576", "0.1267", "1/64"])
def test_bank_check_wants_the_exact_ratio(tmp_path, stored):
    """A stored fraction that is not 1/64 + 1/9 fails bank check (0.1267 is a float: it fails too,
    being 73/576 only to within 1e-4, while the default tolerance is 1e-9)."""
    problem = dwsep_problem(tmp_path, 32, 64, 3, stored)
    assert not check_problem(problem, with_torch=False).ok


def test_a_decimal_reference_is_still_rounded():
    """Only a reference no decimal writes exactly is compared as a fraction: 1/4 at 1 decimal is 0.3 or 0.2."""
    grade = Grade("decimals", 1)
    assert grade.accepts(Fraction(1, 3), Fraction(1, 3))
    assert not grade.accepts(Fraction(1, 3), Fraction(3, 10) + Fraction(1, 300))  # 0.30333…: a fraction, not 1/3
    assert grade.accepts(Fraction(1, 3), Fraction(3, 10))
    assert grade.accepts(0.3333, Fraction(1, 3))
