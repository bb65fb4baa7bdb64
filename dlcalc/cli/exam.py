"""`dlcalc exam`: a mock final in the course's structure — sat in the terminal, printed, or as JSON."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Lang, LangOpt
from dlcalc.errors import DlcalcError
from dlcalc.text import T


@app.command()
def exam(
    seed: Annotated[Optional[int], typer.Option("--seed", help="The same seed gives the same paper.")] = None,
    minutes: Annotated[int, typer.Option("--minutes", help="The time limit (0: none).")] = 120,
    paper: Annotated[bool, typer.Option("--paper", help="Print the paper instead of sitting it.")] = False,
    key: Annotated[bool, typer.Option("--key", help="With --paper: add the answer key and worked solutions.")] = False,
    pdf: Annotated[
        Optional[str],
        typer.Option("--pdf", help="Write the paper to FILE and its answer key to FILE-key.pdf (needs a TeX engine)."),
    ] = None,
    tex: Annotated[Optional[str], typer.Option("--tex", help="Write the LaTeX source: FILE and FILE-key.tex.")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Carry on with the last exam you stopped (or that was killed).")
    ] = False,
    db: Annotated[
        Optional[str], typer.Option("--db", help="The study-history database.  [default: in your data folder]")
    ] = None,
    lang: LangOpt = Lang.en,
    json: Annotated[
        bool,
        typer.Option("--json", help="The paper (with --paper) or the graded result as one JSON object on stdout."),
    ] = False,
) -> None:
    """Sit a mock final exam: one question per part of the course's final, with points and a clock.

    Computation questions are drawn fresh (perceptron, feature maps, backprop, RNN), concept ones come
    from the bank. Move with :n, :p, :5; change an answer by typing it again; :submit hands in; then
    mark your concept answers (with a key-point hint) and get the graded paper with worked solutions.
    Every answer is saved as you type it: a killed exam resumes with --resume.
    Example: dlcalc exam --seed 7 --lang zh
    Print it: dlcalc exam --seed 7 --pdf final.pdf   (final.pdf and final-key.pdf)
    """
    code = getattr(lang, "value", lang)
    try:
        _exam(seed, minutes, paper, key, pdf, tex, resume, db, code, json)
    except DlcalcError as e:
        e.message = e.in_language(code)
        raise


def _exam(seed, minutes, paper_only, key, pdf, tex, resume, db, lang, as_json) -> None:
    import random

    from dlcalc.exam.paper import build_paper

    if key and not paper_only:
        raise DlcalcError(T("--key goes with --paper (the PDF key is written anyway)", "--key 需与 --paper 一起使用"))
    if resume and (paper_only or pdf or tex or seed is not None):
        raise DlcalcError(
            T(
                "--resume carries on a stopped exam: no --seed, --paper, --pdf or --tex",
                "--resume 继续未完成的考试：不能与 --seed、--paper、--pdf、--tex 同用",
            )
        )
    if pdf is not None or tex is not None:
        from dlcalc.exam.typeset import write

        chosen = seed if seed is not None else random.SystemRandom().randrange(10**6)
        for line in write(build_paper(chosen, minutes), lang, pdf=pdf, tex=tex):
            print(line(lang), file=sys.stderr)
        return
    if paper_only:
        chosen = seed if seed is not None else random.SystemRandom().randrange(10**6)
        sheet = build_paper(chosen, minutes)
        if as_json:
            import json as json_module

            from dlcalc.exam.view import paper_data
            from dlcalc.render import JSON_SCHEMA_VERSION, jsonable

            data = {"dlcalc": JSON_SCHEMA_VERSION, "kind": "exam-paper", **paper_data(sheet, lang, key)}
            print(json_module.dumps(jsonable(data), ensure_ascii=False, indent=2))
            return
        from rich.console import Console

        from dlcalc.exam.view import print_paper

        print_paper(Console(highlight=False), sheet, lang, key)
        return
    _sit(seed, minutes, resume, db, lang, as_json)


def _open(db: Optional[str], lang: str):
    from dlcalc.quiz.history import History, HistoryError

    try:
        return History(db)
    except HistoryError as e:
        raise DlcalcError(e.in_lang(lang)) from None


def _sit(seed, minutes, resume, db, lang, as_json) -> None:
    import random
    import uuid

    from rich.console import Console
    from rich.text import Text

    from dlcalc.exam.paper import build_paper
    from dlcalc.exam.sitting import Sitting, show_intro, sit
    from dlcalc.quiz.hints import command

    history = _open(db, lang)
    console = Console(stderr=as_json, highlight=False)
    try:
        for notice in history.notices:
            console.print(Text(notice(lang), style="dim"))
        if resume:
            waiting = history.exams(unfinished=True)
            if not waiting:
                raise DlcalcError(
                    T(
                        "--resume: no unfinished exam in {db} (start one with {start})",
                        "--resume：{db} 中没有未完成的考试（用 {start} 开始一场）",
                    ).format(db=str(history.path), start=command("dlcalc exam", db, lang))
                )
            row = waiting[0]
            sheet = build_paper(row["seed"], row["minutes"])
            exam_id = row["id"]
            answers = {n: a["answer"] for n, a in row["answers"].items()}
            elapsed = float(row["elapsed"])
        else:
            chosen = seed if seed is not None else random.SystemRandom().randrange(10**6)
            sheet = build_paper(chosen, minutes)
            exam_id, answers, elapsed = uuid.uuid4().hex[:12], {}, 0.0
            waiting = history.exams(unfinished=True)
            if waiting:
                console.print(
                    Text(
                        T(
                            "note: {k} unfinished exam(s) in this history (the last: seed {s}, {a} answered); "
                            "{resume} carries on with it",
                            "提示：历史中有 {k} 场未完成的考试（最近一场：种子 {s}，已答 {a} 题）；{resume} 可继续",
                        ).format(
                            k=len(waiting),
                            s=waiting[0]["seed"],
                            a=len(waiting[0]["answers"]),
                            resume=command("dlcalc exam --resume", db, lang),
                        )(lang),
                        style="dim",
                    )
                )
            history.start_exam(exam_id, sheet.seed, lang, sheet.minutes, len(sheet.questions))
    except BaseException:
        history.close()
        raise
    by_number = {q.number: q for q in sheet.questions}

    def save(number: int, answer: str, spent: float) -> None:
        history.save_exam_answer(exam_id, number, by_number[number].question.id, answer, spent)

    sitting = Sitting(
        sheet, exam_id, lang, dict(answers), elapsed, save=save, resume=command("dlcalc exam --resume", db, lang)
    )
    interactive = sys.stdin.isatty() and not as_json
    read = _reader(console, interactive)
    try:
        if resume:
            missing = sitting.unanswered()
            sitting.at = missing[0] if missing else 1
            console.print(
                Text(
                    T(
                        "Resuming exam {id} (seed {s}): {a} of {n} answered.",
                        "继续考试 {id}（种子 {s}）：已答 {a}/{n} 题。",
                    ).format(id=exam_id, s=sheet.seed, a=len(sheet.questions) - len(missing), n=len(sheet.questions))(
                        lang
                    ),
                    style="bold",
                )
            )
        show_intro(console, sitting)
        outcome = sit(sitting, console, read, interactive)
        if outcome == "paused":
            _quietly(lambda: history.exam_elapsed(exam_id, sitting.elapsed))
            return
        _hand_in(sitting, history, console, read, outcome == "timeout", as_json)
    finally:
        history.close()


def _quietly(write: Any) -> None:
    from dlcalc.quiz.history import HistoryWriteError

    try:
        write()
    except HistoryWriteError:
        pass


def _reader(console: Any, interactive: bool):
    from rich.text import Text

    from dlcalc.quiz.session import line_reader

    if interactive and hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")
    lines = line_reader()

    def read(prompt: str):
        if interactive:
            try:
                return console.input(Text(prompt, style="bold"))
            except EOFError:
                return None
        console.print(Text(prompt, style="bold"), end="")
        answer = lines(prompt)
        shown = answer if answer is None or len(answer) <= 500 else answer[:500] + "…"
        console.print(Text(shown if shown is not None else ""))  # echoed as typed: text, never markup
        return answer

    return read


def _hand_in(sitting, history, console, read, timed_out: bool, as_json: bool) -> None:
    import json as json_module
    from fractions import Fraction

    from rich.text import Text

    from dlcalc.exam.grading import grade, result_data
    from dlcalc.exam.sitting import self_mark, show_graded
    from dlcalc.quiz.history import HistoryWriteError
    from dlcalc.render import JSON_SCHEMA_VERSION, jsonable

    lang = sitting.lang
    marks = self_mark(console, sitting, read)
    marked = [
        grade(item, sitting.answers.get(item.number, ""), marks.get(item.number)) for item in sitting.paper.questions
    ]
    errors: list[str] = list(sitting.save_errors)
    for m in marked:
        try:
            history.record(sitting.exam, m.item.question, m.answer, m.verdicts, lang)
        except HistoryWriteError as e:
            errors.append(e.reason)
    score = sum((m.score for m in marked), Fraction(0))
    try:
        history.hand_in(sitting.exam, float(score), sitting.paper.total, sitting.elapsed)
    except HistoryWriteError as e:
        errors.append(e.reason)
    show_graded(console, sitting, marked, timed_out)
    data = result_data(sitting.paper, marked, sitting.exam, lang, sitting.elapsed, timed_out)
    text = json_module.dumps(
        {"dlcalc": JSON_SCHEMA_VERSION, "kind": "exam-result", **jsonable(data)}, ensure_ascii=False, indent=2
    )
    if as_json:
        print(text)
    if errors:
        if not as_json:
            print(text)
        from dlcalc.quiz.history import REASONS_ZH

        reason = REASONS_ZH.get(errors[0], errors[0]) if lang == "zh" else errors[0]
        console.print(Text("", style=""))
        raise DlcalcError(
            T(
                "could not save the exam to the history ({r}); the graded result is in the JSON on stdout",
                "无法把考试存入历史记录（{r}）；评分结果在标准输出的 JSON 中",
            ).format(r=reason)
        )
