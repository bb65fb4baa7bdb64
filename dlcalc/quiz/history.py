"""The study history: every answer, part by part, in SQLite, and an SM-2 schedule over it.

Each answer is written in its own transaction the moment it is graded and *before* the verdict is
shown (WAL journal, a busy timeout, BEGIN IMMEDIATE), so a crash, a kill or Ctrl-C loses nothing
and two quizzes at once can both write. A write that fails (disk full, read-only file) raises
`HistoryWriteError` naming the real cause; the quiz then keeps the session in memory. A mock
exam's answers are written as they are typed (`exam_answers`, one row per question, replaced when
the student changes it), before anything is graded, so a killed exam keeps every answer given
and can be resumed; handing in records each question as an attempt.

Opening checks the file before anything is asked or written: a damaged file (corrupt pages,
undecodable text, values that are not what dlcalc stores) or one from a newer dlcalc is refused
with one line and never rewritten; an older one is migrated in place, one version at a time, after
a backup copy (`<name>.v<old version>-backup`). Read-only commands (`quiz stats`, `quiz history`)
open with `readonly=True`: an existing file only, no WAL switch, no table created.

The schedule is SM-2 (`dlcalc.quiz.sm2`), per item: a bank problem id, `template:<topic>` for
generated questions, `term:<id>` for a glossary drill, `exam:<section>` for a mock exam's question.

Schema versions (`PRAGMA user_version`): 1 (stored as 0) has `attempts` and `boxes` (Leitner
boxes); 2 adds the question's statement and part counts to `attempts`, and a `parts` table with
each part's answer and verdict; 3 adds each attempt's SM-2 `quality`, the `schedule` table (SM-2
state per item; the Leitner boxes are converted by replaying each item's graded attempts through
SM-2, and `boxes` is kept as it was, no longer written), the mock exam's `exams` and
`exam_answers`, and renames the topic `activation` to `act` (the command it exercises).
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dlcalc.bank import RENAMED_TOPICS
from dlcalc.errors import DlcalcError
from dlcalc.quiz import sm2
from dlcalc.text import T, Text

MAX_BOX = 5
SCHEMA_VERSION = 3
V1_ATTEMPTS = {"id", "at", "quiz", "question", "item", "topic", "source", "answer", "expected", "correct"}
KNOWN_COLUMNS = {
    "attempts": V1_ATTEMPTS | {"statement", "lang", "right_parts", "graded_parts", "quality"},
    "boxes": {"item", "topic", "box", "due"},
    "parts": {"attempt", "position", "key", "label", "answer", "expected", "correct"},
    "schedule": {"item", "topic", "ease", "interval", "repetitions", "due", "quality", "at"},
    "exams": {"id", "seed", "lang", "minutes", "questions", "started", "elapsed", "handed_in", "score", "total"},
    "exam_answers": {"exam", "position", "question", "answer", "at"},
}
PARTS_TABLE = """
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
"""
V3_TABLES = """
CREATE TABLE IF NOT EXISTS schedule (
    item TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    ease REAL NOT NULL,           -- SM-2 ease factor EF (>= 1.3)
    interval INTEGER NOT NULL,    -- days until the next review
    repetitions INTEGER NOT NULL, -- answers of quality >= 3 in a row
    due TEXT NOT NULL,
    quality INTEGER,              -- the last answer's quality (0-5)
    at TEXT                       -- when the last answer was given
);
CREATE TABLE IF NOT EXISTS exams (
    id TEXT PRIMARY KEY,
    seed INTEGER NOT NULL,
    lang TEXT NOT NULL,
    minutes INTEGER NOT NULL,     -- the time limit (0: none)
    questions INTEGER NOT NULL,
    started TEXT NOT NULL,
    elapsed REAL NOT NULL DEFAULT 0, -- seconds spent on the paper so far (it resumes from here)
    handed_in TEXT,               -- NULL while the exam is being sat
    score REAL,
    total REAL
);
CREATE TABLE IF NOT EXISTS exam_answers (
    exam TEXT NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,    -- 1-based question number on the paper
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (exam, position)
);
CREATE INDEX IF NOT EXISTS attempts_at ON attempts (at);
"""
SCHEMA = (
    """
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
    graded_parts INTEGER,     -- v2: parts graded
    quality INTEGER           -- v3: SM-2 quality 0-5 (NULL: not graded)
);
CREATE INDEX IF NOT EXISTS attempts_topic ON attempts (topic);
"""
    + PARTS_TABLE
    + V3_TABLES
)
MIGRATE_1_TO_2 = (
    """
