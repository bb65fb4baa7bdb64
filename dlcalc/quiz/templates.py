"""Question templates: draw fresh, well-posed numbers, let the solver compute answer and solution.

Every template is `generate(rng, difficulty) -> Draft`: the inputs in the solver's own input
language, the statement in both languages (written as a student writes: `w² − 2w`, never
`w^2 + -2*w`), and the parts it asks, each with its grade. The answers themselves always come
from running the solver on those inputs (`dlcalc.quiz.questions`), never from the template, so a
question and its worked solution cannot disagree. Templates draw from the `random.Random` they are
given, never from the global generator. Every statement passes the bank's statement check
(`dlcalc.bank.parts.statement_problems`): it names every part and asks nothing ungraded.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlcalc.bank.parts import Part, parse_grade
from dlcalc.text import T, Text


@dataclass
class Draft:
    topic: str
    solver: str
    inputs: dict[str, Any]
    statement: Text
    parts: list[Part]  # what the statement asks, in its order
    difficulty: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def part(key: str, en: str, zh: str, grade: str | None = None, names: tuple[str, ...] = (), items=()) -> Part:
    return Part(key, Text(en, zh), tuple(names), parse_grade(grade) if grade else None, tuple(items))


SHAPE = part("output_shape", "output shape", "输出形状")
FOUR = "4 decimals"


def number(v: float | int) -> str:
    """A number as printed in a statement: −0.5 with a real minus sign, no -0.0, no 2.0."""
    if isinstance(v, float) and v == int(v):
        v = int(v)
    if v == 0:
        return "0"
    return f"−{abs(v)}" if v < 0 else str(v)


def signed(v: float | int) -> str:
    """+ 0.5 or − 0.2, for a term written after another."""
    return f"− {number(abs(v))}" if v < 0 else f"+ {number(v)}"


def term(coef: float | int, name: str, first: bool = False) -> str:
    """A coefficient times a name, as on paper: `2w`, `w`, `− w`, `+ 0.5·x_t` (empty when coef is 0)."""
    if coef == 0:
        return ""
    size = abs(coef)
    juxtaposed = float(size).is_integer() and "_" not in name  # 2w², but 0.5·x_t
    body = name if size == 1 else (f"{number(size)}{name}" if juxtaposed else f"{number(size)}·{name}")
    if first:
        return f"−{body}" if coef < 0 else body
    return f"− {body}" if coef < 0 else f"+ {body}"


def terms(pairs: list[tuple[float | int, str]], constant: float | int = 0) -> str:
    """A sum written as a student writes it: terms(((1, "w²"), (-2, "w"))) → "w² − 2w"."""
    out: list[str] = []
    for coef, name in pairs:
        t = term(coef, name, first=not out)
        if t:
            out.append(t)
    if constant:
        out.append(number(constant) if not out else signed(constant))
    return " ".join(out) if out else "0"


def _shape(dims) -> str:
    return "×".join(map(str, dims))


PARAMS = part("params", "parameter count", "参数量", names=("parameters", "params", "参数"))


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
    ask = "shape" if difficulty == 1 else rng.choice(["shape", "params", "both"])
    what = {
        "shape": T("the output shape (C×H×W)", "输出形状（C×H×W）"),
        "params": T("the parameter count (weights and biases)", "参数量（权重与偏置）"),
        "both": T(
            "the output shape (C×H×W) and the parameter count (weights and biases)",
            "输出形状（C×H×W）和参数量（权重与偏置）",
        ),
    }[ask]
    parts = {"shape": [SHAPE], "params": [PARAMS], "both": [SHAPE, PARAMS]}[ask]
    stmt = T(
        "A {c}×{n}×{n} input goes through a convolution with {f} kernels of {k}×{k}, stride {s}, padding {p}. Give {what}.",
        "输入为 {c}×{n}×{n}，经过 {f} 个 {k}×{k} 卷积核、步长 {s}、padding {p} 的卷积层。求{what_zh}。",
    ).format(c=c, n=n, f=f, k=k, s=s, p=p, what=what.en, what_zh=what.zh)
    return Draft(
        "conv",
        "conv",
        {"input": [c, n, n], "kernel": k, "stride": s, "padding": p, "out_channels": f},
        stmt,
        parts,
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
        "A {c}×{n}×{n} map goes through {kind} pooling with a {k}×{k} window, stride {s}, padding {p}. Give the output shape (C×H×W).",
        "{c}×{n}×{n} 的特征图做 {k}×{k}、步长 {s}、padding {p} 的{kind_zh}池化。求输出形状（C×H×W）。",
    ).format(c=c, n=n, k=k, s=s, p=p, kind=name.en, kind_zh=name.zh)
    return Draft(
        "pool",
        "pool",
        {"input": [c, n, n], "kernel": k, "stride": s, "padding": p, "avg": avg},
        stmt,
        [SHAPE],
        difficulty=difficulty,
    )


def net_chain(rng: random.Random, difficulty: int = 1) -> Draft:
    """conv → 2×2 pool → conv → 2×2 pool, sized so every step divides exactly."""
    k1, k2 = rng.choice([3, 5]), rng.choice([3, 5])
    a = rng.randint(2, 6) * 2  # size after the second conv: even, so the last pool divides it
    b = a + k2 - 1  # size after the first pool (even, since k2 is odd)
    n = 2 * b + k1 - 1
    c, f1, f2 = rng.choice([1, 3]), rng.choice([6, 8, 16, 25]), rng.choice([16, 32, 50])
    layers = [f"Conv2d({c}, {f1}, {k1})", "MaxPool2d(2)", f"Conv2d({f1}, {f2}, {k2})", "MaxPool2d(2)"]
    total = part("total_params", "total parameter count", "总参数量", names=("parameters", "params", "参数"))
    shape = part("output_shape", "final output shape", "最终输出形状", names=("output shape", "输出形状"))
    if difficulty > 1 and rng.random() < 0.5:
        stmt = T(
            "A {c}×{n}×{n} input passes through {layers}. Give the final output shape (C×H×W) and the total parameter count.",
            "{c}×{n}×{n} 的输入依次经过 {layers}。求最终输出形状（C×H×W）和总参数量。",
        )
        parts = [shape, total]
    else:
        stmt = T(
            "A {c}×{n}×{n} input passes through {layers}. Give the final output shape (C×H×W).",
            "{c}×{n}×{n} 的输入依次经过 {layers}。求最终输出形状（C×H×W）。",
        )
        parts = [shape]
    stmt = stmt.format(c=c, n=n, layers=", ".join(layers))
    return Draft("net", "net", {"input": [c, n, n], "layers": layers}, stmt, parts, difficulty=difficulty)


def perceptron(rng: random.Random, difficulty: int = 1) -> Draft:
    """A small separable set; well posed when training converges in a few updates with no net = 0 tie."""
    n = 3 if difficulty == 1 else 4
    w_true = (rng.choice([1, 2, -1]), rng.choice([1, -1, 2]))
    b_true = rng.choice([-3, -2, -1, 1])
    points: list[tuple[int, int]] = []
    labels: list[int] = []
    while len(points) < n:
        x = (rng.randint(-3, 4), rng.randint(-3, 4))
        margin = w_true[0] * x[0] + w_true[1] * x[1] + b_true
        if abs(margin) >= 1 and x not in points:
            points.append(x)
            labels.append(1 if margin > 0 else -1)
    rule = rng.choice(["error", "misclassified"])
    w0 = (rng.choice([-1, 1]), rng.choice([-1, 1]))
    b0 = rng.choice([-0.5, 0.5])  # a non-zero start keeps w·x + b off the sgn(0) tie
    x_text = "; ".join(f"({number(a)}, {number(b)})" for a, b in points)
    y_text = ", ".join(number(v) for v in labels)
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
        "with the rule {rule}. Give the final weights w1, w2 and the bias b.",
        "用样本 x = {x}、标签 {y} 训练感知机，η = 1，w0 = ({w1}, {w2})，b0 = {b0}，按顺序遍历样本，规则为 {rule_zh}。"
        "给出最终的权重 w1、w2 和偏置 b。",
    ).format(x=x_text, y=y_text, rule=rule_en, rule_zh=rule_zh, w1=number(w0[0]), w2=number(w0[1]), b0=number(b0))
    inputs = {
        "x": "; ".join(f"{a},{b}" for a, b in points),
        "y": ",".join(str(v) for v in labels),
        "lr": 1,
        "rule": rule,
        "w0": f"{w0[0]},{w0[1]}",
        "b0": b0,
    }
    parts = [
        part("w", "weights", "权重", "exact", names=("w",), items=("w1", "w2")),
        part("b", "bias b", "偏置 b", "exact", names=("b", "bias", "偏置")),
    ]
    return Draft(
        "perceptron",
        "perceptron",
        inputs,
        stmt,
        parts,
        difficulty=difficulty,
        extra={"points": points, "labels": labels},
    )


def _matrix(rows) -> str:
    return "[" + ", ".join("[" + ", ".join(number(v) for v in row) + "]" for row in rows) + "]"


@dataclass
class SigmoidNet:
    """A 2-2-1 sigmoid net with 2-decimal weights, E = ½(t − o)², η = 0.5, biases fixed: the one
    network behind the backprop questions of the quiz and of the exam."""

    x: list[float]
    t: float
    layers: list[dict[str, Any]]

    @classmethod
    def draw(cls, rng: random.Random) -> SigmoidNet:
        """Input, target, then W1 row by row, b1, W2, b2: in this order, so a seed gives the same net."""

        def w() -> float:
            return round(rng.uniform(-0.9, 0.9), 2) or 0.1

        x = [round(rng.uniform(0.05, 1.0), 2), round(rng.uniform(0.05, 1.0), 2)]
        t = round(rng.uniform(0.05, 0.95), 2)
        layers: list[dict[str, Any]] = [
            {"weights": [[w(), w()], [w(), w()]], "bias": w(), "activation": "sigmoid"},
            {"weights": [[w(), w()]], "bias": w(), "activation": "sigmoid"},
        ]
        return cls(x, t, layers)

    def fields(self) -> dict[str, str]:
        """The numbers a statement names: x1, x2, t, W1, b1, W2, b2."""
        return {
            "x1": number(self.x[0]),
            "x2": number(self.x[1]),
            "t": number(self.t),
            "W1": _matrix(self.layers[0]["weights"]),
            "b1": number(self.layers[0]["bias"]),
            "W2": _matrix(self.layers[1]["weights"]),
            "b2": number(self.layers[1]["bias"]),
        }

    def inputs(self) -> dict[str, Any]:
        """The backprop solver's inputs."""
        return {
            "input": self.x,
            "target": [self.t],
            "layers": self.layers,
            "loss": "half_sse",
            "lr": 0.5,
            "update_bias": False,
        }


