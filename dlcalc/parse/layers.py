"""PyTorch layer constructors as text (`"Conv2d(3, 64, kernel_size=11, stride=4)"`), read safely.

The text is parsed with `ast` and walked against a whitelist: a call of a known layer name
(optionally `nn.` or `torch.nn.`), whose arguments are numbers, strings, booleans, None, tuples
or lists of those, and integer arithmetic (`256 * 6 * 6`). Nothing is ever evaluated as Python:
any other node — a name, an attribute walk, a lambda, a subscript — is refused.
"""

from __future__ import annotations

import ast
import operator
import textwrap
from dataclasses import dataclass, field
from typing import Any

from dlcalc.errors import DlcalcError
from dlcalc.parse import ARITHMETIC

LAYER_ARITHMETIC = {**ARITHMETIC, ast.FloorDiv: operator.floordiv}  # 256 * 6 * 6, in_features // 2

_NO = object()

# torch's constructor signatures (positional order and defaults) for the layers dlcalc knows.
SIGNATURES: dict[str, list[tuple[str, Any]]] = {
    "Conv2d": [
        ("in_channels", _NO),
        ("out_channels", _NO),
        ("kernel_size", _NO),
        ("stride", 1),
        ("padding", 0),
        ("dilation", 1),
        ("groups", 1),
        ("bias", True),
        ("padding_mode", "zeros"),
    ],
    "ConvTranspose2d": [
        ("in_channels", _NO),
        ("out_channels", _NO),
        ("kernel_size", _NO),
        ("stride", 1),
        ("padding", 0),
        ("output_padding", 0),
        ("groups", 1),
        ("bias", True),
        ("dilation", 1),
        ("padding_mode", "zeros"),
    ],
    "MaxPool2d": [
        ("kernel_size", _NO),
        ("stride", None),
        ("padding", 0),
        ("dilation", 1),
        ("return_indices", False),
        ("ceil_mode", False),
    ],
    "AvgPool2d": [
        ("kernel_size", _NO),
        ("stride", None),
        ("padding", 0),
        ("ceil_mode", False),
        ("count_include_pad", True),
        ("divisor_override", None),
    ],
    "AdaptiveAvgPool2d": [("output_size", _NO)],
    "AdaptiveMaxPool2d": [("output_size", _NO), ("return_indices", False)],
    "BatchNorm2d": [
        ("num_features", _NO),
        ("eps", 1e-5),
        ("momentum", 0.1),
        ("affine", True),
        ("track_running_stats", True),
    ],
    "BatchNorm1d": [
        ("num_features", _NO),
        ("eps", 1e-5),
        ("momentum", 0.1),
        ("affine", True),
        ("track_running_stats", True),
    ],
    "LocalResponseNorm": [("size", _NO), ("alpha", 1e-4), ("beta", 0.75), ("k", 1.0)],
    "Linear": [("in_features", _NO), ("out_features", _NO), ("bias", True)],
    "Flatten": [("start_dim", 1), ("end_dim", -1)],
    "Dropout": [("p", 0.5), ("inplace", False)],
    "Dropout2d": [("p", 0.5), ("inplace", False)],
    "Identity": [],
    "ReLU": [("inplace", False)],
    "ReLU6": [("inplace", False)],
    "LeakyReLU": [("negative_slope", 0.01), ("inplace", False)],
    "ELU": [("alpha", 1.0), ("inplace", False)],
    "GELU": [("approximate", "none")],
    "SiLU": [("inplace", False)],
    "Sigmoid": [],
    "Tanh": [],
    "Softmax": [("dim", None)],
    "LogSoftmax": [("dim", None)],
}

# Keyword-only arguments (after torch's `*`): BatchNorm's `bias` (torch 2.13 prints it).
KEYWORD_ONLY: dict[str, list[tuple[str, Any]]] = {
    "BatchNorm2d": [("bias", True)],
    "BatchNorm1d": [("bias", True)],
}

ALIASES = {name.lower(): name for name in SIGNATURES}


@dataclass
class LayerCall:
    name: str
    args: dict[str, Any]
    text: str
    explicit: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        return self.text


