"""A whole network, layer by layer: output shapes, parameters, multiply-adds and receptive fields.

The shape of each conv and pool layer comes from the `conv` and `pool` solvers (so their
derivations and torch's refusals apply unchanged); the rest follows torch's documented shapes:

    Linear(in, out) on (…, in) → (…, out),    params = (in + 1)·out
    BatchNorm2d(C)                             params = 2C (γ and β)
    Flatten()                                  (C, H, W) → (C·H·W)
    AdaptiveAvgPool2d((h, w))                  (C, H, W) → (C, h, w)

Multiply-adds (MACs) count one multiplication and one addition of a weight: a conv output
element costs (C/groups)·K_h·K_w MACs and a Linear output in MACs. Bias additions, activations,
pooling and normalisation are not counted; fvcore and thop count the same. 1 MAC = 2 FLOPs.

torchinfo 1.8 counts differently, and dlcalc shows its figure too: for each layer
with parameters, every parameter (bias and BatchNorm's γ, β included) times the output positions
of a conv (H_out·W_out; for ConvTranspose2d too, whose weights in fact touch every input
position) and times the batch size 1 otherwise (`LayerInfo.calculate_macs`).

Receptive field of one output position, per spatial dimension (r: size, j: jump between
neighbouring positions, in input pixels): r ← r + (D(K - 1) + 1 - 1)·j, then j ← j·S.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.parse import parse_dims
from dlcalc.parse.layers import LayerCall, _clip, parse_layers
from dlcalc.result import Result, Step, Table
from dlcalc.solvers import conv, pool
from dlcalc.text import T, Text
from dlcalc.declare import Input, Solver

FIELDS = {"input", "layers", "model", "layout"}
SHAPE_KEEPING = {
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    "Dropout2d",
    "Identity",
    "LocalResponseNorm",
}
STEPS_SHOWN_UP_TO = 12  # longer networks show the table; --steps prints every derivation


@dataclass(frozen=True)
class NetSpec:
    input_shape: tuple[int, ...]
    layers: tuple[LayerCall, ...]
    model: str | None = None
    layout: str = "chw"  # "hwc": -i was written channels-last (227x227x3) and read as C×H×W
    layout_guessed: bool = False


@dataclass
class LayerRow:
    index: int
    call: LayerCall
    output_shape: tuple[int, ...]
    params: int
    macs: int
    macs_torchinfo: int
    receptive_field: tuple[Fraction, Fraction] | None  # None once the map is flattened


SOLVER = Solver(
    name="net",
    help=T("A whole network's shapes, parameters, multiply-adds and receptive fields, like torchinfo without torch.",
           "整个网络的各层形状、参数量、乘加次数与感受野，如同不用 torch 的 torchinfo。"),
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
    layers_in = inputs.get("layers")
    input_shape = inputs.get("input")
    if model is not None:
        from dlcalc.models import load_model

        zoo = load_model(str(model))
        if layers_in:
            raise DlcalcError(
                f"net: --model {model} brings its own layers; drop the layers you gave, or drop --model "
                "to work out your own network"
            )
        layers_in = zoo["layers"]
        input_shape = input_shape or zoo["input"]
    if input_shape is None:
        raise DlcalcError("net: the input shape is missing (--input CxHxW, e.g. 3x227x227)")
    if not layers_in:
        raise DlcalcError('net: no layers given (e.g. "Conv2d(3, 64, 3)" "ReLU()")')
    dims = parse_dims(input_shape, "input", (1, 2, 3))
    if any(d <= 0 for d in dims):
        raise DlcalcError(f"input: every size must be positive, got {input_shape!r}")
    layout, guessed = "chw", False
    if len(dims) == 3:
        from dlcalc.solvers.window import read_input_shape

        read = read_input_shape(list(dims), inputs.get("layout"))
        if read.layout == "hwc":
            dims = (read.channels, *read.size)
            layout, guessed = "hwc", read.guessed
    if isinstance(layers_in, str):
        layers_in = [layers_in]
    if not isinstance(layers_in, (list, tuple)) or not all(isinstance(x, str) for x in layers_in):
        raise DlcalcError('layers: expected a list of layer strings such as "Conv2d(3, 64, 3)"')
    calls: list[LayerCall] = []
    for text in layers_in:
        calls += parse_layers(text)
    return NetSpec(tuple(dims), tuple(calls), None if model is None else str(model), layout, guessed)


def solve(spec: NetSpec) -> Result:
    """Run the shape, parameter, MAC and receptive-field bookkeeping through every layer."""
    shape = spec.input_shape
    rf: tuple[Fraction, Fraction] | None = (Fraction(1), Fraction(1)) if len(shape) == 3 else None
    jump = (Fraction(1), Fraction(1))
    rows: list[LayerRow] = []
    steps: list[Step] = []
    for index, call in enumerate(spec.layers, 1):
        where = f"layer {index} {_clip(call.text)}"
        try:
            out, params, macs, layer_steps, window = _layer(call, shape)
        except DlcalcError as e:
            raise DlcalcError(f"{where}: {e.message}") from None
        if len(out) != 3:
            rf = None  # flattened: every output depends on the whole input
        elif rf is not None and window is not None:
            rf, jump = _grow_receptive_field(rf, jump, window)
        prefix = Text(f"L{index} {call.name}: ", f"L{index} {call.name}：")
        for s in layer_steps:
            steps.append(Step(prefix + s.label, s.lhs, s.chain, s.note))
        rows.append(LayerRow(index, call, out, params, macs, _torchinfo_macs(call.name, params, out), rf))
        shape = out

    total_params = sum(r.params for r in rows)
    total_macs = sum(r.macs for r in rows)
    total_torchinfo = sum(r.macs_torchinfo for r in rows)
    table = Table(
        columns=[
            T("#", "#"),
            T("Layer", "层"),
            T("Output shape", "输出形状"),
            T("Params", "参数量"),
            T("MACs", "乘加数"),
            T("Receptive field", "感受野"),
        ],
        rows=[
            [
                "0",
                T("input", "输入"),
                _shape(spec.input_shape),
                "",
                "",
                _rf((Fraction(1), Fraction(1))) if len(spec.input_shape) == 3 else "—",
            ]
        ]
        + [
            [str(r.index), r.call.text, _shape(r.output_shape), f"{r.params:,}", f"{r.macs:,}", _rf(r.receptive_field)]
            for r in rows
        ],
    )
    summary = [
        (T("Input → output", "输入 → 输出"), f"{_shape(spec.input_shape)} → {_shape(shape)}"),
        (T("Parameters", "参数量"), f"{total_params:,}"),
        (
            T("Multiply-adds", "乘加次数"),
            T(
                "{macs:,} MACs = {flops:,} FLOPs (weights only: fvcore, thop)",
                "{macs:,} MACs = {flops:,} FLOPs（只计权重：fvcore、thop）",
            ).format(macs=total_macs, flops=2 * total_macs),
        ),
        (
            T("torchinfo 1.8", "torchinfo 1.8"),
            T("{macs:,} MACs (bias additions included)", "{macs:,} MACs（含偏置加法）").format(macs=total_torchinfo),
        ),
    ]
    if spec.model:
        from dlcalc.models import load_model

        zoo = load_model(spec.model)
        summary.insert(0, (T("Model", "模型"), f"{zoo['name']} — {zoo['variant']}"))
    notes = [
        T(
            "MACs count the weight multiply-adds of conv and linear layers (as fvcore and thop do; bias, "
            "activations, pooling and normalisation not counted); torchinfo 1.8 adds each conv bias once per "
            "output position, and each linear bias and BatchNorm weight and bias once; FLOPs = 2 × MACs",
            "乘加数只计卷积层与全连接层的权重乘加（与 fvcore、thop 一致；不计偏置、激活、池化与归一化）；"
            "torchinfo 1.8 还把卷积偏置按每个输出位置各计一次、全连接偏置与 BatchNorm 的权重和偏置各计一次；FLOPs = 2 × MACs",
        )
    ]
    if spec.layout == "hwc":
        from dlcalc.solvers.window import InputShape, layout_note

        c, h, w = spec.input_shape
        note = layout_note(InputShape(c, (h, w), "hwc", spec.layout_guessed))
        if note is not None:
            notes.insert(0, note)
    if spec.model:
        notes.append(Text(f"source: {zoo['source']}", f"来源：{zoo['source']}"))
    return Result(
        kind="net",
        title=T("Network", "网络") if not spec.model else Text(spec.model, spec.model),
        answer={
            "input_shape": list(spec.input_shape),
            "output_shape": list(shape),
            "total_params": total_params,
            "trainable_params": total_params,
            "total_macs": total_macs,
            "total_macs_torchinfo": total_torchinfo,
            "total_flops": 2 * total_macs,
            "layout": spec.layout,
            "layers": [
                {
                    "index": r.index,
                    "layer": r.call.text,
                    "type": r.call.name,
                    "output_shape": list(r.output_shape),
                    "params": r.params,
                    "macs": r.macs,
                    "macs_torchinfo": r.macs_torchinfo,
                    "receptive_field": None if r.receptive_field is None else [_num(v) for v in r.receptive_field],
                }
                for r in rows
            ],
        },
        summary=summary,
        steps=steps,
        tables=[table],
        notes=notes,
        spec=spec,
        show_steps=len(rows) <= STEPS_SHOWN_UP_TO,
    )


def _layer(call: LayerCall, shape: tuple[int, ...]):
    """(output shape, params, MACs, steps, sliding window or None) of one layer on `shape`."""
    a = call.args
    name = call.name
    if name in SHAPE_KEEPING:
        return shape, 0, 0, [], None
    if name in ("Conv2d", "ConvTranspose2d"):
        c, h, w = _need_map(shape, name)
        if a["in_channels"] != c:
            raise DlcalcError(f"expects {a['in_channels']} input channels but receives {_receives(c, shape)}")
        result = conv.solve(
            conv.parse_spec(
                {
                    "input": [c, h, w],
                    "kernel": a["kernel_size"],
                    "stride": a["stride"],
                    "padding": a["padding"],
                    "dilation": a["dilation"],
                    "out_channels": a["out_channels"],
                    "groups": a["groups"],
                    "bias": a["bias"],
                    "transposed": name == "ConvTranspose2d",
                    "output_padding": a.get("output_padding", 0),
                }
            )
        )
        out = tuple(result.answer["output_shape"])
        spec: conv.ConvSpec = result.spec
        kh, kw = spec.kernel
        if spec.transposed:
            macs = c * h * w * (spec.out_channels // spec.groups) * kh * kw
        else:
            macs = out[0] * out[1] * out[2] * (c // spec.groups) * kh * kw
        window = (spec.kernel, spec.stride, spec.dilation, spec.transposed)
        steps = [s for s in result.steps if s.label.en != "Output channels"]
        return out, result.answer["params"], macs, steps, window
    if name in ("MaxPool2d", "AvgPool2d"):
        c, h, w = _need_map(shape, name)
        result = pool.solve(
            pool.parse_spec(
                {
                    "input": [c, h, w],
                    "kernel": a["kernel_size"],
                    "stride": a["stride"],
                    "padding": a["padding"],
                    "dilation": a.get("dilation", 1),
                    "ceil_mode": a["ceil_mode"],
                    "avg": name == "AvgPool2d",
                }
            )
        )
        spec_p: pool.PoolSpec = result.spec
        steps = [s for s in result.steps if s.lhs is not None or s.chain]
        return tuple(result.answer["output_shape"]), 0, 0, steps, (spec_p.kernel, spec_p.stride, spec_p.dilation, False)
    if name in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
        c, h, w = _need_map(shape, name)
        size = a["output_size"]
        oh, ow = (size, size) if not isinstance(size, tuple) else size
        oh, ow = (h if oh is None else oh), (w if ow is None else ow)
        if not all(isinstance(v, int) and v > 0 for v in (oh, ow)):
            raise DlcalcError(f"output_size must be positive whole numbers, got {size!r}")
        kernel = (_adaptive_kernel(h, oh), _adaptive_kernel(w, ow))
        stride = (Fraction(h, oh), Fraction(w, ow))
        step = Step(
            T("adaptive pooling to a fixed size", "自适应池化到固定尺寸"),
            m.sym("(H_out, W_out)"),
            [m.sym(f"({oh}, {ow})")],
            T(
                "the output size is whatever output_size says; each window covers about H/H_out rows",
                "输出尺寸由 output_size 决定；每个窗口约覆盖 H/H_out 行",
            ),
        )
        return (c, oh, ow), 0, 0, [step], (kernel, stride, (1, 1), False)
    if name in ("BatchNorm2d", "BatchNorm1d"):
        wanted = 3 if name == "BatchNorm2d" else None
        if wanted and len(shape) != 3:
            raise DlcalcError(f"needs a C×H×W feature map, but its input is {_shape(shape)}")
        if name == "BatchNorm1d" and len(shape) not in (1, 2):
            raise DlcalcError(f"needs (features) or (C, L), but its input is {_shape(shape)}")
        c = shape[0]
        if a["num_features"] != c:
            raise DlcalcError(f"expects {a['num_features']} features but receives {_receives(c, shape)}")
        per_channel = (1 + bool(a["bias"])) if a["affine"] else 0  # γ, and β unless bias=False
        params = per_channel * c
        step = Step(
            T("parameters (γ and β per channel)", "参数量（每通道 γ 与 β）")
            if per_channel == 2
            else T("parameters (γ per channel, no β)", "参数量（每通道 γ，无 β）"),
            m.sym("params"),
            [m.juxt(2, m.sym("C")), 2 * m.num(c), m.num(params)]
            if per_channel == 2
            else [m.sym("C"), m.num(params)]
            if per_channel == 1
            else [m.num(0)],
            T("running mean and variance are buffers, not parameters", "滑动均值与方差是缓冲区，不是参数"),
        )
        return shape, params, 0, [step], None
    if name == "Flatten":
        if a["start_dim"] != 1 or a["end_dim"] != -1:
            raise DlcalcError("only Flatten() with start_dim=1, end_dim=-1 is supported")
        size = math.prod(shape)
        step = Step(
            T("flatten", "展平"),
            m.sym("n"),
            [m.times(*map(m.sym, "CHW"[: len(shape)])) if len(shape) == 3 else m.sym("n"), m.times(*shape), m.num(size)]
            if len(shape) > 1
            else [m.num(size)],
        )
        return (size,), 0, 0, [step], None
    if name == "Linear":
        fin, fout = a["in_features"], a["out_features"]
        if not all(isinstance(v, int) and v > 0 for v in (fin, fout)):
            raise DlcalcError(f"in_features and out_features must be positive whole numbers, got {fin!r}, {fout!r}")
        if shape[-1] != fin:
            hint = f"; add Flatten() first ({_shape(shape)} = {math.prod(shape)} features)" if len(shape) == 3 else ""
            raise DlcalcError(f"expects {fin} input features but receives {_receives(shape[-1], shape)}{hint}")
        params = (fin + 1) * fout if a["bias"] else fin * fout
        chain = (
            [(m.sym("n_in") + 1) * m.sym("n_out"), (m.num(fin) + 1) * fout, m.num(params)]
            if a["bias"]
            else [m.sym("n_in") * m.sym("n_out"), m.num(fin) * fout, m.num(params)]
        )
        step = Step(
            T("parameters", "参数量"),
            m.sym("params"),
            chain,
            T(
                "every output neuron has a weight for each input and one bias",
                "每个输出神经元对每个输入有一个权重，外加一个偏置",
            )
            if a["bias"]
            else None,
        )
        out = shape[:-1] + (fout,)
        return out, params, math.prod(out[:-1]) * fin * fout, [step], None
    raise DlcalcError(f"{name} is not supported in a network yet")


def _torchinfo_macs(name: str, params: int, out: tuple[int, ...]) -> int:
    """torchinfo 1.8's figure: every parameter once per output position of a conv, once otherwise."""
    if "Conv" in name and len(out) == 3:
        return params * out[1] * out[2]
    return params


