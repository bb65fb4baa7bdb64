"""The probe suite: any input gets an answer, or one clear line and exit 2 — within seconds and a
bounded amount of memory (README, "Limits and guarantees").

- The cases the reliability probe named (30,000 logits, 1 MB YAML files, 3,000-deep nesting, a
  billion-laughs file, 5,000-digit numbers …) each run as `python -m dlcalc` in a child process
  whose address space and CPU time are capped with `resource.setrlimit`, under a wall-time limit:
  exceeding either fails the test.
- Inputs refused before any work starts run in-process (fast) under a wall-clock alarm: every
  value option of every command (read from the CLI itself, so a new option is probed too) with
  hostile numbers, and every YAML path with hostile files.
- Hypothesis generates sizes around each limit and hostile YAML documents.

No timing is asserted beyond "did not hang": how time and memory grow is measured in
bench/growth.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc import limits
from dlcalc.cli import run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WALL_SECONDS = 30  # a child slower than this has hung (answers here take well under a second)
CHILD_MEMORY = 1536 * 2**20  # address space of a child: torch is not imported without --check
ALARM_SECONDS = 20  # an in-process refusal that takes longer has started the work it should refuse


# --- running -------------------------------------------------------------------------------------


def _capper(seconds: int):
    def cap() -> None:  # runs in the child before exec
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))

    return cap


def run_capped(
    args: list[str], tmp_path: Path, stdin: bytes | None = None, seconds: int = WALL_SECONDS
) -> tuple[int, str, str]:
    """`python -m dlcalc ARGS` under the memory and time caps; a cap reached fails the test."""
    env = {**os.environ, "DLCALC_DB": str(tmp_path / "history.sqlite3"), "COLUMNS": "100"}
    env.pop("DLCALC_DEBUG", None)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dlcalc", *args],
            capture_output=True,
            timeout=seconds,
            preexec_fn=_capper(seconds),
            env=env,
            input=stdin if stdin is not None else b"",
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {seconds} s: dlcalc {_show(args)}")
    out, err = (done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))
    assert done.returncode >= 0, f"killed by signal {-done.returncode} (CPU limit?): dlcalc {_show(args)}"
    assert "MemoryError" not in err, f"ran out of the {CHILD_MEMORY >> 20} MB cap: dlcalc {_show(args)}"
    return done.returncode, out, err


@contextlib.contextmanager
def alarm(seconds: int = ALARM_SECONDS):
    def ring(signum, frame):
        raise TimeoutError(f"no answer or refusal within {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def invoke(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with alarm(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


def assert_clean(args: list[str], code: int, err: str, allow_check: bool = False) -> None:
    where = f"dlcalc {_show(args)}"
    assert code in ((0, 1, 2) if allow_check else (0, 2)), (where, code, err[-300:])
    assert "Traceback" not in err, (where, err[-600:])
    assert "internal error" not in err, (where, err[-300:])
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("dlcalc: error:"), (where, err[:600])
        assert len(lines[0]) < 400, (where, lines[0][:400])


def assert_refused(args: list[str], code: int, err: str, *named: str) -> None:
    """Exit 2 with one line, naming each of `named` (the limit, the field, the file …)."""
    assert_clean(args, code, err)
    assert code == 2, (_show(args), err[:300])
    for word in named:
        assert word in err, (word, _show(args), err[:300])


def _show(args: list[str]) -> str:
    return " ".join(a if len(a) < 40 else a[:30] + f"…({len(a):,} chars)" for a in args)


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def numbers(n: int) -> str:
    return ",".join(str((i % 7) / 4) for i in range(n))


def digits(n: int) -> str:
    """n numbers in few characters (one argument may hold at most 128 KiB)."""
    return ",".join(str(i % 10) for i in range(n))


def matrix(rows: int, cols: int) -> list[list[float]]:
    return [[((i * cols + j) % 5) / 10 for j in range(cols)] for i in range(rows)]


# --- the named cases, each in a capped child -----------------------------------------------------

BILLION_LAUGHS = (
    "".join(
        f"{a}: &{a} [" + ", ".join([f"*{p}" if p else '"lol"'] * 9) + "]\n"
        for p, a in zip([None, *"abcdefgh"], "abcdefghi")
    )
    + "lr: *i\n"
)


BIG_INT = "9" * 5000
NAMED_CASES = {  # name → (tmp folder → (args, what the one-line refusal must name))
    "30,000 softmax logits": lambda tmp: (["softmax", digits(30_000)], ("limit",)),
    "act at 30,000 points": lambda tmp: (["act", "sigmoid", "--at", digits(30_000)], ("limit",)),
    "attention 200x200": lambda tmp: (
        ["attention", _write(tmp / "att.yaml", yaml.safe_dump({k: matrix(200, 200) for k in "QKV"}))],
        ("limit",),
    ),
    "5,000-digit kernel": lambda tmp: (["conv", "3x9x9", "-k", BIG_INT], (str(limits.NUMBER_CHARS),)),
    "5,000-digit learning rate": lambda tmp: (
        ["optim", "--f", "w^2", "--lr", "0." + BIG_INT],
        (str(limits.NUMBER_CHARS),),
    ),
    "a billion-digit power of ten": lambda tmp: (["softmax", "1e999999999,1"], ("1e100",)),
    "optim a million steps": lambda tmp: (
        ["optim", "--f", "w^2", "--steps", "1000000"],
        (f"{limits.OPTIM_STEPS}",),
    ),
    "1 MB YAML list": lambda tmp: (["backprop", _write(tmp / "big.yaml", "x:\n" + "- 1\n" * 249_000)], ()),
    "3,000-deep YAML": lambda tmp: (
        ["batchnorm", _write(tmp / "deep.yaml", "x: " + "[" * 3000 + "]" * 3000)],
        (str(limits.YAML_DEPTH),),
    ),
    "billion laughs in lr": lambda tmp: (
        ["optim", "--f", "w^2", "--file", _write(tmp / "lol.yaml", BILLION_LAUGHS)],
        (f"{limits.YAML_NODES:,}",),
    ),
    "billion laughs in the bank": lambda tmp: (
        ["bank", "list", "--path", str(Path(_write(tmp / "bank-lol.yaml", BILLION_LAUGHS)).parent)],
        (f"{limits.YAML_NODES:,}",),
    ),
    "mixed key types": lambda tmp: (
        ["backprop", _write(tmp / "mixed.yaml", "input: [1]\n1: 2\ntarget: [1]\n")],
        ("mixed.yaml:2:", "mixed"),
    ),
}


@pytest.mark.parametrize("name", list(NAMED_CASES))
def test_named_hostile_inputs_are_refused_within_the_caps(name, tmp_path):
    args, named = NAMED_CASES[name](tmp_path)
    code, out, err = run_capped(args, tmp_path)
    assert_refused(args, code, err, *named)


def test_an_ordinary_answer_fits_the_caps(tmp_path):
    """The caps are not so tight that a normal answer fails: the same child answers a real problem."""
    code, out, err = run_capped(["backprop", str(EXAMPLES / "mazur.yaml"), "--json"], tmp_path)
    assert code == 0, err
    assert '"kind"' in out


# --- what a student types into a quiz (a capped child reading stdin) ------------------------------

QUIZ_ANSWERS = [
    pytest.param(b"1," * 30_000 + b"\n", id="30,000 numbers"),
    pytest.param(b"(" * 5000 + b"\n", id="5,000 brackets"),
    pytest.param(b"1e400\n", id="1e400"),
    pytest.param(b"0x1F\n", id="hex"),
    pytest.param(b"1/0\n", id="1/0"),
    pytest.param(b"9" * 5000 + b"\n", id="5,000 digits"),
    pytest.param(b"1e999999999\n", id="1e999999999"),
    pytest.param(b"[/x]\n", id="markup"),
    pytest.param(b"\xff\xfe\n", id="not UTF-8"),
]


@pytest.mark.parametrize("answer", QUIZ_ANSWERS)
def test_a_quiz_survives_what_a_student_types(answer, tmp_path):
    code, out, err = run_capped(["quiz", "--n", "1", "--seed", "1"], tmp_path, stdin=answer, seconds=12)
    assert code == 0, err[-300:]
    assert "Traceback" not in err and "internal error" not in err, err[-300:]


# --- every value option of every command, with hostile numbers (in-process) ------------------------

BASE = {  # an invocation that reaches each command's own option parsing
    "conv": ["conv", "3x9x9", "-k", "3"],
    "pool": ["pool", "3x9x9", "-k", "3"],
    "net": ["net", "-i", "3x8x8", "Conv2d(3, 4, 3)"],
    "perceptron": ["perceptron", "--x", "1,1; -1,-1", "--y", "1,-1"],
    "backprop": ["backprop", str(EXAMPLES / "mazur.yaml")],
    "grad": ["grad", "x^2", "--wrt", "x"],
    "rnn": ["rnn", "--x", "1; 2", "--weight-ih", "0.5", "--weight-hh", "0.1"],
    "lstm": ["lstm", str(EXAMPLES / "lstm-scalar.yaml")],
    "gru": ["gru", str(EXAMPLES / "gru-scalar.yaml")],
    "optim": ["optim", "--f", "w^2"],
    "attention": ["attention", str(EXAMPLES / "attention.yaml")],
    "batchnorm": ["batchnorm", str(EXAMPLES / "batchnorm.yaml")],
    "softmax": ["softmax", "1,2"],
    "loss": ["loss", "--logits", "1,2", "--target", "0"],
    "act": ["act", "sigmoid", "--at", "1"],
    "metrics": ["metrics", "--tp", "1", "--fp", "1", "--fn", "1"],
    "bank list": ["bank", "list"],
    "bank show": ["bank", "show", "conv-alexnet-conv1"],
    "bank check": ["bank", "check", "--path", str(EXAMPLES)],
    "quiz": ["quiz", "--n", "1", "--export", "json"],
    "quiz stats": ["quiz", "stats"],
}
SKIP_OPTIONS = {"--png", "--svg", "--copy", "--out", "-o", "--pdf", "--tex", "--path", "--db", "--file", "--mine"}  # paths: see below
BIG = "9" * 5000
HOSTILE_NUMBERS = [
    BIG,
    "-" + BIG,
    "0." + BIG,
    BIG + "/7",
    "1/" + BIG,
    "1e999999999",
    "1e-999999999",
    BIG + "x3",
    "x=" + BIG,
    "1," * 30_000 + "1",
    "1;" * 30_000 + "1",
]


def _value_options() -> list[tuple[str, str]]:
    """(command, option) for every option that takes a value, and every positional argument."""
    import click
    import typer

    from dlcalc.cli import full_app

    root = typer.main.get_command(full_app())
    ctx = click.Context(root)
    found: list[tuple[str, str]] = []

    def walk(command, path):
        for p in command.params:
            if getattr(p, "is_flag", False) or p.name in ("lang", "help"):
                continue
            name = p.opts[0] if p.param_type_name == "option" else "ARG:" + p.name
            if name not in SKIP_OPTIONS:
                found.append((" ".join(path), name))
        if hasattr(command, "list_commands"):
            for n in command.list_commands(ctx):
                walk(command.get_command(ctx, n), [*path, n])

    for n in root.list_commands(ctx):
        walk(root.get_command(ctx, n), [n])
    return found


def _with_value(command: str, option: str, value: str) -> list[str]:
    base = list(BASE.get(command, command.split()))  # a command added later is probed from its bare name
    if option.startswith("ARG:"):  # replace the positional (first argument after the command words)
        words = len(command.split())
        if option == "ARG:layers":
            return [*base, value]
        if command == "act":
            return [*base[:words], value, *base[words + 1 :]]
        if len(base) > words and not base[words].startswith("-"):
            return [*base[:words], value, *base[words + 1 :]]
        return [*base[:words], value, *base[words:]]
    if option in base:
        i = base.index(option)
        return [*base[: i + 1], value, *base[i + 2 :]]
    return [*base, option, value]


OPTIONS = _value_options()


def test_the_option_list_covers_the_cli():
    """The probe reads the options from the CLI itself: every command module's commands are in it."""
    from dlcalc.cli import COMMAND_MODULES

    commands = {c.split()[0] for c, _ in OPTIONS}
    assert set(COMMAND_MODULES) <= commands, set(COMMAND_MODULES) - commands
    assert len(OPTIONS) > 80  # the CLI has well over a hundred value options


