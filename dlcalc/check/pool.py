"""Cross-check a pooling layer: build the same nn.MaxPool2d / nn.AvgPool2d and push zeros through."""

from __future__ import annotations

import torch
from torch import nn

from dlcalc.check import CheckReport, torch_version
from dlcalc.check.conv import REAL_LIMIT
from dlcalc.result import Result
from dlcalc.solvers.pool import PoolSpec


def build(spec: PoolSpec) -> nn.Module:
    if spec.avg:
        return nn.AvgPool2d(spec.kernel, spec.stride, spec.padding, ceil_mode=spec.ceil_mode)
    return nn.MaxPool2d(spec.kernel, spec.stride, spec.padding, spec.dilation, ceil_mode=spec.ceil_mode)


def check(result: Result) -> CheckReport:
    spec: PoolSpec = result.spec
    report = CheckReport(f"{torch_version()} nn.{spec.torch_name}")
    channels = spec.channels or 1
    device = "meta" if channels * spec.size[0] * spec.size[1] > REAL_LIMIT else "cpu"
    layer = build(spec)
    try:
        with torch.no_grad():
            out = layer(torch.zeros(1, channels, *spec.size, device=device))
    except (RuntimeError, ValueError) as e:
        report.add("output shape", result.answer["output_shape"], f"torch refused: {str(e).splitlines()[0]}", False)
        return report
    shape = list(out.shape[1:] if spec.channels is not None else out.shape[2:])
    report.add("output shape", result.answer["output_shape"], shape)
    report.add("params", 0, sum(p.numel() for p in layer.parameters()))
    return report
