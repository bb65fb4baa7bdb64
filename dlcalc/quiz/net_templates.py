"""Counting questions on the blocks of the course's networks: a residual block (basic or
bottleneck), a dense block, an inception module, a transformer encoder layer.

Each template draws the sizes, writes the block as module code (the same language `dlcalc net`
reads), and asks for what an exam asks: the parameter count, the output channels, the
multiply-adds. As with every template, the answers come from running the solver on the inputs
(`dlcalc.quiz.questions`), never from here.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from dlcalc.bank.parts import Part
from dlcalc.models.blocks import BLOCKS
from dlcalc.quiz.templates import Draft, part
from dlcalc.text import T, Text

PARAMS = part("total_params", "parameter count", "参数量", names=("parameters", "params", "参数"))
SHAPE = part("output_shape", "output shape", "输出形状", names=("shape", "形状"))
MACS = part("total_macs", "multiply-adds", "乘加次数", names=("MACs", "multiply-add", "乘加"))

# what a block question asks: the easier request, and the harder one for a higher difficulty
ASK_SHAPE = (T(" Give the output shape (C×H×W).", "求输出形状（C×H×W）。"), [SHAPE])
ASK_SHAPE_PARAMS = (
    T(" Give the output shape (C×H×W) and the parameter count.", "求输出形状（C×H×W）和参数量。"),
    [SHAPE, PARAMS],
)
ASK_PARAMS = (T(" Give the parameter count.", "求参数量。"), [PARAMS])
ASK_PARAMS_MACS = (
    T(" Give the parameter count and the multiply-adds (weights only).", "求参数量和乘加次数（只计权重）。"),
    [PARAMS, MACS],
)
ASK_PARAMS_WEIGHT_MACS = (
    T(" Give the parameter count and the multiply-adds of its weights.", "求参数量和权重的乘加次数。"),
    [PARAMS, MACS],
)


def _asked(harder: bool, easy: tuple[Text, list[Part]], hard: tuple[Text, list[Part]]) -> tuple[Text, list[Part]]:
    ask, parts = hard if harder else easy
    return ask, list(parts)


def residual(rng: random.Random, difficulty: int = 1) -> Draft:
    """A basic block or a bottleneck block (convs without bias, BatchNorm's γ and β counted)."""
    c = rng.choice([32, 64, 128, 256, 512])
    n = rng.choice([7, 14, 28, 56])
    if rng.random() < 0.5:
        width = c // 4
        what = T(
            "A bottleneck residual block on a {c}×{n}×{n} map: 1×1 conv to {w} channels, BN, ReLU, 3×3 conv "
            "{w} → {w} (padding 1), BN, ReLU, 1×1 conv back to {c}, BN, then the identity shortcut added and a ReLU "
            "(no conv has a bias; BN has γ and β).",
            "在 {c}×{n}×{n} 的特征图上的瓶颈残差块：1×1 卷积降到 {w} 通道、BN、ReLU、3×3 卷积 {w} → {w}（填充 1）、BN、ReLU、"
            "1×1 卷积回到 {c} 通道、BN，再加上恒等捷径并 ReLU（卷积均无偏置；BN 含 γ 与 β）。",
        ).format(c=c, n=n, w=width)
        network = f"Bottleneck({c}, {width})"
    else:
        what = T(
            "A basic residual block on a {c}×{n}×{n} map: two 3×3 convs {c} → {c} (padding 1), each followed by "
            "BN, a ReLU between them, the identity shortcut added and a ReLU (no conv has a bias; BN has γ and β).",
            "在 {c}×{n}×{n} 的特征图上的基本残差块：两个 3×3 卷积 {c} → {c}（填充 1），各接 BN，中间 ReLU，加上恒等捷径后 ReLU"
            "（卷积均无偏置；BN 含 γ 与 β）。",
        ).format(c=c, n=n)
        network = f"BasicBlock({c})"
    ask, parts = _asked(difficulty > 1, ASK_PARAMS, ASK_PARAMS_MACS)
    inputs = {"code": BLOCKS, "class": network, "input": f"{c}x{n}x{n}"}
    return Draft("net", "net", inputs, what + ask, parts, difficulty=difficulty)


def dense(rng: random.Random, difficulty: int = 1) -> Draft:
    """A DenseNet block: l layers of growth rate k on k0 input channels."""
    k0 = rng.choice([16, 24, 32, 64])
    k = rng.choice([8, 12, 16, 24, 32])
    layers = rng.randint(2, 6)
    n = rng.choice([8, 14, 28, 56])
    what = T(
        "A dense block of {l} layers with growth rate k = {k} on a {k0}×{n}×{n} input: each layer is BN, ReLU, "
        "1×1 conv to 4k channels, BN, ReLU, 3×3 conv to k channels (padding 1, no bias), and its output is "
        "concatenated to everything before it.",
        "一个 {l} 层、增长率 k = {k} 的稠密块，输入 {k0}×{n}×{n}：每层为 BN、ReLU、1×1 卷积到 4k 通道、BN、ReLU、"
        "3×3 卷积到 k 通道（填充 1，无偏置），其输出与之前所有特征拼接。",
    ).format(l=layers, k=k, k0=k0, n=n)
    ask, parts = _asked(difficulty > 1, ASK_SHAPE, ASK_SHAPE_PARAMS)
    inputs = {"code": BLOCKS, "class": f"DenseBlock({layers}, {k0}, {k})", "input": f"{k0}x{n}x{n}"}
    return Draft("net", "net", inputs, what + ask, parts, difficulty=difficulty)


def inception(rng: random.Random, difficulty: int = 1) -> Draft:
    """An inception module (the paper's: 1×1, 1×1→3×3, 1×1→5×5, pool→1×1; convs with bias)."""
    cin = rng.choice([64, 128, 192, 256, 480])
    c1, c3r, c3, c5r, c5, pool = (
        rng.choice(v) for v in ([32, 64, 128], [48, 96, 128], [64, 128, 192], [8, 16, 32], [16, 32, 64], [16, 32, 64])
    )
    n = rng.choice([7, 14, 28])
    what = T(
        "An inception module on a {cin}×{n}×{n} map has four branches: {c1} 1×1 filters; 1×1 to {c3r} then "
        "{c3} 3×3 (padding 1); 1×1 to {c5r} then {c5} 5×5 (padding 2); 3×3 max pooling (stride 1, padding 1) then "
        "{pool} 1×1. The branch outputs are concatenated along the channels (every conv has a bias).",
        "一个 Inception 模块作用于 {cin}×{n}×{n} 的特征图，有四个分支：{c1} 个 1×1 卷积；1×1 降到 {c3r} 再 {c3} 个 3×3"
        "（填充 1）；1×1 降到 {c5r} 再 {c5} 个 5×5（填充 2）；3×3 最大池化（步长 1、填充 1）后 {pool} 个 1×1。"
        "各分支输出沿通道拼接（卷积均有偏置）。",
    ).format(cin=cin, n=n, c1=c1, c3r=c3r, c3=c3, c5r=c5r, c5=c5, pool=pool)
    ask, parts = _asked(difficulty > 1, ASK_SHAPE, ASK_SHAPE_PARAMS)
    network = f"Inception({cin}, {c1}, {c3r}, {c3}, {c5r}, {c5}, {pool})"
    inputs = {"code": BLOCKS, "class": network, "input": f"{cin}x{n}x{n}"}
    return Draft("net", "net", inputs, what + ask, parts, difficulty=difficulty)


def transformer(rng: random.Random, difficulty: int = 1) -> Draft:
    """torch.nn.TransformerEncoderLayer(d, h, f): attention 4d² + 4d, FFN 2df + f + d, two LayerNorms."""
    d = rng.choice([64, 128, 256, 512, 768])
    heads = rng.choice([h for h in (2, 4, 8, 12, 16) if d % h == 0])
    f = d * rng.choice([2, 4])
    length = rng.choice([8, 16, 32, 50])
    what = T(
        "A transformer encoder layer nn.TransformerEncoderLayer(d_model={d}, nhead={h}, dim_feedforward={f}) "
        "reads {L} tokens: multi-head self-attention with its output projection, a feed-forward network "
        "{d} → {f} → {d}, two LayerNorms, biases everywhere.",
        "一个 Transformer 编码器层 nn.TransformerEncoderLayer(d_model={d}, nhead={h}, dim_feedforward={f}) 读入 {L} 个词元："
        "含输出投影的多头自注意力、前馈网络 {d} → {f} → {d}、两个 LayerNorm，各处均有偏置。",
    ).format(d=d, h=heads, f=f, L=length)
    ask, parts = _asked(difficulty > 2, ASK_PARAMS, ASK_PARAMS_WEIGHT_MACS)
    inputs = {"layers": [f"TransformerEncoderLayer({d}, {heads}, {f})"], "input": f"{length}x{d}"}
    return Draft("net", "net", inputs, what + ask, parts, difficulty=difficulty)


BLOCK_TEMPLATES: list[Callable[[random.Random, int], Draft]] = [residual, dense, inception, transformer]


def with_blocks(chain: Callable[[random.Random, int], Draft]) -> Callable[[random.Random, int], Draft]:
    """The `net` topic: the conv-pool chain half the time, a block question the other half."""

    def net(rng: random.Random, difficulty: int = 1) -> Draft:
        if rng.random() < 0.5:
            return chain(rng, difficulty)
        return rng.choice(BLOCK_TEMPLATES)(rng, difficulty)

    return net
