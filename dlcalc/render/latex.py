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
from dlcalc.result import Result, Step, Table

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
    r"\emergencystretch=3em",  # a paragraph with a long unbreakable word stretches its spaces instead
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
    if result.summary:  # \sloppy: a value such as a layer's constructor call never runs into the margin
        lines.append(r"{\sloppy\begin{itemize}")
        for label, value in result.summary:
            lines.append(rf"  \item \textbf{{{tx(label(lang))}}}: {breakable_text(say(value, lang), lang)}")
        lines.append(r"\end{itemize}}")
    for table in result.tables:
        lines += _table(table, lang)
    for figure in result.figures:
        lines += _figure([say(row, lang) for row in figure], lang)
    if result.steps:
        lines.append(r"\begin{enumerate}")
    for step in result.steps:
        lines.append(rf"  \item \textbf{{{tx(step.label(lang))}}}")
        lines += _step_math(step)
        if step.note:
            lines.append(rf"  \emph{{{breakable_text(step.note(lang), lang)}}}")
    if result.steps:
        lines.append(r"\end{enumerate}")
    for note in result.notes:
        lines.append(rf"\emph{{{breakable_text(note(lang), lang)}}}\par")
    return "\n".join(lines)


BOX_ASCII = str.maketrans(
    {"─": "-", "━": "-", "│": "|", "┃": "|", "┤": "+", "├": "+", "└": "+", "┌": "+", "┐": "+", "┘": "+",
     "┼": "+", "┬": "+", "┴": "+", "╴": "-", "╶": "-", "·": ".", "•": "*", "█": "#", "▏": "|", "…": "..."}
)  # fmt: skip
_LONG_RUN = re.compile(r"\S{20,}")


def _figure(rows: list[str], lang: str) -> list[str]:
    """A text picture (a chart) as verbatim lines: box drawing as ASCII (no TeX font has it in
    typewriter), other characters kept for xelatex (CJK) or shown as `?`; a picture too wide for
    the line is set in a smaller typewriter size."""
    rows = [row.translate(BOX_ASCII).rstrip() for row in rows]
    if not _xelatex(lang):
        rows = ["".join(ch if ord(ch) < 128 else "?" for ch in row) for row in rows]
    widest = max((text_width(row.replace(" ", "0")) for row in rows), default=0.0)  # monospaced: a digit each
    size = next((s for s, pt in TT_SIZES if widest * pt * 0.525 <= LINE_PT * 0.97), r"\tiny")
    head = [r"\begin{verbatim}"] if size == "" else [rf"{{{size}", r"\begin{verbatim}"]
    return [*head, *rows, r"\end{verbatim}" if size == "" else r"\end{verbatim}}"]


TT_SIZES = (("", 10.95), (r"\small", 10.0), (r"\footnotesize", 9.0), (r"\scriptsize", 8.0), (r"\tiny", 6.0))


def breakable_text(words: str, lang: str) -> str:
    """`tex_text`, with a line break allowed after the operators and commas of a long run without
    spaces (a formula written in the prose), which TeX would otherwise set into the margin."""
    out, last = [], 0
    for m in _LONG_RUN.finditer(words):
        out.append(tex_text(words[last : m.start()], lang))
        pieces = re.split(r"(?<=[*+/,=(.])(?=.)", m.group(0))
        out.append(r"\allowbreak{}".join(tex_text(p, lang) for p in pieces if p))
        last = m.end()
    out.append(tex_text(words[last:], lang))
    return "".join(out)


