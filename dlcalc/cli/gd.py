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

        loss_png(options["png"], result, out.lang)
        typer.echo("dlcalc: " + T("wrote {p}", "已写入 {p}")(out.lang).format(p=options["png"]), err=True)
    emit(result, out)


def loss_png(path: str, result: Any, lang: str = "en") -> None:
    """The loss over all samples after each update against the epoch, one line per batch size."""
    from dlcalc.render.plot import _pyplot

    plt = _pyplot()
    a = result.answer
    runs = a.get("compare") or {
        str(a["batch_size"]): {"batch_size": a["batch_size"], "updates_per_epoch": a["updates_per_epoch"],
                               "initial_loss": a["initial_loss"], "update_loss": [h["loss"] for h in a["history"]]}
    }  # fmt: skip
    if lang == "zh":  # the Chinese labels in the bundled CJK font, as `draw` writes them
        from dlcalc.draw.figure import FAMILY, _matplotlib

        with _matplotlib().rc_context({"font.family": FAMILY}):
            _loss_figure(plt, path, runs, a, lang)
    else:
        _loss_figure(plt, path, runs, a, lang)


def _loss_figure(plt: Any, path: str, runs: dict[str, Any], a: dict[str, Any], lang: str) -> None:
    from dlcalc.render.plot import _save

    n = a["samples"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for run in runs.values():
        b, per = run["batch_size"], run["updates_per_epoch"]
        xs = [0.0] + [(k + 1) / per for k in range(len(run["update_loss"]))]
        ys = [float(run["initial_loss"])] + [float(v) for v in run["update_loss"]]
        # in Chinese by how many samples: the bundled CJK font (dlcalc/draw/fonts) has no 批
        kind = (T("batch GD", "全部样本") if b == n else T("SGD", "单个样本") if b == 1 else T("mini-batch", "部分样本"))(lang)
        ax.plot(xs, ys, marker="." if per > 1 else "o", label=f"B = {b} ({kind})" if lang != "zh" else f"B = {b}（{kind}）")
    values = [float(v) for run in runs.values() for v in [run["initial_loss"], *run["update_loss"]]]
    if min(values) > 0 and max(values) / min(values) > 50:  # as the terminal chart: the tail stays readable
        ax.set_yscale("log")
    ax.set_xlabel(T("epoch", "轮")(lang))
    ax.set_ylabel(T("loss over all {n} samples", "全部 {n} 个样本上的损失").format(n=n)(lang))
    ax.set_title(T("gradient descent: {m}, lr = {lr}", "梯度下降：{m}，lr = {lr}").format(m=a["model"], lr=f"{float(a['lr']):g}")(lang))
    ax.legend(loc="best")
    _save(plt, fig, path)
