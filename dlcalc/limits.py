"""Every input limit, in one place: checked before any work starts, named in the refusal.

The promise (README, "Limits and guarantees"): any input either gets an answer, or one clear line
on stderr and exit 2 — within seconds and a bounded amount of memory. Each limit below is far
above any exam problem (an exam's lists hold a handful of numbers, its matrices a few rows) and
low enough that the slowest command on an input at the limit still answers in about a second;
`python bench/growth.py` measures how time and memory grow up to them.

The README's limits table is checked against this module by a test: change a number here and
the test says where the README must follow.
"""

from __future__ import annotations

from dlcalc.errors import DlcalcError
from dlcalc.text import T

# --- numbers -------------------------------------------------------------------------------------
NUMBER_CHARS = 100  # characters in one written number (Python refuses whole numbers over 4,300 digits)
LARGEST = 10**100  # |x| of a number, and 1/LARGEST the smallest nonzero |x|
WHOLE = 10**15  # |n| of a whole number (a size, a count, an index): exact as a float too

# --- sizes of one value --------------------------------------------------------------------------
LIST = 500  # numbers in one list (logits, points, labels, a vector)
ROWS = 100  # rows of one matrix (samples, time steps, tokens)
COLUMNS = 100  # columns of one matrix
TEXT = 100_000  # characters in one value written as text (a list, a matrix)
TERM = 200  # characters in a term to look up (dlcalc explain)

# --- one problem ---------------------------------------------------------------------------------
NUMBERS = 1_000  # numbers in all the fields of one problem together (every weight of a network …);
# text with letters (an expression, a layer) is not counted: its own reader bounds it

# --- counts the solvers check (one constant each; the solver's refusal names it) -------------------
OPTIM_STEPS = 10_000  # optim --steps
BACKPROP_STEPS = 1_000  # backprop --steps
PERCEPTRON_EPOCHS = 10_000  # perceptron --max-epochs

# --- files ---------------------------------------------------------------------------------------
FILE_BYTES = 2_000_000  # size of any file dlcalc reads (YAML, PyTorch code, a bank file)
YAML_DEPTH = 32  # nesting of lists and mappings in a YAML file
YAML_ALIASES = 100  # `*alias` uses in one YAML file
YAML_NODES = 50_000  # values in one YAML file, counting every alias as the whole value it repeats


def refuse(en: str, zh: str) -> DlcalcError:
    """A limit's refusal, in both languages (the CLI prints the one `--lang` chose)."""
    return DlcalcError(T(en, zh))


def at_most(what: str, got: int, limit: int, unit_en: str, unit_zh: str) -> None:
    """Refuse `got` above `limit`, naming the limit: `logits: 30,000 numbers; the limit is 500 …`."""
    if got > limit:
        raise refuse(
            f"{what}: {got:,} {unit_en}; dlcalc's limit is {limit:,}",
            f"{what}：{got:,} 个{unit_zh}，dlcalc 的上限为 {limit:,}",
        )


def too_many_digits(error: BaseException, what: str) -> DlcalcError | None:
    """Python's own refusal of a whole number over 4,300 digits (raised while parsing code or a
    layer) as dlcalc's one line, naming the limit on one number; None for any other error."""
    import re

    m = re.search(r"integer string conversion: value has (\d+) digits", str(error))
    if m is None:
        return None
    digits = int(m.group(1))
    return refuse(
        f"{what}: a number of {digits:,} digits; dlcalc's limit is {NUMBER_CHARS:,} characters in one number",
        f"{what}：一个数有 {digits:,} 位，dlcalc 的上限为每个数 {NUMBER_CHARS:,} 个字符",
    )
