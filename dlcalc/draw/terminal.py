"""The terminal back-end: a diagram as lines of box-drawing characters.

Every line is stroked into a grid of cells as directions (up, down, left, right) with a weight;
each cell then becomes the box-drawing character with exactly those arms, so corners, junctions
and crossings of light and heavy lines come out right without being spelled out by hand.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from rich.cells import cell_len

from dlcalc.draw.model import Diagram, Edge, Grid, Node, Point, say

UP, DOWN, LEFT, RIGHT = range(4)
LIGHT, HEAVY = 1, 2
WEIGHTS = {"LIGHT": LIGHT, "HEAVY": HEAVY}
ARMS = {"UP": (UP,), "DOWN": (DOWN,), "LEFT": (LEFT,), "RIGHT": (RIGHT,), "VERTICAL": (UP, DOWN),
        "HORIZONTAL": (LEFT, RIGHT)}  # fmt: skip
BOXES = ("box", "round", "ellipse")
ARROWS = {UP: "▲", DOWN: "▼", LEFT: "◀", RIGHT: "▶"}
ARCS = {(0, LIGHT, 0, LIGHT): "╭", (0, LIGHT, LIGHT, 0): "╮", (LIGHT, 0, 0, LIGHT): "╰", (LIGHT, 0, LIGHT, 0): "╯"}


@cache
def glyphs() -> dict[tuple[int, int, int, int], str]:
    """(up, down, left, right) weights → the box-drawing character, read from the Unicode names
    ("BOX DRAWINGS DOWN LIGHT AND RIGHT HEAVY" is ┍)."""
    table: dict[tuple[int, int, int, int], str] = {}
    for code in range(0x2500, 0x2580):
        name = unicodedata.name(chr(code)).removeprefix("BOX DRAWINGS ")
        if any(word in name for word in ("DASH", "ARC", "DIAGONAL", "DOUBLE", "SINGLE")):
            continue
        arms = [0, 0, 0, 0]
        weight = 0
        for chunk in name.split(" AND "):
            words = chunk.split()
            weight = next((WEIGHTS[w] for w in words if w in WEIGHTS), weight)
            for w in words:
                for arm in ARMS.get(w, ()):
                    arms[arm] = weight
        table[tuple(arms)] = chr(code)  # type: ignore[index]
    return table


class Canvas:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.arms: dict[Point, list[int]] = {}
        self.dashed: set[Point] = set()
        self.round: set[Point] = set()
        self.chars: dict[Point, str] = {}
        self.owners: dict[Point, dict[int, list[int]]] = {}  # which line put which arms in a cell
        self.owner = 0  # > 0 while stroking a line, < 0 while stroking an outline (box, grid)
        self.serial = 0

    def begin(self, outline: bool) -> None:
        self.serial += 1
        self.owner = -self.serial if outline else self.serial

    def inside(self, p: Point) -> bool:
        return 0 <= p[0] < self.width and 0 <= p[1] < self.height

    def arm(self, p: Point, direction: int, weight: int) -> None:
        if not self.inside(p):
            raise ValueError(f"drawing leaves the {self.width}×{self.height} canvas at {p}")
        arms = self.arms.setdefault(p, [0, 0, 0, 0])
        arms[direction] = max(arms[direction], weight)
        mine = self.owners.setdefault(p, {}).setdefault(self.owner, [0, 0, 0, 0])
        mine[direction] = max(mine[direction], weight)

    def crossing(self, p: Point) -> bool:
        """Two lines passing straight through each other, one across and one down: not a junction."""
        owners = list(self.owners.get(p, {}).values())
        if any(owner < 0 for owner in self.owners.get(p, {})):  # a line meeting a box joins it
            return False
        across = [a for a in owners if a[LEFT] and a[RIGHT] and not a[UP] and not a[DOWN]]
        down = [a for a in owners if a[UP] and a[DOWN] and not a[LEFT] and not a[RIGHT]]
        return len(owners) >= 2 and bool(across) and bool(down) and len(across) + len(down) == len(owners)

    def segment(self, a: Point, b: Point, weight: int, dashed: bool = False) -> None:
        (x0, y0), (x1, y1) = a, b
        if x0 == x1:
            step = 1 if y1 > y0 else -1
            for y in range(y0, y1, step):
                self.arm((x0, y), DOWN if step > 0 else UP, weight)
                self.arm((x0, y + step), UP if step > 0 else DOWN, weight)
                if dashed:
                    self.dashed.update({(x0, y), (x0, y + step)})
        elif y0 == y1:
            step = 1 if x1 > x0 else -1
            for x in range(x0, x1, step):
                self.arm((x, y0), RIGHT if step > 0 else LEFT, weight)
                self.arm((x + step, y0), LEFT if step > 0 else RIGHT, weight)
                if dashed:
                    self.dashed.update({(x, y0), (x + step, y0)})
        else:
            raise ValueError(f"a leg must be horizontal or vertical: {a} → {b}")

    def rectangle(self, x0: int, y0: int, x1: int, y1: int, weight: int = LIGHT, rounded: bool = False) -> None:
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        for a, b in zip(corners, corners[1:] + corners[:1]):
            self.segment(a, b, weight)
        if rounded:
            self.round.update(corners)

    def write(self, x: int, y: int, text: str) -> None:
        """Text from cell x; a wide (CJK) character takes two cells. Text may cover lines (a label
        on a line) but never other text or an arrowhead: that would be an overlap in the layout."""
        for ch in text:
            width = cell_len(ch)
            if not self.inside((x + width - 1, y)):
                raise ValueError(f"text {text!r} leaves the {self.width}×{self.height} canvas at row {y}")
            taken = [self.chars[(c, y)] for c in range(x, x + width) if (c, y) in self.chars]
            if taken and ch != " ":
                raise ValueError(f"text {text!r} overlaps {taken[0]!r} at ({x}, {y})")
            if taken:  # a space between words leaves the other text alone
                x += width
                continue
            self.chars[(x, y)] = ch
            if width == 2:
                self.chars[(x + 1, y)] = ""
            x += width

    def lines(self) -> list[str]:
        table = glyphs()
        out = []
        for y in range(self.height):
            row = []
            for x in range(self.width):
                p = (x, y)
                if p in self.chars:
                    row.append(self.chars[p])
                elif any(self.arms.get(p, ())):
                    arms = tuple(self.arms[p])
                    if self.crossing(p):  # the vertical line passes over: "─│─"
                        w = max(arms[UP], arms[DOWN])
                        arms = (w, w, 0, 0)
                    elif sum(1 for a in arms if a) == 1:  # a loose end: draw it whole, not as a stub
                        w = max(arms)
                        arms = (w, w, 0, 0) if arms[UP] or arms[DOWN] else (0, 0, w, w)
                    light = tuple(min(a, LIGHT) for a in arms)
                    if p in self.round and light in ARCS:
                        row.append(ARCS[light])
                    elif p in self.dashed and arms in ((LIGHT, LIGHT, 0, 0), (0, 0, LIGHT, LIGHT)):
                        row.append("┆" if arms[UP] else "┄")
                    else:
                        row.append(table.get(arms) or table[light])  # type: ignore[arg-type, index]  # arms is a 4-tuple by construction
                else:
                    row.append(" ")
            out.append("".join(row).rstrip())
        while out and not out[-1]:
            out.pop()
        return out


def _direction(a: Point, b: Point) -> int:
    if a[0] == b[0]:
        return DOWN if b[1] > a[1] else UP
    return RIGHT if b[0] > a[0] else LEFT


def _draw_edge(canvas: Canvas, edge: Edge, nodes: dict[str, Node]) -> None:
    canvas.begin(outline=False)
    weight = HEAVY if edge.line == "heavy" else LIGHT
    pts = list(edge.points)
    for a, b in zip(pts, pts[1:]):
        canvas.segment(a, b, weight, dashed=edge.line == "dashed")
    # bends in a line are drawn round; where a line meets a box the border gets a junction
    for p in pts[1:-1]:
        canvas.round.add(p)
    for end, node_id in ((pts[0], edge.src), (pts[-1], edge.dst)):
        node = nodes.get(node_id) if node_id else None
        if node is not None and node.shape in ("op", "text"):
            canvas.arms.pop(end, None)  # the operator's symbol or the text sits there
    if edge.arrow in ("end", "both"):
        _arrowhead(canvas, pts[-2], pts[-1])
    if edge.arrow in ("start", "both"):
        _arrowhead(canvas, pts[1], pts[0])


BACK = {UP: DOWN, DOWN: UP, LEFT: RIGHT, RIGHT: LEFT}
STEP = {UP: (0, 1), DOWN: (0, -1), LEFT: (1, 0), RIGHT: (-1, 0)}


def _arrowhead(canvas: Canvas, before: Point, end: Point) -> None:
    """Against an outline or an operator the arrow sits in the last cell before it (and the outline
    stays unbroken); a loose end becomes the arrow itself."""
    d = _direction(before, end)
    outline = any(owner < 0 for owner in canvas.owners.get(end, {}))
    tip = (end[0] + STEP[d][0], end[1] + STEP[d][1]) if outline or not any(canvas.arms.get(end, ())) else end
    if canvas.chars.get(tip, ARROWS[d]) != ARROWS[d]:
        raise ValueError(f"an arrowhead at {tip} would cover {canvas.chars[tip]!r}")
    canvas.chars[tip] = ARROWS[d]
    if outline:
        canvas.arms[end][BACK[d]] = 0


def _draw_node(canvas: Canvas, node: Node, lang: str) -> None:
    text = say(node.label, lang)
    if node.shape in BOXES:
        canvas.begin(outline=True)
        canvas.rectangle(node.x, node.y, node.x + node.w - 1, node.y + node.h - 1, rounded=node.shape != "box")
        lines = text.split("\n") if text else []
        top = node.y + 1 + max(0, (node.h - 2 - len(lines)) // 2)
        for i, line in enumerate(lines):
            inner = node.w - 2
            if cell_len(line) > inner:
                raise ValueError(f"label {line!r} is wider than its box {node.id!r} ({inner} cells)")
            canvas.write(node.x + 1 + (inner - cell_len(line) + 1) // 2, top + i, line)
    elif node.shape == "op":
        canvas.write(node.x + (node.w - 2 - cell_len(text)) // 2, node.y, "(" + text + ")")
    elif node.shape == "text":
        for i, line in enumerate(text.split("\n")):
            x = node.x if node.align == "left" else node.x + (node.w - cell_len(line)) // 2
            canvas.write(x, node.y + i, line)


def _draw_grid(canvas: Canvas, grid: Grid) -> None:
    canvas.begin(outline=True)
    for r in range(grid.rows + 1):
        a, b = grid.corner(r, 0), grid.corner(r, grid.cols)
        canvas.segment(a, b, LIGHT)
    for c in range(grid.cols + 1):
        canvas.segment(grid.corner(0, c), grid.corner(grid.rows, c), LIGHT)
    for r0, c0, r1, c1, line in grid.frames:
        if line == "dashed":  # a ghost (the next window): pictures only, it would hide the grid here
            continue
        (x0, y0), (x1, y1) = grid.corner(r0, c0), grid.corner(r1 + 1, c1 + 1)
        canvas.rectangle(x0, y0, x1, y1, HEAVY if line != "light" else LIGHT)
    for r, row in enumerate(grid.values):
        for c, value in enumerate(row):
            x, y = grid.centre(r, c)
            width = cell_len(value)
            canvas.write(x - (width - 1) // 2 if width < 3 else x - 1, y, value)


def render(diagram: Diagram, lang: str = "en") -> list[str]:
    """The diagram as text lines, each at most `diagram.width` cells wide."""
    canvas = Canvas(diagram.width, diagram.height)
    nodes = {n.id: n for n in diagram.nodes}
    for grid in diagram.grids:
        _draw_grid(canvas, grid)
    shown = [node for node in diagram.nodes if node.only != "picture"]
    for node in shown:
        if node.shape in BOXES:
            _draw_node(canvas, node, lang)
    for edge in diagram.edges:
        if edge.only != "picture":
            _draw_edge(canvas, edge, nodes)
    for node in shown:
        if node.shape not in BOXES:
            _draw_node(canvas, node, lang)
    return canvas.lines()
