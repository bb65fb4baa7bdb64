"""The bilingual glossary of the course's terms: load, validate, look up, check, and drill.

The entries live in `problems/glossary*.yaml` (shipped as `dlcalc.problems`), read with PyYAML's
safe loader only. Every entry has an id, a topic, a name and a short definition in Chinese and
English, and optionally aliases, the course-notes headings it covers (`sections`), formulas
(plain text and LaTeX, shown through the same renderer as a solver's steps), related entries, and
the dlcalc command that computes it (`try`). The schema is at the top of
`problems/glossary-foundations.yaml`; every load error names the file and the line.

Looking a term up ignores case, width (NFKC), spaces and punctuation, so `Batch_size`, `batch
size` and `ｂａｔｃｈ ｓｉｚｅ` are one key and `感受 野` finds 感受野; a small typo (`recptive
field`) is forgiven when one entry is clearly closest. Nothing here imports torch or sympy.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlcalc.errors import DlcalcError
from dlcalc.text import T, Text

GLOB = "glossary*.yaml"

TOPICS: dict[str, Text] = {
    "foundations": T("Foundations of machine learning", "机器学习基础"),
    "neurons": T("Neurons, perceptrons and networks", "神经元、感知机与网络结构"),
    "activations": T("Activation functions", "激活函数"),
    "training": T("Losses, gradients and training", "损失、梯度与训练"),
    "optimizers": T("Optimizers", "优化器"),
    "regularization": T("Overfitting, regularization and normalization", "过拟合、正则化与归一化"),
    "cnn": T("Convolutional networks", "卷积神经网络"),
    "architectures": T("Classic architectures", "经典网络模型"),
    "sequences": T("Recurrent networks and sequences", "循环网络与序列模型"),
    "attention": T("Attention and transformers", "注意力与 Transformer"),
    "evaluation": T("Evaluation metrics", "评价指标"),
    "pytorch": T("PyTorch practice", "PyTorch 实践"),
}

REQUIRED = ("id", "topic", "name", "definition")
OPTIONAL = ("aliases", "sections", "formula", "related", "try")
ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class GlossaryError(DlcalcError):
    """A glossary file that cannot be loaded, or an entry that breaks a rule: names file and line."""


@dataclass(frozen=True)
class Formula:
    text: str
    latex: str
    label: Text | None = None


@dataclass(frozen=True)
class Example:
    """The dlcalc command that computes the term, with any small input files it reads."""

    command: str
    look: Text | None = None  # where to look in its output (a column, a row)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def argv(self) -> list[str]:
        import shlex

        return shlex.split(self.command)[1:]

    def inputs(self) -> dict[str, str]:
        """The text of every file the command reads: its own `files`, else the shipped example it names."""
        from dlcalc.data import example_path

        shown = dict(self.files)
        for name in file_arguments(self.argv):
            path = example_path(name) if name not in shown else None
            if path is not None:
                shown[name] = path.read_text(encoding="utf-8")
        return shown


FILE_OPTIONS = ("-f", "--file")


def file_arguments(words: list[str]) -> list[str]:
    """The files a command line names with -f FILE / --file FILE / --file=FILE."""
    names = []
    for before, word in zip(["", *words], words):
        if before in FILE_OPTIONS:
            names.append(word)
        elif word.startswith("--file="):
            names.append(word.removeprefix("--file="))
    return names


@dataclass
class Entry:
    id: str
    topic: str
    name: Text
    definition: Text
    aliases: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # headings of the course notes this entry covers
    formulas: list[Formula] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    example: Example | None = None
    path: Path | None = None
    index: int = 0  # position in its file, for the line of error messages

    def keys(self) -> list[str]:
        """Every string that names this entry: both names, the aliases, the course headings."""
        return [self.name.en, self.name.zh, *self.aliases, *self.sections]

    def label(self, lang: str = "en") -> str:
        """`receptive field (感受野)`: the name in `lang`, then in the other language."""
        other = self.name.en if lang == "zh" else self.name.zh
        return f"{self.name(lang)} ({other})"


# ---------------------------------------------------------------------------------------------
# Normalising and scoring strings


def normalize(text: str) -> str:
    """The lookup key: NFKC (full-width → ASCII), case-folded, without spaces and punctuation.

    `×` and `*` between digits read as `x` (1×1 → 1x1); mathematical symbols (∇, ∂) are kept so a
    name made of one symbol still has a key.
    """
    text = unicodedata.normalize("NFKC", text).casefold().replace("×", "x").replace("*", "x")
    return "".join(ch for ch in text if ch.isalnum() or unicodedata.category(ch) == "Sm")


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap two neighbours).

    With `limit`, any distance above it is reported as limit + 1 as soon as a row proves it.
    """
    if a == b:
        return 0
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        if limit is not None and min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _grams(key: str) -> dict[str, int]:
    padded = f"^{key}$"
    grams: dict[str, int] = {}
    for i in range(len(padded) - 1):
        grams[padded[i : i + 2]] = grams.get(padded[i : i + 2], 0) + 1
    return grams


