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
    help=T("Softmax computed stably (shift by the max, log-sum-exp), with its Jacobian.",
           "稳定地计算 softmax（减去最大值、log-sum-exp），并给出雅可比矩阵。"),
    example='dlcalc softmax "2, 1, 0.1"',
    inputs=(
        Input("logits", help=T('The logits, e.g. "2, 1, 0.1".', '各 logit，例如 "2, 1, 0.1"。'), positional=True,
              required=True, metavar="LOGITS"),
        Input("temperature", help=T("Divide the logits by T first.", "先把 logit 除以温度 T。"), default=1, metavar="NUMBER"),
    ),
    fields=("loss", "target"),
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> SoftmaxSpec:
    only_keys(inputs, FIELDS, "softmax")
    if inputs.get("logits") is None:
        raise DlcalcError('softmax: give the logits, e.g. "2, 1, 0.1"')
    loss = inputs.get("loss")
    loss = None if loss is None else str(loss).strip().lower().replace("-", "_")
    if loss is not None and loss not in LOSSES:
        raise DlcalcError(f"loss: expected one of {', '.join(LOSSES)}, got {inputs.get('loss')!r}")
    if loss == "nll":
        return _nll_spec(inputs)
    z = tuple(float(v) for v in parse_vector(inputs["logits"], "logits"))
    temperature = float(parse_number(inputs.get("temperature", 1), "temperature"))
    if temperature <= 0:
        raise DlcalcError(f"temperature: must be positive, got {temperature}")
    target = index = None
    raw = inputs.get("target")
    if loss is not None and raw is None:
        raise DlcalcError("target: give the class index (e.g. 0) or a target vector")
    if raw is not None:
        values = parse_vector(raw, "target")
        if loss == "cross_entropy" and len(values) == 1 and len(z) > 1:
            index = parse_int(raw if not isinstance(raw, list) else raw[0], "target")
            if not 0 <= index < len(z):
                raise DlcalcError(f"target: class index {index} is outside 0..{len(z) - 1}")
            target = tuple(1.0 if i == index else 0.0 for i in range(len(z)))
        else:
            target = tuple(float(v) for v in values)
            if len(target) != len(z):
                raise DlcalcError(f"target: {len(target)} values for {len(z)} logits")
            if loss == "cross_entropy" and (min(target) < 0 or abs(sum(target) - 1) > 1e-9):
                raise DlcalcError(
                    "target: a cross-entropy target must be probabilities summing to 1 (or a class index)"
                )
            if loss == "bce" and any(not 0 <= t <= 1 for t in target):
                raise DlcalcError("target: binary cross-entropy targets lie in [0, 1]")
    return SoftmaxSpec(z, loss, target, index, temperature)


def _nll_spec(inputs: Mapping[str, Any]) -> SoftmaxSpec:
    """NLL: the input is log-probabilities, one row per sample ("-0.2,-1.9; -2.3,-0.1"), and one
    class index per row; a single row is one sample."""
    from dlcalc.parse import parse_matrix

    rows = tuple(tuple(float(v) for v in row) for row in parse_matrix(inputs["logits"], "logits"))
    if inputs.get("target") is None:
        raise DlcalcError(
            T("target: give the class index of each row, e.g. 0 or \"0, 2\"", "target：给出每行的类别下标，例如 0 或 \"0, 2\"")
        )
    raw = inputs["target"]
    items = raw if isinstance(raw, (list, tuple)) else str(raw).replace(";", ",").split(",")
    classes = tuple(parse_int(v, "target") for v in items)
    if len(classes) != len(rows):
        raise DlcalcError(
            T("target: {a} class indices for {b} rows of log-probabilities", "target：{a} 个类别下标，但有 {b} 行对数概率").format(
                a=len(classes), b=len(rows)
            )
        )
    width = len(rows[0])
    for c in classes:
        if not 0 <= c < width:
            raise DlcalcError(
                T("target: class index {c} is outside 0..{w}", "target：类别下标 {c} 不在 0..{w} 内").format(c=c, w=width - 1)
            )
    if inputs.get("temperature") not in (None, 1, "1"):
        raise DlcalcError(T("temperature: NLL takes log-probabilities as they are", "temperature：NLL 直接使用给定的对数概率"))
    return SoftmaxSpec(rows[0], "nll", None, classes[0], 1.0, rows, classes)


