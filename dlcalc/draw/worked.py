"""Pictures of worked computations: a solver's `Result` drawn as a `Diagram`.

Each function reads `result.answer` and `result.spec` only (the numbers the derivation printed);
nothing is solved again. `picture_of(result)` picks the function by `result.kind`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from rich.cells import cell_len

from dlcalc.draw.model import Diagram, Sketch
from dlcalc.errors import DlcalcError
from dlcalc.text import T

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
WIDTH = 80


def number(v: Any) -> str:
    """A value as the derivation shows it, to 4 significant digits."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int) or (isinstance(v, Fraction) and v.denominator == 1):
        return str(int(v))
    v = float(v)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.4g}"


def vector(vs) -> str:
    return number(vs[0]) if len(vs) == 1 else "[" + ", ".join(number(v) for v in vs) + "]"


def matrix(rows) -> str:
    return "[" + "; ".join(", ".join(number(v) for v in row) for row in rows) + "]"


def picture_of(result) -> Diagram:
    """The picture of a worked result: backprop, net, conv, rnn, lstm or gru."""
    draw = {"backprop": backprop, "net": net, "conv": conv, "rnn": recurrent, "lstm": recurrent, "gru": recurrent}
    if result.kind not in draw:
        raise DlcalcError(f"no picture for {result.kind} results (pictures: {', '.join(draw)})")
    return draw[result.kind](result)


def _too_big(what: str, limit: str) -> DlcalcError:
    return DlcalcError(f"{what} is too big to draw legibly ({limit}); the table in the terminal has every value")


# --- backprop ----------------------------------------------------------------------------------


