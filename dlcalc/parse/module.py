"""PyTorch module code read without running it: `class Net(nn.Module)` in, a tree of layers and a
trace of its `forward` over shapes out.

This is abstract interpretation over a small, whitelisted subset of Python. The text is parsed by
`ast`; a static pass refuses, wherever they stand, the constructs that have no place in a model
definition (imports other than torch, collections, typing, math and functools; names such as
`exec`, `eval`, `open`, `__import__`, `getattr`; any `__dunder__` attribute but `__init__`;
lambdas; `while` loops; `global`; generators; `async`). Then a small interpreter walks the
statements that a model definition uses — assignments, `if` on values known while building
(`if downsample is not None`, `if stride != 1`), `for` over `range(...)`, lists, ModuleLists and
`enumerate`/`zip`, calls of your helper functions, methods and classes, `nn.Sequential(...)`,
`nn.ModuleList`, `nn.ModuleDict`, `OrderedDict`, `add_module`, `super().__init__()` — with its
own values: numbers, strings, tuples, lists and dicts of them, modules (a torch layer is its
whitelisted constructor call, `dlcalc.parse.layers`), and in `forward` tensors that are only a
shape. No user text is ever executed; a construct outside the subset is refused with exit 2,
naming its line. Work is bounded: at most `MAX_STEPS` evaluation steps, `MAX_DEPTH` nested calls
(so two classes that build each other are refused), `MAX_ITEMS` items in a range or list, and
`MAX_MODULES` modules.

`forward` runs in eval mode (`self.training` is False, dropout keeps shapes); every layer call,
`x + identity`, `torch.cat`, `view`/`reshape`/`flatten`, `F.relu`/`F.max_pool2d`/… becomes a node
of the graph that an `Engine` (the `net` solver) records with its shape, parameters and MACs.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from dlcalc.errors import DlcalcError
from dlcalc.parse.layers import SIGNATURES, LayerCall, _clip, _Source, bind_values, canonical_name

MAX_STEPS = 2_000_000  # evaluation steps for reading one file (ResNet-152 takes about 60,000)
MAX_DEPTH = 60  # nested calls of functions, methods and modules
MAX_ITEMS = 100_000  # items in one range, list, tuple or string built by the code
MAX_MODULES = 50_000  # modules built
LARGEST = 10**15  # |n| of a number the code computes


# --- values ---------------------------------------------------------------------------------------


class Tensor:
    """A tensor flowing through `forward`: the output `index` of graph node `node`, with its full
    shape (the batch of 1 included, at axis `batch`, or None once merged away)."""

    __slots__ = ("node", "index", "shape", "batch", "free", "dtype")

    def __init__(
        self,
        node: int,
        index: int,
        shape: tuple[int, ...],
        batch: int | None,
        free: int | None = None,
        dtype: str = "float",
    ):
        self.node, self.index, self.shape, self.batch = node, index, tuple(shape), batch
        # `free`: the input this tensor came from through layers that do not care where the batch
        # is (Linear, LayerNorm, Embedding, activations…); a sequence-first layer that receives it
        # asks for that input's batch axis to be 1.
        self.free = free
        self.dtype = dtype


@dataclass(eq=False)
class Const:
    """A tensor built in `__init__` (a positional encoding, a mask): only its shape is known."""

    shape: tuple[int, ...]


@dataclass(eq=False)
class Param:
    """An `nn.Parameter` (its shape), or a layer's weight that init code touches (shape None;
    `owner` and `name` say whose: `self.fc.weight = self.embed.weight` ties the two)."""

    shape: tuple[int, ...] | None = None
    owner: Any = None
    name: str | None = None


class Opaque:
    """What module-level code computes that dlcalc does not follow (`model(x)` outside the trace,
    `print(...)`): it may be printed or passed around, never decided on."""

    def __repr__(self) -> str:
        return "<not followed>"


OPAQUE = Opaque()


@dataclass(eq=False)
class Module:
    """A module instance: a torch layer (`call`), a container, or an instance of a class of the code."""

    kind: str
    call: LayerCall | None = None
    children: dict[str, Module] = field(default_factory=dict)
    cls: ClassInfo | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    container: str | None = None  # "Sequential", "ModuleList", "ModuleDict" (or a subclass of one)
    params: dict[str, Param] = field(default_factory=dict)  # nn.Parameter attributes
    buffers: dict[str, Any] = field(default_factory=dict)
    line: int | None = None  # where it was built
    ctor: tuple[list[Any], dict[str, Any]] | None = None  # constructor arguments (classes of the code)
    tied: dict[str, tuple[Module, str]] = field(default_factory=dict)  # weight → (module, its parameter)
    initialized: bool = True
    functional: bool = False  # F.relu(x) and friends: a layer with no module behind it

    @property
    def is_leaf(self) -> bool:
        return self.call is not None

    def modules(self) -> list[Module]:
        """This module and every submodule, each once, in torch's `modules()` order."""
        seen: set[int] = set()
        out: list[Module] = []
        stack = [self]
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            out.append(m)
            stack.extend(reversed(list(m.children.values())))
        return out


@dataclass(eq=False)
class ClassInfo:
    name: str
    node: ast.ClassDef | None
    base: ClassInfo | str  # a class of the code, or "Module"/"Sequential"/"ModuleList"/"ModuleDict"
    attrs: dict[str, Any] = field(default_factory=dict)
    prelude: bool = False  # one of dlcalc's own definitions (nn.TransformerEncoderLayer …)

    def lookup(self, name: str) -> tuple[Any, ClassInfo] | None:
        cls: ClassInfo | str = self
        while isinstance(cls, ClassInfo):
            if name in cls.attrs:
                return cls.attrs[name], cls
            cls = cls.base
        return None

    @property
    def root_base(self) -> str:
        cls: ClassInfo | str = self
        while isinstance(cls, ClassInfo):
            cls = cls.base
        return cls

    def is_subclass_of(self, other: ClassInfo) -> bool:
        cls: ClassInfo | str = self
        while isinstance(cls, ClassInfo):
            if cls is other:
                return True
            cls = cls.base
        return False


@dataclass(eq=False)
class Function:
    node: ast.FunctionDef
    closure: Scope
    defaults: list[Any]
    kw_defaults: list[Any]
    owner: ClassInfo | None = None
    static: bool = False
    source: Any = None  # the text it was written in (the user's, or one of dlcalc's definitions)

    @property
    def name(self) -> str:
        return self.node.name


@dataclass(eq=False)
class Bound:
    receiver: Any
    function: Any  # a Function, or a Native taking the receiver first


@dataclass(eq=False)
class Native:
    """A callable dlcalc implements itself (a builtin, a torch function, a method)."""

    name: str
    fn: Callable[..., Any]
    pytype: type | tuple[type, ...] | None = None  # for isinstance(x, int)


@dataclass(eq=False)
class LayerClass:
    """A torch layer class such as nn.Conv2d: calling it builds a leaf module."""

    name: str


@dataclass(eq=False)
class ContainerClass:
    name: str  # "Module", "Sequential", "ModuleList", "ModuleDict"


@dataclass(eq=False)
class Namespace:
    name: str
    members: dict[str, Any]


@dataclass(eq=False)
class Partial:
    fn: Any
    args: list[Any]
    kwargs: dict[str, Any]


@dataclass(eq=False)
class Super:
    owner: ClassInfo
    receiver: Module


@dataclass(eq=False)
class TypingName:
    name: str  # Optional, List, Tensor … : fine in annotations (never read), refused as a value


class Engine(Protocol):
    """What the trace reports to: the `net` solver records nodes, shapes, parameters and MACs."""

    def input(self, index: int, name: str, dims: tuple[int, ...], batch: int | None) -> Tensor: ...

    def layer(self, module: Module, args: list[Any], kwargs: dict[str, Any], text: str, line: int) -> Any: ...

    def tensor_op(
        self,
        op: str,
        inputs: list[Tensor],
        shape: tuple[int, ...],
        batch: int | None,
        detail: dict[str, Any],
        line: int,
    ) -> Tensor: ...

    def enter(self, module: Module, args: list[Any]) -> None: ...

    def leave(self, module: Module, output: Any) -> None: ...


# --- errors ---------------------------------------------------------------------------------------


class CodeError(DlcalcError):
    pass


def _where(node: ast.AST | None) -> str:
    return f"line {node.lineno}" if node is not None and hasattr(node, "lineno") else "code"


def refuse(node: ast.AST | None, message: str) -> CodeError:
    return CodeError(f"{_where(node)}: {message}")


def show_shape(shape: Iterable[int]) -> str:
    return "×".join(map(str, shape)) or "scalar"


def show_tensor(t: Tensor | Const) -> str:
    """A tensor's shape as the table shows it: without the batch axis."""
    if isinstance(t, Tensor) and t.batch is not None:
        return show_shape(t.shape[: t.batch] + t.shape[t.batch + 1 :])
    return show_shape(t.shape)


# --- the static pass: constructs refused wherever they stand ---------------------------------------