def backprop(rng: random.Random, difficulty: int = 1) -> Draft:
    """A 2-2-1 sigmoid net with 2-decimal weights; asks for one updated weight."""
    net = SigmoidNet.draw(rng)
    which = rng.choice(["W2[1,1]", "W2[1,2]", "W1[1,1]", "W1[2,2]"])
    stmt = T(
        "Input x = ({x1}, {x2}), target {t}. Hidden layer W1 = {W1}, bias {b1} (shared); output W2 = {W2}, "
        "bias {b2}; sigmoid everywhere; E = ½(t − o)², η = 0.5, biases fixed. After one gradient step, what is the new "
        "{which} (to 4 decimals)?",
        "输入 x = ({x1}, {x2})，目标 {t}。隐藏层 W1 = {W1}，共享偏置 {b1}；输出层 W2 = {W2}，偏置 {b2}；全部用 sigmoid；"
        "E = ½(t − o)²，η = 0.5，偏置不更新。一步梯度下降后新的 {which} 是多少（保留 4 位小数）？",
    ).format(which=which, **net.fields())
    parts = [part(f"updated.{which}", f"new {which}", f"新的 {which}", FOUR, names=(which,))]
    return Draft("backprop", "backprop", net.inputs(), stmt, parts, difficulty=difficulty)


