"""The transformer: its encoder and decoder layers, and the attention inside them."""

from __future__ import annotations

from dlcalc.draw.model import Diagram, Sketch
from dlcalc.text import T

ADD_NORM = T("Add & Norm", "残差连接 + 层归一化")
FEED_FORWARD = T("Feed Forward", "前馈网络")


def _sublayer(s: Sketch, key: str, x: int, top: int, label, lane: int, kind: str, h: int = 3) -> int:
    """A sublayer with its Add & Norm above and the residual line around both; returns the row
    where its input arrives, two rows under the box (where the residual branches off)."""
    s.box(f"{key}-norm", x, top, 23, ADD_NORM, kind="norm")
    s.box(key, x, top + 4, 23, label, h=h, kind=kind)
    s.link(key, f"{key}-norm")
    split = top + 4 + h + 1
    edge = x if lane < x else x + 22
    s.path((x + 11, split), (lane, split), (lane, top + 1), (edge, top + 1), dst=f"{key}-norm")
    return split


def _fan(s: Sketch, key: str, centre: int, split: int) -> None:
    """The input splitting into Q, K and V under an attention box."""
    for x in (centre - 6, centre, centre + 6):
        s.path((centre, split), (x, split), (x, split - 2), dst=key)


def transformer() -> Diagram:
    s = Sketch("transformer", T("Transformer: encoder and decoder layers", "Transformer：编码器与解码器"), 80, 49)
    enc, dec = 7, 47  # left edges of the two columns of boxes (23 wide)
    ec, dc = enc + 11, dec + 11

    # encoder, read from the bottom: embedding, + positional encoding, N × (self-attention, feed-forward)
    s.text(2, 19, T("Encoder", "编码器"), bold=True)
    s.box("enc-frame", 2, 20, 30, h=21, shape="round", kind="frame")
    s.text(0, 30, "N×", bold=True)
    s.text(enc, 48, T("inputs", "输入"), w=23, align="center")
    s.box("enc-embed", enc, 44, 23, T("Input Embedding", "输入词嵌入"), kind="embed")
    s.path((ec, 47), (ec, 46), dst="enc-embed", arrow="none")
    s.op("enc-pe", ec - 1, 42, "+")
    s.text(0, 42, T("positional\nencoding", "位置编码"))
    s.path((11, 42), (ec - 1, 42), dst="enc-pe")
    s.link("enc-embed", "enc-pe", into="bottom")
    _sublayer(s, "enc-ff", enc, 21, FEED_FORWARD, 4, "ff")
    att = _sublayer(s, "enc-att", enc, 30, T("Multi-Head\nAttention", "多头\n自注意力"), 4, "attn", h=4)
    s.path((ec, 42), (ec, att), arrow="none", src="enc-pe")
    _fan(s, "enc-att", ec, att)
    s.link("enc-att-norm", "enc-ff")

    # decoder: masked self-attention, cross-attention over the encoder's output, feed-forward
    s.text(dec - 2, 9, T("Decoder", "解码器"), bold=True)
    s.box("dec-frame", 44, 10, 31, h=31, shape="round", kind="frame")
    s.text(76, 30, "×N", bold=True)
    s.text(dec, 48, T("outputs (shifted right)", "输出（右移一位）"), w=23, align="center")
    s.box("dec-embed", dec, 44, 23, T("Output Embedding", "输出词嵌入"), kind="embed")
    s.path((dc, 47), (dc, 46), dst="dec-embed", arrow="none")
    s.op("dec-pe", dc - 1, 42, "+")
    s.text(64, 42, T("positional\nencoding", "位置编码"))
    s.path((63, 42), (dc + 1, 42), dst="dec-pe")
    s.link("dec-embed", "dec-pe", into="bottom")
    _sublayer(s, "dec-ff", dec, 11, FEED_FORWARD, 72, "ff")
    cross = _sublayer(s, "dec-cross", dec, 20, T("Multi-Head Attention\n(K, V: encoder)", "多头交叉注意力\n（K、V 来自编码器）"),
                      72, "attn", h=4)  # fmt: skip
    masked = _sublayer(
        s, "dec-mask", dec, 30, T("Masked Multi-Head\nAttention", "带掩码的\n多头自注意力"), 72, "attn", h=4
    )
    s.path((dc, 42), (dc, masked), arrow="none", src="dec-pe")
    _fan(s, "dec-mask", dc, masked)
    s.link("dec-mask-norm", "dec-cross")
    s.link("dec-cross-norm", "dec-ff")
    # the encoder's output is the keys and values of every decoder layer's cross-attention
    for x in (dc - 8, dc - 4):
        s.path(
            (ec, 21), (ec, 18), (38, 18), (38, cross), (x, cross), (x, cross - 2), src="enc-ff-norm", dst="dec-cross"
        )
    s.box("linear", dec, 6, 23, T("Linear", "线性层"), kind="linear")
    s.box("softmax", dec, 2, 23, "Softmax", kind="linear")
    s.link("dec-ff-norm", "linear")
    s.link("linear", "softmax")
    s.text(dec, 0, T("output probabilities", "输出概率"), w=23, align="center")
    s.path((dc, 2), (dc, 1), src="softmax")

    s.part("pe", T("positional encoding", "位置编码"), term="positional-encoding")
    s.part(
        "mha",
        T("multi-head self-attention", "多头自注意力"),
        T(
            "Self-attention: Q, K and V all come from the layer below, so every word looks at every word.",
            "自注意力：Q、K、V 都来自下一层，每个词都能关注所有词。",
        ),
        term="multi-head-attention",
    )
    s.part(
        "masked",
        T("masked self-attention", "掩码自注意力"),
        T(
            "In the decoder, position i may only look at positions ≤ i, so training in parallel cannot peek at the "
            "answer.",
            "解码器中位置 i 只能看到 i 及之前的位置，这样并行训练时不会看到未来的答案。",
        ),
        term="mask",
    )
    s.part("cross", T("cross-attention", "交叉注意力"), term="cross-attention")
    s.part(
        "addnorm",
        T("Add & Norm", "残差连接 + 层归一化"),
        T(
            "LayerNorm(x + Sublayer(x)): the residual connection keeps gradients flowing (as in ResNet) and layer "
            "normalisation steadies the values and speeds training.",
            "LayerNorm(x + Sublayer(x))：残差连接保证梯度畅通（与 ResNet 相同），层归一化使数值稳定、加快收敛。",
        ),
    )
    s.part(
        "ff",
        T("feed-forward", "前馈网络"),
        T(
            "The same two-layer MLP applied to every position: max(0, xW₁ + b₁)W₂ + b₂.",
            "对每个位置分别使用同一个两层全连接网络：max(0, xW₁ + b₁)W₂ + b₂。",
        ),
    )
    s.part(
        "out",
        T("Linear + Softmax", "线性层 + Softmax"),
        T(
            "Turn the decoder's output into a probability for every word of the vocabulary.",
            "把解码器的输出变成词表中每个词的概率。",
        ),
    )
    s.note(T("The encoder reads the whole input at once; the decoder produces one word at a time, each step taking "
             "the words produced so far (outputs shifted right). Both stack N = 6 layers in the original paper.",
             "编码器一次读入整个输入；解码器逐词生成，每一步的输入是已生成的词（输出右移一位）。原论文中两者各堆叠 N = 6 层。"))  # fmt: skip
    return s.build()


