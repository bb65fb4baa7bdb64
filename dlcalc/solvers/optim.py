"""Optimizer update steps, exactly as torch.optim computes them (same names, same defaults).

    sgd       w ← w - lr·g
    momentum  b ← μ·b + g  (b = g on the first step),  w ← w - lr·b                (SGD, momentum=μ)
    nesterov  b as momentum,  w ← w - lr·(g + μ·b)                                  (SGD, nesterov=True)
    adagrad   s ← s + g²,  w ← w - lr·g/(√s + ε)                                   (eps 1e-10)
    rmsprop   v ← α·v + (1 - α)·g²,  w ← w - lr·g/(√v + ε)                          (alpha 0.99, eps 1e-8)
    adam      m ← β1·m + (1 - β1)·g,  v ← β2·v + (1 - β2)·g²,
              m̂ = m/(1 - β1ᵗ),  v̂ = v/(1 - β2ᵗ),  w ← w - lr·m̂/(√v̂ + ε)             (betas 0.9, 0.999; eps 1e-8)
    adamw     w ← w·(1 - lr·λ) first (decoupled weight decay), then adam's steps with g  (weight_decay 0.01)
weight decay λ (--weight-decay): for sgd, momentum, nesterov, adagrad, rmsprop and adam it is L2 in
the gradient, g ← g + λ·w, before the rule (torch's weight_decay); adamw shrinks w itself instead.
g is the gradient of --f at the current point, or the t-th row of a given gradient sequence. The
function is compiled once (symbolic.Program: reverse-mode gradient in float64 with domain checks),
so 10,000 steps over 8 variables cost a loop each, never a symbolic evaluation per step. Where f
or its gradient has no real value: at the start, exit 2; later, the run stops there with a note.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_int, parse_matrix, parse_number, parse_vector
from dlcalc.result import Result, Step, Table
from dlcalc.text import T, Text

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.1, "nesterov": 0.1, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.1, "adamw": 0.1}
FIELDS = {
    "f", "grads", "optimizer", "lr", "start", "steps", "momentum", "betas", "eps", "alpha", "vars", "compare",
    "weight_decay",
}  # fmt: skip
DIGITS = 6


@dataclass(frozen=True)
class OptimSpec:
    optimizer: str
    lr: float
    start: tuple[float, ...]
    steps: int
    f: Any = None  # a sympy expression (for the printed gradient), or None with given gradients
    f_text: str | None = None
    names: tuple[str, ...] = ()
    grads: tuple[tuple[float, ...], ...] | None = None
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float | None = None
    alpha: float = 0.99
    compare: tuple[str, ...] = ()
    tree: tuple | None = None  # the function as typed, compiled once for the numbers
    weight_decay: float | None = None  # λ; None: torch's default (0.01 for adamw, 0 otherwise)

    def decay(self, optimizer: str) -> float:
        if self.weight_decay is not None:
            return self.weight_decay
        return 0.01 if optimizer == "adamw" else 0.0

    @property
    def epsilon(self) -> float:
        if self.eps is not None:
            return self.eps
        return 1e-10 if self.optimizer == "adagrad" else 1e-8


SOLVER = Solver(
    name="optim",
    help=T(
        "Worked steps of SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam and AdamW, as torch.optim computes them.",
        "按 torch.optim 的算法逐步计算 SGD、动量、Nesterov、AdaGrad、RMSProp、Adam 与 AdamW。",
    ),
    example='dlcalc optim --function "w^2 + 3*w" --optimizer adam --lr 0.1 --start 1 --steps 3',
    inputs=(
        Input(
            "f",
            help=T(
                'The function to minimize, e.g. "w^2 + 3*w" or "x^2 + 10*y^2".',
                '要最小化的函数，例如 "w^2 + 3*w" 或 "x^2 + 10*y^2"。',
            ),
            flag="--function",
            aliases=("--f",),
            metavar="EXPR",
        ),
        Input(
            "grads",
            help=T(
                'Or a gradient per step: "0.5; -0.2; 0.1" (rows: steps).',
                '或逐步给出梯度："0.5; -0.2; 0.1"（每行一步）。',
            ),
            metavar="MATRIX",
        ),
        Input(
            "optimizer",
            help=T("The update rule (torch.optim's).", "更新规则（同 torch.optim）。"),
            choices=OPTIMIZERS,
            default="sgd",
        ),
        Input(
            "lr",
            help=T("Learning rate.", "学习率。"),
            metavar="NUMBER",
            shown_default=T("0.1; 0.01 for rmsprop", "0.1；rmsprop 为 0.01"),
        ),
        Input(
            "start",
            help=T('Starting point, e.g. "1,2".', '起点，例如 "1,2"。'),
            metavar="LIST",
            shown_default=T("zeros", "全零"),
        ),
        Input(
            "steps",
            help=T("Number of steps.", "迭代步数。"),
            metavar="N",
            shown_default=T("5, or one per gradient", "5，或每个梯度一步"),
        ),
        Input(
            "momentum", help=T("μ for momentum/nesterov.", "momentum/nesterov 的 μ。"), metavar="NUMBER", default="0.9"
        ),
        Input("betas", help=T("Adam's β1,β2.", "Adam 的 β1,β2。"), metavar="B1,B2", default="0.9,0.999"),
        Input(
            "eps",
            help=T("ε.", "ε。"),
            metavar="NUMBER",
            shown_default=T("torch's: 1e-10 adagrad, 1e-8 otherwise", "同 torch：adagrad 为 1e-10，其余为 1e-8"),
        ),
        Input("alpha", help=T("RMSProp's smoothing α.", "RMSProp 的平滑系数 α。"), metavar="NUMBER", default="0.99"),
        Input(
            "weight_decay",
            help=T(
                "λ: L2 in the gradient (g + λ·w) for every rule, decoupled (w·(1 − lr·λ)) for adamw, as torch.optim.",
                "λ：除 adamw 外加在梯度上（g + λ·w），adamw 为解耦衰减（w·(1 − lr·λ)），同 torch.optim。",
            ),
            metavar="NUMBER",
            shown_default=T("0; 0.01 for adamw", "0；adamw 为 0.01"),
        ),
        Input(
            "vars",
            help=T("Order of the variables, e.g. x,y.", "变量顺序，例如 x,y。"),
            metavar="NAMES",
            shown_default=T("sorted", "按字母序"),
        ),
        Input(
            "compare",
            help=T('Run several side by side: "sgd,momentum,adam".', '并排比较多种优化器："sgd,momentum,adam"。'),
            metavar="NAMES",
        ),
    ),
    file=True,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> OptimSpec:
    only_keys(inputs, FIELDS, "optim")
    opt, compare = _optimizers(inputs)
    f, f_text, tree, names, grads = _function_or_gradients(inputs)
    start, steps = _start_and_steps(inputs, names, grads)
    lr, momentum, betas, eps, alpha, weight_decay = _hyperparameters(inputs, opt)
    return OptimSpec(
        opt, lr, start, steps, f, f_text, names, grads, momentum, betas, eps, alpha, compare, tree, weight_decay
    )


def _optimizers(inputs: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The rule worked out, and the rules run beside it (--compare)."""
    opt = str(inputs.get("optimizer") or "sgd").strip().lower()
    if opt not in OPTIMIZERS:
        raise DlcalcError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {opt!r}")
    compare: tuple[str, ...] = ()
    if inputs.get("compare"):
        raw = inputs["compare"]
        items = raw if isinstance(raw, (list, tuple)) else str(raw).replace(";", ",").split(",")
        compare = tuple(dict.fromkeys(str(s).strip().lower() for s in items if str(s).strip()))
        for c in compare:
            if c not in OPTIMIZERS:
                raise DlcalcError(f"compare: unknown optimizer {c!r} (expected {', '.join(OPTIMIZERS)})")
    return opt, compare


