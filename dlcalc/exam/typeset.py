"""The paper and its answer key as LaTeX, typeset with a real engine: pdflatex for English,
xelatex with ctex for Chinese.

Statements go through the quiz export's `tex_text` (TeX's specials escaped, `h_(t−1)`, `∂E/∂W2`,
`w²` set as math); worked solutions through the renderer's `to_latex`, the same derivation the
terminal shows. The paper leaves room to write; the key lists every part's answer with its points,
each concept question's reference and key points, and the worked solutions.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from dlcalc.errors import DlcalcError
from dlcalc.exam.grading import number
from dlcalc.exam.paper import Paper
from dlcalc.text import T, Text

ENGINE = {"en": "pdflatex", "zh": "xelatex"}
WORDS: dict[str, Any] = {
    "title": T("Mock final exam", "模拟期末考试"),
    "key_title": T("Mock final exam — answer key", "模拟期末考试——参考答案"),
    "about": T(
        "Deep learning. Time: {m} minutes. Total: {p} points. Paper {seed}",
        "深度学习。考试时间：{m} 分钟。满分：{p} 分。试卷编号 {seed}",
    ),
    "about_free": T(
        "Deep learning. No time limit. Total: {p} points. Paper {seed}",
        "深度学习。不限时。满分：{p} 分。试卷编号 {seed}",
    ),
    "name": T("Name", "姓名"),
    "student": T("Student number", "学号"),
    "question": T("Question {i}", "第 {i} 题"),
    "points": T("{p} points", "{p} 分"),
    "score": T("Score", "得分"),
    "total": T("Total", "总分"),
    "parts": T("Give", "求"),
    "answer": T("Answer", "答案"),
    "reference": T("Reference answer", "参考答案"),
    "key_points": T("Key points (the marks are shared among them)", "要点（分数平均分配到各要点）"),
    "worked": T("Worked solution", "详细解答"),
    "wrote": T("wrote {paper} ({pp} pages) and {key} ({kp} pages)", "已写入 {paper}（{pp} 页）和 {key}（{kp} 页）"),
    "wrote_tex": T("wrote {paper} and {key} (compile with {engine})", "已写入 {paper} 和 {key}（用 {engine} 编译）"),
}


def key_path(path: str) -> Path:
    """FILE-key.pdf beside FILE.pdf (FILE-key.tex beside FILE.tex)."""
    p = Path(path)
    return p.with_name(f"{p.stem}-key{p.suffix}")


def preamble(lang: str) -> list[str]:
    head = (
        [r"\documentclass[11pt,UTF8]{ctexart}"]
        if lang == "zh"
        else [
            r"\documentclass[11pt]{article}",
            r"\usepackage[T1]{fontenc}",
            r"\usepackage{lmodern}",
            r"\usepackage{textcomp}",
        ]
    )
    return head + [
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\allowdisplaybreaks",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{4pt}",
        r"\emergencystretch=3em",  # long formulas in prose break lines instead of running into the margin
    ]


def _tx(text: str) -> str:
    from dlcalc.quiz.export import tex_text

    return tex_text(text)


def _head(paper: Paper, lang: str, title: Text) -> list[str]:
    about = (WORDS["about"] if paper.minutes else WORDS["about_free"]).format(
        m=paper.minutes, p=paper.total, seed=paper.seed
    )
    return [
        rf"{{\Large\bfseries {_tx(title(lang))}}}\par",
        rf"{_tx(about(lang))} (\texttt{{dlcalc exam -{{}}-seed {paper.seed}}})\par\medskip",  # -{{}}-: no en dash
    ]


def _score_grid(paper: Paper, lang: str) -> list[str]:
    """The grader's box: one column per question, then the total."""
    n = len(paper.questions)
    cols = "|l|" + "c|" * (n + 1)
    numbers = " & ".join(str(q.number) for q in paper.questions)
    points = " & ".join(str(q.points) for q in paper.questions)
    empty = " & ".join([r"\rule{0pt}{1.4em}"] * (n + 1))
    return [
        r"{\small",
        rf"\begin{{tabular}}{{{cols}}}\hline",
        rf"\# & {numbers} & {_tx(WORDS['total'](lang))} \\ \hline",
        rf"{_tx(WORDS['points'](lang).format(p='').strip() or 'pts')} & {points} & {paper.total} \\ \hline",
        rf"{_tx(WORDS['score'](lang))} & {empty} \\ \hline",
        r"\end{tabular}}\par\bigskip",
    ]


