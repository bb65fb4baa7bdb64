"""net reads what students paste: `print(model)` text (torch 2.13's own printing, produced here from
torch modules), nn.Sequential(OrderedDict([...])) and Flatten(start_dim=…)."""

from collections import OrderedDict

import netref
import pytest
import torch
from torch import nn

from dlcalc.errors import DlcalcError
from dlcalc.solvers import net

LAYER_TYPES = set(__import__("dlcalc.parse.layers", fromlist=["SIGNATURES"]).SIGNATURES)


def read(text, *inputs):
    fields = {"layers": [text], "input": list(inputs) if len(inputs) > 1 else inputs[0]}
    return net.solve(net.parse_spec(fields))


def module_rows(answer):
    return [r for r in answer["layers"] if r["type"] in LAYER_TYPES and r["name"] is not None]


@pytest.mark.parametrize(
    "build, total",
    [
        (netref.resnet18, 11689512),
        (netref.resnet50, 25557032),
        (netref.densenet121, 7978856),
        (lambda: netref.GoogLeNet(aux_logits=False), 6624904),
        (netref.GoogLeNet, 13004888),
        (netref.MobileNetV2, 3504872),
        (netref.SqueezeNet, 1248424),
    ],
    ids=["resnet18", "resnet50", "densenet121", "googlenet", "googlenet-aux", "mobilenet_v2", "squeezenet1_0"],
)
def test_print_model_of_torchvision_architectures(build, total):
    with torch.device("meta"):
        model = build()
    text = str(model)  # what print(model) shows in torch 2.13
    assert "BatchNorm2d(" not in text or "bias=True" in text  # torch 2.13 prints BatchNorm's bias keyword
    result = read(text, "3x224x224")
    answer = result.answer
    assert answer["total_params"] == netref.n_params(model) == total
    calls = netref.leaf_calls(model, torch.zeros(1, 3, 224, 224, device="meta"))
    rows = module_rows(answer)
    assert [r["output_shape"] for r in rows] == [c[1] for c in calls]
    assert [r["name"] for r in rows] == [c[0] for c in calls]
    notes = " ".join(n.en for n in result.notes)
    assert "print(model)" in notes and "recognised by name" in notes


def test_print_model_shows_no_residual_of_an_unknown_block():
    class ResBlock(nn.Module):  # a student's own block: print(model) shows its layers, not its add
        def __init__(self, c):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, padding=1)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1)

        def forward(self, x):
            return x + self.conv2(torch.relu(self.conv1(x)))

    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), ResBlock(16), ResBlock(16), nn.Flatten(), nn.Linear(16 * 8 * 8, 10)
    )
    result = read(str(model), "3x8x8")
    assert result.answer["total_params"] == netref.n_params(model)
    assert result.answer["output_shape"] == [10]
    assert not [r for r in result.answer["layers"] if r["type"] == "add"]  # not in the print: not invented
    assert any("ResBlock read as a straight stack" in n.en for n in result.notes)


def test_print_model_of_transformers():
    layer = nn.TransformerEncoderLayer(64, 4, 128)
    encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    text = str(encoder)
    assert "(0-2): 3 x TransformerEncoderLayer(" in text  # torch folds identical ModuleList entries
    result = read(text, "10x64")
    assert result.answer["total_params"] == netref.n_params(encoder)
    assert result.answer["output_shape"] == [10, 64]
    assert any("num_heads" in n.en for n in result.notes)
    full = nn.Transformer(64, 4, 2, 2, 128)
    answer = read(str(full), "10x64", "7x64").answer
    assert answer["total_params"] == netref.n_params(full)
    assert answer["output_shape"] == [7, 64]


def test_sequential_with_ordered_dict_keeps_the_names():
    # the torch documentation's own example
    model = nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(1, 20, 5)),
                ("relu1", nn.ReLU()),
                ("conv2", nn.Conv2d(20, 64, 5)),
                ("relu2", nn.ReLU()),
            ]
        )
    )
    code = """
from collections import OrderedDict
import torch.nn as nn

model = nn.Sequential(OrderedDict([
    ('conv1', nn.Conv2d(1, 20, 5)),
    ('relu1', nn.ReLU()),
    ('conv2', nn.Conv2d(20, 64, 5)),
    ('relu2', nn.ReLU()),
]))
"""
    answer = read(code, "1x28x28").answer
    rows = module_rows(answer)
    assert [r["name"] for r in rows] == ["conv1", "relu1", "conv2", "relu2"]
    with torch.device("meta"):
        out = model.to("meta")(torch.zeros(1, 1, 28, 28, device="meta"))
    assert answer["output_shape"] == list(out.shape[1:])
    assert answer["total_params"] == netref.n_params(model)
    printed = read(str(model), "1x28x28").answer  # and the same model printed
    assert [r["name"] for r in module_rows(printed)] == ["conv1", "relu1", "conv2", "relu2"]


@pytest.mark.parametrize("start, end", [(1, -1), (2, -1), (1, 2), (0, -1), (-3, -2)])
def test_flatten_with_any_dims(start, end):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(start_dim=start, end_dim=end))
    with torch.device("meta"):
        out = model.to("meta")(torch.zeros(1, 3, 10, 10, device="meta"))
    answer = read(str(model), "3x10x10").answer
    shape = list(out.shape)
    expected = shape[1:] if start != 0 else shape  # a flatten over the batch merges it away
    assert answer["output_shape"] == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("Net(\n  (fc): Linear(in_features=4, out_features=2, bias=True)\n", "a ) is missing"),
        ("Net(\n  (fc): Linear(in_features=4, out_features=2, bias=True)\n)\n)\n", "text after the end"),
        ("Net(\n  (fc): Frobnicate(3)\n)\n", "unknown layer 'Frobnicate'"),
        ("Net(\n  (fc): Linear(in_features=4, out_features=2, bias=__import__('os'))\n)\n", "line 2:"),
        ("Net(\n  (a): ReLU()\n  junk here\n)\n", "line 3: expected '(name): Layer(...)'"),
    ],
)
def test_broken_print_text_is_refused_with_its_line(text, message):
    with pytest.raises(DlcalcError) as e:
        read(text, "4")
    assert message in e.value.message


def test_printed_text_through_the_cli(cli, tmp_path):
    with torch.device("meta"):
        model = netref.resnet18()
    path = tmp_path / "model.txt"
    path.write_text(str(model), encoding="utf-8")
    code, out, err = cli("net", "--file", str(path), "-i", "3x224x224")
    assert code == 0, err
    assert (
        "layer1.0: BasicBlock [bn2 + x]" in out.replace("\n", " ").replace("│", " ").replace("  ", " ")
        or "BasicBlock" in out
    )
    code, out, err = cli("net", "--file", str(path), "-i", "3x32x33")
    assert code == 0, err  # any input size a ResNet takes


def test_a_pasted_snippet_may_leave_out_its_imports():
    answer = read(
        "model = nn.Sequential(OrderedDict([('conv', nn.Conv2d(1, 20, 5)), ('flat', nn.Flatten())]))", "1x28x28"
    ).answer
    assert answer["total_params"] == netref.n_params(nn.Conv2d(1, 20, 5)) and answer["output_shape"] == [20 * 24 * 24]
