"""#14: dlcalc shows fvcore's MAC count as a third figure, labelled fvcore. Every expected number
here is fvcore's own FlopCountAnalysis, run in the test on the same network built in torch (eval
mode): random conv/norm/pool/upsample stacks, attention and recurrent layers, and the zoo."""

from __future__ import annotations

import logging
import math

import netref
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from dlcalc.solvers import net

fvcore_nn = pytest.importorskip("fvcore.nn")
logging.getLogger("fvcore").setLevel(logging.ERROR)


def fvcore_total(model: nn.Module, *inputs: torch.Tensor) -> int:
    flops = fvcore_nn.FlopCountAnalysis(model.eval(), inputs if len(inputs) > 1 else inputs[0])
    flops.unsupported_ops_warnings(False)
    flops.uncalled_modules_warnings(False)
    return int(flops.total())


def solve(**spec):
    return net.solve(net.parse_spec(spec)).answer


@st.composite
def stacks(draw):
    """A random image network: (dlcalc layer texts, torch layers, input shape)."""
    c, h, w = draw(st.integers(1, 4)), draw(st.integers(6, 12)), draw(st.integers(6, 12))
    shape = (c, h, w)
    texts, layers = [], []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["conv", "bn", "gn", "pool", "apool", "aap", "up", "act", "convT"]))
        if kind == "conv" and min(h, w) >= 3:
            o, k, g = draw(st.integers(1, 6)), draw(st.sampled_from([1, 3])), draw(st.sampled_from([1, c]))
            o = o * g if g > 1 else o
            bias = draw(st.booleans())
            texts.append(f"Conv2d({c}, {o}, {k}, padding={k // 2}, groups={g}, bias={bias})")
            layers.append(nn.Conv2d(c, o, k, padding=k // 2, groups=g, bias=bias))
            c = o
        elif kind == "convT" and max(h, w) <= 16:
            o, k, s = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
            texts.append(f"ConvTranspose2d({c}, {o}, {k}, stride={s})")
            layers.append(nn.ConvTranspose2d(c, o, k, stride=s))
            c, h, w = o, (h - 1) * s + k, (w - 1) * s + k
        elif kind == "bn":
            affine = draw(st.booleans())
            texts.append(f"BatchNorm2d({c}, affine={affine})")
            layers.append(nn.BatchNorm2d(c, affine=affine))
        elif kind == "gn" and c * h * w > 1:  # torch refuses GroupNorm over one value
            affine = draw(st.booleans())
            texts.append(f"GroupNorm(1, {c}, affine={affine})")
            layers.append(nn.GroupNorm(1, c, affine=affine))
        elif kind == "pool" and min(h, w) >= 2:
            texts.append("MaxPool2d(2)")
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        elif kind == "apool" and min(h, w) >= 2:
            texts.append("AvgPool2d(2)")
            layers.append(nn.AvgPool2d(2))
            h, w = h // 2, w // 2
        elif kind == "aap":
            size = draw(st.integers(1, 3))
            texts.append(f"AdaptiveAvgPool2d({size})")
            layers.append(nn.AdaptiveAvgPool2d(size))
            h = w = size
        elif kind == "up" and max(h, w) <= 12:
            mode = draw(st.sampled_from(["nearest", "bilinear", "bicubic"]))
            texts.append(f"Upsample(scale_factor=2, mode='{mode}')")
            layers.append(nn.Upsample(scale_factor=2, mode=mode))
            h, w = 2 * h, 2 * w
        else:
            act = draw(st.sampled_from(["ReLU", "GELU", "Sigmoid", "Hardswish"]))
            texts.append(f"{act}()")
            layers.append(getattr(nn, act)())
    features = c * h * w
    out = draw(st.integers(1, 5))
    texts += ["Flatten()", f"Linear({features}, {out})"]
    layers += [nn.Flatten(), nn.Linear(features, out)]
    if draw(st.booleans()):
        affine = draw(st.booleans())
        texts.append(f"BatchNorm1d({out}, affine={affine})")
        layers.append(nn.BatchNorm1d(out, affine=affine))
    if draw(st.booleans()):
        affine = draw(st.booleans())
        texts.append(f"LayerNorm({out}, elementwise_affine={affine})")
        layers.append(nn.LayerNorm(out, elementwise_affine=affine))
    return texts, layers, shape


@settings(max_examples=25)
@given(stacks())
def test_random_stacks_match_fvcore(case):
    texts, layers, shape = case
    answer = solve(layers=texts, input=shape)
    model = nn.Sequential(*layers)
    assert answer["total_macs_fvcore"] == fvcore_total(model, torch.zeros(1, *shape)), texts
    assert answer["total_macs_fvcore"] == sum(r["macs_fvcore"] for r in answer["layers"])


def test_the_issue_cases():
    answer = solve(layers=["BatchNorm2d(4)", "Flatten()", "Linear(2268, 10)"], input=(4, 21, 27))
    model = nn.Sequential(nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(2268, 10))
    assert answer["total_macs_fvcore"] == fvcore_total(model, torch.zeros(1, 4, 21, 27))
    assert answer["total_macs"] == 2268 * 10  # the weight MACs stay the weight MACs


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "densenet121", "googlenet", "mobilenet_v2", "squeezenet1_0"])
def test_zoo_matches_fvcore(name):
    from test_net_zoo import ZOO

    build, _ = ZOO[name]
    torch.manual_seed(0)
    model = build().eval()
    answer = solve(model=name, input="3x64x64")  # small input: fvcore runs the model for real
    assert answer["total_macs_fvcore"] == fvcore_total(model, torch.zeros(1, 3, 64, 64))


ATTENTION = """
import torch.nn as nn
class A(nn.Module):
    def __init__(self):
        super().__init__()
        self.att = nn.MultiheadAttention(16, 4)
        self.rnn = nn.LSTM(16, 8)
        self.ln = nn.LayerNorm(8)
        self.enc = nn.TransformerEncoderLayer(8, 2, 32)
    def forward(self, x):
        y, w = self.att(x, x, x)
        y, _ = self.rnn(y)
        return self.enc(self.ln(y))
"""


def test_attention_recurrent_and_transformer_layers_match_fvcore(tmp_path):
    """fvcore counts QKᵀ and A·V where MultiheadAttention returns its weights (not inside the
    encoder layer, which asks for none) and leaves the LSTM out."""
    path = tmp_path / "a.py"
    path.write_text(ATTENTION, encoding="utf-8")
    ns: dict = {}
    exec(compile(ATTENTION, "attention", "exec"), ns)  # the test's own reference model, not user text
    torch.manual_seed(0)
    model = ns["A"]()
    answer = solve(code=ATTENTION, input="5x16")
    assert answer["total_macs_fvcore"] == fvcore_total(model, torch.zeros(5, 16))


def test_summary_labels_each_convention(cli):
    code, out, err = cli("net", "--model", "resnet18")
    assert code == 0
    assert "thop" not in out and "weights only: fvcore" not in out
    assert "fvcore 0.1.5" in out and "torchinfo 1.8" in out
    ref = fvcore_total(netref.resnet18(), torch.zeros(1, 3, 224, 224))
    assert f"{ref:,}" in out.replace("\n", " ") or f"{ref:,}" in " ".join(out.split())
    assert math.isfinite(ref)