def backprop(result) -> Diagram:
    """The network: each neuron with its z, a = f(z) and δ = ∂E/∂z from the forward and backward
    pass; on each connection (in a picture) the gradient ∂E/∂w of its weight."""
    spec, answer = result.spec, result.answer
    sizes = [len(spec.input)] + [len(layer.weights) for layer in spec.layers]
    if len(sizes) > 4 or max(sizes) > 4:
        raise _too_big("the network", "at most 3 layers of at most 4 neurons")
    depth = len(spec.layers)

    def name(layer: int, j: int) -> str:
        if layer == 0:
            return f"x{j + 1}".translate(SUB)
        if layer == depth:
            return f"o{j + 1}".translate(SUB)
        return "h" + (str(layer).translate(SUP) if depth > 2 else "") + str(j + 1).translate(SUB)

    columns: list[list[list[str]]] = []
    for layer, size in enumerate(sizes):
        column = []
        for j in range(size):
            if layer == 0:
                lines = [name(0, j), number(spec.input[j])]
            else:
                lines = [
                    name(layer, j),
                    "z " + number(answer["forward"][f"z{layer}"][j]),
                    "a " + number(answer["forward"][f"a{layer}"][j]),
                    "δ " + number(answer["deltas"][f"delta{layer}"][j]),
                ]
                if layer == depth:
                    lines.insert(3, "t " + number(spec.target[j]))
            column.append(lines)
        columns.append(column)
    box_w = max(cell_len(line) for column in columns for lines in column for line in lines) + 4
    box_h = max(len(lines) for column in columns for lines in column) + 2
    gap = (WIDTH - len(sizes) * box_w) // depth
    if gap < 6:
        raise _too_big("the network", "its values do not fit 80 columns")
    pitch = box_h + 2
    height = max(sizes) * pitch
    title = T("Backpropagation: forward values, δ and ∂E/∂w", "反向传播：前向的值、δ 与 ∂E/∂w")
    s = Sketch("backprop", title, WIDTH, height + 3)
    boxes: list[list[str]] = []
    for layer, column in enumerate(columns):
        x = layer * (box_w + gap)
        top = (height - len(column) * pitch) // 2
        ids = []
        for j, lines in enumerate(column):
            key = f"n{layer}-{j}"
            s.box(key, x, top + j * pitch, box_w, "\n".join(lines), h=box_h, kind="input" if layer == 0 else "neuron")
            ids.append(key)
        boxes.append(ids)
    for layer in range(1, len(sizes)):
        x0 = (layer - 1) * (box_w + gap) + box_w
        mid = height // 2
        s.path((x0 + 1, mid), (x0 + gap - 2, mid), only="terminal")
        s.text(x0 + 1, mid - 1, f"W{str(layer).translate(SUP)}", w=gap - 2, align="center", only="terminal")
        grads = answer["grads"][f"W{layer}"]
        for j, target in enumerate(boxes[layer]):
            for i, source in enumerate(boxes[layer - 1]):
                a, b = s.diagram.node(source), s.diagram.node(target)
                start, end = (a.x + a.w - 1, a.y + a.h // 2), (b.x, b.y + b.h // 2)
                s.path(start, end, arrow="end", only="picture")
                # labels from source i sit at their own fraction of the way, so they never meet
                t = 0.3 + 0.4 * (i / (len(boxes[layer - 1]) - 1) if len(boxes[layer - 1]) > 1 else 0.5)
                lx, ly = start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])
                s.text(lx - 3, ly, number(grads[j][i]), w=7, align="center", kind="tag", only="picture",
                       key=f"grad{layer}-{j}-{i}")  # fmt: skip
    s.text(0, height + 1, T(f"loss E = {number(answer['loss'])}", f"损失 E = {number(answer['loss'])}"))
    if "loss_after" in answer:
        s.text(
            30,
            height + 1,
            T(f"after the update: {number(answer['loss_after'])}", f"更新后：{number(answer['loss_after'])}"),
        )
    for layer in range(1, len(sizes)):
        sup = str(layer).translate(SUP)
        s.part(
            f"W{layer}",
            T(f"W{sup}", f"W{sup}"),
            T(
                f"{matrix(spec.layers[layer - 1].weights)}; ∂E/∂W{sup} = {matrix(answer['grads'][f'W{layer}'])}; "
                f"after w ← w − η·∂E/∂w (η = {number(spec.lr)}): {matrix(answer['updated'][f'W{layer}'])}",
                f"{matrix(spec.layers[layer - 1].weights)}；∂E/∂W{sup} = {matrix(answer['grads'][f'W{layer}'])}；"
                f"按 w ← w − η·∂E/∂w（η = {number(spec.lr)}）更新后：{matrix(answer['updated'][f'W{layer}'])}",
            ),
        )
        s.part(
            f"b{layer}",
            T(f"b{sup}", f"b{sup}"),
            T(
                f"{vector(spec.layers[layer - 1].bias)}; ∂E/∂b{sup} = {vector(answer['grads'][f'b{layer}'])}",
                f"{vector(spec.layers[layer - 1].bias)}；∂E/∂b{sup} = {vector(answer['grads'][f'b{layer}'])}",
            ),
        )
    s.note(
        T(
            "Each neuron shows z (its weighted input), a = f(z) and δ = ∂E/∂z; in a picture each line carries "
            "∂E/∂w = δ(target) · a(source) for its weight.",
            "每个神经元显示 z（加权输入）、a = f(z) 与 δ = ∂E/∂z；图片中每条连线上的数是该权重的 ∂E/∂w = δ(后) · a(前)。",
        )
    )
    return s.build()


# --- net ---------------------------------------------------------------------------------------


