"""What module code may call, implemented by dlcalc: Python's builtins a model definition uses,
`torch`, `torch.nn` (its layers are the whitelist of `dlcalc.parse.layers`), `torch.nn.functional`,
`torch.nn.init` (no-ops: weights have no values here), `math`, `collections.OrderedDict`,
`functools.partial`, `copy.deepcopy`, tensor methods over shapes, and nn.Module's methods.

Each entry is a `Native`: it receives the interpreter, the evaluated arguments and the node (for
the line of an error), and returns one of the interpreter's values. None of them reaches an
object of the running Python: the code can only touch what is listed here.
"""

from __future__ import annotations

import ast
import math
import string
from functools import cache
from typing import Any

from dlcalc.parse.layers import SIGNATURES, LayerCall
from dlcalc.parse.module import (
    _MISSING,
    MAX_ITEMS,
    OPAQUE,
    Bound,
    ClassInfo,
    Const,
    ContainerClass,
    Function,
    Interp,
    LayerClass,
    Module,
    Namespace,
    Native,
    Opaque,
    Param,
    Partial,
    Scope,
    Tensor,
    TypingName,
    _check_size,
    _describe,
    _dim,
    _hashable,
    broadcast,
    move_batch,
    refuse,
    show_tensor,
    view_shape,
)

# --- helpers ---------------------------------------------------------------------------------------


def native(name: str, pytype: Any = None):
    def wrap(fn):
        return Native(name, fn, pytype)

    return wrap


def _args(node: ast.AST, name: str, args: list[Any], kwargs: dict[str, Any], params: list[tuple[str, Any]]) -> dict:
    """Bind `args`/`kwargs` to `params` [(name, default or REQUIRED)], as Python would."""
    if len(args) > len(params):
        raise refuse(node, f"{name}() takes at most {len(params)} arguments")
    out: dict[str, Any] = {}
    for (p, _), v in zip(params, args):
        out[p] = v
    names = {p for p, _ in params}
    for k, v in kwargs.items():
        if k not in names:
            raise refuse(node, f"{name}() has no argument {k!r} that dlcalc reads")
        if k in out:
            raise refuse(node, f"{name}() got two values for {k!r}")
        out[k] = v
    for p, default in params:
        if p not in out:
            if default is REQUIRED:
                raise refuse(node, f"{name}() needs {p!r}")
            out[p] = default
    return out


REQUIRED = object()


class TENSOR_TYPE:
    """What isinstance(x, torch.Tensor) asks about: a tensor of the trace, a constant or a parameter."""


