"""Cross-check a derivative with torch autograd: rebuild the expression exactly as typed (its parsed
tree, not sympy's simplified form) as torch operations (no code generation, no evaluation of text),
differentiate, and compare with the derivative dlcalc printed, read back from its own text."""

from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.text import T

TOL = 1e-9


def _function(name: str, args: list) -> torch.Tensor:
    x = args[0]
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "relu":
        return torch.relu(x)
    if name == "leaky_relu":
        return F.leaky_relu(x, float(args[1]) if len(args) > 1 else 0.01)
    if name == "elu":
        return F.elu(x, float(args[1]) if len(args) > 1 else 1.0)
    if name == "softplus":
        return F.softplus(x)
    if name == "softsign":
        return F.softsign(x)
    if name == "log":
        return torch.log(x) if len(args) == 1 else torch.log(x) / math.log(float(args[1]))
    if name == "sech":
        return 1 / torch.cosh(x)
    if name == "arctan":
        return torch.atan(x)
    if name in ("max", "min"):
        out = x
        for other in args[1:]:
            out = (torch.maximum if name == "max" else torch.minimum)(out, other)
        return out
    if name == "heaviside":
        return torch.heaviside(x, args[1] if len(args) > 1 else torch.zeros_like(x))
    if name in ("tanh", "exp", "log2", "log10", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "abs", "sign"):
        return getattr(torch, name)(x)
    raise ValueError(f"no torch form for {name}")


def to_torch(tree: tuple, env: dict) -> torch.Tensor:
    kind = tree[0]
    if kind == "n":
        return torch.tensor(float(tree[1]), dtype=torch.float64)
    if kind == "c":
        return torch.tensor(math.pi if tree[1] == "pi" else math.e, dtype=torch.float64)
    if kind == "v":
        return env[tree[1]]
    if kind == "neg":
        return -to_torch(tree[1], env)
    if kind == "f":
        return _function(tree[1], [to_torch(a, env) for a in tree[2]])
    a, b = to_torch(tree[1], env), to_torch(tree[2], env)
    return {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "^": torch.pow}[kind](a, b)  # type: ignore[operator]  # torch's overloaded builtins have no common type


def autograd_at(tree: tuple, wrt: str, point: dict[str, float]) -> float:
    env = {name: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for name, v in point.items()}
    y = to_torch(tree, env)
    (g,) = torch.autograd.grad(y, env[wrt], allow_unused=True)
    return 0.0 if g is None else g.item()


def sample_points(spec, n: int = 5) -> list[dict[str, float]]:
    from dlcalc.parse.expr import variables

    names = sorted(variables(spec.tree))
    if spec.at and all(k in spec.at for k in names):
        return [{k: float(spec.at[k]) for k in names}]
    rng = random.Random(11)
    return [{k: float(spec.at[k]) if k in spec.at else round(rng.uniform(-2, 2), 3) for k in names} for _ in range(n)]


# the solver's word for a value it cannot give, as the check's row shows it
STATUS = {"undefined": T("undefined", "无定义"), "overflow": T("overflow", "溢出")}


def check(result: Result) -> CheckReport:
    from dlcalc.parse.expr import parse_tree
    from dlcalc.solvers.symbolic import Program, Undefined

    spec = result.spec
    wrt = spec.wrt.name
    report = CheckReport(f"{torch_version()} autograd (float64)")
    printed = Program(parse_tree(result.answer["derivative"], "derivative"))  # what the student reads
    for point in sample_points(spec):
        where = ", ".join(f"{k}={v:g}" for k, v in point.items())
        theirs = autograd_at(spec.tree, wrt, point)
        try:
            ours = printed.value(point)
        except Undefined:
            ours = math.nan
        if not (math.isfinite(ours) and math.isfinite(theirs)):
            continue  # the printed formula may be defined where the expression as typed is not; the value below is judged
        report.add(
            T("d/d{w} at {p}", "d/d{w} 在 {p} 处").format(w=wrt, p=where),
            f"{ours:.12g}",
            f"{theirs:.12g}",
            abs(ours - theirs) <= TOL * (1 + abs(ours)),
        )
    value = result.answer.get("value")
    if value is not None and len(sample_points(spec)) == 1:
        theirs = autograd_at(spec.tree, wrt, sample_points(spec)[0])
        report.add(
            T("value of d/d{w}", "d/d{w} 的值").format(w=wrt),
            f"{value:.12g}",
            f"{theirs:.12g}",
            abs(value - theirs) <= TOL * (1 + abs(value)),
        )
    elif result.answer.get("value_status") and len(sample_points(spec)) == 1:
        theirs = autograd_at(spec.tree, wrt, sample_points(spec)[0])
        status = result.answer["value_status"]
        report.add(
            T("value of d/d{w}", "d/d{w} 的值").format(w=wrt),
            STATUS.get(status, status),
            f"{theirs:.12g}",
            not math.isfinite(theirs),
        )
    counter = result.answer.get("counterexample")
    if counter is not None:
        theirs = autograd_at(spec.tree, wrt, counter["point"])
        ok = abs(counter["correct"] - theirs) <= TOL * (1 + abs(theirs))
        report.add(
            T("d/d{w} at the counterexample", "d/d{w} 在反例处").format(w=wrt),
            f"{counter['correct']:.12g}",
            f"{theirs:.12g}",
            ok,
        )
        counter["autograd"] = theirs
    return report
