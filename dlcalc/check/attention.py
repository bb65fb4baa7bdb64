"""Cross-check attention: F.scaled_dot_product_attention per head (causal mask included) and,
for several heads with X given and square projections, nn.MultiheadAttention loaded with them."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.text import T

TOL = 1e-9
F64 = torch.float64


def check(result: Result) -> CheckReport:
    spec = result.spec
    report = CheckReport(f"{torch_version()} F.scaled_dot_product_attention (float64)")
    q, k, v = (torch.tensor(a, dtype=F64) for a in (spec.q, spec.k, spec.v))
    h = spec.heads
    dq, dv = q.shape[1] // h, v.shape[1] // h
    outs = []
    for i in range(h):
        qi, ki, vi = q[:, i * dq : (i + 1) * dq], k[:, i * dq : (i + 1) * dq], v[:, i * dv : (i + 1) * dv]
        outs.append(
            F.scaled_dot_product_attention(qi.unsqueeze(0), ki.unsqueeze(0), vi.unsqueeze(0), is_causal=spec.causal)[0]
        )
    out = torch.cat(outs, dim=1)
    if spec.w_o is not None:
        out = out @ torch.tensor(spec.w_o, dtype=F64)
    ours = torch.tensor(result.answer["output"], dtype=F64)
    diff = (ours - out).abs().max().item()
    report.add(T("output", "输出"), f"max |Δ| = {diff:.3g}", "—", diff <= TOL)
    square = spec.x is not None and all(len(w) == len(w[0]) == len(spec.x[0]) for w in (spec.w_q, spec.w_k, spec.w_v))
    if square and spec.w_o is not None and len(spec.w_o) == len(spec.w_o[0]):
        e = len(spec.x[0])
        mha = torch.nn.MultiheadAttention(e, h, bias=False, batch_first=True, dtype=F64)
        with torch.no_grad():
            # torch applies x @ Wᵀ; dlcalc's X·W_Q means torch's weight is W_Qᵀ
            mha.in_proj_weight.copy_(torch.cat([torch.tensor(w, dtype=F64).T for w in (spec.w_q, spec.w_k, spec.w_v)]))
            mha.out_proj.weight.copy_(torch.tensor(spec.w_o, dtype=F64).T)
            x = torch.tensor(spec.x, dtype=F64).unsqueeze(0)
            mask = torch.triu(torch.ones(len(spec.x), len(spec.x), dtype=torch.bool), 1) if spec.causal else None
            y, _ = mha(x, x, x, attn_mask=mask, need_weights=False)
        diff = (ours - y[0]).abs().max().item()
        report.add(
            T("nn.MultiheadAttention output", "nn.MultiheadAttention 的输出"), f"max |Δ| = {diff:.3g}", "—", diff <= TOL
        )
    return report
