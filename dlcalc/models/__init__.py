"""The classic networks students are asked about, each a YAML file: input, layers or module code,
and provenance."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from dlcalc.errors import DlcalcError

HERE = Path(__file__).parent


def model_names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.yaml"))


@cache
def load_model(name: str) -> dict[str, Any]:
    """One of the zoo's networks by name; never a path (a file of your own goes through --file)."""
    from dlcalc import yamlio

    known = model_names()
    if name.lower() not in known:
        raise DlcalcError(
            f"model: unknown model {name!r} (known: {', '.join(known)}; for a file of your own use --file)"
        )
    path = HERE / f"{name.lower()}.yaml"
    return yamlio.load(yamlio.read_text(path, "model"), str(path))


def model_code(name: str) -> str | None:
    """The module code of a zoo network: its own `code`, or that of the model `code_from` names."""
    data = load_model(name)
    if "code" in data:
        return str(data["code"])
    if "code_from" in data:
        return model_code(str(data["code_from"]))
    return None
