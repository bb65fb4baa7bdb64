"""Every command's --latex compiles with a real TeX engine and says what the text says.

* Compilation: each case's `--latex` output (a complete document) is run through the CLI; the
  bodies of all cases are batched into one document per engine (pdflatex for --lang en, xelatex
  with ctex for --lang zh) so the whole suite costs two TeX runs, plus one run of a single output
  exactly as printed. With CI set a missing engine is a failure; locally the compile tests skip.
* Math is ASCII: no raw Unicode inside any step's LaTeX (σ is \\sigma, never σ).
* Text ≡ LaTeX: every step is built once from mathfmt operators, so both forms come from one tree;
  for every chain item made only of numbers and operators, the text form and the LaTeX form are
  parsed back here by two small independent readers and must give the same value — and the
  consecutive items of a chain must agree with each other (the arithmetic shown is right).
* Substituted arithmetic: every step of the numerics solvers that ends in a number shows the
  numbers written into its formula before the result.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"

# Realistic inputs, a few per command (exam-sized; every command of the CLI appears).
CASES: list[list[str]] = [
    ["conv", "3x227x227", "-k", "11", "-s", "4", "-o", "96"],
    ["conv", "1x28x28", "-k", "3", "-o", "25", "-p", "same"],
    ["conv", "64x56x56", "-k", "3", "--target", "56", "--solve", "padding"],
    ["conv", "16x8x8", "-k", "3", "-s", "2", "-p", "1", "-o", "8", "--transposed", "--output-padding", "1"],
    ["pool", "96x55x55", "-k", "3", "-s", "2"],
    ["pool", "5x5", "-k", "2", "-s", "2", "-p", "1", "--ceil-mode"],
    ["net", "-i", "1x28x28", "Conv2d(1, 25, 3)", "ReLU()", "MaxPool2d(2)", "Flatten()", "Linear(4225, 10)"],
    ["net", "--model", "lenet5"],
    ["perceptron", "--x", "3,3; 4,3; 1,1", "--y", "1,1,-1", "--rule", "misclassified"],
    ["perceptron", "--x", "1,2; -1,2; 0,-1", "--y", "1,0,0", "--w0", "1,-0.8", "--no-bias", "--outputs", "01"],
    ["backprop", str(EX / "mazur.yaml")],
    ["grad", "sigmoid(w*x + b)", "--wrt", "w", "--at", "w=0.5, x=1, b=0"],
    ["grad", "w^2 - 3*w + 2", "--wrt", "w", "--at", "w=-1"],
    ["rnn", "--x", "1; 2; 3", "--weight-ih", "0.5", "--weight-hh", "0.1"],
    ["rnn", "--x", "1,0; 0.5,-1", "--set", "W_xh=0.1,-0.2; 0.3,0.4", "--set", "W_hh=0.5,0; -0.1,0.2"],
    ["lstm", str(EX / "lstm-scalar.yaml")],
    ["gru", str(EX / "gru-scalar.yaml")],
    ["gru", str(EX / "gru-scalar.yaml"), "--set", "convention=textbook"],
    ["bptt", "--sequence", "1; 2; 3", "--set", "W=0.5", "--set", "U=0.1", "--target", "0.5"],
    [
        "bptt",
        "--cell",
        "lstm",
        "--sequence",
        "1; -1",
        "--set",
        "W_i=0.5,0.5",
        "--set",
        "W_f=0.5,0.5",
        "--set",
        "W_g=0.5,0.5",
        "--set",
        "W_o=0.5,0.5",
        "--target",
        "0.2; 0.3",
        "--truncate",
        "1",
    ],
    [
        "bptt",
        "--sequence",
        "1,0; 0,1",
        "--weight-ih",
        "0.5,-0.2; 0.1,0.3",
        "--weight-hh",
        "0.9,0; -0.4,0.8",
        "--set",
        "W_hy=1,-1",
        "--set",
        "softmax=false",
        "--target",
        "0.2",
        "--loss",
        "mse",
    ],
    ["optim", "--f", "w^2 + 3*w", "--optimizer", "adam", "--lr", "0.1", "--start", "1", "--steps", "2"],
    ["optim", "--f", "x^2 + 10*y^2", "--optimizer", "momentum", "--start", "1,-1", "--steps", "2"],
    ["attention", str(EX / "attention.yaml"), "--causal"],
    ["batchnorm", str(EX / "batchnorm.yaml")],
    ["softmax", "2, 1, 0.1"],
    ["softmax", "--temperature", "0.5", "--", "1, -2, 0.5"],
    ["loss", "--logits", "2, 1, 0.1", "--target", "0"],
    ["loss", "--kind", "mse", "--logits", "0.2, -0.4", "--target", "0, 0.6"],
    ["loss", "--kind", "bce", "--logits", "0.2, -0.4", "--target", "0, 1"],
    ["act", "sigmoid", "--at", "-2, 0, 3"],
    ["act", "gelu", "--at", "-1, 0.5"],
    ["act", "leaky_relu", "--at", "-3, 2"],
    ["metrics", "--tp", "8", "--fp", "2", "--fn", "4", "--tn", "6"],
    ["metrics", "--data", "1, 2, 3, 10"],
]

COMMANDS = {
    "conv", "pool", "net", "perceptron", "backprop", "grad", "rnn", "lstm", "gru", "bptt",
    "optim", "attention", "batchnorm", "softmax", "loss", "act", "metrics",
}  # fmt: skip

# The solvers whose steps this test holds to "numbers written into the formula" (numerics' own).
AUDITED = {
    "perceptron",
    "backprop",
    "rnn",
    "lstm",
    "gru",
    "attention",
    "batchnorm",
    "softmax",
    "loss",
    "act",
    "metrics",
}


def test_every_command_is_covered():
    assert {c[0] for c in CASES} == COMMANDS


# --- running the commands ------------------------------------------------------------------------


def _result(args: list[str]):
    """The Result a command builds, taken where the CLI hands it to the JSON renderer."""
    import dlcalc.render
    from dlcalc.cli import run

    captured = {}
    original = dlcalc.render.to_json

    def grab(result, lang="en", check=None):
        captured["result"] = result
        return original(result, lang, check)

    dlcalc.render.to_json = grab
    try:
        code = run([args[0], "--json", *args[1:]])
    finally:
        dlcalc.render.to_json = original
    assert code == 0, args
    return captured["result"]


@pytest.fixture(scope="module")
def results():
    return {tuple(c): _result(c) for c in CASES}


# --- math is ASCII, built once ------------------------------------------------------------------


def test_math_is_ascii(results):
    from dlcalc.render import step_latex

    for case, result in results.items():
        for step in result.steps:
            latex = step_latex(step)
            bad = sorted({ch for ch in latex if ord(ch) > 127})
            assert not bad, (case[0], step.label.en, bad, latex)


def test_subscripts_are_braced(results):
    """C_{\\text{out}}, never C_out: a subscript of more than one character needs braces."""
    from dlcalc.render import step_latex

    for case, result in results.items():
        for step in result.steps:
            latex = step_latex(step)
            for m in re.finditer(r"(?<!\\)_([A-Za-z0-9]{2,})", latex):
                raise AssertionError((case[0], step.label.en, m.group(0), latex))


# --- compiling with a real TeX engine -------------------------------------------------------------


def _engine(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: CI compiles every command's LaTeX (.ci/run installs TeX Live)")
        pytest.skip(f"{name} is not installed (CI installs it and runs this test)")
    return path


def _latex_outputs(cli, lang: str) -> list[tuple[list[str], str]]:
    outputs = []
    for case in CASES:
        code, out, err = cli(case[0], "--latex", "--lang", lang, *case[1:])
        assert code == 0, (case, err)
        outputs.append((case, out))
    return outputs


def _body(document: str, lang: str) -> str:
    """The part between \\begin{document} and \\end{document}, after checking the shared preamble."""
    from dlcalc.render.latex import ENGINE, preamble

    lines = document.rstrip("\n").split("\n")
    head = [f"% compile with {ENGINE[lang]}", *preamble(lang), r"\begin{document}"]
    assert lines[: len(head)] == head and lines[-1] == r"\end{document}", document[:400]
    return "\n".join(lines[len(head) : -1])


def _compile(engine: str, source: str, where: Path) -> str:
    tex = where / "doc.tex"
    tex.write_text(source, encoding="utf-8")
    run = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex.name],
        cwd=where,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=600,
    )
    log = (where / "doc.log").read_text(encoding="utf-8", errors="replace") if (where / "doc.log").exists() else ""
    errors = [line for line in log.splitlines() if line.startswith("!")]
    missing = [line for line in log.splitlines() if "Missing character" in line]
    if run.returncode != 0 or errors or missing or not (where / "doc.pdf").exists():
        return "\n".join(errors + missing) or run.stdout[-2000:]
    return ""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_commands_latex_compiles(cli, tmp_path, lang):
    from dlcalc.render.latex import ENGINE, preamble

    engine = _engine(ENGINE[lang])
    outputs = _latex_outputs(cli, lang)
    bodies = [(case, _body(doc, lang)) for case, doc in outputs]
    for case, body in bodies:
        assert "[U+" not in body, case  # a character with no macro would be shown as its code point
    batch = "\n".join([*preamble(lang), r"\begin{document}", *(b for _, b in bodies), r"\end{document}", ""])
    problem = _compile(engine, batch, tmp_path)
    if problem:  # name the culprits: compile each alone (only on failure, so the passing run stays fast)
        culprits = []
        for i, (case, body) in enumerate(bodies):
            one = tmp_path / f"case{i}"
            one.mkdir()
            doc = "\n".join([*preamble(lang), r"\begin{document}", body, r"\end{document}", ""])
            if _compile(engine, doc, one):
                culprits.append(" ".join(case))
        pytest.fail(f"{engine} failed on {culprits or 'the batch'}:\n{problem}")
    # and one output exactly as --latex prints it
    (tmp_path / "as-printed").mkdir()
    assert not _compile(engine, outputs[10][1], tmp_path / "as-printed"), outputs[10][0]


# --- the text form and the LaTeX form say the same -----------------------------------------------
#
# Two small readers, one per form, for the numeric items a derivation writes (numbers, + - · /,
# powers, fractions, roots, σ/tanh/ln/max/Φ/φ/e, floors, vectors and matrices). They share nothing
# with mathfmt: each reads the printed string back to a value.

FUNCS = {
    "σ": lambda v: 1 / (1 + math.exp(-v)) if v > -700 else 0.0,
    "tanh": math.tanh,
    "ln": math.log,
    "exp": math.exp,
    "max": max,
    "min": min,
    "Φ": lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))),
    "φ": lambda v: math.exp(-v * v / 2) / math.sqrt(2 * math.pi),
}
SKIP = object()  # an item with names, elisions or -∞ in it: not a pure number


class _Reader:
    def __init__(self, tokens: list[str]):
        self.toks, self.i = tokens, 0

    def peek(self, k: int = 0) -> str | None:
        return self.toks[self.i + k] if self.i + k < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise ValueError(f"expected {want!r}, got {tok!r}")
        self.i += 1
        return tok

    def done(self):
        if self.peek() is not None:
            raise ValueError(f"left over: {self.toks[self.i :]}")


def _arith(op: str, a, b):
    """Numbers, and vectors elementwise (v + w, c·v), as the perceptron writes its updates."""
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b) or op not in "+-":
            raise ValueError("vector arithmetic of different shapes")
        return [_arith(op, x, y) for x, y in zip(a, b)]
    if isinstance(a, list) or isinstance(b, list):
        if op != "*":
            raise ValueError("a vector in a scalar operation")
        return [_arith(op, x, b) for x in a] if isinstance(a, list) else [_arith(op, a, y) for y in b]
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    return a**b


class TextReader(_Reader):
    TOKEN = re.compile(r"\d+(?:\.\d+)?(?:e-?\d+)?|tanh|ln|exp|max|min|[σΦφe√⌊⌋⌈⌉()\[\],+\-·/^×]|\s+|.")

    @classmethod
    def value(cls, text: str):
        if "…" in text or "∞" in text:
            return SKIP
        tokens = [t for t in cls.TOKEN.findall(text) if not t.isspace()]
        if any(len(t) == 1 and t.isalpha() and t not in "σΦφe" for t in tokens):
            return SKIP
        reader = cls(tokens)
        out = reader.sum()
        reader.done()
        return out

    def sum(self):
        out = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()
            out = _arith(op, out, self.product())
        return out

    def product(self):
        out = self.unary()
        while self.peek() in ("·", "/", "×") or self.peek() in ("(", "√", "σ", "tanh", "ln"):
            op = self.take() if self.peek() in ("·", "/", "×") else "·"
            out = _arith("/" if op == "/" else "*", out, self.unary())
        return out

    def unary(self):
        if self.peek() == "-":
            self.take()
            return _arith("-", 0, self.unary())
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return _arith("^", base, self.unary())
        return base

    def atom(self):
        tok = self.take()
        if tok[0].isdigit():
            return float(tok)
        if tok == "e":
            return math.e
        if tok == "√":
            return math.sqrt(self.atom())
        if tok in ("⌊", "⌈"):
            v = self.sum()
            self.take("⌋" if tok == "⌊" else "⌉")
            return math.floor(v) if tok == "⌊" else math.ceil(v)
        if tok in FUNCS:
            self.take("(")
            args = [self.sum()]
            while self.peek() == ",":
                self.take()
                args.append(self.sum())
            self.take(")")
            return FUNCS[tok](*args)
        if tok in ("(", "["):
            items = [self.sum()]
            while self.peek() == ",":
                self.take()
                items.append(self.sum())
            self.take(")" if tok == "(" else "]")
            return items if (len(items) > 1 or tok == "[") else items[0]
        raise ValueError(f"unexpected {tok!r}")


class LatexReader(_Reader):
    TOKEN = re.compile(
        r"\\(?:begin|end)\{bmatrix\}|\\operatorname\{[A-Za-z]+\}|\\text\{[^}]*\}|\\[A-Za-z]+|\\\\"
        r"|\d+(?:\.\d+)?|[{}()\[\],+\-/^&_]|\s+|."
    )
    NAMES = {r"\sigma": "σ", r"\tanh": "tanh", r"\ln": "ln", r"\max": "max", r"\min": "min", r"\Phi": "Φ"}
    NAMES |= {r"\varphi": "φ", r"\exp": "exp"}

    @classmethod
    def value(cls, latex: str):
        if any(k in latex for k in (r"\dots", r"\vdots", r"\infty", r"\text")):
            return SKIP
        tokens = [t for t in cls.TOKEN.findall(latex) if not t.isspace() and t not in (r"\left", r"\right")]
        if any(t.isalpha() and t != "e" for t in tokens) or any(t.startswith(r"\operatorname") for t in tokens):
            return SKIP
        reader = cls(tokens)
        out = reader.sum()
        reader.done()
        return out

    def sum(self):
        out = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()
            out = _arith(op, out, self.product())
        return out

    def product(self):
        out = self.unary()
        while self.peek() in (r"\cdot", r"\times", "/") or self.peek() in ("(", r"\frac", r"\sqrt"):
            op = self.take() if self.peek() in (r"\cdot", r"\times", "/") else r"\cdot"
            out = _arith("/" if op == "/" else "*", out, self.unary())
        return out

    def unary(self):
        if self.peek() == "-":
            self.take()
            return _arith("-", 0, self.unary())
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return _arith("^", base, self.group())
        return base

    def group(self):
        if self.peek() == "{":
            self.take()
            v = self.sum()
            self.take("}")
            return v
        return self.atom()

    def atom(self):
        tok = self.take()
        if tok[0].isdigit():
            return float(tok)
        if tok == "e":
            return math.e
        if tok == "{":
            v = self.sum()
            self.take("}")
            return v
        if tok == r"\frac":
            return _arith("/", self.group(), self.group())
        if tok == r"\sqrt":
            return math.sqrt(self.group())
        if tok in (r"\lfloor", r"\lceil"):
            v = self.sum()
            self.take(r"\rfloor" if tok == r"\lfloor" else r"\rceil")
            return math.floor(v) if tok == r"\lfloor" else math.ceil(v)
        if tok in self.NAMES:
            fn = FUNCS[self.NAMES[tok]]
            self.take("(")
            args = [self.sum()]
            while self.peek() == ",":
                self.take()
                args.append(self.sum())
            self.take(")")
            return fn(*args)
        if tok in ("(", "["):
            items = [self.sum()]
            while self.peek() == ",":
                self.take()
                items.append(self.sum())
            self.take(")" if tok == "(" else "]")
            return items if len(items) > 1 else items[0]
        if tok == r"\begin{bmatrix}":
            rows, row = [], [self.sum()]
            while self.peek() != r"\end{bmatrix}":
                sep = self.take()
                if sep == "&":
                    row.append(self.sum())
                elif sep == "\\\\":
                    rows.append(row)
                    row = [self.sum()]
                else:
                    raise ValueError(f"unexpected {sep!r} in a matrix")
            self.take()
            return rows + [row]
        raise ValueError(f"unexpected {tok!r}")


def _flat(v) -> list[float]:
    return [x for item in v for x in _flat(item)] if isinstance(v, list) else [v]


def _agree(a, b, rel: float, floor: float = 0.0) -> bool:
    fa, fb = _flat(a), _flat(b)
    return len(fa) == len(fb) and all(
        abs(x - y) <= rel * max(abs(x), abs(y)) + floor or (math.isnan(x) and math.isnan(y)) for x, y in zip(fa, fb)
    )


def _text_value(text: str):
    try:
        return TextReader.value(text)
    except (ValueError, ZeroDivisionError, OverflowError):
        return SKIP


def _numeric_items(step) -> list[tuple[object, object, object]]:
    """(item, value read from its text, value read from its LaTeX) for each pure-number chain item."""
    out = []
    for item in step.chain:
        tv = _text_value(item.text)
        if tv is SKIP:
            continue
        lv = LatexReader.value(item.latex)
        out.append((item, tv, lv))
    return out


def test_text_and_latex_of_every_step_give_the_same_numbers(results):
    read = 0
    for case, result in results.items():
        for step in result.steps:
            items = _numeric_items(step)
            for item, tv, lv in items:
                read += 1
                assert lv is not SKIP and _agree(tv, lv, 1e-12), (case[0], step.label.en, item.text, item.latex)
            # the arithmetic shown is right: each numeric item equals the next, within the rounding of
            # the printed digits (6 to 9 significant), cancellation allowed for at the size of the terms
            for (a, va, _), (b, vb, _) in zip(items, items[1:]):
                assert _agree(va, vb, 2e-5, 1e-6), (case[0], step.label.en, a.text, b.text)
    assert read > 300  # the readers really read the derivations (not everything skipped)


# --- every step shows its arithmetic --------------------------------------------------------------

_BARE = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?(?:/\d+)?")


def _bare(text: str) -> bool:
    """A plain number, fraction, vector or matrix of them: a result, with no working in it."""
    return not _BARE.sub("", text).strip("()[], ")


def test_numerics_steps_show_the_numbers_in_the_formula(results):
    """A step that ends in a number writes that number's working first: the formula with the
    numbers in (issue 14: `(1/n) Σ … = 0.04`, GRU's `σ(0.5)`, optim's `g = 5`)."""
    for case, result in results.items():
        if case[0] not in AUDITED:
            continue
        for step in result.steps:
            if not step.chain or not _bare(step.chain[-1].text):
                continue
            if step.lhs is not None and _bare(step.lhs.text):
                continue
            working = [c for c in step.chain[:-1] if not _bare(c.text) and _text_value(c.text) is not SKIP]
            # exempt: a value copied from a named one (∂E/∂b = δ = 0.1), or a piecewise function's
            # constant branch (ReLU'(x) = 1 if x > 0 else 0 = 0): there is no arithmetic to show
            copy = len(step.chain) == 1 or (len(step.chain) == 2 and re.fullmatch(r"[\w\[\],]+", step.chain[0].text))
            branch = len(step.chain) == 2 and " if " in step.chain[0].text and step.note is not None
            assert working or copy or branch, (case[0], step.label.en, [c.text for c in step.chain])
            # a formula with operations is worked with those operations: σ(W_r·x1 + U_r·h0 + b_r) as
            # σ(0.5·1 + 0.1·0 + 0), not straight to σ(0.5)
            formula = step.chain[0].text if _text_value(step.chain[0].text) is SKIP else ""
            if working and _has_operation(formula):
                assert any(_has_operation(c.text) for c in working), (
                    case[0],
                    step.label.en,
                    [c.text for c in step.chain],
                )


def _has_operation(text: str) -> bool:
    return any(op in text for op in ("·", "+", "/", "^", " - ", "⊙", "²"))


# --- mathfmt: negatives parenthesised, the value kept (issue 14: `1·-2`, `w^2 + -2*w`) ----------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_numbers = st.one_of(
    st.integers(-20, 20), st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 3))
)  # fmt: skip


def _trees(depth: int = 3):
    leaf = _numbers.map(lambda v: ("num", v))
    return st.recursive(
        leaf,
        lambda sub: st.tuples(st.sampled_from(["+", "-", "*", "/", "^", "neg"]), sub, sub),
        max_leaves=6,
    )


def _build(tree):
    """(Math, value) for a tree, built with mathfmt's operators exactly as the solvers build steps."""
    from dlcalc import mathfmt as m

    if tree[0] == "num":
        return m.num(tree[1]), float(tree[1])
    op, a, b = tree
    (ma, va), (mb, vb) = _build(a), _build(b)
    if op == "neg":
        return -ma, -va
    if op == "^":
        vb = float(int(vb) % 3) if math.isfinite(vb) else 1.0  # small whole powers: finite and real
        mb = m.num(int(vb))
        return ma**mb, va**vb
    if op == "/":
        if vb == 0 or not math.isfinite(vb):  # a divisor that is not zero
            mb, vb = m.num(7), 7.0
        return ma / mb, va / vb
    return {"+": ma + mb, "-": ma - mb, "*": ma * mb}[op], {"+": va + vb, "-": va - vb, "*": va * vb}[op]


@settings(max_examples=300, deadline=None)
@given(_trees())
def test_negative_operands_are_parenthesised_and_both_forms_keep_the_value(tree):
    expr, value = _build(tree)
    for bad in ("·-", "+ -", "- -", "^-", "/-", "·(-)", "--"):
        assert bad not in expr.text, expr.text
    if not math.isfinite(value) or abs(value) > 1e12:
        return
    scale = 1 + abs(value)
    assert _agree(TextReader.value(expr.text), value, 1e-6, 1e-6 * scale), (expr.text, value)
    assert _agree(LatexReader.value(expr.latex), value, 1e-6, 1e-6 * scale), (expr.latex, value)


def test_a_leading_negative_stays_bare():
    from dlcalc import mathfmt as m

    assert (m.num(-2) + 3).text == "-2 + 3"
    assert (m.num(1) * m.num(-2)).text == "1·(-2)"
    assert (m.num(3) + m.num(-2)).text == "3 + (-2)"
    assert (m.num(3) - m.num(-2)).text == "3 - (-2)"
    assert (m.num(2) ** m.num(-1)).text == "2^(-1)"
    assert (m.sym("w") ** 2 + m.num(-2) * m.sym("w")).text == "w^2 + (-2)·w"
