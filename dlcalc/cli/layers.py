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
            metavar="LAYER...", help='Layers in PyTorch syntax, e.g. "Conv2d(3, 64, 3)" "ReLU()".', show_default=False
        ),
    ] = None,
    input: Annotated[
        Optional[str], typer.Option("--input", "-i", help="Input shape CxHxW (or F for a linear net).")
    ] = None,
    file: Annotated[
        Optional[str],
        typer.Option("--file", "-f", help="YAML (input, layers) or pasted PyTorch code.", show_default=False),
    ] = None,
    model: Annotated[
        Optional[str], typer.Option("--model", "-m", help="A classic network (see --list-models).")
    ] = None,
    list_models: Annotated[bool, typer.Option("--list-models", help="List the classic networks and exit.")] = False,
    layout: LayoutOpt = Layout.auto,
    steps: Annotated[bool, typer.Option("--steps", help="Print every layer's derivation, however long.")] = False,
    png: Annotated[Optional[str], typer.Option("--png", metavar="FILE", help="Save the worked picture as a PNG file.")] = None,
    svg: Annotated[Optional[str], typer.Option("--svg", metavar="FILE", help="Save the worked picture as an SVG file.")] = None,
    out: Output | None = None,
) -> None:
    """A whole network's shapes, parameters, multiply-adds and receptive fields, like torchinfo without torch.

    Example: dlcalc net -i 1x28x28 "Conv2d(1, 25, 3)" "MaxPool2d(2)" "Conv2d(25, 50, 3)" "MaxPool2d(2)"
    """
    if list_models:
        _list_models(out)
        return
    from dlcalc.solvers import net as solver

    inputs: dict = {}
    if file is not None:
        inputs.update(_net_file(file))
    if model is not None:
        inputs["model"] = model
    if input is not None:
        inputs["input"] = input
        inputs["layout"] = layout.value
    if layers:
        inputs["layers"] = layers
    result = solver.solve(solver.parse_spec(inputs))
    result.show_steps = result.show_steps or steps
    from dlcalc.cli.build import save_pictures

    save_pictures(result, {k: v for k, v in (("png", png), ("svg", svg)) if v is not None}, out.lang)
    emit(result, out)


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
    from dlcalc.models import load_model, model_names

    rows = [
        {"name": n, **{k: load_model(n)[k] for k in ("variant", "input", "published_params", "source")}}
        for n in model_names()
    ]
    if out.json:
        import json as json_module

        print(json_module.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    from dlcalc.render.terminal import print_table

    print_table(
        Console(highlight=False),
        ["name", "variant", "input", "params"],
        [[r["name"], r["variant"], r["input"], f"{r['published_params']:,}"] for r in rows],
        title="dlcalc net --model NAME",
    )
