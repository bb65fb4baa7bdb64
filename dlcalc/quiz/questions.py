"""Questions, their parts, and grading.

A computed question asks one or more *parts* (see `dlcalc.bank.parts`), each graded on its own.
A part's reference comes from running its solver (generated questions) or from the bank's stored
answer, which `bank check` keeps equal to the solver's at the part's own precision. `accepted`
is a string the grader itself accepts, so exports can never print an answer the quiz would mark
wrong.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from dlcalc.bank.parts import Part, flatten, grade_of, items_of, lookup
from dlcalc.errors import DlcalcError
from dlcalc.quiz.answers import Asked, Reading, grade_parts, read, read_choice
from dlcalc.text import Text


@dataclass
class Question:
    id: str
    topic: str
    statement: Text
    kind: str  # "computed" (graded parts), "choice" or "short"
    parts: list[Asked] = field(default_factory=list)
    expected: Any = None  # the letter of a choice question
    accepted: str = ""
    source: str = "generated"
    difficulty: int = 1
    choices: dict[str, list[str]] | None = None
    result: Any = None  # the solver's Result: the worked solution
    reference: dict[str, str] | None = None
    key_points: dict[str, list[str]] | None = None
    item: str = ""  # what the study history schedules: a bank id, or "template:<topic>"
    title: Text | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    synonyms: dict[str, list[str]] = field(default_factory=dict)  # for the key-point hint (short answers)

    def accepted_in(self, lang: str) -> str:
        """The answer key in one language: `output shape = 25×26×26; parameter count = 250`."""
        if self.kind != "computed":
            return self.accepted
        if len(self.parts) == 1:
            return self.parts[0].accepted()
        return "; ".join(f"{a.label(lang)} = {a.accepted()}" for a in self.parts)


@dataclass
class Verdict:
    """One part's grade on one answer (a choice or short question has one part)."""

    key: str
    label: Text
    answer: str
    accepted: str
    correct: bool | None


def asked_parts(parts: list[Part], answer: dict[str, Any], statement: Text) -> list[Asked]:
    out = []
    for part in parts:
        raw = lookup(answer, part.key)
        values = flatten(raw)
        grade = grade_of(part, values, statement)
        items = items_of(part, raw)
        shape = part.key.split(".")[-1].endswith("shape") and grade.kind == "exact"
        out.append(Asked(part, values, grade, items, shape and len(items) == len(values)))
    return out


def mark(question: Question, typed: str) -> tuple[Reading | None, list[Verdict]]:
    """Read and grade one typed answer: a verdict per part (None: self-marked)."""
    if question.kind == "short":
        return None, short_verdicts(question, typed)
    if question.kind == "choice":
        letter = read_choice(typed)
        reading = Reading(
            [[letter]] if letter else [None],
            [typed],
            None if letter else Text("type the letter of a choice", "请输入选项字母"),
        )
        ok = letter == question.expected
        return reading, [Verdict("choice", Text("choice", "选项"), typed, question.expected, ok)]
    reading = read(question.parts, typed)
    verdicts = [
        Verdict(a.part.key, a.label, text or (typed if len(question.parts) == 1 else ""), a.accepted(), ok)
        for a, text, ok in zip(question.parts, reading.texts, grade_parts(question.parts, reading))
    ]
    return reading, verdicts


def short_verdicts(question: Question, typed: str, marks: list[bool] | None = None) -> list[Verdict]:
    """A short answer's parts are its key points, each marked by the student (None: not yet)."""
    points = question.key_points or {}
    if not points.get("en"):
        return [
            Verdict("answer", Text("answer", "答案"), typed, question.accepted, None if marks is None else all(marks))
        ]
    return [
        Verdict(
            f"point{i}",
            Text(en, zh),
            typed if i == 1 else "",
            en,
            None if marks is None else bool(marks[i - 1]),
        )
        for i, (en, zh) in enumerate(zip(points["en"], points["zh"]), 1)
    ]


