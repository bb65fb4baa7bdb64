"""Cross-check a depthwise-separable block: nn.Conv2d(C, C, K, groups=C) then nn.Conv2d(C, C_out, 1),
against nn.Conv2d(C, C_out, K), built on the meta device (no memory for the tensors) and pushed a
meta input through: output shapes, parameter counts from parameters(), and multiply-adds from
torch's own shapes (output elements · in_channels/groups · kernel area per conv)."""

from __future__ import annotations

from fractions import Fraction

import torch
from torch import nn

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.solvers.dwsep import DwSepSpec
from dlcalc.text import T


def build(spec: DwSepSpec, device: str = "meta") -> tuple[nn.Conv2d, nn.Conv2d, nn.Conv2d]:
    C, F = spec.channels, spec.out_channels
    dw = nn.Conv2d(C, C, spec.kernel, spec.stride, spec.padding, groups=C, bias=spec.bias, device=device)
    pw = nn.Conv2d(C, F, 1, bias=spec.bias, device=device)
    std = nn.Conv2d(C, F, spec.kernel, spec.stride, spec.padding, bias=spec.bias, device=device)
    return dw, pw, std


def macs(conv: nn.Conv2d, out: torch.Tensor) -> int:
    """Multiply-adds of one conv from torch's shapes: every output element sums in_channels/groups·K_h·K_w products."""
    kh, kw = conv.weight.shape[2:]
    return out.numel() * conv.weight.shape[1] * kh * kw


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def check(result: Result) -> CheckReport:
    spec: DwSepSpec = result.spec
    a = result.answer
    report = CheckReport(
        T(
            "{t} nn.Conv2d(groups=C) + 1×1 vs nn.Conv2d on the meta device",
            "{t} nn.Conv2d(groups=C) + 1×1 对比 nn.Conv2d（在 meta 设备上）",
        ).format(t=torch_version())
    )
    dw, pw, std = build(spec)
    x = torch.empty(1, spec.channels, *spec.size, device="meta")
    with torch.no_grad():
        mid = dw(x)
        out = pw(mid)
        ref = std(x)
    report.add(T("depthwise shape", "逐通道卷积输出形状"), a["depthwise_shape"], list(mid.shape[1:]))
    report.add(T("output shape", "输出形状"), a["output_shape"], list(out.shape[1:]))
    report.add(T("standard output shape", "标准卷积输出形状"), a["output_shape"], list(ref.shape[1:]))
    report.add(T("depthwise params", "逐通道卷积参数量"), a["depthwise_params"], count(dw))
    report.add(T("pointwise params", "逐点卷积参数量"), a["pointwise_params"], count(pw))
    report.add(T("standard params", "标准卷积参数量"), a["standard_params"], count(std))
    report.add(T("depthwise multiply-adds", "逐通道卷积乘加次数"), a["depthwise_macs"], macs(dw, mid))
    report.add(T("pointwise multiply-adds", "逐点卷积乘加次数"), a["pointwise_macs"], macs(pw, out))
    report.add(T("standard multiply-adds", "标准卷积乘加次数"), a["standard_macs"], macs(std, ref))
    weights = dw.weight.numel() + pw.weight.numel()
    report.add(T("ratio (weights)", "比值（权重）"), a["ratio"], Fraction(weights, std.weight.numel()))
    return report
