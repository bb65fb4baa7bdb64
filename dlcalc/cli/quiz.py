"""`dlcalc quiz`: practice quizzes, graded, with worked solutions, a study history and its review."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import JsonOpt, Lang, LangOpt, LatexOpt, MdOpt
from dlcalc.errors import DlcalcError
from dlcalc.text import T

quiz_app = typer.Typer(help="Practice quizzes: generated and bank questions, graded, with worked solutions.")
app.add_typer(quiz_app, name="quiz")

DbOpt = Annotated[
    Optional[str], typer.Option("--db", help="The study-history database.  [default: in your data folder]")
]
TopicOpt = Annotated[
    Optional[list[str]],
    typer.Option("--topic", "-t", help="A topic to include (repeatable): conv, pool, …, act, loss, concept, terms."),
]


class Export(str, Enum):
    json = "json"
    md = "md"
    tex = "tex"
    anki = "anki"


def _code(lang: Any) -> str:
    return getattr(lang, "value", lang)


@contextlib.contextmanager
def _speak(lang: str) -> Iterator[None]:
    """Re-raise a refusal in the command's language (bilingual messages carry both)."""
    try:
        yield
    except DlcalcError as e:
        e.message = e.in_language(lang)
        raise


def _note(text: Any, lang: str) -> None:
    print(text(lang) if callable(text) else text, file=sys.stderr)


