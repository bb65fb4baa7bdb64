"""Independent cross-checks: rebuild a solver's computation with torch and compare.

Each topic has a module here (`dlcalc.check.conv`, …) with `check(result) -> CheckReport`.
torch is imported only inside those modules, so only `--check` pays for it.
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass, field
from typing import Any

from dlcalc.errors import DlcalcError
from dlcalc.text import Text


@dataclass
class CheckItem:
    what: str | Text  # a row's name, in both languages where it is prose
    ours: Any  # a value, or a bilingual `Text` where it is words ("too large for memory")
    theirs: Any
    ok: bool


@dataclass
class CheckReport:
    engine: str | Text  # what torch ran, in both languages where it says more than a module name
    items: list[CheckItem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.items)

    def add(self, what: str | Text, ours: Any, theirs: Any, ok: bool | None = None) -> None:
        self.items.append(CheckItem(what, ours, theirs, ours == theirs if ok is None else ok))

    def to_dict(self) -> dict[str, Any]:
        from dlcalc.render import jsonable

        def en(value: Any) -> Any:
            return value("en") if isinstance(value, Text) else value

        return {
            "ok": self.ok,
            "engine": en(self.engine),
            "items": [
                {"what": en(i.what), "dlcalc": jsonable(en(i.ours)), "torch": jsonable(en(i.theirs)), "ok": i.ok}
                for i in self.items
            ],
        }


def run(result: Any) -> CheckReport:
    try:
        module = importlib.import_module(f"dlcalc.check.{result.kind}")
    except ModuleNotFoundError as e:
        if e.name == "torch":
            raise DlcalcError("--check needs torch: pip install 'torch==2.13.0'") from None
        raise
    with warnings.catch_warnings():  # torch's performance hints are not the student's business
        warnings.simplefilter("ignore")
        try:
            return module.check(result)
        except (MemoryError, RuntimeError) as e:
            # torch failing for want of memory is not torch disagreeing: exit 2, never 1
            if not torch_could_not_run(e):
                raise
            raise DlcalcError(f"--check could not run: {_why(e)}") from None


_RESOURCE_FAILURES = ("can't allocate", "cannot allocate", "out of memory", "not enough memory", "overflow")


def torch_could_not_run(e: BaseException) -> bool:
    """torch failed for want of memory (or size arithmetic), not because it refuses the layer."""
    if isinstance(e, MemoryError):
        return True
    text = str(e).lower()
    return isinstance(e, RuntimeError) and any(word in text for word in _RESOURCE_FAILURES)


def _why(e: BaseException) -> str:
    import re

    asked = re.search(r"allocate (\d+) bytes", str(e))
    if asked:
        return f"torch could not allocate the memory it needs ({int(asked.group(1)):,} bytes)"
    if isinstance(e, MemoryError) or not str(e).strip():
        return "torch ran out of memory"
    return "torch failed: " + " ".join(str(e).split())[:200]


def torch_version() -> str:
    import torch

    return f"torch {torch.__version__}"
