"""Feature maps as grids: a convolution kernel sliding over a padded input, and pooling."""

from __future__ import annotations

from dlcalc.draw.model import Diagram, Sketch
from dlcalc.text import T

# A small worked example; tests/test_draw.py recomputes every output with torch.
CONV_INPUT = ((1, 0, 2, 1, 0), (0, 1, 1, 0, 2), (2, 1, 0, 1, 1), (0, 2, 1, 2, 0), (1, 0, 1, 0, 1))
CONV_KERNEL = ((1, 0, 1), (0, 1, 0), (1, 0, 1))
CONV_PADDING, CONV_STRIDE = 1, 2
POOL_INPUT = ((1, 3, 2, 1), (4, 2, 0, 5), (3, 1, 1, 0), (0, 2, 6, 1))


def convolve(image, kernel, padding: int, stride: int) -> list[list[int]]:
    """Cross-correlation, as every deep-learning library computes a "convolution"."""
    k = len(kernel)
    size = len(image) + 2 * padding
    padded = [[0] * size for _ in range(size)]
    for r, row in enumerate(image):
        for c, v in enumerate(row):
            padded[r + padding][c + padding] = v
    out_size = (size - k) // stride + 1
    return [
        [
            sum(padded[i * stride + a][j * stride + b] * kernel[a][b] for a in range(k) for b in range(k))
            for j in range(out_size)
        ]
        for i in range(out_size)
    ]


def pooled(image, size: int, average: bool) -> list[list[float]]:
    n = len(image) // size
    windows = [[[image[i * size + a][j * size + b] for a in range(size) for b in range(size)] for j in range(n)]
               for i in range(n)]  # fmt: skip
    return [[sum(w) / len(w) if average else max(w) for w in row] for row in windows]


def _number(v: float) -> str:
    return str(int(v)) if v == int(v) else f"{v:g}"


def conv() -> Diagram:
    s = Sketch("conv", T("Convolution: a 3×3 kernel, stride 2, padding 1", "卷积：3×3 卷积核，步长 2，补零 1"), 80, 23)
    n, p, st, k = len(CONV_INPUT), CONV_PADDING, CONV_STRIDE, len(CONV_KERNEL)
    size = n + 2 * p
    values = [[0] * size for _ in range(size)]
    shade = {}
    for r in range(size):
        for c in range(size):
            if p <= r < p + n and p <= c < p + n:
                values[r][c] = CONV_INPUT[r - p][c - p]
            else:
                shade[(r, c)] = "padding"
    for a in range(k):
        for b in range(k):
            shade[(a, b)] = "hit" if (a, b) not in shade else "hit-padding"
    frames = [(0, 0, k - 1, k - 1, "heavy"), (0, st, k - 1, st + k - 1, "dashed")]
    s.text(0, 0, T(f"input {n}×{n}, padded to {size}×{size}", f"输入 {n}×{n}，补零后 {size}×{size}"), kind="caption")
    s.grid("input", 0, 1, values, shade, frames)
    out = convolve(CONV_INPUT, CONV_KERNEL, p, st)
    m = len(out)
    s.text(56, 0, T(f"output {m}×{m}", f"输出 {m}×{m}"), kind="caption")
    s.grid("output", 56, 1, out, {(0, 0): "hit"}, [(0, 0, 0, 0, "heavy")])
    s.text(34, 9, T(f"kernel {k}×{k}", f"卷积核 {k}×{k}"), kind="caption")
    s.grid("kernel", 34, 10, CONV_KERNEL, {(a, b): "hit" for a in range(k) for b in range(k)})
    # the window's corners to the output cell they produce (pictures only: the terminal grid is in the way)
    top, bottom = (12, 1), (12, 1 + 2 * k)
    s.path(top, (56, 1), arrow="none", line="dashed", only="picture")
    s.path(bottom, (56, 3), arrow="none", line="dashed", only="picture")

    products = " + ".join(
        f"{values[a][b]}·{CONV_KERNEL[a][b]}" for a in range(k) for b in range(k) if values[a][b] and CONV_KERNEL[a][b]
    )
    s.text(0, 17, T(f"output cell: sum of window ⊙ kernel = {products} = {out[0][0]}",
                    f"输出单元：窗口与卷积核逐元素相乘再求和 = {products} = {out[0][0]}"))  # fmt: skip
    s.text(0, 19, T(f"size: ⌊(H + 2P − K)/S⌋ + 1 = ⌊({n} + 2·{p} − {k})/{st}⌋ + 1 = {m}",
                    f"尺寸：⌊(H + 2P − K)/S⌋ + 1 = ⌊({n} + 2·{p} − {k})/{st}⌋ + 1 = {m}"))  # fmt: skip
    s.text(0, 21, T(f"stride {st}: the next window starts {st} columns to the right",
                    f"步长 {st}：下一个窗口向右移动 {st} 列"), kind="caption")  # fmt: skip

    s.part(
        "input",
        T("input feature map", "输入特征图"),
        T(f"Here {n}×{n} with one channel.", f"本图为 {n}×{n}、单通道。"),
        term="feature-map",
    )
    s.part("padding", T("padding P", "补零 P"), T(f"Here P = {p} (shaded).", f"本图 P = {p}（灰色）。"), term="padding")
    s.part("kernel", T("kernel K×K", "卷积核 K×K"), term="kernel")
    s.part("stride", T("stride S", "步长 S"), T(f"Here S = {st}.", f"本图 S = {st}。"), term="stride")
    s.part(
        "output",
        T("output cell", "输出单元"),
        T(
            "One number per window position: Σ (window ⊙ kernel) + bias, then usually an activation such as ReLU.",
            "每个窗口位置得到一个数：Σ（窗口 ⊙ 卷积核）+ 偏置，之后通常再经过 ReLU 等激活函数。",
        ),
    )
    return s.build()


