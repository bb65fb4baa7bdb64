"""Batch normalization forward on a small batch, as torch computes it.

Training mode, per feature (BatchNorm1d on N×F), per channel (BatchNorm1d on N×C×L, BatchNorm2d on
N×C×H×W):
    μ = mean over the batch (and L, or H and W),   σ² = the biased variance (divide by m, the count)
    x̂ = (x - μ)/√(σ² + ε),   y = γ·x̂ + β
    running_mean ← (1 - momentum)·running_mean + momentum·μ
    running_var  ← (1 - momentum)·running_var  + momentum·σ²_unbiased   (divide by m - 1)
With momentum None (YAML `momentum: null`) the running statistics are torch's cumulative average:
momentum is replaced by 1/k, k = num_batches_tracked after this batch (the batches seen before + 1).
Eval mode normalizes with the running statistics instead of the batch's.
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
from dlcalc.text import T, Text

FIELDS = {"x", "gamma", "beta", "eps", "momentum", "running_mean", "running_var", "mode", "num_batches_tracked"}
DIGITS = 6


@dataclass(frozen=True)
class BatchNormSpec:
    x: Any  # nested lists: N×F or N×C×H×W
    shape: tuple[int, ...]
    gamma: tuple[float, ...]
    beta: tuple[float, ...]
    eps: float = 1e-5
    momentum: float | None = 0.1  # None: the cumulative moving average
    running_mean: tuple[float, ...] = ()
    running_var: tuple[float, ...] = ()
    mode: str = "train"
    num_batches_tracked: int = 0  # batches seen before this one (torch's buffer)

    @property
    def factor(self) -> float:
        """The weight of this batch in the running statistics: momentum, or 1/k when it is None."""
        return self.momentum if self.momentum is not None else 1 / (self.num_batches_tracked + 1)


def _shape(x: Any, what: str = "x") -> tuple[int, ...]:
    if isinstance(x, (list, tuple)):
        if not x:
            raise DlcalcError(f"{what}: empty")
        inner = [_shape(v, what) for v in x]
        if len(set(inner)) != 1:
            raise DlcalcError(f"{what}: rows of different shapes {sorted(set(inner))}")
        return (len(x),) + inner[0]
    return ()


def _floats(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_floats(v) for v in x]
    return float(parse_number(x, "x"))


SOLVER = Solver(
    name="batchnorm",
    help=T(
        "Batch normalization forward: per-feature mean and variance, normalize, γ and β, running statistics.",
        "批归一化前向：逐特征均值与方差、标准化、γ 与 β、滑动统计量。",
    ),
    example="dlcalc batchnorm -f batchnorm.yaml --check",
    inputs=(
        Input(
            "mode",
            help=T("train (batch statistics) or eval (running ones).", "train（用批统计量）或 eval（用滑动统计量）。"),
            choices=("train", "eval"),
            shown_default=T("train", "train"),
        ),
    ),
    fields=("x", "gamma", "beta", "eps", "momentum", "running_mean", "running_var", "num_batches_tracked"),
    file=True,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> BatchNormSpec:
    only_keys(inputs, FIELDS, "batchnorm")
    x, shape = _batch(inputs)
    c = shape[1]
    mode = _mode(inputs, shape)
    eps, momentum, num_batches_tracked = _settings(inputs)
    rv = _per_feature(inputs, "running_var", 1.0, c)
    if any(v < 0 for v in rv):
        raise DlcalcError("running_var: a variance cannot be negative")
    return BatchNormSpec(
        x,
        shape,
        _per_feature(inputs, "gamma", 1.0, c),
        _per_feature(inputs, "beta", 0.0, c),
        eps,
        momentum,
        _per_feature(inputs, "running_mean", 0.0, c),
        rv,
        mode,
        num_batches_tracked,
    )


def _batch(inputs: Mapping[str, Any]) -> tuple[Any, tuple[int, ...]]:
    """x as nested floats and its shape: N×F, N×C×L (BatchNorm1d) or N×C×H×W (BatchNorm2d)."""
    raw = inputs.get("x")
    if raw is None:
        raise DlcalcError("batchnorm: x is missing (N×F rows, or N×C×H×W)")
    if isinstance(raw, str):
        raw = [[v for v in parse_vector(r, "x")] for r in raw.split(";")]
    x = _floats(raw)
    shape = _shape(x)
    if len(shape) not in (2, 3, 4):
        got = "×".join(map(str, shape))
        raise DlcalcError(
            T("x: expected N×F or N×C×L (BatchNorm1d) or N×C×H×W (BatchNorm2d), got shape {s}",
              "x：应为 N×F、N×C×L（BatchNorm1d）或 N×C×H×W（BatchNorm2d），得到形状 {s}").format(s=got)
            if got else T("x: expected N×F or N×C×L (BatchNorm1d) or N×C×H×W (BatchNorm2d), got a number",
                          "x：应为 N×F、N×C×L（BatchNorm1d）或 N×C×H×W（BatchNorm2d），得到一个数")
        )  # fmt: skip
    return x, shape


def _mode(inputs: Mapping[str, Any], shape: tuple[int, ...]) -> str:
    """train or eval; training needs more than one value per feature, as torch does."""
    mode = str(inputs.get("mode") or "train").strip().lower()
    if mode not in ("train", "eval"):
        raise DlcalcError(f"mode: expected train or eval, got {mode!r}")
    if mode == "train" and math.prod(shape) // shape[1] < 2:
        raise DlcalcError(
            T("x: training mode needs more than one value per feature (torch refuses a batch of 1)",
              "x：训练模式下每个特征需要不止一个值（torch 拒绝大小为 1 的批）")
        )  # fmt: skip
    return mode


def _per_feature(inputs: Mapping[str, Any], key: str, default: float, c: int) -> tuple[float, ...]:
    """One value per feature (channel); a single value stands for all of them."""
    if inputs.get(key) is None:
        return (default,) * c
    v = [float(t) for t in parse_vector(inputs[key], key)]
    if len(v) == 1:
        v = v * c
    if len(v) != c:
        raise DlcalcError(f"{key}: expected {c} values (one per feature/channel), got {len(v)}")
    return tuple(v)


def _settings(inputs: Mapping[str, Any]) -> tuple[float, float | None, int]:
    """eps, momentum (None: the cumulative average) and the batches already tracked."""
    eps = float(parse_number(inputs.get("eps", "1e-5"), "eps"))
    raw_momentum = inputs.get("momentum", "0.1")
    cumulative = raw_momentum is None or str(raw_momentum).strip().lower() in ("null", "none", "~", "cumulative")
    momentum = None if cumulative else float(parse_number(raw_momentum, "momentum"))
    if eps <= 0 or not (momentum is None or 0 <= momentum <= 1):
        raise DlcalcError("eps must be positive and momentum within [0, 1] (or null: the cumulative average)")
    tracked = inputs.get("num_batches_tracked")
    num_batches_tracked = parse_int(tracked, "num_batches_tracked") if tracked is not None else 0
    if not 0 <= num_batches_tracked <= 10**15:
        raise DlcalcError(
            T(
                "num_batches_tracked: expected a count of batches (0 or more), got {n}",
                "num_batches_tracked：应为已处理的批数（0 或更多），得到 {n}",
            ).format(n=num_batches_tracked)  # fmt: skip
        )
    return eps, momentum, num_batches_tracked


def _values(spec: BatchNormSpec, ch: int) -> list[float]:
    if len(spec.shape) == 2:
        return [row[ch] for row in spec.x]
    if len(spec.shape) == 3:  # N×C×L: the channel's values over the batch and the length
        return [v for sample in spec.x for v in sample[ch]]
    return [v for sample in spec.x for row in sample[ch] for v in row]


def _apply(spec: BatchNormSpec, fn) -> Any:
    if len(spec.shape) == 2:
        return [[fn(ch, v) for ch, v in enumerate(row)] for row in spec.x]
    if len(spec.shape) == 3:
        return [[[fn(ch, v) for v in seq] for ch, seq in enumerate(sample)] for sample in spec.x]
    return [[[[fn(ch, v) for v in row] for row in plane] for ch, plane in enumerate(sample)] for sample in spec.x]


def _n(v: float) -> m.Math:
    return m.num(v, DIGITS)


MU, SIGMA2, S2, X, EPS = m.sym("μ"), m.sym("σ²", r"\sigma^2"), m.sym("s²", "s^2"), m.sym("x"), m.sym("ε")
MOMENTUM, RUNNING_MEAN, RUNNING_VAR = m.text("momentum"), m.text("running_mean"), m.text("running_var")
PER_BATCH = m.frac(1, m.sym("m"))  # (1/m) Σ …


def solve(spec: BatchNormSpec) -> Result:
    c = spec.shape[1]
    steps: list[Step] = []
    stats: list[tuple[float, float, float, float | None, float | None]] = []  # μ, σ², s², new running μ, σ²
    for ch in range(c):
        stats.append(_batch_statistics(spec, ch, steps))
    means, variances, unbiased = [s[0] for s in stats], [s[1] for s in stats], [s[2] for s in stats]
    use_mean = means if spec.mode == "train" else list(spec.running_mean)
    use_var = variances if spec.mode == "train" else list(spec.running_var)

    def normalize(ch: int, v: float) -> float:
        return spec.gamma[ch] * (v - use_mean[ch]) / math.sqrt(use_var[ch] + spec.eps) + spec.beta[ch]

    out = _apply(spec, normalize)
    for ch in range(c):
        steps.append(_normalize_step(spec, ch, use_mean[ch], use_var[ch], normalize))
    answer: dict[str, Any] = {"output": out, "mode": spec.mode, "mean": means, "var": variances}
    if spec.mode == "train":
        answer.update(
            running_mean=[s[3] for s in stats],
            running_var=[s[4] for s in stats],
            var_unbiased=unbiased,
            num_batches_tracked=spec.num_batches_tracked + 1,
        )
    layer = "BatchNorm2d" if len(spec.shape) == 4 else "BatchNorm1d"
    momentum = "None" if spec.momentum is None else f"{spec.momentum:g}"
    summary: list[tuple[Text, Text | str]] = [
        (T("Layer", "层"), f"{layer}({c}, eps={spec.eps:g}, momentum={momentum}), {spec.mode} mode"),
        (T("Batch mean", "批均值"), m.vec(means, DIGITS).text),
        (T("Batch variance", "批方差"), m.vec(variances, DIGITS).text),
    ]
    if len(spec.shape) == 2:
        summary.append((T("Output", "输出"), "; ".join(m.vec(r, DIGITS).text for r in out)))
    return Result("batchnorm", T(layer, layer), answer, summary, steps, spec=spec)


def _label(spec: BatchNormSpec, ch: int, en: str, zh: str) -> Text:
    unit = T("feature", "特征") if len(spec.shape) == 2 else T("channel", "通道")
    return T(f"{unit.en} {ch + 1}: {en}", f"{unit.zh} {ch + 1}：{zh}")


def _batch_statistics(
    spec: BatchNormSpec, ch: int, steps: list[Step]
) -> tuple[float, float, float, float | None, float | None]:
    """One feature's μ and σ² over the batch, and (training) the unbiased s² and the running statistics."""
    vals = _values(spec, ch)
    n = len(vals)
    mu = math.fsum(vals) / n
    squares = [(v - mu) ** 2 for v in vals]
    var = math.fsum(squares) / n
    unbiased = var * n / (n - 1) if n > 1 else float("nan")
    if spec.mode != "train":
        return mu, var, unbiased, None, None
    k = ch + 1
    steps.append(
        Step(
            _label(spec, ch, "batch mean", "批均值"),
            m.numbered(MU, k),
            [m.summation(X, PER_BATCH), m.frac(m.total([_n(v) for v in vals]), n), _n(mu)],
            T("over m = {n} values", "共 m = {n} 个值").format(n=n),
        )
    )
    steps.append(
        Step(
            _label(spec, ch, "batch variance (biased, used to normalize)", "批方差（有偏，用于归一化）"),
            m.numbered(SIGMA2, k),
            [
                m.summation(m.squared(X - MU), PER_BATCH),
                m.frac(m.total([(_n(v) - _n(mu)) ** 2 for v in vals]), n),
                m.frac(m.total([_n(q) for q in squares]), n),
                _n(var),
            ],
        )
    )
    rm, rv = _running_steps(spec, ch, steps, mu, unbiased, math.fsum(squares), n)
    return mu, var, unbiased, rm, rv


