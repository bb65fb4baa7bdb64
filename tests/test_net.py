"""net: the course chains, the zoo's published totals, pasted layer lists, and torch layer by layer."""

import json
import random

import pytest
import torch
from torch import nn

from dlcalc.errors import DlcalcError
from dlcalc.solvers import net


def solve(**inputs):
    return net.solve(net.parse_spec(inputs)).answer


def test_course_notes_chain_step_by_step():
    # course-review-notes.txt 卷积核计算: 1×28×28 → 25×26×26 → 25×13×13 → 50×11×11 → 50×5×5.
    a = solve(input="1x28x28", layers=["Conv2d(1, 25, 3)", "MaxPool2d(2)", "Conv2d(25, 50, 3)", "MaxPool2d(2)"])
    assert [r["output_shape"] for r in a["layers"]] == [[25, 26, 26], [25, 13, 13], [50, 11, 11], [50, 5, 5]]
    assert [r["params"] for r in a["layers"]] == [250, 0, 11300, 0]


def test_alexnet_conv1_pool1():
    # AlexNet CONV1/POOL1 as in the course notes: 3×227×227 → 96×55×55 (34,944 params) → 96×27×27.
    a = solve(
        input="3*227*227", layers=["Conv2d(3, 96, kernel_size=11, stride=4)", "ReLU(inplace=True)", "MaxPool2d(3, 2)"]
    )
    assert a["layers"][0]["output_shape"] == [96, 55, 55] and a["layers"][0]["params"] == 34944
    assert a["output_shape"] == [96, 27, 27]


# Published totals: LeNet-5 modern form 61,706 (d2l.ai); torchvision documents AlexNet 61,100,840,
# VGG-16 138,357,544 and VGG-16-BN 138,365,992; the 2012 AlexNet with its two-GPU grouping has
# 60,965,224 (the paper's "60 million").
@pytest.mark.parametrize(
    "name, total",
    [
        ("lenet5", 61706),
        ("alexnet-torchvision", 61100840),
        ("vgg16", 138357544),
        ("vgg16-bn", 138365992),
        ("alexnet-2012", 60965224),
    ],
)
def test_zoo_published_totals(name, total):
    assert solve(model=name)["total_params"] == total


def _torch_sequential(spec):
    """The same network built by hand in torch, layer by layer (on meta: no memory for weights)."""
    with torch.device("meta"):
        return nn.Sequential(*[getattr(nn, c.name)(**c.args) for c in spec.layers])


@pytest.mark.parametrize("name", ["lenet5", "alexnet-2012", "alexnet-torchvision", "vgg16", "vgg16-bn"])
def test_zoo_matches_torch_layer_by_layer(name):
    spec = net.parse_spec({"model": name})
    answer = net.solve(spec).answer
    model = _torch_sequential(spec)
    x = torch.zeros(1, *spec.input_shape, device="meta")
    for row, layer in zip(answer["layers"], model):
        x = layer(x)
        assert row["output_shape"] == list(x.shape[1:]), row["layer"]
        assert row["params"] == sum(p.numel() for p in layer.parameters()), row["layer"]
    assert answer["total_params"] == sum(p.numel() for p in model.parameters())


# --- MACs: both conventions, computed by the real libraries here ------------------------------


def lenet5():
    # d2l.ai's LeNet-5 (full C3 connections, 10-way linear output)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2, 2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )  # fmt: skip


def alexnet(classes=1000, hidden=4096):
    # torchvision.models.alexnet, as published in its source
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(True), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(True), nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(True),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(3, 2),
        nn.AdaptiveAvgPool2d((6, 6)), nn.Flatten(), nn.Dropout(), nn.Linear(256 * 36, hidden), nn.ReLU(True),
        nn.Dropout(), nn.Linear(hidden, hidden), nn.ReLU(True), nn.Linear(hidden, classes),
    )  # fmt: skip


def vgg16(batch_norm=False, classes=1000, hidden=4096):
    # torchvision.models.vgg16 / vgg16_bn: configuration D of Simonyan & Zisserman
    layers, c = [], 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1)] + ([nn.BatchNorm2d(v)] if batch_norm else []) + [nn.ReLU(True)]
            c = v
    return nn.Sequential(
        *layers, nn.AdaptiveAvgPool2d((7, 7)), nn.Flatten(), nn.Linear(512 * 49, hidden), nn.ReLU(True),
        nn.Dropout(), nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(), nn.Linear(hidden, classes),
    )  # fmt: skip


