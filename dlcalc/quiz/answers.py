"""Reading what a student types, generously, and grading it part by part.

A typed answer is plain text, never markup and never code. It is read after Unicode
normalisation (full-width digits, `．`, `，`, `－`, `＝`, subscripts), in the forms students
write: `25x26x26`, `(25, 26, 26)`, `0.7, -0.6`, `1/3`, `2.5e-3`, `203,530`, `15.5G`, and with
labels (`h1=0.2441`, `C=4, H=18, W=13`, `shape = 4×18×13; params = 184`), percentages (`80%`,
`８０％` read as 0.8; where the reference lies outside [-1, 1] the number before `%` is compared), matched to the
question's parts and to the numbers inside a part. Anything that cannot be read (empty, too few
numbers, an unknown label, a number too large to read) is a `Reading.problem`, for which the
quiz asks once more with the expected format.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dlcalc.bank.parts import Grade, Part, exact, normal_label
from dlcalc.mathfmt import fmt_number
from dlcalc.text import Text

MAX_ANSWER = 2000  # characters read for grading (the whole answer is still stored)
MAX_TOKEN = 40  # characters in one number: longer ones are not read (no 10^999999999)
YES = {"yes", "y", "true", "1", "是", "会", "对", "收敛", "能"}
NO = {"no", "n", "false", "0", "否", "不", "不会", "不对", "不收敛", "不能"}
NUMBER = re.compile(r"[+-]?(?:\d+\s*/\s*\d+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?:[kKMGBT](?![A-Za-z])|万|亿|\s*%)?")
SCALE = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12, "万": 10**4, "亿": 10**8}
SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_WORD = r"(?:[^\W\d_]|[∂σ])(?:\([^()=:;]*\)|[^\s=:,;()\[\]])*"  # starts with a letter: F1, h_1, dL/dw, f'(-1)
LABEL = re.compile(rf"(?:^|(?<=[\s,;]))({_WORD}(?:\s+{_WORD})*(?:\s*\d+)?(?:\[[\d,\s]+\])?)\s*[=:]\s*")


@dataclass
class Asked:
    """One part of a question with its reference value, as graded."""

    part: Part
    expected: list[Any]  # flat: numbers, one bool, or one expression string
    grade: Grade
    items: tuple[str, ...] = ()
    shape: bool = False  # written C×H×W

    @property
    def label(self) -> Text:
        return self.part.label

    def names(self) -> list[str]:
        return self.part.all_names()

    def describe(self, lang: str) -> str:
        """`output shape (C×H×W)`, `loss (to 4 decimals)`, `hidden states (h_1, h_2; to 4 decimals)`."""
        label = self.part.label(lang)
        opening, closing, semicolon = ("（", "）", "；") if lang == "zh" else (" (", ")", "; ")
        if self.shape:
            form = "×".join(self.items) if self.items else "×".join(["n"] * len(self.expected))
            return f"{label}{opening}{form}{closing}"
        hint = self.grade.describe()(lang) if self.grade.kind != "exact" else ""
        inner = ""
        count = len(self.expected)
        if count > 1 and self.grade.kind not in ("yesno", "expression"):
            if self.items and len(self.items) == count:
                inner = ", ".join(self.items)
            elif self.items:
                per = count // len(self.items)
                each = (
                    (f"{per} numbers each" if len(self.items) > 1 else f"{per} numbers")
                    if lang == "en"
                    else f"各 {per} 个数"
                )
                inner = f"{', '.join(self.items)}: {each}"
            else:
                inner = f"{count} numbers" if lang == "en" else f"{count} 个数"
        details = semicolon.join(x for x in (inner, hint) if x)
        return f"{label}{opening}{details}{closing}" if details else label

    def accepted(self) -> str:
        """The reference as the grader accepts it: rounded as the grade says, exact otherwise."""
        if self.grade.kind == "yesno":
            return "yes" if self.expected[0] else "no"
        if self.grade.kind == "expression":
            return str(self.expected[0])
        texts = [format_value(v, self.grade) for v in self.expected]
        return ("×" if self.shape else ", ").join(texts)


def format_value(value: Any, grade: Grade) -> str:
    e = exact(value)
    if e is None:
        return str(value)
    if grade.kind == "decimals":
        return _fixed(e, grade.digits)
    if grade.kind == "sig":
        from dlcalc.bank.parts import _decimals_for

        digits = _decimals_for(e, grade.digits)
        if abs(e) >= 10**6:
            return f"{float(e):.{grade.digits - 1}e}".replace("e+", "e")
        return _fixed(e, max(digits, 0))
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    return fmt_number(e)


def _fixed(value: Fraction, digits: int) -> str:
    scaled = value * 10**digits
    n = int(scaled + Fraction(1, 2)) if scaled >= 0 else -int(-scaled + Fraction(1, 2))
    sign = "-" if n < 0 else ""
    n = abs(n)
    if digits <= 0:
        return f"{sign}{n * 10 ** (-digits)}"
    text = str(n).rjust(digits + 1, "0")
    return f"{sign}{text[:-digits]}.{text[-digits:]}"


@dataclass
class Reading:
    """What was read from one typed answer, per part."""

    values: list[list[Any] | None]
    texts: list[str]
    problem: Text | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def normalize(text: str) -> str:
    """Full-width and look-alike characters as ASCII; never fails, whatever was typed."""
    text = unicodedata.normalize("NFKC", _powers(text))
    text = (
        text.replace("−", "-")
        .replace("–", "-")
        .replace("—", "-")
        .replace("、", ",")
        .replace("；", ";")
        .replace("\u200b", "")
        .replace("\ufeff", "")
    )
    text = re.sub(r"(?<=\d)。(?=\d)", ".", text)
    return " ".join(text.split())


def _powers(text: str) -> str:
    """w² → w^2 (before NFKC would turn it into w2)."""
    return re.sub(r"[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda m: "^" + m.group(0).translate(SUPERSCRIPT), text)


class Unreadable(Exception):
    pass


class Percent(Fraction):
    """A number typed with a percent sign: its value is the fraction (`80%` is 4/5), and `typed`
    keeps the number as written (80) for a question whose reference is itself a percentage."""

    typed: Fraction

    def __new__(cls, typed: Fraction) -> Percent:
        self = super().__new__(cls, typed / 100)
        self.typed = typed
        return self

    def __repr__(self) -> str:
        return f"Percent({self.typed}%)"


def numbers_in(text: str, thousands: bool = False) -> list[Fraction]:
    """Every number in a piece of text; `thousands` reads 203,530 as one number."""
    cleaned = text.replace("×", " ").replace("*", " ")
    cleaned = re.sub(r"(?<=\d)\s*[xX]\s*(?=[\d.])", " ", cleaned)
    if thousands:
        cleaned = re.sub(r"(?<![\d.])(\d{1,3}(?:,\d{3})+)(?![\d,])", lambda m: m.group(1).replace(",", ""), cleaned)
    out: list[Fraction] = []
    for token in NUMBER.findall(cleaned):
        token = token.replace(" ", "")
        percent = token.endswith("%")
        token = token.rstrip("%")
        scale = 1
        if token and token[-1] in SCALE:
            scale, token = SCALE[token[-1]], token[:-1]
        if len(token) > MAX_TOKEN:
            raise Unreadable(token)
        exponent = re.search(r"[eE]([+-]?\d+)$", token)
        if exponent and abs(int(exponent.group(1))) > 400:
            raise Unreadable(token)
        if "/" in token:
            p, q = token.split("/")
            if int(q) == 0:
                raise Unreadable(token)
            value = Fraction(int(p), int(q)) * scale
        else:
            value = Fraction(token) * scale
        out.append(Percent(value) if percent else value)
    return out


def _shown(value: Any) -> str:
    """A number read from an answer as the student wrote it (80%, not 0.8)."""
    return f"{fmt_number(value.typed)}%" if isinstance(value, Percent) else fmt_number(value)


def yes_no(text: str) -> bool | None:
    word = text.strip().strip(".!。！").lower()
    return True if word in YES else False if word in NO else None


def _split_top(text: str) -> list[str]:
    """Split at ; (or , when there is no ;) outside parentheses."""
    for sep in (";", ","):
        pieces, depth, start = [], 0, 0
        for i, ch in enumerate(text):
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(0, depth - 1)
            elif ch == sep and depth == 0:
                pieces.append(text[start:i])
                start = i + 1
        pieces.append(text[start:])
        pieces = [p.strip() for p in pieces if p.strip()]
        if len(pieces) > 1:
            return pieces
    return [text.strip()]


def _value_of(asked: Asked, text: str) -> list[Any]:
    """One part's value from its piece of text (raises Unreadable)."""
    if asked.grade.kind == "yesno":
        said = yes_no(text)
        if said is None:
            raise Unreadable(text)
        return [said]
    if asked.grade.kind == "expression":
        from dlcalc.bank.parts import as_typed
        from dlcalc.errors import DlcalcError
        from dlcalc.parse.expr import parse_expression

        try:  # an expression the reader cannot read is asked again, not marked wrong
            parse_expression(as_typed(text), "answer")
        except DlcalcError:
            raise Unreadable(text) from None
        return [text.strip()]
    numbers = numbers_in(text)
    if len(numbers) != len(asked.expected):
        merged = numbers_in(text, thousands=True)
        if len(merged) == len(asked.expected):
            return list(merged)
    return list(numbers)


