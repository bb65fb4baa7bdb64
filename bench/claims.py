"""grad --claim and generated grad questions, each figure against its own baseline in the same run:

(e) a wrong claim against a plain `grad` of the same expression            (target ≤ 1.5×)
    in-process (cold caches, so the symbolic work is paid every time) and as a whole command
(f) the slowest claim on expressions under the input limit (500 characters)  (target ≤ 3 s)
    right and wrong claims, the issue's hostile cases and random long expressions
(g) generated grad questions per second, in-process, against generated conv questions

  python bench/claims.py [--runs 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WRONG = [
    ("tanh(sin(w)^2)", "w", "2*sin(w)*cos(w)"),
    ("sigmoid(w*x + b)^2", "w", "2*sigmoid(w*x + b)"),
    ("log(1 + exp(-y*(w*x + b)))", "w", "-y*x*sigmoid(w*x + b)"),
    ("exp(-x^2)*log(1 + x^2)/sqrt(1 + x^4)", "x", "0"),
    ("(x+y+z+u+v+w+a+b)^100", "x", "1"),
    ("tanh(" * 20 + "x" + ")" * 20, "x", "1"),
]
HARD = [
    ("tanh(u)", "u", "1/cosh(u)^2"),
    ("tanh(sin(w)^2)", "w", "2*sin(w)*cos(w)/cosh(sin(w)^2)^2"),
    ("(x+y+z+u+v+w+a+b)^100", "x", "1"),
    ("(x+y+z+u+v+w+a+b)^100", "x", "100*(x+y+z+u+v+w+a+b)^99"),
    ("((x^100)^100)^100", "x", "x"),
    ("x**x**x**x**99", "x", "0"),
    ("exp(exp(exp(exp(x))))", "x", "exp(x)"),
    ("tanh(" * 70 + "x" + ")" * 70, "x", "1"),
    ("sigmoid(" * 50 + "x" + ")" * 50, "x", "0.25"),
]


def _cold() -> None:
    """Forget every cache, so each run pays the full symbolic work."""
    import sympy.core.cache

    from dlcalc.solvers import grad

    for f in (grad.symbolic, grad.sympy_of, grad.program, grad._undefined):
        f.cache_clear()
    sympy.core.cache.clear_cache()


def _solve_seconds(expr: str, wrt: str, claim: str | None, wall: bool = False) -> float:
    from dlcalc.solvers import grad

    _cold()
    clock = time.perf_counter if wall else time.process_time  # CPU time: other load does not count
    start = clock()
    grad.solve(grad.parse_spec({"expr": expr, "wrt": wrt, "claim": claim}))
    return clock() - start


def wrong_vs_plain(runs: int) -> list[tuple[str, float, float, float, float]]:
    """(expression, plain median s, wrong-claim median s, min ratio, median ratio), interleaved."""
    out = []
    for expr, wrt, claim in WRONG:
        _solve_seconds(expr, wrt, claim)  # imports
        plain, wrong = [], []
        for _ in range(runs):
            plain.append(_solve_seconds(expr, wrt, None))
            wrong.append(_solve_seconds(expr, wrt, claim))
        ratios = [w / p for w, p in zip(wrong, plain)]
        out.append((expr, statistics.median(plain), statistics.median(wrong), min(ratios), statistics.median(ratios)))
    return out


def commands(runs: int) -> tuple[float, float]:
    """Whole commands: `grad E --wrt w` against `grad E --wrt w --claim C` (median wall seconds)."""
    exe = Path(sys.executable).with_name("dlcalc")
    base = [str(exe)] if exe.exists() else [sys.executable, "-m", "dlcalc"]
    plain = base + ["grad", "tanh(sin(w)^2)", "--wrt", "w"]
    wrong = plain + ["--claim", "2*sin(w)*cos(w)"]
    a, b = [], []
    for _ in range(runs):
        for cmd, into in ((plain, a), (wrong, b)):
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            into.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def _random_expression(rng: random.Random, limit: int = 480) -> str:
    functions = ["sigmoid", "tanh", "relu", "softplus", "exp", "log", "sqrt", "sin", "cos", "sinh", "sech", "abs"]
    text = rng.choice(["w", "x"])
    while True:
        step = rng.randrange(4)
        if step == 0:
            candidate = f"{rng.choice(functions)}({text})"
        elif step == 1:
            candidate = f"({text}){rng.choice('+-*/')}({rng.choice(['w', 'x', '2', 'w*x'])})"
        elif step == 2:
            candidate = f"({text})^{rng.choice(['2', '3', '0.5'])}"
        else:
            candidate = f"({text})*{rng.choice(functions)}(w)"
        if len(candidate) > limit:
            return text
        text = candidate


def slowest_claims(samples: int = 20) -> list[tuple[str, str, float]]:
    """Every hard case, and random expressions of 400–480 characters with a right and a wrong claim."""
    from dlcalc.errors import DlcalcError
    from dlcalc.solvers import grad

    cases = list(HARD)
    rng = random.Random(5)
    for i in range(samples):
        text = _random_expression(rng, 480 if i % 2 else 200)
        if "w" not in text:
            continue
        try:
            derivative = grad.solve(grad.parse_spec({"expr": text, "wrt": "w"})).answer["derivative"]
        except DlcalcError:
            continue
        if derivative and len(derivative) <= 500:
            cases.append((text, "w", derivative))
            cases.append((text, "w", f"({derivative}) + 1"))
        else:
            cases.append((text, "w", "1"))
            cases.append((text, "w", "w*cos(w)"))
    out = []
    for expr, wrt, claim in cases:
        try:
            seconds = _solve_seconds(expr, wrt, claim, wall=True)
        except DlcalcError:
            seconds = 0.0
        out.append((expr, claim, seconds))
    return out


def quiz_throughput(n: int = 2000) -> tuple[float, float]:
    """Generated grad and conv questions per second (process time, so other load does not count)."""
    from dlcalc.quiz.questions import generate

    rates = []
    for topic in ("grad", "conv"):
        rng = random.Random(0)
        generate(topic, rng, 1, 0, 0)
        start = time.process_time()
        for i in range(n):
            generate(topic, rng, 1 + i % 3, i, 0)
        rates.append(n / (time.process_time() - start))
    return rates[0], rates[1]


def report(runs: int = 7) -> None:
    print(f"\n(e) wrong claim vs plain grad, in-process, cold caches, median of {runs} interleaved runs")
    for expr, plain, wrong, low, mid in wrong_vs_plain(runs):
        short = expr if len(expr) <= 40 else expr[:37] + "..."
        print(
            f"  {short:40s} plain {plain * 1000:7.1f} ms  wrong claim {wrong * 1000:7.1f} ms  {low:4.2f}x min {mid:4.2f}x median"
        )
    plain, wrong = commands(max(3, runs // 2))
    print(f"  whole command, tanh(sin(w)^2): plain {plain:.2f} s, wrong claim {wrong:.2f} s ({wrong / plain:.2f}x)")
    timed = slowest_claims()
    worst = max(timed, key=lambda t: t[2])
    print(f"\n(f) {len(timed)} claims on expressions up to 500 characters: slowest {worst[2]:.2f} s (wall clock)")
    for expr, claim, seconds in sorted(timed, key=lambda t: -t[2])[:5]:
        short = expr if len(expr) <= 40 else expr[:37] + "..."
        print(f"  {seconds:6.2f} s  {short:40s} claim {claim[:30]}")
    grad_rate, conv_rate = quiz_throughput()
    print(f"\n(g) generated questions per second (process time): grad {grad_rate:,.0f}, conv {conv_rate:,.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    report(parser.parse_args().runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
