"""A loss and its gradient with respect to the logits (cross-entropy gives p − t): the softmax
solver asked for a loss. Its own module only so that `dlcalc loss` is declared like every other
command; the computation and the torch check are softmax's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dlcalc.declare import Input, Solver
from dlcalc.result import Result
from dlcalc.solvers import softmax
from dlcalc.solvers.softmax import LOSSES
from dlcalc.text import T

__all__ = ["SOLVER", "solve"]

SOLVER = Solver(
    name="loss",
    help=T("A loss and its gradient with respect to the logits: cross-entropy gives p - t.",
           "损失及其对 logit 的梯度：交叉熵的梯度为 p - t。"),  # fmt: skip
    example='dlcalc loss --logits "2, 1, 0.1" --target 0',
    inputs=(
        Input("logits", help=T('Logits (predictions for mse; log-probabilities for nll, a row per sample), e.g. "2, 1, 0.1".',
                               '各 logit（mse 时为预测值；nll 时为对数概率，每行一个样本），例如 "2, 1, 0.1"。'),
              required=True, metavar="LIST"),
        Input("target", help=T("A class index for cross_entropy (one per row for nll), or a target vector.",
                               "cross_entropy 时为类别下标（nll 时每行一个），否则为目标向量。"),
              required=True, metavar="INDEX|LIST"),
        Input("loss", help=T("cross_entropy (softmax), mse, bce (sigmoid) or nll (log-probabilities in, as torch.nn.NLLLoss).",
                             "cross_entropy（softmax）、mse、bce（sigmoid）或 nll（输入为对数概率，同 torch.nn.NLLLoss）。"),
              flag="--kind", choices=LOSSES, default="cross_entropy"),
    ),  # fmt: skip
    fields=("temperature",),
    read_all=lambda inputs: read(inputs),
)


def read(inputs: Mapping[str, Any]) -> softmax.SoftmaxSpec:
    """A loss problem is a softmax problem with its loss named (cross-entropy when none is)."""
    return softmax.parse_spec({"loss": "cross_entropy", **inputs})


def solve(spec: softmax.SoftmaxSpec) -> Result:
    """softmax's answer, under this command's name (`--json`'s kind is the command; `--check` runs check/loss)."""
    result = softmax.solve(spec)
    result.kind = "loss"
    return result
