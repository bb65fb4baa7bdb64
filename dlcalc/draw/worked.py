"""Pictures of worked computations: a solver's `Result` drawn as a `Diagram`.

Each function reads `result.answer` and `result.spec` only (the numbers the derivation printed);
nothing is solved again. `picture_of(result)` picks the function by `result.kind`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from rich.cells import cell_len

from dlcalc.draw.model import Diagram, Sketch, say
from dlcalc.errors import DlcalcError
from dlcalc.text import T, Text

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


def fitted(vs, room: int) -> str:
    """The vector in at most `room` cells: its first values and "…" when all of them do not fit."""
    text = vector(vs)
    for k in range(len(vs) - 1, 0, -1):
        if cell_len(text) <= room:
            break
        text = "[" + ", ".join(number(v) for v in vs[:k]) + ", …]"
    return text


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
    pass; on each connection (in a picture) the gradient ∂E/∂w of its weight. A layer of more than
    4 neurons shows its first 3 and how many more; a network too deep for 80 columns shows its
    first and last layers with the middle ones elided. The legend lists every matrix."""
    spec, answer = result.spec, result.answer
    sizes = [len(spec.input)] + [len(layer.weights) for layer in spec.layers]
    depth = len(spec.layers)

    def name(layer: int, j: int) -> str:
        if layer == 0:
            return f"x{j + 1}".translate(SUB)
        if layer == depth:
            return f"o{j + 1}".translate(SUB)
        return "h" + (str(layer).translate(SUP) if depth > 2 else "") + str(j + 1).translate(SUB)

    def lines_of(layer: int, j: int) -> list[str]:
        if layer == 0:
            return [name(0, j), number(spec.input[j])]
        lines = [
            name(layer, j),
            "z " + number(answer["forward"][f"z{layer}"][j]),
            "a " + number(answer["forward"][f"a{layer}"][j]),
            "δ " + number(answer["deltas"][f"delta{layer}"][j]),
        ]
        if layer == depth:
            lines.insert(3, "t " + number(spec.target[j]))
        return lines

    def shown(size: int) -> list[int]:
        return list(range(size)) if size <= 4 else [0, 1, 2]

    # which layers get a column: all, else the first two and the last two around a "⋯" column
    layouts: list[list[int | None]] = [list(range(depth + 1))]
    if depth >= 4:
        layouts.append([0, 1, None, depth - 1, depth])
    if depth >= 3:
        layouts.append([0, None, depth])
    elided_w = 3
    for columns, pad in [(c, p) for c in layouts for p in (4, 2)]:
        real = [c for c in columns if c is not None]
        box_w = max(cell_len(line) for c in real for j in shown(sizes[c]) for line in lines_of(c, j)) + pad
        gap = (WIDTH - len(real) * box_w - (elided_w if None in columns else 0)) // (len(columns) - 1)
        if gap >= 6:
            break
    else:
        raise _too_big("the network", "its values do not fit 80 columns")
    box_h = max(len(lines_of(c, j)) for c in real for j in shown(sizes[c])) + 2
    pitch = box_h + 2

    def extent(layer: int) -> int:  # rows a column takes: its boxes, and a line for the ones not shown
        return len(shown(sizes[layer])) * pitch + (1 if sizes[layer] > 4 else 0)

    height = max(extent(c) for c in real)
    title = T("Backpropagation: forward values, δ and ∂E/∂w", "反向传播：前向的值、δ 与 ∂E/∂w")
    s = Sketch("backprop", title, WIDTH, height + 3)
    boxes: dict[int, list[str]] = {}
    x = 0
    xs: list[int] = []
    for layer in columns:
        xs.append(x)
        if layer is None:
            s.text(x, height // 2, "⋯", w=elided_w, align="center", key="elided")
            x += elided_w + gap
            continue
        rows = shown(sizes[layer])
        top = (height - extent(layer)) // 2
        ids = []
        for k, j in enumerate(rows):
            key = f"n{layer}-{j}"
            s.box(key, x, top + k * pitch, box_w, "\n".join(lines_of(layer, j)), h=box_h,
                  kind="input" if layer == 0 else "neuron")  # fmt: skip
            ids.append(key)
        if sizes[layer] > 4:
            more = sizes[layer] - 3
            s.text(x, top + 3 * pitch - 1, T(f"⋮ {more} more", f"⋮ 另 {more} 个"), w=box_w,
                   align="center", key=f"more{layer}")  # fmt: skip
        boxes[layer] = ids
        x += box_w + gap
    mid = height // 2
    labels_left_out = False
    for n in range(1, len(columns)):
        before, layer = columns[n - 1], columns[n]
        x0 = xs[n - 1] + (elided_w if before is None else box_w)
        s.path((x0 + 1, mid), (xs[n] - 2, mid), only="terminal")
        if before is None or layer is None:
            continue
        s.text(x0 + 1, mid - 1, f"W{str(layer).translate(SUP)}", w=xs[n] - x0 - 3, align="center", only="terminal")
        grads = answer["grads"][f"W{layer}"]
        sources = boxes[before]
        labelled = gap >= 16 and len(sources) * len(boxes[layer]) <= 9  # else too crowded: the legend has them
        labels_left_out |= not labelled
        for target in boxes[layer]:
            j = int(target.split("-")[1])
            for k, source in enumerate(sources):
                i = int(source.split("-")[1])
                a, b = s.diagram.node(source), s.diagram.node(target)
                start, end = (a.x + a.w - 1, a.y + a.h // 2), (b.x, b.y + b.h // 2)
                s.path(start, end, arrow="end", only="picture")
                if not labelled:
                    continue
                # labels from source k sit at their own fraction of the way, so they never meet
                t = 0.3 + 0.4 * (k / (len(sources) - 1) if len(sources) > 1 else 0.5)
                lx, ly = start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])
                s.text(lx - 3, ly, number(grads[j][i]), w=7, align="center", kind="tag", only="picture",
                       key=f"grad{layer}-{j}-{i}")  # fmt: skip
    if None in columns:
        for n, layer in enumerate(columns):
            if layer is None:
                cx = xs[n] + elided_w // 2
                hidden = [c for c in range(1, depth + 1) if c not in columns]
                span = f"{hidden[0]}–{hidden[-1]}" if len(hidden) > 1 else f"{hidden[0]}"
                s.text(58, height + 1, T(f"⋯ = layer{'s' if len(hidden) > 1 else ''} {span}", f"⋯ = 第 {span} 层"),
                       kind="caption")  # fmt: skip
                s.path((xs[n - 1] + box_w, mid), (cx - 1, mid), arrow="none", only="picture")
                s.path((cx + 1, mid), (xs[n + 1] - 1, mid), only="picture")
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
    if labels_left_out:
        s.note(T("Where the lines are too many or too short to carry their numbers, ∂E/∂W is in the list above.",
                 "连线太多或太短而放不下数字时，∂E/∂W 见上方列表。"))  # fmt: skip
    return s.build()


