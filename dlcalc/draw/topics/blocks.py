"""CNN building blocks: a residual block beside a dense block, and the Inception module."""

from __future__ import annotations

from dlcalc.draw.model import Diagram, Sketch
from dlcalc.text import T


def resnet_densenet() -> Diagram:
    s = Sketch("resnet-densenet", T("Residual block vs dense block", "残差块与稠密块"), 80, 27)
    # ResNet: F(x) + x
    s.text(0, 0, T("ResNet: residual block", "ResNet：残差块"), bold=True)
    s.text(11, 1, "x")
    s.box("c1", 4, 5, 17, T("3×3 conv, BN", "3×3 卷积, BN"), kind="conv")
    s.box("relu1", 4, 9, 17, "ReLU", kind="act")
    s.box("c2", 4, 13, 17, T("3×3 conv, BN", "3×3 卷积, BN"), kind="conv")
    s.op("add", 11, 18, "+")
    s.box("relu2", 4, 21, 17, "ReLU", kind="act")
    s.path((12, 2), (12, 5), dst="c1")
    s.link("c1", "relu1")
    s.link("relu1", "c2")
    s.link("c2", "add")
    s.text(14, 17, "F(x)", kind="tag")
    s.link("add", "relu2")
    s.path((12, 3), (27, 3), (27, 18), (13, 18), dst="add")
    s.text(29, 10, T("identity\nshortcut\nx", "恒等\n捷径\nx"))
    s.path((12, 23), (12, 25), src="relu2")
    s.text(9, 26, "F(x) + x")

    # DenseNet: every layer sees the concatenation of all earlier outputs
    s.text(40, 0, T("DenseNet: dense block", "DenseNet：稠密块"), bold=True)
    s.text(49, 1, "x₀")
    lanes = {0: 71, 1: 67, 2: 63}  # where x₀, x₁, x₂ run down to the later concatenations
    s.box("h1", 41, 5, 19, T("H₁: BN-ReLU-conv", "H₁：BN-ReLU-卷积"), kind="conv")
    s.op("cat1", 49, 10, "C", kind="concat")
    s.box("h2", 41, 12, 19, T("H₂: BN-ReLU-conv", "H₂：BN-ReLU-卷积"), kind="conv")
    s.op("cat2", 49, 17, "C", kind="concat")
    s.box("h3", 41, 19, 19, T("H₃: BN-ReLU-conv", "H₃：BN-ReLU-卷积"), kind="conv")
    s.op("cat3", 49, 24, "C", kind="concat")
    s.path((50, 2), (50, 5), dst="h1")
    s.link("cat1", "h2")
    s.link("cat2", "h3")
    s.path((50, 25), (50, 26), arrow="none", src="cat3")
    for source, (row, x) in enumerate(((3, 50), (8, 50), (15, 50))):
        for target, cat_row in ((1, 10), (2, 17), (3, 24)):
            if target > source:
                s.path((x, row), (lanes[source], row), (lanes[source], cat_row), (51, cat_row), dst=f"cat{target}")
    for k, (layer, cat, row) in enumerate((("h1", "cat1", 8), ("h2", "cat2", 15), ("h3", "cat3", 22)), 1):
        s.link(layer, cat)
        s.text(47, row, f"x{'₁₂₃'[k - 1]}", kind="tag")
        s.text(73, {1: 10, 2: 17, 3: 24}[k], f"k₀+{k if k > 1 else ''}k", kind="caption")
    s.text(52, 26, T("[x₀…x₃] → transition", "[x₀…x₃] → 过渡层"), kind="caption")

    s.part(
        "F",
        T("residual F(x)", "残差 F(x)"),
        T(
            "What the stacked layers learn: the change to x rather than the whole mapping H(x) = F(x) + x.",
            "堆叠的几层要学习的只是对 x 的修正，而不是整个映射 H(x) = F(x) + x。",
        ),
    )
    s.part("shortcut", T("identity shortcut", "恒等捷径"), term="residual-connection")
    s.part(
        "H",
        T("H_ℓ (dense layer)", "H_ℓ（稠密层）"),
        T(
            "BN-ReLU-conv producing k new channels (k = the growth rate).",
            "BN-ReLU-卷积，输出 k 个新通道（k 为增长率）。",
        ),
    )
    s.part(
        "C",
        T("concatenation C", "拼接 C"),
        T(
            "Layer ℓ gets [x₀, x₁, …, x_ℓ₋₁] stacked along channels, so the channels grow k₀ + k, k₀ + 2k, …: "
            "every layer reuses all earlier features; L layers have L(L+1)/2 connections.",
            "第 ℓ 层的输入是 [x₀, x₁, …, x_ℓ₋₁] 在通道维上的拼接，通道数依次为 k₀ + k、k₀ + 2k……："
            "每层都复用之前所有的特征；L 层共有 L(L+1)/2 条连接。",
        ),
    )
    s.part("transition", T("transition layer", "过渡层"), term="transition-layer")
    s.note(T("ResNet adds (+): the channels stay the same and one shortcut spans each block. DenseNet concatenates "
             "(C): more connections, fewer parameters per layer, stronger feature reuse, but more memory.",
             "ResNet 相加（+）：通道数不变，每个块一条捷径；DenseNet 拼接（C）：连接更多、每层参数更少、特征复用更充分，但更占显存。"))  # fmt: skip
    return s.build()