def _question_head(item: Any, lang: str) -> str:
    title = WORDS["question"](lang).format(i=item.number)
    points = WORDS["points"](lang).format(p=item.points)
    return rf"\subsection*{{{_tx(title)}\enspace({_tx(points)})\quad {_tx(item.section.title(lang))}}}"


def _statement(item: Any, lang: str) -> list[str]:
    q = item.question
    out = [_tx(q.statement(lang)) + r"\par"]
    if q.choices:
        out += [rf"\quad {letter}. {_tx(c)}\par" for letter, c in zip("ABCDEFGH", q.choices[lang])]
    return out


def paper_tex(paper: Paper, lang: str) -> str:
    """The paper to sit: each question with room to write, the parts asked and their points."""
    body = _head(paper, lang, WORDS["title"])
    body += [
        rf"{_tx(WORDS['name'](lang))}: \underline{{\hspace{{6cm}}}}\qquad "
        rf"{_tx(WORDS['student'](lang))}: \underline{{\hspace{{4cm}}}}\par\medskip",
        *_score_grid(paper, lang),
    ]
    for item in paper.questions:
        q = item.question
        body.append(_question_head(item, lang))
        body += _statement(item, lang)
        if q.kind == "computed":
            body.append(r"\begin{enumerate}")
            for a, share in zip(q.parts, item.part_points()):
                body.append(rf"  \item {_tx(a.describe(lang))} \hfill ({_tx(number(share))})")
                body.append(r"  \par\vspace{1.6cm}")
            body.append(r"\end{enumerate}")
        else:
            body.append(r"\vspace{6.5cm}")
    return _document(body, lang)


def key_tex(paper: Paper, lang: str) -> str:
    """The answer key: every part's answer with its points, references and key points, worked solutions."""
    from dlcalc.quiz.questions import solution_of
    from dlcalc.render.latex import to_latex

    body = _head(paper, lang, WORDS["key_title"])
    for item in paper.questions:
        q = item.question
        body.append(_question_head(item, lang))
        body += _statement(item, lang)
        shares = item.part_points()
        if q.kind == "computed":
            body.append(rf"\textbf{{{_tx(WORDS['answer'](lang))}}}")
            body.append(r"\begin{itemize}")
            for a, share in zip(q.parts, shares):
                body.append(rf"  \item {_tx(a.label(lang))}: {_tx(a.accepted())} \hfill ({_tx(number(share))})")
            body.append(r"\end{itemize}")
            result = solution_of(q)
            if result is not None:
                body.append(rf"\textbf{{{_tx(WORDS['worked'](lang))}}}\par")
                body.append(to_latex(result, lang))
        else:
            if q.kind == "choice":
                body.append(rf"\textbf{{{_tx(WORDS['answer'](lang))}}}: {q.expected}\par")
            body.append(rf"\textbf{{{_tx(WORDS['reference'](lang))}}}\par")
            body.append(_tx((q.reference or {}).get(lang, "").strip()) + r"\par")
            points = (q.key_points or {}).get(lang, [])
            if points:
                body.append(rf"\textbf{{{_tx(WORDS['key_points'](lang))}}}")
                body.append(r"\begin{enumerate}")
                body += [rf"  \item {_tx(p)} \hfill ({_tx(number(s))})" for p, s in zip(points, shares)]
                body.append(r"\end{enumerate}")
    return _document(body, lang)


