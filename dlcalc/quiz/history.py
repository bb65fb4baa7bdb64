"""The study history: every answer, part by part, in SQLite, and a Leitner-box schedule over it.

Each answer is written in its own transaction the moment it is graded and *before* the verdict is
shown (WAL journal, a busy timeout, BEGIN IMMEDIATE), so a crash, a kill or Ctrl-C loses nothing
and two quizzes at once can both write. A write that fails (disk full, read-only file) raises
`HistoryWriteError` naming the real cause; the quiz then keeps the session in memory.

Opening checks the file before anything is asked or written: a damaged file (corrupt pages,
undecodable text, values that are not what dlcalc stores) or one from a newer dlcalc is refused
with one line and never rewritten; an older one is migrated in place after a backup copy.
Read-only commands (`quiz stats`) open with `readonly=True`: an existing file only, no WAL switch,
no table created.

Leitner boxes, per item (a bank problem id, or `template:<topic>` for generated ones): all parts
right moves the item up one box (at most 5), anything wrong sends it back to box 1; box 1 is due
at once (the next quiz), box k ≥ 2 after 2^(k-2) days (1, 2, 4, 8).

Schema versions (`PRAGMA user_version`): 1 (stored as 0) has `attempts` and `boxes`; 2 adds the
question's statement and part counts to `attempts`, and a `parts` table with each part's answer
and verdict.
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
SCHEMA_VERSION = 2
V1_ATTEMPTS = {"id", "at", "quiz", "question", "item", "topic", "source", "answer", "expected", "correct"}
KNOWN_COLUMNS = {
    "attempts": V1_ATTEMPTS | {"statement", "lang", "right_parts", "graded_parts"},
    "boxes": {"item", "topic", "box", "due"},
    "parts": {"attempt", "position", "key", "label", "answer", "expected", "correct"},
}
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
    correct INTEGER,          -- 1 every part right, 0 a part wrong, NULL not graded (self-marking skipped)
    statement TEXT,           -- v2: the question as it was shown
    lang TEXT,                -- v2
    right_parts INTEGER,      -- v2: parts right
    graded_parts INTEGER      -- v2: parts graded
);
CREATE TABLE IF NOT EXISTS parts (
    attempt INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    answer TEXT NOT NULL,
    expected TEXT NOT NULL,
    correct INTEGER,
    PRIMARY KEY (attempt, position)
);
CREATE TABLE IF NOT EXISTS boxes (
    item TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    box INTEGER NOT NULL,
    due TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_topic ON attempts (topic);
"""
MIGRATE_1_TO_2 = """
ALTER TABLE attempts ADD COLUMN statement TEXT;
ALTER TABLE attempts ADD COLUMN lang TEXT;
ALTER TABLE attempts ADD COLUMN right_parts INTEGER;
ALTER TABLE attempts ADD COLUMN graded_parts INTEGER;
UPDATE attempts SET graded_parts = (correct IS NOT NULL), right_parts = (correct IS 1);
CREATE TABLE IF NOT EXISTS parts (
    attempt INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    answer TEXT NOT NULL,
    expected TEXT NOT NULL,
    correct INTEGER,
    PRIMARY KEY (attempt, position)
);
INSERT INTO parts (attempt, position, key, label, answer, expected, correct)
    SELECT id, 0, 'answer', 'answer', answer, expected, correct FROM attempts;
"""
MAX_STORED = 10_000  # characters of one typed answer kept in the history