def _step_math(step: Step) -> list[str]:
    """A step's formula: `lhs &= a \\ &= b` in an align*, or one display; a row too wide for the
    page is broken into continued lines (`break_formula`)."""
    parts = ([step.lhs.latex] if step.lhs is not None else []) + [c.latex for c in step.chain]
    if not parts:
        return []
    j = LATEX_JOINERS[step.joiner]
    if len(parts) > 1 and step.lhs is not None:
        lhs = math_width(parts[0])
        if lhs + _REL_UNITS + max(math_width(p) for p in parts[1:]) <= MATH_UNITS:
            rows = [f"{parts[0]} &{j} {parts[1]}", *(f"&{j} {part}" for part in parts[2:])]
        else:
            rows = _rows_beside(parts, j) if lhs <= MATH_UNITS * 0.45 else []
            if not rows or any(math_width(row.split("&", 1)[1]) > MATH_UNITS - lhs for row in rows):
                rows = _rows_below(parts, j)
    else:
        whole = step_latex(step)
        if math_width(whole) <= MATH_UNITS:
            return [rf"  \[ {whole} \]"]
        rows = [
            f"&{line}" if k == 0 else rf"&\quad {line}"
            for k, line in enumerate(break_formula(whole, MATH_UNITS, MATH_UNITS - 2))
        ]
    body = [f"    {row}" + (r" \\" if k < len(rows) - 1 else "") for k, row in enumerate(rows)]
    return [r"  \begin{align*}", *body, r"  \end{align*}"]


def _rows_beside(parts: list[str], j: str) -> list[str]:
    """`lhs &= …`, the continued lines indented under the right side."""
    budget = MATH_UNITS - math_width(parts[0]) - _REL_UNITS
    rows = []
    for k, part in enumerate(parts[1:]):
        pieces = break_formula(part, budget, budget - 2)
        rows.append((f"{parts[0]} " if k == 0 else "") + f"&{j} {pieces[0]}")
        rows += [rf"&\quad {piece}" for piece in pieces[1:]]
    return rows


def _rows_below(parts: list[str], j: str) -> list[str]:
    """A long left side on a line of its own, every `= …` below it."""
    lead = break_formula(parts[0], MATH_UNITS, MATH_UNITS - 2)
    rows = [f"&{line}" if k == 0 else rf"&\quad {line}" for k, line in enumerate(lead)]
    budget = MATH_UNITS - 2 - _REL_UNITS
    for part in parts[1:]:
        pieces = break_formula(part, budget, budget - 2)
        rows.append(rf"&\quad {j} {pieces[0]}")
        rows += [rf"&\qquad {piece}" for piece in pieces[1:]]
    return rows


def to_latex_document(result: Result, lang: str = "en") -> str:
    """A complete document: `pdflatex` (English) or `xelatex` (Chinese) compiles it as printed; an
    English document with characters pdflatex cannot set (CJK) is made for xelatex (`XeEnglish`)."""
    document = _document(result, lang)
    if not _xelatex(lang) and needs_xelatex(document):
        document = _document(result, XeEnglish(lang))
    return document


_MARK = re.compile(r"\\texttt\{\[U\+([0-9A-F]{4,6})\]\}")


def needs_xelatex(document: str) -> bool:
    """A pdflatex document (ascii_latex's output) holds CJK that only xelatex with ctex can set:
    one of ascii_latex's marks of a character it cannot set is CJK. Any other character (box
    drawing, say) does not make an English document Chinese: the document class follows the text."""
    return any(_CJK.fullmatch(chr(int(code, 16))) for code in _MARK.findall(document))


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
    grid = [[c(lang) for c in table.columns], *([say(v, lang) for v in row] for row in table.rows)]
    for size, spec in _table_layout(grid, table.wrap):
        if not out[-1].startswith(r"\textbf") and out[-1] != r"\par\medskip":
            out.append(r"\par\smallskip")
        out += _tabular(grid, size, spec, lang)
    return out


