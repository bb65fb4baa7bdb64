"""`--lang zh` leaves no English prose: every command's --help, a normal run, and bad input.

One fresh process walks every command in Chinese (DLCALC_LANG=zh, so even the help built when a
module is imported is Chinese) and reports each run of English words left in the output. Numbers,
symbols, code in backticks, option names, calls like Conv2d(3, 64, 3), identifiers (W_f, out_channels)
and the names of functions, optimizers and layers are not prose; a run of three or more other
English words is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Names a Chinese text keeps in English: functions, optimizers, modes, formats, tools.
NAMES = set(
    """sigmoid tanh relu softmax torch dlcalc leaky elu gelu swish softplus silu sgd momentum nesterov
    adagrad rmsprop adam yaml json latex md zh en true false null none max min avg log exp sqrt sin cos
    abs same valid auto chw hwc train eval error misclassified pm textbook cho mse bce cross entropy half
    sse nan inf pdflatex xelatex anki png svg bash zsh fish torchinfo fvcore thop""".split()
)
# the commands and quiz topics, named in a list of choices ("应为 act, attention, … 之一")
NAMES |= set(
    """act attention backprop batchnorm bptt conv dwsep gd grad gru loss lstm metrics net optim perceptron pool
    rnn concept terms""".split()
)
WORD = re.compile(r"(?<![\w\-./`'\"=])([A-Za-z][a-z]+)(?![\w\-/(=`']|\.\w)")


def english_prose(text: str, names: set[str] | None = None) -> list[str]:
    """Runs of three or more English words, outside code, option names, calls and names (NAMES, or
    the `names` given: a refusal may list field names)."""
    names = NAMES if names is None else names
    found = []
    for line in text.splitlines():
        if line.lstrip("│ ").startswith("torch "):  # the check's engine line: a version and a module name
            continue
        line = re.sub(r"`[^`]*`|--?[\w-]+|\b\w+\([^)]*\)|'[^']*'|\"[^\"]*\"|pip install \S+", " ", line)
        run: list[str] = []
        end = 0
        for m in WORD.finditer(line):
            word = m.group(1)
            if word.lower() in names or re.search(r"[^\s,;:]", line[end : m.start()]) and run:
                if len(run) >= 3:
                    found.append(" ".join(run))
                run = []
            if word.lower() not in names:
                run.append(word)
            end = m.end()
        if len(run) >= 3:
            found.append(" ".join(run))
    return found


def test_the_detector_finds_prose_and_spares_code():
    assert english_prose("dlcalc: error: kernel: must be positive, got -1") == ["kernel must be positive got"]
    assert english_prose("卷积核：必须为正，得到 -1") == []
    assert english_prose("示例：dlcalc conv 3x227x227 -k 11 -o 96 `out_channels` Conv2d(3, 64, 3)") == []
    assert english_prose("│ --lr   NUMBER   学习率 η。  [默认：1]") == []
    assert english_prose("Show this help and exit.") == ["Show this help and exit"]


WALK = r"""
import contextlib, io, json, shlex, sys
from dlcalc.cli import run
from dlcalc.cli.index import COMMANDS
from dlcalc.solvers import declaration, module_names

def call(args):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = run(list(args) + ["--lang", "zh"])
    return code, buffer.getvalue()

outputs = []
for name, origin, _en, _zh in COMMANDS:
    runs = [[name, "--help"]]
    solver = declaration(name) if name in module_names() else None
    if solver is not None and solver.command:
        example = shlex.split(solver.example.split("dlcalc ", 1)[1])
        runs += [example, [name, "--no-such-option"], [name, "nan", "nan", "nan"]]
        for i in solver.inputs:
            if i.cli and not i.positional and not i.switch:
                runs += [example + [i.option, "x"], example + [i.option, "-1"]]
    for args in runs:
        code, out = call(args)
        outputs.append((args, code, out))
import typer
from dlcalc.cli import full_app
root = typer.main.get_command(full_app())  # after the walk: building every app first would fix its help language
for group, command in getattr(root, "commands", {}).items():  # a group's own commands: quiz stats, bank show …
    for sub in getattr(command, "commands", {}):
        code, out = call([group, sub, "--help"])
        outputs.append(([group, sub, "--help"], code, out))
print(json.dumps(outputs))
"""


def test_every_command_speaks_chinese_with_lang_zh():
    env = {**os.environ, "DLCALC_LANG": "zh", "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", WALK], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    outputs = json.loads(done.stdout)
    assert len(outputs) > 150
    left = []
    for args, code, out in outputs:
        assert "Traceback" not in out, args
        prose = english_prose(out)
        if prose:
            left.append(f"{' '.join(args)} (exit {code}): {'; '.join(prose[:3])}")
    assert not left, "English left with --lang zh:\n" + "\n".join(left)
