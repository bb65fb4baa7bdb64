"""English a student still met in `--lang zh` output: charts, check rows, step lines, errors, the
root --help. Each run is read with test_lang_zh's detector of English prose; the words too short
for it (a two-word phrase in a label or an error) are named as well."""

from __future__ import annotations

import functools
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
    (
        ["gd", *G, "--compare", "--check"],
        0,
        ("samples of each batch", "loss after each epoch", "updates", "final parameters"),
    ),
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


# --- the torch check, every solver that has one -----------------------------------------------------
#
# A check row's label is often one or two words ("output shape", "params"), too short for the prose
# detector; so here every English word left in the check's table and engine line is named (a word
# the Chinese text keeps, such as softmax or autograd, excepted), on a run of every solver with a
# module in dlcalc/check/ — its declared example, and the runs that reach a check's other branches.

CHECK_RUNS = [
    ["conv", "3x2000x2000", "-k", "3", "-o", "512"],  # on the meta device, plus the reduced numeric run
    ["conv", "3x8x8", "-k", "3", "-o", "2", "--transposed"],
    ["conv", "64x56x56", "-k", "3", "--target", "56", "--solve", "padding"],
    ["conv", "64x56x56", "-k", "3", "--target", "56", "--solve", "stride"],
    ["pool", "64x56x56", "--target", "7", "--solve", "kernel"],
    ["pool", "1x6000x6000", "-k", "2"],
    ["dwsep", "32x112x112", "-k", "3", "-o", "64", "-p", "1"],
    ["gru", "-f", "examples/gru-scalar.yaml", "--convention", "torch"],
    ["metrics", "--data", "1, 2, 4"],
    ["metrics", "--tp", "0", "--fp", "0", "--fn", "1"],
    ["loss", "--kind", "nll", "--logits", "-1.2,-0.5,-2", "--target", "1"],
    ["loss", "--kind", "mse", "--logits", "1, 2", "--target", "0, 1"],
    ["softmax", "2, 1, 0.1", "--temperature", "2"],
    ["grad", "w^2 + 3w", "--wrt", "w", "--claim", "2w"],
    ["grad", "sqrt(w)", "--wrt", "w", "--at", "w=0"],
    ["optim", "--function", "w^2", "--start", "1", "--steps", "2", "--compare", "sgd,adam"],
    ["gd", *G, "--compare"],
    ["bptt", *LSTM],
    ["perceptron", "--samples", "3,3; 4,3; 1,1", "--labels", "1,1,-1", "--rule", "error"],
    ["batchnorm", "-f", "examples/batchnorm.yaml"],
    ["attention", "-f", "examples/attention.yaml", "--heads", "1"],
    [
        "net",
        "-i",
        "3x32x32",
        "Conv2d(3, 8, 3)",
        "ReLU()",
        "Conv2d(8, 8, 3)",
        "ReLU()",
        "Conv2d(8, 8, 3)",
        "MaxPool2d(2)",
        "Flatten()",
        "Linear(1352, 10)",
    ],  # fmt: skip
    ["net", "--model", "resnet18"],
]
# words a check row or engine line keeps in English: torch's names for what it ran, the fields a
# solver solves for (conv --solve padding: "padding = 1")
CHECK_NAMES = {"autograd", "meta", "nn", "padding", "kernel", "stride", "dilation"}


def english_words(text: str) -> list[str]:
    """Every English word outside code, option names, calls and names (a stricter english_prose)."""
    from tests.test_lang_zh import NAMES, WORD

    words = []
    for line in text.splitlines():
        line = re.sub(r"#\d+ \S+( [A-Z]\w+)?|\bL\d+ \w+", " ", line)  # a network's node: its index, path and type
        line = re.sub(r"`[^`]*`|--?[\w-]+|\b\w+\([^)]*\)|'[^']*'|\"[^\"]*\"|torch \d\S*", " ", line)
        words += [w for w in WORD.findall(line) if w.lower() not in NAMES | CHECK_NAMES]
    return words


def _check_runs():
    """Each check module's runs: the declared example of its solver, and CHECK_RUNS."""
    import shlex

    from dlcalc.solvers import declared

    runs = [shlex.split(s.example.split("dlcalc ", 1)[1]) for s in declared() if s.command and s.example]
    return [[a for a in run if a != "--check"] for run in runs] + CHECK_RUNS


