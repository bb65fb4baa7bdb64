"""`dlcalc explain TERM`: the course glossary — definition, formula, related terms, the command to try."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Output, emit, output_options
from dlcalc.text import T


@app.command()
@output_options
def explain(
    term: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="[TERM...]",
            help="A term in English or Chinese, quotes optional: receptive field, 感受野, BN, adam.",
            show_default=False,
        ),
    ] = None,
    list_terms: Annotated[bool, typer.Option("--list", help="List every term, by topic.")] = False,
    topic: Annotated[
        Optional[str], typer.Option("--topic", help="With --list: only this topic (foundations, cnn, optimizers, …).")
    ] = None,
    example: Annotated[
        bool, typer.Option("--example", "-e", help="Also run the term's dlcalc command here and show its answer.")
    ] = False,
    path: Annotated[
        Optional[str], typer.Option("--path", help="A folder of glossary*.yaml other than the shipped problems/.")
    ] = None,
    out: Output | None = None,
) -> None:
    """Look a term up in the course glossary: definition, formula, related terms, the command to try.

    Typos, width, case and spacing are forgiven; an unknown term lists the nearest ones (exit 2).
    --example runs the command in place (--check: with its torch cross-check). --check without a
    term checks the whole glossary and runs every command (exit 1 naming any entry that fails).
    Example: dlcalc explain receptive field
    """
    from dataclasses import replace

    from dlcalc import limits
    from dlcalc.errors import CheckFailed, DlcalcError
    from dlcalc.glossary import TOPICS, check, check_result, explain_result, list_result, load

    assert out is not None
    lang = out.lang
    plain = replace(out, check=False)  # the torch check belongs to the example command, not to this text
    glossary = load(path)
    if topic is not None and topic not in TOPICS:
        raise DlcalcError(
            T("--topic: expected one of {t}, got {g!r}", "--topic：应为 {t} 之一，实际为 {g!r}").format(
                t=", ".join(TOPICS), g=topic
            )(lang)
        )
    if list_terms:
        emit(list_result(glossary, topic, as_tables=not (out.md or out.latex)), plain)
        return
    if not term:
        if out.check:
            problems = check(glossary, torch=True)
            emit(check_result(glossary, problems, torch=True), plain)
            if problems:
                raise CheckFailed()
            return
        raise DlcalcError(
            T(
                "explain: name a term (dlcalc explain TERM), or use --list or --check",
                "explain：请给出术语（dlcalc explain 术语），或使用 --list、--check",
            )(lang)
        )
    query = " ".join(term)
    limits.at_most(
        "explain", len(query), limits.TERM, "characters in a term", "字符（术语）"
    )  # fuzzy matching is slow on a long text
    match = glossary.lookup(query)
    if match is None:
        near = glossary.nearest(query)
        listed = "; ".join(e.label(lang) for e in near)
        message = (
            T("explain: no term {q!r} in the glossary; nearest: {n}", "explain：术语表中没有 {q!r}；最接近的：{n}")
            if near
            else T(
                "explain: no term {q!r} in the glossary (dlcalc explain --list shows them all)",
                "explain：术语表中没有 {q!r}（dlcalc explain --list 列出全部术语）",
            )
        )
        raise DlcalcError(message.format(q=query, n=listed)(lang))
    entry = match.entry
    result = explain_result(entry, glossary, match, query, terminal=not (out.json or out.md or out.latex))
    run_it = (example or out.check) and entry.example is not None
    if (example or out.check) and entry.example is None:
        result.notes.append(T("No dlcalc command computes this term.", "dlcalc 没有计算这个术语的命令。"))
    elif entry.example is not None and not run_it:
        result.notes.append(
            T("Add --example to see the command's answer here.", "加 --example 可在此看到该命令的结果。")
        )
    code = _show(result, entry.example if run_it else None, out)
    if code:
        raise typer.Exit(code)


def _show(result, example, out: Output) -> int:
    """Print the entry, then (if asked) run its command in-process and show or embed its output."""
    import sys
    from dataclasses import replace

    from dlcalc.glossary import run_example

    lang = out.lang
    extra = ["--lang", lang] + (["--check"] if out.check else [])
    if out.json:
        import json

        from dlcalc.render import to_dict

        data = to_dict(result, lang)
        code = 0
        if example is not None:
            code, stdout, stderr = run_example(example, extra + ["--json"])
            sys.stderr.write(stderr)
            try:
                output = json.loads(stdout) if stdout.strip() else None
            except ValueError:
                output = stdout
            data["example"] = {"command": example.command, "exit_code": code, "output": output}
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return code
    emit(result, replace(out, check=False))
    if example is None:
        return 0
    heading = T("Worked example", "算例")(lang)
    if out.md or out.latex:
        fmt = "--md" if out.md else "--latex"
        code, stdout, stderr = run_example(example, extra + [fmt])
        sys.stderr.write(stderr)
        if out.md:
            print(f"\n#### {heading}\n\n```console\n$ {example.command}\n```\n")
        else:
            print(f"\n% {heading}: $ {example.command}")
        print(stdout.rstrip("\n"))
        return code
    from rich.console import Console
    from rich.text import Text

    Console(highlight=False).print(Text(f"\n{heading}: $ {example.command}", style="bold"))
    code, _, _ = run_example(example, extra, capture=False)
    return code
