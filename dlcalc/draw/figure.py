"""The picture back-end: the same diagram drawn with matplotlib, to PNG or SVG.

Each terminal cell is CELL_W × CELL_H inches, so the layout is the terminal's; boxes get fills,
operators become circles, corners are rounded and the heavy paths are coloured. Chinese labels use
the bundled subset of Noto Sans CJK SC (fonts/, SIL OFL 1.1), registered here at draw time, with
DejaVu Sans (shipped with matplotlib) for Latin, Greek and the subscript letters.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from rich.cells import cell_len

from dlcalc.draw.legend import legend
from dlcalc.draw.model import Diagram, Grid, Node, say
from dlcalc.errors import DlcalcError

CELL_W = 0.1  # inches per terminal column
CELL_H = 0.2  # inches per terminal row
DPI = 150
TITLE_ROWS = 2  # above the diagram
GAP_ROWS = 1  # between the diagram and its legend
MARGIN_ROWS = 1  # under the legend
MARGIN_COLS = 1  # left and right
FONT_SIZE = 9
FONT_FILES = [Path(__file__).parent / "fonts" / f"DlcalcSansCJK-{w}.otf" for w in ("Regular", "Bold")]
CJK_FAMILY = "dlcalc Sans CJK"
FAMILY = ["DejaVu Sans", CJK_FAMILY]
# what an SVG viewer should try for the Chinese text, when it lacks the bundled font
SVG_FAMILIES = f"'{CJK_FAMILY}', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"

FILL = {
    "plain": "#ffffff",
    "layer": "#f3f7fb",
    "nucleus": "#ffffff",
    "reduce": "#e3f0d3",
    "w1": "#ffd6a5",
    "w2": "#caffbf",
    "w3": "#9bf6ff",
    "w4": "#ffc6ff",
    "input": "#eef2f7",
    "gate": "#ffe7a0",
    "act": "#ffd0b0",
    "op": "#ffffff",
    "attn": "#fcd5b5",
    "norm": "#f4efa6",
    "ff": "#c6e4f6",
    "embed": "#f5cfd6",
    "linear": "#d9dcf7",
    "conv": "#cfe8cf",
    "pool": "#efd3f2",
    "concat": "#e4e4e4",
    "neuron": "#dbe9f6",
    "soma": "#f7d9c4",
    "myelin": "#f3e6b3",
    "padding": "#e4e4e4",
    "hit": "#ffd8a8",
    "hit-padding": "#e8c9a4",
    "dropped": "#d0d0d0",
    "value": "#fff5d6",
    "grad": "#e3f1e3",
}
INK = "#262626"
HEAVY = "#1f5fa8"
FRAME = {"heavy": "#d1495b", "light": "#1f5fa8", "dashed": "#1f5fa8"}

_registered = False


def text_cells(text: str) -> float:
    """About how many terminal cells wide `text` is in the picture: a Chinese character is one em,
    DejaVu Sans averages 0.62 em (so the legend uses the picture's full width)."""
    ems = sum(1.0 if cell_len(c) == 2 else 0.62 for c in text)
    return ems * FONT_SIZE / 72 / CELL_W


def pixel_size(diagram: Diagram, lang: str) -> tuple[int, int]:
    """The PNG's size: the diagram's cells, a title above and the legend below."""
    rows = TITLE_ROWS + diagram.height + GAP_ROWS + len(legend(diagram, lang, text_cells)[1]) + MARGIN_ROWS
    return round((diagram.width + 2 * MARGIN_COLS) * CELL_W * DPI), round(rows * CELL_H * DPI)


def _matplotlib():
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        raise DlcalcError("--png/--svg need matplotlib: pip install matplotlib") from None
    global _registered
    if not _registered:
        for file in FONT_FILES:
            font_manager.fontManager.addfont(str(file))
        _registered = True
    return matplotlib


def save(diagram: Diagram, lang: str, path: str, fmt: str) -> tuple[int, int]:
    """Write the picture as fmt ("png" or "svg"); returns its size in pixels."""
    matplotlib = _matplotlib()
    with matplotlib.rc_context({"font.family": FAMILY, "font.size": FONT_SIZE, "svg.fonttype": "none"}):
        fig = _figure(diagram, lang)
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    data = buffer.getvalue()
    if fmt == "svg":  # text stays text; name fallbacks for viewers without the bundled font
        data = data.replace(f"'{CJK_FAMILY}'".encode(), SVG_FAMILIES.encode())
    else:
        data = _palette(data)
    try:
        Path(path).write_bytes(data)
    except OSError as e:
        raise DlcalcError(f"--{fmt}: cannot write {path!r} ({e.strerror})") from None
    return pixel_size(diagram, lang)


def _palette(png: bytes) -> bytes:
    """The same picture with a 256-colour palette: a diagram has few colours, and the file is a
    third of the size (Pillow comes with matplotlib)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    return out.getvalue()


# --- drawing -----------------------------------------------------------------------------------


def _xy(x: float, y: float) -> tuple[float, float]:
    """The centre of cell (x, y) in inches from the top-left of the figure."""
    return (MARGIN_COLS + x + 0.5) * CELL_W, (TITLE_ROWS + y + 0.5) * CELL_H


def _figure(diagram: Diagram, lang: str):
    from matplotlib.figure import Figure

    width_px, height_px = pixel_size(diagram, lang)
    width, height = width_px / DPI, height_px / DPI
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()

    ax.text(
        _xy(0, 0)[0] - 0.5 * CELL_W,
        1.0 * CELL_H,
        diagram.title(lang),
        fontsize=13,
        fontweight="bold",
        va="center",
        color=INK,
    )
    for grid in diagram.grids:
        _grid(ax, grid)
    circles: dict[str, tuple[float, float, float]] = {}
    nodes = [node for node in diagram.nodes if node.only != "terminal"]
    for node in nodes:
        if node.shape in ("box", "round", "ellipse"):
            _box(ax, node, lang)
        elif node.shape == "op":
            circles[node.id] = _circle(ax, node, lang)
    for edge in diagram.edges:
        if edge.only != "terminal":
            _edge(ax, edge, circles)
    for node in nodes:
        if node.shape == "text":
            _text(ax, node, lang)
    _legend(ax, diagram, lang)
    return fig


def _box(ax, node: Node, lang: str) -> None:
    from matplotlib.patches import Ellipse, FancyBboxPatch

    (x0, y0), (x1, y1) = _xy(node.x, node.y), _xy(node.x + node.w - 1, node.y + node.h - 1)
    fill = FILL.get(node.kind, "#ffffff")
    if node.kind == "frame":  # a group drawn around other boxes ("N×" in a transformer)
        ax.add_patch(
            FancyBboxPatch(
                (x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.12", facecolor="#f4f4f4",
                edgecolor="#8c8c8c", linewidth=1.0, zorder=0,
            )
        )  # fmt: skip
    elif node.shape == "ellipse":
        ax.add_patch(
            Ellipse(((x0 + x1) / 2, (y0 + y1) / 2), x1 - x0, y1 - y0, facecolor=fill, edgecolor=INK, lw=1.2, zorder=2)
        )
    else:
        style = "round,pad=0,rounding_size=0.08" if node.shape == "round" else "round,pad=0,rounding_size=0.03"
        ax.add_patch(
            FancyBboxPatch(
                (x0, y0), x1 - x0, y1 - y0, boxstyle=style, facecolor=fill, edgecolor=INK, linewidth=1.0, zorder=2
            )
        )
    lines = say(node.label, lang).split("\n") if say(node.label, lang) else []
    top = node.y + 1 + max(0, (node.h - 2 - len(lines)) // 2)
    cx = (x0 + x1) / 2
    if len(lines) == 1 and node.h % 2 == 0:  # one line in an even-height box: centre it exactly
        ax.text(cx, (y0 + y1) / 2, lines[0], ha="center", va="center", color=INK, zorder=4)
        return
    for i, line in enumerate(lines):
        ax.text(cx, _xy(0, top + i)[1], line, ha="center", va="center", color=INK, zorder=4)


def _circle(ax, node: Node, lang: str) -> tuple[float, float, float]:
    from matplotlib.patches import Circle

    label = say(node.label, lang)
    x0, y = _xy(node.x, node.y)
    x1, _ = _xy(node.x + node.w - 1, node.y)
    cx = (x0 + x1) / 2
    r = max(0.095, cell_len(label) * CELL_W * 0.45 + 0.05)
    ax.add_patch(Circle((cx, y), r, facecolor=FILL.get(node.kind, "#ffffff"), edgecolor=INK, linewidth=1.0, zorder=3))
    big = len(label) == 1 and not label.isalnum()
    ax.text(cx, y, label, ha="center", va="center_baseline", fontsize=12 if big else FONT_SIZE, color=INK, zorder=4)
    return cx, y, r


def _text(ax, node: Node, lang: str) -> None:
    for i, line in enumerate(say(node.label, lang).split("\n")):
        if node.align == "left":
            x, ha = _xy(node.x, 0)[0] - 0.5 * CELL_W, "left"
        else:
            x, ha = (_xy(node.x, 0)[0] + _xy(node.x + node.w - 1, 0)[0]) / 2, "center"
        weight = "bold" if node.bold else "normal"
        colour = "#555555" if node.kind == "caption" else INK
        patch = {"facecolor": "white", "edgecolor": "none", "pad": 1.0} if node.kind == "tag" else None
        ax.text(
            x, _xy(0, node.y + i)[1], line, ha=ha, va="center", fontweight=weight, color=colour, zorder=5, bbox=patch
        )


def _grid(ax, grid: Grid) -> None:
    from matplotlib.patches import Rectangle

    for r in range(grid.rows):
        for c in range(grid.cols):
            (x0, y0), (x1, y1) = _xy(*grid.corner(r, c)), _xy(*grid.corner(r + 1, c + 1))
            fill = FILL.get(grid.shade.get((r, c), ""), "#ffffff")
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=fill, edgecolor="#9a9a9a", linewidth=0.7))
            # on a patch of the cell's own colour, so a line drawn across the grid never covers a value
            patch = {"facecolor": fill, "edgecolor": "none", "pad": 0.6}
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, grid.values[r][c], ha="center", va="center", color=INK, zorder=4,
                    bbox=patch if grid.values[r][c] else None)  # fmt: skip
    for r0, c0, r1, c1, line in grid.frames:
        (x0, y0), (x1, y1) = _xy(*grid.corner(r0, c0)), _xy(*grid.corner(r1 + 1, c1 + 1))
        ax.add_patch(
            Rectangle(
                (x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=FRAME.get(line, INK),
                linewidth=2.4 if line == "heavy" else 1.6, linestyle="--" if line == "dashed" else "-", zorder=3,
            )
        )  # fmt: skip


def _edge(ax, edge, circles) -> None:
    from matplotlib.patches import FancyArrowPatch, PathPatch
    from matplotlib.path import Path as MPath

    pts = [_xy(*p) for p in edge.points]
    for index, node_id in ((0, edge.src), (-1, edge.dst)):
        if node_id in circles:  # stop at the circle's rim
            cx, cy, r = circles[node_id]
            other = pts[1] if index == 0 else pts[-2]
            dx, dy = other[0] - cx, other[1] - cy
            d = math.hypot(dx, dy) or 1.0
            pts[index] = (cx + dx / d * r, cy + dy / d * r)
    verts, codes = _rounded(pts, 0.35 if edge.curve else 0.035)
    heavy = edge.line == "heavy"
    colour = HEAVY if heavy else ("#5a5a5a" if edge.line == "dashed" else INK)
    width = 2.6 if heavy else 1.1
    dashes = (0, (4, 3)) if edge.line == "dashed" else "solid"
    if edge.arrow == "start":
        verts, codes = _reverse(verts, codes)
    path = MPath(verts, codes)
    if edge.arrow == "none":
        ax.add_patch(PathPatch(path, fill=False, edgecolor=colour, linewidth=width, linestyle=dashes, zorder=1))
        return
    style = "<|-|>" if edge.arrow == "both" else "-|>"
    head = f"{style},head_length={0.5 if heavy else 0.45},head_width={0.3 if heavy else 0.22}"
    ax.add_patch(
        FancyArrowPatch(
            path=path, arrowstyle=head, mutation_scale=12 if heavy else 10, color=colour, linewidth=width,
            linestyle=dashes, shrinkA=0, shrinkB=0, zorder=1,
        )
    )  # fmt: skip


def _rounded(pts, radius: float):
    """A polyline whose corners are quadratic curves of the given radius (inches)."""
    from matplotlib.path import Path as MPath

    verts = [pts[0]]
    codes = [MPath.MOVETO]
    for i in range(1, len(pts) - 1):
        (ax_, ay), (bx, by), (cx, cy) = pts[i - 1], pts[i], pts[i + 1]
        din = math.hypot(bx - ax_, by - ay) or 1.0
        dout = math.hypot(cx - bx, cy - by) or 1.0
        r = min(radius, din / 2, dout / 2)
        start = (bx - (bx - ax_) / din * r, by - (by - ay) / din * r)
        end = (bx + (cx - bx) / dout * r, by + (cy - by) / dout * r)
        verts += [start, (bx, by), end]
        codes += [MPath.LINETO, MPath.CURVE3, MPath.CURVE3]
    verts.append(pts[-1])
    codes.append(MPath.LINETO)
    return verts, codes


def _reverse(verts, codes):
    from matplotlib.path import Path as MPath

    rv = list(reversed(verts))
    rc = [MPath.MOVETO]
    rest = list(reversed(codes[1:]))  # segment codes mirror; CURVE3 pairs stay pairs
    rc += rest
    return rv, rc


def _legend(ax, diagram: Diagram, lang: str) -> None:
    column, rows = legend(diagram, lang, text_cells)
    if not rows:
        return
    top = diagram.height + GAP_ROWS
    ax.plot([0.5 * CELL_W, (diagram.width - 0.5) * CELL_W], [_xy(0, top - 0.5)[1]] * 2, color="#bbbbbb", lw=0.8)
    for i, (kind, label, text) in enumerate(rows):
        y = _xy(0, top + i)[1]
        if kind == "note":
            ax.text(_xy(0, 0)[0], y, label, va="center", color=INK)
            ax.text(_xy(2, 0)[0] - 0.5 * CELL_W, y, text, va="center", color="#444444", style="italic")
            continue
        if label:
            ax.text(_xy(0, 0)[0] - 0.5 * CELL_W, y, label, va="center", fontweight="bold", color=INK)
        if text:
            ax.text(_xy(column + 2, 0)[0] - 0.5 * CELL_W, y, text, va="center", color=INK)
