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
from pathlib import Path

import pytest
from rich.console import Console

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
    return json.loads(out)


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
    answers = "\n".join(q["answer"] for q in json.loads(exported.read_text())) + "\n"
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
    assert "[/x]" in out and "[boldred]x[red]" in "".join(out.split())  # a long path may wrap at any space
    assert ("0 of 1 parts right" in out) if lang == "en" else ("1 个小问中答对 0 个" in out)


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


def _damage(path, how):
    History(path).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=DELETE")
    if how == "due":
        con.execute("INSERT INTO boxes VALUES ('x', 'conv', 1, 'soon')")
    elif how == "box":
        con.execute("INSERT INTO boxes VALUES ('x', 'conv', 'high', '2024-01-01')")
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


@pytest.mark.parametrize("how", ["pages", "text", "due", "box", "at"])
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
    review = Counter(q.topic for q in build(["conv", "lstm"], 200, seed=8, boxes=history.boxes()))
    assert review["lstm"] > 2 * plain["lstm"]


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
  key_points: {zh: ["<i>要点</i>"], en: ["<i>point</i>", "\\n## heading"]}
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
    notes = sqlite3.connect(tmp_path / "collection.anki2").execute("SELECT flds FROM notes").fetchall()
    assert len(notes) == 6
    assert any("\\(" in row[0] for row in notes)  # MathJax delimiters in the worked solutions


def test_summary_counts_parts():
    q = _problem("conv-non-square")
    session = Session([q])
    from dlcalc.quiz.session import Outcome

    session.outcomes.append(Outcome(q, "4x18x13; 1", Q.mark(q, "4x18x13; 1")[1]))
    data = summary(session)
    assert (data["score"], data["total"], data["questions_right"]) == (1, 2, 0)


# --- in a terminal, as a student types ---------------------------------------------------------


class Terminal:
    """The real command in a pseudo-terminal: type, and read the screen."""

    def __init__(self, args, tmp_path, lang="en"):
        import pty

        exe = Path(sys.executable).with_name("dlcalc")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "dlcalc"]
        env = dict(os.environ, DLCALC_DB=str(tmp_path / "h.db"), COLUMNS="100", TERM="dumb")
        self.master, slave = pty.openpty()

        def controlling_terminal():  # as a shell does: so Ctrl-C typed at the terminal interrupts the quiz
            import fcntl
            import termios

            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            cmd + ["quiz", *args, "--lang", lang],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
            preexec_fn=controlling_terminal,
        )
        os.close(slave)
        self.seen = b""

    def wait_for(self, text, timeout=30):
        import select

        end = time.time() + timeout
        while text.encode() not in self.seen and time.time() < end:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    break
        return text.encode() in self.seen

    def type(self, text):
        os.write(self.master, text.encode() if isinstance(text, str) else text)

    def screen(self):
        return self.seen.decode("utf-8", "replace")

    def close(self):
        self.proc.wait(timeout=30)
        os.close(self.master)
        return self.proc.returncode


def test_interactive_in_a_terminal(tmp_path):
    t = Terminal(["--seed", "3", "--n", "2", "--topic", "pool"], tmp_path)
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


@pytest.mark.parametrize("lang, prompt, stopped", [("en", "[y/n]", "Quiz stopped"), ("zh", "[y/n]", "测验已停止")])
def test_self_marking_hint_is_visible_and_ctrl_c_ends_the_line(tmp_path, lang, prompt, stopped):
    seed = next(s for s in range(200) if build(["concept"], 1, seed=s)[0].kind == "short")
    t = Terminal(["--seed", str(seed), "--n", "2", "--topic", "concept"], tmp_path, lang)
    assert t.wait_for("你的答案" if lang == "zh" else "Your answer")
    t.type("dendrites take input\n")
    assert t.wait_for(prompt), t.screen()[-500:]
    t.type("y\n")
    assert t.wait_for("2/2")
    assert t.wait_for("你的答案" if lang == "zh" else "Your answer")
    t.type("\x03")  # Ctrl-C at the prompt
    assert t.wait_for(stopped)
    screen = t.screen().replace("\r", "")
    line = screen[screen.rindex(stopped) - 200 : screen.rindex(stopped)].split("\n")[-1]
    assert line.strip() == "", repr(line)  # the message starts on a line of its own
    assert t.close() == 0
    assert History(tmp_path / "h.db", readonly=True).stats()["total_attempts"] == 1
