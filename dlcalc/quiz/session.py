"""Building a quiz (seeded, optionally review-weighted) and taking it in a terminal or from a script."""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from dlcalc.errors import DlcalcError
from dlcalc.quiz.answers import yes_no
from dlcalc.quiz.history import HistoryWriteError
from dlcalc.quiz.questions import Question, Verdict, expected_format, from_problem, generate, mark, solution_of
from dlcalc.quiz.templates import TEMPLATES
from dlcalc.text import T

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
    verdicts: list[Verdict]
    saved: bool = True

    @property
    def correct(self) -> bool | None:
        """Every part right; None when self-marking was skipped."""
        if any(v.correct is None for v in self.verdicts):
            return None
        return all(v.correct for v in self.verdicts)


@dataclass
class Session:
    questions: list[Question]
    lang: str = "en"
    quiz_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False
    save_errors: list[str] = field(default_factory=list)

    @property
    def unsaved(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.saved]


Record = Callable[[Question, str, list[Verdict]], None]


def take(
    session: Session,
    console: Any,
    read: Callable[[str], str | None],
    interactive: bool,
    record: Record | None = None,
) -> Session:
    """Ask every question; `read(prompt)` returns None at end of input. Ctrl-C keeps what was answered.

    Each answer is read (asked once more when it is empty or cannot be read), graded part by part,
    handed to `record` (the history) and only then shown right or wrong. When `record` fails
    (`HistoryWriteError`), the reason is shown and the session goes on in memory.
    """
    from rich.text import Text

    lang = session.lang
    words = _WORDS[lang]
    total = len(session.questions)
    state = {"at_prompt": False}

    def ask(prompt: str) -> str | None:
        state["at_prompt"] = True
        try:
            return read(prompt)
        finally:
            state["at_prompt"] = False

    try:
        for i, q in enumerate(session.questions, 1):
            _show_question(console, q, i, total, lang)
            typed = ask(words["prompt"])
            if typed is None:
                session.interrupted = True
                break
            typed = _clean(typed)
            reading, verdicts = _mark(q, typed)
            problem = (
                reading.problem if reading is not None else (None if typed else T("the answer is empty", "答案为空"))
            )
            if problem is not None:
                hint = words["again"].format(problem=problem(lang), format=expected_format(q, lang))
                console.print(Text(hint, style="yellow"))
                again = ask(words["prompt"])
                if again is None:
                    session.interrupted = True
                    break
                typed = _clean(again)
                reading, verdicts = _mark(q, typed)
            if q.kind == "short":
                _show_reference(console, q, lang)
                verdicts[0].correct = _self_mark(ask, console, words) if interactive else None
            outcome = Outcome(q, typed, verdicts)
            if record is not None:
                try:
                    record(q, typed, verdicts)
                except HistoryWriteError as e:
                    outcome.saved = False
                    session.save_errors.append(e.reason)
                    console.print(
                        Text(f"{words['unsaved']}: {e.in_lang(lang)} — {words['in_memory']}", style="bold yellow")
                    )
            session.outcomes.append(outcome)
            _show_verdicts(console, q, verdicts, lang)
    except KeyboardInterrupt:
        session.interrupted = True
        if state["at_prompt"] or interactive:
            console.print()  # end the line the prompt was on
        console.print(Text(words["stopped"], style="yellow"))
    return session


def _clean(typed: str) -> str:
    """What is stored: the answer as typed, trimmed; never markup, never parsed as anything."""
    return typed.replace("\x00", "").strip()


def _mark(q: Question, typed: str) -> tuple[Any, list[Verdict]]:
    """Grade, whatever was typed: an answer the grader cannot handle is wrong, never a crash."""
    try:
        return mark(q, typed)
    except Exception:
        from dlcalc.quiz.answers import Reading

        parts = q.parts or [None]
        verdicts = [
            Verdict(
                a.part.key if a else "answer",
                a.label if a else T("answer", "答案"),
                typed,
                a.accepted() if a else q.accepted,
                False,
            )
            for a in parts
        ]
        return Reading(
            [None] * len(parts), [typed] * len(parts), T("cannot read this answer", "无法读取这个答案")
        ), verdicts


def _self_mark(ask: Callable[[str], str | None], console: Any, words: dict[str, str]) -> bool | None:
    from rich.text import Text

    for attempt in range(2):
        mark = ask(words["self"])
        if mark is None:
            raise KeyboardInterrupt  # end of input while self-marking: stop as Ctrl-C would
        said = yes_no(mark)
        if said is not None:
            return said
        if attempt == 0:
            console.print(Text(words["yn"], style="yellow"))
    return None


def _show_question(console: Any, q: Question, i: int, total: int, lang: str) -> None:
    from rich.panel import Panel
    from rich.text import Text

    words = _WORDS[lang]
    body = Text(q.statement(lang))
    if q.choices:
        for letter, choice in zip("ABCDEFGH", q.choices[lang]):
            body.append(f"\n  {letter}. {choice}")
    title = Text(f"{i}/{total}", style="bold")
    title.append(f" · {q.topic} · {words['generated'] if q.source == 'generated' else q.id}")
    if q.title is not None:
        title.append(f" — {q.title(lang)}")
    console.print(Panel(body, title=title, title_align="left"))
    if q.kind == "computed":
        console.print(Text(words["answer_with"].format(format=expected_format(q, lang)), style="dim"))


