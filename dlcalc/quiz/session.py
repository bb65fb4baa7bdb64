"""Building a quiz (seeded, optionally review-weighted) and taking it in a terminal or from a script."""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from dlcalc.errors import DlcalcError
from dlcalc.quiz.history import HistoryWriteError
from dlcalc.quiz.questions import (
    Asked,
    Question,
    Verdict,
    expected_format,
    from_problem,
    generate,
    mark,
    short_verdicts,
    solution_of,
)
from dlcalc.quiz.templates import TEMPLATES
from dlcalc.text import T, Text

TOPICS = tuple(TEMPLATES) + ("concept", "terms")
TERMS_WEIGHT = 4.0  # the whole glossary weighs as much as a topic with a few bank problems


def topic_names(topics: list[str] | None, lang: str = "en", notes: list[Text] | None = None) -> list[str]:
    """The chosen topics, old names read as the new ones (with a note), unknown ones refused."""
    from dlcalc.bank import RENAMED_TOPICS

    chosen = []
    for t in topics or TOPICS:
        if t in RENAMED_TOPICS:
            if notes is not None:
                notes.append(
                    T(
                        "note: topic {old!r} is now called {new!r} (the command it exercises)",
                        "提示：主题 {old!r} 现在叫 {new!r}（与它练习的命令同名）",
                    ).format(old=t, new=RENAMED_TOPICS[t])
                )
            t = RENAMED_TOPICS[t]
        if t not in TOPICS:
            raise DlcalcError(
                T("--topic: expected one of {all}, got {t!r}", "--topic：应为 {all} 之一，实际为 {t!r}").format(
                    all=", ".join(TOPICS), t=t
                )
            )
        chosen.append(t)
    return list(dict.fromkeys(chosen))


def _weight(item: str, schedule: dict[str, tuple[str, Any]] | None, clock: Any) -> float:
    """How strongly --review favours an item: due ones (×3, else ×0.5), lapsed ones (last answer below
    quality 3, so SM-2 restarted them: ×4), hard ones (×2.5/EF); an item never answered weighs 1."""
    if not schedule or item not in schedule:
        return 1.0
    _, state = schedule[item]
    due = state.due is None or state.due <= clock
    lapsed = state.repetitions == 0
    return (3.0 if due else 0.5) * (4.0 if lapsed else 1.0) * 2.5 / max(state.ease, 1.3)


def build(
    topics: list[str] | None,
    n: int,
    seed: int,
    difficulty: int | None = None,
    schedule: dict[str, tuple[str, Any]] | None = None,
    bank_path: str | None = None,
) -> list[Question]:
    """n questions; the same seed and options always give the same quiz.

    Candidates are the templates of the chosen topics, the bank's problems of those topics and,
    for `terms`, the glossary's terms. With `schedule` (the study history's SM-2 state, for
    --review) items weigh as `_weight` says, so what the student got wrong or finds hard comes
    back first. Several named topics are taken in turn (`_balanced`), so every one is asked; with
    none named (or one), items are drawn from the whole pool, a topic weighing what it holds.
    """
    from dlcalc.quiz.history import now

    chosen = topic_names(topics)
    if n < 1 or n > 500:
        raise DlcalcError(
            T("--n: expected 1 to 500 questions, got {n}", "--n：题数应为 1 到 500，实际为 {n}").format(n=n)
        )
    if difficulty is not None and difficulty not in (1, 2, 3):
        raise DlcalcError(
            T("--difficulty: expected 1, 2 or 3, got {d}", "--difficulty：应为 1、2 或 3，实际为 {d}").format(
                d=difficulty
            )
        )
    rng = random.Random(seed)
    by_topic = _candidates(chosen, difficulty, bank_path)
    if not any(by_topic.values()):
        raise DlcalcError(
            T(
                "quiz: no questions for these options (try other --topic or --difficulty)",
                "quiz：这些选项下没有题目（换个 --topic 或 --difficulty 试试）",
            )
        )
    clock = now()
    weights = {
        topic: [base * _weight(item, schedule, clock) for item, _, base in cands] for topic, cands in by_topic.items()
    }
    if topics and len([t for t in by_topic if by_topic[t]]) > 1:
        return _balanced(by_topic, weights, n, rng, difficulty, seed, review=schedule is not None)
    candidates = [c for cands in by_topic.values() for c in cands]
    flat = [w for ws in weights.values() for w in ws]
    questions: list[Question] = []
    used: set[str] = set()
    for index in range(n):
        pool = [(c, w) for c, w in zip(candidates, flat) if c[0] not in used or isinstance(c[1], str)]
        if not pool:
            pool = list(zip(candidates, flat))
            used.clear()
        ((item, what, _),) = rng.choices([c for c, _ in pool], weights=[w for _, w in pool])
        questions.append(make_question(item, what, rng, difficulty, index, seed))
        if not isinstance(what, str):
            used.add(item)
    return questions