def _dlcalc_net(model, input_shape):
    """dlcalc's answer for a torch nn.Sequential, read from the layers' own repr (as pasted from print)."""
    return solve(input=list(input_shape), layers=[repr(layer) for layer in model])


@pytest.mark.parametrize(
    "build, input_shape",
    [(lenet5, (1, 32, 32)), (alexnet, (3, 224, 224)), (vgg16, (3, 224, 224)), (lambda: vgg16(True), (3, 224, 224))],
    ids=["lenet5", "alexnet", "vgg16", "vgg16-bn"],
)
def test_macs_with_bias_match_torchinfo(build, input_shape):
    torchinfo = pytest.importorskip("torchinfo")
    with torch.device("meta"):
        model = build()
    stats = torchinfo.summary(model, input_size=(1, *input_shape), device="meta", verbose=0)
    leaves = [layer for layer in stats.summary_list if layer.is_leaf_layer]
    answer = _dlcalc_net(model, input_shape)
    assert [row["macs_torchinfo"] for row in answer["layers"]] == [layer.macs for layer in leaves]
    assert answer["total_macs_torchinfo"] == stats.total_mult_adds
    # the two conventions differ by exactly the bias additions (and BatchNorm's γ, β) torchinfo adds
    extra = 0
    for row, layer in zip(answer["layers"], model):
        if isinstance(layer, nn.Conv2d) and layer.bias is not None:
            extra += layer.bias.numel() * row["output_shape"][1] * row["output_shape"][2]
        elif isinstance(layer, nn.Linear):
            extra += layer.bias.numel()
        elif isinstance(layer, nn.BatchNorm2d):
            extra += 2 * layer.num_features
    assert answer["total_macs_torchinfo"] - answer["total_macs"] == extra


@pytest.mark.parametrize(
    "build, input_shape",
    [
        (lenet5, (1, 32, 32)),
        (lambda: alexnet(classes=10, hidden=64), (3, 224, 224)),  # the classifier narrowed: same conv MACs
        (lambda: vgg16(classes=10, hidden=64), (3, 64, 64)),  # VGG-16's 13 convs on a 64×64 input
    ],
    ids=["lenet5", "alexnet-narrow-classifier", "vgg16-64px"],
)
def test_weight_macs_match_fvcore(build, input_shape):
    fvcore_nn = pytest.importorskip("fvcore.nn")
    torch.manual_seed(0)
    model = build().eval()
    flops = fvcore_nn.FlopCountAnalysis(model, torch.zeros(1, *input_shape))
    flops.unsupported_ops_warnings(False)
    flops.uncalled_modules_warnings(False)
    per_module = flops.by_module()
    answer = _dlcalc_net(model, input_shape)
    for i, (row, layer) in enumerate(zip(answer["layers"], model)):
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            assert row["macs"] == per_module[str(i)], row["layer"]
        else:
            assert row["macs"] == 0
    by_op = flops.by_operator()
    assert answer["total_macs"] == by_op.get("conv", 0) + by_op.get("linear", 0) + by_op.get("addmm", 0)


def test_zoo_macs_are_the_reference_models():
    # `net --model` reports for the zoo exactly what the reference models above give
    for name, build, shape in [("lenet5", lenet5, (1, 32, 32)), ("alexnet-torchvision", alexnet, (3, 224, 224))]:
        with torch.device("meta"):
            reference = _dlcalc_net(build(), shape)
        zoo = solve(model=name)
        assert (zoo["total_macs"], zoo["total_macs_torchinfo"]) == (
            reference["total_macs"],
            reference["total_macs_torchinfo"],
        )


