"""The text `print(model)` shows, read back into a module tree (never run).

    ResNet(
      (conv1): Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)
      (bn1): BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
      (layer1): Sequential(
        (0): BasicBlock(
          …
        )
      )
      (0-2): 3 x TransformerEncoderLayer(      ← torch folds identical ModuleList entries
      …

Each leaf line goes through the layer whitelist (`dlcalc.parse.layers`). The print shows a
module's children, not its `forward`: Sequential, ModuleList and ModuleDict run their children in
order, and torch's own composite modules (MultiheadAttention, TransformerEncoderLayer, …) are
known. torchvision's blocks are recognised by their class names and given their published
forward — BasicBlock and Bottleneck add their shortcut, _DenseLayer and _DenseBlock concatenate,
Inception concatenates its four branches, InvertedResidual adds its input when shapes allow, Fire
concatenates its two expands — and the result says so. Any other class is read as a straight stack
of its children (a residual add it may do is not visible in the print, and the result says that
too); a Linear that receives a feature map gets `torch.flatten(x, 1)` first, as the forward of a
classifier does.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from typing import Any

from dlcalc.errors import DlcalcError
from dlcalc.parse.layers import _Source, format_call, parse_layers
from dlcalc.text import T, Text

_HEAD = re.compile(r"^\s*[A-Za-z_][\w.]*\($")
_CHILD = re.compile(r"^\s*\((?:[\w.-]+)\): ")
_LINE = re.compile(r"^\((?P<name>[^()]+)\): (?P<rest>.*)$")
_CALL = re.compile(r"^(?:(?P<count>\d+) x )?(?P<cls>[A-Za-z_]\w*)\((?P<args>.*)$")
MAX_LINES = 100_000

CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}
# torch's and torchvision's subclasses of nn.Sequential: their forward is the Sequential's.
SEQUENTIALS = {"_Transition", "Conv2dNormActivation", "ConvNormActivation", "ConvBNActivation", "ConvBNReLU"}
# Attributes a known class's forward reads that print(model) omits when they are None.
OPTIONAL = {
    "BasicBlock": ["downsample"],
    "Bottleneck": ["downsample"],
    "TransformerEncoder": ["norm"],
    "TransformerDecoder": ["norm"],
}
# Constructor defaults the forward of torch's composite modules reads (print shows none of them).
DEFAULTS: dict[str, dict[str, Any]] = {
    "TransformerEncoderLayer": {"norm_first": False, "activation": "relu"},
    "TransformerDecoderLayer": {"norm_first": False, "activation": "relu"},
}

# torchvision's blocks, by class name, with the forward their source publishes (written here in the
# language dlcalc reads; the children come from the printed text).
KNOWN = """
class BasicBlock(nn.Module):
    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class _DenseLayer(nn.Module):
    def forward(self, features):
        if not isinstance(features, list):
            features = [features]
        x = torch.cat(features, 1)
        x = self.conv1(self.relu1(self.norm1(x)))
        return self.conv2(self.relu2(self.norm2(x)))


class _DenseBlock(nn.Module):
    def forward(self, init_features):
        features = [init_features]
        for layer in self.children():
            features.append(layer(features))
        return torch.cat(features, 1)


class DenseNet(nn.Module):
    def forward(self, x):
        out = F.relu(self.features(x))
        out = torch.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1)
        return self.classifier(out)


class BasicConv2d(nn.Module):
    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    def forward(self, x):
        for name, layer in self.named_children():
            if name in ("aux1", "aux2"):
                continue
            if name == "dropout":
                x = torch.flatten(x, 1)
            x = layer(x)
        return x


class InvertedResidual(nn.Module):
    def forward(self, x):
        out = self.conv(x)
        if out.shape == x.shape:
            return x + out
        return out


class MobileNetV2(nn.Module):
    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class Fire(nn.Module):
    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat(
            [self.expand1x1_activation(self.expand1x1(x)), self.expand3x3_activation(self.expand3x3(x))], 1
        )


class InceptionAux(nn.Module):
    def forward(self, x):
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4)))
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(self.dropout(x))


class SqueezeNet(nn.Module):
    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


class _Stack(nn.Module):
    def forward(self, x):
        for layer in self.children():
            if _wants_flat(layer, x):
                x = torch.flatten(x, 1)
            x = layer(x)
        return x
