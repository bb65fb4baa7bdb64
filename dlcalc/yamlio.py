"""The one YAML loader: every file dlcalc reads as YAML (a command's file, `--mine`, the bank, the
classic models) goes through here.

- Safe only: the loader is libyaml's `CSafeLoader` (PyYAML's pure-Python `SafeLoader` when libyaml
  is missing): no tag can build a Python object.
- Bounded before anything is built: one pass over libyaml's event stream (no recursion, nothing
  constructed) refuses a file nested deeper than `limits.YAML_DEPTH`, with more than
  `limits.YAML_ALIASES` aliases, an alias of a value that contains it, more than `limits.YAML_NODES`
  values once every alias is counted as the whole value it repeats (a "billion laughs" file is
  refused after reading a few hundred bytes of events), a written number longer than
  `limits.NUMBER_CHARS`, a key that is itself a list or mapping, and keys of mixed types in one
  mapping (`1:` beside `lr:` — they cannot be sorted or reported).
- Every error is one line naming the file and, where there is one, the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlcalc import limits
from dlcalc.errors import DlcalcError
from dlcalc.text import T

_MERGE = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def loader_class() -> type:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: str | Path, what: str = "file", error: type[DlcalcError] = DlcalcError) -> str:
    """A UTF-8 file of at most `limits.FILE_BYTES`, its size checked before it is read."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_file() and size > limits.FILE_BYTES:
            raise error(
                T(
                    f"{what}: {str(p)!r} is {size:,} bytes; dlcalc's limit is {limits.FILE_BYTES:,}",
                    f"{what}：{str(p)!r} 有 {size:,} 字节，dlcalc 的上限为 {limits.FILE_BYTES:,}",
                )
            )
        with p.open(encoding="utf-8") as f:
            text = f.read(limits.FILE_BYTES + 1)  # a file that grows while we read stays bounded
    except FileNotFoundError:
        raise error(f"{what}: no such file {str(p)!r}") from None
    except IsADirectoryError:
        raise error(f"{what}: {str(p)!r} is a directory, not a file") from None
    except UnicodeDecodeError:
        raise error(f"{what}: {str(p)!r} is not UTF-8 text") from None
    except OSError as e:
        raise error(f"{what}: cannot read {str(p)!r} ({e.strerror or e})") from None
    if len(text.encode("utf-8", "surrogatepass")) > limits.FILE_BYTES:
        raise error(f"{what}: {str(p)!r} is larger than dlcalc's limit of {limits.FILE_BYTES:,} bytes")
    return text


def load(text: str, where: str, error: type[DlcalcError] = DlcalcError) -> Any:
    """The plain data of a YAML text (None for an empty one)."""
    root = compose(text, where, error)
    return None if root is None else construct(root, where, error)


def compose(text: str, where: str, error: type[DlcalcError] = DlcalcError) -> Any:
    """The YAML node tree (with each node's line in `start_mark`), after the checks above."""
    import yaml

    if len(text) > limits.FILE_BYTES:
        raise error(f"{where}: larger than dlcalc's limit of {limits.FILE_BYTES:,} bytes")
    loader = loader_class()
    try:
        _scan(yaml.parse(text, Loader=loader), where, error)
        return yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as e:
        raise error(f"{where}{_line(e.problem_mark)}: invalid YAML ({e.problem})") from None
    except yaml.YAMLError as e:
        raise error(f"{where}: invalid YAML ({' '.join(str(e).split())})") from None


def construct(root: Any, where: str, error: type[DlcalcError] = DlcalcError) -> Any:
    """Plain Python values from a node tree made by `compose`."""
    import yaml

    try:
        return loader_class()("").construct_document(root)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise error(f"{where}{_line(mark)}: invalid YAML ({e.problem or e.context})") from None
    except yaml.YAMLError as e:
        raise error(f"{where}: invalid YAML ({' '.join(str(e).split())})") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as e:  # belt and braces: _scan refuses these
        raise error(f"{where}: invalid YAML ({type(e).__name__})") from None


def _line(mark: Any) -> str:
    """`:12` for line 12 — messages read `file.yaml:12: …`, as compilers (and editors) write them."""
    return f":{mark.line + 1}" if mark is not None else ""