def _nll(spec: SoftmaxSpec) -> Result:
    """torch.nn.NLLLoss (reduction="mean", no class weights): minus the mean picked log-probability."""
    rows, classes = spec.rows, spec.classes
    N = len(rows)
    picked = [row[c] for row, c in zip(rows, classes)]
    loss = -math.fsum(picked) / N
    grad = [[-1.0 / N if j == c else 0.0 for j in range(len(row))] for row, c in zip(rows, classes)]
    steps = [
        Step(
            T("Pick each sample's log-probability of its target class", "取每个样本目标类别的对数概率"),
            m.Math("a[n, t_n]", r"a_{n, t_n}"),
            [_vec([m.Math(f"a[{n}, {c}]", rf"a_{{{n},{c}}}") for n, c in enumerate(classes)]), _vec(picked)],
            T("NLLLoss does no softmax: its input is already log-probabilities (log_softmax's output)",
              "NLLLoss 不做 softmax：输入已经是对数概率（log_softmax 的输出）"),  # fmt: skip
        ),
        Step(
            T("Negative log-likelihood (mean over the {n} sample(s))", "负对数似然（对 {n} 个样本取平均）").format(n=N),
            m.sym("E"),
            m.dedupe([
                m.Math("-(1/N) Σ_n a[n, t_n]", r"-\frac{1}{N}\sum_n a_{n, t_n}"),
                -(m.frac(1, N) * m.Math(f"({m.total([_n(v) for v in picked]).text})",
                                        rf"\left({m.total([_n(v) for v in picked]).latex}\right)")),
                _n(loss),
            ]),  # fmt: skip
        ),
        Step(
            T("Gradient with respect to the input", "对输入的梯度"),
            m.Math("∂E/∂a[n, c]", r"\partial E/\partial a_{n,c}"),
            [m.Math("-1/N·[c = t_n]", r"-\tfrac{1}{N}\ [c = t_n]"), m.matrix(grad, DIGITS) if N > 1 else _vec(grad[0])],
            T("[c = t_n] is 1 where c = t_n, else 0", "[c = t_n] 在 c = t_n 时为 1，否则为 0"),
        ),
    ]
    notes = []
    off = [n + 1 for n, row in enumerate(rows) if abs(math.fsum(math.exp(v) for v in row) - 1) > 1e-6]
    if off:
        notes.append(
            T(
                "row(s) {r}: e^a does not sum to 1, so these are not log-probabilities; NLLLoss does not mind, but for raw "
                "logits the loss you want is cross_entropy (log_softmax, then NLL)",
                "第 {r} 行：e^a 之和不为 1，因此不是对数概率；NLLLoss 不检查，但对原始 logits 应使用 cross_entropy（先 log_softmax 再 NLL）",
            ).format(r=", ".join(map(str, off)))
        )
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
    return Result("softmax", T("Loss: nll", "损失：nll"), answer, summary, steps, notes=notes, spec=spec)


def _n(v: float) -> m.Math:
    return m.num(v, DIGITS)


def _vec(values: list) -> m.Math:
    return m.vec(m.elide([v if isinstance(v, m.Math) else _n(v) for v in values]))


def _ln(x: object) -> m.Math:
    return m.call("ln", x, latex_name=r"\ln")


def _exp(x: object) -> m.Math:
    return m.sym("e") ** x


def _sigma(x: object) -> m.Math:
    return m.call("σ", x, latex_name=r"\sigma")


def _softmax_steps(z: list[float], steps: list[Step]) -> tuple[list[float], list[float], float, float]:
    """Shift, exponentiate, sum, divide: p, ln p, ln Σ and LSE, each step with its numbers."""
    top, exps, total, log_total = stable.shifted_exps(z)
    shifted = [v - top for v in z]
    p = [e / total for e in exps]
    log_p = [s - log_total for s in shifted]
    steps.append(
        Step(
            T("Shift by the largest logit (no overflow)", "减去最大的 logit（避免溢出）"),
            m.Math("z - max z", r"z - \max z"),
            [_vec([_n(v) - _n(top) for v in z]), _vec(shifted)],
        )
    )
    steps.append(
        Step(
            T("Exponentials", "取指数"),
            m.Math("e^(z_i - max z)", r"e^{z_i - \max z}"),
            [_vec([_exp(_n(s)) for s in shifted]), _vec(exps)],
        )
    )
    steps.append(
        Step(
            T("Their sum", "求和"),
            m.Math("Σ", r"\Sigma"),
            [m.Math("Σ_j e^(z_j - max z)", r"\sum_j e^{z_j - \max z}"), m.total([_n(e) for e in exps]), _n(total)],
        )
    )
    steps.append(
        Step(
            T("Softmax", "Softmax"),
            m.sym("p"),
            [
                m.Math("e^(z_i - max z)/Σ", r"\frac{e^{z_i - \max z}}{\Sigma}"),
                _vec([_n(e) / _n(total) for e in exps]),
                _vec(p),
            ],
            T("the probabilities sum to 1", "概率之和为 1"),
        )
    )
    steps.append(
        Step(
            T("Log-sum-exp", "log-sum-exp"),
            m.Math("LSE(z)", r"\operatorname{LSE}(z)"),
            [m.Math("max z + ln Σ", r"\max z + \ln \Sigma"), _n(top) + _ln(_n(total)), _n(top + log_total)],
        )
    )
    return p, log_p, log_total, top + log_total


