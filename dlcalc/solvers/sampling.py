"""Judging whether two functions of the expression language agree: sample points that can tell.

A claim such as `0` for d/dw relu(w - 5) agrees with the derivative everywhere in [-3, 3]; it is
wrong only to the right of the kink at w = 5. So the points are chosen, not just drawn:

- points over several scales (|x| up to 0.1, 3, 30, 1000), so a breakpoint far from 0 still has
  points on both of its sides;
- for every breakpoint of a piecewise function in either expression (the argument of relu, abs,
  leaky_relu, elu, heaviside, sign, softsign, and a - b for every pair of arguments of max / min),
  its zero along each variable (the others held at sampled values) is found by scanning a grid of
  magnitudes from 0.01 to 10⁶ for a sign change and bisecting; points are then placed just left
  and right of it (±10⁻⁶, ±10⁻³, ±0.1, ±1, relative to its size). A point exactly on a breakpoint
  never decides: the derivative there is a convention (torch's ReLU'(0) = 0), not mathematics.

float64 screens every point; a difference is confirmed at 60 digits (and must stay when the
precision doubles) before it is called a counterexample. Agreement is then re-checked at 50 digits
at the most telling points with a tolerance of 10⁻³⁰ relative, so a claim that is off by 10⁻¹²
(2w + 1e-12 for 2w) is caught: the inputs are exact, the comparison is too.

Pure Python and mpmath: no torch, no sympy.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dlcalc.solvers import symbolic as S

KINKED = {"relu", "abs", "leaky_relu", "elu", "heaviside", "sign", "softsign"}
SCALES = (3.0, 0.1, 30.0, 3.0, 1000.0)
OFFSETS = (1.0, 0.1, 1e-3, 1e-6)  # the first counterexample found is the easiest to re-check
_GRID = sorted({0.0} | {s * c * 10.0**k for s in (1, -1) for c in (1, 2, 5) for k in range(-2, 7)})
MAX_BREAKPOINTS = 16  # breakpoint subtrees scanned (the rest are rare in what students write)
MAX_ROOTS = 48  # breakpoint locations kept in all
PRECISE_POINTS = 8  # points re-checked at 50 digits when float64 saw no difference

Value = Callable[[Mapping[str, Any], Any], Any]  # (point, backend) → number; raises S.Undefined


def breakpoints(trees: Iterable[tuple | None]) -> list[tuple]:
    """The subtrees whose zeros are kinks or jumps: relu(u) → u, max(a, b) → a - b, …"""
    out: list[tuple] = []
    seen: set = set()
    from dlcalc.parse.expr import is_constant

    for tree in trees:
        if tree is None:
            continue
        stack = [tree]
        while stack:
            node = stack.pop()
            kind = node[0]
            if kind in ("n", "c", "v"):
                continue
            children = node[2] if kind == "f" else node[1:]
            stack.extend(children)
            if kind != "f" or is_constant(node):
                continue
            found: list[tuple] = []
            if node[1] in KINKED:
                found.append(node[2][0])
            elif node[1] in ("max", "min"):
                args = node[2]
                found.extend(("-", args[i], args[j]) for i in range(len(args)) for j in range(i + 1, len(args)))
            for g in found:
                if not is_constant(g) and g not in seen:
                    seen.add(g)
                    out.append(g)
    return out[:MAX_BREAKPOINTS]


def _rounded(x: float, digits: int = 3) -> float:
    """A point printed short: 3 significant digits (a counterexample a student can re-check)."""
    if x == 0:
        return 0.0
    return float(f"{x:.{digits}g}")


def _roots_along(g: S.Program, base: dict[str, float], name: str) -> list[float]:
    """Where g changes sign along `name` (the other variables held at `base`)."""

    def at(t: float) -> float | None:
        point = dict(base)
        point[name] = t
        try:
            v = g.value(point)
        except (S.Undefined, ValueError, ZeroDivisionError, OverflowError):
            return None
        return float(v)

    roots: list[float] = []
    previous: tuple[float, float] | None = None
    for t in _GRID:
        v = at(t)
        if v is None:
            previous = None
            continue
        if v == 0:
            roots.append(t)
        elif previous is not None and (previous[1] < 0) != (v < 0) and previous[1] != 0:
            lo, hi, vlo = previous[0], t, previous[1]
            for _ in range(200):
                mid = (lo + hi) / 2
                if mid in (lo, hi):
                    break
                vm = at(mid)
                if vm is None:
                    break
                if vm == 0:
                    lo = hi = mid
                    break
                if (vm < 0) == (vlo < 0):
                    lo, vlo = mid, vm
                else:
                    hi = mid
            roots.append((lo + hi) / 2)
        previous = (t, v)
    return roots


def sample_points(
    trees: Iterable[tuple | None], names: list[str], seed: int = 7, count: int = 25
) -> tuple[list[dict], int]:
    """Points for comparing two functions of `names`: (points, how many breakpoint locations).

    First the points either side of every breakpoint found, then `count` points over several
    scales. Every coordinate is a short decimal (or a breakpoint ± an offset)."""
    trees = list(trees)
    rng = random.Random(seed)

    def draw(scale: float) -> dict[str, float]:
        return {n: _rounded(rng.uniform(-scale, scale)) or 0.5 for n in names}

    kink_points: list[dict] = []
    locations = 0
    seen: set = set()  # a breakpoint in one variable is the same wherever the others are
    for g in breakpoints(trees):
        program = S.compile_tree(g)
        for name in sorted(program.names):
            for base_scale in (3.0, 30.0):
                base = draw(base_scale)
                for r in _roots_along(program, base, name)[:6]:
                    r = float(f"{r:.12g}")  # 4.999999999999 → 5
                    key = (name, r) if len(program.names) == 1 else (name, r, tuple(sorted(base.items())))
                    if locations >= MAX_ROOTS or key in seen:
                        continue
                    seen.add(key)
                    locations += 1
                    size = max(1.0, abs(r))
                    for off in OFFSETS:
                        for side in (-1, 1):
                            p = dict(base)
                            p[name] = r + side * off * size
                            kink_points.append(p)
    random_points = [draw(SCALES[i % len(SCALES)]) for i in range(count * 4)]
    return kink_points + random_points, locations


def on_a_breakpoint(point: Mapping[str, float], kinks: list[S.Program]) -> bool:
    for g in kinks:
        try:
            v = float(g.value(point))
        except (S.Undefined, ValueError, ZeroDivisionError, OverflowError):
            continue
        if abs(v) < 1e-12:
            return True
    return False


def _mp_difference(reference: Value, candidate: Value, point: Mapping[str, float], dps: int):
    import mpmath

    with mpmath.workdps(dps):
        exact = {k: mpmath.mpf(v) for k, v in point.items()}
        backend = S.mp_backend()
        a = reference(exact, backend)
        b = candidate(exact, backend)
        return a - b, abs(a) + abs(b)


def differs_precisely(
    reference: Value, candidate: Value, point: Mapping[str, float], tolerance: float = 1e-30
) -> bool | None:
    """At high precision, do the two differ at this point? True / False, None when either has no value.
    A difference must be larger than `tolerance` (relative to 1 + |a| + |b|) and keep its size
    when the precision doubles (a rounding artefact shrinks)."""
    try:
        d1, size1 = _mp_difference(reference, candidate, point, 50)
        if abs(d1) <= tolerance * (1 + size1):
            return False
        d2, size2 = _mp_difference(reference, candidate, point, 100)
    except (S.Undefined, ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    if abs(d2) <= tolerance * (1 + size2):
        return False
    return bool(abs(d2 - d1) < 0.5 * abs(d2))


def compare(
    reference: Value,
    candidate: Value,
    trees: Iterable[tuple | None],
    names: list[str],
    seed: int = 7,
    count: int = 25,
) -> dict[str, Any]:
    """Do `reference` and `candidate` agree? Sampled as described at the top of the module.

    Returns {"equivalent": False | True | None, "checked": n (points where both have a value),
    "breakpoints": how many breakpoint locations had points on both sides, "counterexample":
    {"point", "correct", "claimed"} when they differ}. True means: no difference anywhere, none at
    50 digits at the telling points (not a proof)."""
    trees = list(trees)
    points, locations = sample_points(trees, names, seed, count)
    kinks = [S.compile_tree(g) for g in breakpoints(trees)]
    float_backend = S.FLOAT
    checked = 0
    agreeing: list[dict] = []
    random_checked = 0
    kink_count = len(points) - count * 4
    for index, point in enumerate(points):
        is_random = index >= kink_count
        if is_random and random_checked >= count:
            break
        if on_a_breakpoint(point, kinks):
            continue
        try:
            a = float(reference(point, float_backend))
            b = float(candidate(point, float_backend))
        except (S.Undefined, ValueError, ZeroDivisionError, OverflowError):
            continue
        if not (math.isfinite(a) and math.isfinite(b)):
            continue
        checked += 1
        random_checked += is_random
        if abs(a - b) > 1e-9 * (1 + abs(a) + abs(b)):
            confirmed = differs_precisely(reference, candidate, point, 1e-12)
            if confirmed or confirmed is None:
                return {
                    "equivalent": False,
                    "checked": checked,
                    "breakpoints": locations,
                    "counterexample": {"point": dict(point), "correct": a, "claimed": b},
                }
        else:
            agreeing.append(point)
    if not checked:
        return {"equivalent": None, "checked": 0, "breakpoints": locations}
    # float64 agreed within 1e-9: re-check the most telling points at 50 digits, tolerance 1e-30
    telling = _telling(agreeing)
    for point in telling:
        if differs_precisely(reference, candidate, point):
            a, b, d = _precise(reference, candidate, point)
            return {
                "equivalent": False,
                "checked": checked,
                "breakpoints": locations,
                "counterexample": {"point": dict(point), "correct": a, "claimed": b, "difference": d},
            }
    return {"equivalent": True, "checked": checked, "breakpoints": locations}


def _telling(points: list[dict]) -> list[dict]:
    """A few agreeing points: the first near breakpoints, and small, moderate and large ones."""
    if len(points) <= PRECISE_POINTS:
        return points
    step = len(points) / PRECISE_POINTS
    return [points[int(i * step)] for i in range(PRECISE_POINTS)]


def _precise(reference: Value, candidate: Value, point: Mapping[str, float]) -> tuple[float, float, float]:
    """Both values and their difference, worked out at 50 digits (then rounded to float64)."""
    import mpmath

    with mpmath.workdps(50):
        exact = {k: mpmath.mpf(x) for k, x in point.items()}
        a = reference(exact, S.mp_backend())
        b = candidate(exact, S.mp_backend())
        return float(a), float(b), float(a - b)


def same_function(expected: tuple, given: tuple, seed: int = 11) -> bool | None:
    """Two parsed expressions are the same function (a quiz's reference and a typed answer):
    True, False, or None when no sample point gives both a value."""
    from dlcalc.parse.expr import variables

    a, b = S.compile_tree(expected), S.compile_tree(given)

    def reference(point, backend):
        return a.value(point, backend)

    def candidate(point, backend):
        return b.value(point, backend)

    names = sorted(variables(expected) | variables(given))
    return compare(reference, candidate, [expected, given], names, seed)["equivalent"]