def _show_verdicts(console: Any, q: Question, verdicts: list[Verdict], lang: str) -> None:
    from rich.text import Text

    words = _WORDS[lang]
    if q.kind == "short":
        return
    if len(verdicts) == 1:
        v = verdicts[0]
        if v.correct:
            console.print(Text("✓ " + words["right"], style="bold green"))
        else:
            console.print(Text("✗ " + words["wrong"].format(answer=q.accepted_in(lang)), style="bold red"))
    else:
        for v, a in zip(verdicts, q.parts):
            if v.correct:
                console.print(Text(f"✓ {a.label(lang)}", style="bold green"))
            else:
                console.print(
                    Text(f"✗ {a.label(lang)} — " + words["accepted"].format(answer=a.accepted()), style="bold red")
                )
        right = sum(1 for v in verdicts if v.correct)
        console.print(Text(words["parts_right"].format(right=right, total=len(verdicts)), style="bold"))
    if not all(v.correct for v in verdicts):
        _show_solution(console, q, lang)


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
    """The score counts parts: a question asking shape and parameter count is worth two."""
    by_topic: dict[str, dict[str, int]] = {}
    for o in session.outcomes:
        t = by_topic.setdefault(o.question.topic, {"right": 0, "graded": 0, "answered": 0})
        t["answered"] += 1
        for v in o.verdicts:
            if v.correct is not None:
                t["graded"] += 1
                t["right"] += int(v.correct)
    return {
        "score": sum(t["right"] for t in by_topic.values()),
        "total": sum(t["graded"] for t in by_topic.values()),
        "questions_right": sum(1 for o in session.outcomes if o.correct),
        "answered": len(session.outcomes),
        "asked": len(session.questions),
        "interrupted": session.interrupted,
        "quiz": session.quiz_id,
        "by_topic": by_topic,
        "unsaved": len(session.unsaved),
        "results": [
            {
                "id": o.question.id,
                "topic": o.question.topic,
                "source": o.question.source,
                "answer": o.answer,
                "accepted": o.question.accepted,
                "correct": o.correct,
                "saved": o.saved,
                "parts": [
                    {
                        "key": v.key,
                        "label": v.label.en,
                        "answer": v.answer,
                        "accepted": v.accepted,
                        "correct": v.correct,
                    }
                    for v in o.verdicts
                ],
            }
            for o in session.outcomes
        ],
    }


def print_summary(console: Any, data: dict[str, Any], lang: str) -> None:
    from rich.table import Table
    from rich.text import Text

    words = _WORDS[lang]
    title = words["score"].format(
        score=data["score"], total=data["total"], right=data["questions_right"], asked=data["answered"]
    )
    console.print(Text(title, style="bold"))
    table = Table()
    for col in (words["topic"], words["right_col"], words["graded"]):
        table.add_column(col)
    for topic, t in sorted(data["by_topic"].items()):
        table.add_row(Text(topic), str(t["right"]), str(t["graded"]))
    console.print(table)


def line_reader(stream: TextIO | None = None) -> Callable[[str], str | None]:
    """One answer per line from a script (stdin that is not a terminal); bytes that are not
    UTF-8 are read as U+FFFD, never an error."""

    def read(prompt: str) -> str | None:
        source = stream or sys.stdin
        buffer = getattr(source, "buffer", None)
        if buffer is not None:
            raw = buffer.readline()
            return None if raw == b"" else raw.decode("utf-8", errors="replace").rstrip("\r\n")
        line = source.readline()
        return None if line == "" else line.rstrip("\r\n")

    return read


_WORDS = {
    "en": {
        "prompt": "Your answer: ",
        "right": "right",
        "wrong": "wrong — an accepted answer is {answer}",
        "accepted": "an accepted answer is {answer}",
        "parts_right": "{right}/{total} parts right",
        "answer_with": "Answer with: {format}",
        "again": "{problem} — please answer again as: {format}",
        "unsaved": "could not save",
        "in_memory": "this quiz goes on and keeps your answers in memory",
        "yn": "Type y (yes) or n (no).",
        "self": "Did your answer cover the key points? [y/n] ",
        "stopped": "Quiz stopped; your answers so far are kept.",
        "answer": "Answer",
        "reference": "Reference answer and key points",
        "generated": "generated",
        "score": "Score: {score}/{total} parts ({right} of {asked} questions fully right)",
        "topic": "topic",
        "right_col": "right",
        "graded": "graded",
    },
    "zh": {
        "prompt": "你的答案：",
        "right": "正确",
        "wrong": "错误——可接受的答案：{answer}",
        "accepted": "可接受的答案：{answer}",
        "parts_right": "{right}/{total} 个小问正确",
        "answer_with": "作答格式：{format}",
        "again": "{problem}——请按此格式重新作答：{format}",
        "unsaved": "无法保存",
        "in_memory": "测验继续，答案保存在内存中",
        "yn": "请输入 y（是）或 n（否）。",
        "self": "你的回答覆盖了这些要点吗？[y/n] ",
        "stopped": "测验已停止；已作答的记录均已保存。",
        "answer": "答案",
        "reference": "参考答案与要点",
        "generated": "随机生成",
        "score": "得分：{score}/{total} 个小问（{asked} 题中 {right} 题全对）",
        "topic": "主题",
        "right_col": "正确",
        "graded": "已评分",
    },
}
