"""Cross-check an LSTM with torch.nn.LSTMCell loaded with the same weights, step by step (float64)."""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.check.recurrent import F64, compare, load, tensor
from dlcalc.result import Result


def check(result: Result) -> CheckReport:
    spec = result.spec
    w = spec.weights
    report = CheckReport(f"{torch_version()} nn.LSTMCell (float64)")
    cell = load(torch.nn.LSTMCell(w.inputs, w.hidden, dtype=F64), w)
    h, c = tensor(spec.h0).view(1, -1), tensor(spec.c0).view(1, -1)
    hs, cs = [], []
    with torch.no_grad():
        for x in spec.x:
            h, c = cell(tensor(x).view(1, -1), (h, c))
            hs.append(h[0])
            cs.append(c[0])
    compare(report, "h", result.answer["h"], torch.stack(hs))
    compare(report, "c", result.answer["c"], torch.stack(cs))
    return report
