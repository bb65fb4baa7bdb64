"""Formulas that print two ways: plain text for the terminal and LaTeX for notes.

A solver builds each formula once from these pieces (`sym("H") + 2 * sym("P")`), and every
renderer picks the form it needs. Precedence decides the parentheses, so substituted numbers
read the way a student writes them: ⌊(227 + 2·0 - 1·(11 - 1) - 1)/4⌋ + 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # fractions (and the decimal module it pulls in) cost a plain conv answer 2 ms
    from numbers import Rational

    from typing_extensions import TypeIs


def is_ratio(value: object) -> TypeIs[Rational]:
    """An int or a Fraction (anything exact with a numerator and denominator), never a float or bool."""
    return not isinstance(value, (float, bool)) and hasattr(value, "numerator") and hasattr(value, "denominator")


ATOM, POW, MUL, ADD, REL = 100, 90, 70, 50, 10
# An operator written before its argument that takes everything to its right (Σ x, ln p, max z,
# t ln p): bare as a term of a sum or after a minus sign, bracketed as a factor or a numerator.
OPEN = 60


@dataclass(frozen=True)
class Math:
    text: str
    latex: str
    prec: int = ATOM

    def __str__(self) -> str:
        return self.text

    def __add__(self, other: object) -> Math:
        o = _right(as_math(other), ADD)
        return Math(f"{self.text} + {o.text}", f"{self.latex} + {o.latex}", ADD)

    def __radd__(self, other: object) -> Math:
        return as_math(other) + self

    def __sub__(self, other: object) -> Math:
        o = _right(as_math(other), ADD + 1)
        return Math(f"{self.text} - {o.text}", f"{self.latex} - {o.latex}", ADD)

    def __rsub__(self, other: object) -> Math:
        return as_math(other) - self

    def __mul__(self, other: object) -> Math:
        a, b = _wrap(self, MUL), _right(as_math(other), MUL + 1)
        return Math(f"{a.text}·{b.text}", rf"{a.latex} \cdot {b.latex}", MUL)

    def __rmul__(self, other: object) -> Math:
        return as_math(other) * self

    def __truediv__(self, other: object) -> Math:
        return frac(self, other)

    def __rtruediv__(self, other: object) -> Math:
        return frac(other, self)

    def __neg__(self) -> Math:
        a = _wrap(self, OPEN)
        return Math(f"-{a.text}", f"-{a.latex}", ADD)

    def __pow__(self, other: object) -> Math:
        a, b = _wrap(self, POW + 1), as_math(other)
        bt = b.text if b.prec >= ATOM and not b.text.startswith("-") else f"({b.text})"
        return Math(f"{a.text}^{bt}", f"{a.latex}^{{{b.latex}}}", POW)


def _wrap(m: Math, prec: int) -> Math:
    if m.prec >= prec:
        return m
    return Math(f"({m.text})", rf"\left({m.latex}\right)", ATOM)


def _right(m: Math, prec: int) -> Math:
    """A right operand: parenthesised when it binds more loosely, and whenever it starts with a
    minus sign, so a substituted negative never reads `1·-2`, `3 + -2` or `3 - -2`.
    (A leading negative, the first thing in a formula, stays bare: -2 + 3.)"""
    if m.text.startswith("-") or m.latex.startswith("-"):
        return Math(f"({m.text})", rf"\left({m.latex}\right)", ATOM)
    return _wrap(m, prec)


def as_math(value: object) -> Math:
    if isinstance(value, Math):
        return value
    if isinstance(value, float) or is_ratio(value):
        return num(value)
    if isinstance(value, str):
        return sym(value)
    raise TypeError(f"cannot show {value!r} as a formula")


def sym(text: str, latex: str | None = None) -> Math:
    """A named quantity. Without a LaTeX form one is derived: C_out → C_{\\text{out}}, μ → \\mu."""
    return Math(text, symbol_latex(text) if latex is None else latex, ATOM)


def symbol_latex(text: str) -> str:
    """A symbol's LaTeX: its subscript braced (a word in \\text{}), Greek and marks as macros."""
    base, underscore, index = text.partition("_")
    out = _unicode_math(base)
    if underscore:
        word = index.isalpha() and len(index) > 2 and index.isascii()  # out, max: words; ir, hh: indices
        out += "_{" + (rf"\text{{{index}}}" if word else _unicode_math(index)) + "}"
    return out