IMPORTS = {
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.nn.init",
    "torch.nn.modules",
    "torch.jit",
    "collections",
    "typing",
    "typing_extensions",
    "math",
    "functools",
    "__future__",
}
FORBIDDEN_NAMES = {
    "exec",
    "eval",
    "compile",
    "open",
    "__import__",
    "__builtins__",
    "getattr",
    "setattr",
    "delattr",
    "hasattr",
    "globals",
    "locals",
    "vars",
    "input",
    "breakpoint",
    "exit",
    "quit",
    "help",
    "dir",
    "memoryview",
    "type",
    "object",
    "classmethod",
    "property",
    "os",
    "sys",
    "subprocess",
    "shutil",
    "pickle",
    "importlib",
    "builtins",
}
_FORBIDDEN_NODES = {
    "Lambda": "a lambda",
    "While": "a while loop",
    "Global": "a global statement",
    "Nonlocal": "a nonlocal statement",
    "Yield": "a yield (generator)",
    "YieldFrom": "a yield from (generator)",
    "Await": "an await",
    "AsyncFunctionDef": "an async function",
    "AsyncFor": "an async for loop",
    "AsyncWith": "an async with statement",
    "NamedExpr": "an assignment expression (:=)",
    "SetComp": "a set comprehension",
    "Set": "a set",
}
_DUNDER_TARGETS = {"__all__", "__constants__", "__annotations__", "__slots__", "__version__", "__author__"}


def static_check(tree: ast.Module) -> None:
    """Refuse, with its line, anything in the text that has no place in a model definition."""
    for node in ast.walk(tree):
        kind = type(node).__name__
        if kind in _FORBIDDEN_NODES:
            raise refuse(
                node, f"{_FORBIDDEN_NODES[kind]} is not read (dlcalc reads model definitions, never runs them)"
            )
        if isinstance(node, ast.Import):
            for alias in node.names:
                _check_import(node, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise refuse(
                    node, f"a relative import (from {'.' * node.level}{node.module or ''}) is not read; delete it"
                )
            _check_import(node, node.module or "")
        elif isinstance(node, ast.Name):
            if node.id in FORBIDDEN_NAMES:
                raise refuse(node, f"{node.id!r} is not allowed in model code (dlcalc never runs it)")
            if node.id.startswith("__") and node.id.endswith("__"):
                stored = isinstance(node.ctx, ast.Store) and node.id in _DUNDER_TARGETS
                if not stored and node.id != "__name__":
                    raise refuse(node, f"{node.id!r} is not allowed in model code")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("__") and node.attr.endswith("__") and node.attr != "__init__":
                raise refuse(node, f"the attribute {node.attr!r} is not allowed in model code")
        elif isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            raise refuse(node, "bytes literals are not read")


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    """Names the imports bind to a module dlcalc provides (`nn` → torch.nn, `F` → torch.nn.functional)."""
    aliases: dict[str, str] = dict(PASTED)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module in ("torch", "torch.nn"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in IMPORTS:
                    aliases[alias.asname or alias.name] = full
    return aliases


def _check_members(tree: ast.Module) -> None:
    """`torch.load`, `torch.optim.SGD`, `nn.Foo`: refused wherever they stand, reached or not."""
    aliases = _import_aliases(tree)
    if not aliases:
        return
    spaces = namespaces()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not isinstance(node.ctx, ast.Load):
            continue
        chain: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in aliases:
            continue
        module = aliases[base.id]
        space: Any = spaces.get(module)
        if space is None:
            continue
        shown = base.id
        for attr in reversed(chain):
            if not isinstance(space, Namespace):
                break
            if attr not in space.members:
                raise refuse(node, f"{shown}.{attr} is not something dlcalc reads")
            space = space.members[attr]
            shown = f"{shown}.{attr}"


def _check_import(node: ast.AST, module: str) -> None:
    if module not in IMPORTS and not any(module.startswith(m + ".") for m in ("torch.nn.modules",)):
        allowed = ", ".join(sorted(m for m in IMPORTS if m != "__future__"))
        raise refuse(node, f"import of {module!r} is not read (dlcalc reads imports of {allowed})")


# --- control flow inside the interpreter -----------------------------------------------------------


class _Return(Exception):
    def __init__(self, value: Any):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Scope:
    def __init__(self, parent: Scope | None = None, values: dict[str, Any] | None = None, frame: Frame | None = None):
        self.values: dict[str, Any] = values if values is not None else {}
        self.parent = parent
        self.frame = frame

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            scope = scope.parent
        raise KeyError(name)


@dataclass
class Frame:
    function: Function | None
    receiver: Any = None


# --- shape algebra (also used for tensors built in __init__) ----------------------------------------


def _dim(d: Any, rank: int, node: ast.AST | None, what: str = "dim") -> int:
    if not isinstance(d, int) or isinstance(d, bool):
        raise refuse(node, f"{what} must be a whole number, got {d!r}")
    if not -rank <= d < max(rank, 1):
        raise refuse(node, f"{what}={d} is out of range for a tensor of {rank} dimensions")
    return d % rank if rank else 0


def broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y) if 1 in (x, y) else x)
    return tuple(reversed(out))


