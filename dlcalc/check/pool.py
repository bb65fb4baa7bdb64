"""Cross-check a pooling layer: build the same nn.MaxPool2d / nn.AvgPool2d and push zeros through."""

from __future__ import annotations

from torch import nn

from dlcalc.check import CheckReport, torch_version
from dlcalc.check.conv import REAL_LIMIT, compare_layer
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
    if compare_layer(
        report, layer, (channels, *spec.size), device, result.answer["output_shape"], spec.channels is not None
    ):
        report.add("params", 0, sum(p.numel() for p in layer.parameters()))
    return report