def net(result) -> Diagram:
    """The layer stack: each layer with its output shape and parameters; an activation folds into
    the layer before it. Long stacks continue in a second or third column."""
    answer = result.answer
    items: list[list[str]] = [["input", "×".join(map(str, answer["input_shape"]))]]
    last = answer["input_shape"]
    for row in answer["layers"]:
        if row["params"] == 0 and row["output_shape"] == last and len(items) > 1:
            items[-1][0] += " + " + row["type"]  # ReLU, Dropout …: nothing changes but the values
            continue
        shape = "×".join(map(str, row["output_shape"]))
        items.append([row["layer"], shape + (f"  ·  {row['params']:,} p" if row["params"] else "")])
        last = row["output_shape"]
    width = max(cell_len(line) for item in items for line in item) + 4
    width = min(max(width, 20), WIDTH - 2)
    for item in items:
        item[0] = _fit(item[0], width - 4)
    per_column = max(1, (WIDTH + 2) // (width + 3))
    rows = -(-len(items) // per_column)
    if rows > 14:
        raise _too_big("the network", "at most 42 layers after folding activations")
    title = T("Network: the layer stack with its shapes", "网络：逐层的输出形状")
    s = Sketch("net", title, WIDTH, rows * 5 + 2)
    previous = None
    for n, item in enumerate(items):
        column, row = divmod(n, rows)
        key = f"l{n}"
        s.box(key, column * (width + 3), row * 5, width, "\n".join(item), h=4, kind="input" if n == 0 else "conv")
        if previous is not None:
            if row == 0:  # from the bottom of one column up to the top of the next
                a = s.diagram.node(previous)
                x = a.x + a.w + 1
                s.path((a.cx, a.y + a.h - 1), (a.cx, a.y + a.h), (x, a.y + a.h), (x, 1), (x + 2, 1),
                       src=previous, dst=key)  # fmt: skip
            else:
                s.link(previous, key)
        previous = key
    total = T(
        f"{answer['total_params']:,} parameters, {answer['total_macs']:,} multiply-adds",
        f"共 {answer['total_params']:,} 个参数，{answer['total_macs']:,} 次乘加",
    )
    s.text(0, rows * 5, total)
    return s.build()


def _fit(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    while cell_len(text + "…") > width:
        text = text[:-1]
    return text + "…"


# --- conv --------------------------------------------------------------------------------------


def conv(result) -> Diagram:
    """The padded input with the kernel's first window (and the next one, dashed, in a picture),
    the rows and columns no window ever reads marked ×, and the output grid."""
    from dlcalc.solvers.conv import windows

    spec, answer = result.spec, result.answer
    if spec.transposed:
        raise DlcalcError("no picture for a transposed convolution yet")
    out = answer["output_shape"][-2:]
    wh, ww = windows(spec)
    padded = (wh.padded, ww.padded)
    if max(padded) > 19:
        raise _too_big("the input", "a padded size of at most 19×19")
    # the rows (columns) some tap of some window reads: the rest are never used
    read = [
        {o * w.stride + a * w.dilation for o in range(n) for a in range(w.kernel)}
        for w, n in ((wh, out[0]), (ww, out[1]))
    ]
    values, shade = [], {}
    for r in range(padded[0]):
        row = []
        for c in range(padded[1]):
            pad = not (wh.pad_before <= r < wh.pad_before + wh.size and ww.pad_before <= c < ww.pad_before + ww.size)
            unread = r not in read[0] or c not in read[1]
            row.append("×" if unread else "0" if pad else "")
            if unread or pad:
                shade[(r, c)] = "dropped" if unread else "padding"
        values.append(row)
    for a in range(spec.kernel[0]):  # the kernel's taps in the first window (spaced by the dilation)
        for b in range(spec.kernel[1]):
            shade[(a * spec.dilation[0], b * spec.dilation[1])] = "hit"
    frames = [(0, 0, wh.span - 1, ww.span - 1, "heavy")]
    if out[1] > 1:
        frames.append((0, ww.stride, wh.span - 1, ww.stride + ww.span - 1, "dashed"))
    beside = padded[1] * 4 + 7 + out[1] * 4 + 1 <= WIDTH
    out_x, out_y = (padded[1] * 4 + 7, 1) if beside else (0, padded[0] * 2 + 4)
    bottom = max(1 + padded[0] * 2, out_y + out[0] * 2) + 2
    title = T(f"{spec.torch_name}: the kernel's windows over the input", f"{spec.torch_name}：卷积核窗口在输入上的位置")
    s = Sketch("conv", title, WIDTH, bottom + 5)
    s.text(0, 0, T(f"padded input {padded[0]}×{padded[1]}", f"补零后的输入 {padded[0]}×{padded[1]}"), kind="caption")
    s.grid("input", 0, 1, values, shade, frames)
    s.text(out_x, out_y - 1, T(f"output {out[0]}×{out[1]}", f"输出 {out[0]}×{out[1]}"), kind="caption")
    s.grid("output", out_x, out_y, [[""] * out[1] for _ in range(out[0])], {(0, 0): "hit"}, [(0, 0, 0, 0, "heavy")])
    if beside:
        s.path((ww.span * 4, 1), (out_x, 1), arrow="none", line="dashed", only="picture")
        s.path((ww.span * 4, 1 + wh.span * 2), (out_x, 3), arrow="none", line="dashed", only="picture")
    k, st = "×".join(map(str, spec.kernel)), "×".join(map(str, spec.stride))
    d = f"{spec.dilation[0]}×{spec.dilation[1]}"
    s.text(0, bottom, T(f"kernel {k}, stride {st}, dilation {d}: the heavy frame is the first window",
                        f"卷积核 {k}，步长 {st}，膨胀 {d}：粗框为第一个窗口"))  # fmt: skip
    rows, cols = padded[0] - len(read[0] & set(range(padded[0]))), padded[1] - len(read[1] & set(range(padded[1])))
    s.text(0, bottom + 2, T(f"0 = padding;  × = never read: {rows} row(s) and {cols} column(s) no window reaches",
                            f"0 = 补零；× = 从未被读取：{rows} 行、{cols} 列没有窗口覆盖"))  # fmt: skip
    shape_in, shape_out = "×".join(map(str, answer["input_shape"])), "×".join(map(str, answer["output_shape"]))
    s.text(0, bottom + 4, f"{shape_in} → {shape_out}")
    return s.build()


# --- rnn, lstm, gru ----------------------------------------------------------------------------


GATES = {
    "rnn": (),
    "lstm": ("f", "i", "g", "o"),
    "gru": ("r", "z", "n"),
}


def recurrent(result) -> Diagram:
    """The cell unrolled over the sequence: each step with its input, gates and new state."""
    spec, answer = result.spec, result.answer
    kind = result.kind
    steps = len(answer["h"])
    cells = []
    for t in range(steps):
        lines = [f"{g} {vector(answer['gates'][t][g])}" for g in GATES[kind]]
        if kind == "lstm":
            lines.append(f"c {vector(answer['c'][t])}")
        lines.append(f"h {vector(answer['h'][t])}")
        cells.append(lines)
    width = max(cell_len(line) for lines in cells for line in lines) + 4
    width = max(width, 9)
    if width > WIDTH - 20:
        raise _too_big("the state", "its values do not fit 80 columns")
    box_h = len(cells[0]) + 2
    pitch = box_h + 5
    names = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
    title = T(f"{names[kind]} unrolled over {steps} steps", f"{names[kind]} 按时间展开（{steps} 步）")

    def state(t: int) -> str:
        sub = str(t).translate(SUB)
        return f"h{sub}, c{sub}" if kind == "lstm" else f"h{sub}"

    margin = max(cell_len(state(t)) for t in range(steps)) + 3
    per_row = max(1, (WIDTH - 2 * margin) // (width + 4))
    rows = -(-steps // per_row)
    s = Sketch(kind, title, WIDTH, rows * pitch)
    for t, lines in enumerate(cells):
        row, col = divmod(t, per_row)
        x = margin + col * (width + 4)
        y = row * pitch + 1
        key = f"t{t}"
        node = s.box(key, x, y, width, "\n".join(lines), h=box_h, kind="act")
        s.text(x, y + box_h + 2, f"x{str(t + 1).translate(SUB)} = {vector(spec.x[t])}", w=width, align="center")
        s.path((node.cx, y + box_h + 1), (node.cx, y + box_h - 1), dst=key)
        if col == 0:
            s.text(0, node.cy, state(t))
            s.path((margin - 2, node.cy), (x, node.cy), dst=key)
        else:
            s.link(f"t{t - 1}", key)
        if col == per_row - 1 or t == steps - 1:
            s.path((x + width - 1, node.cy), (x + width + 1, node.cy), src=key)
            s.text(x + width + 3, node.cy, state(t + 1))
    first = f"h₀ = {vector(spec.h0)}" + (f", c₀ = {vector(spec.c0)}" if kind == "lstm" else "")
    s.note(T(first, first))
    legend = {
        "rnn": T("h = tanh(W_ih·x + b_ih + W_hh·h + b_hh)", "h = tanh(W_ih·x + b_ih + W_hh·h + b_hh)"),
        "lstm": T(
            "f, i, o: forget, input and output gates; g: the candidate; c = f⊙c + i⊙g; h = o⊙tanh(c)",
            "f、i、o：遗忘门、输入门、输出门；g：候选值；c = f⊙c + i⊙g；h = o⊙tanh(c)",
        ),
        "gru": T(
            "r: reset gate, z: update gate, n: the candidate; h mixes the old h and n by z",
            "r：重置门，z：更新门，n：候选状态；h 由 z 在旧的 h 与 n 之间加权",
        ),
    }
    s.note(legend[kind])
    return s.build()