def _function_or_gradients(inputs: Mapping[str, Any]) -> tuple[Any, str | None, Any, tuple[str, ...], Any]:
    """Where the gradients come from: f (parsed, with its variables in order) or the given rows."""
    if inputs.get("f") is not None and inputs.get("grads") is not None:
        raise DlcalcError("optim: give either --function (a function) or --grads (a gradient sequence), not both")
    if inputs.get("grads") is not None:
        grads = tuple(tuple(float(v) for v in row) for row in parse_matrix(inputs["grads"], "grads"))
        return None, None, None, (), grads
    if inputs.get("f") is None:
        raise DlcalcError('optim: give --function "w^2 + 3*w" or --grads "0.5; -0.2"')
    from dlcalc.parse.expr import NAME, parse_tree, to_sympy, variables

    f_text = str(inputs["f"])
    tree = parse_tree(f_text, "--function")
    found = sorted(variables(tree))
    names = tuple(str(n).strip() for n in str(inputs["vars"]).split(",")) if inputs.get("vars") else tuple(found)
    if not names or not all(names):
        raise DlcalcError("--function: the function has no variable to optimize")
    for n in names:
        if not NAME.fullmatch(n):
            raise DlcalcError(f"--vars: {n!r} is not a variable name")
    missing = set(found) - set(names)
    if missing:
        raise DlcalcError(f"--vars: the function also uses {', '.join(sorted(missing))}")
    return to_sympy(tree), f_text, tree, names, None