def pool() -> Diagram:
    s = Sketch("pool", T("Pooling: 2×2 windows, stride 2", "池化：2×2 窗口，步长 2"), 80, 12)
    colours = {(0, 0): "w1", (0, 1): "w2", (1, 0): "w3", (1, 1): "w4"}
    shade = {(r, c): colours[(r // 2, c // 2)] for r in range(4) for c in range(4)}
    frames = [(r, c, r + 1, c + 1, "heavy") for r in (0, 2) for c in (0, 2)]
    s.text(0, 0, T("input 4×4", "输入 4×4"), kind="caption")
    s.grid("input", 0, 1, POOL_INPUT, shade, frames)
    s.grid("max", 34, 0, [[_number(v) for v in row] for row in pooled(POOL_INPUT, 2, False)], colours)
    s.text(48, 1, T("max pooling:\nthe largest value\nof each window", "最大池化：\n取每个窗口的最大值"))
    s.grid("avg", 34, 6, [[_number(v) for v in row] for row in pooled(POOL_INPUT, 2, True)], colours)
    s.text(48, 7, T("average pooling:\nthe mean\nof each window", "平均池化：\n取每个窗口的平均值"))
    s.path((18, 3), (26, 3), (26, 2), (34, 2))
    s.path((18, 7), (26, 7), (26, 8), (34, 8))
    s.text(0, 11, T("size: ⌊(4 − 2)/2⌋ + 1 = 2 per side; the channels stay as they are",
                    "尺寸：⌊(4 − 2)/2⌋ + 1 = 2；通道数不变"))  # fmt: skip
    s.part(
        "window",
        T("window", "池化窗口"),
        T(
            "A K×K patch (here 2×2, stride 2: the windows tile the input); each colour is one window.",
            "K×K 的区域（本图 2×2、步长 2，窗口互不重叠），每种颜色是一个窗口。",
        ),
    )
    s.part("max", T("max pooling", "最大池化"), term="max-pooling")
    s.part("avg", T("average pooling", "平均池化"), term="average-pooling")
    s.note(T("Pooling has no parameters; it shrinks the map (less computation, less overfitting) and makes the "
             "features tolerate small shifts.",
             "池化层没有参数；它缩小特征图（减少计算量、缓解过拟合），并使特征对小的平移不敏感。"))  # fmt: skip
    return s.build()
