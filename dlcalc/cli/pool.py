"""`dlcalc pool`: built from the pool solver's declaration, plus the inverse question, as conv's."""

from __future__ import annotations

from dlcalc.cli.conv import OPTIONS, run_command

__all__ = ["OPTIONS", "run_command"]