def _start_and_steps(inputs: Mapping[str, Any], names: tuple[str, ...], grads: Any) -> tuple[tuple[float, ...], int]:
    """The starting point (one value per parameter) and how many steps to take."""
    width = len(grads[0]) if grads is not None else len(names)  # grads is None exactly when f is given
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
    return start, steps


def _hyperparameters(
    inputs: Mapping[str, Any], opt: str
) -> tuple[float, float, tuple[float, float], float | None, float, float | None]:
    """lr, μ, (β1, β2), ε, α and λ, each checked for its range."""
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
    weight_decay = (
        float(parse_number(inputs["weight_decay"], "weight_decay")) if inputs.get("weight_decay") is not None else None
    )
    if weight_decay is not None and weight_decay < 0:
        raise DlcalcError(
            T("weight_decay: must not be negative, got {v}", "weight_decay：不能为负，得到 {v}").format(v=weight_decay)
        )
    return lr, momentum, betas, eps, alpha, weight_decay


class Stopped(Exception):
    """The function or its gradient has no real value at the current point (mid-run: a stop note)."""

    def __init__(self, step: int, w: list[float], reason: Any):
        super().__init__(reason.en)
        self.step, self.w, self.reason = step, w, reason


def _program(spec: OptimSpec):
    from dlcalc.solvers.grad import program

    return program(spec.tree)


def gradient(spec: OptimSpec, w: list[float], t: int) -> list[float]:
    """g at step t: the given row, or ∇f at w from the compiled program (one reverse pass)."""
    if spec.grads is not None:
        return list(spec.grads[t - 1])
    from dlcalc.solvers.symbolic import Undefined

    env = dict(zip(spec.names, w))
    try:
        _, grads = _program(spec).gradient(env)
    except Undefined as e:
        if e.overflow:
            raise DlcalcError(
                f"optim: the gradient overflows at step {t} ({_point(spec, w)}); try a smaller --lr"
            ) from None
        raise Stopped(t, w, e.reason) from None
    return [float(grads.get(n, 0.0)) for n in spec.names]


def _point(spec: OptimSpec, w: list[float]) -> str:
    names = spec.names or tuple(f"w{i + 1}" for i in range(len(w)))
    return ", ".join(f"{n} = {m.fmt_number(v, DIGITS)}" for n, v in zip(names, w))


def _partials(spec: OptimSpec) -> list:
    return _gradient_of(spec.f, spec.names)


@functools.cache
def _gradient_of(f: Any, names: tuple[str, ...]) -> list:
    """∂f/∂name for each parameter, symbolically (only for the printed steps)."""
    import sympy

    symbols = {s.name: s for s in f.free_symbols}
    return [sympy.diff(f, symbols[n]) if n in symbols else sympy.Integer(0) for n in names]


