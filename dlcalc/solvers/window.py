"""Sliding-window arithmetic shared by convolution and pooling, one spatial dimension at a time.

Output size (torch's `conv2d` / `max_pool2d` shape rule):

    out = ⌊(n + P_l + P_r - D(K - 1) - 1) / S⌋ + 1

and for pooling with `ceil_mode` the ceiling instead of the floor, after which torch drops the
last window when it would start inside the right padding: if (out - 1)·S ≥ n + P_l then out - 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.mathfmt import Math
from dlcalc.result import Step
from dlcalc.text import T, Text

DIM_LABELS = {
    "H": T("Output height", "输出高度"),
    "W": T("Output width", "输出宽度"),
    "HW": T("Output height and width", "输出高度与宽度"),
}


@dataclass(frozen=True)
class Window:
    """One spatial dimension of a sliding window: input size n, kernel K, stride S, padding, dilation D."""

    size: int
    kernel: int
    stride: int
    pad_before: int
    pad_after: int
    dilation: int = 1

    @property
    def span(self) -> int:
        """How many input rows one window covers: D(K - 1) + 1."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def padded(self) -> int:
        return self.size + self.pad_before + self.pad_after

    @property
    def reach(self) -> int:
        """n + P_l + P_r - D(K - 1) - 1: how far the first window can slide."""
        return self.padded - self.span

    def output_size(self, ceil_mode: bool = False) -> int:
        if not ceil_mode:
            return self.reach // self.stride + 1
        out = -(-self.reach // self.stride) + 1
        if (out - 1) * self.stride >= self.size + self.pad_before:
            out -= 1
        return out

    def uncovered(self, out: int) -> int:
        """Rows at the end of the padded input that no window reaches (floor mode)."""
        return self.padded - ((out - 1) * self.stride + self.span)


def out_symbol(dim: str) -> Math:
    """H_out, W_out, or `H_out = W_out` when both dimensions are worked at once."""
    if dim == "HW":
        return m.rel(m.sub("H", "out"), "=", m.sub("W", "out"))
    return m.sub(dim, "out")


def size_formula(symmetric: bool, dim: str = "H", dilated: bool = True) -> Math:
    """⌊(H + 2P - D(K - 1) - 1)/S⌋ + 1, with P_l + P_r for asymmetric padding, or H + 2P - K undilated."""
    H, K, S, D = m.sym(dim[0]), m.sym("K"), m.sym("S"), m.sym("D")
    pad = m.juxt(2, m.sym("P")) if symmetric else m.sub("P", "l") + m.sub("P", "r")
    if not dilated:
        return (H + pad - K) / S
    return (H + pad - m.juxt(D, K - 1) - 1) / S


def substituted(w: Window, dilated: bool = True) -> Math:
    pad = 2 * m.num(w.pad_before) if w.pad_before == w.pad_after else m.num(w.pad_before) + w.pad_after
    if not dilated:
        return (m.num(w.size) + pad - w.kernel) / w.stride
    return (m.num(w.size) + pad - m.num(w.dilation) * (m.num(w.kernel) - 1) - 1) / w.stride


def window_steps(dim: str, w: Window, ceil_mode: bool = False, dilated: bool = True) -> tuple[int, list[Step]]:
    """The derivation of one output dimension, with the rows a stride leaves uncovered."""
    symmetric = w.pad_before == w.pad_after
    rounding = m.ceil if ceil_mode else m.floor
    q, r = divmod(w.reach, w.stride)
    naive = q + (1 if ceil_mode and r else 0) + 1
    out = w.output_size(ceil_mode)
    chain = [
        rounding(size_formula(symmetric, dim, dilated)) + 1,
        rounding(substituted(w, dilated)) + 1,
        rounding(m.frac(w.reach, w.stride)) + 1,
        m.num(naive - 1) + 1,
        m.num(naive),
    ]
    note: Text | None = None
    if ceil_mode and r and naive == out:
        over = (out - 1) * w.stride + w.span - w.padded
        note = T(
            "ceil mode keeps a partial last window that runs {over} past the padded input",
            "ceil 模式保留最后一个不完整窗口，它超出填充后输入 {over} 个位置",
        ).format(over=over)
    elif r and not ceil_mode:
        lost = max(0, r - w.pad_after)
        if lost:
            note = T(
                "the stride does not tile the input: its last {lost} row(s)/column(s) are covered by "
                "no window and dropped",
                "步长不能整除：输入的最后 {lost} 行/列没有被任何窗口覆盖，被丢弃",
            ).format(lost=lost)
        else:
            note = T(
                "the stride does not tile the padded input: its last {r} padding row(s)/column(s) are "
                "covered by no window (no input is lost)",
                "步长不能整除填充后的输入：最后 {r} 行/列填充没有被窗口覆盖（未丢失输入）",
            ).format(r=r)
    steps = [Step(DIM_LABELS[dim], out_symbol(dim), m.dedupe(chain), note)]
    if naive != out:
        start, edge = (naive - 1) * w.stride, w.size + w.pad_before
        steps.append(
            Step(
                T("Last window check (ceil mode)", "最后一个窗口检查（ceil 模式）"),
                None,
                [m.rel((m.num(naive) - 1) * w.stride, "=", start, "≥", m.num(w.size) + w.pad_before, "=", edge)],
                T(
                    "the last window would start at {start} ≥ n + P_l = {edge}, entirely in the right "
                    "padding, so torch drops it: {naive} - 1 = {out}",
                    "最后一个窗口起点 {start} ≥ n + P_l = {edge}，完全落在右侧填充中，torch 丢弃它：{naive} - 1 = {out}",
                ).format(start=start, edge=edge, naive=naive, out=out),
            )
        )
    return out, steps


def pair_text(p: tuple[int, int] | str) -> str:
    """A per-dimension setting as typed on the command line: 3, 3x5, or 'same'."""
    if isinstance(p, str):
        return p
    return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"


def pair_arg(p: tuple[int, int]) -> str:
    """The same setting as a torch constructor argument: 3 or (3, 5)."""
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


def require_positive(kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]) -> None:
    """What torch refuses in every sliding window: a kernel, stride or dilation below 1."""
    for name, value in (("kernel", kernel), ("stride", stride), ("dilation", dilation)):
        if min(value) <= 0:
            raise DlcalcError(f"{name}: must be positive, got {pair_text(value)}")


