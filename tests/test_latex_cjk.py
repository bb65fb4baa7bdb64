"""An English LaTeX document that holds Chinese text (a glossary term's own name, a bank text)
is made for xelatex with ctex in its plain scheme, so the glyphs show — never pdflatex's
`\\texttt{[U+611F]}` placeholders. Checked by compiling and reading the PDF's text back
(pdftotext), not by looking at our own output."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dlcalc.bank import load_bank
from dlcalc.quiz import export
from dlcalc.quiz import questions as Q

needs_tex = pytest.mark.skipif(
    not (shutil.which("xelatex") and shutil.which("pdftotext")), reason="xelatex and pdftotext are needed"
)


def _pdf_text(source: str, where) -> str:
    first = source.splitlines()[0]
    assert first == "% compile with xelatex", first
    tex = where / "doc.tex"
    tex.write_text(source, encoding="utf-8")
    run = subprocess.run(
        ["xelatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=where,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=600,
    )
    log = (where / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0 and "Missing character" not in log, log[-2000:]
    return subprocess.run(["pdftotext", "doc.pdf", "-"], cwd=where, capture_output=True, text=True).stdout


@needs_tex
def test_explain_a_chinese_term_in_english(cli, tmp_path):
    code, out, err = cli("explain", "感受野", "--latex")
    assert code == 0 and "[U+" not in out
    text = _pdf_text(out, tmp_path)
    assert "感受野" in text and "receptive field" in text


def test_an_english_document_without_cjk_stays_pdflatex(cli):
    code, out, err = cli("conv", "1x28x28", "-k", "3", "-o", "25", "--latex")
    assert code == 0 and out.startswith("% compile with pdflatex") and out.isascii()


BANK = """- id: cjk-term
  topic: concept
  kind: short
  title: {zh: 感受野, en: "Receptive field (感受野)"}
  statement: {zh: 什么是感受野？, en: "What is the receptive field (感受野) of a layer? Use σ if you like."}
  reference: {zh: 输入中影响一个输出位置的区域。, en: "The input region (区域) one output position depends on."}
  key_points: {zh: [输入区域], en: ["input region (输入区域)"]}
  tags: [x]
  difficulty: 1
  source: made up
"""


@needs_tex
def test_quiz_tex_export_with_chinese_in_an_english_sheet(tmp_path):
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "p.yaml").write_text(BANK, encoding="utf-8")
    q = Q.from_problem(load_bank(bank)[0])
    source = export.to_tex([q], "en", 1)
    assert "[U+" not in source
    text = _pdf_text(source, tmp_path)
    assert "感受野" in text and "输入区域" in text and "σ" in text


CONV = """- id: conv-cjk
  topic: conv
  title: {zh: 卷积, en: "A first convolution (卷积)"}
  statement:
    zh: 输入为 1×28×28，用 25 个 3×3 卷积核。求输出形状和参数量。
    en: A 1×28×28 image goes through 25 kernels of 3×3 (卷积核). Give the output shape and the parameter count.
  solver: conv
  inputs: {input: 1x28x28, kernel: 3, out_channels: 25}
  answer: {output_shape: [25, 26, 26], params: 250}
  parts:
    - {key: output_shape, label: {en: output shape, zh: 输出形状}}
    - {key: params, label: {en: parameter count, zh: 参数量}, names: [parameters, params, 参数]}
  tags: [x]
  difficulty: 1
  source: made up
"""


@needs_tex
@pytest.mark.parametrize("solution", [(), ("--solution",)])
def test_bank_show_latex_with_chinese_in_english(cli, tmp_path, solution):
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "p.yaml").write_text(CONV, encoding="utf-8")
    code, out, err = cli("bank", "show", "conv-cjk", "--path", str(bank), "--latex", *solution)
    assert code == 0 and "[U+" not in out, err
    text = _pdf_text(out, tmp_path)
    assert "卷积" in text and "卷积核" in text