@quiz_app.callback(invoke_without_command=True)
def quiz(
    ctx: typer.Context,
    topic: TopicOpt = None,
    n: Annotated[int, typer.Option("--n", "-n", help="Number of questions.")] = 5,
    seed: Annotated[Optional[int], typer.Option("--seed", help="The same seed and options give the same quiz.")] = None,
    difficulty: Annotated[Optional[int], typer.Option("--difficulty", help="1 (easy) to 3 (hard).")] = None,
    review: Annotated[
        bool, typer.Option("--review", help="Favour what the SM-2 schedule says is due or hard (see quiz review).")
    ] = False,
    export: Annotated[Optional[Export], typer.Option("--export", help="Write the quiz instead of taking it.")] = None,
    out: Annotated[
        Optional[str], typer.Option("--out", help="File for --export (stdout if omitted; anki needs one).")
    ] = None,
    out_short: Annotated[Optional[str], typer.Option("-o", hidden=True, help="Old spelling of --out.")] = None,
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
    code = _code(lang)
    notes: list[Any] = []  # said once the command has done its work, so a refusal stays one line
    with _speak(code):
        _quiz(topic, n, seed, difficulty, review, export, out, out_short, db, code, json, notes)
    for note in notes:
        _note(note, code)


def _quiz(topic, n, seed, difficulty, review, export, out, out_short, db, code, json, notes) -> None:
    import random

    from dlcalc.quiz.session import build, topic_names

    if out_short is not None:
        if out is not None:
            raise DlcalcError(T("give --out once (-o is its old spelling)", "--out 只需给一次（-o 是它的旧写法）"))
        out = out_short
        notes.append(T("note: -o is now --out (in conv, -o means output channels)", "提示：-o 现在写作 --out"))
    topics = topic_names(topic, code, notes) if topic else None
    seed = seed if seed is not None else random.SystemRandom().randrange(10**6)
    schedule = None
    history = None
    if export is None:  # taking a quiz writes the history: open (and check) it before question 1
        history = _open_history(db, code)
        schedule = history.schedule() if review else None
    elif review:  # an export only reads the schedule
        reader = _open_history(db, code, readonly=True)
        try:
            schedule = reader.schedule()
        finally:
            reader.close()
    interactive = sys.stdin.isatty() and not json
    try:
        questions = build(topics, n, seed, difficulty, schedule)
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
    from dlcalc.quiz.history import History, HistoryError

    try:
        return History(db, readonly=readonly)
    except HistoryError as e:
        raise DlcalcError(e.in_lang(lang)) from None


def _export(questions, kind: str, out: Optional[str], lang: str, seed: int) -> None:
    from dlcalc.quiz import export as ex

    if kind == "anki":
        path = out or f"dlcalc-quiz-{seed}.apkg"
        terms = ex.to_anki(questions, lang, path, seed)
        _note(
            T(
                "wrote {p} ({n} quiz cards; glossary deck: {t} terms, both directions)",
                "已写入 {p}（{n} 张测验卡片；术语卡组：{t} 个术语，双向）",
            ).format(p=path, n=len(questions), t=terms),
            lang,
        )
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
        raise DlcalcError(
            T("--out: cannot write {p!r} ({e})", "--out：无法写入 {p!r}（{e}）").format(p=out, e=e.strerror)
        ) from None


def _take(questions, history, lang: str, as_json: bool, interactive: bool, seed: int, kind: str = "quiz") -> None:
    from rich.console import Console
    from rich.text import Text

    from dlcalc.quiz.reports import score_result
    from dlcalc.quiz.session import Session, line_reader, summary, take
    from dlcalc.render.terminal import render

    console = Console(stderr=as_json, highlight=False)
    session = Session(questions, lang)
    for notice in history.notices:
        console.print(Text(notice(lang) if callable(notice) else notice, style="dim"))
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
    render(console, score_result(data), lang)
    import json as json_module

    from dlcalc.render import JSON_SCHEMA_VERSION, jsonable

    if as_json:
        print(
            json_module.dumps(
                {"dlcalc": JSON_SCHEMA_VERSION, "kind": kind, **jsonable(data)}, ensure_ascii=False, indent=2
            )
        )
    if session.unsaved:
        _offer_export(session, data, console, interactive, as_json, lang)


def _offer_export(session, data, console, interactive: bool, as_json: bool, lang: str) -> None:
    """Answers the history could not take: offer them as a file (or print them), then exit 2."""
    import json as json_module

    from rich.text import Text

    from dlcalc.render import JSON_SCHEMA_VERSION, jsonable

    reason = session.save_errors[0]
    if lang == "zh":
        from dlcalc.quiz.history import REASONS_ZH

        reason = REASONS_ZH.get(reason, reason)
    count = len(session.unsaved)
    text = json_module.dumps(
        {"dlcalc": JSON_SCHEMA_VERSION, "kind": "quiz", **jsonable(data)}, ensure_ascii=False, indent=2
    )
    where = None
    if interactive:
        ask = T(
            "{n} answer(s) could not be saved ({r}). Save this quiz as JSON to a file (Enter to skip): ",
            "{n} 个答案无法保存（{r}）。把本次测验存为 JSON 文件（回车跳过）：",
        ).format(n=count, r=reason)(lang)
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
                console.print(
                    Text(
                        T("cannot write {p!r} ({e}); here it is:", "无法写入 {p!r}（{e}）；内容如下：").format(
                            p=path, e=e.strerror
                        )(lang),
                        style="yellow",
                    )
                )
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


def _output(json: bool, md: bool, latex: bool, lang: str):
    from dlcalc.cli.options import Output

    return Output(json=json, md=md, latex=latex, lang=lang)


@quiz_app.command()
def stats(
    db: DbOpt = None,
    png: Annotated[
        Optional[str], typer.Option("--png", help="Also draw accuracy per topic and over time to this PNG file.")
    ] = None,
    json: Annotated[
        bool,
        typer.Option("--json", help="One JSON object (total_attempts, by_topic, over_time, weakest, due, …)."),
    ] = False,
    md: MdOpt = False,
    latex: LatexOpt = False,
    lang: LangOpt = Lang.en,
) -> None:
    """Your study history: questions answered, accuracy by topic and over time (a chart), the weakest topics.

    Read-only: the history is never changed, and a file that does not exist is refused.
    Example: dlcalc quiz stats --png progress.png
    """
    from dlcalc.cli.options import emit
    from dlcalc.quiz.reports import stats_png, stats_result

    code = _code(lang)
    with _speak(code):
        out = _output(json, md, latex, code)
        history = _open_history(db, code, readonly=True)
        try:
            data = history.stats()
        finally:
            history.close()
        emit(stats_result(data, ascii_only=json or md or latex, db=db), out)
        if png is not None:
            if not data["total_attempts"]:
                raise DlcalcError(T("--png: no history yet to draw", "--png：还没有可画的学习记录"))
            stats_png(png, data, code)
            _note(T("wrote {p}", "已写入 {p}").format(p=png), code)


@quiz_app.command()
def history(
    wrong: Annotated[bool, typer.Option("--wrong", help="Only answers with a part wrong.")] = False,
    topic: Annotated[
        Optional[str], typer.Option("--topic", "-t", help="Only this topic (conv, lstm, terms, …).")
    ] = None,
    since: Annotated[
        Optional[str], typer.Option("--since", help="Only answers from this date on (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many answers, newest first.")] = 50,
    db: DbOpt = None,
    json: JsonOpt = False,
    md: MdOpt = False,
    latex: LatexOpt = False,
    lang: LangOpt = Lang.en,
) -> None:
    """Past questions and your answers, newest first, every part with its verdict (in --json).

    Read-only, like quiz stats.
    Example: dlcalc quiz history --wrong --topic conv --since 2025-01-01
    """
    from datetime import datetime, timezone

    from dlcalc.cli.options import emit
    from dlcalc.quiz.reports import history_result
    from dlcalc.quiz.session import topic_names

    code = _code(lang)
    with _speak(code):
        out = _output(json, md, latex, code)
        if limit < 1:
            raise DlcalcError(
                T("--limit: expected 1 or more, got {n}", "--limit：应为 1 或更大，实际为 {n}").format(n=limit)
            )
        when = None
        if since is not None:
            try:
                when = datetime.fromisoformat(since.strip())
            except ValueError:
                raise DlcalcError(
                    T(
                        "--since: expected a date as YYYY-MM-DD, got {s!r}",
                        "--since：日期应写成 YYYY-MM-DD，实际为 {s!r}",
                    ).format(s=since)
                ) from None
            when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        notes: list[Any] = []
        name = topic_names([topic], code, notes)[0] if topic else None
        reader = _open_history(db, code, readonly=True)
        try:
            rows = reader.attempts(wrong=wrong, topic=name, since=when, limit=limit)
            path = str(reader.path)
        finally:
            reader.close()
        emit(history_result(rows, code, wrong, name, when, path, db), out)
    for note in notes:
        _note(note, code)


@quiz_app.command()
def review(
    n: Annotated[int, typer.Option("--n", "-n", help="Number of questions.")] = 10,
    seed: Annotated[
        Optional[int], typer.Option("--seed", help="The same seed and history give the same review.")
    ] = None,
    db: DbOpt = None,
    lang: LangOpt = Lang.en,
    json: Annotated[
        bool, typer.Option("--json", help="Questions and feedback on stderr, one JSON result on stdout.")
    ] = False,
) -> None:
    """Review what is due: SM-2 spaced repetition over your history, topics you get wrong first.

    Each answer's parts give its SM-2 quality (all right 5 … all wrong 1, blank 0; see README); the
    item then comes back after 1, 6, then ⌈interval × ease⌉ days, or tomorrow after a lapse. When
    fewer than --n items are due, new questions from your weakest topics fill the review.
    Example: dlcalc quiz review --n 10
    """
    import random

    from rich.console import Console
    from rich.text import Text

    from dlcalc.quiz.history import now
    from dlcalc.quiz.session import build_review

    code = _code(lang)
    with _speak(code):
        seed = seed if seed is not None else random.SystemRandom().randrange(10**6)
        from pathlib import Path

        from dlcalc.quiz.history import default_path

        missing = not (Path(db) if db is not None else default_path()).is_file()
        if missing and db is not None:  # a mistyped --db is refused as stats and history refuse it, never created
            _open_history(db, code, readonly=True).close()
        history = None if missing else _open_history(db, code)
        try:
            stats: dict[str, Any] = history.stats() if history is not None else {"total_attempts": 0}
            if not stats["total_attempts"]:
                if history is not None:
                    history.close()
                from dlcalc.quiz.hints import command

                Console(stderr=json, highlight=False).print(
                    Text(
                        T(
                            "No history yet: nothing to review. Take a quiz first ({quiz}), or sit a mock exam ({exam}).",
                            "还没有学习记录，没有可复习的内容。先做一次测验（{quiz}）或模拟考试（{exam}）。",
                        )(code).format(quiz=command("dlcalc quiz", db, code), exam=command("dlcalc exam", db, code))
                    )
                )
                return
            assert history is not None  # no history file means no attempts (returned above)
            accuracy = {t["topic"]: t["accuracy"] for t in stats["by_topic"]}
            plan = build_review(history.schedule(), accuracy, n, seed, now())
        except BaseException:
            if history is not None:
                history.close()
            raise
        assert history is not None
        console = Console(stderr=json, highlight=False)
        if not plan.questions:
            history.close()
            when = plan.next_due.date().isoformat() if plan.next_due else "—"
            console.print(
                Text(
                    T(
                        "Nothing is due and every topic is answered right. Next review: {d}.",
                        "没有到期的内容，各主题也都答对了。下次复习：{d}。",
                    ).format(d=when)(code)
                )
            )
            return
        head = T(
            "Review: {due} item(s) due; {k} question(s) now{weak}.",
            "复习：{due} 项到期；本次 {k} 题{weak_zh}。",
        ).format(
            due=plan.due,
            k=len(plan.questions),
            weak=f", new ones from your weakest topics ({', '.join(plan.weak)})" if plan.weak else "",
            weak_zh=f"，另从最薄弱的主题（{'、'.join(plan.weak)}）出新题" if plan.weak else "",
        )
        console.print(Text(head(code), style="bold"))
        _take(plan.questions, history, code, json, sys.stdin.isatty() and not json, seed, kind="quiz-review")