def similarity(query: str, key: str) -> float:
    """0..1: how alike two normalised strings are (bigram overlap, containment, edit distance)."""
    if not query or not key:
        return 0.0
    if query == key:
        return 1.0
    a, b = _grams(query), _grams(key)  # bigram multisets: "qqqq" shares one "qq" with "qq", not four
    score = 2 * sum(min(n, b.get(g, 0)) for g, n in a.items()) / (len(query) + len(key) + 2)
    shorter, longer = sorted((query, key), key=len)
    if len(shorter) >= 2 and shorter in longer:
        score = max(score, 0.5 + 0.5 * len(shorter) / len(longer))
    if score > 0.25:  # the edit distance only where bigrams already see a resemblance
        score = max(score, 1 - edit_distance(query, key) / max(len(query), len(key)))
    return score


def typo_limit(key: str) -> int:
    """How many edits a typed key may be from a name and still be taken as that name."""
    n = len(key)
    return 0 if n < 4 else 1 if n < 8 else 2 if n < 15 else 3


# ---------------------------------------------------------------------------------------------
# Loading


def glossary_dir(path: str | Path | None = None) -> Path:
    """The folder holding glossary*.yaml: the given one, else the bank's (problems/ or the package copy)."""
    from dlcalc.bank import bank_dir

    return bank_dir(path)


def _yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Lines:
    """Line numbers of a file's entries and their keys, composed only when an error needs one."""

    def __init__(self, path: Path, text: str):
        self.path, self.text = path, text
        self._nodes: list[Any] | None = None

    def of(self, index: int | None = None, key: str | None = None) -> int:
        import yaml

        if self._nodes is None:
            try:
                root = yaml.compose(self.text, Loader=_yaml_loader())
            except yaml.YAMLError:
                root = None
            self._nodes = list(root.value) if root is not None and isinstance(root.value, list) else []
        if index is None or index >= len(self._nodes):
            return 1
        node = self._nodes[index]
        if key is not None and isinstance(node.value, list):
            for k, _ in node.value:
                if getattr(k, "value", None) == key:
                    return k.start_mark.line + 1
        return node.start_mark.line + 1


def _read(path: Path) -> str:
    from dlcalc import yamlio  # the one bounded loader: file size checked before reading

    return yamlio.read_text(path, "glossary", GlossaryError)


def _parse(path: Path, text: str) -> Any:
    from dlcalc import yamlio  # libyaml, with the depth, alias and size limits of README "Limits and guarantees"

    return yamlio.load(text, str(path), GlossaryError)


def _entries(path: Path, text: str, data: Any) -> list[Entry]:
    if data is None:
        return []
    lines = _Lines(path, text)
    if not isinstance(data, list):
        raise GlossaryError(f"{path}:1: expected a list of glossary entries")
    return [_entry(item, i, path, lines) for i, item in enumerate(data)]


def load_file(path: Path) -> list[Entry]:
    """The entries of one glossary file (a YAML list of mappings), each checked on its own."""
    text = _read(path)
    return _entries(path, text, _parse(path, text))


