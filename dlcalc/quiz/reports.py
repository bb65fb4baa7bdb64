"""What `quiz` prints about a study history, as `Result`s for the one renderer: the score table at
the end of a quiz, `quiz stats` (accuracy per topic and over time, with a text chart) and `quiz
history` (past questions and answers).

Nothing here prints; the CLI hands these to `dlcalc.cli.options.emit`, so the terminal, `--json`
(with `dlcalc` and `kind`), `--md` and `--latex` all come from the same data.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from dlcalc.result import Result, Table
from dlcalc.text import T, Text

BAR = 20  # cells of a full bar in the text chart


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def bar(value: float | None, ascii_only: bool = False, width: int = BAR) -> str:
    """A horizontal bar for a share 0–1: █ filled, ░ empty (# and . in plain ASCII)."""
    full, empty = ("#", ".") if ascii_only else ("█", "░")
    if value is None:
        return " " * width
    filled = round(max(0.0, min(1.0, value)) * width)
    return full * filled + empty * (width - filled)


# --- the end of a quiz ---------------------------------------------------------------------------


def score_result(data: dict[str, Any]) -> Result:
    """The quiz's score: parts right of parts graded, by topic."""
    summary: list[tuple[Text, Text | str]] = [
        (
            T("Score", "得分"),
            T("{score}/{total} parts", "{score}/{total} 个小问").format(score=data["score"], total=data["total"]),
        ),
        (
            T("Questions", "题目"),
            T("{right} of {asked} fully right", "{asked} 题中 {right} 题全对").format(
                right=data["questions_right"], asked=data["answered"]
            ),
        ),
    ]
    rows: list[list[Text | str]] = [
        [t, str(v["right"]), str(v["graded"]), str(v["answered"])] for t, v in sorted(data["by_topic"].items())
    ]
    tables = [Table([T("topic", "主题"), T("right", "正确"), T("graded", "已评分"), T("questions", "题数")], rows)]
    return Result(
        "quiz-score", T("Quiz result", "测验结果"), data, summary, tables=tables if rows else [], show_steps=False
    )


# --- quiz stats ----------------------------------------------------------------------------------

STATS: dict[str, Any] = {
    "title": T("Study history", "学习记录"),
    "answered": T("Questions answered", "已答题数"),
    "parts": T("Parts right", "答对小问"),
    "weakest": T("Weakest topics", "最薄弱的主题"),
    "due": T("Due for review", "待复习"),
    "db": T("History file", "历史文件"),
    "by_topic": T("Accuracy by topic (parts right)", "各主题正确率（按小问）"),
    "over_time": T("Progress over time (accuracy per day)", "进度（每天的正确率）"),
    "topic_cols": [
        T("topic", "主题"),
        T("questions", "题数"),
        T("parts right", "答对小问"),
        T("accuracy", "正确率"),
        T("chart", "图示"),
    ],
    "day_cols": [
        T("day", "日期"),
        T("questions", "题数"),
        T("parts right", "答对小问"),
        T("accuracy", "正确率"),
        T("chart", "图示"),
    ],
    "none": T("none", "无"),
    "items": T("{due} of {n} scheduled items ({review})", "已排期 {n} 项中 {due} 项到期（{review}）"),
    "empty": T(
        "No history yet: answer a quiz first ({quiz}), then come back.",
        "还没有学习记录：先做一次测验（{quiz}），再来看。",
    ),
    "last_days": T(" (the last {n} days with answers)", "（最近有答题的 {n} 天）"),
}
MAX_DAYS = 30


def stats_result(data: dict[str, Any], ascii_only: bool = False, db: str | None = None) -> Result:
    """`quiz stats`: the numbers, a table per view, and a text chart of both (`db`: the --db given, for
    the commands it suggests)."""
    total = data["total_attempts"]
    graded = data["graded"]
    summary: list[tuple[Text, Text | str]] = [
        (STATS["answered"], str(total)),
        (STATS["parts"], f"{data['right']}/{graded} ({percent(data['right'] / graded if graded else None)})"),
        (STATS["weakest"], ", ".join(data["weakest"]) if data["weakest"] else STATS["none"]),
        (STATS["due"], _with(STATS["items"], db, due=data.get("due", 0), n=data.get("scheduled", 0))),
        (STATS["db"], data["db"]),
    ]
    topics = data["by_topic"]
    days = data["over_time"]
    shown = days[-MAX_DAYS:]
    tables = [
        Table(
            STATS["topic_cols"],
            [
                [
                    t["topic"],
                    str(t["attempts"]),
                    f"{t['right']}/{t['graded']}",
                    percent(t["accuracy"]),
                    bar(t["accuracy"], ascii_only),
                ]
                for t in topics
            ],
            title=STATS["by_topic"],
        ),
        Table(
            STATS["day_cols"],
            [
                [
                    d["day"],
                    str(d["attempts"]),
                    f"{d['right']}/{d.get('graded', 0)}",
                    percent(d["accuracy"]),
                    bar(d["accuracy"], ascii_only),
                ]
                for d in shown
            ],
            title=STATS["over_time"] + (STATS["last_days"].format(n=MAX_DAYS) if len(days) > MAX_DAYS else T("", "")),
        ),
    ]
    notes = [] if total else [_with(STATS["empty"], db)]
    return Result(
        "quiz-stats", STATS["title"], data, summary, tables=tables if total else [], notes=notes, show_steps=False
    )


def stats_png(path: str, data: dict[str, Any], lang: str) -> None:
    """The same two views as a picture: accuracy per topic (bars) and per day (a line, with counts)."""
    from dlcalc.render.plot import _pyplot, _save

    plt = _pyplot()
    family = _font_family(lang, [STATS["by_topic"](lang), STATS["over_time"](lang)])
    labels = lang if family else "en"  # no font with the Chinese glyphs: English labels, never boxes
    topics = sorted(data["by_topic"], key=lambda t: t["topic"])
    days = data["over_time"]
    context = {"font.family": family} if family else {}
    with plt.rc_context(context):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6.5))
        names = [t["topic"] for t in topics]
        values = [100 * (t["accuracy"] or 0) for t in topics]
        top.barh(names, values, color="#4C72B0")
        top.set_xlim(0, 100)
        top.invert_yaxis()
        top.set_xlabel("%")
        top.set_title(STATS["by_topic"](labels))
        for y, t in enumerate(topics):
            top.text(min(values[y] + 1, 92), y, f"{t['right']}/{t['graded']}", va="center", fontsize=8)
        days = days[-MAX_DAYS:]
        where = list(range(len(days)))
        counts = bottom.twinx()
        counts.bar(where, [d["attempts"] for d in days], alpha=0.25, color="#55A868", width=0.6)
        counts.set_ylabel(T("questions", "题数")(labels))
        bottom.plot(where, [100 * (d["accuracy"] or 0) for d in days], marker="o", color="#DD8452", zorder=3)
        bottom.set_zorder(counts.get_zorder() + 1)  # the accuracy line above the count bars
        bottom.patch.set_visible(False)
        bottom.set_ylim(0, 105)
        bottom.set_ylabel("%")
        bottom.set_xticks(where, [d["day"][5:] for d in days], rotation=45 if len(days) > 8 else 0)
        bottom.set_xlim(-0.6, len(days) - 0.4)
        bottom.set_title(STATS["over_time"](labels))
        fig.tight_layout()
        _save(plt, fig, path)