# --- net ---------------------------------------------------------------------------------------

NET_LIMIT = 36  # boxes in a net picture; beyond that the middle of the stack is elided
NET_ROWS = 12  # boxes per column
NET_GAP = 6  # columns between two stacks: two lanes for branches, one for the line to the next stack


@dataclass
class _Unit:
    """One box of a net picture: a layer, a whole block (folded), the input, or elided layers."""

    name: Any  # str, or a Text for the input
    shape: Any
    params: int
    rows: set[int] = field(default_factory=set)
    merge: str | None = None
    kind: str = "conv"
    sources: list[int] = field(default_factory=list)
    extra: Any = ""  # where inputs come from, when no line can show it (a Text)


def _shape(shape) -> str:
    return "×".join(map(str, shape)) if shape else "?"


def _count(n: int) -> str:
    """A parameter count short enough for a box: 250, 74.1k, 4.46M."""
    for size, suffix in ((10**9, "G"), (10**6, "M"), (10**4, "k")):
        if n >= size:
            scaled = n / (size if suffix != "k" else 1000)
            return f"{scaled:.3g}{suffix}"
    return f"{n:,}"


def _leaves(tree: dict, depth: int, level: int) -> list[dict]:
    """The tree cut at `level`: blocks deeper than it stay whole, shallower ones open up."""
    out: list[dict] = []
    for child in tree.get("children", []):
        if "children" in child and depth + 1 < level:
            out += _leaves(child, depth + 1, level)
        else:
            out.append(child)
    return out


def _rows_of(item: dict) -> set[int]:
    if "children" not in item:
        return {item["index"]}
    return set().union(*(_rows_of(c) for c in item["children"])) if item["children"] else set()


