"""Self-marking a short concept answer, key point by key point, with the key-point hint shown.

After a short answer the reference and its key points are shown, those the answer seems to cover
(`dlcalc.quiz.keypoints`) ticked as a hint; the student then says which ones the answer really
covers: key-point numbers (`1 3`, `1,3`, `1、3`), `y` for all, `n` for none, or Enter to take the
ticked ones. Each key point is then one graded part of the answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from dlcalc.quiz.answers import yes_no
from dlcalc.text import T

ALL = {"all", "a", "全部", "都", "全", "所有"}
NONE = {"none", "无", "没有", "都没有", "0"}

WORDS: dict[str, Any] = {
    "heading": T("Reference answer and key points", "参考答案与要点"),
    "legend": T(
        "✓ = your answer seems to mention it (a hint from matching words; you decide)",
        "✓ = 你的回答似乎提到了这一点（按关键词匹配的提示，由你判断）",
    ),
    "ask": T(
        "Which key points did you cover? [y/n/numbers, Enter = the ✓ ones] ",
        "你的回答覆盖了哪些要点？[y/n/编号，回车 = 打 ✓ 的] ",
    ),
    "again": T(
        "Type key-point numbers (e.g. 1 3), y for all, n for none, or Enter for the ✓ ones (1 to {n}).",
        "请输入要点编号（如 1 3）、y（全部）、n（都没有），或回车选打 ✓ 的（1 到 {n}）。",
    ),
    "marked": T("Self-marked: {k}/{n} key points", "自评：{k}/{n} 个要点"),
}


def parse_marks(text: str, count: int, hints: list[bool]) -> list[bool] | None:
    """Which of `count` key points a typed self-mark names; None when it cannot be read."""
    typed = unicodedata.normalize("NFKC", text).strip().strip(".!。！").lower()
    if typed == "":
        return list(hints) if len(hints) == count else [False] * count
    if typed in ALL:
        return [True] * count
    if typed in NONE:
        return [False] * count
    if re.fullmatch(r"[\d\s,;、，；]+", typed):
        picked = {int(d) for d in re.findall(r"\d+", typed)}
        if picked and all(1 <= d <= count for d in picked):
            return [i in picked for i in range(1, count + 1)]
        return None
    said = yes_no(typed)
    if said is None:
        return None
    return [said] * count


def show_reference(console: Any, question: Any, lang: str, hints: list[bool] | None = None) -> None:
    """The reference answer, then the key points numbered, ticked where the answer seems to cover them."""
    from rich.text import Text

    from dlcalc.quiz.wrap import for_terminal

    console.print(Text(WORDS["heading"](lang), style="bold underline"))
    if question.reference:
        console.print(Text(for_terminal(question.reference[lang].strip(), lang, console.width)))
    points = (question.key_points or {}).get(lang, [])
    for i, point in enumerate(points, 1):
        tick = "✓" if hints and i <= len(hints) and hints[i - 1] else " "
        line = Text(f"{i:>2}. ")
        line.append(tick, style="bold green")
        line.append(f" {point}")
        console.print(line)
    if hints is not None and points:
        console.print(Text(WORDS["legend"](lang), style="dim"))


def ask_marks(
    ask: Callable[[str], str | None], console: Any, lang: str, count: int, hints: list[bool]
) -> list[bool] | None:
    """Ask (twice at most) which key points were covered; None when the answer stays unreadable.

    End of input raises KeyboardInterrupt, as Ctrl-C would."""
    from rich.text import Text

    for attempt in range(2):
        typed = ask(WORDS["ask"](lang))
        if typed is None:
            raise KeyboardInterrupt
        marks = parse_marks(typed, count, hints)
        if marks is not None:
            console.print(Text(WORDS["marked"](lang).format(k=sum(marks), n=count), style="bold"))
            return marks
        if attempt == 0:
            console.print(Text(WORDS["again"](lang).format(n=count), style="yellow"))
    return None
