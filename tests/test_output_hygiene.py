"""Output hygiene for every command: a closed pipe ends quietly with exit 0, usage errors are one
line in dlcalc's words, and the time/memory-bound cases of `net` and `--check` finish within a
subprocess wall-time and address-space limit."""

import os
import re
import resource
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = [line[2:].split("  #")[0].strip() for line in README.splitlines() if line.startswith("$ dlcalc ")]
EXTRA = [
    "dlcalc net --model vgg16 --full",
    "dlcalc net --model vgg16 --json",
    "dlcalc bank list",
    "dlcalc conv --help",
    "dlcalc net -i 3x8x8 ReLU",  # an error: stays exit 2 with the pipe closed
]
COMMANDS = list(dict.fromkeys(EXAMPLES + EXTRA))


def limited(memory: int = 3 * 2**30):
    """A preexec_fn: cap the child's address space (RLIMIT_AS)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return apply


def run_limited(args, seconds=120, memory=3 * 2**30, **kwargs):
    """dlcalc in a subprocess under a wall-time and address-space limit; exceeding either fails."""
    return subprocess.run(
        [sys.executable, "-m", "dlcalc", *args],
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=limited(memory),
        cwd=ROOT,
        **kwargs,
    )


def _readme_errors() -> set[str]:
    """README examples whose shown output is an error line: they exit 2 with the pipe closed too."""
    lines = README.splitlines()
    return {
        line[2:].split("  #")[0].strip()
        for line, following in zip(lines, lines[1:] + [""])
        if line.startswith("$ dlcalc ") and following.startswith("dlcalc: error:")
    }


README_ERRORS = _readme_errors()


def _expected_code(command: str) -> int:
    return 2 if command.endswith("ReLU") or command in README_ERRORS else 0


def _small_pipe():
    import fcntl

    r, w = os.pipe()
    fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: a one-page pipe, so any longer output meets the closed end
    return r, w


DRIVER = """
import contextlib, io, json, os, shlex, sys
from dlcalc.cli import flushed, run

