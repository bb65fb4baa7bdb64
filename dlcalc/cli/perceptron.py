"""`dlcalc perceptron`: built from the perceptron solver's declaration, plus the boundary plot
(`--plot` in the terminal, `--png FILE`)."""

from __future__ import annotations

from typing import Any

from dlcalc.declare import Input, Solver
from dlcalc.text import T

OPTIONS = (
    Input("plot", help=T("Draw 2-D samples and the boundary in the terminal.", "在终端画出二维样本与分界线。"), switch=True),
    Input("png", help=T("Also save that picture as a PNG file.", "同时把该图保存为 PNG 文件。"), metavar="FILE"),
)  # fmt: skip


def run_command(solver: Solver, inputs: dict[str, Any], options: dict[str, Any], out: Any, pictures: dict[str, str]) -> None:
    from dlcalc.cli.options import emit
    from dlcalc.errors import DlcalcError
    from dlcalc.solvers import perceptron, spec_of

    result = perceptron.solve(spec_of("perceptron", inputs))
    plot, png = options.get("plot"), options.get("png")
    if plot or png:
        spec = result.spec
        if len(spec.x[0]) - (0 if spec.b0 is not None else 1) != 2:
            raise DlcalcError(
                T("--plot: the samples must have 2 inputs (3 with a constant first input and --no-bias)",
                  "--plot：样本须有 2 个输入（带常数首输入并用 --no-bias 时为 3 个）")  # fmt: skip
            )
        from dlcalc.render.plot import png_plot, text_plot

        pts = spec.x if spec.b0 is not None else [p[1:] for p in spec.x]
        w = result.answer["w"] if spec.b0 is not None else result.answer["w"][1:]
        b = result.answer["b"] if spec.b0 is not None else result.answer["w"][0] * spec.x[0][0]
        if plot:
            result.figures.append(text_plot(pts, spec.y, w, b))
        if png:
            png_plot(png, pts, spec.y, w, b, result.answer["hyperplane"])
    emit(result, out)