def _literal(node: ast.AST, where: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_literal(e, where) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, where)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in LAYER_ARITHMETIC:
        a, b = _literal(node.left, where), _literal(node.right, where)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)):
            if abs(a) > 10**12 or abs(b) > 10**12:
                raise DlcalcError(f"{where}: number too large")
            if isinstance(node.op, (ast.FloorDiv, ast.Div)) and b == 0:
                raise DlcalcError(f"{where}: division by zero")
            return LAYER_ARITHMETIC[type(node.op)](a, b)
    raise DlcalcError(
        f"{where}: only numbers, strings, True/False/None, tuples and + - * / // are allowed in arguments"
    )


def _layer_name(func: ast.AST) -> str | None:
    """`Conv2d`, `nn.Conv2d` or `torch.nn.Conv2d`; None for anything else."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "nn":
        return func.attr
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "nn"
        and isinstance(func.value.value, ast.Name)
        and func.value.value.id == "torch"
    ):
        return func.attr
    return None


def _bind(name: str, node: ast.Call, text: str) -> LayerCall:
    canonical = name if name in SIGNATURES else ALIASES.get(name.lower())
    if canonical is None:
        known = ", ".join(sorted(SIGNATURES))
        raise DlcalcError(f"{text}: unknown layer {name!r} (dlcalc knows {known})")
    signature = SIGNATURES[canonical]
    if len(node.args) > len(signature):
        raise DlcalcError(f"{text}: {canonical} takes at most {len(signature)} positional arguments")
    args: dict[str, Any] = {}
    for (param, _), value in zip(signature, node.args):
        if isinstance(value, ast.Starred):
            raise DlcalcError(f"{text}: *args are not allowed")
        args[param] = _literal(value, text)
    keyword_only = KEYWORD_ONLY.get(canonical, [])
    names = {p for p, _ in signature} | {p for p, _ in keyword_only}
    for kw in node.keywords:
        if kw.arg is None:
            raise DlcalcError(f"{text}: **kwargs are not allowed")
        if kw.arg not in names:
            raise DlcalcError(f"{text}: {canonical} has no argument {kw.arg!r}")
        if kw.arg in args:
            raise DlcalcError(f"{text}: argument {kw.arg!r} given twice")
        args[kw.arg] = _literal(kw.value, text)
    explicit = set(args)
    for param, default in signature + keyword_only:
        if param not in args:
            if default is _NO:
                raise DlcalcError(f"{text}: {canonical} needs {param!r}")
            args[param] = default
    return LayerCall(canonical, args, text, explicit)


def parse_layers(source: str) -> list[LayerCall]:
    """Every layer call in `source`, in order: one call, several, or an `nn.Sequential(...)` pasted from code."""
    text = textwrap.dedent(source).strip()
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as e:
        raise DlcalcError(f"layer {_clip(text)!r}: not valid layer syntax ({e.msg})") from None
    calls: list[LayerCall] = []

    def visit(node: ast.AST, owner: str) -> None:
        if isinstance(node, ast.Call):
            name = _layer_name(node.func)
            snippet = ast.get_source_segment(text, node) or owner
            if name == "Sequential":
                for arg in node.args:
                    visit(arg, snippet)
                if node.keywords:
                    raise DlcalcError(f"{_clip(snippet)}: Sequential takes layers only")
                return
            if name is None:
                raise DlcalcError(f"{_clip(snippet)}: not a layer constructor")
            calls.append(_bind(name, node, " ".join(snippet.split())))
            return
        if isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                visit(e, owner)
            return
        raise DlcalcError(f"{_clip(owner)}: expected a layer such as Conv2d(3, 64, 3), found {type(node).__name__}")

    for stmt in tree.body:
        if isinstance(stmt, ast.Expr):
            visit(stmt.value, text)
        elif isinstance(stmt, ast.Assign):  # `model = nn.Sequential(...)` pasted from code
            visit(stmt.value, text)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        else:
            raise DlcalcError(f"{_clip(text)}: expected layer constructors, found a {type(stmt).__name__} statement")
    if not calls:
        raise DlcalcError(f"{_clip(text)!r}: no layer found")
    return calls


def _clip(text: str, width: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"
