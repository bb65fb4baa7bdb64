"""Cross-check an RNN with torch.nn.RNN loaded with the same weights (float64)."""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.check.recurrent import F64, compare, load, tensor
from dlcalc.result import Result


def check(result: Result) -> CheckReport:
    spec = result.spec
    w = spec.weights
    report = CheckReport(f"{torch_version()} nn.RNN (float64)")
    rnn = load(torch.nn.RNN(w.inputs, w.hidden, nonlinearity=spec.nonlinearity, dtype=F64), w)
    with torch.no_grad():
        out, _ = rnn(tensor(spec.x).unsqueeze(1), tensor(spec.h0).view(1, 1, -1))
    hs = out.squeeze(1)
    compare(report, "h", result.answer["h"], hs)
    if spec.w_hy is not None:
        y = hs @ tensor(spec.w_hy).T + tensor(spec.b_y)
        if spec.softmax:
            y = torch.softmax(y, dim=-1)
        compare(report, "y", result.answer["y"], y)
    return report