ALTER TABLE attempts ADD COLUMN statement TEXT;
ALTER TABLE attempts ADD COLUMN lang TEXT;
ALTER TABLE attempts ADD COLUMN right_parts INTEGER;
ALTER TABLE attempts ADD COLUMN graded_parts INTEGER;
UPDATE attempts SET graded_parts = (correct IS NOT NULL), right_parts = (correct IS 1);
"""
    + PARTS_TABLE
    + """
INSERT INTO parts (attempt, position, key, label, answer, expected, correct)
    SELECT id, 0, 'answer', 'answer', answer, expected, correct FROM attempts;
"""
)
MIGRATE_2_TO_3 = (
    """
ALTER TABLE attempts ADD COLUMN quality INTEGER;
UPDATE attempts SET topic = 'act' WHERE topic = 'activation';
UPDATE attempts SET item = 'template:act' WHERE item = 'template:activation';
UPDATE boxes SET topic = 'act' WHERE topic = 'activation';
UPDATE OR IGNORE boxes SET item = 'template:act' WHERE item = 'template:activation';
"""
    + V3_TABLES
)
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
        self.notices: list[Text] = []  # things to tell the user once (a migration and its backup)
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
        if "attempts" not in tables or not tables & {"boxes", "schedule"}:
            raise HistoryError(
                f"--db: {str(self.path)!r} is not a dlcalc history (no attempts/schedule tables); it was not changed",
                f"--db：{str(self.path)!r} 不是 dlcalc 的历史记录（没有 attempts/schedule 表），文件未作改动",
            )
        self.version = version if version >= 2 else 1
        for table in sorted(tables & set(KNOWN_COLUMNS)):
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
                    f"{', '.join(sorted(V1_ATTEMPTS - names))}); it was not changed",
                    f"--db：{str(self.path)!r} 不是 dlcalc 的历史记录（attempts 表缺少 "
                    f"{', '.join(sorted(V1_ATTEMPTS - names))}），文件未作改动",
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
            for table in sorted(tables & {"attempts", "parts", "exams", "exam_answers"}):
                for _ in self.db.execute(f"SELECT * FROM {table}"):  # raises on undecodable text
                    pass
            if "boxes" in tables:
                for item, _topic, box, due in self.db.execute("SELECT item, topic, box, due FROM boxes"):
                    if not isinstance(box, int) or not 1 <= box <= MAX_BOX:
                        raise self._damaged(f"boxes.box = {box!r} for {item!r}; expected 1 to {MAX_BOX}")
                    _date(due, f"boxes.due for {item!r}", self)
            if "schedule" in tables:
                rows = self.db.execute("SELECT item, ease, interval, repetitions, due, quality FROM schedule")
                for item, ease, interval, repetitions, due, q in rows:
                    if not isinstance(ease, (int, float)) or not 1.3 - 1e-9 <= ease <= 100:
                        raise self._damaged(f"schedule.ease = {ease!r} for {item!r}; expected 1.3 or more")
                    for name, v in (("interval", interval), ("repetitions", repetitions)):
                        if not isinstance(v, int) or v < 0:
                            raise self._damaged(f"schedule.{name} = {v!r} for {item!r}; expected a whole number")
                    if q is not None and q not in range(6):
                        raise self._damaged(f"schedule.quality = {q!r} for {item!r}; expected 0 to 5")
                    _date(due, f"schedule.due for {item!r}", self)
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
        """A copy of the file as it is, taken before an upgrade touches it: `<name>.v<version>-backup`."""
        backup = self.path.with_name(f"{self.path.name}.v{self.version}-backup")
        if backup.exists():
            backup = self.path.with_name(f"{self.path.name}.v{self.version}-backup-{int(time.time())}")
        try:
            target = sqlite3.connect(backup)
            with target:
                self.db.backup(target)
            target.close()
        except (OSError, sqlite3.Error) as e:
            raise HistoryError(
                f"--db: {str(self.path)!r} needs an upgrade, but its backup copy could not be written ({e}); "
                f"nothing was changed",
                f"--db：{str(self.path)!r} 需要升级，但无法写入备份（{e}），文件未作改动",
            ) from None
        return backup

    def _migrate(self, backup: Path | None) -> None:
        """Version by version up to SCHEMA_VERSION, in place, in one transaction (after `_backup`)."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            version = cur.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:  # another quiz just did it
                cur.execute("COMMIT")
                self.version = SCHEMA_VERSION
                return
            version = max(version, 1)
            if version == 1:
                _run_script(cur, MIGRATE_1_TO_2)
                version = 2
            if version == 2:
                _run_script(cur, MIGRATE_2_TO_3)
                _boxes_to_sm2(cur)
                version = 3
            cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            cur.execute("COMMIT")
            self.version = SCHEMA_VERSION
        except sqlite3.Error as e:
            try:
                cur.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise HistoryError(
                f"--db: could not upgrade {str(self.path)!r} ({reason_of(e)}); it is unchanged",
                f"--db：无法升级 {str(self.path)!r}（{reason_of(e)}），文件未作改动",
            ) from None
        self.notices.append(
            T(
                "history upgraded to version {v}; the old file was copied to {b}",
                "历史记录已升级到版本 {v}；旧文件已复制到 {b}",
            ).format(v=SCHEMA_VERSION, b=backup)
        )

    def close(self) -> None:
        self.db.close()

    # --- writing -----------------------------------------------------------------------------

    def record(
        self,
        quiz: str,
        question: Any,
        answer: str,
        verdicts: list[Any] | bool | None,
        lang: str = "en",
        at: datetime | None = None,
    ) -> int | None:
        """One answer with every part's verdict, and its SM-2 step, in one transaction.

        `verdicts` is a list of part verdicts (key, label, answer, accepted, correct); a bare
        True/False/None stands for one part. Returns the SM-2 quality (None: not graded, e.g. a
        self-marked answer left unmarked). Raises HistoryWriteError with the real cause."""
        if not isinstance(verdicts, list):
            from dlcalc.quiz.questions import Verdict

            verdicts = [Verdict("answer", Text("answer", "答案"), answer, question.accepted, verdicts)]
        graded = [v for v in verdicts if v.correct is not None]
        complete = bool(graded) and len(graded) == len(verdicts)
        correct = all(v.correct for v in graded) if complete else None
        right = sum(1 for v in graded if v.correct)
        quality = sm2.quality(right, len(graded), bool(answer.strip())) if complete else None
        stamp = at or now()
        statement = question.statement(lang) if callable(getattr(question, "statement", None)) else None
        cur = self.db.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(
                "INSERT INTO attempts (at, quiz, question, item, topic, source, answer, expected, correct, "
                "statement, lang, right_parts, graded_parts, quality) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stamp.isoformat(),
                    quiz,
                    question.id,
                    question.item,
                    question.topic,
                    question.source,
                    answer[:MAX_STORED],
                    question.accepted[:MAX_STORED],
                    None if correct is None else int(correct),
                    statement,
                    lang,
                    right,
                    len(graded),
                    quality,
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
                        v.accepted[:MAX_STORED],
                        None if v.correct is None else int(v.correct),
                    )
                    for i, v in enumerate(verdicts)
                ],
            )
            if quality is not None:
                _schedule_step(cur, question.item, question.topic, quality, stamp)
            cur.execute("COMMIT")
        except sqlite3.Error as e:
            _rollback(self.db)
            raise HistoryWriteError(reason_of(e)) from None
        except BaseException:
            _rollback(self.db)
            raise
        return quality

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        """One statement in its own transaction; HistoryWriteError with the real cause."""
        cur = self.db.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(sql, params)
            cur.execute("COMMIT")
        except sqlite3.Error as e:
            _rollback(self.db)
            raise HistoryWriteError(reason_of(e)) from None
        except BaseException:
            _rollback(self.db)
            raise

    # --- the mock exam ---------------------------------------------------------------------------

    def start_exam(self, exam: str, seed: int, lang: str, minutes: int, questions: int) -> None:
        self._write(
            "INSERT INTO exams (id, seed, lang, minutes, questions, started, elapsed) VALUES (?, ?, ?, ?, ?, ?, 0)",
            (exam, seed, lang, minutes, questions, now().isoformat()),
        )

    def save_exam_answer(self, exam: str, position: int, question: str, answer: str, elapsed: float) -> None:
        """The answer as typed (replacing an earlier one to the same question), and the time spent."""
        cur = self.db.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(
                "INSERT INTO exam_answers (exam, position, question, answer, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(exam, position) DO UPDATE SET answer = excluded.answer, at = excluded.at",
                (exam, position, question, answer[:MAX_STORED], now().isoformat()),
            )
            cur.execute("UPDATE exams SET elapsed = MAX(elapsed, ?) WHERE id = ?", (elapsed, exam))
            cur.execute("COMMIT")
        except sqlite3.Error as e:
            _rollback(self.db)
            raise HistoryWriteError(reason_of(e)) from None
        except BaseException:
            _rollback(self.db)
            raise

    def exam_elapsed(self, exam: str, elapsed: float) -> None:
        self._write("UPDATE exams SET elapsed = MAX(elapsed, ?) WHERE id = ?", (elapsed, exam))

    def hand_in(self, exam: str, score: float, total: float, elapsed: float) -> None:
        self._write(
            "UPDATE exams SET handed_in = ?, score = ?, total = ?, elapsed = MAX(elapsed, ?) WHERE id = ?",
            (now().isoformat(), score, total, elapsed, exam),
        )

    def exams(self, unfinished: bool = False) -> list[dict[str, Any]]:
        """The exams in this history, newest first, each with its answers so far."""
        if self.version < 3:
            return []
        where = "WHERE handed_in IS NULL" if unfinished else ""
        rows = self.db.execute(
            "SELECT id, seed, lang, minutes, questions, started, elapsed, handed_in, score, total FROM exams "
            f"{where} ORDER BY started DESC, rowid DESC"
        ).fetchall()
        out = []
        for row in rows:
            data = dict(
                zip(
                    ("id", "seed", "lang", "minutes", "questions", "started", "elapsed", "handed_in", "score", "total"),
                    row,
                )
            )
            answers = self.db.execute(
                "SELECT position, question, answer, at FROM exam_answers WHERE exam = ? ORDER BY position", (row[0],)
            ).fetchall()
            data["answers"] = {p: {"question": q, "answer": a, "at": at} for p, q, a, at in answers}
            out.append(data)
        return out

    # --- reading -----------------------------------------------------------------------------

    def schedule(self) -> dict[str, tuple[str, sm2.State]]:
        """Every scheduled item: its topic and SM-2 state (an older, unmigrated file: from its boxes)."""
        if self.version >= 3:
            rows = self.db.execute("SELECT item, topic, ease, interval, repetitions, due FROM schedule").fetchall()
            return {
                item: (topic, sm2.State(float(ease), interval, repetitions, _aware(datetime.fromisoformat(due))))
                for item, topic, ease, interval, repetitions, due in rows
            }
        rows = self.db.execute("SELECT item, topic, box, due FROM boxes").fetchall()
        return {
            item: (RENAMED_TOPICS.get(topic, topic), _box_state(box, _aware(datetime.fromisoformat(due))))
            for item, topic, box, due in rows
        }

    def attempts(
        self,
        wrong: bool = False,
        topic: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Past answers, newest first, each with its parts: only the wrong ones, one topic, since a date."""
        cols = "id, at, quiz, question, item, topic, source, answer, expected, correct"
        if self.version >= 2:
            cols += ", statement, lang, right_parts, graded_parts"
        if self.version >= 3:
            cols += ", quality"
        clauses, params = [], []
        if wrong:
            clauses.append("correct = 0")
        if topic is not None:
            names = [topic] + [old for old, new in RENAMED_TOPICS.items() if new == topic]
            clauses.append(f"topic IN ({', '.join('?' * len(names))})")
            params += names
        if since is not None:
            clauses.append("at >= ?")
            params.append(since.isoformat())
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        tail = f" LIMIT {int(limit)}" if limit else ""
        rows = self.db.execute(f"SELECT {cols} FROM attempts {where} ORDER BY at DESC, id DESC{tail}", params)
        names = [c.strip() for c in cols.split(",")]
        out = []
        for row in rows.fetchall():
            data = dict(zip(names, row))
            data["topic"] = RENAMED_TOPICS.get(data["topic"], data["topic"])
            data.setdefault("quality", None)
            if "parts" in self._tables():
                data["parts"] = [
                    dict(zip(("key", "label", "answer", "expected", "correct"), p))
                    for p in self.db.execute(
                        "SELECT key, label, answer, expected, correct FROM parts WHERE attempt = ? ORDER BY position",
                        (data["id"],),
                    )
                ]
            else:
                data["parts"] = [
                    {
                        "key": "answer",
                        "label": "answer",
                        "answer": data["answer"],
                        "expected": data["expected"],
                        "correct": data["correct"],
                    }
                ]
            out.append(data)
        return out

    def _tables(self) -> set[str]:
        if not hasattr(self, "_table_names"):
            self._table_names = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return self._table_names

    def stats(self) -> dict[str, Any]:
        """Questions answered, and parts right of parts graded, by topic and by day."""
        if self.version >= 2:
            right, graded = "COALESCE(right_parts, correct = 1)", "COALESCE(graded_parts, correct IS NOT NULL)"
        else:
            right, graded = "(correct = 1)", "(correct IS NOT NULL)"
        rows = self.db.execute(
            f"SELECT topic, COUNT(*), SUM({right}), SUM({graded}) FROM attempts GROUP BY topic"
        ).fetchall()
        merged: dict[str, list[int]] = {}
        for t, n, r, g in rows:
            acc = merged.setdefault(RENAMED_TOPICS.get(t, t), [0, 0, 0])
            acc[0] += n
            acc[1] += int(r or 0)
            acc[2] += int(g or 0)
        by_topic: list[dict[str, Any]] = [
            {"topic": t, "attempts": n, "right": r, "graded": g, "accuracy": r / g if g else None}
            for t, (n, r, g) in merged.items()
        ]
        days = self.db.execute(
            f"SELECT substr(at, 1, 10), COUNT(*), SUM({right}), SUM({graded}) FROM attempts "
            "GROUP BY substr(at, 1, 10) ORDER BY 1"
        ).fetchall()
        over_time = [
            {
                "day": d,
                "attempts": n,
                "right": int(r or 0),
                "graded": int(g or 0),
                "accuracy": (r or 0) / g if g else None,
            }
            for d, n, r, g in days
        ]
        total = sum(t["attempts"] for t in by_topic)
        graded_topics = [t for t in by_topic if t["graded"]]
        weak = [t for t in graded_topics if t["accuracy"] < 1]  # a topic answered all right is not weak
        weakest = sorted(weak, key=lambda t: (t["accuracy"], -t["graded"]))[:3]
        clock = now()
        schedule = self.schedule()
        due = sum(1 for _, state in schedule.values() if state.due is None or state.due <= clock)
        return {
            "total_attempts": total,
            "right": sum(t["right"] for t in by_topic),
            "graded": sum(t["graded"] for t in by_topic),
            "by_topic": sorted(by_topic, key=lambda t: t["topic"]),
            "over_time": over_time,
            "weakest": [t["topic"] for t in weakest],
            "scheduled": len(schedule),
            "due": due,
            "db": str(self.path),
        }


def _run_script(cur: sqlite3.Cursor, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            cur.execute(statement)


def _aware(moment: datetime) -> datetime:
    """Dates dlcalc wrote carry UTC; one without a zone (an older tool) is read as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _box_state(box: int, due: datetime) -> sm2.State:
    """A Leitner box as SM-2 state when no graded attempt says more: box k meant k − 1 right answers
    in a row, taken as k − 1 answers of quality 4 (right, no ease gained or lost), so n = k − 1,
    EF = 2.5 and SM-2's interval for n (0, 1, 6, 15, 38 days); the due date the student was given
    is kept."""
    state = sm2.State()
    for _ in range(box - 1):  # each answer on the day the previous one made it due
        state = sm2.review(state, 4, state.due or due)
    return sm2.State(state.ease, state.interval, state.repetitions, due)


def _quality_of(right: Any, graded: Any, correct: Any, answer: str) -> int | None:
    if graded is None:
        graded, right = (1, int(correct == 1)) if correct is not None else (0, 0)
    if not graded or correct is None:
        return None
    return sm2.quality(int(right or 0), int(graded), bool((answer or "").strip()))


def _boxes_to_sm2(cur: sqlite3.Cursor) -> None:
    """v2 → v3: each attempt's quality from its parts, and each item's SM-2 state by replaying its
    graded attempts in order (the state SM-2 would have reached had it been used from the start);
    an item with a box but no graded attempt gets `_box_state`."""
    rows = cur.execute(
        "SELECT id, at, item, topic, right_parts, graded_parts, correct, answer FROM attempts ORDER BY at, id"
    ).fetchall()
    states: dict[str, tuple[str, sm2.State, int, datetime]] = {}
    for attempt, at, item, topic, right, graded, correct, answer in rows:
        q = _quality_of(right, graded, correct, answer)
        if q is None:
            continue
        cur.execute("UPDATE attempts SET quality = ? WHERE id = ?", (q, attempt))
        moment = _aware(datetime.fromisoformat(at))
        previous = states[item][1] if item in states else sm2.State()
        states[item] = (topic, sm2.review(previous, q, moment), q, moment)
    for item, topic, box, due in cur.execute("SELECT item, topic, box, due FROM boxes").fetchall():
        if item not in states:
            states[item] = (topic, _box_state(box, _aware(datetime.fromisoformat(due))), None, None)  # type: ignore[assignment]
    for item, (topic, state, q, moment) in states.items():
        cur.execute(
            "INSERT INTO schedule (item, topic, ease, interval, repetitions, due, quality, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item,
                topic,
                state.ease,
                state.interval,
                state.repetitions,
                _iso(state.due),
                q,
                moment.isoformat() if moment else None,
            ),
        )


def _iso(moment: datetime | None) -> str:
    assert moment is not None  # SM-2 always sets the next due date
    return moment.isoformat()


def _schedule_step(cur: sqlite3.Cursor, item: str, topic: str, quality: int, at: datetime) -> None:
    row = cur.execute("SELECT ease, interval, repetitions, due FROM schedule WHERE item = ?", (item,)).fetchone()
    state = sm2.State(float(row[0]), row[1], row[2], _aware(datetime.fromisoformat(row[3]))) if row else sm2.State()
    new = sm2.review(state, quality, at)
    cur.execute(
        "INSERT INTO schedule (item, topic, ease, interval, repetitions, due, quality, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(item) DO UPDATE SET topic = excluded.topic, ease = excluded.ease, interval = excluded.interval, "
        "repetitions = excluded.repetitions, due = excluded.due, quality = excluded.quality, at = excluded.at",
        (item, topic, new.ease, new.interval, new.repetitions, _iso(new.due), quality, at.isoformat()),
    )


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
