"""What a question asks: its parts, how each part is graded, and the check that nothing asked is ungraded.

A *part* is one quantity a question asks for: an answer key (`output_shape`, `params`,
`updated.W1`, `history.grad`), a label in both languages ("parameter count" / "参数量"), the
names a statement or a typed answer may use for it, the names of the numbers inside it
(`C, H, W`; `h_1, h_2`), and a *grade*, the rule that says which answers are right:

- `exact`: the value itself (integers, fractions; `0.8` is read exactly as 4/5);
- `N decimals`: the answer rounds to the reference at N decimals (`1.28` is not `1.2794`);
- `N significant figures`: the same at N significant figures;
- `expression`: an expression equal to the reference (`2w + 3` for `2*w + 3`);
- `yes/no`.

`statement_problems` is the rule `dlcalc bank check` applies (documented in problems/README.md):
every part is named in both statements, every decimal part's precision is stated in both, and
every request of the English statement maps to a part (or is a discussion such as "why").
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dlcalc.errors import DlcalcError
from dlcalc.text import Text

_GRADE = re.compile(r"^\s*(?:(exact)|(expression)|(yes/no)|(\d+)\s+(decimals?|significant figures?))\s*$", re.I)


@dataclass(frozen=True)
class Grade:
    kind: str  # "exact", "decimals", "sig", "expression" or "yesno"
    digits: int = 0

    def describe(self) -> Text:
        if self.kind == "decimals":
            return Text(f"to {self.digits} decimals", f"保留 {self.digits} 位小数")
        if self.kind == "sig":
            return Text(f"{self.digits} significant figures", f"{self.digits} 位有效数字")
        return {
            "exact": Text("exact", "精确值"),
            "expression": Text("an expression", "表达式"),
            "yesno": Text("yes/no", "是/否"),
        }[self.kind]

    def spec(self) -> str:
        """The YAML spelling (`4 decimals`)."""
        if self.kind == "decimals":
            return f"{self.digits} decimals"
        if self.kind == "sig":
            return f"{self.digits} significant figures"
        return {"yesno": "yes/no"}.get(self.kind, self.kind)

    def stated_in(self, statement: Text) -> bool:
        """Whether both statements say this precision (decimal grades only; others need no words)."""
        if self.kind not in ("decimals", "sig"):
            return True
        return self in stated_grades(statement) and self in stated_grades_zh(statement.zh)

    def accepts(self, expected: Any, given: Any) -> bool:
        """One value against the reference under this rule."""
        if self.kind == "yesno":
            return isinstance(given, bool) and given == expected
        if self.kind == "expression":
            return same_expression(str(expected), str(given))
        if isinstance(given, (bool, str)) or given is None:
            return False
        e, g = exact(expected), exact(given)
        if e is None or g is None:
            return False
        if self.kind == "exact":
            return e == g
        if isinstance(expected, Fraction) and not terminates(e) and not terminates(g):
            # an exact reference no decimal can write (73/576), answered by a fraction: equal or wrong
            return e == g
        digits = self.digits if self.kind == "decimals" else _decimals_for(e, self.digits)
        return bool(roundings(e, digits) & roundings(g, digits))


EXACT = Grade("exact")
YESNO = Grade("yesno")
EXPRESSION = Grade("expression")
FALLBACK = Grade("sig", 4)  # a decimal part whose precision nobody stated (bank check reports it)


def parse_grade(text: Any) -> Grade | None:
    if not isinstance(text, str):
        return None
    m = _GRADE.match(text)
    if m is None:
        return None
    if m.group(1):
        return EXACT
    if m.group(2):
        return EXPRESSION
    if m.group(3):
        return YESNO
    digits = int(m.group(4))
    if not 0 <= digits <= 12:
        return None
    return Grade("decimals" if m.group(5).lower().startswith("decimal") else "sig", digits)


_NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}
_COUNT = r"(\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten)"
_ZH_DIGITS = {ch: i for i, ch in enumerate("零一二三四五六七八九十")} | {"两": 2}


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word.lower(), _ZH_DIGITS.get(word, -1))


def stated_grades(statement: Text) -> list[Grade]:
    """The precisions the English statement states: "to 4 decimals", "four decimal places",
    "3 significant figures" (or "… digits", "3 s.f.")."""
    en = statement.en
    found = [
        Grade("decimals", _count(d))
        for d in re.findall(rf"(?<![\w.\-]){_COUNT}[\s-]*(?:decimal|d\.p\.|dp\b)", en, re.I)
    ]
    found += [
        Grade("sig", _count(d))
        for d in re.findall(rf"(?<![\w.\-]){_COUNT}[\s-]*(?:significant|s\.f\.|sig\b)", en, re.I)
    ]
    return list(dict.fromkeys(found))


def stated_grades_zh(zh: str) -> list[Grade]:
    """The same in Chinese: "保留 4 位小数", "小数点后 4 位", "3 位有效数字"."""
    digit = r"(\d+|[零一二两三四五六七八九十])"
    found = [Grade("decimals", _count(d)) for d in re.findall(rf"{digit}\s*位小数", zh)]
    found += [Grade("decimals", _count(d)) for d in re.findall(rf"小数点后\s*{digit}\s*位", zh)]
    found += [Grade("sig", _count(d)) for d in re.findall(rf"{digit}\s*位有效数字", zh)]
    return list(dict.fromkeys(found))


def exact(value: Any) -> Fraction | None:
    """A number as an exact fraction (floats exactly as stored), or None for inf/nan/non-numbers."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):  # the decimal it was written as: 0.2 is 1/5, not 0.2000000000000000111…
        return Fraction(repr(value)) if math.isfinite(value) else None
    try:
        return Fraction(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None


def terminates(value: Fraction) -> bool:
    """Whether a decimal writes the value exactly (its denominator has no prime factor but 2 and 5)."""
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


_FRACTION = re.compile(r"^\s*([+-]?\d{1,30})\s*/\s*(\d{1,30})\s*$")


def read_fraction(value: Any) -> Fraction | None:
    """`73/576` written in a bank file: the exact fraction (None for anything else)."""
    if not isinstance(value, str):
        return None
    m = _FRACTION.match(value)
    if m is None or int(m.group(2)) == 0:
        return None
    return Fraction(int(m.group(1)), int(m.group(2)))


def _decimals_for(value: Fraction, significant: int) -> int:
    """Decimals that keep `significant` figures of `value` (may be negative: round to tens)."""
    if value == 0:
        return significant - 1
    magnitude = abs(value)
    exponent = len(str(magnitude.numerator // magnitude.denominator)) - 1 if magnitude >= 1 else 0
    if magnitude < 1:  # count the zeros after the point exactly
        exponent = -1
        while magnitude * 10 ** (-exponent) < 1:
            exponent -= 1
    return significant - 1 - exponent


def roundings(value: Fraction, digits: int) -> set[int]:
    """The integers n with n/10^digits a correct rounding of value: one, or both near a tie.

    A reference stored as a binary float may sit a hair off an exact tie (0.12345 is
    0.123449999…): within a relative 1e-12 of a tie both neighbours count, so neither a student
    who rounds half up nor one who rounds half to even is marked wrong by float noise.
    """
    scaled = value * Fraction(10) ** digits
    low = math.floor(scaled)
    offset = scaled - low - Fraction(1, 2)
    slack = abs(value) * Fraction(10) ** digits * Fraction(1, 10**12)
    if abs(offset) <= slack:
        return {low, low + 1}
    return {low + 1} if offset > 0 else {low}


def as_typed(text: str) -> str:
    """An expression as typed by hand, in the expression reader's spelling: 2σ(2x) → 2*sigmoid(2x)."""
    from dlcalc.parse.expr import unicode_math

    # the unicode forms first: NFKC would make x² into x2
    text = unicodedata.normalize("NFKC", unicode_math(text)).replace("−", "-").replace("·", "*").replace("×", "*")
    return re.sub(r"(?<=[\d)])\s*σ", "*σ", text).replace("σ", "sigmoid")


def same_expression(expected: str, given: str) -> bool:
    """Two expressions in the whitelisted language are equal: at sample points over several scales
    and either side of every breakpoint (relu, abs, max …), re-checked at 50 digits
    (dlcalc.solvers.sampling); sympy only when no point gives both a value."""
    from dlcalc.parse.expr import parse_expression, parse_tree, variables
    from dlcalc.solvers.sampling import same_function

    try:
        a = parse_expression(as_typed(expected), "reference")
        b = parse_expression(as_typed(given), "answer")
        ta, tb = parse_tree(as_typed(expected), "reference"), parse_tree(as_typed(given), "answer")
    except DlcalcError:
        return False
    if not (variables(tb) <= variables(ta)):
        return False
    verdict = same_function(ta, tb)
    if verdict is not None:
        return verdict
    import sympy

    from dlcalc.solvers.symbolic import budget

    outcome = False
    with budget(1.0):
        outcome = sympy.simplify(a - b) == 0
    return bool(outcome)


@dataclass
class Part:
    """One quantity a question asks for, as declared by a bank problem or a template."""

    key: str
    label: Text
    names: tuple[str, ...] = ()  # other words for it (any language): params, parameters, P
    grade: Grade | None = None  # None: exact for integers, yes/no for booleans, expression for text
    items: tuple[str, ...] = ()  # the numbers inside (C, H, W; h_1, h_2); automatic when empty

    def all_names(self) -> list[str]:
        return [self.label.en, self.label.zh, *self.names, *self.items, self.key]


# Labels for answer keys a problem may ask without declaring `parts` (the older `ask:` field).
DEFAULT_LABELS: dict[str, tuple[Text, tuple[str, ...]]] = {
    "output_shape": (Text("output shape", "输出形状"), ("shape", "形状")),
    "params": (Text("parameter count", "参数量"), ("parameters", "params", "参数")),
    "total_params": (Text("parameter count", "参数量"), ("parameters", "params", "参数")),
    "values": (Text("values", "取值"), ()),
}


def default_part(key: str) -> Part:
    label, names = DEFAULT_LABELS.get(key, (Text(key, key), ()))
    return Part(key, label, names)


def parse_parts(raw: Any, answer: dict[str, Any], bad: Any) -> list[Part]:
    """The `parts:` list of a bank problem (see problems/README.md); `bad(field, message)` raises."""
    if not isinstance(raw, list) or not raw:
        raise bad("parts", "expected a list of parts, each {key, label: {zh, en}, …}")
    parts: list[Part] = []
    allowed = {"key", "label", "names", "grade", "items"}
    for i, item in enumerate(raw, 1):
        where = f"part {i}"
        if not isinstance(item, dict):
            raise bad("parts", f"{where}: expected a mapping with key and label")
        unknown = set(item) - allowed
        if unknown:
            raise bad("parts", f"{where}: unknown field {sorted(unknown)[0]!r} (expected {', '.join(sorted(allowed))})")
        key = item.get("key")
        if not isinstance(key, str) or not key:
            raise bad("parts", f"{where}: expected a key of answer (e.g. output_shape, updated.W1)")
        try:
            lookup(answer, key)
        except (KeyError, IndexError, TypeError, ValueError):
            raise bad("parts", f"{where}: {key!r} is not in answer (store its value there)") from None
        label = item.get("label")
        if (
            not isinstance(label, dict)
            or set(label) != {"zh", "en"}
            or not all(isinstance(v, str) and v.strip() for v in label.values())
        ):
            raise bad("parts", f"{where} ({key}): label: expected both zh and en")
        if any(ch in v for v in label.values() for ch in "=:;"):
            raise bad(
                "parts", f"{where} ({key}): label: no = : or ; in a label (a typed answer uses them as `label = value`)"
            )
        names = item.get("names", [])
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise bad("parts", f"{where} ({key}): names: expected a list of words")
        items = item.get("items", [])
        if not isinstance(items, list) or not all(isinstance(n, str) and n.strip() for n in items):
            raise bad("parts", f"{where} ({key}): items: expected a list of names")
        grade = None
        if "grade" in item:
            grade = parse_grade(item["grade"])
            if grade is None:
                raise bad(
                    "parts",
                    f"{where} ({key}): grade: expected exact, N decimals, N significant figures, expression or yes/no",
                )
        parts.append(Part(key, Text(label["en"].strip(), label["zh"].strip()), tuple(names), grade, tuple(items)))
    keys = [p.key for p in parts]
    if len(set(keys)) != len(keys):
        raise bad("parts", "a key is listed twice")
    return parts


_PATH = re.compile(r"([^.\[\]]+)((?:\[\d+(?:,\d+)*\])*)")


def lookup(answer: Any, key: str) -> Any:
    """The value at `key`: dotted names (`updated.W1`), 1-based indices (`W2[1,2]`, `h[3]`), and a
    name applied to a list of mappings takes it from each (`history.grad` → every step's grad)."""
    value = answer
    for segment in key.split("."):
        m = _PATH.fullmatch(segment)
        if m is None:
            raise ValueError(key)
        name, indices = m.group(1), m.group(2)
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
            value = [v[name] for v in value]
        else:
            value = value[name]
        for group in re.findall(r"\[([\d,]+)\]", indices):
            for index in group.split(","):
                if int(index) < 1:
                    raise IndexError(key)
                value = value[int(index) - 1]
    return value


def flatten(value: Any) -> list[Any]:
    """A part's value as a flat list (a shape, a vector, a matrix row by row, a number)."""
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in flatten(v)]
    return [value]


def grade_of(part: Part, values: list[Any], statement: Text | None = None) -> Grade:
    """The part's grade: declared, or what its values and the statement imply."""
    if part.grade is not None:
        return part.grade
    if values and all(isinstance(v, bool) for v in values):
        return YESNO
    if values and all(isinstance(v, str) for v in values):
        return EXPRESSION
    if all(isinstance(v, int) or isinstance(v, Fraction) for v in values):
        return EXACT
    if statement is not None:
        stated = stated_grades(statement)
        if len(stated) == 1:
            return stated[0]
    return FALLBACK


def items_of(part: Part, raw: Any) -> tuple[str, ...]:
    """Names of the values inside a part: declared; C/H/W for a shape; h_1, h_2 … for a short symbol
    (one per row of a sequence such as hidden states, or one per number of a flat vector)."""
    count = len(flatten(raw))
    rows = len(raw) if isinstance(raw, (list, tuple)) else 0
    if part.items:
        return part.items if count and count % len(part.items) == 0 else ()
    last = re.sub(r"\[.*", "", part.key.split(".")[-1])
    if last.endswith("shape"):
        return {3: ("C", "H", "W"), 2: ("H", "W")}.get(count, ())
    if not (rows and len(last) <= 2 and last.isalpha()):
        return ()
    sequence = all(isinstance(r, (list, tuple)) for r in raw)
    if sequence or rows >= 2:
        return tuple(f"{last}_{i}" for i in range(1, rows + 1))
    return ()


# --- the statement check -----------------------------------------------------------------------

_VERBS = (
    r"give|giving|find|finding|compute|computing|calculate|calculating|work out|working out|figure out|write|"
    r"writing|evaluate|evaluating|determine|determining|state|list|report|differentiate|derive|obtain|get|"
    r"provide|specify|identify|estimate|count|solve|tell|name|predict|express|deduce|show|prove|justify|explain|"
    r"describe|compare|sketch|draw|plot|say"
)
# an imperative request starts a sentence or a clause (after , ; "and" or "then"): "… 3 steps, giving
# the gradient" asks, "no padding give a 55×55 output" does not
_REQUEST = re.compile(rf"(?:^|[,;]\s*|\band\s+|\bthen\s+)({_VERBS})\b", re.I)
_QUESTION = re.compile(r"\b(why|what|how|which|does|do|is|are|will|can|should)\b", re.I)
_ASSIGNMENT = re.compile(r"[^\W\d][\w'′]*\s*=\s*[-−+]?\d[\d.]*")
_SPLIT = re.compile(r",|;|:|\band\b|\bas well as\b|\bthen\b|\bplus\b", re.I)
_DISCUSS = re.compile(
    r"\b(why|explain|compare|comparing|describe|relate|relates|relation|discuss|watch|mean|means|meaning|prove|"
    r"justify|sketch|draw|plot|think|say)\b|\bshow that\b|\bwhat happens\b|\bhow does\b|\bwhat does\b.*\bdo\b",
    re.I,
)
_STOP = set(
    # small words and request verbs; nouns that are also verbs (state, count, name, estimate, report) stay
    "a an the of at each every its it their them this that these those is are was were be been to on in for with "
    "by from after before both all also what how many much which do does did there here or as well give giving find "
    "finding compute computing calculate calculating work working out figure write writing evaluate evaluating "
    "determine determining list obtain get provide specify identify solve tell predict express deduce show down "
    "step steps when you your one two three first last final".split()
)


def _strip_parentheses(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        if ch in "(（":
            depth += 1
        elif ch in ")）" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.?!])\s+|(?<=[?!])(?=\S)", text) if s.strip()]


def requests(statement_en: str) -> list[str]:
    """The pieces of an English statement that ask for something (see problems/README.md)."""
    out = []
    for sentence in _sentences(_strip_parentheses(statement_en)):
        if sentence.endswith("?"):
            m = _QUESTION.search(sentence)
            text = sentence[m.start() :] if m else sentence
        else:
            m = _REQUEST.search(sentence)
            if m is None:
                continue
            text = sentence[m.start(1) :]
        out += [f.strip(" .?!") for f in _split_request(text) if f.strip(" .?!")]
    return out


def _split_request(text: str) -> list[str]:
    """Split at , ; : "and" "then" … but not inside brackets (W2[1,1] is one name)."""
    masked = re.sub(r"\[[^\]]*\]", lambda m: "\0" * len(m.group(0)), text)
    pieces, start = [], 0
    for m in _SPLIT.finditer(masked):
        pieces.append(text[start : m.start()])
        start = m.end()
    pieces.append(text[start:])
    return pieces


def _content(fragment: str) -> list[str]:
    fragment = _ASSIGNMENT.sub(" ", fragment)  # "at x = 1" names an input, not a request
    words = re.findall(r"[^\W\d_][\w'’′∂/]*", fragment)
    return [w for w in words if w.lower().strip("'’") not in _STOP and len(w) > 0]


def mentions(text: str, name: str) -> bool:
    """Whether `name` occurs in `text` as a word (plurals allowed), or anywhere for CJK names."""
    name = name.strip()
    if not name:
        return False
    if any("\u4e00" <= ch <= "\u9fff" for ch in name):
        return name.lower() in text.lower()
    # a word boundary against Latin letters and digits only: "求F1" names F1
    pattern = rf"(?<![A-Za-z0-9_]){re.escape(name)}(?:s|es)?(?![A-Za-z0-9_])"
    return re.search(pattern, text, re.I) is not None


def statement_problems(statement: Text, parts: list[Part], raws: list[Any]) -> list[str]:
    """What is wrong between a statement and its parts (empty when every request is graded).

    `raws` holds each part's value as stored (a shape, a sequence of rows, a number)."""
    problems = []
    for part, raw in zip(parts, raws):
        vals = flatten(raw)
        names = [part.label.en, *part.names, *items_of(part, raw)]
        if not any(mentions(statement.en, n) for n in names):
            problems.append(f"part {part.key}: the en statement never names it ({part.label.en!r})")
        names_zh = [part.label.zh, *part.names, *items_of(part, raw)]
        if not any(mentions(statement.zh, n) for n in names_zh):
            problems.append(f"part {part.key}: the zh statement never names it ({part.label.zh!r})")
        grade = grade_of(part, vals, statement)
        if grade.kind in ("decimals", "sig") and not grade.stated_in(statement):
            problems.append(
                f"part {part.key}: graded {grade.spec()}, but the statements do not say so "
                f"(en '{grade.describe().en}', zh '{grade.describe().zh}')"
            )
        if part.grade is None and grade is FALLBACK:
            problems.append(f"part {part.key}: a decimal answer needs a stated precision (grade: N decimals)")
    for fragment in requests(statement.en):
        if not _content(fragment) or _DISCUSS.search(fragment):
            continue
        if not any(mentions(fragment, n) for part, raw in zip(parts, raws) for n in _en_names(part, raw)):
            problems.append(f"asks {fragment!r}, which no part grades (add a part, or put a remark in parentheses)")
    return problems


def _en_names(part: Part, raw: Any) -> list[str]:
    return [part.label.en, *part.names, *items_of(part, raw), part.key]


def normal_label(text: str) -> str:
    """A typed or declared label, compared loosely: h_1, h₁, H1 and h(1) are all `h1`."""
    text = unicodedata.normalize("NFKC", text).lower().replace("−", "-")
    return re.sub(r"[\s_{}()\[\]'’`\"*]", "", text)
