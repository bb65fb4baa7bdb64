"""The classic networks students are asked about, each a YAML file: input, layers, provenance."""

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
    from dlcalc import yamlio

    path = HERE / f"{name.lower()}.yaml"
    if name.lower() not in model_names():  # a name of the zoo, never a path (nor one too long to stat)
        raise DlcalcError(f"model: unknown model {name!r} (known: {', '.join(model_names())})")
    return yamlio.load(yamlio.read_text(path, "model"), str(path))
