"""`dlcalc perceptron`: Rosenblatt's perceptron trained by hand."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Output, emit, output_options

FileOpt = Annotated[
    Optional[str],
    typer.Option("--file", "-f", help="A YAML file with the same fields (the bank's schema).", show_default=False),
]


class Rule(str, Enum):
    error = "error"
    misclassified = "misclassified"


class Outputs(str, Enum):
    pm1 = "pm1"
    o01 = "01"


@app.command()
@output_options
def perceptron(
    x: Annotated[Optional[str], typer.Option("--x", help='Samples, one per row: "3,3; 4,3; 1,1".')] = None,
    y: Annotated[Optional[str], typer.Option("--y", help='Labels: "1,1,-1" (or 0/1 with --outputs 01).')] = None,
    lr: Annotated[
        Optional[str], typer.Option("--lr", help="Learning rate η.  [default: 1]", show_default=False)
    ] = None,
    w0: Annotated[Optional[str], typer.Option("--w0", help='Initial weights, e.g. "0,0".  [default: zeros]')] = None,
    b0: Annotated[Optional[str], typer.Option("--b0", help="Initial bias.  [default: 0]", show_default=False)] = None,
    rule: Annotated[
        Optional[Rule], typer.Option("--rule", help="error: w += η(d-o)x;  misclassified: if y(w·x+b) ≤ 0, w += ηyx.")
    ] = None,
    no_bias: Annotated[
        bool, typer.Option("--no-bias", help="No separate bias: the samples already hold a constant input.")
    ] = False,
    outputs: Annotated[
        Optional[Outputs], typer.Option("--outputs", help="Output values: pm1 (sgn, ±1) or 01 (step).")
    ] = None,
    sign0: Annotated[Optional[str], typer.Option("--sign0", help="The output when w·x + b = 0: 1, -1 or 0.")] = None,
    max_epochs: Annotated[Optional[str], typer.Option("--max-epochs", help="Give up after this many passes.")] = None,
    file: FileOpt = None,
    plot: Annotated[bool, typer.Option("--plot", help="Draw 2-D samples and the boundary in the terminal.")] = False,
    png: Annotated[
        Optional[str], typer.Option("--png", help="Also save that picture as a PNG (needs matplotlib).")
    ] = None,
    out: Output | None = None,
) -> None:
    """Train a perceptron by hand: every presented sample, every update, until a clean pass.

    Example (李航 例2.1): dlcalc perceptron --x "3,3; 4,3; 1,1" --y "1,1,-1" --rule misclassified
    """
    from dlcalc.cli.files import merge
    from dlcalc.errors import DlcalcError
    from dlcalc.solvers import perceptron as solver

    inputs = merge(file, {
        "x": x, "y": y, "lr": lr, "w0": w0, "b0": b0, "rule": rule.value if rule else None,
        "bias": False if no_bias else None, "outputs": outputs.value if outputs else None,
        "sign0": sign0, "max_epochs": max_epochs,
    })  # fmt: skip
    result = solver.solve(solver.parse_spec(inputs))
    if plot or png:
        spec = result.spec
        if len(spec.x[0]) - (0 if spec.b0 is not None else 1) != 2:
            raise DlcalcError("--plot: the samples must have 2 inputs (3 with a constant first input and --no-bias)")
        from dlcalc.render.plot import png_plot, text_plot

        pts = spec.x if spec.b0 is not None else [p[1:] for p in spec.x]
        w = result.answer["w"] if spec.b0 is not None else result.answer["w"][1:]
        b = result.answer["b"] if spec.b0 is not None else result.answer["w"][0] * spec.x[0][0]
        if plot:
            result.figures.append(text_plot(pts, spec.y, w, b))
        if png:
            png_plot(png, pts, spec.y, w, b, result.answer["hyperplane"])
    emit(result, out)
