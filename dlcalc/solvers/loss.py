"""A loss and its gradient with respect to the logits (cross-entropy gives p − t): the softmax
solver asked for a loss. Its own module only so that `dlcalc loss` is declared like every other
command; the computation and the torch check are softmax's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dlcalc.declare import Input, Solver
from dlcalc.solvers import softmax
from dlcalc.solvers.softmax import LOSSES, solve
from dlcalc.text import T

__all__ = ["SOLVER", "solve"]

SOLVER = Solver(
    name="loss",
    help=T("A loss and its gradient with respect to the logits: cross-entropy gives p - t.",
           "损失及其对 logit 的梯度：交叉熵的梯度为 p - t。"),  # fmt: skip
    example='dlcalc loss --logits "2, 1, 0.1" --target 0',
    inputs=(
        Input("logits", help=T('Logits (or predictions for mse), e.g. "2, 1, 0.1".', '各 logit（mse 时为预测值），例如 "2, 1, 0.1"。'),
              required=True, metavar="LIST"),
        Input("target", help=T("A class index for cross_entropy, or a target vector.", "cross_entropy 时为类别下标，否则为目标向量。"),
              required=True, metavar="INDEX|LIST"),
        Input("loss", help=T("cross_entropy (softmax), mse or bce (sigmoid).", "cross_entropy（softmax）、mse 或 bce（sigmoid）。"),
              flag="--kind", choices=LOSSES, default="cross_entropy"),
    ),  # fmt: skip
    fields=("temperature",),
    read_all=lambda inputs: read(inputs),
)


def read(inputs: Mapping[str, Any]) -> softmax.SoftmaxSpec:
    """A loss problem is a softmax problem with its loss named (cross-entropy when none is)."""
    return softmax.parse_spec({"loss": "cross_entropy", **inputs})
