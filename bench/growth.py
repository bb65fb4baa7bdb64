"""How time and memory grow with input size, up to dlcalc's limits (README, "Limits and guarantees").

(e) the parsers in-process: a list of n numbers, an r×r matrix, a YAML text of n bytes (libyaml
    with dlcalc's checks against PyYAML's pure-Python SafeLoader on the same text) — time (min and
    median of several runs) and peak traced memory, and what a refusal just past the limit costs.
(f) whole commands at their limits, each in its own process: wall time and peak RSS against
    `dlcalc softmax 1,2` measured in the same run (a ratio), and the issue's hostile inputs.

  python bench/growth.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlcalc import limits  # noqa: E402
from dlcalc.errors import DlcalcError  # noqa: E402


def measure(fn: Callable[[], Any], runs: int) -> tuple[float, float, float, str]:
    """(min s, median s, peak MiB, outcome) of fn over `runs` calls."""
    times, outcome = [], "ok"
    for _ in range(runs):
        start = time.perf_counter()
        try:
            fn()
        except DlcalcError as e:
            outcome = "refused: " + e.message[:60]
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    try:
        fn()
    except DlcalcError:
        pass
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return min(times), statistics.median(times), peak, outcome


def parsers(runs: int) -> None:
    from dlcalc.parse import parse_matrix, parse_vector

    print("\n(e) parsers, in-process: min / median time, peak traced memory")
    print("  list of n numbers, as text (parse_vector)")
    for n in (10, 100, limits.LIST, limits.LIST + 1, 30_000):
        text = ",".join(str((i % 7) / 4) for i in range(n))
        lo, med, peak, outcome = measure(lambda text=text: parse_vector(text, "x"), runs)
        print(f"    n = {n:>6,}  {lo * 1000:8.2f} ms  {med * 1000:8.2f} ms  {peak:7.2f} MiB  {outcome}")
    print("  r×r matrix, as text (parse_matrix)")
    for r in (3, 10, 30, limits.ROWS, 200):
        text = "; ".join(",".join(str(((i + j) % 5) / 10) for j in range(r)) for i in range(r))
        lo, med, peak, outcome = measure(lambda text=text: parse_matrix(text, "W"), runs)
        print(f"    r = {r:>6,}  {lo * 1000:8.2f} ms  {med * 1000:8.2f} ms  {peak:7.2f} MiB  {outcome}")
    print("  YAML text of n bytes: dlcalc.yamlio (libyaml + checks) vs yaml.safe_load (pure Python)")
    import yaml

    from dlcalc import yamlio

    for size in (1_000, 10_000, 100_000, 1_000_000, limits.FILE_BYTES):
        line = "note_{:06d}: a sentence of words standing in for a problem statement, forty more bytes\n"
        text = "".join(line.format(i) for i in range(size // len(line.format(0))))
        lo, med, peak, outcome = measure(lambda text=text: yamlio.load(text, "bench.yaml"), runs)
        py_lo, py_med, py_peak, _ = measure(
            lambda text=text: yaml.load(text, Loader=yaml.SafeLoader), max(1, runs // 2)
        )
        print(
            f"    {len(text):>9,} B  {lo * 1000:8.1f} ms  {med * 1000:8.1f} ms  {peak:7.2f} MiB  {outcome}"
            f"   | pure Python {py_med * 1000:8.1f} ms ({py_med / med:4.1f}×)"
        )
    for name, text in {
        "billion laughs (9 levels of 9 aliases)": "".join(
            f"{a}: &{a} [" + ", ".join([f"*{p}" if p else '"lol"'] * 9) + "]\n"
            for p, a in zip([None, *"abcdefgh"], "abcdefghi")
        ),
        "3,000 levels deep": "x: " + "[" * 3000 + "]" * 3000,
        "250,000 values (1 MB)": "x:\n" + "- 1\n" * 249_000,
    }.items():
        lo, med, peak, outcome = measure(lambda text=text: yamlio.load(text, "bench.yaml"), runs)
        print(f"    {name:38s} {med * 1000:8.1f} ms  {peak:7.2f} MiB  {outcome}")


def dlcalc_command() -> list[str]:
    exe = Path(sys.executable).with_name("dlcalc")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dlcalc"]


# A tiny launcher spawns each dlcalc: a child's peak RSS starts from its spawner's (the kernel
# carries it across exec), so the spawner must be small — this script is not, once it has parsed.
LAUNCHER = """
import os, sys, time
argv = sys.argv[1:]
quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
start = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=quiet)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))
"""


def child(args: list[str]) -> tuple[float, float, int]:
    """(wall s, peak RSS MiB, exit code) of one dlcalc process."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, *dlcalc_command(), *args], capture_output=True, text=True, check=True
    )
    wall, rss, code = done.stdout.split()
    return float(wall), float(rss), int(code)


