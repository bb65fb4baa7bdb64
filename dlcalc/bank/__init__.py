"""The problem bank: bilingual YAML exercises in `problems/`, validated on load, checked by the solvers.

A file holds one problem (a mapping) or several (a list of mappings). The schema is documented in
`problems/README.md`; every error names the file and the line. Files are read with
dlcalc.yamlio, the one bounded safe loader (libyaml's CSafeLoader, composed then constructed):
no YAML tag can build a Python object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from dlcalc.bank.parts import EXPRESSION, Part, default_part, parse_parts, read_fraction
from dlcalc.errors import DlcalcError


def _solvers() -> tuple[str, ...]:
    """Every solver a problem may name: found in dlcalc/solvers (the generated command index)."""
    from dlcalc.cli import index

    return tuple(getattr(index, "SOLVERS", ()))  # () only while the index itself is being generated


def _topics() -> tuple[str, ...]:
    """Topics are named as the commands they exercise (softmax probabilities: `softmax`;
    cross-entropy and other losses: `loss`; activation slopes: `act`), then the concept questions."""
    from dlcalc.cli.index import COMMANDS

    return tuple(name for name, origin, _en, _zh in COMMANDS if origin.startswith("solvers.") or name == "net") + (
        "concept",
    )


SOLVERS = _solvers()
TOPICS = _topics()
# Older topic names, still read (a bank file, `--topic`, a history) as the new ones.
RENAMED_TOPICS = {"activation": "act"}


def topic_name(topic: str) -> str:
    """A topic as it is called now (`activation` → `act`)."""
    return RENAMED_TOPICS.get(topic, topic)


REQUIRED = ("id", "topic", "title", "statement", "tags", "difficulty", "source")
COMPUTED = ("solver", "inputs", "answer")
CONCEPT_KINDS = ("choice", "short")
ALLOWED = (
    set(REQUIRED)
    | set(COMPUTED)
    | {"tolerance", "kind", "choices", "reference", "key_points", "synonyms", "notes", "ask", "parts"}
)
DEFAULT_BANK = Path(__file__).resolve().parent.parent.parent / "problems"


class BankError(DlcalcError):
    """A problem file that cannot be loaded: the message names the file and line."""


@dataclass
class Problem:
    id: str
    topic: str
    title: dict[str, str]
    statement: dict[str, str]
    tags: list[str]
    difficulty: int
    source: str
    path: Path
    line: int
    solver: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    answer: Any = None
    tolerance: float = 1e-9
    parts: list[Part] = field(default_factory=list)  # what the statement asks, each graded (see parts.py)
    kind: str | None = None
    choices: dict[str, list[str]] | None = None
    reference: dict[str, str] | None = None
    key_points: dict[str, list[str]] | None = None
    synonyms: dict[str, list[str]] = field(default_factory=dict)  # words a key point may be written with

    @property
    def computed(self) -> bool:
        return self.solver is not None


def bank_dir(path: str | Path | None = None) -> Path:
    """The bank to use: the given folder, the repository's problems/, or the copy shipped in the package."""
    if path is not None:
        p = Path(path)
        if not p.is_dir():
            raise DlcalcError(f"--path: no such folder {str(p)!r}")
        return p
    if DEFAULT_BANK.is_dir():
        return DEFAULT_BANK
    return Path(__file__).resolve().parent.parent / "problems"  # installed: packaged as dlcalc.problems


def _lines(node: Any) -> dict[str, int]:
    """Each key of a YAML mapping node → its 1-based line."""
    return {k.value: k.start_mark.line + 1 for k, _ in node.value} if hasattr(node, "value") else {}


def load_file(path: Path) -> list[Problem]:
    from dlcalc import yamlio  # the one bounded loader (libyaml, size/depth/alias limits)

    text = yamlio.read_text(path, "bank", BankError)
    root = yamlio.compose(text, str(path), BankError)
    data = yamlio.construct(root, str(path), BankError) if root is not None else None
    if data is None:
        return []
    if isinstance(data, dict):
        items, nodes = [data], [root]
    elif isinstance(data, list):
        items, nodes = data, list(root.value)
    else:
        raise BankError(f"{path}:1: expected a problem (a mapping) or a list of problems")
    return [_problem(item, node, path) for item, node in zip(items, nodes)]


