"""Building a quiz (seeded, optionally review-weighted) and taking it in a terminal or from a script."""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from dlcalc.errors import DlcalcError
from dlcalc.quiz.questions import Question, from_problem, generate, grade, solution_of
from dlcalc.quiz.templates import TEMPLATES

TOPICS = tuple(TEMPLATES) + ("concept",)


def build(
    topics: list[str] | None,
    n: int,
    seed: int,
    difficulty: int | None = None,
    boxes: dict[str, tuple[int, Any]] | None = None,
    bank_path: str | None = None,
) -> list[Question]:
    """n questions; the same seed and options always give the same quiz.

    Candidates are the templates of the chosen topics and the bank's problems of those topics.
    With `boxes` (the study history's Leitner boxes, for --review) a candidate in box k weighs
    6 - k, doubled when it is due, so what the student got wrong comes back first.
    """
    from dlcalc.bank import load_bank
    from dlcalc.quiz.history import now

    chosen = list(dict.fromkeys(topics or TOPICS))
    for t in chosen:
        if t not in TOPICS:
            raise DlcalcError(f"--topic: expected one of {', '.join(TOPICS)}, got {t!r}")
    if n < 1 or n > 500:
        raise DlcalcError(f"--n: expected 1 to 500 questions, got {n}")
    if difficulty is not None and difficulty not in (1, 2, 3):
        raise DlcalcError(f"--difficulty: expected 1, 2 or 3, got {difficulty}")
    rng = random.Random(seed)
    problems = sorted(load_bank(bank_path), key=lambda p: p.id)
    candidates: list[tuple[str, Any]] = []  # (item, bank problem or topic name)
    for topic in chosen:
        bank = [p for p in problems if p.topic == topic and (difficulty is None or p.difficulty == difficulty)]
        candidates += [(p.id, p) for p in bank]
        if topic in TEMPLATES:
            candidates += [(f"template:{topic}", topic)] * max(2, len(bank))
    if not candidates:
        raise DlcalcError("quiz: no questions for these options (try other --topic or --difficulty)")
    clock = now()

    def weight(item: str) -> float:
        if not boxes or item not in boxes:
            return 1.0
        box, due = boxes[item]
        return (6 - box) * (2.0 if due <= clock else 0.5)

    weights = [weight(item) for item, _ in candidates]
    questions: list[Question] = []
    used: set[str] = set()
    for index in range(n):
        pool = [(c, w) for c, w in zip(candidates, weights) if c[0] not in used or isinstance(c[1], str)]
        if not pool:
            pool = list(zip(candidates, weights))
            used.clear()
        ((item, what),) = rng.choices([c for c, _ in pool], weights=[w for _, w in pool])
        if isinstance(what, str):
            level = difficulty or rng.choice([1, 2, 3])
            questions.append(generate(what, rng, level, index, seed))
        else:
            used.add(item)
            questions.append(from_problem(what))
    return questions


@dataclass
class Outcome:
    question: Question
    answer: str
    correct: bool | None


@dataclass
class Session:
    questions: list[Question]
    lang: str = "en"
    quiz_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False


def take(
    session: Session,
    console: Any,
    read: Callable[[str], str | None],
    interactive: bool,
    record: Callable[[Question, str, bool | None], None] | None = None,
) -> Session:
    """Ask every question; `read(prompt)` returns None at end of input. Ctrl-C keeps what was answered."""
    from rich.panel import Panel
    from rich.text import Text

    lang = session.lang
    words = _WORDS[lang]
    total = len(session.questions)
    try:
        for i, q in enumerate(session.questions, 1):
            body = Text(q.statement(lang))
            if q.choices:
                for letter, choice in zip("ABCDEFGH", q.choices[lang]):
                    body.append(f"\n  {letter}. {choice}")
            tag = words["generated"] if q.source == "generated" else q.id
            console.print(Panel(body, title=f"[bold]{i}/{total}[/] · {q.topic} · {tag}", title_align="left"))
            answer = read(_prompt(q, lang))
            if answer is None:
                session.interrupted = True
                break
            answer = answer.strip()
            correct = grade(q, answer)
            if q.kind == "short":
                _show_reference(console, q, lang)
                if interactive:
                    mark = read(words["self"])
                    if mark is None:
                        session.interrupted = True
                        break
                    correct = mark.strip().lower() in ("y", "yes", "是", "对")
            elif correct:
                console.print(Text("✓ " + words["right"], style="bold green"))
            else:
                console.print(Text(f"✗ {words['wrong']} {q.accepted}", style="bold red"))
                _show_solution(console, q, lang)
            session.outcomes.append(Outcome(q, answer, correct))
            if record is not None:
                record(q, answer, correct)
    except KeyboardInterrupt:
        session.interrupted = True
        console.print(Text(words["stopped"], style="yellow"))
    return session