@pytest.mark.parametrize(("command", "option"), OPTIONS, ids=[f"{c}-{o}" for c, o in OPTIONS])
def test_every_option_refuses_hostile_numbers_cleanly(command, option, tmp_path, monkeypatch):
    monkeypatch.setenv("DLCALC_DB", str(tmp_path / "h.sqlite3"))
    monkeypatch.delenv("DLCALC_DEBUG", raising=False)
    for value in HOSTILE_NUMBERS:
        args = _with_value(command, option, value)
        code, out, err = invoke(args)
        assert_clean(args, code, err, allow_check=command == "grad")


# --- every YAML path, with hostile files (in-process: refused before any work) --------------------

YAML_PATHS = {
    "backprop": lambda f: ["backprop", f],
    "backprop --mine": lambda f: ["backprop", str(EXAMPLES / "mazur.yaml"), "--mine", f],
    "attention": lambda f: ["attention", f],
    "batchnorm": lambda f: ["batchnorm", f],
    "rnn": lambda f: ["rnn", f],
    "lstm": lambda f: ["lstm", f],
    "gru": lambda f: ["gru", f],
    "perceptron --file": lambda f: ["perceptron", "--file", f],
    "optim --file": lambda f: ["optim", "--file", f],
    "net --file": lambda f: ["net", "--file", f],
    "bank": lambda f: ["bank", "check", "--path", str(Path(f).parent)],
}


