"""`dlcalc bank list|show|check`: the bilingual problem bank."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Lang, LangOpt

bank_app = typer.Typer(help="The problem bank: list, show, and check every stored answer.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")

PathOpt = Annotated[Optional[str], typer.Option("--path", help="A bank folder other than the shipped problems/.")]


@bank_app.command("list")
def list_(
    topic: Annotated[
        Optional[str], typer.Option("--topic", help="Only this topic (conv, pool, net, …, concept).")
    ] = None,
    lang: LangOpt = Lang.en,
    json: Annotated[bool, typer.Option("--json", help="A JSON list of {id, topic, title, difficulty, tags}.")] = False,
    path: PathOpt = None,
) -> None:
    """List the problems: id, topic, difficulty, title.

    Example: dlcalc bank list --topic conv
    """
    from dlcalc.bank import TOPICS, load_bank
    from dlcalc.errors import DlcalcError

    if topic is not None and topic not in TOPICS:
        raise DlcalcError(f"--topic: expected one of {', '.join(TOPICS)}, got {topic!r}")
    code = getattr(lang, "value", lang)
    problems = [p for p in load_bank(path) if topic is None or p.topic == topic]
    if json:
        import json as json_module

        rows = [
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
        print(json_module.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{len(problems)} problems")
    for col in ("id", "topic", "level", "title"):
        table.add_column(col, no_wrap=col != "title")
    for p in problems:  # bank text is data: Text() so brackets print as typed, never as markup
        table.add_row(Text(p.id), Text(p.topic), "★" * p.difficulty, Text(p.title[code]))
    Console(highlight=False).print(table)


@bank_app.command()
def show(
    problem_id: Annotated[str, typer.Argument(metavar="ID", help="The problem's id (see dlcalc bank list).")],
    lang: LangOpt = Lang.en,
    solution: Annotated[
        bool, typer.Option("--solution", help="Add the worked solution, produced by the solver now.")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help="The problem (and solution) as JSON.")] = False,
    path: PathOpt = None,
) -> None:
    """Show one problem's statement; --solution works it out with the solver.

    Example: dlcalc bank show conv-alexnet-conv1 --lang zh --solution
    """
    from dlcalc.bank import find, load_bank, solve

    code = getattr(lang, "value", lang)
    problem = find(load_bank(path), problem_id)
    result = solve(problem) if solution and problem.computed else None
    if json:
        import json as json_module

        from dlcalc.render import to_dict

        data = {
            "id": problem.id,
            "topic": problem.topic,
            "title": problem.title[code],
            "statement": problem.statement[code],
            "difficulty": problem.difficulty,
            "tags": problem.tags,
            "source": problem.source,
        }
        if problem.choices:
            data["choices"] = problem.choices[code]
        if problem.parts:
            data["parts"] = [
                {"key": p.key, "label": p.label(code), "grade": p.grade.spec() if p.grade else None}
                for p in problem.parts
            ]
        if solution:
            data["solution"] = (
                to_dict(result, code)
                if result is not None
                else {
                    "answer": problem.answer,
                    "reference": problem.reference[code],
                    "key_points": problem.key_points[code],
                }
            )
        print(json_module.dumps(data, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    console = Console(highlight=False)
    body = Text(problem.statement[code].strip())
    if problem.choices:
        for letter, choice in zip("ABCDEFGH", problem.choices[code]):
            body.append(f"\n  {letter}. {choice}")
    meta = Text(f"{problem.topic} · {'★' * problem.difficulty}")
    title = Text(problem.id, style="bold")
    title.append(f" — {problem.title[code]}")
    console.print(Panel(body, title=title, subtitle=meta, expand=False))
    if problem.parts:
        asked = ("、" if code == "zh" else "; ").join(p.label(code) for p in problem.parts)
        console.print(Text(("求：" if code == "zh" else "Asks: ") + asked, style="bold"))
    console.print(Text(("来源：" if code == "zh" else "Source: ") + problem.source, style="dim"))
    if not solution:
        return
    if result is not None:
        from dlcalc.render.terminal import render

        render(console, result, code)
        return
    heading = {"en": ("Answer", "Reference answer", "Key points"), "zh": ("答案", "参考答案", "要点")}[code]
    if problem.kind == "choice":
        console.print(Text(f"{heading[0]}: {problem.answer}", style="bold green"))
    console.print(Text(heading[1], style="bold underline"))
    console.print(Text(problem.reference[code].strip()))
    console.print(Text(heading[2], style="bold underline"))
    for point in problem.key_points[code]:
        console.print(Text(f"• {point}"))


@bank_app.command()
def check(
    path: PathOpt = None,
    no_torch: Annotated[bool, typer.Option("--no-torch", help="Skip the torch cross-check (answers only).")] = False,
    json: Annotated[bool, typer.Option("--json", help="A JSON summary.")] = False,
) -> None:
    """Load every problem, solve it, compare with the stored answer and cross-check with torch.

    Exit 0 when all pass, 1 when an answer is wrong (naming the ids), 2 when a file cannot be loaded.
    Example: dlcalc bank check
    """
    import time

    from dlcalc.bank import check_problem, load_bank
    from dlcalc.errors import CheckFailed

    start = time.perf_counter()
    problems = load_bank(path)
    outcomes = [check_problem(p, with_torch=not no_torch) for p in problems]
    failed = [o for o in outcomes if not o.ok]
    seconds = time.perf_counter() - start
    if json:
        import json as json_module

        print(
            json_module.dumps(
                {
                    "problems": len(problems),
                    "computed": sum(p.computed for p in problems),
                    "failed": [o.problem.id for o in failed],
                    "details": [
                        {"id": o.problem.id, "wrong": o.wrong, "torch_ok": o.check_ok, "error": o.error} for o in failed
                    ],
                    "seconds": round(seconds, 2),
                },
                indent=2,
            )
        )
    else:
        from collections import Counter

        from rich.console import Console
        from rich.table import Table

        by_topic = Counter(p.topic for p in problems)
        bad_topic = Counter(o.problem.topic for o in failed)
        table = Table(title=f"bank check: {len(problems)} problems in {seconds:.1f} s")
        for col in ("topic", "problems", "failed"):
            table.add_column(col)
        for topic_name, n in sorted(by_topic.items()):
            table.add_row(topic_name, str(n), str(bad_topic.get(topic_name, 0)))
        console = Console(highlight=False)
        console.print(table)
        from rich.text import Text

        for o in failed:
            why = o.error or (f"wrong: {', '.join(o.wrong)}" if o.wrong else "torch disagrees")
            line = Text("✗ ", style="red")
            line.append(f"{o.problem.id} ({o.problem.path.name}:{o.problem.line}): {why}")
            console.print(line)
        if not failed:
            console.print(Text("✓ every answer matches its solver and torch; every request is graded", style="green"))
    if failed:
        raise CheckFailed()