results = []
for command in json.loads(sys.argv[2]):
    r, w = os.pipe()
    os.close(r)  # the reader is gone before the command writes (`dlcalc … | true`)
    os.dup2(w, 1)
    os.close(w)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = flushed(run(shlex.split(command)[1:]))  # what main() does before it exits
    results.append([command, code, err.getvalue()])
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(results, f)
"""


def test_pipe_closed_before_the_first_write_every_command(tmp_path):
    # every README example and a few long outputs, with stdout a real pipe whose reader has gone
    import json

    results = tmp_path / "results.json"
    subprocess.run(
        [sys.executable, "-c", DRIVER, str(results), json.dumps(COMMANDS)],
        cwd=ROOT,
        timeout=300,
        preexec_fn=limited(),
        stdout=subprocess.DEVNULL,
        check=True,
    )
    for command, code, err in json.loads(results.read_text(encoding="utf-8")):
        assert code == _expected_code(command), (command, code, err)
        assert "Traceback" not in err and "Exception ignored" not in err and "internal error" not in err, command


@pytest.mark.parametrize("command", ["dlcalc net --model vgg16 --full", "dlcalc bank list", "dlcalc conv --help"])
def test_pipe_closed_before_the_first_write(command):
    r, w = _small_pipe()
    os.close(r)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlcalc", *shlex.split(command)[1:]],
        stdout=w,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        preexec_fn=limited(),
    )
    os.close(w)
    _, err = proc.communicate(timeout=120)
    text = err.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "Traceback" not in text and "Exception ignored" not in text and "Broken pipe" not in text


@pytest.mark.parametrize(
    "command", ["dlcalc net --model vgg16 --full", "dlcalc net --model vgg16 --json", "dlcalc bank list"]
)
def test_pipe_closed_after_the_first_line(command):
    # `dlcalc net --model vgg16 --full | head -1` exited 1 ("checked and wrong")
    r, w = _small_pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlcalc", *shlex.split(command)[1:]],
        stdout=w,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        preexec_fn=limited(),
    )
    os.close(w)
    with os.fdopen(r, "rb") as reader:
        first = reader.readline()
    _, err = proc.communicate(timeout=120)
    assert first and proc.returncode == 0, err
    assert err == b""


def test_shell_head_ends_quietly():
    out = subprocess.run(
        f"{shlex.quote(sys.executable)} -m dlcalc net --model vgg16 --full | head -1; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0 and out.stderr == "" and out.stdout.count("\n") == 1


@pytest.mark.parametrize(
    "args, words",
    [
        (["conv", "3x5x5", "-k", "3", "--bogus"], "conv: no such option: --bogus"),
        (["conv"], "conv: missing argument 'INPUT'"),
        (["conv", "3x5x5", "-k", "3", "--solve", "xx"], "conv: invalid value for '--solve'"),
        (["nosuch"], "no such command 'nosuch'"),
        (["bank", "show"], "bank show: missing argument 'ID'"),
    ],
)
def test_usage_errors_are_one_line_in_dlcalc_words(cli, args, words):
    code, out, err = cli(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("dlcalc: error: ") and words in err
    assert "dlcalc: error: dlcalc" not in err and "see dlcalc" in err


@pytest.mark.parametrize(
    "layers, message",
    [
        (["ReLU"], "`ReLU` is a class: write `ReLU()`"),
        (["nn.MaxPool2d"], "`nn.MaxPool2d` is a class: write `nn.MaxPool2d()`"),
        (["relu"], "`relu` is a class: write `relu()`"),
        (["Foo"], "`Foo` is not a layer dlcalc knows"),
        (["3"], "`3` is a number, not a layer"),
        (["def f(): pass"], "line 1: a function definition (def …) is not read"),
        (["Conv2d(3, 16, 3)", "Flatten()", "Linear(100, 10)"], "expects 100 input features but receives 14400"),
        (["Conv2d(3, 16, 3)", "Linear(100, 10)"], "receives 30 (its input is 16×30×30); add Flatten() first"),
    ],
)
def test_net_errors_in_the_users_words(cli, layers, message):
    code, out, err = cli("net", "-i", "3x32x32", *layers)
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not re.search(r"\b(\d+) \(\1\)", err)  # never "receives 14400 (14400)"
    assert not re.search(r"found (Name|Attribute|Constant|BinOp)", err)


# --- bounded time and memory: net's reader and --check --------------------------------------


def test_long_layer_list_reads_in_linear_time(tmp_path):
    # 8,000 Identity() layers in one argument ran for minutes (a source rescan per layer)
    layers = ", ".join(["Identity()"] * 8000)
    out = run_limited(["net", "-i", "3x16x16", layers, "--json"], seconds=90, memory=2 * 2**30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count('"type": "Identity"') == 8000
    code = tmp_path / "model.py"
    code.write_text("model = nn.Sequential(\n" + ",\n".join(["    nn.Identity()"] * 8000) + "\n)\n", encoding="utf-8")
    out = run_limited(["net", "-i", "3x16x16", "--file", str(code), "--json"], seconds=90, memory=2 * 2**30)
    assert out.returncode == 0 and out.stdout.count('"type": "Identity"') == 8000, out.stderr


@pytest.mark.parametrize(
    "text",
    [
        "Conv2d(3, 2, " + "-" * 5000 + "3)",
        "Conv2d(3, 2, " + "-" * 100000 + "3)",
        "Conv2d(3, 2, " + "-" * 800 + "3)",
        "Conv2d(3, 2, " + "+".join(["1"] * 20000) + ")",
        "[" * 300 + "ReLU()" + "]" * 300,
        "Sequential(" * 150 + "ReLU()" + ")" * 150,
    ],
    ids=["minus-5000", "minus-100000", "minus-800", "plus-20000", "brackets-300", "sequential-150"],
)
def test_deep_nesting_is_one_clear_line(text):
    out = run_limited(["net", "-i", "3x8x8", text], seconds=60, memory=2 * 2**30)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "nested" in out.stderr and len(out.stderr) < 300, out.stderr


def test_py_file_is_not_read_as_yaml(tmp_path):
    # a .py file with a 1 MB comment took 42 s as YAML before it was read as code
    big = tmp_path / "model.py"
    big.write_text("# " + "x" * 1_000_000 + "\nnn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())\n", encoding="utf-8")
    out = run_limited(["net", "-i", "3x32x32", "--file", str(big), "--json"], seconds=20, memory=2 * 2**30)
    assert out.returncode == 0 and '"output_shape": [\n    8,\n    30,\n    30\n  ]' in out.stdout, out.stderr
    # a file without a telling extension: YAML when it starts with a key, code otherwise
    plain = tmp_path / "net"
    plain.write_text("# my net\ninput: 1x28x28\nlayers:\n  - Conv2d(1, 4, 3)\n", encoding="utf-8")
    out = run_limited(["net", "--file", str(plain), "--json"])
    assert out.returncode == 0 and '"total_params": 40' in out.stdout, out.stderr
    plain.write_text("# my net\nmodel = nn.Sequential(nn.Conv2d(1, 4, 3))\n", encoding="utf-8")
    out = run_limited(["net", "-i", "1x28x28", "--file", str(plain), "--json"])
    assert out.returncode == 0 and '"total_params": 40' in out.stdout, out.stderr
    broken = tmp_path / "net.yaml"
    broken.write_text("input: 1x28x28\nlayers: [Conv2d(1, 4, 3)\n", encoding="utf-8")
    out = run_limited(["net", "--file", str(broken)])
    assert out.returncode == 2 and "invalid YAML" in out.stderr


@pytest.mark.parametrize("channels", ["20000000", "1000000000"])
def test_check_of_a_huge_layer_runs_on_meta(channels):
    # conv 1x8x8 -k 8 -o 20000000 --check peaked at 5 GB and reported "torch DISAGREES" (exit 1);
    # with -o 1000000000 torch could not allocate, still reported as a disagreement
    out = run_limited(["conv", "1x8x8", "-k", "8", "-o", channels, "--check", "--json"], memory=3 * 2**30)
    assert out.returncode == 0, out.stderr
    import json

    check = json.loads(out.stdout)["check"]
    assert check["ok"] and "meta" in check["engine"]
    assert any(item["what"].startswith("numeric run") and item["torch"] == [1, 1] for item in check["items"])


def test_torch_failing_for_memory_is_not_a_disagreement(tmp_path):
    # torch really runs out: the address space is capped just above what is already mapped
    script = tmp_path / "capped.py"
    script.write_text(
        "import resource, sys\n"
        "import torch, rich.table, rich.console\n"
        "import dlcalc.cli, dlcalc.cli.layers, dlcalc.check.conv, dlcalc.render, dlcalc.render.terminal\n"
        "size = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmSize:')) * 1024\n"
        "limit = size + 40 * 2**20\n"
        "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
        "from dlcalc.cli import run\n"
        "sys.exit(run(['conv', '1x2000x2000', '-k', '1', '-o', '3', '--check']))\n",
        encoding="utf-8",
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 2 and out.stderr.startswith("dlcalc: error: --check could not run"), out.stderr
    assert out.stderr.count("\n") == 1 and "DISAGREES" not in out.stdout


@pytest.mark.parametrize("failure", ["allocator", "memory"])
@pytest.mark.parametrize(
    "args", [["conv", "3x32x32", "-k", "3", "-o", "4"], ["pool", "3x32x32", "-k", "2"], ["net", "--model", "lenet5"]]
)
def test_check_that_cannot_run_exits_2(cli, monkeypatch, failure, args):
    from torch import nn

    def fail(*a, **k):
        if failure == "memory":
            raise MemoryError()
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: not enough memory: "
            "you tried to allocate 5120000000 bytes."
        )

    monkeypatch.setattr(nn.Module, "__call__", fail)  # every layer's forward pass fails as torch's allocator does
    code, out, err = cli(*args, "--check")
    assert code == 2 and err.startswith("dlcalc: error: --check could not run") and err.count("\n") == 1
    assert "DISAGREES" not in out
