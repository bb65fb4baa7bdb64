"""The Typer application object; commands register themselves on it from their modules."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

APP_SETTINGS: dict[str, Any] = dict(
    name="dlcalc",
    help="Worked, torch-checked answers to deep-learning exam calculations.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
app = typer.Typer(**APP_SETTINGS)


def _version(value: bool) -> None:
    if value:
        from dlcalc import __version__

        print(f"dlcalc {__version__}")
        raise typer.Exit()


from dlcalc.cli.options import Lang, LangOpt  # noqa: E402
from dlcalc.text import T  # noqa: E402

ROOT_HELP = T("Worked, torch-checked answers to deep-learning exam calculations.", "深度学习考试计算题的逐步解答，并经 torch 核对。")
VERSION_HELP = T("Show the version and exit.", "显示版本并退出。")


@app.callback()
def root(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help=VERSION_HELP.en)
    ] = None,
    lang: LangOpt = Lang.en,  # read before parsing (the help's language); a command after it gets it
) -> None:
    """Worked, torch-checked answers to deep-learning exam calculations."""


# The one line of each hand-written command in both languages (the bare `dlcalc --help` lists
# them from the generated index; commands built from a solver's declaration carry their own).

COMMAND_HELP = {
    "bank": T("The problem bank: list, show and check the bilingual exam problems.", "题库：列出、查看并核对中英双语考题。"),
    "quiz": T("Practice quizzes, graded, with worked solutions, a study history and its review.", "练习测验：自动批改、附完整解答，并记录学习历史以便复习。"),
    "exam": T("Sit a mock final exam in the course's structure, with points and a clock.", "按课程期末结构参加模拟考试，计分并计时。"),
    "explain": T("Look a term up in the course glossary: definition, formula, related terms, the command to try.", "在课程术语表中查词：定义、公式、相关术语与可试的命令。"),
    "draw": T("Draw an exam diagram (neuron, LSTM, transformer …), labelled, with what each part does.", "画出考试常考的示意图（神经元、LSTM、Transformer…），并标注各部分作用。"),
    "net": T("A whole network's shapes, parameters, multiply-adds and receptive fields, like torchinfo without torch.", "整个网络的各层形状、参数量、乘加次数与感受野，如同不用 torch 的 torchinfo。"),
    "examples": T("The example problems shipped with dlcalc: list them, print one, or copy one out (--copy DIR).", "dlcalc 自带的示例题：列出、打印其中一个，或复制出来（--copy DIR）。"),
    "completion": T("Print the shell completion script (static: pressing TAB never starts Python).", "打印 shell 补全脚本（静态脚本：按 TAB 不会启动 Python）。"),
}  # fmt: skip
