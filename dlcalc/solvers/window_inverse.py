"""The inverse sliding-window question, for conv and pool: which padding, stride or kernel size
gives a wanted output size?

One spatial dimension at a time. With x = H + P_l + P_r - D(K - 1) - 1 the floor rule
H_out = ⌊x/S⌋ + 1 = T holds exactly when (T - 1)·S ≤ x ≤ T·S - 1, which the conv module solves
for the unknown in closed form (the derivation a student writes). The answer itself comes from
the forward rule: the output size is monotone in each unknown (non-decreasing in the padding,
non-increasing in the stride and the kernel, also in ceil mode and with the pooling stride tied
to the kernel), so the values giving T form one interval, found by bisection over the values
torch accepts (pooling padding at most ⌊K/2⌋, a kernel that fits the padded input, …). Beyond
S = H + P_l + P_r the output is 1 for every stride, so a stride interval may be unbounded.

Height and width are solved separately; a single value answers the question when it lies in
both intervals, so the answer is their intersection (unbounded only when both are).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.parse import parse_dims
from dlcalc.result import Result, Step
from dlcalc.solvers import conv, pool
from dlcalc.solvers.window import window_steps
from dlcalc.text import T, Text

UNKNOWNS = ("padding", "stride", "kernel")
SYMBOL = {"padding": "P", "stride": "S", "kernel": "K"}
LISTED_UP_TO = 1000  # `values` lists at most this many; `range` always gives them all
CHECK_STEPS = 3  # forward derivations shown for the first few values found

Interval = tuple[int, "int | None"]  # [lo, hi]; hi None: every value from lo on


@dataclass(frozen=True)
class InverseSpec:
    base: Any  # conv.ConvSpec or pool.PoolSpec: the known settings; the unknown one is a placeholder
    unknown: str
    target: tuple[int, int]
    stride_follows_kernel: bool = False  # pooling without -s: torch's stride is the kernel size

    @property
    def is_pool(self) -> bool:
        return isinstance(self.base, pool.PoolSpec)

    @property
    def layer_name(self) -> str:
        return self.base.torch_name


@dataclass
class DimAnswer:
    label: str  # "H", "W" or "HW"
    index: int
    found: Interval | None
    inequality: tuple[int, int | None] | None  # the closed-form bounds shown in the derivation
    nearest: list[tuple[int, int]]


def read_unknown_and_target(inputs: dict[str, Any]) -> tuple[str, tuple[int, ...]]:
    """Pop `solve` and `target` from the inputs, with the same errors for conv and pool."""
    unknown = str(inputs.pop("solve", "") or "").strip().lower()
    if unknown not in UNKNOWNS:
        raise DlcalcError(f"solve: expected one of {', '.join(UNKNOWNS)}, got {unknown!r}")
    target_in = inputs.pop("target", None)
    if target_in is None:
        raise DlcalcError("target: give the wanted output size (--target 56 or 56x56)")
    dims = parse_dims(target_in, "target", (1, 2, 3))
    if min(dims) <= 0:
        raise DlcalcError(f"target: sizes must be positive, got {target_in!r}")
    return unknown, dims


def target_pair(dims: tuple[int, ...], layout: str) -> tuple[int | None, tuple[int, int]]:
    """(channels or None, (H, W)) of a target written like the input (H, HxW, CxHxW or HxWxC)."""
    if len(dims) == 1:
        return None, (dims[0], dims[0])
    if len(dims) == 2:
        return None, (dims[0], dims[1])
    if layout == "hwc":
        return dims[2], (dims[0], dims[1])
    return dims[0], (dims[1], dims[2])


# --- the forward rule, one dimension -----------------------------------------------------------


def with_value(spec: InverseSpec, i: int | None, value: int) -> Any:
    """The layer with the unknown set to `value` in dimension i only, or in both when i is None."""
    fields = [spec.unknown] + (["stride"] if spec.stride_follows_kernel and spec.unknown == "kernel" else [])
    changes = {}
    for name in fields:
        current = getattr(spec.base, name)
        current = list(current) if not isinstance(current, str) else [0, 0]
        for j in (0, 1) if i is None else (i,):
            current[j] = value
        changes[name] = tuple(current)
    return replace(spec.base, **changes)


def output_along(spec: InverseSpec, i: int, value: int, both: bool) -> int | None:
    """The output size along dimension i with the unknown at `value`, or None where torch refuses."""
    layer = with_value(spec, None if both else i, value)
    return pool.output_along(layer, i) if spec.is_pool else conv.output_along(layer, i)


def _pads(spec: InverseSpec, i: int) -> tuple[int, int]:
    b = spec.base
    if not spec.is_pool and b.padding == "same":
        return conv.same_padding(b.kernel[i], b.dilation[i])
    return b.padding[i], b.padding[i]


def domain(spec: InverseSpec, i: int) -> tuple[int, int, bool]:
    """(lo, hi, unbounded): the values to search; when unbounded the output no longer changes past hi."""
    b, t = spec.base, spec.target[i]
    n, k, d = b.size[i], b.kernel[i], b.dilation[i]
    same = not spec.is_pool and b.padding == "same"
    ceil_mode = spec.is_pool and b.ceil_mode
    if spec.unknown == "padding":
        if spec.is_pool:
            return 0, k // 2, False  # torch: pooling padding at most half the kernel
        # at P = T·S + span + 1, x ≥ 2T·S, so the output has passed T: the search can stop there
        return 0, t * b.stride[i] + d * (k - 1) + 2, False
    if spec.unknown == "stride":
        if same:
            return 1, 1, False  # padding='same' needs stride 1
        pl, pr = _pads(spec, i)
        # past S = H + P_l + P_r + span every window after the first is gone (and in ceil mode a
        # window wider than the padded input is allowed once S exceeds the overhang): the output is 1
        return 1, n + pl + pr + d * (k - 1) + 2, True
    if same:
        return 1, 1, True  # 'same' padding grows with the kernel: the output is H for every K
    p = b.padding[i]
    lo = max(1, 2 * p) if spec.is_pool else 1  # pooling: P ≤ ⌊K/2⌋ means K ≥ 2P
    if not ceil_mode:
        return lo, (n + 2 * p - 1) // d + 1, False  # the kernel must fit: D(K - 1) + 1 ≤ H + 2P
    # ceil mode also accepts a window overhanging the padded input by less than one stride:
    # x = H + 2P - D(K - 1) - 1 > -S
    if not spec.stride_follows_kernel:
        return lo, (n + 2 * p + b.stride[i] - 2) // d + 1, False
    if d == 1:  # S = K: x > -K always; from K = H + 2P on the output is 1
        return lo, n + 2 * p + 1, True
    return lo, (n + 2 * p + d - 2) // (d - 1), False


def _first(lo: int, hi: int, holds: Callable[[int], bool]) -> int:
    """The first v in [lo, hi] where `holds` becomes true (it stays true after), or hi + 1."""
    while lo <= hi:
        mid = (lo + hi) // 2
        if holds(mid):
            hi = mid - 1
        else:
            lo = mid + 1
    return lo


def solve_dimension(spec: InverseSpec, i: int, both: bool) -> tuple[Interval | None, list[tuple[int, int]]]:
    """The interval of values that give the target along dimension i, and (when none does) the nearest."""
    lo, hi, unbounded = domain(spec, i)
    t = spec.target[i]

    # A refused value sits where the monotone order puts it: below every target for the padding
    # (too little) and the kernel (too large), above every target for a stride too small for a
    # window overhanging the input (ceil mode).
    refused = float("inf") if spec.unknown == "stride" else 0

    def out(v: int) -> float:
        o = output_along(spec, i, v, both)
        return refused if o is None else o

    if spec.unknown == "padding":  # non-decreasing in P
        a, after = _first(lo, hi, lambda v: out(v) >= t), _first(lo, hi, lambda v: out(v) > t)
    else:  # non-increasing in S and K
        a, after = _first(lo, hi, lambda v: out(v) <= t), _first(lo, hi, lambda v: out(v) < t)
    if a < after:
        return (a, None if unbounded and after > hi else after - 1), []
    near = [(v, o) for v in (a - 1, a) if lo <= v <= hi and (o := output_along(spec, i, v, both)) is not None]
    return None, near


def intersect(a: Interval | None, b: Interval | None) -> Interval | None:
    if a is None or b is None:
        return None
    lo = max(a[0], b[0])
    ends = [x for x in (a[1], b[1]) if x is not None]
    hi = min(ends) if ends else None
    return None if hi is not None and hi < lo else (lo, hi)


def listed(found: Interval | None) -> list[int]:
    """The values of an interval, at most LISTED_UP_TO; an unbounded one lists its first value."""
    if found is None:
        return []
    lo, hi = found
    return list(range(lo, (lo if hi is None else min(hi, lo + LISTED_UP_TO - 1)) + 1))


# --- solving and explaining --------------------------------------------------------------------


def _square(spec: InverseSpec) -> bool:
    b = spec.base
    pads = ("same", "same") if getattr(b, "padding", None) == "same" else b.padding
    per_dim = [(b.size[i], b.kernel[i], b.stride[i], b.dilation[i], pads[i], spec.target[i]) for i in range(2)]
    return per_dim[0] == per_dim[1]


def solve(spec: InverseSpec) -> Result:
    """Every value of the unknown that gives the target, per dimension and for both at once."""
    dims = [("HW", 0)] if _square(spec) else [("H", 0), ("W", 1)]
    steps: list[Step] = []
    answers: dict[str, DimAnswer] = {}
    for label, i in dims:
        found, near = solve_dimension(spec, i, both=label == "HW")
        answer = DimAnswer(label, i, found, _closed_form(spec, i), near)
        steps += _dimension_steps(spec, answer)
        for d in label:
            answers[d] = answer
    common = intersect(answers["H"].found, answers["W"].found)
    what = spec.unknown
    sym = SYMBOL[what]
    summary: list[tuple[Text, Text | str]] = [
        (
            T("Question", "问题"),
            T("which {what} gives {t}?", "多大的 {what} 得到 {t}？").format(
                what=what, t="×".join(map(str, spec.target))
            ),
        )
    ]
    if common is not None:
        summary.append((T("Answer", "答案"), _interval_text(what, common)))
    elif answers["H"].found and answers["W"].found:
        h, w = answers["H"].found[0], answers["W"].found[0]
        steps.append(_no_common_step(spec, answers))
        summary.append(
            (
                T("Answer", "答案"),
                T(
                    "no single {what} does; per dimension {what} = {h}x{w} (height x width)",
                    "没有同时满足两个方向的单个 {what}；分方向取 {what} = {h}x{w}（高 x 宽）",
                ).format(what=what, h=h, w=w),
            )
        )
    else:
        summary.append((T("Answer", "答案"), T("none", "无解")))
    notes = []
    if spec.stride_follows_kernel:
        notes.append(
            T(
                "no stride given: as in torch the stride is the kernel size, and it changes with K",
                "未给出步长：与 torch 一致，步长等于核大小，随 K 一起变化",
            )
        )
    if common is not None and common[1] is None:
        notes.append(
            T(
                "every {sym} ≥ {lo} works: past that the output stays {t}",
                "所有 {sym} ≥ {lo} 都成立：此后输出一直是 {t}",
            ).format(sym=sym, lo=common[0], t="×".join(map(str, spec.target)))
        )

    def span(found: Interval | None) -> list[int | None] | None:
        return None if found is None else [found[0], found[1]]

    nearest = {a.label: [{"value": v, "output": o} for v, o in a.nearest] for a in answers.values()}
    return Result(
        kind="pool_inverse" if spec.is_pool else "conv_inverse",
        title=T("{layer}, solved for {what}", "{layer}：求 {what}").format(layer=spec.layer_name, what=what),
        answer={
            "layer": spec.layer_name,
            "unknown": what,
            "target": list(spec.target),
            "values": listed(common),
            "values_h": listed(answers["H"].found),
            "values_w": listed(answers["W"].found),
            "range": span(common),
            "range_h": span(answers["H"].found),
            "range_w": span(answers["W"].found),
            "unbounded_from": common[0] if common is not None and common[1] is None else None,
            "stride_follows_kernel": spec.stride_follows_kernel,
            "nearest": {k: v for k, v in nearest.items() if v},
        },
        summary=summary,
        steps=steps,
        notes=notes,
        spec=spec,
    )


def _interval_text(what: str, found: Interval) -> str:
    lo, hi = found
    sym = SYMBOL[what]
    if hi is None:
        return f"{what} {sym} ≥ {lo}"
    if hi - lo < 12:
        return f"{what} = " + ", ".join(map(str, range(lo, hi + 1)))
    return f"{what} {lo} ≤ {sym} ≤ {hi} ({hi - lo + 1:,} values)"


def _bound_math(what: str, found: Interval | None) -> m.Math:
    sym = SYMBOL[what]
    if found is None:
        return m.text("no value")
    lo, hi = found
    return m.rel(lo, "≤", m.sym(sym)) if hi is None else m.rel(lo, "≤", m.sym(sym), "≤", hi)


def _closed_form(spec: InverseSpec, i: int) -> tuple[int, int | None] | None:
    """The bounds the floor inequality gives (module docstring), where it applies: floor rounding
    and a stride that does not move with the unknown."""
    b = spec.base
    if spec.is_pool and b.ceil_mode:
        return None
    if getattr(b, "padding", None) == "same":
        return None
    t = spec.target[i]
    n, k, s, d, p = b.size[i], b.kernel[i], b.stride[i], b.dilation[i], b.padding[i]
    if spec.unknown == "padding":
        lo, hi = (t - 1) * s - n + d * (k - 1) + 1, t * s - n + d * (k - 1)
        return max(0, -(-lo // 2)), hi // 2
    if spec.unknown == "kernel" and spec.stride_follows_kernel:
        # S = K: ⌊(H + 2P - D(K - 1) - 1)/K⌋ + 1 = ⌊(H + 2P + D - 1)/K⌋ - D + 1, so ⌊m/K⌋ = T + D - 1 = c
        big, c = n + 2 * p + d - 1, t + d - 1
        return big // (c + 1) + 1, big // c
    if spec.unknown == "kernel":
        lo, hi = n + 2 * p - t * s, n + 2 * p - 1 - (t - 1) * s
        return max(1, 1 + -(-lo // d)), (1 + hi // d if hi >= 0 else 0)
    x = n + 2 * p - d * (k - 1) - 1
    if t == 1:
        return max(1, x + 1), None
    return max(1, x // t + 1), x // (t - 1)


def _dimension_steps(spec: InverseSpec, a: DimAnswer) -> list[Step]:
    steps = [_relation_step(spec, a)]
    shown = a.inequality
    if a.found is not None and shown is not None and _clip(shown) != a.found:
        steps.append(_limits_step(spec, a))
    if a.found is not None:
        for v in listed(a.found)[:CHECK_STEPS]:
            layer = with_value(spec, None if a.label == "HW" else a.index, v)
            for s in _forward_steps(spec, layer, a.label, a.index):
                steps.append(
                    Step(
                        T("Check {name} = {v}: ", "验证 {name} = {v}：").format(name=SYMBOL[spec.unknown], v=v)
                        + s.label,
                        s.lhs,
                        s.chain,
                        s.note,
                    )
                )
    else:
        near = ", ".join(f"{SYMBOL[spec.unknown]} = {v} → {o}" for v, o in a.nearest) or "—"
        steps.append(
            Step(
                T("No exact solution", "无精确解"),
                None,
                [],
                T("no {what} gives {t}; nearest: {near}", "没有任何 {what} 得到 {t}；最接近：{near}").format(
                    what=spec.unknown, t=spec.target[a.index], near=near
                ),
            )
        )
    return steps


def _clip(bounds: tuple[int, int | None]) -> Interval | None:
    lo, hi = bounds
    return None if hi is not None and hi < lo else (lo, hi)


def _limits_step(spec: InverseSpec, a: DimAnswer) -> Step:
    """Where torch's own limits cut the interval the rule gives (pooling padding, a kernel that fits)."""
    b, i = spec.base, a.index
    reasons = []
    if spec.is_pool and spec.unknown == "padding":
        reasons.append(
            T("pooling padding is at most ⌊K/2⌋ = {p}", "池化填充至多 ⌊K/2⌋ = {p}").format(p=b.kernel[i] // 2)
        )
    if spec.is_pool and spec.unknown == "kernel" and b.padding[i]:
        reasons.append(
            T("pooling needs P ≤ ⌊K/2⌋, so K ≥ 2P = {k}", "池化要求 P ≤ ⌊K/2⌋，故 K ≥ 2P = {k}").format(
                k=2 * b.padding[i]
            )
        )
    if spec.unknown == "kernel":
        reasons.append(T("the kernel must fit the padded input", "卷积核不能大于填充后的输入"))
    if spec.unknown == "padding" and not spec.is_pool:
        reasons.append(T("the kernel must fit the padded input", "卷积核不能大于填充后的输入"))
    note = "; ".join(r.en for r in reasons) or "the values torch accepts"
    note_zh = "；".join(r.zh for r in reasons) or "torch 接受的取值"
    return Step(
        T("Within torch's limits ({dim})", "torch 的限制（{dim}）").format(dim=_dim_name(a.label)),
        None,
        [_bound_math(spec.unknown, a.found)],
        Text(note, note_zh),
    )


def _dim_name(label: str) -> str:
    return "H=W" if label == "HW" else label


def _relation_step(spec: InverseSpec, a: DimAnswer) -> Step:
    if a.inequality is not None:
        return _inequality_step(spec, a.label, a.index, a.inequality)
    b, t = spec.base, spec.target[a.index]
    dim = a.label[0]
    tied = spec.stride_follows_kernel and spec.unknown == "kernel"
    rounding = m.ceil if getattr(b, "ceil_mode", False) else m.floor
    S = m.sym("K") if tied else m.sym("S")
    x = m.sym(dim) + m.juxt(2, m.sym("P")) - m.juxt(m.sym("D"), m.sym("K") - 1) - 1
    chain = [m.rel(rounding(x / S) + 1, "=", t), _bound_math(spec.unknown, a.found)]
    notes = []
    if tied:
        notes.append(T("the stride is the kernel size (torch's default)", "步长等于核大小（torch 的默认值）"))
    if getattr(b, "ceil_mode", False):
        notes.append(
            T(
                "ceil mode: torch drops a last window that would start in the right padding",
                "ceil 模式：起点落在右侧填充中的最后一个窗口被 torch 丢弃",
            )
        )
    if getattr(b, "padding", None) == "same":
        notes.append(T("padding='same' keeps H_out = H at stride 1", "padding='same' 在步长 1 时保持 H_out = H"))
    notes.append(
        T(
            "the output size only grows with P and only shrinks with S and K, so the values that give T form one range",
            "输出尺寸随 P 单调不减、随 S 和 K 单调不增，所以得到 T 的取值是一个连续区间",
        )
    )
    return Step(
        T("Solve for {what} ({dim}, T = {t})", "求 {what}（{dim}，T = {t}）").format(
            what=spec.unknown, dim=_dim_name(a.label), t=t
        ),
        None,
        chain,
        Text("; ".join(n.en for n in notes), "；".join(n.zh for n in notes)),
        joiner="⇔",
    )


def _inequality_step(spec: InverseSpec, label: str, i: int, bounds: tuple[int, int | None]) -> Step:
    b, t = spec.base, spec.target[i]
    n, k, s, d = b.size[i], b.kernel[i], b.stride[i], b.dilation[i]
    p = b.padding[i]
    dim = label[0]
    Tm, S = m.sym("T"), m.sym("S")
    if spec.unknown == "padding":
        rel = m.rel(
            m.ceil(((Tm - 1) * S - m.sym(dim) + m.juxt(m.sym("D"), m.sym("K") - 1) + 1) / 2),
            "≤",
            m.sym("P"),
            "≤",
            m.floor((Tm * S - m.sym(dim) + m.juxt(m.sym("D"), m.sym("K") - 1)) / 2),
        )
        nums = m.rel(
            m.ceil(((m.num(t) - 1) * s - n + m.num(d) * (m.num(k) - 1) + 1) / 2),
            "≤",
            m.sym("P"),
            "≤",
            m.floor((m.num(t) * s - n + m.num(d) * (m.num(k) - 1)) / 2),
        )
    elif spec.unknown == "kernel" and spec.stride_follows_kernel:
        big, c = n + 2 * p + d - 1, t + d - 1
        H, P, D, K = m.sym(dim), m.juxt(2, m.sym("P")), m.sym("D"), m.sym("K")
        lo, hi = bounds
        chain = [
            m.rel(m.floor((H + P - m.juxt(D, K - 1) - 1) / K) + 1, "=", Tm),
            m.rel(m.floor((H + P + D - 1) / K), "=", Tm + D - 1),
            m.rel(m.floor(m.frac(big, K)), "=", c),
            m.rel(m.floor(m.frac(big, c + 1)) + 1, "≤", K, "≤", m.floor(m.frac(big, c))),
            m.rel(lo, "≤", K, "≤", hi) if hi is not None and hi >= lo else m.text("no value"),
        ]
        return Step(
            T("Solve for the kernel with S = K ({dim}, T = {t})", "求核大小，S = K（{dim}，T = {t}）").format(
                dim=_dim_name(label), t=t
            ),
            None,
            chain,
            T(
                "no stride given, so torch's stride is the kernel size; with m = H + 2P + D - 1, "
                "⌊(m - DK)/K⌋ = ⌊m/K⌋ - D, and ⌊m/K⌋ = c exactly when m/(c + 1) < K ≤ m/c",
                "未给出步长，torch 的步长等于核大小；记 m = H + 2P + D - 1，则 ⌊(m - DK)/K⌋ = ⌊m/K⌋ - D，"
                "且 ⌊m/K⌋ = c 当且仅当 m/(c + 1) < K ≤ m/c",
            ),
            joiner="⇔",
        )
    elif spec.unknown == "kernel":
        rel = m.rel(
            1 + m.ceil((m.sym(dim) + m.juxt(2, m.sym("P")) - Tm * S) / m.sym("D")),
            "≤",
            m.sym("K"),
            "≤",
            1 + m.floor((m.sym(dim) + m.juxt(2, m.sym("P")) - 1 - (Tm - 1) * S) / m.sym("D")),
        )
        nums = m.rel(
            1 + m.ceil((m.num(n) + 2 * m.num(p) - m.num(t) * s) / d),
            "≤",
            m.sym("K"),
            "≤",
            1 + m.floor((m.num(n) + 2 * m.num(p) - 1 - (m.num(t) - 1) * s) / d),
        )
    else:
        x = n + 2 * p - d * (k - 1) - 1
        if t == 1:
            rel = m.rel(m.sym("S"), ">", m.sym("x"))
            nums = m.rel(m.sym("S"), ">", x)
        else:
            rel = m.rel(m.floor(m.sym("x") / Tm) + 1, "≤", m.sym("S"), "≤", m.floor(m.sym("x") / (Tm - 1)))
            nums = m.rel(m.floor(m.frac(x, t)) + 1, "≤", m.sym("S"), "≤", m.floor(m.frac(x, t - 1)))
    lo, hi = bounds
    sym = m.sym(SYMBOL[spec.unknown])
    bound = m.rel(lo, "≤", sym) if hi is None else m.rel(lo, "≤", sym, "≤", hi)
    chain = [m.rel((Tm - 1) * S, "≤", m.sym("x"), "≤", Tm * S - 1), rel, nums, bound]
    if hi is not None and hi < lo:
        chain.append(m.text("no value"))
    return Step(
        T("Solve ⌊x/S⌋ + 1 = T for {what} ({dim}, T = {t})", "解 ⌊x/S⌋ + 1 = T 求 {what}（{dim}，T = {t}）").format(
            what=spec.unknown, dim=_dim_name(label), t=t
        ),
        None,
        chain,
        T(
            "x = H + 2P - D(K - 1) - 1; the floor equals T - 1 exactly when x lies in [(T-1)S, TS-1]",
            "x = H + 2P - D(K - 1) - 1；当且仅当 x 落在 [(T-1)S, TS-1] 内时下取整等于 T - 1",
        ),
        joiner="⇔",
    )


def _no_common_step(spec: InverseSpec, answers: dict[str, DimAnswer]) -> Step:
    sym = SYMBOL[spec.unknown]
    h, w = answers["H"].found, answers["W"].found
    return Step(
        T("Height and width together", "高与宽同时满足"),
        None,
        [],
        T(
            "the height needs {h}, the width {w}: no single {sym} does both; set them separately",
            "高需要 {h}，宽需要 {w}：没有同时满足的单个 {sym}；需分别设置",
        ).format(h=_bound_math(spec.unknown, h).text, w=_bound_math(spec.unknown, w).text, sym=sym),
    )


def _forward_steps(spec: InverseSpec, layer: Any, label: str, i: int) -> list[Step]:
    if spec.is_pool:
        return window_steps(label, pool.windows(layer)[i], layer.ceil_mode, dilated=not layer.avg)[1]
    return window_steps(label, conv.windows(layer)[i])[1]
