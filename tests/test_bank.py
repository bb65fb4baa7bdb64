"""The shipped bank loads, every answer matches its solver and torch, every statement asks only what
its parts grade, and breakage is reported."""

import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from dlcalc.bank import BankError, find, load_bank
from dlcalc.bank.parts import Grade, Part, parse_grade, requests, statement_problems
from dlcalc.text import Text

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"

HEADER = "id: {id}\ntopic: conv\ntitle: {{zh: 题, en: a problem}}\ntags: []\ndifficulty: 1\nsource: made up\n"


def test_shipped_bank_checks_clean_in_one_process(cli):
    code, out, err = cli("bank", "check", "--path", str(PROBLEMS), "--json")
    data = json.loads(out)
    assert code == 0, data["details"]
    assert data["problems"] >= 60 and data["failed"] == []


def test_every_computed_problem_declares_its_parts():
    for file in sorted(PROBLEMS.glob("*.yaml")):
        for raw in yaml.safe_load(file.read_text(encoding="utf-8")) or []:
            if "solver" in raw:
                assert "parts" in raw, (file.name, raw["id"])
                for part in raw["parts"]:
                    assert {"key", "label"} <= set(part) and set(part["label"]) == {"en", "zh"}, raw["id"]


def test_bank_covers_every_topic_in_both_languages():
    problems = load_bank(PROBLEMS)
    topics = {p.topic for p in problems}
    assert {"conv", "pool", "net", "perceptron", "backprop", "grad", "rnn", "lstm", "gru", "concept"} <= topics
    for p in problems:
        assert p.title["zh"] and p.title["en"] and p.statement["zh"] and p.statement["en"]


@pytest.mark.parametrize(
    "problem_id, keys",
    [
        # the cases the issue names: each asks these, and now grades every one
        ("net-mlp-mnist", ["total_params"]),
        ("net-notes-chain", ["layers.output_shape", "total_params"]),
        ("conv-alexnet-conv1", ["output_shape", "params"]),
        ("pool-alexnet-pool1", ["output_shape", "params"]),
        ("loss-bce-logits", ["loss", "gradient"]),
        ("metrics-from-counts", ["precision", "recall", "f1", "accuracy"]),
    ],
)
def test_known_multi_part_problems_grade_every_part(problem_id, keys):
    problem = find(load_bank(PROBLEMS), problem_id)
    assert [p.key for p in problem.parts] == keys


def _write(tmp_path, text):
    bank = tmp_path / "bank"
    bank.mkdir(exist_ok=True)
    (bank / "p.yaml").write_text(text, encoding="utf-8")
    return bank


ASKS_TWO = (
    "statement:\n  en: A 1×28×28 image goes through 25 kernels of 3×3. Give the output shape and the parameter count.\n"
    "  zh: 1×28×28 的图经过 25 个 3×3 卷积核。求输出形状和参数量。\n"
    "solver: conv\ninputs: {input: 1x28x28, kernel: 3, out_channels: 25}\n"
    "answer: {output_shape: [25, 26, 26], params: 250}\n"
)


@pytest.mark.parametrize(
    "parts, ok",
    [
        ("parts:\n  - {key: output_shape, label: {en: output shape, zh: 输出形状}}\n", False),
        ("ask: output_shape\n", False),  # the older form, labelled from the common keys
        ("", False),  # nothing declared: the first key only
        (
            "parts:\n  - {key: output_shape, label: {en: output shape, zh: 输出形状}}\n"
            "  - {key: params, label: {en: parameter count, zh: 参数量}}\n",
            True,
        ),
        ("ask: [output_shape, params]\n", True),
    ],
)
def test_check_fails_on_a_statement_asking_more_than_is_graded(tmp_path, cli, parts, ok):
    bank = _write(tmp_path, HEADER.format(id="two-asked") + ASKS_TWO + parts)
    code, out, err = cli("bank", "check", "--path", str(bank), "--no-torch", "--json")
    data = json.loads(out)
    if ok:
        assert code == 0 and data["failed"] == [], data
    else:
        assert code == 1 and data["failed"] == ["two-asked"], data
        assert "parameter count" in data["details"][0]["error"]
    code, out, err = cli("bank", "check", "--path", str(bank), "--no-torch")
    assert code == (0 if ok else 1) and ("two-asked" in out) != ok


def test_check_fails_when_a_decimal_precision_is_not_stated(tmp_path, cli):
    text = HEADER.format(id="unstated") + (
        "statement: {en: 'Logits (2, 1, 0.1). Find the softmax probabilities.', zh: 'logits (2, 1, 0.1)，求 softmax 概率。'}\n"
        "solver: softmax\ninputs: {logits: '2, 1, 0.1'}\n"
        "answer: {probabilities: [0.6590011388859679, 0.24243297070471392, 0.09856589040931818]}\n"
        "parts:\n  - {key: probabilities, label: {en: probabilities, zh: 概率}, grade: 4 decimals}\n"
    ).replace("topic: conv", "topic: softmax")
    code, out, err = cli("bank", "check", "--path", str(_write(tmp_path, text)), "--no-torch", "--json")
    assert code == 1 and "4 decimals" in json.loads(out)["details"][0]["error"]