def run(spec: OptimSpec, optimizer: str) -> tuple[list[dict[str, Any]], Stopped | None]:
    """Every step's gradient, state and new parameters; a Stopped when f became undefined mid-run."""
    w = list(spec.start)
    state: dict[str, Any] = {"b": None, "s": [0.0] * len(w), "m": [0.0] * len(w), "v": [0.0] * len(w)}
    out: list[dict[str, Any]] = []
    for t in range(1, spec.steps + 1):
        try:
            g = gradient(spec, w, t)
        except Stopped as stop:
            if t == 1:
                raise DlcalcError(
                    f"--function: {spec.f_text} or its gradient is undefined at the start ({_point(spec, w)}): {stop.reason.en}"
                ) from None
            return out, stop
        row: dict[str, Any] = {"step": t, "w_before": w, "grad": g}
        w, g = _weight_decay(spec, optimizer, row, w, g)
        w = _update(spec, optimizer, state, row, w, g)
        if any(not math.isfinite(x) for x in w):
            raise DlcalcError(
                f"optim: {optimizer} diverged at step {t} (parameters became infinite); try a smaller --lr"
            )
        row["w"] = w
        if spec.f is not None:
            from dlcalc.solvers.symbolic import Undefined

            try:
                row["f"] = float(_program(spec).value(dict(zip(spec.names, w))))
            except Undefined:
                row["f"] = None
        out.append(row)
    return out, None


def _weight_decay(
    spec: OptimSpec, optimizer: str, row: dict[str, Any], w: list[float], g: list[float]
) -> tuple[list[float], list[float]]:
    """λ applied before the rule: adamw shrinks w (decoupled), every other rule adds λ·w to g (L2)."""
    decay = spec.decay(optimizer)
    if decay and optimizer == "adamw":  # decoupled: shrink w, the gradient stays as it is
        w = [wi * (1 - spec.lr * decay) for wi in w]
        row["w_decayed"] = w
    elif decay:  # L2 in the gradient, as torch.optim's weight_decay
        g = [gi + decay * wi for gi, wi in zip(g, w)]
        row["grad_l2"] = g
    return w, g


# adagrad and rmsprop differ only in how the squared gradient accumulates: (state key, row key)
SQUARED = {"adagrad": ("s", "sum_sq"), "rmsprop": ("v", "sq_avg")}


def _update(
    spec: OptimSpec, optimizer: str, state: dict[str, Any], row: dict[str, Any], w: list[float], g: list[float]
) -> list[float]:
    """One step of the rule: the state updated in place, its values recorded in row; the new w."""
    t, eps = row["step"], spec.eps if spec.eps is not None else (1e-10 if optimizer == "adagrad" else 1e-8)
    if optimizer == "sgd":
        return [wi - spec.lr * gi for wi, gi in zip(w, g)]
    if optimizer in ("momentum", "nesterov"):
        row["velocity_before"] = state["b"]
        b = g[:] if state["b"] is None else [spec.momentum * bi + gi for bi, gi in zip(state["b"], g)]
        state["b"] = b
        direction = b if optimizer == "momentum" else [gi + spec.momentum * bi for gi, bi in zip(g, b)]
        row.update(velocity=b, direction=direction)
        return [wi - spec.lr * d for wi, d in zip(w, direction)]
    if optimizer in SQUARED:  # s ← s + g² (adagrad) or v ← α·v + (1 - α)·g² (rmsprop); w ← w - lr·g/(√s + ε)
        key, name = SQUARED[optimizer]
        row[name + "_before"], a = state[key], spec.alpha
        if optimizer == "adagrad":
            state[key] = [si + gi * gi for si, gi in zip(state[key], g)]
        else:
            state[key] = [a * vi + (1 - a) * gi * gi for vi, gi in zip(state[key], g)]
        row[name] = state[key][:]
        return [wi - spec.lr * gi / (math.sqrt(si) + eps) for wi, gi, si in zip(w, g, state[key])]
    b1, b2 = spec.betas  # adam, adamw
    row.update(m_before=state["m"], v_before=state["v"])
    state["m"] = [b1 * mi + (1 - b1) * gi for mi, gi in zip(state["m"], g)]
    state["v"] = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(state["v"], g)]
    m_hat = [mi / (1 - b1**t) for mi in state["m"]]
    v_hat = [vi / (1 - b2**t) for vi in state["v"]]
    row.update(m=state["m"][:], v=state["v"][:], m_hat=m_hat, v_hat=v_hat)
    return [wi - spec.lr * mh / (math.sqrt(vh) + eps) for wi, mh, vh in zip(w, m_hat, v_hat)]