Candidate = tuple[str, Any, float]  # (item, what: a topic name, a bank problem or ("term", id), base weight)


def _candidates(chosen: list[str], difficulty: int | None, bank_path: str | None) -> dict[str, list[Candidate]]:
    """Per chosen topic (in the order named): its templates, its bank problems and, for `terms`, the glossary."""
    from dlcalc.bank import load_bank

    problems = sorted(load_bank(bank_path), key=lambda p: p.id)
    by_topic: dict[str, list[Candidate]] = {}
    for topic in chosen:
        if topic == "terms":
            from dlcalc.quiz.terms import term_ids

            ids = term_ids()
            by_topic[topic] = [(f"term:{t}", ("term", t), TERMS_WEIGHT / len(ids)) for t in ids]
            continue
        bank = [p for p in problems if p.topic == topic and (difficulty is None or p.difficulty == difficulty)]
        cands: list[Candidate] = [(p.id, p, 1.0) for p in bank]
        if topic in TEMPLATES:
            cands += [(f"template:{topic}", topic, 1.0)] * max(2, len(bank))
        by_topic[topic] = cands
    return by_topic


def _balanced(
    by_topic: dict[str, list[Candidate]],
    weights: dict[str, list[float]],
    n: int,
    rng: random.Random,
    difficulty: int | None,
    seed: int,
    review: bool = False,
) -> list[Question]:
    """Several named topics: the first n (up to one per topic) are of distinct topics, so every topic
    is asked when n is at least their number; then round after round, every topic once in a seeded
    order. With --review (`review`), a topic's pull is how much the schedule raises its items'
    weights on average (never how many items it has): the weak topics come first, and after the
    first round each question's topic is drawn by that pull. Within a topic the item is drawn as
    before (weighted by the schedule; a bank problem not repeated until its topic runs out)."""
    topics = [t for t, cands in by_topic.items() if cands]
    pull = {t: sum(weights[t]) / sum(base for _, _, base in by_topic[t]) for t in topics}  # 1.0 with no schedule
    order: list[str] = []
    while len(order) < n:
        if review and order:
            order += rng.choices(topics, weights=[pull[t] for t in topics], k=n - len(order))
            break
        left = list(topics)  # one round: a draw without replacement, by pull
        while left and len(order) < n:
            (topic,) = rng.choices(left, weights=[pull[t] for t in left])
            order.append(topic)
            left.remove(topic)
    questions: list[Question] = []
    used: set[str] = set()
    for topic in order:
        pool = [(c, w) for c, w in zip(by_topic[topic], weights[topic]) if c[0] not in used or isinstance(c[1], str)]
        if not pool:  # every bank problem of the topic asked: they come round again
            used.difference_update(c[0] for c in by_topic[topic])
            pool = list(zip(by_topic[topic], weights[topic]))
        ((item, what, _),) = rng.choices([c for c, _ in pool], weights=[w for _, w in pool])
        questions.append(make_question(item, what, rng, difficulty, len(questions), seed))
        if not isinstance(what, str):
            used.add(item)
    return questions


def make_question(item: str, what: Any, rng: random.Random, difficulty: int | None, index: int, seed: int) -> Question:
    """One question for a drawn candidate: generated, a glossary drill, or a bank problem."""
    if isinstance(what, str):
        level = difficulty or rng.choice([1, 2, 3])
        return generate(what, rng, level, index, seed)
    if isinstance(what, tuple) and what[0] == "term":
        from dlcalc.quiz.terms import term_question

        return term_question(rng, what[1])
    return from_problem(what)


