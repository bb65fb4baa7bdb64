"""`dlcalc bptt`: built from the bptt solver's declaration, plus `--png` (the gradient through time
drawn with matplotlib, imported only then) and `--full` (every derivation step of a long one)."""

from __future__ import annotations

from typing import Any

from dlcalc.declare import Input, Solver
from dlcalc.text import T

OPTIONS = (
    Input("png", help=T("Also draw ‖∂h_T/∂h_t‖ against the lag to a PNG file (matplotlib).",
                        "另把 ‖∂h_T/∂h_t‖ 随时间间隔的变化画成 PNG 文件（matplotlib）。"), metavar="FILE"),
    Input("full", help=T("Show every derivation step (a long derivation is folded).", "显示全部推导步骤（较长的推导默认折叠）。"),
          switch=True),
)  # fmt: skip


def run_command(
    solver: Solver, inputs: dict[str, Any], options: dict[str, Any], out: Any, pictures: dict[str, str]
) -> None:
    import typer

    from dlcalc.cli.options import emit
    from dlcalc.solvers import bptt, spec_of

    result = bptt.solve(spec_of("bptt", inputs))
    result.show_steps = result.show_steps or bool(options.get("full"))
    if options.get("png") is not None:
        draw_png(options["png"], result, out.lang)
        typer.echo("dlcalc: " + T("wrote {p}", "已写入 {p}")(out.lang).format(p=options["png"]), err=True)
    emit(result, out)


def draw_png(path: str, result: Any, lang: str = "en") -> None:
    """‖∂h_T/∂h_t‖₂ against the lag T − t on a log axis; for an LSTM the cell path ‖Π f_k‖ and
    ‖∂c_T/∂c_t‖₂ beside it; a truncated run marks where the gradient is cut."""
    from dlcalc.quiz.reports import _font_family
    from dlcalc.render.plot import _pyplot, _save

    plt = _pyplot()
    words = {
        "cell": T("cell path ‖Π f_k‖", "细胞通路 ‖Π f_k‖"),
        "x": T("lag T − t", "时间间隔 T − t"),
        "y": T("norm (log scale)", "范数（对数刻度）"),
        "title": T("BPTT: the gradient through time ({c})", "BPTT：梯度随时间的变化（{c}）"),
    }
    family = _font_family(lang, [w(lang) for w in words.values()])
    lang = lang if family else "en"  # no font with the Chinese glyphs: English labels, never boxes
    rows = result.answer["through_time"]
    last = result.answer["time_steps"]
    lags = [r["lag"] for r in rows]

    def positive(values: list[float]) -> list[float]:
        return [v if v > 0 else float("nan") for v in values]  # a log axis cannot show 0

    with plt.rc_context({"font.family": family} if family else {}):
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.semilogy(lags, positive([r["norm"] for r in rows]), "o-", label=f"‖∂h{last}/∂h_t‖₂")
        if result.answer["cell"] == "lstm":
            ax.semilogy(lags, positive([r["cell_path_norm"] for r in rows]), "s--", label=words["cell"](lang))
            ax.semilogy(lags, positive([r["dc_norm"] for r in rows]), "^:", label=f"‖∂c{last}/∂c_t‖₂")
        if result.answer["truncate"] is not None:
            ax.axvline(result.answer["truncate"] - 0.5, color="grey", linestyle="--", label="--truncate")
        ax.set_xlabel(words["x"](lang))
        ax.set_ylabel(words["y"](lang))
        ax.set_xticks(lags)
        ax.set_title(words["title"](lang).format(c=result.answer["cell"].upper()))
        ax.legend(loc="best")
        _save(plt, fig, path)