def _units(answer: dict, level: int) -> list[_Unit]:
    rows = {row["index"]: row for row in answer["layers"]}
    shapes = answer.get("inputs") or [answer["input_shape"]]
    if len(shapes) == 1:
        units = [_Unit(T("input", "输入"), shapes[0], 0, kind="input")]
    else:  # the network's inputs are nodes 0, 1, … of its graph
        units = [_Unit(T(f"input {k + 1}", f"输入 {k + 1}"), shape, 0, kind="input") for k, shape in enumerate(shapes)]
    unit_of: dict[int, int] = {k: k for k in range(len(shapes))}
    for item in _leaves(answer["tree"], 0, level):
        if "children" in item:
            members = _rows_of(item)
            if not members:
                continue
            path = item["name"].split(".")
            short = (
                item["name"] if len(item["name"]) <= 16 else ".".join(path[-2:] if path[-1].isdigit() else path[-1:])
            )
            unit = _Unit(f"{short} {item['type']}".strip(), item["output_shape"], item["params"], members,
                         item.get("merge"), kind="block")  # fmt: skip
        else:
            row = rows[item["index"]]
            unit = _Unit(row["layer"], row["output_shape"], row["params"], {row["index"]}, row.get("merge"))
        sources: list[int] = []
        for r in sorted(unit.rows):
            for i in rows[r]["inputs"]:
                if i not in unit.rows:
                    s = unit_of.get(i, 0)
                    if s not in sources:
                        sources.append(s)
        unit.sources = sources
        previous = units[-1]
        row = rows[min(unit.rows)]
        if (  # ReLU, Dropout …: only the values change, so it folds into the box before it
            previous.kind != "input" and "children" not in item and unit.params == 0 and unit.shape == previous.shape
            and sources == [len(units) - 1] and unit.merge is None
        ):  # fmt: skip
            previous.name += " + " + row["type"]
            previous.rows |= unit.rows
            for r in unit.rows:
                unit_of[r] = len(units) - 1
            continue
        for r in unit.rows:
            unit_of[r] = len(units)
        units.append(unit)
    return units


def _depth(tree: dict) -> int:
    return 1 + max((_depth(c) for c in tree.get("children", []) if "children" in c), default=0)


def _elide(units: list[_Unit], limit: int) -> list[_Unit]:
    """The first and last boxes of a stack too long to draw, with one box for those between."""
    if len(units) <= limit:
        return units
    head, tail = (limit - 1) // 2, limit - 1 - (limit - 1) // 2
    hidden = units[head : len(units) - tail]
    gap = _Unit(f"⋮ {len(hidden)}", hidden[-1].shape, sum(u.params for u in hidden), kind="elided")
    old_to_new = {i: i for i in range(head)} | {i: head for i in range(head, len(units) - tail)}
    old_to_new |= {i: i - len(hidden) + 1 for i in range(len(units) - tail, len(units))}
    gap.sources = sorted({old_to_new[s] for u in hidden for s in u.sources} - {head})
    out = units[:head] + [gap] + units[len(units) - tail :]
    for u in out:
        if u is not gap:
            u.sources = list(dict.fromkeys(old_to_new[s] for s in u.sources))
    return out


