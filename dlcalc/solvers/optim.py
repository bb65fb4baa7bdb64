"""Optimizer update steps, exactly as torch.optim computes them (same names, same defaults).

    sgd       w ← w - lr·g
    momentum  b ← μ·b + g  (b = g on the first step),  w ← w - lr·b                (SGD, momentum=μ)
    nesterov  b as momentum,  w ← w - lr·(g + μ·b)                                  (SGD, nesterov=True)
    adagrad   s ← s + g²,  w ← w - lr·g/(√s + ε)                                   (eps 1e-10)
    rmsprop   v ← α·v + (1 - α)·g²,  w ← w - lr·g/(√v + ε)                          (alpha 0.99, eps 1e-8)
    adam      m ← β1·m + (1 - β1)·g,  v ← β2·v + (1 - β2)·g²,
              m̂ = m/(1 - β1ᵗ),  v̂ = v/(1 - β2ᵗ),  w ← w - lr·m̂/(√v̂ + ε)             (betas 0.9, 0.999; eps 1e-8)
g is the gradient of --f at the current point (sympy), or the t-th row of a given gradient sequence.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_int, parse_matrix, parse_number, parse_vector
from dlcalc.result import Result, Step, Table
from dlcalc.text import T

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.1, "nesterov": 0.1, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.1}
FIELDS = {"f", "grads", "optimizer", "lr", "start", "steps", "momentum", "betas", "eps", "alpha", "vars", "compare"}
DIGITS = 6


@dataclass(frozen=True)
class OptimSpec:
    optimizer: str
    lr: float
    start: tuple[float, ...]
    steps: int
    f: Any = None  # a sympy expression, or None with given gradients
    f_text: str | None = None
    names: tuple[str, ...] = ()
    grads: tuple[tuple[float, ...], ...] | None = None
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float | None = None
    alpha: float = 0.99
    compare: tuple[str, ...] = ()

    @property
    def epsilon(self) -> float:
        if self.eps is not None:
            return self.eps
        return 1e-10 if self.optimizer == "adagrad" else 1e-8


def parse_spec(inputs: Mapping[str, Any]) -> OptimSpec:
    only_keys(inputs, FIELDS, "optim")
    opt = str(inputs.get("optimizer") or "sgd").strip().lower()
    if opt not in OPTIMIZERS:
        raise DlcalcError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {opt!r}")
    compare = ()
    if inputs.get("compare"):
        raw = inputs["compare"]
        items = raw if isinstance(raw, (list, tuple)) else str(raw).replace(";", ",").split(",")
        compare = tuple(dict.fromkeys(s.strip().lower() for s in items if str(s).strip()))
        for c in compare:
            if c not in OPTIMIZERS:
                raise DlcalcError(f"compare: unknown optimizer {c!r} (expected {', '.join(OPTIMIZERS)})")
    f = f_text = None
    grads = None
    names: tuple[str, ...] = ()
    if inputs.get("f") is not None and inputs.get("grads") is not None:
        raise DlcalcError("optim: give either --f (a function) or --grads (a gradient sequence), not both")
    if inputs.get("f") is not None:
        from dlcalc.parse.expr import parse_expression

        f_text = str(inputs["f"])
        f = parse_expression(f_text, "--f")
        found = sorted(s.name for s in f.free_symbols)
        names = tuple(str(n).strip() for n in str(inputs["vars"]).split(",")) if inputs.get("vars") else tuple(found)
        if not names:
            raise DlcalcError("--f: the function has no variable to optimize")
        missing = set(found) - set(names)
        if missing:
            raise DlcalcError(f"--vars: the function also uses {', '.join(sorted(missing))}")
    elif inputs.get("grads") is not None:
        grads = tuple(tuple(float(v) for v in row) for row in parse_matrix(inputs["grads"], "grads"))
    else:
        raise DlcalcError('optim: give --f "w^2 + 3*w" or --grads "0.5; -0.2"')
    width = len(names) if f is not None else len(grads[0])
    start = (
        tuple(float(v) for v in parse_vector(inputs["start"], "start"))
        if inputs.get("start") is not None
        else (0.0,) * width
    )
    if len(start) != width:
        raise DlcalcError(
            f"start: {len(start)} values for {width} parameter(s) ({', '.join(names) or 'gradient width'})"
        )
    steps = parse_int(inputs["steps"], "steps") if inputs.get("steps") is not None else (len(grads) if grads else 5)
    if grads is not None and steps > len(grads):
        raise DlcalcError(f"steps: only {len(grads)} gradients given for {steps} steps")
    if not 1 <= steps <= 10000:
        raise DlcalcError(f"steps: expected 1 to 10000, got {steps}")
    lr = float(parse_number(inputs["lr"], "lr")) if inputs.get("lr") is not None else DEFAULT_LR[opt]
    if lr <= 0:
        raise DlcalcError(f"lr: must be positive, got {lr}")
    betas = (0.9, 0.999)
    if inputs.get("betas") is not None:
        b = [float(v) for v in parse_vector(inputs["betas"], "betas")]
        if len(b) != 2 or not all(0 <= x < 1 for x in b):
            raise DlcalcError("betas: expected two numbers in [0, 1), e.g. 0.9,0.999")
        betas = (b[0], b[1])
    momentum = float(parse_number(inputs.get("momentum", 0.9), "momentum"))
    alpha = float(parse_number(inputs.get("alpha", 0.99), "alpha"))
    eps = float(parse_number(inputs["eps"], "eps")) if inputs.get("eps") is not None else None
    if not 0 <= momentum < 1 or not 0 <= alpha < 1 or (eps is not None and eps < 0):
        raise DlcalcError("momentum and alpha lie in [0, 1), eps is not negative")
    return OptimSpec(opt, lr, start, steps, f, f_text, names, grads, momentum, betas, eps, alpha, compare)


def gradient(spec: OptimSpec, w: list[float], t: int) -> list[float]:
    if spec.grads is not None:
        return list(spec.grads[t - 1])
    from dlcalc.solvers.symbolic import evaluate

    env = dict(zip(spec.names, w))
    try:
        return [evaluate(d, env) for d in _partials(spec)]
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        raise DlcalcError(f"--f: the gradient cannot be evaluated at {tuple(w)} ({e})") from None


def _partials(spec: OptimSpec) -> list:
    return _gradient_of(spec.f, spec.names)


@functools.cache
def _gradient_of(f: Any, names: tuple[str, ...]) -> list:
    """∂f/∂name for each parameter, derived once per function (run() asks at every step)."""
    import sympy

    symbols = {s.name: s for s in f.free_symbols}
    return [sympy.diff(f, symbols[n]) if n in symbols else sympy.Integer(0) for n in names]


def run(spec: OptimSpec, optimizer: str) -> list[dict[str, Any]]:
    """Every step's gradient, state and new parameters."""
    w = list(spec.start)
    state = {"b": None, "s": [0.0] * len(w), "m": [0.0] * len(w), "v": [0.0] * len(w)}
    eps = spec.eps if spec.eps is not None else (1e-10 if optimizer == "adagrad" else 1e-8)
    out = []
    for t in range(1, spec.steps + 1):
        g = gradient(spec, w, t)
        row: dict[str, Any] = {"step": t, "grad": g}
        if optimizer == "sgd":
            w = [wi - spec.lr * gi for wi, gi in zip(w, g)]
        elif optimizer in ("momentum", "nesterov"):
            b = g[:] if state["b"] is None else [spec.momentum * bi + gi for bi, gi in zip(state["b"], g)]
            state["b"] = b
            direction = b if optimizer == "momentum" else [gi + spec.momentum * bi for gi, bi in zip(g, b)]
            w = [wi - spec.lr * d for wi, d in zip(w, direction)]
            row.update(velocity=b, direction=direction)
        elif optimizer == "adagrad":
            state["s"] = [si + gi * gi for si, gi in zip(state["s"], g)]
            w = [wi - spec.lr * gi / (math.sqrt(si) + eps) for wi, gi, si in zip(w, g, state["s"])]
            row.update(sum_sq=state["s"][:])
        elif optimizer == "rmsprop":
            state["v"] = [spec.alpha * vi + (1 - spec.alpha) * gi * gi for vi, gi in zip(state["v"], g)]
            w = [wi - spec.lr * gi / (math.sqrt(vi) + eps) for wi, gi, vi in zip(w, g, state["v"])]
            row.update(sq_avg=state["v"][:])
        else:
            b1, b2 = spec.betas
            state["m"] = [b1 * mi + (1 - b1) * gi for mi, gi in zip(state["m"], g)]
            state["v"] = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(state["v"], g)]
            m_hat = [mi / (1 - b1**t) for mi in state["m"]]
            v_hat = [vi / (1 - b2**t) for vi in state["v"]]
            w = [wi - spec.lr * mh / (math.sqrt(vh) + eps) for wi, mh, vh in zip(w, m_hat, v_hat)]
            row.update(m=state["m"][:], v=state["v"][:], m_hat=m_hat, v_hat=v_hat)
        if any(not math.isfinite(x) for x in w):
            raise DlcalcError(
                f"optim: {optimizer} diverged at step {t} (parameters became infinite); try a smaller --lr"
            )
        row["w"] = w
        if spec.f is not None:
            from dlcalc.solvers.symbolic import evaluate

            try:
                row["f"] = evaluate(spec.f, dict(zip(spec.names, w)))
            except (ValueError, ZeroDivisionError, OverflowError):
                row["f"] = None
        out.append(row)
    return out


