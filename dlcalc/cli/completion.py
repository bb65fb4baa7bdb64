"""`dlcalc completion bash|zsh|fish`: print the shell completion script shipped with dlcalc."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from dlcalc.cli.app import app
from dlcalc.cli.build import say
from dlcalc.cli.options import SHARED_HELP, Lang
from dlcalc.text import T


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


HELP = T("Print the shell completion script (static: pressing TAB never starts Python).",
         "打印 shell 补全脚本（静态脚本：按 TAB 不会启动 Python）。")  # fmt: skip
INSTALL = T(
    "Install: bash: dlcalc completion bash >> ~/.bashrc · zsh: dlcalc completion zsh > ~/.zfunc/_dlcalc "
    "(with fpath+=~/.zfunc) · fish: dlcalc completion fish > ~/.config/fish/completions/dlcalc.fish",
    "安装：bash：dlcalc completion bash >> ~/.bashrc · zsh：dlcalc completion zsh > ~/.zfunc/_dlcalc"
    "（并设 fpath+=~/.zfunc）· fish：dlcalc completion fish > ~/.config/fish/completions/dlcalc.fish",
)


@app.command(help=say(HELP) + "\n\n" + say(INSTALL))
def completion(
    shell: Annotated[Shell, typer.Argument(help=say(T("bash, zsh or fish.", "bash、zsh 或 fish。")))],
    lang: Annotated[Lang, typer.Option("--lang", help=say(SHARED_HELP["lang"]), envvar="DLCALC_LANG", show_envvar=False)] = Lang.en,
) -> None:
    from dlcalc.data import completion_script

    print(completion_script(shell.value), end="")
