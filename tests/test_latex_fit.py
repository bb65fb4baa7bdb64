"""Every --latex output fits the page: compiled with the real engine (pdflatex for English,
xelatex with ctex for Chinese or for English that holds CJK), the log has no "Overfull \\hbox"
wider than a few points. A spread of the widest outputs: every zoo network's layer table and
parameter sum, long `grad` derivations, backprop, bptt (vectors and LSTM), gd --compare (a wide
table and a text chart), optim's table. Long formulas are broken into lines at their top-level
operators, wide tables wrap, shrink or split, text pictures shrink.

And the document class follows the text actually printed: an English document with no CJK in it
is an `article` for pdflatex, whatever characters the terminal output draws with (gd --compare's
chart is box drawing)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
MODELS = sorted(p.stem for p in (ROOT / "dlcalc" / "models").glob("*.yaml"))
TOLERANCE_PT = 10.0

LONG_GRAD = [
    "grad",
    "sigmoid(w1*x1 + w2*x2 + w3*x3 + b)^2 * tanh(w4*x4 + w5*x5 + b2)",
    "--wrt",
    "w1",
    "--at",
    "w1=0.5, x1=1, w2=0.3, x2=2, w3=-1, x3=0.5, b=0.1, w4=2, x4=1, w5=1, x5=3, b2=0",
]
GD = ["gd", "--samples", "1,2; 2,0; 3,1; 0,1", "--targets", "3; 2; 4; 1", "--batch", "2", "--epochs", "2"]
LSTM_BPTT = ["bptt", "--cell", "lstm", "--sequence", "1; -1; 0.5", "--target", "0.2; 0.3; 0.1"]
LSTM_BPTT += [a for w in ("W_i", "W_f", "W_g", "W_o") for a in ("--set", f"{w}=0.5,0.5")]

SPREAD: list[list[str]] = [
    *(["net", "--model", m] for m in MODELS),
    LONG_GRAD,
    [
        "grad",
        "exp(-(x-m)^2/(2*s^2))/sqrt(2*3.14159*s^2) + exp(-(x-m2)^2/(2*s2^2))/sqrt(2*3.14159*s2^2)",
        "--wrt",
        "m",
        "--at",
        "x=1, m=0.5, s=2, m2=1, s2=3",
    ],
    [
        "grad",
        "ln(1 + exp(w*x + b)) - y*(w*x + b) + 0.5*lam*(w^2 + b^2)",
        "--wrt",
        "w",
        "--at",
        "w=0.5, x=2, b=-1, y=1, lam=0.01",
    ],
    ["backprop", "-f", str(EX / "mazur.yaml")],
    ["backprop", "-f", str(EX / "mazur.yaml"), "--steps", "2"],
    ["bptt", "--sequence", "1; 2; 3", "--set", "W=0.5", "--set", "U=0.1", "--target", "0.5"],
    ["bptt", "--sequence", "1,0; 0,1; 1,1; 0.5,-0.5", "--weight-ih", "0.5,-0.2; 0.1,0.3"]
    + ["--weight-hh", "0.9,0; -0.4,0.8", "--target", "0.2,0.1; 0.1,0.3; 0.3,0.4; 0.4,0.5"],
    LSTM_BPTT,
    GD,
    [*GD, "--compare"],
    [
        "gd",
        "--samples",
        "1,2; 2,0; 3,1; 0,1",
        "--targets",
        "1; 0; 1; 0",
        "--model",
        "mlp",
        "--batch",
        "2",
        "--epochs",
        "1",
    ],
    ["optim", "--function", "x^2 + 10*y^2", "--optimizer", "adam", "--start", "1,-1", "--steps", "3"],
    ["attention", str(EX / "attention.yaml")],
    ["bank", "show", "bptt-lstm-two-step-cell-path", "--solution"],  # a table of ten number columns
]
SPREAD_ZH = [["net", "--model", "googlenet"], ["net", "--model", "vgg16"], LONG_GRAD, LSTM_BPTT, [*GD, "--compare"]]
SPREAD_ZH += [["backprop", "-f", str(EX / "mazur.yaml")]]

CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def _engine(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: CI compiles the LaTeX")
        pytest.skip(f"{name} is not installed")
    return path


def _document(cli, case: list[str], lang: str) -> str:
    code, out, err = cli(*case, "--latex", "--lang", lang)
    assert code == 0, (case, err)
    return out


def _overfull(engine: str, docs: list[tuple[str, str]], where: Path) -> list[str]:
    """Compile the bodies of documents that share one preamble as one document; every Overfull
    \\hbox wider than the tolerance, named by the case whose lines it is in."""
    preamble = docs[0][1].split(r"\begin{document}")[0]
    source, starts = [preamble + r"\begin{document}"], []
    for name, doc in docs:
        starts.append((sum(s.count("\n") + 1 for s in source) + 1, name))
        source.append(doc.split(r"\begin{document}", 1)[1].rsplit(r"\end{document}", 1)[0].strip("\n"))
        source.append(r"\clearpage")
    source.append(r"\end{document}")
    (where / "doc.tex").write_text("\n".join(source) + "\n", encoding="utf-8")
    run = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=where,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=900,
    )
    log = (where / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0 and (where / "doc.pdf").exists(), [line for line in log.splitlines() if line[:1] == "!"]
    assert "Missing character" not in log, [line for line in log.splitlines() if "Missing character" in line][:5]
    found = []
    for m in re.finditer(
        r"Overfull \\hbox \(([\d.]+)pt too wide\) (?:in paragraph at lines (\d+)|detected at line (\d+))", log
    ):
        if float(m.group(1)) > TOLERANCE_PT:
            line = int(m.group(2) or m.group(3))
            name = [n for start, n in starts if start <= line][-1] if starts[0][0] <= line else "?"
            found.append(f"{m.group(1)}pt at line {line}: {name}")
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_latex_output_of_the_spread_fits_the_page(cli, tmp_path, lang):
    docs = [(" ".join(c), _document(cli, c, lang)) for c in (SPREAD if lang == "en" else SPREAD_ZH)]
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, doc in docs:
        groups.setdefault(doc.split(r"\begin{document}")[0], []).append((name, doc))
    problems = []
    for i, group in enumerate(groups.values()):
        engine = _engine(group[0][1].splitlines()[0].removeprefix("% compile with "))
        (tmp_path / str(i)).mkdir()
        problems += _overfull(engine, group, tmp_path / str(i))
    assert not problems, "\n".join(problems)


def test_the_document_class_follows_the_text_printed(cli):
    """English without CJK: article for pdflatex (never ctexart), for every command of the spread;
    Chinese: ctexart for xelatex."""
    for case in SPREAD:
        doc = _document(cli, case, "en")
        has_cjk = bool(CJK.search(doc))
        assert doc.startswith("% compile with xelatex" if has_cjk else "% compile with pdflatex"), case
        assert ("ctexart" in doc) == has_cjk, case
        assert "[U+" not in doc, case  # a character neither engine was given a way to set
    for case in SPREAD_ZH:
        doc = _document(cli, case, "zh")
        assert doc.startswith("% compile with xelatex") and "{ctexart}" in doc, case


def test_a_text_picture_keeps_its_shape_in_latex(cli):
    """gd --compare's chart: box drawing becomes ASCII, every line of the picture kept, and a
    picture wider than the line is set in a smaller typewriter size."""
    code, out, _ = cli("gd", "--json", *GD[1:], "--compare")
    assert code == 0
    doc = _document(cli, [*GD, "--compare"], "en")
    body = doc.split(r"\begin{verbatim}", 1)[1].split(r"\end{verbatim}", 1)[0].strip("\n").splitlines()
    assert body and all(line.isascii() for line in body)
    axis = [line for line in body if "+---" in line]
    assert axis, body  # the x axis, drawn with ─ and └ in the terminal


# --- breaking a formula, without TeX -------------------------------------------------------------


def _terms():
    from dlcalc import mathfmt as m

    atom = st.one_of(
        st.integers(1, 99999).map(m.num),
        st.sampled_from(["w", "x", "b", "h"]).map(lambda n: m.sub(m.sym(n), "1")),
    )
    product = st.lists(atom, min_size=1, max_size=4).map(lambda xs: _fold(xs, lambda a, b: a * b))
    return st.lists(product, min_size=1, max_size=40).map(lambda xs: _fold(xs, lambda a, b: a + b))


def _fold(items, op):
    out = items[0]
    for item in items[1:]:
        out = op(out, item)
    return out


@settings(max_examples=100, deadline=None)
@given(_terms(), st.integers(20, 80))
def test_a_long_sum_is_broken_at_its_plus_signs_into_lines_that_fit(expr, budget):
    from dlcalc.render.latex import break_formula, math_width

    lines = break_formula(expr.latex, budget, budget)
    # nothing lost or added: the lines put back together are the formula
    assert re.sub(r"\s+", "", "".join(lines)) == re.sub(r"\s+", "", expr.latex)
    if math_width(expr.latex) <= budget:
        assert lines == [expr.latex]
    for line in lines[1:]:
        assert line.startswith(("+", r"\cdot")), lines  # a line goes on with its operator
    for before, line in zip(lines, lines[1:]):
        if line.startswith(r"\cdot"):  # a product is broken only where its term alone is too long
            assert math_width("+ " + before.lstrip("+ ").split(" + ")[-1] + line) > budget, (budget, lines)
    for line in lines:
        assert math_width(line) <= budget or " " not in line.strip(), (budget, line)


def test_a_long_product_goes_on_with_a_product_sign():
    from dlcalc.render.latex import break_formula

    factor = r"\left(1 - \sigma\left(b + w_{1} x_{1} + w_{2} x_{2} + w_{3} x_{3}\right)\right)"
    lines = break_formula(f"2 x_{{1}} {factor} {factor} {factor}", 60, 60)
    assert len(lines) >= 2 and all(line.startswith(r"\cdot") for line in lines[1:]), lines
    assert lines[0].startswith("2 x_{1}")


def test_only_cjk_makes_an_english_document_a_xelatex_one():
    from dlcalc.render.latex import to_latex_document
    from dlcalc.result import Result
    from dlcalc.text import T

    def doc(value: str) -> str:
        return to_latex_document(Result("x", T("Title", "标题"), {}, [(T("Value", "值"), value)]), "en")

    assert doc("a ┤ b ─ c ✓").startswith("% compile with pdflatex")  # set as a visible mark, still English
    assert "{article}" in doc("a ┤ b")
    chinese = doc("感受野")
    assert chinese.startswith("% compile with xelatex") and "scheme=plain" in chinese
