"""Cross-check an inverse conv answer: every value found must give the target in torch."""

from __future__ import annotations

from dataclasses import replace

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.check.conv import build
from dlcalc.result import Result

MAX_CHECKED = 8


def check(result: Result) -> CheckReport:
    spec = result.spec
    report = CheckReport(f"{torch_version()} nn.Conv2d")
    field = spec.unknown
    in_ch = spec.base.in_channels or spec.base.groups
    values = result.answer["values"][:MAX_CHECKED]
    for v in values:
        layer_spec = replace(spec.base, **{field: (v, v)})
        try:
            with torch.no_grad():
                out = build(layer_spec, "meta")(torch.zeros(1, in_ch, *spec.base.size, device="meta"))
            got = list(out.shape[2:])
        except (RuntimeError, ValueError) as e:
            got = f"torch refused: {str(e).splitlines()[0]}"
        report.add(f"{field} = {v}", list(spec.target), got)
    if not values:
        report.add("values found", "none", "not checked", True)
    return report
