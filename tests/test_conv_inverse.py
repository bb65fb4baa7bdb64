"""conv --solve and pool --solve: every value that gives the target, against brute-force enumeration.

The forward rules below are written from torch's documentation (Conv2d, MaxPool2d "Shape"
sections, plus torch's ceil-mode rule that the last window must start inside the input or the
left padding); a sample of them is compared with torch itself, then the inverse solvers are
compared with brute force over every value in a range wide enough to contain every answer.
"""

import random

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from dlcalc.errors import DlcalcError
from dlcalc.solvers import conv_inverse, pool_inverse


def solve(**inputs):
    return conv_inverse.solve(conv_inverse.parse_spec(inputs)).answer


def solve_pool(**inputs):
    return pool_inverse.solve(pool_inverse.parse_spec(inputs)).answer


# --- forward rules from torch's documentation ------------------------------------------------


def conv_out(n, k, s, p, d, same=False):
    if min(k, s) < 1:
        return None
    if same:
        if s != 1:
            return None
        return n  # padding='same' at stride 1 keeps the size
    if n + 2 * p < d * (k - 1) + 1:
        return None
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def pool_out(n, k, s, p, d, ceil_mode):
    if min(k, s) < 1 or p > k // 2:
        return None
    x = n + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        out = x // s + 1
    else:
        out = -(-x // s) + 1
        if (out - 1) * s >= n + p:
            out -= 1
    return out if out > 0 else None


def _torch_conv(n, k, s, p, d, same=False):
    try:
        layer = nn.Conv2d(1, 1, k, s, "same" if same else p, d, device="meta")
        return layer(torch.zeros(1, 1, n, n, device="meta")).shape[-1]
    except (RuntimeError, ValueError):
        return None


def _torch_pool(n, k, s, p, d, ceil_mode):
    try:
        return nn.MaxPool2d(k, s, p, d, ceil_mode=ceil_mode)(torch.zeros(1, 1, n, n)).shape[-1]
    except (RuntimeError, ValueError):
        return None


def test_forward_rules_match_torch():
    rng = random.Random(14)
    for _ in range(300):
        n, k, s, p, d = rng.randint(1, 20), rng.randint(1, 7), rng.randint(1, 5), rng.randint(0, 4), rng.randint(1, 3)
        same = rng.random() < 0.1
        assert conv_out(n, k, s, p, d, same) == _torch_conv(n, k, s, p, d, same), (n, k, s, p, d, same)
        ceil_mode = rng.random() < 0.5
        assert pool_out(n, k, s, p, d, ceil_mode) == _torch_pool(n, k, s, p, d, ceil_mode), (n, k, s, p, d, ceil_mode)


# --- the worked examples -----------------------------------------------------------------------


def test_same_size_padding():
    # "What padding keeps 56×56 at stride 1 with a 3×3 kernel?" — P = 1 (the classic same padding).
    assert solve(input="64x56x56", kernel=3, target=56, solve="padding")["values"] == [1]


def test_alexnet_stride():
    # 227 → 55 with an 11×11 kernel needs stride 4 (AlexNet CONV1).
    assert solve(input=227, kernel=11, target=55, solve="stride")["values"] == [4]


def test_non_square_stride_is_the_intersection():
    # 3×30×9, K = 3, P = 1, target 3×1: height x = 29 needs 10 ≤ S ≤ 14, width x = 8 takes every S ≥ 9.
    a = solve(input="3x30x9", kernel=3, padding=1, target="3x1", solve="stride")
    assert a["values"] == [10, 11, 12, 13, 14] and a["range"] == [10, 14] and a["unbounded_from"] is None
    assert a["range_h"] == [10, 14] and a["range_w"] == [9, None]
    for s in range(1, 60):
        works = [conv_out(30, 3, s, 1, 1), conv_out(9, 3, s, 1, 1)] == [3, 1]
        assert works == (s in a["values"])


def test_unbounded_only_when_both_are():
    a = solve(input="3x30x9", kernel=3, padding=1, target="1x1", solve="stride")
    assert a["unbounded_from"] == 30 and a["range"] == [30, None] and a["values"] == [30]


def test_nearest_when_none():
    a = solve(input=10, kernel=3, target=4, solve="stride")  # x = 7: S = 2 gives 4
    assert a["values"] == [2]
    b = solve(input=10, kernel=1, target=7, solve="stride")  # x = 9: S=1 → 10, S=2 → 5: no 7
    assert b["values"] == [] and b["nearest"]["HW"] == [{"value": 1, "output": 10}, {"value": 2, "output": 5}]


def test_pool_kernel_with_the_default_stride():
    # 56 → 7 with stride = kernel (torch's default): ⌊56/K⌋ = 7 gives K = 8.
    a = solve_pool(input="64x56x56", target=7, solve="kernel")
    assert a["values"] == [8] and a["stride_follows_kernel"]


def test_pool_padding_limited_to_half_the_kernel():
    # 3×3 windows at stride 1 keep 14×14 only with P = 1; a 15×15 output would need P = 2 > ⌊3/2⌋.
    assert solve_pool(input=14, kernel=3, stride=1, target=14, solve="padding")["values"] == [1]
    a = solve_pool(input=14, kernel=3, stride=1, target=16, solve="padding")
    assert a["values"] == [] and a["nearest"]["HW"] == [{"value": 1, "output": 14}]


# --- brute force over random cases, every unknown, square and non-square -------------------


def _settings(draw, pool_layer):
    square = draw(st.booleans())
    dim = st.integers(1, 40)
    n = draw(dim)
    n2 = n if square else draw(dim)
    pick = st.integers(1, 7)
    k = draw(pick)
    k2 = k if square else draw(pick)
    s = draw(st.integers(1, 6))
    s2 = s if square else draw(st.integers(1, 6))
    p = draw(st.integers(0, 4))
    p2 = p if square else draw(st.integers(0, 4))
    d = draw(st.integers(1, 3))
    d2 = d if square else draw(st.integers(1, 3))
    return square, (n, n2), (k, k2), (s, s2), (p, p2), (d, d2)


def _pair(v):
    return f"{v[0]}x{v[1]}"


def _brute_force(out_at, lo, hi):
    """The values in [lo, hi] whose output matches, per dimension and for both."""
    return [v for v in range(lo, hi + 1) if out_at(v)]


def _assert_matches(answer, works, top, both_key="range"):
    """Every v up to `top` works exactly when the answer's interval says so; an interval still
    working at `top` must be the unbounded one (every larger value gives the same output)."""
    rng = answer[both_key]
    for v in range(0, top + 1):
        inside = rng is not None and rng[0] <= v and (rng[1] is None or v <= rng[1])
        assert works(v) == inside, (v, rng)
    if rng is not None and rng[1] is None:
        assert works(top) and works(top + 1000)


@st.composite
def conv_cases(draw):
    square, n, k, s, p, d = _settings(draw, False)
    unknown = draw(st.sampled_from(["padding", "stride", "kernel"]))
    same = unknown != "padding" and draw(st.integers(0, 9)) == 0
    known = {"padding": p, "stride": s, "kernel": k}
    # aim at reachable targets most of the time: the output of some value of the unknown, ± 1
    v0 = draw(st.integers(0 if unknown == "padding" else 1, 12))
    vals = dict(known, **{unknown: (v0, v0)})
    outs = [conv_out(n[i], vals["kernel"][i], vals["stride"][i], vals["padding"][i], d[i], same) for i in range(2)]
    t = [max(1, (o or 1) + draw(st.integers(-1, 1))) for o in outs]
    if square:
        t[1] = t[0]
    return square, n, k, s, p, d, unknown, same, tuple(t)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_cases())
