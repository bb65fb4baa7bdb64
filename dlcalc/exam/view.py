"""The paper as data (`--paper --json`) and as a terminal page (`--paper`), with or without its key."""

from __future__ import annotations

from typing import Any

from dlcalc.exam.grading import number
from dlcalc.exam.paper import Paper
from dlcalc.text import T

KEY: dict[str, Any] = {
    "answer": T("Answer", "答案"),
    "key_points": T("Key points", "要点"),
    "parts": T("Parts", "小问"),
}


def paper_data(paper: Paper, lang: str, key: bool = False) -> dict[str, Any]:
    questions = []
    for item in paper.questions:
        q = item.question
        row: dict[str, Any] = {
            "number": item.number,
            "section": item.section.id,
            "title": item.section.title(lang),
            "points": item.points,
            "id": q.id,
            "topic": q.topic,
            "kind": q.kind,
            "question": q.statement(lang),
        }
        if q.choices:
            row["choices"] = q.choices[lang]
        shares = item.part_points()
        if q.kind == "computed":
            row["parts"] = [
                {"key": a.part.key, "label": a.label(lang), "points": float(p)}
                | ({"answer": a.accepted(), "grade": a.grade.spec()} if key else {})
                for a, p in zip(q.parts, shares)
            ]
        elif q.kind == "short":
            row["key_point_count"] = len(shares)
            if key:
                row["reference"] = (q.reference or {}).get(lang, "")
                row["key_points"] = (q.key_points or {}).get(lang, [])
        if key and q.kind == "choice":
            row["answer"] = q.expected
        questions.append(row)
    return {
        "seed": paper.seed,
        "lang": lang,
        "minutes": paper.minutes,
        "total": paper.total,
        "key": key,
        "questions": questions,
    }


def print_paper(console: Any, paper: Paper, lang: str, key: bool = False) -> None:
    from rich.panel import Panel
    from rich.text import Text as RichText

    from dlcalc.exam.sitting import WORDS, Sitting, show_intro
    from dlcalc.quiz.questions import expected_format, solution_of
    from dlcalc.render.terminal import render

    show_intro(console, Sitting(paper, "", lang))
    for item in paper.questions:
        q = item.question
        body = RichText(q.statement(lang))
        if q.choices:
            for letter, choice in zip("ABCDEFGH", q.choices[lang]):
                body.append(f"\n  {letter}. {choice}")
        if q.kind == "computed":
            body.append("\n" + WORDS["answer_with"](lang).format(format=expected_format(q, lang)), style="dim")
        title = WORDS["question"](lang).format(
            i=item.number, n=len(paper.questions), points=item.points, title=item.section.title(lang)
        )
        console.print(Panel(body, title=RichText(title, style="bold"), title_align="left"))
        if not key:
            continue
        if q.kind == "computed":
            for a, p in zip(q.parts, item.part_points()):
                console.print(
                    RichText(f"{KEY['answer'](lang)} · {a.label(lang)}: {a.accepted()}  ({number(p)})", style="green")
                )
            result = solution_of(q)
            if result is not None:
                render(console, result, lang)
        else:
            if q.kind == "choice":
                console.print(RichText(f"{KEY['answer'](lang)}: {q.expected}", style="green"))
            console.print(RichText((q.reference or {}).get(lang, "").strip()))
            for i, point in enumerate((q.key_points or {}).get(lang, []), 1):
                console.print(RichText(f"{i:>2}. {point}"))
