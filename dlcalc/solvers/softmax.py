"""Softmax and the losses on top of it, with their gradients with respect to the logits.

softmax(z)_i = e^(z_i - max z) / Σ_j e^(z_j - max z)       (shifted by max z: no overflow)
log-sum-exp  = max z + ln Σ_j e^(z_j - max z)
cross-entropy with target distribution t:  E = -Σ t_i ln p_i = LSE(z) - Σ t_i z_i,   ∂E/∂z = p - t
MSE on predictions y:                      E = (1/n) Σ (y_i - t_i)²,               ∂E/∂y = 2(y - t)/n
binary cross-entropy on a logit z:         E = -[t ln σ(z) + (1 - t) ln(1 - σ(z))], ∂E/∂z = σ(z) - t
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_int, parse_number, parse_vector
from dlcalc.result import Result, Step
from dlcalc.solvers.stable import log_sigmoid, log_sum_exp, sigmoid, softmax
from dlcalc.text import T

LOSSES = ("cross_entropy", "mse", "bce")
FIELDS = {"logits", "target", "loss", "temperature"}
DIGITS = 9


@dataclass(frozen=True)
class SoftmaxSpec:
    logits: tuple[float, ...]
    loss: str | None = None  # None: softmax alone
    target: tuple[float, ...] | None = None
    target_index: int | None = None
    temperature: float = 1.0


def parse_spec(inputs: Mapping[str, Any]) -> SoftmaxSpec:
    only_keys(inputs, FIELDS, "softmax")
    if inputs.get("logits") is None:
        raise DlcalcError('softmax: give the logits, e.g. "2, 1, 0.1"')
    z = tuple(float(v) for v in parse_vector(inputs["logits"], "logits"))
    loss = inputs.get("loss")
    loss = None if loss is None else str(loss).strip().lower().replace("-", "_")
    if loss is not None and loss not in LOSSES:
        raise DlcalcError(f"loss: expected one of {', '.join(LOSSES)}, got {inputs.get('loss')!r}")
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


def solve(spec: SoftmaxSpec) -> Result:
    z = [v / spec.temperature for v in spec.logits]
    steps: list[Step] = []
    answer: dict[str, Any] = {"logits": list(spec.logits)}
    vec = lambda v: m.vec(list(v), DIGITS)  # noqa: E731
    if spec.temperature != 1:
        steps.append(Step(T("Temperature", "温度"), m.sym("z/T"), [vec(z)]))
    if spec.loss in (None, "cross_entropy"):
        lse = log_sum_exp(z)
        p = softmax(z)
        top = max(z)
        steps.append(
            Step(
                T("Shift by the largest logit (no overflow)", "减去最大的 logit（避免溢出）"),
                m.Math("z - max z", r"z - \max z"),
                [vec([v - top for v in z])],
            )
        )
        steps.append(
            Step(
                T("Log-sum-exp", "log-sum-exp"),
                m.Math("LSE(z)", r"\operatorname{LSE}(z)"),
                [m.Math("max z + ln Σ e^(z_j - max z)", r"\max z + \ln \sum_j e^{z_j - \max z}"), m.num(lse, DIGITS)],
            )
        )
        steps.append(
            Step(
                T("Softmax", "Softmax"),
                m.sym("p"),
                [m.Math("e^(z_i - LSE(z))", r"e^{z_i - \operatorname{LSE}(z)}"), vec(p)],
                T("the probabilities sum to 1", "概率之和为 1"),
            )
        )
        answer["probabilities"] = p
        answer["log_sum_exp"] = lse
        jac = [[p[i] * ((1 if i == j else 0) - p[j]) for j in range(len(p))] for i in range(len(p))]
        answer["jacobian"] = jac
        if spec.loss is None:
            steps.append(
                Step(
                    T("Jacobian of softmax", "softmax 的雅可比矩阵"),
                    m.Math("∂p_i/∂z_j", r"\partial p_i / \partial z_j"),
                    [m.Math("p_i(1[i=j] - p_j)", r"p_i(\delta_{ij} - p_j)")],
                )
            )
    if spec.loss == "cross_entropy":
        t = spec.target
        loss = lse - sum(ti * zi for ti, zi in zip(t, z))
        grad = [pi - ti for pi, ti in zip(p, t)]
        what = (
            m.Math(
                f"-ln p_{spec.target_index} = LSE(z) - z_{spec.target_index}",
                rf"-\ln p_{spec.target_index} = \operatorname{{LSE}}(z) - z_{spec.target_index}",
            )
            if spec.target_index is not None
            else m.Math(
                "-Σ t_i ln p_i = LSE(z) - Σ t_i z_i", r"-\sum_i t_i \ln p_i = \operatorname{LSE}(z) - \sum_i t_i z_i"
            )
        )
        steps.append(
            Step(
                T("Cross-entropy", "交叉熵"),
                m.sym("E"),
                [what, m.num(loss, DIGITS)],
                T("computed from LSE, never as ln of a rounded probability", "由 LSE 直接计算，不对舍入后的概率取对数"),
            )
        )
        steps.append(
            Step(
                T("Gradient with respect to the logits", "对 logits 的梯度"),
                m.Math("∂E/∂z", r"\partial E/\partial z"),
                [m.Math("p - t", "p - t"), vec(grad)],
                T("with temperature T, divide by T", "若有温度 T，再除以 T") if spec.temperature != 1 else None,
            )
        )
        answer.update(loss=loss, gradient=[g / spec.temperature for g in grad], target=list(t))
    elif spec.loss == "mse":
        t = spec.target
        n = len(z)
        loss = sum((a - b) ** 2 for a, b in zip(spec.logits, t)) / n
        grad = [2 * (a - b) / n for a, b in zip(spec.logits, t)]
        steps.append(
            Step(
                T("Mean squared error", "均方误差"),
                m.sym("E"),
                [m.Math("(1/n) Σ (y_i - t_i)²", r"\frac{1}{n}\sum_i (y_i - t_i)^2"), m.num(loss, DIGITS)],
            )
        )
        steps.append(
            Step(
                T("Gradient with respect to the predictions", "对预测值的梯度"),
                m.Math("∂E/∂y", r"\partial E/\partial y"),
                [m.Math("2(y - t)/n", r"\frac{2(y - t)}{n}"), vec(grad)],
            )
        )
        answer.update(loss=loss, gradient=grad, target=list(t))
    elif spec.loss == "bce":
        t = spec.target
        n = len(z)
        probs = [sigmoid(v) for v in z]
        losses = [-(ti * log_sigmoid(zi) + (1 - ti) * log_sigmoid(-zi)) for zi, ti in zip(z, t)]
        loss = sum(losses) / n
        grad = [(pi - ti) / n for pi, ti in zip(probs, t)]
        steps.append(Step(T("Sigmoid of each logit", "每个 logit 的 sigmoid"), m.sym("p"), [vec(probs)]))
        steps.append(
            Step(
                T("Binary cross-entropy (mean)", "二元交叉熵（平均）"),
                m.sym("E"),
                [
                    m.Math(
                        "-(1/n) Σ [t ln σ(z) + (1 - t) ln(1 - σ(z))]",
                        r"-\frac{1}{n}\sum [t \ln\sigma(z) + (1-t)\ln(1-\sigma(z))]",
                    ),
                    m.num(loss, DIGITS),
                ],
                T("ln σ(z) = -softplus(-z): stable for large |z|", "ln σ(z) = -softplus(-z)：|z| 很大时依然稳定"),
            )
        )
        steps.append(
            Step(
                T("Gradient with respect to the logits", "对 logits 的梯度"),
                m.Math("∂E/∂z", r"\partial E/\partial z"),
                [m.Math("(σ(z) - t)/n", r"\frac{\sigma(z) - t}{n}"), vec(grad)],
            )
        )
        answer.update(loss=loss, gradient=grad, probabilities=probs, target=list(t))
    summary = [(T("Logits", "logits"), m.vec(list(spec.logits), DIGITS).text)]
    if "probabilities" in answer:
        summary.append((T("Probabilities", "概率"), m.vec(answer["probabilities"], 6).text))
    if "loss" in answer:
        summary += [
            (T("Loss", "损失"), m.fmt_number(answer["loss"], DIGITS)),
            (T("Gradient", "梯度"), m.vec(answer["gradient"], 6).text),
        ]
    title = T("Softmax", "Softmax") if spec.loss is None else T("Loss: {l}", "损失：{l}").format(l=spec.loss)
    return Result("softmax", title, answer, summary, steps, spec=spec)