def test_conv_inverse_matches_brute_force(case):
    square, n, k, s, p, d, unknown, same, t = case
    inputs = {"input": _pair(n), "kernel": _pair(k), "stride": _pair(s), "padding": "same" if same else _pair(p)}
    inputs["dilation"] = _pair(d)
    inputs[unknown] = None
    inputs = {key: v for key, v in inputs.items() if v is not None}
    if unknown == "kernel":
        inputs["kernel"] = 1  # ignored: it is the unknown
    try:
        answer = solve(**inputs, target=_pair(t), solve=unknown)
    except DlcalcError:
        assert same and unknown == "padding"
        return

    def out(i, v):
        vals = {"padding": p[i], "stride": s[i], "kernel": k[i], unknown: v}
        if same and unknown != "stride" and s != (1, 1):
            return None  # torch refuses padding='same' with any stride but 1, in either dimension
        return conv_out(n[i], vals["kernel"], vals["stride"], vals["padding"], d[i], same)

    top = max(n) + 2 * max(p) + max(t) * max(s) + 3 * max(k) + 10
    _assert_matches(answer, lambda v: out(0, v) == t[0] and out(1, v) == t[1], top)
    if not same:  # torch refuses padding='same' with any stride but 1, so 'same' has no per-dimension answer
        _assert_matches(answer, lambda v: out(0, v) == t[0], top, "range_h")
        _assert_matches(answer, lambda v: out(1, v) == t[1], top, "range_w")
    if answer["range"] is not None:
        lo, hi = answer["range"]
        assert answer["values"] == list(range(lo, (lo if hi is None else hi) + 1))[:1000]


