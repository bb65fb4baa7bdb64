"""Softmax and the losses on top of it, with their gradients with respect to the logits.

softmax(z)_i = e^(z_i - max z) / Σ_j e^(z_j - max z)       (shifted by max z: no overflow)
log-sum-exp  = max z + ln Σ_j e^(z_j - max z)
Jacobian     ∂p_i/∂z_j = p_i(δ_ij - p_j), the diagonal as p_i·Σ_{j≠i} p_j (stable when p_i ≈ 1)
cross-entropy with target distribution t:  E = -Σ t_i ln p_i,  ln p_i = (z_i - max z) - ln Σ,  ∂E/∂z = p - t
MSE on predictions y:                      E = (1/n) Σ (y_i - t_i)²,               ∂E/∂y = 2(y - t)/n
binary cross-entropy on a logit z:         E = -(1/n) Σ [t ln σ(z) + (1 - t) ln σ(-z)], ∂E/∂z = (σ(z) - t)/n
                                           (ln(1 - σ(z)) = ln σ(-z), and ln σ(z) = -softplus(-z))
NLL on log-probabilities a (rows: samples),  E = -(1/N) Σ_n a[n, t_n],           ∂E/∂a[n, c] = -1/N if c = t_n else 0
                                           (torch.nn.NLLLoss, reduction="mean": cross_entropy = log_softmax + NLL)
Every step writes the numbers into its formula; a list longer than a dozen is shown by its ends.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_int, parse_number, parse_vector
from dlcalc.result import Result, Step
from dlcalc.solvers import stable
from dlcalc.solvers.stable import sigmoid
from dlcalc.text import T, Text

LOSSES = ("cross_entropy", "mse", "bce", "nll")
FIELDS = {"logits", "target", "loss", "temperature"}
DIGITS = 9


@dataclass(frozen=True)
class SoftmaxSpec:
    logits: tuple[float, ...]
    loss: str | None = None  # None: softmax alone
    target: tuple[float, ...] | None = None
    target_index: int | None = None
    temperature: float = 1.0
    rows: tuple[tuple[float, ...], ...] = ()  # nll: log-probabilities, one row per sample
    classes: tuple[int, ...] = ()  # nll: the target class of each row


SOLVER = Solver(
    name="softmax",
    help=T(
        "Softmax computed stably (shift by the max, log-sum-exp), with its Jacobian.",
        "稳定地计算 softmax（减去最大值、log-sum-exp），并给出雅可比矩阵。",
    ),
    example='dlcalc softmax "2, 1, 0.1"',
    inputs=(
        Input(
            "logits",
            help=T('The logits, e.g. "2, 1, 0.1".', '各 logit，例如 "2, 1, 0.1"。'),
            positional=True,
            required=True,
            metavar="LOGITS",
        ),
        Input(
            "temperature",
            help=T("Divide the logits by T first.", "先把 logit 除以温度 T。"),
            default=1,
            metavar="NUMBER",
        ),
    ),
    fields=("loss", "target"),
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> SoftmaxSpec:
    only_keys(inputs, FIELDS, "softmax")
    if inputs.get("logits") is None:
        raise DlcalcError('softmax: give the logits, e.g. "2, 1, 0.1"')
    loss = _loss_kind(inputs)
    if loss == "nll":
        return _nll_spec(inputs)
    z = tuple(float(v) for v in parse_vector(inputs["logits"], "logits"))
    temperature = _temperature(inputs)
    raw = inputs.get("target")
    if loss is not None and raw is None:
        raise DlcalcError("target: give the class index (e.g. 0) or a target vector")
    if raw is None:
        return SoftmaxSpec(z, loss, None, None, temperature)
    if loss == "cross_entropy" and len(parse_vector(raw, "target")) == 1 and len(z) > 1:
        index = _class_index(raw, len(z))
        return SoftmaxSpec(z, loss, tuple(1.0 if i == index else 0.0 for i in range(len(z))), index, temperature)
    return SoftmaxSpec(z, loss, _target_vector(raw, loss, len(z)), None, temperature)


def _loss_kind(inputs: Mapping[str, Any]) -> str | None:
    """The loss asked for, normalised (cross-entropy, CROSS_ENTROPY), or None: softmax alone."""
    loss = inputs.get("loss")
    loss = None if loss is None else str(loss).strip().lower().replace("-", "_")
    if loss is not None and loss not in LOSSES:
        raise DlcalcError(f"loss: expected one of {', '.join(LOSSES)}, got {inputs.get('loss')!r}")
    return loss


def _temperature(inputs: Mapping[str, Any]) -> float:
    temperature = float(parse_number(inputs.get("temperature", 1), "temperature"))
    if temperature <= 0:
        raise DlcalcError(f"temperature: must be positive, got {temperature}")
    return temperature


def _class_index(raw: Any, classes: int) -> int:
    """A cross-entropy target given as the index of the true class."""
    index = parse_int(raw if not isinstance(raw, list) else raw[0], "target")
    if not 0 <= index < classes:
        raise DlcalcError(f"target: class index {index} is outside 0..{classes - 1}")
    return index


def _target_vector(raw: Any, loss: str | None, size: int) -> tuple[float, ...]:
    """A target given value by value: probabilities for cross-entropy, [0, 1] for bce."""
    target = tuple(float(v) for v in parse_vector(raw, "target"))
    if len(target) != size:
        raise DlcalcError(f"target: {len(target)} values for {size} logits")
    if loss == "cross_entropy" and (min(target) < 0 or abs(sum(target) - 1) > 1e-9):
        raise DlcalcError("target: a cross-entropy target must be probabilities summing to 1 (or a class index)")
    if loss == "bce" and any(not 0 <= t <= 1 for t in target):
        raise DlcalcError("target: binary cross-entropy targets lie in [0, 1]")
    return target


def _nll_spec(inputs: Mapping[str, Any]) -> SoftmaxSpec:
    """NLL: the input is log-probabilities, one row per sample ("-0.2,-1.9; -2.3,-0.1"), and one
    class index per row; a single row is one sample."""
    from dlcalc.parse import parse_matrix

    rows = tuple(tuple(float(v) for v in row) for row in parse_matrix(inputs["logits"], "logits"))
    if inputs.get("target") is None:
        raise DlcalcError(
            T(
                'target: give the class index of each row, e.g. 0 or "0, 2"',
                'target：给出每行的类别下标，例如 0 或 "0, 2"',
            )
        )
    raw = inputs["target"]
    items = raw if isinstance(raw, (list, tuple)) else str(raw).replace(";", ",").split(",")
    classes = tuple(parse_int(v, "target") for v in items)
    if len(classes) != len(rows):
        raise DlcalcError(
            T(
                "target: {a} class indices for {b} rows of log-probabilities",
                "target：{a} 个类别下标，但有 {b} 行对数概率",
            ).format(a=len(classes), b=len(rows))
        )
    width = len(rows[0])
    for c in classes:
        if not 0 <= c < width:
            raise DlcalcError(
                T("target: class index {c} is outside 0..{w}", "target：类别下标 {c} 不在 0..{w} 内").format(
                    c=c, w=width - 1
                )
            )
    if inputs.get("temperature") not in (None, 1, "1"):
        raise DlcalcError(
            T("temperature: NLL takes log-probabilities as they are", "temperature：NLL 直接使用给定的对数概率")
        )
    return SoftmaxSpec(rows[0], "nll", None, classes[0], 1.0, rows, classes)


# --- the formulas, built once (text and LaTeX from one expression) ----------------------------

Z, P, T_SYM, E, N_SYM, SIGMA = m.sym("z"), m.sym("p"), m.sym("t"), m.sym("E"), m.sym("n"), m.sym("Σ")
MAX_Z = m.apply("max", Z)


def _n(v: float) -> m.Math:
    return m.num(v, DIGITS)


def _vec(values: list) -> m.Math:
    return m.vec(m.elide([v if isinstance(v, m.Math) else _n(v) for v in values]))


def _ln(x: object) -> m.Math:
    return m.apply("ln", x)


def _exp(x: object) -> m.Math:
    return m.sym("e") ** x


def _sigma(x: object) -> m.Math:
    return m.call("σ", x)


def _mean_of(body: m.Math, count: object = N_SYM, index: str | None = None) -> m.Math:
    """(1/n) Σ body."""
    return m.juxt(m.frac(1, count), m.sum_over(body, index))


# --- NLL on log-probabilities ------------------------------------------------------------------


def _nll(spec: SoftmaxSpec) -> Result:
    """torch.nn.NLLLoss (reduction="mean", no class weights): minus the mean picked log-probability."""
    rows, classes = spec.rows, spec.classes
    N = len(rows)
    picked = [row[c] for row, c in zip(rows, classes)]
    loss = -math.fsum(picked) / N
    grad = [[-1.0 / N if j == c else 0.0 for j in range(len(row))] for row, c in zip(rows, classes)]
    steps = [_picked_step(classes, picked), _nll_loss_step(picked, loss), _nll_gradient_step(grad)]
    answer = {
        "input": [list(r) for r in rows] if N > 1 else list(rows[0]),
        "target": list(classes) if N > 1 else classes[0],
        "loss": loss,
        "gradient": grad if N > 1 else grad[0],
    }
    summary: list[tuple[Text, Text | str]] = [
        (T("Log-probabilities", "对数概率"), m.matrix([list(r) for r in rows], DIGITS).text if N > 1 else m.vec(list(rows[0]), DIGITS).text),
        (T("Targets", "目标类别"), ", ".join(map(str, classes))),
        (T("Loss", "损失"), m.fmt_number(loss, DIGITS)),
    ]  # fmt: skip
    return Result("softmax", T("Loss: nll", "损失：nll"), answer, summary, steps, notes=_nll_notes(rows), spec=spec)


def _picked_step(classes: tuple[int, ...], picked: list[float]) -> Step:
    return Step(
        T("Pick each sample's log-probability of its target class", "取每个样本目标类别的对数概率"),
        m.element("a", "n", "t_n"),
        [_vec([m.element("a", n, c) for n, c in enumerate(classes)]), _vec(picked)],
        T(
            "NLLLoss does no softmax: its input is already log-probabilities (log_softmax's output)",
            "NLLLoss 不做 softmax：输入已经是对数概率（log_softmax 的输出）",
        ),  # fmt: skip
    )


def _nll_loss_step(picked: list[float], loss: float) -> Step:
    N = len(picked)
    return Step(
        T("Negative log-likelihood (mean over {ns})", "负对数似然（对 {n} 个样本取平均）").format(
            n=N, ns="the " + m.plural(N, "sample") if N > 1 else "1 sample"
        ),
        E,
        m.dedupe(
            [
                -_mean_of(m.element("a", "n", "t_n"), "N", "n"),
                -(m.frac(1, N) * m.group(m.total([_n(v) for v in picked]))),
                _n(loss),
            ]
        ),  # fmt: skip
    )


def _nll_gradient_step(grad: list[list[float]]) -> Step:
    return Step(
        T("Gradient with respect to the input", "对输入的梯度"),
        m.partial("E", m.element("a", "n", "c")),
        [
            -(m.frac(1, "N") * m.group(m.rel("c", "=", "t_n"), "[]")),
            m.matrix(grad, DIGITS) if len(grad) > 1 else _vec(grad[0]),
        ],
        T("[c = t_n] is 1 where c = t_n, else 0", "[c = t_n] 在 c = t_n 时为 1，否则为 0"),
    )


def _nll_notes(rows: tuple[tuple[float, ...], ...]) -> list[Text]:
    off = [n + 1 for n, row in enumerate(rows) if abs(math.fsum(math.exp(v) for v in row) - 1) > 1e-6]
    if not off:
        return []
    return [
        T(
            "{rows} {r}: e^a does not sum to 1, so these are not log-probabilities; NLLLoss does not mind, but for raw "
            "logits the loss you want is cross_entropy (log_softmax, then NLL)",
            "第 {r} 行：e^a 之和不为 1，因此不是对数概率；NLLLoss 不检查，但对原始 logits 应使用 cross_entropy（先 log_softmax 再 NLL）",
        ).format(r=", ".join(map(str, off)), rows="row" if len(off) == 1 else "rows")
    ]


# --- softmax, shifted by the max ---------------------------------------------------------------


def _temperature_step(logits: tuple[float, ...], temperature: float, z: list[float]) -> Step:
    return Step(
        T("Temperature", "温度"),
        Z,
        [m.frac(m.text("logits"), "T"), _vec([_n(v) / _n(temperature) for v in logits]), _vec(z)],
    )


def _softmax_steps(z: list[float], steps: list[Step]) -> tuple[list[float], list[float], float, float]:
    """Shift, exponentiate, sum, divide: p, ln p, ln Σ and LSE, each step with its numbers."""
    top, exps, total, log_total = stable.shifted_exps(z)
    shifted = [v - top for v in z]
    p = [e / total for e in exps]
    log_p = [s - log_total for s in shifted]
    steps += [
        _shift_step(z, top, shifted),
        _exponentials_step(shifted, exps),
        _sum_step(exps, total),
        _probabilities_step(exps, total, p),
        _log_sum_exp_step(top, total, log_total),
    ]
    return p, log_p, log_total, top + log_total


def _shift_step(z: list[float], top: float, shifted: list[float]) -> Step:
    return Step(
        T("Shift by the largest logit (no overflow)", "减去最大的 logit（避免溢出）"),
        Z - MAX_Z,
        [_vec([_n(v) - _n(top) for v in z]), _vec(shifted)],
    )


def _exponentials_step(shifted: list[float], exps: list[float]) -> Step:
    return Step(
        T("Exponentials", "取指数"),
        _exp(m.sym("z_i") - MAX_Z),
        [_vec([_exp(_n(s)) for s in shifted]), _vec(exps)],
    )


def _sum_step(exps: list[float], total: float) -> Step:
    return Step(
        T("Their sum", "求和"),
        SIGMA,
        [m.sum_over(_exp(m.sym("z_j") - MAX_Z), "j"), m.total([_n(e) for e in exps]), _n(total)],
    )


def _probabilities_step(exps: list[float], total: float, p: list[float]) -> Step:
    return Step(
        T("Softmax", "Softmax"),
        P,
        [m.frac(_exp(m.sym("z_i") - MAX_Z), SIGMA), _vec([_n(e) / _n(total) for e in exps]), _vec(p)],
        T("the probabilities sum to 1", "概率之和为 1"),
    )


def _log_sum_exp_step(top: float, total: float, log_total: float) -> Step:
    return Step(
        T("Log-sum-exp", "log-sum-exp"),
        m.call("LSE", Z),
        [MAX_Z + _ln(SIGMA), _n(top) + _ln(_n(total)), _n(top + log_total)],
    )


def _jacobian_step(p: list[float], jac: list[list[float]], temperature: float) -> Step:
    """∂p_i/∂z_j = p_i(δ_ij - p_j), the diagonal written as p_i times the other probabilities."""
    n = len(p)

    def diagonal(i: int) -> m.Math:
        if n == 1:
            return _n(0)
        return _n(p[i]) * (m.total([_n(p[k]) for k in range(n) if k != i]) if n > 2 else _n(p[1 - i]))

    shown = [[diagonal(i) if i == j else -(_n(p[i]) * _n(p[j])) for j in range(n)] for i in range(n)]
    note = T(
        "on the diagonal 1 - p_i is written as Σ_{j≠i} p_j, the other probabilities: no digits lost when p_i ≈ 1",
        "对角线上 1 - p_i 写成其余概率之和 Σ_{j≠i} p_j：p_i ≈ 1 时也不损失精度",
    )
    if temperature != 1:
        note = note + T(
            "; with respect to z = logits/T (for the logits themselves divide by T)",
            "；对 z = logits/T 求导（对原始 logits 求导需再除以 T）",
        )
    return Step(
        T("Jacobian of softmax", "softmax 的雅可比矩阵"),
        m.partial("p_i", "z_j"),
        m.dedupe([m.juxt("p_i", m.sym("δ_ij") - m.sym("p_j")), m.matrix(shown), m.matrix(jac, DIGITS)]),
        note,
    )


# --- the losses ------------------------------------------------------------------------------


def _cross_entropy(
    spec: SoftmaxSpec, z: list[float], p: list[float], log_p: list[float], log_total: float
) -> tuple[list[Step], dict[str, Any]]:
    t = spec.target
    assert t is not None  # every loss has its target
    loss = -math.fsum(ti * lp for ti, lp in zip(t, log_p) if ti != 0)
    grad = [g / spec.temperature for g in stable.softmax_minus_target(p, list(t))]
    steps = [
        _log_probabilities_step(z, log_total, log_p),
        _cross_entropy_step(spec, log_p, loss),
        _logit_gradient_step(p, list(t), spec.temperature, grad),
    ]
    return steps, {"loss": loss, "gradient": grad, "target": list(t)}


def _log_probabilities_step(z: list[float], log_total: float, log_p: list[float]) -> Step:
    return Step(
        T("Log-probabilities (log-softmax)", "对数概率（log-softmax）"),
        _ln(P),
        [
            m.group(m.sym("z_i") - MAX_Z) - _ln(SIGMA),
            _vec([_n(v - max(z)) - _n(log_total) for v in z]),
            _vec(log_p),
        ],
        T("never the log of a rounded probability", "不对舍入后的概率取对数"),
    )


def _cross_entropy_step(spec: SoftmaxSpec, log_p: list[float], loss: float) -> Step:
    t = spec.target
    assert t is not None
    if spec.target_index is not None:
        idx = spec.target_index
        chain = [-_ln(m.sym(f"p_{idx}")), -_n(log_p[idx]), _n(loss)]
    else:
        used = [(ti, lp) for ti, lp in zip(t, log_p) if ti != 0]
        chain = [
            -m.sum_over(m.juxt("t_i", _ln(m.sym("p_i")))),
            -m.total([_n(ti) * _n(lp) for ti, lp in used]),
            _n(loss),
        ]
    return Step(T("Cross-entropy", "交叉熵"), E, chain)


def _logit_gradient_step(p: list[float], t: list[float], temperature: float, grad: list[float]) -> Step:
    if temperature == 1:
        formula, worked = P - T_SYM, [_n(pi) - _n(ti) for pi, ti in zip(p, t)]
    else:
        formula = (P - T_SYM) / m.sym("T")
        worked = [(_n(pi) - _n(ti)) / _n(temperature) for pi, ti in zip(p, t)]
    return Step(
        T("Gradient with respect to the logits", "对 logits 的梯度"),
        m.partial("E", m.text("logits")),
        [formula, _vec(worked), _vec(grad)],
    )


def _mse(spec: SoftmaxSpec) -> tuple[list[Step], dict[str, Any]]:
    t = spec.target
    assert t is not None  # every loss has its target
    y = list(spec.logits)
    n = len(y)
    squares = [(a - b) ** 2 for a, b in zip(y, t)]
    loss = math.fsum(squares) / n
    grad = [2 * (a - b) / n for a, b in zip(y, t)]
    mean_step = Step(
        T("Mean squared error", "均方误差"),
        E,
        [
            _mean_of(m.squared(m.sym("y_i") - m.sym("t_i"))),
            m.frac(1, n) * m.total([(_n(a) - _n(b)) ** 2 for a, b in zip(y, t)]),
            m.frac(1, n) * m.total([_n(s) for s in squares]),
            _n(loss),
        ],
    )
    gradient_step = Step(
        T("Gradient with respect to the predictions", "对预测值的梯度"),
        m.partial("E", "y"),
        [
            m.frac(m.juxt(2, m.sym("y") - T_SYM), N_SYM),
            _vec([m.frac(m.juxt(2, _n(a) - _n(b)), n) for a, b in zip(y, t)]),
            _vec(grad),
        ],
    )
    return [mean_step, gradient_step], {"loss": loss, "gradient": grad, "target": list(t)}


def _bce(spec: SoftmaxSpec, z: list[float]) -> tuple[list[Step], dict[str, Any]]:
    t = spec.target
    assert t is not None  # every loss has its target
    n = len(z)
    probs = [sigmoid(v) for v in z]
    # torch's BCEWithLogits form: -[t ln σ(z) + (1 - t) ln σ(-z)] = max(z, 0) - z·t + ln(1 + e^(-|z|))
    terms = [max(zi, 0.0) - zi * ti + math.log1p(math.exp(-abs(zi))) for zi, ti in zip(z, t)]
    loss = math.fsum(terms) / n
    grad = [stable.sigmoid_minus_target(zi, ti) / n for zi, ti in zip(z, t)]
    steps = [
        _sigmoid_step(z, probs),
        _bce_terms_step(z, list(t), terms),
        Step(
            T("Binary cross-entropy (mean)", "二元交叉熵（平均）"),
            E,
            [_mean_of(m.sym("ℓ_i")), m.frac(1, n) * m.total([_n(v) for v in terms]), _n(loss)],
        ),
        Step(
            T("Gradient with respect to the logits", "对 logits 的梯度"),
            m.partial("E", Z),
            [
                m.frac(_sigma(Z) - T_SYM, N_SYM),
                _vec([m.frac(_n(pi) - _n(ti), n) for pi, ti in zip(probs, t)]),
                _vec(grad),
            ],
        ),
    ]
    return steps, {"loss": loss, "gradient": grad, "probabilities": probs, "target": list(t)}


def _sigmoid_step(z: list[float], probs: list[float]) -> Step:
    return Step(
        T("Sigmoid of each logit", "每个 logit 的 sigmoid"),
        P,
        [
            m.rel(_sigma(Z), "=", m.frac(1, 1 + _exp(-Z))),
            _vec([m.frac(1, 1 + _exp(_n(-v))) for v in z]),
            _vec(probs),
        ],
    )


def _bce_terms_step(z: list[float], t: list[float], terms: list[float]) -> Step:
    textbook = -m.group(m.juxt(T_SYM, _ln(_sigma(Z))) + m.juxt(m.group(1 - T_SYM), _ln(1 - _sigma(Z))), "[]")
    stable_form = m.call("max", Z, 0) - Z * T_SYM + _ln(1 + _exp(-m.absolute(Z)))
    return Step(
        T("Loss of each logit", "每个 logit 的损失"),
        m.sym("ℓ"),
        [
            textbook,
            stable_form,
            _vec([m.call("max", _n(zi), 0) - _n(zi) * _n(ti) + _ln(1 + _exp(_n(-abs(zi)))) for zi, ti in zip(z, t)]),
            _vec(terms),
        ],
        T(
            "the form torch's binary_cross_entropy_with_logits uses: never the log of a σ rounded to 0 or 1",
            "与 torch 的 binary_cross_entropy_with_logits 相同的形式：不对舍入成 0 或 1 的 σ 取对数",
        ),
    )


# --- solve -----------------------------------------------------------------------------------


def solve(spec: SoftmaxSpec) -> Result:
    if spec.loss == "nll":
        return _nll(spec)
    z = [v / spec.temperature for v in spec.logits]
    steps: list[Step] = []
    answer: dict[str, Any] = {"logits": list(spec.logits)}
    if spec.temperature != 1:
        steps.append(_temperature_step(spec.logits, spec.temperature, z))
    if spec.loss in (None, "cross_entropy"):
        p, log_p, log_total, lse = _softmax_steps(z, steps)
        jac = stable.softmax_jacobian(p)
        answer.update(probabilities=p, log_sum_exp=lse, jacobian=jac)
        if spec.loss is None:
            steps.append(_jacobian_step(p, jac, spec.temperature))
    if spec.loss == "cross_entropy":
        more, found = _cross_entropy(spec, z, p, log_p, log_total)
    elif spec.loss == "mse":
        more, found = _mse(spec)
    elif spec.loss == "bce":
        more, found = _bce(spec, z)
    else:
        more, found = [], {}
    steps += more
    answer.update(found)
    title = T("Softmax", "Softmax") if spec.loss is None else T("Loss: {l}", "损失：{l}").format(l=spec.loss)
    return Result("softmax", title, answer, _summary(spec, answer), steps, spec=spec)


def _summary(spec: SoftmaxSpec, answer: dict[str, Any]) -> list[tuple[Text, Text | str]]:
    summary: list[tuple[Text, Text | str]] = [(T("Logits", "logits"), m.vec(list(spec.logits), DIGITS).text)]
    if "probabilities" in answer:
        summary.append((T("Probabilities", "概率"), m.vec(answer["probabilities"], 6).text))
    if "loss" in answer:
        summary += [
            (T("Loss", "损失"), m.fmt_number(answer["loss"], DIGITS)),
            (T("Gradient", "梯度"), m.vec(answer["gradient"], 6).text),
        ]
    return summary
