"""`dlcalc net`: a whole network (its body is the net engineer's; conv and pool are built from their declarations)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.build import PNG, SVG, say
from dlcalc.cli.options import Output, emit, output_options
from dlcalc.text import T


class Layout(str, Enum):
    auto = "auto"
    chw = "chw"
    hwc = "hwc"


LayoutOpt = Annotated[
    Layout,
    typer.Option(
        "--layout",
        help=say(
            T(
                "Order of a 3-size input: chw (torch), hwc (channels last, 227x227x3), or auto: hwc when the "
                "last size is 1, 3 or 4 and far smaller than the other two.",
                "三个尺寸的输入顺序：chw（torch）、hwc（通道在后，227x227x3），或 auto：最后一个尺寸为 1、3 或 4 "
                "且远小于另两个时按 hwc。",
            )
        ),  # fmt: skip
    ),
]


NET_HELP = T(
    "A whole network's shapes, parameters, multiply-adds and receptive fields, like torchinfo without torch.\n\n"
    "Reads layers, PyTorch module code (never run) or print(model) text.\n\n"
    'Example: dlcalc net -i 1x28x28 "Conv2d(1, 25, 3)" "MaxPool2d(2)" "Conv2d(25, 50, 3)" "MaxPool2d(2)"',
    "整个网络的各层形状、参数量、乘加次数与感受野，如同不用 torch 的 torchinfo。\n\n"
    "可读取层列表、PyTorch 模块代码（从不运行）或 print(model) 的文本。\n\n"
    '示例：dlcalc net -i 1x28x28 "Conv2d(1, 25, 3)" "MaxPool2d(2)" "Conv2d(25, 50, 3)" "MaxPool2d(2)"',
)


LayersArg = Annotated[
    Optional[list[str]],
    typer.Argument(
        metavar="LAYER...",
        help=say(
            T(
                'Layers in PyTorch syntax, e.g. "Conv2d(3, 64, 3)" "ReLU()"; or one argument holding module '
                "code (class Net(nn.Module): …) or print(model) text.",
                '按 PyTorch 写法给出各层，例如 "Conv2d(3, 64, 3)" "ReLU()"；或用一个参数给出模块代码'
                "（class Net(nn.Module): …）或 print(model) 的文本。",
            )
        ),  # fmt: skip
        show_default=False,
    ),
]
InputOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--input",
        "-i",
        metavar="SHAPE",
        help=say(
            T(
                "Input shape CxHxW (or F for a linear net, LxE for a sequence); repeat -i for a forward "
                "that takes several inputs (src, tgt).",
                "输入形状 CxHxW（全连接网络为 F，序列为 LxE）；forward 有多个输入（src、tgt）时重复 -i。",
            )
        ),  # fmt: skip
        show_default=False,
    ),
]
FileOpt = Annotated[
    Optional[str],
    typer.Option(
        "--file",
        "-f",
        metavar="FILE",
        help=say(
            T(
                "YAML (input, layers), a .py file of module code, or print(model) text.",
                "YAML（input、layers）、模块代码的 .py 文件，或 print(model) 的文本。",
            )
        ),  # fmt: skip
        show_default=False,
    ),
]
ModelOpt = Annotated[
    Optional[str],
    typer.Option(
        "--model",
        "-m",
        metavar="NAME",
        help=say(T("A classic network (see --list-models).", "经典网络（见 --list-models）。")),
    ),
]
ClassOpt = Annotated[
    Optional[str],
    typer.Option(
        "--class",
        metavar="NAME",
        help=say(
            T(
                "Which class of the module code is the network, or its constructor call: --class Net, "
                "--class 'ResNet(BasicBlock, [2, 2, 2, 2])'.",
                "模块代码中哪个类是网络，或其构造调用：--class Net、--class 'ResNet(BasicBlock, [2, 2, 2, 2])'。",
            )
        ),  # fmt: skip
        show_default=False,
    ),
]
ListModelsOpt = Annotated[
    bool, typer.Option("--list-models", help=say(T("List the classic networks and exit.", "列出经典网络后退出。")))
]
ExpandOpt = Annotated[
    bool,
    typer.Option(
        "--expand",
        help=say(
            T(
                "Show every layer inside the blocks (they fold into one row each).",
                "显示块内的每一层（默认每块折叠为一行）。",
            )
        ),
    ),
]
FullOpt = Annotated[
    bool,
    typer.Option(
        "--full",
        help=say(
            T(
                "Show everything: every layer (--expand) and every derivation step.",
                "显示全部：每一层（--expand）与每一步推导。",
            )
        ),
    ),
]
StepsOpt = Annotated[bool, typer.Option("--steps", hidden=True, help="Old name of --full.")]
CompareOpt = Annotated[
    Optional[str],
    typer.Option(
        "--compare",
        metavar="NAME",
        help=say(
            T(
                "A side-by-side exam comparison: inception-5x5, residual-blocks, resnet50-densenet121 "
                "(or two zoo models: resnet18,resnet50); 'list' lists them.",
                "考试常见的并列比较：inception-5x5、residual-blocks、resnet50-densenet121"
                "（或两个模型库中的模型：resnet18,resnet50）；'list' 列出全部。",
            )
        ),  # fmt: skip
        show_default=False,
    ),
]


@app.command(help=say(NET_HELP))
@output_options
def net(
    layers: LayersArg = None,
    input: InputOpt = None,
    file: FileOpt = None,
    model: ModelOpt = None,
    class_: ClassOpt = None,
    list_models: ListModelsOpt = False,
    expand: ExpandOpt = False,
    full: FullOpt = False,
    steps: StepsOpt = False,
    compare: CompareOpt = None,
    layout: LayoutOpt = Layout.auto,
    png: Annotated[Optional[str], typer.Option("--png", metavar="FILE", help=say(PNG))] = None,
    svg: Annotated[Optional[str], typer.Option("--svg", metavar="FILE", help=say(SVG))] = None,
    out: Output | None = None,
) -> None:
    """A whole network's shapes, parameters, multiply-adds and receptive fields, like torchinfo without torch.

    Reads layers, PyTorch module code (never run) or print(model) text.

    Example: dlcalc net -i 1x28x28 "Conv2d(1, 25, 3)" "MaxPool2d(2)" "Conv2d(25, 50, 3)" "MaxPool2d(2)"
    """
    assert out is not None
    if list_models:
        _list_models(out)
        return
    if compare is not None:
        from dlcalc.solvers import net_compare

        emit(net_compare.solve(net_compare.parse_spec({"compare": compare})), out)
        return
    from dlcalc.cli.build import save_pictures
    from dlcalc.solvers import net as solver

    inputs = _net_inputs(layers, input, file, model, class_, layout, expand or full or steps)
    result = solver.solve(solver.parse_spec(inputs))
    result.show_steps = result.show_steps or full or steps
    save_pictures(result, {k: v for k, v in (("png", png), ("svg", svg)) if v is not None}, out.lang)
    emit(result, out)
    if steps:  # the old name still works; say once, after the answer, what it is called now
        import sys

        print(
            T("dlcalc: note: --steps is now --full", "dlcalc：提示：--steps 现在叫 --full")(out.lang), file=sys.stderr
        )


def _net_inputs(
    layers: list[str] | None,
    input: list[str] | None,
    file: str | None,
    model: str | None,
    class_: str | None,
    layout: Layout,
    expand: bool,
) -> dict:
    """The solver's inputs: the file's fields first, then what the options give."""
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
    if expand:
        inputs["expand"] = True
    return inputs


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