def _tabular(grid: list[list[str]], size: str, spec: list[tuple[int, str]], lang: str) -> list[str]:
    """One tabular of the columns `spec` names (index, `l` or `p{…}`): a `p` column is a paragraph
    column whose cells break at their spaces."""
    paragraph = {i for i, kind in spec if kind != "l"}
    old_style = r"p{0.3\linewidth}" in {kind for _, kind in spec}  # the table as it always was keeps its header
    paragraph_header = not old_style

    def cell(i: int, text: str, head: bool) -> str:
        tex = tex_text(text, lang)
        return r"\raggedright " + tex if i in paragraph and tex and (paragraph_header or not head) else tex

    end = r" \tabularnewline" if paragraph else r" \\"  # \\ would be \raggedright's
    out = [rf"{{{size}", rf"\begin{{tabular}}{{{''.join(kind for _, kind in spec)}}}", r"\hline"]
    out.append(
        " & ".join(cell(i, grid[0][i], True) for i, _ in spec) + (end if paragraph_header else r" \\") + r" \hline"
    )
    out += [" & ".join(cell(i, row[i] if i < len(row) else "", False) for i, _ in spec) + end for row in grid[1:]]
    out += [r"\hline", r"\end{tabular}}\par\medskip"]
    return out


_WORD = re.compile(
    r"[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+|\S"
)  # what a line cannot break inside: CJK breaks anywhere
SIZES = {r"\small": 10.0, r"\footnotesize": 9.0, r"\scriptsize": 8.0}  # at 11pt
COLSEP_PT = 12.0  # 2\tabcolsep


def text_width(text: str) -> float:
    """The estimated width of prose in UNITs (half an em of its font): a digit 1, CJK 2."""
    w = 0.0
    for ch in text:
        if ch.isdigit() or ch in "_-=()[]":
            w += 1.0 if ch.isdigit() or ch in "_=" else 0.8
        elif ch == " ":
            w += 0.67
        elif ch in ".,;:'|!":
            w += 0.6
        elif _CJK.match(ch):
            w += 2.0
        elif ch.isupper() or ch in "mwMW%":
            w += 1.45
        else:
            w += 0.95
    return w


