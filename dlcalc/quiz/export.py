"""A quiz as a file: JSON, a printable Markdown or LaTeX practice sheet with answer key and worked
solutions at the end, or an Anki deck (math in MathJax's \\( \\) delimiters)."""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any

from dlcalc.mathfmt import ascii_latex, latex_escape
from dlcalc.quiz.questions import Question, solution_of
from dlcalc.render import jsonable


def to_json(questions: list[Question], lang: str) -> str:
    rows = []
    for q in questions:
        row: dict[str, Any] = {
            "id": q.id,
            "topic": q.topic,
            "source": q.source,
            "kind": q.kind,
            "question": q.statement(lang),
            "answer": q.accepted,
            "difficulty": q.difficulty,
        }
        if q.choices:
            row["choices"] = q.choices[lang]
        if q.kind == "numbers":
            row["tolerance"] = q.tolerance
        if q.key_points:
            row["key_points"] = q.key_points[lang]
        rows.append(row)
    return json.dumps(jsonable(rows), ensure_ascii=False, indent=2)


def _choices_md(q: Question, lang: str) -> list[str]:
    return [f"   {letter}. {c}" for letter, c in zip("ABCDEFGH", q.choices[lang])] if q.choices else []


def to_markdown(questions: list[Question], lang: str, seed: int) -> str:
    from dlcalc.render.latex import to_markdown as result_md

    title = "dlcalc 练习卷" if lang == "zh" else "dlcalc practice sheet"
    lines = [f"# {title} (seed {seed})", ""]
    for i, q in enumerate(questions, 1):
        lines.append(f"{i}. **[{q.topic}]** {q.statement(lang)}")
        lines += _choices_md(q, lang)
        lines.append("")
    lines += ["---", "", "## " + ("答案" if lang == "zh" else "Answer key"), ""]
    for i, q in enumerate(questions, 1):
        lines.append(f"{i}. {q.accepted if q.kind != 'short' else ('见下' if lang == 'zh' else 'see below')}")
    lines += ["", "## " + ("详细解答" if lang == "zh" else "Worked solutions"), ""]
    for i, q in enumerate(questions, 1):
        lines.append(f"### {i}")
        result = solution_of(q) if q.kind == "numbers" else None
        if result is not None:
            lines.append(result_md(result, lang))
        elif q.reference:
            lines.append(q.reference[lang].strip())
            lines += [f"- {p}" for p in q.key_points[lang]]
        lines.append("")
    return "\n".join(lines)


def to_tex(questions: list[Question], lang: str, seed: int) -> str:
    """A complete document: pdflatex for English, xelatex (ctex) for Chinese."""
    from dlcalc.render.latex import to_latex as result_tex

    head = [
        r"\documentclass[11pt]{ctexart}" if lang == "zh" else r"\documentclass[11pt]{article}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage[T1]{fontenc}" if lang != "zh" else "",
        r"\usepackage{textcomp}",
        r"\begin{document}",
        rf"\section*{{{'dlcalc 练习卷' if lang == 'zh' else 'dlcalc practice sheet'} (seed {seed})}}",
        r"\begin{enumerate}",
    ]
    body = []
    for q in questions:
        body.append(rf"\item \textbf{{[{q.topic}]}} {latex_escape(q.statement(lang))}")
        if q.choices:
            body.append(r"\begin{enumerate}")
            body += [rf"\item[{letter}.] {latex_escape(c)}" for letter, c in zip("ABCDEFGH", q.choices[lang])]
            body.append(r"\end{enumerate}")
    body += [
        r"\end{enumerate}",
        r"\newpage",
        rf"\section*{{{'答案' if lang == 'zh' else 'Answer key'}}}",
        r"\begin{enumerate}",
    ]
    for q in questions:
        body.append(rf"\item {latex_escape(q.accepted if q.kind != 'short' else q.reference[lang].strip())}")
    body += [r"\end{enumerate}", rf"\section*{{{'详细解答' if lang == 'zh' else 'Worked solutions'}}}"]
    for i, q in enumerate(questions, 1):
        result = solution_of(q) if q.kind == "numbers" else None
        body.append(rf"\subsection*{{{i}}}")
        if result is not None:
            body.append(result_tex(result, lang))
        elif q.key_points:
            body.append(r"\begin{itemize}")
            body += [rf"\item {latex_escape(p)}" for p in q.key_points[lang]]
            body.append(r"\end{itemize}")
    document = "\n".join([h for h in head if h] + body + [r"\end{document}", ""])
    return document if lang == "zh" else ascii_latex(document)  # pdflatex: no raw Unicode


def _mathjax(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def to_anki(questions: list[Question], lang: str, path: str, seed: int) -> None:
    try:
        import genanki
    except ImportError:
        from dlcalc.errors import DlcalcError

        raise DlcalcError("--export anki needs genanki: pip install 'dlcalc[anki]'") from None
    from dlcalc.render import step_latex

    def stable_id(text: str) -> int:
        return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) | (1 << 30)

    model = genanki.Model(
        stable_id("dlcalc-model-v1"),
        "dlcalc question",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Solution"}],
        templates=[
            {
                "name": "Card",
                "qfmt": "{{Question}}",
                "afmt": "{{FrontSide}}<hr id=answer><b>{{Answer}}</b><br>{{Solution}}",
            }
        ],
    )
    deck = genanki.Deck(stable_id(f"dlcalc-deck-{seed}-{lang}"), f"dlcalc quiz (seed {seed}, {lang})")
    for q in questions:
        front = _mathjax(q.statement(lang))
        if q.choices:
            front += "<br>" + "<br>".join(
                f"{letter}. {html.escape(c)}" for letter, c in zip("ABCDEFGH", q.choices[lang])
            )
        result = solution_of(q) if q.kind == "numbers" else None
        if result is not None:
            solution = "<br>".join(
                f"{html.escape(s.label(lang))}: \\({html.escape(step_latex(s))}\\)"
                for s in result.steps
                if s.lhs is not None or s.chain
            )
        elif q.key_points:
            solution = "<br>".join(html.escape(p) for p in q.key_points[lang])
        else:
            solution = ""
        deck.add_note(
            genanki.Note(
                model=model, fields=[front, html.escape(q.accepted), solution], guid=genanki.guid_for(q.id, q.accepted)
            )
        )
    try:
        genanki.Package(deck).write_to_file(path)
    except OSError as e:
        from dlcalc.errors import DlcalcError

        raise DlcalcError(f"--out: cannot write {path!r} ({e.strerror})") from None