def test_every_torch_check_speaks_chinese(monkeypatch, tmp_path):
    import contextlib
    import io
    import json

    from dlcalc.cli import run

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "250")

    def call(args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = run(args)
        return code, out.getvalue()

    peephole = tmp_path / "peephole.yaml"  # the written-out peephole cell, against nn.LSTMCell
    peephole.write_text((ROOT / "examples" / "lstm-scalar.yaml").read_text() + "p_i: 0.1\np_f: 0.2\np_o: 0.3\n")
    kinds, left = set(), []
    for args in _check_runs() + [["lstm", "-f", str(peephole)]]:
        code, data = call([*args, "--check", "--json"])
        assert code in (0, 1), (args, data)  # 1: a wrong --claim, found by dlcalc and torch alike
        for part in json.loads(data) if data.lstrip().startswith("[") else [json.loads(data)]:
            if "check" in part:
                kinds.add(part["kind"])
        code, out = call([*args, "--check", "--lang", "zh"])
        assert code in (0, 1) and "torch 交叉验证" in out, (args, out)
        table = out[out.index("torch 交叉验证") :]
        words = english_words(table)
        if words:
            left.append(f"{' '.join(args)}: {', '.join(dict.fromkeys(words))}")
    assert not left, "English left in --check with --lang zh:\n" + "\n".join(left)
    modules = {p.stem for p in (ROOT / "dlcalc" / "check").glob("*.py")} - {"__init__", "recurrent"}
    assert modules <= kinds, f"check modules never run here: {sorted(modules - kinds)}"


def test_every_check_row_is_written_in_both_languages():
    """Statically: a row label, a worded value or an engine line given to a check as a plain string
    or f-string with English words in it (not a name, a symbol or code) is a leftover; it takes
    `T(en, zh)`. This reaches the branches no run above takes (torch refusing, memory limits)."""
    import ast

    left = []
    for path in sorted((ROOT / "dlcalc" / "check").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name not in ("add", "_item", "CheckReport", "CheckItem"):
                continue
            for arg in node.args[:3] if name != "CheckReport" else node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    text = arg.value
                elif isinstance(arg, ast.JoinedStr):
                    text = "".join(v.value if isinstance(v, ast.Constant) else "7" for v in arg.values)
                else:
                    continue
                if english_words(text):
                    left.append(f"{path.name}:{node.lineno}: {text!r}")
    assert not left, "check rows in English only:\n" + "\n".join(left)


# --- refusals: every raise site ------------------------------------------------------------------
#
# A refusal written in English at its raise site is read in Chinese through dlcalc.text's phrase
# table (or the site gives T(en, zh)). Each `DlcalcError(...)` whose text is written at the site (a
# string, an f-string, a concatenation) is taken with every interpolated value replaced by a number
# and run through zh_message: no English word may be left but code — field, option and argument
# names, layer and function names. A message built elsewhere (a variable) is reached by the fuzz
# test in Chinese instead.


@functools.cache
def code_words() -> set[str]:
    from dlcalc.parse.layers import KEYWORD_ONLY, SIGNATURES
    from dlcalc.solvers import declared
    from tests.test_lang_zh import NAMES

    # the keys of a file (backprop's layers), torch's argument names, command names
    words = set(NAMES) | {"nn", "args", "kwargs", "heaviside", "causal", "tp", "fp", "fn", "logits", "dim", "net"}
    words |= {"weights", "bias", "activation", "query", "key", "value", "sequential"}
    for solver in declared():
        words |= {w.lower() for name in solver.field_names for w in re.split(r"[_\W]+", name) if w}
    for layer, arguments in {**SIGNATURES, **KEYWORD_ONLY}.items():
        words |= {layer.lower()} | {w.lower() for name, _ in arguments for w in name.split("_")}
    return words


def _written(node, hole="7"):
    """The text of a message written at its raise site, each interpolated value as `hole`."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(v.value)
            elif isinstance(v.value, ast.IfExp) and _written(v.value.body, hole) is not None:
                parts.append(_written(v.value.body, hole))  # f"{' (…)' if x else ''}": its first wording
            else:
                parts.append(hole)
        return "".join(parts)
    if isinstance(node, ast.IfExp):  # "(…)" if x else "": its first wording
        return _written(node.body, hole)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _written(node.left, hole), _written(node.right, hole)
        if left is None and right is None:
            return None
        return (hole if left is None else left) + (hole if right is None else right)
    return None


def _t_english(node):
    """The English of `T(en, zh)` or `T(en, zh).format(...)`, each {field} as 7."""
    import ast

    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        node = node.func.value
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "T" and isinstance(node.args[0], ast.Constant):
        return re.sub(r"\{[^}]*\}", "7", node.args[0].value)
    return None


def raise_sites():
    """(place, kind, text) of every DlcalcError(...) in dlcalc: kind is "T" (bilingual at the site),
    "written" (English text written there) or "built" (a message made elsewhere)."""
    import ast

    sites = []
    for path in sorted((ROOT / "dlcalc").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "DlcalcError" and node.args):
                continue
            arg, place = node.args[0], f"{path.relative_to(ROOT)}:{node.lineno}"
            inner = arg
            while isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "format":
                inner = inner.func.value
            if isinstance(inner, ast.Call) and getattr(inner.func, "id", None) == "T":
                sites.append((place, "T", None))
            elif (
                isinstance(arg, ast.Attribute)
                and arg.attr == "en"
                and isinstance(english := arg.value, ast.Call)
                and (text := _t_english(english)) is not None
            ):  # T(en, zh).en: the Chinese is thrown away, so the English goes through the table
                sites.append((place, "written", text))
            elif _written(arg) is not None:
                sites.append((place, "written", _written(arg)))
            else:
                sites.append((place, "built", ast.unparse(arg)))
    return sites


def english_left_in(message: str, code: set[str]) -> list[str]:
    from tests.test_lang_zh import WORD

    text = re.sub(r"^[\w.\-/ ]+?[:：]", " ", message)  # the field the refusal names
    text = re.sub(r"`[^`]*`|--?[\w-]+|\b\w+\([^)]*\)|'[^']*'|\"[^\"]*\"|pip install \S+|\w+(?:\.\w+)+", " ", text)
    return [w for w in WORD.findall(text) if w.lower() not in code]


def test_every_refusal_written_at_its_raise_site_reads_in_chinese():
    from dlcalc.text import zh_message

    sites = raise_sites()
    assert len(sites) > 350
    code = code_words()
    left = []
    for place, kind, text in sites:
        if kind == "written":
            words = english_left_in(zh_message(text), code)
            if words:
                left.append(f"{place}: {zh_message(text)}  [{' '.join(words)}]")
    assert not left, f"{len(left)} refusals keep English with --lang zh:\n" + "\n".join(left)
