"""Neurons: the biological neuron beside the artificial one, the perceptron, a multilayer
perceptron."""

from __future__ import annotations

from dlcalc.draw.model import Diagram, Sketch
from dlcalc.text import T


def neuron() -> Diagram:
    s = Sketch("neuron", T("Biological neuron → artificial neuron", "生物神经元 → 人工神经元"), 80, 23)
    s.text(0, 0, T("biological neuron", "生物神经元"), bold=True)
    s.text(0, 1, T("synapses", "突触"), kind="caption")
    s.text(10, 1, T("dendrites", "树突"), kind="caption")
    s.text(18, 1, T("cell body", "细胞体"), w=16, align="center", kind="caption")
    s.text(37, 1, T("axon", "轴突"), w=25, align="center", kind="caption")
    s.text(64, 1, T("axon terminals", "轴突末梢"), kind="caption")

    # the synapses where other neurons' axon terminals meet the dendrites, which merge into the soma
    s.box("soma", 18, 3, 16, shape="ellipse", h=7, kind="soma")
    s.op("nucleus", 21, 6, T("nucleus", "细胞核"), kind="nucleus")
    for row, fork in ((3, 4), (5, 4), (7, 8), (9, 8)):
        s.text(0, row, "━●┊", kind="synapse")
        s.path((3, row), (10, row), (10, fork), (14, fork), (14, 6), (18, 6), curve=True, dst="soma")
    # the axon, wrapped in myelin, then branching into terminals
    s.path((33, 6), (66, 6), arrow="none", line="heavy", src="soma")
    for x in (37, 46, 55):
        s.box(f"myelin{x}", x, 5, 7, shape="round", kind="myelin")
    s.text(44, 8, T("myelin sheath", "髓鞘"), w=13, align="center", kind="caption")
    for row in (3, 6, 9):
        s.path((66, 6), (66, row), (71, row), curve=True, arrow="none")
        s.text(71, row, "●┊", kind="synapse")
    s.text(73, 6, T("next", "下一"), kind="caption")
    s.text(73, 7, T("neuron", "神经元"), kind="caption")

    # what each part becomes in the model: a dashed line joins the two
    for x in (3, 14, 26, 49, 70):
        s.path((x, 11), (x, 13), arrow="none", line="dashed")
    s.text(0, 14, T("weights wᵢ", "权重 wᵢ"))
    s.text(11, 14, T("inputs xᵢ", "输入 xᵢ"))
    s.text(18, 14, T("Σ, then f", "求和 Σ，激活 f"), w=17, align="center")
    s.text(41, 14, T("output y", "输出 y"), w=17, align="center")
    s.text(61, 14, T("next layer's input", "下一层的输入"), w=19, align="center")

    for row, x_name, w in ((16, "x₁", "w₁"), (18, "x₂", "w₂"), (20, "xₙ", "wₙ")):
        s.text(0, row, x_name)
        s.path((3, row), (14, row), (14, 18), (20, 18), dst="sum")
        s.text(5, row, w, kind="tag")
    s.op("sum", 20, 18, "Σ")
    s.text(21, 21, "b")
    s.path((21, 20), (21, 18), dst="sum")
    s.box("f", 26, 17, 7, "f", kind="act")
    s.link("sum", "f")
    s.path((32, 18), (69, 18), line="heavy", src="f")
    s.text(71, 18, "y")
    s.text(0, 22, T("artificial neuron (M-P model)", "人工神经元（M-P 模型）"), bold=True)
    s.text(36, 20, "y = f(Σᵢ wᵢxᵢ + b)")

    s.part(
        "dendrite",
        T("dendrites", "树突"),
        T("In the model: the input connections xᵢ.", "对应人工神经元的输入连接 xᵢ。"),
        term="dendrite",
    )
    s.part(
        "synapse",
        T("synapses", "突触"),
        T("In the model: the weights wᵢ (sign = excitatory/inhibitory).", "对应权重 wᵢ（正负对应兴奋／抑制）。"),
        term="synapse",
    )
    s.part(
        "soma",
        T("cell body (soma)", "细胞体"),
        T(
            "In the model: the weighted sum Σ and the activation f (threshold θ = −b).",
            "对应加权求和 Σ 与激活函数 f（阈值 θ = −b）。",
        ),
        term="soma",
    )
    s.part(
        "nucleus",
        T("nucleus", "细胞核"),
        T("Keeps the cell alive; no counterpart in the model.", "维持细胞的生命活动；模型中没有对应部分。"),
    )
    s.part(
        "axon",
        T("axon", "轴突"),
        T("In the model: the output y (the output connection).", "对应输出 y（输出连接）。"),
        term="axon",
    )
    s.part(
        "terminal",
        T("axon terminals", "轴突末梢"),
        T(
            "Pass the signal through synapses to the next neurons. In the model: y becomes an input of the next layer.",
            "通过突触把信号传给下一个神经元。对应 y 成为下一层的输入。",
        ),
    )
    s.note(T("Learning: in the brain the synapse strengths adapt; in the model the weights are trained.",
             "学习：大脑中是突触连接强度随外界信息自适应变化；模型中是训练权重。"))  # fmt: skip
    return s.build()


