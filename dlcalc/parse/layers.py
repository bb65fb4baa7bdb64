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
from dlcalc.text import T

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
    "Hardswish": [("inplace", False)],
    "Hardsigmoid": [("inplace", False)],
    "Mish": [("inplace", False)],
    "Softplus": [("beta", 1.0), ("threshold", 20.0)],
    "PReLU": [("num_parameters", 1), ("init", 0.25)],
    "Dropout1d": [("p", 0.5), ("inplace", False)],
    # --- 1-D maps (N, C, L) ---------------------------------------------------------------------
    "Conv1d": [
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
    "MaxPool1d": [
        ("kernel_size", _NO),
        ("stride", None),
        ("padding", 0),
        ("dilation", 1),
        ("return_indices", False),
        ("ceil_mode", False),
    ],
    "AvgPool1d": [
        ("kernel_size", _NO),
        ("stride", None),
        ("padding", 0),
        ("ceil_mode", False),
        ("count_include_pad", True),
    ],
    "AdaptiveAvgPool1d": [("output_size", _NO)],
    "AdaptiveMaxPool1d": [("output_size", _NO), ("return_indices", False)],
    # --- normalisation, padding, resizing ---------------------------------------------------------
    "LayerNorm": [("normalized_shape", _NO), ("eps", 1e-5), ("elementwise_affine", True), ("bias", True)],
    "GroupNorm": [("num_groups", _NO), ("num_channels", _NO), ("eps", 1e-5), ("affine", True)],
    "Upsample": [
        ("size", None),
        ("scale_factor", None),
        ("mode", "nearest"),
        ("align_corners", None),
        ("recompute_scale_factor", None),
    ],
    "ZeroPad2d": [("padding", _NO)],
    "ZeroPad1d": [("padding", _NO)],
    # --- sequences ---------------------------------------------------------------------------------
    "Embedding": [
        ("num_embeddings", _NO),
        ("embedding_dim", _NO),
        ("padding_idx", None),
        ("max_norm", None),
        ("norm_type", 2.0),
        ("scale_grad_by_freq", False),
        ("sparse", False),
    ],
    "MultiheadAttention": [
        ("embed_dim", _NO),
        ("num_heads", _NO),
        ("dropout", 0.0),
        ("bias", True),
        ("add_bias_kv", False),
        ("add_zero_attn", False),
        ("kdim", None),
        ("vdim", None),
        ("batch_first", False),
    ],
    "RNN": [
        ("input_size", _NO),
        ("hidden_size", _NO),
        ("num_layers", 1),
        ("nonlinearity", "tanh"),
        ("bias", True),
        ("batch_first", False),
        ("dropout", 0.0),
        ("bidirectional", False),
    ],
    "LSTM": [
        ("input_size", _NO),
        ("hidden_size", _NO),
        ("num_layers", 1),
        ("bias", True),
        ("batch_first", False),
        ("dropout", 0.0),
        ("bidirectional", False),
        ("proj_size", 0),
    ],
    "GRU": [
        ("input_size", _NO),
        ("hidden_size", _NO),
        ("num_layers", 1),
        ("bias", True),
        ("batch_first", False),
        ("dropout", 0.0),
        ("bidirectional", False),
    ],
}

# Keyword-only arguments (after torch's `*`): BatchNorm's `bias` (torch 2.13 prints it).
KEYWORD_ONLY: dict[str, list[tuple[str, Any]]] = {
    "BatchNorm2d": [("bias", True)],
    "BatchNorm1d": [("bias", True)],
    "GroupNorm": [("bias", True)],
}
# Accepted on every layer and dropped: where the weights live changes no count.
PLACEMENT = ("device", "dtype")

ALIASES = {name.lower(): name for name in SIGNATURES}
# print(model) names MultiheadAttention's output projection so; it is a Linear.
ALIASES["nondynamicallyquantizablelinear"] = "Linear"


@dataclass
class LayerCall:
    name: str
    args: dict[str, Any]
    text: str
    explicit: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        return self.text