def _document(body: list[str], lang: str) -> str:
    from dlcalc.mathfmt import ascii_latex

    text = "\n".join(
        [f"% compile with {ENGINE[lang]}", *preamble(lang), r"\begin{document}", *body, r"\end{document}", ""]
    )
    return text if lang == "zh" else ascii_latex(text)  # pdflatex reads no raw Unicode


def engine_for(lang: str) -> str:
    """The engine's path, or one line saying what to install (and that --tex needs none)."""
    engine = ENGINE[lang]
    path = shutil.which(engine)
    if path is None:
        raise DlcalcError(
            T(
                "--pdf: typesetting needs {e} (a TeX installation such as TeX Live{ctex}); "
                "--tex FILE writes the LaTeX source without it",
                "--pdf：排版需要 {e}（例如 TeX Live{ctex_zh}）；--tex FILE 可只写出 LaTeX 源文件",
            ).format(
                e=engine,
                ctex=", with the ctex package" if lang == "zh" else "",
                ctex_zh="，含 ctex 宏包" if lang == "zh" else "",
            )
        )
    return path


def compile_pdf(source: str, target: Path, lang: str) -> int:
    """Typeset `source` into `target`; the number of pages. A failure is one line with TeX's reason."""
    engine = engine_for(lang)
    with tempfile.TemporaryDirectory(prefix="dlcalc-exam-") as folder:
        tex = Path(folder) / "exam.tex"
        tex.write_text(source, encoding="utf-8")
        try:
            run = subprocess.run(
                [engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex.name],
                cwd=folder,
                capture_output=True,
                timeout=600,
            )
        except subprocess.TimeoutExpired:
            raise DlcalcError(
                T("--pdf: {e} ran for 10 minutes; stopped", "--pdf：{e} 运行超过 10 分钟，已停止").format(e=engine)
            ) from None
        log = (
            (Path(folder) / "exam.log").read_text(encoding="utf-8", errors="replace")
            if (Path(folder) / "exam.log").exists()
            else ""
        )
        pdf = Path(folder) / "exam.pdf"
        if run.returncode != 0 or not pdf.exists():
            reason = next(
                (line[2:].strip() for line in log.splitlines() if line.startswith("! ")), f"exit {run.returncode}"
            )
            raise DlcalcError(
                T("--pdf: {e} could not typeset the paper ({r})", "--pdf：{e} 无法排版试卷（{r}）").format(
                    e=engine, r=reason
                )
            )
        try:
            shutil.copyfile(pdf, target)
        except OSError as e:
            raise DlcalcError(
                T("--pdf: cannot write {p!r} ({e})", "--pdf：无法写入 {p!r}（{e}）").format(p=str(target), e=e.strerror)
            ) from None
        pages = re.search(r"Output written on .*?\((\d+) pages?", log)
        return int(pages.group(1)) if pages else 0


def write(paper: Paper, lang: str, pdf: str | None = None, tex: str | None = None) -> list[Text]:
    """Write the paper and its key as PDF and/or LaTeX; what was written, as lines to show."""
    lines: list[Text] = []
    sources = (paper_tex(paper, lang), key_tex(paper, lang))
    if tex is not None:
        for path, source in zip((Path(tex), key_path(tex)), sources):
            try:
                path.write_text(source, encoding="utf-8")
            except OSError as e:
                raise DlcalcError(
                    T("--tex: cannot write {p!r} ({e})", "--tex：无法写入 {p!r}（{e}）").format(
                        p=str(path), e=e.strerror
                    )
                ) from None
        lines.append(WORDS["wrote_tex"].format(paper=tex, key=str(key_path(tex)), engine=ENGINE[lang]))
    if pdf is not None:
        engine_for(lang)  # before any work: one clear line when there is no engine
        pages = [compile_pdf(source, path, lang) for path, source in zip((Path(pdf), key_path(pdf)), sources)]
        lines.append(WORDS["wrote"].format(paper=pdf, pp=pages[0], key=str(key_path(pdf)), kp=pages[1]))
    return lines
