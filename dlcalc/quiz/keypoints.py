"""Which key points a written concept answer appears to cover: a hint for honest, fast self-marking.

The student still marks the answer; this only says which key points it *seems* to mention, in
either language. Each key point of a concept question (`key_points: {en: [...], zh: [...]}`,
parallel lists) is read as a few *concepts*:

- English: its content words (no small words such as "the", "and", "it"), compared by a light
  stem (plurals and -ing/-ed/-ation endings folded, then the first six letters), so "accumulates"
  meets "accumulation";
- Chinese: the phrases between punctuation and linking characters (与、和、及、或、的 …); a
  two-character phrase must appear as written, a longer one when three quarters of its characters
  appear and at least two of them side by side ("每步代价大" is found in "每一步的代价都很大").

A concept is also found through its synonyms: the problem's own `synonyms:` (e.g. `cell body:
[soma, 胞体]`) and the glossary's names and aliases of a term (SGD ↔ 随机梯度下降, BN ↔ 批归一化).
A key point counts as covered when at least half of its concepts are found in the English reading
or in the Chinese one, so an answer in either language, or mixing both, is read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

STOP = set(
    """a an the of and or to in on for with by at as is are be been being it its this that these those
    each one ones from not no only than into via per also can may will would so such both either
    very much more less most least all any some same other others their them they we you your our
    i e g eg ie etc about when while which what who how why where there here then thus too just
    has have had do does did up down out over under between among through after before
    i.e e.g vs""".split()
)
ZH_SPLIT = re.compile(
    r"[\s：:，,、；;。．.（）()“”\"'‘’/=＝+＋→←≈<>《》!！?？\-—–…·]+|与|和|及|或|的|是|并|且|但|而|即"
)
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*|\d+[A-Za-z][A-Za-z0-9]*")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def stem(word: str) -> str:
    """A light English stem, the first six letters of the word without its usual endings."""
    w = fold(word).strip("'’-")
    for suffix, keep in (("ations", 5), ("ation", 5), ("ities", 4), ("ity", 4), ("ies", 3), ("sses", 4)):
        if w.endswith(suffix) and len(w) - len(suffix) >= keep - 2:
            w = w[: -len(suffix)] + ("y" if suffix == "ies" else "ss" if suffix == "sses" else "")
            break
    else:
        for suffix in ("ing", "ed", "es", "s", "ly"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith(("ss", "us", "is")):
                w = w[: -len(suffix)]
                break
    return w[:6]


def same_stem(a: str, b: str) -> bool:
    """Stems that agree as far as the shorter goes, at least three letters (fire ~ fired, sum ~ sums)."""
    n = min(len(a), len(b))
    return n >= 3 and a[:n] == b[:n] or a == b


def _words(text: str) -> list[str]:
    return [m.group(0) for m in LATIN.finditer(unicodedata.normalize("NFKC", text))]


def english_concepts(point: str, phrases: Iterable[str] = ()) -> list[str]:
    """The content words of an English key point (technical abbreviations kept: GD, BN, RNN, h_t);
    a known phrase in it (`cell body`, `layer normalization`: a synonym or glossary name of several
    words) is one concept."""
    out = []
    rest = unicodedata.normalize("NFKC", point)
    for phrase in sorted(phrases, key=len, reverse=True):
        pattern = rf"(?<![A-Za-z0-9]){re.escape(phrase)}(?![A-Za-z0-9])"
        if re.search(pattern, rest, re.I):
            out.append(phrase)
            rest = re.sub(pattern, " ", rest, flags=re.I)
    for word in _words(rest):
        lower = fold(word)
        if lower in STOP:
            continue
        if len(lower) < 3 and not (word.isupper() and len(word) >= 2):
            continue
        out.append(word)
    return list(dict.fromkeys(out))


# words that hold a linking character but are one word (饱和 is not 饱 + 和)
KEEP = sorted(
    """饱和 总和 和谐 参与 以及 涉及 不及 或者 或许 目的 的确 但是 于是 就是 还是 总是 是否 只是 而是 不是 合并 并行
    并发 而且 并且 从而 然而 因而 进而 反而 即使 立即 即可""".split(),
    key=len,
    reverse=True,
)


def chinese_concepts(point: str) -> list[str]:
    """The phrases of a Chinese key point; Latin words inside it (ResNet, Adam) count as words."""
    text = unicodedata.normalize("NFKC", point)
    for i, word in enumerate(KEEP):  # shield whole words from the split, then put them back
        text = text.replace(word, f"\x00{i}\x01")
    out = []
    for piece in ZH_SPLIT.split(text):
        piece = re.sub(r"\x00(\d+)\x01", lambda m: KEEP[int(m.group(1))], piece)
        piece = piece.strip()
        if not piece:
            continue
        for word in _words(piece):
            if fold(word) not in STOP and (len(word) >= 3 or (word.isupper() and len(word) >= 2)):
                out.append(word)
        cjk = "".join(ch if CJK.match(ch) else " " for ch in piece).split()
        out += [c for c in cjk if len(c) >= 2]
    return list(dict.fromkeys(out))


class Reader:
    """An answer, prepared once, and the test whether it holds a word or phrase."""

    def __init__(self, answer: str):
        self.text = fold(answer)
        self.stems = {stem(w) for w in _words(answer)}
        self.compact = re.sub(r"\s+", "", self.text)

    def has(self, phrase: str) -> bool:
        if not phrase.strip():
            return False
        if CJK.search(phrase):
            return self._has_chinese(fold(phrase))
        words = _words(phrase)
        if not words:
            return re.sub(r"\s+", "", fold(phrase)) in self.compact  # a formula such as √d_k
        if len(words) == 1 and len(words[0]) <= 4 and words[0].isupper():  # GD, BN, RNN: a word, not inside one
            return re.search(rf"(?<![a-z0-9]){re.escape(fold(words[0]))}s?(?![a-z0-9])", self.text) is not None
        content = [w for w in words if fold(w) not in STOP] or words  # a synonym may be a small word
        return all(self._has_stem(stem(w)) for w in content)

    def _has_stem(self, wanted: str) -> bool:
        return wanted in self.stems or any(same_stem(wanted, s) for s in self.stems)

    def _has_chinese(self, phrase: str) -> bool:
        latin = [w for w in _words(phrase) if fold(w) not in STOP]
        if latin and not all(self._has_stem(stem(w)) for w in latin):
            return False
        chars = "".join(CJK.findall(phrase))
        if not chars:
            return True
        if chars in self.compact:
            return True
        if len(chars) < 3:
            return False
        present = sum(1 for ch in set(chars) if ch in self.compact)
        pairs = any(chars[i : i + 2] in self.compact for i in range(len(chars) - 1))
        return present >= 0.75 * len(set(chars)) and pairs


class Synonyms:
    """Groups of words that mean the same: the problem's own and the glossary's (names and aliases)."""

    def __init__(self, groups: Iterable[Iterable[str]] = (), own: dict[str, list[str]] | None = None):
        self.groups: dict[str, list[str]] = {}
        self.phrases: set[str] = set()  # names of several words, kept whole as one concept
        self.own = {k: [k, *v] for k, v in (own or {}).items() if CJK.search(k)}  # replaced inside phrases
        for group in groups:
            self.add(group)

    def add(self, group: Iterable[str]) -> None:
        words = [w.strip() for w in group if w and w.strip()]
        # one Chinese character (核) or one Latin letter is too common to stand for a term
        words = [w for w in words if len(w) >= 2 and not (CJK.search(w) and len(w) < 2)]
        for w in words:
            key = _key(w)
            self.groups[key] = list(dict.fromkeys(self.groups.get(key, []) + words))
            if " " in w.strip() and not CJK.search(w):
                self.phrases.add(w.strip())

    def of(self, word: str) -> list[str]:
        """`word` and its other spellings; a Chinese phrase also with any word inside it replaced by
        that word's synonyms (梯度通路稳定 → 梯度回传稳定 when 通路 ~ 回传)."""
        out = [word, *self.groups.get(_key(word), [])]
        if CJK.search(word):
            for key, group in self.own.items():
                if key in word and key != word:
                    out += [word.replace(key, alt) for alt in group if alt != key]
        return list(dict.fromkeys(out))


