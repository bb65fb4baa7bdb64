"""`dlcalc quiz`: practice quizzes, graded, with worked solutions and a study history."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Lang, LangOpt

quiz_app = typer.Typer(help="Practice quizzes: generated and bank questions, graded, with worked solutions.")
app.add_typer(quiz_app, name="quiz")

DbOpt = Annotated[
    Optional[str], typer.Option("--db", help="The study-history database.  [default: in your data folder]")
]


class Export(str, Enum):
    json = "json"
    md = "md"
    tex = "tex"
    anki = "anki"


@quiz_app.callback(invoke_without_command=True)
def quiz(
    ctx: typer.Context,
    topic: Annotated[
        Optional[list[str]], typer.Option("--topic", "-t", help="A topic to include (repeatable).")
    ] = None,
    n: Annotated[int, typer.Option("--n", "-n", help="Number of questions.")] = 5,
    seed: Annotated[Optional[int], typer.Option("--seed", help="The same seed and options give the same quiz.")] = None,
    difficulty: Annotated[Optional[int], typer.Option("--difficulty", help="1 (easy) to 3 (hard).")] = None,
    review: Annotated[bool, typer.Option("--review", help="Favour what you got wrong before (Leitner boxes).")] = False,
    export: Annotated[Optional[Export], typer.Option("--export", help="Write the quiz instead of taking it.")] = None,
    out: Annotated[
        Optional[str], typer.Option("--out", "-o", help="File for --export (stdout if omitted; anki needs one).")
    ] = None,
    db: DbOpt = None,
    lang: LangOpt = Lang.en,
    json: Annotated[
        bool, typer.Option("--json", help="Questions and feedback on stderr, one JSON result on stdout.")
    ] = False,
) -> None:
    """Take a quiz: questions drawn from the bank and generated with fresh numbers, graded as you go.

    Example: dlcalc quiz --topic conv --topic lstm --n 5 --seed 7
    Scripted: printf '96x55x55\\n...' | dlcalc quiz --seed 7 --json
    """
    if ctx.invoked_subcommand is not None:
        return
    import random

    from dlcalc.quiz.session import build

    code = getattr(lang, "value", lang)
    seed = seed if seed is not None else random.SystemRandom().randrange(10**6)
    boxes = None
    history = None
    if export is None:  # taking a quiz writes the history: open (and check) it before question 1
        history = _open_history(db, code)
        boxes = history.boxes() if review else None
    elif review:  # an export only reads the schedule
        reader = _open_history(db, code, readonly=True)
        try:
            boxes = reader.boxes()
        finally:
            reader.close()
    interactive = sys.stdin.isatty() and not json
    try:
        questions = build(topic, n, seed, difficulty, boxes)
    except BaseException:
        if history is not None:
            history.close()
        raise
    if export is not None:
        _export(questions, export.value, out, code, seed)
        return
    _take(questions, history, code, json, interactive, seed)


def _open_history(db: Optional[str], lang: str, readonly: bool = False):
    """The history, checked; its refusal in the user's language."""
    from dlcalc.errors import DlcalcError
    from dlcalc.quiz.history import History, HistoryError

    try:
        return History(db, readonly=readonly)
    except HistoryError as e:
        raise DlcalcError(e.in_lang(lang)) from None


def _export(questions, kind: str, out: Optional[str], lang: str, seed: int) -> None:
    from dlcalc.errors import DlcalcError
    from dlcalc.quiz import export as ex

    if kind == "anki":
        ex.to_anki(questions, lang, out or f"dlcalc-quiz-{seed}.apkg", seed)
        print(f"wrote {out or f'dlcalc-quiz-{seed}.apkg'} ({len(questions)} cards)", file=sys.stderr)
        return
    text = {
        "json": ex.to_json,
        "md": ex.to_markdown,
        "tex": ex.to_tex,
    }[kind](questions, lang, seed)
    if out is None:
        print(text)
        return
    try:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise DlcalcError(f"--out: cannot write {out!r} ({e.strerror})") from None


def _take(questions, history, lang: str, as_json: bool, interactive: bool, seed: int) -> None:
    from rich.console import Console
    from rich.text import Text

    from dlcalc.quiz.session import Session, line_reader, print_summary, summary, take

    console = Console(stderr=as_json, highlight=False)
    session = Session(questions, lang)
    for notice in history.notices:
        console.print(Text(notice, style="dim"))
    if interactive and hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")  # bytes that are not UTF-8 are an answer, not a crash
    lines = line_reader()

    def read(prompt: str):
        if interactive:
            try:
                return console.input(Text(prompt))
            except EOFError:
                return None
        console.print(Text(prompt), end="")
        answer = lines(prompt)
        shown = answer if answer is None or len(answer) <= 500 else answer[:500] + "…"
        console.print(Text(shown if shown is not None else ""))  # echoed as typed: text, never markup
        return answer

    def record(q, answer, verdicts):
        history.record(session.quiz_id, q, answer, verdicts, lang)

    try:
        take(session, console, read, interactive, record)
    finally:
        history.close()
    data = summary(session)
    data["seed"] = seed
    print_summary(console, data, lang)
    import json as json_module

    from dlcalc.render import jsonable

    if as_json:
        print(json_module.dumps(jsonable(data), ensure_ascii=False, indent=2))
    if session.unsaved:
        _offer_export(session, data, console, interactive, as_json, lang)


