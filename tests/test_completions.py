"""Shell completions: in step with the app, and working in real bash, zsh and fish."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "completions"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_completions", ROOT / "scripts" / "gen_completions.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_completions_are_in_step_with_the_app():
    for name, text in _generator().render_all().items():
        assert (COMPLETIONS / name).read_text(encoding="utf-8") == text, (
            f"completions/{name} drifted from the app: run python scripts/gen_completions.py"
        )


def _bash(words, cword):
    script = (
        f"source {COMPLETIONS / 'dlcalc.bash'}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
        f"COMP_CWORD={cword}; _dlcalc; printf '%s\\n' \"${{COMPREPLY[@]}}\""
    )
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    return out.split()


def test_bash():
    assert _bash(["dlcalc", "con"], 1) == ["conv"]
    assert _bash(["dlcalc", "conv", "--st"], 2) == ["--stride"]
    assert _bash(["dlcalc", "pool", "3", "--lang", ""], 4) == ["en", "zh"]
    assert "--ceil-mode" in _bash(["dlcalc", "pool", "--"], 2)


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish():
    def complete(line):
        cmd = f"source {COMPLETIONS / 'dlcalc.fish'}; complete -C '{line}'"
        out = subprocess.run(["fish", "-c", cmd], capture_output=True, text=True, check=True).stdout
        return [row.split("\t")[0] for row in out.splitlines()]

    assert complete("dlcalc con") == ["conv"]
    assert complete("dlcalc conv --st") == ["--stride"]
    assert complete("dlcalc conv 3 --lang ") == ["en", "zh"]


ZSH_DRIVER = r"""
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D; bindkey -e; print RE''ADY"
local all="" chunk
zpty -r z chunk '*READY*> '
zpty -w -n z "$2"$'\t'$'\C-a'"print -r -- RES''ULT: "$'\n'
zpty -r z all '*RESULT: *> '
print -r -- "$all" | tr -d '\r' | grep -a '^RESULT: '
zpty -d z
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh():
    def complete(line):
        out = subprocess.run(
            ["zsh", "-f", "-c", ZSH_DRIVER, "zsh", str(COMPLETIONS), line], capture_output=True, text=True, timeout=60
        ).stdout
        return out.strip().removeprefix("RESULT: ").strip()

    assert complete("dlcalc con") == "dlcalc conv"
    assert complete("dlcalc conv --st") == "dlcalc conv --stride"


def test_zsh_script_parses():
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed")
    subprocess.run(["zsh", "-n", str(COMPLETIONS / "_dlcalc")], check=True)


def test_every_command_is_mapped_to_its_module():
    import typer

    from dlcalc.cli import COMMAND_MODULES, full_app

    command = typer.main.get_command(full_app())
    assert set(command.commands) == set(COMMAND_MODULES)


# --- values: every option with a fixed set or a documented form of values gets them offered ------


def _valued():
    """(command path, option or None for the argument, values) for every parameter of the app that
    declares its values: a choice list, or a documented form (gd --batch full|N|1, conv --padding
    'same'/'valid'), or a known set (draw's topics, the shipped examples, act's functions)."""
    import click
    import typer

    from dlcalc.cli import full_app

    out = []

    def walk(cmd, path):
        for p in cmd.params:
            if p.hidden:
                continue
            values = [str(c) for c in (getattr(p.type, "choices", None) or [])]
            values = values or [i.value for i in p.shell_complete(click.Context(cmd), "") if i.type == "plain"]
            if values:
                option = None if p.param_type_name == "argument" else p.opts[0]
                out.append((path, option, values))
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(full_app()), [])
    return out


VALUED = _valued()


def test_the_value_sets_come_from_the_declarations():
    found = {(" ".join(path), option): values for path, option, values in VALUED}
    assert found[("gd", "--batch")] == ["full", "1"]  # metavar full|N|1
    assert set(found[("conv", "--padding")]) == {"same", "valid"}  # 'same' or 'valid' in its help
    assert "resnet-densenet" in found[("draw", None)] and "mazur" in found[("examples", None)]
    assert "leaky_relu" in found[("act", None)] and found[("completion", None)] == ["bash", "zsh", "fish"]
    assert found[("optim", "--optimizer")][-1] == "adamw"


def test_bash_offers_every_value_set():
    script = [f"source {COMPLETIONS / 'dlcalc.bash'}"]
    for path, option, _ in VALUED:
        words = ["dlcalc", *path, *([option] if option else []), ""]
        script.append(f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; COMPREPLY=()")
        script.append('_dlcalc; echo "${COMPREPLY[*]}"')
    out = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True, check=True).stdout
    got = out.split("\n")
    bad = [(path, option, values, line) for (path, option, values), line in zip(VALUED, got) if line.split() != values]
    assert not bad, bad


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_offers_every_value_set():
    lines = [f"source {COMPLETIONS / 'dlcalc.fish'}"]
    for path, option, _ in VALUED:
        line = " ".join(["dlcalc", *path, *([option] if option else [])]) + " "
        lines.append(f"complete -C '{line}' | cut -f1 | string join ' '")
    out = subprocess.run(["fish", "-c", "\n".join(lines)], capture_output=True, text=True, check=True).stdout
    got = out.split("\n")
    bad = [
        (path, option, values, line)
        for (path, option, values), line in zip(VALUED, got)
        if sorted(line.split()) != sorted(values)
    ]
    assert not bad, bad


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_offers_the_value_sets():
    """zsh through a real pseudo-terminal (slow: a sample); that every option's set is written into
    the script is checked on the script's text."""
    script = (COMPLETIONS / "_dlcalc").read_text(encoding="utf-8")
    for path, option, values in VALUED:
        assert f"({' '.join(values)})" in script, (path, option, values)

    def complete(line):
        out = subprocess.run(
            ["zsh", "-f", "-c", ZSH_DRIVER, "zsh", str(COMPLETIONS), line], capture_output=True, text=True, timeout=60
        ).stdout
        return out.strip().removeprefix("RESULT: ").strip()

    assert complete("dlcalc gd --batch f") == "dlcalc gd --batch full"
    assert complete("dlcalc draw resnet-d") == "dlcalc draw resnet-densenet"
    assert complete("dlcalc optim --optimizer rms") == "dlcalc optim --optimizer rmsprop"
