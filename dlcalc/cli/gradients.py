"""`dlcalc backprop`: a small network's forward pass, chain rule and update; checking your own work."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Output, emit, output_options


@app.command()
@output_options
def backprop(
    file: Annotated[str, typer.Argument(metavar="FILE", help="YAML: input, target, layers, loss, lr (see README).")],
    steps: Annotated[
        Optional[str], typer.Option("--steps", help="Gradient-descent steps to take.  [default: 1]")
    ] = None,
    mine: Annotated[
        Optional[str],
        typer.Option("--mine", help="YAML of your own values (z1, a1, loss, delta2, grads, updated…) to mark."),
    ] = None,
    tol: Annotated[float, typer.Option("--tol", help="Relative tolerance for --mine.")] = 1e-3,
    out: Output | None = None,
) -> None:
    """Backpropagation worked out: forward pass, loss, every δ and gradient, the updated weights.

    Example: dlcalc backprop examples/mazur.yaml --check
    """
    from dlcalc.cli.files import load_mapping
    from dlcalc.errors import CheckFailed
    from dlcalc.solvers import backprop as solver

    inputs = load_mapping(file)
    if steps is not None:
        inputs["steps"] = steps
    result = solver.solve(solver.parse_spec(inputs))
    marked = None
    if mine is not None:
        marked = solver.mark(result, load_mapping(mine, "mine"), tol)
        _attach_marks(result, marked)
    emit(result, out)
    if marked is not None and marked["wrong"]:
        raise CheckFailed()


def _attach_marks(result, marked) -> None:
    from dlcalc import mathfmt as m
    from dlcalc.render import step_text
    from dlcalc.result import Table
    from dlcalc.text import T, Text

    result.answer["mine"] = marked
    rows = [
        [r["name"], m.fmt_number(r["yours"], 9), m.fmt_number(r["correct"], 9), "✓" if r["ok"] else "✗"]
        for r in marked["rows"]
    ]
    result.tables.append(
        Table(
            [T("value", "数值"), T("yours", "你的"), T("correct", "正确"), T("", "")],
            rows,
            T("Your work, in the order of the derivation", "你的计算（按推导顺序）"),
        )
    )
    first = marked["first_wrong"]
    if first is None:
        result.summary.append(
            (T("Your work", "你的计算"), T("all {n} values right", "全部 {n} 个数值正确").format(n=marked["checked"]))
        )
        return
    line = ""
    if first["name"] in result.anchors:
        line = step_text(result.steps[result.anchors[first["name"]]])
    result.summary.append(
        (
            T("First wrong step", "第一个错误"),
            Text(
                f"{first['name']}: you wrote {m.fmt_number(first['yours'], 9)}, correct is {m.fmt_number(first['correct'], 9)}"
                + (f" — from {line}" if line else ""),
                f"{first['name']}：你写的是 {m.fmt_number(first['yours'], 9)}，正确值为 {m.fmt_number(first['correct'], 9)}"
                + (f" —— 由 {line} 得到" if line else ""),
            ),
        )
    )


@app.command()
@output_options
def grad(
    expr: Annotated[
        str, typer.Argument(metavar="EXPR", help='The function, e.g. "sigmoid(w*x + b)" (^ or ** for powers).')
    ],
    wrt: Annotated[Optional[str], typer.Option("--wrt", help="The variable to differentiate by.")] = None,
    at: Annotated[Optional[str], typer.Option("--at", help='Where to evaluate, e.g. "x=1, w=0.5".')] = None,
    claim: Annotated[
        Optional[str],
        typer.Option("--claim", help="Your own derivative: dlcalc says whether it is right (exit 1 if not)."),
    ] = None,
    out: Output | None = None,
) -> None:
    """Differentiate step by step, naming each rule; check a hand-derived derivative with --claim.

    Example: dlcalc grad "sigmoid(w*x + b)" --wrt w --at "w=0.5, x=1, b=0"
    """
    from dlcalc.errors import CheckFailed
    from dlcalc.solvers import grad as solver

    result = solver.solve(solver.parse_spec({"expr": expr, "wrt": wrt, "at": at, "claim": claim}))
    emit(result, out)
    if result.answer["equivalent"] is False:
        raise CheckFailed()
