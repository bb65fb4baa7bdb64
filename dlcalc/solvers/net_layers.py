"""One torch layer applied to tensors that are only shapes: its outputs, parameters, MACs (three
ways) and derivation. Used by the `net` solver for every layer call of a network.

Shapes here are full tensor shapes, the batch of 1 included (at the axis torch expects it: 0,
or 1 for a sequence-first RNN or attention layer); messages show them without the batch, as
the table does.

MACs: `macs` counts the multiply-adds of weights (conv, linear, the projections of attention,
the gate matrices of recurrent layers), as fvcore counts conv and linear; `products` counts
multiply-adds between two activations (attention's QKᵀ and A·V); `torchinfo` is torchinfo
1.8's figure (`LayerInfo.calculate_macs`): every parameter named weight/bias times the output
positions of a conv (N·H_out·W_out), times the first output dimension otherwise, and the inner
weights of a recurrent layer times the first two output dimensions; MultiheadAttention counts 0
in torchinfo (it is not a leaf module: its out_proj child is never called).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.parse.layers import LayerCall
from dlcalc.result import Step
from dlcalc.solvers import conv, pool
from dlcalc.text import T

SHAPE_KEEPING = {
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LogSoftmax",
    "Softplus",
    "Hardswish",
    "Hardsigmoid",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Identity",
    "LocalResponseNorm",
}
# Layers indifferent to where the batch axis is (they act on the last dimension, or elementwise).
BATCH_AGNOSTIC = SHAPE_KEEPING - {"LocalResponseNorm", "Dropout1d", "Dropout2d"} | {"Linear", "LayerNorm", "Embedding"}
SEQUENCE_FIRST = {"MultiheadAttention", "RNN", "LSTM", "GRU"}  # batch_first=False by default


@dataclass
class Out:
    """One output tensor of a layer: its full shape and batch axis."""

    shape: tuple[int, ...]
    batch: int | None


@dataclass
class Applied:
    outputs: Any  # an Out, or a tuple structure of Out/None (attention, recurrent layers)
    params: int
    macs: int = 0
    products: int = 0
    torchinfo: int = 0
    steps: list[Step] = field(default_factory=list)
    window: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], bool] | None = (
        None  # kernel, stride, dilation, transposed
    )
    rf: str = "keep"  # keep | window | all | none | upsample
    scale: tuple[Fraction, ...] | None = None  # Upsample: output positions per input position


def show(shape: tuple[int, ...], batch: int | None) -> str:
    dims = shape if batch is None else shape[:batch] + shape[batch + 1 :]
    return "×".join(map(str, dims)) or "scalar"


def receives(n: int, shape: tuple[int, ...], batch: int | None) -> str:
    """`30 (its input is 16×30×30)`, or just `14400` when the input is that one size."""
    shown = show(shape, batch)
    return str(n) if shown == str(n) else f"{n} (its input is {shown})"


def _pos(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise DlcalcError(f"{what} must be a positive whole number, got {v!r}")
    return v


# --- parameters (from the constructor alone: also for modules that forward never calls) ---------------


def layer_params(call: LayerCall) -> int:
    a, name = call.args, call.name
    if name in ("Conv1d", "Conv2d", "ConvTranspose2d"):
        c, f, g = (
            _pos(a["in_channels"], "in_channels"),
            _pos(a["out_channels"], "out_channels"),
            _pos(a["groups"], "groups"),
        )
        k = a["kernel_size"]
        ks = (k,) if isinstance(k, int) else tuple(k)
        if name == "Conv2d" or name == "ConvTranspose2d":
            ks = ks * 2 if len(ks) == 1 else ks
        if c % g or f % g:
            raise DlcalcError(f"in_channels ({c}) and out_channels ({f}) must be divisible by groups ({g})")
        per = math.prod(ks) * (c // g if name != "ConvTranspose2d" else f // g)
        outer = f if name != "ConvTranspose2d" else c
        return per * outer + (f if a["bias"] else 0)
    if name == "Linear":
        fin, fout = a["in_features"], a["out_features"]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (fin, fout)):
            raise DlcalcError(f"in_features and out_features must be positive whole numbers, got {fin!r}, {fout!r}")
        return (fin + 1) * fout if a["bias"] else fin * fout
    if name in ("BatchNorm1d", "BatchNorm2d"):
        c = _pos(a["num_features"], "num_features")
        return ((1 + bool(a["bias"])) * c) if a["affine"] else 0
    if name == "GroupNorm":
        c = _pos(a["num_channels"], "num_channels")
        return ((1 + bool(a["bias"])) * c) if a["affine"] else 0
    if name == "LayerNorm":
        n = math.prod(_norm_shape(a["normalized_shape"]))
        return ((1 + bool(a["bias"])) * n) if a["elementwise_affine"] else 0
    if name == "Embedding":
        return _pos(a["num_embeddings"], "num_embeddings") * _pos(a["embedding_dim"], "embedding_dim")
    if name == "PReLU":
        return _pos(a["num_parameters"], "num_parameters")
    if name == "MultiheadAttention":
        return _mha_params(a)[0]
    if name in ("RNN", "LSTM", "GRU"):
        return _rnn_params(call)[0]
    return 0


def param_shape(call: LayerCall, name: str) -> tuple[int, ...] | None:
    """The shape torch gives `layer.weight` / `layer.bias` (None when the layer has none)."""
    a = call.args
    if name == "bias" and a.get("bias") is False:
        return None
    if call.name == "Linear":
        return (a["out_features"], a["in_features"]) if name == "weight" else (a["out_features"],)
    if call.name == "Embedding":
        return (a["num_embeddings"], a["embedding_dim"]) if name == "weight" else None
    if call.name in ("Conv1d", "Conv2d", "ConvTranspose2d"):
        if name == "bias":
            return (a["out_channels"],)
        k = a["kernel_size"]
        ks = (k,) if isinstance(k, int) else tuple(k)
        if call.name != "Conv1d" and len(ks) == 1:
            ks = ks * 2
        g = a["groups"]
        first = (
            (a["out_channels"], a["in_channels"] // g)
            if call.name != "ConvTranspose2d"
            else (a["in_channels"], a["out_channels"] // g)
        )
        return first + ks
    if call.name in ("BatchNorm1d", "BatchNorm2d", "GroupNorm"):
        c = int(a.get("num_features", a.get("num_channels", 0)))
        return (c,) if a.get("affine", True) else None
    if call.name == "LayerNorm":
        return _norm_shape(a["normalized_shape"]) if a["elementwise_affine"] else None
    return None


def tied_params(module: Any) -> int:
    """Parameters a layer shares with another (`fc.weight = embed.weight`): torch counts them once."""
    return sum(math.prod(param_shape(module.call, name) or ()) for name in module.tied)


def _norm_shape(value: Any) -> tuple[int, ...]:
    dims = (value,) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else None
    if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        raise DlcalcError(f"normalized_shape must be positive whole numbers, got {value!r}")
    return dims


# --- applying a layer ----------------------------------------------------------------------------------


def apply(call: LayerCall, args: list[Any], kwargs: dict[str, Any]) -> Applied:
    """The layer `call` applied to `args` (tensors: objects with .shape and .batch)."""
    name = call.name
    for a in [*args, *kwargs.values()]:
        if hasattr(a, "shape") and not hasattr(a, "batch"):  # a tensor built in the code (torch.zeros …)
            raise DlcalcError(
                f"{name} is given a tensor built in the code, not one that comes from the input: "
                "dlcalc follows the input's tensors through the layers"
            )
    if name == "MultiheadAttention":
        return _mha(call, args, kwargs)
    if name in ("RNN", "LSTM", "GRU"):
        return _rnn(call, args, kwargs)
    if len(args) != 1 or kwargs:
        raise DlcalcError(f"{name} takes one input tensor, got {len(args) + len(kwargs)} arguments")
    x = args[0]
    if not hasattr(x, "shape"):
        raise DlcalcError(f"{name} takes a tensor")
    shape, batch = tuple(x.shape), x.batch
    params = layer_params(call)
    if name in SHAPE_KEEPING:
        return Applied(Out(shape, batch), 0)
    if name == "PReLU":
        n = call.args["num_parameters"]
        if n != 1 and (len(shape) < 2 or shape[1] != n):
            raise DlcalcError(
                f"expects {n} channels but receives {receives(shape[1] if len(shape) > 1 else 1, shape, batch)}"
            )
        return Applied(Out(shape, batch), params, torchinfo=_torchinfo(name, params, shape))
    handler = _RULES.get(name)
    if handler is None:
        raise DlcalcError(f"{name} is not supported in a network yet")
    return handler(call, shape, batch, params)


def _torchinfo(name: str, params: int, out: tuple[int, ...]) -> int:
    if not params or not out:
        return 0
    if "Conv" in name:
        return params * math.prod(out[:1] + out[2:])
    return out[0] * params


def _need_rank(shape: tuple[int, ...], batch: int | None, ranks: tuple[int, ...], what: str) -> None:
    if len(shape) not in ranks:
        raise DlcalcError(f"needs {what}, but its input is {show(shape, batch)}")


def _conv2d(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    a, name = call.args, call.name
    _need_rank(shape, batch, (3, 4), "a C×H×W feature map")
    lead, (c, h, w) = shape[:-3], shape[-3:]
    if a["in_channels"] != c:
        raise DlcalcError(f"expects {a['in_channels']} input channels but receives {receives(c, shape, batch)}")
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
    n = math.prod(lead)
    if spec.transposed:
        macs = n * c * h * w * (spec.out_channels // spec.groups) * kh * kw  # type: ignore[operator]
    else:
        macs = n * out[0] * out[1] * out[2] * (c // spec.groups) * kh * kw
    steps = [_in_net(s) for s in result.steps if s.label.en != "Output channels"]
    full = lead + out
    return Applied(
        Out(full, batch),
        result.answer["params"],
        macs,
        torchinfo=_torchinfo(name, result.answer["params"], full),
        steps=steps,
        window=(spec.kernel, spec.stride, spec.dilation, spec.transposed),
        rf="window",
    )


def _in_net(step: Step) -> Step:
    """The conv solver's step, its --no-bias remark said as the layer says it."""
    if step.note is not None and "--no-bias" in step.note.en:
        return Step(step.label, step.lhs, step.chain, T("no bias (bias=False)", "无偏置（bias=False）"), step.joiner)
    return step