def view_shape(shape: tuple[int, ...], sizes: list[Any], node: ast.AST | None, op: str) -> tuple[int, ...]:
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = list(sizes[0])
    total = math.prod(shape)
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes):
        raise refuse(node, f"{op}: sizes must be whole numbers, got {tuple(sizes)!r}")
    if sizes.count(-1) > 1:
        raise refuse(node, f"{op}: only one size may be -1")
    if any(s < -1 for s in sizes):
        raise refuse(node, f"{op}: invalid size in {tuple(sizes)!r}")
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes:
        if known == 0 or total % known:
            raise refuse(
                node, f"{op}{tuple(sizes)!r} does not fit a tensor of {show_shape(shape)} = {total:,} elements"
            )
        sizes = [total // known if s == -1 else s for s in sizes]
    elif known != total:
        raise refuse(
            node, f"{op}{tuple(sizes)!r} has {known:,} elements but the tensor {show_shape(shape)} has {total:,}"
        )
    return tuple(sizes)


def getitem_shape(
    shape: tuple[int, ...], index: Any, batch: int | None, node: ast.AST | None
) -> tuple[tuple[int, ...], int | None]:
    """The shape of `t[index]` (ints, slices, None, ...), and where the batch axis went."""
    items = list(index) if isinstance(index, tuple) else [index]
    if any(isinstance(i, (Tensor, Const)) for i in items):
        raise refuse(node, "indexing a tensor with a tensor (a mask) is not read")
    used = sum(1 for i in items if i is not None and i is not Ellipsis)
    if used > len(shape):
        raise refuse(node, f"too many indices for a tensor of {len(shape)} dimensions")
    if Ellipsis in items:
        k = items.index(Ellipsis)
        items = items[:k] + [slice(None)] * (len(shape) - used) + items[k + 1 :]
    items += [slice(None)] * (len(shape) - sum(1 for i in items if i is not None))
    out: list[int] = []
    new_batch = None
    axis = 0
    for item in items:
        if item is None:
            out.append(1)
            continue
        size = shape[axis]
        if isinstance(item, bool) or not isinstance(item, (int, slice)):
            raise refuse(node, f"a tensor index must be a whole number, a slice, None or ..., got {item!r}")
        if isinstance(item, int):
            if not -size <= item < size:
                raise refuse(node, f"index {item} is out of range for a dimension of size {size}")
        else:
            for part in (item.start, item.stop, item.step):
                if part is not None and (isinstance(part, bool) or not isinstance(part, int)):
                    raise refuse(node, f"a slice bound must be a whole number, got {part!r}")
            if item.step is not None and item.step <= 0:
                raise refuse(node, "a slice step must be positive")
            if axis == batch:
                new_batch = len(out)
            out.append(len(range(*item.indices(size))))
        axis += 1
    return tuple(out), new_batch


def matmul_shape(a: tuple[int, ...], b: tuple[int, ...], node: ast.AST | None) -> tuple[tuple[int, ...], int]:
    """torch.matmul's shape rule and its multiply-adds."""
    if not a or not b:
        raise refuse(node, "matmul needs tensors of at least one dimension")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise refuse(node, f"matmul: {show_shape(a)} @ {show_shape(b)} — the inner sizes {a2[-1]} and {b2[-2]} differ")
    batch = broadcast(a2[:-2], b2[:-2])
    if batch is None:
        raise refuse(node, f"matmul: the batch sizes of {show_shape(a)} and {show_shape(b)} do not broadcast")
    out = batch + (a2[-2], b2[-1])
    macs = math.prod(out) * a2[-1]
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out, macs


def move_batch(batch: int | None, old_rank: int, new_rank: int) -> int | None:
    """The batch axis of an elementwise result, aligned from the right."""
    return None if batch is None else batch + (new_rank - old_rank)


# --- the interpreter ------------------------------------------------------------------------------


@dataclass
class Program:
    text: str
    tree: ast.Module
    source: _Source
    globals: dict[str, Any]
    classes: dict[str, ClassInfo]
    instances: list[tuple[str, Module, int]]  # module-level `model = Net()`
    calls: list[tuple[Module, list[Any], int]]  # module-level `model(x)` (x from torch.randn…)
    notes: list[str]
    interp: Interp


class Interp:
    def __init__(self, source: _Source, engine: Engine | None = None):
        self.source = source
        self.engine = engine
        self.steps = 0
        self.depth = 0
        self.modules_built = 0
        self.calls: list[str] = []
        self.module_level_calls: list[tuple[Module, list[Any], int]] = []
        self.tracing = False
        self.unregistered: list[tuple[str, int]] = []  # plain lists of modules kept on self

    # ---- bookkeeping
    def tick(self, node: ast.AST | None) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise refuse(node, f"reading the code takes more than {MAX_STEPS:,} steps (a loop far too long?)")

    def text(self, node: ast.AST) -> str:
        try:
            return " ".join(self.source.segment(node).split())
        except (AttributeError, IndexError, TypeError):
            return type(node).__name__

    # ---- statements
    def run_block(self, body: list[ast.stmt], scope: Scope) -> None:
        for stmt in body:
            self.run(stmt, scope)

    def run(self, stmt: ast.stmt, scope: Scope) -> None:
        self.tick(stmt)
        if isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                return  # a docstring
            self.eval(stmt.value, scope)
        elif isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value, scope)
            for target in stmt.targets:
                self.assign(target, value, scope)
        elif isinstance(stmt, ast.AugAssign):
            current = self.eval(_load(stmt.target), scope)
            value = self.binop(stmt.op, current, self.eval(stmt.value, scope), stmt)
            self.assign(stmt.target, value, scope)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, self.eval(stmt.value, scope), scope)
        elif isinstance(stmt, ast.Return):
            raise _Return(None if stmt.value is None else self.eval(stmt.value, scope))
        elif isinstance(stmt, ast.If):
            branch = stmt.body if self.truth(self.eval(stmt.test, scope), stmt.test) else stmt.orelse
            self.run_block(branch, scope)
        elif isinstance(stmt, ast.For):
            self.run_for(stmt, scope)
        elif isinstance(stmt, ast.Pass):
            pass
        elif isinstance(stmt, ast.Break):
            raise _Break()
        elif isinstance(stmt, ast.Continue):
            raise _Continue()
        elif isinstance(stmt, ast.FunctionDef):
            scope.values[stmt.name] = self.define(stmt, scope, None)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.run_import(stmt, scope)
        elif isinstance(stmt, ast.ClassDef):
            if scope.frame is not None and scope.frame.function is not None:
                raise refuse(stmt, "a class defined inside a function is not read")
            scope.values[stmt.name] = self.define_class(stmt, scope)
        elif isinstance(stmt, ast.Raise):
            raise refuse(stmt, f"the code raises here ({_clip(self.text(stmt), 70)}), so torch would fail too")
        elif isinstance(stmt, ast.Assert):
            if not self.truth(self.eval(stmt.test, scope), stmt.test):
                raise refuse(stmt, f"assertion fails: {_clip(self.text(stmt.test), 70)}")
        elif isinstance(stmt, ast.With):
            for item in stmt.items:
                value = self.eval(item.context_expr, scope)
                if not (isinstance(value, Native) and value.name == "no_grad context"):
                    raise refuse(stmt, "a with statement is read only for torch.no_grad()")
            self.run_block(stmt.body, scope)
        else:
            names = {
                "Try": "a try statement",
                "Delete": "a del statement",
                "Match": "a match statement",
                "TryStar": "a try statement",
            }
            what = names.get(type(stmt).__name__, f"a {type(stmt).__name__} statement")
            raise refuse(stmt, f"{what} is not read (dlcalc reads model definitions, never runs them)")

    def run_for(self, stmt: ast.For, scope: Scope) -> None:
        items = self.iterate(self.eval(stmt.iter, scope), stmt.iter)
        for item in items:
            self.tick(stmt)
            self.assign(stmt.target, item, scope)
            try:
                self.run_block(stmt.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        self.run_block(stmt.orelse, scope)

    def run_import(self, stmt: ast.Import | ast.ImportFrom, scope: Scope) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    scope.values[alias.asname] = self.module_namespace(alias.name, stmt)
                else:
                    top = alias.name.split(".")[0]
                    scope.values[top] = self.module_namespace(top, stmt)
            return
        if stmt.module == "__future__":
            return
        space = self.module_namespace(stmt.module or "", stmt)
        for alias in stmt.names:
            if alias.name == "*":
                if isinstance(space, Namespace):
                    scope.values.update(space.members)
                continue
            scope.values[alias.asname or alias.name] = self.member(space, alias.name, stmt)

    def module_namespace(self, name: str, node: ast.AST) -> Any:
        from dlcalc.parse import module as here

        spaces = here.namespaces()
        if name in ("typing", "typing_extensions"):
            return Namespace(name, {})
        if name.startswith("torch.nn.modules"):
            return spaces["torch.nn"]
        if name not in spaces:
            raise refuse(node, f"import of {name!r} is not read")
        return spaces[name]

    def member(self, space: Any, name: str, node: ast.AST) -> Any:
        if isinstance(space, Namespace) and space.name in ("typing", "typing_extensions"):
            return TypingName(name)
        return self.getattr(space, name, node)

    # ---- definitions
    def define(self, node: ast.FunctionDef, scope: Scope, owner: ClassInfo | None) -> Function:
        static = False
        for deco in node.decorator_list:
            text = self.text(deco)
            if text == "staticmethod":
                static = True
            elif not text.startswith(("torch.jit.", "jit.")):
                raise refuse(deco, f"the decorator @{_clip(text, 40)} is not read")
        args = node.args
        defaults = [self.eval(d, scope) for d in args.defaults]
        kw_defaults = [None if d is None else self.eval(d, scope) for d in args.kw_defaults]
        return Function(node, scope, defaults, kw_defaults, owner, static, self.source)

    def define_class(self, node: ast.ClassDef, scope: Scope, prelude: bool = False) -> ClassInfo:
        if node.keywords:
            raise refuse(node, f"class {node.name}: keyword arguments in the class line are not read")
        if node.decorator_list:
            raise refuse(node, f"class {node.name}: class decorators are not read")
        bases = [self.eval(b, scope) for b in node.bases]
        modules = [b for b in bases if isinstance(b, (ClassInfo, ContainerClass))]
        if len(modules) != 1 or len(bases) != 1:
            raise refuse(
                node, f"class {node.name} must derive from exactly one module class (nn.Module, nn.Sequential, …)"
            )
        base = modules[0]
        info = ClassInfo(node.name, node, base if isinstance(base, ClassInfo) else base.name, prelude=prelude)
        body_scope = Scope(scope)
        for stmt in node.body:
            self.tick(stmt)
            if isinstance(stmt, ast.FunctionDef):
                info.attrs[stmt.name] = self.define(stmt, scope, info)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if stmt.value is None:
                    continue
                value = self.eval(stmt.value, body_scope)
                for target in targets:
                    if not isinstance(target, ast.Name):
                        raise refuse(stmt, f"class {node.name}: only NAME = value is read in a class body")
                    body_scope.values[target.id] = value
                    info.attrs[target.id] = value
            elif isinstance(stmt, ast.Pass):
                continue
            else:
                raise refuse(stmt, f"class {node.name}: only methods and NAME = value are read in a class body")
        return info

    # ---- assignment
    def assign(self, target: ast.expr, value: Any, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            scope.values[target.id] = value
            if isinstance(value, Tensor) and self.engine is not None and hasattr(self.engine, "bind"):
                self.engine.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.iterate(value, target)
            starred = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)]
            if starred:
                k = starred[0]
                after = len(target.elts) - k - 1
                if len(items) < len(target.elts) - 1:
                    raise refuse(target, f"not enough values to unpack ({len(items)})")
                for e, v in zip(target.elts[:k], items[:k]):
                    self.assign(e, v, scope)
                self.assign(target.elts[k].value, list(items[k : len(items) - after]), scope)  # type: ignore[attr-defined]
                for e, v in zip(target.elts[k + 1 :], items[len(items) - after :]):
                    self.assign(e, v, scope)
                return
            if len(items) != len(target.elts):
                raise refuse(target, f"cannot unpack {len(items)} values into {len(target.elts)} names")
            for e, v in zip(target.elts, items):
                self.assign(e, v, scope)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, scope)
            self.setattr(obj, target.attr, value, target)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, scope)
            index = self.eval_index(target.slice, scope)
            self.setitem(obj, index, value, target)
        else:
            raise refuse(target, f"cannot assign to {_clip(self.text(target), 40)}")

    def setattr(self, obj: Any, name: str, value: Any, node: ast.AST) -> None:
        if isinstance(obj, Module) and not obj.is_leaf:
            if isinstance(value, Module):
                if not obj.initialized:
                    raise refuse(
                        node,
                        f"self.{name} is assigned before super().__init__() is called; torch refuses "
                        '("cannot assign module before Module.__init__() call")',
                    )
                obj.attrs.pop(name, None)
                obj.params.pop(name, None)
                obj.children[name] = value
                return
            if isinstance(value, Param):
                obj.children.pop(name, None)
                obj.params[name] = value
                return
            if name in obj.children:
                del obj.children[name]
            if name in obj.params and value is None:
                del obj.params[name]
            if isinstance(value, (list, tuple)) and value and all(isinstance(v, Module) for v in value):
                self.unregistered.append((name, getattr(node, "lineno", 0)))
            obj.attrs[name] = value
            return
        if isinstance(obj, Module) and obj.is_leaf:
            if name in ("weight", "bias") and isinstance(value, Param) and value.owner is not None:
                assert obj.call is not None and value.owner.call is not None and value.name is not None
                from dlcalc.solvers.net_layers import param_shape

                mine, theirs = param_shape(obj.call, name), param_shape(value.owner.call, value.name)
                if mine is None or mine != theirs:
                    raise refuse(
                        node,
                        f"cannot tie {obj.kind}.{name} ({_shape_text(mine)}) to {value.owner.kind}.{value.name} "
                        f"({_shape_text(theirs)}): the shapes differ",
                    )
                obj.tied[name] = (value.owner, value.name)
                return
            raise refuse(node, f"setting {name!r} on a {obj.kind} layer is not read")
        if isinstance(obj, (Param, Const)):
            return  # m.weight.data = … in init code: no shape changes
        raise refuse(node, f"cannot set the attribute {name!r} here")

    def setitem(self, obj: Any, index: Any, value: Any, node: ast.AST) -> None:
        self.tick(node)
        if isinstance(obj, list):
            if not isinstance(index, int) or isinstance(index, bool):
                raise refuse(node, "a list index must be a whole number")
            if not -len(obj) <= index < len(obj):
                raise refuse(node, f"list index {index} is out of range")
            obj[index] = value
        elif isinstance(obj, dict):
            if not _hashable(index):
                raise refuse(node, "a dict key must be a number, a string or a tuple of them")
            obj[index] = value
            _check_size(len(obj), node)
        elif isinstance(obj, Const):
            return  # pe[:, 0::2] = torch.sin(...): the shape stays
        elif isinstance(obj, Module) and obj.container:
            if obj.container == "ModuleDict" and isinstance(index, str) and isinstance(value, Module):
                obj.children[index] = value
            elif obj.container in ("Sequential", "ModuleList") and isinstance(index, int) and isinstance(value, Module):
                keys = list(obj.children)
                if not -len(keys) <= index < len(keys):
                    raise refuse(node, f"index {index} is out of range for a {obj.container} of {len(keys)}")
                obj.children[keys[index]] = value
            else:
                raise refuse(node, f"cannot store {type(value).__name__} into a {obj.container}")
        else:
            raise refuse(node, "item assignment is read only on lists, dicts and containers")

    # ---- expressions
    def eval(self, node: ast.expr, scope: Scope) -> Any:
        self.tick(node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, int) and not isinstance(node.value, bool) and abs(node.value) > LARGEST:
                raise refuse(node, "number too large")
            return node.value
        if isinstance(node, ast.Name):
            try:
                return scope.lookup(node.id)
            except KeyError:
                raise refuse(node, f"name {node.id!r} is not defined (or not something dlcalc reads)") from None
        if isinstance(node, ast.Attribute):
            return self.getattr(self.eval(node.value, scope), node.attr, node)
        if isinstance(node, ast.Call):
            return self.eval_call(node, scope)
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.eval(node.left, scope), self.eval(node.right, scope), node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, self.eval(node.operand, scope))
        if isinstance(node, ast.BoolOp):
            return self.eval_boolop(node, scope)
        if isinstance(node, ast.Compare):
            return self.eval_compare(node, scope)
        if isinstance(node, ast.IfExp):
            return self.eval(node.body if self.truth(self.eval(node.test, scope), node.test) else node.orelse, scope)
        if isinstance(node, (ast.Tuple, ast.List)):
            return self.eval_sequence(node, scope)
        if isinstance(node, ast.Dict):
            return self.eval_dict(node, scope)
        if isinstance(node, ast.Subscript):
            return self.getitem(self.eval(node.value, scope), self.eval_index(node.slice, scope), node)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            return self.comprehension(node, scope)
        if isinstance(node, ast.DictComp):
            pairs = self.comprehension(node, scope)
            return dict(pairs)
        if isinstance(node, ast.JoinedStr):
            return self.fstring(node, scope)
        if isinstance(node, ast.Starred):
            raise refuse(node, "*value is read only inside a call or a list")
        if isinstance(node, ast.Slice):
            return self.eval_index(node, scope)
        raise refuse(node, f"{_clip(self.text(node), 40)} ({type(node).__name__}) is not read")

    def eval_boolop(self, node: ast.BoolOp, scope: Scope) -> Any:
        """`a and b`, `a or b`: Python's short-circuit, returning the deciding value."""
        value: Any = None
        for part in node.values:
            value = self.eval(part, scope)
            truth = self.truth(value, part)
            if isinstance(node.op, ast.And) and not truth:
                return value
            if isinstance(node.op, ast.Or) and truth:
                return value
        return value

    def eval_compare(self, node: ast.Compare, scope: Scope) -> bool:
        """`a < b <= c`: chained, each operand read once."""
        left = self.eval(node.left, scope)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node, scope)
            if not self.compare(op, left, right, node):
                return False
            left = right
        return True

    def eval_sequence(self, node: ast.Tuple | ast.List, scope: Scope) -> Any:
        """A tuple or list display, `*rest` spread in, its size bounded."""
        items: list[Any] = []
        for e in node.elts:
            if isinstance(e, ast.Starred):
                items += self.iterate(self.eval(e.value, scope), e)
            else:
                items.append(self.eval(e, scope))
            _check_size(len(items), node)
        return tuple(items) if isinstance(node, ast.Tuple) else items

    def eval_dict(self, node: ast.Dict, scope: Scope) -> dict[Any, Any]:
        """A dict display, `**other` merged in; keys must be hashable plain values."""
        out: dict[Any, Any] = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                more = self.eval(v, scope)
                if not isinstance(more, dict):
                    raise refuse(node, "** needs a dict")
                out.update(more)
            else:
                key = self.eval(k, scope)
                if not _hashable(key):
                    raise refuse(k, "a dict key must be a number, a string or a tuple of them")
                out[key] = self.eval(v, scope)
        return out

    def eval_index(self, node: ast.expr, scope: Scope) -> Any:
        if isinstance(node, ast.Slice):
            parts = [None if p is None else self.eval(p, scope) for p in (node.lower, node.upper, node.step)]
            return slice(*parts)
        if isinstance(node, ast.Tuple):
            return tuple(self.eval_index(e, scope) for e in node.elts)
        if isinstance(node, ast.Constant) and node.value is Ellipsis:
            return Ellipsis
        return self.eval(node, scope)

    def comprehension(self, node: ast.ListComp | ast.GeneratorExp | ast.DictComp, scope: Scope) -> list[Any]:
        inner = Scope(scope, frame=scope.frame)
        out: list[Any] = []

        def loop(k: int) -> None:
            if k == len(node.generators):
                if isinstance(node, ast.DictComp):
                    key = self.eval(node.key, inner)
                    if not _hashable(key):
                        raise refuse(node, "a dict key must be a number, a string or a tuple of them")
                    out.append((key, self.eval(node.value, inner)))
                else:
                    out.append(self.eval(node.elt, inner))
                _check_size(len(out), node)
                return
            gen = node.generators[k]
            if gen.is_async:
                raise refuse(node, "async comprehensions are not read")
            for item in self.iterate(self.eval(gen.iter, inner), gen.iter):
                self.tick(gen.iter)
                self.assign(gen.target, item, inner)
                if all(self.truth(self.eval(cond, inner), cond) for cond in gen.ifs):
                    loop(k + 1)

        loop(0)
        return out

    def fstring(self, node: ast.JoinedStr, scope: Scope) -> str:
        out = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                out += str(part.value)
            elif isinstance(part, ast.FormattedValue):
                value = self.eval(part.value, scope)
                spec = "" if part.format_spec is None else self.fstring(part.format_spec, scope)  # type: ignore[arg-type]
                if not isinstance(value, (int, float, str, bool)) and value is not None:
                    value = str(value) if isinstance(value, (Opaque,)) else _describe(value)
                if part.conversion not in (-1, 115, 114):
                    raise refuse(part, "only !s and !r conversions are read")
                try:
                    out += format(value if part.conversion != 114 else repr(value), spec)
                except (ValueError, TypeError):
                    raise refuse(part, f"cannot format {value!r} with {spec!r}") from None
            _check_size(len(out), node)
        return out

    # ---- calls
    def eval_call(self, node: ast.Call, scope: Scope) -> Any:
        func = self.eval(node.func, scope)
        args: list[Any] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                args += self.iterate(self.eval(a.value, scope), a)
            else:
                args.append(self.eval(a, scope))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                more = self.eval(kw.value, scope)
                if not isinstance(more, dict) or not all(isinstance(k, str) for k in more):
                    raise refuse(node, "**kwargs needs a dict with string keys")
                for k, v in more.items():
                    if k in kwargs:
                        raise refuse(node, f"argument {k!r} given twice")
                    kwargs[k] = v
            else:
                if kw.arg in kwargs:
                    raise refuse(node, f"argument {kw.arg!r} given twice")
                kwargs[kw.arg] = self.eval(kw.value, scope)
        if isinstance(func, Super) or (isinstance(func, Native) and func.name == "super"):
            pass
        if isinstance(func, Native) and func.name == "super":
            return self.make_super(args, scope, node)
        return self.call(func, args, kwargs, node)

    def make_super(self, args: list[Any], scope: Scope, node: ast.AST) -> Super:
        frame = scope.frame
        if args:
            if len(args) != 2 or not isinstance(args[0], ClassInfo) or not isinstance(args[1], Module):
                raise refuse(node, "super(Class, self) is read with a class of the code and self")
            return Super(args[0], args[1])
        if frame is None or frame.function is None or frame.function.owner is None or frame.receiver is None:
            raise refuse(node, "super() is read only inside a method")
        return Super(frame.function.owner, frame.receiver)

    def call(self, func: Any, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        self.tick(node)
        if isinstance(func, Native):
            return self.native(func, args, kwargs, node)
        if isinstance(func, Bound):
            if isinstance(func.function, Native):
                return self.native(func.function, [func.receiver, *args], kwargs, node)
            return self.call_function(func.function, [func.receiver, *args], kwargs, node, receiver=func.receiver)
        if isinstance(func, Function):
            return self.call_function(func, args, kwargs, node)
        if isinstance(func, Partial):
            merged = {**func.kwargs, **kwargs}
            return self.call(func.fn, [*func.args, *args], merged, node)
        if isinstance(func, LayerClass):
            return self.build_layer(func.name, args, kwargs, node)
        if isinstance(func, ContainerClass):
            return self.build_container(func.name, args, kwargs, node)
        if isinstance(func, ClassInfo):
            return self.instantiate(func, args, kwargs, node)
        if isinstance(func, Module):
            if not self.tracing:
                self.module_level_calls.append((func, args, getattr(node, "lineno", 0)))
                return OPAQUE
            return self.call_module(func, args, kwargs, node)
        if isinstance(func, Opaque):
            return OPAQUE
        if isinstance(func, TypingName):
            raise refuse(node, f"{func.name}(...) is not read")
        raise refuse(node, f"{_clip(self.text(node), 50)}: {_describe(func)} is not callable")

    def native(self, fn: Native, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        try:
            return fn.fn(self, args, kwargs, node)
        except (IndexError, TypeError, KeyError, ValueError, AttributeError, OverflowError, ZeroDivisionError):
            shown = fn.name.split(".")[-1]
            raise refuse(node, f"{shown}() is not read with these arguments") from None

    def call_function(
        self, fn: Function, args: list[Any], kwargs: dict[str, Any], node: ast.AST, receiver: Any = None
    ) -> Any:
        self.depth += 1
        self.calls.append(fn.name)
        try:
            if self.depth > MAX_DEPTH:
                chain = " → ".join(self.calls[-6:])
                raise refuse(node, f"calls nested more than {MAX_DEPTH} deep ({chain} …): recursion is not read")
            scope = Scope(fn.closure, self.bind(fn, args, kwargs, node), Frame(fn, receiver))
            caller, self.source = self.source, fn.source or self.source
            try:
                self.run_block(fn.node.body, scope)
            except _Return as r:
                return r.value
            except (_Break, _Continue):
                raise refuse(node, "break/continue outside a loop") from None
            except CodeError as e:
                # a line of dlcalc's own definitions means nothing to the user: name their call instead
                if getattr(self.source, "prelude", False) and not getattr(caller, "prelude", False):
                    e.message = re.sub(r"^line \d+: ", f"{_where(node)}: ", e.message)
                    e.text = None
                raise
            finally:
                self.source = caller
            return None
        finally:
            self.depth -= 1
            self.calls.pop()

    def bind(self, fn: Function, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> dict[str, Any]:
        a = fn.node.args
        positional = [p.arg for p in a.posonlyargs + a.args]
        values: dict[str, Any] = {}
        if len(args) > len(positional) and a.vararg is None:
            raise refuse(node, f"{fn.name}() takes {len(positional)} positional arguments but {len(args)} were given")
        for name, value in zip(positional, args):
            values[name] = value
        if a.vararg is not None:
            values[a.vararg.arg] = tuple(args[len(positional) :])
        extra: dict[str, Any] = {}
        kwonly = [p.arg for p in a.kwonlyargs]
        for k, v in kwargs.items():
            if k in values or (k in positional[: len(args)]):
                raise refuse(node, f"{fn.name}() got two values for {k!r}")
            if k in positional or k in kwonly:
                values[k] = v
            elif a.kwarg is not None:
                extra[k] = v
            else:
                raise refuse(node, f"{fn.name}() has no argument {k!r}")
        first_default = len(positional) - len(fn.defaults)
        for i, name in enumerate(positional):
            if name not in values:
                if i >= first_default:
                    values[name] = fn.defaults[i - first_default]
                else:
                    raise refuse(node, f"{fn.name}() needs the argument {name!r}")
        for name, default, given in zip(kwonly, fn.kw_defaults, a.kw_defaults):
            if name not in values:
                if given is None:
                    raise refuse(node, f"{fn.name}() needs the keyword argument {name!r}")
                values[name] = default
        if a.kwarg is not None:
            values[a.kwarg.arg] = extra
        return values

    # ---- modules
    def count_module(self, node: ast.AST | None) -> None:
        self.modules_built += 1
        if self.modules_built > MAX_MODULES:
            raise refuse(node, f"the code builds more than {MAX_MODULES:,} modules")

    def build_layer(self, name: str, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Module:
        self.count_module(node)
        for value in [*args, *kwargs.values()]:
            if not _literal_value(value):
                raise refuse(
                    node,
                    f"{name}: an argument is {_describe(value)}; layer arguments must be numbers, strings, "
                    "True/False/None or tuples of them",
                )
        try:
            call = bind_values(name, list(args), dict(kwargs))
        except DlcalcError as e:
            raise refuse(node, e.message) from None
        return Module(call.name, call=call, line=getattr(node, "lineno", None))

    def build_container(self, kind: str, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Module:
        self.count_module(node)
        m = Module(kind, container=None if kind == "Module" else kind, line=getattr(node, "lineno", None))
        self.container_init(m, kind, args, kwargs, node)
        return m

    def container_init(self, m: Module, kind: str, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> None:
        m.initialized = True
        if kind == "Module":
            if args or kwargs:
                raise refuse(node, "nn.Module.__init__() takes no arguments")
            return
        if kwargs:
            raise refuse(node, f"{kind}() takes no keyword arguments")
        if kind == "Sequential":
            if len(args) == 1 and isinstance(args[0], dict):
                for key, value in args[0].items():
                    self.add_child(m, key, value, node)
                return
            for value in args:
                self.add_child(m, str(len(m.children)), value, node)
            return
        if len(args) > 1:
            raise refuse(node, f"{kind}() takes one argument (a list or dict of modules)")
        if not args or args[0] is None:
            return
        if kind == "ModuleList":
            for value in self.iterate(args[0], node):
                self.add_child(m, str(len(m.children)), value, node)
        else:
            pairs = args[0].items() if isinstance(args[0], dict) else self.iterate(args[0], node)
            for pair in pairs:
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise refuse(node, "ModuleDict takes a dict or (name, module) pairs")
                self.add_child(m, pair[0], pair[1], node)

    def add_child(self, m: Module, name: Any, value: Any, node: ast.AST) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise refuse(node, f"a module name must be a non-empty string without '.', got {name!r}")
        if not isinstance(value, Module) and value is not None:
            hint = " (a class: add ())" if isinstance(value, (LayerClass, ClassInfo, ContainerClass)) else ""
            raise refuse(node, f"{_describe(value)} is not a module{hint}")
        if value is None:
            m.children.pop(name, None)
            m.attrs[name] = None
            return
        m.attrs.pop(name, None)
        m.children[name] = value
        _check_size(len(m.children), node)

    def instantiate(self, cls: ClassInfo, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Module:
        self.count_module(node)
        base = cls.root_base
        m = Module(
            cls.name,
            cls=cls,
            container=None if base == "Module" else base,
            line=getattr(node, "lineno", None),
            ctor=(list(args), dict(kwargs)),
            initialized=False,
        )
        found = cls.lookup("__init__")
        if found is None:
            self.container_init(m, base, args, kwargs, node)
        else:
            init, _ = found
            self.call_function(init, [m, *args], kwargs, node, receiver=m)
        return m

    def call_module(self, m: Module, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        assert self.engine is not None
        line = getattr(node, "lineno", 0)
        if m.is_leaf:
            try:
                return self.engine.layer(m, args, kwargs, self.text(node), line)
            except CodeError:
                raise
            except DlcalcError as e:
                raise refuse(node, e.message) from None
        forward = m.cls.lookup("forward") if m.cls is not None else None
        self.depth += 1
        self.calls.append(f"{m.kind}.forward")
        try:
            if self.depth > MAX_DEPTH:
                raise refuse(node, f"modules nested more than {MAX_DEPTH} deep: recursion is not read")
            self.engine.enter(m, args)
            if forward is not None:
                fn, _ = forward
                self.depth -= 1
                self.calls.pop()
                try:
                    out = self.call_function(fn, [m, *args], kwargs, node, receiver=m)
                finally:
                    self.depth += 1
                    self.calls.append(f"{m.kind}.forward")
            elif m.container == "Sequential":
                if len(args) != 1 or kwargs:
                    raise refuse(node, f"a Sequential takes one input, got {len(args) + len(kwargs)}")
                out = args[0]
                for child in m.children.values():
                    out = self.call_module(child, [out], {}, node)
            elif m.container in ("ModuleList", "ModuleDict"):
                raise refuse(node, f"a {m.container} cannot be called; loop over it in forward")
            else:
                raise refuse(node, f"{m.kind} has no forward method")
            self.engine.leave(m, out)
            return out
        finally:
            self.depth -= 1
            self.calls.pop()

    # ---- attributes and items
    def getattr(self, obj: Any, name: str, node: ast.AST) -> Any:
        self.tick(node)
        if isinstance(obj, Namespace):
            if name in obj.members:
                return obj.members[name]
            raise refuse(node, f"{obj.name}.{name} is not something dlcalc reads")
        if isinstance(obj, Module):
            return self.module_attr(obj, name, node)
        if isinstance(obj, Super):
            return self.super_attr(obj, name, node)
        if isinstance(obj, ClassInfo):
            found = obj.lookup(name)
            if found is not None:
                return found[0]
            if name == "__init__":
                return Native("Module.__init__", _container_init_unbound(obj.root_base))
            raise refuse(node, f"class {obj.name} has no attribute {name!r}")
        if isinstance(obj, ContainerClass):
            if name == "__init__":
                return Native(f"{obj.name}.__init__", _container_init_unbound(obj.name))
            raise refuse(node, f"nn.{obj.name}.{name} is not read")
        if isinstance(obj, (Tensor, Const, Param)):
            from dlcalc.parse import module as here

            return here.tensor_attr(self, obj, name, node)
        if isinstance(obj, Opaque):
            return OPAQUE
        if isinstance(obj, (str, list, dict, tuple)):
            from dlcalc.parse import module as here

            method = here.PY_METHODS.get((type(obj).__name__, name))
            if method is not None:
                return Bound(obj, method)
        raise refuse(node, f"{_describe(obj)} has no attribute {name!r} that dlcalc reads")

    def module_attr(self, m: Module, name: str, node: ast.AST) -> Any:
        from dlcalc.parse import module as here

        if name in m.children:
            return m.children[name]
        if name in m.attrs:
            return m.attrs[name]
        if name in m.params:
            return m.params[name]
        if name in m.buffers:
            return m.buffers[name]
        if m.cls is not None:
            found = m.cls.lookup(name)
            if found is not None:
                value, _ = found
                if isinstance(value, Function) and not value.static:
                    return Bound(m, value)
                return value
        if name == "training":
            return not self.tracing
        method = here.MODULE_METHODS.get(name)
        if method is not None and (m.container or not m.is_leaf or name in here.LEAF_METHODS):
            return Bound(m, method)
        if m.is_leaf:
            assert m.call is not None
            value = here.layer_attribute(m.call, name)
            if isinstance(value, Param):
                value = Param(value.shape, m, name)
            if value is not here._MISSING:
                return value
            if method is not None:
                return Bound(m, method)
            raise refuse(node, f"a {m.kind} layer has no attribute {name!r} that dlcalc reads")
        raise refuse(node, f"{m.kind} has no attribute {name!r} (not set in __init__?)")

    def super_attr(self, sup: Super, name: str, node: ast.AST) -> Any:
        base = sup.owner.base
        if isinstance(base, ClassInfo):
            found = base.lookup(name)
            if found is not None:
                value, _ = found
                return Bound(sup.receiver, value) if isinstance(value, Function) and not value.static else value
            base = base.root_base
        if name == "__init__":
            return Bound(sup.receiver, Native(f"{base}.__init__", _container_init_unbound(base)))
        if name == "forward" and base == "Sequential":
            return Bound(sup.receiver, Native("Sequential.forward", _sequential_forward))
        raise refuse(node, f"super().{name} is not read")

    def getitem(self, obj: Any, index: Any, node: ast.AST) -> Any:
        self.tick(node)
        if isinstance(obj, (list, tuple, str)):
            if isinstance(index, slice):
                for part in (index.start, index.stop, index.step):
                    if part is not None and (isinstance(part, bool) or not isinstance(part, int)):
                        raise refuse(node, "slice bounds must be whole numbers")
                if index.step == 0:
                    raise refuse(node, "slice step cannot be zero")
                return obj[index]
            if isinstance(index, bool) or not isinstance(index, int):
                raise refuse(node, f"an index must be a whole number, got {_describe(index)}")
            if not -len(obj) <= index < len(obj):
                raise refuse(node, f"index {index} is out of range for {len(obj)} items")
            return obj[index]
        if isinstance(obj, dict):
            if not _hashable(index) or index not in obj:
                raise refuse(node, f"key {index!r} is not in the dict")
            return obj[index]
        if isinstance(obj, Module) and obj.container:
            keys = list(obj.children)
            if obj.container == "ModuleDict":
                if index not in obj.children:
                    raise refuse(node, f"ModuleDict has no key {index!r}")
                return obj.children[index]
            if isinstance(index, slice):
                part = Module(obj.container, container=obj.container, line=obj.line)
                for k in keys[index]:
                    part.children[k] = obj.children[k]
                return part
            if isinstance(index, bool) or not isinstance(index, int) or not -len(keys) <= index < len(keys):
                raise refuse(node, f"index {index!r} is out of range for a {obj.container} of {len(keys)}")
            return obj.children[keys[index]]
        if isinstance(obj, Tensor):
            shape, batch = getitem_shape(obj.shape, index, obj.batch, node)
            return self.op("getitem", [obj], shape, batch, {"index": _show_index(index), "raw": index}, node)
        if isinstance(obj, Const):
            shape, _ = getitem_shape(obj.shape, index, None, node)
            return Const(shape)
        if isinstance(obj, Opaque):
            return OPAQUE
        raise refuse(node, f"{_describe(obj)} cannot be indexed")

    def iterate(self, value: Any, node: ast.AST) -> list[Any]:
        self.tick(node)
        if isinstance(value, range):
            if len(value) > MAX_ITEMS:
                raise refuse(node, f"a range of {len(value):,} items; dlcalc reads at most {MAX_ITEMS:,}")
            return list(value)
        if isinstance(value, (list, tuple, str)):
            return list(value)
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, Module) and value.container:
            if value.container == "ModuleDict":
                return list(value.children)
            return list(value.children.values())
        if isinstance(value, Tensor):
            if not value.shape:
                raise refuse(node, "iterating over a 0-d tensor")
            return [self.getitem(value, i, node) for i in range(value.shape[0])]
        raise refuse(node, f"{_describe(value)} cannot be looped over")

    # ---- operators
    def truth(self, value: Any, node: ast.AST) -> bool:
        if isinstance(value, (Tensor, Const, Param)):
            raise refuse(node, "an if on a tensor's values cannot be decided from shapes")
        if isinstance(value, Opaque):
            raise refuse(node, "this condition depends on something dlcalc does not follow")
        if isinstance(value, (Module, Function, Bound, Native, ClassInfo, LayerClass, ContainerClass, Namespace)):
            return True
        return bool(value)

    def unary(self, node: ast.UnaryOp, value: Any) -> Any:
        if isinstance(node.op, ast.Not):
            return not self.truth(value, node)
        if isinstance(value, (Tensor, Const)):
            return self.elementwise("neg", [value], node)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise refuse(node, f"unary {type(node.op).__name__} on {_describe(value)} is not read")
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return value
        if not isinstance(value, int):
            raise refuse(node, "~ needs a whole number")
        return ~value

    def binop(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        if isinstance(a, (Tensor, Const, Param)) or isinstance(b, (Tensor, Const, Param)):
            if isinstance(op, ast.MatMult):
                return self.matmul(a, b, node)
            names = {
                ast.Add: "add",
                ast.Sub: "sub",
                ast.Mult: "mul",
                ast.Div: "div",
                ast.Pow: "pow",
                ast.FloorDiv: "div",
            }
            name = names.get(type(op))
            if name is None:
                raise refuse(node, f"the operator {type(op).__name__} on tensors is not read")
            return self.elementwise(name, [a, b], node)
        if isinstance(a, Opaque) or isinstance(b, Opaque):
            return OPAQUE
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return _arith(op, a, b, node)
        if isinstance(op, ast.Add) and type(a) is type(b) and isinstance(a, (str, list, tuple)):
            _check_size(len(a) + len(b), node)
            return a + b
        if isinstance(op, ast.Mult) and (
            (isinstance(a, (str, list, tuple)) and isinstance(b, int))
            or (isinstance(b, (str, list, tuple)) and isinstance(a, int))
        ):
            seq: Any = a if isinstance(b, int) else b
            n: Any = b if isinstance(b, int) else a
            if isinstance(n, bool):
                raise refuse(node, "cannot repeat by a boolean")
            _check_size(len(seq) * max(n, 0), node)
            return seq * n
        if isinstance(op, ast.Mod) and isinstance(a, str):
            values = b if isinstance(b, tuple) else (b,)
            if not all(isinstance(v, (int, float, str, bool)) or v is None for v in values):
                raise refuse(node, "% formatting is read for numbers and strings only")
            try:
                out = a % b
            except (TypeError, ValueError) as e:
                raise refuse(node, f"% formatting failed: {e}") from None
            _check_size(len(out), node)
            return out
        raise refuse(node, f"{_describe(a)} {_OPS.get(type(op), '?')} {_describe(b)} is not read")

    def compare(self, op: ast.cmpop, a: Any, b: Any, node: ast.AST) -> bool:
        if isinstance(op, ast.Is):
            return _same(a, b)
        if isinstance(op, ast.IsNot):
            return not _same(a, b)
        if isinstance(a, (Tensor, Const)) or isinstance(b, (Tensor, Const)):
            raise refuse(node, "comparing tensors cannot be decided from shapes")
        if isinstance(a, Opaque) or isinstance(b, Opaque):
            raise refuse(node, "this comparison depends on something dlcalc does not follow")
        if isinstance(op, (ast.In, ast.NotIn)):
            if isinstance(b, Module) and b.container:
                inside = a in b.children if b.container == "ModuleDict" else any(a is c for c in b.children.values())
            elif isinstance(b, (list, tuple, dict, str)):
                if isinstance(b, str) and not isinstance(a, str):
                    raise refuse(node, "'in <string>' needs a string")
                inside = a in b
            else:
                raise refuse(node, f"'in' on {_describe(b)} is not read")
            return inside if isinstance(op, ast.In) else not inside
        if isinstance(op, ast.Eq):
            return _equal(a, b)
        if isinstance(op, ast.NotEq):
            return not _equal(a, b)
        ok = (isinstance(a, (int, float)) and isinstance(b, (int, float))) or (
            type(a) is type(b) and isinstance(a, (str, tuple, list))
        )
        if not ok:
            raise refuse(node, f"cannot order {_describe(a)} and {_describe(b)}")
        try:
            return {ast.Lt: a < b, ast.LtE: a <= b, ast.Gt: a > b, ast.GtE: a >= b}[type(op)]
        except TypeError:
            raise refuse(node, f"cannot order {_describe(a)} and {_describe(b)}") from None

    # ---- tensor operations (forward, or constants in __init__)
    def op(
        self,
        name: str,
        inputs: list[Tensor],
        shape: tuple[int, ...],
        batch: int | None,
        detail: dict[str, Any],
        node: ast.AST,
    ) -> Tensor:
        assert self.engine is not None
        detail.setdefault("text", self.text(node))
        return self.engine.tensor_op(name, inputs, shape, batch, detail, getattr(node, "lineno", 0))

    def elementwise(self, name: str, operands: list[Any], node: ast.AST) -> Any:
        shapes: list[tuple[int, ...]] = []
        tensors: list[Tensor] = []
        for v in operands:
            if isinstance(v, Tensor):
                tensors.append(v)
                shapes.append(v.shape)
            elif isinstance(v, Const):
                shapes.append(v.shape)
            elif isinstance(v, Param):
                if v.shape is None:
                    raise refuse(node, "arithmetic with a layer's weight is not read")
                shapes.append(v.shape)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                shapes.append(())
            elif v is None:
                raise refuse(node, "arithmetic with None")
            else:
                raise refuse(node, f"{_describe(v)} in tensor arithmetic is not read")
        shape: tuple[int, ...] | None = shapes[0]
        for s in shapes[1:]:
            shape = broadcast(shape, s) if shape is not None else None
        if shape is None:
            words = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "divide", "pow": "raise"}
            shown = " and ".join(
                show_tensor(v) if isinstance(v, (Tensor, Const)) else show_shape(s) for v, s in zip(operands, shapes)
            )
            raise refuse(node, f"cannot {words.get(name, name)} tensors of shapes {shown}: they do not broadcast")
        if not tensors:
            return Const(shape)
        first = tensors[0]
        batch = move_batch(first.batch, len(first.shape), len(shape))
        described: list[Any] = []
        for v, sh in zip(operands, shapes):
            if isinstance(v, Tensor):
                described.append(("tensor", tensors.index(v)))
            elif isinstance(v, (Const, Param)):
                described.append(("const", sh))
            else:
                described.append(("number", v))
        return self.op(name, tensors, shape, batch, {"operands": described}, node)

    def matmul(self, a: Any, b: Any, node: ast.AST) -> Any:
        for v in (a, b):
            if not isinstance(v, (Tensor, Const)):
                raise refuse(node, f"matmul of {_describe(v)} is not read")
        shape, macs = matmul_shape(a.shape, b.shape, node)
        tensors = [v for v in (a, b) if isinstance(v, Tensor)]
        if not tensors:
            return Const(shape)
        first = tensors[0]
        batch = first.batch if first.batch is not None and first.batch < len(shape) - 2 else None
        return self.op("matmul", tensors, shape, batch, {"products": macs}, node)


_OPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
}


def _arith(op: ast.operator, a: int | float, b: int | float, node: ast.AST) -> int | float:
    if isinstance(a, bool) or isinstance(b, bool):
        a, b = int(a), int(b)
    if abs(a) > LARGEST or abs(b) > LARGEST:
        raise refuse(node, "number too large")
    try:
        if isinstance(op, ast.Add):
            out = a + b
        elif isinstance(op, ast.Sub):
            out = a - b
        elif isinstance(op, ast.Mult):
            out = a * b
        elif isinstance(op, ast.Div):
            out = a / b
        elif isinstance(op, ast.FloorDiv):
            out = a // b
        elif isinstance(op, ast.Mod):
            out = a % b
        elif isinstance(op, ast.Pow):
            if abs(b) > 64 or (isinstance(b, float) and abs(a) > 1e6):
                raise refuse(node, "exponent too large")
            out = a**b
            if isinstance(out, complex):
                raise refuse(node, "a complex power is not read")
        else:
            raise refuse(node, f"the operator {_OPS.get(type(op), type(op).__name__)} is not read")
    except ZeroDivisionError:
        raise refuse(node, "division by zero") from None
    except OverflowError:
        raise refuse(node, "number too large") from None
    if abs(out) > LARGEST:
        raise refuse(node, "number too large")
    return out


def _check_size(n: int, node: ast.AST | None) -> None:
    if n > MAX_ITEMS:
        raise refuse(node, f"a list or string of {n:,} items; dlcalc reads at most {MAX_ITEMS:,}")


def _hashable(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_hashable(v) for v in value)
    return value is None or isinstance(value, (int, float, str, bool))


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a is b or (isinstance(a, (int, str)) and type(a) is type(b) and a == b)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float, str, bool)) or a is None:
        return isinstance(b, (int, float, str, bool)) and a == b or (a is None and b is None)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a is b


def _literal_value(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return not isinstance(value, int) or abs(value) <= LARGEST
    if isinstance(value, (tuple, list)):
        return len(value) <= 64 and all(_literal_value(v) for v in value)
    return False


def _shape_text(shape: tuple[int, ...] | None) -> str:
    return "no such parameter" if shape is None else "×".join(map(str, shape))


def _describe(value: Any) -> str:
    if isinstance(value, Module):
        return f"a {value.kind} module"
    if isinstance(value, Tensor):
        return f"a tensor of shape {show_tensor(value)}"
    if isinstance(value, Const):
        return f"a tensor of shape {show_shape(value.shape)}"
    if isinstance(value, Param):
        return "a parameter"
    if isinstance(value, (LayerClass, ContainerClass)):
        return f"the class nn.{value.name}"
    if isinstance(value, ClassInfo):
        return f"the class {value.name}"
    if isinstance(value, (Function, Bound, Native, Partial)):
        return "a function"
    if isinstance(value, Namespace):
        return f"the module {value.name}"
    if isinstance(value, Opaque):
        return "something dlcalc does not follow"
    if isinstance(value, TypingName):
        return f"the type {value.name}"
    if value is None:
        return "None"
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {_clip(repr(value), 30)}"
    return f"a {type(value).__name__}"


def _show_index(index: Any) -> str:
    def one(i: Any) -> str:
        if isinstance(i, slice):
            parts = ["" if p is None else str(p) for p in (i.start, i.stop)]
            text = ":".join(parts)
            return text + (f":{i.step}" if i.step is not None else "")
        if i is Ellipsis:
            return "..."
        return str(i)

    return ", ".join(one(i) for i in (index if isinstance(index, tuple) else (index,)))


def _load(target: ast.expr) -> ast.expr:
    """The same target read as a value (for `x += y`)."""
    import copy

    value = copy.copy(target)
    value.ctx = ast.Load()  # type: ignore[attr-defined]
    return value


def _container_init_unbound(kind: str) -> Callable[..., Any]:
    def init(interp: Interp, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> None:
        if not args or not isinstance(args[0], Module):
            raise refuse(node, f"{kind}.__init__ needs self")
        interp.container_init(args[0], kind, list(args[1:]), kwargs, node)

    return init


def _sequential_forward(interp: Interp, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
    m, x = args[0], args[1]
    for child in m.children.values():
        x = interp.call_module(child, [x], {}, node)
    return x


_MISSING = object()

from dlcalc.parse.module_lib import (  # noqa: E402  (the library needs the classes above)
    LEAF_METHODS,
    MODULE_METHODS,
    PY_METHODS,
    builtins_scope,
    layer_attribute,
    namespaces,
    tensor_attr,
)

__all__ = [
    "LEAF_METHODS",
    "MODULE_METHODS",
    "PY_METHODS",
    "layer_attribute",
    "namespaces",
    "tensor_attr",
    "SIGNATURES",
    "canonical_name",
]


# --- reading a file: the program, its network, its input, the trace ---------------------------------


def parse_code(text: str) -> ast.Module:
    from dlcalc.limits import too_many_digits

    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        if "too many nested parentheses" in str(e.msg):
            raise CodeError("code nested too deeply (more than 200 brackets)") from None
        big = too_many_digits(e, f"line {e.lineno}")
        raise CodeError(big.text or big.message if big else f"line {e.lineno}: not valid Python ({e.msg})") from None
    except (RecursionError, MemoryError):
        raise CodeError("code nested too deeply to read") from None
    except ValueError as e:
        big = too_many_digits(e, "code")
        raise CodeError(big.text or big.message if big else f"code: {' '.join(str(e).split())}") from None
    return tree


def read_program(text: str) -> Program:
    """Run the module-level statements (imports, class and function definitions, constants,
    `model = Net(...)`) in the interpreter; nothing of the text is executed by Python."""
    tree = parse_code(text)
    try:
        static_check(tree)
        _check_members(tree)
    except RecursionError:
        raise CodeError("code nested too deeply to read") from None
    source = _Source(text)
    interp = Interp(source)
    scope = Scope(_pasted_imports(), {}, Frame(None))
    try:
        interp.run_block(tree.body, scope)
    except (_Break, _Continue):
        raise CodeError("break/continue outside a loop") from None
    except _Return:
        raise CodeError("return outside a function") from None
    except RecursionError:
        raise CodeError("code nested too deeply to read") from None
    classes = {k: v for k, v in scope.values.items() if isinstance(v, ClassInfo) and not v.prelude}
    instances = [(k, v, v.line or 0) for k, v in scope.values.items() if isinstance(v, Module)]
    return Program(text, tree, source, scope.values, classes, instances, interp.module_level_calls, [], interp)


# What a pasted snippet usually leaves out: `torch`, `nn`, `F` and `OrderedDict` are there unless the
# code imports (or defines) them otherwise.
PASTED = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional"}


def _pasted_imports() -> Scope:
    spaces = namespaces()
    values = {name: spaces[module] for name, module in PASTED.items()}
    values["OrderedDict"] = spaces["collections"].members["OrderedDict"]
    return Scope(builtins_scope(), values)


def _referenced_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def choose_network(program: Program, class_expr: str | None) -> tuple[Module, str]:
    """The network: `--class` (a class name or a constructor call), else the last module the code
    assigns at module level (`model = Net()`), else the one class no other class or function uses."""
    interp = program.interp
    scope = Scope(_pasted_imports(), program.globals, Frame(None))
    if class_expr is not None:
        text = class_expr.strip()
        try:
            expr = ast.parse(text, mode="eval")
        except SyntaxError:
            raise CodeError(f"--class {_clip(text)!r}: expected a class name or a call such as Net(10)") from None
        static_check(ast.Module(body=[ast.Expr(expr.body)], type_ignores=[]))
        interp.source = _Source(text)
        try:
            value = interp.eval(expr.body, scope)
        finally:
            interp.source = program.source
        if isinstance(value, ClassInfo):
            value = _instantiate_default(interp, value, expr.body)
        if not isinstance(value, Module):
            raise CodeError(f"--class {_clip(text)!r} is {_describe(value)}, not a module")
        return value, text
    if program.instances:
        name, module, _ = program.instances[-1]
        return module, name
    if not program.classes:
        raise CodeError("the code defines no module class (class Net(nn.Module): …) and builds no network")
    used: set[str] = set()
    for stmt in program.tree.body:
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef)):
            used |= _referenced_names(stmt) - {stmt.name}
    candidates = [c for name, c in program.classes.items() if name not in used]
    if len(candidates) == 1:
        cls = candidates[0]
        return _instantiate_default(interp, cls, cls.node), cls.name
    names = ", ".join(program.classes)
    if not candidates:
        raise CodeError(
            f"every class is used by another ({names}); pick the network with --class, e.g. --class 'Net()'"
        )
    raise CodeError(
        f"several classes are used by no other: {', '.join(c.name for c in candidates)}; pick one with --class NAME"
    )


def _instantiate_default(interp: Interp, cls: ClassInfo, node: ast.AST | None) -> Module:
    found = cls.lookup("__init__")
    if found is not None:
        fn: Function = found[0]
        a = fn.node.args
        positional = [p.arg for p in a.posonlyargs + a.args][1:]
        required = positional[: len(positional) - len(fn.defaults)] if len(fn.defaults) < len(positional) else []
        required += [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is None]
        if required:
            raise CodeError(
                f"{cls.name}() needs {', '.join(required)}; give them with --class, e.g. "
                f"--class '{cls.name}({', '.join('…' for _ in required)})'"
            )
    anchor = node if node is not None else ast.Pass(lineno=1, col_offset=0, end_lineno=1, end_col_offset=0)
    return interp.instantiate(cls, [], {}, anchor)


def forward_inputs(root: Module) -> tuple[list[str], int, ast.AST | None]:
    """The names of `forward`'s inputs, how many are required, and the forward node."""
    if root.cls is not None:
        found = root.cls.lookup("forward")
        if found is not None:
            fn: Function = found[0]
            a = fn.node.args
            names = [p.arg for p in a.posonlyargs + a.args][1:]
            required = len(names) - max(0, len(fn.defaults))
            return names, max(required, 0), fn.node
    return ["input"], 1, None


def inputs_from_code(program: Program, root: Module) -> list[tuple[tuple[int, ...], int]] | None:
    """`model(torch.randn(1, 3, 224, 224))` at module level: the input shapes it gives (batch dropped)."""
    calls = [c for c in program.calls if c[0] is root] or [c for c in program.calls if c[0].kind == root.kind]
    for _module, args, line in reversed(calls):
        if args and all(isinstance(a, Const) for a in args):
            out = []
            for a in args:
                if len(a.shape) < 2:
                    return None
                out.append((a.shape[1:], line))
            return out
    return None


def trace(
    interp: Interp, root: Module, engine: Engine, inputs: list[tuple[int, ...]], batch_axes: list[int | None]
) -> Any:
    """Run `forward` over shapes, reporting every operation to `engine`; the network's output."""
    names, required, fn_node = forward_inputs(root)
    title = f"{root.kind}.forward" if root.cls is not None else "the network"
    if len(inputs) < required or (len(inputs) > len(names) and root.cls is not None):
        wanted = ", ".join(names[:required]) or "no input"
        raise CodeError(
            f"{title} takes {required} input{'s' if required != 1 else ''} ({wanted}); "
            f"give {'each' if required > 1 else 'it'} with -i (got {len(inputs)})"
        )
    interp.engine = engine
    interp.tracing = True
    tensors = [
        engine.input(i, names[i] if i < len(names) else f"input{i}", dims, batch_axes[i])
        for i, dims in enumerate(inputs)
    ]
    anchor = fn_node if fn_node is not None else ast.Pass(lineno=1, col_offset=0, end_lineno=1, end_col_offset=0)
    try:
        return interp.call_module(root, tensors, {}, anchor)
    except CodeError as e:
        if root.cls is not None and root.cls.prelude and fn_node is not None:
            e.message = re.sub(r"^line \d+: ", "", e.message)  # the network is one of dlcalc's definitions
            e.text = None
        raise
    except (_Break, _Continue):
        raise CodeError("break/continue outside a loop") from None
    except RecursionError:
        raise CodeError("code nested too deeply to read") from None
    finally:
        interp.tracing = False


def module_paths(root: Module) -> dict[int, str]:
    """Each module's dotted name in the network (the first, when one module is registered twice)."""
    paths: dict[int, str] = {id(root): ""}
    stack: list[tuple[str, Module]] = [("", root)]
    while stack:
        prefix, m = stack.pop()
        for name, child in reversed(list(m.children.items())):
            if id(child) not in paths:
                path = f"{prefix}.{name}" if prefix else name
                paths[id(child)] = path
                stack.append((path, child))
    return paths


def layer_list(calls: list[LayerCall]) -> Module:
    """A plain list of layers as an nn.Sequential."""
    root = Module("Sequential", container="Sequential")
    for i, call in enumerate(calls):
        root.children[str(i)] = Module(call.name, call=call)
    return root


def sequential_interp() -> Interp:
    return Interp(_Source(""))


_CLASS_LINE = re.compile(r"^\s*class\s+\w+\s*[(:]", re.M)


def is_module_code(text: str) -> bool:
    """Text that defines a class, or builds a network with OrderedDict or a loop: read as module code."""
    return bool(_CLASS_LINE.search(text)) or "OrderedDict" in text