def item_question(item: str, topic: str, rng: random.Random, index: int, seed: int, bank: list[Any]) -> Question | None:
    """A fresh question for a scheduled item (None when the item no longer exists)."""
    from dlcalc.bank import topic_name

    if item.startswith("template:"):
        name = topic_name(item.removeprefix("template:"))
        return generate(name, rng, rng.choice([1, 2, 3]), index, seed) if name in TEMPLATES else None
    if item.startswith("term:"):
        from dlcalc.quiz.terms import term_ids, term_question

        term = item.removeprefix("term:")
        return term_question(rng, term) if term in term_ids() else None
    if item.startswith("exam:"):
        from dlcalc.exam.paper import section_question

        return section_question(item.removeprefix("exam:"), rng, index, seed)
    problem = next((p for p in bank if p.id == item), None)
    return from_problem(problem) if problem is not None else None


@dataclass
class Review:
    questions: list[Question]
    due: int  # items due now
    weak: list[str]  # the topics, weakest first, that filled the review beyond the due items
    next_due: Any = None  # when nothing is due: the next date something is


def build_review(
    schedule: dict[str, tuple[str, Any]],
    accuracy: dict[str, float | None],
    n: int,
    seed: int,
    clock: Any,
    bank_path: str | None = None,
) -> Review:
    """`quiz review`: the items SM-2 says are due, topics the student gets wrong first (then the most
    overdue, then the hardest); when fewer than n are due, new questions from the weakest topics."""
    from dlcalc.bank import load_bank, topic_name

    if n < 1 or n > 500:
        raise DlcalcError(
            T("--n: expected 1 to 500 questions, got {n}", "--n：题数应为 1 到 500，实际为 {n}").format(n=n)
        )
    rng = random.Random(seed)
    bank = load_bank(bank_path)

    def error(topic: str) -> float:
        acc = accuracy.get(topic_name(topic))
        return 0.5 if acc is None else 1 - acc

    due = [(item, topic, state) for item, (topic, state) in schedule.items() if state.due is None or state.due <= clock]
    due.sort(key=lambda d: (-error(d[1]), d[2].due or clock, d[2].ease, d[0]))
    questions: list[Question] = []
    for item, topic, _ in due:
        if len(questions) == n:
            break
        q = item_question(item, topic, rng, len(questions), seed, bank)
        if q is not None:
            questions.append(q)
    share = {t: 0.5 if a is None else a for t, a in accuracy.items()}  # a topic never graded: in between
    weak = [t for t in sorted(share, key=lambda t: (share[t], t)) if t in TOPICS and share[t] < 1]
    used = {q.item for q in questions if not q.item.startswith("template:")}
    filled: list[str] = []
    attempts = 0
    while len(questions) < n and weak and attempts < 20 * n:
        topic = weak[attempts % len(weak)]
        attempts += 1
        (q,) = build([topic], 1, rng.randrange(10**9))
        if q.item in used and not q.item.startswith("template:"):
            continue
        used.add(q.item)
        questions.append(q)
        if topic not in filled:
            filled.append(topic)
    upcoming = [state.due for _, (_, state) in schedule.items() if state.due is not None and state.due > clock]
    return Review(questions, len(due), filled, min(upcoming) if upcoming else None)


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
                from dlcalc.quiz import keypoints, selfmark

                hints = keypoints.hint(typed, q)
                selfmark.show_reference(console, q, lang, hints)
                count = len(verdicts)
                marks = selfmark.ask_marks(ask, console, lang, count, hints) if interactive else None
                verdicts = short_verdicts(q, typed, marks)
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

        parts: list[Asked | None] = [*q.parts] or [None]
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


def _show_question(console: Any, q: Question, i: int, total: int, lang: str) -> None:
    from rich.panel import Panel
    from rich.text import Text

    from dlcalc.quiz.wrap import for_terminal

    words = _WORDS[lang]
    body = Text(for_terminal(q.statement(lang), lang, console.width - 4))
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
    assert q.reference is not None  # a short question always has its reference
    console.print(Text(q.reference[lang].strip()))
    for point in (q.key_points or {}).get(lang, []):
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
