"""Cross-check softmax and the losses with torch (softmax, cross_entropy, mse_loss,
binary_cross_entropy_with_logits) and autograd for the gradients (float64)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.text import T

TOL = 1e-9


def _close(a, b) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= TOL * (1 + abs(y)) for x, y in zip(a, b))


def check(result: Result) -> CheckReport:
    spec = result.spec
    report = CheckReport(f"{torch_version()} torch.nn.functional + autograd (float64)")
    z = torch.tensor(spec.logits, dtype=torch.float64, requires_grad=True)
    a = result.answer
    if spec.loss in (None, "cross_entropy"):
        p = torch.softmax(z / spec.temperature, dim=0)
        report.add("softmax", _fmt(a["probabilities"]), _fmt(p.tolist()), _close(a["probabilities"], p.tolist()))
    if spec.loss is None:
        jac = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, dim=0), z.detach() / spec.temperature)
        ok = jacobian_agrees(a["jacobian"], jac.tolist(), p.tolist())
        report.add(T("Jacobian", "雅可比矩阵"), _fmt(sum(a["jacobian"], [])), _fmt(sum(jac.tolist(), [])), ok)
        return report
    if spec.loss == "nll":
        return _check_nll(result, report)
    t = torch.tensor(spec.target, dtype=torch.float64)
    if spec.loss == "cross_entropy":
        loss = F.cross_entropy((z / spec.temperature).unsqueeze(0), t.unsqueeze(0))
    elif spec.loss == "mse":
        loss = F.mse_loss(z, t)
    else:
        loss = F.binary_cross_entropy_with_logits(z, t)
    (g,) = torch.autograd.grad(loss, z)
    report.add(
        T("loss", "损失"),
        f"{a['loss']:.12g}",
        f"{loss.item():.12g}",
        abs(a["loss"] - loss.item()) <= TOL * (1 + abs(loss.item())),
    )
    report.add(T("gradient", "梯度"), _fmt(a["gradient"]), _fmt(g.tolist()), _close(a["gradient"], g.tolist()))
    return report


def _check_nll(result: Result, report: CheckReport) -> CheckReport:
    spec, a = result.spec, result.answer
    inp = torch.tensor(spec.rows, dtype=torch.float64, requires_grad=True)
    loss = F.nll_loss(inp, torch.tensor(spec.classes, dtype=torch.long))  # reduction="mean"
    (g,) = torch.autograd.grad(loss, inp)
    report.add(
        "nll_loss",
        f"{a['loss']:.12g}",
        f"{loss.item():.12g}",
        abs(a["loss"] - loss.item()) <= TOL * (1 + abs(loss.item())),
    )
    ours = a["gradient"] if len(spec.rows) > 1 else [a["gradient"]]
    flat_ours: list[float]
    flat_theirs: list[float]
    flat_ours, flat_theirs = sum(ours, []), sum(g.tolist(), [])
    report.add(T("gradient", "梯度"), _fmt(flat_ours), _fmt(flat_theirs), _close(flat_ours, flat_theirs))
    return report


def jacobian_agrees(ours, theirs, p) -> bool:
    """Relative agreement, allowing torch its own rounding: autograd forms 1 - p_i, which carries
    the few ulps of its own p_i (a few times 2.2e-16) as an absolute error; p_i·Σ_{j≠i} p_j does not."""
    eps = 2.0**-52
    return all(
        abs(x - y) <= TOL * abs(y) + 8 * eps * p[i] * (i == j) + 1e-300
        for i, (row_o, row_t) in enumerate(zip(ours, theirs))
        for j, (x, y) in enumerate(zip(row_o, row_t))
    )


def _fmt(v) -> str:
    return "(" + ", ".join(f"{x:.9g}" for x in v) + ")"
