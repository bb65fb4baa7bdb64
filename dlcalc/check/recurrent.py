"""Shared by the RNN/LSTM/GRU cross-checks: torch tensors from the stacked weights, and comparison."""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport

TOL = 1e-9
F64 = torch.float64


def tensor(values) -> torch.Tensor:
    return torch.tensor(values, dtype=F64)


def load(cell: torch.nn.Module, weights) -> torch.nn.Module:
    """Copy dlcalc's torch-layout weights into a torch cell or single-layer RNN (names with or without _l0)."""
    suffix = "_l0" if hasattr(cell, "weight_ih_l0") else ""
    with torch.no_grad():
        getattr(cell, f"weight_ih{suffix}").copy_(tensor(weights.w_ih))
        getattr(cell, f"weight_hh{suffix}").copy_(tensor(weights.w_hh))
        getattr(cell, f"bias_ih{suffix}").copy_(tensor(weights.b_ih))
        getattr(cell, f"bias_hh{suffix}").copy_(tensor(weights.b_hh))
    return cell


def compare(report: CheckReport, name: str, ours: list[list[float]], theirs: torch.Tensor) -> None:
    for t, (a, b) in enumerate(zip(ours, theirs.tolist()), 1):
        ok = len(a) == len(b) and all(abs(x - y) <= TOL for x, y in zip(a, b))
        report.add(f"{name}{t}", _fmt(a), _fmt(b), ok)


def _fmt(v: list[float]) -> str:
    return "(" + ", ".join(f"{x:.9g}" for x in v) + ")"