# The symbols of the update rules, as torch.optim's documentation writes them.
W, G, B, S, V, M = (m.sym(n) for n in "wgbsvm")
LR, MU, EPS, ALPHA, LAMBDA = m.sym("lr", r"\mathrm{lr}"), m.sym("μ"), m.sym("ε"), m.sym("α"), m.sym("λ")
BETA1, BETA2 = m.sym("β1", r"\beta_{1}"), m.sym("β2", r"\beta_{2}")
M_HAT, V_HAT = m.sym("m̂", r"\hat{m}"), m.sym("v̂", r"\hat{v}")
BETA1_T, BETA2_T = m.sym("β1ᵗ", r"\beta_{1}^{t}"), m.sym("β2ᵗ", r"\beta_{2}^{t}")

# Each rule line: (key, symbol updated, joiner, right-hand side). ← updates a state; = defines a value.
Rule = tuple[str, m.Math, str, m.Math]
ADAM: list[Rule] = [
    ("m", M, "←", BETA1 * M + (1 - BETA1) * G),
    ("v", V, "←", BETA2 * V + (1 - BETA2) * m.squared(G)),
    ("m̂", M_HAT, "=", m.frac(M, 1 - BETA1_T)),
    ("v̂", V_HAT, "=", m.frac(V, 1 - BETA2_T)),
    ("w", W, "←", W - m.frac(LR * M_HAT, m.sqrt(V_HAT) + EPS)),
]
VELOCITY: Rule = ("b", B, "←", MU * B + G)
RULES: dict[str, list[Rule]] = {
    "sgd": [("w", W, "←", W - LR * G)],
    "momentum": [VELOCITY, ("w", W, "←", W - LR * B)],
    "nesterov": [VELOCITY, ("w", W, "←", W - LR * (G + MU * B))],
    "adagrad": [("s", S, "←", S + m.squared(G)), ("w", W, "←", W - m.frac(LR * G, m.sqrt(S) + EPS))],
    "rmsprop": [
        ("v", V, "←", ALPHA * V + (1 - ALPHA) * m.squared(G)),
        ("w", W, "←", W - m.frac(LR * G, m.sqrt(V) + EPS)),
    ],
    "adam": ADAM,
    "adamw": [("w", W, "←", W * (1 - LR * LAMBDA)), *ADAM],  # adam's rule after the decoupled shrink
}
L2_RULE: Rule = ("g", G, "←", G + LAMBDA * W)  # torch's weight_decay for every rule but adamw's


def rules(optimizer: str, decay: float) -> list[Rule]:
    """The update rule's lines; with weight decay, the L2 term first (adamw: its decoupled shrink)."""
    if optimizer == "adamw":
        return RULES["adamw"] if decay else RULES["adam"]
    return ([L2_RULE] if decay else []) + RULES[optimizer]


STATE_KEYS = {
    "momentum": ("velocity",),
    "nesterov": ("velocity", "direction"),
    "adagrad": ("sum_sq",),
    "rmsprop": ("sq_avg",),
    "adam": ("m", "v", "m_hat", "v_hat"),
    "adamw": ("m", "v", "m_hat", "v_hat"),
    "sgd": (),
}
WORKED = 5  # steps worked out in full (and the last one); the table has every step


def _v(values: list[float]) -> str:
    return m.vec(values, DIGITS).text if len(values) > 1 else m.fmt_number(values[0], DIGITS)


def _n(values: list[float]) -> m.Math:
    """A parameter (or vector of them) as a formula; a negative number is parenthesised in products."""
    return m.vec(values, DIGITS) if len(values) > 1 else m.num(values[0], DIGITS)


def _c(value: float) -> m.Math:
    return m.num(value, DIGITS)


def _rule_head(rule: Rule) -> m.Math:
    _, name, joiner, rhs = rule
    return m.rel(name, joiner, rhs)


def _worked(spec: OptimSpec, optimizer: str, r: dict[str, Any]) -> list[Step]:
    """Step t written out: the gradient, then each update with the numbers put in."""
    then = T("step {t}, continued", "第 {t} 步（续）").format(t=r["step"])
    lines = rules(optimizer, spec.decay(optimizer))
    steps = [_gradient_step(spec, r)]

    def line(key: str, chain: list[m.Math], first: bool = False) -> None:
        rule = next(rule for rule in (lines if first else lines[::-1]) if rule[0] == key)  # w: the rule's last line
        steps.append(Step(then, _rule_head(rule), chain))

    w0 = _decay_lines(spec, optimizer, r, line)
    _update_lines(spec, optimizer, r, w0, line)
    if r.get("f") is not None:
        steps[-1].note = T("f = {f}", "f = {f}").format(f=m.fmt_number(r["f"], DIGITS))
    return steps


