"""`dlcalc conv`: built from the conv solver's declaration, plus the inverse question
(`--target 56 --solve padding`), answered by the conv_inverse solver."""

from __future__ import annotations

from typing import Any

from dlcalc.declare import Input, Solver
from dlcalc.text import T

UNKNOWNS = ("padding", "stride", "kernel")
OPTIONS = (
    Input("target", help=T("Wanted output size (H or HxW), with --solve.", "期望的输出尺寸（H 或 HxW），与 --solve 连用。"),
          metavar="N|HxW"),
    Input("solve", help=T("Find every value of this setting that gives --target.", "求出使输出为 --target 的该设置的所有取值。"),
          choices=UNKNOWNS),
)  # fmt: skip


def run_command(solver: Solver, inputs: dict[str, Any], options: dict[str, Any], out: Any, pictures: dict[str, str]) -> None:
    if not inverse(solver.name + "_inverse", inputs, options, out):
        from dlcalc.cli.build import solve_and_emit

        solve_and_emit(solver, inputs, out, pictures)


def inverse(name: str, inputs: dict[str, Any], options: dict[str, Any], out: Any) -> bool:
    """Answer --target/--solve when given (True), with the same pairing rule for conv and pool."""
    target, unknown = options.get("target"), options.get("solve")
    if unknown is None and target is None:
        return False
    from dlcalc.cli.options import emit
    from dlcalc.errors import DlcalcError
    from dlcalc.solvers import solve

    if unknown is None or target is None:
        raise DlcalcError(
            T("--target and --solve go together, e.g. --target 56 --solve padding",
              "--target 与 --solve 须一起使用，例如 --target 56 --solve padding")  # fmt: skip
        )
    emit(solve(name, {**inputs, "target": target, "solve": str(unknown).lower()}), out)
    return True