def perceptron() -> Diagram:
    s = Sketch("perceptron", T("Artificial neuron (perceptron)", "人工神经元（感知机）"), 80, 14)
    s.text(0, 0, T("inputs", "输入"), kind="caption")
    s.text(8, 0, T("weights", "权重"), kind="caption")
    s.text(22, 0, T("weighted sum", "加权求和"), kind="caption")
    s.text(40, 0, T("activation", "激活函数"), kind="caption")
    s.text(58, 0, T("output", "输出"), kind="caption")
    for row, x, w in ((2, "x₁", "w₁"), (4, "x₂", "w₂"), (8, "xₙ", "wₙ"), (10, "+1", "b")):
        s.op(f"in{row}", 0, row, x, kind="input")
        s.path((3, row), (18, row), (18, 6), (25, 6), src=f"in{row}", dst="sum")
        s.text(9, row, w, kind="tag")
    s.text(1, 6, "⋮")
    s.op("sum", 25, 6, "Σ")
    s.text(32, 6, "z", kind="tag")
    s.box("f", 38, 4, 16, T("f(z)\nstep, sgn, σ", "f(z)\n阶跃、符号、σ"), h=5, kind="act")
    s.link("sum", "f", into="left")
    s.path((53, 6), (62, 6), src="f")
    s.text(64, 6, "y")
    s.text(0, 13, "z = w₁x₁ + w₂x₂ + … + wₙxₙ + b = w·x + b,    y = f(z)", kind="caption")
    s.part(
        "x",
        T("inputs xᵢ", "输入 xᵢ"),
        T(
            "The features of one sample; +1 is a constant input whose weight is the bias.",
            "一个样本的各个特征；+1 是常数输入，它的权重就是偏置 b。",
        ),
    )
    s.part("w", T("weights wᵢ", "权重 wᵢ"), term="weight")
    s.part(
        "sum",
        T("weighted sum z", "加权求和 z"),
        T("z = Σᵢ wᵢxᵢ + b: the net input (b = −θ, the threshold).", "z = Σᵢ wᵢxᵢ + b，即净输入（b = −θ，θ 为阈值）。"),
    )
    s.part("f", T("activation f", "激活函数 f"), term="activation-function")
    s.part(
        "y",
        T("output y", "输出 y"),
        T("y = f(w·x + b); for sgn, the class +1 or −1.", "y = f(w·x + b)；用符号函数时即类别 +1 或 −1。"),
    )
    s.note(T("Rosenblatt's rule, for each misclassified sample: w ← w + η·d·x, b ← b + η·d (d = the label ±1), "
             "until a whole pass has no error. One neuron draws one line: it cannot learn XOR.",
             "Rosenblatt 学习规则：对每个分错的样本 w ← w + η·d·x，b ← b + η·d（d 为标签 ±1），直到一整轮没有错误。"
             "单个神经元只能画一条直线，学不会异或。"))  # fmt: skip
    return s.build()