@pytest.mark.parametrize(
    "en, zh, grade",
    [
        ("Find the loss (to four decimal places).", "求损失（精确到小数点后4位）。", "4 decimals"),
        ("Find the loss (2 d.p.).", "求损失（保留两位小数）。", "2 decimals"),
        ("Find the loss to 3 significant figures.", "求损失，保留三位有效数字。", "3 significant figures"),
    ],
)
def test_stated_precision_is_read_in_its_usual_phrasings(en, zh, grade):
    part = Part("loss", Text("loss", "损失"))  # no declared grade: the statement's is used
    statement = Text(en, zh)
    assert statement_problems(statement, [part], [0.41703]) == []
    from dlcalc.bank.parts import grade_of

    assert grade_of(part, [0.41703], statement) == parse_grade(grade)
    wrong = Part("loss", Text("loss", "损失"), grade=parse_grade("5 decimals"))
    assert statement_problems(statement, [wrong], [0.41703]) != []


def test_check_fails_when_a_stored_part_disagrees_at_its_precision(tmp_path, cli):
    text = HEADER.format(id="rounded-wrong") + (
        "statement: {en: 'Logits (2, 1, 0.1). Find the softmax probabilities (to 4 decimals).', "
        "zh: 'logits (2, 1, 0.1)，求 softmax 概率（保留 4 位小数）。'}\n"
        "solver: softmax\ninputs: {logits: '2, 1, 0.1'}\n"
        "answer: {probabilities: [0.6588, 0.2424, 0.0986]}\ntolerance: 1.0e-3\n"
        "parts:\n  - {key: probabilities, label: {en: probabilities, zh: 概率}, grade: 4 decimals}\n"
    ).replace("topic: conv", "topic: softmax")
    code, out, err = cli("bank", "check", "--path", str(_write(tmp_path, text)), "--no-torch", "--json")
    # 0.6588 passes the machine tolerance but is not 0.6590 at 4 decimals: the quiz would grade wrongly
    assert code == 1 and "differ" in json.loads(out)["details"][0]["error"]


QUANTITIES = [
    ("output_shape", "output shape", "输出形状"),
    ("params", "parameter count", "参数量"),
    ("loss", "loss", "损失"),
    ("gradient", "gradient", "梯度"),
    ("recall", "recall", "召回率"),
    ("macs", "multiply-adds", "乘加次数"),
    ("receptive_field", "receptive field", "感受野"),
]


@given(
    asked=st.lists(st.sampled_from(QUANTITIES), min_size=1, max_size=5, unique=True),
    dropped=st.integers(0, 4),
    form=st.sampled_from(["Give the {x}.", "Find the {x} (to 4 decimals).", "What are the {x}?", "Compute the {x}."]),
    joiner=st.sampled_from([" and the ", ", the ", "; then the "]),
)
def test_statement_rule_catches_any_ungraded_request(asked, dropped, form, joiner):
    """Statements asking k quantities: declaring all k passes; leaving any one out fails, naming it."""
    en = "A layer is given. " + form.format(x=joiner.join(x[1] for x in asked))
    zh = "给定一层。求" + "、".join(x[2] for x in asked) + "（保留 4 位小数）。"
    statement = Text(en + " (to 4 decimals)" if "decimals" not in en else en, zh)
    parts = [Part(key, Text(label, label_zh), grade=Grade("decimals", 4)) for key, label, label_zh in asked]
    raws = [[0.5] for _ in parts]
    assert statement_problems(statement, parts, raws) == []
    missing = dropped % len(parts)
    left = parts[:missing] + parts[missing + 1 :]
    problems = statement_problems(statement, left, raws[: len(left)])
    assert any(asked[missing][1] in p for p in problems), (statement.en, problems)


def test_requests_leave_out_context_qualifiers_and_discussion():
    got = requests(
        "A 227×227 input, an 11×11 kernel and no padding give a 55×55 output. What stride was used (think about "
        "the floor)? Why does it matter?"
    )
    assert got == ["What stride was used", "Why does it matter"]


@pytest.mark.parametrize(
    "spec, reference, answer, ok",
    [
        ("4 decimals", 1.2794, "1.28", False),  # the case: 1.28 does not round to 1.2794
        ("4 decimals", 1.2794, "1.2794", True),
        ("4 decimals", 1.2794, "1.27941", True),
        ("4 decimals", 1.2794, "1.27949", False),
        ("4 decimals", 0.6666666666666666, "2/3", True),
        ("4 decimals", 0.6666666666666666, "0.6667", True),
        ("4 decimals", 0.6666666666666666, "0.6666", False),
        ("3 significant figures", 15470264320, "1.55e10", True),
        ("3 significant figures", 15470264320, "15.5G", True),
        ("3 significant figures", 15470264320, "1.54e10", False),
        ("exact", 0.2, "1/5", True),
        ("exact", Fraction(1, 3), "0.3333", False),
        ("exact", 250, "250", True),
    ],
)
def test_grades_follow_the_stated_precision(spec, reference, answer, ok):
    from dlcalc.quiz.answers import numbers_in

    grade = parse_grade(spec)
    assert grade.accepts(reference, numbers_in(answer)[0]) is ok


