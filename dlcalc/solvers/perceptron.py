"""Rosenblatt's perceptron trained by hand: samples in order, epoch after epoch, until a clean pass.

Two textbook forms of the update:

  error rule (Rosenblatt, Haykin; Hagan's hardlim):  o = f(w·x + b),  w ← w + η(d - o)x,  b ← b + η(d - o)
  misclassified rule (李航《统计学习方法》):          if y(w·x + b) ≤ 0:  w ← w + ηyx,  b ← b + ηy

f is sgn with outputs ±1, or the step function with outputs 0/1; its value at 0 is a convention
(`sign0`). With `bias=False` the samples carry their own constant input (the augmented form).
Exact fractions throughout when the input is exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_bool, parse_int, parse_matrix, parse_number, parse_vector
from dlcalc.result import Result, Step, Table
from dlcalc.text import T, Text

FIELDS = {"x", "y", "lr", "w0", "b0", "rule", "bias", "outputs", "sign0", "max_epochs"}
RULES = ("error", "misclassified")


@dataclass(frozen=True)
class PerceptronSpec:
    x: tuple[tuple[Fraction, ...], ...]
    y: tuple[Fraction, ...]
    lr: Fraction
    w0: tuple[Fraction, ...]
    b0: Fraction | None  # None: no separate bias (augmented inputs)
    rule: str = "error"
    outputs: str = "pm1"  # "pm1": sgn in {-1, +1};  "01": step in {0, 1}
    sign0: int = 1
    max_epochs: int = 100


@dataclass
class Presentation:
    epoch: int
    sample: int
    net: Fraction
    output: Fraction | None  # the perceptron's output (error rule); None for the misclassified rule
    target: Fraction
    updated: bool
    delta_w: tuple[Fraction, ...]
    delta_b: Fraction | None
    w: tuple[Fraction, ...]
    b: Fraction | None


@dataclass
class Training:
    history: list[Presentation] = field(default_factory=list)
    converged: bool = False
    epochs: int = 0
    cycle_from: int | None = None


SOLVER = Solver(
    name="perceptron",
    help=T(
        "Train a perceptron by hand: every presented sample, every update, until a clean pass.",
        "手算训练感知机：逐个样本、逐次更新，直到一整轮无错。",
    ),
    example='dlcalc perceptron --samples "3,3; 4,3; 1,1" --labels "1,1,-1" --rule misclassified',
    inputs=(
        Input(
            "x",
            help=T('Samples, one per row: "3,3; 4,3; 1,1".', '样本，每行一个："3,3; 4,3; 1,1"。'),
            flag="--samples",
            aliases=("--x",),
            metavar="MATRIX",
        ),
        Input(
            "y",
            help=T('Labels: "1,1,-1" (or 0/1 with --outputs 01).', '标签："1,1,-1"（配合 --outputs 01 时用 0/1）。'),
            flag="--labels",
            aliases=("--y",),
            metavar="LIST",
        ),
        Input("lr", help=T("Learning rate η.", "学习率 η。"), metavar="NUMBER", default=1),
        Input(
            "w0",
            help=T('Initial weights, e.g. "0,0".', '初始权重，例如 "0,0"。'),
            metavar="LIST",
            shown_default=T("zeros", "全零"),
        ),
        Input("b0", help=T("Initial bias.", "初始偏置。"), metavar="NUMBER", default=0),
        Input(
            "rule",
            help=T(
                "error: w += η(d-o)x;  misclassified: if y(w·x+b) ≤ 0, w += ηyx.",
                "error：w += η(d-o)x；misclassified：若 y(w·x+b) ≤ 0，则 w += ηyx。",
            ),
            choices=RULES,
            default="error",
        ),
        Input(
            "bias",
            help=T(
                "No separate bias: the samples already hold a constant input.", "不单独设偏置：样本中已含常数输入。"
            ),
            flag="--no-bias",
            switch=True,
            on=False,
        ),
        Input(
            "outputs",
            help=T("Output values: pm1 (sgn, ±1) or 01 (step).", "输出取值：pm1（符号函数，±1）或 01（阶跃）。"),
            choices=("pm1", "01"),
            default="pm1",
        ),
        Input(
            "sign0",
            help=T("The output when w·x + b = 0: 1, -1 or 0.", "w·x + b = 0 时的输出：1、-1 或 0。"),
            metavar="N",
            default=1,
        ),
        Input("max_epochs", help=T("Give up after this many passes.", "最多训练的轮数。"), metavar="N", default=100),
    ),
    file=True,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> PerceptronSpec:
    only_keys(inputs, FIELDS, "perceptron")
    x, y = _samples(inputs)
    rule, outputs = _rule_and_outputs(inputs, y)
    w0, b0 = _initial_weights(inputs, len(x[0]))
    sign0, lr, max_epochs = _training_settings(inputs, outputs)
    return PerceptronSpec(
        x=tuple(tuple(r) for r in x),
        y=tuple(y),
        lr=lr,
        w0=tuple(w0),
        b0=b0,
        rule=rule,
        outputs=outputs,
        sign0=sign0,
        max_epochs=max_epochs,
    )


def _samples(inputs: Mapping[str, Any]) -> tuple[list, list]:
    """The samples (one per row) and a label for each."""
    for key in ("x", "y"):
        if inputs.get(key) is None:
            flag = "--samples" if key == "x" else "--labels"
            raise DlcalcError(
                T(
                    f'perceptron: {flag} is missing (e.g. --samples "3,3; 4,3; 1,1" --labels "1,1,-1")',
                    f'perceptron：缺少 {flag}（例如 --samples "3,3; 4,3; 1,1" --labels "1,1,-1"）',
                )
            )
    x = parse_matrix(inputs["x"], "x")
    y = parse_vector(inputs["y"], "y")
    if len(x) != len(y):
        if len(x) == 1 and len(x[0]) == len(y):  # one number per sample, written on one row
            x = [[v] for v in x[0]]
        else:
            raise DlcalcError(f"y: {len(y)} labels for {len(x)} samples")
    return x, y


def _rule_and_outputs(inputs: Mapping[str, Any], y: list) -> tuple[str, str]:
    """The update rule and the output values (±1 or 0/1), which the labels must use."""
    rule = str(inputs.get("rule") or "error").strip().lower()
    if rule not in RULES:
        raise DlcalcError(f"rule: expected error or misclassified, got {rule!r}")
    outputs = str(inputs.get("outputs") or "pm1").strip().lower().replace("±1", "pm1").replace("-1,1", "pm1")
    if outputs not in ("pm1", "01"):
        raise DlcalcError(f"outputs: expected pm1 (±1) or 01, got {inputs.get('outputs')!r}")
    allowed = {Fraction(-1), Fraction(1)} if outputs == "pm1" else {Fraction(0), Fraction(1)}
    for i, label in enumerate(y, 1):
        if label not in allowed:
            shown = "-1 or 1" if outputs == "pm1" else "0 or 1 (--outputs 01)"
            raise DlcalcError(f"y: label {i} is {m.fmt_number(label)}; expected {shown}")
    if rule == "misclassified" and outputs != "pm1":
        raise DlcalcError("rule: the misclassified rule needs labels ±1 (drop --outputs 01)")
    return rule, outputs


def _initial_weights(inputs: Mapping[str, Any], n: int) -> tuple[list, Fraction | None]:
    """w0 (one weight per input) and b0, None when there is no separate bias (--no-bias)."""
    w0 = parse_vector(inputs["w0"], "w0") if inputs.get("w0") is not None else [Fraction(0)] * n
    if len(w0) != n:
        raise DlcalcError(f"w0: {len(w0)} weights for {n} inputs per sample")
    bias = parse_bool(inputs.get("bias", True), "bias")
    b0 = parse_number(inputs["b0"], "b0") if inputs.get("b0") is not None else Fraction(0)
    if not bias and inputs.get("b0") not in (None, 0, "0"):
        raise DlcalcError("b0: there is no separate bias with --no-bias (put the constant input in x)")
    return w0, b0 if bias else None


def _training_settings(inputs: Mapping[str, Any], outputs: str) -> tuple[int, Fraction, int]:
    """The output at w·x + b = 0, the learning rate and the epoch limit."""
    sign0 = parse_int(inputs.get("sign0", 1), "sign0")
    if sign0 not in ((1, -1, 0) if outputs == "pm1" else (1, 0)):
        raise DlcalcError(f"sign0: expected {'1, -1 or 0' if outputs == 'pm1' else '1 or 0'}, got {sign0}")
    lr = parse_number(inputs.get("lr", 1), "lr")
    if lr <= 0:
        raise DlcalcError(f"lr: must be positive, got {m.fmt_number(lr)}")
    max_epochs = parse_int(inputs.get("max_epochs", 100), "max_epochs")
    if not 1 <= max_epochs <= 10000:
        raise DlcalcError(f"max_epochs: expected 1 to 10000, got {max_epochs}")
    return sign0, lr, max_epochs


def activation(net: Fraction, spec: PerceptronSpec) -> Fraction:
    """sgn / step with the chosen value at 0."""
    if net > 0:
        return Fraction(1)
    if net < 0:
        return Fraction(-1 if spec.outputs == "pm1" else 0)
    return Fraction(spec.sign0)


def train(spec: PerceptronSpec) -> Training:
    w, b = spec.w0, spec.b0
    run = Training()
    seen: dict[tuple, int] = {}
    for epoch in range(1, spec.max_epochs + 1):
        state = (w, b)
        if state in seen:
            run.cycle_from = seen[state]
            break
        seen[state] = epoch
        run.epochs = epoch
        updates = 0
        for i, (x, y) in enumerate(zip(spec.x, spec.y), 1):
            net = sum((wi * xi for wi, xi in zip(w, x)), Fraction(0)) + (b or 0)
            out: Fraction | None
            if spec.rule == "error":
                out = activation(net, spec)
                factor = spec.lr * (y - out)
                wrong = out != y
            else:
                out = None
                factor = spec.lr * y
                wrong = y * net <= 0
            dw = tuple(factor * xi for xi in x) if wrong else tuple(Fraction(0) for _ in x)
            db = (factor if wrong else Fraction(0)) if b is not None else None
            if wrong:
                updates += 1
                w = tuple(wi + d for wi, d in zip(w, dw))
                b = b + db if b is not None and db is not None else None  # db is None exactly when b is
            run.history.append(Presentation(epoch, i, net, out, y, wrong, dw, db, w, b))
        if updates == 0:
            run.converged = True
            break
    return run


def solve(spec: PerceptronSpec) -> Result:
    """Train, writing every update the way a student does, and state the separating hyperplane."""
    run = train(spec)
    steps = [_rule_step(spec)]
    for p in run.history:
        if p.updated:
            steps += _update_steps(spec, p)
    final = run.history[-1] if run.history else None
    w = final.w if final else spec.w0
    b = final.b if final else spec.b0
    updates = sum(p.updated for p in run.history)
    plane = hyperplane(w, b)
    verdict, notes = _verdict(spec, run, updates)
    return Result(
        kind="perceptron",
        title=T("Perceptron", "感知机"),
        answer={
            "w": list(w),
            "b": b,
            "converged": run.converged,
            "epochs": run.epochs,
            "updates": updates,
            "rule": spec.rule,
            "hyperplane": plane.text,
            "history": [_presentation_answer(p) for p in run.history],
        },
        summary=_summary(spec, verdict, w, b, plane),
        steps=steps,
        tables=[_table(spec, run)],
        notes=notes + _conventions(spec),
        spec=spec,
        show_steps=updates <= 30,
    )


def _verdict(spec: PerceptronSpec, run: Training, updates: int) -> tuple[Text, list]:
    """Converged, cycling (not linearly separable, with the theorem's note) or out of epochs."""
    if run.converged:
        return T(
            "converged after {e} epoch(s) and {u} update(s); the last pass changed nothing",
            "经过 {e} 轮、{u} 次更新后收敛；最后一轮没有任何更新",
        ).format(e=run.epochs, u=updates), []
    if run.cycle_from is not None:
        verdict = T(
            "does not converge: the weights at the start of epoch {e} repeat those of epoch {c}",
            "不收敛：第 {e} 轮开始时的权重与第 {c} 轮相同，训练将无限循环",
        ).format(e=run.epochs + 1, c=run.cycle_from)
        note = T(
            "training cycles forever, so by the perceptron convergence theorem these samples are not linearly "
            "separable: a single-layer perceptron cannot separate them (XOR is the classic case); it needs a hidden layer",
            "训练进入循环；由感知机收敛定理，这些样本线性不可分，单层感知机无法将其分开（典型例子是异或），需要隐藏层",
        )
        return verdict, [note]
    return T(
        "did not converge within {e} epochs (--max-epochs); the samples may not be linearly separable",
        "在 {e} 轮内未收敛（--max-epochs）；样本可能线性不可分",
    ).format(e=spec.max_epochs), []


def _summary(
    spec: PerceptronSpec, verdict: Text, w: tuple[Fraction, ...], b: Fraction | None, plane: m.Math
) -> list[tuple[Text, Text | str]]:
    """The rule, the verdict, the final weights and the decision boundary."""
    rule_name = (
        T("error-correction rule w ← w + η(d − o)x", "误差修正规则 w ← w + η(d − o)x")
        if spec.rule == "error"
        else T("misclassified rule: if y(w·x + b) ≤ 0, w ← w + ηyx", "误分类规则：若 y(w·x + b) ≤ 0，w ← w + ηyx")
    )
    return [
        (T("Rule", "学习规则"), rule_name),
        (T("Result", "结果"), verdict),
        (
            T("Final weights", "最终权重"),
            "w = " + m.vec(list(w)).text + ("" if b is None else f", b = {m.fmt_number(b)}"),
        ),
        (T("Decision boundary", "决策边界"), plane.text),
    ]


def _presentation_answer(p: Presentation) -> dict[str, Any]:
    return {
        "epoch": p.epoch,
        "sample": p.sample,
        "net": p.net,
        "output": p.output,
        "target": p.target,
        "updated": p.updated,
        "delta_w": list(p.delta_w),
        "delta_b": p.delta_b,
        "w": list(p.w),
        "b": p.b,
    }


def hyperplane(w: tuple[Fraction, ...], b: Fraction | None) -> m.Math:
    """w1·x1 + w2·x2 + b = 0, written with signs a student would use."""
    if all(c == 0 for c in w) and not b:
        return m.Math("0 = 0 (no boundary: all weights are zero)", r"0 = 0")
    xs = [m.sym(f"x{i}", f"x_{{{i}}}") for i in range(1, len(w) + 1)]
    return m.rel(m.linear(list(zip(w, xs)), b or 0), "=", 0)


ETA, W, X, B = m.sym("η"), m.sym("w"), m.sym("x"), m.sym("b")


def _rule_step(spec: PerceptronSpec) -> Step:
    if spec.rule == "error":
        chain = [W + m.implicit(ETA, m.sym("d") - m.sym("o"), X)]
        note = T(
            "o = f(w·x + b) with f = {f}, f(0) = {z}; update only when o ≠ d",
            "o = f(w·x + b)，f 为 {f}，f(0) = {z}；仅当 o ≠ d 时更新",
        ).format(f="sgn (±1)" if spec.outputs == "pm1" else "step (0/1)", z=spec.sign0)
    else:
        chain = [W + m.implicit(ETA, m.sym("y"), X)]
        note = T(
            "update only when y(w·x + b) ≤ 0 (misclassified, or on the boundary)",
            "仅当 y(w·x + b) ≤ 0（误分类或恰在边界上）时更新",
        )
    return Step(
        T("Update rule (η = {lr})", "更新规则（η = {lr}）").format(lr=m.fmt_number(spec.lr)),
        m.sym("w"),
        chain,
        note,
        joiner="←",
    )


def _update_steps(spec: PerceptronSpec, p: Presentation) -> list[Step]:
    """A misclassified sample as a student works it: the net input with the numbers in, why it is
    an error, then w ← … and b ← … each with its arithmetic."""
    x = spec.x[p.sample - 1]
    w_old = tuple(wi - d for wi, d in zip(p.w, p.delta_w))
    b_old = None if p.b is None or p.delta_b is None else p.b - p.delta_b  # delta_b is None exactly when b is
    head = T("Epoch {e}, sample {i}: ", "第 {e} 轮，样本 {i}：").format(e=p.epoch, i=p.sample)
    net = m.total([m.num(wi) * m.num(xi) for wi, xi in zip(w_old, x)] + ([] if b_old is None else [m.num(b_old)]))
    lr = m.num(spec.lr)
    if spec.rule == "error":
        assert p.output is not None  # the error rule records the output
        o, d = m.fmt_number(p.output), m.fmt_number(p.target)
        f = "sgn" if spec.outputs == "pm1" else "step"
        why = T("o = {f}({n}) = {o} ≠ d = {d}: update", "o = {f}({n}) = {o} ≠ d = {d}：更新").format(
            f=f, n=m.fmt_number(p.net), o=o, d=d
        )
        factor = lr * (m.num(p.target) - m.num(p.output))
        factor_sym = m.implicit(ETA, m.sym("d") - m.sym("o"))
    else:
        check = m.rel(m.num(p.target) * m.num(p.net), "=", m.num(p.target * p.net), "≤", 0)
        why = T("y(w·x + b) = {c}: misclassified, update", "y(w·x + b) = {c}：误分类，更新").format(c=check.text)
        factor = lr * m.num(p.target)
        factor_sym = m.implicit(ETA, m.sym("y"))
    net_sym = W * X + B if b_old is not None else W * X
    steps = [Step(head + T("net input", "净输入"), net_sym, m.dedupe([net, m.num(p.net)]), why)]
    steps.append(
        Step(
            head + T("update w", "更新 w"),
            m.rel(m.sym("w"), "←", m.sym("w") + factor_sym * m.sym("x")),
            [
                m.vec(list(w_old)) + factor * m.vec(list(x)),
                m.vec(list(w_old)) + m.vec(list(p.delta_w)),
                m.vec(list(p.w)),
            ],
        )
    )
    if p.b is not None and b_old is not None:
        steps.append(
            Step(
                head + T("update b", "更新 b"),
                m.rel(m.sym("b"), "←", m.sym("b") + factor_sym),
                m.dedupe([m.num(b_old) + factor, m.num(p.b)]),
            )
        )
    return steps


def _table(spec: PerceptronSpec, run: Training) -> Table:
    cols = [T("epoch", "轮"), T("sample", "样本"), T("x", "x"), T("w·x+b", "w·x+b")]
    cols += [T("o", "o"), T("d", "d")] if spec.rule == "error" else [T("y·net", "y·net"), T("y", "y")]
    cols += [T("update", "更新"), T("Δw", "Δw"), T("w", "w")]
    if spec.b0 is not None:
        cols += [T("b", "b")]
    rows: list[list[Text | str]] = []
    for p in run.history:
        row: list[Text | str] = [
            str(p.epoch),
            str(p.sample),
            m.vec(list(spec.x[p.sample - 1])).text,
            m.fmt_number(p.net),
        ]
        if spec.rule == "error":
            assert p.output is not None  # the error rule records the output
            row += [m.fmt_number(p.output), m.fmt_number(p.target)]
        else:
            row += [m.fmt_number(p.target * p.net), m.fmt_number(p.target)]
        row += ["yes" if p.updated else "—", m.vec(list(p.delta_w)).text if p.updated else "", m.vec(list(p.w)).text]
        if p.b is not None:
            row.append(m.fmt_number(p.b))
        rows.append(row)
    return Table(cols, rows, T("Training, one row per presented sample", "训练过程（每行一个样本）"))


def _conventions(spec: PerceptronSpec) -> list:
    out = []
    if spec.b0 is None:
        out.append(
            T(
                "no separate bias: each sample's constant input plays that role (augmented form)",
                "无单独偏置：样本中的常数输入起偏置作用（增广形式）",
            )
        )
    if spec.rule == "misclassified" and spec.sign0 != 1:
        out.append(
            T(
                "sign0 does not matter for the misclassified rule: y(w·x + b) = 0 counts as misclassified",
                "误分类规则与 sign0 无关：y(w·x + b) = 0 视为误分类",
            )
        )
    return out
