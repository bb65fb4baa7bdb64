"""`dlcalc net --model resnet50` against its baseline and against torchinfo, in one run:

    baseline   python -c "import typer, rich.console"                         (target: net ≤ 3×)
    dlcalc     dlcalc net --model resnet50                                     (module code read, traced, rendered)
    torchinfo  python -c "import torch, torchinfo; …; torchinfo.summary(resnet50, (1, 3, 224, 224))"
               the same architecture built in torch (tests/netref.py), the way a student runs it
               (target: torchinfo ≥ 18× the baseline)

Every command runs as its own process, interleaved, several times; the table gives the minimum and
the median of each and the ratios of the medians (and minimums) to the baseline's.

An installed package has its bytecode compiled; this checkout may run with PYTHONDONTWRITEBYTECODE
set, which would make dlcalc recompile its sources on every start while typer, rich and torch (from
site-packages) use their .pyc. So dlcalc is compiled first into a temporary PYTHONPYCACHEPREFIX
that every measured process then uses (nothing is written into the repository).

  python bench/net.py [--runs 10] [--torchinfo-runs 5]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = [sys.executable, "-c", "import typer, rich.console"]
TORCHINFO = (
    "import sys; sys.path.insert(0, {tests!r}); import torch, torchinfo, netref; "
    "model = netref.resnet50(); torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0)"
)


def dlcalc_command() -> list[str]:
    exe = Path(sys.executable).with_name("dlcalc")
    found = str(exe) if exe.exists() else shutil.which("dlcalc")
    return [found] if found else [sys.executable, "-m", "dlcalc"]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} … failed: {done.stderr.decode()[-400:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--torchinfo-runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        sys.pycache_prefix = cache
        compileall.compile_dir(str(ROOT / "dlcalc"), quiet=1)
        cases = {
            "baseline: import typer, rich.console": BASELINE,
            "dlcalc net --model resnet50": dlcalc_command() + ["net", "--model", "resnet50"],
            "torchinfo.summary(resnet50)": [sys.executable, "-c", TORCHINFO.format(tests=str(ROOT / "tests"))],
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for cmd in cases.values():
            timed(cmd, env)  # warm the file cache (and torch's)
        for i in range(args.runs):
            for name, cmd in cases.items():
                if name.startswith("torchinfo") and i >= args.torchinfo_runs:
                    continue
                samples[name].append(timed(cmd, env))
    base_med = statistics.median(samples[next(iter(cases))])
    base_min = min(samples[next(iter(cases))])
    print(f"{'what':40} {'runs':>4} {'min':>9} {'median':>9} {'× baseline (median, min)':>26}")
    for name, values in samples.items():
        med, low = statistics.median(values), min(values)
        print(
            f"{name:40} {len(values):>4} {low * 1000:>7.1f}ms {med * 1000:>7.1f}ms {med / base_med:>14.2f}× {low / base_min:>9.2f}×"
        )
    net = statistics.median(samples["dlcalc net --model resnet50"]) / base_med
    info = statistics.median(samples["torchinfo.summary(resnet50)"]) / base_med
    print(f"\ndlcalc net --model resnet50: {net:.2f}× the baseline (target ≤ 3×): {'met' if net <= 3 else 'NOT met'}")
    print(f"torchinfo on the same model: {info:.1f}× the baseline (target ≥ 18×): {'met' if info >= 18 else 'NOT met'}")


if __name__ == "__main__":
    main()
