"""`dlcalc bptt`: backpropagation through time worked out, and `--png`, the gradient-through-time picture.

The solver (dlcalc.solvers.bptt) does the mathematics; this module reads the options, hands the
result to the one renderer, and draws the picture with matplotlib (imported only for --png).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Output, emit, output_options
from dlcalc.cli.sequences import BhhOpt, BihOpt, FileArg, H0Opt, SetOpt, WhhOpt, WihOpt, XOpt, collect


class Cell(str, Enum):
    rnn = "rnn"
    lstm = "lstm"


class Loss(str, Enum):
    half_sse = "half_sse"
    mse = "mse"


@app.command()
@output_options
def bptt(
    file: FileArg = None,
    x: XOpt = None,
    target: Annotated[
        Optional[str],
        typer.Option(
            "--target",
            help='One target per step "0; 0; 1" (rows of vectors "1,0; 0,1"), or one value for the last step only.',
        ),
    ] = None,
    cell: Annotated[Optional[Cell], typer.Option("--cell", help="rnn or lstm.  [default: rnn]")] = None,
    h0: H0Opt = None,
    c0: Annotated[Optional[str], typer.Option("--c0", help="LSTM: initial cell state.  [default: zeros]")] = None,
    weight_ih: WihOpt = None,
    weight_hh: WhhOpt = None,
    bias_ih: BihOpt = None,
    bias_hh: BhhOpt = None,
    nonlinearity: Annotated[
        Optional[str], typer.Option("--nonlinearity", help="RNN: tanh or relu.  [default: tanh]")
    ] = None,
    loss: Annotated[
        Optional[Loss],
        typer.Option("--loss", help="half_sse: Σ ½(o − y)², as backprop; mse: torch.nn.MSELoss.  [default: half_sse]"),
    ] = None,
    lr: Annotated[Optional[str], typer.Option("--lr", help="Learning rate of the update.  [default: 0.1]")] = None,
    truncate: Annotated[
        Optional[int],
        typer.Option("--truncate", metavar="K", help="Truncated BPTT: each loss flows back K steps only."),
    ] = None,
    png: Annotated[
        Optional[str],
        typer.Option("--png", metavar="FILE", help="Also draw ‖∂h_T/∂h_t‖ against the lag to a PNG (matplotlib)."),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Show every derivation step (a long one is folded).")] = False,
    set_: SetOpt = None,
    out: Output | None = None,
) -> None:
    """Backpropagation through time: δh_t back along the sequence, each gradient as a sum over steps, the update,
    and ‖∂h_T/∂h_t‖ for every lag (the vanishing gradient; for an LSTM beside the cell path).

    Example: dlcalc bptt --x "1; 2; 3" --set W=0.5 --set U=0.1 --target 0.5
    """
    from dlcalc.solvers import bptt as solver

    inputs = collect(
        file,
        {
            "x": x,
            "target": target,
            "cell": cell.value if cell else None,
            "h0": h0,
            "c0": c0,
            "weight_ih": weight_ih,
            "weight_hh": weight_hh,
            "bias_ih": bias_ih,
            "bias_hh": bias_hh,
            "nonlinearity": nonlinearity,
            "loss": loss.value if loss else None,
            "lr": lr,
            "truncate": truncate,
        },
        set_,
    )
    result = solver.solve(solver.parse_spec(inputs))
    result.show_steps = result.show_steps or full
    if png is not None:
        from dlcalc.text import T

        lang = out.lang if out is not None else "en"
        draw_png(png, result, lang)
        typer.echo("dlcalc: " + T("wrote {p}", "已写入 {p}")(lang).format(p=png), err=True)
    emit(result, out)


def draw_png(path: str, result: Any, lang: str = "en") -> None:
    """‖∂h_T/∂h_t‖₂ against the lag T − t on a log axis; for an LSTM the cell path ‖Π f_k‖ and
    ‖∂c_T/∂c_t‖₂ beside it; a truncated run marks where the gradient is cut."""
    from dlcalc.quiz.reports import _font_family
    from dlcalc.render.plot import _pyplot, _save
    from dlcalc.text import T

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
