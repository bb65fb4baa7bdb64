"""`dlcalc grad`: built from the grad solver's declaration; a wrong --claim exits 1 (checked and wrong)."""

from __future__ import annotations

from typing import Any

from dlcalc.declare import Solver


def run_command(solver: Solver, inputs: dict[str, Any], options: dict[str, Any], out: Any, pictures: dict[str, str]) -> None:
    from dlcalc.cli.build import solve_and_emit
    from dlcalc.errors import CheckFailed

    result = solve_and_emit(solver, inputs, out, pictures)
    if result.answer["equivalent"] is False:
        raise CheckFailed()
