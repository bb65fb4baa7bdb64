"""`dlcalc net`: a whole network (its body is the net engineer's; conv and pool are built from their declarations)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Output, emit, output_options


class Layout(str, Enum):
    auto = "auto"
    chw = "chw"
    hwc = "hwc"


LayoutOpt = Annotated[
    Layout,
    typer.Option(
        "--layout",
        help="Order of a 3-size input: chw (torch), hwc (channels last, 227x227x3), or auto: hwc when the "
        "last size is 1, 3 or 4 and far smaller than the other two.",
    ),
]


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
    png: Annotated[Optional[str], typer.Option("--png", metavar="FILE", help="Save the worked picture as a PNG file.")] = None,
    svg: Annotated[Optional[str], typer.Option("--svg", metavar="FILE", help="Save the worked picture as an SVG file.")] = None,
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
    from dlcalc.cli.build import save_pictures

    save_pictures(result, {k: v for k, v in (("png", png), ("svg", svg)) if v is not None}, out.lang)
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
