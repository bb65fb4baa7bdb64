"""The inverse conv question: which padding, stride or kernel size gives a wanted output size?

With x = H + 2P - D(K - 1) - 1 the forward rule H_out = ⌊x/S⌋ + 1 = T holds exactly when

    (T - 1)·S ≤ x ≤ T·S - 1,

which is solved for the unknown:

    padding:  ⌈((T - 1)·S - H + D(K - 1) + 1)/2⌉ ≤ P ≤ ⌊(T·S - H + D(K - 1))/2⌋
    kernel:   1 + ⌈(H + 2P - T·S)/D⌉ ≤ K ≤ 1 + ⌊(H + 2P - 1 - (T - 1)·S)/D⌋
    stride:   ⌊x/T⌋ + 1 ≤ S ≤ ⌊x/(T - 1)⌋   (every S > x when T = 1)

Every value found is run through the forward solver (and so through torch's refusals) again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.parse import parse_bool, parse_dims
from dlcalc.result import Result, Step
from dlcalc.solvers import conv
from dlcalc.text import T, Text

UNKNOWNS = ("padding", "stride", "kernel")


@dataclass(frozen=True)
class InverseSpec:
    base: conv.ConvSpec  # the known settings; the unknown one is ignored
    unknown: str
    target: tuple[int, int]


def parse_spec(inputs: Mapping[str, Any]) -> InverseSpec:
    inputs = dict(inputs)
    unknown = str(inputs.pop("solve", "")).strip().lower()
    if unknown not in UNKNOWNS:
        raise DlcalcError(f"solve: expected one of {', '.join(UNKNOWNS)}, got {unknown!r}")
    target_in = inputs.pop("target", None)
    if target_in is None:
        raise DlcalcError("target: give the wanted output size (--target 56 or 56x56)")
    dims = parse_dims(target_in, "target", (1, 2, 3))
    target = (dims[-1], dims[-1]) if len(dims) == 1 else (dims[-2], dims[-1])
    if min(target) <= 0:
        raise DlcalcError(f"target: sizes must be positive, got {target_in!r}")
    if parse_bool(inputs.get("transposed") or False, "transposed"):
        raise DlcalcError("solve: only plain convolutions are solved backwards (drop --transposed)")
    placeholder = {"padding": 0, "stride": 1, "kernel": 1}[unknown]
    inputs[unknown] = placeholder
    if inputs.get("kernel") is None:
        raise DlcalcError("conv: the kernel size is missing (-k/--kernel)")
    base = conv.parse_spec_unchecked(inputs)
    conv.validate_settings(base)
    if unknown == "padding" and base.padding == "same":
        raise DlcalcError("padding: cannot both fix padding='same' and solve for it")
    if len(dims) == 3 and base.out_channels is not None and dims[0] != base.out_channels:
        raise DlcalcError(f"target: {dims[0]} channels but -o gives {base.out_channels}")
    return InverseSpec(base, unknown, target)


def _with(spec: conv.ConvSpec, unknown: str, i: int | None, value: int) -> conv.ConvSpec:
    """`spec` with the unknown set to `value`: in dimension i only, or in both when i is None."""
    current = list(getattr(spec, unknown))
    for j in (0, 1) if i is None else (i,):
        current[j] = value
    return replace(spec, **{unknown: tuple(current)})


def forward(spec: conv.ConvSpec, i: int) -> int | None:
    """The output size along dimension i, or None where torch refuses the layer."""
    try:
        conv.validate_settings(spec)
    except DlcalcError:
        return None
    if spec.padding == "same" and spec.stride != (1, 1):
        return None
    w = conv.windows(spec)[i]
    return w.output_size() if w.padded >= w.span else None


def candidates(spec: InverseSpec, i: int) -> tuple[int, int | None]:
    """The interval [lo, hi] (hi None: unbounded) from the inequalities in the module docstring."""
    b, t = spec.base, spec.target[i]
    n, k, s, d = b.size[i], b.kernel[i], b.stride[i], b.dilation[i]
    p = 0 if b.padding == "same" else b.padding[i]
    if spec.unknown == "padding":
        lo, hi = (t - 1) * s - n + d * (k - 1) + 1, t * s - n + d * (k - 1)
        return max(0, -(-lo // 2)), hi // 2
    if spec.unknown == "kernel":
        lo, hi = n + 2 * p - t * s, n + 2 * p - 1 - (t - 1) * s
        return max(1, 1 + -(-lo // d)), 1 + hi // d if hi >= 0 else 0
    x = n + 2 * p - d * (k - 1) - 1
    if t == 1:
        return max(1, x + 1), None
    return max(1, x // t + 1), x // (t - 1)


def solve(spec: InverseSpec) -> Result:
    dims = (
        [("HW", 0)]
        if spec.base.size[0] == spec.base.size[1] and spec.target[0] == spec.target[1] and _same_dims(spec.base)
        else [("H", 0), ("W", 1)]
    )
    steps: list[Step] = []
    per_dim: dict[str, list[int]] = {}
    unbounded: dict[str, int] = {}
    nearest: dict[str, list[tuple[int, int]]] = {}
    for label, i in dims:
        lo, hi = candidates(spec, i)
        steps.append(_inequality_step(spec, label, i, lo, hi))
        top = hi if hi is not None else lo
        both = None if label == "HW" else i
        found = [v for v in range(lo, top + 1) if forward(_with(spec.base, spec.unknown, both, v), i) == spec.target[i]]
        if hi is None and found:
            unbounded[label] = lo
        for d in label:
            per_dim[d] = found
        if not found:
            nearest[label] = _nearest(spec, i, both)
        for v in found[:3]:
            check_spec = _with(spec.base, spec.unknown, both, v)
            _, forward_steps = _forward_steps(check_spec, label, i)
            for s in forward_steps:
                steps.append(
                    Step(
                        T("Check {name} = {v}: ", "验证 {name} = {v}：").format(name=_symbol(spec.unknown), v=v)
                        + s.label,
                        s.lhs,
                        s.chain,
                        s.note,
                    )
                )
        if not found:
            near = ", ".join(f"{_symbol(spec.unknown)} = {v} → {o}" for v, o in nearest[label])
            steps.append(
                Step(
                    T("No exact solution", "无精确解"),
                    None,
                    [],
                    T("no {what} gives {t}; nearest: {near}", "没有任何 {what} 得到 {t}；最接近：{near}").format(
                        what=spec.unknown, t=spec.target[i], near=near
                    ),
                )
            )
    common = sorted(set(per_dim["H"]) & set(per_dim["W"]))
    summary: list[tuple[Text, Text | str]] = [
        (
            T("Question", "问题"),
            T("which {what} gives {t}?", "多大的 {what} 得到 {t}？").format(
                what=spec.unknown, t="×".join(map(str, spec.target))
            ),
        ),
    ]
    if common:
        shown = ", ".join(map(str, common[:12])) + (" …" if len(common) > 12 else "")
        if unbounded:
            shown = f"{_symbol(spec.unknown)} ≥ {max(unbounded.values())}"
        summary.append((T("Answer", "答案"), f"{spec.unknown} = {shown}"))
    elif per_dim["H"] and per_dim["W"]:
        summary.append((T("Answer", "答案"), f"{spec.unknown} = {per_dim['H'][0]}x{per_dim['W'][0]} (height x width)"))
    else:
        summary.append((T("Answer", "答案"), T("none", "无解")))
    return Result(
        kind="conv_inverse",
        title=T("Conv2d, solved for {what}", "Conv2d：求 {what}").format(what=spec.unknown),
        answer={
            "unknown": spec.unknown,
            "target": list(spec.target),
            "values": common,
            "values_h": per_dim["H"],
            "values_w": per_dim["W"],
            "unbounded_from": max(unbounded.values()) if unbounded else None,
            "nearest": {k: [{"value": v, "output": o} for v, o in near] for k, near in nearest.items()},
        },
        summary=summary,
        steps=steps,
        spec=spec,
    )


def _same_dims(b: conv.ConvSpec) -> bool:
    pads = ("same", "same") if b.padding == "same" else b.padding
    return (
        b.kernel[0] == b.kernel[1]
        and b.stride[0] == b.stride[1]
        and b.dilation[0] == b.dilation[1]
        and pads[0] == pads[1]
    )


def _symbol(unknown: str) -> str:
    return {"padding": "P", "stride": "S", "kernel": "K"}[unknown]


def _nearest(spec: InverseSpec, i: int, both: int | None) -> list[tuple[int, int]]:
    """The values whose output is closest to the target, on either side."""
    b = spec.base
    limit = (
        b.size[i]
        + 2 * (0 if b.padding == "same" else b.padding[i])
        + 2
        + (2 * b.size[i] if spec.unknown == "padding" else 0)
    )
    outs = []
    for v in range(0 if spec.unknown == "padding" else 1, limit + 1):
        o = forward(_with(b, spec.unknown, both, v), i)
        if o is not None:
            outs.append((v, o))
    if not outs:
        return []
    below = [vo for vo in outs if vo[1] < spec.target[i]]
    above = [vo for vo in outs if vo[1] > spec.target[i]]
    picks = ([max(below, key=lambda vo: vo[1])] if below else []) + (
        [min(above, key=lambda vo: vo[1])] if above else []
    )
    return sorted(picks)


def _inequality_step(spec: InverseSpec, label: str, i: int, lo: int, hi: int | None) -> Step:
    b, t = spec.base, spec.target[i]
    n, k, s, d = b.size[i], b.kernel[i], b.stride[i], b.dilation[i]
    p = 0 if b.padding == "same" else b.padding[i]
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
    bound = f"{lo} ≤ {_symbol(spec.unknown)}" + (f" ≤ {hi}" if hi is not None else "")
    return Step(
        T("Solve ⌊x/S⌋ + 1 = T for {what} ({dim}, T = {t})", "解 ⌊x/S⌋ + 1 = T 求 {what}（{dim}，T = {t}）").format(
            what=spec.unknown, dim="H=W" if label == "HW" else label, t=t
        ),
        None,
        [m.rel((Tm - 1) * S, "≤", m.sym("x"), "≤", Tm * S - 1), rel, nums, m.Math(bound, bound.replace("≤", r"\le"))],
        T(
            "x = H + 2P - D(K - 1) - 1; the floor equals T - 1 exactly when x lies in [(T-1)S, TS-1]",
            "x = H + 2P - D(K - 1) - 1；当且仅当 x 落在 [(T-1)S, TS-1] 内时下取整等于 T - 1",
        ),
        joiner="⇔",
    )


def _forward_steps(spec: conv.ConvSpec, label: str, i: int):
    from dlcalc.solvers.window import window_steps

    return window_steps(label, conv.windows(spec)[i])
