"""pyproject lists packages by hand (problems/ ships as dlcalc.problems): none may be forgotten."""

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_packaged():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "dlcalc").rglob("__init__.py")}
    assert found | {"dlcalc.problems", "dlcalc.examples", "dlcalc.completions"} == listed


def test_torch_is_pinned_to_the_cpu_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "torch==2.13.0" in config["project"]["dependencies"]