def _launcher_floor() -> float:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, sys.executable, "-S", "-c", "pass"],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[1])


def commands(runs: int) -> None:
    import yaml

    tmp = Path(tempfile.mkdtemp(prefix="dlcalc-growth-"))

    def write(name: str, data: Any) -> str:
        path = tmp / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
        return str(path)

    def mat(r: int, c: int) -> list[list[float]]:
        return [[((i * c + j) % 5) / 10 for j in range(c)] for i in range(r)]

    def nums(n: int) -> str:
        return ",".join(str(i % 10) for i in range(n))

    side = 25  # backprop: one layer of side² weights, side inputs and targets, within limits.NUMBERS
    while (side + 1) ** 2 + 3 * (side + 1) <= limits.NUMBERS:
        side += 1
    width = limits.NUMBERS // (3 * limits.ROWS)  # attention: Q, K, V of ROWS tokens
    cases = {
        "baseline: softmax 1,2": ["softmax", "1,2"],
        f"softmax, {limits.LIST} logits (the list limit) --json": ["softmax", nums(limits.LIST), "--json"],
        f"act sigmoid at {limits.LIST} points": ["act", "sigmoid", "--at", nums(limits.LIST)],
        f"attention {limits.ROWS} tokens × {width} wide (≈ the number limit)": [
            "attention",
            write("att.yaml", {k: mat(limits.ROWS, width) for k in "QKV"}),
        ],
        f"backprop {side}×{side} weights (≈ the number limit)": [
            "backprop",
            write(
                "bp.yaml",
                {
                    "input": [0.1] * side,
                    "target": [0.5] * side,
                    "layers": [{"weights": mat(side, side), "bias": 0.1, "activation": "sigmoid"}],
                },
            ),
        ],
        f"rnn, {limits.ROWS} time steps": [
            "rnn",
            "--x",
            "; ".join(["1"] * limits.ROWS),
            "--weight-ih",
            "0.5",
            "--weight-hh",
            "0.1",
        ],
        f"optim --steps {limits.OPTIM_STEPS:,} on w^2+3*w": [
            "optim",
            "--f",
            "w^2+3*w",
            "--steps",
            str(limits.OPTIM_STEPS),
        ],
        "refused: softmax, 30,000 logits": ["softmax", nums(30_000)],
        "refused: attention 200×200": ["attention", write("att200.yaml", {k: mat(200, 200) for k in "QKV"})],
        "refused: backprop on a 1 MB YAML list": ["backprop", write("big.yaml", "x:\n" + "- 1\n" * 249_000)],
        "refused: billion laughs in optim --file": [
            "optim",
            "--f",
            "w^2",
            "--file",
            write(
                "lol.yaml",
                "".join(
                    f"{a}: &{a} [" + ", ".join([f"*{p}" if p else '"lol"'] * 9) + "]\n"
                    for p, a in zip([None, *"abcdefgh"], "abcdefghi")
                )
                + "lr: *i\n",
            ),
        ],
    }
    print(
        f"\n(f) whole commands, one process each: median of {runs} runs (wall time, peak RSS;"
        f" `python -S -c pass` peaks at {_launcher_floor():.0f} MiB)"
    )
    samples: dict[str, list[tuple[float, float, int]]] = {k: [] for k in cases}
    for args in cases.values():
        child(args)  # warm the file cache
    for _ in range(runs):
        for name, args in cases.items():  # interleaved, so load affects all alike
            samples[name].append(child(args))
    base = statistics.median(t for t, _, _ in samples["baseline: softmax 1,2"])
    for name, runs_ in samples.items():
        wall = statistics.median(t for t, _, _ in runs_)
        rss = max(r for _, r, _ in runs_)
        code = runs_[0][2]
        print(f"  {name:58s} {wall * 1000:8.0f} ms  {wall / base:5.2f}×  {rss:6.0f} MiB  exit {code}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}; limits: list {limits.LIST}, matrix {limits.ROWS}×{limits.COLUMNS}, "
        f"{limits.NUMBERS:,} numbers a problem, files {limits.FILE_BYTES:,} bytes"
    )
    parsers(args.runs)
    commands(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