def _gradient_step(spec: OptimSpec, r: dict[str, Any]) -> Step:
    """g at this step: ∇f with the point put in, or the given row."""
    return Step(
        T("Step {t}", "第 {t} 步").format(t=r["step"]),
        G,
        _gradient_chain(spec, r),
        T("at {p}", "在 {p} 处").format(p=_point(spec, r["w_before"])) if spec.f is not None else T("given", "已给出"),
    )


def _decay_lines(spec: OptimSpec, optimizer: str, r: dict[str, Any], line: Any) -> m.Math:
    """The weight-decay line with its numbers (L2 into g, or adamw's shrink of w); the w the rule starts from."""
    w0, lam = _n(r["w_before"]), _c(spec.decay(optimizer))
    if "grad_l2" in r:  # L2 in the gradient
        line("g", [_n(r["grad"]) + lam * w0, _n(r["grad_l2"])])
    if "w_decayed" in r:  # adamw: decoupled decay of the weights, before the adam step
        line("w", [w0 * (m.num(1) - _c(spec.lr) * lam), _n(r["w_decayed"])], first=True)
        w0 = _n(r["w_decayed"])
    return w0


def _update_lines(spec: OptimSpec, optimizer: str, r: dict[str, Any], w0: m.Math, line: Any) -> None:
    """The rule's lines with this step's numbers put in."""
    lr, g, t = _c(spec.lr), _n(r.get("grad_l2", r["grad"])), r["step"]
    eps = _c(spec.eps if spec.eps is not None else (1e-10 if optimizer == "adagrad" else 1e-8))
    if optimizer == "sgd":
        line("w", [w0 - lr * g, _n(r["w"])])
    elif optimizer in ("momentum", "nesterov"):
        mu, b = _c(spec.momentum), _n(r["velocity"])
        line("b", [g] if r["velocity_before"] is None else [mu * _n(r["velocity_before"]) + g, b])
        line("w", [w0 - lr * (b if optimizer == "momentum" else g + mu * b), _n(r["w"])])
    elif optimizer in SQUARED:  # adagrad, rmsprop: the squared gradients accumulated, then the scaled step
        key, name = SQUARED[optimizer]
        acc, before = _n(r[name]), _n(r[name + "_before"])
        grown = (
            before + g ** m.num(2)
            if optimizer == "adagrad"
            else _c(spec.alpha) * before + _c(1 - spec.alpha) * g ** m.num(2)
        )
        line(key, [grown, acc])
        line("w", [w0 - lr * m.frac(g, m.sqrt(acc) + eps), _n(r["w"])])
    else:  # adam, adamw
        b1, b2 = (_c(b) for b in spec.betas)
        line("m", [b1 * _n(r["m_before"]) + _c(1 - spec.betas[0]) * g, _n(r["m"])])
        line("v", [b2 * _n(r["v_before"]) + _c(1 - spec.betas[1]) * g ** m.num(2), _n(r["v"])])
        line("m̂", [m.frac(_n(r["m"]), m.num(1) - b1 ** m.num(t)), _n(r["m_hat"])])
        line("v̂", [m.frac(_n(r["v"]), m.num(1) - b2 ** m.num(t)), _n(r["v_hat"])])
        line("w", [w0 - lr * m.frac(_n(r["m_hat"]), m.sqrt(_n(r["v_hat"])) + eps), _n(r["w"])])


def _gradient_chain(spec: OptimSpec, r: dict[str, Any]) -> list:
    if spec.f is None:
        return [_n(r["grad"])]
    from dlcalc.solvers.grad import Lazy, _substituted

    at = dict(zip(spec.names, r["w_before"]))
    parts = [_substituted(d, at) for d in _partials(spec)]
    return [Lazy(lambda: parts[0].math if len(parts) == 1 else m.vec([p.math for p in parts])), _n(r["grad"])]