def _resolve(label: str, asked: list[Asked]) -> tuple[int, int | None] | None:
    """A typed label → (part, item or None), compared loosely (h_1 = h1 = H₁)."""
    want = normal_label(label)
    if not want:
        return None
    for i, a in enumerate(asked):  # a part's own names (its items are matched below, one number each)
        if any(normal_label(n) == want for n in a.names() if n not in a.part.items or len(a.part.items) == 1):
            return i, None
    for i, a in enumerate(asked):
        for j, item in enumerate(a.items):
            if normal_label(item) == want:
                return i, j
    return None


def describe_parts(asked: list[Asked], lang: str) -> str:
    return "; ".join(a.describe(lang) for a in asked)


def read(asked: list[Asked], typed: str) -> Reading:
    """Read a typed answer into one value list per part, or say what could not be read."""
    text = normalize(typed[:MAX_ANSWER])
    n = len(asked)
    values: list[list[Any] | None] = [None] * n
    texts = [""] * n
    if not text:
        return Reading(values, texts, Text("the answer is empty", "答案为空"))
    try:
        has_expression = any(a.grade.kind == "expression" for a in asked)
        # inside an expression answer an unknown "name =" is left alone; elsewhere it is a typo to ask about
        labels = [m for m in LABEL.finditer(text) if not has_expression or _resolve(m.group(1), asked) is not None]
        if labels:
            return _read_labelled(asked, text, labels)
        if n == 1:
            values[0] = _value_of(asked[0], text)
            texts[0] = text
        elif all(a.grade.kind not in ("yesno", "expression") for a in asked):
            total = sum(len(a.expected) for a in asked)
            numbers = numbers_in(text)
            if len(numbers) != total:
                merged = numbers_in(text, thousands=True)
                numbers = merged if len(merged) == total else numbers
            if len(numbers) != total:
                return Reading(
                    values,
                    [text] + [""] * (n - 1),
                    Text(
                        f"expected {total} numbers in all, found {len(numbers)}",
                        f"应有 {total} 个数，读到 {len(numbers)} 个",
                    ),
                )
            at = 0
            for i, a in enumerate(asked):
                got = list(numbers[at : at + len(a.expected)])
                values[i] = got
                texts[i] = ", ".join(_shown(v) for v in got)
                at += len(a.expected)
        else:
            pieces = _split_top(text)
            if len(pieces) != n:
                return Reading(
                    values,
                    [text] + [""] * (n - 1),
                    Text(f"expected {n} parts separated by ';'", f"应有 {n} 部分，用 ; 分隔"),
                )
            for i, (a, piece) in enumerate(zip(asked, pieces)):
                values[i] = _value_of(a, piece)
                texts[i] = piece
    except Unreadable as e:
        return Reading(values, texts or [text], Text(f"cannot read {str(e)[:20]!r}", f"无法读取 {str(e)[:20]!r}"))
    return _check_counts(asked, Reading(values, texts))


