"""The shipped bank loads, every answer matches its solver and torch, and breakage is reported."""

import json
import shutil
from pathlib import Path

import pytest

from dlcalc.bank import BankError, load_bank

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"


def test_shipped_bank_checks_clean_in_one_process(cli):
    code, out, err = cli("bank", "check", "--path", str(PROBLEMS), "--json")
    data = json.loads(out)
    assert code == 0, data["details"]
    assert data["problems"] >= 60 and data["failed"] == []
    assert data["seconds"] < 60


def test_bank_covers_every_topic_in_both_languages():
    problems = load_bank(PROBLEMS)
    topics = {p.topic for p in problems}
    assert {"conv", "pool", "net", "perceptron", "backprop", "grad", "rnn", "lstm", "gru", "concept"} <= topics
    for p in problems:
        assert p.title["zh"] and p.title["en"] and p.statement["zh"] and p.statement["en"]


def test_a_planted_wrong_answer_and_a_broken_file_are_reported(tmp_path, cli):
    bank = tmp_path / "bank"
    shutil.copytree(PROBLEMS, bank)
    conv = bank / "conv.yaml"
    conv.write_text(conv.read_text(encoding="utf-8").replace("params: 34944", "params: 34848"), encoding="utf-8")
    code, out, err = cli("bank", "check", "--path", str(bank), "--no-torch", "--json")
    assert code == 1 and json.loads(out)["failed"] == ["conv-alexnet-conv1"]
    (bank / "broken.yaml").write_text("- id: x\n  topic: conv\n  title: {zh: a, en: b\n", encoding="utf-8")
    code, out, err = cli("bank", "check", "--path", str(bank))
    assert code == 2 and "broken.yaml:" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("id: a\ntopic: conv\n", "missing field 'title'"),
        (
            "id: a\ntopic: nope\ntitle: {zh: a, en: b}\nstatement: {zh: a, en: b}\ntags: []\ndifficulty: 1\nsource: s\n",
            ":2: a: topic",
        ),
        (
            "id: a\ntopic: conv\ntitle: {zh: a}\nstatement: {zh: a, en: b}\ntags: []\ndifficulty: 1\nsource: s\n",
            ":3: a: title: expected both zh and en",
        ),
        ("!!python/object/apply:os.system ['echo hacked']\n", "could not determine a constructor"),
        (
            "id: a\ntopic: conv\ntitle: {zh: a, en: b}\nstatement: {zh: a, en: b}\ntags: []\ndifficulty: 1\nsource: s\n"
            "solver: conv\ninputs: {input: 3x5x5, kernel: 3}\n",
            "needs 'answer'",
        ),
    ],
)
def test_validation_names_file_and_line(tmp_path, text, message, capfd):
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(BankError) as e:
        load_bank(tmp_path)
    assert "p.yaml:" in e.value.message and message in e.value.message
    assert "hacked" not in capfd.readouterr().out


def test_list_show_solution(cli):
    code, out, err = cli("bank", "list", "--topic", "conv", "--json")
    rows = json.loads(out)
    assert code == 0 and rows and all(r["topic"] == "conv" for r in rows) and {"id", "topic"} <= set(rows[0])
    code, out, err = cli("bank", "show", "conv-alexnet-conv1", "--lang", "zh", "--solution")
    assert code == 0 and "AlexNet" in out and "96×55×55" in out and "推导过程" in out
    code, out, err = cli("bank", "show", "concept-dropout", "--solution", "--json")
    data = json.loads(out)
    assert data["solution"]["answer"] == "B" and data["solution"]["key_points"]
    code, out, err = cli("bank", "show", "no-such-problem")
    assert code == 2 and "no problem" in err
