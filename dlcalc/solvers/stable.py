"""The numerically stable forms every solver uses: no overflow, no NaN, for any finite input.

σ(x) = 1/(1 + e^-x) for x ≥ 0, e^x/(1 + e^x) otherwise (e^|x| never overflows)
softmax(z)_i = e^(z_i - max z) / Σ_j e^(z_j - max z)     (-∞ entries, a causal mask's, get 0)
ln softmax(z)_i = (z_i - max z) - ln Σ_j e^(z_j - max z)  (never the log of a rounded probability)
LSE(z) = max z + ln Σ_j e^(z_j - max z)
ln σ(x) = -softplus(-x) = -(max(-x, 0) + ln(1 + e^-|x|))
∂softmax_i/∂z_i = p_i(1 - p_i) = p_i·Σ_{j≠i} p_j          (1 - p_i cancels to nothing when p_i ≈ 1)

Each p_i is exp of an exact-ish difference divided by a sum ≥ 1, so it carries a few ulps of
*relative* error however large or lopsided the logits are; every derived quantity keeps that.
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


def shifted_exps(z: list[float]) -> tuple[float, list[float], float, float]:
    """(max z, e^(z_i - max z) for each i, their sum Σ ≥ 1, ln Σ).

    ln Σ is log1p of the terms other than the largest (which is exactly 1), so it keeps its
    digits when the other terms are tiny: ln(1 + 2e-14) is 2e-14, not a rounded 2.1e-14 or 0.
    """
    top = max(z)
    exps = [0.0 if v == -math.inf else math.exp(v - top) for v in z]
    k = z.index(top)
    rest = math.fsum(e for i, e in enumerate(exps) if i != k)
    return top, exps, 1.0 + rest, math.log1p(rest)


def log_sum_exp(z: list[float]) -> float:
    top, _, _, log_total = shifted_exps(z)
    return top + log_total


def softmax(z: list[float]) -> list[float]:
    """Masked entries (-∞, as a causal mask writes them) get probability 0."""
    _, exps, total, _ = shifted_exps(z)
    return [e / total for e in exps]


def log_softmax(z: list[float]) -> list[float]:
    top, _, _, log_total = shifted_exps(z)
    return [-math.inf if v == -math.inf else (v - top) - log_total for v in z]


def others(p: list[float]) -> list[float]:
    """Σ_{j≠i} p_j for each i, as prefix + suffix sums of non-negative terms: never 1 - p_i."""
    before, after = [0.0] * len(p), [0.0] * len(p)
    for i in range(1, len(p)):
        before[i] = before[i - 1] + p[i - 1]
    for i in range(len(p) - 2, -1, -1):
        after[i] = after[i + 1] + p[i + 1]
    return [b + a for b, a in zip(before, after)]


def softmax_jacobian(p: list[float]) -> list[list[float]]:
    """∂p_i/∂z_j = p_i(δ_ij - p_j), the diagonal as p_i·Σ_{j≠i} p_j (relative error of a few ulps)."""
    rest = others(p)
    return [[p[i] * rest[i] if i == j else -p[i] * p[j] for j in range(len(p))] for i in range(len(p))]


def softmax_minus_target(p: list[float], t: list[float]) -> list[float]:
    """p - t, the cross-entropy gradient, as p_i·Σ_{j≠i} t_j - t_i·Σ_{j≠i} p_j.

    Equal to p_i·Σt - t_i because Σp = 1 (so it is also the gradient when Σt ≠ 1), and free of the
    cancellation in p_k - 1 when the target class already has p_k ≈ 1.
    """
    rest_p, rest_t = others(p), others(t)
    return [pi * rt - ti * rp for pi, ti, rp, rt in zip(p, t, rest_p, rest_t)]


def sigmoid_minus_target(z: float, t: float) -> float:
    """σ(z) - t as (1 - t)·σ(z) - t·σ(-z): no cancellation when σ(z) ≈ t ∈ {0, 1}."""
    return (1 - t) * sigmoid(z) - t * sigmoid(-z)
