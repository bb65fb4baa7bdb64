"""Property-based: every command, fed generated arguments and files, ends in exit 0, 1 or 2,
never prints a traceback, and on exit 2 says what is wrong in one short stderr line."""

import contextlib
import io
import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.cli import run

NASTY = [
    "",
    " ",
    "x",
    "3x",
    "x3",
    "1x2x3x4",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "1e-400",
    "0",
    "-1",
    "-0",
    "abc",
    "1,2;3",
    ";",
    "1;;2",
    "[[1,2],[3]]",
    "__import__('os')",
    "1/0",
    "∞",
    "3*227*227",
    "(1, 2)",
    "9" * 40,
    "0.1,0.2; 0.3,0.4",
    "1,2",
    "same",
    "valid",
    "true",
    "none",
    "{}",
    "[]",
    "-5x-5",
    "2**2**2**2",
    "lambda: 0",
    "e",
    "pi",
]
token = st.one_of(
    st.integers(-(10**9), 10**9).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.sampled_from(NASTY),
    st.text(alphabet="0123456789x×*,;.- ()[]eEa/", max_size=14),
)


def _tables():
    """The fuzz tables, derived from the solvers' declarations (dlcalc.declare): every option of
    every command built from one is fuzzed, its old spellings too; `net` keeps a hand-written
    command and its own entry. Options naming an output file (--png/--svg FILE) are left out."""
    from dlcalc.cli.build import extension
    from dlcalc.solvers import declared

    commands = {}
    files = {}
    for solver in declared():
        if solver.file:
            files[solver.name] = sorted(solver.field_names)
        if not solver.command or not solver.inputs:
            continue
        every = [i for i in solver.inputs + tuple(getattr(extension(solver.name), "OPTIONS", ())) if i.cli]
        every = [i for i in every if i.metavar != "FILE"]
        options = [n for i in every if not i.positional and not i.switch for n in (i.option, *i.aliases)]
        flags = [i.option for i in every if i.switch]
        commands[solver.name] = (options, flags, [i for i in every if i.positional])
    commands["net"] = (["--input", "--model"], ["--steps", "--full", "--expand"], 2)
    return commands, files


COMMANDS, FILE_COMMANDS = _tables()


def test_the_tables_cover_every_command():
    from dlcalc.cli import command_modules

    solver_commands = {c for c, origin in command_modules().items() if origin.startswith("solvers.")}
    assert solver_commands <= set(COMMANDS) and {"conv", "backprop", "optim"} <= set(COMMANDS)
    assert "--x" in COMMANDS["perceptron"][0] and "--samples" in COMMANDS["perceptron"][0]
    assert {"backprop", "attention", "batchnorm", "rnn", "lstm", "gru"} <= set(FILE_COMMANDS)