def _unicode_math(text: str) -> str:
    out = []
    for ch in text:
        macro = _UNICODE_TEX.get(ch) if ord(ch) > 127 else None
        out.append(ch if macro is None else (macro + " " if macro[-1].isalpha() else macro))
    return "".join(out).rstrip()


def fmt_number(value: float | Rational, digits: int = 6) -> str:
    """A number as a student writes it: integers plain, fractions p/q, floats to `digits` significant."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if is_ratio(value):
        if value.denominator == 1:
            return str(value.numerator)
        return _terminating_decimal(value) or f"{value.numerator}/{value.denominator}"
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        return f"{mantissa}e{int(exp)}"
    return text


def _terminating_decimal(value: Rational) -> str | None:
    """0.25 for 1/4 (exactly, as the student wrote it); None for 1/3, whose decimals never end."""
    q, twos, fives = int(value.denominator), 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    places = max(twos, fives)
    if q != 1 or places > 12:
        return None
    scaled = abs(value.numerator) * 10**places // value.denominator
    digits = str(scaled).rjust(places + 1, "0")
    text = f"{digits[:-places]}.{digits[-places:]}".rstrip("0").rstrip(".")
    return ("-" if value < 0 else "") + text


def plural(count: int, word: str, words: str | None = None) -> str:
    """A count with its noun in English: 1 step, 3 steps, 1 batch, 2 batches (Chinese has no plural)."""
    if count == 1:
        return f"{count} {word}"
    if words is None:
        words = word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")
    return f"{count} {words}"


def num(value: float | Rational, digits: int = 6) -> Math:
    text = fmt_number(value, digits)
    negative = text.startswith("-")
    if is_ratio(value) and value.denominator != 1 and "/" in text:
        p, q = abs(value.numerator), value.denominator
        latex = ("-" if negative else "") + rf"\frac{{{p}}}{{{q}}}"
        return Math(text, latex, ADD if negative else MUL)
    latex = text
    if "e" in text:
        mantissa, exp = text.split("e")
        latex = rf"{mantissa} \times 10^{{{int(exp)}}}"
    return Math(text, latex, ADD if negative or "e" in text else ATOM)


def frac(a: object, b: object) -> Math:
    ma, mb = as_math(a), as_math(b)
    ta, tb = _wrap(ma, MUL).text, _wrap(mb, POW).text
    return Math(f"{ta}/{tb}", rf"\frac{{{ma.latex}}}{{{mb.latex}}}", MUL)


def floor(x: object) -> Math:
    m = as_math(x)
    return Math(f"⌊{m.text}⌋", rf"\left\lfloor {m.latex} \right\rfloor", ATOM)


def ceil(x: object) -> Math:
    m = as_math(x)
    return Math(f"⌈{m.text}⌉", rf"\left\lceil {m.latex} \right\rceil", ATOM)


_FUNCTION_TEX = {
    "max": r"\max",
    "min": r"\min",
    "ln": r"\ln",
    "log": r"\log",
    "exp": r"\exp",
    "tanh": r"\tanh",
    "sin": r"\sin",
    "cos": r"\cos",
    "σ": r"\sigma",
    "Φ": r"\Phi",
    "φ": r"\varphi",
}


def call(name: str, *args: object, latex_name: str | None = None) -> Math:
    ms = [as_math(a) for a in args]
    lname = latex_name if latex_name is not None else _FUNCTION_TEX.get(name, rf"\operatorname{{{name}}}")
    return Math(
        f"{name}({', '.join(m.text for m in ms)})",
        rf"{lname}\left({', '.join(m.latex for m in ms)}\right)",
        ATOM,
    )


def times(*parts: object) -> Math:
    """A product written with ×, as for shapes and kernel sizes (3×3, 96×55×55)."""
    ms = [_wrap(as_math(p), MUL + 1) for p in parts]
    return Math("×".join(m.text for m in ms), r" \times ".join(m.latex for m in ms), MUL)


def text(words: str) -> Math:
    """Prose inside a formula line."""
    return Math(words, rf"\text{{{latex_escape(words)}}}", ATOM)


def latex_escape(words: str) -> str:
    """Prose for a TeX paragraph: the ten specials escaped, every symbol we know as a macro (in
    \\ensuremath, so it sets in text and in math), other characters (CJK, accents) as they are."""
    out = []
    for ch in words:
        if ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch == "~":
            out.append(r"\textasciitilde{}")
        elif ch == "^":
            out.append(r"\textasciicircum{}")
        elif ch == "\\":
            out.append(r"\textbackslash{}")
        elif ch == "<":
            out.append(r"\textless{}")
        elif ch == ">":
            out.append(r"\textgreater{}")
        elif ch == "|":
            out.append(r"\textbar{}")
        elif ord(ch) > 127 and ch in _UNICODE_TEX:
            out.append(_text_macro(_UNICODE_TEX[ch]))
        else:
            out.append(ch)
    return "".join(out)


def _text_macro(macro: str) -> str:
    return macro if macro in ("-", "--", "'", "``", "''") else rf"\ensuremath{{{macro}}}"


def juxt(a: object, b: object) -> Math:
    """Implicit multiplication as written in formulas: 2P, D(K - 1), αx, (1/n) Σ x; t ln p before an
    operator. A fraction in front is bracketed in the text only ((1/n)x; \\frac{1}{n}x is grouped)."""
    ma, mb = as_math(a), as_math(b)
    if ma.prec == MUL and ma.latex.startswith(r"\frac") and "/" in ma.text:
        ma = Math(f"({ma.text})", ma.latex, ATOM)
    else:
        ma = _wrap(ma, MUL)
    if mb.prec != OPEN:
        mb = _wrap(mb, ATOM)
    name = mb.text.partition("(")[0]
    word = mb.prec == OPEN or (
        "(" in mb.text and len(name) > 1 and name.isascii() and name.isalpha()
    )  # t ln p, (1 - t) ln(1 - p)
    gap = " " if word or (ma.latex[-1:].isalpha() and "\\" in ma.latex and mb.latex[:1].isalpha()) else ""
    return Math(
        f"{ma.text}{' ' if word else ''}{mb.text}", f"{ma.latex}{gap}{mb.latex}", OPEN if mb.prec == OPEN else MUL
    )


def sub(base: str | Math, index: str) -> Math:
    """A subscripted symbol: sub("H", "out") prints H_out and H_{\\text{out}}; sub(group(a - b), "i")
    prints (a - b)_i."""
    idx = index if len(index) == 1 or index.isdigit() else rf"\text{{{index}}}"
    if isinstance(base, Math):
        b = _wrap(base, ATOM)
        return Math(f"{b.text}_{index}", f"{b.latex}_{{{idx}}}", ATOM)
    return Math(f"{base}_{index}", f"{base}_{{{idx}}}", ATOM)




def element(base: object, *index: object) -> Math:
    """An entry picked by its indices: a[n, t_n] in text, a_{n,t_n} in LaTeX."""
    b, ms = as_math(base), [as_math(i) for i in index]
    return Math(f"{b.text}[{', '.join(i.text for i in ms)}]", f"{b.latex}_{{{','.join(i.latex for i in ms)}}}", ATOM)


def side_by_side(*items: object, gap: str = "  ") -> Math:
    """Several formulas on one line: h = tanh(W1·x + b1),  ŷ = w2·h + b2 (gap: the space after the comma)."""
    ms = [as_math(i) for i in items]
    return Math(("," + gap).join(i.text for i in ms), r",\ ".join(i.latex for i in ms), REL)


def group(x: object, brackets: str = "()") -> Math:
    """x in parentheses (or brackets "[]"), always: what a student brackets to show it belongs together."""
    mx = as_math(x)
    opening, closing = brackets[0], brackets[-1]
    return Math(f"{opening}{mx.text}{closing}", rf"\left{opening}{mx.latex}\right{closing}", ATOM)


def indexed(base: object, index: object, family: str | None = None) -> Math:
    """A member of a sequence as dlcalc numbers it: h3, δz4 in text; h_{3}, \\delta z_{4} in LaTeX.
    With a family (a gate): δz_f3 and \\delta z_{f,3}."""
    b, i = as_math(base), as_math(index)
    if family is not None:
        return Math(f"{b.text}_{family}{i.text}", f"{b.latex}_{{{family},{i.latex}}}", ATOM)
    return Math(f"{b.text}{i.text}", f"{b.latex}_{{{i.latex}}}", ATOM)


def word(name: str) -> Math:
    """A name of several letters set upright as one operator: LSE, Concat, diag."""
    return Math(name, rf"\operatorname{{{name}}}", ATOM)


def apply(name: str, x: object, under: object | None = None) -> Math:
    """An operator written before its argument: ln p, max z, max_j s_ij; ln(1 - p), ln(2.5) when the
    argument is more than one symbol. It takes what follows, so a product or quotient brackets it."""
    mx = as_math(x)
    lname = _FUNCTION_TEX.get(name, rf"\operatorname{{{name}}}")
    if under is not None:
        mu = as_math(under)
        name, lname = f"{name}_{mu.text}", f"{lname}_{{{mu.latex}}}"
    if mx.prec >= ATOM and not mx.text.startswith("-") and not mx.text[:1].isdigit():  # ln p; ln(2.5)
        return Math(f"{name} {mx.text}", f"{lname} {mx.latex}", OPEN)
    return Math(f"{name}({mx.text})", rf"{lname}\left({mx.latex}\right)", ATOM)


def sum_over(
    body: object, index: object | None = None, start: object | None = None, stop: object | None = None
) -> Math:
    """Σ body, Σ_j body; a sum as its body is bracketed: Σ [a + b]. The LaTeX also shows the range
    start..stop when given (\\sum_{t=1}^{3}); the terminal keeps Σ_t."""
    mb = as_math(body)
    if mb.prec < OPEN:
        mb = group(mb, "[]")
    under_t = under_l = ""
    if index is not None:
        mi = as_math(index)
        under_t = f"_{mi.text}"
        low = mi.latex if start is None else f"{mi.latex}={as_math(start).latex}"
        under_l = f"_{{{low}}}" + ("" if stop is None else f"^{{{as_math(stop).latex}}}")
    return Math(f"Σ{under_t} {mb.text}", rf"\sum{under_l} {mb.latex}", OPEN)


def partial(f: object, x: object) -> Math:
    """A partial derivative written inline, read as one unit: ∂E/∂z, \\partial E/\\partial z; lr·∂L/∂w."""
    mf, mx = as_math(f), as_math(x)
    return Math(f"∂{mf.text}/∂{mx.text}", rf"\partial {mf.latex}/\partial {mx.latex}", POW)


def hadamard(*parts: object) -> Math:
    """The elementwise product a ⊙ b ⊙ c (gates times states in an LSTM)."""
    ms = [as_math(p) for p in parts]
    ms = [_wrap(ms[0], MUL)] + [_right(p, MUL) for p in ms[1:]]  # a product binds as tightly: o3 ⊙ i3(1 - i3)
    return Math(" ⊙ ".join(p.text for p in ms), r" \odot ".join(p.latex for p in ms), MUL)


def transpose(x: object) -> Math:
    """Kᵀ, (QK)ᵀ."""
    mx = _wrap(as_math(x), ATOM)
    return Math(f"{mx.text}ᵀ", rf"{mx.latex}^{{\top}}", ATOM)


def sqrt(x: object) -> Math:
    """√3, √d_k, √(σ² + ε)."""
    mx = as_math(x)
    text = f"√{mx.text}" if mx.prec >= ATOM and not mx.text.startswith("-") else f"√({mx.text})"
    return Math(text, rf"\sqrt{{{mx.latex}}}", ATOM)


_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def norm(x: object, p: int | None = None, squared: bool = False) -> Math:
    """‖x‖, ‖x‖₂ (the 2-norm), ‖x‖² (its square)."""
    mx = as_math(x)
    text, latex = f"‖{mx.text}‖", rf"\left\|{mx.latex}\right\|"
    if p is not None:
        text, latex = text + str(p).translate(_SUBSCRIPT_DIGITS), latex + f"_{{{p}}}"
    if squared:
        text, latex = text + "²", latex + "^{2}"
    return Math(text, latex, ATOM)


def absolute(x: object) -> Math:
    """|z|."""
    mx = as_math(x)
    return Math(f"|{mx.text}|", rf"\left|{mx.latex}\right|", ATOM)


def prime(x: object) -> Math:
    """W′, the value after an update (f′ for a derivative): ′ in text, ' in LaTeX."""
    mx = _wrap(as_math(x), ATOM)
    return Math(f"{mx.text}′", f"{mx.latex}'", ATOM)