def _entry(data: Any, index: int, path: Path, lines: _Lines) -> Entry:
    if not isinstance(data, dict):
        raise GlossaryError(f"{path}:{lines.of(index)}: expected an entry (a mapping with id, topic, name, definition)")
    who = data.get("id", "?")

    def bad(key: str | None, message: str) -> GlossaryError:
        where = f"{key}: " if key else ""
        return GlossaryError(f"{path}:{lines.of(index, key)}: {who}: {where}{message}")

    for key in data:
        if key not in REQUIRED and key not in OPTIONAL:
            raise bad(key, f"unknown field (expected {', '.join(REQUIRED + OPTIONAL)})")
    for key in REQUIRED:
        if key not in data:
            raise bad(None, f"missing field {key!r}")
    if not isinstance(data["id"], str) or not ID.fullmatch(data["id"]):
        raise bad("id", "expected lower-case letters and digits joined by '-'")
    if data["topic"] not in TOPICS:
        raise bad("topic", f"expected one of {', '.join(TOPICS)}")
    name = _bilingual(data["name"], bad, "name")
    definition = _bilingual(data["definition"], bad, "definition")
    entry = Entry(id=data["id"], topic=data["topic"], name=name, definition=definition, path=path, index=index)
    for key in ("aliases", "sections", "related"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise bad(key, "expected a list of non-empty strings")
        setattr(entry, key, [v.strip() for v in value])
    for related in entry.related:
        if related == entry.id:
            raise bad("related", "an entry is not related to itself")
    if len(set(entry.related)) != len(entry.related):
        raise bad("related", "lists an id twice")
    formulas = data.get("formula", [])
    if not isinstance(formulas, list):
        raise bad("formula", "expected a list of {text, latex, label}")
    for f in formulas:
        if not isinstance(f, dict) or set(f) - {"text", "latex", "label"} or not {"text", "latex"} <= set(f):
            raise bad("formula", "each formula is {text: …, latex: …} with an optional label {zh, en}")
        if not all(isinstance(f[k], str) and f[k].strip() for k in ("text", "latex")):
            raise bad("formula", "text and latex must be non-empty strings")
        if not f["latex"].isascii():
            raise bad("formula", f"latex must be ASCII (pdflatex sets it): {f['latex']!r}")
        if f["latex"].count("{") != f["latex"].count("}"):
            raise bad("formula", f"unbalanced braces in latex {f['latex']!r}")
        label = _bilingual(f["label"], bad, "formula") if "label" in f else None
        entry.formulas.append(Formula(f["text"].strip(), f["latex"].strip(), label))
    if "try" in data:
        entry.example = _example(data["try"], bad)
    return entry


def _bilingual(value: Any, bad: Any, key: str) -> Text:
    if not isinstance(value, dict) or set(value) != {"zh", "en"}:
        raise bad(key, "expected both zh and en")
    for lang in ("zh", "en"):
        v = value[lang]
        if not isinstance(v, str) or not v.strip():
            raise bad(key, f"{lang}: expected text")
    zh, en = " ".join(value["zh"].split()), " ".join(value["en"].split())
    if not CJK.search(zh):
        raise bad(key, "zh: expected Chinese text")
    if CJK.search(en):
        raise bad(key, "en: Chinese characters in the English text")
    return T(en, zh)


def _example(value: Any, bad: Any) -> Example:
    import shlex

    if not isinstance(value, dict) or "command" not in value or set(value) - {"command", "look", "files"}:
        raise bad("try", "expected {command: 'dlcalc …', look: {zh, en}, files: {name: text}}")
    command = value["command"]
    if not isinstance(command, str):
        raise bad("try", "command: expected a dlcalc command line")
    try:
        words = shlex.split(command)
    except ValueError as e:
        raise bad("try", f"command: cannot split {command!r} ({e})") from None
    commands = _command_names()
    if len(words) < 2 or words[0] != "dlcalc" or words[1] not in commands:
        raise bad("try", f"command: expected 'dlcalc COMMAND …' with COMMAND one of {', '.join(commands)}")
    files = value.get("files", {})
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and re.fullmatch(r"[\w.-]+", k) and isinstance(v, str) for k, v in files.items()
    ):
        raise bad("try", "files: expected {file name: its text}")
    for name in files:
        if name not in words:
            raise bad("try", f"files: {name} is not used by the command")
    _check_file_words(words, files, bad)
    look = _bilingual(value["look"], bad, "try") if "look" in value else None
    return Example(" ".join(command.split()), look, dict(files))