def _scan(events: Any, where: str, error: type[DlcalcError]) -> None:
    """Walk the event stream once, refusing what would be too deep, too big or ambiguous."""
    import yaml

    resolver = loader_class()("")
    sizes: dict[str, int] = {}  # anchor → values in it, aliases expanded
    open_anchors: set[str] = set()
    # One entry per open list or mapping: [anchor, values before it, is_mapping, items seen, key tag]
    stack: list[list[Any]] = []
    nodes = aliases = 0

    def at(event: Any, en: str, zh: str) -> DlcalcError:
        line = _line(event.start_mark)
        return error(T(f"{where}{line}: {en}", f"{where}{line}：{zh}"))

    def key(event: Any, tag: str | None) -> None:
        """Called for every value; checks it when it is a key of the innermost mapping."""
        if not stack or not stack[-1][2]:
            return
        entry = stack[-1]
        entry[3] += 1
        if entry[3] % 2 == 0:  # a value, not a key
            return
        if tag is None:
            raise at(
                event, "a key must be a word or a number, not a list or mapping", "键必须是词或数，不能是列表或映射"
            )
        if tag in (_MERGE, "alias"):  # `<<: *base`, or an alias as a key (refused later if unhashable)
            return
        if entry[4] is None:
            entry[4] = tag
        elif entry[4] != tag:
            kinds = " and ".join(t.rsplit(":", 1)[-1] for t in (entry[4], tag))
            raise at(
                event,
                f"keys of mixed types in one mapping ({kinds}): quote the keys, e.g. '1': …",
                f"同一映射中的键类型不一（{kinds}）：请给键加引号，如 '1': …",
            )

    for event in events:
        if isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > limits.YAML_ALIASES:
                    raise at(
                        event,
                        f"more than {limits.YAML_ALIASES} aliases (*name); dlcalc's limit is {limits.YAML_ALIASES}",
                        f"别名（*name）超过 {limits.YAML_ALIASES} 个，dlcalc 的上限为 {limits.YAML_ALIASES}",
                    )
                if event.anchor in open_anchors:
                    raise at(event, f"*{event.anchor} is used inside itself", f"*{event.anchor} 在自身内部被引用")
                nodes += sizes.get(str(event.anchor), 1)
                key(event, "alias")
            else:
                nodes += 1
                if isinstance(event, yaml.ScalarEvent):
                    tag = _scalar_tag(resolver, event)
                    if tag in _NUMBER_TAGS and len(event.value) > limits.NUMBER_CHARS:
                        raise at(
                            event,
                            f"a number of {len(event.value):,} characters; dlcalc's limit is {limits.NUMBER_CHARS}",
                            f"一个数有 {len(event.value):,} 个字符，dlcalc 的上限为 {limits.NUMBER_CHARS}",
                        )
                    key(event, tag)
                    if event.anchor is not None:
                        sizes[event.anchor] = 1
                else:
                    key(event, None)
                    stack.append([event.anchor, nodes - 1, isinstance(event, yaml.MappingStartEvent), 0, None])
                    if event.anchor is not None:
                        open_anchors.add(event.anchor)
                    if len(stack) > limits.YAML_DEPTH:
                        raise at(
                            event,
                            f"nested more than {limits.YAML_DEPTH} levels deep; dlcalc's limit is {limits.YAML_DEPTH}",
                            f"嵌套超过 {limits.YAML_DEPTH} 层，dlcalc 的上限为 {limits.YAML_DEPTH}",
                        )
            if nodes > limits.YAML_NODES:
                raise at(
                    event,
                    f"more than {limits.YAML_NODES:,} values (aliases counted in full); dlcalc's limit is {limits.YAML_NODES:,}",
                    f"值超过 {limits.YAML_NODES:,} 个（别名按展开计），dlcalc 的上限为 {limits.YAML_NODES:,}",
                )
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, before, *_ = stack.pop()
            if anchor is not None:
                sizes[anchor] = nodes - before
                open_anchors.discard(anchor)


def _scalar_tag(resolver: Any, event: Any) -> str:
    from yaml.nodes import ScalarNode

    if event.tag not in (None, "!"):
        return str(event.tag)
    return str(resolver.resolve(ScalarNode, event.value, event.implicit))
