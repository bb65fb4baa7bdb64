"""Sitting the paper in a terminal (or from a script): a clock, moving between questions, changing
answers, handing in; then self-marking the concept answers and the graded paper.

Every answer is handed to `save` the moment it is typed (the history writes it before anything
else happens), so a killed exam keeps every answer given and `dlcalc exam --resume` carries on
with them, the clock included.

What a student types at the prompt is an answer to the question shown, or a command starting
with `:` (full-width `：` too):

    :n  next question        :p  previous          :5  go to question 5     :l  list the paper
    :+ TEXT  add to the answer                     :clear  erase the answer
    :t  time left            :h  help              :submit  hand in         :q  stop (resume later)

An empty line moves on without changing the answer. A scripted exam (stdin not a terminal) reads
one line at a time and hands in at the end of its input; self-marks are then read as further
lines (numbers of the key points covered, y, n, or an empty line for the ticked ones).
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dlcalc.exam.paper import ExamQuestion, Paper
from dlcalc.text import T, Text

WORDS: dict[str, Any] = {
    "title": T("dlcalc mock final exam", "dlcalc 模拟期末考试"),
    "intro": T(
        "{n} questions, {points} points, {limit}. Seed {seed}: the same seed gives the same paper.",
        "共 {n} 题，{points} 分，{limit}。种子 {seed}：同一种子得到同一份试卷。",
    ),
    "limit": T("time limit {m} minutes", "限时 {m} 分钟"),
    "no_limit": T("no time limit", "不限时"),
    "commands": T(
        "Type an answer and Enter (it is saved at once; type again to change it). Commands: :n next, :p previous, "
        ":5 go to question 5, :l list, :+ TEXT add to the answer, :clear, :t time, :h help, :submit hand in, "
        ":q stop and resume later ({resume}).",
        "输入答案后回车（立即保存；再次输入即可修改）。命令：:n 下一题，:p 上一题，:5 跳到第 5 题，:l 目录，"
        ":+ 文字 追加到答案，:clear 清空答案，:t 剩余时间，:h 帮助，:submit 交卷，:q 暂停、以后继续（{resume}）。",
    ),
    "question": T("Question {i}/{n} · {points} points · {title}", "第 {i}/{n} 题 · {points} 分 · {title}"),
    "left": T("⏱ {t} left", "⏱ 剩余 {t}"),
    "spent": T("⏱ {t} spent", "⏱ 已用 {t}"),
    "yours": T("Your answer so far: ", "当前答案："),
    "answer_with": T("Answer with: {format}", "作答格式：{format}"),
    "write": T(
        "Write your answer in your own words (one line; :+ adds more).", "用自己的话作答（一行；可用 :+ 追加）。"
    ),
    "prompt": T("[{i}/{n} {clock}] answer or :command > ", "[{i}/{n} {clock}] 答案或 :命令 > "),
    "saved": T("saved", "已保存"),
    "unreadable": T(
        "saved, but it cannot be read as it stands ({problem}); type it again as: {format}",
        "已保存，但目前无法判读（{problem}）；请按此格式重新输入：{format}",
    ),
    "unsaved": T(
        "could not save this answer ({reason}); it is kept in memory for this sitting",
        "无法保存这个答案（{reason}）；本次考试中它保存在内存里",
    ),
    "list_cols": [T("#", "#"), T("section", "题目"), T("points", "分值"), T("answered", "已作答")],
    "yes": T("yes", "是"),
    "no": T("—", "—"),
    "all_answered": T(
        "Every question is answered. Type :submit to hand in, or :N to look at question N again.",
        "所有题目都已作答。输入 :submit 交卷，或输入 :N 回看第 N 题。",
    ),
    "unanswered_left": T("Unanswered: {list}.", "未作答：{list}。"),
    "confirm": T(
        "{k} question(s) unanswered ({list}). Hand in anyway? [y/n] ",
        "还有 {k} 题未作答（{list}）。仍要交卷吗？[y/n] ",
    ),
    "unknown": T("Unknown command {c!r}; :h lists the commands.", "未知命令 {c!r}；输入 :h 查看命令。"),
    "bad_number": T("There is no question {c}; questions are 1 to {n}.", "没有第 {c} 题；题号为 1 到 {n}。"),
    "time": T("{t} left of {m} minutes.", "{m} 分钟中还剩 {t}。"),
    "time_spent": T("{t} spent (no time limit).", "已用 {t}（不限时）。"),
    "timeout": T("Time is up: the paper is handed in.", "时间到：自动交卷。"),
    "paused": T(
        "Stopped without handing in; every answer is saved. Resume with: {resume}",
        "已暂停，未交卷；所有答案都已保存。继续作答：{resume}",
    ),
    "handing_in": T("Handing in.", "交卷。"),
    "marking": T("Mark your concept answers: question {i} — {title}", "自评概念题：第 {i} 题——{title}"),
    "your_answer": T("Your answer", "你的答案"),
    "nothing": T("(no answer)", "（未作答）"),
    "graded": T("Question {i} — {score}/{points} points · {title}", "第 {i} 题——{score}/{points} 分 · {title}"),
    "part_right": T("✓ {label} — {answer}", "✓ {label}——{answer}"),
    "part_wrong": T(
        "✗ {label} — yours: {answer}; accepted: {accepted}", "✗ {label}——你的：{answer}；可接受：{accepted}"
    ),
    "point_yes": T("✓ {label}", "✓ {label}"),
    "point_no": T("✗ {label}", "✗ {label}"),
    "unmarked": T("(not self-marked: scores nothing; mark it in a review)", "（未自评：不计分；可在复习中自评）"),
    "worked": T("Worked solution", "详细解答"),
    "score": T("Score: {score}/{total} points", "得分：{score}/{total} 分"),
    "score_cols": [
        T("#", "#"),
        T("section", "题目"),
        T("score", "得分"),
        T("points", "分值"),
        T("parts right", "答对小问"),
    ],
    "by_question": T("Score by question", "各题得分"),
    "elapsed": T("Time spent: {t}{late}", "用时：{t}{late}"),
    "late": T(" (time was up)", "（已超时）"),
}


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def parse_command(text: str) -> tuple[str, str] | None:
    """(`command`, argument) for a line starting with `:`, or None for an answer."""
    line = unicodedata.normalize("NFKC", text).strip()
    if not line.startswith(":"):
        return None
    body = line[1:].strip()
    m = re.fullmatch(r"(?:g|go|goto)?\s*(\d+)", body, re.I)
    if m:
        return "go", m.group(1)
    word, _, rest = body.partition(" ")
    if word.startswith("+"):
        return "append", (word[1:] + " " + rest).strip()
    names = {
        "n": "next", "next": "next", "下一题": "next", "下": "next",
        "p": "prev", "prev": "prev", "previous": "prev", "上一题": "prev", "上": "prev",
        "l": "list", "list": "list", "ls": "list", "目录": "list",
        "t": "time", "time": "time", "时间": "time",
        "h": "help", "help": "help", "?": "help", "帮助": "help",
        "s": "submit", "submit": "submit", "hand": "submit", "交卷": "submit",
        "q": "quit", "quit": "quit", "pause": "quit", "stop": "quit", "暂停": "quit",
        "clear": "clear", "c": "clear", "清空": "clear",
    }  # fmt: skip
    name = names.get(word.lower())
    return (name, rest.strip()) if name else ("unknown", body)


@dataclass
class Sitting:
    """One sitting of a paper: the answers so far and the clock."""

    paper: Paper
    exam: str
    lang: str
    answers: dict[int, str] = field(default_factory=dict)
    elapsed_before: float = 0.0  # seconds spent in earlier sittings (a resumed exam)
    now: Callable[[], float] = time.monotonic
    started: float = 0.0
    at: int = 1  # the question shown
    save: Callable[[int, str, float], None] | None = None  # (number, answer, elapsed): the history
    save_errors: list[str] = field(default_factory=list)
    resume: str = "dlcalc exam --resume"  # the command that carries on (with --db, --lang when needed)

    def __post_init__(self) -> None:
        self.started = self.now()

    @property
    def elapsed(self) -> float:
        return self.elapsed_before + self.now() - self.started

    @property
    def limit(self) -> float | None:
        return self.paper.minutes * 60 if self.paper.minutes else None

    def time_up(self) -> bool:
        return self.limit is not None and self.elapsed >= self.limit

    def clock_text(self, lang: str) -> str:
        if self.limit is None:
            return WORDS["spent"](lang).format(t=clock(self.elapsed))
        return WORDS["left"](lang).format(t=clock(self.limit - self.elapsed))

    def unanswered(self) -> list[int]:
        return [q.number for q in self.paper.questions if not self.answers.get(q.number, "").strip()]


def show_intro(console: Any, sitting: Sitting) -> None:
    from rich.panel import Panel
    from rich.text import Text as RichText

    lang, paper = sitting.lang, sitting.paper
    limit = WORDS["limit"].format(m=paper.minutes) if paper.minutes else WORDS["no_limit"]
    body = RichText(
        WORDS["intro"](lang).format(n=len(paper.questions), points=paper.total, limit=limit(lang), seed=paper.seed)
    )
    body.append("\n" + WORDS["commands"](lang).format(resume=sitting.resume), style="dim")
    console.print(Panel(body, title=RichText(WORDS["title"](lang), style="bold"), title_align="left"))


def show_question(console: Any, sitting: Sitting, item: ExamQuestion) -> None:
    from rich.panel import Panel
    from rich.text import Text as RichText

    from dlcalc.quiz.questions import expected_format
    from dlcalc.quiz.wrap import for_terminal

    lang, q = sitting.lang, item.question
    body = RichText(for_terminal(q.statement(lang), lang, console.width - 4))
    if q.choices:
        for letter, choice in zip("ABCDEFGH", q.choices[lang]):
            body.append(f"\n  {letter}. {choice}")
    title = RichText(
        WORDS["question"](lang).format(
            i=item.number, n=len(sitting.paper.questions), points=item.points, title=item.section.title(lang)
        ),
        style="bold",
    )
    console.print(
        Panel(
            body, title=title, title_align="left", subtitle=RichText(sitting.clock_text(lang)), subtitle_align="right"
        )
    )
    if q.kind == "computed":
        hint = WORDS["answer_with"](lang).format(format=expected_format(q, lang))
        console.print(RichText(for_terminal(hint, lang, console.width), style="dim"))
    elif q.kind == "short":
        console.print(RichText(WORDS["write"](lang), style="dim"))
    answer = sitting.answers.get(item.number, "")
    if answer.strip():
        line = RichText(WORDS["yours"](lang), style="bold")
        line.append(_shorten(answer, 600))
        console.print(line)


def show_overview(console: Any, sitting: Sitting) -> None:
    from dlcalc.render.terminal import print_table

    lang = sitting.lang
    rows = [
        [
            str(q.number),
            q.section.title(lang),
            str(q.points),
            (WORDS["yes"] if sitting.answers.get(q.number, "").strip() else WORDS["no"])(lang),
        ]
        for q in sitting.paper.questions
    ]
    print_table(console, [c(lang) for c in WORDS["list_cols"]], rows, title=sitting.clock_text(lang), lang=lang)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _say(console: Any, text: Text | str, lang: str, style: str = "") -> None:
    from rich.text import Text as RichText

    console.print(RichText(text(lang) if callable(text) else text, style=style))


def sit(sitting: Sitting, console: Any, read: Callable[[str], str | None], interactive: bool) -> str:
    """Run the paper until it is handed in ("submitted"), the time is up ("timeout"), or the
    student stops ("paused": Ctrl-C, :q, or end of input at a terminal). A script's end of input
    hands in ("submitted")."""
    lang, paper = sitting.lang, sitting.paper
    n = len(paper.questions)
    shown = None
    try:
        while True:
            if sitting.time_up():
                _say(console, WORDS["timeout"], lang, "bold yellow")
                return "timeout"
            item = paper.questions[sitting.at - 1]
            if shown != sitting.at:
                show_question(console, sitting, item)
                shown = sitting.at
            prompt = WORDS["prompt"](lang).format(i=sitting.at, n=n, clock=clock(_clock_value(sitting)))
            typed = read(prompt)
            if typed is None:
                if interactive:
                    _say(console, WORDS["paused"](lang).format(resume=sitting.resume), lang, "yellow")
                    return "paused"
                return "submitted"
            typed = typed.replace("\x00", "")
            command = parse_command(typed)
            if command is None:
                readable = _answer(console, sitting, item, typed.strip()) if typed.strip() else True
                if readable:  # an answer that cannot be read stays on screen, to be typed again
                    _advance(console, sitting)
                continue
            name, arg = command
            if name == "next":
                sitting.at = sitting.at % n + 1
            elif name == "prev":
                sitting.at = (sitting.at - 2) % n + 1
            elif name == "go":
                if 1 <= int(arg) <= n:
                    sitting.at = int(arg)
                    shown = None
                else:
                    _say(console, WORDS["bad_number"].format(c=arg, n=n), lang, "yellow")
            elif name == "list":
                show_overview(console, sitting)
            elif name == "time":
                if sitting.limit is None:
                    _say(console, WORDS["time_spent"].format(t=clock(sitting.elapsed)), lang)
                else:
                    _say(console, WORDS["time"].format(t=clock(sitting.limit - sitting.elapsed), m=paper.minutes), lang)
            elif name == "help":
                _say(console, WORDS["commands"](lang).format(resume=sitting.resume), lang, "dim")
            elif name == "append":
                if arg:
                    before = sitting.answers.get(item.number, "").strip()
                    _answer(console, sitting, item, f"{before} {arg}".strip())
                shown = None
            elif name == "clear":
                _answer(console, sitting, item, "")
                shown = None
            elif name == "submit":
                missing = sitting.unanswered()
                if missing and interactive:
                    from dlcalc.quiz.answers import yes_no

                    listed = ", ".join(map(str, missing))
                    reply = read(WORDS["confirm"](lang).format(k=len(missing), list=listed))
                    if reply is None or not yes_no(reply):
                        continue
                _say(console, WORDS["handing_in"], lang, "bold")
                return "submitted"
            elif name == "quit":
                _say(console, WORDS["paused"](lang).format(resume=sitting.resume), lang, "yellow")
                return "paused"
            else:
                _say(console, WORDS["unknown"].format(c=":" + arg), lang, "yellow")
    except KeyboardInterrupt:
        console.print()
        _say(console, WORDS["paused"](lang).format(resume=sitting.resume), lang, "yellow")
        return "paused"


def _clock_value(sitting: Sitting) -> float:
    return sitting.limit - sitting.elapsed if sitting.limit is not None else sitting.elapsed


def _answer(console: Any, sitting: Sitting, item: ExamQuestion, text: str) -> bool:
    """Keep the answer and save it at once; say so (and whether it can be read), never whether it is
    right. False when it cannot be read as it stands."""
    from dlcalc.quiz.history import HistoryWriteError
    from dlcalc.quiz.questions import expected_format

    lang = sitting.lang
    sitting.answers[item.number] = text
    try:
        if sitting.save is not None:
            sitting.save(item.number, text, sitting.elapsed)
    except HistoryWriteError as e:
        sitting.save_errors.append(e.reason)
        _say(console, WORDS["unsaved"].format(reason=e.in_lang(lang)), lang, "bold yellow")
        return True
    if not text:
        return True
    problem = None
    if item.question.kind in ("computed", "choice"):
        from dlcalc.quiz.session import _mark

        reading, _ = _mark(item.question, text)
        problem = reading.problem if reading is not None else None
    if problem is not None:
        message = WORDS["unreadable"].format(problem=problem(lang), format=expected_format(item.question, lang))
        _say(console, message, lang, "yellow")
        return False
    _say(console, "✓ " + WORDS["saved"](lang), lang, "dim")
    return True


def _advance(console: Any, sitting: Sitting) -> None:
    """After an answer: the next question; after the last, the first unanswered one, or the list."""
    n = len(sitting.paper.questions)
    if sitting.at < n:
        sitting.at += 1
        return
    missing = sitting.unanswered()
    if missing:
        _say(console, WORDS["unanswered_left"].format(list=", ".join(map(str, missing))), sitting.lang, "yellow")
        sitting.at = missing[0]
    else:
        show_overview(console, sitting)
        _say(console, WORDS["all_answered"], sitting.lang, "bold")


# --- after handing in ---------------------------------------------------------------------------


def self_mark(console: Any, sitting: Sitting, read: Callable[[str], str | None]) -> dict[int, list[bool] | None]:
    """Each answered concept question: the answer, the reference with the key-point hint, the marks."""
    from rich.text import Text as RichText

    from dlcalc.quiz import keypoints, selfmark

    lang = sitting.lang
    marks: dict[int, list[bool] | None] = {}
    for item in sitting.paper.questions:
        q = item.question
        answer = sitting.answers.get(item.number, "").strip()
        if q.kind != "short" or not answer:
            continue
        console.rule(RichText(WORDS["marking"](lang).format(i=item.number, title=item.section.title(lang))))
        line = RichText(WORDS["your_answer"](lang) + ("：" if lang == "zh" else ": "), style="bold")
        line.append(answer)
        console.print(line)
        hints = keypoints.hint(answer, q)
        selfmark.show_reference(console, q, lang, hints)
        try:
            marks[item.number] = selfmark.ask_marks(read, console, lang, len(item.part_points()), hints)
        except KeyboardInterrupt:  # end of input or Ctrl-C: the rest stay unmarked
            break
    return marks


def show_graded(console: Any, sitting: Sitting, marked: list[Any], timed_out: bool) -> None:
    """The graded paper: each question with its score, every part's verdict, the worked solution."""
    from rich.panel import Panel
    from rich.text import Text as RichText

    from dlcalc.exam.grading import number
    from dlcalc.quiz.questions import solution_of
    from dlcalc.quiz.wrap import for_terminal
    from dlcalc.render.terminal import print_table, render

    lang = sitting.lang
    for m in marked:
        item, q = m.item, m.item.question
        title = RichText(
            WORDS["graded"](lang).format(
                i=item.number, title=item.section.title(lang), score=number(m.score), points=item.points
            ),
            style="bold",
        )
        body = RichText(for_terminal(q.statement(lang), lang, console.width - 4))
        head = WORDS["your_answer"](lang) + ("：" if lang == "zh" else ": ")
        shown = _shorten(m.answer, 2000) if m.answer else WORDS["nothing"](lang)
        body.append("\n\n" + head, style="bold")
        body.append(for_terminal(head + shown, lang, console.width - 4)[len(head) :])
        console.print(Panel(body, title=title, title_align="left"))
        if q.kind == "short":
            from dlcalc.quiz import selfmark

            console.print(RichText(selfmark.WORDS["heading"](lang), style="bold underline"))
            console.print(RichText(for_terminal((q.reference or {}).get(lang, "").strip(), lang, console.width)))
            for v in m.verdicts:
                key = "point_yes" if v.correct else "point_no"
                style = "green" if v.correct else "red"
                console.print(RichText(WORDS[key](lang).format(label=v.label(lang)), style=style))
            if not m.marked:
                console.print(RichText(WORDS["unmarked"](lang), style="yellow"))
            continue
        for v, p in zip(m.verdicts, m.points):
            if v.correct:
                text = WORDS["part_right"](lang).format(label=v.label(lang), answer=v.accepted)
            else:
                text = WORDS["part_wrong"](lang).format(
                    label=v.label(lang), answer=v.answer or "—", accepted=v.accepted
                )
            console.print(RichText(f"{text}  ({number(p)})", style="green" if v.correct else "red"))
        if q.kind == "choice":
            console.print(RichText((q.reference or {}).get(lang, "")))
            continue
        result = solution_of(q)
        if result is not None:
            console.print(RichText(WORDS["worked"](lang), style="bold underline"))
            render(console, result, lang)
    total = sum((m.score for m in marked), 0)
    rows = [
        [
            str(m.item.number),
            m.item.section.title(lang),
            number(m.score),
            str(m.item.points),
            f"{m.right}/{len(m.verdicts)}",
        ]
        for m in marked
    ]
    print_table(console, [c(lang) for c in WORDS["score_cols"]], rows, title=WORDS["by_question"](lang), lang=lang)
    from fractions import Fraction

    console.print(
        RichText(WORDS["score"](lang).format(score=number(Fraction(total)), total=sitting.paper.total), style="bold")
    )
    late = WORDS["late"](lang) if timed_out else ""
    console.print(RichText(WORDS["elapsed"](lang).format(t=clock(sitting.elapsed), late=late), style="dim"))