def if_else(then: object, condition: object, otherwise: object) -> Math:
    """A two-way definition as a student reads it: `x if x > 0 else αx`; LaTeX `x > 0 \\,?\\, x : \\alpha x`."""
    a, c, b = as_math(then), as_math(condition), as_math(otherwise)
    return Math(f"{a.text} if {c.text} else {b.text}", rf"{c.latex} \,?\, {a.latex} : {b.latex}", REL)


_LATEX_REL = {
    "=": "=",
    "≥": r"\ge",
    "≤": r"\le",
    "<": "<",
    ">": ">",
    "≠": r"\ne",
    "≈": r"\approx",
    "→": r"\to",
    "←": r"\leftarrow",
}


def rel(*items: object) -> Math:
    """A chain of relations: rel(a, "≥", b, "=", c)."""
    texts, latexes = [], []
    for i, item in enumerate(items):
        if i % 2:
            texts.append(str(item))
            latexes.append(_LATEX_REL[str(item)])
        else:
            mi = as_math(item)
            texts.append(mi.text)
            latexes.append(mi.latex)
    return Math(" ".join(texts), " ".join(latexes), REL)


def vec(values: list, digits: int = 6, brackets: str = "()") -> Math:
    """A vector written as a tuple: (3, 3) or (0.5, -1/3); with brackets="[]" a concatenation [h0, x1]."""
    ms = [num(v, digits) if not isinstance(v, Math) else v for v in values]
    return group(Math(", ".join(x.text for x in ms), ", ".join(x.latex for x in ms)), brackets)


