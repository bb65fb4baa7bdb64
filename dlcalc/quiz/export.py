"""A quiz as a file: JSON, a printable Markdown or LaTeX practice sheet with an answer key that lists
every part and worked solutions at the end, or an Anki deck (math in MathJax's \\( \\) delimiters).

Bank and generated text is data, never markup: Markdown escapes HTML and Markdown punctuation
and keeps each statement on its line; LaTeX escapes TeX's specials and sets the math of a
statement (`h_(t−1)`, `∂E/∂W2`, `σ`, `w²`) in math mode; Anki escapes HTML.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from typing import Any

from dlcalc.mathfmt import ascii_latex, latex_escape
from dlcalc.quiz.questions import Question, solution_of
from dlcalc.render import jsonable

WORDS = {
    "en": {"sheet": "dlcalc practice sheet", "key": "Answer key", "worked": "Worked solutions", "below": "see below"},
    "zh": {"sheet": "dlcalc 练习卷", "key": "答案", "worked": "详细解答", "below": "见下"},
}


def to_json(questions: list[Question], lang: str, seed: int | None = None) -> str:
    """`{dlcalc, kind: "quiz-export", seed, lang, questions: [...]}`."""
    from dlcalc.render import JSON_SCHEMA_VERSION

    rows = []
    for q in questions:
        row: dict[str, Any] = {
            "id": q.id,
            "topic": q.topic,
            "source": q.source,
            "kind": q.kind,
            "question": q.statement(lang),
            "answer": q.accepted_in(lang),
            "difficulty": q.difficulty,
        }
        if q.choices:
            row["choices"] = q.choices[lang]
        if q.parts:
            row["parts"] = [
                {"key": a.part.key, "label": a.label(lang), "answer": a.accepted(), "grade": a.grade.spec()}
                for a in q.parts
            ]
        if q.key_points and q.key_points.get(lang):
            row["key_points"] = q.key_points[lang]
        rows.append(row)
    data = {"dlcalc": JSON_SCHEMA_VERSION, "kind": "quiz-export", "seed": seed, "lang": lang, "questions": rows}
    return json.dumps(jsonable(data), ensure_ascii=False, indent=2)


# --- Markdown --------------------------------------------------------------------------------


def md_escape(text: str) -> str:
    """Bank text as Markdown that renders as the same text: one line, no HTML, no links, no markup."""
    text = " ".join(text.split())  # a newline inside a statement can never start a heading or a list
    text = html.escape(text, quote=False)  # & < > become entities: no <script>, no <img onerror=…>
    return re.sub(r"([\\`*_{}\[\]()#+!|~$])", r"\\\1", text)


def _answer_lines_md(q: Question, lang: str) -> list[str]:
    if q.kind == "short":
        return [WORDS[lang]["below"]]
    if q.kind != "computed" or len(q.parts) == 1:
        return [md_escape(q.accepted_in(lang))]
    return [f"{md_escape(a.label(lang))}: {md_escape(a.accepted())}" for a in q.parts]


def to_markdown(questions: list[Question], lang: str, seed: int) -> str:
    from dlcalc.render.latex import to_markdown as result_md

    words = WORDS[lang]
    lines = [f"# {words['sheet']} (seed {seed})", ""]
    for i, q in enumerate(questions, 1):
        lines.append(f"{i}. **\\[{md_escape(q.topic)}\\]** {md_escape(q.statement(lang))}")
        if q.choices:
            lines += [f"   {letter}. {md_escape(c)}" for letter, c in zip("ABCDEFGH", q.choices[lang])]
        lines.append("")
    lines += ["---", "", f"## {words['key']}", ""]
    for i, q in enumerate(questions, 1):
        answer = _answer_lines_md(q, lang)
        if len(answer) == 1:
            lines.append(f"{i}. {answer[0]}")
        else:
            lines.append(f"{i}.")
            lines += [f"   - {a}" for a in answer]
    lines += ["", f"## {words['worked']}", ""]
    for i, q in enumerate(questions, 1):
        lines.append(f"### {i}")
        result = solution_of(q) if q.kind == "computed" else None
        if result is not None:
            lines.append(result_md(result, lang))
        elif q.reference:
            lines.append(md_escape(q.reference[lang].strip()))
            lines += [f"- {md_escape(p)}" for p in (q.key_points or {}).get(lang, [])]
        lines.append("")
    return "\n".join(lines)


# --- LaTeX -----------------------------------------------------------------------------------

_EXTRA_TEX = {"Φ": r"\Phi", "ĥ": r"\hat{h}", "ŷ": r"\hat{y}", "§": r"\S", "′": "'"}
_MATH_CHARS = set("σ⊙∂√²³ᵀ½·←→≤≥≈∞ΣΦβγδεημρθλαπ∇±∈⇔⇒≠") | set(_EXTRA_TEX)
# a name with a subscript or superscript: h_t, h_(t−1), h_{t−1}, W_Q, e^(−z), x², ∂E/∂W2
# (one- or two-letter names only: kernel_size and running_var are identifiers, set as text)
_SCRIPT = r"(?:[_^](?:\{[^{}]*\}|\([^()]*\)|[A-Za-z0-9]{1,4}(?![\w]))|[²³ᵀ])"
_MATH_WORD = re.compile(
    rf"(?<![\w\\])(?:[A-Za-zσΦĥŷ][\u0302\u0303]?[A-Za-z0-9]?{_SCRIPT}+"
    rf"|∂[A-Za-z][A-Za-z0-9]*{_SCRIPT}*(?:/∂[A-Za-z][A-Za-z0-9]*{_SCRIPT}*)?)"
)


def _unicode_tex() -> dict[str, str]:
    from dlcalc import mathfmt

    table = dict(getattr(mathfmt, "_UNICODE_TEX", {}))
    table.update(_EXTRA_TEX)
    return table


def _math(token: str) -> str:
    """One math word as LaTeX math: h_(t−1) → h_{t-1}, e^(−z) → e^{-z}, σ → \\sigma."""
    table = _unicode_tex()
    token = re.sub(r"([A-Za-z])\u0302", r"\\hat{\1}", re.sub(r"([A-Za-z])\u0303", r"\\tilde{\1}", token))
    token = re.sub(r"([_^])\(([^()]*)\)", r"\1{\2}", token)
    token = re.sub(r"([_^])([A-Za-z0-9]{2,})", r"\1{\2}", token)
    out = []
    for ch in token:
        if ch in table:
            macro = table[ch]
            out.append(macro + (" " if macro[-1:].isalpha() and macro.startswith("\\") else ""))
        elif ch in "#$%&~":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out).strip()


def tex_text(text: str) -> str:
    """Bank text as LaTeX: specials escaped, math words in $…$, math symbols via \\ensuremath."""
    text = unicodedata.normalize("NFC", text)
    table = _unicode_tex()
    out, at = [], 0
    for m in _MATH_WORD.finditer(text):
        out.append(_plain(text[at : m.start()], table))
        out.append(f"${_math(m.group(0))}$")
        at = m.end()
    out.append(_plain(text[at:], table))
    return "".join(out)


def _plain(text: str, table: dict[str, str]) -> str:
    escaped = latex_escape(text)
    out = []
    for i, ch in enumerate(escaped):
        nxt = escaped[i + 1] if i + 1 < len(escaped) else ""
        if nxt in ("\u0302", "\u0303"):
            continue
        if ch in ("\u0302", "\u0303"):
            base = escaped[i - 1] if i else ""
            accent = "hat" if ch == "\u0302" else "tilde"
            out.append(rf"\ensuremath{{\{accent}{{{base}}}}}")
        elif ch in _MATH_CHARS and ch in table:
            out.append(rf"\ensuremath{{{table[ch]}}}")
        else:
            out.append(ch)
    return "".join(out)


def _answer_tex(q: Question, lang: str) -> str:
    if q.kind == "short":
        assert q.reference is not None  # a short question always has its reference
        return tex_text(q.reference[lang].strip())
    if q.kind != "computed" or len(q.parts) == 1:
        return tex_text(q.accepted_in(lang))
    items = "\n".join(rf"  \item {tex_text(a.label(lang))}: {tex_text(a.accepted())}" for a in q.parts)
    return "\n".join([r"\begin{itemize}", items, r"\end{itemize}"])


def to_tex(questions: list[Question], lang: str, seed: int) -> str:
    """A complete document: pdflatex for English, xelatex (ctex) for Chinese."""
    from dlcalc.render.latex import to_latex as result_tex

    words = WORDS[lang]
    head = [
        r"\documentclass[11pt]{ctexart}" if lang == "zh" else r"\documentclass[11pt]{article}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage[T1]{fontenc}" if lang != "zh" else "",
        r"\usepackage{textcomp}",
        r"\begin{document}",
        rf"\section*{{{words['sheet']} (seed {seed})}}",
        r"\begin{enumerate}",
    ]
    body = []
    for q in questions:
        body.append(rf"\item \textbf{{[{latex_escape(q.topic)}]}} {tex_text(q.statement(lang))}")
        if q.choices:
            body.append(r"\begin{enumerate}")
            body += [rf"\item[{letter}.] {tex_text(c)}" for letter, c in zip("ABCDEFGH", q.choices[lang])]
            body.append(r"\end{enumerate}")
    body += [r"\end{enumerate}", r"\newpage", rf"\section*{{{words['key']}}}", r"\begin{enumerate}"]
    for q in questions:
        body.append(rf"\item {_answer_tex(q, lang)}")
    body += [r"\end{enumerate}", rf"\section*{{{words['worked']}}}"]
    for i, q in enumerate(questions, 1):
        result = solution_of(q) if q.kind == "computed" else None
        body.append(rf"\subsection*{{{i}}}")
        if result is not None:
            body.append(result_tex(result, lang))
        else:
            if q.reference and q.kind != "short":  # a short answer's reference is already the key
                body.append(tex_text(q.reference[lang].strip()) + r"\par")
            if q.key_points and q.key_points.get(lang):
                body.append(r"\begin{itemize}")
                body += [rf"\item {tex_text(p)}" for p in q.key_points[lang]]
                body.append(r"\end{itemize}")
    document = "\n".join([h for h in head if h] + body + [r"\end{document}", ""])
    if lang == "zh":
        return document
    pdf = ascii_latex(document)  # pdflatex: no raw Unicode
    if r"\texttt{[U+" not in pdf:
        return pdf
    # CJK in an English sheet (a Chinese term in a bank text): xelatex with ctex sets it
    from dlcalc.render.latex import XE_ENGLISH_CLASS, ascii_latex_keep_cjk

    xe = document.replace(r"\documentclass[11pt]{article}", XE_ENGLISH_CLASS, 1).replace(
        "\\usepackage[T1]{fontenc}\n", "", 1
    )
    return "% compile with xelatex\n" + ascii_latex_keep_cjk(xe)


# --- Anki ------------------------------------------------------------------------------------


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def stable_id(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) | (1 << 30)


def glossary_deck(genanki: Any, lang: str) -> Any:
    """The course glossary as a deck: one note per term, two cards (term → definition, definition →
    term), in `lang` with the other language's name beside it."""
    from dlcalc.glossary import load, masked

    other = "zh" if lang == "en" else "en"
    model = genanki.Model(
        stable_id("dlcalc-glossary-model-v1"),
        "dlcalc glossary term",
        fields=[{"name": "Term"}, {"name": "Other"}, {"name": "Definition"}, {"name": "Formula"}],
        templates=[
            {
                "name": "term → definition",
                "qfmt": "<b>{{Term}}</b><br><small>{{Other}}</small>",
                "afmt": "{{FrontSide}}<hr id=answer>{{Definition}}<br>{{Formula}}",
            },
            {
                "name": "definition → term",
                "qfmt": "{{Definition}}",
                "afmt": "{{FrontSide}}<hr id=answer><b>{{Term}}</b><br><small>{{Other}}</small><br>{{Formula}}",
            },
        ],
    )
    title = "dlcalc glossary" if lang == "en" else "dlcalc 术语表"
    deck = genanki.Deck(stable_id(f"dlcalc-glossary-{lang}"), f"{title} ({lang})")
    for entry in load():
        formula = "<br>".join(f"\\({html.escape(f.latex)}\\)" for f in entry.formulas)
        deck.add_note(
            genanki.Note(
                model=model,
                fields=[
                    html.escape(entry.name(lang)),
                    html.escape(entry.name(other)),
                    html.escape(masked(entry, lang)),  # the definition never gives the name away
                    formula,
                ],
                guid=genanki.guid_for("dlcalc-glossary", entry.id, lang),
            )
        )
    return deck


