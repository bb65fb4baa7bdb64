"""Reading the files a user names: YAML through `yaml.safe_load` only, errors as one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlcalc.errors import DlcalcError


def read_text(path: str | Path, what: str = "file") -> str:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DlcalcError(f"{what}: no such file {str(p)!r}") from None
    except IsADirectoryError:
        raise DlcalcError(f"{what}: {str(p)!r} is a directory, not a file") from None
    except UnicodeDecodeError:
        raise DlcalcError(f"{what}: {str(p)!r} is not UTF-8 text") from None
    except OSError as e:
        raise DlcalcError(f"{what}: cannot read {str(p)!r} ({e.strerror})") from None


def load_yaml_text(text: str, where: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise DlcalcError(f"{where}:{line}: invalid YAML ({e.problem})") from None
    except yaml.YAMLError as e:
        raise DlcalcError(f"{where}: invalid YAML ({' '.join(str(e).split())})") from None


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