_UNICODE_TEX = {
    "⊙": r"\odot",
    "−": "-",
    "σ": r"\sigma",
    "δ": r"\delta",
    "η": r"\eta",
    "Σ": r"\Sigma",
    "∑": r"\sum",
    "α": r"\alpha",
    "β": r"\beta",
    "γ": r"\gamma",
    "ε": r"\varepsilon",
    "θ": r"\theta",
    "λ": r"\lambda",
    "μ": r"\mu",
    "ρ": r"\rho",
    "φ": r"\varphi",
    "ω": r"\omega",
    "π": r"\pi",
    "∂": r"\partial",
    "∇": r"\nabla",
    "√": r"\surd",
    "∞": r"\infty",
    "±": r"\pm",
    "∈": r"\in",
    "←": r"\leftarrow",
    "→": r"\to",
    "⇔": r"\iff",
    "⇒": r"\Rightarrow",
    "≥": r"\ge",
    "≤": r"\le",
    "≠": r"\ne",
    "≈": r"\approx",
    "×": r"\times",
    "·": r"\cdot",
    "⌊": r"\lfloor",
    "⌋": r"\rfloor",
    "⌈": r"\lceil",
    "⌉": r"\rceil",
    "²": "^{2}",
    "³": "^{3}",
    "ⁿ": "^{n}",
    "⁺": "^{+}",
    "⁻": "^{-}",
    "¹": "^{1}",
    "ᵀ": "^{T}",
    "½": r"\tfrac{1}{2}",
    "̃": r"\tilde{}",
    "✓": r"\checkmark",
    "✗": r"\times",
    "…": r"\dots",
    "′": "'",
    "★": r"\star",
    "§": r"\S",
    "÷": r"\div",
    "≪": r"\ll",
    "≫": r"\gg",
    "↦": r"\mapsto",
    "⇐": r"\Leftarrow",
    "↔": r"\leftrightarrow",
    "⋅": r"\cdot",
    "∗": "*",
    "¶": r"\P",
    "°": r"^{\circ}",
    "∘": r"\circ",
    "≡": r"\equiv",
    "∝": r"\propto",
    "∀": r"\forall",
    "∃": r"\exists",
    "ℓ": r"\ell",
    "Φ": r"\Phi",
    "Ψ": r"\Psi",
    "Ω": r"\Omega",
    "Δ": r"\Delta",
    "Γ": r"\Gamma",
    "Λ": r"\Lambda",
    "Θ": r"\Theta",
    "Π": r"\Pi",
    "ψ": r"\psi",
    "χ": r"\chi",
    "ξ": r"\xi",
    "ζ": r"\zeta",
    "κ": r"\kappa",
    "ν": r"\nu",
    "τ": r"\tau",
    "υ": r"\upsilon",
    "ι": r"\iota",
    "ϵ": r"\epsilon",
    "ϕ": r"\phi",
    "⁰": "^{0}",
    "⁴": "^{4}",
    "⁵": "^{5}",
    "⁶": "^{6}",
    "⁷": "^{7}",
    "⁸": "^{8}",
    "⁹": "^{9}",
    "₀": "_{0}",
    "₁": "_{1}",
    "₂": "_{2}",
    "₃": "_{3}",
    "ᵢ": "_{i}",
    "ⱼ": "_{j}",
    "∓": r"\mp",
    "⟨": r"\langle",
    "⟩": r"\rangle",
    "‖": r"\|",
    "∪": r"\cup",
    "∩": r"\cap",
    "⊂": r"\subset",
    "•": r"\bullet",
    "⊤": r"\top",
    "—": "--",
    "–": "-",
    "“": "``",
    "”": "''",
    "’": "'",
}


