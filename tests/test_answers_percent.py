"""#14 "read answers generously": a percentage typed for a ratio is read as the ratio (80% = 0.8),
in every spelling a student uses, by the one reader the quiz, the bank and the exam share."""

from __future__ import annotations

import random
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from dlcalc.bank import find, load_bank
from dlcalc.bank.parts import Grade, Part
from dlcalc.exam.grading import grade as exam_grade
from dlcalc.exam.paper import ExamQuestion, Section
from dlcalc.quiz import questions as Q
from dlcalc.quiz.answers import Asked, grade_parts, read
from dlcalc.text import Text

FULL = str.maketrans("0123456789.%", "０１２３４５６７８９．％")


def _percent(value: float, style: int) -> str:
    """`value` (a ratio) written as a percentage, in one of the spellings students use."""
    text = f"{100 * value:.2f}"
    if style == 1:
        return text + " %"
    if style == 2:
        return text.translate(FULL) + "％"
    if style == 3:
        return text + "0%"  # 80.000%
    return text + "%"


def _metrics(tp: int, fp: int, fn: int, tn: int) -> list[Fraction]:
    precision = Fraction(tp, tp + fp)
    recall = Fraction(tp, tp + fn)
    return [precision, recall, 2 * precision * recall / (precision + recall), Fraction(tp + tn, tp + tn + fp + fn)]


def _asked(values: list[Fraction]) -> list[Asked]:
    names = ["precision", "recall", "F1", "accuracy"]
    return [
        Asked(Part(n, Text(n, n), (n,), Grade("decimals", 4)), [float(v)], Grade("decimals", 4))
        for n, v in zip(names, values)
    ]


@given(
    st.integers(1, 60),
    st.integers(0, 60),
    st.integers(0, 60),
    st.integers(0, 60),
    st.lists(st.integers(0, 3), min_size=4, max_size=4),
    st.booleans(),
)
def test_percentages_answer_ratios(tp, fp, fn, tn, styles, labelled):
    values = _metrics(tp, fp, fn, tn)
    asked = _asked(values)
    pieces = [_percent(float(v), s) for v, s in zip(values, styles)]
    if labelled:
        typed = ", ".join(f"{a.part.key} = {p}" for a, p in zip(asked, pieces))
    else:
        typed = "; ".join(pieces)
    reading = read(asked, typed)
    assert reading.problem is None, (typed, reading.problem)
    assert grade_parts(asked, reading) == [True] * 4, typed
    # and a wrong percentage stays wrong: one point off in the second decimal of the percent
    wrong = [_percent(float(v) + 0.0001 * 3, s) for v, s in zip(values, styles)]
    assert grade_parts(asked, read(asked, "; ".join(wrong))) == [False] * 4


def test_a_percent_is_never_read_as_the_bare_number_of_a_ratio():
    asked = _asked([Fraction(8, 10)] * 4)
    assert grade_parts(asked, read(asked, "0.8%; 80; 8%; 80%")) == [False, False, False, True]


def test_a_reference_that_is_itself_a_percentage_number_accepts_80_percent():
    """Where the reference lies outside [-1, 1] the question asks for a percentage number
    ("accuracy in %"): `80%` then answers 80 (and 0.8 still does not)."""
    part = Part("acc", Text("accuracy in %", "准确率（%）"), ("acc",), Grade("exact"))
    asked = [Asked(part, [80], Grade("exact"))]
    assert grade_parts(asked, read(asked, "80%")) == [True]
    assert grade_parts(asked, read(asked, "80")) == [True]
    assert grade_parts(asked, read(asked, "0.8")) == [False]
    assert grade_parts(asked, read(asked, "8%")) == [False]


def test_the_issue_case_in_the_quiz(cli, tmp_path, monkeypatch):
    import io
    import json

    monkeypatch.setattr("sys.stdin", io.StringIO("80%; 66.67%; 72.73%; 70%\n"))
    code, out, err = cli("quiz", "-t", "metrics", "-n", "1", "--seed", "1", "--db", str(tmp_path / "h.db"), "--json")
    assert code == 0, err
    data = json.loads(out)
    # the question is TP=8, FP=2, FN=4, TN=6 (stated in the prompt); its ratios, computed here
    assert "TP = 8, FP = 2, FN = 4, TN = 6" in err
    parts = data["results"][0]["parts"]
    assert [p["correct"] for p in parts] == [True] * 4 and data["score"] == 4
    assert [p["answer"] for p in parts] == ["80%", "66.67%", "72.73%", "70%"]  # shown as typed


def test_bank_and_exam_grade_percentages_with_the_same_reader():
    problem = find(load_bank(), "metrics-from-counts")
    q = Q.from_problem(problem)
    tp, fp, fn, tn = (problem.inputs[k] for k in ("tp", "fp", "fn", "tn"))
    typed = "; ".join(_percent(float(v), 0) for v in _metrics(tp, fp, fn, tn))
    _, verdicts = Q.mark(q, typed)
    assert [v.correct for v in verdicts] == [True] * 4
    section = Section("metrics", Text("metrics", "指标"), 12, template=lambda *a: None)
    marked = exam_grade(ExamQuestion(1, section, q), typed)
    assert marked.right == 4 and marked.score == 12
    rng = random.Random(0)
    q2 = Q.generate("metrics", rng, 2, 0, 0)
    vals = [float(a.expected[0]) for a in q2.parts]
    _, verdicts = Q.mark(q2, "; ".join(_percent(v, 2) for v in vals))
    assert all(v.correct for v in verdicts)
