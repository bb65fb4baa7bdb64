import os

import pytest
from hypothesis import settings

# Locally every run explores new inputs; CI replays a fixed set, so a submission cannot turn red by luck.
# No deadline: a test never asserts on time (a loaded 2-core CI machine must not turn it red).
settings.register_profile("local", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")

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