def ascii_latex(source: str) -> str:
    """LaTeX that pdflatex can set: every non-ASCII character becomes \\ensuremath{…} (text or math)."""
    out = []
    for ch in source:
        if ord(ch) < 128:
            out.append(ch)
        elif ch in _UNICODE_TEX:
            out.append(_text_macro(_UNICODE_TEX[ch]))
        elif ch.isalpha() and ord(ch) < 0x180:
            out.append(ch)  # é, ü, ñ: pdflatex reads Latin letters in UTF-8 and sets them with T1 fonts
        else:
            out.append(rf"\texttt{{[U+{ord(ch):04X}]}}")
    return "".join(out)


def dedupe(chain: list[Math]) -> list[Math]:
    """A chain of equal forms without repeats: ⌊4/1⌋ + 1 = 4 + 1 = 5, never "= 5 = 5"."""
    out: list[Math] = []
    for item in chain:
        if not out or out[-1].text != item.text:
            out.append(item)
    return out


ELLIPSIS = Math("…", r"\dots")


def elide(items: list, limit: int = 12) -> list:
    """A long list shown by its ends: the first limit - 3 items, …, the last two."""
    if len(items) <= limit:
        return list(items)
    return list(items[: limit - 3]) + [ELLIPSIS] + list(items[-2:])


