"""Cross-check a derivative with torch autograd: rebuild the expression from its sympy tree as torch
operations (no code generation, no evaluation of text), differentiate, compare at a point."""

from __future__ import annotations

import random

import sympy
import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.solvers.symbolic import relu, sigmoid, softplus

TOL = 1e-9
UNARY = {
    sigmoid: torch.sigmoid,
    relu: torch.relu,
    softplus: torch.nn.functional.softplus,
    sympy.tanh: torch.tanh,
    sympy.exp: torch.exp,
    sympy.log: torch.log,
    sympy.sin: torch.sin,
    sympy.cos: torch.cos,
    sympy.Abs: torch.abs,
    sympy.sign: torch.sign,
}


def to_torch(expr, env: dict) -> torch.Tensor:
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_Number or expr in (sympy.pi, sympy.E):
        return torch.tensor(float(expr), dtype=torch.float64)
    args = [to_torch(a, env) for a in expr.args]
    if expr.is_Add:
        out = args[0]
        for a in args[1:]:
            out = out + a
        return out
    if expr.is_Mul:
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if expr.is_Pow:
        return args[0] ** args[1]
    if expr.func is sympy.Heaviside:
        return (args[0] > 0).to(torch.float64)
    if expr.func in UNARY:
        return UNARY[expr.func](args[0])
    raise ValueError(f"no torch form for {expr.func}")


def autograd_at(expr, wrt, point: dict[str, float]) -> float:
    env = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in point.items()}
    env.setdefault(wrt.name, torch.tensor(0.5, dtype=torch.float64, requires_grad=True))
    y = to_torch(expr, env)
    (g,) = torch.autograd.grad(y, env[wrt.name], allow_unused=True)
    return 0.0 if g is None else g.item()


def value_at(expr, point: dict[str, float]) -> float:
    return float(sympy.N(expr.subs({sympy.Symbol(k, real=True): v for k, v in point.items()}), 30))


def sample_points(spec, n: int = 5) -> list[dict[str, float]]:
    names = sorted({s.name for s in spec.expr.free_symbols} | {spec.wrt.name})
    if spec.at and all(k in spec.at for k in names):
        return [{k: float(spec.at[k]) for k in names}]
    rng = random.Random(11)
    return [{k: round(rng.uniform(-2, 2), 3) for k in names} for _ in range(n)]


def check(result: Result) -> CheckReport:
    spec = result.spec
    report = CheckReport(f"{torch_version()} autograd (float64)")
    derivative = sympy.diff(spec.expr, spec.wrt)
    for point in sample_points(spec):
        where = ", ".join(f"{k}={v:g}" for k, v in point.items())
        try:
            theirs = autograd_at(spec.expr, spec.wrt, point)
            ours = value_at(derivative, point)
        except (ValueError, TypeError, RuntimeError) as e:
            report.add(f"d/d{spec.wrt} at {where}", "—", f"not comparable: {e}", True)
            continue
        if theirs != theirs or ours != ours:
            continue
        report.add(
            f"d/d{spec.wrt} at {where}", f"{ours:.12g}", f"{theirs:.12g}", abs(ours - theirs) <= TOL * (1 + abs(ours))
        )
    return report
