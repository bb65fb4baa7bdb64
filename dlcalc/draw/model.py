"""A diagram as data: boxes, operators, grids and text placed on a character grid, and the lines
between them. The terminal and matplotlib back-ends both read this one description.

Coordinates are terminal cells (x to the right, y down), so a layout that fits 80 columns in the
terminal is the same layout matplotlib draws, with each cell a fixed size in inches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len

from dlcalc.text import Text

Point = tuple[int, int]
Label = Text | str  # a bilingual label, or a value that reads the same in both languages


def say(label: Label | None, lang: str) -> str:
    if label is None:
        return ""
    return label(lang) if isinstance(label, Text) else label


@dataclass(frozen=True)
class Node:
    """Something drawn at cells x..x+w-1, y..y+h-1.

    shape: "box" (square corners), "round" (rounded corners), "ellipse" (a rounded box in the
    terminal, an ellipse in a picture), "op" (an operator such as × or +, or one neuron: "(×)" in
    the terminal, a circle in a picture), "text" (no outline).
    kind: a colour class the picture fills the shape with (the terminal ignores it); for text,
    "tag" puts it on a white patch (a label sitting on a line), "caption" greys it.
    """

    id: str
    x: int
    y: int
    w: int
    h: int
    label: Label = ""
    shape: str = "box"
    kind: str = "plain"
    align: str = "center"  # text nodes: "left" or "center" within the w cells
    bold: bool = False
    only: str | None = None  # "terminal" or "picture"; a picture-only node may sit between cells

    @property
    def cx(self) -> int:
        return self.x + (self.w - 1) // 2

    @property
    def cy(self) -> int:
        return self.y + (self.h - 1) // 2


@dataclass(frozen=True)
class Grid:
    """A matrix of cells (an input feature map, a kernel): each cell 4 columns wide and 2 rows
    tall, with its value centred; `frames` are windows drawn over it, `shade` cells picked out."""

    id: str
    x: int
    y: int
    values: tuple[tuple[str, ...], ...]
    shade: dict[Point, str] = field(default_factory=dict)  # (row, col) → kind (padding, dropped, hit)
    frames: tuple[tuple[int, int, int, int, str], ...] = ()  # (row0, col0, row1, col1, line), inclusive

    CELL_W = 4
    CELL_H = 2

    @property
    def rows(self) -> int:
        return len(self.values)

    @property
    def cols(self) -> int:
        return len(self.values[0])

    @property
    def w(self) -> int:
        return self.cols * self.CELL_W + 1

    @property
    def h(self) -> int:
        return self.rows * self.CELL_H + 1

    def corner(self, row: int, col: int) -> Point:
        """The top-left border crossing of a cell."""
        return self.x + col * self.CELL_W, self.y + row * self.CELL_H

    def centre(self, row: int, col: int) -> Point:
        return self.x + col * self.CELL_W + 2, self.y + row * self.CELL_H + 1


@dataclass(frozen=True)
class Edge:
    """A line through `points` (cells), each leg horizontal or vertical.

    The first and last points lie on the nodes it joins (their outline, or an operator's cell);
    `line` is "light", "heavy" (a main path: the cell state, the axon) or "dashed";
    `curve` asks a picture to smooth the corners (a dendrite), the terminal keeps them square.
    """

    points: tuple[Point, ...]
    arrow: str = "end"  # "end", "start", "both" or "none"
    line: str = "light"
    curve: bool = False
    src: str | None = None
    dst: str | None = None
    only: str | None = None  # "terminal" or "picture": drawn by that back-end alone

    def straight(self) -> bool:
        return all(a[0] == b[0] or a[1] == b[1] for a, b in zip(self.points, self.points[1:]))


@dataclass(frozen=True)
class Part:
    """One entry of the legend: what a labelled part is and what it does."""

    key: str
    label: Text
    caption: Text
    term: str | None = None  # the glossary id whose caption (dlcalc/draw/captions.py) this starts with


@dataclass
class Diagram:
    name: str
    title: Text
    width: int
    height: int
    nodes: list[Node] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)

    def node(self, key: str) -> Node:
        for n in self.nodes:
            if n.id == key:
                return n
        raise KeyError(key)


SIDES = ("top", "bottom", "left", "right")


class Sketch:
    """Builds a `Diagram`: place nodes, then `link` them; the router draws each link as
    horizontal and vertical legs from one outline to the other."""

    def __init__(self, name: str, title: Text, width: int, height: int):
        self.diagram = Diagram(name, title, width, height)
        self._count = 0

    # --- nodes -------------------------------------------------------------------------------
    def _add(self, node: Node) -> Node:
        self.diagram.nodes.append(node)
        return node

    def _id(self, key: str | None) -> str:
        if key is not None:
            return key
        self._count += 1
        return f"_{self._count}"

    def box(self, key, x, y, w, label: Label = "", h: int = 3, kind: str = "plain", shape: str = "box") -> Node:
        return self._add(Node(key, x, y, w, h, label, shape, kind))

    def op(self, key, x, y, symbol: Label, kind: str = "op") -> Node:
        """An operator or a single neuron, drawn "(×)" / "(x₁)" in the terminal, a circle in a picture."""
        width = max(cell_len(say(symbol, lang)) for lang in ("en", "zh")) + 2
        return self._add(Node(key, x, y, width, 1, symbol, "op", kind))

    def text(
        self, x, y, label: Label, w: int = 0, align: str = "left", key=None, bold: bool = False, kind: str = "plain",
        only: str | None = None,
    ) -> Node:  # fmt: skip
        lines = max(len(say(label, lang).split("\n")) for lang in ("en", "zh"))
        return self._add(Node(self._id(key), x, y, w, lines, label, "text", kind, align, bold, only))

    def grid(self, key, x, y, values, shade=None, frames=()) -> Grid:
        g = Grid(key, x, y, tuple(tuple(str(v) for v in row) for row in values), dict(shade or {}), tuple(frames))
        self.diagram.grids.append(g)
        return g

    def part(self, key: str, label: Text, caption: Text | None = None, term: str | None = None) -> None:
        """A legend entry. With a glossary `term`, the caption is the term's shared caption (the one
        `dlcalc explain` shows), followed by `caption` if given: what this diagram adds."""
        if term is not None:
            from dlcalc.draw.captions import caption as shared

            caption = shared(term, caption)
        if caption is None:
            raise ValueError(f"part {key!r} needs a caption or a glossary term")
        self.diagram.parts.append(Part(key, label, caption, term))

    def note(self, text: Text) -> None:
        self.diagram.notes.append(text)

    # --- lines -------------------------------------------------------------------------------
    def path(
        self, *points: Point, arrow: str = "end", line: str = "light", curve: bool = False, src=None, dst=None,
        only: str | None = None,
    ) -> None:  # fmt: skip
        """A line through explicit points; legs between points that do not share a row or column
        get one corner (horizontal first), except in a picture-only line, which may slant."""
        pts = [points[0]]
        for p in points[1:]:
            q = pts[-1]
            if p[0] != q[0] and p[1] != q[1] and only != "picture":
                pts.append((p[0], q[1]))
            pts.append(p)
        self.diagram.edges.append(Edge(tuple(_dedupe(pts)), arrow, line, curve, src, dst, only))

    def link(
        self,
        a: str,
        b: str,
        out: str | None = None,
        into: str | None = None,
        via: tuple[Point, ...] = (),
        at: int | None = None,
        to: int | None = None,
        mid: int | None = None,
        arrow: str = "end",
        line: str = "light",
        curve: bool = False,
        only: str | None = None,
    ) -> None:
        """Join node a to node b. `out`/`into` name the sides (guessed from where b lies);
        `at`/`to` pin the attachment column (top/bottom) or row (left/right) on a and b;
        `via` are cells the line must pass; `mid` is the row (or column) of a Z-shaped middle leg."""
        na, nb = self.diagram.node(a), self.diagram.node(b)
        first = via[0] if via else _centre(nb)
        last = via[-1] if via else _centre(na)
        out = out or _facing(na, first)
        into = into or _facing(nb, last)
        start, end = _anchor(na, out, at), _anchor(nb, into, to)
        pts = [start]
        for p in [*via, end]:
            q = pts[-1]
            leaving = len(pts) == 1
            arriving = p == end
            if p[0] != q[0] and p[1] != q[1]:
                vertical_first = out in ("top", "bottom") if leaving else False
                vertical_last = into in ("top", "bottom") if arriving else True
                if leaving and arriving and vertical_first == vertical_last:
                    if vertical_first:  # Z: down, across, down
                        m = mid if mid is not None else (q[1] + p[1]) // 2
                        pts += [(q[0], m), (p[0], m)]
                    else:
                        m = mid if mid is not None else (q[0] + p[0]) // 2
                        pts += [(m, q[1]), (m, p[1])]
                elif (leaving and vertical_first) or (arriving and not vertical_last):
                    pts.append((q[0], p[1]))
                else:
                    pts.append((p[0], q[1]))
            pts.append(p)
        self.diagram.edges.append(Edge(tuple(_dedupe(pts)), arrow, line, curve, a, b, only))

    def build(self) -> Diagram:
        return self.diagram


def _dedupe(points: list[Point]) -> list[Point]:
    out: list[Point] = []
    for p in points:
        if not out or out[-1] != p:
            out.append(p)
    # drop middle points of straight runs, so each point left is a corner
    keep = [out[0]]
    for i in range(1, len(out) - 1):
        a, b, c = keep[-1], out[i], out[i + 1]
        if not ((a[0] == b[0] == c[0]) or (a[1] == b[1] == c[1])):
            keep.append(b)
    if len(out) > 1:
        keep.append(out[-1])
    return keep


def _centre(n: Node) -> Point:
    return n.cx, n.cy


def _facing(n: Node, p: Point) -> str:
    """The side of n that looks towards p."""
    if p[1] >= n.y + n.h:
        side = "bottom"
    elif p[1] < n.y:
        side = "top"
    elif p[0] >= n.x + n.w:
        side = "right"
    else:
        side = "left"
    if n.shape == "op" and side in ("top", "bottom") and (n.y <= p[1] < n.y + n.h):
        side = "right" if p[0] > n.cx else "left"
    return side


def _anchor(n: Node, side: str, at: int | None) -> Point:
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    if n.shape == "op":
        return {
            "top": (n.cx + 0, n.y),
            "bottom": (n.cx, n.y),
            "left": (n.x, n.y),
            "right": (n.x + n.w - 1, n.y),
        }[side]
    if side == "top":
        return (n.cx if at is None else at), n.y
    if side == "bottom":
        return (n.cx if at is None else at), n.y + n.h - 1
    if side == "left":
        return n.x, (n.cy if at is None else at)
    return n.x + n.w - 1, (n.cy if at is None else at)
