"""Quiz questions on BPTT: a one-unit tanh RNN over 2 or 3 steps, the loss on the last state, and
the gradient of the input weight and/or the recurrent weight (at difficulty 3, truncated BPTT).

As with every template, the answers come from running the solver on the drawn inputs
(`dlcalc.quiz.questions`); this module only draws numbers and writes the statement.
"""

from __future__ import annotations

import random
from typing import Any

from dlcalc.quiz.templates import FOUR, Draft, number, part, terms
from dlcalc.text import T

GRAD_W = part("grads.W", "∂L/∂W", "∂L/∂W", FOUR, names=("dL/dW", "gradient of W", "W 的梯度"))
GRAD_U = part("grads.U", "∂L/∂U", "∂L/∂U", FOUR, names=("dL/dU", "gradient of U", "U 的梯度"))


def _weight(rng: random.Random) -> float:
    return rng.choice([-1, 1]) * rng.choice([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])


def template(rng: random.Random, difficulty: int = 1) -> Draft:
    steps = 2 if difficulty == 1 else 3
    xs = [rng.choice([-2, -1, 1, 2]) for _ in range(steps)]
    w, u = _weight(rng), _weight(rng)
    y = rng.choice([-0.5, -0.2, 0.2, 0.5, 0.8])
    ask = [GRAD_U] if difficulty == 1 else [GRAD_W, GRAD_U]
    inputs: dict[str, Any] = {"x": "; ".join(map(str, xs)), "W": w, "U": u, "target": y, "lr": 0.1}
    inside = terms([(w, "x_t"), (u, "h_(t−1)")])
    what_en = " and ".join(p.label.en for p in ask)
    what_zh = " 和 ".join(p.label.zh for p in ask)
    trunc_en = trunc_zh = ""
    if difficulty == 3:
        inputs["truncate"] = k = rng.choice([1, 2])
        trunc_en = f" (truncated BPTT with K = {k}: the loss flows back {k} step{'s' if k > 1 else ''} only)"
        trunc_zh = f"（截断 BPTT，K = {k}：损失只回传 {k} 步）"
    stmt = T(
        "A one-unit RNN h_t = tanh({inside}) (no bias, h_0 = 0) reads x = {xs}; the loss is L = ½({err})². "
        "By backpropagation through time{trunc_en}, find {what} (to 4 decimals).",
        "单元 RNN h_t = tanh({inside})（无偏置，h_0 = 0）读入 x = {xs}；损失 L = ½({err})²。"
        "用随时间反向传播{trunc_zh}求 {what_zh}（保留 4 位小数）。",
    ).format(
        inside=inside,
        xs=", ".join(number(v) for v in xs),
        err=terms([(1, f"h_{steps}")], -y),
        trunc_en=trunc_en,
        trunc_zh=trunc_zh,
        what=what_en,
        what_zh=what_zh,
    )
    return Draft("bptt", "bptt", inputs, stmt, ask, difficulty=difficulty)


def well_posed(q: Any) -> bool:
    """A gradient worth computing (not ~0, not huge) and no answer on a rounding tie."""
    from dlcalc.quiz.wellposed import clear_rounding, numbers

    values = [float(v) for v in numbers(q)]
    return clear_rounding(q) and all(1e-3 < abs(v) < 100 for v in values)