def to_anki(questions: list[Question], lang: str, path: str, seed: int) -> int:
    """The quiz as a deck, and the glossary as a second deck in the same file; returns the term count."""
    try:
        import genanki
    except ImportError:
        from dlcalc.errors import DlcalcError

        raise DlcalcError("--export anki needs genanki: pip install 'dlcalc[anki]'") from None
    from dlcalc.render import step_latex

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
        front = _html(q.statement(lang))
        if q.choices:
            front += "<br>" + "<br>".join(
                f"{letter}. {html.escape(c)}" for letter, c in zip("ABCDEFGH", q.choices[lang])
            )
        result = solution_of(q) if q.kind == "computed" else None
        if result is not None:
            solution = "<br>".join(
                f"{html.escape(s.label(lang))}: \\({html.escape(step_latex(s))}\\)"
                for s in result.steps
                if s.lhs is not None or s.chain
            )
        elif q.key_points and q.key_points.get(lang):
            solution = "<br>".join(html.escape(p) for p in q.key_points[lang])
        elif q.reference:
            solution = _html(q.reference[lang])
        else:
            solution = ""
        if q.kind == "computed" and len(q.parts) > 1:
            answer = "<br>".join(f"{html.escape(a.label(lang))}: {html.escape(a.accepted())}" for a in q.parts)
        else:
            answer = html.escape(q.accepted_in(lang))
        deck.add_note(
            genanki.Note(model=model, fields=[front, answer, solution], guid=genanki.guid_for(q.id, q.accepted))
        )
    terms = glossary_deck(genanki, lang)
    try:
        genanki.Package([deck, terms]).write_to_file(path)
    except OSError as e:
        from dlcalc.errors import DlcalcError

        raise DlcalcError(f"--out: cannot write {path!r} ({e.strerror})") from None
    return len(terms.notes)
