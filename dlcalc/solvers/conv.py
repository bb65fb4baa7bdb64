"""One convolution layer: output feature-map size and parameter count.

    H_out = ⌊(H + 2P - D(K - 1) - 1) / S⌋ + 1                       (Conv2d)
    H_out = (H - 1)·S - 2P + D(K - 1) + output_padding + 1            (ConvTranspose2d)
    params = (K_h·K_w·C/groups + 1)·F      (the +1 is the bias; F = out_channels)

The configurations torch refuses are refused here too, with torch's reason in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_bool, parse_int, parse_pair
from dlcalc.result import Result, Step
from dlcalc.solvers.window import (
    DIM_LABELS,
    InputShape,
    Window,
    layout_note,
    out_symbol,
    pair_arg,
    pair_text,
    read_input_shape,
    read_layer_inputs,
    require_positive,
    window_steps,
)
from dlcalc.text import T, Text

FIELDS = {
    "input",
    "kernel",
    "stride",
    "padding",
    "dilation",
    "out_channels",
    "groups",
    "bias",
    "transposed",
    "output_padding",
    "layout",
}


@dataclass(frozen=True)
class ConvSpec:
    in_channels: int | None
    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] | str = (0, 0)  # or "same"
    dilation: tuple[int, int] = (1, 1)
    out_channels: int | None = None
    groups: int = 1
    bias: bool = True
    transposed: bool = False
    output_padding: tuple[int, int] = (0, 0)
    layout: str = "chw"  # "hwc": the input was written channels-last (227x227x3)
    layout_guessed: bool = False  # read channels-last from the sizes, not from --layout

    @property
    def torch_name(self) -> str:
        return "ConvTranspose2d" if self.transposed else "Conv2d"


def parse_input_shape(value: Any, layout: Any = "auto") -> tuple[int | None, tuple[int, int]]:
    """`H` (a square H×H map), `HxW`, `CxHxW` or `HxWxC` (see `window.read_input_shape`)."""
    shape = read_input_shape(value, layout)
    return shape.channels, shape.size


def parse_padding(value: Any) -> tuple[int, int] | str:
    if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
        return "same" if value.strip().lower() == "same" else (0, 0)
    try:
        return parse_pair(value, "padding")
    except DlcalcError:
        raise DlcalcError(f"padding: expected N, NxM, 'same' or 'valid', got {value!r}") from None


SOLVER = Solver(
    name="conv",
    help=T(
        "Output shape and parameter count of one convolution layer, worked step by step.",
        "逐步算出一个卷积层的输出形状与参数量。",
    ),
    example="dlcalc conv 3x227x227 -k 11 -s 4 -o 96",
    notes=(
        T(
            "Inverse question: dlcalc conv 64x56x56 -k 3 --target 56 --solve padding",
            "反求：dlcalc conv 64x56x56 -k 3 --target 56 --solve padding",
        ),
    ),
    inputs=(
        Input(
            "input",
            help=T(
                "Input size: H, HxW, CxHxW or HxWxC (x, × or * between sizes).",
                "输入尺寸：H、HxW、CxHxW 或 HxWxC（尺寸之间用 x、× 或 *）。",
            ),
            positional=True,
            required=True,
            metavar="INPUT",
        ),
        Input(
            "kernel",
            help=T("Kernel size: N or NxM (height x width).", "卷积核尺寸：N 或 NxM（高 x 宽）。"),
            short="-k",
            metavar="N|HxW",
        ),
        Input("stride", help=T("Stride: N or NxM.", "步幅：N 或 NxM。"), short="-s", metavar="N|HxW", default=(1, 1)),
        Input(
            "padding",
            help=T(
                "Zero padding on each side: N or NxM, 'same' or 'valid'.", "每侧补零：N 或 NxM，或 'same'、'valid'。"
            ),
            short="-p",
            metavar="N|HxW",
            default=(0, 0),
        ),
        Input(
            "dilation", help=T("Dilation: N or NxM.", "膨胀率：N 或 NxM。"), short="-d", metavar="N|HxW", default=(1, 1)
        ),
        Input(
            "out_channels",
            help=T("Number of kernels F (output channels).", "卷积核个数 F（输出通道数）。"),
            short="-o",
            metavar="N",
        ),
        Input(
            "groups",
            help=T("Grouped convolution: groups dividing C and F.", "分组卷积：组数须整除 C 与 F。"),
            short="-g",
            metavar="N",
            default=1,
        ),
        Input(
            "bias", help=T("The layer has no bias terms.", "该层没有偏置项。"), flag="--no-bias", switch=True, on=False
        ),
        Input(
            "transposed",
            help=T("A transposed convolution (ConvTranspose2d).", "转置卷积（ConvTranspose2d）。"),
            switch=True,
        ),
        Input(
            "output_padding",
            help=T(
                "Extra rows/columns on one side (transposed only): N or NxM.",
                "在一侧额外增加的行/列（仅转置卷积）：N 或 NxM。",
            ),
            metavar="N|HxW",
            default=(0, 0),
        ),
        Input(
            "layout",
            help=T(
                "Order of a 3-size input: chw (torch), hwc (channels last, 227x227x3), or auto: hwc when the last size is 1, 3 or 4 and far smaller than the other two.",
                "三维输入的顺序：chw（torch）、hwc（通道在后，如 227x227x3），或 auto：末维为 1、3 或 4 且远小于另两维时按 hwc。",
            ),
            choices=("auto", "chw", "hwc"),
            default="auto",
        ),
    ),
    picture=True,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> ConvSpec:
    spec = parse_spec_unchecked(inputs)
    validate(spec)
    return spec


def parse_spec_unchecked(inputs: Mapping[str, Any]) -> ConvSpec:
    """The spec as written, before the checks torch would make."""
    only_keys(inputs, FIELDS, "conv")
    shape, kernel = read_layer_inputs(inputs, "conv", "3x227x227")
    get = inputs.get
    transposed = parse_bool(get("transposed", False), "transposed")
    raw_padding = get("padding")
    if transposed and isinstance(raw_padding, str) and raw_padding.strip().lower() in ("same", "valid"):
        # torch 2.13: ConvTranspose2d refuses every string padding ("padding='same'/'valid' is not supported")
        raise DlcalcError(f"padding: ConvTranspose2d takes a number, not {raw_padding.strip().lower()!r}")
    return ConvSpec(
        in_channels=shape.channels,
        size=shape.size,
        kernel=kernel,
        stride=parse_pair(get("stride", 1) if get("stride") is not None else 1, "stride"),
        padding=parse_padding(get("padding") if get("padding") is not None else 0),
        dilation=parse_pair(get("dilation") if get("dilation") is not None else 1, "dilation"),
        out_channels=None if get("out_channels") is None else parse_int(get("out_channels"), "out_channels"),
        groups=parse_int(get("groups") if get("groups") is not None else 1, "groups"),
        bias=parse_bool(get("bias", True), "bias"),
        transposed=transposed,
        output_padding=parse_pair(get("output_padding") if get("output_padding") is not None else 0, "output_padding"),
        layout=shape.layout,
        layout_guessed=shape.guessed,
    )


def validate(spec: ConvSpec) -> None:
    """Refuse what torch refuses, with the reason in one line."""
    validate_settings(spec)
    validate_geometry(spec)


def validate_settings(spec: ConvSpec) -> None:
    """The checks on each setting alone: positive sizes, groups that divide the channels."""
    require_positive(spec.kernel, spec.stride, spec.dilation)
    if not isinstance(spec.padding, str) and min(spec.padding) < 0:  # the one string is "same"
        raise DlcalcError(f"padding: must not be negative, got {pair_text(spec.padding)}")
    if spec.groups <= 0:
        raise DlcalcError(f"groups: must be positive, got {spec.groups}")
    if spec.out_channels is not None and spec.out_channels <= 0:
        raise DlcalcError(f"out_channels: must be positive, got {spec.out_channels}")
    if spec.in_channels is not None and spec.in_channels % spec.groups:
        raise DlcalcError(f"groups: {spec.groups} does not divide the {spec.in_channels} input channels")
    if spec.out_channels is not None and spec.out_channels % spec.groups:
        raise DlcalcError(f"groups: {spec.groups} does not divide the {spec.out_channels} output channels")
    if spec.in_channels is None and spec.groups != 1 and spec.out_channels is not None:
        raise DlcalcError("groups: give the input channels (CxHxW) to use groups")


def validate_geometry(spec: ConvSpec) -> None:
    """The checks that depend on the input size: the kernel must fit, the output must not vanish."""
    name = spec.torch_name
    if spec.transposed:
        if spec.padding == "same":
            raise DlcalcError("padding: ConvTranspose2d takes a number, not 'same'")
        for op, s, d in zip(spec.output_padding, spec.stride, spec.dilation):
            if op < 0:
                raise DlcalcError(f"output_padding: must not be negative, got {pair_text(spec.output_padding)}")
            if op >= s and op >= d:
                raise DlcalcError(
                    f"output_padding: must be smaller than the stride or the dilation, got "
                    f"{pair_text(spec.output_padding)} with stride {pair_text(spec.stride)} and dilation {pair_text(spec.dilation)}"
                )
        for dim, n in zip("HW", transposed_sizes(spec)):
            if n <= 0:
                raise DlcalcError(
                    f"padding: the output {dim} of {name} would be {n}; the padding is too large for this input"
                )
        return
    if spec.output_padding != (0, 0):
        raise DlcalcError("output_padding: only a transposed convolution (--transposed) takes it")
    if spec.padding == "same" and spec.stride != (1, 1):
        raise DlcalcError(f"padding: torch's padding='same' needs stride 1, got stride {pair_text(spec.stride)}")
    for dim, w in zip("HW", windows(spec)):
        if w.padded < w.span:
            raise DlcalcError(
                f"kernel: the kernel spans {w.span} along {dim} (D(K-1)+1) but the padded input is only "
                f"{w.padded}; torch refuses a kernel larger than the padded input"
            )


def same_padding(kernel: int, dilation: int) -> tuple[int, int]:
    """torch's padding='same': D(K - 1) in total, the odd one out on the right/bottom."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def windows(spec: ConvSpec) -> list[Window]:
    out = []
    for i in range(2):
        if isinstance(spec.padding, str):  # "same"
            before, after = same_padding(spec.kernel[i], spec.dilation[i])
        else:
            before = after = spec.padding[i]
        out.append(Window(spec.size[i], spec.kernel[i], spec.stride[i], before, after, spec.dilation[i]))
    return out


