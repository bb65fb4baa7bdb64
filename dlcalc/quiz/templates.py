"""Question templates: draw fresh, well-posed numbers, let the solver compute answer and solution.

Every template is `generate(rng, difficulty) -> Draft`: the inputs in the solver's own input
language, the statement in both languages, and which answer key to ask for. The answer itself
always comes from running the solver on those inputs (`dlcalc.quiz.questions`), never from the
template, so a question and its worked solution cannot disagree. Templates draw from the
`random.Random` they are given, never from the global generator.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dlcalc.text import T, Text


@dataclass
class Draft:
    topic: str
    solver: str
    inputs: dict[str, Any]
    statement: Text
    ask: str  # the answer key asked for (a key of the solver's --json answer)
    tolerance: float = 0.0  # 0: exact
    difficulty: int = 1
    pick: Callable[[Any], Any] | None = None  # narrows the answer, e.g. the last hidden state
    extra: dict[str, Any] = field(default_factory=dict)


def _shape(dims) -> str:
    return "×".join(map(str, dims))


def conv(rng: random.Random, difficulty: int = 1) -> Draft:
    """A conv layer whose stride tiles the padded input exactly (an integer answer, no floor)."""
    while True:
        k = rng.choice([1, 3, 3, 5, 7] if difficulty > 1 else [3, 3, 5])
        s = rng.choice([1, 2] if difficulty == 1 else [1, 2, 2, 4])
        p = rng.choice([0, k // 2] if difficulty < 3 else [0, 1, 2, k // 2])
        out = rng.randint(4, 60)
        n = (out - 1) * s + k - 2 * p
        if 4 <= n <= 256:
            break
    c = rng.choice([1, 3, 16, 32, 64])
    f = rng.choice([8, 16, 32, 64, 96, 128])
    ask = "params" if difficulty > 1 and rng.random() < 0.4 else "output_shape"
    what = (
        T("the output shape (C×H×W)", "输出形状（C×H×W）")
        if ask == "output_shape"
        else T("the number of parameters (weights and biases)", "参数量（权重与偏置）")
    )
    stmt = T(
        "A {c}×{n}×{n} input goes through a convolution with {f} kernels of {k}×{k}, stride {s}, padding {p}. Give {what}.",
        "输入为 {c}×{n}×{n}，经过 {f} 个 {k}×{k} 卷积核、步长 {s}、padding {p} 的卷积层。求{what_zh}。",
    ).format(c=c, n=n, f=f, k=k, s=s, p=p, what=what.en, what_zh=what.zh)
    return Draft(
        "conv",
        "conv",
        {"input": [c, n, n], "kernel": k, "stride": s, "padding": p, "out_channels": f},
        stmt,
        ask,
        difficulty=difficulty,
    )


def pool(rng: random.Random, difficulty: int = 1) -> Draft:
    while True:
        k = rng.choice([2, 2, 3])
        s = rng.choice([2, k] if difficulty < 3 else [1, 2, 3])
        p = 0 if difficulty < 3 else rng.choice([0, k // 2])
        out = rng.randint(3, 56)
        n = (out - 1) * s + k - 2 * p
        if 4 <= n <= 224:
            break
    c = rng.choice([16, 32, 64, 96, 128])
    avg = rng.random() < 0.3
    name = T("average", "平均") if avg else T("max", "最大")
    stmt = T(
        "A {c}×{n}×{n} map goes through {kind} pooling with a {k}×{k} window, stride {s}, padding {p}. Give the output shape.",
        "{c}×{n}×{n} 的特征图做 {k}×{k}、步长 {s}、padding {p} 的{kind_zh}池化。求输出形状。",
    ).format(c=c, n=n, k=k, s=s, p=p, kind=name.en, kind_zh=name.zh)
    return Draft(
        "pool",
        "pool",
        {"input": [c, n, n], "kernel": k, "stride": s, "padding": p, "avg": avg},
        stmt,
        "output_shape",
        difficulty=difficulty,
    )


def net(rng: random.Random, difficulty: int = 1) -> Draft:
    """conv → 2×2 pool → conv → 2×2 pool, sized so every step divides exactly."""
    k1, k2 = rng.choice([3, 5]), rng.choice([3, 5])
    a = rng.randint(2, 6) * 2  # size after the second conv: even, so the last pool divides it
    b = a + k2 - 1  # size after the first pool (even, since k2 is odd)
    n = 2 * b + k1 - 1
    c, f1, f2 = rng.choice([1, 3]), rng.choice([6, 8, 16, 25]), rng.choice([16, 32, 50])
    layers = [f"Conv2d({c}, {f1}, {k1})", "MaxPool2d(2)", f"Conv2d({f1}, {f2}, {k2})", "MaxPool2d(2)"]
    stmt = T(
        "A {c}×{n}×{n} input passes through {layers}. Give the final output shape.",
        "{c}×{n}×{n} 的输入依次经过 {layers}。求最终输出形状。",
    ).format(c=c, n=n, layers=", ".join(layers))
    return Draft("net", "net", {"input": [c, n, n], "layers": layers}, stmt, "output_shape", difficulty=difficulty)


def perceptron(rng: random.Random, difficulty: int = 1) -> Draft:
    """A small separable set; well posed when training converges in a few updates with no net = 0 tie."""
    n = 3 if difficulty == 1 else 4
    w_true = (rng.choice([1, 2, -1]), rng.choice([1, -1, 2]))
    b_true = rng.choice([-3, -2, -1, 1])
    points, labels = [], []
    while len(points) < n:
        x = (rng.randint(-3, 4), rng.randint(-3, 4))
        margin = w_true[0] * x[0] + w_true[1] * x[1] + b_true
        if abs(margin) >= 1 and x not in points:
            points.append(x)
            labels.append(1 if margin > 0 else -1)
    rule = rng.choice(["error", "misclassified"])
    w0 = (rng.choice([-1, 1]), rng.choice([-1, 1]))
    b0 = rng.choice([-0.5, 0.5])  # a non-zero start keeps w·x + b off the sgn(0) tie
    x_text = "; ".join(f"{a},{b}" for a, b in points)
    y_text = ",".join(str(v) for v in labels)
    rule_en = (
        "w ← w + η(d − o)x (o = sgn(w·x + b), sgn(0) = 1)"
        if rule == "error"
        else "if y(w·x + b) ≤ 0: w ← w + ηyx, b ← b + ηy"
    )
    rule_zh = (
        "w ← w + η(d − o)x（o = sgn(w·x + b)，sgn(0) = 1）"
        if rule == "error"
        else "若 y(w·x + b) ≤ 0：w ← w + ηyx，b ← b + ηy"
    )
    stmt = T(
        "Train a perceptron on x = {x} with labels {y}, η = 1, w0 = ({w1}, {w2}), b0 = {b0}, visiting the samples in order "
        "with the rule {rule}. Give the final w1, w2, b.",
        "用样本 x = {x}、标签 {y} 训练感知机，η = 1，w0 = ({w1}, {w2})，b0 = {b0}，按顺序遍历样本，规则为 {rule_zh}。"
        "给出最终的 w1, w2, b。",
    ).format(x=x_text, y=y_text, rule=rule_en, rule_zh=rule_zh, w1=w0[0], w2=w0[1], b0=b0)
    inputs = {"x": x_text, "y": y_text, "lr": 1, "rule": rule, "w0": f"{w0[0]},{w0[1]}", "b0": b0}
    return Draft(
        "perceptron",
        "perceptron",
        inputs,
        stmt,
        "w_b",
        difficulty=difficulty,
        extra={"points": points, "labels": labels},
    )


def backprop(rng: random.Random, difficulty: int = 1) -> Draft:
    """A 2-2-1 sigmoid net with 2-decimal weights; asks for one updated weight."""

    def w() -> float:
        return round(rng.uniform(-0.9, 0.9), 2)

    x = [round(rng.uniform(0.05, 1.0), 2), round(rng.uniform(0.05, 1.0), 2)]
    t = round(rng.uniform(0.05, 0.95), 2)
    layers = [
        {"weights": [[w(), w()], [w(), w()]], "bias": w(), "activation": "sigmoid"},
        {"weights": [[w(), w()]], "bias": w(), "activation": "sigmoid"},
    ]
    which = rng.choice(["W2[1,1]", "W2[1,2]", "W1[1,1]", "W1[2,2]"])
    stmt = T(
        "Input x = ({x1}, {x2}), target {t}. Hidden layer W1 = {W1}, bias {b1} (shared); output W2 = {W2}, "
        "bias {b2}; sigmoid everywhere; E = ½(t − o)², η = 0.5, biases fixed. After one gradient step, what is {which}?",
        "输入 x = ({x1}, {x2})，目标 {t}。隐藏层 W1 = {W1}，共享偏置 {b1}；输出层 W2 = {W2}，偏置 {b2}；全部用 sigmoid；"
        "E = ½(t − o)²，η = 0.5，偏置不更新。一步梯度下降后 {which} 是多少？",
    ).format(
        x1=x[0],
        x2=x[1],
        t=t,
        W1=layers[0]["weights"],
        b1=layers[0]["bias"],
        W2=layers[1]["weights"],
        b2=layers[1]["bias"],
        which=which,
    )
    inputs = {"input": x, "target": [t], "layers": layers, "loss": "half_sse", "lr": 0.5, "update_bias": False}
    return Draft("backprop", "backprop", inputs, stmt, f"updated.{which}", tolerance=1e-3, difficulty=difficulty)


def rnn(rng: random.Random, difficulty: int = 1) -> Draft:
    steps = rng.randint(1, 3)
    xs = [rng.choice([-2, -1, 1, 2, 3]) for _ in range(steps)]
    w, u, b = round(rng.uniform(-1, 1), 1), round(rng.uniform(-1, 1), 1), round(rng.uniform(-0.5, 0.5), 1)
    stmt = T(
        "h_t = tanh({w}·x_t {u}·h_(t−1) {b}), h_0 = 0, inputs x = {xs}. Give h_{n} (to 4 decimals).",
        "h_t = tanh({w}·x_t {u}·h_(t−1) {b})，h_0 = 0，输入 x = {xs}。求 h_{n}（保留 4 位小数）。",
    ).format(w=w, u=_signed(u), b=_signed(b), xs=", ".join(map(str, xs)), n=steps)
    inputs = {"x": "; ".join(map(str, xs)), "W": w, "U": u, "b": b}
    return Draft("rnn", "rnn", inputs, stmt, "h_last", tolerance=1e-3, difficulty=difficulty)


def _signed(v: float) -> str:
    """+ 0.5 or − 0.2, for a term written after another."""
    return f"− {abs(v)}" if v < 0 else f"+ {v}"


def _gated(rng: random.Random, gates: str) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for g in gates:
        inputs[f"W_{g}"] = round(rng.uniform(-1, 1), 1)
        inputs[f"U_{g}"] = round(rng.uniform(-1, 1), 1)
        inputs[f"b_{g}"] = round(rng.uniform(-0.5, 0.5), 1)
    return inputs


def _weights_text(inputs: dict[str, Any], gates: str) -> str:
    return "; ".join(
        f"W_{g} = {inputs[f'W_{g}']}, U_{g} = {inputs[f'U_{g}']}, b_{g} = {inputs[f'b_{g}']}" for g in gates
    )


def lstm(rng: random.Random, difficulty: int = 1) -> Draft:
    steps = rng.randint(1, 2 if difficulty < 3 else 3)
    xs = [rng.choice([-1, 1, 2]) for _ in range(steps)]
    inputs = _gated(rng, "ifgo")
    inputs["x"] = "; ".join(map(str, xs))
    stmt = T(
        "One LSTM unit (gates i, f, g, o: gate = act(W·x_t + U·h_(t−1) + b)) with {w}; h_0 = c_0 = 0, inputs x = {xs}. "
        "Give h_{n} (to 4 decimals).",
        "一个 LSTM 单元（门 i、f、g、o：门 = 激活(W·x_t + U·h_(t−1) + b)），{w}；h_0 = c_0 = 0，输入 x = {xs}。"
        "求 h_{n}（保留 4 位小数）。",
    ).format(w=_weights_text(inputs, "ifgo"), xs=", ".join(map(str, xs)), n=steps)
    return Draft("lstm", "lstm", inputs, stmt, "h_last", tolerance=1e-3, difficulty=difficulty)


def gru(rng: random.Random, difficulty: int = 1) -> Draft:
    steps = rng.randint(1, 2 if difficulty < 3 else 3)
    xs = [rng.choice([-1, 1, 2]) for _ in range(steps)]
    inputs = _gated(rng, "rzn")
    inputs["x"] = "; ".join(map(str, xs))
    inputs["convention"] = convention = rng.choice(["torch", "textbook"])
    rule = (
        "n = tanh(W_n x + b_n + r⊙(U_n h)), h = (1 − z)⊙n + z⊙h_prev"
        if convention == "torch"
        else "n = tanh(W_n x + U_n (r⊙h) + b_n), h = (1 − z)⊙h_prev + z⊙n"
    )
    stmt = T(
        "One GRU unit ({conv} convention: {rule}) with {w}; h_0 = 0, inputs x = {xs}. Give h_{n} (to 4 decimals).",
        "一个 GRU 单元（{conv} 约定：{rule}），{w}；h_0 = 0，输入 x = {xs}。求 h_{n}（保留 4 位小数）。",
    ).format(conv=convention, rule=rule, w=_weights_text(inputs, "rzn"), xs=", ".join(map(str, xs)), n=steps)
    return Draft("gru", "gru", inputs, stmt, "h_last", tolerance=1e-3, difficulty=difficulty)


def grad(rng: random.Random, difficulty: int = 1) -> Draft:
    forms = [
        ("sigmoid({a}*w + {b})", "w"),
        ("tanh({a}*x)^2", "x"),
        ("w^3 - {a}*w^2 + {b}*w", "w"),
        ("1/2*(1 - sigmoid({a}*w))^2", "w"),
        ("log(1 + exp({a}*x))", "x"),
        ("exp(-{a}*x^2)", "x"),
    ]
    form, var = rng.choice(forms if difficulty > 1 else forms[:3])
    a, b = rng.choice([1, 2, 3]), rng.choice([-1, 1, 2])
    expr = form.format(a=a, b=b)
    at = rng.choice([-1, 0.5, 1, 2])
    stmt = T(
        "Differentiate f = {e} with respect to {v} and evaluate at {v} = {at} (to 4 decimals).",
        "求 f = {e} 对 {v} 的导数，并在 {v} = {at} 处求值（保留 4 位小数）。",
    ).format(e=expr, v=var, at=at)
    return Draft(
        "grad",
        "grad",
        {"expr": expr, "wrt": var, "at": f"{var}={at}"},
        stmt,
        "value",
        tolerance=1e-3,
        difficulty=difficulty,
    )


def optim(rng: random.Random, difficulty: int = 1) -> Draft:
    name = rng.choice(
        ["sgd", "momentum"] if difficulty == 1 else ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    )
    a, b = rng.choice([1, 2]), rng.choice([-4, -2, 2, 3])
    f = f"{a}*w^2 + {b}*w" if a != 1 else f"w^2 + {b}*w"
    start, lr, steps = rng.choice([-1, 0, 1, 2]), rng.choice([0.1, 0.05, 0.2]), rng.randint(1, 3)
    rule = {
        "sgd": "w ← w − lr·g",
        "momentum": "b ← 0.9b + g, w ← w − lr·b",
        "nesterov": "b ← 0.9b + g, w ← w − lr·(g + 0.9b)",
        "adagrad": "s ← s + g², w ← w − lr·g/(√s + 1e-10)",
        "rmsprop": "v ← 0.99v + 0.01g², w ← w − lr·g/(√v + 1e-8)",
        "adam": "Adam with β = (0.9, 0.999), ε = 1e-8, bias-corrected",
    }[name]
    stmt = T(
        "Minimize f(w) = {f} from w = {s} with {o} ({rule}), lr = {lr}. Give w after {n} step(s) (to 4 decimals).",
        "用 {o}（{rule}），lr = {lr}，从 w = {s} 出发最小化 f(w) = {f}。求 {n} 步后的 w（保留 4 位小数）。",
    ).format(f=f, s=start, o=name, rule=rule, lr=lr, n=steps)
    return Draft(
        "optim",
        "optim",
        {"f": f, "optimizer": name, "lr": lr, "start": start, "steps": steps},
        stmt,
        "final",
        tolerance=1e-3,
        difficulty=difficulty,
    )


def attention(rng: random.Random, difficulty: int = 1) -> Draft:
    n = rng.randint(2, 3)
    q = [[rng.choice([0, 1, 2, -1]) for _ in range(2)] for _ in range(n)]
    k = [[rng.choice([0, 1, -1]) for _ in range(2)] for _ in range(n)]
    v = [[rng.choice([0, 1, 2, 3])] for _ in range(n)]
    while len({row[0] for row in v}) == 1:  # equal values make every weighting give the same answer
        v[rng.randrange(n)] = [rng.choice([0, 1, 2, 3])]
    causal = difficulty > 1 and rng.random() < 0.5
    stmt = T(
        "Q = {q}, K = {k}, V = {v} (rows are tokens){mask}. With scaled dot-product attention, give the output "
        "of the last token (to 4 decimals).",
        "Q = {q}，K = {k}，V = {v}（每行一个词）{mask_zh}。用缩放点积注意力，求最后一个词的输出（保留 4 位小数）。",
    ).format(q=q, k=k, v=v, mask=", with a causal mask" if causal else "", mask_zh="，带因果掩码" if causal else "")
    return Draft(
        "attention",
        "attention",
        {"Q": q, "K": k, "V": v, "mask": "causal" if causal else None},
        stmt,
        "output",
        tolerance=1e-3,
        difficulty=difficulty,
        pick=lambda out: out[-1],
    )


def batchnorm(rng: random.Random, difficulty: int = 1) -> Draft:
    xs = rng.sample(range(-4, 9), 3)
    gamma, beta = rng.choice([1, 2, 0.5]), rng.choice([0, 1, -1])
    stmt = T(
        "BatchNorm1d(1) in training mode (ε = 1e-5) on the batch {x}, with γ = {g} and β = {b}. "
        "Give the three outputs (to 4 decimals).",
        "训练模式的 BatchNorm1d(1)（ε = 1e-5），批数据 {x}，γ = {g}，β = {b}。求三个输出（保留 4 位小数）。",
    ).format(x=", ".join(map(str, xs)), g=gamma, b=beta)
    return Draft(
        "batchnorm",
        "batchnorm",
        {"x": [[v] for v in xs], "gamma": gamma, "beta": beta},
        stmt,
        "output",
        tolerance=1e-3,
        difficulty=difficulty,
    )


def softmax(rng: random.Random, difficulty: int = 1) -> Draft:
    z = [rng.choice([-1, 0, 0.5, 1, 2, 3]) for _ in range(3)]
    if difficulty == 1:
        stmt = T("Give softmax({z}) (to 4 decimals).", "求 softmax({z})（保留 4 位小数）。").format(
            z=", ".join(map(str, z))
        )
        return Draft("softmax", "softmax", {"logits": z}, stmt, "probabilities", tolerance=1e-3, difficulty=difficulty)
    c = rng.randrange(3)
    stmt = T(
        "Logits {z}, true class {c} (counting from 0). Give the cross-entropy loss (to 4 decimals).",
        "logits 为 {z}，真实类别 {c}（从 0 开始）。求交叉熵损失（保留 4 位小数）。",
    ).format(z=", ".join(map(str, z)), c=c)
    return Draft(
        "softmax",
        "softmax",
        {"logits": z, "loss": "cross_entropy", "target": c},
        stmt,
        "loss",
        tolerance=1e-3,
        difficulty=difficulty,
    )


def activation(rng: random.Random, difficulty: int = 1) -> Draft:
    fn = rng.choice(["sigmoid", "tanh"] if difficulty == 1 else ["sigmoid", "tanh", "elu", "gelu"])
    x = rng.choice([-2, -1, -0.5, 0.5, 1, 2])
    stmt = T(
        "Give the slope of {f} at x = {x} (to 4 decimals).", "求 {f} 在 x = {x} 处的导数（保留 4 位小数）。"
    ).format(f=fn, x=x)
    return Draft(
        "activation", "act", {"function": fn, "at": [x]}, stmt, "derivative", tolerance=1e-3, difficulty=difficulty
    )


def metrics(rng: random.Random, difficulty: int = 1) -> Draft:
    tp, fp, fn = rng.randint(1, 20), rng.randint(0, 10), rng.randint(0, 10)
    which = rng.choice(["precision", "recall", "f1"])
    stmt = T(
        "TP = {tp}, FP = {fp}, FN = {fn}. Give the {w} (a fraction or 4 decimals).",
        "TP = {tp}，FP = {fp}，FN = {fn}。求{w_zh}（分数或保留 4 位小数）。",
    ).format(
        tp=tp,
        fp=fp,
        fn=fn,
        w=which if which != "f1" else "F1 score",
        w_zh={"precision": "精确率", "recall": "召回率", "f1": "F1"}[which],
    )
    return Draft(
        "metrics", "metrics", {"tp": tp, "fp": fp, "fn": fn}, stmt, which, tolerance=1e-4, difficulty=difficulty
    )


TEMPLATES: dict[str, Callable[[random.Random, int], Draft]] = {
    "conv": conv,
    "pool": pool,
    "net": net,
    "perceptron": perceptron,
    "backprop": backprop,
    "grad": grad,
    "rnn": rnn,
    "lstm": lstm,
    "gru": gru,
    "optim": optim,
    "attention": attention,
    "batchnorm": batchnorm,
    "softmax": softmax,
    "activation": activation,
    "metrics": metrics,
}