def weight(rng: random.Random, low: float, high: float) -> float:
    """A weight to one decimal drawn from [low, high]."""
    return round(rng.uniform(low, high), 1) + 0.0  # + 0.0 turns -0.0 into 0.0


def rnn(rng: random.Random, difficulty: int = 1) -> Draft:
    steps = rng.randint(1, 3)
    xs = [rng.choice([-2, -1, 1, 2, 3]) for _ in range(steps)]
    w, u, b = weight(rng, -1, 1) or 0.5, weight(rng, -1, 1), weight(rng, -0.5, 0.5)
    inside = terms([(w, "x_t"), (u, "h_(t−1)")], b)
    stmt = T(
        "h_t = tanh({inside}), h_0 = 0, inputs x = {xs}. Give h_{n} (to 4 decimals).",
        "h_t = tanh({inside})，h_0 = 0，输入 x = {xs}。求 h_{n}（保留 4 位小数）。",
    ).format(inside=inside, xs=", ".join(number(v) for v in xs), n=steps)
    inputs = {"x": "; ".join(map(str, xs)), "W": w, "U": u, "b": b}
    parts = [part("h_last", f"h_{steps}", f"h_{steps}", FOUR, names=("h",))]
    return Draft("rnn", "rnn", inputs, stmt, parts, difficulty=difficulty)


