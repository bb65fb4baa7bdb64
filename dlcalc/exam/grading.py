"""Grading a handed-in paper: every part of every question, with its share of the points.

A computation question's points are shared evenly among its parts, each graded as the quiz grades
it (`dlcalc.quiz.questions.mark`). A concept question's points are shared among its key points,
which the student marks (with the key-point hint); an answer left unmarked scores nothing and is
recorded ungraded. An unanswered question scores nothing (and is an SM-2 blackout, quality 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dlcalc.exam.paper import ExamQuestion, Paper
from dlcalc.quiz.questions import Verdict, short_verdicts
from dlcalc.text import Text


@dataclass
class Marked:
    item: ExamQuestion
    answer: str
    verdicts: list[Verdict]
    points: list[Fraction]  # each part's share
    marked: bool = True  # False: a concept answer the student did not mark

    @property
    def score(self) -> Fraction:
        return sum((p for v, p in zip(self.verdicts, self.points) if v.correct), Fraction(0))

    @property
    def right(self) -> int:
        return sum(1 for v in self.verdicts if v.correct)


def grade(item: ExamQuestion, answer: str, marks: list[bool] | None = None) -> Marked:
    """One question: `marks` are a concept answer's self-marks (None: not marked)."""
    from dlcalc.quiz.session import _mark

    q = item.question
    points = item.part_points()
    typed = answer.strip()
    if q.kind == "short":
        if not typed:
            marks = [False] * len(points)
        verdicts = short_verdicts(q, typed, marks)
        return Marked(item, typed, verdicts, points, marks is not None)
    if not typed:
        _, verdicts = _mark(q, "")
        for v in verdicts:
            v.correct, v.answer = False, ""
        return Marked(item, typed, verdicts, points)
    _, verdicts = _mark(q, typed)
    if len(verdicts) != len(points):  # a choice question: one part
        points = [Fraction(item.points)]
    return Marked(item, typed, verdicts, points)


def number(value: Fraction) -> str:
    """Points as a person writes them: 12, 4.5, 2.67."""
    if value.denominator == 1:
        return str(value.numerator)
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text


def result_data(
    paper: Paper, marked: list[Marked], exam: str, lang: str, elapsed: float, timed_out: bool
) -> dict[str, Any]:
    """The graded paper as plain data (`dlcalc exam --json`)."""
    score = sum((m.score for m in marked), Fraction(0))
    questions = []
    for m in marked:
        q = m.item.question
        questions.append(
            {
                "number": m.item.number,
                "section": m.item.section.id,
                "title": m.item.section.title(lang),
                "id": q.id,
                "topic": q.topic,
                "kind": q.kind,
                "points": m.item.points,
                "score": float(m.score),
                "answer": m.answer,
                "marked": m.marked,
                "parts": [
                    {
                        "key": v.key,
                        "label": v.label(lang),
                        "answer": v.answer,
                        "accepted": v.accepted,
                        "correct": v.correct,
                        "points": float(p),
                    }
                    for v, p in zip(m.verdicts, m.points)
                ],
            }
        )
    return {
        "exam": exam,
        "seed": paper.seed,
        "lang": lang,
        "minutes": paper.minutes,
        "elapsed_seconds": round(elapsed, 1),
        "timed_out": timed_out,
        "score": float(score),
        "total": paper.total,
        "answered": sum(1 for m in marked if m.answer),
        "unmarked": [m.item.number for m in marked if not m.marked],
        "questions": questions,
    }


def label(v: Verdict, lang: str) -> str:
    text = v.label(lang) if isinstance(v.label, Text) else str(v.label)
    return text