MAX_DEPTH = 50  # nesting of arguments (`-(-(3))`, `((1, 2),)`) and of Sequential inside Sequential


def _literal(node: ast.AST, where: str, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise DlcalcError(f"{where}: an argument nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_literal(e, where, depth + 1) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, where, depth + 1)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in LAYER_ARITHMETIC:
        a, b = _literal(node.left, where, depth + 1), _literal(node.right, where, depth + 1)
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


def canonical_name(name: str) -> str | None:
    """The torch spelling of a known layer name (`relu` → `ReLU`), or None."""
    return name if name in SIGNATURES else ALIASES.get(name.lower())


def _bind(name: str, node: ast.Call, text: str) -> LayerCall:
    where = _clip(text)
    args: list[Any] = []
    for value in node.args:
        if isinstance(value, ast.Starred):
            raise DlcalcError(f"{where}: *args are not allowed")
        args.append(_literal(value, where))
    kwargs: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise DlcalcError(f"{where}: **kwargs are not allowed")
        if kw.arg in kwargs:
            raise DlcalcError(f"{where}: argument {kw.arg!r} given twice")
        kwargs[kw.arg] = _literal(kw.value, where)
    return bind_values(name, args, kwargs, text)


def bind_values(name: str, args: list[Any], kwargs: dict[str, Any], text: str | None = None) -> LayerCall:
    """A layer call from argument values (already read: literals, or values module code computed),
    bound to torch's signature; `text` is how the call is shown (built from the values when None)."""
    canonical = canonical_name(name)
    where = _clip(text) if text is not None else name
    if canonical is None:
        known = ", ".join(sorted(SIGNATURES))
        raise DlcalcError(f"{where}: unknown layer {name!r} (dlcalc knows {known})")
    signature = SIGNATURES[canonical]
    if len(args) > len(signature):
        raise DlcalcError(f"{where}: {canonical} takes at most {len(signature)} positional arguments")
    bound: dict[str, Any] = {}
    for (param, _), value in zip(signature, args):
        bound[param] = value
    keyword_only = KEYWORD_ONLY.get(canonical, [])
    names = {p for p, _ in signature} | {p for p, _ in keyword_only}
    for key, value in kwargs.items():
        if key in PLACEMENT:
            continue
        if key not in names:
            raise DlcalcError(f"{where}: {canonical} has no argument {key!r}")
        if key in bound:
            raise DlcalcError(f"{where}: argument {key!r} given twice")
        bound[key] = value
    explicit = set(bound)
    for param, default in signature + keyword_only:
        if param not in bound:
            if default is _NO:
                raise DlcalcError(
                    T("{w}: {c} needs {p!r}", "{w}：{c} 需要参数 {p!r}").format(w=where, c=canonical, p=param)
                )
            bound[param] = default
    if text is None:
        text = format_call(canonical, bound, explicit)
    return LayerCall(canonical, bound, text, explicit)


def format_call(name: str, args: dict[str, Any], explicit: set[str]) -> str:
    """`Conv2d(64, 128, kernel_size=3, stride=2, padding=1, bias=False)`: the required arguments
    by position, the others that were given by keyword, in torch's order."""
    signature = SIGNATURES[name] + KEYWORD_ONLY.get(name, [])
    parts: list[str] = []
    for param, default in signature:
        if default is _NO:
            parts.append(_show(args[param]))
        elif param in explicit and args[param] != default:
            parts.append(f"{param}={_show(args[param])}")
    return f"{name}({', '.join(parts)})"


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        inner = ", ".join(_show(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


class _Source:
    """Slices of the parsed text by node position, each in time proportional to its own length
    (`ast.get_source_segment` re-splits the whole text on every call: quadratic over a long list)."""

    def __init__(self, text: str):
        self.lines = [line.encode("utf-8") for line in text.splitlines(keepends=True)]

    def segment(self, node: ast.AST) -> str:
        start, end = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
        first, last = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        if start == end:
            return self.lines[start][first:last].decode("utf-8", "replace")
        parts = [self.lines[start][first:]] + self.lines[start + 1 : end] + [self.lines[end][:last]]
        return b"".join(parts).decode("utf-8", "replace")


_STATEMENTS = {
    "FunctionDef": "a function definition (def …)",
    "AsyncFunctionDef": "a function definition (async def …)",
    "ClassDef": "a class definition (class …)",
    "For": "a for loop",
    "While": "a while loop",
    "If": "an if statement",
    "With": "a with statement",
    "Return": "a return statement",
    "AugAssign": "an augmented assignment (+= …)",
    "AnnAssign": "an annotated assignment",
    "Delete": "a del statement",
    "Raise": "a raise statement",
    "Try": "a try statement",
    "Global": "a global statement",
}


def _not_a_layer(node: ast.AST, text: str) -> str:
    """What the user wrote instead of a layer call, said in their words."""
    written = _clip(text)
    name = _layer_name(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    if name is not None:
        known = name if name in SIGNATURES else ALIASES.get(name.lower())
        if known is not None:
            return f"`{written}` is a class: write `{written}()`"
        return f"`{written}` is not a layer dlcalc knows: write a layer call such as Conv2d(3, 64, 3)"
    if isinstance(node, ast.Constant):
        what = "a string" if isinstance(node.value, str) else "a number"
        return f"`{written}` is {what}, not a layer: write a layer call such as Conv2d(3, 64, 3)"
    if isinstance(node, ast.Call):
        return f"`{written}` is not a layer constructor: write a layer call such as Conv2d(3, 64, 3)"
    return f"`{written}` is not a layer: write a layer call such as Conv2d(3, 64, 3)"


def parse_layers(source: str) -> list[LayerCall]:
    """Every layer call in `source`, in order: one call, several, or an `nn.Sequential(...)` pasted from code."""
    text = textwrap.dedent(source).strip()
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as e:
        if "too many nested parentheses" in str(e.msg):
            raise DlcalcError(f"layer {_clip(text)!r}: nested too deeply (more than 200 brackets)") from None
        from dlcalc.limits import too_many_digits

        raise too_many_digits(e, f"layer {_clip(text)!r}") or DlcalcError(
            f"layer {_clip(text)!r}: not valid layer syntax ({e.msg})"
        ) from None
    except (RecursionError, MemoryError):
        raise DlcalcError(f"layer {_clip(text)!r}: nested too deeply to read (a run of thousands of - or +?)") from None
    except ValueError as e:  # e.g. an integer literal beyond Python's digit limit
        from dlcalc.limits import too_many_digits

        raise too_many_digits(e, f"layer {_clip(text)!r}") or DlcalcError(
            f"layer {_clip(text)!r}: {' '.join(str(e).split())}"
        ) from None
    source_of = _Source(text)
    calls: list[LayerCall] = []

    def visit(node: ast.AST, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise DlcalcError(f"{_clip(source_of.segment(node))}: layers nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Call):
            name = _layer_name(node.func)
            if name == "Sequential":
                if node.keywords:
                    raise DlcalcError(f"{_clip(source_of.segment(node))}: Sequential takes layers only")
                for arg in node.args:
                    visit(arg, depth + 1)
                return
            if name is None:
                raise DlcalcError(_not_a_layer(node, source_of.segment(node)))
            calls.append(_bind(name, node, " ".join(source_of.segment(node).split())))
            return
        if isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                visit(e, depth + 1)
            return
        raise DlcalcError(_not_a_layer(node, source_of.segment(node)))

    for stmt in tree.body:
        if isinstance(stmt, ast.Expr):
            visit(stmt.value, 0)
        elif isinstance(stmt, ast.Assign):  # `model = nn.Sequential(...)` pasted from code
            visit(stmt.value, 0)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        else:
            what = _STATEMENTS.get(type(stmt).__name__, f"a {type(stmt).__name__} statement")
            raise DlcalcError(
                f"line {stmt.lineno}: {what} is not read; give layer calls or an nn.Sequential(...) (never run)"
            )
    if not calls:
        raise DlcalcError(f"{_clip(text)!r}: no layer found")
    return calls


def _clip(text: str, width: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"