def inception() -> Diagram:
    s = Sketch("inception", T("Inception module (GoogLeNet)", "Inception 模块（GoogLeNet）"), 80, 19)
    s.box("prev", 27, 0, 24, T("previous layer", "前一层"), kind="input")
    s.box("b1", 1, 6, 16, T("1×1 conv", "1×1 卷积"), kind="conv")
    s.box("r2", 21, 6, 16, T("1×1 conv", "1×1 卷积"), kind="reduce")
    s.box("r3", 41, 6, 16, T("1×1 conv", "1×1 卷积"), kind="reduce")
    s.box("p4", 61, 6, 17, T("3×3 max pool", "3×3 最大池化"), kind="pool")
    s.box("b2", 21, 10, 16, T("3×3 conv", "3×3 卷积"), kind="conv")
    s.box("b3", 41, 10, 16, T("5×5 conv", "5×5 卷积"), kind="conv")
    s.box("b4", 61, 10, 17, T("1×1 conv", "1×1 卷积"), kind="reduce")
    s.box("cat", 1, 14, 77, T("filter concatenation (along channels)", "滤波器拼接（沿通道维）"), kind="concat")
    for box in ("b1", "r2", "r3", "p4"):
        s.link("prev", box, mid=4)
    s.link("r2", "b2")
    s.link("r3", "b3")
    s.link("p4", "b4")
    s.link("b1", "cat", at=8, to=8)
    for box in ("b2", "b3", "b4"):
        node = s.diagram.node(box)
        s.link(box, "cat", to=node.cx)
    s.path((39, 16), (39, 18))
    s.text(41, 18, T("next layer", "下一层"), kind="caption")
    s.part(
        "branches",
        T("parallel branches", "并行分支"),
        T(
            "1×1, 3×3 and 5×5 convolutions and a 3×3 max pool look at the same input at several scales at once; "
            "the network learns how much to use each.",
            "1×1、3×3、5×5 卷积和 3×3 最大池化同时处理同一输入，在多个尺度上提取特征；网络自己学习各分支的作用。",
        ),
    )
    s.part(
        "reduce",
        T("1×1 reduction", "1×1 降维"),
        T(
            "E.g. 192 → 16 channels before a 5×5 conv with 32 outputs needs 192·16 + 16·25·32 ≈ 16k weights instead of "
            "192·25·32 ≈ 154k.",
            "例如先把 192 个通道降到 16，再做输出 32 通道的 5×5 卷积，只需 192·16 + 16·25·32 ≈ 1.6 万个权重，"
            "而直接做要 192·25·32 ≈ 15.4 万。",
        ),
        term="one-by-one-convolution",
    )
    s.part(
        "concat",
        T("filter concatenation", "滤波器拼接"),
        T(
            "Every branch keeps the spatial size (padding), so their outputs stack along the channel axis.",
            "各分支都保持空间尺寸不变（补零），因此输出可以沿通道维拼接。",
        ),
    )
    s.note(T("GoogLeNet stacks 9 of these and adds auxiliary classifiers mid-way, which give extra gradient "
             "(and act as a regulariser) during training.",
             "GoogLeNet 堆叠 9 个 Inception 模块，并在中间加了辅助分类器，训练时提供额外的梯度信号（也起正则化作用）。"))  # fmt: skip
    return s.build()
