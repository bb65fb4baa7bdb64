"""The one-declaration design: commands, help, old spellings, pictures and shipped files all come
from a solver's `SOLVER` declaration (dlcalc.declare) and are found by discovery."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlcalc.declare import Solver
from dlcalc.solvers import declared, module_names

ROOT = Path(__file__).resolve().parent.parent


def test_discovery_finds_every_declared_solver_and_no_helper():
    names = {s.name for s in declared()}
    assert {"conv", "pool", "backprop", "rnn", "lstm", "gru", "optim", "softmax", "loss", "act"} <= names
    for helper in ("symbolic", "stable", "net_layers"):
        assert helper in module_names() and helper not in names
    for s in declared():
        assert isinstance(s, Solver) and s.module == f"dlcalc.solvers.{s.module.rsplit('.', 1)[1]}"


def test_the_generated_index_names_every_command():
    from dlcalc.bank import SOLVERS, TOPICS
    from dlcalc.cli import command_modules
    from dlcalc.quiz.templates import TEMPLATES

    commands = command_modules()
    for s in declared():
        if s.command:
            assert commands[s.name] in (f"solvers.{s.name}", f"cli.{s.name}"), s.name
        assert s.module.rsplit(".", 1)[1] in SOLVERS
    assert set(TEMPLATES) <= set(TOPICS)
    assert {"conv", "net", "act", "loss"} <= set(TEMPLATES)


@pytest.mark.parametrize("solver", [s for s in declared() if s.command and s.inputs], ids=lambda s: s.name)
def test_help_shows_every_declared_option_with_its_metavar_and_no_old_spelling(cli, solver):
    code, out, err = cli(solver.name, "--help")
    assert code == 0, err
    for i in solver.inputs:
        if not i.cli:
            continue
        if i.positional:
            assert i.metavar in out, (solver.name, i.name)
            continue
        assert i.option in out, (solver.name, i.option)
        if not i.switch and not i.choices:
            assert i.metavar in out, (solver.name, i.option, i.metavar)
        for old in i.aliases:
            assert f"{old} " not in out.replace(i.option, ""), (solver.name, old)
    if solver.file:
        assert "--file" in out and "-f" in out


def _option_help(out: str, option: str) -> str:
    """The help of one option in rich's table: its row and the wrapped rows under it."""
    rows = [line.strip("│ ") for line in out.splitlines()]
    start = next(n for n, row in enumerate(rows) if row.startswith(option + " "))
    end = next((n for n in range(start + 1, len(rows)) if rows[n].startswith("-")), len(rows))
    return " ".join(rows[start:end])


def test_numeric_defaults_are_shown_in_help(cli):
    _, out, _ = cli("perceptron", "--help")
    for option, default in (("--lr", "1"), ("--w0", "zeros"), ("--rule", "error"), ("--max-epochs", "100")):
        assert f"[default: {default}]" in _option_help(out, option), option
    _, out, _ = cli("pool", "--help")
    assert "kernel" in _option_help(out, "--stride")
    _, out, _ = cli("conv", "--help")
    assert "<str>" not in out.split("Options")[1] and "[default: 1]" in _option_help(out, "--groups")


def test_old_spellings_still_work_with_one_note(cli):
    new = cli("perceptron", "--samples", "3,3; 4,3; 1,1", "--labels", "1,1,-1", "--json")
    old = cli("perceptron", "--x", "3,3; 4,3; 1,1", "--y", "1,1,-1", "--json")
    assert new[0] == old[0] == 0 and new[1] == old[1]
    assert "--samples" in old[2] and "--labels" in old[2] and new[2] == ""
    old = cli("backprop", str(ROOT / "examples" / "mazur.yaml"), "--json")
    new = cli("backprop", "-f", str(ROOT / "examples" / "mazur.yaml"), "--json")
    assert old[0] == new[0] == 0 and old[1] == new[1] and "-f FILE" in old[2]
    code, _, err = cli("optim", "--f", "w^2", "--steps", "1", "--lang", "zh")
    assert code == 0 and "--function" in err and "提示" in err


def test_a_refused_old_spelling_stays_one_line(cli):
    code, out, err = cli("perceptron", "--x", "1,2; 3", "--y", "1,0")
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("dlcalc: error:")


def test_help_in_chinese_from_lang_or_the_environment(cli, monkeypatch):
    _, out, _ = cli("conv", "--help", "--lang", "zh")
    assert "卷积" in out and "选项" in out and "[默认：1]" in out
    monkeypatch.setenv("DLCALC_LANG", "zh")
    _, out, _ = cli("rnn", "--help")
    assert "隐藏状态" in out or "前向传播" in out


