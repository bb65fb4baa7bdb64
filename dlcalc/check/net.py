"""Cross-check a network: build it again in torch from the *parsed structure* — each layer from its
whitelisted constructor arguments, the module tree as nested nn.Modules (so shared and tied weights
count once, as torch counts them), the traced graph of `forward` replayed operation by operation —
on the meta device (torch's own shape rules, no memory for weights). Every node's output shape and
every layer's parameters are compared, then the total. torch's own composite modules that dlcalc
defines itself (nn.TransformerEncoderLayer and its family) are also built as torch builds them and
compared whole. When weights and activations fit the budget the graph is run for real on the CPU.

No text of the user's is run: what is built here comes from the layer calls and the graph that the
reader produced.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from dlcalc.check import CheckReport, torch_could_not_run, torch_version
from dlcalc.check.conv import BUDGET
from dlcalc.result import Result
from dlcalc.solvers import net as solver
from dlcalc.solvers.net import NetSpec
from dlcalc.text import T, Text

SHOWN = 12  # nodes listed one by one; the rest are summed up in one line (mismatches always listed)


def build(spec: NetSpec, device: str = "meta") -> nn.Sequential:
    """A plain layer list as nn.Sequential (kept for the layer lists' callers)."""
    with torch.device(device):
        return nn.Sequential(*[layer(call) for call in spec.layers])


def layer(call: Any) -> nn.Module:
    # The arguments are the whitelisted literals the layer reader produced, never evaluated text.
    return getattr(nn, call.name)(**call.args)


def elements(answer: dict[str, Any]) -> int:
    """Parameters, every activation, and the unfolded patches of each convolution (batch 1)."""
    total = answer["total_params"] + math.prod(answer["input_shape"])
    for row in answer["layers"]:
        total += math.prod(row["output_shape"])
        if "Conv" in row["type"]:
            total += row["macs"] // max(1, row["output_shape"][0] if row["output_shape"] else 1)
    return total


def _refused(e: Exception) -> Text:
    if torch_could_not_run(e):
        raise e
    return T("torch refused: {e}", "torch 拒绝：{e}").format(e=str(e).splitlines()[0])


class Rebuilt:
    """The module tree in torch: one torch module per dlcalc module, nested as registered."""

    def __init__(self, root: Any, device: str):
        self.device = device
        self.torch: dict[int, nn.Module] = {}
        with torch.device(device):
            self.tree = self._build(root)
            for mod in root.modules():
                for name, (owner, theirs) in mod.tied.items():
                    setattr(self.torch[id(mod)], name, getattr(self.torch[id(owner)], theirs))

    def _build(self, mod: Any) -> nn.Module:
        if id(mod) in self.torch:
            return self.torch[id(mod)]
        if mod.call is not None:
            out = layer(mod.call)
        else:
            out = nn.Module()
            for name, child in mod.children.items():
                out.add_module(name, self._build(child))
            for name, p in mod.params.items():
                if p.shape is not None:
                    out.register_parameter(name, nn.Parameter(torch.empty(p.shape)))
        self.torch[id(mod)] = out
        return out

    def module(self, mod: Any) -> nn.Module:
        if id(mod) not in self.torch:  # an unregistered module (a plain list, a functional layer)
            with torch.device(self.device):
                self.torch[id(mod)] = layer(mod.call)
        return self.torch[id(mod)]


_ARITH: dict[str, Any] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
}
_UNARY: dict[str, Any] = {
    "neg": operator.neg,
    "exp": torch.exp,
    "sin": torch.sin,
    "cos": torch.cos,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "erf": torch.erf,
    "clamp": lambda x: x,
    "tril": torch.tril,
}