def _int(value: Any, node: ast.AST, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse(node, f"{what} must be a whole number, got {_describe(value)}")
    return value


def _ints(values: Any, node: ast.AST, what: str) -> list[int]:
    if isinstance(values, (tuple, list)):
        return [_int(v, node, what) for v in values]
    return [_int(values, node, what)]


def _sizes(args: list[Any], node: ast.AST, what: str) -> list[int]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = list(args[0])
    return [_int(a, node, what) for a in args]


def _shape_of(value: Any, node: ast.AST) -> tuple[int, ...]:
    if isinstance(value, (Tensor, Const)):
        return value.shape
    if isinstance(value, Param) and value.shape is not None:
        return value.shape
    raise refuse(node, f"expected a tensor, got {_describe(value)}")


def _result(
    interp: Interp, op: str, inputs: list[Any], shape: tuple[int, ...], batch: int | None, node: ast.AST, **detail: Any
) -> Any:
    tensors = [t for t in inputs if isinstance(t, Tensor)]
    if not tensors:
        return Const(shape)
    return interp.op(op, tensors, shape, batch, dict(detail), node)


# --- builtins --------------------------------------------------------------------------------------


@native("range")
def _range(interp: Interp, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> range:
    if kwargs or not 1 <= len(args) <= 3:
        raise refuse(node, "range() takes 1 to 3 whole numbers")
    values = [_int(a, node, "range()") for a in args]
    r = range(*values) if values[-1] != 0 or len(values) < 3 else None
    if r is None:
        raise refuse(node, "range() step must not be zero")
    if len(r) > MAX_ITEMS:
        raise refuse(node, f"a range of {len(r):,} items; dlcalc reads at most {MAX_ITEMS:,}")
    return r


@native("len")
def _len(interp: Interp, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> int:
    if len(args) != 1 or kwargs:
        raise refuse(node, "len() takes one argument")
    v = args[0]
    if isinstance(v, (list, tuple, str, dict, range)):
        return len(v)
    if isinstance(v, Module) and v.container:
        return len(v.children)
    if isinstance(v, (Tensor, Const)) and v.shape:
        return v.shape[0]
    raise refuse(node, f"len() of {_describe(v)} is not read")


def _convert(kind: type):
    def fn(interp: Interp, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        if kwargs or len(args) > 1:
            raise refuse(node, f"{kind.__name__}() takes one argument")
        if not args:
            return kind()
        v = args[0]
        if isinstance(v, Opaque):
            return OPAQUE
        if kind is str:
            if isinstance(v, (int, float, str, bool)) or v is None:
                return str(v)
            return _describe(v)
        if kind in (list, tuple):
            items = interp.iterate(v, node)
            return kind(items)
        if kind is dict:
            if isinstance(v, dict):
                return dict(v)
            pairs = interp.iterate(v, node)
            out = {}
            for p in pairs:
                if not isinstance(p, (tuple, list)) or len(p) != 2 or not _hashable(p[0]):
                    raise refuse(node, "dict() takes (key, value) pairs")
                out[p[0]] = p[1]
            return out
        if isinstance(v, (int, float, bool)) or (isinstance(v, str) and kind is not bool and len(v) <= 100):
            try:
                out = kind(v)
            except (ValueError, OverflowError):
                raise refuse(node, f"{kind.__name__}({_describe(v)}) fails") from None
            if isinstance(out, (int, float)) and not isinstance(out, bool) and abs(out) > 10**15:
                raise refuse(node, "number too large")
            return out
        if kind is bool:
            return interp.truth(v, node)
        raise refuse(node, f"{kind.__name__}() of {_describe(v)} is not read")

    return Native(kind.__name__, fn, kind)


def _numbers(interp: Interp, args: list[Any], node: ast.AST, name: str) -> list[Any]:
    values = interp.iterate(args[0], node) if len(args) == 1 else list(args)
    if any(isinstance(v, Opaque) for v in values):
        return [OPAQUE]
    if not all(isinstance(v, (int, float)) for v in values):
        raise refuse(node, f"{name}() is read for numbers only")
    return values


@native("min")
def _min(interp, args, kwargs, node):
    values = _numbers(interp, args, node, "min")
    if not values:
        raise refuse(node, "min() of nothing")
    return OPAQUE if values == [OPAQUE] else min(values)


@native("max")
def _max(interp, args, kwargs, node):
    values = _numbers(interp, args, node, "max")
    if not values:
        raise refuse(node, "max() of nothing")
    return OPAQUE if values == [OPAQUE] else max(values)


@native("sum")
def _sum(interp, args, kwargs, node):
    if len(args) != 1:
        raise refuse(node, "sum() takes one iterable")
    values = _numbers(interp, args, node, "sum")
    return OPAQUE if values == [OPAQUE] else sum(values)


@native("abs")
def _abs(interp, args, kwargs, node):
    if len(args) != 1 or not isinstance(args[0], (int, float)):
        raise refuse(node, "abs() takes one number")
    return abs(args[0])


@native("round")
def _round(interp, args, kwargs, node):
    if not 1 <= len(args) <= 2 or not isinstance(args[0], (int, float)):
        raise refuse(node, "round() takes a number")
    return round(args[0]) if len(args) == 1 else round(args[0], _int(args[1], node, "ndigits"))


@native("enumerate")
def _enumerate(interp, args, kwargs, node):
    start = kwargs.get("start", args[1] if len(args) > 1 else 0)
    return [(i + _int(start, node, "start"), v) for i, v in enumerate(interp.iterate(args[0], node))]


@native("zip")
def _zip(interp, args, kwargs, node):
    return list(zip(*[interp.iterate(a, node) for a in args]))


@native("reversed")
def _reversed(interp, args, kwargs, node):
    return list(reversed(interp.iterate(args[0], node)))


@native("sorted")
def _sorted(interp, args, kwargs, node):
    values = interp.iterate(args[0], node)
    if not (all(isinstance(v, (int, float)) for v in values) or all(isinstance(v, str) for v in values)):
        raise refuse(node, "sorted() is read for numbers or strings")
    return sorted(values, reverse=bool(kwargs.get("reverse", False)))


@native("any")
def _any(interp, args, kwargs, node):
    return any(interp.truth(v, node) for v in interp.iterate(args[0], node))


@native("all")
def _all(interp, args, kwargs, node):
    return all(interp.truth(v, node) for v in interp.iterate(args[0], node))


@native("print")
def _print(interp, args, kwargs, node):
    return None  # the code's prints are not ours to make


@native("isinstance")
def _isinstance(interp, args, kwargs, node):
    if len(args) != 2:
        raise refuse(node, "isinstance() takes two arguments")
    return _is_instance(args[0], args[1], node)


def _is_instance(value: Any, kind: Any, node: ast.AST) -> bool:
    if isinstance(kind, tuple):
        return any(_is_instance(value, k, node) for k in kind)
    if isinstance(kind, LayerClass):
        return isinstance(value, Module) and value.call is not None and value.call.name == kind.name
    if isinstance(kind, ContainerClass):
        if not isinstance(value, Module):
            return False
        return kind.name == "Module" or value.container == kind.name
    if isinstance(kind, ClassInfo):
        return isinstance(value, Module) and value.cls is not None and value.cls.is_subclass_of(kind)
    if isinstance(kind, Native) and kind.pytype is not None:
        if kind.pytype is TENSOR_TYPE:
            return isinstance(value, (Tensor, Const, Param))
        if kind.pytype is int and isinstance(value, bool):
            return False
        return isinstance(value, kind.pytype)
    if isinstance(kind, TypingName):
        raise refuse(node, f"isinstance with {kind.name} is not read")
    raise refuse(node, f"isinstance with {_describe(kind)} is not read")


@native("super")
def _super(interp, args, kwargs, node):  # handled by the interpreter (it needs the calling frame)
    raise refuse(node, "super() is read only inside a method")


BUILTINS: dict[str, Any] = {
    "range": _range,
    "len": _len,
    "int": _convert(int),
    "float": _convert(float),
    "bool": _convert(bool),
    "str": _convert(str),
    "list": _convert(list),
    "tuple": _convert(tuple),
    "dict": _convert(dict),
    "min": _min,
    "max": _max,
    "sum": _sum,
    "abs": _abs,
    "round": _round,
    "enumerate": _enumerate,
    "zip": _zip,
    "reversed": _reversed,
    "sorted": _sorted,
    "any": _any,
    "all": _all,
    "print": _print,
    "isinstance": _isinstance,
    "super": _super,
    "__name__": "__main__",
    "NotImplementedError": TypingName("NotImplementedError"),
    "ValueError": TypingName("ValueError"),
    "RuntimeError": TypingName("RuntimeError"),
    "TypeError": TypingName("TypeError"),
    "KeyError": TypingName("KeyError"),
    "Exception": TypingName("Exception"),
    "AssertionError": TypingName("AssertionError"),
}


# --- Python methods on plain values ------------------------------------------------------------------


def _format(interp, args, kwargs, node):
    template, values = args[0], args[1:]
    for _, field, spec, _ in string.Formatter().parse(template):
        if field is not None and (("." in field) or ("[" in field)):
            raise refuse(node, "format fields with . or [ are not read")
        if spec and "{" in spec:
            raise refuse(node, "nested format fields are not read")
    for v in [*values, *kwargs.values()]:
        if not (isinstance(v, (int, float, str, bool)) or v is None):
            raise refuse(node, f"format() of {_describe(v)} is not read")
    try:
        out = template.format(*values, **kwargs)
    except (IndexError, KeyError, ValueError) as e:
        raise refuse(node, f"format() fails: {e}") from None
    _check_size(len(out), node)
    return out


def _join(interp, args, kwargs, node):
    parts = interp.iterate(args[1], node)
    if not all(isinstance(p, str) for p in parts):
        raise refuse(node, "join() takes strings")
    out = args[0].join(parts)
    _check_size(len(out), node)
    return out


def _str_method(name: str):
    def fn(interp, args, kwargs, node):
        s = args[0]
        if name in ("startswith", "endswith"):
            if len(args) != 2 or not isinstance(args[1], (str, tuple)):
                raise refuse(node, f"{name}() takes a string")
            return getattr(s, name)(args[1])
        if name in ("lower", "upper", "strip"):
            return getattr(s, name)()
        if name == "split":
            sep = args[1] if len(args) > 1 else None
            if sep is not None and not isinstance(sep, str):
                raise refuse(node, "split() takes a string")
            return s.split(sep)
        raise refuse(node, f"str.{name} is not read")

    return Native(f"str.{name}", fn)


def _list_append(interp, args, kwargs, node):
    args[0].append(args[1])
    _check_size(len(args[0]), node)


def _list_extend(interp, args, kwargs, node):
    args[0].extend(interp.iterate(args[1], node))
    _check_size(len(args[0]), node)


def _list_insert(interp, args, kwargs, node):
    args[0].insert(_int(args[1], node, "index"), args[2])
    _check_size(len(args[0]), node)


def _list_pop(interp, args, kwargs, node):
    if not args[0]:
        raise refuse(node, "pop from an empty list")
    return args[0].pop(_int(args[1], node, "index") if len(args) > 1 else -1)


def _dict_get(interp, args, kwargs, node):
    key = args[1]
    if not _hashable(key):
        raise refuse(node, "a dict key must be a number, a string or a tuple of them")
    return args[0].get(key, args[2] if len(args) > 2 else None)


def _dict_pop(interp, args, kwargs, node):
    key = args[1]
    if not _hashable(key):
        raise refuse(node, "a dict key must be a number, a string or a tuple of them")
    if key not in args[0] and len(args) < 3:
        raise refuse(node, f"key {key!r} is not in the dict")
    return args[0].pop(key, args[2] if len(args) > 2 else None)


def _dict_update(interp, args, kwargs, node):
    if len(args) > 1:
        if not isinstance(args[1], dict):
            raise refuse(node, "update() takes a dict")
        args[0].update(args[1])
    args[0].update(kwargs)


def _dict_setdefault(interp, args, kwargs, node):
    if not _hashable(args[1]):
        raise refuse(node, "a dict key must be a number, a string or a tuple of them")
    return args[0].setdefault(args[1], args[2] if len(args) > 2 else None)


PY_METHODS: dict[tuple[str, str], Native] = {
    ("str", "format"): Native("str.format", _format),
    ("str", "join"): Native("str.join", _join),
    **{("str", n): _str_method(n) for n in ("startswith", "endswith", "lower", "upper", "strip", "split")},
    ("list", "append"): Native("list.append", _list_append),
    ("list", "extend"): Native("list.extend", _list_extend),
    ("list", "insert"): Native("list.insert", _list_insert),
    ("list", "pop"): Native("list.pop", _list_pop),
    ("list", "copy"): Native("list.copy", lambda i, a, k, n: list(a[0])),
    ("dict", "items"): Native("dict.items", lambda i, a, k, n: list(a[0].items())),
    ("dict", "keys"): Native("dict.keys", lambda i, a, k, n: list(a[0].keys())),
    ("dict", "values"): Native("dict.values", lambda i, a, k, n: list(a[0].values())),
    ("dict", "get"): Native("dict.get", _dict_get),
    ("dict", "pop"): Native("dict.pop", _dict_pop),
    ("dict", "update"): Native("dict.update", _dict_update),
    ("dict", "copy"): Native("dict.copy", lambda i, a, k, n: dict(a[0])),
    ("dict", "setdefault"): Native("dict.setdefault", _dict_setdefault),
}


# --- nn.Module's methods -----------------------------------------------------------------------------


def _m(args: list[Any], node: ast.AST) -> Module:
    if not args or not isinstance(args[0], Module):
        raise refuse(node, "a module method needs a module")
    return args[0]


def _add_module(interp, args, kwargs, node):
    m = _m(args, node)
    params = _args(node, "add_module", args[1:], kwargs, [("name", REQUIRED), ("module", REQUIRED)])
    interp.add_child(m, params["name"], params["module"], node)


def _register_buffer(interp, args, kwargs, node):
    m = _m(args, node)
    params = _args(
        node, "register_buffer", args[1:], kwargs, [("name", REQUIRED), ("tensor", REQUIRED), ("persistent", True)]
    )
    if not isinstance(params["name"], str):
        raise refuse(node, "a buffer name must be a string")
    m.buffers[params["name"]] = params["tensor"]


def _register_parameter(interp, args, kwargs, node):
    m = _m(args, node)
    params = _args(node, "register_parameter", args[1:], kwargs, [("name", REQUIRED), ("param", REQUIRED)])
    if params["param"] is None:
        m.attrs[params["name"]] = None
        return
    if not isinstance(params["param"], Param):
        raise refuse(node, "register_parameter takes an nn.Parameter")
    m.params[params["name"]] = params["param"]


def _modules(interp, args, kwargs, node):
    return _m(args, node).modules()


def _named_modules(interp, args, kwargs, node):
    root = _m(args, node)
    out: list[tuple[str, Module]] = []
    seen: set[int] = set()

    def walk(prefix: str, m: Module) -> None:
        if id(m) in seen:
            return
        seen.add(id(m))
        out.append((prefix, m))
        for name, child in m.children.items():
            walk(f"{prefix}.{name}" if prefix else name, child)

    walk("", root)
    return out


def _children(interp, args, kwargs, node):
    return list(_m(args, node).children.values())


def _named_children(interp, args, kwargs, node):
    return list(_m(args, node).children.items())


def _parameters(interp, args, kwargs, node):
    out: list[Param] = []
    for m in _m(args, node).modules():
        out += list(m.params.values())
        if m.call is not None:
            out.append(Param(None))
    return out


def _named_parameters(interp, args, kwargs, node):
    return [(f"p{i}", p) for i, p in enumerate(_parameters(interp, args, kwargs, node))]


def _apply(interp, args, kwargs, node):
    root = _m(args, node)
    fn = args[1] if len(args) > 1 else kwargs.get("fn")

    def walk(m: Module, seen: set[int]) -> None:
        if id(m) in seen:
            return
        seen.add(id(m))
        for child in m.children.values():
            walk(child, seen)
        interp.call(fn, [m], {}, node)

    walk(root, set())
    return root


def _self(interp, args, kwargs, node):
    return _m(args, node)


def _nothing(interp, args, kwargs, node):
    return None


def _forward(interp, args, kwargs, node):
    m = _m(args, node)
    if not interp.tracing:
        return OPAQUE
    return interp.call_module(m, list(args[1:]), kwargs, node)


def _append(interp, args, kwargs, node):
    m = _m(args, node)
    if m.container not in ("Sequential", "ModuleList"):
        raise refuse(node, f"append() on a {m.kind} is not read")
    interp.add_child(m, str(len(m.children)), args[1], node)
    return m


def _extend(interp, args, kwargs, node):
    m = _m(args, node)
    if m.container not in ("Sequential", "ModuleList"):
        raise refuse(node, f"extend() on a {m.kind} is not read")
    for v in interp.iterate(args[1], node):
        interp.add_child(m, str(len(m.children)), v, node)
    return m


def _insert(interp, args, kwargs, node):
    m = _m(args, node)
    if m.container != "ModuleList":
        raise refuse(node, "insert() is read on a ModuleList")
    values = list(m.children.values())
    values.insert(_int(args[1], node, "index"), args[2])
    m.children.clear()
    for v in values:
        interp.add_child(m, str(len(m.children)), v, node)


def _items(interp, args, kwargs, node):
    return list(_m(args, node).children.items())


def _keys(interp, args, kwargs, node):
    return list(_m(args, node).children)


def _values(interp, args, kwargs, node):
    return list(_m(args, node).children.values())


def _update(interp, args, kwargs, node):
    m = _m(args, node)
    pairs = args[1].items() if isinstance(args[1], dict) else interp.iterate(args[1], node)
    for k, v in pairs:
        interp.add_child(m, k, v, node)


MODULE_METHODS: dict[str, Native] = {
    "add_module": Native("add_module", _add_module),
    "register_module": Native("register_module", _add_module),
    "register_buffer": Native("register_buffer", _register_buffer),
    "register_parameter": Native("register_parameter", _register_parameter),
    "modules": Native("modules", _modules),
    "named_modules": Native("named_modules", _named_modules),
    "children": Native("children", _children),
    "named_children": Native("named_children", _named_children),
    "parameters": Native("parameters", _parameters),
    "named_parameters": Native("named_parameters", _named_parameters),
    "apply": Native("apply", _apply),
    "eval": Native("eval", _self),
    "train": Native("train", _self),
    "to": Native("to", _self),
    "cuda": Native("cuda", _self),
    "cpu": Native("cpu", _self),
    "float": Native("float", _self),
    "double": Native("double", _self),
    "half": Native("half", _self),
    "requires_grad_": Native("requires_grad_", _self),
    "zero_grad": Native("zero_grad", _nothing),
    "forward": Native("forward", _forward),
    "append": Native("append", _append),
    "extend": Native("extend", _extend),
    "insert": Native("insert", _insert),
    "items": Native("items", _items),
    "keys": Native("keys", _keys),
    "values": Native("values", _values),
    "update": Native("update", _update),
}
LEAF_METHODS = {
    "modules",
    "named_modules",
    "children",
    "named_children",
    "parameters",
    "named_parameters",
    "apply",
    "eval",
    "train",
    "to",
    "cuda",
    "cpu",
    "float",
    "double",
    "half",
    "requires_grad_",
    "zero_grad",
    "forward",
}

_TUPLED = {"kernel_size", "stride", "padding", "dilation", "output_padding"}
_WEIGHTED = {
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "Linear",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "GroupNorm",
    "Embedding",
    "PReLU",
}


def layer_attribute(call: LayerCall, name: str) -> Any:
    """What torch's layer object answers for `layer.NAME`: its constructor arguments (a conv's
    sizes as tuples, as torch stores them), and `weight`/`bias` as parameters without values."""
    if name in ("weight", "bias"):
        if call.name not in _WEIGHTED:
            return _MISSING
        if name == "bias" and call.args.get("bias") is False:
            return None
        if call.name.startswith("BatchNorm") or call.name == "GroupNorm":
            if not call.args.get("affine", True):
                return None
        if call.name == "LayerNorm" and not call.args.get("elementwise_affine", True):
            return None
        return Param(None)
    if name in call.args:
        value = call.args[name]
        if call.name in ("Conv1d", "Conv2d", "ConvTranspose2d") and name in _TUPLED:
            n = 1 if call.name == "Conv1d" else 2
            if isinstance(value, int):
                return (value,) * n
        if call.name == "LayerNorm" and name == "normalized_shape" and isinstance(value, int):
            return (value,)
        return value
    if call.name == "MultiheadAttention" and name == "head_dim":
        return call.args["embed_dim"] // call.args["num_heads"]
    if name == "inplace":
        return False
    return _MISSING


# --- tensors: methods and torch functions over shapes ---------------------------------------------------


def _t(args: list[Any], node: ast.AST) -> Tensor | Const:
    v = args[0]
    if isinstance(v, Param):
        if v.shape is None:
            raise refuse(node, "a layer's weight has no shape dlcalc follows")
        return Const(v.shape)
    if not isinstance(v, (Tensor, Const)):
        raise refuse(node, f"expected a tensor, got {_describe(v)}")
    return v


def _batch(t: Tensor | Const) -> int | None:
    return t.batch if isinstance(t, Tensor) else None


def _size(interp, args, kwargs, node):
    t = _t(args, node)
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    if dim is None:
        return tuple(t.shape)
    return t.shape[_dim(dim, len(t.shape), node)]


def _view(op: str):
    def fn(interp, args, kwargs, node):
        t = _t(args, node)
        sizes = list(args[1:]) or list(kwargs.get("shape", kwargs.get("size", ())))
        shape = view_shape(t.shape, sizes, node, op)
        b = _batch(t)
        batch = b if b is not None and len(shape) > b and shape[: b + 1] == t.shape[: b + 1] else None
        return _result(interp, op, [t], shape, batch, node, sizes=list(shape))

    return Native(op, fn)


def _flatten_shape(t: Tensor | Const, start: Any, end: Any, node: ast.AST) -> tuple[tuple[int, ...], int | None]:
    rank = len(t.shape)
    if rank == 0:
        return (1,), None
    s, e = _dim(start, rank, node, "start_dim"), _dim(end, rank, node, "end_dim")
    if s > e:
        raise refuse(node, "flatten: start_dim must not be after end_dim")
    shape = t.shape[:s] + (math.prod(t.shape[s : e + 1]),) + t.shape[e + 1 :]
    b = _batch(t)
    batch = None if b is None else (b if b < s else (b - (e - s) if b > e else None))
    return shape, batch


def _flatten_method(interp, args, kwargs, node):
    t = _t(args, node)
    p = _args(node, "flatten", args[1:], kwargs, [("start_dim", 0), ("end_dim", -1)])
    shape, batch = _flatten_shape(t, p["start_dim"], p["end_dim"], node)
    return _result(interp, "flatten", [t], shape, batch, node, start_dim=p["start_dim"], end_dim=p["end_dim"])


def _permute(interp, args, kwargs, node):
    t = _t(args, node)
    dims = _sizes(list(args[1:]) or [kwargs.get("dims", ())], node, "permute")
    rank = len(t.shape)
    if len(dims) != rank:
        raise refuse(node, f"permute needs {rank} dims for a tensor of {rank} dimensions, got {len(dims)}")
    dims = [_dim(d, rank, node) for d in dims]
    if sorted(dims) != list(range(rank)):
        raise refuse(node, f"permute: {tuple(dims)} is not an ordering of the dimensions")
    shape = tuple(t.shape[d] for d in dims)
    b = _batch(t)
    batch = None if b is None else dims.index(b)
    return _result(interp, "permute", [t], shape, batch, node, dims=dims)


def _transpose(interp, args, kwargs, node):
    t = _t(args, node)
    p = _args(node, "transpose", args[1:], kwargs, [("dim0", REQUIRED), ("dim1", REQUIRED)])
    rank = len(t.shape)
    d0, d1 = _dim(p["dim0"], rank, node), _dim(p["dim1"], rank, node)
    shape = list(t.shape)
    shape[d0], shape[d1] = shape[d1], shape[d0]
    b = _batch(t)
    batch = d1 if b == d0 else d0 if b == d1 else b
    return _result(interp, "transpose", [t], tuple(shape), batch, node, dims=[d0, d1])


def _t_method(interp, args, kwargs, node):
    t = _t(args, node)
    if len(t.shape) > 2:
        raise refuse(node, ".t() is for tensors of at most 2 dimensions")
    return _transpose(interp, [t, 0, -1 if len(t.shape) == 2 else 0], {}, node)


def _unsqueeze(interp, args, kwargs, node):
    t = _t(args, node)
    p = _args(node, "unsqueeze", args[1:], kwargs, [("dim", REQUIRED)])
    rank = len(t.shape) + 1
    d = _dim(p["dim"], rank, node)
    shape = t.shape[:d] + (1,) + t.shape[d:]
    b = _batch(t)
    batch = None if b is None else (b + 1 if d <= b else b)
    return _result(interp, "unsqueeze", [t], shape, batch, node, dim=d)


def _squeeze(interp, args, kwargs, node):
    t = _t(args, node)
    p = _args(node, "squeeze", args[1:], kwargs, [("dim", None)])
    rank = len(t.shape)
    if p["dim"] is None:
        drop = [i for i, s in enumerate(t.shape) if s == 1]
    else:
        drop = [d for d in (_dim(x, rank, node) for x in _ints(p["dim"], node, "dim")) if t.shape[d] == 1]
    shape = tuple(s for i, s in enumerate(t.shape) if i not in drop)
    b = _batch(t)
    batch = None if b is None or b in drop else b - sum(1 for d in drop if d < b)
    return _result(interp, "squeeze", [t], shape, batch, node, dims=drop)


def _reduce(op: str):
    def fn(interp, args, kwargs, node):
        t = _t(args, node)
        p = _args(node, op, args[1:], kwargs, [("dim", None), ("keepdim", False), ("dtype", None)])
        rank = len(t.shape)
        dims = (
            list(range(rank))
            if p["dim"] is None
            else sorted({_dim(d, rank, node) for d in _ints(p["dim"], node, "dim")})
        )
        keep = bool(p["keepdim"])
        shape = (
            tuple(1 if i in dims else s for i, s in enumerate(t.shape))
            if keep
            else tuple(s for i, s in enumerate(t.shape) if i not in dims)
        )
        b = _batch(t)
        batch = b if keep else (None if b is None or b in dims else b - sum(1 for d in dims if d < b))
        return _result(interp, op, [t], shape, batch, node, dims=dims, keepdim=keep)

    return Native(op, fn)


def _expand(interp, args, kwargs, node):
    t = _t(args, node)
    sizes = _sizes(list(args[1:]), node, "expand")
    if len(sizes) < len(t.shape):
        raise refuse(node, "expand: fewer sizes than dimensions")
    lead = len(sizes) - len(t.shape)
    shape = []
    for i, s in enumerate(sizes):
        old = t.shape[i - lead] if i >= lead else None
        if s == -1:
            if old is None:
                raise refuse(node, "expand: -1 is not allowed for a new leading dimension")
            shape.append(old)
        elif old is not None and old != 1 and old != s:
            raise refuse(node, f"expand: size {old} cannot become {s}")
        else:
            shape.append(s)
    return _result(interp, "expand", [t], tuple(shape), move_batch(_batch(t), len(t.shape), len(shape)), node)


def _repeat(interp, args, kwargs, node):
    t = _t(args, node)
    sizes = _sizes(list(args[1:]), node, "repeat")
    if len(sizes) < len(t.shape):
        raise refuse(node, "repeat: fewer sizes than dimensions")
    padded = (1,) * (len(sizes) - len(t.shape)) + t.shape
    shape = tuple(a * b for a, b in zip(padded, sizes))
    if math.prod(shape) > 10**12:
        raise refuse(node, "repeat: the tensor would be too large")
    return _result(interp, "repeat", [t], shape, move_batch(_batch(t), len(t.shape), len(shape)), node)


def _same(op: str):
    """A method that changes nothing dlcalc follows (dtype, device, memory layout, values)."""

    def fn(interp, args, kwargs, node):
        return _t(args, node)

    return Native(op, fn)


def _masked_fill(interp, args, kwargs, node):
    t = _t(args, node)
    mask = args[1] if len(args) > 1 else kwargs.get("mask")
    if isinstance(mask, (Tensor, Const)) and broadcast(t.shape, mask.shape) != t.shape:
        raise refuse(node, f"masked_fill: the mask {show_tensor(mask)} does not broadcast to {show_tensor(t)}")
    return t


def _chunk(interp, args, kwargs, node):
    t = _t(args, node)
    p = _args(node, "chunk", args[1:], kwargs, [("chunks", REQUIRED), ("dim", 0)])
    n = _int(p["chunks"], node, "chunks")
    if n <= 0:
        raise refuse(node, "chunk: chunks must be positive")
    d = _dim(p["dim"], len(t.shape), node)
    size = -(-t.shape[d] // n)
    out = []
    start = 0
    while start < t.shape[d]:
        index = tuple([slice(None)] * d + [slice(start, start + size)])
        out.append(_getitem(interp, t, index, node))
        start += size
    return tuple(out)


def _getitem(interp: Interp, t: Tensor | Const, index: Any, node: ast.AST) -> Any:
    return interp.getitem(t, index, node)


def _matmul_method(interp, args, kwargs, node):
    return interp.matmul(_t(args, node), args[1], node)


def _arith_method(op: ast.operator):
    def fn(interp, args, kwargs, node):
        return interp.binop(op, _t(args, node), args[1], node)

    return Native(type(op).__name__, fn)


def _numel(interp, args, kwargs, node):
    v = args[0]
    if isinstance(v, Param) and v.shape is None:
        return OPAQUE
    return math.prod(_t(args, node).shape)


def _dim_method(interp, args, kwargs, node):
    return len(_t(args, node).shape)


TENSOR_METHODS: dict[str, Native] = {
    "size": Native("size", _size),
    "dim": Native("dim", _dim_method),
    "numel": Native("numel", _numel),
    "view": _view("view"),
    "reshape": _view("reshape"),
    "flatten": Native("flatten", _flatten_method),
    "permute": Native("permute", _permute),
    "transpose": Native("transpose", _transpose),
    "t": Native("t", _t_method),
    "unsqueeze": Native("unsqueeze", _unsqueeze),
    "squeeze": Native("squeeze", _squeeze),
    "mean": _reduce("mean"),
    "sum": _reduce("sum"),
    "amax": _reduce("amax"),
    "expand": Native("expand", _expand),
    "repeat": Native("repeat", _repeat),
    "masked_fill": Native("masked_fill", _masked_fill),
    "chunk": Native("chunk", _chunk),
    "matmul": Native("matmul", _matmul_method),
    "bmm": Native("bmm", _matmul_method),
    "add": _arith_method(ast.Add()),
    "sub": _arith_method(ast.Sub()),
    "mul": _arith_method(ast.Mult()),
    "div": _arith_method(ast.Div()),
    **{
        name: _same(name)
        for name in (
            "contiguous",
            "float",
            "double",
            "half",
            "long",
            "int",
            "bool",
            "to",
            "cpu",
            "cuda",
            "detach",
            "clone",
            "type_as",
            "requires_grad_",
        )
    },
}


def tensor_attr(interp: Interp, obj: Any, name: str, node: ast.AST) -> Any:
    if isinstance(obj, Param):
        if name in ("data", "weight"):
            return obj
        if name == "requires_grad":
            return True
        if name in ("device", "dtype"):
            return OPAQUE
        if obj.shape is None:
            if name == "numel":
                return Bound(obj, Native("numel", _numel))
            if name in ("shape", "size") or name in TENSOR_METHODS:
                raise refuse(node, "a layer's weight has no shape dlcalc follows here")
            return Bound(obj, Native(name, _nothing))  # normal_(), zero_(), fill_(), copy_() …
    if name == "shape":
        return tuple(obj.shape)
    if name == "ndim":
        return len(obj.shape)
    if name == "T":
        return (
            _transpose(interp, [obj, 0, -1], {}, node)
            if len(obj.shape) == 2
            else refuse_(node, ".T on more than 2 dims")
        )
    if name in ("device", "dtype"):
        return OPAQUE
    if name == "data":
        return obj
    if name in TENSOR_METHODS:
        return Bound(obj, TENSOR_METHODS[name])
    if name in _TENSOR_FUNCTIONAL:
        return Bound(obj, _TENSOR_FUNCTIONAL[name])
    if isinstance(obj, Const) and name.endswith("_"):
        return Bound(obj, Native(name, _nothing))  # in-place fills of a buffer
    raise refuse(node, f"the tensor method .{name}() is not read")


def refuse_(node: ast.AST, message: str) -> Any:
    raise refuse(node, message)


# torch.cat, torch.flatten, … ------------------------------------------------------------------------


def _tensors(interp: Interp, value: Any, node: ast.AST) -> list[Tensor | Const]:
    items = interp.iterate(value, node) if isinstance(value, (list, tuple)) else None
    if items is None:
        raise refuse(node, "expected a list or tuple of tensors")
    out = []
    for v in items:
        if isinstance(v, Param) and v.shape is not None:
            v = Const(v.shape)
        if not isinstance(v, (Tensor, Const)):
            raise refuse(node, f"expected tensors, got {_describe(v)}")
        out.append(v)
    if not out:
        raise refuse(node, "expected at least one tensor")
    return out


def _cat(interp, args, kwargs, node):
    p = _args(node, "cat", args, kwargs, [("tensors", REQUIRED), ("dim", 0)])
    ts = _tensors(interp, p["tensors"], node)
    rank = len(ts[0].shape)
    d = _dim(p["dim"], rank, node)
    for t in ts[1:]:
        same = len(t.shape) == rank and all(a == b for i, (a, b) in enumerate(zip(t.shape, ts[0].shape)) if i != d)
        if not same:
            shapes = ", ".join(show_tensor(x) for x in ts)
            raise refuse(node, f"torch.cat(dim={p['dim']}) needs equal sizes apart from dim {p['dim']}: got {shapes}")
    shape = ts[0].shape[:d] + (sum(t.shape[d] for t in ts),) + ts[0].shape[d + 1 :]
    tensors = [t for t in ts if isinstance(t, Tensor)]
    if not tensors:
        return Const(shape)
    return interp.op("cat", tensors, shape, tensors[0].batch, {"dim": d, "parts": [t.shape[d] for t in ts]}, node)


def _stack(interp, args, kwargs, node):
    p = _args(node, "stack", args, kwargs, [("tensors", REQUIRED), ("dim", 0)])
    ts = _tensors(interp, p["tensors"], node)
    if any(t.shape != ts[0].shape for t in ts):
        raise refuse(node, "torch.stack needs tensors of one shape: got " + ", ".join(show_tensor(t) for t in ts))
    d = _dim(p["dim"], len(ts[0].shape) + 1, node)
    shape = ts[0].shape[:d] + (len(ts),) + ts[0].shape[d:]
    tensors = [t for t in ts if isinstance(t, Tensor)]
    if not tensors:
        return Const(shape)
    b = tensors[0].batch
    batch = None if b is None else (b + 1 if d <= b else b)
    return interp.op("stack", tensors, shape, batch, {"dim": d}, node)


def _flatten_fn(interp, args, kwargs, node):
    p = _args(node, "flatten", args, kwargs, [("input", REQUIRED), ("start_dim", 0), ("end_dim", -1)])
    return _flatten_method(interp, [p["input"], p["start_dim"], p["end_dim"]], {}, node)


def _method_as_function(method: Native):
    def fn(interp, args, kwargs, node):
        if not args:
            raise refuse(node, f"torch.{method.name} needs a tensor")
        return method.fn(interp, args, kwargs, node)

    return Native(method.name, fn)


def _creation(name: str):
    def fn(interp, args, kwargs, node):
        for k in kwargs:
            if k not in ("dtype", "device", "requires_grad", "layout", "pin_memory", "out"):
                raise refuse(node, f"torch.{name}() has no argument {k!r} that dlcalc reads")
        sizes = _sizes(list(args), node, f"torch.{name}")
        if any(s < 0 for s in sizes):
            raise refuse(node, f"torch.{name}: sizes must not be negative")
        if math.prod(sizes) > 10**12:
            raise refuse(node, f"torch.{name}: the tensor would be too large")
        return Const(tuple(sizes))

    return Native(name, fn)


def _arange(interp, args, kwargs, node):
    values = [v for v in args]
    if not 1 <= len(values) <= 3 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise refuse(node, "torch.arange takes 1 to 3 numbers")
    start, end, step = (
        (0, values[0], 1) if len(values) == 1 else (values[0], values[1], values[2] if len(values) > 2 else 1)
    )
    if step == 0:
        raise refuse(node, "torch.arange: step must not be zero")
    n = max(0, math.ceil((end - start) / step))
    if n > 10**9:
        raise refuse(node, "torch.arange: too many values")
    return Const((n,))


def _like(interp, args, kwargs, node):
    return Const(_t(args, node).shape)


def _elementwise_fn(name: str):
    """torch.exp/sin/cos/… : the shape of its input."""

    def fn(interp, args, kwargs, node):
        t = _t(args, node)
        if isinstance(t, Const):
            return t
        return interp.op(name, [t], t.shape, t.batch, {}, node)

    return Native(name, fn)


def _tril(interp, args, kwargs, node):
    t = _t(args, node)
    return t if isinstance(t, Const) else interp.op("tril", [t], t.shape, t.batch, {}, node)


def _sdpa(interp, args, kwargs, node):
    p = _args(
        node,
        "scaled_dot_product_attention",
        args,
        kwargs,
        [
            ("query", REQUIRED),
            ("key", REQUIRED),
            ("value", REQUIRED),
            ("attn_mask", None),
            ("dropout_p", 0.0),
            ("is_causal", False),
            ("scale", None),
            ("enable_gqa", False),
        ],
    )
    q, k, v = (_t([p[n]], node) for n in ("query", "key", "value"))
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise refuse(
            node,
            f"scaled_dot_product_attention: query {show_tensor(q)}, key {show_tensor(k)} and value "
            f"{show_tensor(v)} do not fit (E of query and key, S of key and value must agree)",
        )
    lead = broadcast(broadcast(q.shape[:-2], k.shape[:-2]) or (), v.shape[:-2])
    if lead is None:
        raise refuse(node, "scaled_dot_product_attention: the batch sizes do not broadcast")
    shape = lead + (q.shape[-2], v.shape[-1])
    L, S, E, Ev = q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
    products = math.prod(lead) * (L * S * E + L * S * Ev)
    tensors = [t for t in (q, k, v) if isinstance(t, Tensor)]
    if not tensors:
        return Const(shape)
    b = tensors[0].batch
    return interp.op(
        "sdpa", tensors, shape, b if b is not None and b < len(lead) else None, {"products": products}, node
    )


def _pad(interp, args, kwargs, node):
    p = _args(
        node, "pad", args, kwargs, [("input", REQUIRED), ("pad", REQUIRED), ("mode", "constant"), ("value", None)]
    )
    t = _t([p["input"]], node)
    pads = _ints(p["pad"], node, "pad")
    if len(pads) % 2 or len(pads) // 2 > len(t.shape):
        raise refuse(node, "F.pad: pad needs pairs, at most one per dimension")
    shape = list(t.shape)
    for i in range(len(pads) // 2):
        axis = len(shape) - 1 - i
        shape[axis] += pads[2 * i] + pads[2 * i + 1]
        if shape[axis] <= 0:
            raise refuse(node, "F.pad: a dimension would become empty")
    return _result(interp, "pad", [t], tuple(shape), _batch(t), node, pad=pads)


# Functional forms of layers: F.relu(x) is ReLU() applied without a module.
FUNCTIONAL: dict[str, tuple[str, list[str]]] = {
    "relu": ("ReLU", ["inplace"]),
    "relu6": ("ReLU6", ["inplace"]),
    "leaky_relu": ("LeakyReLU", ["negative_slope", "inplace"]),
    "elu": ("ELU", ["alpha", "inplace"]),
    "gelu": ("GELU", ["approximate"]),
    "silu": ("SiLU", ["inplace"]),
    "mish": ("Mish", ["inplace"]),
    "sigmoid": ("Sigmoid", []),
    "tanh": ("Tanh", []),
    "hardswish": ("Hardswish", ["inplace"]),
    "hardsigmoid": ("Hardsigmoid", ["inplace"]),
    "softplus": ("Softplus", ["beta", "threshold"]),
    "softmax": ("Softmax", ["dim", "_stacklevel", "dtype"]),
    "log_softmax": ("LogSoftmax", ["dim", "_stacklevel", "dtype"]),
    "dropout": ("Dropout", ["p", "training", "inplace"]),
    "dropout1d": ("Dropout1d", ["p", "training", "inplace"]),
    "dropout2d": ("Dropout2d", ["p", "training", "inplace"]),
    "max_pool2d": ("MaxPool2d", ["kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"]),
    "max_pool1d": ("MaxPool1d", ["kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"]),
    "avg_pool2d": (
        "AvgPool2d",
        ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"],
    ),
    "avg_pool1d": ("AvgPool1d", ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]),
    "adaptive_avg_pool2d": ("AdaptiveAvgPool2d", ["output_size"]),
    "adaptive_max_pool2d": ("AdaptiveMaxPool2d", ["output_size", "return_indices"]),
    "adaptive_avg_pool1d": ("AdaptiveAvgPool1d", ["output_size"]),
    "adaptive_max_pool1d": ("AdaptiveMaxPool1d", ["output_size", "return_indices"]),
    "interpolate": (
        "Upsample",
        ["size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias"],
    ),
    "layer_norm": ("LayerNorm", ["normalized_shape", "weight", "bias", "eps"]),
}
_DROPPED = {"training", "_stacklevel", "dtype", "antialias"}


def _functional(fname: str, prefix: str = "F"):
    layer, params = FUNCTIONAL[fname]

    def fn(interp, args, kwargs, node):
        if not args:
            raise refuse(node, f"{prefix}.{fname}() needs its input")
        x, rest = args[0], list(args[1:])
        if len(rest) > len(params):
            raise refuse(node, f"{prefix}.{fname}() takes at most {len(params) + 1} arguments")
        named = dict(zip(params, rest))
        for k, v in kwargs.items():
            if k == "input":
                x = v
                continue
            if k not in params:
                raise refuse(node, f"{prefix}.{fname}() has no argument {k!r}")
            named[k] = v
        if named.get("return_indices"):
            raise refuse(node, f"{prefix}.{fname}(return_indices=True) is not read")
        if layer == "LayerNorm":
            if named.pop("weight", None) is not None or named.pop("bias", None) is not None:
                raise refuse(node, "F.layer_norm with weight/bias tensors is not read; use nn.LayerNorm")
            named["elementwise_affine"] = False
        for k in list(named):
            if k in _DROPPED or k == "return_indices":
                del named[k]
        module = interp.build_layer(layer, [], named, node)
        module.functional = True
        if not interp.tracing:
            return OPAQUE
        return interp.call_module(module, [x], {}, node)

    return Native(f"{prefix}.{fname}", fn)


_TENSOR_FUNCTIONAL = {
    name: _functional(name, "Tensor") for name in ("relu", "sigmoid", "tanh", "softmax", "log_softmax")
}


def _parameter(interp, args, kwargs, node):
    p = _args(node, "nn.Parameter", args, kwargs, [("data", None), ("requires_grad", True)])
    data = p["data"]
    if data is None:
        return Param((0,))
    if isinstance(data, Param):
        return data
    if not isinstance(data, Const):
        raise refuse(node, "nn.Parameter takes a tensor (torch.zeros(...), torch.randn(...))")
    return Param(data.shape)


def _ordered_dict(interp, args, kwargs, node):
    out: dict[Any, Any] = {}
    if args:
        if len(args) > 1:
            raise refuse(node, "OrderedDict() takes one list of pairs")
        pairs = args[0].items() if isinstance(args[0], dict) else interp.iterate(args[0], node)
        for pair in pairs:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not _hashable(pair[0]):
                raise refuse(node, "OrderedDict takes (name, value) pairs")
            out[pair[0]] = pair[1]
    out.update(kwargs)
    return out


def _partial(interp, args, kwargs, node):
    if not args:
        raise refuse(node, "partial() needs a function")
    return Partial(args[0], list(args[1:]), dict(kwargs))


def _deepcopy(interp, args, kwargs, node):
    if len(args) != 1:
        raise refuse(node, "deepcopy() takes one value")
    return clone(interp, args[0], node)


def clone(interp: Interp, value: Any, node: ast.AST, memo: dict[int, Any] | None = None) -> Any:
    memo = {} if memo is None else memo
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, Module):
        interp.count_module(node)
        copy = Module(
            value.kind,
            call=value.call,
            cls=value.cls,
            container=value.container,
            line=value.line,
            ctor=value.ctor,
            functional=value.functional,
        )
        memo[id(value)] = copy
        copy.children = {k: clone(interp, v, node, memo) for k, v in value.children.items()}
        copy.attrs = {k: clone(interp, v, node, memo) for k, v in value.attrs.items()}
        copy.params = {k: Param(v.shape) for k, v in value.params.items()}
        copy.buffers = dict(value.buffers)
        return copy
    if isinstance(value, list):
        return [clone(interp, v, node, memo) for v in value]
    if isinstance(value, tuple):
        return tuple(clone(interp, v, node, memo) for v in value)
    if isinstance(value, dict):
        return {k: clone(interp, v, node, memo) for k, v in value.items()}
    return value


def _math(name: str):
    def fn(interp, args, kwargs, node):
        if kwargs or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
            raise refuse(node, f"math.{name}() takes numbers")
        try:
            out = getattr(math, name)(*args)
        except (ValueError, OverflowError, TypeError) as e:
            raise refuse(node, f"math.{name}{tuple(args)!r} fails: {e}") from None
        if isinstance(out, int) and abs(out) > 10**15:
            raise refuse(node, "number too large")
        return out

    return Native(f"math.{name}", fn)


def _nn_init():
    names = [
        "kaiming_normal_",
        "kaiming_uniform_",
        "xavier_normal_",
        "xavier_uniform_",
        "normal_",
        "uniform_",
        "constant_",
        "zeros_",
        "ones_",
        "trunc_normal_",
        "orthogonal_",
        "eye_",
        "dirac_",
        "sparse_",
    ]
    members: dict[str, Any] = {n: Native(f"nn.init.{n}", _nothing) for n in names}
    members["calculate_gain"] = Native("nn.init.calculate_gain", lambda i, a, k, n: 1.0)
    return Namespace("torch.nn.init", members)


_NO_GRAD = Native("no_grad context", _nothing)


@cache
def namespaces() -> dict[str, Namespace]:
    """torch, torch.nn, torch.nn.functional, … as the code sees them (built once)."""
    functional = Namespace("torch.nn.functional", {name: _functional(name) for name in FUNCTIONAL})
    functional.members["pad"] = Native("F.pad", _pad)
    functional.members["scaled_dot_product_attention"] = Native("F.scaled_dot_product_attention", _sdpa)
    init = _nn_init()
    nn_members: dict[str, Any] = {name: LayerClass(name) for name in SIGNATURES}
    nn_members.update({name: ContainerClass(name) for name in ("Module", "Sequential", "ModuleList", "ModuleDict")})
    nn_members.update({"functional": functional, "init": init, "Parameter": Native("nn.Parameter", _parameter)})
    nn = Namespace("torch.nn", nn_members)
    jit = _jit_namespace()
    torch = Namespace("torch", _torch_members(nn, jit))
    spaces = {
        "torch": torch,
        "torch.nn": nn,
        "torch.nn.functional": functional,
        "torch.nn.init": init,
        "torch.jit": jit,
        "math": _math_namespace(),
        "collections": Namespace("collections", {"OrderedDict": Native("OrderedDict", _ordered_dict)}),
        "functools": Namespace("functools", {"partial": Native("partial", _partial)}),
        "copy": Namespace("copy", {"deepcopy": Native("deepcopy", _deepcopy)}),
    }
    _load_prelude(nn)
    return spaces


def _jit_namespace() -> Namespace:
    """torch.jit: its decorators and questions answered as in eager mode (not scripting or tracing)."""
    return Namespace(
        "torch.jit",
        {
            "annotate": Native(
                "torch.jit.annotate", lambda i, a, k, n: a[1] if len(a) == 2 else refuse_(n, "annotate(type, value)")
            ),
            "is_scripting": Native("torch.jit.is_scripting", lambda i, a, k, n: False),
            "is_tracing": Native("torch.jit.is_tracing", lambda i, a, k, n: False),
            "unused": Native("torch.jit.unused", lambda i, a, k, n: a[0] if a else None),
            "ignore": Native("torch.jit.ignore", lambda i, a, k, n: a[0] if a else None),
        },
    )


def _torch_members(nn: Namespace, jit: Namespace) -> dict[str, Any]:
    """What `torch.` reaches: nn, tensor creation and combination, elementwise functions, dtypes."""
    return {
        "nn": nn,
        "jit": jit,
        "Tensor": Native("torch.Tensor", _nothing, TENSOR_TYPE),
        "cat": Native("torch.cat", _cat),
        "concat": Native("torch.concat", _cat),
        "concatenate": Native("torch.concatenate", _cat),
        "stack": Native("torch.stack", _stack),
        "flatten": Native("torch.flatten", _flatten_fn),
        "matmul": Native("torch.matmul", lambda i, a, k, n: i.matmul(a[0], a[1], n)),
        "bmm": Native("torch.bmm", lambda i, a, k, n: i.matmul(a[0], a[1], n)),
        "add": Native("torch.add", lambda i, a, k, n: i.binop(ast.Add(), a[0], a[1], n)),
        "mul": Native("torch.mul", lambda i, a, k, n: i.binop(ast.Mult(), a[0], a[1], n)),
        "zeros": _creation("zeros"),
        "ones": _creation("ones"),
        "empty": _creation("empty"),
        "randn": _creation("randn"),
        "rand": _creation("rand"),
        "zeros_like": Native("zeros_like", _like),
        "ones_like": Native("ones_like", _like),
        "randn_like": Native("randn_like", _like),
        "arange": Native("torch.arange", _arange),
        "tril": Native("torch.tril", _tril),
        "triu": Native("torch.triu", _tril),
        "no_grad": Native("torch.no_grad", lambda i, a, k, n: _NO_GRAD),
        "manual_seed": Native("torch.manual_seed", _nothing),
        "device": Native("torch.device", lambda i, a, k, n: OPAQUE),
        "cuda": Namespace("torch.cuda", {"is_available": Native("torch.cuda.is_available", lambda i, a, k, n: False)}),
        "float32": OPAQUE,
        "float": OPAQUE,
        "long": OPAQUE,
        "int64": OPAQUE,
        "bool": OPAQUE,
        **{
            name: _method_as_function(TENSOR_METHODS[name])
            for name in ("permute", "transpose", "reshape", "squeeze", "unsqueeze", "mean", "sum", "chunk", "t")
        },
        **{name: _elementwise_fn(name) for name in ("exp", "sin", "cos", "log", "sqrt", "abs", "clamp", "erf")},
        **{
            name: _functional(name, "torch")
            for name in ("relu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout")
        },
    }


def _math_namespace() -> Namespace:
    """Python's math module, its functions on plain numbers."""
    return Namespace(
        "math",
        {
            **{n: _math(n) for n in ("sqrt", "log", "log2", "log10", "exp", "ceil", "floor", "pow", "prod", "isqrt")},
            "pi": math.pi,
            "e": math.e,
            "inf": math.inf,
        },
    )


def builtins_scope() -> Scope:
    return Scope(None, dict(BUILTINS))


# --- dlcalc's own definitions of torch's composite modules ------------------------------------------------
#
# nn.TransformerEncoderLayer and its family are written here in the same language the user's code
# is read in, following torch 2.13's modules (their children in torch's order, so `print(model)`
# text maps onto them and parameters count alike); the tests compare them with torch's own.

PRELUDE = """
class TransformerEncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = activation

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x))
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x):
        x = self.self_attn(x, x, x, need_weights=False)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self._activate(self.linear1(x))))
        return self.dropout2(x)

    def _activate(self, x):
        if self.activation == "relu":
            return F.relu(x)
        if self.activation == "gelu":
            return F.gelu(x)
        return self.activation(x)


class TransformerDecoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias)
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = activation

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x))
            x = x + self._mha_block(self.norm2(x), memory)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x))
            x = self.norm2(x + self._mha_block(x, memory))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x):
        x = self.self_attn(x, x, x, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem):
        x = self.multihead_attn(x, mem, mem, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self._activate(self.linear1(x))))
        return self.dropout3(x)

    def _activate(self, x):
        if self.activation == "relu":
            return F.relu(x)
        if self.activation == "gelu":
            return F.gelu(x)
        return self.activation(x)


class TransformerEncoder(nn.Module):
    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = nn.ModuleList([_clone(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        output = src
        for mod in self.layers:
            output = mod(output)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(nn.Module):
    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = nn.ModuleList([_clone(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        output = tgt
        for mod in self.layers:
            output = mod(output, memory)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(nn.Module):
    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                                    layer_norm_eps, batch_first, norm_first, bias)
            encoder_norm = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                                    layer_norm_eps, batch_first, norm_first, bias)
            decoder_norm = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None,
                tgt_is_causal=None, memory_is_causal=False):
        memory = self.encoder(src)
        return self.decoder(tgt, memory)
"""
PRELUDE_CLASSES = (
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerDecoder",
    "Transformer",
)


def _load_prelude(nn: Namespace) -> None:
    from dlcalc.parse.layers import _Source

    tree = ast.parse(PRELUDE)
    source = _Source(PRELUDE)
    source.prelude = True  # type: ignore[attr-defined]
    interp = Interp(source)
    scope = Scope(builtins_scope(), {"nn": nn, "F": nn.members["functional"], "_clone": Native("_clone", _deepcopy)})
    for stmt in tree.body:
        assert isinstance(stmt, ast.ClassDef)
        info = interp.define_class(stmt, scope, prelude=True)
        scope.values[stmt.name] = info
        nn.members[stmt.name] = info


__all__ = [
    "BUILTINS",
    "FUNCTIONAL",
    "LEAF_METHODS",
    "MODULE_METHODS",
    "PRELUDE_CLASSES",
    "PY_METHODS",
    "TENSOR_METHODS",
    "Bound",
    "Function",
    "builtins_scope",
    "clone",
    "layer_attribute",
    "namespaces",
    "tensor_attr",
]
