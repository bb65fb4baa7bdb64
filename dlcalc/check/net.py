"""Cross-check a network: build the same nn.Sequential on the meta device (torch's own shape rules,
no weights in memory) and compare every layer's output shape and parameter count; then, when its
weights and activations fit the budget, run it for real on the CPU and compare the output shape."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from dlcalc.check import CheckReport, torch_could_not_run, torch_version
from dlcalc.check.conv import BUDGET
from dlcalc.result import Result
from dlcalc.solvers.net import NetSpec


def build(spec: NetSpec, device: str = "meta") -> nn.Sequential:
    # The arguments are the whitelisted literals the layer parser produced, never evaluated text.
    with torch.device(device):
        return nn.Sequential(*[getattr(nn, call.name)(**call.args) for call in spec.layers])


def elements(answer: dict[str, Any]) -> int:
    """Parameters, every activation, and the unfolded patches of each convolution (batch 1)."""
    total = answer["total_params"] + math.prod(answer["input_shape"])
    for row in answer["layers"]:
        total += math.prod(row["output_shape"])
        if "Conv" in row["type"]:
            total += row["macs"] // max(1, row["output_shape"][0])
    return total


def _refused(e: Exception) -> str:
    if torch_could_not_run(e):
        raise e
    return f"torch refused: {str(e).splitlines()[0]}"


def check(result: Result) -> CheckReport:
    spec: NetSpec = result.spec
    report = CheckReport(f"{torch_version()} nn.Sequential on the meta device")
    try:
        model = build(spec)
    except (RuntimeError, ValueError, TypeError) as e:
        report.add("build", "ok", _refused(e), False)
        return report
    x = torch.zeros(1, *spec.input_shape, device="meta")
    for row, layer in zip(result.answer["layers"], model):
        what = f"L{row['index']} {row['type']}"
        try:
            with torch.no_grad():
                x = layer(x)
        except (RuntimeError, ValueError, TypeError) as e:
            report.add(what, row["output_shape"], _refused(e), False)
            return report
        params = sum(p.numel() for p in layer.parameters())
        theirs = [list(x.shape[1:]), params]
        report.add(what, [row["output_shape"], row["params"]], theirs)
    report.add("total params", result.answer["total_params"], sum(p.numel() for p in model.parameters()))
    what = "numeric run on the CPU"
    if elements(result.answer) > BUDGET:
        report.add(what, "too large for memory", "not run (shapes checked on meta)", True)
        return report
    torch.manual_seed(0)
    real = build(spec, "cpu").eval()
    with torch.no_grad():
        out = real(torch.zeros(1, *spec.input_shape))
    report.add(what, result.answer["output_shape"], list(out.shape[1:]))
    return report
