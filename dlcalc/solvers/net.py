"""A whole network, layer by layer and block by block: output shapes, parameters, multiply-adds and
receptive fields, read from a list of layers, from `class Net(nn.Module)` code, or from the text
`print(model)` shows — never by running it.

The network becomes a tree of modules (`dlcalc.parse.module`); its `forward` is traced over
shapes, and every layer call and tensor operation (`x + identity`, `torch.cat`, `view`, …) is a
node recorded here with its output shape, its parameters and its MACs. Blocks (instances of a
class of the code: a BasicBlock, an Inception module, a TransformerEncoderLayer) fold into one
row of the table; `expand` shows every layer inside them.

The shape of each conv and pool layer comes from the `conv` and `pool` solvers (so their
derivations and torch's refusals apply unchanged); the other layers follow torch's documented
shapes (`dlcalc.solvers.net_layers`):

    Linear(in, out) on (…, in) → (…, out),    params = (in + 1)·out
    BatchNorm2d(C)                             params = 2C (γ and β)
    MultiheadAttention(E, h)                   params = 4E² + 4E
    LSTM(I, H)                                 params = 4H(I + H + 2)

Multiply-adds (MACs) count one multiplication and one addition of a weight: a conv output
element costs (C/groups)·K_h·K_w MACs and a Linear output in MACs; attention's projections and
recurrent gates count the same way. Bias additions, activations, pooling and normalisation are
not counted. fvcore's figure is shown too (`fvcore_macs`): it adds normalisation, adaptive
average pooling and upsampling, and leaves recurrent layers out. Products of two activations (attention's QKᵀ and
A·V, `torch.matmul` of two tensors) are counted apart. 1 MAC = 2 FLOPs.

torchinfo 1.8 counts differently, and dlcalc shows its figure too: for each leaf layer with
parameters, every parameter (bias and BatchNorm's γ, β included) times the output positions of a
conv (H_out·W_out) and times the first output dimension otherwise (`LayerInfo.calculate_macs`).

Receptive field of one output position, per spatial dimension (r: size, j: jump between
neighbouring positions, in input pixels): r ← r + (D(K - 1) + 1 - 1)·j, then j ← j·S; where
branches merge (`+`, `torch.cat`) the larger field is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import parse_dims
from dlcalc.parse.layers import LayerCall, _clip, parse_layers
from dlcalc.result import Result, Step, Table
from dlcalc.solvers import net_layers as rules
from dlcalc.text import T, Text

FIELDS = {"input", "inputs", "layers", "model", "layout", "code", "class", "expand"}
_COMPOSITE = re.compile(
    r"\b(?:TransformerEncoderLayer|TransformerDecoderLayer|TransformerEncoder|TransformerDecoder|Transformer)\s*\("
)
STEPS_SHOWN_UP_TO = 12  # longer networks show the table; --full prints every derivation
SHAPE_KEEPING = rules.SHAPE_KEEPING


@dataclass(frozen=True)
class NetSpec:
    input_shape: tuple[int, ...]
    layers: tuple[LayerCall, ...]
    model: str | None = None
    layout: str = "chw"  # "hwc": -i was written channels-last (227x227x3) and read as C×H×W
    layout_guessed: bool = False
    inputs: tuple[tuple[int, ...], ...] = ()
    network: Any = field(default=None, compare=False, hash=False)
    expand: bool = False

    @property
    def all_inputs(self) -> tuple[tuple[int, ...], ...]:
        return self.inputs or (self.input_shape,)


@dataclass(eq=False)
class Network:
    """What was read: the module tree, the interpreter that traces its forward, and notes."""

    root: Any  # dlcalc.parse.module.Module
    interp: Any
    kind: str  # "layers", "code" or "printed"
    name: str
    notes: list[Text] = field(default_factory=list)
    input_hint: list[tuple[tuple[int, ...], int]] | None = None


# --- reading the input ------------------------------------------------------------------------------


SOLVER = Solver(
    name="net",
    help=T(
        "A whole network's shapes, parameters, multiply-adds and receptive fields, like torchinfo without torch.",
        "整个网络的各层形状、参数量、乘加次数与感受野，如同不用 torch 的 torchinfo。",
    ),
    example='dlcalc net -i 1x28x28 "Conv2d(1, 25, 3)" "MaxPool2d(2)" "Conv2d(25, 50, 3)" "MaxPool2d(2)"',
    inputs=(),
    fields=tuple(sorted(FIELDS)),
    picture=True,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> NetSpec:
    from dlcalc.parse import only_keys

    only_keys(inputs, FIELDS, "net")
    model = inputs.get("model")
    layers_in, code, class_expr = inputs.get("layers"), inputs.get("code"), inputs.get("class")
    shapes = _input_values(inputs)
    if model is not None:
        layers_in, code, class_expr, shapes = _zoo_source(str(model), layers_in, code, class_expr, shapes)
    network = _read_network(layers_in, code, class_expr)
    if not shapes:
        shapes = _shapes_from_code_call(network)
    if not shapes:
        raise DlcalcError("net: the input shape is missing (--input CxHxW, e.g. 3x227x227)")
    dims_list, layout, guessed = _read_layout([_dims(s) for s in shapes], inputs.get("layout"))
    leaves = tuple(mod.call for mod in network.root.modules() if mod.call is not None)
    return NetSpec(
        dims_list[0],
        leaves,
        None if model is None else str(model),
        layout,
        guessed,
        tuple(dims_list) if len(dims_list) > 1 else (),
        network,
        bool(inputs.get("expand", False)),
    )


def _zoo_source(
    model: str, layers_in: Any, code: Any, class_expr: Any, shapes: list[Any]
) -> tuple[Any, Any, Any, list[Any]]:
    """--model NAME: the zoo network's layers or code, its class and (unless -i was given) its input."""
    from dlcalc.models import load_model, model_code

    zoo = load_model(model)
    if layers_in or code:
        raise DlcalcError(
            f"net: --model {model} brings its own layers; drop the layers you gave, or drop --model "
            "to work out your own network"
        )
    return zoo.get("layers"), model_code(model), class_expr or zoo.get("network"), shapes or _input_values(zoo)


def _layer_texts(layers_in: Any) -> list[str]:
    """The layer strings given (one string or a list of them), checked to be strings."""
    if isinstance(layers_in, str):
        layers_in = [layers_in]
    if layers_in is not None and (
        not isinstance(layers_in, (list, tuple)) or not all(isinstance(x, str) for x in layers_in)
    ):
        raise DlcalcError('layers: expected a list of layer strings such as "Conv2d(3, 64, 3)"')
    return list(layers_in or [])


def _read_network(layers_in: Any, code: Any, class_expr: Any) -> Network:
    """The module tree: from module code, print(model) text, or a plain list of layers."""
    if code is not None and layers_in:
        raise DlcalcError("net: give either module code or layers, not both")
    if code is None and not layers_in:
        raise DlcalcError('net: no layers given (e.g. "Conv2d(3, 64, 3)" "ReLU()")')
    texts = _layer_texts(layers_in)
    if code is None and len(texts) == 1 and _is_code_or_print(texts[0]):
        code = texts[0]
    elif code is None and any(_COMPOSITE.search(text) for text in texts):
        # nn.TransformerEncoderLayer(...) and its family are modules of dlcalc's own definitions
        body = texts[0] if len(texts) == 1 else "Sequential(\n" + ",\n".join(texts) + ",\n)"
        code = f"from torch.nn import *\nmodel = {body}\n"
    if code is not None:
        if not isinstance(code, str):
            raise DlcalcError("code: expected the text of PyTorch module code")
        return read_network(code, None if class_expr is None else str(class_expr))
    if class_expr is not None:
        raise DlcalcError("net: --class picks a class of module code; these layers define none")
    calls: list[LayerCall] = []
    for text in texts:
        calls += parse_layers(text)
    from dlcalc.parse.module import layer_list, sequential_interp

    return Network(layer_list(calls), sequential_interp(), "layers", "Sequential")