def _problem(data: Any, node: Any, path: Path) -> Problem:
    line0 = node.start_mark.line + 1
    if not isinstance(data, dict):
        raise BankError(f"{path}:{line0}: expected a problem mapping with id, topic, title, statement …")
    lines = _lines(node)

    def bad(key: str, message: str) -> BankError:
        return BankError(f"{path}:{lines.get(key, line0)}: {data.get('id', '?')}: {key}: {message}")

    _check_common_fields(data, path, line0, bad)
    problem = Problem(
        id=data["id"],
        topic=topic_name(data["topic"]),
        title=data["title"],
        statement=data["statement"],
        tags=data["tags"],
        difficulty=data["difficulty"],
        source=data["source"],
        path=path,
        line=line0,
    )
    if "solver" in data:
        _read_computed(data, problem, bad)
    else:
        _read_concept(data, problem, bad)
    return problem


def _check_common_fields(data: dict[str, Any], path: Path, line0: int, bad: Any) -> None:
    """The fields every problem has: id, topic, bilingual title and statement, tags, difficulty, source."""
    for key in data:
        if key not in ALLOWED:
            raise bad(key, f"unknown field (expected {', '.join(sorted(ALLOWED))})")
    for key in REQUIRED:
        if key not in data:
            raise BankError(f"{path}:{line0}: {data.get('id', '?')}: missing field {key!r}")
    if not isinstance(data["id"], str) or not data["id"].replace("-", "").replace("_", "").isalnum():
        raise bad("id", "expected letters, digits, - and _")
    if topic_name(str(data["topic"])) not in TOPICS:
        raise bad("topic", f"expected one of {', '.join(TOPICS)}")
    for key in ("title", "statement"):
        _bilingual(data[key], bad, key)
    if not isinstance(data["tags"], list) or not all(isinstance(t, str) for t in data["tags"]):
        raise bad("tags", "expected a list of words")
    if data["difficulty"] not in (1, 2, 3):
        raise bad("difficulty", "expected 1 (easy), 2 or 3 (hard)")
    if not isinstance(data["source"], str) or not data["source"].strip():
        raise bad("source", "say where the numbers come from")


def _read_computed(data: dict[str, Any], problem: Problem, bad: Any) -> None:
    """A computed problem: its solver, inputs, the expected answer, tolerance and the parts asked."""
    if data["solver"] not in SOLVERS:
        raise bad("solver", f"expected one of {', '.join(SOLVERS)}")
    for key in ("inputs", "answer"):
        if key not in data:
            raise bad("solver", f"a computed problem needs {key!r}")
    if not isinstance(data["inputs"], dict):
        raise bad("inputs", "expected a mapping of the solver's fields")
    if not isinstance(data["answer"], dict) or not data["answer"]:
        raise bad("answer", "expected a mapping of answer keys (as in the command's --json)")
    tol = data.get("tolerance", 1e-9)
    if not isinstance(tol, (int, float)) or isinstance(tol, bool) or tol < 0:
        raise bad("tolerance", "expected a non-negative number")
    problem.solver, problem.inputs, problem.answer, problem.tolerance = (
        data["solver"],
        data["inputs"],
        data["answer"],
        float(tol),
    )
    problem.parts = _read_parts(data, bad)
    expressions = {p.key.split(".")[0].split("[")[0] for p in problem.parts if p.grade == EXPRESSION}
    problem.answer = {k: v if k in expressions else _fractions(v) for k, v in problem.answer.items()}


