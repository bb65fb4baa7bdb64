"""`dlcalc gd`: built from the gd solver's declaration, plus `--png FILE` for the loss curves."""

from __future__ import annotations

from typing import Any

from dlcalc.declare import Input, Solver
from dlcalc.text import T

OPTIONS = (
    Input("full", help=T("Show the worked updates in the terminal with --compare too.", "配合 --compare 时也在终端显示逐次更新的推导。"),
          switch=True),
    Input("png", help=T("Plot the loss after every update (each batch size with --compare) to a PNG file.",
                        "把每次更新后的损失（配合 --compare 时为各批大小）画成 PNG 文件。"), metavar="FILE"),
)  # fmt: skip


def run_command(solver: Solver, inputs: dict[str, Any], options: dict[str, Any], out: Any, pictures: dict[str, str]) -> None:
    from dlcalc.cli.options import emit
    from dlcalc.solvers import gd, spec_of

    result = gd.solve(spec_of("gd", inputs))
    if options.get("full"):
        result.show_steps = True
    if options.get("png") is not None:
        import typer

        from dlcalc.text import T

        loss_png(options["png"], result)
        typer.echo("dlcalc: " + T("wrote {p}", "已写入 {p}")(out.lang).format(p=options["png"]), err=True)
    emit(result, out)


def loss_png(path: str, result: Any) -> None:
    """The loss over all samples after each update against the epoch, one line per batch size."""
    from dlcalc.render.plot import _pyplot, _save

    plt = _pyplot()
    a = result.answer
    runs = a.get("compare") or {
        str(a["batch_size"]): {"batch_size": a["batch_size"], "updates_per_epoch": a["updates_per_epoch"],
                               "initial_loss": a["initial_loss"], "update_loss": [h["loss"] for h in a["history"]]}
    }  # fmt: skip
    n = a["samples"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for run in runs.values():
        b, per = run["batch_size"], run["updates_per_epoch"]
        xs = [0.0] + [(k + 1) / per for k in range(len(run["update_loss"]))]
        ys = [float(run["initial_loss"])] + [float(v) for v in run["update_loss"]]
        kind = "batch GD" if b == n else "SGD" if b == 1 else "mini-batch"
        ax.plot(xs, ys, marker="." if per > 1 else "o", label=f"B = {b} ({kind})")
    values = [float(v) for run in runs.values() for v in [run["initial_loss"], *run["update_loss"]]]
    if min(values) > 0 and max(values) / min(values) > 50:  # as the terminal chart: the tail stays readable
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss over all {n} samples")
    ax.set_title(f"gradient descent: {a['model']}, lr = {float(a['lr']):g}")
    ax.legend(loc="best")
    _save(plt, fig, path)
