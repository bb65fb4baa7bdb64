"""English a student still met in `--lang zh` output: charts, check rows, step lines, errors, the
root --help. Each run is read with test_lang_zh's detector of English prose; the words too short
for it (a two-word phrase in a label or an error) are named as well."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_lang_zh import english_prose

ROOT = Path(__file__).resolve().parent.parent
A = ["--sequence", "1;2;3", "--weight-ih", "0.5", "--weight-hh", "0.1", "--target", "0.5"]
LSTM = ["--cell", "lstm", "--sequence", "1;2;3", "--weight-ih", "0.5;0.4;0.3;0.2", "--weight-hh", "0.1;0.2;0.3;0.4",
        "--target", "0.5"]  # fmt: skip
G = ["--samples", "1,2; 2,0; 3,1; 0,1", "--targets", "3; 2; 4; 1"]


def dlcalc(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlcalc", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "120", "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
    )


def leftovers(text: str, phrases: tuple[str, ...] = ()) -> list[str]:
    return english_prose(text) + [p for p in phrases if p in text]


CASES = [
    # (argv, exit code, English phrases the detector would pass over)
    (["gd", *G, "--compare"], 0, ("epoch", "overlap", "log scale", "stochastic", "mini-batch")),
    (["gd", *G, "--compare", "--check"], 0, ("samples of each batch", "loss after each epoch", "updates", "final parameters")),
    (["gd", *G, "--model", "mlp", "--hidden", "2", "--full"], 0, ("one row per sample",)),
    (["bptt", *LSTM, "--full"], 0, ("(direct)", "(cell path)")),
    (["bptt", *A, "--weight-hh", "0.1,0.2"], 2, ("expected shape", "hidden", "input")),
    (["bptt", "--cell", "lstm", *A], 2, ("expected shape", "gates", "hidden")),
    (["lstm", "-f", "examples/lstm-scalar.yaml"], 0, ("input 1", "hidden 1", "step(s)")),
    (["batchnorm", "--set", "x=1,2,4,7"], 2, ("training mode",)),
    (["batchnorm", "--set", "x=1"], 2, ("training mode",)),
    (["act", "silu", "--at", "-2,0,1", "--check"], 0, (" at ",)),
    (["loss", "--kind", "nll", "--logits", "-1.2,-0.5,-2", "--target", "1"], 0, ("where", "else")),
    (["conv", "3x32x32", "-k", "3", "-o", "8", "--png", "/nonexistent-dir/a.png"], 2, ("cannot write", "No such file")),
    (["gd", *G, "--png", "/nonexistent-dir/a.png"], 2, ("cannot write", "No such file")),
    (["completion", "--help"], 0, ("Print the shell",)),
]


@pytest.mark.parametrize("argv, code, phrases", CASES, ids=[" ".join(c[0][:2]) for c in CASES])
def test_no_english_left_with_lang_zh(argv, code, phrases):
    p = dlcalc(*argv, "--lang", "zh")
    assert p.returncode == code, p.stderr
    assert leftovers(p.stdout + p.stderr, phrases) == []
    assert re.search(r"[\u4e00-\u9fff]", p.stdout + p.stderr)


def test_a_batchnorm_file_of_one_row_is_refused_in_chinese(tmp_path):
    (tmp_path / "bn.yaml").write_text("x: [1, 2, 4, 7]\n")
    p = dlcalc("batchnorm", "-f", str(tmp_path / "bn.yaml"), "--lang", "zh")
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    assert leftovers(p.stderr, ("expected", "got shape")) == []


@pytest.mark.parametrize(
    "argv, env",
    [(["--help"], {"DLCALC_LANG": "zh"}), (["--lang", "zh", "--help"], {}), (["--lang=zh", "--help"], {})],
)
def test_the_root_help_is_chinese(argv, env):
    p = dlcalc(*argv, env=env)
    assert p.returncode == 0, p.stderr
    assert leftovers(p.stdout, ("torch-checked", "Show the version")) == []
    assert "显示版本并退出" in p.stdout


def test_a_lang_before_the_command_reaches_the_command():
    p = dlcalc("--lang", "zh", "act", "relu", "--at", "2")
    assert p.returncode == 0, p.stderr
    assert re.search(r"[\u4e00-\u9fff]", p.stdout) and english_prose(p.stdout) == []
    bare = dlcalc("--lang", "zh")
    assert bare.returncode == 2 and english_prose(bare.stderr) == [] and "missing" not in bare.stderr


def test_the_loss_png_speaks_chinese(monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    from dlcalc.cli import gd as gd_cli
    from dlcalc.render import plot
    from dlcalc.solvers import gd, spec_of

    seen: list[str] = []

    def keep(plt, fig, path):
        for ax in fig.axes:
            seen.extend([ax.get_title(), ax.get_xlabel(), ax.get_ylabel()])
            seen.extend(t.get_text() for t in ax.get_legend().get_texts())
        plt.close(fig)

    monkeypatch.setattr(plot, "_save", keep)
    result = gd.solve(spec_of("gd", {"x": "1,2; 2,0; 3,1; 0,1", "y": "3; 2; 4; 1", "compare": True}))
    gd_cli.loss_png(str(tmp_path / "cz.png"), result, "zh")
    text = "\n".join(seen)
    assert len(seen) == 6 and all(re.search(r"[\u4e00-\u9fff]", s) for s in seen), seen
    assert leftovers(text, ("epoch", "loss", "batch", "SGD", "gradient")) == []