def _read_labelled(asked: list[Asked], text: str, labels: list[re.Match[str]]) -> Reading:
    n = len(asked)
    values: list[list[Any] | None] = [None] * n
    texts = [""] * n
    items: dict[int, dict[int, list[Any]]] = {}
    unknown = []
    prefix = text[: labels[0].start()].strip(" ,;")
    spare: list[Any] = []  # numbers after a labelled part's own: they answer the next unlabelled parts
    for k, m in enumerate(labels):
        end = labels[k + 1].start() if k + 1 < len(labels) else len(text)
        value_text = text[m.end() : end].strip(" ,;")
        where = _resolve(m.group(1), asked)
        if where is None:
            unknown.append(m.group(1).strip())
            continue
        i, j = where
        a = asked[i]
        if j is None:
            got = _value_of(a, value_text)
            if a.grade.kind not in ("yesno", "expression") and len(got) > len(a.expected):
                got, extra = got[: len(a.expected)], got[len(a.expected) :]
                spare += extra
            values[i] = got
            texts[i] = value_text
        else:
            per = len(a.expected) // max(len(a.items), 1)
            got = numbers_in(value_text)
            spare += got[per:]
            items.setdefault(i, {})[j] = got[:per]
    if unknown:
        known = ", ".join(dict.fromkeys(a.label.en for a in asked))
        return Reading(
            values,
            texts,
            Text(
                f"unknown label {unknown[0]!r} (this question asks: {known})",
                f"无法识别的标签 {unknown[0]!r}（本题问的是：{'、'.join(a.label.zh for a in asked)}）",
            ),
        )
    for i, given in items.items():
        if values[i] is not None:
            continue
        a = asked[i]
        per = len(a.expected) // max(len(a.items), 1)
        if len(given) == len(a.items) and all(len(v) == per for v in given.values()):
            values[i] = [x for j in range(len(a.items)) for x in given[j]]
            texts[i] = ", ".join(f"{a.items[j]}={', '.join(_shown(x) for x in given[j])}" for j in sorted(given))
        else:
            missing = [a.items[j] for j in range(len(a.items)) if j not in given]
            return Reading(values, texts, Text(f"missing {', '.join(missing)}", f"缺少 {'、'.join(missing)}"))
    rest = [i for i in range(n) if values[i] is None]
    if rest and (prefix or spare):
        try:
            if len(rest) == 1 and prefix and not spare:
                values[rest[0]] = _value_of(asked[rest[0]], prefix)
                texts[rest[0]] = prefix
            else:
                numbers = (numbers_in(prefix) if prefix else []) + spare
                at = 0
                for i in rest:
                    count = len(asked[i].expected)
                    if at >= len(numbers):
                        break
                    got = list(numbers[at : at + count])
                    values[i] = got
                    texts[i] = ", ".join(_shown(v) for v in got)
                    at += count
        except Unreadable:
            pass
    return _check_counts(asked, Reading(values, texts))