def _prompt(q: Question, lang: str) -> str:
    base = _WORDS[lang]["prompt"]
    if q.kind == "yesno":
        return base.rstrip(": ：") + (" (yes/no): " if lang == "en" else "（是/否）：")
    if q.kind == "numbers" and q.ask and q.source == "bank":
        return base.rstrip(": ：") + (f" ({q.ask}): " if lang == "en" else f"（{q.ask}）：")
    return base


def _show_reference(console: Any, q: Question, lang: str) -> None:
    from rich.text import Text

    words = _WORDS[lang]
    if q.kind == "choice":
        console.print(Text(f"{words['answer']}: {q.expected}", style="bold"))
    console.print(Text(words["reference"], style="bold underline"))
    console.print(Text(q.reference[lang].strip()))
    for point in q.key_points[lang]:
        console.print(Text(f"• {point}"))


def _show_solution(console: Any, q: Question, lang: str) -> None:
    if q.kind == "choice" or (q.kind == "short" and q.reference):
        _show_reference(console, q, lang)
        return
    result = solution_of(q)
    if result is not None:
        from dlcalc.render.terminal import render

        render(console, result, lang)


def summary(session: Session) -> dict[str, Any]:
    by_topic: dict[str, dict[str, int]] = {}
    for o in session.outcomes:
        t = by_topic.setdefault(o.question.topic, {"right": 0, "graded": 0, "answered": 0})
        t["answered"] += 1
        if o.correct is not None:
            t["graded"] += 1
            t["right"] += int(o.correct)
    score = sum(t["right"] for t in by_topic.values())
    return {
        "score": score,
        "total": sum(t["graded"] for t in by_topic.values()),
        "answered": len(session.outcomes),
        "asked": len(session.questions),
        "interrupted": session.interrupted,
        "quiz": session.quiz_id,
        "by_topic": by_topic,
        "results": [
            {
                "id": o.question.id,
                "topic": o.question.topic,
                "source": o.question.source,
                "answer": o.answer,
                "accepted": o.question.accepted,
                "correct": o.correct,
            }
            for o in session.outcomes
        ],
    }


def print_summary(console: Any, data: dict[str, Any], lang: str) -> None:
    from rich.table import Table

    words = _WORDS[lang]
    table = Table(title=words["score"].format(score=data["score"], total=data["total"]))
    for col in (words["topic"], words["right_col"], words["graded"]):
        table.add_column(col)
    for topic, t in sorted(data["by_topic"].items()):
        table.add_row(topic, str(t["right"]), str(t["graded"]))
    console.print(table)


def line_reader(stream: TextIO | None = None) -> Callable[[str], str | None]:
    """One answer per line from a script (stdin that is not a terminal)."""

    def read(prompt: str) -> str | None:
        line = (stream or sys.stdin).readline()
        return None if line == "" else line.rstrip("\n")

    return read


_WORDS = {
    "en": {
        "prompt": "Your answer: ",
        "right": "right",
        "wrong": "wrong — an accepted answer is",
        "self": "Did your answer cover the key points? [y/n] ",
        "stopped": "Quiz stopped; your answers so far are kept.",
        "answer": "Answer",
        "reference": "Reference answer and key points",
        "generated": "generated",
        "score": "Score: {score}/{total}",
        "topic": "topic",
        "right_col": "right",
        "graded": "graded",
    },
    "zh": {
        "prompt": "你的答案：",
        "right": "正确",
        "wrong": "错误——可接受的答案：",
        "self": "你的回答覆盖了这些要点吗？[y/n] ",
        "stopped": "测验已停止；已作答的记录均已保存。",
        "answer": "答案",
        "reference": "参考答案与要点",
        "generated": "随机生成",
        "score": "得分：{score}/{total}",
        "topic": "主题",
        "right_col": "正确",
        "graded": "已评分",
    },
}