def _check_file_words(words: list[str], files: dict[str, str], bad: Any) -> None:
    """The command names its input files as the student would type it: `-f NAME`, NAME a shipped example
    (`dlcalc examples` lists them; `-f` finds them from any folder) or one of the entry's `files`."""
    from dlcalc.data import example_path

    named = file_arguments(words)
    for before, word in zip(["", *words], words):
        if re.fullmatch(r"[^-=\s][^=\s]*\.ya?ml", word) and before not in FILE_OPTIONS:
            raise bad("try", f"command: write the file as -f {word} (a positional FILE is the old spelling)")
    for name in named:
        if name not in files and example_path(name) is None:
            raise bad("try", f"command: -f {name}: not a shipped example (dlcalc examples lists them) nor in files")


def _command_names() -> list[str]:
    from dlcalc.cli import command_modules

    return [c for c in command_modules() if c != "explain"]  # an example never explains (no recursion)


# ---------------------------------------------------------------------------------------------
# The glossary


@dataclass
class Match:
    entry: Entry
    how: str  # "exact" (a name, alias or heading, normalised) or "typo" (a few edits away)
    key: str  # the name or alias that matched


class Glossary:
    def __init__(self, entries: list[Entry]):
        self.entries = entries
        self.by_id = {e.id: e for e in entries}
        self.index: dict[str, tuple[Entry, str]] = {}
        for entry in entries:
            for key in entry.keys():
                self.index.setdefault(normalize(key) or key, (entry, key))

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def get(self, entry_id: str) -> Entry:
        return self.by_id[entry_id]

    def by_topic(self) -> dict[str, list[Entry]]:
        out: dict[str, list[Entry]] = {t: [] for t in TOPICS}
        for entry in self.entries:
            out[entry.topic].append(entry)
        return {t: es for t, es in out.items() if es}

    def lookup(self, query: str) -> Match | None:
        """The entry a typed term means, or None when no entry is clearly meant.

        Exact on the normalised key first (an English plural also finds its singular), then a
        typo: the closest key within `typo_limit` edits, taken only when no other entry is as close.
        """
        key = normalize(query) or query.strip()
        if not key:
            return None
        for candidate in (key, key[:-1] if key.endswith("s") else None, key[:-2] if key.endswith("es") else None):
            if candidate and candidate in self.index:
                entry, name = self.index[candidate]
                return Match(entry, "exact", name)
        limit = typo_limit(key)
        if not limit:
            return None
        best: dict[str, tuple[int, str]] = {}
        for k, (entry, name) in self.index.items():
            if len(k) < 4:
                continue
            d = edit_distance(key, k, limit)
            if d <= limit and d < best.get(entry.id, (limit + 1, ""))[0]:
                best[entry.id] = (d, name)
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda kv: kv[1][0])
        if len(ranked) > 1 and ranked[1][1][0] == ranked[0][1][0]:
            return None  # two entries equally close: ask instead of guessing
        entry_id, (_, name) = ranked[0]
        return Match(self.by_id[entry_id], "typo", name)

    def nearest(self, query: str, n: int = 5, floor: float = 0.4) -> list[Entry]:
        """The entries whose names look most like `query`, best first (for an unknown term)."""
        key = normalize(query) or query.strip()
        scores: dict[str, float] = {}
        for k, (entry, _) in self.index.items():
            s = similarity(key, k)
            if s >= floor and s > scores.get(entry.id, 0.0):
                scores[entry.id] = s
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [self.by_id[i] for i, _ in ranked[:n]]


def load(path: str | Path | None = None, cache: bool = True) -> Glossary:
    """Every glossary*.yaml in the folder, checked: ids, aliases and headings unique, related ids exist.

    Parsing the YAML costs more than everything else `dlcalc explain` does, so the parsed data is
    kept in the user's cache folder under a hash of the files' text (any edit misses the cache);
    the entries are still built and checked from it on every load.
    """
    folder = glossary_dir(path)
    files = sorted(folder.glob(GLOB))
    texts = [_read(f) for f in files]
    parsed = _cache_get(files, texts) if cache else None
    if parsed is None:
        parsed = [_parse(f, t) for f, t in zip(files, texts)]
        if cache:
            _cache_put(files, texts, parsed)
    entries: list[Entry] = []
    for f, t, data in zip(files, texts, parsed):
        entries += _entries(f, t, data)
    _check_links(entries)
    return Glossary(entries)


CACHE_VERSION = 1


