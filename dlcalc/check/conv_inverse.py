"""Cross-check an inverse conv/pool answer in torch: the values found give the target, and the
values just outside the range do not (so the range is neither too wide nor too narrow)."""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.solvers.window_inverse import InverseSpec, with_value
from dlcalc.text import T, Text

MAX_CHECKED = 8


def _torch_output(spec: InverseSpec, value: int, i: int | None) -> list[int] | Text:
    layer = with_value(spec, i, value)
    try:
        with torch.no_grad():
            if spec.is_pool:
                from dlcalc.check.pool import build as build_pool

                module, channels = build_pool(layer), layer.channels or 1
            else:
                from dlcalc.check.conv import build as build_conv

                module, channels = build_conv(layer, "meta"), layer.in_channels or layer.groups
            out = module(torch.zeros(1, channels, *layer.size, device="meta"))
        return list(out.shape[2:])
    except (RuntimeError, ValueError) as e:
        return T("torch refused: {e}", "torch 拒绝：{e}").format(e=str(e).splitlines()[0])


def check(result: Result) -> CheckReport:
    spec: InverseSpec = result.spec
    report = CheckReport(f"{torch_version()} nn.{spec.layer_name}")
    field, target = spec.unknown, list(spec.target)
    rng = result.answer["range"]
    values = result.answer["values"][:MAX_CHECKED]
    for v in values:
        report.add(f"{field} = {v}", target, _torch_output(spec, v, None))
    if rng is not None:
        lo, hi = rng
        if hi is None:
            far = lo + 1000
            report.add(
                T("{f} = {v} (every value ≥ {lo})", "{f} = {v}（所有 ≥ {lo} 的值）").format(f=field, v=far, lo=lo),
                target,
                _torch_output(spec, far, None),
            )
        least = 0 if field == "padding" else 1
        outside = [v for v in (lo - 1, None if hi is None else hi + 1) if v is not None and v >= least]
        for v in outside:
            theirs = _torch_output(spec, v, None)
            report.add(
                T("{f} = {v} (outside)", "{f} = {v}（范围外）").format(f=field, v=v),
                f"≠ {target}",
                theirs,
                theirs != target,
            )
    if not values:
        report.add(T("values found", "找到的值"), T("none", "无"), T("not checked", "未核对"), True)
    return report
