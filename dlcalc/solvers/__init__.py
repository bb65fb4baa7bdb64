"""Pure solvers: a mapping of inputs in, a `Result` out. No printing, no torch.

Solvers are found, not registered: every module here that holds a `SOLVER = Solver(...)`
declaration (dlcalc.declare) is a calculator, named after its module. `module_names()` lists the
modules without importing any (pkgutil); `load(name)` imports one; `declared()` imports them all
(completions, the README tables, quiz topics). Modules without a declaration are helpers
(stable, symbolic, window, …).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlcalc.declare import Solver


def module_names() -> list[str]:
    """Every module of this package, by name, without importing one."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))


def load(name: str) -> ModuleType | None:
    """The solver module called `name`, or None when there is none (or it is a helper)."""
    if name not in module_names():
        return None
    module = importlib.import_module(f"{__name__}.{name}")
    return module if isinstance(getattr(module, "SOLVER", None), _solver_type()) else None


def declaration(name: str) -> Solver | None:
    module = load(name)
    if module is None:
        return None
    solver: Solver = module.SOLVER
    if not solver.module:
        object.__setattr__(solver, "module", module.__name__)
    return solver


def declared() -> list[Solver]:
    """Every solver's declaration (imports every solver module)."""
    found = [declaration(name) for name in module_names()]
    return [s for s in found if s is not None]


def spec_of(name: str, inputs: Any) -> Any:
    """The spec of solver `name` read from a mapping of written values (the bank's, a quiz draft's)."""
    from dlcalc.declare import build_spec

    solver = declaration(name)
    if solver is None:
        from dlcalc.errors import DlcalcError

        raise DlcalcError(f"no solver called {name!r}")
    return build_spec(solver, inputs)


def solve(name: str, inputs: Any) -> Any:
    """Run solver `name` on a mapping of written values: the same path the command takes."""
    module = load(name)
    assert module is not None, name
    return module.solve(spec_of(name, inputs))


def _solver_type() -> type:
    from dlcalc.declare import Solver

    return Solver
