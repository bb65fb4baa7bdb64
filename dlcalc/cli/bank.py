"""`dlcalc bank list|show|check`: the bilingual problem bank, printed through the shared renderer."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import JsonOpt, Lang, LangOpt, LatexOpt, MdOpt, Output, emit
from dlcalc.errors import DlcalcError
from dlcalc.result import Result, Table
from dlcalc.text import T, Text

bank_app = typer.Typer(help="The problem bank: list, show, and check every stored answer.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")

PathOpt = Annotated[Optional[str], typer.Option("--path", help="A bank folder other than the shipped problems/.")]

WORDS: dict[str, Any] = {
    "bank": T("Problem bank", "题库"),
    "count": T("Problems", "题数"),
    "topic": T("Topic", "主题"),
    "cols": [T("id", "编号"), T("topic", "主题"), T("level", "难度"), T("title", "标题")],
    "statement": T("Statement", "题目"),
    "choices": T("Choices", "选项"),
    "asks": T("Asks", "求"),
    "level": T("Level", "难度"),
    "source": T("Source", "来源"),
    "answer": T("Answer", "答案"),
    "reference": T("Reference answer", "参考答案"),
    "key_points": T("Key points", "要点"),
    "check_title": T("bank check: {n} problems in {s:.1f} s", "bank check：{n} 道题，用时 {s:.1f} 秒"),
    "computed": T("Computed", "计算题"),
    "failed": T("Failed", "未通过"),
    "check_cols": [T("topic", "主题"), T("problems", "题数"), T("failed", "未通过")],
    "all_ok": T(
        "✓ every answer matches its solver and torch; every request is graded",
        "✓ 每个答案都与求解器和 torch 一致；每个所求都有评分",
    ),
    "all_ok_no_torch": T(
        "✓ every answer matches its solver; every request is graded (torch not run: --no-torch)",
        "✓ 每个答案都与求解器一致；每个所求都有评分（未运行 torch 核对：--no-torch）",
    ),
    "wrong": T("wrong: {keys}", "错误：{keys}"),
    "torch": T("torch disagrees", "torch 结果不一致"),
}


def _code(lang: Any) -> str:
    return getattr(lang, "value", lang)


def _topic(topic: Optional[str], lang: str, notes: list[Text]) -> Optional[str]:
    from dlcalc.bank import RENAMED_TOPICS, TOPICS

    if topic is None:
        return None
    if topic in RENAMED_TOPICS:
        notes.append(
            T(
                "note: topic {old!r} is now called {new!r} (the command it exercises)",
                "提示：主题 {old!r} 现在叫 {new!r}（与它练习的命令同名）",
            ).format(old=topic, new=RENAMED_TOPICS[topic])
        )
        topic = RENAMED_TOPICS[topic]
    if topic not in TOPICS:
        raise DlcalcError(
            T("--topic: expected one of {all}, got {t!r}", "--topic：应为 {all} 之一，实际为 {t!r}").format(
                all=", ".join(TOPICS), t=topic
            )(lang)
        )
    return topic


def _say_notes(notes: list[Text], lang: str) -> None:
    import sys

    for note in notes:
        print(note(lang), file=sys.stderr)


def _in_language(lang: str, run: Any) -> None:
    try:
        run()
    except DlcalcError as e:
        e.message = e.in_language(lang)
        raise


@bank_app.command("list")
def list_(
    topic: Annotated[
        Optional[str], typer.Option("--topic", "-t", help="Only this topic (conv, pool, net, …, act, loss, concept).")
    ] = None,
    path: PathOpt = None,
    json: JsonOpt = False,
    md: MdOpt = False,
    latex: LatexOpt = False,
    lang: LangOpt = Lang.en,
) -> None:
    """List the problems: id, topic, difficulty, title (JSON: problems, each {id, topic, title, difficulty, tags, solver}).

    Example: dlcalc bank list --topic conv
    """
    from dlcalc.bank import load_bank

    code = _code(lang)
    notes: list[Text] = []

    def run() -> None:
        out = Output(json=json, md=md, latex=latex, lang=code)
        name = _topic(topic, code, notes)
        problems = [p for p in load_bank(path) if name is None or p.topic == name]
        rows: list[list[Text | str]] = [
            [p.id, p.topic, "★" * p.difficulty, Text(p.title["en"], p.title["zh"])] for p in problems
        ]
        summary: list[tuple[Text, Text | str]] = [(WORDS["count"], str(len(problems)))]
        if name:
            summary.append((WORDS["topic"], name))
        answer = {
            "problems": [
                {
                    "id": p.id,
                    "topic": p.topic,
                    "title": p.title[code],
                    "difficulty": p.difficulty,
                    "tags": p.tags,
                    "solver": p.solver,
                }
                for p in problems
            ]
        }
        title = WORDS["bank"]
        emit(
            Result("bank-list", title, answer, summary, tables=[Table(WORDS["cols"], rows, wrap=3)], show_steps=False),
            out,
        )

    _in_language(code, run)
    _say_notes(notes, code)


def problem_result(problem: Any, lang: str, solution: bool) -> tuple[Result, Result | None]:
    """The problem as a Result (statement, parts asked, source; a concept question's reference and key
    points with --solution), and the solver's worked solution when asked for."""
    from dlcalc.bank import solve

    statement = Text(problem.statement["en"].strip(), problem.statement["zh"].strip())
    summary: list[tuple[Text, Text | str]] = [(WORDS["statement"], statement)]
    if problem.choices:
        choices = {
            code: "\n".join(f"{letter}. {c}" for letter, c in zip("ABCDEFGH", problem.choices[code]))
            for code in ("en", "zh")
        }
        summary.append((WORDS["choices"], Text(choices["en"], choices["zh"])))
    if problem.parts:
        summary.append(
            (
                WORDS["asks"],
                Text("; ".join(p.label.en for p in problem.parts), "、".join(p.label.zh for p in problem.parts)),
            )
        )
    summary += [(WORDS["topic"], problem.topic), (WORDS["level"], "★" * problem.difficulty)]
    summary.append((WORDS["source"], problem.source))
    answer: dict[str, Any] = {
        "id": problem.id,
        "topic": problem.topic,
        "title": problem.title[lang],
        "statement": problem.statement[lang],
        "difficulty": problem.difficulty,
        "tags": problem.tags,
        "source": problem.source,
    }
    if problem.choices:
        answer["choices"] = problem.choices[lang]
    if problem.parts:
        answer["parts"] = [
            {"key": p.key, "label": p.label(lang), "grade": p.grade.spec() if p.grade else None} for p in problem.parts
        ]
    tables: list[Table] = []
    worked = solve(problem) if solution and problem.computed else None
    if solution and not problem.computed:
        if problem.kind == "choice":
            summary.append((WORDS["answer"], str(problem.answer)))
        summary.append((WORDS["reference"], Text(problem.reference["en"].strip(), problem.reference["zh"].strip())))
        points: list[list[Text | str]] = [
            [str(i), Text(e, z)] for i, (e, z) in enumerate(zip(problem.key_points["en"], problem.key_points["zh"]), 1)
        ]
        tables.append(Table([T("#", "#"), WORDS["key_points"]], points, wrap=1))
        answer["solution"] = {
            "answer": problem.answer,
            "reference": problem.reference[lang],
            "key_points": problem.key_points[lang],
        }
    title = Text(f"{problem.id} — {problem.title['en']}", f"{problem.id} — {problem.title['zh']}")
    return Result("bank-problem", title, answer, summary, tables=tables, show_steps=False), worked