def _cache_file(files: list[Path], texts: list[str]) -> Path | None:
    import hashlib
    import os

    digest = hashlib.sha256(f"glossary cache {CACHE_VERSION}".encode())
    for f, t in zip(files, texts):
        digest.update(f"\0{f.name}\0{len(t)}\0".encode() + t.encode("utf-8"))
    folder = os.environ.get("DLCALC_CACHE")
    if not folder:
        try:
            from platformdirs import user_cache_dir
        except ImportError:
            return None
        folder = user_cache_dir("dlcalc", appauthor=False)
    return Path(folder) / f"glossary-{digest.hexdigest()[:32]}.json"


def _cache_get(files: list[Path], texts: list[str]) -> list[Any] | None:
    import json

    cache = _cache_file(files, texts)
    try:
        data = json.loads(cache.read_text(encoding="utf-8")) if cache is not None else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, list) and len(data) == len(files) else None


def _cache_put(files: list[Path], texts: list[str], parsed: list[Any]) -> None:
    """Write the parsed files (only when they are plain JSON data); any failure just skips the cache."""
    import json
    import os
    import tempfile

    cache = _cache_file(files, texts)
    if cache is None:
        return
    try:
        text = json.dumps(parsed, ensure_ascii=False)
        if json.loads(text) != parsed:  # a date, a set, a non-string key: leave it to YAML next time
            return
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".glossary-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, cache)
        for old in cache.parent.glob("glossary-*.json"):  # caches of earlier versions of the files
            if old != cache:
                old.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError):
        pass


def where(entry: Entry, key: str | None = None) -> str:
    """file:line of an entry (or of one of its keys), for messages that name it."""
    if entry.path is None:
        return entry.id
    text = entry.path.read_text(encoding="utf-8")
    return f"{entry.path}:{_Lines(entry.path, text).of(entry.index, key)}"


def _check_links(entries: list[Entry]) -> None:
    ids: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in ids:
            raise GlossaryError(f"{where(entry, 'id')}: id {entry.id!r} is also used at {where(ids[entry.id])}")
        ids[entry.id] = entry
    owner: dict[str, tuple[Entry, str]] = {}
    for entry in entries:
        for key in entry.keys():
            k = normalize(key) or key
            if k in owner:
                other, other_key = owner[k]
                who = "this entry" if other is entry else f"{other.id} ({where(other)})"
                field = "aliases" if key in entry.aliases else "sections" if key in entry.sections else "name"
                raise GlossaryError(
                    f"{where(entry, field)}: {entry.id}: {key!r} is the same term as {other_key!r} of {who}"
                    " (names, aliases and sections must be unique after normalising case, width and spaces)"
                )
            owner[k] = (entry, key)
    for entry in entries:
        for related in entry.related:
            if related not in ids:
                raise GlossaryError(f"{where(entry, 'related')}: {entry.id}: related: no entry {related!r}")


# ---------------------------------------------------------------------------------------------
# Checking every entry end to end (dlcalc explain --check)


@dataclass
class Problem:
    entry: Entry
    message: str


def run_example(example: Example, extra: list[str], capture: bool = True) -> tuple[int, str, str]:
    """Run an entry's command in-process through the CLI's own `run`, its files in a temp folder.

    Returns (exit code, stdout, stderr); with capture=False the output goes to the terminal.
    """
    import contextlib
    import io
    import tempfile

    from dlcalc.cli import run

    with tempfile.TemporaryDirectory(prefix="dlcalc-explain-") as tmp:
        for name, text in example.files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        argv = [str(Path(tmp) / a) if a in example.files else a for a in example.argv] + extra
        if not capture:
            return run(argv), "", ""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(argv)
        return code, out.getvalue(), err.getvalue()


def check(glossary: Glossary, torch: bool = False) -> list[Problem]:
    """Every entry's command runs and exits 0 (with torch: its own --check passes too).

    Both languages, unique names and existing related ids were checked when the glossary loaded.
    """
    problems: list[Problem] = []
    for entry in glossary:
        if entry.example is None:
            continue
        code, _, err = run_example(entry.example, ["--json"] + (["--check"] if torch else []))
        if code != 0:
            why = err.strip().splitlines()[-1] if err.strip() else f"exit code {code}"
            problems.append(Problem(entry, f"`{entry.example.command}` failed: {why}"))
        elif err.strip():  # a deprecation note, a warning: the command as printed is not clean
            problems.append(
                Problem(entry, f"`{entry.example.command}` printed on stderr: {err.strip().splitlines()[0]}")
            )
    return problems