def _gated(rng: random.Random, gates: str) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for g in gates:
        inputs[f"W_{g}"] = weight(rng, -1, 1)
        inputs[f"U_{g}"] = weight(rng, -1, 1)
        inputs[f"b_{g}"] = weight(rng, -0.5, 0.5)
    return inputs


def _weights_text(inputs: dict[str, Any], gates: str) -> str:
    return "; ".join(
        f"W_{g} = {number(inputs[f'W_{g}'])}, U_{g} = {number(inputs[f'U_{g}'])}, b_{g} = {number(inputs[f'b_{g}'])}"
        for g in gates
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
    ).format(w=_weights_text(inputs, "ifgo"), xs=", ".join(number(v) for v in xs), n=steps)
    parts = [part("h_last", f"h_{steps}", f"h_{steps}", FOUR, names=("h",))]
    return Draft("lstm", "lstm", inputs, stmt, parts, difficulty=difficulty)


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
    ).format(conv=convention, rule=rule, w=_weights_text(inputs, "rzn"), xs=", ".join(number(v) for v in xs), n=steps)
    parts = [part("h_last", f"h_{steps}", f"h_{steps}", FOUR, names=("h",))]
    return Draft("gru", "gru", inputs, stmt, parts, difficulty=difficulty)


def _linear(a: int, var: str, b: int) -> tuple[str, str]:
    """a·var + b for the solver, and as a student writes it (2w − 1)."""
    return f"{a}*{var} + ({b})", terms([(a, var)], b)


def grad(rng: random.Random, difficulty: int = 1) -> Draft:
    a, b = rng.choice([1, 2, 3]), rng.choice([-1, 1, 2])
    forms = [
        ("w", lambda: (f"sigmoid({_linear(a, 'w', b)[0]})", f"σ({_linear(a, 'w', b)[1]})")),
        ("x", lambda: (f"tanh({a}*x)^2", f"tanh({terms([(a, 'x')])})²")),
        ("w", lambda: (f"w^3 - {a}*w^2 + ({b})*w", terms([(1, "w³"), (-a, "w²"), (b, "w")]))),
        ("w", lambda: (f"1/2*(1 - sigmoid({a}*w))^2", f"½(1 − σ({terms([(a, 'w')])}))²")),
        ("x", lambda: (f"log(1 + exp({a}*x))", f"ln(1 + e^({terms([(a, 'x')])}))")),
        ("x", lambda: (f"exp(-{a}*x^2)", f"e^({terms([(-a, 'x²')])})")),
    ]
    var, build = rng.choice(forms if difficulty > 1 else forms[:3])
    expr, shown = build()
    at = rng.choice([-1, 0.5, 1, 2])
    stmt = T(
        "f({v}) = {e}. Find the derivative f'({v}) and its value f'({at}) (to 4 decimals).",
        "f({v}) = {e}。求导数 f'({v}) 以及它的值 f'({at})（保留 4 位小数）。",
    ).format(e=shown, v=var, at=number(at))
    parts = [
        part("derivative", f"f'({var})", f"f'({var})", "expression", names=("derivative", "导数")),
        part("value", f"f'({number(at)})", f"f'({number(at)})", FOUR, names=("value", "值")),
    ]
    return Draft("grad", "grad", {"expr": expr, "wrt": var, "at": f"{var}={at}"}, stmt, parts, difficulty=difficulty)