def _table_layout(grid: list[list[str]], wrap: int | None) -> list[tuple[str, list[tuple[int, str]]]]:
    r"""How a table fits the page: [(font size, [(column, kind)])] — one tabular, or several (the
    first column repeated) when even the smallest size with every wrappable column wrapped is too
    wide. The first choice that fits: the table as it always was (\small, the `wrap` column 0.3 of
    the line), all columns natural at \small then \footnotesize, then paragraph columns for the
    cells with spaces at \small, \footnotesize, \scriptsize."""
    n = max(len(row) for row in grid)
    natural = [max((text_width(row[c]) for row in grid if c < len(row)), default=0.0) for c in range(n)]
    word = [
        max((text_width(w) for row in grid if c < len(row) for w in _WORD.findall(row[c])), default=0.0)
        for c in range(n)
    ]
    avail = LINE_PT * 0.97

    def fits(columns: list[int], size: str, wrapped: bool) -> list[tuple[int, str]] | None:
        u = SIZES[size] / 2
        need = [(word[c] if wrapped else natural[c]) * u + COLSEP_PT for c in columns]
        if sum(need) > avail:
            return None
        if not wrapped:
            return [(c, "l") for c in columns]
        spare = avail - sum(need)
        slack = {c: (natural[c] - word[c]) * u for c in columns if natural[c] > word[c]}
        share = min(1.0, spare / sum(slack.values())) if slack else 0.0
        spec = []
        for c in columns:
            if c not in slack:
                spec.append((c, "l"))
            else:
                width = word[c] * u + slack[c] * share + 2  # the text's width in the cell
                spec.append((c, rf"p{{{width / LINE_PT:.3f}\linewidth}}"))
        return spec

    everything = list(range(n))
    if wrap is not None:  # the table as it always was, when that fits
        rest = sum(natural[c] * SIZES[r"\small"] / 2 + COLSEP_PT for c in everything if c != wrap)
        if rest + 0.3 * LINE_PT + COLSEP_PT <= avail and word[wrap] * SIZES[r"\small"] / 2 <= 0.3 * LINE_PT:
            return [(r"\small", [(c, r"p{0.3\linewidth}" if c == wrap else "l") for c in everything])]
    for size, wrapped in ((r"\small", False), (r"\footnotesize", False)) + tuple((s, True) for s in SIZES):
        spec = fits(everything, size, wrapped)
        if spec is not None:
            return [(size, spec)]
    groups: list[list[int]] = []  # too wide even so: column groups, each with the first column
    for c in everything[1:]:
        if groups and fits([0, *groups[-1], c], r"\footnotesize", True) is not None:
            groups[-1].append(c)
        else:
            groups.append([c])
    per = -(-(n - 1) // len(groups))  # as many groups, of even size where that fits
    even = [everything[1:][k : k + per] for k in range(0, n - 1, per)]
    if len(even) == len(groups) and all(fits([0, *g], r"\footnotesize", True) for g in even):
        groups = even
    return [(r"\footnotesize", fits([0, *g], r"\footnotesize", True) or [(c, "l") for c in [0, *g]]) for g in groups]


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


# --- fitting the page: long formulas broken into lines, wide tables and pictures made to fit ------
#
# The body may only use amsmath and amssymb (the quiz and exam sheets embed it), so nothing here
# scales a box: a formula is broken at its top-level `=`, `+`, `-` or product into continued
# lines of an align*; a table gets paragraph columns that wrap at spaces, a smaller font, or is
# split into column groups; a text picture gets a smaller typewriter size. Widths are estimated
# from the source in UNITs (half an em of the 11pt body font, a digit's width); the test compiles
# the spread with the real engine and counts "Overfull \hbox" in the log.

_REL_UNITS = 2.7  # a relation with its spaces
UNIT_PT = 5.5  # half an em at 11pt
LINE_PT = 500.0  # \linewidth of the document: letter paper with 2cm margins (geometry), 500.4pt
MATH_UNITS = 80.0  # a display formula's budget inside the enumerate (472pt less a margin)

_MATH_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}_^&]|\s+|.")
_NAMED = {r"\sin", r"\cos", r"\tan", r"\tanh", r"\exp", r"\ln", r"\log", r"\max", r"\min", r"\arg", r"\det"}
_ZERO = {r"\left", r"\right", r"\displaystyle", r"\textstyle", r"\limits", r"\nolimits", r"\big", r"\Big"}
_SPACES = {r"\quad": 2.0, r"\qquad": 4.0, r"\,": 0.33, r"\;": 0.55, r"\:": 0.44, r"\!": -0.33, "\\ ": 0.66}
_REL = {"=", "<", ">", r"\le", r"\ge", r"\leq", r"\geq", r"\approx", r"\ne", r"\neq", r"\to", r"\iff",
        r"\leftarrow", r"\rightarrow", r"\Rightarrow", r"\equiv", r"\in", r"\sim", r"\propto"}  # fmt: skip
_BIN = {"+", "-", r"\cdot", r"\times", r"\odot", r"\otimes", r"\pm", r"\oplus", r"\circ"}
_ARG1 = {r"\hat", r"\bar", r"\vec", r"\tilde", r"\mathbf", r"\boldsymbol", r"\mathrm", r"\mathit", r"\overline",
         r"\mathcal", r"\dot", r"\ddot", r"\widehat", r"\underline", r"\mathbb", r"\operatorname"}  # fmt: skip
_TEXT = {r"\text", r"\textrm", r"\textbf", r"\textit", r"\mbox", r"\texttt"}


def _math_tokens(latex: str) -> list[str]:
    return _MATH_TOKEN.findall(latex)


def _group(tokens: list[str], i: int) -> tuple[list[str], int]:
    """The argument starting at tokens[i] (a braced group or one token) and the index after it."""
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i >= len(tokens):
        return [], i
    if tokens[i] != "{":
        return [tokens[i]], i + 1
    depth, j = 0, i
    while j < len(tokens):
        depth += {"{": 1, "}": -1}.get(tokens[j], 0)
        if depth == 0:
            return tokens[i + 1 : j], j + 1
        j += 1
    return tokens[i + 1 :], len(tokens)


