"""The net block questions of the quiz (residual, dense, inception, transformer): every drawn
question's stored answer is what torch counts for the block the statement describes."""

import random
import re

import netref
import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from dlcalc.quiz import net_templates
from dlcalc.quiz import questions as Q
from dlcalc.quiz.templates import TEMPLATES


class Basic(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + x)


class Bottle(nn.Module):
    def __init__(self, c, w):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c, w, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, c, 1, bias=False), nn.BatchNorm2d(c),
        )  # fmt: skip

    def forward(self, x):
        return F.relu(self.body(x) + x)


class Dense(nn.Module):
    def __init__(self, layers, k0, k):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Sequential(
                nn.BatchNorm2d(k0 + i * k), nn.ReLU(), nn.Conv2d(k0 + i * k, 4 * k, 1, bias=False),
                nn.BatchNorm2d(4 * k), nn.ReLU(), nn.Conv2d(4 * k, k, 3, padding=1, bias=False),
            )
            for i in range(layers)
        )  # fmt: skip

    def forward(self, x):
        for layer in self.layers:
            x = torch.cat([x, layer(x)], 1)
        return x


class Inception(nn.Module):
    def __init__(self, cin, c1, c3r, c3, c5r, c5, pool):
        super().__init__()
        self.b1 = nn.Conv2d(cin, c1, 1)
        self.b2 = nn.Sequential(nn.Conv2d(cin, c3r, 1), nn.Conv2d(c3r, c3, 3, padding=1))
        self.b3 = nn.Sequential(nn.Conv2d(cin, c5r, 1), nn.Conv2d(c5r, c5, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(cin, pool, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


def reference(draft):
    """The torch module the statement describes, and its input shape."""
    numbers = [int(v) for v in re.findall(r"\d+", draft.inputs.get("class") or draft.inputs["layers"][0])]
    shape = [int(v) for v in draft.inputs["input"].split("x")]
    kind = (draft.inputs.get("class") or draft.inputs["layers"][0]).split("(")[0]
    build = {
        "BasicBlock": Basic,
        "Bottleneck": Bottle,
        "DenseBlock": Dense,
        "Inception": Inception,
        "TransformerEncoderLayer": nn.TransformerEncoderLayer,
    }[kind]
    if kind == "TransformerEncoderLayer":
        return build(*numbers, batch_first=True), (1, *shape)
    return build(*numbers), (1, *shape)


@pytest.mark.parametrize("template", net_templates.BLOCK_TEMPLATES, ids=lambda t: t.__name__)
def test_block_questions_match_torch(template):
    rng = random.Random(template.__name__)
    for i in range(12):
        draft = template(rng, rng.choice([1, 2, 3]))
        q = Q.from_draft(draft, i, 0)
        with torch.device("meta"):  # torch's own shapes and counts, no memory for weights
            model, shape = reference(draft)
            with torch.no_grad():
                out = model.eval()(torch.zeros(shape))
        answer = q.result.answer
        for p in draft.parts:
            if p.key == "total_params":
                assert answer["total_params"] == netref.n_params(model), draft.statement.en
            elif p.key == "output_shape":
                assert answer["output_shape"] == list(out.shape[1:]), draft.statement.en
            elif p.key == "total_macs":
                with torch.device("meta"), FlopCounterMode(display=False) as counter, torch.no_grad():
                    model.train()(torch.zeros(shape))  # not eval: torch's fused encoder path hides its matmuls
                counts = {str(k).split(".")[-1]: v // 2 for k, v in counter.get_flop_counts()["Global"].items()}
                weights = counts.get("convolution", 0) + counts.get("addmm", 0) + counts.get("mm", 0)
                assert answer["total_macs"] == weights, draft.statement.en


def test_the_net_topic_mixes_chains_and_blocks():
    rng = random.Random(5)
    kinds = {TEMPLATES["net"](rng, 2).inputs.get("class", "chain").split("(")[0] for _ in range(80)}
    assert {"chain", "BasicBlock", "Bottleneck", "DenseBlock", "Inception"} <= kinds