def _check_counts(asked: list[Asked], reading: Reading) -> Reading:
    for a, v in zip(asked, reading.values):
        if v is None:
            reading.problem = Text(f"no answer for {a.label.en}", f"缺少{a.label.zh}的答案")
            return reading
        if a.grade.kind not in ("yesno", "expression") and len(v) != len(a.expected):
            reading.problem = Text(
                f"{a.label.en}: expected {len(a.expected)} number{'s' if len(a.expected) > 1 else ''}, found {len(v)}",
                f"{a.label.zh}：应有 {len(a.expected)} 个数，读到 {len(v)} 个",
            )
            return reading
    return reading


def grade_parts(asked: list[Asked], reading: Reading) -> list[bool]:
    """Each part right or wrong; a part that was not read is wrong."""
    out = []
    for a, given in zip(asked, reading.values):
        if given is None or len(given) != len(a.expected):
            out.append(False)
            continue
        try:
            out.append(all(_accepts(a.grade, e, g) for e, g in zip(a.expected, given)))
        except Exception:  # grading must never end a quiz; an answer it cannot compare is wrong
            out.append(False)
    return out


def _accepts(grade: Grade, expected: Any, given: Any) -> bool:
    """`80%` is 0.8: it answers a ratio (precision, accuracy, a dropout rate). Where the reference
    itself lies outside [-1, 1] the question asks for a percentage number (accuracy in %: 80), and
    the number as typed before its `%` is compared instead."""
    if grade.accepts(expected, given):
        return True
    if isinstance(given, Percent):
        e = exact(expected)
        return e is not None and abs(e) > 1 and grade.accepts(expected, given.typed)
    return False


def read_choice(text: str) -> str | None:
    text = normalize(text).strip()
    letters = re.findall(r"[A-Ha-h]", text[:3])
    return letters[0].upper() if letters else None