def test_the_plain_conv_path_imports_neither_torch_nor_sympy():
    code = (
        "import sys; from dlcalc.cli import run; rc = run(['conv', '3x227x227', '-k', '11', '-s', '4', '-o', '96']); "
        "heavy = [m for m in ('torch', 'sympy', 'matplotlib', 'numpy') if m in sys.modules]; "
        "assert not heavy, heavy; sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "55" in out.stdout  # (227 - 11) / 4 + 1 = 55, AlexNet's CONV1


# --- pictures (--png/--svg FILE) --------------------------------------------------------------


def test_rnn_picture_holds_the_values_torch_computes(cli, tmp_path):
    torch = pytest.importorskip("torch")
    rnn = torch.nn.RNN(1, 1, bias=False)
    with torch.no_grad():
        rnn.weight_ih_l0.fill_(0.5)
        rnn.weight_hh_l0.fill_(0.1)
        h, _ = rnn(torch.tensor([[1.0], [2.0], [3.0]]))
    svg, png = tmp_path / "rnn.svg", tmp_path / "rnn.png"
    code, _, err = cli(
        "rnn", "--sequence", "1; 2; 3", "--weight-ih", "0.5", "--weight-hh", "0.1", "--svg", str(svg), "--png", str(png)
    )
    assert code == 0, err
    text = svg.read_text(encoding="utf-8")
    for value in h.flatten().tolist():
        assert f"{value:.4f}" in text, value
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(svg) in err and str(png) in err


def test_backprop_picture_holds_mazurs_total_error(cli, tmp_path):
    svg = tmp_path / "b.svg"
    code, _, err = cli("backprop", "-f", str(ROOT / "examples" / "mazur.yaml"), "--svg", str(svg))
    assert code == 0, err
    assert "0.2984" in svg.read_text(encoding="utf-8")  # Mazur's worked example: E_total = 0.298371109
    assert str(svg) in err


@pytest.mark.parametrize(
    "args",
    [
        ["conv", "1x5x5", "-k", "3", "-o", "2"],
        ["net", "-i", "1x8x8", "Conv2d(1, 2, 3)"],
        ["lstm", "-f", str(ROOT / "examples" / "lstm-scalar.yaml")],
        ["gru", "-f", str(ROOT / "examples" / "gru-scalar.yaml")],
    ],
    ids=lambda a: a[0],
)
def test_every_picture_command_saves_a_file_and_says_where(cli, tmp_path, args):
    svg = tmp_path / "p.svg"
    code, out, err = cli(*args, "--svg", str(svg), "--json")
    assert code == 0, err
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<")
    assert str(svg) in err and out.lstrip().startswith("{")


def test_picture_flags_are_declared_only_where_there_is_a_picture(cli):
    with_picture = {s.name for s in declared() if s.picture}
    assert {"backprop", "net", "conv", "rnn", "lstm", "gru"} <= with_picture
    _, out, _ = cli("softmax", "--help")
    assert "--svg" not in out


# --- shipped files, from outside the repository ------------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package as `pip install .` lays it out (setuptools' build_py: packages + package data)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py", "--build-lib", str(target)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    return target


def _run_installed(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "dlcalc", *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_examples_and_completions_work_outside_the_repository(installed, tmp_path):
    listing = _run_installed(installed, tmp_path, "examples", "--json")
    assert listing.returncode == 0, listing.stderr
    assert "mazur.yaml" in listing.stdout and str(installed) in listing.stdout
    run = _run_installed(installed, tmp_path, "backprop", "-f", "mazur.yaml", "--json")
    assert run.returncode == 0, run.stderr
    assert '"loss": 0.2983711' in run.stdout  # Mazur's E_total = 0.298371109
    copied = _run_installed(installed, tmp_path, "examples", "mazur", "--copy", ".")
    assert copied.returncode == 0 and (tmp_path / "mazur.yaml").is_file()
    for shell, marker in (("bash", "complete"), ("zsh", "#compdef"), ("fish", "complete -c dlcalc")):
        script = _run_installed(installed, tmp_path, "completion", shell)
        assert script.returncode == 0 and marker in script.stdout
        assert script.stdout == (ROOT / "completions" / {"bash": "dlcalc.bash", "zsh": "_dlcalc", "fish": "dlcalc.fish"}[shell]).read_text()


def test_completion_help_has_an_install_hint(cli):
    code, out, _ = cli("completion", "--help")
    assert code == 0 and "~/.bashrc" in out