def _offer_export(session, data, console, interactive: bool, as_json: bool, lang: str) -> None:
    """Answers the history could not take: offer them as a file (or print them), then exit 2."""
    import json as json_module

    from rich.text import Text

    from dlcalc.errors import DlcalcError
    from dlcalc.render import jsonable

    reason = session.save_errors[0]
    if lang == "zh":
        from dlcalc.quiz.history import REASONS_ZH

        reason = REASONS_ZH.get(reason, reason)
    count = len(session.unsaved)
    text = json_module.dumps(jsonable(data), ensure_ascii=False, indent=2)
    where = None
    if interactive:
        ask = (
            f"{count} answer(s) could not be saved ({reason}). Save this quiz as JSON to a file (Enter to skip): "
            if lang == "en"
            else f"{count} 个答案无法保存（{reason}）。把本次测验存为 JSON 文件（回车跳过）："
        )
        try:
            path = console.input(Text(ask, style="bold yellow")).strip()
        except (EOFError, KeyboardInterrupt):
            path = ""
        if path:
            try:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                where = path
            except OSError as e:
                console.print(Text(f"cannot write {path!r} ({e.strerror}); here it is:", style="yellow"))
        if where is None:
            print(text)
            where = "the output above" if lang == "en" else "上面的输出中"
    elif not as_json:
        print(text)
        where = "the JSON above" if lang == "en" else "上面的 JSON 中"
    else:
        where = "the JSON on stdout" if lang == "en" else "标准输出的 JSON 中"
    if lang == "zh":
        raise DlcalcError(f"有 {count} 个答案无法存入历史记录（{reason}）；它们在{where}")
    raise DlcalcError(f"could not save {count} answer(s) to the history ({reason}); they are in {where}")


STATS_WORDS = {
    "en": {
        "head": "{n} questions answered; {right} of {graded} parts right ({db})",
        "by_topic": "by topic",
        "over_time": "over time",
        "cols": ("topic", "questions", "parts right", "accuracy"),
        "day_cols": ("day", "questions", "accuracy"),
        "weakest": "weakest: ",
    },
    "zh": {
        "head": "共答 {n} 题；{graded} 个小问中答对 {right} 个（{db}）",
        "by_topic": "按主题",
        "over_time": "按日期",
        "cols": ("主题", "题数", "答对小问", "正确率"),
        "day_cols": ("日期", "题数", "正确率"),
        "weakest": "最薄弱：",
    },
}


@quiz_app.command()
def stats(
    db: DbOpt = None,
    lang: LangOpt = Lang.en,
    json: Annotated[
        bool, typer.Option("--json", help="One JSON object (total_attempts, by_topic, over_time, weakest).")
    ] = False,
) -> None:
    """Your study history: questions answered, parts right by topic and over time, the weakest topics.

    Read-only: the history is never changed, and a file that does not exist is refused.
    Example: dlcalc quiz stats
    """
    code = getattr(lang, "value", lang)
    history = _open_history(db, code, readonly=True)
    try:
        data = history.stats()
    finally:
        history.close()
    if json:
        import json as json_module

        print(json_module.dumps(data, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    words = STATS_WORDS[code]
    console = Console(highlight=False)
    head = words["head"].format(n=data["total_attempts"], right=data["right"], graded=data["graded"], db=data["db"])
    console.print(Text(head, overflow="fold"))  # stored text (topics, the path) is data, never markup
    table = Table(title=words["by_topic"])
    for col in words["cols"]:
        table.add_column(col)
    for t in data["by_topic"]:
        acc = "—" if t["accuracy"] is None else f"{t['accuracy']:.0%}"
        table.add_row(Text(t["topic"]), str(t["attempts"]), f"{t['right']}/{t['graded']}", acc)
    console.print(table)
    days = Table(title=words["over_time"])
    for col in words["day_cols"]:
        days.add_column(col)
    for d in data["over_time"]:
        days.add_row(Text(str(d["day"])), str(d["attempts"]), "—" if d["accuracy"] is None else f"{d['accuracy']:.0%}")
    console.print(days)
    if data["weakest"]:
        console.print(Text(words["weakest"] + ", ".join(data["weakest"]), overflow="fold"))
