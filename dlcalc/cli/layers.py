"""`dlcalc conv` and `dlcalc pool`: one layer's output shape and parameters."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import CheckOpt, JsonOpt, Lang, LangOpt, LatexOpt, MdOpt, Output, emit

InputArg = Annotated[
    str,
    typer.Argument(metavar="INPUT", help="Input size: H, HxW or CxHxW (x, × or * between sizes).", show_default=False),
]
KernelOpt = Annotated[str, typer.Option("--kernel", "-k", help="Kernel size: N or NxM (height x width).")]
PaddingHelp = "Zero padding on each side: N or NxM"


@app.command()
def conv(
    input: InputArg,
    kernel: KernelOpt,
    stride: Annotated[str, typer.Option("--stride", "-s", help="Stride: N or NxM.")] = "1",
    padding: Annotated[str, typer.Option("--padding", "-p", help=PaddingHelp + ", 'same' or 'valid'.")] = "0",
    dilation: Annotated[str, typer.Option("--dilation", "-d", help="Dilation: N or NxM.")] = "1",
    out_channels: Annotated[
        Optional[str], typer.Option("--out-channels", "-o", help="Number of kernels F (output channels).")
    ] = None,
    groups: Annotated[str, typer.Option("--groups", "-g", help="Grouped convolution: groups dividing C and F.")] = "1",
    no_bias: Annotated[bool, typer.Option("--no-bias", help="The layer has no bias terms.")] = False,
    transposed: Annotated[
        bool, typer.Option("--transposed", help="A transposed convolution (ConvTranspose2d).")
    ] = False,
    output_padding: Annotated[
        str, typer.Option("--output-padding", help="Extra rows/columns on one side (transposed only): N or NxM.")
    ] = "0",
    json: JsonOpt = False,
    latex: LatexOpt = False,
    md: MdOpt = False,
    lang: LangOpt = Lang.en,
    check: CheckOpt = False,
) -> None:
    """Output shape and parameter count of one convolution layer, worked step by step.

    Example (AlexNet CONV1): dlcalc conv 3x227x227 -k 11 -s 4 -o 96
    """
    from dlcalc.solvers import conv as solver

    out = Output(json, latex, md, lang, check)
    spec = solver.parse_spec(
        {
            "input": input,
            "kernel": kernel,
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
            "out_channels": out_channels,
            "groups": groups,
            "bias": not no_bias,
            "transposed": transposed,
            "output_padding": output_padding,
        }
    )
    emit(solver.solve(spec), out)


@app.command()
def pool(
    input: InputArg,
    kernel: KernelOpt,
    stride: Annotated[
        Optional[str], typer.Option("--stride", "-s", help="Stride: N or NxM  [default: the kernel size]")
    ] = None,
    padding: Annotated[str, typer.Option("--padding", "-p", help=PaddingHelp + " (at most half the kernel).")] = "0",
    dilation: Annotated[str, typer.Option("--dilation", "-d", help="Dilation (max pooling only): N or NxM.")] = "1",
    avg: Annotated[bool, typer.Option("--avg", help="Average pooling instead of max pooling.")] = False,
    ceil_mode: Annotated[
        bool, typer.Option("--ceil-mode", help="Round the output size up (torch's ceil_mode).")
    ] = False,
    json: JsonOpt = False,
    latex: LatexOpt = False,
    md: MdOpt = False,
    lang: LangOpt = Lang.en,
    check: CheckOpt = False,
) -> None:
    """Output shape of one max or average pooling layer, worked step by step.

    Example (AlexNet POOL1): dlcalc pool 96x55x55 -k 3 -s 2
    """
    from dlcalc.solvers import pool as solver

    out = Output(json, latex, md, lang, check)
    spec = solver.parse_spec(
        {
            "input": input,
            "kernel": kernel,
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
            "ceil_mode": ceil_mode,
            "avg": avg,
        }
    )
    emit(solver.solve(spec), out)
