"""The mock exam's computation questions, drawn fresh as the course's final asks them.

Each is a quiz template (`Draft`: inputs for a solver, a bilingual statement, the parts asked with
their grades); the answers and the worked solution come from running the solver, never from
here, exactly as for the quiz. They ask more than the quiz's one-number templates, because the
exam's questions do: both feature-map shapes and the parameter count; the output, a gradient and
two updated weights; every hidden state and the output.
"""

from __future__ import annotations

import random
from typing import Any

from dlcalc.quiz.templates import FOUR, Draft, SigmoidNet, number, part, terms, weight
from dlcalc.text import T


def perceptron(rng: random.Random, difficulty: int = 2) -> Draft:
    """The Rosenblatt rule as the course's slides run it: w = 0, b = 0, η = 1; a sample is
    misclassified when y(w·x + b) ≤ 0, and then w ← w + ηyx, b ← b + ηy, until a pass with no
    update. Points drawn separable by a random line, so training converges."""
    n = rng.choice([3, 3, 4])
    w_true = (rng.choice([1, 2, -1]), rng.choice([1, -1, 2]))
    b_true = rng.choice([-3, -2, -1, 1, 2])
    points: list[tuple[int, int]] = []
    labels: list[int] = []
    while len(points) < n:
        x = (rng.randint(-2, 4), rng.randint(-2, 4))
        margin = w_true[0] * x[0] + w_true[1] * x[1] + b_true
        if abs(margin) >= 1 and x not in points:
            points.append(x)
            labels.append(1 if margin > 0 else -1)
    if len(set(labels)) == 1:  # one class only is not a classification exercise
        labels[-1] = -labels[-1]
        points[-1] = tuple(-v for v in points[-1])  # type: ignore[assignment]
    x_text = ", ".join(f"x{i} = ({number(a)}, {number(b)})" for i, (a, b) in enumerate(points, 1))
    y_text = ", ".join(f"y{i} = {number(v)}" for i, v in enumerate(labels, 1))
    stmt = T(
        "Train a Rosenblatt perceptron on {x} with labels {y}. Start from w = (0, 0), b = 0, η = 1, and visit the "
        "samples in order: a sample is misclassified when y(w·x + b) ≤ 0, and then w ← w + ηyx, b ← b + ηy; stop "
        "after a pass with no update. Give the final weights w1, w2, the bias b and the number of updates.",
        "用样本 {x}、标签 {y} 训练 Rosenblatt 感知机。初值 w = (0, 0)，b = 0，η = 1，按顺序遍历样本：若 "
        "y(w·x + b) ≤ 0 则该样本被误分类，令 w ← w + ηyx，b ← b + ηy；直到一整轮没有更新为止。求最终的权重 "
        "w1、w2、偏置 b 以及更新次数。",
    ).format(x=x_text, y=y_text)
    inputs = {
        "x": "; ".join(f"{a},{b}" for a, b in points),
        "y": ",".join(str(v) for v in labels),
        "lr": 1,
        "rule": "misclassified",
        "w0": "0,0",
        "b0": 0,
    }
    parts = [
        part("w", "weights", "权重", "exact", names=("w",), items=("w1", "w2")),
        part("b", "bias b", "偏置 b", "exact", names=("b", "bias", "偏置")),
        part("updates", "number of updates", "更新次数", "exact", names=("updates", "更新")),
    ]
    return Draft("perceptron", "perceptron", inputs, stmt, parts, difficulty=difficulty)