@st.composite
def pool_cases(draw):
    square, n, k, s, p, d = _settings(draw, True)
    unknown = draw(st.sampled_from(["padding", "stride", "kernel"]))
    avg = draw(st.booleans())
    ceil_mode = draw(st.booleans())
    default_stride = unknown != "stride" and draw(st.booleans())
    if avg:
        d = (1, 1)
    if default_stride:
        s = k
    p = tuple(min(p[i], k[i] // 2) for i in range(2))
    v0 = draw(st.integers(0 if unknown == "padding" else 1, 12))
    outs = []
    for i in range(2):
        vals = {"padding": p[i], "stride": s[i], "kernel": k[i], unknown: v0}
        if default_stride and unknown == "kernel":
            vals["stride"] = v0
        outs.append(pool_out(n[i], vals["kernel"], vals["stride"], vals["padding"], d[i], ceil_mode))
    t = [max(1, (o or 1) + draw(st.integers(-1, 1))) for o in outs]
    if square:
        t[1] = t[0]
    return n, k, s, p, d, unknown, avg, ceil_mode, default_stride, tuple(t)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool_cases())
def test_pool_inverse_matches_brute_force(case):
    n, k, s, p, d, unknown, avg, ceil_mode, default_stride, t = case
    inputs = {"input": _pair(n), "kernel": _pair(k), "padding": _pair(p), "dilation": _pair(d)}
    if not default_stride:
        inputs["stride"] = _pair(s)
    answer = solve_pool(**inputs, avg=avg, ceil_mode=ceil_mode, target=_pair(t), solve=unknown)

    def out(i, v):
        vals = {"padding": p[i], "stride": s[i], "kernel": k[i], unknown: v}
        if default_stride and unknown == "kernel":
            vals["stride"] = v
        return pool_out(n[i], vals["kernel"], vals["stride"], vals["padding"], d[i], ceil_mode)

    top = max(n) + 2 * max(p) + max(t) * max(s) + 3 * max(k) + 10
    _assert_matches(answer, lambda v: out(0, v) == t[0] and out(1, v) == t[1], top)
    _assert_matches(answer, lambda v: out(0, v) == t[0], top, "range_h")
    _assert_matches(answer, lambda v: out(1, v) == t[1], top, "range_w")


def test_large_sizes_answer_without_enumerating():
    # a 10⁹-pixel side: the interval comes from bisection, not from trying every stride
    a = solve(input=10**9, kernel=3, target=2, solve="stride")
    x = 10**9 - 3
    assert a["range"] == [x // 2 + 1, x] and len(a["values"]) == 1000


def test_errors():
    with pytest.raises(DlcalcError, match="solve"):
        solve(input=10, kernel=3, target=4, solve="dilation")
    with pytest.raises(DlcalcError, match="target"):
        solve(input=10, kernel=3, target="abc", solve="padding")
    with pytest.raises(DlcalcError, match="target: 5 channels"):
        solve_pool(input="3x10x10", kernel=2, target="5x5x5", solve="stride")


def test_cli(cli):
    code, out, err = cli("conv", "64x56x56", "-k", "3", "--target", "56", "--solve", "padding", "--check")
    assert code == 0 and "padding = 1" in out
    code, out, err = cli("conv", "64x56x56", "-k", "3", "--target", "56")
    assert code == 2 and "--solve" in err
    code, out, err = cli("conv", "3x30x9", "-k", "3", "-p", "1", "--target", "3x1", "--solve", "stride", "--check")
    assert code == 0 and "10, 11, 12, 13, 14" in out, out + err
    code, out, err = cli("pool", "64x56x56", "--target", "7", "--solve", "kernel", "--check")
    assert code == 0 and "kernel = 8" in out, out + err
    code, out, err = cli("conv", "64x56x56", "--target", "54", "--solve", "kernel", "--json")
    assert code == 0 and '"values": [\n    3\n  ]' in out
