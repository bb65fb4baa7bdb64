"""Replay gradient descent with torch: nn.Linear models, torch.optim.SGD, MSELoss/BCEWithLogitsLoss
(reduction="mean") and a DataLoader — shuffled by a torch.Generator seeded as the problem says — so
the batches come in torch's own order (float64 throughout)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.text import T

TOL = 1e-9


def build(spec: Any) -> torch.nn.Module:
    d = len(spec.x[0])
    p = spec.init
    with torch.no_grad():
        if spec.model != "mlp":
            linear = torch.nn.Linear(d, 1).double()
            linear.weight.copy_(torch.tensor([[float(v) for v in p["w"]]], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([float(p["b"][0])], dtype=torch.float64))
            return linear
        act = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[spec.activation]()
        first, second = torch.nn.Linear(d, spec.hidden).double(), torch.nn.Linear(spec.hidden, 1).double()
        first.weight.copy_(torch.tensor([[float(v) for v in r] for r in p["W1"]], dtype=torch.float64))
        first.bias.copy_(torch.tensor([float(v) for v in p["b1"]], dtype=torch.float64))
        second.weight.copy_(torch.tensor([[float(v) for v in p["w2"]]], dtype=torch.float64))
        second.bias.copy_(torch.tensor([float(p["b2"][0])], dtype=torch.float64))
        return torch.nn.Sequential(first, act, second)


def replay(spec: Any, batch: int) -> dict[str, Any]:
    """Train as a torch script would: the batches' sample indices, the parameters after each
    update (flattened in parameters() order) and the loss over all samples after each epoch."""
    X = torch.tensor([[float(v) for v in r] for r in spec.x], dtype=torch.float64)
    Y = torch.tensor([[float(v)] for v in spec.y], dtype=torch.float64)
    index = torch.arange(len(spec.x))
    generator = torch.Generator().manual_seed(spec.seed) if spec.seed is not None else None
    loader = DataLoader(
        TensorDataset(X, Y, index), batch_size=batch, shuffle=spec.seed is not None, generator=generator
    )
    model = build(spec)
    criterion = torch.nn.MSELoss() if spec.loss == "mse" else torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=float(spec.lr))
    out: dict[str, Any] = {"samples": [], "params": [], "epoch_loss": []}
    for _ in range(spec.epochs):
        for xb, yb, ib in loader:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
            out["samples"].append([int(i) + 1 for i in ib])
            out["params"].append(torch.cat([p.detach().flatten() for p in model.parameters()]).tolist())
        with torch.no_grad():
            out["epoch_loss"].append(criterion(model(X), Y).item())
    return out


def flat(params: dict[str, Any]) -> list[float]:
    values: list[float] = []
    for v in params.values():
        if isinstance(v, list):
            for e in v:
                values.extend(float(x) for x in e) if isinstance(e, list) else values.append(float(e))
        else:
            values.append(float(v))
    return values


def _close(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= TOL * (1 + abs(y)) for x, y in zip(a, b))


def compare_run(
    report: CheckReport, spec: Any, label: str, history: list[dict[str, Any]], epoch_loss: list, batch: int
) -> None:
    theirs = replay(spec, batch)
    ours_samples = [h["samples"] for h in history]
    report.add(
        T("{l}: samples of each batch", "{l}：各批的样本").format(l=label),
        _short(ours_samples),
        _short(theirs["samples"]),
        ours_samples == theirs["samples"],
    )
    worst = max(
        (abs(a - b) / (1 + abs(b)) for h, t in zip(history, theirs["params"]) for a, b in zip(flat(h["params"]), t)),
        default=math.inf,
    )
    same_count = len(history) == len(theirs["params"])
    report.add(
        T("{l}: parameters after each of {n} updates", "{l}：{n} 次更新后各次的参数").format(l=label, n=len(history)),
        T("max relative |Δ| = {d}", "最大相对 |Δ| = {d}").format(d=f"{worst:.3g}"),
        "torch.optim.SGD",
        same_count and worst <= TOL,
    )
    ours_loss = [float(v) for v in epoch_loss]
    report.add(
        T("{l}: loss after each epoch", "{l}：每轮后的损失").format(l=label),
        _short(ours_loss),
        _short(theirs["epoch_loss"]),
        _close(ours_loss, theirs["epoch_loss"]),
    )


def check(result: Result) -> CheckReport:
    spec = result.spec
    a = result.answer
    loss_name = "MSELoss" if spec.loss == "mse" else "BCEWithLogitsLoss"
    report = CheckReport(f"{torch_version()} torch.optim.SGD + DataLoader + nn.{loss_name} (float64)")
    compare_run(report, spec, f"B = {spec.batch}", a["history"], a["epoch_loss"], spec.batch)
    for key, run in (a.get("compare") or {}).items():
        if int(key) != spec.batch:
            # the other batch sizes: the parameters at the end and the epoch losses
            theirs = replay(spec, int(key))
            ok = _close(flat(run["final"]), theirs["params"][-1]) and _close(
                [float(v) for v in run["epoch_loss"]], theirs["epoch_loss"]
            )
            report.add(
                T("B = {k}: final parameters and epoch losses", "B = {k}：最终参数与每轮损失").format(k=key),
                _short(flat(run["final"])),
                _short(theirs["params"][-1]),
                ok,
            )
    return report


def _short(values: list) -> str:
    text = str([round(v, 9) if isinstance(v, float) else v for v in values])
    return text if len(text) <= 80 else text[:77] + "…"