def hostile_files() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each file's text and what its refusal must name."""
    return {
        "too big": ("# padding\n" * (limits.FILE_BYTES // 10 + 1), (f"{limits.FILE_BYTES:,}",)),
        "deep": ("lr: " + "[" * 3000 + "1" + "]" * 3000 + "\n", (str(limits.YAML_DEPTH),)),
        "deep block": ("lr:\n" + "".join("  " * i + "-\n" for i in range(200)), (str(limits.YAML_DEPTH),)),
        "billion laughs": (BILLION_LAUGHS, (f"{limits.YAML_NODES:,}",)),
        "many aliases": ("a: &a 1\nb: [" + ", ".join(["*a"] * 500) + "]\n", (str(limits.YAML_ALIASES),)),
        "recursive": ("a: &a [1, *a]\n", ("itself",)),
        "long int": ("lr: " + "9" * 5000 + "\n", (str(limits.NUMBER_CHARS),)),
        "long tagged int": ('lr: !!int "' + "9" * 5000 + '"\n', (str(limits.NUMBER_CHARS),)),
        "mixed keys": ("lr: 1\n2: 3\n", ("input.yaml:2:", "mixed")),
        "list key": ("? [1, 2]\n: 3\n", ("input.yaml:1:",)),
    }


HOSTILE_FILES = list(hostile_files())


@pytest.mark.parametrize("path", list(YAML_PATHS))
@pytest.mark.parametrize("kind", HOSTILE_FILES)
def test_every_yaml_path_refuses_hostile_files(path, kind, tmp_path):
    text, named = hostile_files()[kind]
    folder = tmp_path / "in"
    folder.mkdir()
    args = YAML_PATHS[path](_write(folder / "input.yaml", text))
    code, out, err = invoke(args)
    if path == "net --file" and kind != "too big":
        # net reads a file that is not YAML as pasted PyTorch code; it must still end cleanly
        assert_clean(args, code, err)
        assert code == 2
        return
    assert_refused(args, code, err, *named)
    if kind not in ("too big",):
        assert "input.yaml" in err  # the message names the file


def test_limit_refusals_speak_the_chosen_language(tmp_path):
    args = ["softmax", numbers(limits.LIST + 1), "--lang", "zh"]
    code, out, err = invoke(args)
    assert_refused(args, code, err, "上限", f"{limits.LIST:,}")
    args = ["batchnorm", _write(tmp_path / "d.yaml", "x: " + "[" * 40 + "]" * 40), "--lang", "zh"]
    code, out, err = invoke(args)
    assert_refused(args, code, err, "嵌套", "d.yaml")


def test_the_loader_is_libyaml_and_keeps_line_numbers(tmp_path):
    from dlcalc import yamlio

    assert yamlio.loader_class() is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root = yamlio.compose("a: 1\nb:\n  - 2\n", "t.yaml")
    assert [k.start_mark.line + 1 for k, _ in root.value] == [1, 2]
    # the bank's messages name the line of the field, read through the same loader
    _write(tmp_path / "p.yaml", "- id: x1\n  topic: conv\n  bogus: 1\n")
    code, out, err = invoke(["bank", "list", "--path", str(tmp_path)])
    assert code == 2 and "p.yaml:3" in err and "bogus" in err, err


def test_a_long_network_is_not_counted_as_numbers():
    """The per-problem count is for numbers written as lists; layers and expressions have their
    own readers, so a 400-layer network (1,600 numbers in its text) is still answered."""
    layers = ["Conv2d(8, 8, 3, padding=1)"] * 400
    code, out, err = invoke(["net", "-i", "8x16x16", *layers, "--json"])
    assert code == 0, err


def test_legitimate_anchors_still_load(tmp_path):
    from dlcalc import yamlio

    text = "base: &b {weights: [[0.1]], bias: 0}\nlayers: [*b, *b]\nmerged: {<<: *b, bias: 1}\n"
    data = yamlio.load(text, "t.yaml")
    assert data["layers"] == [{"weights": [[0.1]], "bias": 0}] * 2
    assert data["merged"] == {"weights": [[0.1]], "bias": 1}


# --- sizes around each limit (hypothesis) ---------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(["softmax", "act", "metrics", "loss", "perceptron-w0"]),
    st.integers(1, 3 * limits.LIST),
)
def test_a_list_is_answered_up_to_the_limit_and_refused_above(command, n):
    values = numbers(n)
    args = {
        "softmax": ["softmax", values],
        "act": ["act", "relu", "--at", values],
        "metrics": ["metrics", "--data", values],
        "loss": ["loss", "--logits", values, "--target", "0"],
        "perceptron-w0": ["perceptron", "--x", "1,1", "--y", "1", "--w0", values],
    }[command]
    code, out, err = invoke(args)
    assert_clean(args, code, err)
    if n > limits.LIST:
        assert_refused(args, code, err, "limit")
    else:
        assert "limit" not in err


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(1, 2 * limits.ROWS), st.integers(1, 2 * limits.COLUMNS))
def test_a_matrix_is_refused_above_its_rows_and_columns(rows, cols):
    from dlcalc.errors import DlcalcError
    from dlcalc.parse import parse_matrix

    text = "; ".join(",".join("1" for _ in range(cols)) for _ in range(rows))
    for value in (text, [[1] * cols for _ in range(rows)]):
        with alarm():
            if rows > limits.ROWS or cols > limits.COLUMNS:
                with pytest.raises(DlcalcError, match="limit"):
                    parse_matrix(value, "W")
            else:
                assert len(parse_matrix(value, "W")) == rows


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(1, 60), st.integers(1, 60))
def test_a_problem_holding_too_many_numbers_is_refused_before_work(n_q, d):
    """Attention's work grows with tokens² × width: the total count bounds it at parse time."""
    from dlcalc.errors import DlcalcError
    from dlcalc.solvers import attention

    att = {"Q": matrix(n_q, d), "K": matrix(n_q, d), "V": matrix(n_q, d)}
    with alarm():
        try:
            attention.parse_spec(att)
            accepted = True
        except DlcalcError as e:
            assert f"{limits.NUMBERS:,}" in e.message
            accepted = False
    assert accepted == (3 * n_q * d <= limits.NUMBERS)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(1, 400), st.sampled_from(["", "-", "0.", "1e", "1e-", "1/"]))
