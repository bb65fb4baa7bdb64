"""The derivation as LaTeX or as Markdown with $…$ math, for pasting into notes.

`--latex` prints a complete document that compiles as it is: pdflatex for English (T1 fonts,
every non-ASCII character of the prose turned into a macro), xelatex for Chinese (ctexart).
`to_latex` is the body alone, for embedding in a larger document with the same preamble
(amsmath and amssymb; nothing else); the quiz export does that. Math comes from mathfmt and is ASCII by construction;
prose goes through `tex_text`, so `C_out` in a sentence is `C\\_out` and σ is `\\ensuremath{\\sigma}`.
"""

from __future__ import annotations

import re

from dlcalc.mathfmt import ascii_latex, latex_escape
from dlcalc.render import LATEX_JOINERS, say, step_latex
from dlcalc.result import Result, Table

PREAMBLE = {
    "en": [
        r"\documentclass[11pt]{article}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage{lmodern}",
        r"\usepackage{textcomp}",
    ],
    "zh": [r"\documentclass[11pt,UTF8]{ctexart}"],
}
PACKAGES = [
    r"\usepackage{amsmath,amssymb}",
    r"\usepackage[margin=2cm]{geometry}",
    r"\allowdisplaybreaks",
    r"\setlength{\parindent}{0pt}",
]
ENGINE = {"en": "pdflatex", "zh": "xelatex"}


class XeEnglish(str):
    """English text set by xelatex: an English document that holds characters pdflatex cannot set
    (Chinese terms, say) is compiled with xelatex and ctex in its plain scheme (English headings),
    its text kept as it is. Compares equal to "en", so every `Text` still picks English."""

    xelatex = True


_CJK = re.compile(r"([\u2e80-\u9fff\u3000-\u303f\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+)")
XE_ENGLISH_CLASS = r"\documentclass[11pt,UTF8,scheme=plain]{ctexart}"


def ascii_latex_keep_cjk(source: str) -> str:
    """`ascii_latex` (every other non-ASCII character as a macro, as pdflatex needs) with the CJK
    text kept as it is, for xelatex with ctex to set in a CJK font."""
    return "".join(part if i % 2 else ascii_latex(part) for i, part in enumerate(_CJK.split(source)))


def _xelatex(lang: str) -> bool:
    return lang == "zh" or getattr(lang, "xelatex", False)


def preamble(lang: str) -> list[str]:
    if isinstance(lang, XeEnglish):
        return [XE_ENGLISH_CLASS] + PACKAGES
    return PREAMBLE["zh" if lang == "zh" else "en"] + PACKAGES


def tex_text(words: str, lang: str = "en") -> str:
    """Prose for a TeX text paragraph: specials escaped, symbols as macros; for pdflatex (English)
    anything else non-ASCII too, for xelatex (Chinese, or `XeEnglish`) the text stays as it is."""
    escaped = latex_escape(words)
    if isinstance(lang, XeEnglish):
        return ascii_latex_keep_cjk(escaped)
    return escaped if lang == "zh" else ascii_latex(escaped)


def to_latex(result: Result, lang: str = "en") -> str:
    """The body: title, summary, tables, the derivation (align*), notes."""
    tx = lambda s: tex_text(s, lang)  # noqa: E731
    lines = [f"% dlcalc {result.kind}: {tx(result.title(lang))}"]
    if result.summary:
        lines.append(r"\begin{itemize}")
        for label, value in result.summary:
            lines.append(rf"  \item \textbf{{{tx(label(lang))}}}: {tx(say(value, lang))}")
        lines.append(r"\end{itemize}")
    for table in result.tables:
        lines += _table(table, lang)
    for figure in result.figures:
        lines += [
            r"\begin{verbatim}",
            *[ascii_latex(say(row, lang)) if lang != "zh" else say(row, lang) for row in figure],
            r"\end{verbatim}",
        ]
    if result.steps:
        lines.append(r"\begin{enumerate}")
    for step in result.steps:
        lines.append(rf"  \item \textbf{{{tx(step.label(lang))}}}")
        parts = ([step.lhs.latex] if step.lhs is not None else []) + [c.latex for c in step.chain]
        if len(parts) > 1 and step.lhs is not None:
            lines.append(r"  \begin{align*}")
            j = LATEX_JOINERS[step.joiner]
            lines.append(f"    {parts[0]} &{j} {parts[1]}" + (r" \\" if len(parts) > 2 else ""))
            for i, part in enumerate(parts[2:]):
                lines.append(f"    &{j} {part}" + (r" \\" if i < len(parts) - 3 else ""))
            lines.append(r"  \end{align*}")
        elif parts:
            lines.append(rf"  \[ {step_latex(step)} \]")
        if step.note:
            lines.append(rf"  \emph{{{tx(step.note(lang))}}}")
    if result.steps:
        lines.append(r"\end{enumerate}")
    for note in result.notes:
        lines.append(rf"\emph{{{tx(note(lang))}}}\par")
    return "\n".join(lines)


