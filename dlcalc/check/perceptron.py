"""Cross-check perceptron training: replay every presentation with float64 torch tensors."""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.text import T

TOL = 1e-9


def check(result: Result) -> CheckReport:
    spec = result.spec
    report = CheckReport(T("{t} float64 tensors", "{t} float64 张量").format(t=torch_version()))
    x = torch.tensor([[float(v) for v in row] for row in spec.x], dtype=torch.float64)
    y = torch.tensor([float(v) for v in spec.y], dtype=torch.float64)
    w = torch.tensor([float(v) for v in spec.w0], dtype=torch.float64)
    b = torch.tensor(float(spec.b0 or 0), dtype=torch.float64)
    low = -1.0 if spec.outputs == "pm1" else 0.0
    for row in result.answer["history"]:
        i = row["sample"] - 1
        net = torch.dot(w, x[i]) + b
        if spec.rule == "error":
            o = torch.where(net > 0, 1.0, torch.where(net < 0, low, float(spec.sign0)))
            factor = float(spec.lr) * (y[i] - o)
            wrong = bool(o != y[i])
        else:
            factor = float(spec.lr) * y[i]
            wrong = bool(y[i] * net <= 0)
        if wrong:
            w = w + factor * x[i]
            if spec.b0 is not None:
                b = b + factor
        ours = [float(v) for v in row["w"]] + ([float(row["b"])] if spec.b0 is not None else [])
        theirs = w.tolist() + ([b.item()] if spec.b0 is not None else [])
        ok = wrong == row["updated"] and all(abs(a - t) <= TOL for a, t in zip(ours, theirs))
        report.add(
            T("epoch {e} sample {s}", "第 {e} 轮 样本 {s}").format(e=row["epoch"], s=row["sample"]),
            _fmt(ours),
            _fmt(theirs),
            ok,
        )
    return report


def _fmt(values: list[float]) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in values) + ")"
