"""The one result type every solver returns and every renderer reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dlcalc.mathfmt import Math
from dlcalc.text import Text


@dataclass
class Step:
    """One line of the worked solution: `lhs = chain[0] = chain[1] = ...`, with a label and a note."""

    label: Text
    lhs: Math | None = None
    chain: list[Math] = field(default_factory=list)
    note: Text | None = None
    joiner: str = "="  # "⇔" where the chain is a sequence of equivalent (in)equalities


@dataclass
class Table:
    """A grid the terminal shows as a table (a network summary, a perceptron's history)."""

    columns: list[Text]
    rows: Sequence[Sequence[Text | str]]  # read-only: any list of lists of str/Text
    title: Text | None = None
    wrap: int | None = None  # the one column allowed to wrap; the others keep each cell on one line


@dataclass
class Result:
    """What a solver computed.

    `answer` holds the machine-readable fields that `--json` prints (stable keys, documented in
    the README); `summary` is the same answer for people; `steps` is the derivation in the order
    a student writes it; `spec` is the parsed input, kept so the cross-check can rebuild it.
    """

    kind: str
    title: Text
    answer: dict[str, Any]
    summary: list[tuple[Text, Text | str]]
    steps: list[Step] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)
    spec: Any = None
    figures: list[list[str]] = field(default_factory=list)  # preformatted text pictures (a plot)
    show_steps: bool = True
    anchors: dict[str, int] = field(
        default_factory=dict
    )  # value name (e.g. "a1[2]") → index of its step  # the terminal folds a long derivation unless asked (--steps)
