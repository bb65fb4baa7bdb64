"""Every path that reads an expression, a layer spec or a YAML file refuses code: none of it runs."""

import contextlib
import io
from pathlib import Path

import pytest

from dlcalc.cli import run

ATTACKS = [
    "__import__('os').system('touch {canary}')",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: __import__('os').system('touch {canary}'))()",
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]('touch {canary}', shell=True)",
    "exec('import os; os.system(\"touch {canary}\")')",
    "eval('1')",
    "open('{canary}', 'w').write('x')",
    "x.__class__",
    "getattr(x, '__class__')",
    "sigmoid.__globals__",
]
YAML_ATTACKS = [
    "!!python/object/apply:os.system ['touch {canary}']\n",
    "x: !!python/object/apply:os.system ['touch {canary}']\n",
    "x: !!python/name:os.system\n",
    "x: !!python/object/new:subprocess.Popen [['touch', '{canary}']]\n",
    "input: [1]\ntarget: [1]\nlayers: !!python/object/apply:os.system ['touch {canary}']\n",
]


def invoke(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def canary(tmp_path):
    path = tmp_path / "CANARY"
    yield path
    assert not path.exists(), "an input string was executed"


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("where", ["grad", "grad-claim", "grad-at", "optim", "net", "net-file"])
def test_expressions_and_layers_never_run(attack, where, canary, tmp_path):
    text = attack.format(canary=canary)
    args = {
        "grad": ["grad", text, "--wrt", "x"],
        "grad-claim": ["grad", "x^2", "--wrt", "x", "--claim", text],
        "grad-at": ["grad", "x^2", "--wrt", "x", "--at", f"x={text}"],
        "optim": ["optim", "--f", text],
        "net": ["net", "-i", "3x8x8", text],
        "net-file": ["net", "-i", "3x8x8", "--file", str(_write(tmp_path / "model.py", f"model = {text}\n"))],
    }[where]
    code, out, err = invoke(*args)
    assert code == 2 and "Traceback" not in err


@pytest.mark.parametrize("attack", YAML_ATTACKS)
@pytest.mark.parametrize(
    "command", ["backprop", "attention", "batchnorm", "rnn", "lstm", "gru", "perceptron-file", "net-file", "bank"]
)
def test_yaml_tags_never_build_objects(attack, command, canary, tmp_path):
    path = _write(tmp_path / "input.yaml", attack.format(canary=canary))
    args = {
        "perceptron-file": ["perceptron", "--file", str(path)],
        "net-file": ["net", "--file", str(path)],
        "bank": ["bank", "check", "--path", str(tmp_path)],
    }.get(command, [command, str(path)])
    code, out, err = invoke(*args)
    assert code == 2 and "Traceback" not in err


def test_mine_file_is_read_safely(canary, tmp_path):
    mine = _write(tmp_path / "mine.yaml", YAML_ATTACKS[0].format(canary=canary))
    root = Path(__file__).resolve().parent.parent
    code, out, err = invoke("backprop", str(root / "examples" / "mazur.yaml"), "--mine", str(mine))
    assert code == 2


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
