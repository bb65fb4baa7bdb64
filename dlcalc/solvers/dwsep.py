"""Depthwise-separable convolution (MobileNet's block) against a standard convolution.

A depthwise conv (groups = C: one K_h×K_w filter per input channel) followed by a 1×1 pointwise
conv (C → C_out), against one standard K_h×K_w conv C → C_out of the same output shape:

    weights:        depthwise C·K²,          pointwise C·C_out,          standard C·C_out·K²
    multiply-adds:  depthwise C·K²·H'W',     pointwise C·C_out·H'W',     standard C·C_out·K²·H'W'
    ratio (weights and multiply-adds):  (C·K² + C·C_out) / (C·C_out·K²) = 1/C_out + 1/K²

(K² = K_h·K_w.) Biases add C (depthwise) + C_out (pointwise) against C_out (standard); the ratio
is stated for the weights. Exact integers and Fractions throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import parse_dims, parse_int, parse_pair
from dlcalc.result import Result, Step, Table
from dlcalc.solvers.window import Window, pair_arg, window_steps
from dlcalc.text import T


@dataclass(frozen=True)
class DwSepSpec:
    channels: int
    size: tuple[int, int]
    kernel: tuple[int, int]
    out_channels: int
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    bias: bool = True


def _spec(values: dict[str, Any]) -> DwSepSpec:
    c, h, w = values["input"]
    spec = DwSepSpec(
        channels=c,
        size=(h, w),
        kernel=values["kernel"],
        out_channels=values["out_channels"],
        stride=values["stride"],
        padding=values["padding"],
        bias=values["bias"] is not False,
    )
    for name, value in (("input", (c, h, w)), ("kernel", spec.kernel), ("stride", spec.stride)):
        if min(value) <= 0:
            raise DlcalcError(
                T("{n}: must be positive, got {v}", "{n}：必须为正，得到 {v}").format(
                    n=name, v="x".join(map(str, value))
                )
            )
    if spec.out_channels <= 0:
        raise DlcalcError(
            T("{o}: must be positive, got {v}", "{o}：必须为正，得到 {v}").format(o=OUT_CHANNELS, v=spec.out_channels)
        )
    if min(spec.padding) < 0:
        raise DlcalcError(T("padding: must not be negative", "padding：不能为负"))
    for dim, wd in zip("HW", windows(spec)):
        if wd.output_size() <= 0:
            raise DlcalcError(
                T(
                    "kernel: the window spans {s} along {d} but the padded input is only {p}",
                    "kernel：窗口沿 {d} 跨 {s}，但填充后的输入只有 {p}",
                ).format(s=wd.span, d=dim, p=wd.padded)
            )
    return spec


OUT_CHANNELS = "--out-channels"  # errors name the option as typed (its long name), as conv's hint does


def _out_channels(value: Any, what: str) -> int:
    return parse_int(value, OUT_CHANNELS)


def _chw(value: Any, what: str) -> tuple[int, ...]:
    return parse_dims(value, what, (3,))


def _bias(value: Any, what: str) -> bool:
    from dlcalc.parse import parse_bool

    return parse_bool(value, what)


SOLVER = Solver(
    name="dwsep",
    help=T(
        "Depthwise-separable convolution (MobileNet): depthwise + 1×1 pointwise vs a standard conv — shape, parameters, multiply-adds, the 1/C_out + 1/K² ratio.",
        "深度可分离卷积（MobileNet）：逐通道卷积 + 1×1 逐点卷积与标准卷积对比——输出形状、参数量、乘加次数与 1/C_out + 1/K² 之比。",
    ),
    example="dlcalc dwsep 32x112x112 -k 3 -o 64 -p 1",
    inputs=(
        Input(
            "input",
            _chw,
            help=T("Input size CxHxW (x, × or * between sizes).", "输入尺寸 CxHxW（尺寸之间用 x、× 或 *）。"),
            positional=True,
            required=True,
            metavar="INPUT",
        ),
        Input(
            "kernel",
            parse_pair,
            help=T("Depthwise kernel size: N or NxM.", "逐通道卷积核尺寸：N 或 NxM。"),
            short="-k",
            metavar="N|HxW",
            required=True,
        ),
        Input(
            "out_channels",
            _out_channels,
            help=T(
                "Output channels C_out of the pointwise (and the standard) conv.",
                "逐点卷积（及标准卷积）的输出通道数 C_out。",
            ),
            short="-o",
            metavar="N",
            required=True,
        ),
        Input(
            "stride",
            parse_pair,
            help=T(
                "Stride of the depthwise (and the standard) conv: N or NxM.",
                "逐通道卷积（及标准卷积）的步幅：N 或 NxM。",
            ),
            short="-s",
            metavar="N|HxW",
            default=(1, 1),
        ),
        Input(
            "padding",
            parse_pair,
            help=T("Zero padding on each side: N or NxM.", "每侧补零：N 或 NxM。"),
            short="-p",
            metavar="N|HxW",
            default=(0, 0),
        ),
        Input(
            "bias",
            _bias,
            help=T("The convolutions have no bias terms.", "卷积没有偏置项。"),
            flag="--no-bias",
            switch=True,
            on=False,
            default=True,
        ),
    ),  # fmt: skip
    spec=_spec,
)


def windows(spec: DwSepSpec) -> list[Window]:
    return [Window(spec.size[i], spec.kernel[i], spec.stride[i], spec.padding[i], spec.padding[i]) for i in range(2)]


@dataclass(frozen=True)
class Counts:
    """Weights, biases and multiply-adds of the depthwise, pointwise and standard convolutions."""

    dw_w: int
    pw_w: int
    std_w: int
    dw_b: int
    pw_b: int
    std_b: int
    hw: int  # output positions H'·W'

    @property
    def dw_m(self) -> int:
        return self.dw_w * self.hw

    @property
    def pw_m(self) -> int:
        return self.pw_w * self.hw

    @property
    def std_m(self) -> int:
        return self.std_w * self.hw

    @property
    def separable(self) -> int:
        return self.dw_w + self.pw_w + self.dw_b + self.pw_b

    @property
    def standard(self) -> int:
        return self.std_w + self.std_b


@dataclass(frozen=True)
class Symbols:
    """The names in the formulas, and the numbers put in for K² and H'W'."""

    C: m.Math
    F: m.Math
    K: m.Math
    HW: m.Math
    k_num: m.Math
    hw_num: m.Math


def solve(spec: DwSepSpec) -> Result:
    C, F = spec.channels, spec.out_channels
    K2 = spec.kernel[0] * spec.kernel[1]
    steps, (ho, wo) = _shape_steps(spec)
    hw = ho * wo
    n = Counts(C * K2, C * F, C * F * K2, *((C, F, F) if spec.bias else (0, 0, 0)), hw)
    s = _symbols(spec, ho, wo)
    steps += _weight_steps(spec, n, s) + _mac_steps(spec, n, s)
    ratio = Fraction(n.dw_w + n.pw_w, n.std_w)
    steps.append(_ratio_step(spec, n, s, ratio))
    layers = (
        f"Conv2d({C}, {C}, kernel_size={pair_arg(spec.kernel)}, stride={pair_arg(spec.stride)}, "
        f"padding={pair_arg(spec.padding)}, groups={C}" + ("" if spec.bias else ", bias=False") + ")"
        f" → Conv2d({C}, {F}, kernel_size=1" + ("" if spec.bias else ", bias=False") + ")"
    )
    return Result(
        kind="dwsep",
        title=T("Depthwise-separable convolution", "深度可分离卷积"),
        answer=_answer(spec, n, ho, wo, ratio),
        summary=[
            (T("Layers", "层"), layers),
            (T("Output shape", "输出形状"), f"{C}×{spec.size[0]}×{spec.size[1]} → {F}×{ho}×{wo}"),
            (T("Parameters", "参数量"), T(f"{n.separable:,} vs {n.standard:,}", f"{n.separable:,} 对 {n.standard:,}")),
            (
                T("Multiply-adds", "乘加次数"),
                T(f"{n.dw_m + n.pw_m:,} vs {n.std_m:,}", f"{n.dw_m + n.pw_m:,} 对 {n.std_m:,}"),
            ),
            (T("Ratio", "比例"), f"1/{F} + 1/{K2} = {ratio}"),
        ],
        steps=steps,
        tables=[_table(n)],
        notes=_notes(spec, n),
        spec=spec,
    )


def _shape_steps(spec: DwSepSpec) -> tuple[list[Step], tuple[int, int]]:
    """The depthwise output size along H and W (once when both are alike), and the shape it gives."""
    ws = windows(spec)
    steps: list[Step] = []
    sizes: list[int] = []
    for label, wd in [("HW", ws[0])] if ws[0] == ws[1] else [("H", ws[0]), ("W", ws[1])]:
        out, dim_steps = window_steps(label, wd, dilated=False)
        steps += dim_steps
        sizes += [out] * len(label)
    ho, wo = sizes
    steps.append(
        Step(
            T("Depthwise output shape", "逐通道卷积输出形状"),
            None,
            [],
            T(
                "one K_h×K_w filter per channel (groups = C): {c} channels in, {c} out, {h}×{w}",
                "每个通道一个 K_h×K_w 滤波器（groups = C）：输入 {c} 通道，输出 {c} 通道，{h}×{w}",
            ).format(c=spec.channels, h=ho, w=wo),
        )
    )
    return steps, (ho, wo)


def _symbols(spec: DwSepSpec, ho: int, wo: int) -> Symbols:
    kh, kw = spec.kernel
    square = kh == kw
    return Symbols(
        C=m.sym("C"),
        F=m.sub("C", "out"),
        K=m.sym("K") ** 2 if square else m.sub("K", "h") * m.sub("K", "w"),
        HW=m.sym("H'W'"),
        k_num=m.num(kh) ** 2 if square else m.num(kh) * m.num(kw),
        hw_num=m.num(ho) * m.num(wo),
    )


def _count(label: Any, lhs: m.Math, formula: m.Math, numbers: m.Math, value: int) -> Step:
    return Step(label, lhs, m.dedupe([formula, numbers, m.num(value)]))


def _weight_steps(spec: DwSepSpec, n: Counts, s: Symbols) -> list[Step]:
    """C·K², C·C_out and C·C_out·K² weights; the biases each part adds."""
    C, F = m.num(spec.channels), m.num(spec.out_channels)
    steps = [
        _count(T("Depthwise weights", "逐通道卷积权重"), m.sub("W", "dw"), s.C * s.K, C * s.k_num, n.dw_w),
        _count(T("Pointwise weights (1×1)", "逐点卷积权重（1×1）"), m.sub("W", "pw"), s.C * s.F, C * F, n.pw_w),
        _count(
            T("Standard conv weights", "标准卷积权重"), m.sub("W", "std"), s.C * s.F * s.K, C * F * s.k_num, n.std_w
        ),
    ]
    if spec.bias:
        steps.append(
            Step(
                T("Bias terms", "偏置项"),
                None,
                [],
                T(
                    "depthwise C = {c} + pointwise C_out = {f} = {s}; standard C_out = {f}",
                    "逐通道 C = {c} + 逐点 C_out = {f} = {s}；标准卷积 C_out = {f}",
                ).format(c=spec.channels, f=spec.out_channels, s=spec.channels + spec.out_channels),
            )
        )
    return steps


def _mac_steps(spec: DwSepSpec, n: Counts, s: Symbols) -> list[Step]:
    """Each weight used once per output position: the counts times H'W'."""
    C, F = m.num(spec.channels), m.num(spec.out_channels)
    return [
        _count(T("Depthwise multiply-adds", "逐通道卷积乘加次数"), m.sub("MAC", "dw"), s.C * s.K * s.HW,
               C * s.k_num * s.hw_num, n.dw_m),
        _count(T("Pointwise multiply-adds", "逐点卷积乘加次数"), m.sub("MAC", "pw"), s.C * s.F * s.HW,
               C * F * s.hw_num, n.pw_m),
        _count(T("Standard conv multiply-adds", "标准卷积乘加次数"), m.sub("MAC", "std"), s.C * s.F * s.K * s.HW,
               C * F * s.k_num * s.hw_num, n.std_m),
    ]  # fmt: skip


def _ratio_step(spec: DwSepSpec, n: Counts, s: Symbols, ratio: Fraction) -> Step:
    """(C·K² + C·C_out)/(C·C_out·K²) = 1/C_out + 1/K²."""
    return Step(
        T("Saving ratio (weights; multiply-adds alike, H'W' cancels)", "节省比例（权重；乘加次数同理，H'W' 约去）"),
        m.sym("r"),
        [
            m.frac(s.C * s.K + s.C * s.F, s.C * s.F * s.K),
            m.frac(1, s.F) + m.frac(1, s.K),
            m.frac(1, spec.out_channels) + m.frac(1, spec.kernel[0] * spec.kernel[1]),
            m.frac(n.dw_w + n.pw_w, n.std_w),
            m.num(ratio),
        ],
        T("divide numerator and denominator by C·C_out·K²", "分子分母同除以 C·C_out·K²"),
    )


def _answer(spec: DwSepSpec, n: Counts, ho: int, wo: int, ratio: Fraction) -> dict[str, Any]:
    return {
        "input_shape": [spec.channels, *spec.size],
        "depthwise_shape": [spec.channels, ho, wo],
        "output_shape": [spec.out_channels, ho, wo],
        "depthwise_params": n.dw_w + n.dw_b,
        "pointwise_params": n.pw_w + n.pw_b,
        "params": n.separable,
        "standard_params": n.standard,
        "depthwise_weights": n.dw_w,
        "pointwise_weights": n.pw_w,
        "standard_weights": n.std_w,
        "depthwise_macs": n.dw_m,
        "pointwise_macs": n.pw_m,
        "macs": n.dw_m + n.pw_m,
        "standard_macs": n.std_m,
        "ratio": ratio,
        "macs_ratio": Fraction(n.dw_m + n.pw_m, n.std_m),
        "bias": spec.bias,
    }


def _table(n: Counts) -> Table:
    return Table(
        [T("part", "部分"), T("parameters", "参数量"), T("multiply-adds", "乘加次数")],
        [
            [T("depthwise", "逐通道"), str(n.dw_w + n.dw_b), str(n.dw_m)],
            [T("pointwise 1×1", "逐点 1×1"), str(n.pw_w + n.pw_b), str(n.pw_m)],
            [T("separable total", "可分离合计"), str(n.separable), str(n.dw_m + n.pw_m)],
            [T("standard conv", "标准卷积"), str(n.standard), str(n.std_m)],
        ],
    )


def _notes(spec: DwSepSpec, n: Counts) -> list:
    notes = [
        T(
            "multiply-adds count the weights only (a bias is an addition, not a multiply-add)",
            "乘加次数只计权重（偏置是加法，不算乘加）",
        )
    ]
    if spec.bias:
        notes.append(
            T(
                "the ratio is for the weights; with biases the parameters are {a} vs {b}",
                "比例按权重计；含偏置时参数量为 {a} 对 {b}",
            ).format(a=n.separable, b=n.standard)
        )
    return notes


def template(rng: Any, difficulty: int = 1) -> Any:
    """A MobileNet-like block: parameters of both parts and the saving ratio (difficulty 1), plus
    the multiply-adds and the output shape with a stride (difficulty 2 and up)."""
    from dlcalc.quiz.templates import Draft, part

    c = rng.choice([8, 16, 24, 32, 64])
    f = rng.choice([x for x in (16, 32, 64, 128) if x != c])
    k = rng.choice([3, 3, 5])
    size = rng.choice([7, 14, 28, 56])
    s = 1 if difficulty <= 1 else rng.choice([1, 2])
    inputs = {
        "input": f"{c}x{size}x{size}",
        "kernel": k,
        "out_channels": f,
        "stride": s,
        "padding": k // 2,
        "bias": False,
    }
    parts = [
        part("depthwise_params", "depthwise parameters", "逐通道卷积参数量", "exact", names=("depthwise",)),
        part("pointwise_params", "pointwise parameters", "逐点卷积参数量", "exact", names=("pointwise",)),
        part("standard_params", "standard parameters", "标准卷积参数量", "exact", names=("standard",)),
        part("ratio", "ratio", "比例", "exact", names=("比值",)),
    ]
    asks_en = (
        "the depthwise parameters, the pointwise parameters, the standard parameters and the ratio (as a fraction)"
    )
    asks_zh = "逐通道卷积参数量、逐点卷积参数量、标准卷积参数量以及两者的比例（分数）"
    if difficulty > 1:
        parts += [
            part("output_shape", "output shape", "输出形状"),
            part("macs", "separable multiply-adds", "可分离乘加次数", "exact", names=("multiply-adds",)),
        ]
        asks_en = (
            asks_en[: -len(" and the ratio (as a fraction)")]
            + ", the ratio (as a fraction), the output shape and the separable multiply-adds"
        )
        asks_zh = asks_zh + "、输出形状与可分离乘加次数"
    statement = T(
        "A {c}×{n}×{n} input goes through a {k}×{k} depthwise conv (groups = {c}, stride {s}, padding {p}, no bias) and then "
        "a 1×1 pointwise conv to {f} channels, in place of a standard {k}×{k} conv to {f} channels. Give {asks}.",
        "{c}×{n}×{n} 的输入先经过 {k}×{k} 逐通道卷积（groups = {c}，步幅 {s}，填充 {p}，无偏置），再经过 1×1 逐点卷积得到 {f} 个通道，"
        "以代替一个 {k}×{k}、输出 {f} 通道的标准卷积。求{asks}。",
    )
    statement = T(
        statement.en.format(c=c, n=size, k=k, s=s, p=k // 2, f=f, asks=asks_en),
        statement.zh.format(c=c, n=size, k=k, s=s, p=k // 2, f=f, asks=asks_zh),
    )
    return Draft("dwsep", "dwsep", inputs, statement, parts, difficulty=difficulty)


def well_posed(q: Any) -> bool:
    a = q.result.answer
    return all(v > 0 for v in a["output_shape"]) and a["ratio"] < 1
