"""Every "run this next" command quiz, exam and review print works when typed as printed.

The hints are run, from another folder and without the environment the first command had: the
exam's "Resume with: …" and "… carries on with it", review's "Take a quiz first (…)", stats'
"(dlcalc quiz review …)". They must reach the same study history (--db, DLCALC_DB) in the same
language (--lang zh).
"""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DLCALC_DB", "DLCALC_LANG")}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), COLUMNS="4000", PYTHONIOENCODING="utf-8")  # no wrapping
    env.update(extra)
    return env


def _dlcalc(args, cwd, env, stdin=""):
    done = subprocess.run(
        [sys.executable, "-m", "dlcalc", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )
    return done.returncode, done.stdout, done.stderr


def _typed(command):
    words = shlex.split(command)
    assert words[0] == "dlcalc", command
    return words[1:]


def _hint(text, pattern):
    found = re.findall(pattern, text)
    assert found, text
    return found[-1].strip()


PAUSED = {"en": r"Resume with: (dlcalc [^\n]*)", "zh": r"继续作答：(dlcalc [^\n]*)"}
# one of these lines is readable as an answer to a conv question (the others are asked again)
ANY_ANSWER = "1x1x1; 1\n1\n1x1x1\n1; 1\n1; 1; 1\n"
RESUMING = {"en": "Resuming exam", "zh": "继续考试"}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("how", ["option", "relative option", "environment"])
def test_the_exam_resume_hint_resumes(tmp_path, lang, how):
    first, elsewhere = tmp_path / "first", tmp_path / "elsewhere"
    first.mkdir()
    elsewhere.mkdir()
    db = first / "study.db"
    args = ["exam", "--seed", "11", "--lang", lang]
    env = _env(tmp_path)
    if how == "option":
        args += ["--db", str(db)]
    elif how == "relative option":
        args += ["--db", "study.db"]
    else:
        env = _env(tmp_path, DLCALC_DB=str(db))
    code, out, err = _dlcalc(args, first, env, stdin="42\n:q\n")
    assert code == 0, err
    resume = _hint(out, PAUSED[lang])
    # typed later, from another folder, in a shell without the first command's environment
    code, out, err = _dlcalc(_typed(resume), elsewhere, _env(tmp_path), stdin=":q\n")
    assert code == 0, (resume, err)
    assert RESUMING[lang] in out and "11" in out, (resume, out)
    assert _hint(out, PAUSED[lang]) == resume  # and the hint it prints again is the same
    assert not (tmp_path / "xdg").exists() or not any((tmp_path / "xdg").rglob("*.sqlite3"))  # no default history


def test_the_unfinished_exam_note_resumes(tmp_path):
    db = tmp_path / "h.db"
    env = _env(tmp_path)
    code, out, _ = _dlcalc(["exam", "--seed", "5", "--db", str(db)], tmp_path, env, stdin=":q\n")
    assert code == 0
    code, out, err = _dlcalc(["exam", "--seed", "6", "--db", str(db)], tmp_path, env, stdin=":q\n")
    assert code == 0, err
    note = _hint(out, r"; (dlcalc exam --resume[^\n]*) carries on with it")
    code, out, err = _dlcalc(_typed(note), tmp_path / "..", _env(tmp_path), stdin=":q\n")
    assert code == 0 and "Resuming exam" in out, (note, err)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_review_and_stats_hints_reach_the_same_history(tmp_path, lang):
    db = tmp_path / "h.db"
    env = _env(tmp_path)
    # an exam paused before any answer: the history exists, with no quiz answers yet
    code, _, err = _dlcalc(["exam", "--seed", "2", "--db", str(db)], tmp_path, env, stdin=":q\n")
    assert code == 0, err
    code, out, err = _dlcalc(["quiz", "review", "--db", str(db), "--lang", lang], tmp_path, env)
    assert code == 0, err
    take = _hint(out, r"[(（](dlcalc quiz[^)）]*)[)）]")
    code, out, err = _dlcalc(
        [*_typed(take), "-t", "conv", "--n", "1", "--seed", "1"], tmp_path / "..", _env(tmp_path), stdin=ANY_ANSWER
    )
    assert code == 0, (take, err)
    code, out, err = _dlcalc(["quiz", "stats", "--db", str(db), "--json"], tmp_path, env)
    assert code == 0 and json.loads(out)["total_attempts"] == 1, (take, out)
    # stats suggests `quiz review`: typed as printed, it reviews this history (no "No history yet")
    code, out, err = _dlcalc(["quiz", "stats", "--db", str(db), "--lang", lang], tmp_path, env)
    review = _hint(out, r"[(（](dlcalc quiz review[^)）]*)[)）]")
    code, out, err = _dlcalc(_typed(review), tmp_path / "..", _env(tmp_path), stdin="")
    assert code == 0, (review, err)
    assert "No history yet" not in out + err and "还没有学习记录" not in out + err, (review, out)
    assert ("复习" in out) == (lang == "zh"), out
