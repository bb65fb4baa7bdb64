"""dlcalc exam: the paper follows the course's final, is reproducible by seed, grades every part,
keeps every answer through a kill, lets two exams run at once, and prints as a PDF that compiles."""

import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from fractions import Fraction

import pytest
from terminal import Terminal

from dlcalc.bank import load_bank
from dlcalc.bank.parts import lookup, statement_problems
from dlcalc.exam import paper as P
from dlcalc.quiz import questions as Q
from dlcalc.quiz.history import History

# The final exam's topics, in the order the course notes list them (course-review-notes.txt, 计算题 and
# the paragraph after it), then the notes' past exam question on the three ways of learning.
COURSE_ORDER = [
    ("neuron", "concept"),
    ("batch-gd", "concept"),
    ("optimizers", "concept"),
    ("perceptron", "computed"),
    ("feature-maps", "computed"),
    ("backprop", "computed"),
    ("rnn", "computed"),
    ("lstm-gru", "concept"),
    ("resnet-densenet", "concept"),
    ("transformer", "concept"),
    ("paradigms", "concept"),
]


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "history.sqlite3"
    monkeypatch.setenv("DLCALC_DB", str(path))
    return path


def _paper(cli, seed, lang="en", key=True):
    args = ["exam", "--seed", str(seed), "--paper", "--json", "--lang", lang] + (["--key"] if key else [])
    code, out, err = cli(*args)
    assert code == 0, err
    data = json.loads(out)
    assert data["dlcalc"] == 1 and data["kind"] == "exam-paper"
    return data


def _sit(cli, monkeypatch, lines, *args):
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in lines)))
    code, out, err = cli("exam", *args, "--json")
    return code, (json.loads(out) if out.strip() else None), err


# --- the paper -----------------------------------------------------------------------------------


def test_the_paper_follows_the_course_final(cli):
    data = _paper(cli, 11)
    got = [(q["section"], "computed" if q["kind"] == "computed" else "concept") for q in data["questions"]]
    assert got == COURSE_ORDER
    assert data["total"] == sum(q["points"] for q in data["questions"]) == 100 and data["minutes"] == 120
    bank = {p.id: p for p in load_bank()}
    for q in data["questions"]:
        if q["kind"] == "computed":
            assert q["id"].startswith(f"exam-{q['section']}-") and len(q["parts"]) >= 2  # every one multi-part
            assert sum(Fraction(p["points"]).limit_denominator(1000) for p in q["parts"]) == q["points"]
        else:
            assert q["id"] in bank and "exam-topic" in bank[q["id"]].tags and q["key_points"]
    code, out, err = cli("exam", "--seed", "11", "--paper", "--lang", "zh")
    assert code == 0 and "限时 120 分钟" in out and "第 4/11 题 · 12 分" in out


def test_same_seed_same_paper_in_either_language(cli):
    a, b, c = _paper(cli, 5), _paper(cli, 5), _paper(cli, 6)
    assert a == b and a != c
    zh = _paper(cli, 5, "zh")
    assert [q["id"] for q in zh["questions"]] == [q["id"] for q in a["questions"]]
    for en_q, zh_q in zip(a["questions"], zh["questions"]):  # the same numbers, worded in Chinese
        assert [p.get("answer") for p in en_q.get("parts", [])] == [p.get("answer") for p in zh_q.get("parts", [])]
        assert en_q["question"] != zh_q["question"]
    computed = [
        {q["question"] for q in _paper(cli, s, key=False)["questions"] if q["kind"] == "computed"} for s in range(4)
    ]
    assert len(set.union(*computed)) == 16  # fresh numbers for every seed


@pytest.mark.parametrize("section", ["perceptron", "feature-maps", "backprop", "rnn"])
def test_exam_templates_are_well_posed_and_ask_only_what_they_grade(section):
    """Stress test, as R/exams' stresstest_exercise: many draws, every one graded right by its own key
    in both languages, every request graded, and answers that really vary."""
    from dlcalc.exam.templates import well_posed

    answers = set()
    for seed in range(120):
        q = P.section_question(section, P.section_rng(seed, section), 1, seed)
        assert well_posed(q)
        raws = [lookup(q.result.answer, a.part.key) for a in q.parts]
        assert statement_problems(q.statement, [a.part for a in q.parts], raws) == [], q.statement.en
        for lang in ("en", "zh"):
            _, verdicts = Q.mark(q, q.accepted_in(lang))
            assert all(v.correct for v in verdicts), (q.statement.en, q.accepted_in(lang))
        answers.add(q.accepted)
    assert len(answers) >= 60


