"""`dlcalc net --compare`: the classic exam comparisons, every figure measured here in torch, and the
per-block parameter arithmetic a student writes."""

import json

import netref
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dlcalc.errors import DlcalcError
from dlcalc.solvers import net, net_compare


def compare(name):
    return net_compare.solve(net_compare.parse_spec({"compare": name}))


def macs(module, shape):
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module.eval()(torch.zeros(1, *shape))
    return counter.get_total_flops() // 2


def test_the_googlenet_saving():
    result = compare("inception-5x5")
    direct, reduced = result.answer["networks"]
    five = nn.Conv2d(192, 32, 5, padding=2)
    both = nn.Sequential(nn.Conv2d(192, 16, 1), nn.ReLU(), nn.Conv2d(16, 32, 5, padding=2))
    assert direct["total_macs"] == macs(five, (192, 28, 28)) == 120_422_400
    assert reduced["total_macs"] == macs(both, (192, 28, 28)) == 12_443_648
    assert direct["total_params"] == netref.n_params(five) and reduced["total_params"] == netref.n_params(both)
    assert direct["output_shape"] == reduced["output_shape"] == [32, 28, 28]
    texts = [" = ".join(c.text for c in s.chain) for s in result.steps]
    assert any("16·28·28·192" in t and t.endswith("2408448") for t in texts)
    assert any("32·28·28·400" in t and t.endswith("10035200") for t in texts)
    assert any(t.startswith("120422400/12443648 = 9.68") for t in texts)


def test_basic_against_bottleneck_block():
    result = compare("residual-blocks")
    basic, bottleneck = result.answer["networks"]

    class Basic(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(256, 256, 3, padding=1, bias=False), nn.BatchNorm2d(256)
            self.c2, self.b2 = nn.Conv2d(256, 256, 3, padding=1, bias=False), nn.BatchNorm2d(256)

        def forward(self, x):
            return torch.relu(self.b2(self.c2(torch.relu(self.b1(self.c1(x))))) + x)

    assert basic["total_params"] == netref.n_params(Basic()) == 2 * 3 * 3 * 256 * 256 + 4 * 256
    assert basic["total_macs"] == macs(Basic(), (256, 56, 56))
    ref = netref.Bottleneck(256, 64)
    assert bottleneck["total_params"] == netref.n_params(ref) == 256 * 64 + 9 * 64 * 64 + 64 * 256 + 2 * (64 + 64 + 256)
    assert bottleneck["total_macs"] == macs(ref, (256, 56, 56))
    step = next(s for s in result.steps if s.label.en.startswith("bottleneck") and "total parameters" in s.label.en)
    assert step.chain[0].text.startswith("1·1·256·64 + 2·64 + 3·3·64·64 + 2·64 + 1·1·64·256 + 2·256")


def test_resnet50_against_densenet121():
    result = compare("resnet50-densenet121")
    resnet, densenet = result.answer["networks"]
    with torch.device("meta"):
        r50, d121 = netref.resnet50(), netref.densenet121()
    assert resnet["total_params"] == netref.n_params(r50) and densenet["total_params"] == netref.n_params(d121)
    for answer, model in ((resnet, r50), (densenet, d121)):
        stats, _ = netref.torchinfo_leaves(model, (1, 3, 224, 224), device="meta")
        assert answer["total_macs_torchinfo"] == stats.total_mult_adds
    ratio = next(
        r for r in result.tables[0].rows if str(r[0]) == "parameters" or getattr(r[0], "en", "") == "parameters"
    )
    assert ratio[-1] == f"{densenet['total_params'] / resnet['total_params']:.3g}×"


def test_any_zoo_models_side_by_side(cli):
    code, out, err = cli("net", "--compare", "resnet18,resnet34,squeezenet1_0", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["kind"] == "net-compare" and [n["total_params"] for n in data["networks"]] == [
        11689512,
        21797672,
        1248424,
    ]
    code, out, err = cli("net", "--compare", "list")
    assert code == 0 and "inception-5x5" in out and "residual-blocks" in out


@pytest.mark.parametrize("value", ["nothing", "resnet18", "resnet18,nope", ",", "x" * 5000])
def test_unknown_comparisons_are_refused(value):
    with pytest.raises(DlcalcError) as e:
        compare(value)
    assert "named comparison" in e.value.message or "expected one of" in e.value.message
    assert len(e.value.message) < 400


def test_block_derivations_a_student_writes():
    densenet = net.solve(net.parse_spec({"model": "densenet121"}))
    growth = [s for s in densenet.steps if "channels of a dense block" in s.label.en]
    assert [s.chain[-1].text for s in growth] == ["256", "512", "1024", "1024"]  # 64+6·32, 128+12·32, …
    assert growth[0].chain[1].text == "64 + 6·32"
    googlenet = net.solve(net.parse_spec({"model": "googlenet"}))
    step = next(s for s in googlenet.steps if s.label.en.startswith("inception3a Inception: parameters"))
    with torch.device("meta"):
        assert int(step.chain[-1].text) == netref.n_params(netref.Inception(192, 64, 96, 128, 16, 32, 32))
    assert step.chain[0].text.startswith("1·1·192·64 + 2·64 + 1·1·192·96 + 2·96 + 3·3·96·128")