RULES = {
    "sgd": (m.Math("w - lr·g", r"w - \mathrm{lr}\, g"),),
    "momentum": (m.Math("b = μ·b + g;  w - lr·b", r"b = \mu b + g;\ w - \mathrm{lr}\, b"),),
    "nesterov": (m.Math("b = μ·b + g;  w - lr·(g + μ·b)", r"b = \mu b + g;\ w - \mathrm{lr}(g + \mu b)"),),
    "adagrad": (
        m.Math("s = s + g²;  w - lr·g/(√s + ε)", r"s = s + g^2;\ w - \mathrm{lr}\,\frac{g}{\sqrt{s} + \varepsilon}"),
    ),
    "rmsprop": (
        m.Math(
            "v = α·v + (1 - α)·g²;  w - lr·g/(√v + ε)",
            r"v = \alpha v + (1 - \alpha) g^2;\ w - \mathrm{lr}\,\frac{g}{\sqrt{v} + \varepsilon}",
        ),
    ),
    "adam": (
        m.Math(
            "m = β1·m + (1 - β1)·g, v = β2·v + (1 - β2)·g², m̂ = m/(1 - β1ᵗ), v̂ = v/(1 - β2ᵗ);  w - lr·m̂/(√v̂ + ε)",
            r"m = \beta_1 m + (1-\beta_1) g,\ v = \beta_2 v + (1-\beta_2) g^2,\ \hat m = \frac{m}{1-\beta_1^t},\ \hat v = \frac{v}{1-\beta_2^t};\ w - \mathrm{lr}\frac{\hat m}{\sqrt{\hat v} + \varepsilon}",
        ),
    ),
}
STATE_KEYS = {
    "momentum": ("velocity",),
    "nesterov": ("velocity", "direction"),
    "adagrad": ("sum_sq",),
    "rmsprop": ("sq_avg",),
    "adam": ("m", "v", "m_hat", "v_hat"),
    "sgd": (),
}


