"""quiz: seeded and reproducible, every part graded, answers read generously and never lost, a
history that refuses what it cannot trust, exports that stay text, a terminal session as a student
types it."""

import io
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter

import pytest
from rich.console import Console
from terminal import Terminal

from dlcalc.bank import find, load_bank
from dlcalc.bank.parts import lookup, statement_problems
from dlcalc.quiz import questions as Q
from dlcalc.quiz.history import SCHEMA_VERSION, History, HistoryError
from dlcalc.quiz.session import Session, build, summary, take
from dlcalc.quiz.templates import TEMPLATES

BANK = load_bank()


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "history.sqlite3"
    monkeypatch.setenv("DLCALC_DB", str(path))
    return path


def _export(cli, *args):
    code, out, err = cli("quiz", *args, "--export", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["dlcalc"] == 1 and data["kind"] == "quiz-export"
    return data["questions"]


def _seed_for(topic, wanted):
    """A seed whose one-question quiz of `topic` draws the bank problem `wanted`."""
    for seed in range(2000):
        if build([topic], 1, seed=seed)[0].id == wanted:
            return seed
    raise AssertionError(wanted)


def _problem(problem_id):
    return Q.from_problem(find(BANK, problem_id))


def _scripted(cli, monkeypatch, lines, *args):
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in lines)))
    code, out, err = cli("quiz", *args, "--json")
    return code, (json.loads(out) if out.strip() else None), err


# --- reproducible quizzes and scripted answering ----------------------------------------------