"""
RESIDUAL_KNOWN = {"BasicBlock", "Bottleneck", "InvertedResidual"}
CONCAT_KNOWN = {"_DenseLayer", "_DenseBlock", "Inception", "Fire"}


def is_printed(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) >= 2 and bool(_HEAD.match(lines[0])) and bool(_CHILD.match(lines[1]))


@cache
def _known_classes() -> tuple[dict[str, Any], Any]:
    from dlcalc.parse import module as mod

    tree = ast.parse(KNOWN)
    source = _Source(KNOWN)
    source.prelude = True  # type: ignore[attr-defined]
    interp = mod.Interp(source)
    spaces = mod.namespaces()
    scope = mod.Scope(
        mod.builtins_scope(),
        {
            "nn": spaces["torch.nn"],
            "F": spaces["torch.nn.functional"],
            "torch": spaces["torch"],
            "_wants_flat": mod.Native("_wants_flat", _wants_flat),
        },
    )
    classes = {}
    for stmt in tree.body:
        assert isinstance(stmt, ast.ClassDef)
        classes[stmt.name] = interp.define_class(stmt, scope, prelude=True)
    return classes, interp


def _wants_flat(interp: Any, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> bool:
    """A child whose first layer is a Linear expecting the flattened feature map."""
    layer, x = args
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) < 3:
        return False
    while layer.call is None and layer.children:
        layer = next(iter(layer.children.values()))
    call = layer.call
    if call is None or call.name != "Linear":
        return False
    flat = 1
    for d in shape[1:]:
        flat *= d
    return call.args["in_features"] == flat != shape[-1]


class _Open:
    def __init__(self, name: str | None, cls: str, count: int, line: int):
        self.name, self.cls, self.count, self.line = name, cls, count, line
        self.children: list[tuple[str, Any]] = []


def read_printed(text: str) -> tuple[Any, Any, list[Text]]:
    """The module tree of a `print(model)` text, the interpreter to trace it, and what was assumed."""
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise DlcalcError(f"print(model) text: {len(lines):,} lines; dlcalc reads at most {MAX_LINES:,}")
    reader = _Reader()
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if reader.root is not None:
            raise DlcalcError(f"line {number}: text after the end of the printed model")
        if line == ")":
            reader.close(number)
        else:
            reader.open_or_add(line, number)
    if reader.stack:
        raise DlcalcError(
            f"print(model) text ends inside {reader.stack[-1].cls} (opened on line {reader.stack[-1].line}): "
            "a ) is missing"
        )
    if reader.root is None:
        raise DlcalcError("print(model) text: no model found")
    _, interp = _known_classes()
    return reader.root, interp, _printed_notes(reader.notes, reader.straight, reader.inferred)


class _Reader:
    """The printed lines read one by one: the modules still open, and what was assumed on the way."""

    def __init__(self) -> None:
        self.stack: list[_Open] = []
        self.root: Any = None
        self.notes: set[str] = set()
        self.straight: set[str] = set()
        self.inferred: set[str] = set()

    def close(self, number: int) -> None:
        """`)`: the innermost open module is complete; it becomes its parent's child (or the model)."""
        if not self.stack:
            raise DlcalcError(f"line {number}: a ) closes nothing")
        done = self.stack.pop()
        module = _build(done, self.notes, self.straight, self.inferred)
        if self.stack:
            _add(self.stack[-1], done.name, done.count, module, number)
        else:
            self.root = module

    def open_or_add(self, line: str, number: int) -> None:
        """`(name): Layer(...)` adds a layer; `(name): Block(` opens a module whose children follow."""
        match = _LINE.match(line)
        if match is None and self.stack:
            raise DlcalcError(f"line {number}: expected '(name): Layer(...)' or ')', got {_clip(line)!r}")
        name = match.group("name") if match else None
        rest = match.group("rest") if match else line
        call = _CALL.match(rest)
        if call is None:
            raise DlcalcError(f"line {number}: expected a layer such as Conv2d(3, 64, 3), got {_clip(rest)!r}")
        count = int(call.group("count") or 1)
        if call.group("args") == "":  # `Name(`: a module whose children follow
            self.stack.append(_Open(name, call.group("cls"), count, number))
            return
        leaf = rest[len(call.group("count") or "") + (3 if call.group("count") else 0) :]
        if leaf.endswith(")") and call.group("cls") in CONTAINERS | {"MultiheadAttention"} and leaf.endswith("()"):
            module = _build(_Open(name, call.group("cls"), count, number), self.notes, self.straight, self.inferred)
        else:
            module = _leaf_module(leaf, number)
        if not self.stack:
            raise DlcalcError(f"line {number}: a layer outside the printed model")
        _add(self.stack[-1], name, count, module, number)


def _leaf_module(leaf: str, number: int) -> Any:
    """One printed layer (`Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1))`) as a module."""
    from dlcalc.parse import module as mod

    try:
        calls = parse_layers(_quote_bare(leaf))
    except DlcalcError as e:
        raise DlcalcError(f"line {number}: {e.message}") from None
    if len(calls) != 1:
        raise DlcalcError(f"line {number}: expected one layer, got {_clip(leaf)!r}")
    c = calls[0]
    c.text = format_call(c.name, c.args, c.explicit)
    return mod.Module(c.name, call=c, line=number)