def total(items: list, limit: int = 12) -> Math:
    """a + b + c written out with the + operator (negatives parenthesised), long sums elided."""
    shown = elide([as_math(i) for i in items], limit)
    out = shown[0]
    for item in shown[1:]:
        out = out + item
    return out


def matrix(rows: list, digits: int = 6, limit: int = 12) -> Math:
    """A matrix of numbers or formulas: [[1, 2], [3, 4]] and a bmatrix, long sides elided."""

    def cell(v: object) -> Math:
        if isinstance(v, Math):
            return v
        if isinstance(v, float) and v == -math.inf:
            return Math("-∞", r"-\infty", ADD)
        return num(v, digits)  # type: ignore[arg-type]

    shown: list[Any] = [
        r if r is ELLIPSIS else [cell(v) for v in elide(list(r), limit)] for r in elide(list(rows), limit)
    ]
    width = max((len(r) for r in shown if r is not ELLIPSIS), default=0)
    text = ", ".join("…" if r is ELLIPSIS else "[" + ", ".join(c.text for c in r) + "]" for r in shown)
    latex = r" \\ ".join(
        " & ".join([r"\vdots"] * width) if r is ELLIPSIS else " & ".join(c.latex for c in r) for r in shown
    )
    return Math(f"[{text}]", rf"\begin{{bmatrix}}{latex}\end{{bmatrix}}")


# --- operators added by mathB




_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def squared(x: object, power: int = 2) -> Math:
    """x² with a superscript digit in text: g², (x - μ)²; x^{2} in LaTeX."""
    mx = as_math(x)
    if mx.prec < ATOM or mx.text.startswith("-"):
        mx = Math(f"({mx.text})", rf"\left({mx.latex}\right)", ATOM)
    return Math(mx.text + str(power).translate(_SUPERSCRIPT_DIGITS), f"{mx.latex}^{{{power}}}", POW)


def implicit(*factors: object) -> Math:
    """A product written without dots, as in a rule on paper: ηyx, η(d - o)x (\\eta y x in LaTeX)."""
    text, latex = "", ""
    for f in factors:
        mf = as_math(f)
        mf = (
            mf if mf.prec >= ATOM and not mf.text.startswith("-") else Math(f"({mf.text})", rf"\left({mf.latex}\right)")
        )
        if latex and latex[-1].isalpha() and (mf.latex[:1].isalpha() or mf.latex[:1] == "\\"):
            latex += " "  # \eta y, never \etay
        text, latex = text + mf.text, latex + mf.latex
    return Math(text, latex, MUL)


