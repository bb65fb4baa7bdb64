"""Cross-check batch norm with torch.nn.BatchNorm1d/2d in the same mode, float64."""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.text import T

TOL = 1e-9


def check(result: Result) -> CheckReport:
    spec = result.spec
    c = spec.shape[1]
    cls = torch.nn.BatchNorm2d if len(spec.shape) == 4 else torch.nn.BatchNorm1d  # 1d takes N×C and N×C×L
    bn = cls(c, eps=spec.eps, momentum=spec.momentum, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(spec.gamma, dtype=torch.float64))
        bn.bias.copy_(torch.tensor(spec.beta, dtype=torch.float64))
        bn.running_mean.copy_(torch.tensor(spec.running_mean, dtype=torch.float64))  # type: ignore[union-attr]  # torch types the buffers Optional; tracked here
        bn.running_var.copy_(torch.tensor(spec.running_var, dtype=torch.float64))  # type: ignore[union-attr]  # torch types the buffers Optional; tracked here
        bn.num_batches_tracked.fill_(spec.num_batches_tracked)  # type: ignore[union-attr]  # torch: Optional buffers; momentum=None averages over these
        bn.train(spec.mode == "train")
        y = bn(torch.tensor(spec.x, dtype=torch.float64))
    report = CheckReport(
        T("{t} nn.{n} ({m} mode, float64)", "{t} nn.{n}（{m} 模式，float64）").format(
            t=torch_version(), n=cls.__name__, m=spec.mode
        )
    )
    ours = torch.tensor(result.answer["output"], dtype=torch.float64)
    report.add(
        T("output", "输出"), f"max |Δ| = {(ours - y).abs().max().item():.3g}", "—", (ours - y).abs().max().item() <= TOL
    )
    if spec.mode == "train":
        for name, mine, theirs in (
            ("running_mean", result.answer["running_mean"], bn.running_mean),
            ("running_var", result.answer["running_var"], bn.running_var),
        ):
            ok = all(abs(a - b) <= TOL for a, b in zip(mine, theirs.tolist()))  # type: ignore[union-attr]  # torch types the buffers Optional; tracked here
            report.add(name, ", ".join(f"{v:.9g}" for v in mine), ", ".join(f"{v:.9g}" for v in theirs.tolist()), ok)  # type: ignore[union-attr]  # torch types the buffers Optional; tracked here
    return report
