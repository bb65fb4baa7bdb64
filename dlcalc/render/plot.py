"""Pictures of 2-D samples and a linear decision boundary: a text plot for the terminal, or a PNG."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from dlcalc.errors import DlcalcError


def _bounds(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.2 or 1.0
    return lo - pad, hi + pad


def text_plot(
    points: Sequence[Sequence[Fraction]],
    labels: Sequence[Fraction],
    w: Sequence[Fraction],
    b: Fraction | None,
    width: int = 41,
    height: int = 17,
) -> list[str]:
    """A character grid: + and o for the two classes, · where w·x + b changes sign."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    (x0, x1), (y0, y1) = _bounds(xs), _bounds(ys)
    bias = float(b or 0)

    def side(x: float, y: float) -> bool:
        return float(w[0]) * x + float(w[1]) * y + bias > 0

    grid = [[" "] * width for _ in range(height)]
    for r in range(height):
        for c in range(width):
            x = x0 + (x1 - x0) * c / (width - 1)
            y = y1 - (y1 - y0) * r / (height - 1)
            here = side(x, y)
            if (
                c + 1 < width
                and side(x0 + (x1 - x0) * (c + 1) / (width - 1), y) != here
                or r + 1 < height
                and side(x, y1 - (y1 - y0) * (r + 1) / (height - 1)) != here
            ):
                grid[r][c] = "·"
    positive = max(labels)
    for (px, py), label in zip(zip(xs, ys), labels):
        c = round((px - x0) / (x1 - x0) * (width - 1))
        r = round((y1 - py) / (y1 - y0) * (height - 1))
        grid[r][c] = "+" if label == positive else "o"
    lines = [f"{y1:>7.2f} ┤" + "".join(grid[0])]
    lines += ["        │" + "".join(row) for row in grid[1:-1]]
    lines.append(f"{y0:>7.2f} ┤" + "".join(grid[-1]))
    lines.append("        └" + "─" * width)
    lines.append(f"        {x0:<8.2f}{'x1':^{width - 16}}{x1:>8.2f}")
    lines.append("        + positive class   o negative class   · decision boundary w·x + b = 0")
    return lines


def _pyplot():
    """matplotlib's pyplot on the file-only Agg backend, or one line saying how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise DlcalcError("--png needs matplotlib: pip install 'dlcalc[plot]'") from None
    return plt


def _save(plt, fig, path: str) -> None:
    """A PNG whatever the file's name ends in (as `draw` writes its pictures): drawn in memory,
    then written, so a directory or an unwritable path is one clear error."""
    import io

    from dlcalc.text import T

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
    try:
        with open(path, "wb") as f:
            f.write(buffer.getvalue())
    except OSError as e:
        raise DlcalcError(
            T("--png: cannot write {p!r} ({e})", "--png：无法写入 {p!r}（{e}）").format(p=path, e=e.strerror)
        ) from None


def png_plot(path: str, points, labels, w, b, title: str) -> None:
    plt = _pyplot()
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    positive = max(labels)
    fig, ax = plt.subplots(figsize=(5, 4))
    for cls, marker in ((positive, "+"), (None, "o")):
        sel = [(x, y) for x, y, lab in zip(xs, ys, labels) if (lab == positive) == (cls is not None)]
        if sel:
            ax.scatter(*zip(*sel), marker=marker, s=80, label="positive" if cls is not None else "negative")
    (x0, x1), (y0, y1) = _bounds(xs), _bounds(ys)
    w1, w2, bias = float(w[0]), float(w[1]), float(b or 0)
    if w2 != 0:
        ax.plot([x0, x1], [-(w1 * x0 + bias) / w2, -(w1 * x1 + bias) / w2], "k-", label="w·x + b = 0")
    elif w1 != 0:
        ax.axvline(-bias / w1, color="k", label="w·x + b = 0")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    ax.legend(loc="best")
    _save(plt, fig, path)


def optimizer_png(path: str, result) -> None:
    """The parameter path of each optimizer compared (1-D: w against the step; 2-D: the plane)."""
    plt = _pyplot()
    spec = result.spec
    paths = result.answer.get("compare") or {spec.optimizer: result.answer["path"]}
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, points in paths.items():
        full = [list(spec.start)] + points
        if len(spec.start) == 1:
            ax.plot(range(len(full)), [p[0] for p in full], marker="o", label=name)
        else:
            ax.plot([p[0] for p in full], [p[1] for p in full], marker="o", label=name)
    if len(spec.start) == 1:
        ax.set_xlabel("step")
        ax.set_ylabel(spec.names[0] if spec.names else "w")
    else:
        ax.set_xlabel(spec.names[0] if spec.names else "w1")
        ax.set_ylabel(spec.names[1] if len(spec.names) > 1 else "w2")
    ax.set_title(spec.f_text or "given gradients")
    ax.legend(loc="best")
    _save(plt, fig, path)