def test_random_networks_macs_match_torchinfo():
    torchinfo = pytest.importorskip("torchinfo")
    rng = random.Random(8)
    for _ in range(15):
        c = rng.randint(1, 4)
        layers, ch, size = [], c, rng.randint(12, 32)
        for _ in range(rng.randint(1, 5)):
            kind = rng.choice(["conv", "tconv", "bn", "pool", "act"])
            if kind in ("conv", "tconv"):
                out = rng.randint(1, 8)
                name = "Conv2d" if kind == "conv" else "ConvTranspose2d"
                layers.append(
                    f"{name}({ch}, {out}, {rng.choice([1, 2, 3])}, stride={rng.choice([1, 2])}, bias={rng.random() < 0.7})"
                )
                ch = out
            elif kind == "bn":
                layers.append(f"BatchNorm2d({ch}, affine={rng.random() < 0.8})")
            elif kind == "pool":
                layers.append("MaxPool2d(2, ceil_mode=True)")
            else:
                layers.append("ReLU()")
        layers += ["Flatten()"]
        try:
            spec = net.parse_spec({"input": [c, size, size], "layers": layers})
            answer = net.solve(spec).answer
        except DlcalcError:
            continue
        layers.append(f"Linear({answer['output_shape'][0]}, 3)")
        spec = net.parse_spec({"input": [c, size, size], "layers": layers})
        answer = net.solve(spec).answer
        model = _torch_sequential(spec)
        stats = torchinfo.summary(model, input_size=(1, c, size, size), device="meta", verbose=0)
        assert answer["total_macs_torchinfo"] == stats.total_mult_adds, layers


def test_receptive_fields():
    # Araujo, Norris, Sim, "Computing receptive fields of convolutional neural networks" (Distill 2019):
    # AlexNet's last pooled map (pool5) sees 195×195 pixels, VGG-16's pool5 212×212.
    alex = solve(model="alexnet-2012")["layers"]
    pool5 = [r for r in alex if r["type"] == "MaxPool2d"][-1]
    assert pool5["receptive_field"] == [195, 195]
    vgg = solve(model="vgg16")["layers"]
    assert [r for r in vgg if r["type"] == "MaxPool2d"][-1]["receptive_field"] == [212, 212]


def test_pasted_sequential_with_keywords_positional_and_arithmetic():
    code = """
    import torch.nn as nn
    model = nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.AdaptiveAvgPool2d((6, 6)), nn.Flatten(), nn.Dropout(0.5),
        nn.Linear(64 * 6 * 6, 10),
    )
    """
    a = solve(input="3x224x224", layers=[code])
    assert a["output_shape"] == [10]
    assert a["total_params"] == (11 * 11 * 3 + 1) * 64 + (64 * 36 + 1) * 10


@pytest.mark.parametrize(
    "layers, message",
    [
        (["Conv2d(3, 8, 3)", "Conv2d(4, 8, 3)"], "layer 2 Conv2d(4, 8, 3): expects 4 input channels but receives 8"),
        (["Conv2d(3, 8, 3)", "Linear(100, 10)"], "layer 2 Linear(100, 10): expects 100 input features but receives 30"),
        (["Conv2d(3, 8, 3)", "Flatten()", "Linear(100, 10)"], "expects 100 input features but receives 7200"),
        (["Conv2d(3, 8)"], "Conv2d needs 'kernel_size'"),
        (["Conv2d(3, 8, 3, bogus=1)"], "no argument 'bogus'"),
        (["Conv3d(3, 8, 3)"], "unknown layer 'Conv3d'"),
        (["Conv2d(3, 8, 3"], "not valid layer syntax"),
        (["__import__('os').system('echo hacked')"], "not a layer constructor"),
        (["Conv2d(3, 8, ().__class__.__mro__)"], "only numbers"),
        (["Conv2d(3, 8, 40)"], "kernel"),
    ],
)
def test_malformed_or_mismatched_layers(layers, message):
    with pytest.raises(DlcalcError) as e:
        solve(input="3x32x32", layers=layers)
    assert message in e.value.message


