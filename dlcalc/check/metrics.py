"""Cross-check metrics with torch tensors: counts from label tensors, scaling with mean/std."""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.text import T

TOL = 1e-12


LABELS = {
    "precision": T("precision", "精确率"),
    "recall": T("recall", "召回率"),
    "f1": T("f1", "F1 值"),
    "min-max": T("min-max", "最小-最大归一化"),
    "z-score": T("z-score", "z-score 标准化"),
}
UNDEFINED = T("undefined", "无定义")


def check(result: Result) -> CheckReport:
    spec = result.spec
    a = result.answer
    report = CheckReport(T("{t} tensor arithmetic (float64)", "{t} 张量运算（float64）").format(t=torch_version()))
    if spec.tp is not None:
        tp, fp, fn = (torch.tensor(float(v), dtype=torch.float64) for v in (spec.tp, spec.fp, spec.fn))
        for name, value in (
            ("precision", tp / (tp + fp)),
            ("recall", tp / (tp + fn)),
            ("f1", 2 * tp / (2 * tp + fp + fn)),
        ):
            ours = a[name]
            theirs = value.item()
            ok = (ours is None and theirs != theirs) or (ours is not None and abs(float(ours) - theirs) <= TOL)
            report.add(LABELS[name], UNDEFINED if ours is None else f"{float(ours):.12g}", f"{theirs:.12g}", ok)
    if spec.data is not None:
        x = torch.tensor([float(v) for v in spec.data], dtype=torch.float64)
        mm = (x - x.min()) / (x.max() - x.min())
        z = (x - x.mean()) / x.std(unbiased=False)
        for name, ours, ref in (("min-max", a["minmax"], mm), ("z-score", a["zscore"], z)):
            if ours is None:
                report.add(
                    LABELS[name],
                    UNDEFINED,
                    "nan" if torch.isnan(ref).any() else T("finite", "有限"),
                    bool(torch.isnan(ref).any()),
                )
                continue
            ok = all(abs(float(o) - t) <= 1e-12 for o, t in zip(ours, ref.tolist()))
            report.add(
                LABELS[name],
                ", ".join(f"{float(o):.6g}" for o in ours),
                ", ".join(f"{t:.6g}" for t in ref.tolist()),
                ok,
            )
    return report