def math_width(latex: str) -> float:
    """The estimated width of a formula in UNITs (display style)."""
    return _width(_math_tokens(latex))


def _width(tokens: list[str], scale: float = 1.0) -> float:
    w, i = 0.0, 0
    while i < len(tokens):
        t = tokens[i]
        i += 1
        if t.isspace() or t in _ZERO or t in ("{", "}", "&"):
            continue
        if t in ("_", "^"):
            arg, i = _group(tokens, i)
            w += _width(arg, scale * 0.7)
        elif t == r"\frac" or t == r"\dfrac" or t == r"\tfrac":
            num, i = _group(tokens, i)
            den, i = _group(tokens, i)
            w += max(_width(num, scale), _width(den, scale)) + 0.4 * scale
        elif t == r"\sqrt":
            arg, i = _group(tokens, i)
            w += _width(arg, scale) + 1.7 * scale
        elif t in _TEXT:
            arg, i = _group(tokens, i)
            w += len("".join(arg)) * scale
        elif t in _ARG1:
            arg, i = _group(tokens, i)
            w += (len("".join(arg)) if t == r"\operatorname" else _width(arg, 1.0)) * scale
        elif t == r"\begin":
            name, i = _group(tokens, i)
            depth, j = 1, i
            while j < len(tokens) and depth:
                depth += 1 if tokens[j] == r"\begin" else -1 if tokens[j] == r"\end" else 0
                j += 1
            body, i = tokens[i : j - 1], _group(tokens, j)[1]
            rows = _split_top(body, {"\\\\"})
            cells = [_split_top(r, {"&"}) for r in rows]
            cols = max((len(r) for r in cells), default=1)
            widths = [max((_width(r[c], scale) for r in cells if c < len(r)), default=0.0) for c in range(cols)]
            w += sum(widths) + 1.8 * scale * (cols - 1) + 1.6 * scale
        elif t in _SPACES:
            w += _SPACES[t] * scale
        elif t in _REL:
            w += 2.7 * scale
        elif t in ("+", "-", r"\times", r"\odot", r"\otimes", r"\pm", r"\oplus"):
            w += 2.4 * scale
        elif t in (r"\cdot", r"\circ"):
            w += 1.4 * scale
        elif t in _NAMED:
            w += (len(t) - 1) * 0.95 * scale + 0.3 * scale
        elif t in (r"\dots", r"\ldots", r"\cdots", r"\vdots"):
            w += 2.6 * scale
        elif t in (r"\sum", r"\prod", r"\int"):
            w += 2.9 * scale
        elif t in (",", ";", ".", "(", ")", "[", "]", "|", "!", "'", r"\{", r"\}", r"\|", r"\lfloor",
                   r"\rfloor", r"\lceil", r"\rceil", r"\langle", r"\rangle", r"\mid"):  # fmt: skip
            w += 0.85 * scale
        elif t.startswith("\\") and len(t) == 2:
            w += 0.8 * scale  # \\, \{, …
        else:
            w += (1.25 if t.isupper() or t == "m" or t == "w" else 1.0) * scale
    return w


def _split_top(tokens: list[str], seps: set[str]) -> list[list[str]]:
    """Tokens split at separators outside every brace group, \\left…\\right and environment."""
    out: list[list[str]] = [[]]
    depth = 0
    for t in tokens:
        if t in ("{", r"\left", r"\begin"):
            depth += 1
        elif t in ("}", r"\right", r"\end"):
            depth -= 1
        if depth == 0 and t in seps:
            out.append([])
            continue
        out[-1].append(t)
    return out


