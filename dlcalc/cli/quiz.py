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
    if review or export is None:
        from dlcalc.quiz.history import History

        history = History(db)
        boxes = history.boxes() if review else None
    interactive = sys.stdin.isatty() and not json
    questions = build(topic, n, seed, difficulty, boxes)
    if export is not None:
        _export(questions, export.value, out, code, seed)
        return
    _take(questions, history, code, json, interactive, seed)


def _export(questions, kind: str, out: Optional[str], lang: str, seed: int) -> None:
    from dlcalc.errors import DlcalcError
    from dlcalc.quiz import export as ex

    if kind == "anki":
        ex.to_anki(questions, lang, out or f"dlcalc-quiz-{seed}.apkg", seed)
        print(f"wrote {out or f'dlcalc-quiz-{seed}.apkg'} ({len(questions)} cards)", file=sys.stderr)
        return
    text = {
        "json": ex.to_json(questions, lang),
        "md": ex.to_markdown(questions, lang, seed),
        "tex": ex.to_tex(questions, lang, seed),
    }[kind]
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

    from dlcalc.quiz.session import Session, line_reader, print_summary, summary, take

    console = Console(stderr=as_json, highlight=False)
    session = Session(questions, lang)

    def read(prompt: str):
        if interactive:
            try:
                return console.input(prompt)
            except EOFError:
                return None
        console.print(prompt, end="")
        answer = line_reader()(prompt)
        console.print(answer if answer is not None else "")
        return answer

    def record(q, answer, correct):
        history.record(session.quiz_id, q, answer, correct)

    try:
        take(session, console, read, interactive, record)
    finally:
        history.close()
    data = summary(session)
    data["seed"] = seed
    print_summary(console, data, lang)
    if as_json:
        import json as json_module

        from dlcalc.render import jsonable

        print(json_module.dumps(jsonable(data), ensure_ascii=False, indent=2))


@quiz_app.command()
def stats(
    db: DbOpt = None,
    json: Annotated[
        bool, typer.Option("--json", help="One JSON object (total_attempts, by_topic, over_time, weakest).")
    ] = False,
) -> None:
    """Your study history: attempts, accuracy by topic and over time, the weakest topics.

    Example: dlcalc quiz stats
    """
    from dlcalc.quiz.history import History

    history = History(db)
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

    console = Console(highlight=False)
    console.print(f"{data['total_attempts']} answers, {data['right']} right of {data['graded']} graded ({data['db']})")
    table = Table(title="by topic")
    for col in ("topic", "attempts", "right", "accuracy"):
        table.add_column(col)
    for t in data["by_topic"]:
        acc = "—" if t["accuracy"] is None else f"{t['accuracy']:.0%}"
        table.add_row(t["topic"], str(t["attempts"]), str(t["right"]), acc)
    console.print(table)
    days = Table(title="over time")
    for col in ("day", "attempts", "accuracy"):
        days.add_column(col)
    for d in data["over_time"]:
        days.add_row(d["day"], str(d["attempts"]), "—" if d["accuracy"] is None else f"{d['accuracy']:.0%}")
    console.print(days)
    if data["weakest"]:
        console.print("weakest: " + ", ".join(data["weakest"]))
