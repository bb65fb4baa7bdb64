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
    wanted = _spelled(name, known)
    if wanted is None:
        shown = name if len(name) <= 40 else name[:39] + "…"
        raise DlcalcError(
            f"model: unknown model {shown!r} (for a file of your own use --file; known: {', '.join(known)})"
        )
    path = HERE / f"{wanted}.yaml"
    return yamlio.load(yamlio.read_text(path, "model"), str(path))


def _spelled(name: str, known: list[str]) -> str | None:
    """The zoo's spelling of `name`: any case, `-` and `_` alike (vgg16_bn, mobilenet-v2)."""
    key = name.lower().replace("_", "-")
    for k in known:
        if k.replace("_", "-") == key:
            return k
    return None


def model_code(name: str) -> str | None:
    """The module code of a zoo network: its own `code`, or that of the model `code_from` names."""
    data = load_model(name)
    if "code" in data:
        return str(data["code"])
    if "code_from" in data:
        return model_code(str(data["code_from"]))
    return None
