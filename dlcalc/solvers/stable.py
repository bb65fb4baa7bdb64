"""The numerically stable forms every solver uses: no overflow, no NaN, for any finite input.

σ(x) = 1/(1 + e^-x) for x ≥ 0, e^x/(1 + e^x) otherwise (e^|x| never overflows)
LSE(z) = max z + ln Σ e^(z_i - max z);   softmax(z)_i = e^(z_i - LSE(z))   (-∞ entries get 0)
ln σ(x) = -softplus(-x) = -(max(-x, 0) + ln(1 + e^-|x|))
"""

from __future__ import annotations

import math


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def log_sigmoid(x: float) -> float:
    return -(max(-x, 0.0) + math.log1p(math.exp(-abs(x))))


def log_sum_exp(z: list[float]) -> float:
    top = max(z)
    return top + math.log(sum(math.exp(v - top) for v in z if v != -math.inf))


def softmax(z: list[float]) -> list[float]:
    """Masked entries (-∞, as a causal mask writes them) get probability 0."""
    lse = log_sum_exp(z)
    return [0.0 if v == -math.inf else math.exp(v - lse) for v in z]
