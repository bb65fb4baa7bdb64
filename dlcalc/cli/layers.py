"""`dlcalc conv` and `dlcalc pool`: one layer's output shape and parameters."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Output, emit, output_options


class Unknown(str, Enum):
    padding = "padding"
    stride = "stride"
    kernel = "kernel"


class Layout(str, Enum):
    auto = "auto"
    chw = "chw"
    hwc = "hwc"


InputArg = Annotated[
    str,
    typer.Argument(
        metavar="INPUT", help="Input size: H, HxW, CxHxW or HxWxC (x, × or * between sizes).", show_default=False
    ),
]
KernelOpt = Annotated[
    Optional[str],
    typer.Option("--kernel", "-k", help="Kernel size: N or NxM (height x width).", show_default=False),
]
PaddingHelp = "Zero padding on each side: N or NxM"
LayoutOpt = Annotated[
    Layout,
    typer.Option(
        "--layout",
        help="Order of a 3-size input: chw (torch), hwc (channels last, 227x227x3), or auto: hwc when the "
        "last size is 1, 3 or 4 and far smaller than the other two.",
    ),
]
TargetOpt = Annotated[
    Optional[str], typer.Option("--target", help="Wanted output size (H or HxW), with --solve.", show_default=False)
]
SolveOpt = Annotated[
    Optional[Unknown], typer.Option("--solve", help="Find every value of this setting that gives --target.")
]


def _inverse(module_name: str, inputs: dict, target: str | None, solve: Unknown | None, out: Output) -> bool:
    """Answer --target/--solve when given (True), with the same pairing rule for conv and pool."""
    if solve is None and target is None:
        return False
    import importlib

    from dlcalc.errors import DlcalcError

    if solve is None or target is None:
        raise DlcalcError("--target and --solve go together, e.g. --target 56 --solve padding")
    module = importlib.import_module(f"dlcalc.solvers.{module_name}")
    spec = module.parse_spec({**inputs, "target": target, "solve": solve.value})
    emit(module.solve(spec), out)
    return True


@app.command()
@output_options
def conv(
    input: InputArg,
    kernel: KernelOpt = None,
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
    layout: LayoutOpt = Layout.auto,
    target: TargetOpt = None,
    solve: SolveOpt = None,
    out: Output | None = None,
) -> None:
    """Output shape and parameter count of one convolution layer, worked step by step.

    Example (AlexNet CONV1): dlcalc conv 3x227x227 -k 11 -s 4 -o 96
    Inverse question: dlcalc conv 64x56x56 -k 3 --target 56 --solve padding
    """
    inputs = {
        "input": input, "kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation,
        "out_channels": out_channels, "groups": groups, "bias": not no_bias, "transposed": transposed,
        "output_padding": output_padding, "layout": layout.value,
    }  # fmt: skip
    if _inverse("conv_inverse", inputs, target, solve, out):
        return
    from dlcalc.solvers import conv as solver

    emit(solver.solve(solver.parse_spec(inputs)), out)


@app.command()
@output_options
def pool(
    input: InputArg,
    kernel: KernelOpt = None,
    stride: Annotated[
        Optional[str], typer.Option("--stride", "-s", help="Stride: N or NxM  [default: the kernel size]")
    ] = None,
    padding: Annotated[str, typer.Option("--padding", "-p", help=PaddingHelp + " (at most half the kernel).")] = "0",
    dilation: Annotated[str, typer.Option("--dilation", "-d", help="Dilation (max pooling only): N or NxM.")] = "1",
    avg: Annotated[bool, typer.Option("--avg", help="Average pooling instead of max pooling.")] = False,
    ceil_mode: Annotated[
        bool, typer.Option("--ceil-mode", help="Round the output size up (torch's ceil_mode).")
    ] = False,
    layout: LayoutOpt = Layout.auto,
    target: TargetOpt = None,
    solve: SolveOpt = None,
    out: Output | None = None,
) -> None:
    """Output shape of one max or average pooling layer, worked step by step.

    Example (AlexNet POOL1): dlcalc pool 96x55x55 -k 3 -s 2
    Inverse question: dlcalc pool 64x56x56 --target 7 --solve kernel
    """
    inputs = {
        "input": input, "kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation,
        "ceil_mode": ceil_mode, "avg": avg, "layout": layout.value,
    }  # fmt: skip
    if _inverse("pool_inverse", inputs, target, solve, out):
        return
    from dlcalc.solvers import pool as solver

    emit(solver.solve(solver.parse_spec(inputs)), out)


@app.command()
@output_options
def net(
    layers: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="LAYER...",
            help='Layers in PyTorch syntax, e.g. "Conv2d(3, 64, 3)" "ReLU()"; or one argument holding module '
            "code (class Net(nn.Module): …) or print(model) text.",
            show_default=False,
        ),
    ] = None,
    input: Annotated[
        Optional[list[str]],
        typer.Option(
            "--input",
            "-i",
            help="Input shape CxHxW (or F for a linear net, LxE for a sequence); repeat -i for a forward "
            "that takes several inputs (src, tgt).",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Optional[str],
        typer.Option(
            "--file",
            "-f",
            help="YAML (input, layers), a .py file of module code, or print(model) text.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        Optional[str], typer.Option("--model", "-m", help="A classic network (see --list-models).")
    ] = None,
    class_: Annotated[
        Optional[str],
        typer.Option(
            "--class",
            help="Which class of the module code is the network, or its constructor call: --class Net, "
            "--class 'ResNet(BasicBlock, [2, 2, 2, 2])'.",
            show_default=False,
        ),
    ] = None,
    list_models: Annotated[bool, typer.Option("--list-models", help="List the classic networks and exit.")] = False,
    expand: Annotated[
        bool, typer.Option("--expand", help="Show every layer inside the blocks (they fold into one row each).")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Show everything: every layer (--expand) and every derivation step.")
    ] = False,
    steps: Annotated[bool, typer.Option("--steps", hidden=True, help="Old name of --full.")] = False,
    compare: Annotated[
        Optional[str],
        typer.Option(
            "--compare",
            help="A side-by-side exam comparison: inception-5x5, residual-blocks, resnet50-densenet121 "
            "(or two zoo models: resnet18,resnet50); 'list' lists them.",
            show_default=False,
        ),
    ] = None,
    layout: LayoutOpt = Layout.auto,
    out: Output | None = None,
) -> None:
    """A whole network's shapes, parameters, multiply-adds and receptive fields, like torchinfo without torch.

    Reads layers, PyTorch module code (never run) or print(model) text.

    Example: dlcalc net -i 1x28x28 "Conv2d(1, 25, 3)" "MaxPool2d(2)" "Conv2d(25, 50, 3)" "MaxPool2d(2)"
    """
    assert out is not None
    full = full or steps
    if list_models:
        _list_models(out)
        return
    if compare is not None:
        from dlcalc.solvers import net_compare

        emit(net_compare.solve(net_compare.parse_spec({"compare": compare})), out)
        return
    from dlcalc.solvers import net as solver

    inputs: dict = {}
    if file is not None:
        inputs.update(_net_file(file))
    if model is not None:
        inputs["model"] = model
    if input:
        inputs.pop("inputs", None)
        inputs["input"] = input if len(input) > 1 else input[0]
        inputs["layout"] = layout.value
    if layers:
        inputs["layers"] = layers
    if class_ is not None:
        inputs["class"] = class_
    if expand or full:
        inputs["expand"] = True
    result = solver.solve(solver.parse_spec(inputs))
    result.show_steps = result.show_steps or full
    emit(result, out)
    if steps:  # the old name still works; say once, after the answer, what it is called now
        import sys

        from dlcalc.text import T

        print(
            T("dlcalc: note: --steps is now --full", "dlcalc：提示：--steps 现在叫 --full")(out.lang), file=sys.stderr
        )


def _net_file(path: str) -> dict:
    """A YAML file (input, layers, …) or PyTorch code, told apart before reading: a `.py` file is
    never parsed as YAML (PyYAML on a long comment is slow), a `.yaml`/`.yml` file always is, and
    any other file is YAML when its first line that is not a comment is a `key:` or `{`."""
    from dlcalc.cli.files import load_yaml_text, read_text
    from dlcalc.errors import DlcalcError

    text = read_text(path)
    if not _looks_like_yaml(path, text):
        return {"layers": [text]}
    data = load_yaml_text(text, path)
    if not isinstance(data, dict):
        raise DlcalcError(f"{path}: expected a YAML mapping with input and layers, or PyTorch code in a .py file")
    return data


def _looks_like_yaml(path: str, text: str) -> bool:
    import re
    from pathlib import Path

    suffix = Path(path).suffix.lower()
    if suffix in (".py", ".txt"):
        return False
    if suffix in (".yaml", ".yml", ".json"):
        return True
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        return stripped.startswith("{") or re.match(r"[A-Za-z_][\w-]*\s*:(\s|$)", stripped) is not None
    return False


def _list_models(out: Output) -> None:
    from dlcalc.solvers.net import list_models

    emit(list_models(), out)
