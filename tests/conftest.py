import os

import pytest

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