@bank_app.command()
def show(
    problem_id: Annotated[str, typer.Argument(metavar="ID", help="The problem's id (see dlcalc bank list).")],
    solution: Annotated[
        bool, typer.Option("--solution", help="Add the worked solution, produced by the solver now.")
    ] = False,
    path: PathOpt = None,
    json: JsonOpt = False,
    md: MdOpt = False,
    latex: LatexOpt = False,
    lang: LangOpt = Lang.en,
) -> None:
    """Show one problem's statement and the parts it asks; --solution works it out with the solver.

    Example: dlcalc bank show conv-alexnet-conv1 --lang zh --solution
    """
    from dlcalc.bank import find, load_bank

    code = _code(lang)

    def run() -> None:
        out = Output(json=json, md=md, latex=latex, lang=code)
        problem = find(load_bank(path), problem_id)
        shown, worked = problem_result(problem, code, solution)
        if worked is None:
            emit(shown, out)
            return
        if json:
            from dlcalc.render import to_dict

            shown.answer["solution"] = to_dict(worked, code)  # carries its own dlcalc and kind
            emit(shown, out)
            return
        if md or latex:  # one document: the problem, then its solution
            from dlcalc.render.latex import to_latex, to_markdown

            if md:
                print(to_markdown(shown, code) + "\n\n" + to_markdown(worked, code))
            else:
                from dlcalc.render.latex import ENGINE, XeEnglish, needs_xelatex, preamble, tex_text

                def document(lang: str) -> str:
                    return "\n".join(
                        [
                            f"% compile with {ENGINE['zh' if lang == 'zh' or isinstance(lang, XeEnglish) else 'en']}",
                            *preamble(lang),
                            r"\begin{document}",
                            rf"\section*{{{tex_text(shown.title(lang), lang)}}}",
                            to_latex(shown, lang),
                            rf"\subsection*{{{tex_text(worked.title(lang), lang)}}}",
                            to_latex(worked, lang),
                            r"\end{document}",
                        ]
                    )

                text = document(code)
                if code != "zh" and needs_xelatex(text):  # CJK in English text: for xelatex with ctex
                    text = document(XeEnglish(code))
                print(text)
            return
        emit(shown, out)
        emit(worked, out)

    _in_language(code, run)