def _fractions(value: Any) -> Any:
    """Answer values written as fractions (`ratio: 73/576`) read as exact Fractions, at any depth."""
    if isinstance(value, dict):
        return {k: _fractions(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fractions(v) for v in value]
    fraction = read_fraction(value)
    return value if fraction is None else fraction


def _read_parts(data: dict[str, Any], bad: Any) -> list[Part]:
    """What the statement asks: `parts` (each graded), or the older `ask` (answer keys)."""
    if "parts" in data and "ask" in data:
        raise bad("ask", "give either parts or ask (ask is the older, shorter form of parts)")
    if "parts" in data:
        parts = parse_parts(data["parts"], data["answer"], bad)
    else:  # the older form: answer keys, labelled by a table of common keys
        ask = data.get("ask", [next(iter(data["answer"]))])
        ask = [ask] if isinstance(ask, str) else ask
        if not isinstance(ask, list) or not ask or any(k not in data["answer"] for k in ask):
            raise bad("ask", "expected answer keys (a key or a list of keys of answer)")
        parts = [default_part(k) for k in ask]
    booleans = [isinstance(_value(data["answer"], p.key), bool) for p in parts]
    if any(booleans) and len(parts) > 1:
        raise bad("parts" if "parts" in data else "ask", "a yes/no answer is asked on its own")
    return parts


def _read_concept(data: dict[str, Any], problem: Problem, bad: Any) -> None:
    """A concept question: choice or short, with its reference answer and key points."""
    kind = data.get("kind")
    if kind not in CONCEPT_KINDS:
        raise bad("kind", "a problem without a solver is a concept question: kind choice or short")
    for key in ("reference", "key_points"):
        if key not in data:
            raise bad(key, f"a concept question needs {key!r}")
    _bilingual(data["reference"], bad, "reference")
    _bilingual(data["key_points"], bad, "key_points", lists=True)
    if len(data["key_points"]["zh"]) != len(data["key_points"]["en"]):
        raise bad("key_points", "zh and en need the same key points, in the same order")
    problem.synonyms = _synonyms(data.get("synonyms", {}), bad)
    if kind == "choice":
        _bilingual(data.get("choices"), bad, "choices", lists=True)
        if len(data["choices"]["zh"]) != len(data["choices"]["en"]):
            raise bad("choices", "zh and en need the same number of choices")
        letters = "ABCDEFGH"[: len(data["choices"]["en"])]
        if str(data.get("answer")) not in letters:
            raise bad("answer", f"expected the letter of the right choice ({', '.join(letters)})")
        problem.answer = str(data["answer"])
    problem.kind, problem.choices = kind, data.get("choices")
    problem.reference, problem.key_points = data["reference"], data["key_points"]


def _synonyms(value: Any, bad: Any) -> dict[str, list[str]]:
    """`synonyms: {dendrites: [dendrite, 树突], cell body: [soma, 细胞体]}`: other ways to write a word."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str)
        and k.strip()
        and isinstance(v, list)
        and v
        and all(isinstance(x, str) and x.strip() for x in v)
        for k, v in value.items()
    ):
        raise bad("synonyms", "expected a mapping of word: [other words, …]")
    return {k.strip(): [x.strip() for x in v] for k, v in value.items()}


def _value(answer: dict[str, Any], key: str) -> Any:
    from dlcalc.bank.parts import lookup

    return lookup(answer, key)


def _bilingual(value: Any, bad: Any, key: str, lists: bool = False) -> None:
    if not isinstance(value, dict) or set(value) != {"zh", "en"}:
        raise bad(key, "expected both zh and en")
    for lang in ("zh", "en"):
        v = value[lang]
        ok = (
            isinstance(v, list) and v and all(isinstance(x, str) and x.strip() for x in v)
            if lists
            else isinstance(v, str) and v.strip()
        )
        if not ok:
            raise bad(key, f"{lang}: expected {'a list of sentences' if lists else 'text'}")


def load_bank(path: str | Path | None = None) -> list[Problem]:
    folder = bank_dir(path)
    problems: list[Problem] = []
    seen: dict[str, Problem] = {}
    for file in sorted(folder.rglob("*.yaml")) + sorted(folder.rglob("*.yml")):
        if file.name.startswith(("_", "glossary")):  # glossary*.yaml is dlcalc.glossary's, not problems
            continue
        for problem in load_file(file):
            if problem.id in seen:
                other = seen[problem.id]
                raise BankError(f"{file}:{problem.line}: id {problem.id!r} is also used at {other.path}:{other.line}")
            seen[problem.id] = problem
            problems.append(problem)
    return problems


def find(problems: list[Problem], problem_id: str) -> Problem:
    for p in problems:
        if p.id == problem_id:
            return p
    import difflib

    from dlcalc.text import T

    close = difflib.get_close_matches(problem_id, [p.id for p in problems], n=3, cutoff=0.6)
    raise DlcalcError(
        T("bank: no problem {id!r}{hint}", "bank：没有编号为 {id!r} 的题目{hint_zh}").format(
            id=problem_id,
            hint=f" (did you mean {', '.join(close)}?)" if close else "",
            hint_zh=f"（是不是 {', '.join(close)}？）" if close else "",
        )
    )


def solve(problem: Problem):
    """Run the problem's solver on its inputs: the same spec reader the CLI uses."""
    from dlcalc.solvers import solve as run_solver

    assert problem.solver is not None, "only a computed problem is solved"
    return run_solver(problem.solver, problem.inputs)


def matches(expected: Any, got: Any, tol: float) -> bool:
    """Exact for ints, strings and booleans; within `tol` (absolute or relative) for other numbers."""
    from fractions import Fraction

    if isinstance(expected, dict):
        return isinstance(got, dict) and all(k in got and matches(v, got[k], tol) for k, v in expected.items())
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(got, (list, tuple))
            and len(expected) == len(got)
            and all(matches(e, g, tol) for e, g in zip(expected, got))
        )
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return expected == got
    if isinstance(expected, Fraction) and expected.denominator != 1:
        from dlcalc.bank.parts import exact

        return exact(got) == expected  # an exact answer (73/576) matches only the solver's exact value
    if isinstance(got, (int, float, Fraction)) and not isinstance(got, bool):
        if isinstance(expected, int) and isinstance(got, int):
            return expected == got
        e, g = float(expected), float(got)
        return math.isclose(e, g, rel_tol=tol, abs_tol=tol)
    return False


