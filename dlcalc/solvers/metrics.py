"""Classification metrics from counts or labels, and min-max vs z-score scaling of a data vector.

    precision = TP/(TP + FP),  recall = TP/(TP + FN),  F1 = 2PR/(P + R) = 2TP/(2TP + FP + FN),
    accuracy = (TP + TN)/(TP + TN + FP + FN)
    min-max:  x' = (x - min)/(max - min)  ∈ [0, 1]
    z-score:  x' = (x - μ)/σ with the population σ (divide by n, as sklearn's StandardScaler)
Exact fractions throughout when the input is exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_int, parse_vector
from dlcalc.result import Result, Step
from dlcalc.text import T, Text

FIELDS = {"tp", "fp", "fn", "tn", "y_true", "y_pred", "positive", "data"}


@dataclass(frozen=True)
class MetricsSpec:
    tp: int | None = None
    fp: int | None = None
    fn: int | None = None
    tn: int | None = None
    from_labels: bool = False
    data: tuple[Fraction, ...] | None = None


SOLVER = Solver(
    name="metrics",
    help=T(
        "Precision, recall, F1 and accuracy from counts or labels; min-max vs z-score scaling of data.",
        "由计数或标签求精确率、召回率、F1 与准确率；数据的 min-max 与 z-score 缩放。",
    ),
    example="dlcalc metrics --tp 8 --fp 2 --fn 4 --tn 6",
    inputs=(
        Input("tp", help=T("True positives.", "真正例数。"), metavar="N"),
        Input("fp", help=T("False positives.", "假正例数。"), metavar="N"),
        Input("fn", help=T("False negatives.", "假反例数。"), metavar="N"),
        Input("tn", help=T("True negatives (for accuracy).", "真反例数（求准确率用）。"), metavar="N"),
        Input("y_true", help=T('Or labels: "1,0,1,1".', '或给标签："1,0,1,1"。'), metavar="LIST"),
        Input("y_pred", help=T('Predicted labels: "1,1,0,1".', '预测标签："1,1,0,1"。'), metavar="LIST"),
        Input("positive", help=T("The positive label.", "正类标签。"), default=1, metavar="LABEL"),
        Input(
            "data",
            help=T(
                'A data vector to scale (min-max and z-score): "1, 2, 3, 10".',
                '要缩放的数据向量（min-max 与 z-score）："1, 2, 3, 10"。',
            ),
            metavar="LIST",
        ),
    ),
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> MetricsSpec:
    only_keys(inputs, FIELDS, "metrics")
    data = _data(inputs)
    if inputs.get("y_true") is not None or inputs.get("y_pred") is not None:
        tp, fp, fn, tn = _counts_from_labels(inputs)
        return MetricsSpec(tp, fp, fn, tn, True, data)
    counts = _counts(inputs, data)
    return MetricsSpec(counts["tp"], counts["fp"], counts["fn"], counts["tn"], False, data)


def _data(inputs: Mapping[str, Any]) -> tuple[Fraction, ...] | None:
    """The data vector to scale (at least two values), if given."""
    if inputs.get("data") is None:
        return None
    data = tuple(parse_vector(inputs["data"], "data"))
    if len(data) < 2:
        raise DlcalcError("data: give at least two values to scale")
    return data


def _counts_from_labels(inputs: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """TP, FP, FN and TN counted from true and predicted labels, for the positive label."""
    if inputs.get("y_true") is None or inputs.get("y_pred") is None:
        raise DlcalcError("y_true and y_pred go together")
    yt = [str(v).strip() for v in _labels(inputs["y_true"])]
    yp = [str(v).strip() for v in _labels(inputs["y_pred"])]
    if len(yt) != len(yp):
        raise DlcalcError(f"y_pred: {len(yp)} predictions for {len(yt)} true labels")
    positive = str(inputs.get("positive", "1")).strip()
    if positive not in yt + yp:
        raise DlcalcError(f"positive: label {positive!r} does not occur in y_true or y_pred")
    tp = sum(t == positive and p == positive for t, p in zip(yt, yp))
    fp = sum(t != positive and p == positive for t, p in zip(yt, yp))
    fn = sum(t == positive and p != positive for t, p in zip(yt, yp))
    return tp, fp, fn, len(yt) - tp - fp - fn


def _counts(inputs: Mapping[str, Any], data: tuple[Fraction, ...] | None) -> dict[str, int | None]:
    """The counts as given: tp, fp and fn together (tn optional), none negative."""
    counts = {k: None if inputs.get(k) is None else parse_int(inputs[k], k) for k in ("tp", "fp", "fn", "tn")}
    if all(v is None for v in counts.values()) and data is None:
        raise DlcalcError("metrics: give --tp/--fp/--fn (and --tn), --y-true/--y-pred, or --data to scale")
    if any(v is not None for v in counts.values()):
        for k in ("tp", "fp", "fn"):
            if counts[k] is None:
                raise DlcalcError(f"{k}: missing (precision and recall need tp, fp and fn)")
        for k, v in counts.items():
            if v is not None and v < 0:
                raise DlcalcError(f"{k}: a count cannot be negative, got {v}")
    return counts


def _labels(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [v for v in str(value).replace(";", ",").replace(" ", ",").split(",") if v != ""]


def _ratio(a: int, b: int) -> Fraction | None:
    return None if b == 0 else Fraction(a, b)


def solve(spec: MetricsSpec) -> Result:
    steps: list[Step] = []
    answer: dict[str, Any] = {}
    summary: list[tuple[Text, Text | str]] = []
    if spec.tp is not None:
        _classification_steps(spec, steps, answer, summary)
    if spec.data is not None:
        _scaling_steps(spec.data, steps, answer, summary)
    return Result("metrics", T("Metrics", "评价指标"), answer, summary, steps, spec=spec)


def _classification_steps(spec: MetricsSpec, steps: list[Step], answer: dict[str, Any], summary: list) -> None:
    """Precision, recall, F1 (and accuracy with TN) from the counts, each worked out."""
    tp, fp, fn, tn = spec.tp, spec.fp, spec.fn, spec.tn
    assert tp is not None and fp is not None and fn is not None  # parse_spec requires tp, fp and fn together
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    steps.append(
        Step(
            T("Precision: of the predicted positives, how many are right", "精确率：预测为正的样本中有多少是对的"),
            m.sym("P"),
            [m.frac(m.sym("TP"), m.sym("TP") + m.sym("FP")), m.frac(tp, m.num(tp) + fp)]
            + ([m.num(precision)] if precision is not None else [m.text("undefined (no positive predictions)")]),
        )
    )
    steps.append(
        Step(
            T("Recall: of the real positives, how many are found", "召回率：真实正样本中有多少被找到"),
            m.sym("R"),
            [m.frac(m.sym("TP"), m.sym("TP") + m.sym("FN")), m.frac(tp, m.num(tp) + fn)]
            + ([m.num(recall)] if recall is not None else [m.text("undefined (no real positives)")]),
        )
    )
    steps.append(
        Step(
            T("F1: harmonic mean of precision and recall", "F1：精确率与召回率的调和平均"),
            m.sym("F1"),
            [
                m.frac(m.juxt(2, m.sym("P")) * m.sym("R"), m.sym("P") + m.sym("R")),
                m.frac(m.juxt(2, m.sym("TP")), m.juxt(2, m.sym("TP")) + m.sym("FP") + m.sym("FN")),
                m.frac(2 * tp, m.num(2 * tp) + fp + fn),
            ]
            + ([m.num(f1)] if f1 is not None else []),
        )
    )
    answer.update(tp=tp, fp=fp, fn=fn, tn=tn, precision=precision, recall=recall, f1=f1)
    if tn is not None:
        acc = _ratio(tp + tn, tp + tn + fp + fn)
        steps.append(
            Step(
                T("Accuracy", "准确率"),
                m.sym("Acc"),
                [
                    m.frac(m.sym("TP") + m.sym("TN"), m.sym("TP") + m.sym("TN") + m.sym("FP") + m.sym("FN")),
                    m.frac(m.num(tp) + tn, m.num(tp) + tn + fp + fn),
                ]
                + ([m.num(acc)] if acc is not None else []),
            )
        )
        answer["accuracy"] = acc
    summary.append((T("Counts", "计数"), f"TP={tp}, FP={fp}, FN={fn}" + (f", TN={tn}" if tn is not None else "")))
    for key, label in (
        ("precision", T("Precision", "精确率")),
        ("recall", T("Recall", "召回率")),
        ("f1", T("F1", "F1")),
        ("accuracy", T("Accuracy", "准确率")),
    ):
        if key in answer:
            v = answer[key]
            summary.append((label, "undefined" if v is None else f"{m.fmt_number(v)} ≈ {float(v):.4f}"))


def _scaling_steps(data: tuple[Fraction, ...], steps: list[Step], answer: dict[str, Any], summary: list) -> None:
    """Min-max normalization, mean, σ and z-score standardization of the data."""
    x = list(data)
    lo, hi, mean, var, std, minmax, zscore = _scaled(x)
    n = len(x)
    steps.append(_minmax_step(x, lo, hi, minmax))
    steps.append(
        Step(
            T("Mean", "均值"),
            m.sym("μ", r"\mu"),
            [m.frac(m.summation(m.sym("x")), m.sym("n")), m.frac(m.total([m.num(v) for v in x]), n), m.num(mean)],
        )
    )
    steps.append(
        Step(
            T("Standard deviation (population)", "（总体）标准差"),
            m.sym("σ", r"\sigma"),
            [
                m.sqrt(m.summation(m.squared(m.sym("x") - m.sym("μ")), m.frac(1, m.sym("n")))),
                m.sqrt(m.frac(m.total([(m.num(v) - m.num(mean)) ** 2 for v in x]), n)),
                m.sqrt(m.frac(m.total([m.num((v - mean) ** 2) for v in x]), n)),
                m.sqrt(m.num(var)),
                m.num(std),
            ],
            T(
                "population σ (divide by n), as StandardScaler does; some courses divide by n - 1",
                "总体标准差（除以 n，与 StandardScaler 一致）；有的课程除以 n - 1",
            ),
        )
    )
    steps.append(
        Step(
            T("Z-score standardization", "z-score 标准化"),
            m.sym("x'"),
            [m.frac(m.sym("x") - m.sym("μ", r"\mu"), m.sym("σ", r"\sigma"))]
            + (
                [
                    m.vec(m.elide([m.frac(m.num(v) - m.num(mean), m.num(std)) for v in x])),
                    m.vec(m.elide([m.num(v) for v in zscore])),
                ]
                if zscore
                else [m.text("undefined: σ = 0")]
            ),
        )
    )
    answer.update(data=x, min=lo, max=hi, mean=mean, std=std, minmax=minmax, zscore=zscore)
    summary += [
        (T("Min-max", "min-max"), m.vec(minmax).text if minmax else "—"),
        (T("Z-score", "z-score"), m.vec(zscore).text if zscore else "—"),
    ]


def _minmax_step(x: list, lo: Any, hi: Any, minmax: list | None) -> Step:
    """x' = (x - min)/(max - min) for every value (undefined when all are equal)."""
    return Step(
        T("Min-max normalization to [0, 1]", "min-max 归一化到 [0, 1]"),
        m.sym("x'"),
        [m.frac(m.sym("x") - m.sym("min"), m.sym("max") - m.sym("min"))]
        + (
            [
                m.vec(m.elide([m.frac(m.num(v) - m.num(lo), m.num(hi) - m.num(lo)) for v in x])),
                m.vec(m.elide([m.num(v) for v in minmax])),
            ]
            if minmax
            else [m.frac(m.sym("x") - lo, m.num(hi) - lo), m.text("undefined: all values equal")]
        ),
    )


def _scaled(x: list) -> tuple[Any, Any, Any, Any, Any, list | None, list | None]:
    """min, max, mean, population variance, σ, the min-max values and the z-scores (None when undefined)."""
    lo, hi = min(x), max(x)
    mean = sum(x) / len(x)
    var = sum((v - mean) ** 2 for v in x) / len(x)
    exact_std = _exact_sqrt(var)
    std = exact_std if exact_std is not None else math.sqrt(var)
    minmax = [(v - lo) / (hi - lo) for v in x] if hi != lo else None
    # z = sign(x - μ)·√((x - μ)²/σ²): exact ratios, so tiny or huge data cannot underflow to 0/0
    zscore = None
    if var != 0:
        zscore = [
            (v - mean) / exact_std
            if exact_std is not None
            else math.copysign(math.sqrt((v - mean) ** 2 / var), v - mean)
            for v in x
        ]
    return lo, hi, mean, var, std, minmax, zscore


def _exact_sqrt(v: Fraction | float) -> Fraction | None:
    if not isinstance(v, Fraction):
        return None
    p, q = math.isqrt(v.numerator), math.isqrt(v.denominator)
    return Fraction(p, q) if p * p == v.numerator and q * q == v.denominator else None