@bank_app.command()
def check(
    path: PathOpt = None,
    no_torch: Annotated[bool, typer.Option("--no-torch", help="Skip the torch cross-check (answers only).")] = False,
    json: JsonOpt = False,
    md: MdOpt = False,
    latex: LatexOpt = False,
    lang: LangOpt = Lang.en,
) -> None:
    """Load every problem, solve it, compare with the stored answer and cross-check with torch.

    Exit 0 when all pass, 1 when an answer is wrong (naming the ids), 2 when a file cannot be loaded.
    Example: dlcalc bank check
    """
    import time
    from collections import Counter

    from dlcalc.bank import check_problem, load_bank
    from dlcalc.errors import CheckFailed

    code = _code(lang)
    failed: list[Any] = []

    def run() -> None:
        out = Output(json=json, md=md, latex=latex, lang=code)
        start = time.perf_counter()
        problems = load_bank(path)
        outcomes = [check_problem(p, with_torch=not no_torch) for p in problems]
        failed.extend(o for o in outcomes if not o.ok)
        seconds = time.perf_counter() - start
        by_topic = Counter(p.topic for p in problems)
        bad_topic = Counter(o.problem.topic for o in failed)
        rows: list[list[Text | str]] = [[t, str(n), str(bad_topic.get(t, 0))] for t, n in sorted(by_topic.items())]
        answer = {
            "problems": len(problems),
            "computed": sum(p.computed for p in problems),
            "failed": [o.problem.id for o in failed],
            "details": [
                {"id": o.problem.id, "wrong": o.wrong, "torch_ok": o.check_ok, "error": o.error} for o in failed
            ],
            "seconds": round(seconds, 2),
            "torch": not no_torch,  # whether the torch cross-check ran
        }
        notes: list[Text] = []
        for o in failed:
            if o.error:
                why: Text = Text(o.error, o.error)
            elif o.wrong:
                why = WORDS["wrong"].format(keys=", ".join(o.wrong))
            else:
                why = WORDS["torch"]
            where = f"✗ {o.problem.id} ({o.problem.path.name}:{o.problem.line}): "
            notes.append(Text(where + why.en, where + why.zh))
        if not failed:
            notes.append(WORDS["all_ok_no_torch" if no_torch else "all_ok"])
        summary: list[tuple[Text, Text | str]] = [
            (WORDS["count"], str(len(problems))),
            (WORDS["computed"], str(answer["computed"])),
            (WORDS["failed"], str(len(failed))),
        ]
        result = Result(
            "bank-check",
            WORDS["check_title"].format(n=len(problems), s=seconds),
            answer,
            summary,
            tables=[Table(WORDS["check_cols"], rows)],
            notes=notes,
            show_steps=False,
        )
        emit(result, out)

    _in_language(code, run)
    if failed:
        raise CheckFailed()
