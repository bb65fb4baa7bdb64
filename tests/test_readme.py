"""The README's examples are the program's real output, and its two commands are what CI runs."""

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_readme_examples_match_the_program():
    update = _load("update_readme")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert update.updated(text) == text, "README examples drifted: run python scripts/update_readme.py"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)\n```", text, re.S)
    install, tests = blocks[0].strip(), blocks[1].strip()
    assert install.startswith("pip install . && dlcalc ")
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()