def _printed_notes(notes: set[str], straight: set[str], inferred: set[str]) -> list[Text]:
    """What reading print(model) text assumed: no forward shown, blocks recognised or read straight."""
    out_notes = [
        T(
            "read from print(model) text: it shows the layers, not forward; Sequential, ModuleList and "
            "ModuleDict run their children in order",
            "从 print(model) 文本读取：它只显示各层，不显示 forward；Sequential、ModuleList 与 ModuleDict 按顺序执行其子模块",
        )
    ]
    if inferred:
        out_notes.append(
            T(
                "torchvision's {names} recognised by name and read with their published forward "
                "(residual adds and concatenations included)",
                "按名称识别出 torchvision 的 {names}，按其公开的 forward 读取（含残差相加与拼接）",
            ).format(names=", ".join(sorted(inferred)))
        )
    if straight:
        out_notes.append(
            T(
                "{names} read as a straight stack of its children in printed order: print(model) does not show "
                "a residual add or a concatenation its forward may do (paste the class code to have them)",
                "{names} 按打印顺序读作子模块的直接堆叠：print(model) 不显示其 forward 可能做的残差相加或拼接（粘贴类代码即可）",
            ).format(names=", ".join(sorted(straight)))
        )
    for key in sorted(notes):
        if key == "mha":
            out_notes.append(
                T(
                    "print(model) does not show MultiheadAttention's num_heads or batch_first: read as "
                    "batch_first=False; the parameters and MACs do not depend on the number of heads",
                    "print(model) 不显示 MultiheadAttention 的 num_heads 与 batch_first：按 batch_first=False 读取；"
                    "参数量与乘加次数与头数无关",
                )
            )
        else:
            cls = key.split(":", 1)[1]
            out_notes.append(
                T(
                    "{cls}: print(model) does not show its constructor settings; read with torch's defaults "
                    "(norm_first=False, ReLU activation, batch_first=False)",
                    "{cls}：print(model) 不显示构造参数；按 torch 的默认值读取（norm_first=False、ReLU 激活、batch_first=False）",
                ).format(cls=cls)
            )
    return out_notes


def _add(parent: _Open, name: str | None, count: int, module: Any, line: int) -> None:
    if name is None:
        raise DlcalcError(f"line {line}: a child without its (name)")
    from dlcalc.parse.module_lib import clone

    if "-" in name and count > 1:
        first, _, last = name.partition("-")
        if not (first.isdigit() and last.isdigit()) or int(last) - int(first) + 1 != count:
            raise DlcalcError(f"line {line}: ({name}) does not hold {count} modules")
        names = [str(i) for i in range(int(first), int(last) + 1)]
    else:
        names = [name] if count == 1 else [f"{name}.{i}" for i in range(count)]
    from dlcalc.parse import module as mod

    interp = mod.Interp(_Source(""))
    for i, n in enumerate(names):
        parent.children.append((n, module if i == 0 else clone(interp, module, ast.Pass(lineno=line, col_offset=0))))


def _build(done: _Open, notes: set[str], straight: set[str], inferred: set[str]) -> Any:
    from dlcalc.parse import module as mod
    from dlcalc.parse.layers import bind_values

    children = dict(done.children)
    cls = done.cls
    if cls in CONTAINERS or cls in SEQUENTIALS:
        return mod.Module(cls, children=children, container="Sequential" if cls in SEQUENTIALS else cls, line=done.line)
    if cls == "MultiheadAttention":
        proj = children.get("out_proj")
        if proj is None or proj.call is None:
            raise DlcalcError(f"line {done.line}: MultiheadAttention without its out_proj line")
        e = proj.call.args["in_features"]
        call = bind_values("MultiheadAttention", [e, 1], {"bias": proj.call.args["bias"]})
        notes.add("mha")
        return mod.Module("MultiheadAttention", call=call, line=done.line)
    spaces = mod.namespaces()
    prelude = spaces["torch.nn"].members.get(cls)
    known, _ = _known_classes()
    info = prelude if isinstance(prelude, mod.ClassInfo) else known.get(cls)
    if info is None:
        info = known["_Stack"]
        straight.add(cls)
    elif not isinstance(prelude, mod.ClassInfo):
        if cls in RESIDUAL_KNOWN | CONCAT_KNOWN:
            inferred.add(cls)
    module = mod.Module(cls, children=children, cls=info, line=done.line)
    for attr in OPTIONAL.get(cls, []):
        if attr not in children:
            module.attrs[attr] = None
    module.attrs.update(DEFAULTS.get(cls, {}))
    if isinstance(prelude, mod.ClassInfo):
        notes.add(f"defaults:{cls}")
    return module


_BARE = re.compile(r"(?<![\w.'\"])([A-Za-z_]\w*)(\s*=\s*)([A-Za-z_]\w*)(?=\s*[,)])")


def _quote_bare(leaf: str) -> str:
    """torch prints some string arguments without quotes (`padding=same`, `padding_mode=reflect`):
    in printed text a bare name in a keyword's value is that string. True/False/None stay
    themselves; text inside quotes is left alone (a quoted value never matches: it starts with ')."""

    def quote(m: re.Match[str]) -> str:
        value = m.group(3)
        if value in ("True", "False", "None"):
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}{value!r}"

    return _BARE.sub(quote, leaf) if "=" in leaf else leaf


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