def output_along(spec: ConvSpec, i: int) -> int | None:
    """The output size along dimension i (0: H, 1: W) of a plain Conv2d, or None where torch refuses it."""
    try:
        validate_settings(spec)
    except DlcalcError:
        return None
    if spec.padding == "same" and spec.stride != (1, 1):
        return None
    w = windows(spec)[i]
    return w.output_size() if w.padded >= w.span else None


def transposed_sizes(spec: ConvSpec) -> list[int]:
    assert spec.padding != "same"
    return [
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, k, s, p, d, op in zip(
            spec.size, spec.kernel, spec.stride, spec.padding, spec.dilation, spec.output_padding
        )
    ]


def solve(spec: ConvSpec) -> Result:
    """Output shape and parameter count of one Conv2d/ConvTranspose2d, derived step by step."""
    steps, spatial = _shape_steps(spec)
    notes = []
    note = layout_note(InputShape(spec.in_channels, spec.size, spec.layout, spec.layout_guessed))
    if note is not None:
        notes.append(note)
    count = _count_steps(spec, steps, notes)
    params, weights, biases, assumed = count if count is not None else (None, None, None, None)
    out_shape = ([spec.out_channels] if spec.out_channels is not None else []) + spatial
    in_shape = ([spec.in_channels] if spec.in_channels is not None else []) + list(spec.size)
    return Result(
        kind="conv",
        title=T(spec.torch_name, spec.torch_name),
        answer={
            "layer": spec.torch_name,
            "input_shape": in_shape,
            "output_shape": out_shape,
            "params": params,
            "weights": weights,
            "biases": biases,
            "assumed_in_channels": assumed,
            "layout": spec.layout,
        },
        summary=_summary(spec, spatial, count),
        steps=steps,
        notes=notes,
        spec=spec,
    )