def grade(question: Question, typed: str) -> bool | None:
    """Every part right (None when the question is self-marked)."""
    _, verdicts = mark(question, typed)
    if any(v.correct is None for v in verdicts):
        return None
    return all(v.correct for v in verdicts)


def expected_format(question: Question, lang: str) -> str:
    """What to type, for the prompt and the one re-ask."""
    if question.kind == "choice":
        letters = "ABCDEFGH"[: len(question.choices[lang])] if question.choices else "A"
        return ("one letter, " if lang == "en" else "一个字母，") + "/".join(letters)
    if question.kind == "short":
        return "your own words" if lang == "en" else "用自己的话回答"
    parts = question.parts
    described = ("；" if lang == "zh" else "; ").join(a.describe(lang) for a in parts)
    if len(parts) == 1:
        return described
    if lang == "en":
        return f"{described} — in this order, separated by ';', or labelled ({parts[0].label.en} = …)"
    return f"{described}——按此顺序用 ; 分隔，或写标签（{parts[0].label.zh} = …）"


def from_draft(draft: Any, index: int, seed: int) -> Question:
    """Run the solver on the template's inputs; every part's answer and the worked solution come from it."""
    from dlcalc.solvers import solve

    result = solve(draft.solver, draft.inputs)
    try:
        parts = asked_parts(draft.parts, result.answer, draft.statement)
    except (KeyError, IndexError, TypeError, ValueError):
        raise DlcalcError(f"quiz: template {draft.topic} asks for a value its solver does not give") from None
    q = Question(
        id=f"gen-{draft.topic}-{seed}-{index}",
        topic=draft.topic,
        statement=draft.statement,
        kind="computed",
        parts=parts,
        source="generated",
        difficulty=draft.difficulty,
        result=result,
        item=f"template:{draft.topic}",
        extra=draft.extra,
    )
    q.accepted = q.accepted_in("en")
    return q


def from_problem(problem: Any) -> Question:
    """A bank problem as a quiz question: computed ones ask every declared part."""
    statement = Text(problem.statement["en"].strip(), problem.statement["zh"].strip())
    title = Text(problem.title["en"].strip(), problem.title["zh"].strip())
    if problem.computed:
        q = Question(
            id=problem.id,
            topic=problem.topic,
            statement=statement,
            kind="computed",
            parts=asked_parts(problem.parts, problem.answer, statement),
            source="bank",
            difficulty=problem.difficulty,
            item=problem.id,
            title=title,
        )
        q.accepted = q.accepted_in("en")
        q.extra["problem"] = problem
        return q
    kind = problem.kind
    q = Question(
        id=problem.id,
        topic=problem.topic,
        statement=statement,
        kind=kind,
        expected=problem.answer if kind == "choice" else None,
        source="bank",
        difficulty=problem.difficulty,
        choices=problem.choices,
        reference=problem.reference,
        key_points=problem.key_points,
        item=problem.id,
        title=title,
        synonyms=problem.synonyms,
    )
    q.accepted = problem.answer if kind == "choice" else problem.reference["en"].strip()
    return q


def solution_of(question: Question) -> Any:
    """The worked solution, produced by the solver now (bank problems are solved on demand)."""
    if question.result is None and "problem" in question.extra:
        from dlcalc.bank import solve

        question.result = solve(question.extra["problem"])
    return question.result


def generate(topic: str, rng: random.Random, difficulty: int, index: int, seed: int, attempts: int = 200) -> Question:
    """A well-posed generated question (templates redraw until `well_posed` holds)."""
    from dlcalc.quiz.templates import TEMPLATES
    from dlcalc.quiz.wellposed import well_posed

    for _ in range(attempts):
        draft = TEMPLATES[topic](rng, difficulty)
        try:
            question = from_draft(draft, index, seed)
        except DlcalcError:
            continue
        if well_posed(question):
            return question
    raise DlcalcError(f"quiz: could not draw a well-posed {topic} question")