# ---------------------------------------------------------------------------------------------
# Term drills: plain data for the quiz


DIRECTIONS = ("term-to-definition", "definition-to-term")
PROMPTS = {
    "term-to-definition": T("Which statement defines “{name}”?", "下列哪一项是“{name}”的含义？"),
    "definition-to-term": T("Which term is this? {definition}", "下面描述的是哪个术语？{definition}"),
}
BLANK = "____"


def masked(entry: Entry, lang: str) -> str:
    """The definition with the entry's own names blanked, so it never gives its answer away."""
    text = entry.definition(lang)
    for key in sorted(entry.keys(), key=len, reverse=True):
        if len(normalize(key)) < 2:
            continue
        if key.isascii():
            pattern = r"(?<![A-Za-z0-9])" + re.escape(key) + r"(?:e?s)?(?![A-Za-z0-9])"  # plurals too
            text = re.sub(pattern, BLANK, text, flags=re.IGNORECASE)
        else:
            text = text.replace(key, BLANK)
    return text


def drill_questions(
    glossary: Glossary,
    rng: random.Random | int,
    n: int | None = None,
    *,
    topics: list[str] | None = None,
    ids: list[str] | None = None,
    directions: tuple[str, ...] = DIRECTIONS,
    choices: int = 4,
) -> list[dict[str, Any]]:
    """Multiple-choice term drills, term → definition and definition → term, in both languages.

    Picks `n` entries (all of them when None) of `topics` / `ids` with `rng` (a `random.Random` or
    a seed; the same seed gives the same questions). Distractors come from the entry's related
    terms first, then its topic, then the rest. Each question is plain data:
    `{"id", "item", "term", "topic", "direction", "prompt": {"en", "zh"}, "choices": {"en": [...],
    "zh": [...]}, "choice_ids": [...], "answer": "B", "answer_index": 1}`; `item` ("term:<id>") is
    what a study history schedules, the same for both directions.
    """
    rng = rng if isinstance(rng, random.Random) else random.Random(rng)
    for d in directions:
        if d not in DIRECTIONS:
            raise DlcalcError(f"drill direction: expected one of {', '.join(DIRECTIONS)}, got {d!r}")
    pool = [e for e in glossary if (topics is None or e.topic in topics) and (ids is None or e.id in ids)]
    if ids is not None:
        unknown = sorted(set(ids) - {e.id for e in glossary})
        if unknown:
            raise DlcalcError(f"drill: no glossary entry {', '.join(unknown)}")
    if choices < 2 or choices > min(8, len(glossary)):
        raise DlcalcError(f"drill: choices must be 2 to {min(8, len(glossary))}, got {choices}")
    picked = pool if n is None else rng.sample(pool, min(n, len(pool)))
    return [_drill(glossary, e, rng.choice(directions), rng, choices) for e in picked]


def _drill(glossary: Glossary, entry: Entry, direction: str, rng: random.Random, k: int) -> dict[str, Any]:
    def shown(e: Entry, lang: str) -> str:
        return e.name(lang) if direction == "definition-to-term" else masked(e, lang)

    def tiers() -> list[list[Entry]]:
        related = [glossary.by_id[i] for i in entry.related]
        topic = [e for e in glossary if e.topic == entry.topic and e is not entry and e not in related]
        rest = [e for e in glossary if e.topic != entry.topic and e is not entry and e not in related]
        return [related, topic, rest]

    seen = {lang: {shown(entry, lang)} for lang in ("en", "zh")}
    distractors: list[Entry] = []
    for tier in tiers():
        tier = list(tier)
        rng.shuffle(tier)
        for e in tier:
            if len(distractors) == k - 1:
                break
            if any(shown(e, lang) in seen[lang] for lang in ("en", "zh")):
                continue  # two options that read the same would make two right answers
            distractors.append(e)
            for lang in ("en", "zh"):
                seen[lang].add(shown(e, lang))
    options = [entry, *distractors]
    rng.shuffle(options)
    at = options.index(entry)
    prompt = PROMPTS[direction]
    return {
        "id": f"term:{entry.id}:{direction}",
        "item": f"term:{entry.id}",
        "term": entry.id,
        "topic": entry.topic,
        "direction": direction,
        "prompt": {
            lang: prompt(lang).format(name=entry.name(lang), definition=masked(entry, lang)) for lang in ("en", "zh")
        },
        "choices": {lang: [shown(e, lang) for e in options] for lang in ("en", "zh")},
        "choice_ids": [e.id for e in options],
        "answer": "ABCDEFGH"[at],
        "answer_index": at,
    }