def solve(spec: OptimSpec) -> Result:
    rows, stop = run(spec, spec.optimizer)
    steps = _rule_steps(spec) + _nabla_steps(spec) + _worked_steps(spec, rows)
    tables = [_history_table(spec, rows)]
    answer: dict[str, Any] = {
        "optimizer": spec.optimizer,
        "lr": spec.lr,
        "weight_decay": spec.decay(spec.optimizer),
        "start": list(spec.start),
        "path": [r["w"] for r in rows],
        "final": rows[-1]["w"],
        "history": [{k: v for k, v in r.items() if not k.endswith("_before")} for r in rows],
    }
    notes = []
    if stop is not None:
        answer["stopped"] = {"step": stop.step, "at": stop.w, "reason": stop.reason.en}
        notes.append(_stop_note(spec, spec.optimizer, stop))
    if spec.compare:
        runs = _comparison_runs(spec, notes)
        answer["compare"] = {name: [r["w"] for r in rs] for name, rs in runs.items()}
        tables.append(_comparison_table(runs))
    summary = _summary(spec, rows)
    return Result("optim", T("Optimizer steps", "优化器迭代"), answer, summary, steps, tables, notes=notes, spec=spec)


def _rule_steps(spec: OptimSpec) -> list[Step]:
    """The update rule, a line a step, the last with lr (and λ) and torch's class."""
    decay = spec.decay(spec.optimizer)
    lines = rules(spec.optimizer, decay)
    steps = []
    for i, rule in enumerate(lines):
        if i == len(lines) - 1:
            note: Any = T("lr = {lr}{wd}; as torch.optim.{cls} computes it", "lr = {lr}{wd}；与 torch.optim.{cls} 的计算一致").format(
                lr=m.fmt_number(spec.lr), cls=_torch_class(spec.optimizer),
                wd=f", λ = weight_decay = {m.fmt_number(decay)}" if decay else "",
            )  # fmt: skip
        elif rule[0] == "b":
            note = T("b = g at step 1 (torch's convention)", "第 1 步 b = g（torch 的约定）")
        else:
            note = _decay_note(spec.optimizer) if rule[0] in ("g", "w") and i == 0 and decay else None
        label = T("Update rule ({o})", "更新规则（{o}）").format(o=spec.optimizer) if i == 0 else T("then", "然后")
        steps.append(Step(label, _rule_head(rule), [], note))
    return steps


def _nabla_steps(spec: OptimSpec) -> list[Step]:
    """g = ∇f, symbolically (none when the gradients are given)."""
    if spec.f is None:
        return []
    from dlcalc.solvers.grad import Lazy

    def nabla() -> m.Math:
        ds = [_expression(d) for d in _partials(spec)]
        return ds[0] if len(ds) == 1 else m.vec(ds)

    return [Step(T("Gradient of f", "f 的梯度"), m.rel(G, "=", m.sym("∇f")), [Lazy(nabla)])]  # type: ignore[list-item]  # Lazy is a duck-typed Math


def _worked_steps(spec: OptimSpec, rows: list[dict[str, Any]]) -> list[Step]:
    """The first WORKED steps and the last in full; a line saying the ones between follow the rule."""
    steps: list[Step] = []
    for r in rows:
        if r["step"] <= WORKED or r is rows[-1]:
            if r["step"] == len(rows) and len(rows) > WORKED + 1:
                between = T("Steps {a}–{b}", "第 {a}–{b} 步").format(a=WORKED + 1, b=len(rows) - 1)
                steps.append(
                    Step(between, None, [], T("the same rule; every step is in the table", "规则相同；每一步见表格"))
                )
            steps.extend(_worked(spec, spec.optimizer, r))
    return steps


def _history_table(spec: OptimSpec, rows: list[dict[str, Any]]) -> Table:
    """One row per step: the gradient, the rule's state, w and f(w)."""
    keys = STATE_KEYS[spec.optimizer]
    cols = [T("step", "步"), T("gradient", "梯度")] + [T(k, k) for k in keys] + [T("w", "w")]
    if spec.f is not None:
        cols.append(T("f(w)", "f(w)"))
    table_rows = [
        [str(r["step"]), _v(r["grad"])]
        + [_v(r[k]) for k in keys]
        + [_v(r["w"])]
        + ([m.fmt_number(r["f"], DIGITS) if r.get("f") is not None else "—"] if spec.f is not None else [])
        for r in _shown(rows)
    ]
    return Table(cols, table_rows, T("{o}, one row per step", "{o}，每步一行").format(o=spec.optimizer))