def net(result) -> Diagram:
    """The layer stack: each layer or block with its output shape and parameters, and the
    branches and merges between them (a line on the right: a shortcut or a second input). An
    activation folds into the layer before it; a big network is drawn block by block, as deep
    into its blocks as 36 boxes allow, and a longer stack shows its first and last boxes."""
    answer = result.answer
    tree = answer.get("tree") or {"children": [{"index": row["index"]} for row in answer["layers"]]}
    level = 1
    units = _units(answer, level)
    while level < _depth(tree):
        finer = _units(answer, level + 1)
        if len(finer) > NET_LIMIT:
            break
        units, level = finer, level + 1
    total_units = len(units)
    units = _elide(units, NET_LIMIT)
    columns = next(c for c in (1, 2, 3) if -(-len(units) // c) <= NET_ROWS)
    per_column = -(-len(units) // columns)
    wide = (WIDTH - 3 - (columns - 1) * NET_GAP) // columns

    def lines(u: _Unit, merges: bool) -> list[Text | str]:
        out: list[Text | str]
        if u.kind == "elided":
            out = [T(f"⋮ {u.name[2:]} more", f"⋮ 省略 {u.name[2:]} 个")]
            return [out[0], f"{_shape(u.shape)} · {_count(u.params)} p"]
        out = [u.name, _shape(u.shape) + (f" · {_count(u.params)} p" if u.params else "")]
        if merges:
            merge = u.merge and (u.merge if u.merge.startswith(("cat", "dense")) else "⊕ " + u.merge)
            out += [x for x in (u.extra, merge) if x] or [""]
        return out

    for attempt in (0, 1):
        merges = attempt == 1 or any(u.merge for u in units)
        content = max(cell_len(say(line, lang)) for u in units for line in lines(u, merges) for lang in ("en", "zh"))
        width = min(max(content + 4, 20), wide)
        looped = any(u.kind == "block" and u.merge and not u.merge.startswith("cat") for u in units)
        h = 2 + max(len(lines(u, merges)) for u in units) + looped  # a loop takes rows of its own
        pitch = h + 1
        place = {n: divmod(n, per_column) for n in range(len(units))}  # (column, row)
        lanes: dict[int, list[tuple[float, float, int]]] = {}  # column → (top, bottom, lane) taken
        skips: list[tuple[int, int, int]] = []  # (source, target, lane)
        missing = False
        for n, u in enumerate(units):  # a block with a shortcut inside: a loop beside it
            if u.kind == "block" and u.merge and not u.merge.startswith("cat") and looped:
                column, row = place[n]
                lanes.setdefault(column, []).append((row - 0.4, row + 0.4, 0))
                skips.append((n, n, 0))
        for n, u in enumerate(units):
            u.extra = ""
            far = []
            for src in u.sources:
                if src == n - 1:
                    continue
                (cs, rs), (ct, rt) = place[src], place[n]
                used = lanes.setdefault(cs, [])
                lane = next((k for k in range(2) if cs == ct and all(
                    b <= rs or a >= rt for (a, b, kk) in used if kk == k)), None)  # fmt: skip
                if lane is None:
                    far.append(src)
                    continue
                used.append((rs, rt, lane))
                skips.append((src, n, lane))
            if far:

                def short(unit: _Unit, lang: str) -> str:
                    text = say(unit.name, lang).split("(")[0]
                    return text if unit.kind == "input" else text.split(" ")[0]

                u.extra = T(*("← " + ", ".join(short(units[s], lang) for s in far) for lang in ("en", "zh")))
                missing = True
        if not missing or attempt == 1:
            break

    title = T("Network: the layer stack with its shapes", "网络：逐层的输出形状")
    s = Sketch("net", title, WIDTH, per_column * pitch + 1)
    for n, u in enumerate(units):
        column, row = place[n]
        text = lines(u, merges)
        en, zh = ("\n".join(_fit(say(x, lang), width - 4) for x in text) for lang in ("en", "zh"))
        label = en if en == zh else T(en, zh)
        kind = {"input": "input", "block": "layer", "elided": "concat"}.get(u.kind, "conv")
        s.box(f"l{n}", column * (width + NET_GAP), row * pitch, width, label, h=h, kind=kind)
    for n, u in enumerate(units):
        if n - 1 not in u.sources:
            continue
        a, key = s.diagram.node(f"l{n - 1}"), f"l{n}"
        if place[n][1] == 0:  # from the bottom of one stack up to the top of the next
            x = a.x + a.w + 3
            s.path((a.cx, a.y + a.h - 1), (a.cx, a.y + a.h), (x, a.y + a.h), (x, 1), (x + NET_GAP - 3, 1),
                   src=f"l{n - 1}", dst=key)  # fmt: skip
        else:
            s.link(f"l{n - 1}", key)
    for src, dst, lane in skips:
        a, b = s.diagram.node(f"l{src}"), s.diagram.node(f"l{dst}")
        x = a.x + a.w + 1 + lane
        if src == dst:  # the shortcut inside a block
            s.path((a.x + a.w - 1, a.y + 2), (x, a.y + 2), (x, a.y + a.h - 3), (a.x + a.w - 1, a.y + a.h - 3),
                   src=f"l{src}", dst=f"l{src}")  # fmt: skip
            continue
        s.path((a.x + a.w - 1, a.y + a.h - 2), (x, a.y + a.h - 2), (x, b.y + 1), (b.x + b.w - 1, b.y + 1),
               src=f"l{src}", dst=f"l{dst}")  # fmt: skip
    total = T(
        f"{answer['total_params']:,} parameters, {answer['total_macs']:,} multiply-adds",
        f"共 {answer['total_params']:,} 个参数，{answer['total_macs']:,} 次乘加",
    )
    s.text(0, per_column * pitch, total)
    s.note(T("p = parameters (k thousand, M million).", "p = 参数个数（k 千，M 百万）。"))
    if skips or any(u.extra for u in units):
        s.note(T("A line on the right is a branch: a shortcut or a second input, joining where the layers merge "
                 "(⊕ adds, cat concatenates along channels); ← names an input drawn elsewhere.",
                 "右侧的线是分支：捷径或第二个输入，在合并处汇合（⊕ 相加，cat 沿通道拼接）；← 后为来自别处的输入。"))  # fmt: skip
    if level < _depth(tree):
        s.note(T("Blocks are drawn whole (their shape and parameters); dlcalc net --steps lists every layer.",
                 "模块整体画成一个方框（输出形状与参数）；dlcalc net --steps 列出每一层。"))  # fmt: skip
    if total_units > len(units):
        s.note(T(f"{total_units} boxes in all: the middle of the stack is elided (⋮).",
                 f"共 {total_units} 个方框：中间部分省略（⋮）。"))  # fmt: skip
    return s.build()


def _fit(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    while cell_len(text + "…") > width:
        text = text[:-1]
    return text + "…"


# --- conv --------------------------------------------------------------------------------------


def _axis(n: int, keep: int, tail: int) -> list[int | None]:
    """The indices of an axis a grid shows: all of them, or the first ones, None (⋯), the last."""
    if n <= keep:
        return list(range(n))
    return list(range(keep - 1 - tail)) + [None] + list(range(n - tail, n))


def conv(result) -> Diagram:
    """The padded input with the kernel's first window (and the next one, dashed, in a picture),
    the rows and columns no window ever reads marked ×, and the output grid. An input larger than
    16 a side shows its first rows and columns and its last ones (where the dropped ones are), with
    ⋯ for those between; so does a large output."""
    from dlcalc.solvers.conv import windows

    spec, answer = result.spec, result.answer
    if spec.transposed:
        raise DlcalcError("no picture for a transposed convolution yet")
    out = answer["output_shape"][-2:]
    wh, ww = windows(spec)
    padded = (wh.padded, ww.padded)
    # the rows (columns) some tap of some window reads: the rest are never used
    read = [
        {o * w.stride + a * w.dilation for o in range(n) for a in range(w.kernel)}
        for w, n in ((wh, out[0]), (ww, out[1]))
    ]
    unread = [padded[i] - len(read[i] & set(range(padded[i]))) for i in range(2)]
    axes = [_axis(padded[i], 16, min(max(3, unread[i] + 1), 6)) for i in range(2)]
    values, shade = [], {}
    for y, r in enumerate(axes[0]):
        row = []
        for x, c in enumerate(axes[1]):
            if r is None or c is None:
                dropped = (r is not None and r not in read[0]) or (c is not None and c not in read[1])
                row.append("×" if dropped else "⋱" if r is None and c is None else "⋮" if r is None else "⋯")
                if dropped:
                    shade[(y, x)] = "dropped"
                continue
            pad = not (wh.pad_before <= r < wh.pad_before + wh.size and ww.pad_before <= c < ww.pad_before + ww.size)
            never = r not in read[0] or c not in read[1]
            row.append("×" if never else "0" if pad else "")
            if never or pad:
                shade[(y, x)] = "dropped" if never else "padding"
        values.append(row)

    def shown(axis: int, i: int) -> int:
        """Where index i of an axis sits in the grid (the ⋯ row or column if it is not shown)."""
        cells = axes[axis]
        return cells.index(i) if i in cells else cells.index(None)

    for a in range(spec.kernel[0]):  # the kernel's taps in the first window (spaced by the dilation)
        for b in range(spec.kernel[1]):
            r, c = a * spec.dilation[0], b * spec.dilation[1]
            if r in axes[0] and c in axes[1]:
                shade[(shown(0, r), shown(1, c))] = "hit"
    frames = [(0, 0, shown(0, wh.span - 1), shown(1, ww.span - 1), "heavy")]
    if out[1] > 1 and ww.stride in axes[1]:
        frames.append((0, shown(1, ww.stride), shown(0, wh.span - 1), shown(1, ww.stride + ww.span - 1), "dashed"))
    rows_in, cols_in = len(axes[0]), len(axes[1])
    caption_in = T(f"padded input {padded[0]}×{padded[1]}", f"补零后的输入 {padded[0]}×{padded[1]}")
    left = max(cols_in * 4 + 7, max(cell_len(caption_in(lang)) for lang in ("en", "zh")) + 3)
    caption_out = T(f"output {out[0]}×{out[1]}", f"输出 {out[0]}×{out[1]}")
    out_axes = [_axis(out[0], 8, 2), _axis(out[1], 5, 1)]
    beside = left + max(len(out_axes[1]) * 4 + 1, *(cell_len(caption_out(lang)) for lang in ("en", "zh"))) <= WIDTH
    if not beside:
        out_axes[1] = _axis(out[1], 19, 2)
    out_values = [["⋱" if r is None and c is None else "⋮" if r is None else "⋯" if c is None else ""
                   for c in out_axes[1]] for r in out_axes[0]]  # fmt: skip
    out_x, out_y = (left, 1) if beside else (0, rows_in * 2 + 4)
    bottom = max(1 + rows_in * 2, out_y + len(out_axes[0]) * 2) + 2
    title = T(f"{spec.torch_name}: the kernel's windows over the input", f"{spec.torch_name}：卷积核窗口在输入上的位置")
    s = Sketch("conv", title, WIDTH, bottom + 5)
    s.text(0, 0, caption_in, kind="caption")
    s.grid("input", 0, 1, values, shade, frames)
    s.text(out_x, out_y - 1, caption_out, kind="caption")
    s.grid("output", out_x, out_y, out_values, {(0, 0): "hit"}, [(0, 0, 0, 0, "heavy")])
    if beside:
        right, low = (frames[0][3] + 1) * 4, 1 + (frames[0][2] + 1) * 2
        s.path((right, 1), (out_x, 1), arrow="none", line="dashed", only="picture")
        s.path((right, low), (out_x, 3), arrow="none", line="dashed", only="picture")
    k, st = "×".join(map(str, spec.kernel)), "×".join(map(str, spec.stride))
    d = f"{spec.dilation[0]}×{spec.dilation[1]}"
    s.text(0, bottom, T(f"kernel {k}, stride {st}, dilation {d}: the heavy frame is the first window",
                        f"卷积核 {k}，步长 {st}，膨胀 {d}：粗框为第一个窗口"))  # fmt: skip
    s.text(0, bottom + 2, T(f"0 = padding;  × = never read: {unread[0]} row(s) and {unread[1]} column(s) no window "
                            "reaches",
                            f"0 = 补零；× = 从未被读取：{unread[0]} 行、{unread[1]} 列没有窗口覆盖"))  # fmt: skip
    shape_in, shape_out = "×".join(map(str, answer["input_shape"])), "×".join(map(str, answer["output_shape"]))
    s.text(0, bottom + 4, f"{shape_in} → {shape_out}")
    if any(None in a for a in axes + out_axes):
        s.note(T("⋯ ⋮ stand for the rows and columns between the first and the last ones shown.",
                 "⋯ ⋮ 代表所示首尾之间的行与列。"))  # fmt: skip
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

    def state(t: int) -> str:
        sub = str(t).translate(SUB)
        return f"h{sub}, c{sub}" if kind == "lstm" else f"h{sub}"

    margin = max(cell_len(state(t)) for t in range(steps + 1)) + 3
    room = WIDTH - 2 * margin - 4  # inside the widest box a row can hold
    cells = []
    for t in range(steps):
        lines = [f"{g} {fitted(answer['gates'][t][g], room - 2)}" for g in GATES[kind]]
        if kind == "lstm":
            lines.append(f"c {fitted(answer['c'][t], room - 2)}")
        lines.append(f"h {fitted(answer['h'][t], room - 2)}")
        cells.append(lines)
    inputs = [f"x{str(t + 1).translate(SUB)} = " for t in range(steps)]
    inputs = [label + fitted(spec.x[t], room + 2 - cell_len(label)) for t, label in enumerate(inputs)]
    width = max(max(cell_len(line) for lines in cells for line in lines) + 4, 9, *(cell_len(x) + 2 for x in inputs))
    box_h = len(cells[0]) + 2
    pitch = box_h + 5
    names = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
    title = T(f"{names[kind]} unrolled over {steps} steps", f"{names[kind]} 按时间展开（{steps} 步）")

    per_row = max(1, (WIDTH - 2 * margin) // (width + 4))
    rows = -(-steps // per_row)
    s = Sketch(kind, title, WIDTH, rows * pitch)
    for t, lines in enumerate(cells):
        row, col = divmod(t, per_row)
        x = margin + col * (width + 4)
        y = row * pitch + 1
        key = f"t{t}"
        node = s.box(key, x, y, width, "\n".join(lines), h=box_h, kind="act")
        s.text(x, y + box_h + 2, inputs[t], w=width, align="center")
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
