"""Every table any command prints shows every figure whole, at any width down to 60 columns and
when piped (issue 14: LeNet-5 at 80 columns showed `2,4` for 2,416 and lost its `#` column).

Each table's cells are recorded on their way into the shared renderer; every figure in them must
then appear, unbroken, in the table lines of the output at least as often as in the cells.
"""

import json
import os
import re
import subprocess
import sys

import pytest

import dlcalc.render.terminal as terminal

WIDTHS = [60, 80, 100, 140]
FIGURE = re.compile(r"\d+(?:[,.]\d+)*(?:e[+-]?\d+)?")
BOX = set("│┃")

COMMANDS = [
    ["net", "--model", "lenet5"],
    ["net", "--model", "vgg16"],
    ["net", "--model", "alexnet-2012", "--lang", "zh"],
    ["net", "--list-models"],
    ["net", "-i", "1x28x28", "Conv2d(1, 25, 3)", "MaxPool2d(2)", "Conv2d(25, 50, 3)", "--check"],
    ["conv", "3x30x9", "-k", "3", "-p", "1", "--target", "3x1", "--solve", "stride", "--check"],
    ["pool", "96x55x55", "-k", "3", "-s", "2", "--check"],
    ["perceptron", "--x", "3,3; 4,3; 1,1", "--y", "1,1,-1"],
    ["perceptron", "--x", "1,2; -1,2; 0,-1", "--y", "1,0,0", "--w0", "1,-0.8", "--no-bias", "--outputs", "01"],
    ["optim", "--f", "w^2 + 3*w", "--compare", "sgd,momentum,adam,rmsprop", "--lr", "0.1", "--start", "1"],
    ["optim", "--f", "w^2 + 3*w", "--optimizer", "momentum", "--lr", "0.1", "--start", "1", "--steps", "3"],
    ["act", "sigmoid", "--at", "-6, 0, 2, 123456.789"],
    ["backprop", "examples/mazur.yaml"],
    ["attention", "examples/attention.yaml", "--causal"],
]


def _figures(text):
    return FIGURE.findall(text)


def _table_text(output):
    """The cells of every table line, joined by a separator no figure continues across."""
    lines = [line for line in output.splitlines() if BOX & set(line)]
    return " | ".join(re.sub(r"[│┃]", " | ", line) for line in lines)


def _whole(figure, text):
    return len(re.findall(rf"(?<![\d,.]){re.escape(figure)}(?![\d]|[,.]\d)", text))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:3]) for a in COMMANDS])
def test_every_figure_whole(args, width, cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cells = []
    original = terminal.print_table

    def recording(console, columns, rows, *a, **k):
        cells.extend(columns)
        cells.extend(c for row in rows for c in row)
        return original(console, columns, rows, *a, **k)

    monkeypatch.setattr(terminal, "print_table", recording)
    code, out, err = cli(*args)
    assert code == 0, err
    assert cells, "no table printed"
    tables = _table_text(out)
    wanted = {}
    for cell in cells:
        for f in _figures(str(cell)):
            wanted[f] = wanted.get(f, 0) + 1
    for f, n in wanted.items():
        assert _whole(f, tables) >= n, f"{f} cut at {width} columns"
    assert all(len(line) <= width for line in out.splitlines() if BOX & set(line))


def test_lenet_at_80_columns_keeps_the_index_column(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli("net", "--model", "lenet5")
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("┡"))
    end = next(i for i, line in enumerate(lines) if line.startswith("└"))
    rows = lines[start + 1 : end]
    indices = [line.split("│")[1].strip() for line in rows]
    assert [i for i in indices if i] == [str(i) for i in range(13)]
    assert "2,416" in out and "48,120" in out


@pytest.mark.parametrize("args", [["net", "--model", "vgg16"], ["bank", "list"], ["net", "--list-models"]])
def test_piped_output_keeps_every_figure(args):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    out = subprocess.run([sys.executable, "-m", "dlcalc", *args], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    data = subprocess.run(
        [sys.executable, "-m", "dlcalc", *args, "--json"], capture_output=True, text=True, env=env, timeout=120
    )
    parsed = json.loads(data.stdout)
    if args[0] == "bank":
        expected = [p["id"] for p in parsed["problems"]]
    elif "--list-models" in args:
        expected = [f"{m['published_params']:,}" for m in parsed["models"]]
    else:
        expected = [f"{r['params']:,}" for r in parsed["layers"]] + [f"{r['macs']:,}" for r in parsed["layers"]]
    tables = _table_text(out.stdout)
    for figure in expected:
        assert re.search(rf"(?<![\w,.-]){re.escape(figure)}(?![\w,.-])", tables), figure


@pytest.mark.parametrize("width", range(20, 161, 7))
def test_layout_never_cuts_a_piece_it_can_fit(width):
    columns = ["#", "Layer", "Output shape", "Params", "MACs", "Receptive field"]
    rows = [
        ["12", "Conv2d(512, 512, kernel_size=3, padding=1)", "512×14×14", "2,359,808", "462,422,016", "196"],
        ["13", "Linear(in_features=25088, out_features=4096, bias=True)", "4096", "102,764,544", "102,760,448", "all"],
    ]
    for group, widths in terminal.table_layout(columns, rows, width):
        for i, w in zip(group, widths):
            for cell in [columns[i]] + [r[i] for r in rows]:
                lines = terminal.wrap_cell(cell, w).split("\n")
                assert all(terminal._cell_len(line) <= w for line in lines)
                for f in _figures(cell):
                    if len(f) <= w:
                        assert any(_whole(f, line) for line in lines), (f, w, lines)