def test_feature_maps_match_torch():
    """The feature-map answers against torch, built here: a conv then a max pool, shapes and parameters."""
    import torch

    for seed in range(15):
        q = P.section_question("feature-maps", P.section_rng(seed, "feature-maps"), 1, seed)
        text = q.statement.en
        c, n = map(int, re.search(r"A (\d+)×(\d+)×\d+ image", text).groups())
        f, k, s, p = map(int, re.search(r"with (\d+) kernels of (\d+)×\d+, stride (\d+), padding (\d+)", text).groups())
        pk, ps = map(int, re.search(r"then a (\d+)×\d+ max pooling layer with stride (\d+)", text).groups())
        conv = torch.nn.Conv2d(c, f, k, stride=s, padding=p)
        x = torch.zeros(1, c, n, n)
        y = conv(x)
        z = torch.nn.MaxPool2d(pk, ps)(y)
        expected = [
            "×".join(map(str, y.shape[1:])),
            "×".join(map(str, z.shape[1:])),
            str(sum(t.numel() for t in conv.parameters())),
        ]
        assert [a.accepted() for a in q.parts] == expected, text


# --- sitting it: every part graded ---------------------------------------------------------------


def _answers(data, wrong=()):
    """One line per question: the key for computed ones (a wrong number in the parts named in
    `wrong`), own words for concept ones."""
    lines = []
    for q in data["questions"]:
        if q["kind"] == "computed":
            values = [("1" if (q["number"], i) in wrong else p["answer"]) for i, p in enumerate(q["parts"])]
            lines.append("; ".join(values))
        else:
            lines.append("my answer in my own words")
    return lines


def test_a_scripted_exam_grades_every_part(cli, db, monkeypatch):
    data = _paper(cli, 3)
    wrong = {(4, 1), (6, 0), (6, 3), (7, 1)}
    concept = [q for q in data["questions"] if q["kind"] == "short"]
    marks = ["1"] + ["y"] * (len(concept) - 2) + ["n"]  # first: key point 1 only; last: none
    code, result, err = _sit(cli, monkeypatch, _answers(data, wrong) + [":submit"] + marks, "--seed", "3")
    assert code == 0, err[-2000:]
    assert result["dlcalc"] == 1 and result["kind"] == "exam-result" and result["answered"] == 11
    expected = Fraction(0)
    for q, got in zip(data["questions"], result["questions"]):
        assert got["number"] == q["number"] and got["points"] == q["points"]
        if q["kind"] == "computed":
            flags = [p["correct"] for p in got["parts"]]
            assert flags == [(q["number"], i) not in wrong for i in range(len(q["parts"]))]
            expected += sum(Fraction(q["points"], len(flags)) for ok in flags if ok)
        else:
            n = len(q["key_points"])
            covered = 1 if got["number"] == concept[0]["number"] else 0 if got["number"] == concept[-1]["number"] else n
            assert [p["correct"] for p in got["parts"]] == [i < covered for i in range(n)]
            expected += Fraction(q["points"] * covered, n)
    assert abs(result["score"] - float(expected)) < 1e-9 and result["total"] == 100
    assert "Worked solution" in err and "Score: " in err
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM attempts WHERE quiz = ?", (result["exam"],)).fetchone() == (11,)
    assert con.execute("SELECT handed_in IS NOT NULL, score FROM exams").fetchone() == (1, result["score"])
    items = {row[0] for row in con.execute("SELECT item FROM schedule")}
    assert {"exam:perceptron", "exam:feature-maps", "exam:backprop", "exam:rnn"} <= items


def test_moving_around_and_changing_answers(cli, db, monkeypatch):
    data = _paper(cli, 3)
    rnn = data["questions"][6]
    key = "; ".join(p["answer"] for p in rnn["parts"])
    lines = [
        ":7", "1, 2",  # unreadable (too few numbers): it stays on question 7 …
        re.sub(r"-?\d+\.\d+", "0", key),  # … a wrong answer, read: on to 8 …
        ":n", ":p", ":p", key,  # … on to 9, back to 8 and 7, and changed
        ":1", "dendrites", ":1", ":clear",  # answered, then erased
        ":3", "alpha", ":3", ":+ beta",  # answered, then added to
        ":2", "batch", ":l", ":t", ":h", ":bogus", ":99",
        ":submit", "y", "y",
    ]  # fmt: skip
    code, result, err = _sit(cli, monkeypatch, lines, "--seed", "3")
    assert code == 0, err[-2000:]
    by_number = {q["number"]: q for q in result["questions"]}
    assert by_number[7]["answer"] == key and all(p["correct"] for p in by_number[7]["parts"])
    assert by_number[2]["answer"] == "batch" and by_number[1]["answer"] == ""  # :clear erased question 1
    assert by_number[3]["answer"] == "alpha beta" and result["answered"] == 3
    assert "Unknown command" in err and "There is no question 99" in err and "left of 120 minutes" in err
    assert "cannot be read as it stands" in err