def _comparison_runs(spec: OptimSpec, notes: list) -> dict[str, list[dict[str, Any]]]:
    """Each --compare rule run from the same start with the same lr (a stop noted)."""
    runs = {}
    for name in spec.compare:
        path, other_stop = run(spec, name)
        runs[name] = path
        if other_stop is not None and name != spec.optimizer:
            notes.append(_stop_note(spec, name, other_stop))
    return runs


def _comparison_table(runs: dict[str, list[dict[str, Any]]]) -> Table:
    cmp_cols = [T("step", "步")] + [T(name, name) for name in runs]
    longest = max(len(rs) for rs in runs.values())
    cmp_rows = [
        [str(t + 1)] + [_v(rs[t]["w"]) if t < len(rs) else "—" for rs in runs.values()] for t in _shown_indices(longest)
    ]
    return Table(
        cmp_cols, cmp_rows, T("Side by side: parameters after each step (same lr)", "并列比较：每步后的参数（相同 lr）")
    )


def _summary(spec: OptimSpec, rows: list[dict[str, Any]]) -> list[tuple[Text, Text | str]]:
    decay = spec.decay(spec.optimizer)
    summary: list[tuple[Text, Text | str]] = [
        (
            T("Optimizer", "优化器"),
            f"{spec.optimizer} (lr = {m.fmt_number(spec.lr)}"
            + (f", weight_decay = {m.fmt_number(decay)})" if decay else ")"),
        ),
        (
            T("Start → end", "起点 → 终点"),
            T("{a} → {b} after {n} step(s)", "{a} → {b}（{n} 步后）").format(
                a=_v(list(spec.start)), b=_v(rows[-1]["w"]), n=len(rows)
            ),
        ),
    ]
    if spec.f is not None:
        assert spec.f_text is not None  # given with f
        summary.insert(0, (T("Function", "函数"), spec.f_text))
    return summary


TABLE_HEAD, TABLE_TAIL = 20, 5


def _shown_indices(n: int) -> list[int]:
    """Every row of a short run; the first 20 and the last 5 of a long one (--json has all)."""
    if n <= TABLE_HEAD + TABLE_TAIL:
        return list(range(n))
    return list(range(TABLE_HEAD)) + list(range(n - TABLE_TAIL, n))


def _shown(rows: list) -> list:
    return [rows[i] for i in _shown_indices(len(rows))]


def _stop_note(spec: OptimSpec, name: str, stop: Stopped) -> Any:
    return T(
        "{o} stopped before step {t}: f or its gradient is undefined at {p} ({r})",
        "{o} 在第 {t} 步前停止：f 或其梯度在 {p} 处无定义（{r}）",
    ).format(o=name, t=stop.step, p=_point(spec, stop.w), r=stop.reason.en)


def _expression(expr: Any) -> m.Math:
    """A sympy expression as a formula: the text dlcalc prints for it, and its LaTeX."""
    from dlcalc.solvers.symbolic import latex, show

    return m.Math(show(expr), latex(expr))


def _torch_class(name: str) -> str:
    return {
        "sgd": "SGD",
        "momentum": "SGD",
        "nesterov": "SGD",
        "adagrad": "Adagrad",
        "rmsprop": "RMSprop",
        "adam": "Adam",
        "adamw": "AdamW",
    }[name]


def _decay_note(optimizer: str) -> Any:
    if optimizer == "adamw":
        return T(
            "decoupled weight decay (AdamW): w shrinks by lr·λ·w on its own, the gradient in m and v is f's alone",
            "解耦的权重衰减（AdamW）：w 自身按 lr·λ·w 缩小，m 与 v 中只用 f 的梯度",
        )
    return T(
        "weight decay as torch.optim applies it: L2 in the gradient (the gradient of f + (λ/2)·‖w‖²), before the rule",
        "torch.optim 的权重衰减：L2 项加入梯度（即 f + (λ/2)·‖w‖² 的梯度），再套用更新规则",
    )
