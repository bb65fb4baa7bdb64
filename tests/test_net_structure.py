"""The net table shows structure: blocks fold into one row each (--expand unfolds them), merges say
which tensors meet and check their shapes, every row carries parameters, both MAC conventions and
the receptive field, and --json gives the tree."""

import json

import netref
import pytest
import torch
from test_net_module import INCEPTION, RESNET18

from dlcalc.solvers import net


def solve(code, shape, expand=False):
    return net.solve(net.parse_spec({"code": code, "input": shape, "expand": expand}))


def table(result):
    return result.tables[0]


def test_blocks_fold_into_one_row_and_expand_on_request():
    folded = solve(RESNET18, "3x224x224")
    labels = [str(row[1]) if isinstance(row[1], str) else row[1].en for row in table(folded).rows]
    blocks = [label for label in labels if "BasicBlock" in label]
    assert len(blocks) == 8 and blocks[0] == "layer1.0: BasicBlock [bn2 + x]"
    assert "layer2.0: BasicBlock [bn2 + downsample]" in labels
    expanded = solve(RESNET18, "3x224x224", expand=True)
    labels = [str(row[1]) if isinstance(row[1], str) else row[1].en for row in table(expanded).rows]
    assert "    conv1: Conv2d(64, 64, 3, padding=1, bias=False)" in labels
    assert "    add: bn2 + x [64×56×56 + 64×56×56]" in labels  # the shape check behind the merge
    assert "    add: bn2 + downsample [128×28×28 + 128×28×28]" in labels
    assert len(table(expanded).rows) > 3 * len(table(folded).rows)


def test_every_row_adds_up_to_the_totals():
    result = solve(RESNET18, "3x224x224")
    columns = [c.en for c in table(result).columns]
    rows = table(result).rows[1:]  # without the input row

    def total(name):
        i = columns.index(name)
        return sum(int(r[i].replace(",", "")) for r in rows)

    a = result.answer
    assert total("Params") == a["total_params"]
    assert total("MACs") == a["total_macs"]
    assert total("torchinfo") == a["total_macs_torchinfo"]
    rf = [r[columns.index("Receptive field")] for r in rows]
    assert rf[:5] == ["7", "7", "7", "11", "27"] and rf[-1] == "all"


def test_the_json_tree_nests_blocks_and_adds_up():
    a = solve(RESNET18, "3x224x224").answer
    tree = a["tree"]
    assert tree["type"] == "ResNet" and tree["params"] == a["total_params"] == 11689512
    layer2 = next(c for c in tree["children"] if c.get("name") == "layer2")
    block = layer2["children"][0]
    assert block["type"] == "BasicBlock" and block["merge"] == "bn2 + downsample"
    assert block["output_shape"] == [128, 28, 28]
    with torch.device("meta"):
        ref = netref.resnet18()
    assert block["params"] == netref.n_params(ref.layer2[0])
    downsample = next(c for c in block["children"] if c.get("name") == "layer2.0.downsample")
    assert downsample["params"] == netref.n_params(ref.layer2[0].downsample)
    indices = [c["index"] for c in block["children"] if "index" in c]
    rows = {r["index"]: r for r in a["layers"]}
    assert [rows[i]["type"] for i in indices] == [
        "Conv2d",
        "BatchNorm2d",
        "ReLU",
        "Conv2d",
        "BatchNorm2d",
        "add",
        "ReLU",
    ]


def test_an_inception_row_shows_its_concatenation():
    result = solve(INCEPTION, "192x28x28")
    labels = [str(row[1]) if isinstance(row[1], str) else row[1].en for row in table(result).rows]
    assert "inception3a: Inception [cat 64+128+32+32 = 256]" in labels
    steps = [s for s in result.steps if "concatenate" in s.label.en]
    assert steps and "64 + 128 + 32 + 32" in steps[0].chain[0].text


def test_a_mismatched_residual_add_names_both_shapes(cli, tmp_path):
    code = RESNET18.replace(
        "downsample = nn.Sequential(\n                nn.Conv2d(self.inplanes, planes * block.expansion, kernel_size=1, stride=stride, bias=False),",
        "downsample = nn.Sequential(\n                nn.Conv2d(self.inplanes, planes * block.expansion, kernel_size=1, stride=1, bias=False),",
    )
    path = tmp_path / "bad.py"
    path.write_text(code, encoding="utf-8")
    exit_code, out, err = cli("net", "--file", str(path), "-i", "3x224x224")
    assert exit_code == 2 and out == ""
    assert "line 33: cannot add tensors of shapes 128×28×28 and 128×56×56" in err, err


def test_markdown_and_latex_keep_the_table(cli):
    code, out, err = cli("net", INCEPTION, "-i", "192x28x28", "--md")
    assert code == 0 and "| # | Layer | Output shape | Params | MACs | torchinfo | Receptive field |" in out
    assert "| 1 | inception3a: Inception [cat 64+128+32+32 = 256] | 256×28×28 |" in out
    code, out, err = cli("net", INCEPTION, "-i", "192x28x28", "--latex")
    assert code == 0 and "\\begin{tabular}" in out and "inception3a" in out


def test_full_shows_everything_and_steps_still_works(cli):
    code, full, err = cli("net", RESNET18, "-i", "3x64x64", "--full")
    assert code == 0 and err == ""
    assert "layer4: Sequential" in full and "Derivation" in full and "steps not shown" not in full
    code, old, err = cli("net", RESNET18, "-i", "3x64x64", "--steps")
    assert code == 0 and old == full
    assert err.strip() == "dlcalc: note: --steps is now --full"
    code, out, err = cli("net", RESNET18, "-i", "3x64x64", "--json")
    assert json.loads(out)["kind"] == "net"


@pytest.mark.parametrize(
    "args, engine",
    [(["--model", "googlenet"], "pdflatex"), (["--model", "transformer-base", "--lang", "zh"], "xelatex")],
)
def test_latex_of_a_network_with_blocks_compiles(cli, tmp_path, args, engine):
    import shutil
    import subprocess

    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed")
    code, out, err = cli("net", *args, "--latex")
    assert code == 0, err
    (tmp_path / "net.tex").write_text(out, encoding="utf-8")
    done = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", "net.tex"],
        cwd=tmp_path,
        capture_output=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:]
