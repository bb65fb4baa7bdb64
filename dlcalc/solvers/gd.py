"""Batch, mini-batch and stochastic gradient descent on a small dataset, every update worked out.

Models (parameters in torch's order and layout):
    linear    ŷ = w·x + b                                   (nn.Linear(d, 1))
    logistic  p = σ(w·x + b)                                (nn.Linear(d, 1) + BCEWithLogitsLoss)
    mlp       h = act(W1·x + b1),  ŷ = w2·h + b2            (nn.Linear(d, H), act, nn.Linear(H, 1))
Losses, averaged over the samples of the batch (torch's reduction="mean"):
    mse  L = (1/B) Σ (ŷ_i − y_i)²                     ∂L/∂ŷ_i = 2(ŷ_i − y_i)/B
    bce  L = −(1/B) Σ [y_i ln p_i + (1 − y_i) ln(1 − p_i)],  p = σ(z),   ∂L/∂z_i = (p_i − y_i)/B
One update: θ ← θ − lr·∇L_B(θ), on the B samples of the batch. An epoch is ⌈N/B⌉ updates over the
N samples; the last batch holds N mod B samples when B does not divide N (torch's drop_last=False),
and its mean divides by that smaller count.

The order of the samples: as given, every epoch; with a seed, the order in which
`DataLoader(data, batch_size=B, shuffle=True, generator=torch.Generator().manual_seed(seed))`
visits them (see `torch_orders`), so a student's torch script reproduces every batch.
The linear model with mse on exact input is worked in exact fractions while they stay short.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_int, parse_matrix, parse_number, parse_vector
from dlcalc.result import Result, Step, Table
from dlcalc.solvers.stable import sigmoid
from dlcalc.text import T, Text

MODELS = ("linear", "logistic", "mlp")
LOSSES = ("mse", "bce")
ACTIVATIONS = ("sigmoid", "tanh", "relu")
FIELDS = {
    "x", "y", "model", "loss", "batch", "lr", "epochs", "w0", "b0", "seed", "hidden", "activation", "compare",
    "W1", "b1", "w2", "b2",
}  # fmt: skip
MAX_EPOCHS = 1000
MAX_UPDATES = 20_000  # updates of one run (epochs × updates per epoch)
MAX_WORK = 3_000_000  # updates × (N + B) × parameters over every run: a few seconds at most
DIVERGED = 10**12  # a parameter beyond this has left every exam's scale: the run stops, asking for a smaller lr
EXACT_DIGITS = 12  # exact fractions while every denominator has at most this many digits
WORKED = 6  # updates worked out in full (then the last one); the table lists them all
DIGITS = 6
CHART_WIDTH, CHART_HEIGHT = 56, 14


@dataclass(frozen=True)
class GDSpec:
    x: tuple[tuple[Any, ...], ...]
    y: tuple[Any, ...]
    model: str = "linear"
    loss: str = "mse"
    batch: int = 0  # samples per update; N is batch GD, 1 stochastic
    lr: Any = Fraction(1, 10)
    epochs: int = 5
    init: dict[str, Any] = field(default_factory=dict)  # the parameters at the start, torch's layout
    seed: int | None = None
    hidden: int = 2
    activation: str = "sigmoid"
    compare: bool = False
    exact: bool = True

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def kind(self) -> Text:
        return batch_kind(self.batch, self.n)


SOLVER = Solver(
    name="gd",
    help=T(
        "Batch, mini-batch and stochastic gradient descent on a small dataset: every update worked out, the three kinds compared.",
        "在小数据集上做批量、小批量与随机梯度下降：逐次写出每次更新，并比较三种方法。",
    ),
    example='dlcalc gd --samples "1,2; 2,0; 3,1; 0,1" --targets "3; 2; 4; 1" --batch 2 --lr 0.1 --epochs 1',
    inputs=(
        Input(
            "x",
            help=T(
                'Samples, one per row: "1,2; 2,3; 3,5" (one number per sample: "1; 2; 3").',
                '样本，每行一个："1,2; 2,3; 3,5"（每个样本一个数时："1; 2; 3"）。',
            ),
            flag="--samples",
            aliases=("--x", "--inputs"),
            metavar="MATRIX",
        ),
        Input(
            "y",
            help=T(
                'Targets, one per sample: "3; 5; 8" (0 or 1 for logistic).',
                '目标值，每个样本一个："3; 5; 8"（logistic 时为 0 或 1）。',
            ),
            flag="--targets",
            aliases=("--y",),
            metavar="LIST",
        ),
        Input(
            "model",
            help=T(
                "linear (ŷ = w·x + b), logistic (σ, binary cross-entropy) or mlp (one hidden layer).",
                "linear（ŷ = w·x + b）、logistic（σ，二元交叉熵）或 mlp（一个隐藏层）。",
            ),
            choices=MODELS,
            default="linear",
        ),
        Input(
            "loss",
            help=T(
                "mse (torch's MSELoss, the batch mean) or bce (BCEWithLogitsLoss).",
                "mse（torch 的 MSELoss，对本批取平均）或 bce（BCEWithLogitsLoss）。",
            ),
            choices=LOSSES,
            shown_default=T("mse; bce for logistic", "mse；logistic 为 bce"),
        ),
        Input(
            "batch",
            help=T(
                "Samples per update: full (batch GD), N (mini-batch) or 1 (stochastic).",
                "每次更新用的样本数：full（批量）、N（小批量）或 1（随机）。",
            ),
            metavar="full|N|1",
            shown_default=T("full", "full"),
        ),
        Input("lr", help=T("Learning rate.", "学习率。"), metavar="NUMBER", shown_default=T("0.1", "0.1")),
        Input("epochs", help=T("Passes over the data.", "遍历数据的轮数。"), metavar="N", shown_default=T("5", "5")),
        Input(
            "w0",
            help=T(
                'Initial weights, e.g. "0.5,-1" (mlp: every parameter, W1 row by row, b1, w2, b2).',
                '初始权重，例如 "0.5,-1"（mlp：全部参数，依次为按行的 W1、b1、w2、b2）。',
            ),
            metavar="LIST",
            shown_default=T("zeros", "全零"),
        ),
        Input("b0", help=T("Initial bias.", "初始偏置。"), metavar="NUMBER", shown_default=T("0", "0")),
        Input(
            "seed",
            help=T(
                "Shuffle every epoch as torch's DataLoader(shuffle=True, generator=torch.Generator().manual_seed(N)).",
                "每轮按 torch 的 DataLoader(shuffle=True, generator=torch.Generator().manual_seed(N)) 打乱样本。",
            ),
            metavar="N",
            shown_default=T("none: the samples in order", "不打乱：按给定顺序"),
        ),
        Input(
            "hidden", help=T("Hidden units of the mlp.", "mlp 的隐藏单元数。"), metavar="N", shown_default=T("2", "2")
        ),
        Input(
            "activation",
            help=T("The mlp's hidden activation.", "mlp 隐藏层的激活函数。"),
            choices=ACTIVATIONS,
            shown_default=T("sigmoid", "sigmoid"),
        ),
        Input(
            "compare",
            help=T(
                "Also run batch GD, a mini-batch and SGD side by side: a table and a loss chart.",
                "同时并排运行批量、小批量与随机梯度下降：给出表格与损失曲线图。",
            ),
            switch=True,
        ),
    ),  # fmt: skip
    fields=("W1", "b1", "w2", "b2"),
    file=True,
    read_all=lambda inputs: parse_spec(inputs),
)


# --- reading the problem ------------------------------------------------------------------------


def parse_batch(value: Any, n: int) -> int:
    text = str(value).strip().lower()
    if text in ("full", "batch", "all", "n"):
        return n
    size = parse_int(value, "batch")
    if not 1 <= size <= n:
        raise DlcalcError(
            T(
                "batch: expected full or 1 to {n} (the number of samples), got {b}",
                "batch：应为 full 或 1 到 {n}（样本数），得到 {b}",
            ).format(n=n, b=size)  # fmt: skip
        )
    return size


def parse_spec(inputs: Mapping[str, Any]) -> GDSpec:
    only_keys(inputs, FIELDS, "gd")
    x, y = _samples_and_targets(inputs)
    model, loss = _model_and_loss(inputs, y)
    n, d = len(x), len(x[0])
    batch = parse_batch(inputs.get("batch", "full") if inputs.get("batch") is not None else "full", n)
    lr = parse_number(inputs["lr"], "lr") if inputs.get("lr") is not None else Fraction(1, 10)
    if lr <= 0:
        raise DlcalcError(T("lr: must be positive, got {v}", "lr：须为正数，得到 {v}").format(v=m.fmt_number(lr)))
    compare = bool(inputs.get("compare")) and str(inputs.get("compare")).strip().lower() not in ("false", "no", "0")
    epochs = _epochs(inputs, n, 1 if compare else batch)
    seed = parse_int(inputs["seed"], "seed") if inputs.get("seed") is not None else None
    if seed is not None and not 0 <= seed < 2**63:
        raise DlcalcError(
            T("seed: expected 0 to 2^63 - 1, got {s}", "seed：应为 0 到 2^63 - 1，得到 {s}").format(s=seed)
        )
    hidden = parse_int(inputs["hidden"], "hidden") if inputs.get("hidden") is not None else 2
    if model == "mlp" and not 1 <= hidden <= 16:
        raise DlcalcError(
            T("hidden: expected 1 to 16 units, got {h}", "hidden：应为 1 到 16 个单元，得到 {h}").format(h=hidden)
        )
    activation = _choice(inputs.get("activation"), ACTIVATIONS, "activation", "sigmoid")
    init = _initial(inputs, model, d, hidden)
    _refuse_too_much_work(n, d, hidden if model == "mlp" else 0, batch, epochs, compare)
    exact = model == "linear" and loss == "mse"
    if not exact:  # σ or an mlp: float64, as torch
        return GDSpec(
            x=tuple(tuple(float(v) for v in r) for r in x), y=tuple(float(v) for v in y), model=model, loss=loss,
            batch=batch, lr=float(lr), epochs=epochs, init={k: _to_float(v) for k, v in init.items()}, seed=seed,
            hidden=hidden, activation=activation, compare=compare, exact=False,
        )  # fmt: skip
    return GDSpec(
        x=tuple(tuple(r) for r in x), y=tuple(y), model=model, loss=loss, batch=batch, lr=lr, epochs=epochs,
        init=init, seed=seed, hidden=hidden, activation=activation, compare=compare, exact=exact,
    )  # fmt: skip


def _samples_and_targets(inputs: Mapping[str, Any]) -> tuple[list[list[Any]], list[Any]]:
    """The samples (one per row; a single row of numbers is one number per sample) and their targets."""
    for key, example in (("x", '--samples "1,2; 2,3; 3,5"'), ("y", '--targets "1; 2; 3"')):
        if inputs.get(key) is None:
            raise DlcalcError(T("gd: {k} is missing (e.g. {e})", "gd：缺少 {k}（例如 {e}）").format(k=key, e=example))
    x = parse_matrix(inputs["x"], "x")
    y = [row[0] for row in parse_matrix(inputs["y"], "y")] if _column(inputs["y"]) else parse_vector(inputs["y"], "y")
    if len(x) != len(y):
        if len(x) == 1 and len(x[0]) == len(y):  # one number per sample, written on one row
            x = [[v] for v in x[0]]
        else:
            raise DlcalcError(
                T("y: {a} targets for {b} samples", "y：{a} 个目标值，但有 {b} 个样本").format(a=len(y), b=len(x))
            )
    return x, y


def _model_and_loss(inputs: Mapping[str, Any], y: list[Any]) -> tuple[str, str]:
    """The model and its loss (bce for logistic; a linear score under bce is logistic regression)."""
    model = _choice(inputs.get("model"), MODELS, "model", "linear")
    loss = _choice(inputs.get("loss"), LOSSES, "loss", "bce" if model == "logistic" else "mse")
    if model == "logistic" and loss != "bce":
        raise DlcalcError(T("loss: logistic regression is trained with bce", "loss：逻辑回归用 bce 训练"))
    if model == "linear" and loss == "bce":
        model = "logistic"  # a linear score under BCE is logistic regression
    if loss == "bce":
        for i, t in enumerate(y, 1):
            if not 0 <= t <= 1:
                raise DlcalcError(
                    T(
                        "y: target {i} is {v}; bce targets lie in [0, 1]",
                        "y：第 {i} 个目标值为 {v}；bce 的目标值须在 [0, 1] 内",
                    ).format(i=i, v=m.fmt_number(t))
                )
    return model, loss


def _epochs(inputs: Mapping[str, Any], n: int, smallest_batch: int) -> int:
    epochs = parse_int(inputs["epochs"], "epochs") if inputs.get("epochs") is not None else 5
    if not 1 <= epochs <= MAX_EPOCHS:
        raise DlcalcError(
            T("epochs: expected 1 to {m}, got {e}", "epochs：应为 1 到 {m}，得到 {e}").format(m=MAX_EPOCHS, e=epochs)
        )
    if epochs * -(-n // smallest_batch) > MAX_UPDATES:
        raise DlcalcError(
            T(
                "epochs: {e} epochs of {u} updates is more than {m} updates",
                "epochs：{e} 轮 × 每轮 {u} 次更新超过 {m} 次",
            ).format(e=epochs, u=-(-n // smallest_batch), m=MAX_UPDATES)
        )
    return epochs


def _refuse_too_much_work(n: int, d: int, hidden: int, batch: int, epochs: int, compare: bool) -> None:
    """Every update runs the batch forward and back and the whole set forward (its loss, and the
    full gradient the noise is measured against): about updates × (N + B) × parameters operations."""
    params = hidden * d + 2 * hidden + 1 if hidden else d + 1
    sizes = [n, max(2, n // 4) if not 1 < batch < n else batch, 1] if compare else [batch]
    work = sum(epochs * -(-n // b) * (n + b) * params for b in set(sizes) if 1 <= b <= n)
    if work > MAX_WORK:
        raise DlcalcError(
            T(
                "gd: {n} samples, {p} parameters and {e} epochs are too much to work out by hand (about {w:,} operations, "
                "at most {m:,}); use fewer epochs, samples or hidden units",
                "gd：{n} 个样本、{p} 个参数、{e} 轮的计算量过大（约 {w:,} 次运算，上限 {m:,}）；请减少轮数、样本或隐藏单元",
            ).format(n=n, p=params, e=epochs, w=work, m=MAX_WORK)  # fmt: skip
        )


def _column(value: Any) -> bool:
    """Targets written as a column ("1; 2; 3" or [[1], [2]]) rather than a row."""
    if isinstance(value, str):
        return ";" in value
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, (list, tuple)) for v in value)


def _choice(value: Any, choices: tuple[str, ...], what: str, default: str) -> str:
    if value is None:
        return default
    text = str(getattr(value, "value", value)).strip().lower().replace("-", "_")
    if text not in choices:
        raise DlcalcError(
            T("{w}: expected one of {c}, got {v!r}", "{w}：应为 {c} 之一，得到 {v!r}").format(
                w=what, c=", ".join(choices), v=value
            )
        )
    return text


def _to_float(v: Any) -> Any:
    if isinstance(v, list):
        return [_to_float(e) for e in v]
    return float(v)


def _initial(inputs: Mapping[str, Any], model: str, d: int, hidden: int) -> dict[str, Any]:
    """The starting parameters: zeros unless given. mlp: W1 (H×d), b1, w2, b2 as fields, or all of
    them in that order in w0 (torch's parameters() order, W1 row by row)."""
    zero = Fraction(0)
    if model != "mlp":
        for key in ("W1", "b1", "w2", "b2"):
            if inputs.get(key) is not None:
                raise DlcalcError(T("{k}: only the mlp model has it", "{k}：只有 mlp 模型才有").format(k=key))
        w = parse_vector(inputs["w0"], "w0") if inputs.get("w0") is not None else [zero] * d
        if len(w) != d:
            raise DlcalcError(
                T("w0: {a} weights for {d} inputs per sample", "w0：{a} 个权重，但每个样本有 {d} 个输入").format(
                    a=len(w), d=d
                )
            )
        b = parse_number(inputs["b0"], "b0") if inputs.get("b0") is not None else zero
        return {"w": list(w), "b": [b]}
    if inputs.get("b0") is not None:
        raise DlcalcError(
            T("b0: the mlp takes b1 and b2 (or every parameter in w0)", "b0：mlp 用 b1 与 b2（或在 w0 中给出全部参数）")
        )
    sizes = {"W1": hidden * d, "b1": hidden, "w2": hidden, "b2": 1}
    if inputs.get("w0") is not None:
        if any(inputs.get(k) is not None for k in sizes):
            raise DlcalcError(T("w0: give either w0 or W1, b1, w2, b2", "w0：w0 与 W1、b1、w2、b2 只能二选一"))
        flat = parse_vector(inputs["w0"], "w0")
        total = sum(sizes.values())
        if len(flat) != total:
            raise DlcalcError(
                T(
                    "w0: {a} values; the mlp has {t} parameters (W1 {h}×{d}, b1 {h}, w2 {h}, b2 1)",
                    "w0：{a} 个数；该 mlp 共有 {t} 个参数（W1 {h}×{d}、b1 {h}、w2 {h}、b2 1）",
                ).format(a=len(flat), t=total, h=hidden, d=d)  # fmt: skip
            )
        W1 = [flat[r * d : (r + 1) * d] for r in range(hidden)]
        rest = flat[hidden * d :]
        return {"W1": W1, "b1": rest[:hidden], "w2": rest[hidden : 2 * hidden], "b2": rest[2 * hidden :]}
    W1 = parse_matrix(inputs["W1"], "W1") if inputs.get("W1") is not None else [[zero] * d for _ in range(hidden)]
    if len(W1) != hidden or len(W1[0]) != d:
        raise DlcalcError(
            T("W1: {r}×{c}; expected {h}×{d} (hidden × inputs)", "W1：{r}×{c}；应为 {h}×{d}（隐藏单元 × 输入）").format(
                r=len(W1), c=len(W1[0]), h=hidden, d=d
            )
        )
    out: dict[str, Any] = {"W1": W1}
    for key, size in (("b1", hidden), ("w2", hidden), ("b2", 1)):
        v = parse_vector(inputs[key], key) if inputs.get(key) is not None else [zero] * size
        if len(v) != size:
            raise DlcalcError(
                T("{k}: {a} values, expected {s}", "{k}：{a} 个数，应为 {s} 个").format(k=key, a=len(v), s=size)
            )
        out[key] = v
    return out


def batch_kind(batch: int, n: int) -> Text:
    if batch == n:
        return T("batch gradient descent", "批量梯度下降")
    if batch == 1:
        return T("stochastic gradient descent", "随机梯度下降")
    return T("mini-batch gradient descent", "小批量梯度下降")


# --- the order torch's DataLoader visits the samples in ------------------------------------------


def _mt19937_state(seed: int) -> tuple[int, ...]:
    """MT19937 seeded as torch.Generator.manual_seed does (init_genrand with the low 32 bits)."""
    state = [seed & 0xFFFFFFFF]
    for j in range(1, 624):
        prev = state[-1]
        state.append((1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF)
    return tuple(state)


def torch_orders(seed: int, n: int, epochs: int) -> list[list[int]]:
    """The sample order of each epoch (0-based) of a DataLoader with shuffle=True and a generator
    seeded with `seed`, iterated once per epoch, num_workers=0.

    torch's CPU generator is MT19937 (Python's `random` runs the same engine, so its state is set
    to torch's). Per epoch the DataLoader's iterator first draws a 64-bit base seed (two 32-bit
    numbers); RandomSampler then calls `randperm(n)` (Fisher–Yates: for i = 0 … n-2 swap i with
    i + draw mod (n - i)), and once more for the empty remainder `randperm(n)[:0]` (n - 1 draws).
    """
    import random

    rng = random.Random()
    rng.setstate((3, _mt19937_state(seed) + (624,), None))
    orders = []
    for _ in range(epochs):
        rng.getrandbits(32), rng.getrandbits(32)
        order = list(range(n))
        for i in range(n - 1):
            j = i + rng.getrandbits(32) % (n - i)
            order[i], order[j] = order[j], order[i]
        orders.append(order)
        for _ in range(n - 1):
            rng.getrandbits(32)
    return orders


def epoch_orders(spec: GDSpec) -> list[list[int]]:
    if spec.seed is None:
        return [list(range(spec.n)) for _ in range(spec.epochs)]
    return torch_orders(spec.seed, spec.n, spec.epochs)


# --- the model, its loss and its gradient ---------------------------------------------------------


def _dot(a: Any, b: Any) -> Any:
    total = a[0] * b[0]
    for u, v in zip(a[1:], b[1:]):
        total += u * v
    return total


def _act(name: str, a: float) -> tuple[float, float]:
    """(value, slope); ReLU's slope at 0 is 0, as torch's."""
    if name == "sigmoid":
        s = sigmoid(a)
        return s, s * (1 - s)
    if name == "tanh":
        t = math.tanh(a)
        return t, 1 - t * t
    return (a, 1.0) if a > 0 else (0.0, 0.0)


@dataclass
class Forward:
    z: list[Any]  # the output score of each sample (ŷ for mse, the logit for bce)
    out: list[Any]  # ŷ (mse) or p = σ(z) (bce)
    a: list[list[float]] = field(default_factory=list)  # mlp: hidden pre-activations
    h: list[list[float]] = field(default_factory=list)  # mlp: hidden activations


def forward(spec: GDSpec, params: dict[str, Any], rows: list[int]) -> Forward:
    fw = Forward([], [])
    for i in rows:
        x = spec.x[i]
        if spec.model == "mlp":
            a = [_dot(wr, x) + b for wr, b in zip(params["W1"], params["b1"])]
            h = [_act(spec.activation, v)[0] for v in a]
            z = _dot(params["w2"], h) + params["b2"][0]
            fw.a.append(a)
            fw.h.append(h)
        else:
            z = _dot(params["w"], x) + params["b"][0]
        fw.z.append(z)
        fw.out.append(sigmoid(z) if spec.loss == "bce" else z)
    return fw


def loss_terms(spec: GDSpec, fw: Forward, rows: list[int]) -> list[Any]:
    if spec.loss == "mse":
        return [(o - spec.y[i]) ** 2 for o, i in zip(fw.out, rows)]
    # torch's BCEWithLogits form: max(z, 0) - z·y + ln(1 + e^(-|z|)), never the log of a rounded σ
    return [max(z, 0.0) - z * spec.y[i] + math.log1p(math.exp(-abs(z))) for z, i in zip(fw.z, rows)]


def mean(values: list[Any]) -> Any:
    total = values[0]
    for v in values[1:]:
        total += v
    return total / len(values)


def dataset_loss(spec: GDSpec, params: dict[str, Any]) -> Any:
    rows = list(range(spec.n))
    return mean(loss_terms(spec, forward(spec, params, rows), rows))


def output_deltas(spec: GDSpec, fw: Forward, rows: list[int]) -> list[Any]:
    """∂L/∂z_i for the batch mean: 2(ŷ_i − y_i)/B (mse) or (p_i − y_i)/B (bce)."""
    B = len(rows)
    factor = 2 if spec.loss == "mse" else 1
    return [factor * (o - spec.y[i]) / B for o, i in zip(fw.out, rows)]


def gradient(spec: GDSpec, params: dict[str, Any], fw: Forward, rows: list[int]) -> dict[str, Any]:
    dz = output_deltas(spec, fw, rows)
    if spec.model != "mlp":
        d = len(spec.x[0])
        return {
            "w": [mean_free_sum([g * spec.x[i][k] for g, i in zip(dz, rows)]) for k in range(d)],
            "b": [mean_free_sum(dz)],
        }
    H, d = spec.hidden, len(spec.x[0])
    dh = [[g * w for w in params["w2"]] for g in dz]
    da = [[dh[s][j] * _act(spec.activation, fw.a[s][j])[1] for j in range(H)] for s in range(len(rows))]
    return {
        "W1": [[sum(da[s][j] * spec.x[i][k] for s, i in enumerate(rows)) for k in range(d)] for j in range(H)],
        "b1": [sum(da[s][j] for s in range(len(rows))) for j in range(H)],
        "w2": [sum(dz[s] * fw.h[s][j] for s in range(len(rows))) for j in range(H)],
        "b2": [sum(dz)],
    }


def mean_free_sum(values: list[Any]) -> Any:
    total = values[0]
    for v in values[1:]:
        total += v
    return total


def _apply(params: dict[str, Any], grad: dict[str, Any], lr: Any) -> dict[str, Any]:
    def step(p: Any, g: Any) -> Any:
        return [step(a, b) for a, b in zip(p, g)] if isinstance(p, list) else p - lr * g

    return {k: step(params[k], grad[k]) for k in params}


def _flat(params: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for v in params.values():
        for e in v:
            out.extend(e if isinstance(e, list) else [e])
    return out


def _norm(values: list[Any]) -> float:
    return math.sqrt(math.fsum(float(v) ** 2 for v in values))


# --- a run --------------------------------------------------------------------------------------


@dataclass
class Update:
    epoch: int
    number: int  # within the epoch, from 1
    rows: list[int]  # 0-based sample indices
    before: dict[str, Any]
    fw: Forward
    batch_loss: Any
    grad: dict[str, Any]
    after: dict[str, Any]
    loss: Any  # the loss over all N samples after the update
    deviation: float | None  # ‖g_B − ∇L‖/‖∇L‖ at the point of the update (None where ∇L = 0)


@dataclass
class Run:
    batch: int
    orders: list[list[int]]
    updates: list[Update]
    initial_loss: Any
    epoch_loss: list[Any]

    @property
    def per_epoch(self) -> int:
        return len(self.orders[0]) // self.batch + (len(self.orders[0]) % self.batch > 0)

    @property
    def final(self) -> dict[str, Any]:
        return self.updates[-1].after

    @property
    def rises(self) -> int:
        """Updates after which the loss over all samples was higher than before."""
        before = [self.initial_loss] + [u.loss for u in self.updates[:-1]]
        return sum(u.loss > b for u, b in zip(self.updates, before))

    @property
    def mean_deviation(self) -> float:
        values = [u.deviation for u in self.updates if u.deviation is not None]
        return math.fsum(values) / len(values) if values else 0.0


class TooLong(Exception):
    """The exact fractions outgrew EXACT_DIGITS: the run is redone in floats."""


def train(spec: GDSpec, batch: int | None = None) -> Run:
    batch = spec.batch if batch is None else batch
    orders = epoch_orders(spec)
    params = spec.init
    everything = list(range(spec.n))
    run = Run(batch, orders, [], dataset_loss(spec, params), [])
    for epoch, order in enumerate(orders, 1):
        for number, start in enumerate(range(0, spec.n, batch), 1):
            rows = order[start : start + batch]
            fw = forward(spec, params, rows)
            g = gradient(spec, params, fw, rows)
            if len(rows) == spec.n:  # the batch is the data: its gradient is the gradient
                deviation: float | None = 0.0
            else:
                full = gradient(spec, params, forward(spec, params, everything), everything)
                size = _norm(_flat(full))
                deviation = _norm([a - b for a, b in zip(_flat(g), _flat(full))]) / size if size > 1e-300 else None
            after = _apply(params, g, spec.lr)
            if any(not abs(v) <= DIVERGED for v in _flat(after)):  # also catches inf and nan
                raise DlcalcError(
                    T(
                        "gd: the parameters diverged at epoch {e}, update {k} (|θ| > 1e12); try a smaller --lr",
                        "gd：第 {e} 轮第 {k} 次更新时参数发散（|θ| > 1e12）；请减小 --lr",
                    ).format(e=epoch, k=number)  # fmt: skip
                )
            if spec.exact and any(isinstance(v, Fraction) and v.denominator >= 10**EXACT_DIGITS for v in _flat(after)):
                raise TooLong
            loss = dataset_loss(spec, after)
            run.updates.append(
                Update(epoch, number, rows, params, fw, mean(loss_terms(spec, fw, rows)), g, after, loss, deviation)
            )
            params = after
        run.epoch_loss.append(run.updates[-1].loss)
    return run


def as_floats(spec: GDSpec) -> GDSpec:
    from dataclasses import replace

    return replace(
        spec,
        x=tuple(tuple(float(v) for v in r) for r in spec.x),
        y=tuple(float(v) for v in spec.y),
        lr=float(spec.lr),
        init={k: _to_float(v) for k, v in spec.init.items()},
        exact=False,
    )


def compared_batches(spec: GDSpec) -> list[int]:
    """Batch GD, a mini-batch (the one asked for, else about a quarter of the data, at least 2) and SGD."""
    n = spec.n
    mini = spec.batch if 1 < spec.batch < n else max(2, n // 4)
    return list(dict.fromkeys(b for b in (n, mini, 1) if 1 <= b <= n))


# --- showing it ---------------------------------------------------------------------------------


LONG = 14  # an exact fraction longer than this many characters is shown to DIGITS figures


def _shown_value(v: Any) -> Any:
    if isinstance(v, Fraction) and len(m.fmt_number(v)) > LONG:
        return float(v)
    return v


def _n(v: Any) -> m.Math:
    return m.num(_shown_value(v), DIGITS)


def _fmt(v: Any) -> str:
    return m.fmt_number(_shown_value(v), DIGITS)


def _vec(values: list[Any]) -> m.Math:
    return m.vec(m.elide([v if isinstance(v, m.Math) else _n(v) for v in values]))


def _value(v: Any) -> m.Math:
    """A parameter group: a number, a vector, or a matrix."""
    if isinstance(v, list) and v and isinstance(v[0], list):
        return m.matrix([[_shown_value(e) for e in row] for row in v], DIGITS)
    if isinstance(v, list) and len(v) == 1:
        return _n(v[0])
    return _vec(v)


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {_value(v).text}" for k, v in params.items())


def _samples(rows: list[int]) -> str:
    return ", ".join(str(i + 1) for i in rows)


def _shown(n: int, head: int = 20, tail: int = 5) -> list[int]:
    return list(range(n)) if n <= head + tail else list(range(head)) + list(range(n - tail, n))


# --- the formulas, built once ------------------------------------------------------------------

W, X, B_SYM, Y, P, Z, L = m.sym("w"), m.sym("x"), m.sym("b"), m.sym("y"), m.sym("p"), m.sym("z"), m.sym("L")
Y_HAT, Y_HAT_I = m.sym("ŷ", r"\hat y"), m.sym("ŷ_i", r"\hat y_{i}")
BATCH = m.sym("B")


def _out_symbol(spec: GDSpec) -> m.Math:
    """What the model's last layer gives: the score z under bce, the prediction ŷ under mse."""
    return Z if spec.loss == "bce" else Y_HAT


def _residual(spec: GDSpec) -> m.Math:
    return (P if spec.loss == "bce" else Y_HAT) - Y


def _model_formula(spec: GDSpec) -> m.Math:
    if spec.model == "mlp":
        hidden = m.rel("h", "=", m.call(spec.activation, m.indexed("W", 1) * X + m.indexed("b", 1)))
        top = m.indexed("w", 2) * m.sym("h") + m.indexed("b", 2)
        out = m.rel(P, "=", m.call("σ", top)) if spec.loss == "bce" else m.rel(Y_HAT, "=", top)
        return m.side_by_side(hidden, out)
    if spec.model == "logistic":
        return m.rel(P, "=", m.call("σ", W * X + B_SYM))
    return m.rel(Y_HAT, "=", W * X + B_SYM)


def _loss_formula(spec: GDSpec) -> tuple[m.Math, m.Math]:
    """The batch loss and its gradient with respect to the model's output."""
    mean = lambda body: m.juxt(m.frac(1, BATCH), m.sum_over(body))  # noqa: E731
    y_i, p_i = m.sym("y_i"), m.sym("p_i")
    if spec.loss == "mse":
        return (
            m.rel(L, "=", mean(m.squared(Y_HAT_I - y_i))),
            m.rel(m.partial(L, Y_HAT_I), "=", m.frac(m.juxt(2, Y_HAT_I - y_i), BATCH)),
        )
    log_likelihood = m.juxt(y_i, m.apply("ln", p_i)) + m.juxt(m.group(1 - y_i), m.apply("ln", 1 - p_i))
    return (
        m.rel(L, "=", -mean(log_likelihood)),
        m.rel(m.partial(L, "z_i"), "=", m.frac(p_i - y_i, BATCH)),
    )


def model_steps(spec: GDSpec) -> list[Step]:
    loss_m, grad_m = _loss_formula(spec)
    return [
        Step(T("Model", "模型"), None, [_model_formula(spec)]),
        Step(
            T("Loss on a batch of B samples (the mean, as torch's)", "一批 B 个样本上的损失（取平均，同 torch）"),
            None,
            [loss_m],
        ),
        Step(T("Its gradient", "其梯度"), None, [grad_m]),
        _updates_per_epoch_step(spec),
    ]


def _updates_per_epoch_step(spec: GDSpec) -> Step:
    n, b = spec.n, spec.batch
    note = T("N = {n} samples, batch size B = {b}: {ken}", "N = {n} 个样本，批大小 B = {b}：{kzh}").format(
        n=n, b=b, ken=spec.kind.en, kzh=spec.kind.zh
    )
    if n % b:
        note = note + T("; the last batch of each epoch has {rs}, and its mean divides by {r}",
                        "；每轮最后一批只有 {r} 个样本，其平均除以 {r}").format(r=n % b, rs=m.plural(n % b, "sample"))  # fmt: skip
    return Step(
        T("Updates per epoch", "每轮更新次数"),
        m.ceil(m.frac("N", BATCH)),
        m.dedupe([m.ceil(m.frac(n, b)), m.num(-(-n // b))]),
        note,
    )


def update_steps(spec: GDSpec, u: Update) -> list[Step]:
    label = T("Epoch {e}, update {k}: samples {s}", "第 {e} 轮第 {k} 次更新：样本 {s}").format(
        e=u.epoch, k=u.number, s=_samples(u.rows)
    )
    targets = [spec.y[i] for i in u.rows]
    residuals = [o - t for o, t in zip(u.fw.out, targets)]
    steps = _forward_steps(spec, u, label)
    steps.append(
        Step(
            T("Errors against the targets", "与目标值之差"),
            _residual(spec),
            m.dedupe([_vec([_n(o) - _n(t) for o, t in zip(u.fw.out, targets)]), _vec(residuals)]),
        )
    )
    steps.append(_batch_loss_step(spec, u, residuals))
    steps += _linear_gradient_steps(spec, u, residuals) if spec.model != "mlp" else _mlp_gradient_steps(spec, u)
    return steps + _parameter_updates(spec, u)


def _forward_steps(spec: GDSpec, u: Update, label: Text) -> list[Step]:
    """The model's outputs on the batch (the hidden layer first for an mlp), then σ under bce."""
    top = m.indexed("w", 2) * m.sym("h") + m.indexed("b", 2) if spec.model == "mlp" else W * X + B_SYM
    if spec.model == "mlp":
        steps = [
            Step(label, m.sym("h"), [m.matrix(u.fw.h, DIGITS)],
                 T("h = {a}(W1·x + b1), one row per sample", "h = {a}(W1·x + b1)，每个样本一行").format(a=spec.activation)),
            Step(T("Outputs", "输出"), m.rel(_out_symbol(spec), "=", top), [_vec(u.fw.z)]),
        ]  # fmt: skip
    else:
        w, b = u.before["w"], u.before["b"][0]
        scores = [m.total([_n(wk) * _n(xk) for wk, xk in zip(w, spec.x[i])] + [_n(b)]) for i in u.rows]
        steps = [Step(label, m.rel(_out_symbol(spec), "=", top), m.dedupe([_vec(scores), _vec(u.fw.z)]))]
    if spec.loss == "bce":
        steps.append(Step(T("Probabilities", "概率"), m.rel(P, "=", m.call("σ", Z)), [_vec(u.fw.out)]))
    return steps


def _batch_loss_step(spec: GDSpec, u: Update, residuals: list[Any]) -> Step:
    if spec.loss != "mse":
        return Step(T("Batch loss (bce, mean)", "本批损失（bce，平均）"), m.sym("L_B"), [_n(u.batch_loss)])
    return Step(
        T("Batch loss", "本批损失"),
        m.sym("L_B"),
        m.dedupe([m.frac(1, len(u.rows)) * m.total([_n(r) ** 2 for r in residuals]), _n(u.batch_loss)]),
    )


def _linear_gradient_steps(spec: GDSpec, u: Update, residuals: list[Any]) -> list[Step]:
    """∂L/∂w = (2/B) Σ (ŷ - y)_i·x_i and ∂L/∂b = (2/B) Σ (ŷ - y)_i (1/B under bce), with the batch in."""
    B = len(u.rows)
    two = 2 if spec.loss == "mse" else 1
    factor = m.frac(two, B)
    d = len(spec.x[0])
    residual_i = m.sub(_residual(spec), "i")
    terms = [_n(r) * (_vec(list(spec.x[i])) if d > 1 else _n(spec.x[i][0])) for r, i in zip(residuals, u.rows)]
    mean = lambda body: m.juxt(m.frac(two, BATCH), m.sum_over(body))  # noqa: E731
    return [
        Step(
            T("Gradient: the batch average", "梯度：本批平均"),
            m.rel(m.partial(L, W), "=", mean(residual_i * m.sym("x_i"))),
            m.dedupe([factor * m.group(m.total(terms), "[]"), _value(u.grad["w"])]),
        ),
        Step(
            T("Gradient for the bias", "偏置的梯度"),
            m.rel(m.partial(L, B_SYM), "=", mean(residual_i)),
            m.dedupe([factor * m.group(m.total([_n(r) for r in residuals])), _n(u.grad["b"][0])]),
        ),
    ]


def _mlp_gradient_steps(spec: GDSpec, u: Update) -> list[Step]:
    delta = m.rel(m.sym("δ_i"), "=", m.partial(L, "z_i" if spec.loss == "bce" else Y_HAT_I))
    steps = [
        Step(
            T("Backward: output δ", "反向：输出层 δ"),
            delta,
            [_vec(output_deltas(spec, u.fw, u.rows))],
            T(
                "then ∂L/∂w2 = Σ δ_i h_i, ∂L/∂b2 = Σ δ_i, δh = δ_i w2 ⊙ {a}'(a), ∂L/∂W1 = Σ δh_i x_iᵀ",
                "再由 ∂L/∂w2 = Σ δ_i h_i，∂L/∂b2 = Σ δ_i，δh = δ_i w2 ⊙ {a}'(a)，∂L/∂W1 = Σ δh_i x_iᵀ",
            ).format(a=spec.activation),  # fmt: skip
        )
    ]
    for key in ("W1", "b1", "w2", "b2"):
        steps.append(Step(T("Gradient", "梯度"), m.partial(L, m.sym(key)), [_value(u.grad[key])]))
    return steps


def _parameter_updates(spec: GDSpec, u: Update) -> list[Step]:
    """θ ← θ - lr·∂L/∂θ for every parameter, the numbers in."""
    lr = _n(spec.lr)
    steps = []
    for key, value in u.before.items():
        sym = m.sym(key)
        steps.append(
            Step(
                T("Update {k}", "更新 {k}").format(k=key),
                m.rel(sym, "←", sym - m.text("lr") * m.partial(L, sym)),
                m.dedupe([_value(value) - lr * _value(u.grad[key]), _value(u.after[key])]),
            )
        )
    return steps


def compare_table(spec: GDSpec, runs: list[Run]) -> Table:
    cols = [
        T("batch size", "批大小"), T("kind", "类别"), T("updates / epoch", "每轮更新"), T("updates", "总更新"),
        T("loss after each epoch", "每轮后的损失"), T("final loss", "最终损失"),
        T("loss rose after", "损失上升次数"), T("gradient noise", "梯度噪声"),
    ]  # fmt: skip
    rows: list[list[Text | str]] = []
    for run in runs:
        curve = [_fmt(v) for v in run.epoch_loss]
        if len(curve) > 8:
            curve = curve[:5] + ["…"] + curve[-2:]
        rows.append(
            [
                str(run.batch),
                batch_kind(run.batch, spec.n),
                str(run.per_epoch),
                str(len(run.updates)),
                ", ".join(curve),
                _fmt(run.epoch_loss[-1]),
                T("{r} of {u} updates", "{u} 次中 {r} 次").format(r=run.rises, u=len(run.updates)),
                m.fmt_number(run.mean_deviation, 3),
            ]
        )
    return Table(
        cols,
        rows,
        T("The three kinds side by side (same lr, same start, same epochs)", "三种梯度下降并列（相同 lr、起点与轮数）"),
        wrap=4,
    )


MARKS = "BMS"


def loss_chart(spec: GDSpec, runs: list[Run], width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> list[str]:
    """The loss over all samples after every update, against the epoch: B batch, M mini-batch, S stochastic."""
    series = []
    for run in runs:
        pts = [(0.0, float(run.initial_loss))]
        for u in run.updates:
            pts.append((u.epoch - 1 + u.number / run.per_epoch, float(u.loss)))
        series.append(pts)
    values = [v for pts in series for _, v in pts if math.isfinite(v)]
    lo, hi = min(values), max(values)
    log = lo > 0 and hi / lo > 50  # a loss falling by orders of magnitude: a log scale keeps the tail readable
    scale = math.log10 if log else (lambda v: v)
    top, bottom = scale(hi), scale(lo)
    if top - bottom < 1e-12:
        top = bottom + 1.0
    grid = [[" "] * width for _ in range(height)]
    for mark, pts in zip(_marks(runs, spec.n), series):
        for x, v in pts:
            if not math.isfinite(v):
                continue
            c = round(x / spec.epochs * (width - 1))
            r = round((top - scale(v)) / (top - bottom) * (height - 1))
            grid[r][c] = mark if grid[r][c] in (" ", mark) else "*"
    lines = [f"{_fmt_axis(hi):>9} ┤" + "".join(grid[0])]
    lines += ["          │" + "".join(row) for row in grid[1:-1]]
    lines.append(f"{_fmt_axis(lo):>9} ┤" + "".join(grid[-1]))
    lines.append("          └" + "─" * width)
    end = str(spec.epochs)
    lines.append(T("          0" + f"{'epoch':^{width - 1}}"[: width - 1 - len(end)] + end,  # type: ignore[arg-type]
                   "          0" + f"{'轮':^{width - 2}}"[: width - 2 - len(end)] + end))  # fmt: skip
    names = {"B": T("batch", "批量"), "M": T("mini-batch", "小批量"), "S": T("stochastic", "随机")}
    marks = list(zip(_marks(runs, spec.n), runs))
    lines.append(T(f"          loss over all {spec.n} samples after each update" + (" (log scale)" if log else ""),  # type: ignore[arg-type]
                   f"          每次更新后全部 {spec.n} 个样本上的损失" + ("（对数刻度）" if log else "")))  # fmt: skip
    lines.append(T("          " + "   ".join(f"{mk} {names[mk]('en')} (B = {run.batch})" for mk, run in marks) + "   *: overlap",  # type: ignore[arg-type]
                   "          " + "   ".join(f"{mk} {names[mk]('zh')}（B = {run.batch}）" for mk, run in marks) + "   *：重合"))  # fmt: skip
    return lines


def _marks(runs: list[Run], n: int) -> list[str]:
    return ["B" if r.batch == n else "S" if r.batch == 1 else "M" for r in runs]


def _fmt_axis(v: float) -> str:
    return m.fmt_number(v, 4)


def _params_json(params: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v[0] if len(v) == 1 and not isinstance(v[0], list) and k in ("b", "b2") else v) for k, v in params.items()
    }


def _run_json(run: Run) -> dict[str, Any]:
    return {
        "batch_size": run.batch,
        "updates_per_epoch": run.per_epoch,
        "updates": len(run.updates),
        "initial_loss": run.initial_loss,
        "epoch_loss": run.epoch_loss,
        "update_loss": [u.loss for u in run.updates],
        "final_loss": run.epoch_loss[-1],
        "final": _params_json(run.final),
        "loss_rises": run.rises,
        "gradient_noise": run.mean_deviation,
    }


def solve(spec: GDSpec) -> Result:
    """Train; work out the first updates and the last in full, list every update in a table."""
    spec, runs, notes = _train_runs(spec)
    batches = [r.batch for r in runs]
    run = runs[batches.index(spec.batch)] if spec.batch in batches else train(spec)
    steps = model_steps(spec)
    if spec.seed is not None:
        steps.append(_order_step(spec, run))
    steps += _worked_updates(spec, run)
    steps.append(
        Step(
            T("Loss over all {n} samples after the last update", "最后一次更新后全部 {n} 个样本上的损失").format(
                n=spec.n
            ),
            m.sym("L"),
            [_n(run.epoch_loss[-1])],
        )
    )
    answer = _answer(spec, run)
    tables = [_updates_table(spec, run)]
    if run.per_epoch > 1:  # one update per epoch (batch GD): the update rows already are the epochs
        tables.append(_epochs_table(run))
    figures: list[list[str]] = []
    if spec.compare:
        answer["compare"] = {str(r.batch): _run_json(r) for r in runs}
        tables.append(compare_table(spec, runs))
        figures.append(loss_chart(spec, runs))
        notes += COMPARE_NOTES
    notes += _notes(spec)
    title = T(f"Gradient descent: {spec.kind.en}", f"梯度下降：{spec.kind.zh}")
    result = Result("gd", title, answer, _summary(spec, run), steps, tables, notes=notes, spec=spec, figures=figures)
    result.show_steps = not spec.compare  # the side-by-side is the answer; the terminal folds the updates (--full)
    return result


def _train_runs(spec: GDSpec) -> tuple[GDSpec, list[Run], list[Text]]:
    """The run (every batch size with --compare), in exact fractions while they stay short, else float64."""
    batches = compared_batches(spec) if spec.compare else [spec.batch]
    try:
        return spec, [train(spec, b) for b in batches], []
    except TooLong:
        spec = as_floats(spec)
        note = T(
            "the exact fractions grew past {d} digits, so the run is in floating point (float64, as torch)",
            "精确分数超过 {d} 位，故改用浮点数（float64，同 torch）计算",
        ).format(d=EXACT_DIGITS)
        return spec, [train(spec, b) for b in batches], [note]


def _order_step(spec: GDSpec, run: Run) -> Step:
    order = "; ".join(f"epoch {e}: {_samples(o)}" for e, o in enumerate(run.orders[:5], 1))
    return Step(
        T("Sample order (shuffled each epoch)", "样本顺序（每轮重新打乱）"),
        None,
        [m.text(order + ("; …" if len(run.orders) > 5 else ""))],
        T(
            "the order of torch's DataLoader(shuffle=True, generator=torch.Generator().manual_seed({s}))",
            "即 torch 的 DataLoader(shuffle=True, generator=torch.Generator().manual_seed({s})) 的顺序",
        ).format(s=spec.seed),
    )


def _worked_updates(spec: GDSpec, run: Run) -> list[Step]:
    """The first WORKED updates in full, then a line for the ones skipped, then the last update."""
    steps: list[Step] = []
    last = len(run.updates) - 1
    for k in sorted(set(range(min(WORKED, len(run.updates)))) | {last}):
        if k == last and k > WORKED:
            steps.append(
                Step(
                    T("Updates {a}–{b}", "第 {a}–{b} 次更新").format(a=WORKED + 1, b=k),
                    None,
                    [],
                    T(
                        "the same rule on the next batches; every update is in the table",
                        "后续各批规则相同；每次更新见表格",
                    ),
                )
            )
        steps += update_steps(spec, run.updates[k])
    return steps


def _updates_table(spec: GDSpec, run: Run) -> Table:
    return Table(
        [T("epoch", "轮"), T("update", "更新"), T("samples", "样本"), T("batch loss", "本批损失"),
         T("gradient", "梯度"), T("parameters after", "更新后的参数"), T("loss (all samples)", "损失（全部样本）")],
        [
            [str(run.updates[k].epoch), str(run.updates[k].number), _samples(run.updates[k].rows),
             _fmt(run.updates[k].batch_loss), _params_text(run.updates[k].grad), _params_text(run.updates[k].after),
             _fmt(run.updates[k].loss)]
            for k in _shown(len(run.updates))
        ],
        T(f"{spec.kind.en}: one row per update", f"{spec.kind.zh}：每次更新一行"),
        wrap=5,
    )  # fmt: skip


def _epochs_table(run: Run) -> Table:
    epoch_rows: list[list[Text | str]] = [["0", _fmt(run.initial_loss)]]
    for e, v in list(enumerate(run.epoch_loss, 1))[-40:]:
        epoch_rows.append([str(e), _fmt(v)])
    return Table(
        [T("epoch", "轮"), T("loss (all samples)", "损失（全部样本）")],
        epoch_rows,
        T("Loss after each epoch (0: at the start)", "每轮结束时的损失（0：开始时）"),
    )


def _answer(spec: GDSpec, run: Run) -> dict[str, Any]:
    return {
        "model": spec.model,
        "loss": spec.loss,
        "samples": spec.n,
        "batch_size": spec.batch,
        "method": "full" if spec.batch == spec.n else "stochastic" if spec.batch == 1 else "mini-batch",
        "updates_per_epoch": run.per_epoch,
        "updates": len(run.updates),
        "lr": spec.lr,
        "epochs": spec.epochs,
        "seed": spec.seed,
        "exact": spec.exact,
        "initial": _params_json(spec.init),
        "initial_loss": run.initial_loss,
        "order": [[i + 1 for i in o] for o in run.orders],
        "history": [
            {
                "epoch": u.epoch,
                "update": u.number,
                "samples": [i + 1 for i in u.rows],
                "batch_loss": u.batch_loss,
                "gradient": _params_json(u.grad),
                "params": _params_json(u.after),
                "loss": u.loss,
            }
            for u in run.updates
        ],
        "epoch_loss": run.epoch_loss,
        "final": _params_json(run.final),
        "final_loss": run.epoch_loss[-1],
    }


def _notes(spec: GDSpec) -> list[Text]:
    notes = []
    if spec.model == "mlp" and not any(v != 0 for v in _flat(spec.init)):
        notes.append(
            T(
                "every weight starts at 0, so the hidden units stay identical (and with relu the first layer never moves): give W1 to break the symmetry",
                "所有权重从 0 开始，隐藏单元始终相同（relu 时第一层永远不动）：请给出 W1 以打破对称",
            )
        )
    if spec.n % spec.batch:
        notes.append(
            T(
                "the last batch of each epoch is smaller ({r} of {b}); torch keeps it (drop_last=False)",
                "每轮最后一批较小（{r}/{b}）；torch 默认保留它（drop_last=False）",
            ).format(r=spec.n % spec.batch, b=spec.batch)  # fmt: skip
        )
    return notes


def _summary(spec: GDSpec, run: Run) -> list[tuple[Text, Text | str]]:
    return [
        (T("Method", "方法"), spec.kind + T(" (B = {b} of N = {n})", "（B = {b}，N = {n}）").format(b=spec.batch, n=spec.n)),
        (T("Updates per epoch", "每轮更新次数"), m.rel(m.ceil(m.frac(spec.n, spec.batch)), "=", run.per_epoch).text),
        (T("Loss at the start", "初始损失"), _fmt(run.initial_loss)),
        (T("Loss after each epoch", "每轮后的损失"), ", ".join(_fmt(v) for v in m.elide(run.epoch_loss, 10) if not isinstance(v, m.Math)) + (" …" if len(run.epoch_loss) > 10 else "")),
        (T("Final parameters", "最终参数"), _params_text(run.final)),
    ]  # fmt: skip


COMPARE_NOTES = [
    T(
        "batch GD (B = N): one update per epoch on the exact gradient, so the loss falls smoothly; but each update "
        "costs a pass over all the data, holds it all in memory, and on a big set learning is slow",
        "批量梯度下降（B = N）：每轮只更新一次，用的是精确梯度，损失平稳下降；但每次更新都要遍历全部数据、占用内存，数据量大时学得慢",
    ),
    T(
        "stochastic GD (B = 1): N updates per epoch, cheap and online, but each gradient is one sample's, so the path "
        "is noisy (the loss can rise after an update); the noise can help leave saddle points, yet slows the final convergence",
        "随机梯度下降（B = 1）：每轮更新 N 次，计算量小、可在线更新，但每个梯度只来自一个样本，路径波动大（更新后损失可能上升）；"
        "波动有助于跳出鞍点，却也减慢最后的收敛",
    ),
    T(
        "mini-batch GD: the compromise used in practice: fewer updates than SGD, each less noisy, and a batch is one "
        "matrix product on parallel hardware",
        "小批量梯度下降：实践中常用的折中：更新次数少于随机梯度下降、每次噪声更小，且一批样本可并行地作一次矩阵运算",
    ),
    T(
        "gradient noise: the mean of ‖g_batch − ∇L‖/‖∇L‖ over the updates, ∇L the gradient over all samples at the same point (0 for batch GD)",
        "梯度噪声：各次更新中 ‖g_批 − ∇L‖/‖∇L‖ 的平均，∇L 为同一点处全部样本上的梯度（批量梯度下降为 0）",
    ),
]


# --- a quiz question from the same solver -----------------------------------------------------------


def template(rng: Any, difficulty: int = 1) -> Any:
    """Updates per epoch for a drawn N, B and epochs (difficulty 1), or one mini-batch update of a
    linear model on small integer data, asked exactly (difficulty 2 and up)."""
    from dlcalc.quiz.templates import Draft, number, part

    if difficulty <= 1:
        n = rng.randint(5, 40)
        batch = rng.choice([b for b in (1, 2, 3, 4, 5, 8, 10, 16, 32) if b <= n] + [n])
        epochs = rng.randint(2, 5)
        xs = list(range(1, n + 1))
        statement = T(
            "A training set of {n} samples, batch size {b}, {e} epochs, the last short batch kept (torch's "
            "drop_last=False). How many updates per epoch, and how many updates in all?",
            "训练集有 {n} 个样本，批大小为 {b}，训练 {e} 轮，保留最后不满的一批（torch 的 drop_last=False）。每轮更新多少次？共更新多少次？",
        ).format(n=n, b=batch, e=epochs)
        inputs = {
            "x": "; ".join(map(str, xs)),
            "y": "; ".join(map(str, xs)),
            "batch": batch,
            "lr": "0.001",
            "epochs": epochs,
        }
        parts = [
            part("updates_per_epoch", "updates per epoch", "每轮更新次数", "exact", names=("每轮更新",)),
            part("updates", "updates in all", "总更新次数", "exact", names=("共更新",)),
        ]
        return Draft("gd", "gd", inputs, statement, parts, difficulty=difficulty)
    n, batch = rng.choice([(4, 2), (6, 2), (8, 4)])  # 2/B·lr stays a terminating decimal
    points = [(rng.randint(-2, 3), rng.randint(-2, 3)) for _ in range(n)]
    targets = [rng.randint(-3, 4) for _ in range(n)]
    lr = rng.choice(["0.1", "0.05", "0.2"])
    x_text = ", ".join(f"({number(a)}, {number(b)})" for a, b in points)
    statement = T(
        "Samples x = {x} with targets y = {y}; the linear model ŷ = w·x + b from w = 0, b = 0; the loss is the batch's "
        "mean squared error L = (1/B)Σ(ŷ − y)²; learning rate {lr}, batch size B = {b}, samples in order. After the "
        "first mini-batch update, what are the new w and b?",
        "样本 x = {x}，目标 y = {y}；线性模型 ŷ = w·x + b，w、b 初值为 0；损失为本批均方误差 L = (1/B)Σ(ŷ − y)²；"
        "学习率 {lr}，批大小 B = {b}，按顺序取样。第一次小批量更新后新的 w 与 b 是多少？",
    ).format(x=x_text, y=", ".join(number(t) for t in targets), lr=lr, b=batch)
    inputs = {
        "x": "; ".join(f"{a},{b}" for a, b in points),
        "y": "; ".join(map(str, targets)),
        "batch": batch,
        "lr": lr,
        "epochs": 1,
    }
    parts = [
        part("history[1].params.w", "new w", "新的 w", "exact", names=("w",), items=("w1", "w2")),
        part("history[1].params.b", "new b", "新的 b", "exact", names=("b",)),
    ]
    return Draft("gd", "gd", inputs, statement, parts, difficulty=difficulty)
