import os

import pytest
from hypothesis import settings

# Locally every run explores new inputs; CI replays a fixed set, so a submission cannot turn red by luck.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

os.environ.setdefault("COLUMNS", "120")


@pytest.fixture
def cli(capsys):
    """Run dlcalc in-process: returns (exit code, stdout, stderr)."""
    from dlcalc.cli import run

    def invoke(*args: str):
        code = run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke
