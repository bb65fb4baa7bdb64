"""Cross-check activation values and slopes with torch's functions and autograd (float64)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.text import T

TOL = 1e-9


def check(result: Result) -> CheckReport:
    spec = result.spec
    fn = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda x: F.leaky_relu(x, spec.alpha),
        "elu": lambda x: F.elu(x, spec.alpha),
        "gelu": F.gelu,
        "softplus": F.softplus,  # torch's defaults: beta=1, threshold=20
        "silu": F.silu,
    }[spec.function]
    report = CheckReport(f"{torch_version()} torch.nn.functional + autograd (float64)")
    x = torch.tensor(spec.points, dtype=torch.float64, requires_grad=True)
    y = fn(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    for i, p in enumerate(spec.points):
        ours = (result.answer["value"][i], result.answer["derivative"][i])
        theirs = (y[i].item(), g[i].item())
        ok = all(abs(a - b) <= TOL * (1 + abs(b)) for a, b in zip(ours, theirs))
        report.add(
            T("f, f' at {p}", "x = {p} 处的 f, f'").format(p=f"{p:g}"),
            f"{ours[0]:.9g}, {ours[1]:.9g}",
            f"{theirs[0]:.9g}, {theirs[1]:.9g}",
            ok,
        )
    return report
