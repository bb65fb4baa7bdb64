"""The "run this next" commands quiz, exam and review print (`dlcalc exam --resume`, `dlcalc quiz review`).

A hint is only useful if typing it reaches the same study history in the same language: with
`--db PATH` (absolute, so it works from any folder) when the history is not the default one (an
explicit --db, or DLCALC_DB, which may have been set for one command only), and with `--lang` when
the language is not what a bare command would use.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from dlcalc.text import Text


def command(words: str, db: str | Path | None = None, lang: str = "en") -> str:
    """`words` (e.g. "dlcalc exam --resume") with the options needed to reach this history in `lang`."""
    parts = [words]
    path = Path(db) if db is not None else (Path(os.environ["DLCALC_DB"]) if os.environ.get("DLCALC_DB") else None)
    if path is not None:
        parts += ["--db", shlex.quote(str(path.absolute()))]
    if lang != (os.environ.get("DLCALC_LANG") or "en") or lang != "en":
        parts += ["--lang", lang]
    return " ".join(parts)


def command_text(words: str, db: str | Path | None = None) -> Text:
    """The hint in both languages (the Chinese one carries --lang zh)."""
    return Text(command(words, db, "en"), command(words, db, "zh"))