def test_a_written_number_is_refused_above_its_length(digits, prefix):
    from dlcalc.errors import DlcalcError
    from dlcalc.parse import parse_number

    text = prefix + "7" * digits
    with alarm():
        try:
            parse_number(text, "lr")
        except DlcalcError as e:
            if len(text) > limits.NUMBER_CHARS:
                assert f"{limits.NUMBER_CHARS}" in e.message
        else:
            assert len(text) <= limits.NUMBER_CHARS


# --- hostile YAML documents (hypothesis) ---------------------------------------------------------

scalar = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(["1e400", "9" * 200, "0x1F", "1:30:00", "yes", "~", "'q'", ".inf", "-.nan", "2001-01-01"]),
    st.text(alphabet="abc019.-:", min_size=1, max_size=6),
)


@st.composite
def yaml_document(draw):
    """Flow-style YAML with anchors, aliases, deep nesting, odd keys and long numbers."""
    anchors: list[str] = []
    budget = [draw(st.integers(1, 25))]  # collections left to draw (keeps generation cheap)

    def node() -> str:
        kind = draw(st.integers(0, 6 if budget[0] > 0 else 1))
        if kind == 0:
            return draw(scalar)
        if kind == 1 and anchors:
            return "*" + draw(st.sampled_from(anchors))
        if kind == 1:
            return draw(scalar)
        budget[0] -= 1
        if kind == 6:  # plain nesting, around the depth limit
            depth = draw(st.integers(1, 2 * limits.YAML_DEPTH))
            return "[" * depth + node() + "]" * depth
        if kind <= 3:
            body = "[" + ", ".join(node() for _ in range(draw(st.integers(0, 3)))) + "]"
        else:
            keys = draw(st.lists(st.one_of(scalar, st.sampled_from(["lr", "x", "input", "layers"])), max_size=3))
            body = "{" + ", ".join(f"{k}: {node()}" for k in keys) + "}"
        if draw(st.booleans()):
            name = f"a{len(anchors)}"
            anchors.append(name)
            return f"&{name} {body}"
        return body

    fields = draw(st.lists(st.sampled_from(["lr", "x", "input", "layers", "W", "Q", "K", "V"]), max_size=4))
    return "".join(f"{f}: {node()}\n" for f in fields)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(yaml_document(), st.sampled_from(sorted(YAML_PATHS)))
