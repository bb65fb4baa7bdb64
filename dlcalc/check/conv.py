"""Cross-check a conv layer: build the same nn.Conv2d / nn.ConvTranspose2d and push zeros through.

The tensors' size is estimated first. A layer whose input, weights and output fit the budget is
run on the CPU; a larger one is checked on the meta device (torch's own shape rules and parameter
count, no memory) plus a numeric CPU run of the same geometry with the fewest channels torch
allows (groups in, groups out), which checks the spatial output on real data. When even that
is too large, the numeric run is left out and the report says so.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from dlcalc.check import CheckReport, torch_could_not_run, torch_version
from dlcalc.result import Result
from dlcalc.solvers.conv import ConvSpec
from dlcalc.text import T

# float32 elements that may be allocated on the CPU by one check (64 MB)
BUDGET = 1 << 24
REAL_LIMIT = BUDGET  # kept for the pool check's import


def build(spec: ConvSpec, device: str = "cpu") -> nn.Module:
    in_ch = spec.in_channels or spec.groups
    out_ch = spec.out_channels or spec.groups
    if spec.transposed:
        return nn.ConvTranspose2d(
            in_ch,
            out_ch,
            spec.kernel,
            spec.stride,
            spec.padding,  # type: ignore[arg-type]  # a transposed conv's padding is numeric ("same" is refused)
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


def elements(spec: ConvSpec, output: list[int]) -> int:
    """Input + weights + bias + output elements of one forward pass (batch 1), plus the unfolded
    patches torch's CPU convolution may build (im2col: one column per output position)."""
    in_ch = spec.in_channels or spec.groups
    out_ch = spec.out_channels or spec.groups
    spatial_in, spatial_out = spec.size[0] * spec.size[1], output[-2] * output[-1]
    window = spec.kernel[0] * spec.kernel[1]
    weights = out_ch * (in_ch // spec.groups) * window
    if spec.transposed:
        columns = (out_ch // spec.groups) * window * spatial_in
    else:
        columns = (in_ch // spec.groups) * window * spatial_out
    return in_ch * spatial_in + weights + out_ch + out_ch * spatial_out + columns


def check(result: Result) -> CheckReport:
    spec: ConvSpec = result.spec
    ours = result.answer["output_shape"]
    in_ch = spec.in_channels or spec.groups
    small = elements(spec, ours) <= BUDGET
    engine = (
        T("{t} nn.{n}", "{t} nn.{n}") if small else T("{t} nn.{n} on the meta device", "{t} nn.{n}（在 meta 设备上）")
    )
    engine = engine.format(t=torch_version(), n=spec.torch_name)
    report = CheckReport(engine)
    device = "cpu" if small else "meta"
    try:
        layer = build(spec, device)
    except (RuntimeError, ValueError) as e:
        if torch_could_not_run(e):
            raise
        report.add(
            T("output shape", "输出形状"),
            ours,
            T("torch refused: {e}", "torch 拒绝：{e}").format(e=str(e).splitlines()[0]),
            False,
        )
        return report
    if compare_layer(report, layer, (in_ch, *spec.size), device, ours, spec.out_channels is not None):
        if result.answer["params"] is not None:
            report.add(T("params", "参数量"), result.answer["params"], sum(p.numel() for p in layer.parameters()))
        if not small:
            _reduced_run(report, spec, ours[-2:])
    return report


def _reduced_run(report: CheckReport, spec: ConvSpec, spatial: list[int]) -> None:
    """The same geometry on the CPU with groups channels in and out: real numbers, little memory."""
    g = spec.groups
    reduced = replace(spec, in_channels=g, out_channels=g)
    what = T("numeric run, {g} channel(s) in and out", "数值运行，输入输出各 {g} 个通道").format(g=g)
    if elements(reduced, spatial) > BUDGET:
        report.add(
            what,
            T("too large for memory", "内存放不下"),
            T("not run (shapes checked on meta)", "未运行（形状已在 meta 设备上核对）"),
            True,
        )
        return
    layer = build(reduced, "cpu")
    with torch.no_grad():
        out = layer(torch.zeros(1, g, *spec.size))
    report.add(what, spatial, list(out.shape[2:]))


def compare_layer(
    report: CheckReport, layer: nn.Module, shape: tuple, device: str, ours: list[int], with_channels: bool
) -> bool:
    """Push zeros of `shape` through `layer` and compare the output shape; False when torch refuses."""
    try:
        with torch.no_grad():
            out = layer(torch.zeros(1, *shape, device=device))
    except (RuntimeError, ValueError, TypeError) as e:
        if torch_could_not_run(e):
            raise
        report.add(
            T("output shape", "输出形状"),
            ours,
            T("torch refused: {e}", "torch 拒绝：{e}").format(e=str(e).splitlines()[0]),
            False,
        )
        return False
    report.add(T("output shape", "输出形状"), ours, list(out.shape[1:] if with_channels else out.shape[2:]))
    return True
