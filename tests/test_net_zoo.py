"""The zoo of the course's networks: each matches the real architecture exactly — the published
parameter total, every layer's output shape and parameters, and the MACs of torchinfo and fvcore —
all measured here on reference models built in torch from the published architecture."""

import netref
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dlcalc.solvers import net

LAYER_TYPES = set(__import__("dlcalc.parse.layers", fromlist=["SIGNATURES"]).SIGNATURES)

# name → (reference builder, published total as torchvision documents it)
ZOO = {
    "resnet18": (netref.resnet18, 11689512),
    "resnet34": (netref.resnet34, 21797672),
    "resnet50": (netref.resnet50, 25557032),
    "densenet121": (netref.densenet121, 7978856),
    "googlenet": (lambda: netref.GoogLeNet(aux_logits=False), 6624904),
    "googlenet-aux": (netref.GoogLeNet, 13004888),
    "mobilenet_v2": (netref.MobileNetV2, 3504872),
    "squeezenet1_0": (netref.SqueezeNet, 1248424),
}


def zoo(name, **extra):
    return net.solve(net.parse_spec({"model": name, **extra})).answer


def module_rows(answer):
    return [r for r in answer["layers"] if r["type"] in LAYER_TYPES and r["name"] is not None]


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_model_matches_torch_layer_by_layer(name):
    build, published = ZOO[name]
    with torch.device("meta"):
        model = build()
    answer = zoo(name)
    assert answer["total_params"] == netref.n_params(model) == published
    calls = netref.leaf_calls(model, torch.zeros(1, 3, 224, 224, device="meta"))
    rows = module_rows(answer)
    assert [r["name"] for r in rows] == [c[0] for c in calls]
    assert [r["output_shape"] for r in rows] == [c[1] for c in calls]
    seen = set()
    for row, (module, _, params) in zip(rows, calls):
        assert row["params"] == (0 if module in seen else params), module
        seen.add(module)
    assert answer["output_shape"] == [1000]


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_macs_match_torchinfo(name):
    build, _ = ZOO[name]
    with torch.device("meta"):
        model = build()
    stats, leaves = netref.torchinfo_leaves(model.eval(), (1, 3, 224, 224), device="meta")
    answer = zoo(name)
    assert [r["macs_torchinfo"] for r in module_rows(answer)] == [leaf.macs for leaf in leaves]
    assert answer["total_macs_torchinfo"] == stats.total_mult_adds


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "densenet121", "googlenet", "mobilenet_v2", "squeezenet1_0"])
def test_zoo_weight_macs_match_fvcore(name):
    build, _ = ZOO[name]
    torch.manual_seed(0)
    model = build().eval()
    answer = zoo(name, input="3x64x64")  # a small input: fvcore runs the model for real
    assert answer["total_macs"] == netref.fvcore_weight_macs(model, torch.zeros(1, 3, 64, 64))


def test_googlenet_aux_classifiers_add_parameters_not_macs():
    with_aux, without = zoo("googlenet-aux"), zoo("googlenet")
    assert with_aux["total_params"] - without["total_params"] == 2 * netref.n_params(netref.InceptionAux(512, 1000)) + (
        netref.n_params(netref.InceptionAux(528, 1000)) - netref.n_params(netref.InceptionAux(512, 1000))
    )
    assert with_aux["total_macs"] == without["total_macs"]  # eval mode: forward does not use them
    result = net.solve(net.parse_spec({"model": "googlenet-aux"}))
    assert any("aux1 (InceptionAux" in n.en for n in result.notes)


def test_transformer_base_is_the_papers_base_model():
    with torch.device("meta"):
        model = nn.Transformer(d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048)
    answer = zoo("transformer-base")
    assert answer["total_params"] == netref.n_params(model) == 44140544
    parts = {c["name"]: c["params"] for c in answer["tree"]["children"] if "params" in c}
    assert parts["encoder"] == netref.n_params(model.encoder) == 18915328
    assert parts["decoder"] == netref.n_params(model.decoder) == 25225216
    assert answer["output_shape"] == [9, 512]
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.eval()(torch.zeros(10, 1, 512, device="meta"), torch.zeros(9, 1, 512, device="meta"))
    assert answer["total_macs"] + answer["total_macs_products"] == counter.get_total_flops() // 2


def test_transformer_base_with_the_papers_shared_embedding():
    class Base(nn.Module):
        def __init__(self, vocab=37000, d=512):
            super().__init__()
            self.embedding = nn.Embedding(vocab, d)
            self.transformer = nn.Transformer(d, 8, 6, 6, 2048)
            self.generator = nn.Linear(d, vocab, bias=False)
            self.generator.weight = self.embedding.weight  # tied, as the paper's section 3.4

        def forward(self, src, tgt):
            return self.generator(self.transformer(self.embedding(src), self.embedding(tgt)))

    with torch.device("meta"):
        model = Base()
    answer = zoo("transformer-base-embeddings")
    assert answer["total_params"] == netref.n_params(model) == 44140544 + 37000 * 512
    assert answer["output_shape"] == [9, 37000]
    with torch.no_grad():
        out = model(
            torch.zeros(10, 1, dtype=torch.long, device="meta"), torch.zeros(9, 1, dtype=torch.long, device="meta")
        )
    assert answer["output_shape"] == [out.shape[0], out.shape[2]]


def test_every_zoo_model_states_its_provenance(cli):
    import json

    code, out, err = cli("net", "--list-models", "--json")
    models = {m["name"]: m for m in json.loads(out)["models"]}
    for name, (_, published) in ZOO.items():
        assert models[name]["published_params"] == published and models[name]["source"]
    assert models["transformer-base"]["published_params"] == 44140544
    assert {"lenet5", "vgg16", "transformer-base-embeddings"} <= set(models)


@pytest.mark.parametrize(
    "args",
    [
        ["net", "-m", "resnet50", "--json"],
        ["net", "-m", "transformer-base-embeddings", "--json"],
        ["net", "--compare", "residual-blocks", "--json"],
    ],
)
def test_the_plain_path_imports_neither_torch_nor_sympy(args):
    import subprocess
    import sys

    code = (
        f"import sys; from dlcalc.cli import run; rc = run({args!r}); "
        "assert 'torch' not in sys.modules and 'sympy' not in sys.modules, 'heavy import'; sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
