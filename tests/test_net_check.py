"""`dlcalc net --check` rebuilds the parsed network in torch — layers from their constructor
arguments, the module tree, the traced graph replayed — and compares every shape and the
parameters; it fails (exit 1) when dlcalc is wrong."""

import json

import pytest
import torch
from test_net_module import DENSE, ENCODER, INCEPTION, RESNET18

from dlcalc.solvers import net_layers


def checked(cli, *args):
    code, out, err = cli("net", *args, "--check", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["check"]["ok"], data["check"]
    return data


@pytest.mark.parametrize(
    "args",
    [
        (RESNET18, "-i", "3x64x64"),
        (DENSE, "-i", "3x32x32"),
        (INCEPTION, "-i", "192x28x28"),
        (ENCODER, "-i", "10x512"),
        ("--model", "squeezenet1_0", "-i", "3x64x64"),
        ("--model", "mobilenet_v2", "-i", "3x64x64"),
        ("--model", "googlenet-aux", "-i", "3x64x64"),
    ],
    ids=[
        "resnet18-code",
        "dense-code",
        "inception-code",
        "encoder-code",
        "squeezenet",
        "mobilenet_v2",
        "googlenet-aux",
    ],
)
def test_check_agrees_on_module_code_and_the_zoo(cli, args):
    data = checked(cli, *args)
    items = data["check"]["items"]
    assert items[-2]["what"] == "total params" and items[-2]["torch"] == data["total_params"]
    assert items[-1]["what"] == "numeric run on the CPU"


def test_check_compares_dlcalcs_transformer_with_torchs(cli):
    data = checked(cli, "--model", "transformer-base")
    composites = [i for i in data["check"]["items"] if "= torch.nn." in i["what"]]
    kinds = {i["what"].split("torch.nn.")[1] for i in composites}
    assert kinds == {
        "Transformer",
        "TransformerEncoder",
        "TransformerDecoder",
        "TransformerEncoderLayer",
        "TransformerDecoderLayer",
    }
    assert all(i["ok"] for i in composites)
    whole = next(
        i
        for i in composites
        if i["what"] == "Transformer = torch.nn.Transformer" or i["what"].endswith("= torch.nn.Transformer")
    )
    assert whole["torch"].startswith("44,140,544 params")


def test_check_of_sequences_embeddings_and_tied_weights(cli):
    checked(cli, "-i", "12", "Embedding(100, 8)", "LSTM(8, 4, num_layers=2, bidirectional=True)")
    checked(cli, "--model", "transformer-base-embeddings")
    printed = str(
        torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(32, 4, 64), 2, enable_nested_tensor=False)
    )
    checked(cli, printed, "-i", "10x32")


def test_check_fails_when_dlcalc_is_wrong(cli, monkeypatch):
    real = net_layers.layer_params

    def off_by_one(call):
        return real(call) + (1 if call.name == "Linear" else 0)

    monkeypatch.setattr(net_layers, "layer_params", off_by_one)
    code, out, err = cli("net", "-i", "8", "Linear(8, 4)", "ReLU()", "Linear(4, 2)", "--check")
    assert code == 1 and "DISAGREES" in out


def test_check_fails_on_a_wrong_shape(cli, monkeypatch):
    real = net_layers._flatten

    def wrong(call, shape, batch, params):
        applied = real(call, shape, batch, params)
        applied.outputs = net_layers.Out(
            applied.outputs.shape[:-1] + (applied.outputs.shape[-1] + 1,), applied.outputs.batch
        )
        return applied

    monkeypatch.setitem(net_layers._RULES, "Flatten", wrong)
    code, out, err = cli("net", "-i", "2x4x4", "Flatten()", "--check", "--json")
    data = json.loads(out)
    assert code == 1 and not data["check"]["ok"]
    assert data["check"]["items"][0] == {
        "what": "L1 Flatten",
        "dlcalc": "33, 0 params",
        "torch": "32, 0 params",
        "ok": False,
    }