# ---------------------------------------------------------------------------------------------
# Results for the renderer (dlcalc explain)

LABELS = {
    "definition": T("Definition", "定义"),
    "aliases": T("Also written", "又称"),
    "topic": T("Topic", "主题"),
    "sections": T("Course notes", "课程笔记"),
    "formula": T("Formula", "公式"),
    "related": T("Related", "相关术语"),
    "try": T("Try", "试一试"),
    "look": T("Look at", "看哪里"),
    "terms": T("Terms", "术语数"),
    "drawn": T("In a diagram", "图中"),
}


def entry_dict(entry: Entry, glossary: Glossary) -> dict[str, Any]:
    """An entry as plain data (both languages), the `--json` form."""
    ex = entry.example
    return {
        "id": entry.id,
        "topic": entry.topic,
        "name": {"en": entry.name.en, "zh": entry.name.zh},
        "definition": {"en": entry.definition.en, "zh": entry.definition.zh},
        "aliases": entry.aliases,
        "sections": entry.sections,
        "formulas": [
            {"text": f.text, "latex": f.latex, "label": {"en": f.label.en, "zh": f.label.zh} if f.label else None}
            for f in entry.formulas
        ],
        "related": [{"id": i, "en": glossary.by_id[i].name.en, "zh": glossary.by_id[i].name.zh} for i in entry.related],
        "command": ex.command if ex else None,
        "look": {"en": ex.look.en, "zh": ex.look.zh} if ex and ex.look else None,
        "files": ex.inputs() if ex else {},
    }


def explain_result(
    entry: Entry, glossary: Glossary, match: Match | None = None, query: str = "", terminal: bool = False
) -> Any:
    """The entry as a `Result`: summary rows, each formula a step (the solvers' renderer shows them).

    For the terminal (`terminal=True`) the formulas go among the summary rows instead (its step
    list is headed "Derivation"), and Chinese loses the spaces around embedded Latin words: the
    terminal wraps at spaces, which would break a Chinese line at every `RNN` or `sigmoid`.
    """
    from dlcalc.mathfmt import Math
    from dlcalc.result import Result, Step

    answer = entry_dict(entry, glossary)
    if match is not None:
        answer["match"] = {"query": query, "how": match.how, "key": match.key}
    definition = T(entry.definition.en, _compact(entry.definition.zh)) if terminal else entry.definition
    rows: list[tuple[Text, Any]] = [(LABELS["definition"], definition)]
    drawn = drawn_caption(entry.id)
    if drawn is not None:  # the caption `dlcalc draw` puts in its legend (dlcalc/draw/captions.py)
        topics, caption = drawn
        answer["caption"] = {"en": caption.en, "zh": caption.zh, "draw": list(topics)}
        where = " · ".join(f"dlcalc draw {t}" for t in topics)
        text = T(caption.en, _compact(caption.zh)) if terminal else caption
        rows.append((LABELS["drawn"], T(f"{text.en} ({where})", f"{text.zh}（{where}）")))
    if entry.aliases:
        rows.append((LABELS["aliases"], ", ".join(entry.aliases)))
    rows.append((LABELS["topic"], TOPICS[entry.topic]))
    if entry.sections:
        rows.append((LABELS["sections"], "、".join(entry.sections)))
    steps = []
    for f in entry.formulas:
        if terminal:
            rows.append(
                (LABELS["formula"], T(f"{f.label.en}: {f.text}", f"{f.label.zh}：{f.text}") if f.label else f.text)
            )
        else:
            steps.append(Step(label=f.label or LABELS["formula"], chain=[Math(f.text, f.latex)]))
    if entry.related:
        names = [glossary.by_id[i].name for i in entry.related]
        rows.append((LABELS["related"], T(", ".join(n.en for n in names), "、".join(n.zh for n in names))))
    figures = []
    if entry.example is not None:
        rows.append((LABELS["try"], entry.example.command))
        if entry.example.look is not None:
            look = entry.example.look
            rows.append((LABELS["look"], T(look.en, _compact(look.zh)) if terminal else look))
        for name, content in entry.example.inputs().items():
            figures.append([f"# {name}", *content.rstrip("\n").split("\n")])
    notes = []
    if match is not None and match.how == "typo":
        notes.append(T(f"Showing “{match.key}” for “{query}”.", f"按“{match.key}”显示（输入的是“{query}”）。"))
    return Result(
        kind="explain",
        title=T(entry.label("en"), entry.label("zh")),
        answer=answer,
        summary=rows,
        steps=steps,
        notes=notes,
        figures=figures,
    )