def _key(word: str) -> str:
    return "".join(ch for ch in fold(word) if ch.isalnum())


_GLOSSARY_GROUPS: list[list[str]] | None = None


def glossary_groups() -> list[list[str]]:
    """Every glossary term's names and aliases (loaded once; empty if the glossary cannot be read)."""
    global _GLOSSARY_GROUPS
    if _GLOSSARY_GROUPS is None:
        try:
            from dlcalc.glossary import load

            _GLOSSARY_GROUPS = [[e.name.en, e.name.zh, *e.aliases] for e in load()]
        except Exception:  # a hint must never stop a quiz
            _GLOSSARY_GROUPS = []
    return _GLOSSARY_GROUPS


def synonyms_for(problem_synonyms: dict[str, list[str]] | None, glossary: bool = True) -> Synonyms:
    groups: list[list[str]] = list(glossary_groups()) if glossary else []
    groups += [[word, *alts] for word, alts in (problem_synonyms or {}).items()]
    return Synonyms(groups, problem_synonyms)


def covered(
    answer: str,
    key_points: dict[str, list[str]],
    synonyms: dict[str, list[str]] | None = None,
    glossary: bool = True,
    statement: Any = None,
) -> list[bool]:
    """For each key point (the `en` and `zh` lists are parallel), whether the answer seems to cover it.

    Words the question itself uses (`statement`, a bilingual Text) say nothing about the answer
    ("LSTM" in an answer comparing LSTM and GRU), so they are left out of a key point that has
    other concepts."""
    reader = Reader(answer)
    asked = Reader(f"{statement.en}\n{statement.zh}") if statement is not None else None
    table = synonyms_for(synonyms, glossary)
    out = []
    for en, zh in zip(key_points["en"], key_points["zh"]):
        shares = []
        for concepts in (english_concepts(en, table.phrases), chinese_concepts(zh)):
            if asked is not None:
                own = [c for c in concepts if not asked.has(c)]
                concepts = own or concepts
            if concepts:
                found = sum(1 for c in concepts if any(reader.has(alt) for alt in table.of(c)))
                shares.append(found / len(concepts))
        out.append(bool(shares) and max(shares) >= 0.5)
    return out


def hint(answer: str, question: Any) -> list[bool]:
    """`covered` for a quiz question (its key points and synonyms); all False when it has none."""
    points = getattr(question, "key_points", None)
    if not points:
        return []
    return covered(answer, points, getattr(question, "synonyms", None) or {}, statement=question.statement)
