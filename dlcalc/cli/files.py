"""Reading the files a user names: through the one bounded, safe YAML loader (`dlcalc.yamlio`),
errors as one line naming the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlcalc import yamlio
from dlcalc.errors import DlcalcError


def read_text(path: str | Path, what: str = "file") -> str:
    """A UTF-8 file of at most `limits.FILE_BYTES` (checked before reading)."""
    return yamlio.read_text(path, what)


def load_yaml_text(text: str, where: str) -> Any:
    return yamlio.load(text, where)


def load_mapping(path: str | Path, what: str = "file") -> dict[str, Any]:
    data = load_yaml_text(read_text(path, what), str(path))
    if not isinstance(data, dict):
        raise DlcalcError(f"{path}: expected a YAML mapping of fields, got {type(data).__name__}")
    return data


def merge(file: str | Path | None, options: dict[str, Any]) -> dict[str, Any]:
    """The file's fields, overridden by any option given on the command line."""
    inputs: dict[str, Any] = load_mapping(file) if file is not None else {}
    inputs.update({k: v for k, v in options.items() if v is not None})
    return inputs
