"""The diagrams `dlcalc draw` knows, by name, with English and Chinese aliases.

Each topic is one function returning a `Diagram` (in the module named here); nothing is drawn
until a topic is asked for.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass

from dlcalc.draw.model import Diagram
from dlcalc.errors import DlcalcError
from dlcalc.text import T, Text


@dataclass(frozen=True)
class Topic:
    name: str
    module: str
    aliases: tuple[str, ...]
    title: Text

    def build(self) -> Diagram:
        module = importlib.import_module(f"dlcalc.draw.topics.{self.module}")
        return getattr(module, self.name.replace("-", "_"))()


TOPICS = (
    Topic("neuron", "neurons", ("biological-neuron", "bio", "神经元", "生物神经元", "神经元结构"),
          T("The biological neuron and the artificial neuron it maps to", "生物神经元的结构及其与人工神经元的对应")),
    Topic("perceptron", "neurons", ("artificial-neuron", "mp", "m-p", "感知机", "感知器", "人工神经元", "M-P模型"),
          T("The artificial neuron / perceptron: weighted sum and activation", "人工神经元／感知机：加权求和与激活")),
    Topic("mlp", "neurons", ("feedforward", "fnn", "multilayer-perceptron", "多层感知机", "前馈网络", "全连接网络"),
          T("A multilayer perceptron: fully connected layers", "多层感知机：全连接层")),
    Topic("conv", "grids", ("convolution", "cnn", "卷积", "卷积层"),
          T("A convolution kernel sliding over a padded input", "卷积核在补零后的输入上滑动")),
    Topic("pool", "grids", ("pooling", "max-pool", "maxpool", "池化", "池化层", "最大池化"),
          T("Max and average pooling over 2×2 windows", "2×2 窗口的最大池化与平均池化")),
    Topic("rnn", "recurrent", ("recurrent", "bptt", "循环神经网络", "RNN展开"),
          T("A recurrent network, folded and unrolled in time", "循环神经网络：折叠形式与按时间展开")),
    Topic("lstm", "recurrent", ("长短期记忆", "长短时记忆", "LSTM单元"),
          T("The LSTM cell: gates and the cell-state path", "LSTM 单元：三个门与细胞状态通路")),
    Topic("gru", "recurrent", ("门控循环单元", "GRU单元"),
          T("The GRU cell: reset and update gates", "GRU 单元：重置门与更新门")),
    Topic("resnet-densenet", "blocks", ("resnet", "densenet", "residual", "dense", "残差", "残差块", "残差网络", "稠密块",
                                        "密集连接", "ResNet与DenseNet"),
          T("A residual block beside a dense block", "残差块与稠密块对比")),
    Topic("inception", "blocks", ("googlenet", "1x1", "Inception模块"),
          T("The Inception module with 1×1 reductions", "Inception 模块（1×1 卷积降维）")),
    Topic("transformer", "transformer", ("encoder", "decoder", "编码器", "解码器", "Transformer结构"),
          T("The transformer's encoder and decoder layers", "Transformer 的编码器与解码器")),
    Topic("attention", "transformer", ("self-attention", "multi-head", "注意力", "自注意力", "多头注意力"),
          T("Scaled dot-product attention and multi-head attention", "缩放点积注意力与多头注意力")),
)  # fmt: skip


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


def _index() -> dict[str, Topic]:
    index = {}
    for topic in TOPICS:
        for name in (topic.name, *topic.aliases):
            index[_key(name)] = topic
    return index


def find(name: str, lang: str = "en") -> Topic:
    """The topic called `name` (or one of its aliases); otherwise a one-line error naming the
    nearest topics."""
    index = _index()
    key = _key(name)
    if key in index:
        return index[key]
    near: list[str] = []
    for candidate in [k for k in index if len(key) >= 2 and (key in k or k in key)] + difflib.get_close_matches(
        key, list(index), n=5, cutoff=0.5
    ):
        if index[candidate].name not in near:
            near.append(index[candidate].name)
    if near:
        message = T("unknown topic {name!r}; nearest: {near} (all: dlcalc draw --list)",
                    "没有主题 {name!r}；最接近的：{near}（全部主题：dlcalc draw --list）")  # fmt: skip
    else:
        message = T(
            "unknown topic {name!r} (all: dlcalc draw --list)", "没有主题 {name!r}（全部主题：dlcalc draw --list）"
        )
    raise DlcalcError(message(lang).format(name=name, near=", ".join(near[:4])))