def feature_maps(rng: random.Random, difficulty: int = 2) -> Draft:
    """A conv layer then a max pooling layer, as the notes' 28×28 and AlexNet CONV1/POOL1 examples:
    both shapes (the floor included) and the conv layer's parameter count."""
    while True:
        k = rng.choice([3, 3, 5, 5, 7, 11])
        s = rng.choice([1, 1, 2] if k < 7 else [2, 4])
        p = rng.choice([0, 0, k // 2])
        c = rng.choice([1, 3, 3])
        n = rng.randint(12, 64) if k < 11 else rng.choice([227, 224, 127])
        conv_out = (n + 2 * p - k) // s + 1
        pk = rng.choice([2, 2, 3])
        ps = 2
        pool_out = (conv_out - pk) // ps + 1
        if conv_out >= 4 and pool_out >= 2:
            break
    f = rng.choice([6, 8, 16, 25, 32, 64, 96])
    layers = [f"Conv2d({c}, {f}, {k}, stride={s}, padding={p})", f"MaxPool2d({pk}, {ps})"]
    stmt = T(
        "A {c}×{n}×{n} image goes through a convolution layer with {f} kernels of {k}×{k}, stride {s}, padding {p}, "
        "then a {pk}×{pk} max pooling layer with stride {ps}. Give the feature-map shape after the convolution "
        "(C×H×W), the feature-map shape after the pooling (C×H×W) and the parameter count of the convolution "
        "layer (weights and biases).",
        "{c}×{n}×{n} 的图像先经过卷积层（{f} 个 {k}×{k} 卷积核，步长 {s}，padding {p}），再经过 {pk}×{pk}、"
        "步长 {ps} 的最大池化层。求卷积后的特征图形状（C×H×W）、池化后的特征图形状（C×H×W）以及卷积层的参数量"
        "（权重与偏置）。",
    ).format(c=c, n=n, f=f, k=k, s=s, p=p, pk=pk, ps=ps)
    parts = [
        part(
            "layers[1].output_shape",
            "feature-map shape after the convolution",
            "卷积后的特征图形状",
            names=("after the convolution", "卷积后"),
        ),
        part(
            "layers[2].output_shape",
            "feature-map shape after the pooling",
            "池化后的特征图形状",
            names=("after the pooling", "池化后"),
        ),
        part(
            "layers[1].params",
            "parameter count of the convolution layer",
            "卷积层的参数量",
            names=("parameters", "params", "参数量"),
        ),
    ]
    return Draft("net", "net", {"input": [c, n, n], "layers": layers}, stmt, parts, difficulty=difficulty)


def backprop(rng: random.Random, difficulty: int = 2) -> Draft:
    """A 2-2-1 sigmoid net, E = ½(t − o)², η = 0.5: the forward output, one gradient, two updated weights."""
    net = SigmoidNet.draw(rng)
    j = rng.choice([1, 2])
    outer = f"W2[1,{j}]"
    inner = rng.choice(["W1[1,1]", "W1[1,2]", "W1[2,1]", "W1[2,2]"])
    stmt = T(
        "A feed-forward net: input x = ({x1}, {x2}), target t = {t}. Hidden layer W1 = {W1} (row i holds the weights "
        "into hidden unit i), shared bias {b1}; output layer W2 = {W2}, bias {b2}; sigmoid activations everywhere; "
        "E = ½(t − o)²; learning rate η = 0.5; biases are not updated. Give the network output o, the gradient "
        "∂E/∂{outer}, the new {outer} and the new {inner} after one step of gradient descent (to 4 decimals).",
        "前馈网络：输入 x = ({x1}, {x2})，目标 t = {t}。隐藏层 W1 = {W1}（第 i 行是进入第 i 个隐藏单元的权重），"
        "共享偏置 {b1}；输出层 W2 = {W2}，偏置 {b2}；激活函数均为 sigmoid；E = ½(t − o)²；学习率 η = 0.5；"
        "偏置不更新。求网络输出 o、梯度 ∂E/∂{outer}、一步梯度下降后新的 {outer} 和新的 {inner}（保留 4 位小数）。",
    ).format(outer=outer, inner=inner, **net.fields())
    parts = [
        part("forward.a2[1]", "network output o", "网络输出 o", FOUR, names=("output", "o", "输出")),
        part(f"grads.{outer}", f"∂E/∂{outer}", f"∂E/∂{outer}", FOUR, names=("gradient", "梯度")),
        part(f"updated.{outer}", f"new {outer}", f"新的 {outer}", FOUR, names=(outer,)),
        part(f"updated.{inner}", f"new {inner}", f"新的 {inner}", FOUR, names=(inner,)),
    ]
    return Draft("backprop", "backprop", net.inputs(), stmt, parts, difficulty=difficulty)


def rnn(rng: random.Random, difficulty: int = 2) -> Draft:
    """h_t = tanh(U·x_t + W·h_(t−1) + b), y_t = V·h_t + c, two or three steps: every h and the last y."""
    steps = rng.choice([2, 2, 3])
    xs = [rng.choice([-2, -1, 1, 2]) for _ in range(steps)]
    u = weight(rng, -1, 1) or 0.5
    w = weight(rng, -1, 1) or -0.4
    b = weight(rng, -0.5, 0.5)
    v = rng.choice([-2, -1.5, -1, 1, 1.5, 2])
    c = weight(rng, -0.5, 0.5)
    inside = terms([(u, "x_t"), (w, "h_(t−1)")], b)
    out = terms([(v, "h_t")], c)
    stmt = T(
        "A simple RNN: h_t = tanh({inside}), output y_t = {out}, h_0 = 0, inputs {given}. Give the hidden "
        "states {hs} and the output y_{n} (to 4 decimals).",
        "简单 RNN：h_t = tanh({inside})，输出 y_t = {out}，h_0 = 0，输入 {given}。求隐藏状态 {hs} 和输出 y_{n}"
        "（保留 4 位小数）。",
    ).format(
        inside=inside,
        out=out,
        n=steps,
        given=", ".join(f"x_{t} = {number(x)}" for t, x in enumerate(xs, 1)),
        hs=", ".join(f"h_{t}" for t in range(1, steps + 1)),
    )
    inputs = {"x": "; ".join(map(str, xs)), "W": u, "U": w, "b": b, "V": v, "c": c}
    parts = [
        part("h", "hidden states", "隐藏状态", FOUR, names=("h",), items=tuple(f"h_{t}" for t in range(1, steps + 1))),
        part(f"y[{steps}]", f"output y_{steps}", f"输出 y_{steps}", FOUR, names=(f"y_{steps}", "output", "输出")),
    ]
    return Draft("rnn", "rnn", inputs, stmt, parts, difficulty=difficulty)


def well_posed(q: Any) -> bool:
    """Fit to ask on a paper: every graded number present, no rounding tie, and per kind: the
    perceptron converges in 2–8 updates; shapes positive; the sigmoid net away from saturation with
    a gradient worth computing; RNN states inside tanh's working range and an output to compute."""
    from dlcalc.quiz.wellposed import clear_rounding, numbers

    a = q.result.answer
    values = numbers(q)
    if any(v is None for v in values) or not clear_rounding(q):
        return False
    if q.topic == "perceptron":
        return bool(a["converged"]) and 2 <= a["updates"] <= 8 and a["epochs"] <= 4
    if q.topic == "net":
        return all(isinstance(v, int) and v > 0 for layer in a["layers"] for v in layer["output_shape"])
    if q.topic == "backprop":
        zs = [v for layer in a["forward"].values() for v in layer]
        grads = [abs(v) for row in a["grads"]["W1"] + a["grads"]["W2"] for v in row]
        return all(abs(z) < 4 for z in zs) and min(grads) > 1e-4
    if q.topic == "rnn":
        hs = [v for row in a["h"] for v in row]
        return all(0.05 < abs(v) < 0.97 for v in hs) and abs(float(values[-1])) > 1e-3
    return True