def _break_points(tokens: list[str], parens: bool) -> list[tuple[int, str]]:
    """Where a formula may go on to the next line: before a top-level binary operator or relation,
    or between two factors of a top-level product (juxtaposed: the next line then starts with
    \\cdot). `parens`: plain ( ) and [ ] count as nesting too (first choice: break outside them)."""
    points: list[tuple[int, str]] = []
    depth, plain = 0, 0
    prev = ""  # the last token that is not a space: after an operator or an opening, `-` is unary
    for i, t in enumerate(tokens):
        if t.isspace() or t in _SPACES:
            continue
        if prev in (r"\left", r"\right"):  # the delimiter of \left( … \right): nesting counted already
            prev = t
            continue
        top = depth == 0 and plain == 0
        ends_atom = prev != "" and prev not in _BIN | _REL | {"(", "[", ",", "{", r"\left", "&"}
        if top and ends_atom:
            if t in _BIN or t in _REL:
                points.append((i, t))
            elif t == "," and not parens:  # between the items of a vector: the line ends with the comma
                points.append((i + 1, ","))
            elif tokens[i - 1].isspace() and t not in _TEXT and t not in _ZERO - {r"\left"}:
                if t in ("(", r"\left", r"\begin") or (t.startswith("\\") and t[1:].isalpha()) or t[0].isalnum():
                    points.append((i, ""))  # juxtaposed factors of a product
        if t in ("{", r"\left", r"\begin"):
            depth += 1
        elif t in ("}", r"\right", r"\end"):
            depth -= 1
        elif depth == 0 and parens and t in ("(", "["):
            plain += 1
        elif depth == 0 and parens and t in (")", "]"):
            plain -= 1
        prev = t
    return points


def break_formula(latex: str, first: float, rest: float) -> list[str]:
    """The formula as lines: the first at most `first` UNITs wide, each following one at most
    `rest` and starting with its operator (`+ …`, `= …`, `\\cdot …` for a product), broken at the
    last point that fits: outside parentheses if that is enough, else inside them, else inside a
    \\left( … \\right) group too (its delimiters then \\bigl( … \\bigr), which may be broken).
    A formula that fits, or has no point to break at, stays one line."""
    if math_width(latex) <= first:
        return [latex]
    tokens = _math_tokens(latex)
    best: list[str] = [latex]
    over = math_width(latex) - first
    for opened in (False, True):
        if opened:
            tokens = _open_groups(tokens)
        for parens in (True, False):
            lines = _greedy(tokens, _break_points(tokens, parens), first, rest)
            excess = max(math_width(line) - (first if k == 0 else rest) for k, line in enumerate(lines))
            if excess <= 0:
                return lines
            if excess < over:
                best, over = lines, excess
    return best


def _open_groups(tokens: list[str]) -> list[str]:
    """The outermost \\left … \\right pairs as \\bigl … \\bigr (a line may end between those)."""
    out, depth, after = [], 0, ""
    for t in tokens:
        if t == r"\left" or t == r"\right":
            depth += 1 if t == r"\left" else -1
            if (t == r"\left" and depth == 1) or (t == r"\right" and depth == 0):
                after = r"\bigl" if t == r"\left" else r"\bigr"
                continue
        if after:
            out += [] if t == "." else [after, t]
            after = ""
            continue
        out.append(t)
    return out


def _greedy(tokens: list[str], points: list[tuple[int, str]], first: float, rest: float) -> list[str]:
    lines: list[str] = []
    start, budget, lead = 0, first, ""
    while points and _width(tokens[start:]) + (1.4 if lead else 0) > budget:
        later = [p for p in points if p[0] > start]
        if not later:
            break
        fit = [p for p in later if _width(tokens[start : p[0]]) + (1.4 if lead else 0) <= budget]
        sums = [p for p in fit if p[1] in _REL or p[1] in ("+", "-")]  # a sum breaks between its terms first
        cut, op = sums[-1] if sums else fit[-1] if fit else later[0]
        lines.append(lead + "".join(tokens[start:cut]).strip())
        start, budget, lead = cut, rest, (r"\cdot " if op == "" else "")
    lines.append(lead + "".join(tokens[start:]).strip())
    return lines