def to_latex_document(result: Result, lang: str = "en") -> str:
    """A complete document: `pdflatex` (English) or `xelatex` (Chinese) compiles it as printed; an
    English document with characters pdflatex cannot set (CJK) is made for xelatex (`XeEnglish`)."""
    document = _document(result, lang)
    if not _xelatex(lang) and r"\texttt{[U+" in document:  # ascii_latex's mark of a character it cannot set
        document = _document(result, XeEnglish(lang))
    return document


def _document(result: Result, lang: str) -> str:
    return "\n".join(
        [
            f"% compile with {ENGINE['zh' if _xelatex(lang) else 'en']}",
            *preamble(lang),
            r"\begin{document}",
            rf"\section*{{{tex_text(result.title(lang), lang)}}}",
            to_latex(result, lang),
            r"\end{document}",
        ]
    )


def _table(table: Table, lang: str) -> list[str]:
    tx = lambda s: tex_text(s, lang)  # noqa: E731
    out = [r"\par\medskip"]
    if table.title:
        out.append(rf"\textbf{{{tx(table.title(lang))}}}\par\smallskip")
    # the one column a table lets wrap (Table.wrap) becomes a paragraph column, so a long cell (a
    # layer's constructor call) breaks at its spaces instead of running off the page
    spec = "".join(r"p{0.3\linewidth}" if i == table.wrap else "l" for i in range(len(table.columns)))
    out += [r"{\small", rf"\begin{{tabular}}{{{spec}}}", r"\hline"]
    out.append(" & ".join(tx(c(lang)) for c in table.columns) + r" \\ \hline")

    def cell(i: int, value: object) -> str:
        text = tx(say(value, lang))
        return r"\raggedright " + text if i == table.wrap and text else text

    end = r" \tabularnewline" if table.wrap is not None else r" \\"  # \\ would be \raggedright's
    out += [" & ".join(cell(i, c) for i, c in enumerate(row)) + end for row in table.rows]
    out += [r"\hline", r"\end{tabular}}\par\medskip"]
    return out


def md_text(words: str) -> str:
    """Text (a solver's, a bank file's, a student's) as Markdown that shows that text: on one line
    (a newline can never start a heading or a list), HTML as entities (no `<script>`, no
    `<img onerror=…>`, no `<javascript:…>` autolink) and no inline link (`](` is escaped). Bank
    statements in the quiz export go further (`dlcalc.quiz.export.md_escape`)."""
    import html

    return html.escape(" ".join(words.split()), quote=False).replace("](", "]\\(")


def to_markdown(result: Result, lang: str = "en") -> str:
    lines = [f"### {md_text(result.title(lang))}", ""]
    for label, value in result.summary:
        lines.append(f"- **{md_text(label(lang))}**: {md_text(say(value, lang))}")
    lines.append("")
    for i, step in enumerate(result.steps, 1):
        line = f"{i}. **{md_text(step.label(lang))}**"
        if step.lhs is not None or step.chain:
            line += f": ${step_latex(step)}$"
        lines.append(line)
        if step.note:
            lines.append(f"   *{md_text(step.note(lang))}*")
    for table in result.tables:
        lines += ["", *_table_md(table, lang)]
    if result.notes:
        lines.append("")
        lines += [f"> {md_text(n(lang))}" for n in result.notes]
    for figure in result.figures:
        rows = [say(row, lang) for row in figure]
        fence = "`" * max(3, max((len(r) for f in rows for r in re.findall("`+", f)), default=0) + 1)
        lines += ["", fence, *rows, fence]
    return "\n".join(lines)


def _table_md(table: Table, lang: str) -> list[str]:
    """A table as a Markdown pipe table (cells on one line, `|` escaped)."""

    def cell(value: object) -> str:
        return md_text(say(value, lang)).replace("|", "\\|")

    out = [f"**{cell(table.title)}**", ""] if table.title else []
    out.append("| " + " | ".join(cell(c) for c in table.columns) + " |")
    out.append("|" + "---|" * len(table.columns))
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows]
    return out