def test_same_seed_same_quiz(cli, db):
    a = _export(cli, "--seed", "5", "--n", "12")
    b = _export(cli, "--seed", "5", "--n", "12")
    c = _export(cli, "--seed", "6", "--n", "12")
    assert a == b and a != c
    assert {q["topic"] for q in _export(cli, "--seed", "1", "--n", "6", "--topic", "lstm")} == {"lstm"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scripted_quiz_with_accepted_answers_scores_full(cli, db, monkeypatch, lang):
    exported = _export(cli, "--seed", "21", "--n", "12", "--lang", lang)
    lines = [q["answer"] if q["kind"] != "short" else "my own words" for q in exported]
    code, data, err = _scripted(cli, monkeypatch, lines, "--seed", "21", "--n", "12", "--lang", lang)
    parts = sum(len(q.get("parts", [None])) for q in exported if q["kind"] != "short")
    assert code == 0 and data["answered"] == 12 and not data["interrupted"]
    assert data["score"] == data["total"] == parts  # the score counts parts
    assert ("1/12" in err) and (("Your answer" in err) if lang == "en" else ("你的答案" in err))


def test_wrong_answers_show_the_worked_solution(cli, db, monkeypatch):
    seed = next(s for s in range(500) if build(["conv"], 1, seed=s)[0].source == "generated")
    code, data, err = _scripted(cli, monkeypatch, ["1x1x1"] * 2, "--seed", str(seed), "--n", "1", "--topic", "conv")
    assert code == 0 and data["score"] == 0 and data["results"][0]["correct"] is False
    assert "Derivation" in err and "H_out" in err


# --- every part graded -------------------------------------------------------------------------


def test_net_mlp_mnist_grades_the_parameter_count_it_asks(cli, db, monkeypatch):
    """The issue's case: "how many parameters?" answered 203530 was marked wrong ("accepted is 10")."""
    seed = _seed_for("net", "net-mlp-mnist")
    for typed in ["203530", "203,530", "２０３５３０"]:
        code, data, err = _scripted(cli, monkeypatch, [typed], "--seed", str(seed), "--n", "1", "--topic", "net")
        assert code == 0 and data["results"][0]["correct"] is True and data["score"] == 1, (typed, err)


@pytest.mark.parametrize(
    "problem_id, typed, verdicts",
    [
        ("conv-non-square", "4x18x13, 184", [True, True]),
        ("conv-non-square", "4x18x13; 200", [True, False]),
        ("conv-non-square", "C=4, H=18, W=13; parameter count = 184", [True, True]),
        ("conv-non-square", "params: 184, output shape: 4×18×13", [True, True]),
        ("conv-non-square", "4×18×13，１８４", [True, True]),
        ("pool-alexnet-pool1", "96x27x27, 0", [True, True]),
        ("loss-bce-logits", "0.0878; -0.0237, 0.0596", [True, True]),
        ("loss-bce-logits", "loss = 0.0878, gradient = -0.0237, 0.0600", [True, False]),
        ("metrics-from-counts", "4/5, 2/3, 8/11, 0.7", [True, True, True, True]),
        ("metrics-from-counts", "precision=0.8 recall=0.6667 F1=0.7273 accuracy=0.7", [True, True, True, True]),
        ("metrics-from-counts", "0.8, 0.67, 0.7273, 0.7", [True, False, True, True]),
        ("rnn-scalar-three-steps", "h1=0.4621, h2=0.7803, h3=0.9183", [True]),
        ("rnn-scalar-three-steps", "h_1 = 0．4621，h_2 = 0．7803，h_3 = 0．9183", [True]),
        ("grad-polynomial-loss", "2w + 3; 7", [True, True]),
        ("grad-polynomial-loss", "dL/dw = 3 + 2*w, gradient = 7", [True, True]),
        ("grad-polynomial-loss", "2w; 7", [False, True]),
        ("grad-sigmoid-at-zero", "σ(z)(1 − σ(z)); 0.25", [True, True]),
        ("grad-sigmoid-at-zero", "derivative = exp(-z)/(1+exp(-z))^2, σ'(0) = 1/4", [True, True]),
        ("grad-tanh-chain", "2 - 2tanh(2x)²; 0.8399", [True, True]),
        ("perceptron-lihang-2-1", "w = (1, 1), b = -3, updates = 7", [True, True, True]),
        ("perceptron-lihang-2-1", "w1=1, w2=1; b=－3; 7", [True, True, True]),
        ("perceptron-xor", "no", [True]),
        ("perceptron-xor", "不收敛", [True]),
    ],
)
def test_each_part_is_graded(problem_id, typed, verdicts):
    reading, got = Q.mark(_problem(problem_id), typed)
    assert reading.problem is None, reading.problem
    assert [v.correct for v in got] == verdicts


def test_items_can_be_labelled_when_a_part_declares_them():
    """The perceptron template declares items w1, w2: `w1=…, w2=…` fills the weights one number each
    (they were read as the whole part, "expected 2 numbers, found 1")."""
    import random

    for seed in range(30):
        q = Q.generate("perceptron", random.Random(seed), 2, 0, seed)
        (w1, w2), b = q.parts[0].expected, q.parts[1].expected[0]
        for typed in (f"w1={w1}, w2={w2}; b={b}", f"w2 = {w2}, w1 = {w1}, b = {b}", f"b={b}; w1={w1}; w2={w2}"):
            reading, verdicts = Q.mark(q, typed)
            assert reading.problem is None and all(v.correct for v in verdicts), (typed, reading.problem)
        _, verdicts = Q.mark(q, f"w1={w1 + 1}, w2={w2}; b={b}")
        assert [v.correct for v in verdicts] == [False, True]


def test_an_expression_that_cannot_be_read_is_asked_again():
    reading, verdicts = Q.mark(_problem("grad-polynomial-loss"), "2w +* 3; 7")
    assert reading.problem is not None and "cannot read" in reading.problem.en


def test_prompt_names_every_part_and_feedback_marks_each(cli, db, monkeypatch):
    seed = _seed_for("conv", "conv-non-square")
    code, data, err = _scripted(cli, monkeypatch, ["4x18x13; 200"], "--seed", str(seed), "--n", "1", "--topic", "conv")
    assert code == 0 and "output shape (C×H×W); parameter count" in err
    assert "✓ output shape" in err and "✗ parameter count — an accepted answer is 184" in err and "1/2 parts" in err
    assert data["score"] == 1 and data["total"] == 2
    assert [p["correct"] for p in data["results"][0]["parts"]] == [True, False]
    rows = sqlite3.connect(db).execute("SELECT key, answer, expected, correct FROM parts ORDER BY position").fetchall()
    assert rows == [("output_shape", "4, 18, 13", "4×18×13", 1), ("params", "200", "184", 0)]


def test_tolerance_follows_the_statement():
    q = _problem("rnn-scalar-three-steps")  # "(to 4 decimals)": 0.4621, 0.7803, 0.9183
    assert Q.grade(q, "0.4621, 0.7803, 0.9183") and Q.grade(q, "0.46212, 0.78033, 0.91829")
    assert not Q.grade(q, "0.46, 0.78, 0.92")  # rounds elsewhere at 4 decimals
    assert not Q.grade(q, "0.4622, 0.7803, 0.9183")


@pytest.mark.parametrize("text", ["25x13x13", "25×13×13", "(25, 13, 13)", "25 * 13 * 13", "[25,13,13]", " 25X13X13 "])
def test_shape_forms(text):
    q = _problem("pool-notes-first")  # 25×13×13, and 0 parameters
    _, verdicts = Q.mark(q, text + ", 0")
    assert verdicts[0].correct is True


# --- answers are read generously, and nothing typed ends the quiz -----------------------------


def test_unreadable_answers_are_asked_again_once(cli, db, monkeypatch):
    seed = _seed_for("conv", "conv-non-square")
    code, data, err = _scripted(
        cli, monkeypatch, ["", "4x18x13, 184"], "--seed", str(seed), "--n", "1", "--topic", "conv"
    )
    assert code == 0 and data["score"] == 2 and "the answer is empty" in err and "answer again" in err
    code, data, err = _scripted(
        cli, monkeypatch, ["4x18x13", "4x18x13, 184"], "--seed", str(seed), "--n", "1", "--topic", "conv"
    )
    assert code == 0 and data["score"] == 2 and "expected 4 numbers in all, found 3" in err
    code, data, err = _scripted(cli, monkeypatch, ["x=1", "???"], "--seed", str(seed), "--n", "1", "--topic", "conv")
    assert code == 0 and data["score"] == 0 and "unknown label 'x'" in err and data["answered"] == 1


HOSTILE = ["[/x]", "[/]", "[bold red]96[/]", "1e400", "1e999999999", "9" * 5000, "\x00", "]]]][[[", "🙂", "=", ":;,"]


def test_nothing_typed_ends_the_quiz(cli, db, monkeypatch):
    n = len(HOSTILE)
    code, data, err = _scripted(cli, monkeypatch, [x for h in HOSTILE for x in (h, h)], "--seed", "3", "--n", str(n))
    assert code == 0, err
    assert data["answered"] == n and not data["interrupted"] and "internal error" not in err
    for h in ["[/x]", "[/]", "[bold red]96[/]"]:
        assert h in err  # echoed as typed, never read as markup
    assert History(db, readonly=True).stats()["total_attempts"] == n


def test_bytes_that_are_not_utf8_are_an_answer(tmp_path):
    env = dict(os.environ, DLCALC_DB=str(tmp_path / "h.db"))
    run = subprocess.run(
        [sys.executable, "-m", "dlcalc", "quiz", "--seed", "3", "--n", "2", "--json"],
        input=b"\xff\xfe\x80 96\n\xc3\x28\n\xff\n\x80\n",
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")
    assert json.loads(run.stdout)["answered"] == 2 and b"internal error" not in run.stderr


def test_answer_is_saved_before_the_verdict_is_shown(db):
    """A kill at the moment the ✓/✗ appears keeps the answer: the write comes first."""
    from rich.panel import Panel

    qs = build(["conv", "metrics"], 6, seed=9)
    history = History(db)
    events, shown = [], []

    class Watching(Console):
        def print(self, *objects, **kwargs):
            shown.extend(o for o in objects if isinstance(o, Panel) and "/6" in str(o.title))
            text = " ".join(str(o) for o in objects)
            if "✓" in text or "✗" in text:
                events.append((len(shown), History(db, readonly=True).stats()["total_attempts"]))
            return super().print(*objects, **kwargs)

    answers = iter([x for i, q in enumerate(qs) for x in ([q.accepted] if i % 2 else ["1, 2, 3, 4, 5, 6"] * 2)])
    take(
        Session(qs),
        Watching(file=io.StringIO()),
        lambda p: next(answers, None),
        False,
        lambda q, a, v: history.record("x", q, a, v),
    )
    assert len(events) >= 6 and {asked for asked, _ in events} == {1, 2, 3, 4, 5, 6}
    assert all(saved == asked for asked, saved in events), events


def test_a_killed_quiz_keeps_the_answer_just_typed(tmp_path):
    path = tmp_path / "h.db"
    env = dict(os.environ, DLCALC_DB=str(path), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlcalc", "quiz", "--seed", "2", "--n", "5", "--topic", "pool"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    proc.stdin.write(b"1x1x1\n")
    proc.stdin.flush()
    seen = b""
    deadline = time.time() + 60
    while b"\xe2\x9c\x97" not in seen and time.time() < deadline:  # ✗
        seen += os.read(proc.stdout.fileno(), 4096)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert b"\xe2\x9c\x97" in seen
    assert sqlite3.connect(path).execute("SELECT answer FROM attempts").fetchall() == [("1x1x1",)]


def test_ctrl_c_keeps_answers(db):
    qs = build(["conv"], 3, seed=9)
    history = History(db)
    calls = iter([qs[0].accepted, KeyboardInterrupt])

    def read(prompt):
        item = next(calls)
        if item is KeyboardInterrupt:
            raise KeyboardInterrupt
        return item

    out = io.StringIO()
    session = take(Session(qs), Console(file=out), read, False, lambda q, a, v: history.record("x", q, a, v))
    assert session.interrupted and len(session.outcomes) == 1
    assert history.stats()["total_attempts"] == 1
    assert "\nQuiz stopped" in out.getvalue()  # on a line of its own, not after the prompt


def test_end_of_input_keeps_answers(cli, db, monkeypatch):
    code, data, err = _scripted(cli, monkeypatch, ["1", "1", "2", "2"], "--seed", "4", "--n", "6")
    assert code == 0 and data["interrupted"] and data["answered"] == 2
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 2


# --- the history never loses an answer ---------------------------------------------------------


def _fill_up(monkeypatch, after=0):
    """A history whose file cannot grow (SQLite's max_page_count: writes fail with SQLITE_FULL)."""
    original = History.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if not self.readonly:
            pages = self.db.execute("PRAGMA page_count").fetchone()[0]
            self.db.execute(f"PRAGMA max_page_count = {pages + after}")

    monkeypatch.setattr(History, "__init__", init)


def test_disk_full_is_said_and_the_quiz_goes_on_in_memory(cli, db, monkeypatch):
    exported = _export(cli, "--seed", "8", "--n", "40", "--topic", "conv")
    _fill_up(monkeypatch)
    code, data, err = _scripted(
        cli, monkeypatch, [q["answer"] for q in exported], "--seed", "8", "--n", "40", "--topic", "conv"
    )
    saved = sqlite3.connect(db).execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    assert code == 2 and "could not save: disk full" in err and "rollback" not in err.lower(), err[-2000:]
    assert data["answered"] == 40 and data["score"] == data["total"]  # every question asked, every answer kept
    assert data["unsaved"] >= 1 and saved + data["unsaved"] == 40  # each answer saved, or said unsaved
    assert [r["answer"] for r in data["results"]] == [q["answer"] for q in exported]
    assert (
        f"could not save {data['unsaved']} answer(s) to the history (disk full); they are in the JSON on stdout" in err
    )
    first = err.index("could not save: disk full")
    asked = err.rindex("Your answer", 0, first)
    assert "✓" not in err[asked:first] and "✗" not in err[asked:first]  # said before its verdict
    assert "✓" in err[first : err.index("Your answer", first)]


def test_disk_full_without_json_prints_the_session(cli, db, monkeypatch):
    _fill_up(monkeypatch)
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\n" * 80))
    code, out, err = cli("quiz", "--seed", "8", "--n", "40", "--topic", "conv")
    assert code == 2 and "disk full" in out and "they are in the JSON above" in err
    data = json.loads(out[out.index("\n{\n") :])
    assert len(data["results"]) == 40 and data["unsaved"] >= 1


def test_two_quizzes_at_once_lose_nothing(db, tmp_path):
    exported = tmp_path / "q.json"
    env = dict(os.environ, DLCALC_DB=str(db))
    base = [sys.executable, "-m", "dlcalc", "quiz", "--seed", "2", "--n", "15", "--topic", "conv"]
    subprocess.run([*base, "--export", "json", "--out", str(exported)], check=True, env=env)
    answers = "\n".join(q["answer"] for q in json.loads(exported.read_text())["questions"]) + "\n"
    procs = [
        subprocess.Popen(
            [*base, "--json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    results = [p.communicate(answers, timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    assert all(json.loads(out)["score"] == json.loads(out)["total"] for out, _ in results)
    assert History(db).stats()["total_attempts"] == 30


def test_threads_sharing_a_database(db):
    qs = build(["conv", "pool"], 20, seed=2)
    errors = []

    def run(name):
        try:
            h = History(db)
            for q in qs:
                h.record(name, q, q.accepted, True)
            h.close()
        except Exception as e:  # surfaced below: a lost write must fail the test
            errors.append(e)

    threads = [threading.Thread(target=run, args=(f"quiz{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and History(db).stats()["total_attempts"] == 80


def test_stats_never_creates_a_database(cli, tmp_path):
    typo = tmp_path / "typo.sqlite3"
    code, out, err = cli("quiz", "stats", "--db", str(typo))
    assert code == 2 and str(typo) in err and err.count("\n") == 1 and not typo.exists()
    code, out, err = cli("quiz", "stats", "--db", str(typo), "--lang", "zh")
    assert code == 2 and "没有历史记录" in err and not typo.exists()
    code, out, err = cli("quiz", "--review", "--export", "json", "--db", str(typo))
    assert code == 2 and not typo.exists()


def test_stats_on_a_read_only_history(cli, db, monkeypatch, tmp_path):
    """Opened read-only: no journal switch, no table created, not a byte written (the folder and the
    file are read-only too, which stops everyone but root)."""
    _scripted(cli, monkeypatch, ["x"] * 6, "--seed", "1", "--n", "3", "--topic", "pool")
    folder = tmp_path / "ro"
    folder.mkdir()
    copy = folder / "h.sqlite3"
    con = sqlite3.connect(db)
    con.execute("VACUUM INTO ?", (str(copy),))  # a plain rollback-journal copy, as an older tool leaves it
    con.close()
    before = copy.read_bytes()
    assert before[18:20] == b"\x01\x01"  # not WAL
    copy.chmod(0o444)
    folder.chmod(0o555)
    try:
        code, out, err = cli("quiz", "stats", "--db", str(copy), "--json")
        assert code == 0, err
        assert json.loads(out)["total_attempts"] == 3
        assert copy.read_bytes() == before  # still not WAL, nothing created
        assert sorted(p.name for p in folder.iterdir()) == ["h.sqlite3"]
    finally:
        folder.chmod(0o755)


def test_stats_json(cli, db, monkeypatch):
    _scripted(cli, monkeypatch, ["x"] * 6, "--seed", "1", "--n", "3", "--topic", "pool")
    code, out, err = cli("quiz", "stats", "--json")
    data = json.loads(out)
    assert code == 0 and data["total_attempts"] == 3 and data["by_topic"][0]["topic"] == "pool"
    assert data["weakest"] == ["pool"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stats_print_stored_text_as_text(cli, tmp_path, lang):
    folder = tmp_path / "[bold red]x[red]"
    folder.mkdir()
    path = folder / "h.sqlite3"
    History(path).close()
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO attempts (at, quiz, question, item, topic, source, answer, expected, correct, right_parts, "
        "graded_parts) VALUES ('2024-01-01T00:00:00', 'q', 'x', 'x', '[/x]', 'bank', 'a', 'b', 0, 0, 1)"
    )
    con.commit()
    con.close()
    code, out, err = cli("quiz", "stats", "--db", str(path), "--lang", lang)
    assert code == 0, err
    flat = re.sub(r"[\s│]", "", out)  # a long path may wrap at any space, inside the panel's border
    assert "[/x]" in out and "[boldred]x[red]" in flat
    assert ("Parts right" in out if lang == "en" else "答对小问" in out) and "0/1 (0%)" in out


def _run_quiz(path, answers="1\n"):
    return subprocess.run(
        [sys.executable, "-m", "dlcalc", "quiz", "--seed", "1", "--n", "2", "--topic", "pool", "--db", str(path)],
        input=answers,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_history_from_a_newer_dlcalc_is_refused_untouched(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    History(newer).close()
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    before = newer.read_bytes()
    run = _run_quiz(newer)
    assert (
        run.returncode == 2 and f"version {SCHEMA_VERSION + 1}" in run.stderr and f"to {SCHEMA_VERSION}" in run.stderr
    )
    assert "1/2" not in run.stdout and newer.read_bytes() == before
    extra = tmp_path / "extra.sqlite3"
    History(extra).close()
    con = sqlite3.connect(extra)
    con.execute("ALTER TABLE attempts ADD COLUMN device TEXT NOT NULL DEFAULT 'x'")  # has a default: fine
    con.close()
    assert _run_quiz(extra).returncode == 0
    stricter = tmp_path / "stricter.sqlite3"
    con = sqlite3.connect(stricter)
    con.executescript(
        "CREATE TABLE attempts (id INTEGER PRIMARY KEY, at TEXT NOT NULL, quiz TEXT NOT NULL, question TEXT NOT NULL, "
        "item TEXT NOT NULL, topic TEXT NOT NULL, source TEXT NOT NULL, answer TEXT NOT NULL, expected TEXT NOT NULL, "
        "correct INTEGER, device TEXT NOT NULL); CREATE TABLE boxes (item TEXT PRIMARY KEY, topic TEXT NOT NULL, "
        "box INTEGER NOT NULL, due TEXT NOT NULL);"
    )
    con.close()
    before = stricter.read_bytes()
    run = _run_quiz(stricter)
    assert run.returncode == 2 and "device" in run.stderr and "newer dlcalc" in run.stderr
    assert stricter.read_bytes() == before


V1_SCHEMA = """
CREATE TABLE attempts (id INTEGER PRIMARY KEY, at TEXT NOT NULL, quiz TEXT NOT NULL, question TEXT NOT NULL,
    item TEXT NOT NULL, topic TEXT NOT NULL, source TEXT NOT NULL, answer TEXT NOT NULL, expected TEXT NOT NULL,
    correct INTEGER);
CREATE TABLE boxes (item TEXT PRIMARY KEY, topic TEXT NOT NULL, box INTEGER NOT NULL, due TEXT NOT NULL);
CREATE INDEX attempts_topic ON attempts (topic);
INSERT INTO attempts VALUES (1, '2024-05-01T10:00:00+00:00', 'q', 'conv-alexnet-conv1', 'conv-alexnet-conv1', 'conv',
    'bank', '96x55x55', '96×55×55', 1);
INSERT INTO boxes VALUES ('conv-alexnet-conv1', 'conv', 2, '2024-05-02T10:00:00+00:00');
"""


def test_an_older_history_is_migrated_after_a_backup(tmp_path, cli):
    old = tmp_path / "old.sqlite3"
    con = sqlite3.connect(old)
    con.executescript(V1_SCHEMA)
    dump = list(con.iterdump())
    con.close()
    before = old.read_bytes()
    code, out, err = cli("quiz", "stats", "--db", str(old), "--json")  # reading does not migrate
    assert code == 0 and json.loads(out)["total_attempts"] == 1 and old.read_bytes() == before
    run = _run_quiz(old, "1\n1\n2\n2\n")
    assert run.returncode == 0, run.stderr
    backup = tmp_path / "old.sqlite3.v1-backup"
    assert list(sqlite3.connect(backup).iterdump()) == dump and "copied to" in run.stdout
    con = sqlite3.connect(old)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("SELECT answer, correct FROM parts WHERE attempt = 1").fetchall() == [("96x55x55", 1)]
    assert con.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 3
    assert con.execute("SELECT box FROM boxes WHERE item = 'conv-alexnet-conv1'").fetchone() == (2,)


# --- SM-2: the schedule against the published formula ------------------------------------------
#
# Woźniak's SM-2 (1990), written out here on its own (exact decimals, no dlcalc code): after a
# response of quality q, EF' = EF + (0.1 - (5 - q)(0.08 + (5 - q)0.02)), at least 1.3; q < 3
# restarts the repetitions (I = 1); otherwise I(1) = 1, I(2) = 6, I(n) = I(n-1)·EF rounded up.


def _sm2_reference(qualities):
    """[(interval, repetitions, EF)] after each answer, each given on the day it is due."""
    from decimal import Decimal

    ef, interval, n, out = Decimal("2.5"), 0, 0, []
    for q in qualities:
        if q >= 3:
            if n == 0:
                interval = 1
            elif n == 1:
                interval = 6
            else:
                product = interval * ef
                interval = int(product) + (product != int(product))  # rounded up
            n += 1
        else:
            n, interval = 0, 1
        ef = max(Decimal("1.3"), ef + Decimal("0.1") - (5 - q) * (Decimal("0.08") + (5 - q) * Decimal("0.02")))
        out.append((interval, n, ef))
    return out


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.lists(st.integers(0, 5), min_size=1, max_size=14))
def test_sm2_intervals_follow_the_published_formula(qualities):
    from datetime import datetime, timedelta, timezone

    from dlcalc.quiz import sm2

    state, at = sm2.State(), datetime(2024, 1, 1, tzinfo=timezone.utc)
    for q, (interval, n, ef) in zip(qualities, _sm2_reference(qualities)):
        state = sm2.review(state, q, at)
        assert (state.interval, state.repetitions) == (min(interval, sm2.MAX_INTERVAL), n), qualities
        assert abs(state.ease - float(ef)) < 1e-12 and state.due == at + timedelta(days=state.interval)
        at = state.due  # the next answer comes on the day it is due


def test_sm2_known_sequence():
    """All perfect: 1, 6, then 6 × 2.7 = 16.2 → 17, 17 × 2.8 = 47.6 → 48 (EF, used before its own
    update, rises 0.1 an answer from 2.5)."""
    assert [i for i, _, _ in _sm2_reference([5, 5, 5, 5])] == [1, 6, 17, 48]
    from datetime import datetime, timezone

    from dlcalc.quiz import sm2

    state, at = sm2.State(), datetime(2024, 1, 1, tzinfo=timezone.utc)
    seen = []
    for _ in range(4):
        state = sm2.review(state, 5, at)
        seen.append(state.interval)
        at = state.due
    assert seen == [1, 6, 17, 48]


@pytest.mark.parametrize(
    "right, graded, answered, q",
    [
        (1, 1, True, 5),
        (0, 1, True, 1),
        (0, 1, False, 0),
        (3, 4, True, 4),
        (2, 4, True, 3),
        (1, 3, True, 2),
        (2, 3, True, 3),
        (1, 4, True, 1),
        (0, 4, True, 1),
        (4, 4, True, 5),
    ],
)
def test_quality_from_parts(right, graded, answered, q):
    """q = round-half-up(5·right/graded), at least 1 when something was answered, 0 when blank."""
    from dlcalc.quiz.sm2 import quality

    assert quality(right, graded, answered) == q


def test_history_schedules_by_sm2_and_cramming_earns_nothing(db):
    from datetime import datetime, timedelta, timezone

    (q,) = build(["conv"], 1, seed=1)
    history = History(db)
    start = datetime(2024, 3, 1, 9, tzinfo=timezone.utc)
    moments = [start, start + timedelta(days=1), start + timedelta(days=7)]
    for at in moments:
        history.record("x", q, q.accepted, True, at=at)
    history.record("x", q, q.accepted, True, at=moments[-1] + timedelta(hours=1))  # again, long before due
    ((topic, state),) = history.schedule().values()
    interval, n, ef = _sm2_reference([5, 5, 5])[-1]
    assert (state.interval, state.repetitions, state.ease) == (interval, n, float(ef)) and topic == q.topic
    assert state.due == moments[-1] + timedelta(days=interval)
    history.record("x", q, "1x1x1", False, at=moments[-1] + timedelta(hours=2))  # a lapse, even early, resets
    ((_, state),) = history.schedule().values()
    assert (state.interval, state.repetitions) == (1, 0)
    rows = sqlite3.connect(db).execute("SELECT quality FROM attempts ORDER BY id").fetchall()
    assert rows == [(5,), (5,), (5,), (5,), (1,)]


V2_SCHEMA = """
CREATE TABLE attempts (id INTEGER PRIMARY KEY, at TEXT NOT NULL, quiz TEXT NOT NULL, question TEXT NOT NULL,
    item TEXT NOT NULL, topic TEXT NOT NULL, source TEXT NOT NULL, answer TEXT NOT NULL, expected TEXT NOT NULL,
    correct INTEGER, statement TEXT, lang TEXT, right_parts INTEGER, graded_parts INTEGER);
CREATE TABLE parts (attempt INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE, position INTEGER NOT NULL,
    key TEXT NOT NULL, label TEXT NOT NULL, answer TEXT NOT NULL, expected TEXT NOT NULL, correct INTEGER,
    PRIMARY KEY (attempt, position));
CREATE TABLE boxes (item TEXT PRIMARY KEY, topic TEXT NOT NULL, box INTEGER NOT NULL, due TEXT NOT NULL);
CREATE INDEX attempts_topic ON attempts (topic);
INSERT INTO attempts VALUES (1, '2024-05-01T10:00:00+00:00', 'q', 'a', 'conv-alexnet-conv1', 'conv', 'bank',
    '96x55x55; 1', 'x', 0, 's', 'en', 1, 2);
INSERT INTO attempts VALUES (2, '2024-05-02T10:00:00+00:00', 'q', 'a', 'conv-alexnet-conv1', 'conv', 'bank',
    '96x55x55; 34944', 'x', 1, 's', 'en', 2, 2);
INSERT INTO attempts VALUES (3, '2024-05-09T10:00:00+00:00', 'q', 'a', 'conv-alexnet-conv1', 'conv', 'bank',
    '96x55x55; 34944', 'x', 1, 's', 'en', 2, 2);
INSERT INTO attempts VALUES (6, '2024-05-09T11:00:00+00:00', 'q', 'a', 'conv-alexnet-conv1', 'conv', 'bank',
    '96x55x55; 34944', 'x', 1, 's', 'en', 2, 2);
INSERT INTO attempts VALUES (4, '2024-05-03T11:00:00+00:00', 'q', 'g', 'template:activation', 'activation',
    'generated', '0.2', 'x', 0, 's', 'en', 0, 1);
INSERT INTO attempts VALUES (5, '2024-05-03T12:00:00+00:00', 'q', 'c', 'concept-dropout', 'concept', 'bank',
    'words', 'x', NULL, 's', 'en', 0, 0);
INSERT INTO boxes VALUES ('conv-alexnet-conv1', 'conv', 3, '2024-05-05T10:00:00+00:00');
INSERT INTO boxes VALUES ('template:activation', 'activation', 1, '2024-05-03T11:00:00+00:00');
INSERT INTO boxes VALUES ('pool-notes-first', 'pool', 4, '2024-05-20T10:00:00+00:00');
PRAGMA user_version = 2;
"""


def test_leitner_boxes_become_sm2_state_after_a_backup(tmp_path):
    from datetime import datetime, timedelta

    path = tmp_path / "v2.sqlite3"
    con = sqlite3.connect(path)
    con.executescript(V2_SCHEMA)
    dump = list(con.iterdump())
    con.close()
    history = History(path)
    assert any("copied to" in n.en for n in history.notices)
    assert list(sqlite3.connect(tmp_path / "v2.sqlite3.v2-backup").iterdump()) == dump
    schedule = history.schedule()
    # conv-alexnet-conv1: 1 of 2 parts (q = 3), then 2/2 on each due day (q = 5), replayed through
    # SM-2; the fourth answer, an hour after the third, came before it was due and changes nothing
    interval, n, ef = _sm2_reference([3, 5, 5])[-1]
    topic, state = schedule["conv-alexnet-conv1"]
    assert (state.interval, state.repetitions, state.ease) == (interval, n, float(ef))
    assert state.due == datetime.fromisoformat("2024-05-09T10:00:00+00:00") + timedelta(days=interval)
    # the renamed topic, one wrong answer: q = 1
    topic, state = schedule["template:act"]
    assert topic == "act" and (state.interval, state.repetitions) == (1, 0)
    # a box with no graded attempt: box 4 means 3 right in a row, SM-2's third interval at EF 2.5
    topic, state = schedule["pool-notes-first"]
    assert (state.repetitions, state.interval) == (3, 15) and state.due.day == 20  # the due date given is kept
    assert "concept-dropout" not in schedule  # never marked: nothing to schedule
    con = sqlite3.connect(path)
    assert con.execute("SELECT quality FROM attempts ORDER BY id").fetchall() == [(3,), (5,), (5,), (1,), (None,), (5,)]
    assert con.execute("SELECT DISTINCT topic FROM attempts WHERE id = 4").fetchone() == ("act",)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def _damage(path, how):
    History(path).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=DELETE")
    if how == "due":
        con.execute("INSERT INTO schedule VALUES ('x', 'conv', 2.5, 1, 0, 'soon', NULL, NULL)")
    elif how == "box":
        con.execute("INSERT INTO schedule VALUES ('x', 'conv', 'high', 1, 0, '2024-01-01', NULL, NULL)")
    elif how == "ease":
        con.execute("INSERT INTO schedule VALUES ('x', 'conv', 0.5, 1, 0, '2024-01-01', NULL, NULL)")
    elif how == "text":
        con.execute(
            "INSERT INTO attempts (at, quiz, question, item, topic, source, answer, expected) "
            "VALUES ('2024-01-01', 'q', 'x', 'x', 'conv', 'bank', CAST(X'FFFE80' AS TEXT), 'x')"
        )
    elif how == "at":
        con.execute(
            "INSERT INTO attempts (at, quiz, question, item, topic, source, answer, expected) "
            "VALUES ('yesterday', 'q', 'x', 'x', 'conv', 'bank', 'a', 'x')"
        )
    con.commit()
    con.close()
    if how == "pages":
        data = bytearray(path.read_bytes())
        data[4096 : 2 * 4096] = b"\xa5" * 4096  # scribble over the second page: "database disk image is malformed"
        path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["pages", "text", "due", "box", "ease", "at"])
def test_a_damaged_history_gets_one_line_before_question_one(tmp_path, how):
    path = tmp_path / "h.sqlite3"
    _damage(path, how)
    before = path.read_bytes()
    run = _run_quiz(path)
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert str(path) in run.stderr and "damaged" in run.stderr and "start afresh" in run.stderr
    assert "1/2" not in run.stdout and "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert path.read_bytes() == before  # never rewritten
    with pytest.raises(HistoryError):
        History(path, readonly=True)


def test_review_favours_what_was_wrong(db):
    history = History(db)
    for q in build(["lstm"], 5, seed=1):
        history.record("x", q, "0", False)
    for q in build(["conv"], 5, seed=1):
        history.record("x", q, q.accepted, True)
    plain = Counter(q.topic for q in build(["conv", "lstm"], 200, seed=8))
    review = Counter(q.topic for q in build(["conv", "lstm"], 200, seed=8, schedule=history.schedule()))
    # the two named topics are asked in turn (tests/test_quiz_topics.py); --review tilts the mix to the weak one
    assert plain["lstm"] == plain["conv"] == 100
    assert review["lstm"] > 1.5 * plain["lstm"] and review["lstm"] > 3 * review["conv"]


# --- templates, stress-tested like R/exams' stresstest_exercise ---------------------------------

SEEDS = {"grad": 300}  # sympy is slower; every other template draws 1000 times


@pytest.mark.parametrize("topic", sorted(TEMPLATES))
def test_template_stress(topic):
    import random

    from dlcalc.quiz.wellposed import numbers, well_posed

    answers = []
    rng = random.Random(topic)
    draws = SEEDS.get(topic, 1000)
    for i in range(draws):
        q = Q.generate(topic, rng, rng.choice([1, 2, 3]), i, 0)
        assert well_posed(q), (topic, q.statement.en)
        for lang in ("en", "zh"):
            assert Q.grade(q, q.accepted_in(lang)), (topic, q.accepted_in(lang))  # the key is graded right
        raws = [lookup(q.result.answer, a.part.key) for a in q.parts]
        assert statement_problems(q.statement, [a.part for a in q.parts], raws) == [], q.statement.en
        for text in (q.statement.en, q.statement.zh):  # written as a student writes it
            assert not re.search(r"[+−-]\s*[−-]\s*\d|\*|(?<![\d.])1\s*·|[−-]0\.0\b|(?<![\d.])\d+\.0\b", text), text
        if topic in ("conv", "pool", "net"):
            assert all(isinstance(v, int) and v > 0 for v in q.result.answer["output_shape"])
        answers.append(tuple(float(v) for v in numbers(q)))
    last = [a[-1] for a in answers]
    spread = (min(last), statistics.median(last), max(last), len(set(answers)))
    print(f"\n{topic}: {draws} drawn; last answer value min/median/max = {spread[:3]}; distinct answers = {spread[3]}")
    assert spread[3] >= 10  # the draws really vary


def test_generated_polynomials_read_as_written():
    from dlcalc.quiz.templates import terms

    assert terms([(1, "w²"), (-2, "w")]) == "w² − 2w"
    assert terms([(2, "w²"), (3, "w")], -1) == "2w² + 3w − 1"
    assert terms([(-1, "x"), (0.5, "h_t")]) == "−x + 0.5·h_t"


# --- exports -----------------------------------------------------------------------------------


def test_export_lists_every_part_of_the_answer_key(cli, db, tmp_path):
    seed = _seed_for("conv", "conv-non-square")
    data = _export(cli, "--seed", str(seed), "--n", "1", "--topic", "conv")
    assert data[0]["answer"] == "output shape = 4×18×13; parameter count = 184"
    assert [(p["key"], p["answer"]) for p in data[0]["parts"]] == [("output_shape", "4×18×13"), ("params", "184")]
    md = tmp_path / "sheet.md"
    code, _, err = cli("quiz", "--seed", str(seed), "--n", "1", "--topic", "conv", "--export", "md", "--out", str(md))
    text = md.read_text(encoding="utf-8")
    assert code == 0 and "- output shape: 4×18×13" in text and "- parameter count: 184" in text
    deck = tmp_path / "deck.apkg"
    code, _, err = cli(
        "quiz", "--seed", str(seed), "--n", "1", "--topic", "conv", "--export", "anki", "--out", str(deck)
    )
    assert code == 0
    with zipfile.ZipFile(deck) as z:
        z.extract("collection.anki2", tmp_path)
    (fields,) = sqlite3.connect(tmp_path / "collection.anki2").execute("SELECT flds FROM notes").fetchone()
    assert "output shape: 4×18×13" in fields and "parameter count: 184" in fields


def test_export_markdown_and_json(cli, db, tmp_path):
    out = tmp_path / "sheet.md"
    code, _, err = cli("quiz", "--seed", "2", "--n", "6", "--export", "md", "--out", str(out))
    text = out.read_text(encoding="utf-8")
    assert code == 0 and "## Answer key" in text and "## Worked solutions" in text
    data = _export(cli, "--seed", "2", "--n", "6")
    assert all({"id", "topic", "question", "answer"} <= set(q) for q in data)


HOSTILE_BANK = """
- id: hostile
  topic: concept
  kind: choice
  title: {zh: "<script>alert(1)</script>", en: "<script>alert(1)</script>"}
  statement:
    zh: "看 [这里](javascript:alert(1)) <img src=x onerror=alert(1)>\\n# 不是标题 **粗** `代码` $x$ [bold red]"
    en: "See [here](javascript:alert(1)) <img src=x onerror=alert(1)>\\n# not a heading **bold** `code` $x$ [bold red]"
  choices: {zh: ["<b>甲</b>", "[乙](javascript:x)"], en: ["<b>one</b>", "[two](javascript:x)"]}
  answer: A
  reference: {zh: "<script>x</script>\\n# 参考", en: "<script>x</script>\\n# reference"}
  key_points: {zh: ["<i>要点</i>", "\\n## 标题"], en: ["<i>point</i>", "\\n## heading"]}
  tags: [x]
  difficulty: 1
  source: made up
"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_export_keeps_bank_text_as_text(lang, tmp_path):
    from markdown_it import MarkdownIt

    from dlcalc.bank import load_file
    from dlcalc.quiz.export import to_markdown

    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE_BANK, encoding="utf-8")
    (problem,) = load_file(path)
    md = to_markdown([Q.from_problem(problem)], lang, 1)
    tokens = MarkdownIt("commonmark").parse(md)
    flat = [t for tok in tokens for t in [tok, *(tok.children or [])]]
    assert not [t for t in flat if t.type in ("html_block", "html_inline")]
    assert not [t for t in flat if t.type == "link_open"]
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert all(not h.startswith(("not a heading", "不是标题", "reference", "参考", "heading")) for h in headings), (
        headings
    )
    strong = [flat[i + 1].content for i, t in enumerate(flat) if t.type == "strong_open"]
    assert strong == ["[concept]"] and not [t for t in flat if t.type == "code_inline"]  # only our own markup
    assert "javascript:alert(1)" in MarkdownIt("commonmark").render(md)  # still there, as text


def test_latex_escaping_of_bank_text():
    from dlcalc.quiz.export import tex_text

    assert (
        tex_text("50% of $x & #1 {a} ~ ^ \\")
        == r"50\% of \$x \& \#1 \{a\} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )


def test_tex_export_sets_math_as_math():
    from dlcalc.quiz.export import tex_text

    assert tex_text("h_t = tanh(W x_t + U h_(t−1))") == "$h_t$ = tanh(W $x_t$ + U $h_{t-1}$)"
    assert tex_text("∂E/∂W2 and w² − 2w") == r"$\partial E/\partial W2$ and $w^{2}$ - 2w"
    assert tex_text("kernel_size=4") == r"kernel\_size=4"  # an identifier stays text


def _compile(tmp_path, cli, lang, engine, seed, n):
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed")
    tex = tmp_path / f"sheet-{lang}.tex"
    code, _, err = cli("quiz", "--seed", str(seed), "--n", str(n), "--lang", lang, "--export", "tex", "--out", str(tex))
    assert code == 0, err
    text = tex.read_text(encoding="utf-8")
    if text.startswith("% compile with xelatex"):  # an English sheet holding CJK text is made for xelatex
        assert lang == "zh" or re.search(r"[\u4e00-\u9fff]", text)
        engine = "xelatex"
    else:
        assert "[U+" not in text  # pdflatex: no character left as a code-point placeholder
    questions = text[: text.index(r"\section*{" + ("详细解答" if lang == "zh" else "Worked solutions"))]
    assert r"\texttt" not in questions  # no symbol falls back to a code font
    if lang == "zh":  # every math symbol in the questions and the key is set as math
        bare = re.sub(r"\$[^$]*\$|\\ensuremath\{(?:[^{}]|\{[^{}]*\})*\}", "", questions)
        assert not re.findall(r"[σ⊙∂√²³ᵀ½·←→≤≥≈ΣΦβγδεημρ]", bare)
    run = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / f"sheet-{lang}.pdf").exists()


def test_export_tex_compiles_with_pdflatex(cli, db, tmp_path):
    _compile(tmp_path, cli, "en", "pdflatex", 3, 40)


def test_export_tex_compiles_with_xelatex_in_chinese(cli, db, tmp_path):
    _compile(tmp_path, cli, "zh", "xelatex", 3, 40)


def test_export_anki(cli, db, tmp_path):
    deck = tmp_path / "deck.apkg"
    code, _, err = cli("quiz", "--seed", "2", "--n", "6", "--export", "anki", "--out", str(deck))
    assert code == 0
    with zipfile.ZipFile(deck) as z:
        names = z.namelist()
        assert "collection.anki2" in names
        z.extract("collection.anki2", tmp_path)
    con = sqlite3.connect(tmp_path / "collection.anki2")
    notes = con.execute("SELECT flds FROM notes").fetchall()
    quiz = [row for row in notes if row[0].count("\x1f") == 2]  # Question, Answer, Solution
    assert len(quiz) == 6
    assert any("\\(" in row[0] for row in quiz)  # MathJax delimiters in the worked solutions


def test_summary_counts_parts():
    q = _problem("conv-non-square")
    session = Session([q])
    from dlcalc.quiz.session import Outcome

    session.outcomes.append(Outcome(q, "4x18x13; 1", Q.mark(q, "4x18x13; 1")[1]))
    data = summary(session)
    assert (data["score"], data["total"], data["questions_right"]) == (1, 2, 0)


# --- in a terminal, as a student types ---------------------------------------------------------


def test_interactive_in_a_terminal(tmp_path):
    t = Terminal(["quiz", "--seed", "3", "--n", "2", "--topic", "pool"], tmp_path)
    assert t.wait_for("Your answer")
    t.type(b"\xff\xfe[/x]\n")  # bytes that are not UTF-8, and markup: read as text, never a crash
    assert t.wait_for("please answer again")
    t.type("1x1x1\n")
    assert t.wait_for("wrong")
    t.seen = t.seen.replace(b"Your answer", b"", 2)
    assert t.wait_for("Your answer")
    t.type("2x2x2\n")
    assert t.wait_for("Score")
    assert t.close() == 0


@pytest.mark.parametrize("lang, prompt, stopped", [("en", "[y/n/", "Quiz stopped"), ("zh", "[y/n/", "测验已停止")])
def test_self_marking_hint_is_visible_and_ctrl_c_ends_the_line(tmp_path, lang, prompt, stopped):
    seed = next(s for s in range(200) if build(["concept"], 1, seed=s)[0].kind == "short")
    t = Terminal(["quiz", "--seed", str(seed), "--n", "2", "--topic", "concept", "--lang", lang], tmp_path)
    assert t.wait_for("你的答案" if lang == "zh" else "Your answer")
    t.type("dendrites take input\n")
    assert t.wait_for(prompt), t.screen()[-500:]
    t.type("y\n")
    assert t.wait_for("2/2")
    t.seen = t.seen[t.seen.rindex(b"2/2") :]  # the first question's prompt must not count as the second's
    assert t.wait_for("你的答案" if lang == "zh" else "Your answer")
    assert t.interrupt(stopped), t.screen()[-800:]  # Ctrl-C at the prompt
    screen = t.screen().replace("\r", "")
    line = screen[screen.rindex(stopped) - 200 : screen.rindex(stopped)].split("\n")[-1]
    assert line.strip() == "", repr(line)  # the message starts on a line of its own
    assert t.close() == 0
    assert History(tmp_path / "h.db", readonly=True).stats()["total_attempts"] == 1


# --- concept answers: the key-point hint and self-marking by key point -----------------------------


@pytest.mark.parametrize(
    "problem_id, answer, expected",
    [
        (
            "concept-biological-neuron",
            "Dendrites take in the inputs; the soma adds them up and fires past a threshold; the axon carries "
            "the output on.",
            [True, True, True, False],
        ),
        (
            "concept-biological-neuron",
            "树突接收输入，细胞体整合信号、超过阈值就兴奋，轴突把输出传出去。",
            [True, True, True, False],
        ),
        ("concept-biological-neuron", "树突 receives input; 突触的强度 is the weight.", [True, False, False, True]),
        ("concept-biological-neuron", "Neurons are cells in the brain.", [False, False, False, False]),
        (
            "concept-lstm-vs-gru",
            "LSTM 有遗忘门、输入门、输出门三个门和单独的细胞状态；GRU 只有重置门和更新门，没有细胞状态，参数更少、更快。",
            [True, True, True, True],  # the glossary: the cell state is the LSTM's long-term memory
        ),
        ("concept-lstm-vs-gru", "LSTM is older than GRU.", [False, False, False, False]),
        (
            "concept-learning-paradigms",
            "Supervised learning uses labelled data to learn a mapping; reinforcement learning: an agent interacts "
            "with an environment to maximize reward.",
            [True, False, True],
        ),
    ],
)
def test_key_point_hint_reads_either_language(problem_id, answer, expected):
    from dlcalc.quiz.keypoints import hint

    assert hint(answer, _problem(problem_id)) == expected


def test_reference_answers_cover_their_key_points():
    """The class: every short concept question's own reference answer, in each language, is read as
    covering its key points (all of them for the exam topics), and an off-topic answer covers none."""
    from dlcalc.quiz.keypoints import hint

    off_topic = "I had rice for lunch and the weather was fine. 今天午饭吃了米饭，天气不错。"
    for p in BANK:
        if p.kind != "short":
            continue
        q = Q.from_problem(p)
        for lang in ("en", "zh"):
            got = hint(p.reference[lang], q)
            wanted = len(got) if "exam-topic" in p.tags else (len(got) + 1) // 2
            assert sum(got) >= wanted, (p.id, lang, got)
        assert not any(hint(off_topic, q)), p.id


@pytest.mark.parametrize(
    "typed, marks",
    [
        ("1 3", [True, False, True, False]),
        ("1,3", [True, False, True, False]),
        ("３、１", [True, False, True, False]),
        ("y", [True] * 4),
        ("是", [True] * 4),
        ("n", [False] * 4),
        ("0", [False] * 4),
        ("none", [False] * 4),
        ("", [False, True, True, False]),
        ("5", None),
        ("maybe", None),
    ],
)
def test_self_marks_are_read(typed, marks):
    from dlcalc.quiz.selfmark import parse_marks

    assert parse_marks(typed, 4, [False, True, True, False]) == marks


def test_a_short_answer_is_graded_key_point_by_key_point(db):
    q = _problem("concept-biological-neuron")
    history = History(db)
    replies = iter(["dendrites take input; the axon gives output", "1 3"])
    out = io.StringIO()
    session = take(
        Session([q]),
        Console(file=out, width=100),
        lambda p: next(replies, None),
        True,
        lambda q, a, v: history.record("x", q, a, v),
    )
    text = out.getvalue()
    assert " 1. ✓ dendrites: input" in text and " 3. ✓ axon: output" in text and " 2.   cell body" in text
    assert "Self-marked: 2/4 key points" in text
    assert [v.correct for v in session.outcomes[0].verdicts] == [True, False, True, False]
    con = sqlite3.connect(db)
    assert con.execute("SELECT key, correct FROM parts ORDER BY position").fetchall() == [
        ("point1", 1),
        ("point2", 0),
        ("point3", 1),
        ("point4", 0),
    ]
    assert con.execute("SELECT right_parts, graded_parts, quality FROM attempts").fetchone() == (2, 4, 3)


# --- term drills ----------------------------------------------------------------------------------


def test_term_drills_are_a_topic_in_both_directions_and_languages(cli, db, monkeypatch):
    from dlcalc.glossary import load

    qs = build(["terms"], 12, seed=5)
    glossary = load()
    assert all(q.topic == "terms" and q.kind == "choice" and q.item.startswith("term:") for q in qs)
    assert {q.extra["direction"] for q in qs} == {"term-to-definition", "definition-to-term"}
    for q in qs:
        entry = glossary.get(q.item.removeprefix("term:"))
        right = q.choices["en"]["ABCDEFGH".index(q.expected)]
        assert entry.name.en in (right, q.statement.en) or entry.name.en in q.statement.en or right == entry.name.en
        assert len(q.choices["zh"]) == len(q.choices["en"]) and q.statement.zh
    exported = _export(cli, "--seed", "5", "--n", "4", "--topic", "terms")
    lines = [q["answer"] if i % 2 else "A" if q["answer"] != "A" else "B" for i, q in enumerate(exported)]
    code, data, err = _scripted(cli, monkeypatch, lines, "--seed", "5", "--n", "4", "--topic", "terms", "--lang", "zh")
    assert code == 0 and data["score"] == 2 and data["total"] == 4, err
    schedule = History(db, readonly=True).schedule()
    assert {item for item in schedule} == {q["id"].rsplit(":", 1)[0] for q in exported}  # term:<id>, both directions


def test_anki_export_carries_the_glossary_both_ways(cli, db, tmp_path):
    from dlcalc.glossary import load

    deck = tmp_path / "deck.apkg"
    code, _, err = cli("quiz", "--seed", "2", "--n", "3", "--export", "anki", "--out", str(deck), "--lang", "zh")
    assert code == 0, err
    with zipfile.ZipFile(deck) as z:
        z.extract("collection.anki2", tmp_path)
    con = sqlite3.connect(tmp_path / "collection.anki2")
    terms = [row[0].split("\x1f") for row in con.execute("SELECT flds FROM notes") if row[0].count("\x1f") == 3]
    entries = list(load())
    assert len(terms) == len(entries)
    cards = con.execute(
        "SELECT COUNT(*), COUNT(DISTINCT ord) FROM cards JOIN notes ON cards.nid = notes.id "
        "WHERE length(notes.flds) - length(replace(notes.flds, char(31), '')) = 3"
    ).fetchone()
    assert cards == (2 * len(entries), 2)  # term → definition and definition → term
    for entry in entries:  # the definition side never names its term
        (fields,) = [t for t in terms if t[0] == entry.name.zh]
        assert fields[1] == entry.name.en and (len(entry.name.zh) < 2 or entry.name.zh not in fields[2])


# --- names as the commands, -o, and the shared renderer -------------------------------------------


def test_old_topic_names_still_work_with_a_note(cli, db):
    code, out, err = cli("quiz", "--seed", "1", "--n", "3", "--topic", "activation", "--export", "json")
    data = json.loads(out)
    assert code == 0 and {q["topic"] for q in data["questions"]} == {"act"}
    assert "'activation' is now called 'act'" in err
    code, out, err = cli("quiz", "--seed", "1", "--n", "4", "--topic", "loss", "--export", "json")
    assert code == 0 and {q["topic"] for q in json.loads(out)["questions"]} == {"loss"}
    code, out, err = cli("bank", "list", "-t", "activation", "--json")
    assert code == 0 and {p["topic"] for p in json.loads(out)["problems"]} == {"act"} and "now called" in err


def test_out_has_no_short_form_but_old_o_still_works(cli, db, tmp_path):
    target = tmp_path / "q.json"
    code, out, err = cli("quiz", "--seed", "1", "--n", "1", "--export", "json", "-o", str(target))
    assert code == 0 and json.loads(target.read_text())["kind"] == "quiz-export" and "-o is now --out" in err
    code, out, err = cli("quiz", "--seed", "1", "--n", "1", "--export", "json", "-o", "a", "--out", "b")
    assert code == 2 and err.count("\n") == 1
    code, out, err = cli("quiz", "--help")
    assert "--out" in out and " -o " not in out


def _answer_some(cli, monkeypatch, db):
    exported = _export(cli, "--seed", "6", "--n", "6", "--topic", "conv", "--topic", "pool")
    lines = [q["answer"] if i % 3 else "1x1x1" for i, q in enumerate(exported) for _ in ([0] if i % 3 else [0, 1])]
    code, data, err = _scripted(
        cli, monkeypatch, lines, "--seed", "6", "--n", "6", "--topic", "conv", "--topic", "pool"
    )
    assert code == 0, err
    return data


def test_quiz_history_lists_and_filters(cli, db, monkeypatch):
    data = _answer_some(cli, monkeypatch, db)
    code, out, err = cli("quiz", "history", "--json")
    got = json.loads(out)
    assert code == 0 and got["dlcalc"] == 1 and got["kind"] == "quiz-history"
    assert [a["answer"] for a in got["attempts"]] == [r["answer"] for r in reversed(data["results"])]
    assert all(a["parts"] for a in got["attempts"])
    code, out, err = cli("quiz", "history", "--wrong", "--json")
    wrong = json.loads(out)["attempts"]
    assert (
        wrong
        and all(a["correct"] == 0 for a in wrong)
        and len(wrong) == sum(1 for r in data["results"] if not r["correct"])
    )
    code, out, err = cli("quiz", "history", "--topic", "pool", "--json")
    assert {a["topic"] for a in json.loads(out)["attempts"]} == {"pool"}
    code, out, err = cli("quiz", "history", "--since", "2999-01-01", "--json")
    assert code == 0 and json.loads(out)["attempts"] == []
    code, out, err = cli("quiz", "history", "--since", "yesterday")
    assert code == 2 and "YYYY-MM-DD" in err and err.count("\n") == 1
    code, out, err = cli("quiz", "history", "--lang", "zh", "--wrong")
    assert code == 0 and "你的答案" in out and "✗" in out
    code, out, err = cli("quiz", "history", "--md")
    assert code == 0 and "| when | topic | question | your answer | result |" in out


def test_quiz_stats_through_the_renderer_and_as_a_png(cli, db, monkeypatch, tmp_path):
    code, out, err = cli("quiz", "stats", "--db", str(db))
    assert code == 2 and err.count("\n") == 1  # no file yet: refused, never created
    History(db).close()
    code, out, err = cli("quiz", "stats")
    assert code == 0 and "No history yet" in out
    code, out, err = cli("quiz", "stats", "--lang", "zh")
    assert code == 0 and "还没有学习记录" in out
    _answer_some(cli, monkeypatch, db)
    code, out, err = cli("quiz", "stats", "--json")
    data = json.loads(out)
    assert data["dlcalc"] == 1 and data["kind"] == "quiz-stats" and data["total_attempts"] == 6
    code, out, err = cli("quiz", "stats", "--md")
    assert code == 0 and "| topic | questions | parts right | accuracy | chart |" in out and "#" in out
    code, out, err = cli("quiz", "stats")
    assert "█" in out or "░" in out
    for lang in ("en", "zh"):
        png = tmp_path / f"stats-{lang}.png"
        code, out, err = cli("quiz", "stats", "--png", str(png), "--lang", lang)
        assert code == 0, err
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quiz_review_serves_due_items_weakest_topics_first(cli, db, monkeypatch):
    from datetime import datetime, timedelta, timezone

    monkeypatch.setattr(sys, "stdin", io.StringIO("0\n" * 12))
    code, out, err = cli("quiz", "review", "--json")
    assert code == 0 and "No history yet" in err
    history = History(db)
    past = datetime.now(timezone.utc) - timedelta(days=3)
    lstm = build(["lstm"], 4, seed=3)
    conv = build(["conv"], 4, seed=3)
    for q in lstm:  # all wrong three days ago: due since yesterday, and lstm is the weakest topic
        history.record("x", q, "0", False, at=past)
    for q in conv[:2]:  # right three days ago: due since two days (interval 1)
        history.record("x", q, q.accepted, True, at=past)
    history.record("x", conv[2], conv[2].accepted, True)  # right just now: not due for a day
    history.close()
    due = ({q.item for q in lstm} | {q.item for q in conv[:2]}) - {conv[2].item}  # its last answer: not due
    code, out, err = cli("quiz", "review", "--n", "3", "--seed", "1", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["kind"] == "quiz-review" and data["asked"] == 3 and f"{len(due)} item(s) due" in err
    topics = [r["topic"] for r in data["results"]]
    weakest = min(3, len({q.item for q in lstm}))
    assert topics == ["lstm"] * weakest + ["conv"] * (3 - weakest)  # the weakest topic's due items first
    served = {r["id"] if r["source"] == "bank" else f"template:{r['topic']}" for r in data["results"]}
    assert served <= due
