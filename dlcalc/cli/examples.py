"""`dlcalc examples`: the example problems shipped with dlcalc, listed, shown, or copied out."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.build import say
from dlcalc.cli.options import Output, emit, output_options
from dlcalc.text import T

HELP = T(
    "The example problems shipped with dlcalc: list them, print one, or copy one out (--copy DIR).",
    "dlcalc 自带的示例题：列出、打印其中一个，或复制出来（--copy DIR）。",
)


def _names(incomplete: str) -> list[str]:
    """The shipped examples' names, for the completion scripts."""
    from dlcalc.data import examples as shipped

    return [p.stem for p in shipped() if p.stem.startswith(incomplete)]


@app.command(
    help=say(HELP)
    + "\n\n"
    + say(T("Example: dlcalc examples mazur --copy .   then: dlcalc backprop -f mazur.yaml",
            "示例：dlcalc examples mazur --copy .   之后：dlcalc backprop -f mazur.yaml"))  # fmt: skip
)
@output_options
def examples(
    name: Annotated[
        Optional[str],
        typer.Argument(metavar="[NAME]", help=say(T("An example's name (mazur or mazur.yaml).", "示例名（mazur 或 mazur.yaml）。")),
                       autocompletion=_names),
    ] = None,
    copy: Annotated[
        Optional[str],
        typer.Option("--copy", metavar="DIR", help=say(T("Copy the example into DIR (e.g. .).", "把示例复制到 DIR（例如 .）。"))),
    ] = None,
    out: Output | None = None,
) -> None:
    from dlcalc.data import example_path
    from dlcalc.data import examples as shipped
    from dlcalc.errors import DlcalcError

    assert out is not None
    if name is None:
        if copy is not None:
            raise DlcalcError(
                T("examples: --copy needs an example's name (dlcalc examples NAME --copy DIR)",
                  "examples：--copy 需要示例名（dlcalc examples NAME --copy DIR）")  # fmt: skip
            )
        emit(_listing(shipped()), out)
        return
    path = example_path(name)
    if path is None:
        raise DlcalcError(
            T("examples: no example {n!r} (one of {all})", "examples：没有示例 {n!r}（可选：{all}）").format(
                n=name, all=", ".join(p.name for p in shipped())
            )
        )
    if copy is None:
        print(path.read_text(encoding="utf-8"), end="")
        return
    import shutil
    from pathlib import Path

    target = Path(copy)
    if target.is_dir():
        target = target / path.name
    if target.exists():
        raise DlcalcError(
            T("examples: {t} already exists (not overwritten)", "examples：{t} 已存在（未覆盖）").format(t=target)
        )
    try:
        shutil.copyfile(path, target)
    except OSError as e:
        raise DlcalcError(
            T("examples: cannot write {t} ({e})", "examples：无法写入 {t}（{e}）").format(t=target, e=e.strerror)
        ) from None
    typer.echo("dlcalc: " + T("copied {n} to {t}", "已把 {n} 复制到 {t}")(out.lang).format(n=path.name, t=target), err=True)


def _listing(paths: list[Any]) -> Any:
    from dlcalc.result import Result, Table

    rows: list[list[Any]] = []
    for p in paths:
        command = _command_of(p)
        rows.append([p.name, command, f"dlcalc {command} -f {p.name}"])
    return Result(
        kind="examples",
        title=T("Shipped examples", "自带示例"),
        answer={"folder": str(paths[0].parent) if paths else "", "examples": [{"name": r[0], "command": r[1], "run": r[2]} for r in rows]},
        summary=[(T("Where", "位置"), str(paths[0].parent) if paths else "")],
        tables=[Table([T("example", "示例"), T("command", "命令"), T("run it", "运行")], [list(map(str, r)) for r in rows])],
    )


def _command_of(path: Any) -> str:
    """The command an example is for: the first `# dlcalc NAME` comment, else its name's start."""
    for line in path.read_text(encoding="utf-8").splitlines()[:5]:
        if line.startswith("# dlcalc "):
            return line.split()[2]
    return "backprop"