def invoke(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


def assert_clean(args, code, err):
    # exit 1 means "checked and wrong": only a check (--check, grad --claim, backprop --mine) gives it
    checked = "--check" in args or "--mine" in args or (args and args[0] == "grad" and "--claim" in args)
    assert code in ((0, 1, 2) if checked else (0, 2)), (args, code, err)
    assert "Traceback" not in err, (args, err)
    assert "internal error" not in err, (args, err)
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("dlcalc: error:"), (args, err)
        assert len(lines[0]) < 400, (args, err)


@st.composite
def command_line(draw):
    name = draw(st.sampled_from(sorted(COMMANDS)))
    options, flags, positional = COMMANDS[name]
    args = [name]
    if isinstance(positional, int):
        args += [draw(token) for _ in range(positional)]
    for i in positional if isinstance(positional, list) else []:
        args.append(draw(st.sampled_from(i.choices) if i.choices and draw(st.booleans()) else token))
    if name == "net":
        args += [
            draw(
                st.sampled_from(
                    [
                        "Conv2d(3, 8, 3)",
                        "MaxPool2d(2)",
                        "Linear(10, 2)",
                        "Flatten()",
                        "Conv2d(",
                        "ReLU(inplace=True)",
                        "Conv2d(3, 8, x)",
                        "Foo()",
                        "BatchNorm2d(8)",
                    ]
                )
            )
            for _ in range(draw(st.integers(0, 3)))
        ]
    for option in draw(st.lists(st.sampled_from(options), max_size=5, unique=True)):
        args += [option, draw(token)]
    if flags:
        args += draw(st.lists(st.sampled_from(flags), max_size=2, unique=True))
    if draw(st.booleans()):
        args.append("--json")
    return args


def assert_said_in(lang, args, code, err):
    """With --lang zh the one stderr line is Chinese: no run of English prose is left in it."""
    from tests.test_lang_zh import english_prose
    from tests.test_zh_leftovers import code_words

    if lang == "zh" and code == 2:
        assert english_prose(err.removeprefix("dlcalc: error: "), code_words()) == [], (args, err)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(command_line(), st.sampled_from(["en", "zh"]))
def test_every_command_fails_cleanly(args, lang):
    code, out, err = invoke(args + ["--lang", lang])
    assert_clean(args, code, err)
    assert_said_in(lang, args, code, err)


values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(NASTY),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["weights", "bias", "activation"]), children, max_size=3),
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(FILE_COMMANDS)), st.data())
def test_files_with_wrong_types_fail_cleanly(tmp_path_factory, name, data):
    fields = FILE_COMMANDS[name]
    content = data.draw(
        st.one_of(
            st.dictionaries(st.sampled_from(fields + ["bogus"]), values, max_size=6).map(lambda d: yaml.safe_dump(d)),
            st.sampled_from(
                [
                    "",
                    "- 1\n- 2\n",
                    "just text",
                    "a: [1, 2\n",
                    "!!python/object/apply:os.system ['echo hacked']\n",
                    "x: !!python/name:os.system\n",
                    "\t\tbad indent: [\n",
                ]
            ),
            st.text(max_size=40),
        )
    )
    path = tmp_path_factory.mktemp("f") / "in.yaml"
    path.write_text(content, encoding="utf-8")
    lang = data.draw(st.sampled_from(["en", "zh"]))
    args = [name, *((str(path),) if data.draw(st.booleans()) else ("-f", str(path))), "--json", "--lang", lang]
    code, out, err = invoke(args)
    assert_clean(args, code, err)
    assert_said_in(lang, args, code, err)
    assert "hacked" not in out + err