def attention() -> Diagram:
    s = Sketch(
        "attention", T("Scaled dot-product attention and multi-head attention", "缩放点积注意力与多头注意力"), 80, 26
    )
    s.text(0, 0, T("scaled dot-product attention", "缩放点积注意力"), bold=True)
    x, w = 3, 18
    s.box("mm2", x, 4, w, T("MatMul", "矩阵乘"), kind="linear")
    s.box("softmax", x, 8, w, "Softmax", kind="attn")
    s.box("mask", x, 12, w, T("Mask (optional)", "掩码（可选）"), kind="attn")
    s.box("scale", x, 16, w, T("Scale ÷ √d_k", "缩放 ÷ √d_k"), kind="attn")
    s.box("mm1", x, 20, w, T("MatMul QKᵀ", "矩阵乘 QKᵀ"), kind="linear")
    for a, b in (("mm1", "scale"), ("scale", "mask"), ("mask", "softmax"), ("softmax", "mm2")):
        s.link(a, b)
    for name, xx in (("Q", x + 3), ("K", x + 14)):
        s.text(xx, 25, name)
        s.path((xx, 24), (xx, 22), dst="mm1")
    s.text(x + 24, 25, "V")
    s.path((x + 24, 24), (x + 24, 5), (x + w - 1, 5), dst="mm2")
    s.path((x + 8, 4), (x + 8, 2), src="mm2")
    s.text(x, 1, T("output", "输出"), w=w, align="center")
    # multi-head: h heads of the above, each with its own projections
    s.text(37, 0, T("multi-head attention", "多头注意力"), bold=True)
    s.box("out", 46, 4, 24, T("Linear Wᴼ", "线性层 Wᴼ"), kind="linear")
    s.box("concat", 46, 8, 24, T("Concat the h heads", "拼接 h 个头"), kind="concat")
    s.box("heads", 40, 12, 36, T("h × scaled dot-product\nattention", "h × 缩放点积注意力"), h=4, kind="attn")
    s.link("heads", "concat")
    s.link("concat", "out")
    s.path((58, 4), (58, 2), src="out")
    s.text(46, 1, T("output", "输出"), w=24, align="center")
    for name, xx in (("V", 42), ("K", 54), ("Q", 66)):
        s.box(f"lin{name}", xx, 18, 10, T("Linear", "线性层"), kind="linear")
        s.path((xx + 4, 18), (xx + 4, 15), src=f"lin{name}", dst="heads")
        s.text(xx + 4, 23, name)
        s.path((xx + 4, 22), (xx + 4, 20), dst=f"lin{name}")
    s.text(37, 25, "Attention(Q, K, V) = softmax(QKᵀ/√d_k)·V")
    s.part("qkv", T("Q, K, V", "Q、K、V"), term="qkv")
    s.part("scores", T("QKᵀ / √d_k", "QKᵀ / √d_k"), term="scaled-dot-product-attention")
    s.part("mask", T("mask", "掩码"), term="mask")
    s.part(
        "softmax",
        T("softmax", "softmax"),
        T("Here each query's scores become its weights α.", "本图中每个查询的得分变成它的权重 α。"),
        term="softmax",
    )
    s.part(
        "heads",
        T("h heads", "h 个头"),
        T("Like several conv kernels, each looks for its own pattern.", "类似多个卷积核，各自寻找自己的模式。"),
        term="multi-head-attention",
    )
    return s.build()