def _need_map(shape: tuple[int, ...], name: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise DlcalcError(f"{name} needs a C×H×W feature map, but its input is {_shape(shape)}")
    return shape  # type: ignore[return-value]


def _adaptive_kernel(n: int, out: int) -> int:
    """The widest window torch's adaptive pooling uses: from ⌊i·n/out⌋ to ⌈(i+1)·n/out⌉."""
    return max(-(-(i + 1) * n // out) - (i * n // out) for i in range(out))


def _grow_receptive_field(rf, jump, window):
    """r ← r + (span - 1)·j, j ← j·S; a transposed conv reads ⌈span/S⌉ inputs and divides j by S."""
    kernel, stride, dilation, transposed = window
    new_rf, new_jump = [], []
    for i in range(2):
        span = dilation[i] * (kernel[i] - 1) + 1
        if transposed:
            new_rf.append(rf[i] + (-(-span // stride[i]) - 1) * jump[i])
            new_jump.append(jump[i] / Fraction(stride[i]))
        else:
            new_rf.append(rf[i] + (span - 1) * jump[i])
            new_jump.append(jump[i] * Fraction(stride[i]))
    return tuple(new_rf), tuple(new_jump)


def _receives(n: int, shape: tuple[int, ...]) -> str:
    """`30 (its input is 16×30×30)`, or just `14400` when the input is that one size."""
    return str(n) if len(shape) == 1 else f"{n} (its input is {_shape(shape)})"


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


def _num(v: Fraction) -> int | float:
    return v.numerator if v.denominator == 1 else float(v)


def _rf(rf: tuple[Fraction, Fraction] | None) -> str:
    if rf is None:
        return "all"
    a, b = (m.fmt_number(v) for v in rf)
    return a if a == b else f"{a}×{b}"