def optim(rng: random.Random, difficulty: int = 1) -> Draft:
    name = rng.choice(
        ["sgd", "momentum"] if difficulty == 1 else ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    )
    a, b = rng.choice([1, 2]), rng.choice([-4, -2, 2, 3])
    f = f"{a}*w^2 + ({b})*w"
    shown = terms([(a, "w²"), (b, "w")])
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
        "Minimize f(w) = {f} from w = {s} with {o} ({rule}), lr = {lr}. Give w after {n} {steps} (to 4 decimals).",
        "用 {o}（{rule}），lr = {lr}，从 w = {s} 出发最小化 f(w) = {f}。求 {n} 步后的 w（保留 4 位小数）。",
    ).format(f=shown, s=number(start), o=name, rule=rule, lr=lr, n=steps, steps="step" if steps == 1 else "steps")
    parts = [part("final", "w", "w", FOUR)]
    return Draft(
        "optim",
        "optim",
        {"f": f, "optimizer": name, "lr": lr, "start": start, "steps": steps},
        stmt,
        parts,
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
    ).format(
        q=_matrix(q),
        k=_matrix(k),
        v=_matrix(v),
        mask=", with a causal mask" if causal else "",
        mask_zh="，带因果掩码" if causal else "",
    )
    parts = [part(f"output[{n}]", "output of the last token", "最后一个词的输出", FOUR)]
    return Draft(
        "attention",
        "attention",
        {"Q": q, "K": k, "V": v, "mask": "causal" if causal else None},
        stmt,
        parts,
        difficulty=difficulty,
    )


def batchnorm(rng: random.Random, difficulty: int = 1) -> Draft:
    xs = rng.sample(range(-4, 9), 3)
    gamma, beta = rng.choice([1, 2, 0.5]), rng.choice([0, 1, -1])
    stmt = T(
        "BatchNorm1d(1) in training mode (ε = 1e-5) on the batch {x}, with γ = {g} and β = {b}. "
        "Give the three outputs (to 4 decimals).",
        "训练模式的 BatchNorm1d(1)（ε = 1e-5），批数据 {x}，γ = {g}，β = {b}。求三个输出（保留 4 位小数）。",
    ).format(x=", ".join(number(v) for v in xs), g=number(gamma), b=number(beta))
    return Draft(
        "batchnorm",
        "batchnorm",
        {"x": [[v] for v in xs], "gamma": gamma, "beta": beta},
        stmt,
        [part("output", "outputs", "输出", FOUR)],
        difficulty=difficulty,
    )


def softmax(rng: random.Random, difficulty: int = 1) -> Draft:
    """Probabilities from logits (the `softmax` command)."""
    z = [rng.choice([-1, 0, 0.5, 1, 2, 3]) for _ in range(3 if difficulty < 3 else 4)]
    stmt = T("Give the probabilities softmax({z}) (to 4 decimals).", "求概率 softmax({z})（保留 4 位小数）。").format(
        z=", ".join(number(v) for v in z)
    )
    parts = [part("probabilities", "probabilities", "概率", FOUR)]
    return Draft("softmax", "softmax", {"logits": z}, stmt, parts, difficulty=difficulty)


