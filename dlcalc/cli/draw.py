"""`dlcalc draw TOPIC`: the diagrams the exam asks students to draw, labelled, in the terminal and
as PNG/SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Output, output_options


def _topics(incomplete: str) -> list[str]:
    """The topics' names, for the completion scripts."""
    from dlcalc.draw.topics import TOPICS

    return [t.name for t in TOPICS if t.name.startswith(incomplete)]


@app.command()
@output_options
def draw(
    topic: Annotated[
        Optional[str],
        typer.Argument(
            metavar="[TOPIC]",
            help="What to draw: neuron, lstm, transformer … (--list shows all; Chinese names work: 神经元).",
            show_default=False,
            autocompletion=_topics,
        ),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the topics with their aliases.")] = False,
    png: Annotated[
        Optional[Path], typer.Option("--png", metavar="FILE", help="Also save the picture as PNG (matplotlib).")
    ] = None,
    svg: Annotated[
        Optional[Path],
        typer.Option("--svg", metavar="FILE", help="Also save the picture as SVG, its text kept as text."),
    ] = None,
    out: Output | None = None,
) -> None:
    """Draw an exam diagram (neuron, LSTM, transformer …), labelled, with what each part does.

    Example: dlcalc draw lstm --lang zh --png lstm.png
    """
    from dlcalc.errors import DlcalcError
    from dlcalc.text import T

    assert out is not None
    lang = out.lang
    if out.check:
        raise DlcalcError(T("draw: --check does not apply (a diagram computes nothing)",
                            "draw：--check 不适用（示意图没有可验证的计算）")(lang))  # fmt: skip
    if out.latex:
        raise DlcalcError(T("draw: no --latex; save the picture with --png or --svg, or take --md",
                            "draw：不支持 --latex；请用 --png 或 --svg 保存图片，或用 --md")(lang))  # fmt: skip
    if list_:
        return _list(out)
    if not topic:
        raise DlcalcError(T("draw: name a TOPIC (dlcalc draw --list shows them)",
                            "draw：请给出主题 TOPIC（dlcalc draw --list 列出全部）")(lang))  # fmt: skip

    from dlcalc.draw import SAVED, as_result, save, show
    from dlcalc.draw.topics import find

    diagram = find(topic, lang).build()
    saved = {}
    for fmt, file in (("png", png), ("svg", svg)):
        if file:
            path = str(file)
            w, h = save(diagram, path, lang, fmt)
            saved[fmt] = path
            typer.echo("dlcalc: " + SAVED[fmt](lang).format(path=path, w=w, h=h), err=True)
    if out.json or out.md:
        from dlcalc.cli.options import emit

        emit(as_result(diagram, lang, saved), out)
    else:
        show(diagram, lang)


def _list(out: Output) -> None:
    from dlcalc.draw.topics import TOPICS

    if out.json:
        import json

        from dlcalc.render import JSON_SCHEMA_VERSION

        topics = [{"name": t.name, "title": t.title(out.lang), "aliases": list(t.aliases)} for t in TOPICS]
        print(json.dumps({"dlcalc": JSON_SCHEMA_VERSION, "kind": "draw-topics", "topics": topics},
                         ensure_ascii=False, indent=2))  # fmt: skip
        return
    from dlcalc.draw.legend import wrap

    width = max(len(t.name) for t in TOPICS) + 2
    for t in TOPICS:
        print(f"{t.name:<{width}}{t.title(out.lang)}")
        for line in wrap(", ".join(t.aliases), 79 - width):
            print(" " * width + line)
