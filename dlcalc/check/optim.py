"""Cross-check optimizer steps with torch.optim itself, the gradients from autograd (float64)."""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.text import T

TOL = 1e-9


def torch_optimizer(name: str, params, spec):
    eps = spec.eps
    wd = spec.decay(name)  # torch's own weight_decay: L2 in the gradient, decoupled in AdamW
    if name == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, weight_decay=wd)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, nesterov=name == "nesterov", weight_decay=wd)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=spec.lr, eps=1e-10 if eps is None else eps, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=spec.lr, alpha=spec.alpha, eps=1e-8 if eps is None else eps, weight_decay=wd
        )
    if name == "adamw":
        return torch.optim.AdamW(
            params, lr=spec.lr, betas=spec.betas, eps=1e-8 if eps is None else eps, weight_decay=wd
        )
    return torch.optim.Adam(params, lr=spec.lr, betas=spec.betas, eps=1e-8 if eps is None else eps, weight_decay=wd)


def replay(spec, name: str, limit: int | None = None) -> list[list[float]]:
    from dlcalc.check.grad import to_torch

    w = torch.tensor(spec.start, dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(name, [w], spec)
    path: list[list[float]] = []
    limit = spec.steps if limit is None else limit
    for t in range(1, spec.steps + 1):
        opt.zero_grad()
        if spec.f is not None:
            loss = to_torch(spec.tree, {n: w[i] for i, n in enumerate(spec.names)})
            loss.backward()
        else:
            w.grad = torch.tensor(spec.grads[t - 1], dtype=torch.float64)
        opt.step()
        path.append(w.detach().tolist())
        if len(path) >= limit:
            break
    return path


def check(result: Result) -> CheckReport:
    spec = result.spec
    report = CheckReport(
        T("{t} torch.optim (float64, autograd gradients)", "{t} torch.optim（float64，autograd 求梯度）").format(
            t=torch_version()
        )
    )
    for name in (spec.optimizer,) + tuple(n for n in spec.compare if n != spec.optimizer):
        ours = result.answer["path"] if name == spec.optimizer else result.answer["compare"][name]
        theirs = replay(spec, name, len(ours))  # a run that stopped where f is undefined: its steps
        worst = max(abs(a - b) for wa, wb in zip(ours, theirs) for a, b in zip(wa, wb))
        report.add(
            T("{n}: path of {k} steps", "{n}：{k} 步的路径").format(n=name, k=len(ours)),
            f"max |Δ| = {worst:.3g}",
            "—",
            worst <= TOL * (1 + max(abs(v) for row in theirs for v in row)),
        )
    return report