def _length_step(label_en: str, label_zh: str, w: Any, out: int, ceil_mode: bool, dilated: bool) -> Step:
    from dlcalc.solvers.window import size_formula, substituted

    symmetric = w.pad_before == w.pad_after
    rounding = m.ceil if ceil_mode else m.floor
    chain = [
        rounding(size_formula(symmetric, "L", dilated)) + 1,
        rounding(substituted(w, dilated)) + 1,
        rounding(m.frac(w.reach, w.stride)) + 1,
        m.num(out),
    ]
    return Step(T(label_en, label_zh), m.sub("L", "out"), m.dedupe(chain))


def _one(v: Any, what: str) -> int:
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise DlcalcError(f"{what} of a 1-d layer takes one number, got {v!r}")
        v = v[0]
    if isinstance(v, bool) or not isinstance(v, int):
        raise DlcalcError(f"{what} must be a whole number, got {v!r}")
    return v


def _conv1d(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    from dlcalc.solvers.window import Window

    a = call.args
    _need_rank(shape, batch, (2, 3), "a C×L sequence of channels")
    lead, (c, length) = shape[:-2], shape[-2:]
    if a["in_channels"] != c:
        raise DlcalcError(f"expects {a['in_channels']} input channels but receives {receives(c, shape, batch)}")
    k, s, d, g = (_one(a[p], p) for p in ("kernel_size", "stride", "dilation", "groups"))
    if min(k, s, d) <= 0:
        raise DlcalcError("kernel_size, stride and dilation must be positive")
    pad = a["padding"]
    if pad == "same":
        if s != 1:
            raise DlcalcError("padding='same' is not supported for strided convolutions (torch refuses it)")
        total = d * (k - 1)
        before, after = total // 2, total - total // 2
    elif pad == "valid":
        before = after = 0
    else:
        before = after = _one(pad, "padding")
        if before < 0:
            raise DlcalcError("padding must not be negative")
    w = Window(length, k, s, before, after, d)
    out = w.output_size()
    if out <= 0:
        raise DlcalcError(
            f"the kernel spans {w.span} positions but the padded input has only {w.padded}: no output (torch refuses it)"
        )
    f = a["out_channels"]
    steps = [_length_step("Output length", "输出长度", w, out, False, True)]
    per = k * (c // g)
    chain = [
        (m.sym("K") * m.sym("C") / m.sym("groups") if g != 1 else m.sym("K") * m.sym("C")) + (1 if a["bias"] else 0)
    ]
    steps.append(
        Step(
            T("Parameters", "参数量"),
            m.sym("params"),
            [chain[0] * m.sym("F"), (m.num(per) + (1 if a["bias"] else 0)) * f, m.num(params)],
            T(
                "each of the F kernels has K·C/groups weights and one bias",
                "F 个卷积核各有 K·C/groups 个权重和 1 个偏置",
            )
            if a["bias"]
            else None,
        )
    )
    full = lead + (f, out)
    return Applied(
        Out(full, batch),
        params,
        math.prod(lead) * f * out * per,
        torchinfo=_torchinfo("Conv1d", params, full),
        steps=steps,
        window=((k,), (s,), (d,), False),
        rf="window",
    )


def _pool2d(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    a = call.args
    _need_rank(shape, batch, (3, 4), "a C×H×W feature map")
    lead, (c, h, w) = shape[:-3], shape[-3:]
    result = pool.solve(
        pool.parse_spec(
            {
                "input": [c, h, w],
                "kernel": a["kernel_size"],
                "stride": a["stride"],
                "padding": a["padding"],
                "dilation": a.get("dilation", 1),
                "ceil_mode": a["ceil_mode"],
                "avg": call.name == "AvgPool2d",
            }
        )
    )
    spec: pool.PoolSpec = result.spec
    steps = [s for s in result.steps if s.lhs is not None or s.chain]
    return Applied(
        Out(lead + tuple(result.answer["output_shape"]), batch),
        0,
        steps=steps,
        window=(spec.kernel, spec.stride, spec.dilation, False),
        rf="window",
    )


def _pool1d(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    from dlcalc.solvers.window import Window

    a = call.args
    _need_rank(shape, batch, (2, 3), "a C×L sequence of channels")
    lead, (c, length) = shape[:-2], shape[-2:]
    k = _one(a["kernel_size"], "kernel_size")
    s = k if a["stride"] is None or a["stride"] == () else _one(a["stride"], "stride")
    p = _one(a["padding"], "padding")
    d = _one(a.get("dilation", 1), "dilation")
    if min(k, s, d) <= 0 or p < 0:
        raise DlcalcError("kernel_size, stride and dilation must be positive, padding not negative")
    if p > k // 2:
        raise DlcalcError(f"padding ({p}) must be at most half the kernel size ({k}) (torch refuses it)")
    w = Window(length, k, s, p, p, d)
    out = w.output_size(bool(a["ceil_mode"]))
    if out <= 0:
        raise DlcalcError(f"the window spans {w.span} positions but the input has only {w.padded}: no output")
    steps = [_length_step("Output length", "输出长度", w, out, bool(a["ceil_mode"]), call.name == "MaxPool1d")]
    return Applied(Out(lead + (c, out), batch), 0, steps=steps, window=((k,), (s,), (d,), False), rf="window")


def _adaptive_kernel(n: int, out: int) -> int:
    """The widest window torch's adaptive pooling uses: from ⌊i·n/out⌋ to ⌈(i+1)·n/out⌉."""
    return max(-(-(i + 1) * n // out) - (i * n // out) for i in range(out))


def _adaptive(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    two = call.name.endswith("2d")
    k = 2 if two else 1
    _need_rank(shape, batch, (k + 1, k + 2), "a C×H×W feature map" if two else "a C×L sequence of channels")
    spatial = shape[-k:]
    size = call.args["output_size"]
    wanted = (size,) * k if not isinstance(size, (tuple, list)) else tuple(size)
    if len(wanted) != k:
        raise DlcalcError(f"output_size needs {k} sizes, got {size!r}")
    out = tuple(n if o is None else o for n, o in zip(spatial, wanted))
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in out):
        raise DlcalcError(f"output_size must be positive whole numbers, got {size!r}")
    kernel = tuple(_adaptive_kernel(n, o) for n, o in zip(spatial, out))
    stride = tuple(Fraction(n, o) for n, o in zip(spatial, out))
    shown = f"({', '.join(map(str, out))})"
    step = Step(
        T("adaptive pooling to a fixed size", "自适应池化到固定尺寸"),
        m.sym("(H_out, W_out)") if two else m.sub("L", "out"),
        [m.sym(shown) if two else m.num(out[0])],
        T(
            "the output size is whatever output_size says; each window covers about H/H_out rows",
            "输出尺寸由 output_size 决定；每个窗口约覆盖 H/H_out 行",
        ),
    )
    return Applied(
        Out(shape[:-k] + out, batch),
        0,
        steps=[step],
        window=(kernel, stride, (1,) * k, False),  # type: ignore[arg-type]
        rf="window",
    )


def _batchnorm(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    a = call.args
    if call.name == "BatchNorm2d":
        _need_rank(shape, batch, (4,), "a C×H×W feature map")
    else:
        _need_rank(shape, batch, (2, 3), "(features) or (C, L)")
    c = shape[1]
    if a["num_features"] != c:
        raise DlcalcError(f"expects {a['num_features']} features but receives {receives(c, shape, batch)}")
    per_channel = (1 + bool(a["bias"])) if a["affine"] else 0
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
    return Applied(Out(shape, batch), params, torchinfo=_torchinfo(call.name, params, shape), steps=[step])


def _groupnorm(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    a = call.args
    g, c = _pos(a["num_groups"], "num_groups"), a["num_channels"]
    if c % g:
        raise DlcalcError(f"num_channels ({c}) must be divisible by num_groups ({g})")
    if len(shape) < 2 or shape[1] != c:
        got = shape[1] if len(shape) > 1 else shape[0]
        raise DlcalcError(f"expects {c} channels but receives {receives(got, shape, batch)}")
    if math.prod(shape) // g == 1:
        # torch (F.group_norm, eval mode too) refuses a group statistic over a single value
        where = show(shape, batch)
        raise DlcalcError(
            T(
                f"each of the {g} groups would hold one value (N·C/G·H·W = 1 for input {where}); "
                "torch refuses to normalise a single value",
                f"{g} 个组每组只有一个值（输入 {where} 时 N·C/G·H·W = 1）；torch 不对单个值做归一化",
            )
        )
    step = Step(
        T("parameters (γ and β per channel)", "参数量（每通道 γ 与 β）"),
        m.sym("params"),
        [m.juxt(2, m.sym("C")), 2 * m.num(c), m.num(params)] if params == 2 * c else [m.num(params)],
        T(
            "statistics over groups of C/G = {n} channels; the affine γ, β stay per channel",
            "在每组 C/G = {n} 个通道上统计；仿射参数 γ、β 仍按通道",
        ).format(n=c // g),
    )
    return Applied(Out(shape, batch), params, torchinfo=_torchinfo(call.name, params, shape), steps=[step])


def _layernorm(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    dims = _norm_shape(call.args["normalized_shape"])
    if tuple(shape[-len(dims) :]) != dims or len(shape) < len(dims):
        raise DlcalcError(
            f"normalizes the last dimensions {'×'.join(map(str, dims))} but its input is {show(shape, batch)}"
        )
    n = math.prod(dims)
    step = Step(
        T("parameters (γ and β per normalized element)", "参数量（每个归一化元素的 γ 与 β）"),
        m.sym("params"),
        [m.juxt(2, m.sym("D")), 2 * m.num(n), m.num(params)] if params == 2 * n else [m.num(params)],
        T(
            "mean and variance over the last dimension(s) of each position; no running statistics",
            "在每个位置的最后维度上求均值与方差；没有滑动统计量",
        ),
    )
    return Applied(Out(shape, batch), params, torchinfo=_torchinfo("LayerNorm", params, shape), steps=[step])


def _linear(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    a = call.args
    fin, fout = a["in_features"], a["out_features"]
    if not shape or shape[-1] != fin:
        last = shape[-1] if shape else 1
        shown = show(shape, batch)
        hint = ""
        if len(shape) >= 3 and batch == 0 and len(shape) == 4:
            hint = f"; add Flatten() first ({shown} = {math.prod(shape):,} features)"
        raise DlcalcError(f"expects {fin} input features but receives {receives(last, shape, batch)}{hint}")
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
    return Applied(
        Out(out, batch),
        params,
        math.prod(out[:-1]) * fin * fout,
        torchinfo=_torchinfo("Linear", params, out),
        steps=[step],
        rf="all",
    )


def _flatten(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    rank = len(shape)
    s, e = call.args["start_dim"], call.args["end_dim"]
    for v in (s, e):
        if isinstance(v, bool) or not isinstance(v, int) or not -rank <= v < rank:
            raise DlcalcError(f"Flatten: dim {v!r} is out of range for a tensor of {rank} dimensions")
    s, e = s % rank, e % rank
    if s > e:
        raise DlcalcError("Flatten: start_dim must not be after end_dim")
    merged = shape[s : e + 1]
    size = math.prod(merged)
    out = shape[:s] + (size,) + shape[e + 1 :]
    new_batch = None if batch is None else (batch if batch < s else batch - (e - s) if batch > e else None)
    visible = [d for i, d in enumerate(merged) if i + s != batch]
    names = "CHW"[: len(visible)] if len(visible) <= 3 else ""
    chain = ([m.times(*map(m.sym, names))] if len(visible) == 3 else []) + (
        [m.times(*visible)] if len(visible) > 1 else []
    )
    step = Step(T("flatten", "展平"), m.sym("n"), chain + [m.num(math.prod(visible))])
    return Applied(Out(out, new_batch), 0, steps=[step], rf="all")


def _upsample(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    a = call.args
    k = len(shape) - 2
    if k < 1 or k > 3:
        raise DlcalcError(f"needs a feature map (N, C, …) of 3 to 5 dimensions, but its input is {show(shape, batch)}")
    size, scale, mode = a["size"], a["scale_factor"], a["mode"]
    modes = {"nearest", "nearest-exact", "area"} | (
        {"linear"} if k == 1 else {"bilinear", "bicubic"} if k == 2 else {"trilinear"}
    )
    if mode not in modes:
        raise DlcalcError(f"mode {mode!r} does not fit a {k}-d map (use one of {', '.join(sorted(modes))})")
    spatial = shape[-k:]
    if (size is None) == (scale is None):
        raise DlcalcError("give exactly one of size and scale_factor")
    if size is not None:
        sizes = (size,) * k if not isinstance(size, (tuple, list)) else tuple(size)
        if len(sizes) != k or not all(isinstance(v, int) and v > 0 for v in sizes):
            raise DlcalcError(f"size needs {k} positive whole numbers, got {size!r}")
        out = sizes
        factors = tuple(Fraction(o, n) for o, n in zip(out, spatial))
    else:
        scales = (scale,) * k if not isinstance(scale, (tuple, list)) else tuple(scale)
        if len(scales) != k or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in scales
        ):
            raise DlcalcError(f"scale_factor needs {k} positive numbers, got {scale!r}")
        out = tuple(math.floor(n * Fraction(str(f))) for n, f in zip(spatial, scales))
        factors = tuple(Fraction(str(f)) for f in scales)
        if any(o <= 0 for o in out):
            raise DlcalcError("the output would be empty")
    step = Step(
        T("upsampled size", "上采样后的尺寸"),
        m.sym("size"),
        [
            m.sym(" × ".join(f"⌊{n}·{m.fmt_number(f)}⌋" for n, f in zip(spatial, factors))),
            m.sym("×".join(map(str, out))),
        ]
        if size is None
        else [m.sym("×".join(map(str, out)))],
    )
    return Applied(Out(shape[:-k] + out, batch), 0, steps=[step], rf="upsample", scale=factors)


def _zeropad(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    pad = call.args["padding"]
    n = 4 if call.name == "ZeroPad2d" else 2
    pads = (
        (pad,) * n
        if isinstance(pad, int) and not isinstance(pad, bool)
        else tuple(pad)
        if isinstance(pad, (tuple, list))
        else None
    )
    if pads is None or len(pads) != n or not all(isinstance(p, int) and not isinstance(p, bool) for p in pads):
        raise DlcalcError(f"padding needs one whole number or {n}, got {pad!r}")
    k = n // 2
    if len(shape) < k + 1:
        raise DlcalcError(f"needs at least {k + 1} dimensions, but its input is {show(shape, batch)}")
    out = list(shape)
    for i in range(k):
        axis = len(shape) - 1 - i
        out[axis] += pads[2 * i] + pads[2 * i + 1]
        if out[axis] <= 0:
            raise DlcalcError("the padding leaves an empty dimension")
    return Applied(Out(tuple(out), batch), 0)


def _embedding(call: LayerCall, shape: tuple[int, ...], batch: int | None, params: int) -> Applied:
    a = call.args
    v, e = a["num_embeddings"], a["embedding_dim"]
    step = Step(
        T("parameters (one vector per token)", "参数量（每个词元一个向量）"),
        m.sym("params"),
        [m.sym("V") * m.sym("d"), m.num(v) * e, m.num(params)],
        T("a lookup table: no multiply-adds, each index picks one row", "查表：没有乘加，每个索引取出一行"),
    )
    out = shape + (e,)
    return Applied(Out(out, batch), params, torchinfo=_torchinfo("Embedding", params, out), steps=[step], rf="none")


_RULES = {
    "Conv2d": _conv2d,
    "ConvTranspose2d": _conv2d,
    "Conv1d": _conv1d,
    "MaxPool2d": _pool2d,
    "AvgPool2d": _pool2d,
    "MaxPool1d": _pool1d,
    "AvgPool1d": _pool1d,
    "AdaptiveAvgPool2d": _adaptive,
    "AdaptiveMaxPool2d": _adaptive,
    "AdaptiveAvgPool1d": _adaptive,
    "AdaptiveMaxPool1d": _adaptive,
    "BatchNorm1d": _batchnorm,
    "BatchNorm2d": _batchnorm,
    "GroupNorm": _groupnorm,
    "LayerNorm": _layernorm,
    "Linear": _linear,
    "Flatten": _flatten,
    "Upsample": _upsample,
    "ZeroPad2d": _zeropad,
    "ZeroPad1d": _zeropad,
    "Embedding": _embedding,
}


# --- attention --------------------------------------------------------------------------------------


def _mha_params(a: dict[str, Any]) -> tuple[int, list[Step]]:
    e, heads = _pos(a["embed_dim"], "embed_dim"), _pos(a["num_heads"], "num_heads")
    if e % heads:
        raise DlcalcError(f"embed_dim ({e}) must be divisible by num_heads ({heads})")
    kdim = e if a["kdim"] is None else _pos(a["kdim"], "kdim")
    vdim = e if a["vdim"] is None else _pos(a["vdim"], "vdim")
    bias = bool(a["bias"])
    proj = e * e + kdim * e + vdim * e
    total = proj + (3 * e if bias else 0) + e * e + (e if bias else 0) + (2 * e if a["add_bias_kv"] else 0)
    E = m.sym("E")
    if kdim == vdim == e:
        chain = [
            (m.num(3) * E**2 + (m.num(3) * E if bias else 0)) + (E**2 + (E if bias else 0)),
            m.num(4) * E**2 + m.num(4) * E if bias else m.num(4) * E**2,
            m.num(4) * m.num(e) ** 2 + m.num(4) * e if bias else m.num(4) * m.num(e) ** 2,
        ]
        note = T(
            "W_Q, W_K, W_V (E×E each, with their biases) and the output projection W_O (E×E + E); "
            "the heads split E, they add no parameters",
            "W_Q、W_K、W_V（各 E×E，含偏置）与输出投影 W_O（E×E + E）；多头只是切分 E，不增加参数",
        )
    else:
        chain = [
            m.num(e) * e
            + m.num(kdim) * e
            + m.num(vdim) * e
            + (3 * e if bias else 0)
            + (m.num(e) * e + (e if bias else 0))
        ]
        note = T("kdim/vdim differ from E: separate W_Q, W_K, W_V", "kdim/vdim 与 E 不同：W_Q、W_K、W_V 分开存放")
    if a["add_bias_kv"]:
        chain.append(m.sym(f"… + 2·{e}"))
    step = Step(
        T("parameters of multi-head attention", "多头注意力的参数量"), m.sym("params"), chain + [m.num(total)], note
    )
    return total, [step]


def _tensor(v: Any, what: str) -> tuple[tuple[int, ...], int | None]:
    if not hasattr(v, "shape") or not hasattr(v, "batch"):
        raise DlcalcError(f"{what} must be a tensor")
    return tuple(v.shape), v.batch


_MHA_ARGS = [
    "query",
    "key",
    "value",
    "key_padding_mask",
    "need_weights",
    "attn_mask",
    "average_attn_weights",
    "is_causal",
]


def _mha(call: LayerCall, args: list[Any], kwargs: dict[str, Any]) -> Applied:
    a = call.args
    bound = _mha_bind(args, kwargs)
    q, qb = _tensor(bound["query"], "query")
    n, L, S = _mha_sizes(a, q, qb, _tensor(bound["key"], "key"), _tensor(bound["value"], "value"))
    params, steps = _mha_params(a)
    s_eff = S + bool(a["add_bias_kv"]) + bool(a["add_zero_attn"])
    weights, products, step = _mha_macs(a, n, L, S, s_eff)
    steps.append(step)
    attn = None
    if bound.get("need_weights", True):
        heads = a["num_heads"]
        per_query = (L, s_eff) if bound.get("average_attn_weights", True) else (heads, L, s_eff)
        # batched (L, N, E): weights (N, …); the batch is ours (of 1) only when the query's is
        attn = Out((n, *per_query), 0 if qb is not None else None) if len(q) == 3 else Out(per_query, None)
    return Applied((Out(q, qb), attn), params, weights, products, torchinfo=0, steps=steps, rf="none")


def _mha_bind(args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """forward's arguments by name, as torch binds them: query, key and value required."""
    if len(args) > len(_MHA_ARGS):
        raise DlcalcError("MultiheadAttention takes at most 8 arguments")
    bound = dict(zip(_MHA_ARGS, args))
    for k, v in kwargs.items():
        if k not in _MHA_ARGS:
            raise DlcalcError(f"MultiheadAttention.forward has no argument {k!r}")
        bound[k] = v
    for k in ("query", "key", "value"):
        if k not in bound:
            raise DlcalcError(f"MultiheadAttention needs {k} (call it as attn(x, x, x) for self-attention)")
    return bound


def _mha_sizes(
    a: dict[str, Any],
    q: tuple[int, ...],
    qb: int | None,
    key: tuple[tuple[int, ...], int | None],
    value: tuple[tuple[int, ...], int | None],
) -> tuple[int, int, int]:
    """(N, L, S): batch, query length and key length, with torch's checks of the three shapes."""
    (k_, kb), (v_, vb) = key, value
    e = a["embed_dim"]
    kdim = e if a["kdim"] is None else a["kdim"]
    vdim = e if a["vdim"] is None else a["vdim"]
    if len(q) not in (2, 3) or len(k_) != len(q) or len(v_) != len(q):
        raise DlcalcError(
            f"query, key and value must all be (L, E) or (L, N, E) tensors, got {show(q, qb)}, {show(k_, kb)}, {show(v_, vb)}"
        )
    first = bool(a["batch_first"])

    def split(s: tuple[int, ...]) -> tuple[int, int, int]:  # (N, L, E)
        if len(q) == 2:
            return 1, s[0], s[1]
        return (s[0], s[1], s[2]) if first else (s[1], s[0], s[2])

    n, L, qe = split(q)
    nk, S, ke = split(k_)
    nv, Sv, ve = split(v_)
    if qe != e:
        raise DlcalcError(f"expects query features E = {e} but receives {receives(qe, q, qb)}")
    if ke != kdim or ve != vdim:
        raise DlcalcError(f"expects key features {kdim} and value features {vdim}, got {ke} and {ve}")
    if S != Sv:
        raise DlcalcError(f"key and value must have the same length, got {S} and {Sv}")
    if len({n, nk, nv}) != 1:
        raise DlcalcError(f"query, key and value have different batch sizes ({n}, {nk}, {nv})")
    return n, L, S


def _mha_macs(a: dict[str, Any], n: int, L: int, S: int, s_eff: int) -> tuple[int, int, Step]:
    """Weight MACs of the four projections, activation products of QKᵀ and A·V, and their step."""
    e = a["embed_dim"]
    kdim = e if a["kdim"] is None else a["kdim"]
    vdim = e if a["vdim"] is None else a["vdim"]
    weights = n * (L * e * e + S * kdim * e + S * vdim * e + L * e * e)
    products = n * (L * s_eff * e + L * s_eff * e)
    heads = a["num_heads"]
    step = Step(
        T("multiply-adds: projections + QKᵀ and A·V", "乘加次数：投影 + QKᵀ 与 A·V"),
        m.sym("MACs"),
        [
            m.sym("L·E·E + S·k·E + S·v·E + L·E·E + 2·L·S·E"),
            m.sym(f"{weights:,} + 2·{L}·{s_eff}·{e}"),
            m.sym(f"{weights:,} + {products:,}"),
            m.num(weights + products),
        ]
        if n == 1
        else [  # a batch of its own (a 3-size -i): every sequence of the N costs the same
            m.sym("N·(L·E·E + S·k·E + S·v·E + L·E·E + 2·L·S·E)"),
            m.sym(f"{weights:,} + {n}·2·{L}·{s_eff}·{e}"),
            m.sym(f"{weights:,} + {products:,}"),
            m.num(weights + products),
        ],
        T(
            "Q, K, V and output projections multiply weights; QKᵀ and A·V multiply two activations (over "
            "{h} heads of E/h = {d})",
            "Q、K、V 与输出投影乘的是权重；QKᵀ 与 A·V 是两个激活相乘（{h} 个头，每头 E/h = {d}）",
        ).format(h=heads, d=e // heads),
    )
    return weights, products, step


# --- recurrent layers --------------------------------------------------------------------------------

_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def _rnn_params(call: LayerCall) -> tuple[int, list[Step]]:
    a = call.args
    i, h, layers = (
        _pos(a["input_size"], "input_size"),
        _pos(a["hidden_size"], "hidden_size"),
        _pos(a["num_layers"], "num_layers"),
    )
    if call.name == "LSTM" and a.get("proj_size", 0):
        raise DlcalcError("LSTM with proj_size is not supported")
    if call.name == "RNN" and a["nonlinearity"] not in ("tanh", "relu"):
        raise DlcalcError(f"nonlinearity must be 'tanh' or 'relu', got {a['nonlinearity']!r}")
    g = _GATES[call.name]
    d = 2 if a["bidirectional"] else 1
    bias = bool(a["bias"])
    total = 0
    chain_parts = []
    for layer in range(layers):
        width = i if layer == 0 else d * h
        per = g * h * width + g * h * h + (2 * g * h if bias else 0)
        total += d * per
        chain_parts.append((width, per))
    G, H, I = m.num(g), m.sym("H"), m.sym("I")
    formula = G * H * (I + H + (2 if bias else 0))
    if layers > 1 or d > 1:  # the formula names what the substitution adds up: directions, then layers
        inputs = (m.sub("I", "l") if layers > 1 else I) + H + (2 if bias else 0)
        formula = (m.sym("D") * G if d > 1 else G) * H * inputs
        formula = m.sum_over(formula, "l", 1, layers) if layers > 1 else formula
    pieces = " + ".join(
        f"{d}·{g}·{h}·({w} + {h}{' + 2' if bias else ''})" if d > 1 else f"{g}·{h}·({w} + {h}{' + 2' if bias else ''})"
        for w, _ in chain_parts
    )
    step = Step(
        T(f"parameters of {call.name}", f"{call.name} 的参数量"),
        m.sym("params"),
        [formula, m.sym(pieces), m.num(total)]
        if layers > 1 or d > 1
        else [formula, m.num(g) * h * (m.num(i) + h + (2 if bias else 0)), m.num(total)],
        T(
            f"{m.plural(g, 'gate') if g > 1 else 'the cell'}, each with W_ih (H×I), W_hh (H×H) and two biases "
            "b_ih, b_hh (torch keeps both); layer l > 1 reads the D·H outputs below it; D = 2 directions when "
            "bidirectional",
            f"{f'{g} 个门' if g > 1 else '单元'}，各有 W_ih（H×I）、W_hh（H×H）与两个偏置 b_ih、b_hh（torch 两个都保留）；"
            "第 l > 1 层的输入是下一层的 D·H 个输出；双向时 D = 2",
        ),
    )
    return total, [step]


def _rnn(call: LayerCall, args: list[Any], kwargs: dict[str, Any]) -> Applied:
    a = call.args
    if not args or len(args) > 2:
        raise DlcalcError(f"{call.name} takes an input and optionally the initial state")
    x, xb = _tensor(args[0], "input")
    params, steps = _rnn_params(call)
    h, layers = a["hidden_size"], a["num_layers"]
    d = 2 if a["bidirectional"] else 1
    g = _GATES[call.name]
    if len(x) not in (2, 3):
        raise DlcalcError(f"needs (L, H_in) or (L, N, H_in), but its input is {show(x, xb)}")
    batched = len(x) == 3
    first = bool(a["batch_first"])
    if batched:
        n, L, feat = (x[0], x[1], x[2]) if first else (x[1], x[0], x[2])
    else:
        n, L, feat = 1, x[0], x[1]
    if feat != a["input_size"]:
        raise DlcalcError(f"expects input_size {a['input_size']} but receives {receives(feat, x, xb)}")
    state = (d * layers, n, h) if batched else (d * layers, h)
    if len(args) == 2 and args[1] is not None:
        init = args[1]
        parts = init if isinstance(init, (tuple, list)) else (init,)
        if call.name == "LSTM" and len(parts) != 2:
            raise DlcalcError("LSTM takes its initial state as a pair (h_0, c_0)")
        for p in parts:
            ps, _ = _tensor(p, "initial state")
            if ps != state:
                raise DlcalcError(
                    f"the initial state must be {'×'.join(map(str, state))}, got {'×'.join(map(str, ps))}"
                )
    out_shape = ((n, L, d * h) if first else (L, n, d * h)) if batched else (L, d * h)
    # the batch is ours (of 1, hidden) only when the input's is; a batched input's N is its own
    ours = batched and xb is not None
    out = Out(out_shape, (0 if first else 1) if ours else None)
    hs = Out(state, 1 if ours else None)
    weights = 0
    for layer in range(layers):
        width = a["input_size"] if layer == 0 else d * h
        weights += d * g * h * (width + h)
    weights *= L * n
    steps.append(
        Step(
            T("multiply-adds", "乘加次数"),
            m.sym("MACs"),
            [
                m.sym(f"L·Σ D·{g}·H·(I_l + H) = {L}·{weights // max(L, 1):,}")
                if n == 1
                else m.sym(f"N·L·Σ D·{g}·H·(I_l + H) = {n}·{L}·{weights // max(L * n, 1):,}"),
                m.num(weights),
            ],
            T("every time step multiplies each gate's W_ih and W_hh once", "每个时间步每个门的 W_ih 与 W_hh 各乘一次"),
        )
    )
    states: Any = (hs, Out(state, 1 if ours else None)) if call.name == "LSTM" else hs
    torchinfo = math.prod(out_shape[:2]) * params
    return Applied((out, states), params, weights, torchinfo=torchinfo, steps=steps, rf="none")