def _running_steps(
    spec: BatchNormSpec, ch: int, steps: list[Step], mu: float, unbiased: float, sum_sq: float, n: int
) -> tuple[float, float]:
    """The running mean, the unbiased variance and the running variance, updated with momentum."""
    k = ch + 1
    tracked = spec.num_batches_tracked + 1  # torch counts this batch before averaging
    mom = _n(spec.momentum) if spec.momentum is not None else m.frac(1, tracked)
    cumulative = (
        T(
            "momentum=None: the cumulative average, this batch weighted 1/k with k = num_batches_tracked = {k}",
            "momentum=None：累积平均，本批权重为 1/k，k = num_batches_tracked = {k}",
        ).format(k=tracked)
        if spec.momentum is None
        else None
    )
    rm = (1 - spec.factor) * spec.running_mean[ch] + spec.factor * mu
    rv = (1 - spec.factor) * spec.running_var[ch] + spec.factor * unbiased
    steps.append(
        Step(
            _label(spec, ch, "running mean", "滑动均值"),
            m.numbered(RUNNING_MEAN, k),
            [
                (1 - MOMENTUM) * RUNNING_MEAN + MOMENTUM * MU,
                (1 - mom) * _n(spec.running_mean[ch]) + mom * _n(mu),
                _n(rm),
            ],
            cumulative,
        )
    )
    steps.append(
        Step(
            _label(spec, ch, "unbiased variance (for the running statistics)", "无偏方差（用于滑动统计量）"),
            m.numbered(S2, k),
            [
                m.frac(m.summation(m.squared(X - MU)), m.sym("m") - 1),
                m.frac(_n(sum_sq), m.num(n) - 1),
                _n(unbiased),
            ],
        )
    )
    steps.append(
        Step(
            _label(spec, ch, "running variance", "滑动方差"),
            m.numbered(RUNNING_VAR, k),
            [
                (1 - MOMENTUM) * RUNNING_VAR + MOMENTUM * S2,
                (1 - mom) * _n(spec.running_var[ch]) + mom * _n(unbiased),
                _n(rv),
            ],
            T(
                "the running variance takes the unbiased variance (÷ (m - 1)), as torch does",
                "滑动方差使用无偏方差（除以 m - 1），与 torch 一致",
            ),
        )
    )
    return rm, rv


def _normalize_step(spec: BatchNormSpec, ch: int, mean: float, var: float, normalize: Any) -> Step:
    """y = γ·(x - μ)/√(σ² + ε) + β for each value of one feature."""
    vals = _values(spec, ch)
    g, b, mu_m = _n(spec.gamma[ch]), _n(spec.beta[ch]), _n(mean)
    root = m.sqrt(_n(var) + _n(spec.eps))
    unit = T("feature", "特征") if len(spec.shape) == 2 else T("channel", "通道")
    return Step(
        T(f"{unit.en} {ch + 1}: normalize, scale and shift", f"{unit.zh} {ch + 1}：归一化、缩放与平移"),
        m.sym("y"),
        [
            m.sym("γ") * (X - MU) / m.sqrt(SIGMA2 + EPS) + m.sym("β"),
            m.vec(m.elide([m.frac(g * (_n(v) - mu_m), root) + b for v in vals])),
            m.vec(m.elide([_n(normalize(ch, v)) for v in vals])),
        ],
        T("eval mode: the running statistics, not the batch's", "eval 模式：使用滑动统计量而非本批统计量")
        if spec.mode == "eval"
        else None,
    )
