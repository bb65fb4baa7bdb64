"""One pooling layer (MaxPool2d / AvgPool2d): output feature-map size.

    H_out = ⌊(H + 2P - D(K - 1) - 1) / S⌋ + 1        (D = 1 for average pooling)

with `ceil_mode` the ceiling, and then torch's rule that the last window must start inside the
input or the left padding. The stride defaults to the kernel size, as in torch. No parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_bool, parse_pair
from dlcalc.result import Result, Step
from dlcalc.solvers.window import (
    InputShape,
    Window,
    layout_note,
    pair_arg,
    pair_text,
    read_layer_inputs,
    require_positive,
    window_steps,
)
from dlcalc.text import T

FIELDS = {"input", "kernel", "stride", "padding", "dilation", "ceil_mode", "avg", "layout"}


@dataclass(frozen=True)
class PoolSpec:
    channels: int | None
    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    ceil_mode: bool = False
    avg: bool = False
    layout: str = "chw"  # "hwc": the input was written channels-last (227x227x3)
    layout_guessed: bool = False

    @property
    def torch_name(self) -> str:
        return "AvgPool2d" if self.avg else "MaxPool2d"


SOLVER = Solver(
    name="pool",
    help=T("Output shape of one max or average pooling layer, worked step by step.", "逐步算出一个最大或平均池化层的输出形状。"),
    example="dlcalc pool 96x55x55 -k 3 -s 2",
    notes=(T("Inverse question: dlcalc pool 64x56x56 --target 7 --solve kernel", "反求：dlcalc pool 64x56x56 --target 7 --solve kernel"),),
    inputs=(
        Input("input", help=T("Input size: H, HxW, CxHxW or HxWxC (x, × or * between sizes).", "输入尺寸：H、HxW、CxHxW 或 HxWxC（尺寸之间用 x、× 或 *）。"),
              positional=True, required=True, metavar="INPUT"),
        Input("kernel", help=T("Kernel size: N or NxM (height x width).", "卷积核尺寸：N 或 NxM（高 x 宽）。"), short="-k", metavar="N|HxW"),
        Input("stride", help=T("Stride: N or NxM.", "步幅：N 或 NxM。"), short="-s", metavar="N|HxW",
              shown_default=T("the kernel size", "等于核尺寸")),
        Input("padding", help=T("Zero padding on each side: N or NxM (at most half the kernel).", "每侧补零：N 或 NxM（至多为核的一半）。"),
              short="-p", metavar="N|HxW", default=(0, 0)),
        Input("dilation", help=T("Dilation (max pooling only): N or NxM.", "膨胀率（仅最大池化）：N 或 NxM。"), short="-d", metavar="N|HxW",
              default=(1, 1)),
        Input("avg", help=T("Average pooling instead of max pooling.", "用平均池化代替最大池化。"), switch=True),
        Input("ceil_mode", help=T("Round the output size up (torch's ceil_mode).", "输出尺寸向上取整（torch 的 ceil_mode）。"), switch=True),
        Input("layout", help=T("Order of a 3-size input: chw (torch), hwc (channels last, 227x227x3), or auto: hwc when the last size is 1, 3 or 4 and far smaller than the other two.",
                               "三维输入的顺序：chw（torch）、hwc（通道在后，如 227x227x3），或 auto：末维为 1、3 或 4 且远小于另两维时按 hwc。"),
              choices=("auto", "chw", "hwc"), default="auto"),
    ),
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> PoolSpec:
    spec = parse_spec_unchecked(inputs)
    validate(spec)
    return spec


def parse_spec_unchecked(inputs: Mapping[str, Any]) -> PoolSpec:
    """The spec as written, before the checks torch would make."""
    only_keys(inputs, FIELDS, "pool")
    shape, kernel = read_layer_inputs(inputs, "pool", "96x55x55")
    get = inputs.get
    padding = get("padding") if get("padding") is not None else 0
    if isinstance(padding, str) and padding.strip().lower() == "valid":
        padding = 0
    return PoolSpec(
        channels=shape.channels,
        size=shape.size,
        kernel=kernel,
        stride=kernel if get("stride") is None else parse_pair(get("stride"), "stride"),
        padding=parse_pair(padding, "padding"),
        dilation=parse_pair(get("dilation") if get("dilation") is not None else 1, "dilation"),
        ceil_mode=parse_bool(get("ceil_mode", False), "ceil_mode"),
        avg=parse_bool(get("avg", False), "avg"),
        layout=shape.layout,
        layout_guessed=shape.guessed,
    )


def validate(spec: PoolSpec) -> None:
    """Refuse what torch refuses, with the reason in one line."""
    validate_settings(spec)
    for dim, k, p in zip("HW", spec.kernel, spec.padding):
        if p > k // 2:
            raise DlcalcError(f"padding: torch allows at most half the kernel, ⌊{k}/2⌋ = {k // 2}, got {p} along {dim}")
    for dim, w in zip("HW", windows(spec)):
        out = w.output_size(spec.ceil_mode)
        if out <= 0:
            raise DlcalcError(
                f"kernel: the window spans {w.span} along {dim} but the padded input is only {w.padded}; "
                f"the output would be {out}"
            )


def validate_settings(spec: PoolSpec) -> None:
    """The checks on each setting alone: positive sizes, no dilation for average pooling."""
    require_positive(spec.kernel, spec.stride, spec.dilation)
    if spec.avg and spec.dilation != (1, 1):
        raise DlcalcError("dilation: average pooling has no dilation (max pooling only)")
    if min(spec.padding) < 0:
        raise DlcalcError(f"padding: must not be negative, got {pair_text(spec.padding)}")


def output_along(spec: PoolSpec, i: int) -> int | None:
    """The output size along dimension i (0: H, 1: W), or None where torch refuses the layer."""
    if min(spec.kernel[i], spec.stride[i], spec.dilation[i]) <= 0 or spec.padding[i] < 0:
        return None
    if spec.avg and spec.dilation[i] != 1:
        return None
    if spec.padding[i] > spec.kernel[i] // 2:
        return None
    out = windows(spec)[i].output_size(spec.ceil_mode)
    return out if out > 0 else None


def windows(spec: PoolSpec) -> list[Window]:
    return [
        Window(spec.size[i], spec.kernel[i], spec.stride[i], spec.padding[i], spec.padding[i], spec.dilation[i])
        for i in range(2)
    ]


def solve(spec: PoolSpec) -> Result:
    """Output shape of one MaxPool2d/AvgPool2d, derived per spatial dimension."""
    ws = windows(spec)
    same = ws[0] == ws[1]
    steps: list[Step] = []
    sizes = []
    for label, w in [("HW", ws[0])] if same else [("H", ws[0]), ("W", ws[1])]:
        out, dim_steps = window_steps(label, w, spec.ceil_mode, dilated=not spec.avg)
        steps += dim_steps
        sizes += [out] * len(label)
    ch = [spec.channels] if spec.channels is not None else []
    in_shape, out_shape = ch + list(spec.size), ch + sizes
    written = InputShape(spec.channels, spec.size, spec.layout)
    shown = written.as_written(spec.channels, spec.size) + " → " + written.as_written(spec.channels, sizes)
    if spec.layout == "hwc":
        shown += " (H×W×C)"
    steps.append(
        Step(
            T("Channels and parameters", "通道数与参数量"),
            None,
            [],
            T(
                "pooling works on each channel separately: channels unchanged, no parameters to learn",
                "池化在每个通道上独立进行：通道数不变，没有可学习的参数",
            ),
        )
    )
    notes = []
    note = layout_note(InputShape(spec.channels, spec.size, spec.layout, spec.layout_guessed))
    if note is not None:
        notes.append(note)
    if spec.stride == spec.kernel:
        notes.append(T("stride defaults to the kernel size, as in torch", "步长默认等于核大小（与 torch 一致）"))
    return Result(
        kind="pool",
        title=T(spec.torch_name, spec.torch_name),
        answer={
            "layer": spec.torch_name,
            "input_shape": in_shape,
            "output_shape": out_shape,
            "params": 0,
            "layout": spec.layout,
        },
        summary=[
            (T("Layer", "层"), _layer_text(spec)),
            (T("Output shape", "输出形状"), shown),
            (T("Parameters", "参数量"), "0"),
        ],
        steps=steps,
        notes=notes,
        spec=spec,
    )


def _layer_text(spec: PoolSpec) -> str:
    parts = [f"kernel_size={pair_arg(spec.kernel)}", f"stride={pair_arg(spec.stride)}"]
    if spec.padding != (0, 0):
        parts.append(f"padding={pair_arg(spec.padding)}")
    if spec.dilation != (1, 1):
        parts.append(f"dilation={pair_arg(spec.dilation)}")
    if spec.ceil_mode:
        parts.append("ceil_mode=True")
    return f"{spec.torch_name}({', '.join(parts)})"