def _op(node: Any, xs: list[torch.Tensor], device: str) -> torch.Tensor | None:
    """Replay one tensor operation of the graph in torch; None where it cannot be replayed."""
    d = node.detail
    k = node.kind
    if k in _ARITH:
        operands = []
        for kind, value in d.get("operands", []):
            if kind == "tensor":
                operands.append(xs[value])
            elif kind == "const":
                operands.append(torch.zeros(value, device=device))
            else:
                operands.append(value)
        out = operands[0]
        for v in operands[1:]:
            out = _ARITH[k](out, v)
        return out
    if k in _UNARY:
        return _UNARY[k](xs[0])
    if k in ("view", "reshape"):
        return xs[0].reshape(d["sizes"])
    if k == "flatten":
        return torch.flatten(xs[0], d["start_dim"], d["end_dim"])
    if k == "permute":
        return xs[0].permute(*d["dims"])
    if k == "transpose":
        return xs[0].transpose(*d["dims"])
    if k == "unsqueeze":
        return xs[0].unsqueeze(d["dim"])
    if k == "squeeze":
        return xs[0].squeeze(tuple(d["dims"])) if d["dims"] else xs[0]
    if k in ("mean", "sum", "amax"):
        return getattr(xs[0], k)(dim=tuple(d["dims"]), keepdim=d["keepdim"])
    if k == "getitem":
        return xs[0][d["raw"]]
    if k == "expand":
        return xs[0].expand(node.outputs[0][0])
    if k == "repeat":
        out_shape, x = node.outputs[0][0], xs[0]
        lead = len(out_shape) - x.dim()
        sizes = [o // (x.shape[i - lead] if i >= lead else 1) for i, o in enumerate(out_shape)]
        return x.repeat(*sizes)
    if k == "cat" and len(xs) == len(d.get("parts", [])):
        return torch.cat(xs, d["dim"])
    if k == "stack":
        return torch.stack(xs, d["dim"])
    if k == "matmul" and len(xs) == 2:
        return torch.matmul(xs[0], xs[1])
    if k == "sdpa" and len(xs) == 3:
        return F.scaled_dot_product_attention(xs[0], xs[1], xs[2])
    if k == "pad":
        return F.pad(xs[0], d["pad"])
    return None


def replay(
    rec: Any, network: Any, rebuilt: Rebuilt, device: str, report: CheckReport | None
) -> dict[tuple[int, int], torch.Tensor]:
    """Every node again in torch, in the traced order; the torch value of each node's outputs."""
    values: dict[tuple[int, int], torch.Tensor] = {}
    shown = 0
    agreed = 0
    called: set[int] = set()
    for node in rec.nodes:
        found = [values.get((t.node, t.index)) for t in node.inputs]
        if network.kind == "layers":
            what = f"L{node.index} {node.type}"
        else:
            what = f"#{node.index} {node.path + ' ' if node.path and node.kind == 'layer' else ''}{node.type}"
        if node.kind == "input":
            shape, _ = node.outputs[0]
            dtype = torch.long if rec.input_dtypes.get(node.detail["input"]) == "long" else torch.float
            values[(node.index, 0)] = torch.zeros(shape, dtype=dtype, device=device)
            continue
        if any(x is None for x in found):
            continue  # fed by an operation that could not be replayed
        xs = [x for x in found if x is not None]
        try:
            with torch.no_grad():
                if node.kind == "layer":
                    module = rebuilt.module(node.module)
                    result = module(*_call_args(node, xs), **node.kwargs)
                else:
                    result = _op(node, xs, device)
        except (RuntimeError, ValueError, TypeError, IndexError) as e:
            if report is not None:
                report.add(what, _shapes(node), _refused(e), False)
            return values
        if result is None:
            if report is not None:
                report.add(what, _shapes(node), T("not replayed in torch", "未在 torch 中重放"), True)
            continue
        flat = _flatten(result)
        for i, t in enumerate(flat):
            values[(node.index, i)] = t
        if report is None:
            continue
        theirs = [list(t.shape) for t in flat][: len(node.outputs)]
        ours = [list(sh) for sh, _ in node.outputs]
        ok = theirs == ours
        batches = [b for _, b in node.outputs]
        ours_t: str | Text = _shown(ours, batches)
        theirs_t: str | Text = _shown(theirs, batches)
        if node.kind == "layer" and not node.module.functional and id(node.module) not in called:
            called.add(id(node.module))
            params = sum(p.numel() for p in module.parameters())
            params -= sum(getattr(module, name).numel() for name in node.module.tied)
            ok = ok and params == node.params
            ours_t = Text(f"{ours_t}, {node.params:,} params", f"{ours_t}，{node.params:,} 个参数")
            theirs_t = Text(f"{theirs_t}, {params:,} params", f"{theirs_t}，{params:,} 个参数")
        if shown < SHOWN or not ok:
            report.add(what, ours_t, theirs_t, ok)
            shown += 1
        else:
            agreed += 1
    if report is not None and agreed:
        report.add(
            T("the other {n} nodes", "其余 {n} 个节点").format(n=agreed),
            T("shapes and parameters", "形状与参数"),
            T("the same", "一致"),
            True,
        )
    return values


def _shapes(node: Any) -> str:
    return _shown([list(s) for s, _ in node.outputs], [b for _, b in node.outputs])


def _shown(shapes: list[list[int]], batches: list[int | None]) -> str:
    """Shapes as the table shows them: without the batch of 1."""
    out = []
    for i, shape in enumerate(shapes):
        b = batches[i] if i < len(batches) else None
        dims = shape if b is None or b >= len(shape) else shape[:b] + shape[b + 1 :]
        out.append("×".join(map(str, dims)) or "scalar")
    return " | ".join(out)


def _call_args(node: Any, xs: list[torch.Tensor]) -> list[Any]:
    """The layer's positional arguments as forward passed them (an LSTM's state is a pair)."""
    name = node.call.name
    if name == "LSTM" and len(xs) == 3:
        return [xs[0], (xs[1], xs[2])]
    return xs


def _flatten(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    out: list[torch.Tensor] = []
    if isinstance(value, (tuple, list)):
        for v in value:
            out += _flatten(v)
    return out


def _torch_equivalent(mod: Any, converted: dict[int, Any]) -> Any:
    """torch's own module for one of dlcalc's definitions of torch's composite modules."""
    if id(mod) in converted:
        return converted[id(mod)]
    if mod.call is not None:
        out: Any = layer(mod.call)
    elif mod.cls is not None and mod.cls.prelude and mod.ctor is not None and hasattr(nn, mod.kind):
        args, kwargs = mod.ctor
        conv_args = [_convert(a, converted) for a in args]
        conv_kwargs = {k: _convert(v, converted) for k, v in kwargs.items() if k not in ("device", "dtype")}
        if any(a is _SKIP for a in conv_args) or any(v is _SKIP for v in conv_kwargs.values()):
            return _SKIP
        if mod.kind == "TransformerEncoder":
            conv_kwargs.setdefault("enable_nested_tensor", False)
        out = getattr(nn, mod.kind)(*conv_args, **conv_kwargs)
    else:
        return _SKIP
    converted[id(mod)] = out
    return out


_SKIP = object()


def _convert(value: Any, converted: dict[int, Any]) -> Any:
    from dlcalc.parse.module import Module, Native

    if isinstance(value, Module):
        return _torch_equivalent(value, converted)
    if isinstance(value, Native):
        return _SKIP
    return value


def _composites(rec: Any, report: CheckReport, device: str) -> None:
    """dlcalc's TransformerEncoderLayer & co. against torch's own, built from the same arguments."""
    stack = [rec.root_frame]
    converted: dict[int, Any] = {}
    while stack:
        frame = stack.pop()
        stack += [i for i in frame.items if isinstance(i, solver.Frame)]
        mod = frame.module
        if not (mod.cls is not None and mod.cls.prelude and mod.ctor is not None):
            continue
        with torch.device(device):
            theirs = _torch_equivalent(mod, converted)
        if theirs is _SKIP:
            continue
        inputs = [a for a in frame.args if hasattr(a, "shape")]
        params = sum(p.numel() for p in theirs.parameters())
        view_params = solver.registered_params(mod)
        out = solver._first_tensor(frame.output)
        what = f"{frame.path or mod.kind} = torch.nn.{mod.kind}"
        try:
            with torch.no_grad():
                result = theirs.eval()(*[torch.zeros(t.shape, device=device) for t in inputs])
        except (RuntimeError, ValueError, TypeError) as e:
            report.add(what, T("{p} params", "{p} 个参数").format(p=f"{view_params:,}"), _refused(e), False)
            continue
        shape = list(_flatten(result)[0].shape)
        ours_s, theirs_s = _shown([list(out.shape)], [out.batch]), _shown([shape], [out.batch])
        ours_t = Text(f"{view_params:,} params, {ours_s}", f"{view_params:,} 个参数，{ours_s}")
        theirs_t = Text(f"{params:,} params, {theirs_s}", f"{params:,} 个参数，{theirs_s}")
        report.add(what, ours_t, theirs_t, view_params == params and shape == list(out.shape))


def check(result: Result) -> CheckReport:
    spec: NetSpec = result.spec
    network = spec.network
    report = CheckReport(
        T(
            "{t}: the parsed network rebuilt as torch modules, its graph replayed on meta",
            "{t}：把解析出的网络重建为 torch 模块，在 meta 设备上重放其计算图",
        ).format(t=torch_version())
    )
    rec = solver.trace_graph(spec)
    try:
        rebuilt = Rebuilt(network.root, "meta")
    except (RuntimeError, ValueError, TypeError) as e:
        report.add(T("build", "构建"), T("ok", "成功"), _refused(e), False)
        return report
    replay(rec, network, rebuilt, "meta", report)
    if not report.ok:
        return report
    _composites(rec, report, "meta")
    report.add(
        T("total params", "总参数量"), result.answer["total_params"], sum(p.numel() for p in rebuilt.tree.parameters())
    )
    what = T("numeric run on the CPU", "在 CPU 上的数值运行")
    if elements(result.answer) > BUDGET:
        report.add(
            what,
            T("too large for memory", "内存放不下"),
            T("not run (shapes checked on meta)", "未运行（形状已在 meta 设备上核对）"),
            True,
        )
        return report
    torch.manual_seed(0)
    real = Rebuilt(network.root, "cpu")
    for m in real.torch.values():
        m.eval()
    values = replay(rec, network, real, "cpu", None)
    final = solver._first_tensor(result_output(rec))
    if final is None:
        return report
    got = values.get((final.node, final.index))
    ours = _shown([list(final.shape)], [final.batch])
    report.add(
        what,
        ours,
        T("not replayed", "未重放") if got is None else _shown([list(got.shape)], [final.batch]),
        got is not None and list(got.shape) == list(final.shape),
    )
    return report


def result_output(rec: Any) -> Any:
    return rec.root_frame.output if rec.root_frame is not None else None
