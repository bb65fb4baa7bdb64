"""dlcalc's speed, each figure measured in one run against its own baseline:

(a) `dlcalc conv …` against `python -c "import typer, rich.console"`   (target ≤ 1.3×)
(b) `dlcalc --help` against the same baseline
(c) `dlcalc bank check` wall time, and how it grows with the bank (1×, 2×, 4× copies)
(d) quiz generation throughput, in-process (target ≥ 1,000 generated conv questions/s)

  python bench/run.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = [sys.executable, "-c", "import typer, rich.console"]


def dlcalc_command() -> list[str]:
    exe = Path(sys.executable).with_name("dlcalc")
    found = str(exe) if exe.exists() else shutil.which("dlcalc")
    return [found] if found else [sys.executable, "-m", "dlcalc"]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def startup(runs: int) -> list[tuple[str, float, float]]:
    dl = dlcalc_command()
    cases = {
        "baseline: python -c 'import typer, rich.console'": BASELINE,
        "(a) dlcalc conv 3x227x227 -k 11 -s 4 -o 96": dl + ["conv", "3x227x227", "-k", "11", "-s", "4", "-o", "96"],
        "(b) dlcalc --help": dl + ["--help"],
    }
    samples: dict[str, list[float]] = {k: [] for k in cases}
    for cmd in cases.values():
        timed(cmd)  # warm the file cache
    for _ in range(runs):
        for name, cmd in cases.items():  # interleaved, so load affects all alike
            samples[name].append(timed(cmd))
    base = statistics.median(samples[next(iter(cases))])
    return [(name, statistics.median(v), statistics.median(v) / base) for name, v in samples.items()]


def bank_growth() -> list[tuple[int, int, float]]:
    """`bank check` (with torch) on the shipped bank copied 1, 2 and 4 times, one process each."""
    out = []
    problems = ROOT / "problems"
    for copies in (1, 2, 4):
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(copies):
                for f in problems.glob("*.yaml"):
                    text = f.read_text(encoding="utf-8").replace("- id: ", f"- id: c{i}-")
                    (Path(tmp) / f"{i}-{f.name}").write_text(text, encoding="utf-8")
            start = time.perf_counter()
            done = subprocess.run(
                [*dlcalc_command(), "bank", "check", "--path", tmp, "--json"],
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - start
            n = json.loads(done.stdout)["problems"] if done.returncode == 0 else -1
            out.append((copies, n, seconds))
    return out


def quiz_throughput(n: int = 5000) -> float:
    sys.path.insert(0, str(ROOT))
    from dlcalc.quiz.questions import generate

    rng = random.Random(0)
    generate("conv", rng, 1, 0, 0)  # imports
    start = time.perf_counter()
    for i in range(n):
        generate("conv", rng, 1 + i % 3, i, 0)
    return n / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, dlcalc at {' '.join(dlcalc_command())}")
    print(f"\nstartup: median of {args.runs} interleaved runs")
    for name, seconds, ratio in startup(args.runs):
        print(f"  {name:50s} {seconds * 1000:7.1f} ms  {ratio:5.2f}x")
    print("\n(c) bank check with torch, one process")
    for copies, n, seconds in bank_growth():
        print(f"  {copies}x bank: {n:4d} problems  {seconds:6.2f} s  ({seconds / max(n, 1) * 1000:.0f} ms/problem)")
    print(f"\n(d) generated conv questions: {quiz_throughput():,.0f} per second in-process")
    subprocess.run([sys.executable, str(ROOT / "bench" / "claims.py")], check=False)  # (e)–(g): grad claims
    return 0


if __name__ == "__main__":
    sys.exit(main())