def _v(values: list[float]) -> str:
    return m.vec(values, DIGITS).text if len(values) > 1 else m.fmt_number(values[0], DIGITS)


def solve(spec: OptimSpec) -> Result:
    rows = run(spec, spec.optimizer)
    steps = [
        Step(
            T("Update rule ({o})", "更新规则（{o}）").format(o=spec.optimizer),
            m.sym("w"),
            list(RULES[spec.optimizer]),
            T("lr = {lr}; as torch.optim.{cls} computes it", "lr = {lr}；与 torch.optim.{cls} 的计算一致").format(
                lr=m.fmt_number(spec.lr), cls=_torch_class(spec.optimizer)
            ),
            joiner="←",
        )
    ]
    if spec.f is not None:
        from dlcalc.solvers.grad import show

        steps.append(
            Step(
                T("Gradient of f", "f 的梯度"),
                m.Math("∇f", r"\nabla f"),
                [m.Math("(" + ", ".join(show(d) for d in _partials(spec)) + ")", "")],
            )
        )
    for r in rows:
        state = "; ".join(f"{k} = {_v(r[k])}" for k in STATE_KEYS[spec.optimizer])
        steps.append(
            Step(
                T("Step {t}", "第 {t} 步").format(t=r["step"]),
                m.Math(f"w{r['step']}", f"w_{r['step']}"),
                [m.Math(_v(r["w"]), _v(r["w"]))],
                T("g = {g}{s}{f}", "g = {g}{s}{f}").format(
                    g=_v(r["grad"]),
                    s=f"; {state}" if state else "",
                    f=f"; f = {m.fmt_number(r['f'], DIGITS)}" if r.get("f") is not None else "",
                ),
            )
        )
    cols = [T("step", "步"), T("gradient", "梯度")] + [T(k, k) for k in STATE_KEYS[spec.optimizer]] + [T("w", "w")]
    if spec.f is not None:
        cols.append(T("f(w)", "f(w)"))
    table_rows = [
        [str(r["step"]), _v(r["grad"])]
        + [_v(r[k]) for k in STATE_KEYS[spec.optimizer]]
        + [_v(r["w"])]
        + ([m.fmt_number(r["f"], DIGITS) if r.get("f") is not None else "—"] if spec.f is not None else [])
        for r in rows
    ]
    tables = [Table(cols, table_rows, T("{o}, one row per step", "{o}，每步一行").format(o=spec.optimizer))]
    answer: dict[str, Any] = {
        "optimizer": spec.optimizer,
        "lr": spec.lr,
        "start": list(spec.start),
        "path": [r["w"] for r in rows],
        "final": rows[-1]["w"],
        "history": rows,
    }
    if spec.compare:
        runs = {name: run(spec, name) for name in spec.compare}
        answer["compare"] = {name: [r["w"] for r in rs] for name, rs in runs.items()}
        cmp_cols = [T("step", "步")] + [T(name, name) for name in runs]
        cmp_rows = [[str(t + 1)] + [_v(rs[t]["w"]) for rs in runs.values()] for t in range(spec.steps)]
        tables.append(
            Table(
                cmp_cols,
                cmp_rows,
                T("Side by side: parameters after each step (same lr)", "并列比较：每步后的参数（相同 lr）"),
            )
        )
    summary = [
        (T("Optimizer", "优化器"), f"{spec.optimizer} (lr = {m.fmt_number(spec.lr)})"),
        (T("Start → end", "起点 → 终点"), f"{_v(list(spec.start))} → {_v(rows[-1]['w'])} after {spec.steps} step(s)"),
    ]
    if spec.f is not None:
        summary.insert(0, (T("Function", "函数"), spec.f_text))
    return Result("optim", T("Optimizer steps", "优化器迭代"), answer, summary, steps, tables, spec=spec)


def _torch_class(name: str) -> str:
    return {
        "sgd": "SGD",
        "momentum": "SGD",
        "nesterov": "SGD",
        "adagrad": "Adagrad",
        "rmsprop": "RMSprop",
        "adam": "Adam",
    }[name]