def test_time_up_hands_the_paper_in():
    from rich.console import Console

    from dlcalc.exam.sitting import Sitting, sit

    now = [0.0]
    sheet = P.build_paper(3, minutes=2)
    sitting = Sitting(sheet, "x", "en", now=lambda: now[0])
    out = io.StringIO()
    lines = iter(["first", "second", "third", "fourth"])

    def read(prompt):  # each answer takes the student a minute
        now[0] += 60
        return next(lines, None)

    outcome = sit(sitting, Console(file=out, width=100), read, False)
    assert outcome == "timeout" and "Time is up" in out.getvalue()
    assert sitting.answers == {1: "first", 2: "second"}  # two minutes: the third answer was never asked for


# --- the history never loses an answer -----------------------------------------------------------


def _spawn(db, *args, lang="en"):
    env = dict(os.environ, DLCALC_DB=str(db), PYTHONUNBUFFERED="1", COLUMNS="100")
    return subprocess.Popen(
        [sys.executable, "-m", "dlcalc", "exam", *args, "--lang", lang],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )


def _wait_for(proc, needle, count, seen=b"", timeout=120):
    end = time.time() + timeout
    while seen.count(needle) < count and time.time() < end:
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        seen += chunk
    return seen


def test_a_killed_exam_keeps_every_answer_and_resumes(cli, db, monkeypatch):
    data = _paper(cli, 9)
    lines = _answers(data)
    proc = _spawn(db, "--seed", "9")
    for line in lines[:4]:
        proc.stdin.write(line.encode() + b"\n")
    proc.stdin.flush()
    seen = _wait_for(proc, "✓ saved".encode(), 4)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert seen.count("✓ saved".encode()) == 4, seen.decode(errors="replace")[-1500:]
    con = sqlite3.connect(db)
    rows = con.execute("SELECT position, answer FROM exam_answers ORDER BY position").fetchall()
    assert rows == [(i + 1, line) for i, line in enumerate(lines[:4])]  # every answer given, as typed
    assert con.execute("SELECT handed_in FROM exams").fetchall() == [(None,)]
    con.close()
    code, result, err = _sit(cli, monkeypatch, lines[4:] + [":submit", "y", "y", "y", "y", "y", "y", "y"], "--resume")
    assert code == 0, err[-2000:]
    assert "Resuming exam" in err and "4 of 11 answered" in err
    assert [q["answer"] for q in result["questions"]] == lines and result["seed"] == 9
    computed = [q for q in result["questions"] if q["kind"] == "computed"]
    assert all(p["correct"] for q in computed for p in q["parts"])
    code, _, err = cli("exam", "--resume")
    assert code == 2 and "no unfinished exam" in err and err.count("\n") == 1


def test_two_exams_at_once_do_not_corrupt_each_other(cli, db):
    History(db).close()
    papers = {seed: _answers(_paper(cli, seed)) for seed in (21, 22)}
    procs = {seed: _spawn(db, "--seed", str(seed), "--json") for seed in papers}
    for seed, proc in procs.items():  # interleaved: each writes while the other does
        for line in papers[seed]:
            proc.stdin.write(line.encode() + b"\n")
        proc.stdin.write(b":submit\n")
        proc.stdin.flush()
    outputs = {}
    for seed, proc in procs.items():
        out, _ = proc.communicate(b"", timeout=180)
        assert proc.returncode == 0, out.decode(errors="replace")[-1500:]
        outputs[seed] = out.decode()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    exams = con.execute("SELECT id, seed FROM exams WHERE handed_in IS NOT NULL ORDER BY seed").fetchall()
    assert [s for _, s in exams] == [21, 22]
    for exam, seed in exams:
        answers = con.execute("SELECT answer FROM exam_answers WHERE exam = ? ORDER BY position", (exam,)).fetchall()
        assert [a for (a,) in answers] == papers[seed]
        attempts = con.execute("SELECT answer FROM attempts WHERE quiz = ? ORDER BY id", (exam,)).fetchall()
        assert [a for (a,) in attempts] == papers[seed]