@dataclass
class Outcome:
    problem: Problem
    ok: bool
    wrong: list[str] = field(default_factory=list)
    check_ok: bool | None = None
    error: str | None = None


def check_problem(problem: Problem, with_torch: bool = True) -> Outcome:
    """Solve, compare every stored answer key, check the statement against its parts, and run the
    torch cross-check."""
    from dlcalc.render import jsonable

    if not problem.computed:
        return Outcome(problem, True)
    try:
        result = solve(problem)
    except DlcalcError as e:
        return Outcome(problem, False, error=f"inputs refused: {e.message}")
    answer = jsonable(result.answer)
    expressions = {p.key for p in problem.parts if _grade(problem, p).kind == "expression"}
    wrong = []
    for key, expected in problem.answer.items():
        if key not in answer:
            wrong.append(key)
        elif key in expressions and isinstance(expected, str):
            from dlcalc.bank.parts import same_expression

            if not same_expression(expected, str(answer[key])):
                wrong.append(key)
        elif not matches(expected, result.answer[key] if _exact_in(expected) else answer[key], problem.tolerance):
            wrong.append(key)
    outcome = Outcome(problem, not wrong, wrong)
    problems = part_problems(problem, result.answer) if not wrong else []
    if problems:
        outcome.ok = False
        outcome.error = "; ".join(problems)
    if with_torch:
        from dlcalc.check import run

        report = run(result)
        outcome.check_ok = report.ok
        outcome.ok = outcome.ok and report.ok
    return outcome


def _exact_in(value: Any) -> bool:
    """Whether a stored answer holds an exact fraction (then it is compared with the solver's own value,
    not with its JSON float)."""
    if isinstance(value, dict):
        return any(_exact_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_exact_in(v) for v in value)
    return isinstance(value, Fraction) and value.denominator != 1


def _grade(problem: Problem, part: Part) -> Any:
    from dlcalc.bank.parts import flatten, grade_of, lookup

    return grade_of(part, flatten(lookup(problem.answer, part.key)), _statement(problem))


def _statement(problem: Problem) -> Any:
    from dlcalc.text import Text

    return Text(problem.statement["en"], problem.statement["zh"])


def part_problems(problem: Problem, solved: dict[str, Any]) -> list[str]:
    """The statement asks exactly what the parts grade, and each stored part grades as the solver's value."""
    from dlcalc.bank.parts import flatten, lookup, statement_problems

    raws = [lookup(problem.answer, p.key) for p in problem.parts]
    problems = statement_problems(_statement(problem), problem.parts, raws)
    for part, stored in zip(problem.parts, [flatten(r) for r in raws]):
        grade = _grade(problem, part)
        if grade.kind in ("expression", "yesno"):
            continue
        try:
            computed = flatten(lookup(solved, part.key))
        except (KeyError, IndexError, TypeError, ValueError):
            problems.append(f"part {part.key}: the solver gives no such value")
            continue
        if len(computed) != len(stored) or not all(grade.accepts(s, c) for s, c in zip(stored, computed)):
            problems.append(f"part {part.key}: the stored answer and the solver's differ {grade.describe().en}")
    return problems
