"""The study history: every answer in SQLite, and a Leitner-box schedule over it.

Each answer is written in its own transaction the moment it is given (WAL journal, a busy
timeout, BEGIN IMMEDIATE), so a crash or Ctrl-C loses nothing and two quizzes at once can both
write. Leitner boxes, per item (a bank problem id, or `template:<topic>` for generated ones):
right moves the item up one box (at most 5), wrong sends it back to box 1; box 1 is due at once
(the next quiz), box k ≥ 2 after 2^(k-2) days (1, 2, 4, 8).
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from dlcalc.errors import DlcalcError

MAX_BOX = 5
SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    quiz TEXT NOT NULL,
    question TEXT NOT NULL,
    item TEXT NOT NULL,
    topic TEXT NOT NULL,
    source TEXT NOT NULL,
    answer TEXT NOT NULL,
    expected TEXT NOT NULL,
    correct INTEGER          -- 1 right, 0 wrong, NULL not graded (short answers, self-marking skipped)
);
CREATE TABLE IF NOT EXISTS boxes (
    item TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    box INTEGER NOT NULL,
    due TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_topic ON attempts (topic);
"""


def default_path() -> Path:
    env = os.environ.get("DLCALC_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("dlcalc", appauthor=False)) / "history.sqlite3"


def now() -> datetime:
    return datetime.now(timezone.utc)


class History:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            # switching to WAL and creating the tables take a lock that the busy timeout does not
            # wait for; a second quiz starting at the same moment retries instead of failing
            for attempt in range(100):
                try:
                    self.db.execute("PRAGMA journal_mode=WAL")
                    self.db.executescript(SCHEMA)
                    break
                except sqlite3.OperationalError as e:
                    if "locked" not in str(e) or attempt == 99:
                        raise
                    time.sleep(0.05)
        except (OSError, sqlite3.Error) as e:
            raise DlcalcError(f"--db: cannot open {str(self.path)!r} ({e})") from None

    def close(self) -> None:
        self.db.close()

    def record(self, quiz: str, question: Any, answer: str, correct: bool | None) -> None:
        """One answer, and its Leitner move, in one transaction."""
        stamp = now()
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            cur.execute(
                "INSERT INTO attempts (at, quiz, question, item, topic, source, answer, expected, correct) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stamp.isoformat(),
                    quiz,
                    question.id,
                    question.item,
                    question.topic,
                    question.source,
                    answer,
                    question.accepted,
                    None if correct is None else int(correct),
                ),
            )
            if correct is not None:
                row = cur.execute("SELECT box FROM boxes WHERE item = ?", (question.item,)).fetchone()
                box = 1 if not correct else min(MAX_BOX, (row[0] if row else 1) + 1)
                due = stamp + (timedelta(0) if box == 1 else timedelta(days=2 ** (box - 2)))
                cur.execute(
                    "INSERT INTO boxes (item, topic, box, due) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(item) DO UPDATE SET box = excluded.box, due = excluded.due",
                    (question.item, question.topic, box, due.isoformat()),
                )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def boxes(self) -> dict[str, tuple[int, datetime]]:
        rows = self.db.execute("SELECT item, box, due FROM boxes").fetchall()
        return {item: (box, datetime.fromisoformat(due)) for item, box, due in rows}

    def stats(self) -> dict[str, Any]:
        rows = self.db.execute(
            "SELECT topic, COUNT(*), SUM(correct = 1), SUM(correct IS NOT NULL) FROM attempts GROUP BY topic"
        ).fetchall()
        by_topic = [
            {
                "topic": t,
                "attempts": n,
                "right": int(r or 0),
                "graded": int(g or 0),
                "accuracy": (r or 0) / g if g else None,
            }
            for t, n, r, g in rows
        ]
        days = self.db.execute(
            "SELECT substr(at, 1, 10), COUNT(*), SUM(correct = 1), SUM(correct IS NOT NULL) FROM attempts "
            "GROUP BY substr(at, 1, 10) ORDER BY 1"
        ).fetchall()
        over_time = [
            {"day": d, "attempts": n, "right": int(r or 0), "accuracy": (r or 0) / g if g else None}
            for d, n, r, g in days
        ]
        total = sum(t["attempts"] for t in by_topic)
        graded = [t for t in by_topic if t["graded"]]
        weakest = sorted(graded, key=lambda t: (t["accuracy"], -t["graded"]))[:3]
        return {
            "total_attempts": total,
            "right": sum(t["right"] for t in by_topic),
            "graded": sum(t["graded"] for t in by_topic),
            "by_topic": sorted(by_topic, key=lambda t: t["topic"]),
            "over_time": over_time,
            "weakest": [t["topic"] for t in weakest],
            "db": str(self.path),
        }