def linear(terms: list[tuple[object, Math]], constant: object = 0) -> Math:
    """c1·x1 + c2·x2 + b with signs as a student writes them (- 2·x2, not + -2·x2); zero terms left
    out, a coefficient of 1 not written; LaTeX puts the coefficient before the symbol (2x_{1})."""
    parts = [(c, x) for c, x in terms if c != 0] + ([(constant, None)] if constant != 0 else [])
    text, latex = "", ""
    for j, (c, x) in enumerate(parts):
        negative = c < 0  # type: ignore[operator]
        mag = -c if negative else c  # type: ignore[operator]
        coef = None if (mag == 1 and x is not None) else num(mag)  # type: ignore[arg-type]
        piece_t = (
            (coef.text if coef else "") + ("·" if coef and x is not None else "") + (x.text if x is not None else "")
        )
        piece_l = (coef.latex if coef else "") + (x.latex if x is not None else "")
        if j == 0:
            text, latex = ("-" if negative else "") + piece_t, ("-" if negative else "") + piece_l
        else:
            sign = "-" if negative else "+"
            text, latex = f"{text} {sign} {piece_t}", f"{latex} {sign} {piece_l}"
    return Math(text or "0", latex or "0", ADD if len(parts) > 1 or text.startswith("-") else MUL)


def numbered(base: object, k: object) -> Math:
    """A quantity of the k-th feature, step or unit as dlcalc prints it: μ1, σ²2, running_mean1 in
    text; \\mu_{1}, \\sigma^{2}_{2} in LaTeX."""
    mb = as_math(base)
    return Math(f"{mb.text}{k}", f"{mb.latex}_{{{k}}}", ATOM)


def summation(body: object, scale: object = None, index: str | None = None) -> Math:
    """Σ x, Σ (x - μ)², Σ_j δ1[j], or with a scale before it (1/m) Σ x; \\sum (with \\frac{1}{m}) in LaTeX."""
    mb = as_math(body)
    mb = mb if mb.prec >= POW else Math(f"({mb.text})", rf"\left({mb.latex}\right)", ATOM)
    under_t, under_l = ("", "") if index is None else (f"_{index}", f"_{{{symbol_latex(index)}}}")
    text, latex = f"Σ{under_t} {mb.text}", rf"\sum{under_l} {mb.latex}"
    if scale is not None:
        ms = as_math(scale)
        text, latex = f"({ms.text}) {text}", f"{ms.latex}{latex}"
    return Math(text, latex, MUL)


def odot(a: object, b: object) -> Math:
    """The elementwise product a⊙b (a gate times a state), \\odot in LaTeX."""
    ma, mb = _wrap(as_math(a), MUL), _right(as_math(b), MUL + 1)
    return Math(f"{ma.text}⊙{mb.text}", rf"{ma.latex} \odot {mb.latex}", MUL)




def ddx(var: object, of: object = None) -> Math:
    """The derivative operator d/dw, or applied to an expression: d/dw[w·x + b]."""
    mv = as_math(var)
    op = Math(f"d/d{mv.text}", rf"\frac{{d}}{{d{mv.latex}}}", POW)
    if of is None:
        return op
    mo = as_math(of)
    return Math(f"{op.text}[{mo.text}]", rf"{op.latex}\left[{mo.latex}\right]", ATOM)


def partial_frac(f: object, x: object) -> Math:
    """∂E/∂W1[1,2] in text, \\frac{\\partial E}{\\partial w^{(1)}_{12}} in LaTeX: one unit in a formula."""
    mf, mx = as_math(f), as_math(x)
    return Math(f"∂{mf.text}/∂{mx.text}", rf"\frac{{\partial {mf.latex}}}{{\partial {mx.latex}}}", ATOM)


_MARKS = {"+": "⁺", "-": "⁻", "T": "ᵀ", "*": "*"}


def marked(x: object, mark: str) -> Math:
    """A symbol with a mark set after its indices: W1[1,2]⁺ (the updated weight), w^{(1)}_{12}{}^{+}."""
    mx = as_math(x)
    return Math(f"{mx.text}{_MARKS.get(mark, '^' + mark)}", f"{mx.latex}{{}}^{{{mark}}}", ATOM)
