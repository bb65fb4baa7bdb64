"""Cross-check a GRU: torch.nn.GRUCell for the torch convention; for the textbook and Cho forms
(which GRUCell cannot express, r acting before the product) the same equations in torch ops."""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.check.recurrent import F64, compare, load, tensor
from dlcalc.result import Result
from dlcalc.text import T


def _textbook_step(w, x, h, convention):
    H = w.hidden
    wi, wh, bi, bh = tensor(w.w_ih), tensor(w.w_hh), tensor(w.b_ih), tensor(w.b_hh)
    gi = wi @ x + bi
    r = torch.sigmoid(gi[:H] + wh[:H] @ h + bh[:H])
    z = torch.sigmoid(gi[H : 2 * H] + wh[H : 2 * H] @ h + bh[H : 2 * H])
    n = torch.tanh(gi[2 * H :] + wh[2 * H :] @ (r * h) + bh[2 * H :])
    return (1 - z) * h + z * n if convention == "textbook" else z * h + (1 - z) * n


def check(result: Result) -> CheckReport:
    spec = result.spec
    w = spec.weights
    hs = []
    with torch.no_grad():
        if spec.convention == "torch":
            report = CheckReport(f"{torch_version()} nn.GRUCell (float64)")
            cell = load(torch.nn.GRUCell(w.inputs, w.hidden, dtype=F64), w)
            h = tensor(spec.h0).view(1, -1)
            for x in spec.x:
                h = cell(tensor(x).view(1, -1), h)
                hs.append(h[0])
        else:
            report = CheckReport(
                T("{t} tensor ops, {c} GRU equations (float64)", "{t} 张量运算，{c} 形式的 GRU 方程（float64）").format(
                    t=torch_version(), c=spec.convention
                )
            )
            h = tensor(spec.h0)
            for x in spec.x:
                h = _textbook_step(w, tensor(x), h, spec.convention)
                hs.append(h)
    compare(report, "h", result.answer["h"], torch.stack(hs))
    return report