def mlp() -> Diagram:
    s = Sketch("mlp", T("Multilayer perceptron (fully connected)", "多层感知机（全连接）"), 80, 17)
    layers = [
        ("input", 2, T("input layer", "输入层"), ["x₁", "x₂", "x₃"], (4, 6, 8)),
        ("hidden", 28, T("hidden layer", "隐藏层"), ["h₁", "h₂", "h₃", "h₄"], (3, 5, 7, 9)),
        ("output", 54, T("output layer", "输出层"), ["ŷ₁", "ŷ₂"], (5, 7)),
    ]
    for key, x, name, units, rows in layers:
        s.text(x, 0, name, w=10, align="center", kind="caption")
        s.box(key, x, 2, 10, h=9, shape="round", kind="layer")
        for unit, row in zip(units, rows):
            s.op(f"{key}{unit}", x + 3, row, unit, kind="neuron")
    for (a, xa, _, ua, _), (b, xb, _, ub, _), label in zip(layers, layers[1:], ("W⁽¹⁾, b⁽¹⁾", "W⁽²⁾, b⁽²⁾")):
        s.link(a, b, only="terminal")
        s.text(xa + 12, 5, label, w=xb - xa - 12, align="center", kind="tag")
        for u in ua:
            for v in ub:
                na, nb = s.diagram.node(f"{a}{u}"), s.diagram.node(f"{b}{v}")
                s.path((na.cx, na.y), (nb.cx, nb.y), arrow="none", only="picture", src=na.id, dst=nb.id)
    for unit, row in zip(["ŷ₁", "ŷ₂"], (5, 7)):
        s.path((60, row), (70, row), src=f"output{unit}")
    s.path((2, 12), (63, 12))
    s.text(
        6,
        13,
        T("forward: h = f(W⁽¹⁾x + b⁽¹⁾),  ŷ = g(W⁽²⁾h + b⁽²⁾)", "前向传播：h = f(W⁽¹⁾x + b⁽¹⁾)，ŷ = g(W⁽²⁾h + b⁽²⁾)"),
    )
    s.path((63, 15), (2, 15), line="dashed")
    s.text(
        6, 16, T("backward: ∂E/∂W by the chain rule, from the output back", "反向传播：用链式法则从输出层往回求 ∂E/∂W")
    )
    s.part(
        "input",
        T("input layer", "输入层"),
        T("Holds the features x; it computes nothing.", "存放输入特征 x，本身不做计算。"),
    )
    s.part(
        "hidden",
        T("hidden layer", "隐藏层"),
        T("Here h = f(W⁽¹⁾x + b⁽¹⁾).", "本图 h = f(W⁽¹⁾x + b⁽¹⁾)。"),
        term="hidden-layer",
    )
    s.part(
        "output",
        T("output layer", "输出层"),
        T(
            "ŷ = g(W⁽²⁾h + b⁽²⁾); g is softmax for classes, the identity for regression.",
            "ŷ = g(W⁽²⁾h + b⁽²⁾)；分类用 softmax，回归用恒等函数。",
        ),
    )
    s.part(
        "W",
        T("W⁽ˡ⁾, b⁽ˡ⁾", "W⁽ˡ⁾, b⁽ˡ⁾"),
        T(
            "Layer l's weights (n_out × n_in) and biases: (n_in + 1)·n_out parameters, here 16 and 10.",
            "第 l 层的权重（n_out × n_in）与偏置：共 (n_in + 1)·n_out 个参数，本图为 16 与 10。",
        ),
    )
    s.note(T("Feed-forward: outputs go only to the next layer (no loops, unlike an RNN).",
             "前馈型：每层的输出只送往下一层（没有环路，不同于 RNN）。"))  # fmt: skip
    return s.build()