class HistoryError(DlcalcError):
    """A history that cannot be used: damaged, from a newer dlcalc, missing for a read-only command.

    `message` is English; `in_lang(lang)` gives the line in the user's language."""

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh or message

    def in_lang(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.message


class HistoryWriteError(Exception):
    """An answer could not be saved; `reason` is the real cause in a few words (e.g. "disk full")."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def in_lang(self, lang: str) -> str:
        return REASONS_ZH.get(self.reason, self.reason) if lang == "zh" else self.reason


REASONS_ZH = {
    "disk full": "磁盘已满",
    "the file is read-only": "文件只读",
    "the history is locked by another program": "历史记录被其他程序锁定",
}


def default_path() -> Path:
    env = os.environ.get("DLCALC_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("dlcalc", appauthor=False)) / "history.sqlite3"


def now() -> datetime:
    return datetime.now(timezone.utc)


def reason_of(error: sqlite3.Error) -> str:
    """The cause of an SQLite failure in a few words: disk full, read-only, locked, damaged."""
    name = getattr(error, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL" or "disk is full" in str(error):
        return "disk full"
    if name.startswith("SQLITE_READONLY") or "readonly" in str(error):
        return "the file is read-only"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(error):
        return "the history is locked by another program"
    if name.startswith("SQLITE_IOERR"):
        return f"input/output error ({error})"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return f"the file is damaged ({error})"
    return str(error)


class History:
    def __init__(self, path: str | Path | None = None, readonly: bool = False):
        self.path = Path(path) if path is not None else default_path()
        self.readonly = readonly
        self.version = SCHEMA_VERSION
        self.notices: list[str] = []  # things to tell the user once (a migration and its backup)
        if readonly:
            self._open_readonly()
        else:
            self._open_for_writing()

    # --- opening -----------------------------------------------------------------------------

    def _damaged(self, why: str) -> HistoryError:
        return HistoryError(
            f"history {str(self.path)!r} is damaged ({why}); it was left unchanged. To start afresh, "
            f"move it away (or use --db NEW_FILE)",
            f"历史记录 {str(self.path)!r} 已损坏（{why}），文件未作改动。要重新开始，请把它移走（或用 --db 新文件）",
        )

    def _open_readonly(self) -> None:
        if not self.path.is_file():
            raise HistoryError(
                f"--db: no history at {str(self.path)!r} (nothing recorded there yet; a quiz creates it)",
                f"--db：{str(self.path)!r} 处没有历史记录（尚未记录任何答案；做一次测验会创建它）",
            )
        uri = self.path.resolve().as_uri()
        try:
            self.db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, isolation_level=None)
            self.db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        except sqlite3.OperationalError:
            # a WAL file in a read-only folder cannot get its -shm: read the file as it is
            try:
                self.db = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
            except sqlite3.Error as e:
                raise HistoryError(f"--db: cannot open {str(self.path)!r} ({reason_of(e)})") from None
        except sqlite3.DatabaseError as e:
            raise self._damaged(str(e)) from None
        self._inspect(writing=False)

    def _open_for_writing(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise HistoryError(f"--db: cannot open {str(self.path)!r} ({e})") from None
        fresh = self._inspect(writing=True)
        backup = self._backup() if not fresh and self.version < SCHEMA_VERSION else None  # before any change
        # switching to WAL and creating the tables take a lock that the busy timeout does not
        # wait for; a second quiz starting at the same moment retries instead of failing
        for attempt in range(100):
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                if fresh:
                    # one transaction: another quiz never sees half a schema
                    self.db.executescript(f"BEGIN IMMEDIATE;{SCHEMA}PRAGMA user_version = {SCHEMA_VERSION};COMMIT;")
                elif self.version < SCHEMA_VERSION:
                    self._migrate(backup)
                break
            except sqlite3.OperationalError as e:
                _rollback(self.db)
                if "locked" not in str(e) or attempt == 99:
                    raise HistoryError(f"--db: cannot open {str(self.path)!r} ({reason_of(e)})") from None
                time.sleep(0.05)
                fresh = self._inspect(writing=True)
            except sqlite3.DatabaseError as e:
                raise HistoryError(f"--db: cannot open {str(self.path)!r} ({reason_of(e)})") from None

    def _inspect(self, writing: bool) -> bool:
        """Read the file's version and check every stored value; True when it holds no history yet."""
        try:  # one read transaction: the version and the tables come from the same moment
            self.db.execute("BEGIN")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            self.db.execute("COMMIT")
        except sqlite3.DatabaseError as e:
            _rollback(self.db)
            raise self._damaged(str(e)) from None
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"history {str(self.path)!r} was written by a newer dlcalc (history version {version}; this dlcalc "
                f"reads versions 1 to {SCHEMA_VERSION}); it was not changed. Use a newer dlcalc, or --db another file",
                f"历史记录 {str(self.path)!r} 来自更新版本的 dlcalc（历史版本 {version}；本版本只能读 1 到 "
                f"{SCHEMA_VERSION}），文件未作改动。请升级 dlcalc，或用 --db 另一个文件",
            )
        if not tables:
            return True
        if "attempts" not in tables or "boxes" not in tables:
            raise HistoryError(
                f"--db: {str(self.path)!r} is not a dlcalc history (no attempts/boxes tables); it was not changed"
            )
        self.version = version if version >= 2 else 1
        for table in ("attempts", "boxes", "parts"):
            if table not in tables:
                continue
            try:
                columns = self.db.execute(f"PRAGMA table_info({table})").fetchall()
            except sqlite3.DatabaseError as e:
                raise self._damaged(str(e)) from None
            names = {c[1] for c in columns}
            unknown = [c[1] for c in columns if c[1] not in KNOWN_COLUMNS[table] and c[3] and c[4] is None]
            if unknown:
                raise HistoryError(
                    f"history {str(self.path)!r} was written by a newer dlcalc (its {table} table requires "
                    f"{', '.join(unknown)}, which this dlcalc (history version {SCHEMA_VERSION}) does not know); "
                    f"it was not changed. Use a newer dlcalc, or --db another file",
                    f"历史记录 {str(self.path)!r} 来自更新版本的 dlcalc（{table} 表要求 {', '.join(unknown)}，"
                    f"本版本（历史版本 {SCHEMA_VERSION}）不认识），文件未作改动。请升级 dlcalc，或用 --db 另一个文件",
                )
            if table == "attempts" and not V1_ATTEMPTS <= names:
                raise HistoryError(
                    f"--db: {str(self.path)!r} is not a dlcalc history (attempts lacks "
                    f"{', '.join(sorted(V1_ATTEMPTS - names))}); it was not changed"
                )
        self._validate(tables)
        return False

    def _validate(self, tables: set[str]) -> None:
        """Every page readable, every text decodable, every schedule value what dlcalc writes."""
        try:
            problems = [r[0] for r in self.db.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                raise self._damaged(problems[0])
            for (at,) in self.db.execute("SELECT at FROM attempts"):
                _date(at, "attempts.at", self)
            for table in sorted(tables & {"attempts", "parts"}):
                for _ in self.db.execute(f"SELECT * FROM {table}"):  # raises on undecodable text
                    pass
            for item, _topic, box, due in self.db.execute("SELECT item, topic, box, due FROM boxes"):
                if not isinstance(box, int) or not 1 <= box <= MAX_BOX:
                    raise self._damaged(f"boxes.box = {box!r} for {item!r}; expected 1 to {MAX_BOX}")
                _date(due, f"boxes.due for {item!r}", self)
            bad = self.db.execute(
                "SELECT correct FROM attempts WHERE correct IS NOT NULL AND correct NOT IN (0, 1) LIMIT 1"
            ).fetchone()
            if bad:
                raise self._damaged(f"attempts.correct = {bad[0]!r}; expected 0, 1 or empty")
        except sqlite3.OperationalError as e:
            if "decode" in str(e).lower():
                raise self._damaged(f"text that is not UTF-8: {str(e)[:80]}") from None
            raise self._damaged(str(e)) from None
        except sqlite3.DatabaseError as e:
            raise self._damaged(str(e)) from None

    def _backup(self) -> Path:
        """A copy of the file as it is, taken before an upgrade touches it: `<name>.v1-backup`."""
        backup = self.path.with_name(self.path.name + ".v1-backup")
        if backup.exists():
            backup = self.path.with_name(f"{self.path.name}.v1-backup-{int(time.time())}")
        try:
            target = sqlite3.connect(backup)
            with target:
                self.db.backup(target)
            target.close()
        except (OSError, sqlite3.Error) as e:
            raise HistoryError(
                f"--db: {str(self.path)!r} needs an upgrade, but its backup copy could not be written ({e}); "
                f"nothing was changed"
            ) from None
        return backup

    def _migrate(self, backup: Path | None) -> None:
        """Version 1 → 2, in place, in one transaction (after `_backup`)."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            if cur.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:  # another quiz just did it
                cur.execute("COMMIT")
                self.version = SCHEMA_VERSION
                return
            for statement in MIGRATE_1_TO_2.split(";"):
                if statement.strip():
                    cur.execute(statement)
            cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            cur.execute("COMMIT")
        except sqlite3.Error as e:
            try:
                cur.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise HistoryError(
                f"--db: could not upgrade {str(self.path)!r} ({reason_of(e)}); it is unchanged"
            ) from None
        self.version = SCHEMA_VERSION
        self.notices.append(f"history upgraded to version {SCHEMA_VERSION}; the old file was copied to {backup}")

    def close(self) -> None:
        self.db.close()

    # --- writing -----------------------------------------------------------------------------

    def record(
        self, quiz: str, question: Any, answer: str, verdicts: list[Any] | bool | None, lang: str = "en"
    ) -> None:
        """One answer with every part's verdict, and its Leitner move, in one transaction.

        `verdicts` is a list of part verdicts (key, label, answer, accepted, correct); a bare
        True/False/None stands for one part. Raises HistoryWriteError with the real cause."""
        if not isinstance(verdicts, list):
            from dlcalc.quiz.questions import Verdict
            from dlcalc.text import Text

            verdicts = [Verdict("answer", Text("answer", "答案"), answer, question.accepted, verdicts)]
        graded = [v for v in verdicts if v.correct is not None]
        correct = None if not graded or len(graded) < len(verdicts) else all(v.correct for v in graded)
        stamp = now()
        statement = question.statement(lang) if callable(getattr(question, "statement", None)) else None
        cur = self.db.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(
                "INSERT INTO attempts (at, quiz, question, item, topic, source, answer, expected, correct, "
                "statement, lang, right_parts, graded_parts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stamp.isoformat(),
                    quiz,
                    question.id,
                    question.item,
                    question.topic,
                    question.source,
                    answer[:MAX_STORED],
                    question.accepted,
                    None if correct is None else int(correct),
                    statement,
                    lang,
                    sum(1 for v in graded if v.correct),
                    len(graded),
                ),
            )
            attempt = cur.lastrowid
            cur.executemany(
                "INSERT INTO parts (attempt, position, key, label, answer, expected, correct) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        attempt,
                        i,
                        v.key,
                        v.label.en,
                        v.answer[:MAX_STORED],
                        v.accepted,
                        None if v.correct is None else int(v.correct),
                    )
                    for i, v in enumerate(verdicts)
                ],
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
        except sqlite3.Error as e:
            _rollback(self.db)
            raise HistoryWriteError(reason_of(e)) from None
        except BaseException:
            _rollback(self.db)
            raise

    # --- reading -----------------------------------------------------------------------------

    def boxes(self) -> dict[str, tuple[int, datetime]]:
        rows = self.db.execute("SELECT item, box, due FROM boxes").fetchall()
        return {item: (box, datetime.fromisoformat(due)) for item, box, due in rows}

    def stats(self) -> dict[str, Any]:
        """Questions answered, and parts right of parts graded, by topic and by day."""
        if self.version >= 2:
            right, graded = "COALESCE(right_parts, correct = 1)", "COALESCE(graded_parts, correct IS NOT NULL)"
        else:
            right, graded = "(correct = 1)", "(correct IS NOT NULL)"
        rows = self.db.execute(
            f"SELECT topic, COUNT(*), SUM({right}), SUM({graded}) FROM attempts GROUP BY topic"
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
            f"SELECT substr(at, 1, 10), COUNT(*), SUM({right}), SUM({graded}) FROM attempts "
            "GROUP BY substr(at, 1, 10) ORDER BY 1"
        ).fetchall()
        over_time = [
            {"day": d, "attempts": n, "right": int(r or 0), "accuracy": (r or 0) / g if g else None}
            for d, n, r, g in days
        ]
        total = sum(t["attempts"] for t in by_topic)
        graded_topics = [t for t in by_topic if t["graded"]]
        weak = [t for t in graded_topics if t["accuracy"] < 1]  # a topic answered all right is not weak
        weakest = sorted(weak, key=lambda t: (t["accuracy"], -t["graded"]))[:3]
        return {
            "total_attempts": total,
            "right": sum(t["right"] for t in by_topic),
            "graded": sum(t["graded"] for t in by_topic),
            "by_topic": sorted(by_topic, key=lambda t: t["topic"]),
            "over_time": over_time,
            "weakest": [t["topic"] for t in weakest],
            "db": str(self.path),
        }


def _rollback(db: sqlite3.Connection) -> None:
    """Undo a failed transaction; SQLite may have rolled back already (SQLITE_FULL), so its own
    "no transaction is active" must not hide the real error."""
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _date(value: Any, what: str, history: History) -> None:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise history._damaged(f"{what} = {value!r} is not a date") from None
