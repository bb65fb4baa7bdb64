"""Files dlcalc ships: the examples and the shell completions, found in the repository when run
from a checkout and inside the installed package (dlcalc.examples, dlcalc.completions) otherwise,
so `dlcalc examples`, `dlcalc completion` and `-f mazur.yaml` work after a plain `pip install`."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPOSITORY = PACKAGE.parent


def shipped(folder: str) -> Path:
    """The folder `examples` or `completions`: the checkout's, else the installed package's."""
    here = REPOSITORY / folder
    if here.is_dir() and (REPOSITORY / "pyproject.toml").is_file():
        return here
    return PACKAGE / folder


def examples() -> list[Path]:
    folder = shipped("examples")
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def example_path(name: str) -> Path | None:
    """A shipped example by file name (`mazur.yaml`) or stem (`mazur`)."""
    for path in examples():
        if name in (path.name, path.stem):
            return path
    return None


SHELLS = {"bash": "dlcalc.bash", "zsh": "_dlcalc", "fish": "dlcalc.fish"}


def completion_script(shell: str) -> str:
    return (shipped("completions") / SHELLS[shell]).read_text(encoding="utf-8")