@given(st.floats(-1e4, 1e4, allow_nan=False), st.integers(0, 6))
def test_rounded_reference_is_accepted_and_a_unit_off_is_not(value, digits):
    from dlcalc.bank.parts import exact
    from dlcalc.quiz.answers import format_value, numbers_in

    grade = Grade("decimals", digits)
    written = numbers_in(format_value(value, grade))[0]
    assert grade.accepts(value, written)
    scaled = exact(value) * 10**digits
    # the documented slack: within a relative 1e-12 of a tie both neighbours are correct roundings
    slack = abs(scaled) * Fraction(1, 10**12) + Fraction(1, 10**6)
    near_tie = abs(scaled - int(scaled) - Fraction(1, 2) * (1 if scaled >= 0 else -1)) <= slack
    if not near_tie:  # a reference on a tie accepts both neighbours
        unit = Fraction(1, 10**digits)
        assert not grade.accepts(value, written + unit) and not grade.accepts(value, written - unit)


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
        (
            HEADER.format(id="a") + "statement: {zh: a, en: b}\nsolver: conv\ninputs: {input: 3x5x5, kernel: 3}\n"
            "answer: {params: 28}\nparts:\n  - {key: nope, label: {en: x, zh: x}}\n",
            "'nope' is not in answer",
        ),
        (
            HEADER.format(id="a") + "statement: {zh: a, en: b}\nsolver: conv\ninputs: {input: 3x5x5, kernel: 3}\n"
            "answer: {params: 28}\nparts:\n  - {key: params, label: {en: 'P = count', zh: x}}\n",
            "no = : or ; in a label",
        ),
        (
            HEADER.format(id="a") + "statement: {zh: a, en: b}\nsolver: conv\ninputs: {input: 3x5x5, kernel: 3}\n"
            "answer: {params: 28}\nparts:\n  - {key: params, label: {en: n, zh: n}, grade: roughly}\n",
            "grade: expected exact, N decimals",
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
    data = json.loads(out)
    rows = data["problems"]
    assert code == 0 and data["dlcalc"] == 1 and data["kind"] == "bank-list"
    assert rows and all(r["topic"] == "conv" for r in rows) and {"id", "topic"} <= set(rows[0])
    code, out, err = cli("bank", "show", "conv-alexnet-conv1", "--lang", "zh", "--solution")
    assert code == 0 and "AlexNet" in out and "96×55×55" in out and "推导过程" in out
    code, out, err = cli("bank", "show", "concept-dropout", "--solution", "--json")
    data = json.loads(out)
    assert code == 0 and data["solution"]["answer"] == "B" and data["solution"]["key_points"]
    code, out, err = cli("bank", "show", "no-such-problem")
    assert code == 2 and "no problem" in err
    code, out, err = cli("bank", "show", "conv-alexnet-conv", "--lang", "zh")
    assert code == 2 and "没有编号为" in err and "conv-alexnet-conv1" in err and err.count("\n") == 1
    code, out, err = cli("bank", "check", "--lang", "zh", "--no-torch", "--path", str(PROBLEMS))
    assert code == 0 and "题数" in out and "每个答案都与求解器一致" in out and "未运行 torch" in out


def test_show_lists_the_parts_asked(cli):
    code, out, err = cli("bank", "show", "conv-alexnet-conv1", "--json")
    data = json.loads(out)
    assert code == 0 and [p["key"] for p in data["parts"]] == ["output_shape", "params"]


MARKUP = ["[bold red]loud[/]", "[/x]", "[/]", "[link=javascript:alert(1)]x[/link]"]


@pytest.mark.parametrize("markup", MARKUP)
def test_bank_text_is_never_markup_in_the_terminal(tmp_path, cli, markup):
    """Titles, statements and choices print as typed, whatever brackets they hold."""
    title = markup.replace("'", "''")
    text = (
        f"- id: odd-title\n  topic: concept\n  kind: choice\n  title: {{zh: '标题 {title}', en: 'Title {title}'}}\n"
        f"  statement: {{zh: '问题 {title}', en: 'Question {title}'}}\n"
        f"  choices: {{zh: ['甲 {title}', '乙'], en: ['one {title}', 'two']}}\n  answer: A\n"
        "  reference: {zh: 参考, en: reference}\n  key_points: {zh: [要点], en: [point]}\n"
        "  tags: [x]\n  difficulty: 1\n  source: made up\n"
    )
    bank = _write(tmp_path, text)
    code, out, err = cli("bank", "list", "--path", str(bank))
    assert code == 0 and markup in out.replace("\n", ""), out + err
    code, out, err = cli("bank", "show", "odd-title", "--path", str(bank), "--solution")
    assert code == 0 and out.count(markup) >= 3, out + err
    assert "Title " + markup in out