LAYOUTS = ("auto", "chw", "hwc")


@dataclass(frozen=True)
class InputShape:
    """An input feature map as read: channels (None when not given), (H, W), and how it was written."""

    channels: int | None
    size: tuple[int, int]
    layout: str = "chw"  # "hwc" when written channels-last (227x227x3)
    guessed: bool = False  # the layout was read from the sizes, not given by --layout

    def as_written(self, channels: int | None, size: tuple[int, int] | list[int]) -> str:
        """A shape in the order the user wrote the input: C×H×W, or H×W×C for channels-last."""
        dims = list(size)
        if channels is not None:
            dims = dims + [channels] if self.layout == "hwc" else [channels] + dims
        return "×".join(map(str, dims))


def looks_channels_last(dims: tuple[int, ...]) -> bool:
    """H×W×C beyond doubt: the last size is 1, 3 or 4 (grey, RGB, RGBA) and both others are at
    least 16 and at least 8 times larger. 227x227x3, 32x32x3 and 28x28x1 are channels-last;
    3x32x32, 64x56x56, 9x10x1 and 96x13x3 are read channels-first, as torch writes shapes."""
    h, w, c = dims
    return c in (1, 3, 4) and min(h, w) >= max(16, 8 * c)


def parse_layout(value: Any) -> str:
    layout = "auto" if value is None else str(getattr(value, "value", value)).strip().lower()
    if layout not in LAYOUTS:
        raise DlcalcError(f"layout: expected auto, chw or hwc, got {value!r}")
    return layout


def read_input_shape(value: Any, layout: Any = "auto") -> InputShape:
    """`H` (a square H×H map), `HxW`, `CxHxW`, or `HxWxC` (with --layout hwc, or when plainly so)."""
    from dlcalc.parse import parse_dims

    dims = parse_dims(value, "input", (1, 2, 3))
    if any(d <= 0 for d in dims):
        raise DlcalcError(f"input: every size must be positive, got {value!r}")
    wanted = parse_layout(layout)
    if len(dims) == 1:
        return InputShape(None, (dims[0], dims[0]))
    if len(dims) == 2:
        return InputShape(None, (dims[0], dims[1]))
    if wanted == "hwc" or (wanted == "auto" and looks_channels_last(dims)):
        return InputShape(dims[2], (dims[0], dims[1]), "hwc", wanted == "auto")
    return InputShape(dims[0], (dims[1], dims[2]))


def layout_note(shape: InputShape) -> Text | None:
    """What a channels-last input was read as, in both languages."""
    if shape.layout != "hwc" or shape.channels is None:
        return None
    h, w = shape.size
    c = shape.channels
    how_en = "judged channels-last from the sizes; --layout chw reads it as C×H×W" if shape.guessed else "--layout hwc"
    how_zh = "按尺寸判断为通道在后；用 --layout chw 可按 C×H×W 读取" if shape.guessed else "--layout hwc"
    return T(
        "input {h}×{w}×{c} read as H×W×C (C = {c}, H = {h}, W = {w}; {how_en}); torch works on C×H×W = {c}×{h}×{w}",
        "输入 {h}×{w}×{c} 按 H×W×C 读取（C = {c}，H = {h}，W = {w}；{how_zh}）；torch 按 C×H×W = {c}×{h}×{w} 计算",
    ).format(h=h, w=w, c=c, how_en=how_en, how_zh=how_zh)


def read_layer_inputs(inputs: Any, command: str, example: str) -> tuple[InputShape, tuple[int, int]]:
    """What conv and pool both require: the input shape and the kernel, with the same errors."""
    from dlcalc.parse import parse_pair

    if "input" not in inputs or inputs["input"] is None:
        raise DlcalcError(f"{command}: the input size is missing (e.g. {example})")
    if inputs.get("kernel") is None:
        raise DlcalcError(f"{command}: the kernel size is missing (-k/--kernel)")
    shape = read_input_shape(inputs["input"], inputs.get("layout"))
    return shape, parse_pair(inputs["kernel"], "kernel")
