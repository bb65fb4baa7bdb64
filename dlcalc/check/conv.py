"""Cross-check a conv layer: build the same nn.Conv2d / nn.ConvTranspose2d and push zeros through."""

from __future__ import annotations

import torch
from torch import nn

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.solvers.conv import ConvSpec

# Inputs above this many elements are checked on the meta device: same shape rules, no memory.
REAL_LIMIT = 1 << 22


def build(spec: ConvSpec, device: str = "cpu") -> nn.Module:
    in_ch = spec.in_channels or spec.groups
    out_ch = spec.out_channels or spec.groups
    if spec.transposed:
        return nn.ConvTranspose2d(
            in_ch,
            out_ch,
            spec.kernel,
            spec.stride,
            spec.padding,
            spec.output_padding,
            groups=spec.groups,
            bias=spec.bias,
            dilation=spec.dilation,
            device=device,
        )
    return nn.Conv2d(
        in_ch,
        out_ch,
        spec.kernel,
        spec.stride,
        spec.padding,
        spec.dilation,
        groups=spec.groups,
        bias=spec.bias,
        device=device,
    )


def check(result: Result) -> CheckReport:
    spec: ConvSpec = result.spec
    report = CheckReport(f"{torch_version()} nn.{spec.torch_name}")
    in_ch = spec.in_channels or spec.groups
    device = "meta" if in_ch * spec.size[0] * spec.size[1] > REAL_LIMIT else "cpu"
    try:
        layer = build(spec, device)
    except (RuntimeError, ValueError) as e:
        report.add("output shape", result.answer["output_shape"], f"torch refused: {str(e).splitlines()[0]}", False)
        return report
    if compare_layer(
        report, layer, (in_ch, *spec.size), device, result.answer["output_shape"], spec.out_channels is not None
    ):
        if result.answer["params"] is not None:
            report.add("params", result.answer["params"], sum(p.numel() for p in layer.parameters()))
    return report


def compare_layer(
    report: CheckReport, layer: nn.Module, shape: tuple, device: str, ours: list[int], with_channels: bool
) -> bool:
    """Push zeros of `shape` through `layer` and compare the output shape; False when torch refuses."""
    try:
        with torch.no_grad():
            out = layer(torch.zeros(1, *shape, device=device))
    except (RuntimeError, ValueError) as e:
        report.add("output shape", ours, f"torch refused: {str(e).splitlines()[0]}", False)
        return False
    report.add("output shape", ours, list(out.shape[1:] if with_channels else out.shape[2:]))
    return True