def _shapes_from_code_call(network: Network) -> list[Any]:
    """No -i: the shape the code itself calls the model with (`model(torch.randn(1, 3, 32, 32))`)."""
    if not network.input_hint:
        return []
    line = network.input_hint[0][1]
    network.notes.append(
        T(
            "input shape taken from the code's own call of the model (line {line}), its batch dropped",
            "输入形状取自代码中对模型的调用（第 {line} 行），去掉批维",
        ).format(line=line)
    )
    return [dims for dims, _ in network.input_hint]


def _read_layout(dims_list: list[Any], layout_in: Any) -> tuple[list[Any], str, bool]:
    """A single 3-size input may be channels-last (227x227x3): reorder it to C×H×W."""
    layout, guessed = "chw", False
    if len(dims_list) == 1 and len(dims_list[0]) == 3:
        from dlcalc.solvers.window import read_input_shape

        read = read_input_shape(list(dims_list[0]), layout_in)
        if read.layout == "hwc":
            dims_list[0] = (read.channels, *read.size)
            layout, guessed = "hwc", read.guessed
    return dims_list, layout, guessed


def _input_values(inputs: Mapping[str, Any]) -> list[Any]:
    """`input: 3x224x224` (or [3, 224, 224]), `inputs: [10x512, 9x512]`, or -i given several times."""
    several = inputs.get("inputs")
    one = inputs.get("input")
    if several is not None:
        if not isinstance(several, (list, tuple)) or not several:
            raise DlcalcError("inputs: expected a list of shapes, e.g. [10x512, 9x512]")
        return list(several)
    if one is None:
        return []
    if isinstance(one, (list, tuple)) and one and all(isinstance(v, (str, list, tuple)) for v in one):
        return list(one) if len(one) > 1 else [one[0]]
    return [one]


def _dims(value: Any) -> tuple[int, ...]:
    dims = parse_dims(value, "input", (1, 2, 3))
    if any(d <= 0 for d in dims):
        raise DlcalcError(f"input: every size must be positive, got {value!r}")
    return dims


def _is_code_or_print(text: str) -> bool:
    from dlcalc.parse.module import is_module_code
    from dlcalc.parse.printed import is_printed

    return is_printed(text) or is_module_code(text)


def read_network(text: str, class_expr: str | None = None) -> Network:
    """Module code (classes, OrderedDict) or `print(model)` text, read into a network."""
    from dlcalc.parse.printed import is_printed, read_printed

    if is_printed(text):
        if class_expr is not None:
            raise DlcalcError("net: --class picks a class of module code, not of print(model) text")
        root, interp, printed_notes = read_printed(text)
        return Network(root, interp, "printed", root.kind, printed_notes)
    from dlcalc.parse import module as mod

    program = mod.read_program(text)
    root, name = mod.choose_network(program, class_expr)
    name = root.kind
    notes: list[Text] = []
    if program.interp.unregistered:
        for attr, line in program.interp.unregistered:
            notes.append(
                T(
                    "line {line}: self.{attr} is a plain Python list of modules: torch does not register them, so "
                    "model.parameters() (and any optimizer) misses them — use nn.ModuleList",
                    "第 {line} 行：self.{attr} 是普通 Python 列表，torch 不会注册其中的模块，model.parameters()（以及优化器）"
                    "看不到它们——请改用 nn.ModuleList",
                ).format(line=line, attr=attr)
            )
    return Network(root, program.interp, "code", name, notes, mod.inputs_from_code(program, root))


# --- recording the trace --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RF:
    """Receptive field of one tensor: per spatial dimension its size r and jump j (kind "map"),
    or "all" (every output sees the whole input), or "none" (not a spatial map)."""

    kind: str
    r: tuple[Fraction, ...] = ()
    j: tuple[Fraction, ...] = ()


NO_RF, ALL_RF = RF("none"), RF("all")


@dataclass(eq=False)
class Node:
    index: int
    kind: str  # "input", "layer", or a tensor operation ("add", "cat", "view", …)
    module: Any
    path: str
    frame: Frame | None
    text: str
    inputs: list[Any]
    outputs: list[tuple[tuple[int, ...], int | None]]
    params: int = 0
    macs: int = 0
    products: int = 0
    torchinfo: int = 0
    steps: list[Step] = field(default_factory=list)
    rf: RF = NO_RF
    line: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    repeat: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def call(self) -> LayerCall | None:
        return None if self.module is None else self.module.call

    @property
    def type(self) -> str:
        return self.call.name if self.kind == "layer" and self.call is not None else self.kind


@dataclass(eq=False)
class Frame:
    module: Any
    path: str
    parent: Frame | None
    args: list[Any]
    items: list[Node | Frame] = field(default_factory=list)
    output: Any = None
    own_params: int = 0
    torchinfo_own: int = 0

    def nodes(self) -> list[Node]:
        out: list[Node] = []
        for item in self.items:
            out += item.nodes() if isinstance(item, Frame) else [item]
        return out

    @property
    def is_block(self) -> bool:
        return self.module.cls is not None and self.parent is not None

    def depth(self) -> int:
        d, f = 0, self.parent
        while f is not None:
            d, f = d + 1, f.parent
        return d


