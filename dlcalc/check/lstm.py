"""Cross-check an LSTM with torch.nn.LSTMCell loaded with the same weights, step by step (float64).

With peephole weights there is no torch module to load (torch.nn.LSTM has no peepholes): the cell's
equations are written out in torch operations, and the same written-out cell with the peepholes
set to zero is first held against nn.LSTMCell, so the equations are torch's own apart from p ⊙ c."""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.check.recurrent import F64, TOL, compare, load, tensor
from dlcalc.result import Result
from dlcalc.text import T


def run_cell(cell, spec) -> tuple[torch.Tensor, torch.Tensor]:
    h, c = tensor(spec.h0).view(1, -1), tensor(spec.c0).view(1, -1)
    hs, cs = [], []
    with torch.no_grad():
        for x in spec.x:
            h, c = cell(tensor(x).view(1, -1), (h, c))
            hs.append(h[0])
            cs.append(c[0])
    return torch.stack(hs), torch.stack(cs)


def peephole_cell(w, peep: dict[str, list[float]]):
    """i, f, g, o from torch's stacked weights; p_i, p_f look at c_{t-1}, p_o at c_t."""
    W_ih, W_hh, b_ih, b_hh = tensor(w.w_ih), tensor(w.w_hh), tensor(w.b_ih), tensor(w.b_hh)
    zero = torch.zeros(w.hidden, dtype=F64)
    p_i, p_f, p_o = (tensor(peep[g]) if g in peep else zero for g in ("i", "f", "o"))

    def cell(x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        h, c = state
        gates = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
        i, f, g, o = gates.chunk(4, dim=1)
        i = torch.sigmoid(i + p_i * c)
        f = torch.sigmoid(f + p_f * c)
        g = torch.tanh(g)
        c = f * c + i * g
        o = torch.sigmoid(o + p_o * c)
        return o * torch.tanh(c), c

    return cell


def check(result: Result) -> CheckReport:
    spec = result.spec
    w = spec.weights
    torch_cell = load(torch.nn.LSTMCell(w.inputs, w.hidden, dtype=F64), w)
    if not spec.peephole:
        report = CheckReport(f"{torch_version()} nn.LSTMCell (float64)")
        hs, cs = run_cell(torch_cell, spec)
    else:
        report = CheckReport(
            T(
                "{t} the peephole LSTM written out in torch operations (torch.nn.LSTM has no peepholes; float64)",
                "{t} 用 torch 运算写出的窥视孔 LSTM（torch.nn.LSTM 没有窥视孔连接；float64）",
            ).format(t=torch_version())
        )
        plain_h, _ = run_cell(peephole_cell(w, {}), spec)
        torch_h, _ = run_cell(torch_cell, spec)
        worst = (plain_h - torch_h).abs().max().item()
        report.add(
            T("written-out cell, peepholes 0, against nn.LSTMCell", "写出的单元（窥视孔取 0）对比 nn.LSTMCell"),
            f"max |Δh| = {worst:.3g}",
            "—",
            worst <= TOL,
        )
        hs, cs = run_cell(peephole_cell(w, {g: list(p) for g, p in spec.peephole}), spec)
    compare(report, "h", result.answer["h"], hs)
    compare(report, "c", result.answer["c"], cs)
    return report
