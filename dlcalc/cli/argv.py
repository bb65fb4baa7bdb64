"""Values that start with a minus sign: `dlcalc grad "-w^2" --wrt w`, `dlcalc softmax "-1, 2, 3"`.

click reads every word that starts with `-` as an option, so a cross-entropy `"-y*log(p) - …"` or
a list `"-1, 2, 3"` given as a positional argument was refused as "No such option". Before click
parses, `protect_values` walks the words with the running command's own option table: a word that
is not one of its options (nor an option's value, as in `--start -1`) and reads as a value (a
minus followed by a digit, a point, a bracket, or an expression with operators, commas or spaces)
is moved behind `--`, where click takes it as the positional value it is. Nothing else changes
order: options keep their values, positional arguments keep their order.
"""

from __future__ import annotations

import re
from typing import Any

# -1  -.5  -(x+1)  -w^2  -y*log(p)  -1,2,3  "-x + y"  -x2 ; not --flag, not -h, not -k3 style options
_VALUE = re.compile(r"-(?:[\d.(\[]|[^-\s](?=.*[\s\d^*/+\-(),.=\[\]·×−])).*", re.S)


def _option_table(command: Any) -> tuple[dict[str, bool], set[str]]:
    """{option name: takes a value} and the short names (for -k3 style words)."""
    table: dict[str, bool] = {}
    for param in getattr(command, "params", []):
        if getattr(param, "param_type_name", "") != "option":
            continue
        takes_value = not getattr(param, "is_flag", False) and not getattr(param, "count", False)
        for name in list(param.opts) + list(getattr(param, "secondary_opts", [])):
            table[name] = takes_value
    ctx_help = ["-h", "--help"]
    for name in ctx_help:
        table.setdefault(name, False)
    shorts = {n for n in table if len(n) == 2 and n[0] == "-" and n[1] != "-"}
    return table, shorts


def _is_option(word: str, table: dict[str, bool], shorts: set[str]) -> bool:
    if word in table or word.startswith("--"):
        return True  # an unknown --word is left for click to refuse by name
    if word.split("=", 1)[0] in table:
        return True
    return word[:2] in shorts and word[2:].isalnum()  # -k3, -o96


def protect_values(root: Any, argv: list[str]) -> list[str]:
    """argv with every positional value that starts with '-' moved behind '--' (see module doc)."""
    if "--" in argv:
        head, tail = argv[: argv.index("--")], argv[argv.index("--") :]
    else:
        head, tail = argv, []
    command, i = root, 0
    while i < len(head) and hasattr(command, "commands") and head[i] in command.commands:
        command = command.commands[head[i]]
        i += 1
    if i == 0 or hasattr(command, "commands"):
        return argv  # no command named (help, --version), or a group without its subcommand
    table, shorts = _option_table(command)
    slots = sum(1 for p in getattr(command, "params", []) if getattr(p, "param_type_name", "") == "argument")
    kept, positionals, unknown = head[:i], [], []
    j, moved = i, False
    while j < len(head):
        word = head[j]
        if word.startswith("-") and word != "-" and _is_option(word, table, shorts):
            kept.append(word)
            name = word.split("=", 1)[0]
            if table.get(name) and "=" not in word and j + 1 < len(head):
                kept.append(head[j + 1])  # the option's value, whatever it looks like (--start -1)
                j += 1
        elif word.startswith("-") and word != "-" and _VALUE.fullmatch(word):
            positionals.append((j, word))
            moved = True
        elif word.startswith("-") and word != "-":
            unknown.append((j, word))  # -w: an expression when an argument is still missing, else an unknown option
        else:
            positionals.append((j, word))
        j += 1
    free = slots - len(positionals) - (len(tail) - 1 if tail else 0)
    if unknown and free > 0:
        positionals = sorted(positionals + unknown[:free])
        unknown = unknown[free:]
        moved = True
    if not moved:
        return argv
    kept += [w for _, w in unknown]
    # every positional goes behind "--", in its original order
    return kept + ["--"] + [w for _, w in positionals] + (tail[1:] if tail else [])