def solve(spec: SoftmaxSpec) -> Result:
    if spec.loss == "nll":
        return _nll(spec)
    z = [v / spec.temperature for v in spec.logits]
    T_ = spec.temperature
    steps: list[Step] = []
    answer: dict[str, Any] = {"logits": list(spec.logits)}
    if T_ != 1:
        steps.append(
            Step(
                T("Temperature", "温度"),
                m.sym("z"),
                [m.Math("logits/T", r"\text{logits}/T"), _vec([_n(v) / _n(T_) for v in spec.logits]), _vec(z)],
            )
        )
    if spec.loss in (None, "cross_entropy"):
        p, log_p, log_total, lse = _softmax_steps(z, steps)
        answer["probabilities"] = p
        answer["log_sum_exp"] = lse
        jac = stable.softmax_jacobian(p)
        answer["jacobian"] = jac
        if spec.loss is None:
            rest = stable.others(p)
            n = len(p)
            shown = [
                [
                    (
                        _n(p[i]) * (m.total([_n(p[k]) for k in range(n) if k != i]) if n > 2 else _n(p[1 - i]))
                        if n > 1
                        else _n(0)
                    )
                    if i == j
                    else -(_n(p[i]) * _n(p[j]))
                    for j in range(n)
                ]
                for i in range(n)
            ]
            steps.append(
                Step(
                    T("Jacobian of softmax", "softmax 的雅可比矩阵"),
                    m.Math("∂p_i/∂z_j", r"\partial p_i / \partial z_j"),
                    m.dedupe(
                        [
                            m.Math("p_i(δ_ij - p_j)", r"p_i(\delta_{ij} - p_j)"),
                            m.matrix(shown),
                            m.matrix(jac, DIGITS),
                        ]
                    ),
                    T(
                        "on the diagonal 1 - p_i is written as Σ_{j≠i} p_j, the other probabilities: no digits lost when p_i ≈ 1",
                        "对角线上 1 - p_i 写成其余概率之和 Σ_{j≠i} p_j：p_i ≈ 1 时也不损失精度",
                    )
                    + (
                        T(
                            "; with respect to z = logits/T (for the logits themselves divide by T)",
                            "；对 z = logits/T 求导（对原始 logits 求导需再除以 T）",
                        )
                        if T_ != 1
                        else T("", "")
                    ),
                )
            )
            del rest
    if spec.loss == "cross_entropy":
        t = spec.target
        assert t is not None  # every loss has its target
        loss = -math.fsum(ti * lp for ti, lp in zip(t, log_p) if ti != 0)
        steps.append(
            Step(
                T("Log-probabilities (log-softmax)", "对数概率（log-softmax）"),
                m.Math("ln p", r"\ln p"),
                [
                    m.Math("(z_i - max z) - ln Σ", r"(z_i - \max z) - \ln \Sigma"),
                    _vec([_n(v - max(z)) - _n(log_total) for v in z]),
                    _vec(log_p),
                ],
                T("never the log of a rounded probability", "不对舍入后的概率取对数"),
            )
        )
        if spec.target_index is not None:
            idx = spec.target_index
            chain = [m.Math(f"-ln p_{idx}", rf"-\ln p_{{{idx}}}"), -_n(log_p[idx]), _n(loss)]
        else:
            used = [(ti, lp) for ti, lp in zip(t, log_p) if ti != 0]
            chain = [
                m.Math("-Σ t_i ln p_i", r"-\sum_i t_i \ln p_i"),
                -m.total([_n(ti) * _n(lp) for ti, lp in used]),
                _n(loss),
            ]
        steps.append(Step(T("Cross-entropy", "交叉熵"), m.sym("E"), chain))
        grad = stable.softmax_minus_target(p, list(t))
        gchain = [
            m.Math("p - t", "p - t") if T_ == 1 else m.Math("(p - t)/T", r"(p - t)/T"),
            _vec([(_n(pi) - _n(ti)) if T_ == 1 else (_n(pi) - _n(ti)) / _n(T_) for pi, ti in zip(p, t)]),
            _vec([g / T_ for g in grad]),
        ]
        steps.append(
            Step(
                T("Gradient with respect to the logits", "对 logits 的梯度"),
                m.Math("∂E/∂logits", r"\partial E/\partial \text{logits}"),
                gchain,
            )
        )
        answer.update(loss=loss, gradient=[g / T_ for g in grad], target=list(t))
    elif spec.loss == "mse":
        t = spec.target
        assert t is not None  # every loss has its target
        y = list(spec.logits)
        n = len(y)
        squares = [(a - b) ** 2 for a, b in zip(y, t)]
        loss = math.fsum(squares) / n
        grad = [2 * (a - b) / n for a, b in zip(y, t)]
        steps.append(
            Step(
                T("Mean squared error", "均方误差"),
                m.sym("E"),
                [
                    m.Math("(1/n) Σ (y_i - t_i)²", r"\frac{1}{n}\sum_i (y_i - t_i)^2"),
                    m.frac(1, n) * m.total([(_n(a) - _n(b)) ** 2 for a, b in zip(y, t)]),
                    m.frac(1, n) * m.total([_n(s) for s in squares]),
                    _n(loss),
                ],
            )
        )
        steps.append(
            Step(
                T("Gradient with respect to the predictions", "对预测值的梯度"),
                m.Math("∂E/∂y", r"\partial E/\partial y"),
                [
                    m.Math("2(y - t)/n", r"\frac{2(y - t)}{n}"),
                    _vec([m.frac(m.juxt(2, _n(a) - _n(b)), n) for a, b in zip(y, t)]),
                    _vec(grad),
                ],
            )
        )
        answer.update(loss=loss, gradient=grad, target=list(t))
    elif spec.loss == "bce":
        t = spec.target
        assert t is not None  # every loss has its target
        n = len(z)
        probs = [sigmoid(v) for v in z]
        # torch's BCEWithLogits form: -[t ln σ(z) + (1 - t) ln σ(-z)] = max(z, 0) - z·t + ln(1 + e^(-|z|))
        terms = [max(zi, 0.0) - zi * ti + math.log1p(math.exp(-abs(zi))) for zi, ti in zip(z, t)]
        loss = math.fsum(terms) / n
        grad = [stable.sigmoid_minus_target(zi, ti) / n for zi, ti in zip(z, t)]
        steps.append(
            Step(
                T("Sigmoid of each logit", "每个 logit 的 sigmoid"),
                m.sym("p"),
                [
                    m.Math("σ(z) = 1/(1 + e^(-z))", r"\sigma(z) = \frac{1}{1 + e^{-z}}"),
                    _vec([m.frac(1, 1 + _exp(_n(-v))) for v in z]),
                    _vec(probs),
                ],
            )
        )
        steps.append(
            Step(
                T("Loss of each logit", "每个 logit 的损失"),
                m.Math("ℓ", r"\ell"),
                [
                    m.Math("-[t ln σ(z) + (1 - t) ln(1 - σ(z))]", r"-[t \ln\sigma(z) + (1 - t)\ln(1 - \sigma(z))]"),
                    m.Math("max(z, 0) - z·t + ln(1 + e^(-|z|))", r"\max(z, 0) - z t + \ln(1 + e^{-|z|})"),
                    _vec(
                        [
                            m.call("max", _n(zi), 0) - _n(zi) * _n(ti) + _ln(1 + _exp(_n(-abs(zi))))
                            for zi, ti in zip(z, t)
                        ]
                    ),
                    _vec(terms),
                ],
                T(
                    "the form torch's binary_cross_entropy_with_logits uses: never the log of a σ rounded to 0 or 1",
                    "与 torch 的 binary_cross_entropy_with_logits 相同的形式：不对舍入成 0 或 1 的 σ 取对数",
                ),
            )
        )
        steps.append(
            Step(
                T("Binary cross-entropy (mean)", "二元交叉熵（平均）"),
                m.sym("E"),
                [
                    m.Math("(1/n) Σ ℓ_i", r"\frac{1}{n}\sum_i \ell_i"),
                    m.frac(1, n) * m.total([_n(v) for v in terms]),
                    _n(loss),
                ],
            )
        )
        steps.append(
            Step(
                T("Gradient with respect to the logits", "对 logits 的梯度"),
                m.Math("∂E/∂z", r"\partial E/\partial z"),
                [
                    m.Math("(σ(z) - t)/n", r"\frac{\sigma(z) - t}{n}"),
                    _vec([m.frac(_n(pi) - _n(ti), n) for pi, ti in zip(probs, t)]),
                    _vec(grad),
                ],
            )
        )
        answer.update(loss=loss, gradient=grad, probabilities=probs, target=list(t))
    summary: list[tuple[Text, Text | str]] = [(T("Logits", "logits"), m.vec(list(spec.logits), DIGITS).text)]
    if "probabilities" in answer:
        summary.append((T("Probabilities", "概率"), m.vec(answer["probabilities"], 6).text))
    if "loss" in answer:
        summary += [
            (T("Loss", "损失"), m.fmt_number(answer["loss"], DIGITS)),
            (T("Gradient", "梯度"), m.vec(answer["gradient"], 6).text),
        ]
    title = T("Softmax", "Softmax") if spec.loss is None else T("Loss: {l}", "损失：{l}").format(l=spec.loss)
    return Result("softmax", title, answer, summary, steps, spec=spec)