@pytest.mark.parametrize(
    "args",
    [
        ["backprop", "no/such/file.yaml"],
        ["attention", "/"],
        ["net", "--file", "missing.yaml"],
        ["bank", "show", "nope"],
        ["bank", "check", "--path", "/nonexistent"],
        ["quiz", "--n", "0"],
        ["quiz", "--topic", "nope", "--export", "json"],
        ["quiz", "--difficulty", "9", "--export", "json"],
        ["conv"],
        ["conv", "3x5x5"],
        ["grad"],
        ["loss", "--logits", "1"],
        ["act", "sigmoid"],
        ["nosuchcommand"],
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_named_bad_inputs(args, lang, tmp_path, monkeypatch):
    monkeypatch.setenv("DLCALC_DB", str(tmp_path / "h.db"))
    code, out, err = invoke(["--lang", lang, *args])
    assert code == 2
    assert_clean(args, code, err)
    assert_said_in(lang, args, code, err)


def test_no_traceback_even_for_a_bug(monkeypatch):
    from dlcalc.solvers import conv

    def boom(spec):
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(conv, "solve", boom)
    monkeypatch.delenv("DLCALC_DEBUG", raising=False)
    code, out, err = invoke(["conv", "3x9x9", "-k", "3"])
    assert code == 2 and "Traceback" not in err and "planted" in err


def test_the_environment_does_not_leak_debug():
    assert os.environ.get("DLCALC_DEBUG") is None


# --- deeper: mostly well-formed inputs with edge values, so the solvers themselves are exercised ---

num = st.one_of(
    st.integers(-4, 6),
    st.floats(-50, 50).map(lambda v: round(v, 3)),
    st.sampled_from([0, 1e-300, 1e300, -1e300, 1e15, 709.8, -745.2, 1000, -1000, "nan", "inf", "1/3", "-0.0"]),
)
small = st.one_of(st.integers(-1, 9), st.sampled_from([0, 10**7, "2x3", "1x0", "same", "valid"]))


def vector(n_min=1, n_max=4):
    return st.lists(num, min_size=n_min, max_size=n_max).map(lambda v: ",".join(map(str, v)))


def matrix(rows=(1, 3), cols=(1, 3)):
    return st.integers(*cols).flatmap(
        lambda c: st.lists(st.lists(num, min_size=c, max_size=c), min_size=rows[0], max_size=rows[1]).map(
            lambda m: "; ".join(",".join(map(str, r)) for r in m)
        )
    )


@st.composite
def deep_command(draw):
    kind = draw(
        st.sampled_from(
            [
                "conv",
                "pool",
                "net",
                "perceptron",
                "grad",
                "rnn",
                "lstm",
                "gru",
                "optim",
                "softmax",
                "loss",
                "act",
                "metrics",
                "backprop",
            ]
        )
    )
    if kind in ("conv", "pool"):
        dims = draw(st.lists(st.one_of(st.integers(-1, 64), st.just(10**6)), min_size=1, max_size=3))
        args = [kind, "x".join(map(str, dims)), "-k", str(draw(small))]
        for opt in draw(
            st.lists(
                st.sampled_from(["-s", "-p", "-d"] + (["-o", "-g", "--output-padding"] if kind == "conv" else [])),
                unique=True,
                max_size=4,
            )
        ):
            args += [opt, str(draw(small))]
        if kind == "conv" and draw(st.booleans()):
            args.append("--transposed")
        if kind == "conv" and draw(st.integers(0, 4)) == 0:
            args += [
                "--target",
                str(draw(st.integers(-1, 70))),
                "--solve",
                draw(st.sampled_from(["padding", "stride", "kernel"])),
            ]
        if kind == "pool" and draw(st.booleans()):
            args.append(draw(st.sampled_from(["--ceil-mode", "--avg"])))
        return args
    if kind == "net":
        c, h = draw(st.integers(1, 4)), draw(st.integers(1, 40))
        layer = st.one_of(
            st.builds(
                lambda i, o, k, s, p: f"Conv2d({i}, {o}, {k}, stride={s}, padding={p})",
                st.integers(0, 4),
                st.integers(0, 8),
                st.integers(0, 6),
                st.integers(0, 3),
                st.integers(0, 3),
            ),
            st.builds(lambda k, s: f"MaxPool2d({k}, {s})", st.integers(0, 4), st.integers(0, 3)),
            st.builds(lambda o: f"AdaptiveAvgPool2d({o})", st.integers(-1, 5)),
            st.sampled_from(["Flatten()", "ReLU()", "BatchNorm2d(3)", "Dropout(0.5)", "Flatten(2)"]),
            st.builds(lambda i, o: f"Linear({i}, {o})", st.integers(-1, 300), st.integers(0, 10)),
        )
        return ["net", "-i", f"{c}x{h}x{h}"] + draw(st.lists(layer, min_size=1, max_size=5))
    if kind == "perceptron":
        n = draw(st.integers(1, 4))
        return [
            "perceptron",
            "--x",
            draw(matrix((n, n))),
            "--y",
            ",".join(draw(st.lists(st.sampled_from(["1", "-1", "0", "2"]), min_size=n, max_size=n))),
            "--lr",
            str(draw(num)),
            "--max-epochs",
            str(draw(st.integers(-1, 30))),
            "--rule",
            draw(st.sampled_from(["error", "misclassified"])),
        ]
    if kind == "grad":
        expr = draw(
            st.sampled_from(
                [
                    "sigmoid(w*x)",
                    "log(x)",
                    "sqrt(x)",
                    "x^x",
                    "1/x",
                    "exp(x)^2",
                    "tanh(x)/x",
                    "relu(x - 1)",
                    "abs(x)",
                    "x^-3",
                    "log(0*x)",
                    "x^100",
                ]
            )
        )
        return ["grad", expr, "--wrt", "x", "--at", f"x={draw(num)}, w={draw(num)}"] + (
            ["--claim", draw(st.sampled_from(["1/x", "0", "x", "nan"]))] if draw(st.booleans()) else []
        )
    if kind in ("rnn", "lstm", "gru"):
        g = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
        h, i = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        hh = draw(st.sampled_from([h, h + 1]))
        return [
            kind,
            "--x",
            draw(matrix((1, 3), (i, i))),
            "--weight-ih",
            draw(matrix((g * h, g * h), (i, i))),
            "--weight-hh",
            draw(matrix((g * hh, g * hh), (h, h))),
        ]
    if kind == "optim":
        return [
            "optim",
            "--f",
            draw(st.sampled_from(["w^2 + 3*w", "exp(w)", "w^4", "log(w)", "1/w", "x^2 + 10*y^2"])),
            "--optimizer",
            draw(st.sampled_from(["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])),
            "--lr",
            str(draw(num)),
            "--start",
            draw(vector(1, 2)),
            "--steps",
            str(draw(st.integers(-1, 40))),
        ]
    if kind == "softmax":
        return ["softmax", draw(vector(1, 5))]
    if kind == "loss":
        k = draw(st.sampled_from(["cross_entropy", "mse", "bce"]))
        z = draw(vector(1, 4))
        return [
            "loss",
            "--logits",
            z,
            "--target",
            draw(st.one_of(st.integers(-1, 4).map(str), vector(1, 4))),
            "--kind",
            k,
        ]
    if kind == "act":
        return [
            "act",
            draw(st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"])),
            "--at",
            draw(vector(1, 4)),
        ]
    if kind == "metrics":
        return [
            "metrics",
            "--tp",
            str(draw(st.integers(-1, 9))),
            "--fp",
            str(draw(st.integers(0, 9))),
            "--fn",
            str(draw(st.integers(0, 9))),
            "--data",
            draw(vector(1, 5)),
        ]
    # backprop: a small network with edge values, as the YAML file the command reads
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))  # input width, then each layer's
    layers = [
        {
            "weights": draw(st.lists(st.lists(num, min_size=n_in, max_size=n_in), min_size=n_out, max_size=n_out)),
            "bias": draw(st.one_of(num, st.lists(num, min_size=n_out, max_size=n_out))),
            "activation": draw(st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"])),
        }
        for n_in, n_out in zip(sizes, sizes[1:])
    ]
    spec = {
        "input": draw(st.lists(num, min_size=sizes[0], max_size=sizes[0])),
        "target": draw(st.lists(num, min_size=sizes[-1], max_size=sizes[-1])),
        "layers": layers,
        "loss": draw(st.sampled_from(["half_sse", "mse", "cross_entropy"])),
        "lr": draw(num),
        "update_bias": draw(st.booleans()),
    }
    steps = ["--steps", str(draw(st.integers(-1, 5)))] if draw(st.booleans()) else []
    return ["backprop", yaml.safe_dump(spec), *steps]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(deep_command(), st.booleans(), st.sampled_from(["en", "zh"]))
def test_edge_values_fail_cleanly(tmp_path_factory, args, as_json, lang):
    import warnings

    if args[0] == "backprop":  # the generated network is written as the FILE the command reads
        path = tmp_path_factory.mktemp("bp") / "net.yaml"
        path.write_text(args[1], encoding="utf-8")
        args = ["backprop", str(path), *args[2:]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or invalid-value warning is a bug too
        code, out, err = invoke(args + (["--json"] if as_json else []) + ["--lang", lang])
    assert_clean(args, code, err)
    assert_said_in(lang, args, code, err)
    if as_json and code == 0:
        import json

        json.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c} in {args}"))
