"""(h) Rendering a large derivation: a 3-20-20-20-2 (the largest under the 1,000-number input limit) sigmoid backprop, in-process.

Terminal rendering (to a file-backed rich console, as a pipe) against `--json` of the same
result, min and median of several runs; and how many times the console's print was called.

  python bench/render.py [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def problem(widths: tuple[int, ...] = (3, 20, 20, 20, 2), seed: int = 0) -> dict:
    rng = random.Random(seed)
    layers = []
    for n_in, n_out in zip(widths, widths[1:]):
        weights = [[round(rng.uniform(-0.5, 0.5), 2) for _ in range(n_in)] for _ in range(n_out)]
        layers.append({"weights": weights, "bias": [round(rng.uniform(-0.5, 0.5), 2) for _ in range(n_out)],
                       "activation": "sigmoid"})
    return {"input": [0.1 * (i + 1) for i in range(widths[0])], "target": [0.5] * widths[-1],
            "layers": layers, "loss": "half_sse", "lr": 0.5}  # fmt: skip


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return min(samples), statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from rich.console import Console

    from dlcalc.cli.options import Output, emit
    from dlcalc.solvers import backprop

    result = backprop.solve(backprop.parse_spec(problem()))

    def terminal() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            emit(result, Output())

    def json_out() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            emit(result, Output(json=True))

    calls = 0
    original = Console.print

    def counting(self, *a, **k):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return original(self, *a, **k)

    Console.print = counting  # type: ignore[method-assign]
    terminal()
    Console.print = original  # type: ignore[method-assign]
    json_out()
    t_min, t_med = timed(terminal, args.runs)
    j_min, j_med = timed(json_out, args.runs)
    print(f"(h) backprop 3-20-20-20-2 (the largest under the 1,000-number input limit), {len(result.steps)} steps: rich print calls {calls}")
    print(f"  terminal  min {t_min * 1000:7.1f} ms  median {t_med * 1000:7.1f} ms")
    print(f"  --json    min {j_min * 1000:7.1f} ms  median {j_med * 1000:7.1f} ms")
    print(f"  terminal / json (median): {t_med / j_med:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