def drawn_caption(term_id: str) -> tuple[tuple[str, ...], Text] | None:
    """The topics of `dlcalc draw` that label this term, and the caption their legend gives it."""
    from dlcalc.draw.captions import drawn_in

    return drawn_in(term_id)


def _compact(zh: str) -> str:
    return re.sub(rf"(?<={CJK.pattern}) +| +(?={CJK.pattern})", "", zh)


def list_result(glossary: Glossary, topic: str | None = None, as_tables: bool = True) -> Any:
    """Every term by topic: a table per topic for the terminal, a row per topic otherwise."""
    from dlcalc.result import Result, Table

    groups = {t: es for t, es in glossary.by_topic().items() if topic is None or t == topic}
    count = sum(len(es) for es in groups.values())
    answer = {
        "count": count,
        "topics": [
            {
                "id": t,
                "name": {"en": TOPICS[t].en, "zh": TOPICS[t].zh},
                "terms": [
                    {
                        "id": e.id,
                        "en": e.name.en,
                        "zh": e.name.zh,
                        "aliases": e.aliases,
                        "command": e.example.command if e.example else None,
                    }
                    for e in es
                ],
            }
            for t, es in groups.items()
        ],
    }
    rows: list[tuple[Text, Any]] = [(LABELS["terms"], str(count))]
    tables = []
    for t, es in groups.items():
        if as_tables:
            tables.append(
                Table(
                    columns=[T("term", "术语"), T("中文", "English"), T("try", "试一试")],
                    rows=[[e.name, T(e.name.zh, e.name.en), e.example.command if e.example else ""] for e in es],
                    title=TOPICS[t] + T(f" ({len(es)})", f"（{len(es)}）"),
                    wrap=2,
                )
            )
        else:
            rows.append((TOPICS[t], T(", ".join(e.name.en for e in es), "、".join(e.name.zh for e in es))))
    return Result(
        kind="glossary",
        title=T("Glossary of the course", "课程术语表"),
        answer=answer,
        summary=rows,
        tables=tables,
        notes=[
            T(
                "dlcalc explain TERM shows one entry (English or Chinese).",
                "dlcalc explain 术语 显示一条（中英文均可）。",
            )
        ],
    )


def check_result(glossary: Glossary, problems: list[Problem], torch: bool) -> Any:
    from dlcalc.result import Result

    commands = sum(1 for e in glossary if e.example is not None)
    failed = [{"id": p.entry.id, "where": where(p.entry), "message": p.message} for p in problems]
    verdict = (
        T("every entry passes", "全部通过")
        if not problems
        else T(f"{len(problems)} entr{'y' if len(problems) == 1 else 'ies'} failed", f"{len(problems)} 条未通过")
    )
    return Result(
        kind="glossary-check",
        title=T("Glossary check", "术语表检查"),
        answer={"entries": len(glossary), "commands": commands, "torch": torch, "ok": not problems, "failed": failed},
        summary=[
            (T("Entries", "条目"), str(len(glossary))),
            (
                T("Checked on load", "载入时已检查"),
                T(
                    "both languages, unique names and aliases, related ids exist",
                    "中英文齐全、名称与别名唯一、相关术语存在",
                ),
            ),
            (
                T("Commands run", "运行的命令"),
                T(
                    f"{commands}" + (" (each with its torch --check)" if torch else ""),
                    f"{commands}" + ("（每条都经 torch --check）" if torch else ""),
                ),
            ),
            (T("Result", "结果"), verdict),
        ],
        notes=[
            T(f"✗ {f['id']} ({f['where']}): {f['message']}", f"✗ {f['id']}（{f['where']}）：{f['message']}")
            for f in failed
        ],
    )