def test_hostile_yaml_documents_end_cleanly(tmp_path_factory, text, path):
    folder = tmp_path_factory.mktemp("y")
    args = YAML_PATHS[path](_write(folder / "input.yaml", text))
    code, out, err = invoke(args)
    assert_clean(args, code, err)


# --- the counts the solvers enforce are the documented ones --------------------------------------


@pytest.mark.parametrize(
    ("args", "limit"),
    [
        (["optim", "--f", "w^2", "--steps", str(limits.OPTIM_STEPS + 1)], limits.OPTIM_STEPS),
        (["backprop", str(EXAMPLES / "mazur.yaml"), "--steps", str(limits.BACKPROP_STEPS + 1)], limits.BACKPROP_STEPS),
        (
            ["perceptron", "--x", "1,1; -1,-1", "--y", "1,-1", "--max-epochs", str(limits.PERCEPTRON_EPOCHS + 1)],
            limits.PERCEPTRON_EPOCHS,
        ),
    ],
)
def test_step_counts_are_refused_above_the_documented_limit(args, limit):
    code, out, err = invoke(args)
    assert_refused(args, code, err)
    assert re.search(rf"\b{limit:,}\b|\b{limit}\b", err), err


def test_the_readme_table_states_the_limits():
    """Each row of the README's table says what dlcalc/limits.py enforces."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Limits and guarantees", 1)[1].split("\n## ", 1)[0]
    rows = [
        f"| at most {limits.NUMBER_CHARS} characters",
        "| 1e-100 ≤ \\|x\\| ≤ 1e100, or 0 |" if limits.LARGEST == 10**100 else "?",
        "| \\|n\\| ≤ 10^15" if limits.WHOLE == 10**15 else "?",
        f"| {limits.LIST} numbers |",
        f"| {limits.ROWS} rows × {limits.COLUMNS} columns |",
        f"| {limits.TEXT:,} characters |",
        f"| {limits.TERM} characters |",
        f"| {limits.NUMBERS:,} |",
        f"| {limits.OPTIM_STEPS:,} / {limits.BACKPROP_STEPS:,} / {limits.PERCEPTRON_EPOCHS:,} |",
        f"| {limits.FILE_BYTES:,} bytes |",
        f"| {limits.YAML_DEPTH} levels |",
        f"| {limits.YAML_ALIASES} |",
        f"| {limits.YAML_NODES:,} |",
    ]
    for row in rows:
        assert row in section, f"README's limits table lacks {row!r}"


@pytest.mark.parametrize("reader", ["parse_int", "parse_number", "parse_dims", "parse_vector", "parse_matrix"])
@pytest.mark.parametrize(
    "value",
    [10**6000, -(10**6000), 1e300, "9" * 5000, "1e999999999", [10**6000]],
    ids=["int 10^6000", "int -10^6000", "float 1e300", "5,000 digits", "1e999999999", "[10^6000]"],
)
def test_every_reader_refuses_huge_values_in_one_line(reader, value):
    """Whatever a caller hands the parse layer (a YAML int, a float, text), a huge value is a
    one-line DlcalcError — never Python's int-conversion ValueError, never a billion-digit power."""
    import dlcalc.parse as parse
    from dlcalc.errors import DlcalcError

    with alarm(), pytest.raises(DlcalcError) as refused:
        getattr(parse, reader)(value, "x")
    assert "\n" not in refused.value.message and len(refused.value.message) < 200
