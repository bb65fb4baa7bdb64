"""`dlcalc optim`: built from the optim solver's declaration, plus `--png` for `--compare`."""

from __future__ import annotations

from typing import Any

from dlcalc.declare import Input, Solver
from dlcalc.text import T

OPTIONS = (
    Input("png", help=T("With --compare: plot the paths to a PNG file.", "与 --compare 连用：把各路径画成 PNG 文件。"), metavar="FILE"),
)  # fmt: skip


def run_command(solver: Solver, inputs: dict[str, Any], options: dict[str, Any], out: Any, pictures: dict[str, str]) -> None:
    from dlcalc.cli.options import emit
    from dlcalc.solvers import optim, spec_of

    result = optim.solve(spec_of("optim", inputs))
    if options.get("png") is not None:
        from dlcalc.render.plot import optimizer_png

        optimizer_png(options["png"], result)
    emit(result, out)
