"""#15: every --md path that prints bank-file or student text shows that text, never HTML, a link
or a new block. The Markdown is rendered here by markdown-it (CommonMark, as GitHub and most
note tools read it) and the HTML it makes is inspected."""

from __future__ import annotations

import io
import json

import pytest
from markdown_it import MarkdownIt

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[link](javascript:alert(1))",
    "![pic](javascript:alert(2))",
    "<javascript:alert(3)>",
    "line one\n# heading",
    "text\n\n<div onclick=alert(4)>x</div>",
    "a\n- list item\n> quote",
]


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def _assert_inert(markdown: str, headings: int | None = None) -> None:
    page = _html(markdown).lower()
    for bad in (
        "<script",
        "<img",
        'javascript:alert(1)"',
        'href="javascript',
        'src="javascript',
        "<div",
        "onerror=alert(1)>",
    ):
        assert bad not in page, (bad, markdown)
    assert "<h1>" not in page, markdown  # a newline in the text never started a heading
    assert "<blockquote>\n<p>quote" not in page


def _bank(tmp_path, text: str):
    y = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    body = (
        f'- id: odd\n  topic: concept\n  kind: choice\n  title: {{zh: "标题 {y}", en: "Title {y}"}}\n'
        f'  statement: {{zh: "问题 {y}", en: "Question {y}"}}\n'
        f'  choices: {{zh: ["甲 {y}", "乙"], en: ["one {y}", "two"]}}\n  answer: A\n'
        f'  reference: {{zh: "参考 {y}", en: "reference {y}"}}\n  key_points: {{zh: ["要点 {y}"], en: ["point {y}"]}}\n'
        f'  tags: [x]\n  difficulty: 1\n  source: "made up {y}"\n'
    )
    bank = tmp_path / "bank"
    bank.mkdir(exist_ok=True)
    (bank / "p.yaml").write_text(body, encoding="utf-8")
    return bank


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bank_markdown_is_inert(cli, tmp_path, text, lang):
    bank = _bank(tmp_path, text)
    for args in (("list",), ("show", "odd"), ("show", "odd", "--solution")):
        code, out, err = cli("bank", *args, "--path", str(bank), "--md", "--lang", lang)
        assert code == 0, err
        _assert_inert(out)
    # the text is still all there, as text: the rendered page shows each word
    code, out, err = cli("bank", "show", "odd", "--path", str(bank), "--md", "--solution")
    page = _html(out)
    words = [w for w in text.replace("(", " ").replace(">", " ").split() if w.isalpha() and w != "x"]
    for word in ["Title", "Question", "reference", "point", *words]:
        assert word in page, (word, page)


def test_quiz_history_markdown_shows_an_answer_as_text(cli, tmp_path, monkeypatch):
    db = tmp_path / "h.sqlite3"
    answer = "<img src=x onerror=alert(1)> [x](javascript:alert(1))"
    monkeypatch.setattr("sys.stdin", io.StringIO((answer + "\n") * 4))
    code, out, err = cli("quiz", "-t", "pool", "-n", "1", "--seed", "4", "--db", str(db), "--json")
    assert code == 0, err
    assert json.loads(out)["answered"] == 1
    code, out, err = cli("quiz", "history", "--db", str(db), "--md")
    assert code == 0, err
    _assert_inert(out)
    assert "onerror=alert(1)" in _html(out).replace("&gt;", ">")  # shown, as text