def test_random_networks_match_torch():
    rng = random.Random(7)
    for _ in range(40):
        c, size = rng.randint(1, 4), rng.randint(16, 40)
        layers, ch = [], c
        for _ in range(rng.randint(1, 5)):
            kind = rng.choice(["conv", "pool", "bn", "act"])
            if kind == "conv":
                out = rng.randint(1, 8)
                layers.append(
                    f"Conv2d({ch}, {out}, {rng.choice([1, 3, 5])}, stride={rng.choice([1, 2])}, "
                    f"padding={rng.choice([0, 1, 2])})"
                )
                ch = out
            elif kind == "pool":
                layers.append(rng.choice(["MaxPool2d(2)", "AvgPool2d(3, 1, 1)", "MaxPool2d(3, 2, ceil_mode=True)"]))
            elif kind == "bn":
                layers.append(f"BatchNorm2d({ch})")
            else:
                layers.append(rng.choice(["ReLU()", "Tanh()", "LeakyReLU(0.2)"]))
        try:
            spec = net.parse_spec({"input": [c, size, size], "layers": layers})
            answer = net.solve(spec).answer
        except DlcalcError:
            continue  # the shape shrank to nothing; torch refuses those too (checked in test_conv/test_pool)
        x = torch.zeros(1, c, size, size)
        model = nn.Sequential(*[getattr(nn, call.name)(**call.args) for call in spec.layers]).eval()
        with torch.no_grad():
            for row, layer in zip(answer["layers"], model):
                x = layer(x)
                assert row["output_shape"] == list(x.shape[1:]), layers


def test_cli_vgg16_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys; from dlcalc.cli import run; rc = run(['net', '-m', 'vgg16', '--json']); "
        "assert 'torch' not in sys.modules and 'sympy' not in sys.modules, 'heavy import'; sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total_params"] == 138357544


def test_cli_net_file_and_check(cli, tmp_path):
    f = tmp_path / "net.yaml"
    f.write_text("input: 1x28x28\nlayers:\n  - Conv2d(1, 25, 3)\n  - MaxPool2d(2)\n", encoding="utf-8")
    code, out, err = cli("net", "--file", str(f), "--check", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["output_shape"] == [25, 13, 13] and data["check"]["ok"]
    code, out, err = cli("net", "--list-models", "--json")
    listing = json.loads(out)
    assert listing["dlcalc"] == 1 and listing["kind"] == "net-models"
    assert {m["name"] for m in listing["models"]} >= {
        "lenet5",
        "alexnet-2012",
        "alexnet-torchvision",
        "vgg16",
        "vgg16-bn",
    }
    code, out, err = cli("net", "-i", "3x32x32", "Conv2d(4, 8, 3)")
    assert code == 2 and "layer 1" in err and err.count("\n") == 1


def test_model_with_other_layers_is_refused(cli, tmp_path):
    code, out, err = cli("net", "--model", "vgg16", "Conv2d(3,3,3)")
    assert code == 2 and out == "" and "--model vgg16" in err and err.count("\n") == 1
    f = tmp_path / "mine.yaml"
    f.write_text("input: 3x32x32\nlayers: [Conv2d(3, 8, 3)]\n", encoding="utf-8")
    code, out, err = cli("net", "--model", "lenet5", "--file", str(f))
    assert code == 2 and "--model lenet5" in err


def test_model_names_only_the_zoo(cli, tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("name: x\nvariant: x\ninput: 1x8x8\nlayers: [Conv2d(1, 2, 3)]\nsource: x\n", encoding="utf-8")
    for name in [str(f.with_suffix("")), f"../../../../../..{f.with_suffix('')}", "LeNet5/../vgg16"]:
        code, out, err = cli("net", "--model", name)
        assert code == 2 and "unknown model" in err and "--file" in err, name
    code, out, err = cli("net", "--model", "LeNet5", "--json")
    assert code == 0 and json.loads(out)["total_params"] == 61706


def test_channels_last_network_input(cli):
    code, out, err = cli("net", "-i", "227x227x3", "Conv2d(3, 96, 11, 4)", "--json")
    data = json.loads(out)
    ref = nn.Conv2d(3, 96, 11, 4, device="meta")(torch.zeros(1, 227, 227, 3, device="meta").permute(0, 3, 1, 2))
    assert code == 0 and data["output_shape"] == list(ref.shape[1:]) and data["layout"] == "hwc"
    assert any("H×W×C" in n for n in data["notes"])
    code, out, err = cli("net", "-i", "227x227x3", "--layout", "chw", "Conv2d(3, 96, 11, 4)")
    assert code == 2 and "expects 3 input channels but receives 227" in err