def _shape_steps(spec: ConvSpec) -> tuple[list[Step], list[int]]:
    """'same' padding if asked, then the output size along H and W (once when alike)."""
    steps: list[Step] = []
    if spec.padding == "same":
        steps += _same_padding_steps(spec)
    sizes: dict[str, int] = {}
    for label, i in _dims(spec):
        if spec.transposed:
            out, step = _transposed_step(label, spec, i)
            steps.append(step)
        else:
            out, dim_steps = window_steps(label, windows(spec)[i])
            steps += dim_steps
        for d in label:
            sizes[d] = out
    return steps, [sizes["H"], sizes["W"]]


def _count_steps(spec: ConvSpec, steps: list[Step], notes: list) -> tuple[int, int, int, int | None] | None:
    """The parameter count and the output channels (params, weights, biases, the C assumed); None
    without -o, with a note saying how to get them."""
    if spec.out_channels is None:
        notes.append(
            T(
                "pass -o/--out-channels (the number of kernels) for the output channels and the parameter count",
                "用 -o/--out-channels（卷积核个数）给出输出通道数与参数量",
            )
        )
        return None
    in_ch, assumed = spec.in_channels, None
    if in_ch is None:
        in_ch = assumed = 1
        notes.append(
            T(
                "the input has no channel count, so the parameter count assumes C = 1 input channel "
                "(write CxHxW to set it)",
                "输入未给出通道数，参数量按 C = 1 个输入通道计算（用 CxHxW 指定）",
            )
        )
    weights = spec.out_channels * (in_ch // spec.groups) * spec.kernel[0] * spec.kernel[1]
    biases = spec.out_channels if spec.bias else 0
    params = weights + biases
    steps.append(_params_step(spec, in_ch, params, assumed is not None))
    steps.append(
        Step(
            T("Output channels", "输出通道数"),
            m.sym("C_out"),
            [m.sym("F"), m.num(spec.out_channels)],
            T("one feature map per kernel", "每个卷积核产生一张特征图"),
        )
    )
    return params, weights, biases, assumed


def _summary(
    spec: ConvSpec, spatial: list[int], count: tuple[int, int, int, int | None] | None
) -> list[tuple[Text, Text | str]]:
    """The layer, the shape as written (C×H×W or H×W×C) and the parameter count."""
    written = InputShape(spec.in_channels, spec.size, spec.layout)
    shown = written.as_written(spec.in_channels, spec.size) + " → " + written.as_written(spec.out_channels, spatial)
    if spec.layout == "hwc":
        shown += " (H×W×C)"
    summary: list[tuple[Text, Text | str]] = [
        (T("Layer", "层"), _layer_text(spec)),
        (T("Output shape", "输出形状"), shown),
    ]
    if count is not None:
        params, weights, biases, assumed = count
        summary.append(
            (
                T("Parameters", "参数量"),
                T("{p:,} = {w:,} weights + {b:,} biases", "{p:,} = {w:,} 个权重 + {b:,} 个偏置").format(
                    p=params, w=weights, b=biases
                )
                + (T(", assuming C = 1", "，按 C = 1 计") if assumed else T("", "")),
            )
        )
    return summary


def _dims(spec: ConvSpec) -> list[tuple[str, int]]:
    """H and W separately, or once when every number is the same for both."""
    per_dim = [
        (
            spec.size[i],
            spec.kernel[i],
            spec.stride[i],
            spec.dilation[i],
            spec.output_padding[i],
            spec.padding if isinstance(spec.padding, str) else spec.padding[i],
        )
        for i in range(2)
    ]
    return [("HW", 0)] if per_dim[0] == per_dim[1] else [("H", 0), ("W", 1)]


def _same_padding_steps(spec: ConvSpec) -> list[Step]:
    steps = []
    for label, i in _dims(spec):
        before, after = same_padding(spec.kernel[i], spec.dilation[i])
        total = before + after
        note = None
        if before != after:
            note = T(
                "an odd total cannot be split evenly: torch puts the extra row/column at the end",
                "总填充为奇数无法平分：torch 把多出的一行/列放在末尾",
            )
        steps.append(
            Step(
                T("Padding 'same' ({dim})", "'same' 填充（{dim}）").format(dim="H=W" if label == "HW" else label),
                m.sub("P", "l") + m.sub("P", "r"),
                [
                    m.juxt(m.sym("D"), m.sym("K") - 1),
                    m.num(spec.dilation[i]) * (m.num(spec.kernel[i]) - 1),
                    m.num(total),
                    m.num(before) + after,
                ],
                note,
            )
        )
    return steps


def _transposed_step(label: str, spec: ConvSpec, i: int) -> tuple[int, Step]:
    n, k, s, d, op = spec.size[i], spec.kernel[i], spec.stride[i], spec.dilation[i], spec.output_padding[i]
    p = spec.padding[i]
    assert not isinstance(p, str)  # parse_spec refuses 'same' for a transposed conv
    H, S, P, D, K = m.sym(label[0]), m.sym("S"), m.sym("P"), m.sym("D"), m.sym("K")
    out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    formula = (H - 1) * S - m.juxt(2, P) + m.juxt(D, K - 1) + m.sub("P", "out") + 1
    numbers = (m.num(n) - 1) * s - 2 * m.num(p) + m.num(d) * (m.num(k) - 1) + op + 1
    partial = m.num((n - 1) * s) - 2 * p + d * (k - 1) + op + 1
    chain = [formula, numbers, partial, m.num(out)]
    step = Step(
        DIM_LABELS[label],
        out_symbol(label),
        chain,
        T("transposed convolution; P_out is output_padding", "转置卷积；P_out 为 output_padding"),
    )
    return out, step


def _params_step(spec: ConvSpec, in_ch: int, params: int, assumed: bool = False) -> Step:
    kh, kw = spec.kernel
    g, f = spec.groups, spec.out_channels
    assert f is not None
    per_kernel = m.sub("K", "h") * m.sub("K", "w") if kh != kw else m.sym("K") * m.sym("K")
    weights_sym = per_kernel * m.sym("C") / m.sym("groups") if g != 1 else per_kernel * m.sym("C")
    weights_num = m.num(kh) * kw * in_ch / g if g != 1 else m.num(kh) * kw * in_ch
    per_filter = kh * kw * (in_ch // g)
    if spec.bias:
        chain = [(weights_sym + 1) * m.sym("F"), (weights_num + 1) * f, m.num(per_filter + 1) * f]
        note = T(
            "each of the F kernels has K·K·C/groups weights and one bias",
            "F 个卷积核各有 K·K·C/groups 个权重和 1 个偏置",
        )
    else:
        chain = [weights_sym * m.sym("F"), weights_num * f, m.num(per_filter) * f]
        note = T("no bias (--no-bias)", "无偏置（--no-bias）")
    if assumed:
        note = note + T("; C = 1 assumed (no input channels given)", "；未给出输入通道数，按 C = 1 计")
    return Step(T("Parameters", "参数量"), m.sym("params"), chain + [m.num(params)], note)


def _layer_text(spec: ConvSpec) -> str:
    parts = []
    if spec.in_channels is not None and spec.out_channels is not None:
        parts += [str(spec.in_channels), str(spec.out_channels)]
    parts.append(f"kernel_size={pair_arg(spec.kernel)}")
    if spec.stride != (1, 1):
        parts.append(f"stride={pair_arg(spec.stride)}")
    if isinstance(spec.padding, str):  # "same"
        parts.append("padding='same'")
    elif spec.padding != (0, 0):
        parts.append(f"padding={pair_arg(spec.padding)}")
    if spec.output_padding != (0, 0):
        parts.append(f"output_padding={pair_arg(spec.output_padding)}")
    if spec.dilation != (1, 1):
        parts.append(f"dilation={pair_arg(spec.dilation)}")
    if spec.groups != 1:
        parts.append(f"groups={spec.groups}")
    if not spec.bias:
        parts.append("bias=False")
    return f"{spec.torch_name}({', '.join(parts)})"