def test_an_old_history_is_upgraded_in_place_with_a_backup(cli, monkeypatch, tmp_path):
    from test_quiz import V2_SCHEMA

    old = tmp_path / "old.sqlite3"
    con = sqlite3.connect(old)
    con.executescript(V2_SCHEMA)
    dump = list(con.iterdump())
    con.close()
    code, result, err = _sit(cli, monkeypatch, [":submit"], "--seed", "1", "--db", str(old))
    assert code == 0 and "copied to" in err, err[-1000:]
    assert list(sqlite3.connect(tmp_path / "old.sqlite3.v2-backup").iterdump()) == dump
    con = sqlite3.connect(old)
    assert con.execute("SELECT COUNT(*) FROM attempts").fetchone() == (6 + 11,)  # the old answers, then the exam's


# --- printing it -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang, engine", [("en", "pdflatex"), ("zh", "xelatex")])
def test_the_printed_paper_compiles_cleanly(cli, tmp_path, lang, engine):
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed")
    pdf, tex = tmp_path / "final.pdf", tmp_path / "final.tex"
    code, out, err = cli("exam", "--seed", "4", "--lang", lang, "--pdf", str(pdf), "--tex", str(tex))
    assert code == 0, err
    assert pdf.read_bytes()[:5] == b"%PDF-" and (tmp_path / "final-key.pdf").read_bytes()[:5] == b"%PDF-"
    for name in ("final", "final-key"):
        run = subprocess.run(
            [engine, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout[-2000:]
        log = (tmp_path / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        assert "Overfull \\hbox" not in log, re.findall(r"Overfull \\hbox.*\n.*\n", log)[:3]
        assert "Missing character" not in log, re.findall(r"Missing character.*", log)[:3]
        if name == "final-key":
            assert "\\begin{align*}" in (tmp_path / f"{name}.tex").read_text(encoding="utf-8")  # math as math
    assert "wrote" in err or "已写入" in err


def test_pdf_without_a_tex_engine_is_one_clear_line(cli, tmp_path, monkeypatch):
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name.endswith("latex") else real(name, *a, **k))
    for lang, engine in (("en", "pdflatex"), ("zh", "xelatex")):
        code, out, err = cli("exam", "--seed", "1", "--pdf", str(tmp_path / "x.pdf"), "--lang", lang)
        assert code == 2 and err.count("\n") == 1 and engine in err and "--tex" in err
        assert not (tmp_path / "x.pdf").exists()
    code, out, err = cli("exam", "--seed", "1", "--tex", str(tmp_path / "x.tex"))
    assert code == 0 and (tmp_path / "x-key.tex").exists()


def test_bad_options_are_one_line(cli, db):
    for args in (["--minutes", "-5"], ["--key"], ["--resume", "--seed", "3"]):
        code, out, err = cli("exam", *args)
        assert code == 2 and err.count("\n") == 1, (args, err)
    code, out, err = cli("exam", "--minutes", "-5", "--lang", "zh")
    assert "--minutes：" in err


def test_review_brings_back_exam_questions(cli, db, monkeypatch):
    """An exam question answered wrong is an SM-2 item (exam:<section>) that quiz review asks again."""
    from datetime import datetime, timedelta, timezone

    q = P.section_question("rnn", P.section_rng(1, "rnn"), 7, 1)
    history = History(db)
    history.record("x", q, "0; 0", [type(v)(v.key, v.label, "0", v.accepted, False) for v in Q.mark(q, "0; 0")[1]],
                   at=datetime.now(timezone.utc) - timedelta(days=2))  # fmt: skip
    history.close()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, out, err = cli("quiz", "review", "--n", "1", "--seed", "2")
    assert code == 0 and "RNN forward pass" in out and "h_1, h_2" in out, out[-1500:]


def test_interactive_exam_in_a_terminal(tmp_path):
    """The real command in a pseudo-terminal: answer, move on, stop (:q), then resume and hand in."""
    t = Terminal(["exam", "--seed", "2"], tmp_path, columns=80)
    assert t.wait_for("answer or :command")
    t.type("the soma sums inputs\n")
    assert t.wait_for("✓ saved") and t.wait_for("Question 2/11")
    t.type(":q\n")
    assert t.wait_for("dlcalc exam --resume")
    assert t.close() == 0
    t = Terminal(["exam", "--resume", "--lang", "zh"], tmp_path, columns=80)
    assert t.wait_for("继续考试") and t.wait_for("第 2/11 题")
    t.type(":submit\n")
    assert t.wait_for("仍要交卷吗")
    t.type("y\n")
    assert t.wait_for("你的回答覆盖了哪些要点")
    t.type("1\n")
    assert t.wait_for("得分：")
    assert t.close() == 0
