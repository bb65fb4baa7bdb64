"""Questions, the answers students type, and grading.

A question's expected answer always comes from running its solver (generated questions) or from
the bank's stored answer, which `bank check` keeps equal to the solver's. `accepted` is a string
the grader itself accepts, so exports can never print an answer the quiz would mark wrong.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.text import Text

YES = {"yes", "y", "true", "1", "是", "会", "对", "收敛"}
NO = {"no", "n", "false", "0", "否", "不", "不会", "不收敛"}
NUMBER = re.compile(r"[+-]?(?:\d+\s*/\s*\d+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")


@dataclass
class Question:
    id: str
    topic: str
    statement: Text
    kind: str  # "numbers" (a list of numbers), "choice" or "short"
    expected: Any = None  # list of numbers, a letter, or None for short answers
    tolerance: float = 0.0
    accepted: str = ""
    source: str = "generated"
    difficulty: int = 1
    choices: dict[str, list[str]] | None = None
    result: Any = None  # the solver's Result: the worked solution
    reference: dict[str, str] | None = None
    key_points: dict[str, list[str]] | None = None
    ask: str = ""
    item: str = ""  # what the study history schedules: a bank id, or "template:<topic>"
    extra: dict[str, Any] = field(default_factory=dict)


def numbers_of(value: Any) -> list[Any]:
    """Flatten an answer value (a shape, a vector, nested lists, a number) to a list of numbers."""
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in numbers_of(v)]
    if isinstance(value, bool) or value is None:
        raise DlcalcError(f"answer {value!r} is not a number")
    return [value]


def parse_answer(text: str) -> list[Fraction | float]:
    """Every number in what the student typed: 25x26x26, (25, 26, 26), 0.7, -0.6, 1/3, 2.5e-3."""
    cleaned = text.replace("−", "-").replace("×", " ").replace("*", " ")
    cleaned = re.sub(r"(?<=\d)\s*[xX]\s*(?=\d)", " ", cleaned)
    found = NUMBER.findall(cleaned)
    out: list[Fraction | float] = []
    for token in found:
        token = token.replace(" ", "")
        if "/" in token:
            p, q = token.split("/")
            if int(q) == 0:
                continue
            out.append(Fraction(int(p), int(q)))
        else:
            out.append(Fraction(token))
    return out


def close(expected: Any, given: Any, tolerance: float) -> bool:
    if tolerance == 0:
        return Fraction(expected) == Fraction(given) if not isinstance(expected, float) else float(given) == expected
    e, g = float(expected), float(given)
    return abs(e - g) <= max(tolerance * abs(e), tolerance)


def grade(question: Question, text: str) -> bool | None:
    """True/False, or None when a short-answer question has to be self-marked."""
    if question.kind == "short":
        return None
    if question.kind == "choice":
        letters = re.findall(r"[A-Ha-h]", text.strip()[:3])
        return bool(letters) and letters[0].upper() == question.expected
    if question.kind == "yesno":
        word = text.strip().lower()
        said = True if word in YES else False if word in NO else None
        return said is not None and said == question.expected
    given = parse_answer(text)
    want = question.expected
    return len(given) == len(want) and all(close(e, g, question.tolerance) for e, g in zip(want, given))


def accepted_text(values: list[Any], tolerance: float, shape: bool) -> str:
    if shape:
        return "×".join(str(v) for v in values)
    digits = 6 if tolerance else 12
    return ", ".join(
        m.fmt_number(v, digits) if not isinstance(v, float) or tolerance == 0 else f"{v:.{digits}g}" for v in values
    )


def from_draft(draft: Any, index: int, seed: int) -> Question:
    """Run the solver on the template's inputs; the answer and the worked solution come from it."""
    import importlib

    from dlcalc.bank import SOLVERS
    from dlcalc.render import jsonable

    module = importlib.import_module(SOLVERS[draft.solver])
    result = module.solve(module.parse_spec(draft.inputs))
    value = _pick(result.answer, draft.ask)
    if draft.pick is not None:
        value = draft.pick(value)
    values = numbers_of(jsonable(value) if not _exact(value) else value)
    shape = draft.ask == "output_shape"
    q = Question(
        id=f"gen-{draft.topic}-{seed}-{index}",
        topic=draft.topic,
        statement=draft.statement,
        kind="numbers",
        expected=values,
        tolerance=draft.tolerance,
        source="generated",
        difficulty=draft.difficulty,
        result=result,
        ask=draft.ask,
        item=f"template:{draft.topic}",
        extra=draft.extra,
    )
    q.accepted = accepted_text(values, q.tolerance, shape)
    return q


def _exact(value: Any) -> bool:
    vals = value if isinstance(value, (list, tuple)) else [value]
    return all(isinstance(v, (int, Fraction)) and not isinstance(v, bool) for v in vals)


def _pick(answer: dict[str, Any], key: str) -> Any:
    """An answer key, with `updated.W2[1,1]`-style paths and `w_b` (the perceptron's w then b)."""
    if key == "w_b":
        return list(answer["w"]) + ([answer["b"]] if answer.get("b") is not None else [])
    if key.startswith("updated.") or key.startswith("grads."):
        group, name = key.split(".", 1)
        match = re.fullmatch(r"([Wb]\d+)\[(\d+)(?:,(\d+))?\]", name)
        if match is None:
            raise DlcalcError(f"quiz: cannot read answer key {key!r}")
        table = answer[group][match.group(1)]
        row = table[int(match.group(2)) - 1]
        return row[int(match.group(3)) - 1] if match.group(3) else row
    return answer[key]


def from_problem(problem: Any) -> Question:
    """A bank problem as a quiz question (computed ones ask for their first answer key)."""
    statement = Text(problem.statement["en"].strip(), problem.statement["zh"].strip())
    if problem.computed and isinstance(problem.answer[problem.ask[0]], bool):
        q = Question(
            id=problem.id,
            topic=problem.topic,
            statement=statement,
            kind="yesno",
            expected=problem.answer[problem.ask[0]],
            source="bank",
            difficulty=problem.difficulty,
            ask=problem.ask[0],
            item=problem.id,
        )
        q.accepted = "yes" if q.expected else "no"
        q.extra["problem"] = problem
        return q
    if problem.computed:
        key = ", ".join(problem.ask)
        values = [v for k in problem.ask for v in numbers_of(problem.answer[k])]
        tolerance = max(problem.tolerance, 1e-6) if any(isinstance(v, float) for v in values) else 0.0
        if tolerance:
            tolerance = max(tolerance, 1e-4)  # students round; the bank's tolerance is for machines
        q = Question(
            id=problem.id,
            topic=problem.topic,
            statement=statement,
            kind="numbers",
            expected=values,
            tolerance=tolerance,
            source="bank",
            difficulty=problem.difficulty,
            ask=key,
            item=problem.id,
        )
        q.accepted = accepted_text(values, tolerance, problem.ask == ["output_shape"])
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
    )
    q.accepted = problem.answer if kind == "choice" else problem.reference["en"]
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