def _font_family(lang: str, texts: list[str]) -> list[str] | None:
    """A font list whose fonts hold every glyph of `texts` (None: the default, when English)."""
    if lang != "zh":
        return None
    from matplotlib import font_manager

    chars = {ch for t in texts for ch in t if ord(ch) > 0x2E7F}
    for entry in font_manager.fontManager.ttflist:
        if "CJK" not in entry.name and "Hei" not in entry.name and "Han" not in entry.name:
            continue
        try:
            from fontTools.ttLib import TTCollection, TTFont  # type: ignore[import-untyped]

            font = (
                TTCollection(entry.fname).fonts[0] if entry.fname.endswith(".ttc") else TTFont(entry.fname, lazy=True)
            )
            cmap = font.getBestCmap()
        except Exception:  # an unreadable font file: try the next
            continue
        if all(ord(ch) in cmap for ch in chars):
            return ["DejaVu Sans", entry.name]
    return None


# --- quiz history --------------------------------------------------------------------------------

HISTORY: dict[str, Any] = {
    "title": T("Past questions and answers", "做过的题目与答案"),
    "shown": T("Shown", "显示"),
    "count": T("{n} answer(s), newest first", "{n} 条作答，最新的在前"),
    "filters": T("Filters", "筛选"),
    "cols": [
        T("when", "时间"),
        T("topic", "主题"),
        T("question", "题目"),
        T("your answer", "你的答案"),
        T("result", "结果"),
    ],
    "empty": T(
        "No answers match (or no history yet: {quiz} records every answer).",
        "没有符合条件的作答（或还没有记录：{quiz} 会记下每个答案）。",
    ),
    "wrong": T("wrong only", "只看答错的"),
    "since": T("since {d}", "自 {d} 起"),
    "topic": T("topic {t}", "主题 {t}"),
    "ungraded": T("not marked", "未评分"),
}


