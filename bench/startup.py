"""How long a plain `dlcalc conv` answer takes, as a ratio to importing typer and rich.

Both are timed in the same run, interleaved, so machine load affects them alike:

    python bench/startup.py [--runs 20]

The target is a ratio of at most 1.3 (DEVELOPERS.md: no torch or sympy on this path).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASELINE = [sys.executable, "-c", "import typer, rich.console"]


def dlcalc_command() -> list[str]:
    exe = Path(sys.executable).with_name("dlcalc")
    found = str(exe) if exe.exists() else shutil.which("dlcalc")
    return [found] if found else [sys.executable, "-m", "dlcalc"]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def measure(cases: dict[str, list[str]], runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for cmd in cases.values():  # warm the file cache once
        timed(cmd)
    for _ in range(runs):
        for name, cmd in cases.items():
            samples[name].append(timed(cmd))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    dlcalc = dlcalc_command()
    cases = {
        "baseline: import typer, rich.console": BASELINE,
        "dlcalc conv 3x227x227 -k 11 -s 4 -o 96": dlcalc + ["conv", "3x227x227", "-k", "11", "-s", "4", "-o", "96"],
        "dlcalc --help": dlcalc + ["--help"],
    }
    medians = measure(cases, args.runs)
    base = medians["baseline: import typer, rich.console"]
    print(f"median of {args.runs} runs each, interleaved ({' '.join(dlcalc)})")
    for name, value in medians.items():
        print(f"  {name:45s} {value * 1000:7.1f} ms   {value / base:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