def loss(rng: random.Random, difficulty: int = 1) -> Draft:
    """Cross-entropy from logits (the `loss` command); harder ones also ask its gradient on the logits."""
    z = [rng.choice([-1, 0, 0.5, 1, 2, 3]) for _ in range(3)]
    c = rng.randrange(3)
    logits = ", ".join(number(v) for v in z)
    loss_part = part("loss", "cross-entropy loss", "交叉熵损失", FOUR, names=("loss", "损失"))
    if difficulty == 1:
        stmt = T(
            "Logits {z}, true class {c} (counting from 0). Give the cross-entropy loss (to 4 decimals).",
            "logits 为 {z}，真实类别 {c}（从 0 开始）。求交叉熵损失（保留 4 位小数）。",
        )
        parts = [loss_part]
    else:
        stmt = T(
            "Logits {z}, true class {c} (counting from 0). Give the cross-entropy loss and its gradient ∂E/∂z "
            "(to 4 decimals).",
            "logits 为 {z}，真实类别 {c}（从 0 开始）。求交叉熵损失及其梯度 ∂E/∂z（保留 4 位小数）。",
        )
        parts = [loss_part, part("gradient", "∂E/∂z", "∂E/∂z", FOUR, names=("gradient", "梯度"))]
    return Draft(
        "loss",
        "softmax",
        {"logits": z, "loss": "cross_entropy", "target": c},
        stmt.format(z=logits, c=c),
        parts,
        difficulty=difficulty,
    )


def act(rng: random.Random, difficulty: int = 1) -> Draft:
    fn = rng.choice(["sigmoid", "tanh"] if difficulty == 1 else ["sigmoid", "tanh", "elu", "gelu"])
    x = rng.choice([-2, -1, -0.5, 0.5, 1, 2])
    stmt = T(
        "Give the slope of {f} at x = {x} (to 4 decimals).", "求 {f} 在 x = {x} 处的导数（保留 4 位小数）。"
    ).format(f=fn, x=number(x))
    return Draft(
        "act",
        "act",
        {"function": fn, "at": [x]},
        stmt,
        [part("derivative", "slope", "导数", FOUR, names=("derivative",))],
        difficulty=difficulty,
    )


METRIC_NAMES = {"precision": ("precision", "精确率"), "recall": ("recall", "召回率"), "f1": ("F1 score", "F1")}


def metrics(rng: random.Random, difficulty: int = 1) -> Draft:
    tp, fp, fn = rng.randint(1, 20), rng.randint(0, 10), rng.randint(0, 10)
    asked = [rng.choice(list(METRIC_NAMES))] if difficulty == 1 else list(METRIC_NAMES)
    en = [METRIC_NAMES[m][0] for m in asked]
    zh = [METRIC_NAMES[m][1] for m in asked]
    stmt = T(
        "TP = {tp}, FP = {fp}, FN = {fn}. Give the {w} (as fractions or to 4 decimals).",
        "TP = {tp}，FP = {fp}，FN = {fn}。求{w_zh}（分数或保留 4 位小数）。",
    ).format(
        tp=tp,
        fp=fp,
        fn=fn,
        w=en[0] if len(en) == 1 else ", ".join(en[:-1]) + " and " + en[-1],
        w_zh="、".join(zh),
    )
    parts = [part(m, METRIC_NAMES[m][0], METRIC_NAMES[m][1], FOUR, names=(m,)) for m in asked]
    return Draft("metrics", "metrics", {"tp": tp, "fp": fp, "fn": fn}, stmt, parts, difficulty=difficulty)


def net(rng: random.Random, difficulty: int = 1) -> Draft:
    """`net`: the conv-pool chain below, or a block question (dlcalc.quiz.net_templates)."""
    from dlcalc.quiz.net_templates import with_blocks

    return with_blocks(net_chain)(rng, difficulty)


class _Templates(Mapping[str, Callable[[random.Random, int], Draft]]):
    """{topic: generate(rng, difficulty)}, found, not listed: a solver module's own `template`, or
    the function of this module named as the topic (the generated index says which)."""

    def __init__(self) -> None:
        from dlcalc.cli import index

        self._where: dict[str, str] = dict(getattr(index, "TEMPLATES", {}))  # {} only while generating the index

    def __getitem__(self, topic: str) -> Callable[[random.Random, int], Draft]:
        import importlib

        module = importlib.import_module(self._where[topic])
        found = getattr(module, "template" if module.__name__ != __name__ else topic)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


TEMPLATES: Mapping[str, Callable[[random.Random, int], Draft]] = _Templates()