def _verdict(row: dict[str, Any]) -> Text | str:
    graded = row.get("graded_parts")
    right = row.get("right_parts")
    if row["correct"] is None:
        return HISTORY["ungraded"]
    mark = "✓" if row["correct"] else "✗"
    if graded and graded > 1:
        return f"{mark} {right}/{graded}"
    return mark


def history_result(
    rows: list[dict[str, Any]],
    lang: str,
    wrong: bool,
    topic: str | None,
    since: datetime | None,
    db: str,
    db_option: str | None = None,
) -> Result:
    """`quiz history`: one row per answer (the question as it was shown, shortened; every part in --json)."""
    filters = []
    if wrong:
        filters.append(HISTORY["wrong"])
    if topic:
        filters.append(HISTORY["topic"].format(t=topic))
    if since:
        filters.append(HISTORY["since"].format(d=since.date().isoformat()))
    summary: list[tuple[Text, Text | str]] = [(HISTORY["shown"], HISTORY["count"].format(n=len(rows)))]
    if filters:
        summary.append((HISTORY["filters"], Text(", ".join(f.en for f in filters), "，".join(f.zh for f in filters))))
    summary.append((STATS["db"], db))
    from dlcalc.quiz.wrap import fold

    table_rows: list[list[Text | str]] = []
    this_year = datetime.now().year
    for r in rows:
        question = _short(r.get("statement") or r["question"], 60)
        answer_text = _short(r["answer"], 30)
        # Chinese (whatever the --lang: an attempt keeps the language it was asked in) has no spaces
        # to break at: fold it, so the table fits a terminal
        if re.search(r"[\u3400-\u9fff]", question + answer_text):
            question, answer_text = fold(question, 22), fold(answer_text, 14)
        when = r["at"][:16].replace("T", " ")
        table_rows.append(
            [when[5:] if when.startswith(str(this_year)) else when, r["topic"], question, answer_text, _verdict(r)]
        )
    answer = {
        "db": db,
        "filters": {"wrong": wrong, "topic": topic, "since": since.isoformat() if since else None},
        "attempts": rows,
    }
    notes = [] if rows else [_with(HISTORY["empty"], db_option)]
    tables = [Table(HISTORY["cols"], table_rows, wrap=2)] if rows else []
    return Result("quiz-history", HISTORY["title"], answer, summary, tables=tables, notes=notes, show_steps=False)


def _with(text: Text, db: str | None, **values: Any) -> Text:
    """`text` with its suggested commands ({quiz}, {review}) carrying the --db and --lang they need."""
    from dlcalc.quiz.hints import command_text

    quiz, review = command_text("dlcalc quiz", db), command_text("dlcalc quiz review", db)
    return Text(
        text.en.format(quiz=quiz.en, review=review.en, **values),
        text.zh.format(quiz=quiz.zh, review=review.zh, **values),
    )


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
