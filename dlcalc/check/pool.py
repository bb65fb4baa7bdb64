"""Cross-check a pooling layer: build the same nn.MaxPool2d / nn.AvgPool2d and push zeros through
(on the CPU when input and output fit the budget, else on the meta device plus a one-channel CPU
run of the same geometry)."""

from __future__ import annotations

import torch
from torch import nn

from dlcalc.check import CheckReport, torch_version
from dlcalc.check.conv import BUDGET, compare_layer
from dlcalc.result import Result
from dlcalc.solvers.pool import PoolSpec
from dlcalc.text import T


def build(spec: PoolSpec) -> nn.Module:
    if spec.avg:
        return nn.AvgPool2d(spec.kernel, spec.stride, spec.padding, ceil_mode=spec.ceil_mode)
    return nn.MaxPool2d(spec.kernel, spec.stride, spec.padding, spec.dilation, ceil_mode=spec.ceil_mode)


def check(result: Result) -> CheckReport:
    spec: PoolSpec = result.spec
    ours = result.answer["output_shape"]
    channels = spec.channels or 1
    per_channel = spec.size[0] * spec.size[1] + ours[-2] * ours[-1]
    small = channels * per_channel <= BUDGET
    engine = (
        T("{t} nn.{n}", "{t} nn.{n}") if small else T("{t} nn.{n} on the meta device", "{t} nn.{n}（在 meta 设备上）")
    )
    report = CheckReport(engine.format(t=torch_version(), n=spec.torch_name))
    layer = build(spec)
    device = "cpu" if small else "meta"
    if compare_layer(report, layer, (channels, *spec.size), device, ours, spec.channels is not None):
        report.add(T("params", "参数量"), 0, sum(p.numel() for p in layer.parameters()))
        if not small:
            what = T("numeric run, 1 channel", "数值运行，1 个通道")
            if per_channel > BUDGET:
                report.add(
                    what,
                    T("too large for memory", "内存放不下"),
                    T("not run (shapes checked on meta)", "未运行（形状已在 meta 设备上核对）"),
                    True,
                )
            else:
                with torch.no_grad():
                    out = layer(torch.zeros(1, 1, *spec.size))
                report.add(what, ours[-2:], list(out.shape[2:]))
    return report