class Recorder:
    """The engine the trace reports to (`dlcalc.parse.module.Engine`)."""

    def __init__(self, network: Network, spatial_1d: bool):
        from dlcalc.parse.module import module_paths

        self.network = network
        self.paths = module_paths(network.root)
        self.nodes: list[Node] = []
        self.root_frame: Frame | None = None
        self.frame: Frame | None = None
        self.called: set[int] = set()
        self.entered: set[int] = set()
        self.want: dict[int, int | None] = {}  # input index → wanted batch axis (None: it has its own)
        self.first_sensitive: dict[int, bool] = {}
        self.input_dtypes: dict[int, str] = {}
        self.spatial_1d = spatial_1d
        self.bindings: dict[tuple[int, int, int], str] = {}

    # -- engine protocol
    def input(self, index: int, name: str, dims: tuple[int, ...], batch: int | None):
        from dlcalc.parse.module import Tensor

        shape = dims if batch is None else dims[:batch] + (1,) + dims[batch:]
        rf = NO_RF
        if batch is None:
            pass  # an already batched sequence (L, N, E): no map to trace a receptive field over
        elif len(dims) == 3:
            rf = RF("map", (Fraction(1), Fraction(1)), (Fraction(1), Fraction(1)))
        elif len(dims) == 2 and self.spatial_1d:
            rf = RF("map", (Fraction(1),), (Fraction(1),))
        node = Node(
            len(self.nodes), "input", None, name, self.frame, name, [], [(shape, batch)], rf=rf, detail={"input": index}
        )
        self.nodes.append(node)
        return Tensor(node.index, 0, shape, batch, free=index)

    def enter(self, module: Any, args: list[Any]) -> None:
        frame = Frame(module, self.paths.get(id(module), module.kind), self.frame, list(args))
        if module.params and id(module) not in self.entered:
            frame.own_params = sum(math.prod(p.shape) for p in module.params.values() if p.shape is not None)
        self.entered.add(id(module))
        if self.frame is None:
            self.root_frame = frame
        else:
            self.frame.items.append(frame)
        self.frame = frame

    def leave(self, module: Any, output: Any) -> None:
        assert self.frame is not None
        self.frame.output = output
        if not module.children and module.params:
            first = _first_tensor(output)
            if first is not None:
                named = sum(math.prod(p.shape) for k, p in module.params.items() if k in ("weight", "bias") and p.shape)
                self.frame.torchinfo_own = first.shape[0] * named if first.shape else 0
        if self.frame.parent is not None:
            self.frame = self.frame.parent

    def layer(self, module: Any, args: list[Any], kwargs: dict[str, Any], text: str, line: int) -> Any:
        from dlcalc.parse.module import Tensor

        call: LayerCall = module.call
        tensors = [a for a in _flatten_values(args) if isinstance(a, Tensor)]
        self._batch_wish(call, tensors)
        try:
            applied = rules.apply(call, list(args), dict(kwargs))
        except DlcalcError as e:
            from dlcalc.parse.module import CodeError

            if self.network.kind == "layers":
                raise CodeError(f"layer {len(self.nodes) - self._inputs()} {_clip(call.text)}: {e.message}") from None
            where = self.paths.get(id(module), "") if not module.functional else ""
            raise DlcalcError(
                f"{where + ' ' if where else ''}{_clip(call.text if not module.functional else text)}: {e.message}"
            ) from None
        repeat = id(module) in self.called
        self.called.add(id(module))
        if call.name == "Embedding":
            for t in tensors:
                if t.free is not None and self.nodes[t.node].kind == "input":
                    self.input_dtypes[t.free] = "long"
        outs: list[tuple[tuple[int, ...], int | None]] = []
        structure = _collect(applied.outputs, outs)
        first_in = tensors[0] if tensors else None
        rf = self._layer_rf(applied, first_in)
        node = Node(
            len(self.nodes),
            "layer",
            module,
            self.paths.get(id(module), "") if not module.functional else (self.frame.path if self.frame else ""),
            self.frame,
            call.text if not module.functional else text,
            tensors,
            outs,
            params=0 if (repeat or module.functional) else applied.params - rules.tied_params(module),
            macs=applied.macs,
            products=applied.products,
            torchinfo=0 if module.functional else applied.torchinfo,
            steps=[] if repeat else applied.steps,
            rf=rf,
            line=line,
            repeat=repeat,
            kwargs={k: v for k, v in kwargs.items() if isinstance(v, (bool, int, float, str)) or v is None},
        )
        node.detail["nargs"] = len(args)
        self._append(node)
        free = first_in.free if (first_in is not None and call.name in rules.BATCH_AGNOSTIC) else None
        return _rebuild(structure, node, free)

    def tensor_op(
        self, op: str, inputs: list[Any], shape: tuple[int, ...], batch: int | None, detail: dict[str, Any], line: int
    ):
        from dlcalc.parse.module import Tensor

        agnostic = op in (
            "add",
            "sub",
            "mul",
            "div",
            "pow",
            "neg",
            "exp",
            "sin",
            "cos",
            "log",
            "sqrt",
            "abs",
            "clamp",
            "erf",
        )
        if not agnostic:
            for t in inputs:
                if t.free is not None:
                    self.first_sensitive.setdefault(t.free, False)
        text = detail.pop("text", op)
        node = Node(
            len(self.nodes),
            op,
            None,
            self.frame.path if self.frame else "",
            self.frame,
            text,
            list(inputs),
            [(tuple(shape), batch)],
            products=int(detail.get("products", 0)),
            line=line,
            detail=detail,
        )
        node.rf = self._op_rf(op, inputs, shape)
        node.steps = self._op_steps(node)
        self._append(node)
        frees = {t.free for t in inputs}
        free = inputs[0].free if agnostic and len(frees) == 1 else None
        return Tensor(node.index, 0, tuple(shape), batch, free=free)

    def bind(self, name: str, tensor: Any) -> None:
        """The code named this tensor (`y1 = F.relu(...)`): how a merge names it in this block."""
        if self.frame is not None:
            self.bindings[(id(self.frame), tensor.node, tensor.index)] = name

    # -- helpers
    def _inputs(self) -> int:
        return sum(1 for n in self.nodes if n.kind == "input") - 1

    def _append(self, node: Node) -> None:
        self.nodes.append(node)
        if self.frame is not None:
            self.frame.items.append(node)

    def _batch_wish(self, call: LayerCall, tensors: list[Any]) -> None:
        """A sequence layer (attention, RNN) fed straight from an input decides where its batch is.

        Such a layer takes (L, E) unbatched or (L, N, E) / (N, L, E) batched. A 2-size input is one
        sequence: its batch of 1 goes on axis 1 for batch_first=False. A 3-size input is already
        batched: no batch of 1 is added (its own N is shown)."""
        if call.name in rules.BATCH_AGNOSTIC:
            return
        for t in tensors:
            if t.free is None or t.free in self.first_sensitive:
                continue
            self.first_sensitive[t.free] = True
            if call.name not in rules.SEQUENCE_FIRST or t.batch is None:
                continue
            if len(t.shape) == 4:
                self.want[t.free] = None
            elif len(t.shape) == 3 and not call.args.get("batch_first"):
                self.want[t.free] = 1

    def _layer_rf(self, applied: rules.Applied, x: Any) -> RF:
        src = self.nodes[x.node].rf if x is not None else NO_RF
        if x is not None and self.nodes[x.node].kind != "input" and x.index != 0:
            src = NO_RF
        if applied.rf == "keep":
            return src
        if applied.rf == "none" or src.kind == "none":
            return NO_RF
        if applied.rf == "all" or src.kind == "all":
            return ALL_RF
        if applied.rf == "upsample":
            assert applied.scale is not None
            if len(applied.scale) != len(src.j):
                return NO_RF
            return RF("map", src.r, tuple(j / s for j, s in zip(src.j, applied.scale)))
        assert applied.window is not None
        kernel, stride, dilation, transposed = applied.window
        if len(kernel) != len(src.r):
            return NO_RF
        r, j = [], []
        for i in range(len(kernel)):
            span = dilation[i] * (kernel[i] - 1) + 1
            if transposed:
                r.append(src.r[i] + (-(-span // stride[i]) - 1) * src.j[i])
                j.append(src.j[i] / Fraction(stride[i]))
            else:
                r.append(src.r[i] + (span - 1) * src.j[i])
                j.append(src.j[i] * Fraction(stride[i]))
        return RF("map", tuple(r), tuple(j))

    def _op_rf(self, op: str, inputs: list[Any], shape: tuple[int, ...]) -> RF:
        srcs = [self.nodes[t.node].rf if t.index == 0 else NO_RF for t in inputs]
        if not srcs:
            return NO_RF
        if op in (
            "add",
            "sub",
            "mul",
            "div",
            "pow",
            "neg",
            "exp",
            "sin",
            "cos",
            "log",
            "sqrt",
            "abs",
            "clamp",
            "erf",
            "cat",
            "stack",
            "tril",
        ):
            if any(s.kind == "none" for s in srcs):
                return NO_RF
            if any(s.kind == "all" for s in srcs):
                return ALL_RF
            if len({len(s.r) for s in srcs}) != 1:
                return NO_RF
            r = tuple(max(vals) for vals in zip(*(s.r for s in srcs)))
            j = tuple(max(vals) for vals in zip(*(s.j for s in srcs)))
            return RF("map", r, j)
        src = srcs[0]
        same = tuple(shape) == tuple(inputs[0].shape)
        if op == "pad" or (same and op in ("view", "reshape", "getitem", "squeeze", "unsqueeze", "expand", "flatten")):
            return src
        if op in ("view", "reshape", "flatten", "mean", "sum", "amax") and src.kind != "none":
            return ALL_RF
        return NO_RF

    def _op_steps(self, node: Node) -> list[Step]:
        from dlcalc.parse.module import show_tensor

        if node.kind == "cat" and node.detail.get("parts"):
            parts = node.detail["parts"]
            return [
                Step(
                    T(
                        "concatenate along dim {d}".format(d=node.detail["dim"]),
                        "沿第 {d} 维拼接".format(d=node.detail["dim"]),
                    ),
                    m.sym("C") if node.detail["dim"] == 1 else m.sym("n"),
                    [m.total(parts) if len(parts) > 1 else m.num(parts[0]), m.num(sum(parts))]
                    if len(parts) > 1
                    else [m.num(parts[0])],
                    T("the other dimensions must agree: {s}", "其余维度必须一致：{s}").format(
                        s=" | ".join(show_tensor(t) for t in node.inputs)
                    ),
                )
            ]
        if node.kind in ("add", "sub", "mul", "div") and len(node.inputs) >= 2:
            shapes = [show_tensor(t) for t in node.inputs]
            sign = {"add": "+", "sub": "-", "mul": "⊙", "div": "/"}[node.kind]
            out = rules.show(*node.outputs[0])
            return [
                Step(
                    T(
                        "elementwise {op}: shapes must match (or broadcast)", "逐元素{op}：形状必须一致（或可广播）"
                    ).format(op=node.kind),
                    None,
                    [m.sym(f" {sign} ".join(shapes) + f" → {out}")],
                )
            ]
        if node.products:
            return [
                Step(
                    T("product of two activations", "两个激活相乘"),
                    m.sym("MACs"),
                    [m.num(node.products)],
                    T(
                        "matmul of (…, n, k) and (…, k, p): n·k·p per batch element",
                        "(…, n, k) 与 (…, k, p) 的矩阵乘：每个批元素 n·k·p",
                    ),
                )
            ]
        return []


def _first_tensor(value: Any) -> Any:
    from dlcalc.parse.module import Tensor

    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for v in value:
            t = _first_tensor(v)
            if t is not None:
                return t
    if isinstance(value, dict):
        for v in value.values():
            t = _first_tensor(v)
            if t is not None:
                return t
    return None


def _flatten_values(values: Any) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, (tuple, list)):
            out += _flatten_values(v)
        else:
            out.append(v)
    return out


def _collect(structure: Any, outs: list[tuple[tuple[int, ...], int | None]]) -> Any:
    """Number the Out leaves of a layer's output structure (in order)."""
    if isinstance(structure, rules.Out):
        outs.append((structure.shape, structure.batch))
        return len(outs) - 1
    if structure is None:
        return None
    return tuple(_collect(s, outs) for s in structure)


def _rebuild(structure: Any, node: Node, free: int | None) -> Any:
    from dlcalc.parse.module import Tensor

    if structure is None:
        return None
    if isinstance(structure, int):
        shape, batch = node.outputs[structure]
        return Tensor(node.index, structure, shape, batch, free=free if structure == 0 else None)
    return tuple(_rebuild(s, node, free) for s in structure)


# --- solving --------------------------------------------------------------------------------------------


def solve(spec: NetSpec) -> Result:
    """Trace the network over shapes and add up parameters, MACs and receptive fields."""
    try:
        return _solve(spec)
    except DlcalcError as e:
        if spec.network is not None and spec.network.kind == "printed":
            # the line belongs to dlcalc's own forward of a printed block, not to the user's text
            e.message = re.sub(r"^line \d+: ", "", e.message)
            stacks = [
                n.en.split(" read as a straight stack")[0]
                for n in spec.network.notes
                if "read as a straight stack" in n.en
            ]
            if stacks:
                e.message += (
                    f" ({stacks[0]} was read as a straight stack of its children: print(model) does not show its "
                    "forward; paste its class code)"
                )
            e.text = None
        raise


def _solve(spec: NetSpec) -> Result:
    rec, output, axes = _traced(spec)
    return _result(spec, spec.network, rec, output, list(spec.all_inputs), axes)


def trace_graph(spec: NetSpec) -> Recorder:
    """The recorded graph of the network's forward (for the torch cross-check)."""
    return _traced(spec)[0]


def _traced(spec: NetSpec) -> tuple[Recorder, Any, list[int | None]]:
    from dlcalc.parse import module as mod

    network: Network = spec.network
    inputs = list(spec.all_inputs)
    spatial_1d = any(c.name in ("Conv1d", "MaxPool1d", "AvgPool1d") for c in spec.layers)
    axes: list[int | None] = [0] * len(inputs)
    rec = Recorder(network, spatial_1d)
    try:
        output = mod.trace(network.interp, network.root, rec, inputs, axes)
        failure = None
    except DlcalcError as e:
        output, failure = None, e
    if rec.want and any(rec.want.get(i, 0) != a for i, a in enumerate(axes)):
        # a sequence layer reads an input straight away: put that input's batch on axis 1, or add none
        axes = [rec.want.get(i, 0) for i in range(len(inputs))]
        rec = Recorder(network, spatial_1d)
        output = mod.trace(network.interp, network.root, rec, inputs, axes)
    elif failure is not None:
        raise failure
    return rec, output, axes


# --- the result: rows, tree, derivation ---------------------------------------------------------------


@dataclass
class Row:
    label: str
    shape: str
    params: int
    macs: int
    products: int
    torchinfo: int
    rf: str
    node: Node | None = None
    frame: Frame | None = None


class _View:
    """Naming and adding up over one recorded trace."""

    def __init__(self, network: Network, rec: Recorder):
        self.network = network
        self.rec = rec
        self.nodes = rec.nodes
        self.plain = network.kind == "layers"

    # -- names
    def rel(self, path: str, base: str) -> str:
        if base and path.startswith(base + "."):
            return path[len(base) + 1 :]
        return path

    def tensor_name(self, t: Any, frame: Frame | None) -> str:
        from dlcalc.parse.module import forward_inputs

        producer = self.nodes[t.node]
        if frame is not None:
            for i, arg in enumerate(frame.args):
                if getattr(arg, "node", None) == t.node and getattr(arg, "index", None) == t.index:
                    names, _, _ = forward_inputs(frame.module)
                    return names[i] if i < len(names) else f"input{i}"
        f = producer.frame
        while f is not None and frame is not None and f is not frame:
            if f.parent is frame and _is_output(f.output, t):
                return self.rel(f.path, frame.path)
            f = f.parent
        if producer.kind == "input":
            return producer.path
        if producer.kind == "layer" and producer.module is not None and not producer.module.functional:
            return self.rel(producer.path, frame.path if frame is not None else "")
        bound = self.rec.bindings.get((id(frame), t.node, t.index)) if frame is not None else None
        if bound is not None:
            return bound
        if producer.kind == "layer":
            return producer.text.split("(")[0] if "(" in producer.text else producer.type
        return producer.type

    def merge_text(self, node: Node) -> str | None:
        if node.kind in ("add", "sub", "mul") and len(node.inputs) >= 2:
            sign = {"add": " + ", "sub": " - ", "mul": " ⊙ "}[node.kind]
            return sign.join(self.tensor_name(t, node.frame) for t in node.inputs)
        if node.kind in ("cat", "stack"):
            names = [self.tensor_name(t, node.frame) for t in node.inputs]
            if len(names) > 5:
                names = names[:2] + [f"… {len(names) - 3} more …", names[-1]]
            return f"{node.kind}({', '.join(names)}; dim={node.detail.get('dim')})"
        return None

    def node_label(self, node: Node, base: str, indent: int) -> str:
        pad = "  " * indent
        if node.kind == "layer":
            if self.plain:
                return node.text
            if node.module.functional:
                return pad + _clip(node.text, 60)
            name = self.rel(node.path, base)
            shared = " (shared)" if node.repeat else ""
            return f"{pad}{name}: {node.text}{shared}"
        merge = self.merge_text(node)
        if merge is not None:
            from dlcalc.parse.module import show_tensor

            if node.kind == "cat":
                check = "+".join(map(str, node.detail.get("parts", [])))
            else:
                check = f" {dict(add='+', sub='-', mul='⊙').get(node.kind, '+')} ".join(
                    show_tensor(t) for t in node.inputs
                )
            return f"{pad}{node.kind}: {merge} [{check}]"
        return pad + _clip(node.text, 60)

    def frame_label(self, frame: Frame, base: str, indent: int) -> str:
        name = self.rel(frame.path, base) or frame.module.kind
        text = f"{'  ' * indent}{name}: {frame.module.kind}"
        merges = self.frame_merges(frame)
        return text + (f" [{merges}]" if merges else "")

    def frame_merges(self, frame: Frame) -> str:
        """What a block adds or concatenates, said in one line."""
        adds: list[str] = []
        cats: list[Node] = []
        for node in frame.nodes():
            if node.frame is not frame and (node.frame is None or node.frame.is_block):
                continue
            if node.kind in ("add", "sub", "mul") and len(node.inputs) >= 2:
                text = self.merge_text(node)
                if text and text not in adds:
                    adds.append(text)
            elif node.kind == "cat":
                cats.append(node)
        parts = adds[:2] + ([f"+ {len(adds) - 2} more"] if len(adds) > 2 else [])
        dense = _growth(cats) if cats and _starts_with_input(cats[-1], frame) else None
        if dense is not None:
            k0, k, n = dense
            parts.append(f"dense: {k0} + {n}·{k} = {k0 + n * k} channels")
        elif len(cats) == 1:
            pieces = cats[0].detail.get("parts", [])
            parts.append(f"cat {'+'.join(map(str, pieces))} = {sum(pieces)}" if pieces else "cat")
        elif len(cats) > 1:
            growth = _growth(cats)
            if growth is not None:
                k0, k, n = growth
                parts.append(f"dense: {k0} + {n}·{k} = {k0 + n * k} channels")
            else:
                parts.append(f"{len(cats)} × cat")
        return "; ".join(parts)

    # -- sums
    def frame_totals(self, frame: Frame) -> tuple[int, int, int, int]:
        params = macs = products = torchinfo = 0
        stack: list[Frame] = [frame]
        while stack:
            f = stack.pop()
            params += f.own_params
            torchinfo += f.torchinfo_own
            for item in f.items:
                if isinstance(item, Frame):
                    stack.append(item)
                else:
                    params += item.params
                    macs += item.macs
                    products += item.products
                    torchinfo += item.torchinfo
        return params, macs, products, torchinfo

    def out_node(self, value: Any) -> tuple[Node | None, int]:
        t = _first_tensor(value)
        if t is None:
            return None, 0
        return self.nodes[t.node], t.index

    def shape_of(self, value: Any) -> str:
        t = _first_tensor(value)
        if t is None:
            return "—"
        return rules.show(t.shape, t.batch)

    def rf_of(self, value: Any) -> str:
        node, index = self.out_node(value)
        return "—" if node is None or index != 0 else _rf_text(node.rf)

    # -- rows
    def rows(self, frame: Frame, expand: bool, base: str, indent: int) -> list[Row]:
        out: list[Row] = []
        for item in frame.items:
            if isinstance(item, Node):
                shape = rules.show(*item.outputs[0])
                out.append(
                    Row(
                        self.node_label(item, base, indent),
                        shape,
                        item.params,
                        item.macs,
                        item.products,
                        item.torchinfo,
                        _rf_text(item.rf),
                        node=item,
                    )
                )
                continue
            if item.is_block and not expand:
                params, macs, products, torchinfo = self.frame_totals(item)
                out.append(
                    Row(
                        self.frame_label(item, base, indent),
                        self.shape_of(item.output),
                        params,
                        macs,
                        products,
                        torchinfo,
                        self.rf_of(item.output),
                        frame=item,
                    )
                )
            elif expand:
                params, macs, products, torchinfo = self.frame_totals(item)
                out.append(
                    Row(
                        self.frame_label(item, base, indent),
                        self.shape_of(item.output),
                        params,
                        macs,
                        products,
                        torchinfo,
                        self.rf_of(item.output),
                        frame=item,
                    )
                )
                out += self.rows(item, expand, item.path, indent + 1)
            else:
                out += self.rows(item, expand, base, indent)
        return out


def _is_output(value: Any, t: Any) -> bool:
    from dlcalc.parse.module import Tensor

    if isinstance(value, Tensor):
        return value.node == t.node and value.index == t.index
    if isinstance(value, (tuple, list)):
        return any(_is_output(v, t) for v in value)
    return False


def _starts_with_input(node: Node, frame: Frame) -> bool:
    """The concatenation begins with the block's own input (a dense block), not a branch."""
    first = node.inputs[0] if node.inputs else None
    return first is not None and any(
        getattr(a, "node", None) == first.node and getattr(a, "index", None) == first.index for a in frame.args
    )


def _growth(cats: list[Node]) -> tuple[int, int, int] | None:
    """A dense block: every concatenation appends the same k channels to what came before."""
    added: list[int] = []
    start = None
    for node in cats:
        parts = node.detail.get("parts") or []
        if node.detail.get("dim") != 1 or len(parts) < 2:
            return None
        if start is None:
            start = parts[0] if len(parts) == 2 else None
        added.append(parts[-1])
    if start is None or len(set(added)) != 1:
        # torchvision's form: each layer concatenates all earlier features, the last cat holds them all
        last = cats[-1].detail.get("parts") or []
        if len(last) >= 3 and len(set(last[1:])) == 1:
            return last[0], last[1], len(last) - 1
        return None
    return start, added[0], len(cats)


def _rf_text(rf: RF) -> str:
    if rf.kind == "all":
        return "all"
    if rf.kind == "none":
        return "—"
    shown = [m.fmt_number(v) for v in rf.r]
    return shown[0] if len(set(shown)) == 1 else "×".join(shown)


def _num(v: Fraction) -> int | float:
    return v.numerator if v.denominator == 1 else float(v)


def registered_params(root: Any) -> int:
    """What `sum(p.numel() for p in model.parameters())` gives: each registered module once."""
    total = 0
    for mod in root.modules():
        if mod.call is not None:
            total += rules.layer_params(mod.call) - rules.tied_params(mod)
        total += sum(math.prod(p.shape) for p in mod.params.values() if p.shape is not None)
    return total


def _unused(root: Any, rec: Recorder, paths: dict[int, str]) -> list[tuple[str, str, int]]:
    """Registered modules with parameters that forward never calls (path, kind, parameters)."""
    used_ids = rec.called | rec.entered
    memo: dict[int, bool] = {}

    def used(mod: Any) -> bool:
        if id(mod) not in memo:
            memo[id(mod)] = id(mod) in used_ids or any(used(c) for c in mod.children.values())
        return memo[id(mod)]

    out: list[tuple[str, str, int]] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        mod = stack.pop()
        if id(mod) in seen:
            continue
        seen.add(id(mod))
        for child in mod.children.values():
            if not used(child):
                params = registered_params(child)
                if params:
                    out.append((paths.get(id(child), child.kind), child.kind, params))
            else:
                stack.append(child)
    return sorted(out)


def _param_term(call: LayerCall) -> Any:
    """A layer's parameter count written as a student adds it up: 3·3·64·64, 2·64, (512 + 1)·1000."""
    a = call.args
    params = rules.layer_params(call)
    if call.name in ("Conv2d", "ConvTranspose2d", "Conv1d"):
        k = a["kernel_size"]
        ks = (k,) if isinstance(k, int) else tuple(k)
        if call.name != "Conv1d" and len(ks) == 1:
            ks = ks * 2
        g = a["groups"]
        inner = a["in_channels"] // g if call.name != "ConvTranspose2d" else a["out_channels"] // g
        outer = a["out_channels"] if call.name != "ConvTranspose2d" else a["in_channels"]
        term = _dot(*ks, inner, outer)
        return term + a["out_channels"] if a["bias"] else term
    if call.name == "Linear":
        return (
            (m.num(a["in_features"]) + 1) * a["out_features"]
            if a["bias"]
            else _dot(a["in_features"], a["out_features"])
        )
    if call.name in ("BatchNorm1d", "BatchNorm2d", "GroupNorm", "LayerNorm") and params:
        per = params // 2 if params % 2 == 0 and _two_affine(call) else params
        return _dot(2, per) if per != params else m.num(params)
    if call.name == "Embedding":
        return _dot(a["num_embeddings"], a["embedding_dim"])
    if call.name == "MultiheadAttention" and a["kdim"] is None and a["vdim"] is None and not a["add_bias_kv"]:
        e = a["embed_dim"]
        return m.num(4) * m.num(e) ** 2 + m.num(4) * e if a["bias"] else m.num(4) * m.num(e) ** 2
    return m.num(params)


def _dot(*factors: int) -> Any:
    out = m.num(factors[0])
    for f in factors[1:]:
        out = out * f
    return out


def _two_affine(call: LayerCall) -> bool:
    return bool(call.args.get("bias", True))


@dataclass
class _Totals:
    """The whole network's figures: registered and called parameters, the three MAC counts."""

    params: int
    called_params: int
    macs: int
    products: int
    torchinfo: int
    fvcore: int


def _result(
    spec: NetSpec, network: Network, rec: Recorder, output: Any, inputs: list[tuple[int, ...]], axes: list[int | None]
) -> Result:
    view = _View(network, rec)
    root = rec.root_frame
    assert root is not None
    input_nodes = [n for n in rec.nodes if n.kind == "input"]
    totals = _network_totals(view, network, rec, root)
    rows = view.rows(root, spec.expand, "", 0)
    with_products = totals.products > 0 or any(r.products for r in rows)
    # the phases run in this order: the view names tensors as they are first shown
    table = _table(view, rows, input_nodes, with_products)
    steps = _steps(view, root)
    out_value = _first_tensor(output)
    summary = _source_summary(spec, network) + _figures_summary(input_nodes, out_value, totals, with_products)
    blocks = _block_counts(root)
    if blocks:
        summary.append((T("Blocks", "模块"), ", ".join(f"{n} × {kind}" for kind, n in blocks)))
    notes = _notes(spec, network, rec, view, axes, totals.params, totals.called_params, with_products)
    return Result(
        kind="net",
        title=_title(spec, network),
        answer=_answer(spec, network, view, rec, root, out_value, totals, axes),
        summary=summary,
        steps=steps,
        tables=[table],
        notes=notes,
        spec=spec,
        show_steps=len(rows) <= STEPS_SHOWN_UP_TO,
    )


def _network_totals(view: _View, network: Network, rec: Recorder, root: Frame) -> _Totals:
    called, macs, products, torchinfo = view.frame_totals(root)[:4]
    fvcore = sum(fvcore_macs(n) for n in rec.nodes if n.kind != "input")
    return _Totals(registered_params(network.root), called, macs, products, torchinfo, fvcore)


def _title(spec: NetSpec, network: Network) -> Text:
    if spec.model:
        return Text(spec.model, spec.model)
    if network.kind != "layers":
        return Text(network.name, network.name)
    return T("Network", "网络")


def _source_summary(spec: NetSpec, network: Network) -> list[tuple[Text, Text | str]]:
    """The summary's first row: which zoo model, module class or print(model) text this is."""
    if spec.model:
        from dlcalc.models import load_model

        zoo = load_model(spec.model)
        return [(T("Model", "模型"), f"{zoo['name']} — {zoo['variant']}")]
    if network.kind == "layers":
        return []
    how = (
        T("module code, class {name}", "模块代码，类 {name}")
        if network.kind == "code"
        else T("print(model) text, {name}", "print(model) 文本，{name}")
    )
    return [(T("Network", "网络"), how.format(name=network.name))]


def _figures_summary(
    input_nodes: list[Node], out_value: Any, totals: _Totals, with_products: bool
) -> list[tuple[Text, Text | str]]:
    """The summary's figures: input → output, parameters, MACs (ours, fvcore's, torchinfo's)."""
    in_shapes = [rules.show(*n.outputs[0]) for n in input_nodes]
    shown_in = (
        in_shapes[0] if len(in_shapes) == 1 else ", ".join(f"{n.path} {s}" for n, s in zip(input_nodes, in_shapes))
    )
    out_shape = rules.show(out_value.shape, out_value.batch) if out_value is not None else "—"
    summary: list[tuple[Text, Text | str]] = [
        (T("Input → output", "输入 → 输出"), f"{shown_in} → {out_shape}"),
        (T("Parameters", "参数量"), f"{totals.params:,}"),
        (
            T("Multiply-adds", "乘加次数"),
            T(
                "{macs:,} MACs = {flops:,} FLOPs (weight multiply-adds only)",
                "{macs:,} MACs = {flops:,} FLOPs（只计权重乘加）",
            ).format(macs=totals.macs, flops=2 * totals.macs),
        ),
    ]
    if with_products:
        summary.append(
            (
                T("Activation products", "激活相乘"),
                T(
                    "{p:,} MACs (QKᵀ, A·V, matmul of two activations; all together {t:,})",
                    "{p:,} MACs（QKᵀ、A·V 等两个激活的矩阵乘；合计 {t:,}）",
                ).format(p=totals.products, t=totals.macs + totals.products),
            )
        )
    summary.append(
        (
            T("fvcore 0.1.5", "fvcore 0.1.5"),
            T(
                "{macs:,} MACs (+ normalisation, adaptive pooling, upsampling)",
                "{macs:,} MACs（另计归一化、自适应池化、上采样）",
            ).format(macs=totals.fvcore),
        )
    )
    summary.append(
        (
            T("torchinfo 1.8", "torchinfo 1.8"),
            T("{macs:,} MACs (bias additions included)", "{macs:,} MACs（含偏置加法）").format(macs=totals.torchinfo),
        )
    )
    return summary


def _answer(
    spec: NetSpec,
    network: Network,
    view: _View,
    rec: Recorder,
    root: Frame,
    out_value: Any,
    totals: _Totals,
    axes: list[int | None],
) -> dict[str, Any]:
    """The JSON answer: totals, every layer node and the module tree."""
    answer: dict[str, Any] = {
        "input_shape": list(spec.all_inputs[0]),
        "output_shape": list(_display_dims(out_value)) if out_value is not None else [],
        "total_params": totals.params,
        "trainable_params": totals.params,
        "total_macs": totals.macs,
        "total_macs_torchinfo": totals.torchinfo,
        "total_macs_fvcore": totals.fvcore,
        "total_macs_products": totals.products,
        "total_flops": 2 * totals.macs,
        "layout": spec.layout,
        "source": network.kind,
        "layers": [_node_json(view, n) for n in rec.nodes if n.kind != "input"],
        "tree": _tree_json(view, root, ""),
    }
    if len(spec.all_inputs) > 1:
        answer["inputs"] = [list(s) for s in spec.all_inputs]
    if any(a != 0 for a in axes):
        answer["batch_axes"] = axes
    return answer


def _display_dims(t: Any) -> tuple[int, ...]:
    if t.batch is None:
        return tuple(t.shape)
    return tuple(t.shape[: t.batch] + t.shape[t.batch + 1 :])


def _table(view: _View, rows: list[Row], input_nodes: list[Node], with_products: bool) -> Table:
    columns = [T("#", "#"), T("Layer", "层"), T("Output shape", "输出形状"), T("Params", "参数量"), T("MACs", "乘加数")]
    if with_products:
        columns.append(T("Products", "激活相乘"))
    columns += [T("torchinfo", "torchinfo"), T("Receptive field", "感受野")]
    body: list[list[Text | str]] = []
    for i, node in enumerate(input_nodes):
        label: Text | str = (
            T("input", "输入") if len(input_nodes) == 1 else Text(f"input {node.path}", f"输入 {node.path}")
        )
        cells: list[Text | str] = [
            "0" if len(input_nodes) == 1 else f"0.{i + 1}",
            label,
            rules.show(*node.outputs[0]),
            "",
            "",
        ]
        if with_products:
            cells.append("")
        body.append(cells + ["", _rf_text(node.rf)])
    for i, row in enumerate(rows, 1):
        cells = [str(i), row.label, row.shape, f"{row.params:,}", f"{row.macs:,}"]
        if with_products:
            cells.append(f"{row.products:,}")
        body.append(cells + [f"{row.torchinfo:,}", row.rf])
    return Table(columns=columns, rows=body, wrap=1)


def _block_counts(root: Frame) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}

    def walk(frame: Frame) -> None:
        for item in frame.items:
            if isinstance(item, Frame):
                if item.is_block:
                    counts[item.module.kind] = counts.get(item.module.kind, 0) + 1
                walk(item)

    walk(root)
    return list(counts.items())


def _steps(view: _View, root: Frame) -> list[Step]:
    steps: list[Step] = []
    seen_blocks: dict[Any, str] = {}

    def walk(frame: Frame) -> None:
        for item in frame.items:
            if isinstance(item, Node):
                prefix = _step_prefix(view, item)
                for s in item.steps:
                    steps.append(Step(prefix + s.label, s.lhs, s.chain, s.note, s.joiner))
                continue
            signature = (item.module.kind, tuple((n.type, n.text) for n in item.nodes()))
            if item.is_block and signature in seen_blocks:
                steps.append(
                    Step(
                        Text(f"{item.path} {item.module.kind}: ", f"{item.path} {item.module.kind}：")
                        + T("as {first}", "同 {first}").format(first=seen_blocks[signature]),
                        None,
                        [],
                    )
                )
                continue
            walk(item)
            if item.is_block and not (_small(item) and frame.is_block):
                seen_blocks[signature] = item.path
                steps.extend(_block_steps(view, item))

    walk(root)
    terms = _block_terms(view, root)
    if len(terms) > 1:
        steps.append(
            Step(
                T("total parameters", "参数总量"),
                m.sym("params"),
                [m.total(terms, limit=16), m.num(view.frame_totals(root)[0])],
                T(
                    "every layer's parameters added up (a block as its total)",
                    "各层参数相加（模块按其总数计）",
                ),
            )
        )
    return steps


def _step_prefix(view: _View, node: Node) -> Text:
    if view.plain:
        return Text(f"L{node.index} {node.type}: ", f"L{node.index} {node.type}：")
    where = node.path if node.kind == "layer" and not node.module.functional else (node.path or "forward")
    return Text(f"{where} {node.type}: ", f"{where} {node.type}：")


def _small(frame: Frame) -> bool:
    """A block of at most three layers with parameters and no blocks inside (conv + BN)."""
    weighted = 0
    for item in frame.items:
        if isinstance(item, Frame):
            if item.is_block or not _small(item):
                return False
            weighted += sum(1 for n in item.nodes() if n.params)
        elif item.params:
            weighted += 1
    return weighted <= 3


def _block_terms(view: _View, frame: Frame) -> list[Any]:
    """The block's parameters as a sum: its layers' formulas, each sub-block as its total
    (n identical sub-blocks in a row as n·total)."""
    terms: list[Any] = []
    pending: list[int] = []  # totals of identical consecutive sub-blocks

    def flush() -> None:
        if pending:
            terms.append(m.num(len(pending)) * pending[0] if len(pending) > 1 else m.num(pending[0]))
            pending.clear()

    def walk(f: Frame) -> None:
        if f.own_params:
            flush()
            terms.append(m.num(f.own_params))
        for item in f.items:
            if isinstance(item, Frame):
                if item.is_block and _small(item):
                    flush()
                    walk(item)  # conv + BN (+ ReLU): written out in the parent's sum
                elif item.is_block:
                    total = view.frame_totals(item)[0]
                    if not total:
                        continue
                    if pending and pending[0] != total:
                        flush()
                    pending.append(total)
                else:
                    walk(item)
            elif item.kind == "layer" and item.params and item.call is not None:
                flush()
                terms.append(_param_term(item.call))
        flush()

    walk(frame)
    return terms


def _block_steps(view: _View, frame: Frame) -> list[Step]:
    out: list[Step] = []
    terms = _block_terms(view, frame)
    params = view.frame_totals(frame)[0]
    head = Text(f"{frame.path} {frame.module.kind}: ", f"{frame.path} {frame.module.kind}：")
    if len(terms) > 1:
        out.append(
            Step(
                head + T("parameters of the block", "模块的参数量"),
                m.sym("params"),
                [m.total(terms, limit=16), m.num(params)],
                T(
                    "the sum of its layers' parameters, each written as its formula (a sub-block as its total)",
                    "各层参数之和，每项按其公式写出（子模块写其总数）",
                ),
            )
        )
    cats = [n for n in frame.nodes() if n.kind == "cat" and n.frame is frame]
    growth = _growth(cats) if cats and _starts_with_input(cats[-1], frame) else None
    if growth is not None:
        k0, k, n = growth
        out.append(
            Step(
                head + T("channels of a dense block", "稠密块的通道数"),
                m.sub("C", "out"),
                [m.sub("k", "0") + m.juxt(m.sym("l"), m.sym("k")), m.num(k0) + m.num(n) * k, m.num(k0 + n * k)],
                T(
                    "each of the l = {n} layers adds k = {k} channels (the growth rate) and reads all before it",
                    "l = {n} 层中每层增加 k = {k} 个通道（增长率），并读取之前所有特征",
                ).format(n=n, k=k),
            )
        )
    return out


def fvcore_macs(node: Node) -> int:
    """This node's multiply-adds as fvcore 0.1.5's FlopCountAnalysis counts them on the model in
    eval mode (its handles in `fvcore/nn/jit_handles.py`): conv and linear weights (as `macs`);
    BatchNorm one per element (two with affine γ, β); LayerNorm and GroupNorm four per element
    (five with affine); adaptive average pooling one per input element (2-D only); nearest
    upsampling one per output element, bilinear four (2-D only); `matmul` of two activations,
    and QKᵀ and A·V where MultiheadAttention returns its weights (`need_weights`, the default).
    Every other operator — recurrent layers, embeddings, activations, other pooling,
    scaled_dot_product_attention, additions — fvcore leaves out (0)."""
    if node.kind == "matmul":
        return node.products
    if node.kind != "layer" or node.call is None:
        return 0
    name, args = node.call.name, node.call.args
    first_in = node.inputs[0].shape if node.inputs else ()
    numel_in = math.prod(first_in)
    numel_out = math.prod(node.outputs[0][0]) if node.outputs else 0
    if name in ("Conv1d", "Conv2d", "ConvTranspose2d", "Linear"):
        return node.macs
    if name == "MultiheadAttention":
        return node.macs + (node.products if node.kwargs.get("need_weights", True) else 0)
    if name in ("BatchNorm1d", "BatchNorm2d"):
        return numel_in * (2 if args.get("affine", True) else 1)
    if name in ("LayerNorm", "GroupNorm"):
        affine = args.get("elementwise_affine" if name == "LayerNorm" else "affine", True)
        return numel_in * (5 if affine else 4)
    if name == "AdaptiveAvgPool2d":
        return numel_in
    if name == "Upsample" and len(node.outputs[0][0]) == 4:
        return {"nearest": 1, "bilinear": 4}.get(args.get("mode", "nearest"), 0) * numel_out
    return 0


def _node_json(view: _View, node: Node) -> dict[str, Any]:
    shape, batch = node.outputs[0]
    out = {
        "index": node.index,
        "name": node.path if node.kind == "layer" and not node.module.functional else None,
        "layer": node.text,
        "type": node.type,
        "output_shape": list(shape if batch is None else shape[:batch] + shape[batch + 1 :]),
        "params": node.params,
        "macs": node.macs,
        "macs_torchinfo": node.torchinfo,
        "macs_fvcore": fvcore_macs(node),
        "products": node.products,
        "receptive_field": None if node.rf.kind != "map" else [_num(v) for v in node.rf.r],
        "inputs": [t.node for t in node.inputs],
        "block": node.frame.path if node.frame is not None and node.frame.parent is not None else None,
    }
    merge = view.merge_text(node)
    if merge is not None:
        out["merge"] = merge
    return out


def _tree_json(view: _View, frame: Frame, base: str) -> dict[str, Any]:
    params, macs, products, torchinfo = view.frame_totals(frame)
    t = _first_tensor(frame.output)
    children: list[Any] = []
    for item in frame.items:
        if isinstance(item, Frame):
            children.append(_tree_json(view, item, frame.path))
        else:
            children.append({"index": item.index, "name": item.path if item.kind == "layer" else None})
    return {
        "name": frame.path,
        "type": frame.module.kind,
        "output_shape": list(_display_dims(t)) if t is not None else None,
        "params": params,
        "macs": macs,
        "macs_torchinfo": torchinfo,
        "products": products,
        "merge": view.frame_merges(frame) or None,
        "children": children,
    }


def _notes(
    spec: NetSpec,
    network: Network,
    rec: Recorder,
    view: _View,
    axes: list[int | None],
    total_params: int,
    called_params: int,
    with_products: bool,
) -> list[Text]:
    notes = _layout_notes(spec)
    notes += _counting_notes(rec, with_products)
    notes += _reading_notes(network, axes)
    notes += _parameter_notes(network, rec, view, total_params, called_params)
    notes += network.notes
    if spec.model:
        from dlcalc.models import load_model

        zoo = load_model(spec.model)
        notes.append(Text(f"source: {zoo['source']}", f"来源：{zoo['source']}"))
    return notes


def _layout_notes(spec: NetSpec) -> list[Text]:
    """A channels-last input (227x227x3) read as C×H×W: say so, and whether it was guessed."""
    if spec.layout != "hwc":
        return []
    from dlcalc.solvers.window import InputShape, layout_note

    c, h, w = spec.input_shape
    note = layout_note(InputShape(c, (h, w), "hwc", spec.layout_guessed))
    return [] if note is None else [note]


def _counting_notes(rec: Recorder, with_products: bool) -> list[Text]:
    """How MACs are counted here, by fvcore and by torchinfo (and for attention)."""
    notes: list[Text] = []
    notes.append(
        T(
            "MACs count the weight multiply-adds of conv, linear, attention and recurrent layers (bias, "
            "activations, pooling and normalisation not counted); fvcore 0.1.5 (eval mode) leaves out recurrent "
            "layers and adds BatchNorm (1 per element, 2 with γ, β), LayerNorm/GroupNorm (4, or 5 with γ, β), "
            "adaptive average pooling and upsampling; torchinfo 1.8 adds each conv bias once per output position, "
            "and each linear bias and BatchNorm weight and bias once; FLOPs = 2 × MACs",
            "乘加数只计卷积、全连接、注意力与循环层的权重乘加（不计偏置、激活、池化与归一化）；fvcore 0.1.5（eval 模式）"
            "不计循环层，另计 BatchNorm（每元素 1 次，含 γ、β 为 2 次）、LayerNorm/GroupNorm（4 次，含 γ、β 为 5 次）、"
            "自适应平均池化与上采样；torchinfo 1.8 还把卷积偏置按每个输出位置各计一次、全连接偏置与 BatchNorm 的权重和偏置各计一次；"
            "FLOPs = 2 × MACs",
        )
    )
    if with_products or any(n.call is not None and n.call.name == "MultiheadAttention" for n in rec.nodes):
        notes.append(
            T(
                "attention: the Q, K, V and output projections are weight MACs; QKᵀ and A·V multiply two activations "
                "and are counted apart (fvcore counts them only where MultiheadAttention returns its weights); "
                "torchinfo 1.8 counts 0 for MultiheadAttention (not a leaf module)",
                "注意力：Q、K、V 与输出投影属于权重乘加；QKᵀ 与 A·V 是两个激活相乘，单独计数（fvcore 只在 MultiheadAttention "
                "返回注意力权重时计入）；torchinfo 1.8 对 MultiheadAttention 计 0（它不是叶子模块）",
            )
        )
    return notes


def _reading_notes(network: Network, axes: list[int | None]) -> list[Text]:
    """How the input and forward were read: the batch axis of (S, N, E) layers, eval mode."""
    notes: list[Text] = []
    if any(a is None for a in axes):
        notes.append(
            T(
                "an input of three sizes to attention or a recurrent layer is already batched, (L, N, E) or "
                "(N, L, E) with batch_first=True: it is taken as it is, no batch of 1 added",
                "输入注意力层或循环层的三维输入已带批维，即 (L, N, E)（batch_first=True 时为 (N, L, E)）：按原样读取，不再添加大小为 1 的批维",
            )
        )
    if any(a == 1 for a in axes):
        notes.append(
            T(
                "the input is read as (S, N, E): a layer with batch_first=False takes the batch on axis 1 "
                "(shapes are shown without the batch of 1)",
                "输入按 (S, N, E) 读取：batch_first=False 的层在第 1 维取批（形状显示时省略批大小 1）",
            )
        )
    if network.kind != "layers":
        notes.append(
            T(
                "forward is read in eval mode (self.training is False: dropout keeps the shape, training-only branches are skipped)",
                "forward 按评估模式读取（self.training 为 False：dropout 不改变形状，只在训练时运行的分支被跳过）",
            )
        )
    return notes


def _parameter_notes(network: Network, rec: Recorder, view: _View, total_params: int, called_params: int) -> list[Text]:
    """Parameters torch counts differently from the layers forward uses: unused modules, plain lists."""
    notes: list[Text] = []
    for path, kind, params in _unused(network.root, rec, view.rec.paths):
        notes.append(
            T(
                "{path} ({kind}, {p:,} parameters) is defined but forward does not use it (in eval mode); "
                "torch counts its parameters",
                "{path}（{kind}，{p:,} 个参数）已定义但 forward 未使用（评估模式下）；torch 仍计入其参数",
            ).format(path=path, kind=kind, p=params)
        )
    if called_params > total_params:
        notes.append(
            T(
                "the layers used hold {c:,} parameters but torch registers only {t:,}: modules kept in a plain list are not counted",
                "被使用的层共有 {c:,} 个参数，但 torch 只注册了 {t:,} 个：放在普通列表中的模块不被计入",
            ).format(c=called_params, t=total_params)
        )
    return notes


def list_models() -> Result:
    """The zoo as a table: name, variant, input, published parameter count, source."""
    from dlcalc.models import load_model, model_names

    entries = []
    for name in model_names():
        zoo = load_model(name)
        shapes = _input_values(zoo)
        entries.append(
            {
                "name": name,
                "variant": zoo["variant"],
                "input": ", ".join(str(s) for s in shapes),
                "published_params": zoo["published_params"],
                "source": zoo["source"],
            }
        )
    table = Table(
        columns=[T("name", "名称"), T("variant", "版本"), T("input", "输入"), T("params", "参数量")],
        rows=[[e["name"], e["variant"], e["input"], f"{e['published_params']:,}"] for e in entries],
        title=Text("dlcalc net --model NAME", "dlcalc net --model NAME"),
        wrap=1,
    )
    return Result(
        kind="net-models",
        title=T("Classic networks", "经典网络"),
        answer={"models": entries},
        summary=[(T("Networks", "网络"), str(len(entries)))],
        tables=[table],
    )
