"""`--json`'s `kind` names the command that answered (README: every object has `dlcalc` and `kind`),
for every discovered solver, run on its own declared example."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import shlex
from pathlib import Path

import pytest

from dlcalc.cli import run
from dlcalc.cli.index import SOLVERS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("name", SOLVERS)
def test_json_kind_is_the_command(name, monkeypatch):
    solver = importlib.import_module(f"dlcalc.solvers.{name}").SOLVER
    if not solver.example:
        pytest.skip("no declared example")
    monkeypatch.chdir(EXAMPLES)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run([*shlex.split(solver.example)[1:], "--json"]) == 0
    assert json.loads(out.getvalue())["kind"] == solver.name
