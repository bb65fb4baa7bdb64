"""A solver declares itself once: its command, its inputs, and how a spec is built from them.

Every solver module in `dlcalc/solvers/` holds one `SOLVER = Solver(...)`. From that one
declaration come the command's options and `--help` (both languages), the spec read from a
mapping (a YAML problem, a quiz draft, the command line), the fuzz table, the completions and
the README's option tables. Nothing here imports more than the standard library and dlcalc.text:
declarations are read when a command starts.

An `Input` is one field of the problem: what a YAML file calls it, which reader from
`dlcalc.parse` turns a written value into a number/shape/matrix, its help, its default and how it
is spelled on the command line. Old spellings (`--f`, `--x`) stay as hidden aliases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlcalc.errors import DlcalcError
from dlcalc.text import T, Text

Reader = Callable[[Any, str], Any]


@dataclass(frozen=True)
class Input:
    """One input of a solver, declared once."""

    name: str  # the field's name in a YAML problem and in the spec mapping
    read: Reader | None = None  # a reader from dlcalc.parse: (value, what) -> parsed value; None keeps the value
    help: Text = field(default_factory=lambda: Text("", ""))
    default: Any = None  # the parsed value when the input is not given (None: the solver decides)
    flag: str | None = None  # the long option; `--` + name with `_` → `-` when not given
    short: str | None = None  # `-k`
    metavar: str = "TEXT"  # the type shown in --help: N, N|HxW, NUMBER, LIST, MATRIX, EXPR, FILE …
    required: bool = False
    aliases: tuple[str, ...] = ()  # old spellings, hidden from --help, accepted with a note
    choices: tuple[str, ...] = ()
    switch: bool = False  # an on/off flag (`--no-bias`): given → `on`, absent → not given
    on: Any = True
    positional: bool = False  # the command's argument (conv's INPUT, softmax's LOGITS)
    cli: bool = True  # False: a field of YAML files only (rnn's W_f, …)
    shown_default: Text | None = None  # the [default: …] text when it is not the literal default
    repeat: bool = False  # may be given several times (a list)
    values: tuple[str, ...] = ()  # values shell completion offers besides `completion_values`' own

    def completion_values(self) -> tuple[str, ...]:
        """What TAB offers for this input's value: its choices; else the literal forms its
        declaration documents — the lowercase words of the metavar (`full|N|1` → full, 1) and the
        words quoted in the English help ('same' or 'valid') — and `values`."""
        if self.choices:
            return self.choices
        import re

        literal = [
            w for w in self.metavar.strip("[]").split("|") if "|" in self.metavar and re.fullmatch(r"[a-z0-9_]+", w)
        ]
        quoted = re.findall(r"'([a-z][a-z0-9_]*)'", self.help.en)
        return tuple(dict.fromkeys([*literal, *quoted, *self.values]))

    @property
    def option(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    def default_text(self, lang: str) -> str | None:
        if self.shown_default is not None:
            return self.shown_default(lang)
        if self.default is None or self.switch:
            return None
        if isinstance(self.default, tuple) and len(set(self.default)) == 1 and len(self.default) == 2:
            return str(self.default[0])  # a pair given as one number: (1, 1) → 1
        return str(self.default)


@dataclass(frozen=True)
class Solver:
    """A calculator: its command, its inputs, its spec; `solve`, `template` and `well_posed` live
    in the module beside it (found by name, so the declaration stays data)."""

    name: str  # the command's and the bank's name (`conv`); the module's name is the solver's
    help: Text  # one line: what the student computes
    example: str  # a real invocation, shown in --help and the README
    inputs: tuple[Input, ...]
    file: bool = False  # takes -f/--file FILE: a YAML file with the same fields
    picture: bool = False  # --png/--svg FILE: the worked picture of dlcalc.draw.worked
    command: bool = True  # False: a solver reached through another command (conv --solve)
    spec: Callable[[dict[str, Any]], Any] | None = None  # values → spec (cross-field checks); None: the values
    read_all: Callable[[Mapping[str, Any]], Any] | None = None  # a solver that reads its mapping itself
    fields: tuple[str, ...] = ()  # further file-only field names a hand-written reader accepts
    module: str = ""  # set by discovery: dlcalc.solvers.NAME
    notes: tuple[Text, ...] = ()  # more lines of --help (a second example)

    def input(self, name: str) -> Input:
        for i in self.inputs:
            if i.name == name:
                return i
        raise KeyError(name)

    @property
    def field_names(self) -> set[str]:
        return {i.name for i in self.inputs} | set(self.fields)


def missing(what: str, solver: str, hint: str = "") -> DlcalcError:
    return DlcalcError(
        T("{s}: {w} is missing{h}", "{s}：缺少 {w}{h}").format(s=solver, w=what, h=f" ({hint})" if hint else "")
    )


def build_spec(solver: Solver, inputs: Mapping[str, Any]) -> Any:
    """The one spec builder: refuse unknown fields, read every declared input with its reader
    (its default when absent), then let the solver's `spec` hook check what spans several fields."""
    if solver.read_all is not None:
        return solver.read_all(inputs)
    from dlcalc.parse import only_keys

    only_keys(inputs, solver.field_names, solver.name)
    values: dict[str, Any] = {}
    for i in solver.inputs:
        raw = inputs.get(i.name)
        if raw is None:
            if i.required:
                raise missing(i.name, solver.name)
            values[i.name] = i.default
            continue
        if i.choices and str(raw).strip().lower().replace("-", "_") not in i.choices:
            raise DlcalcError(
                T("{w}: expected one of {c}, got {v!r}", "{w}：应为 {c} 之一，得到 {v!r}").format(
                    w=i.name, c=", ".join(i.choices), v=raw
                )
            )
        if i.choices:
            raw = str(raw).strip().lower().replace("-", "_")
        values[i.name] = i.read(raw, i.name) if i.read is not None else raw
    return solver.spec(values) if solver.spec is not None else values
