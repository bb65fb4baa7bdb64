"""conv --solve: every value that gives the target, checked against a brute-force torch search."""

import random

import pytest
import torch
from torch import nn

from dlcalc.errors import DlcalcError
from dlcalc.solvers import conv_inverse


def solve(**inputs):
    return conv_inverse.solve(conv_inverse.parse_spec(inputs)).answer


def test_same_size_padding():
    # "What padding keeps 56×56 at stride 1 with a 3×3 kernel?" — P = 1 (the classic same padding).
    assert solve(input="64x56x56", kernel=3, target=56, solve="padding")["values"] == [1]


def test_alexnet_stride():
    # 227 → 55 with an 11×11 kernel needs stride 4 (AlexNet CONV1).
    assert solve(input=227, kernel=11, target=55, solve="stride")["values"] == [4]


def _torch_out(n, k, s, p):
    try:
        return nn.Conv2d(1, 1, k, s, p, device="meta")(torch.zeros(1, 1, n, n, device="meta")).shape[-1]
    except RuntimeError:
        return None


@pytest.mark.parametrize("unknown", ["padding", "stride", "kernel"])
def test_matches_brute_force_torch(unknown):
    rng = random.Random(unknown)
    for _ in range(40):
        n, k, s, p = rng.randint(3, 30), rng.randint(1, 7), rng.randint(1, 4), rng.randint(0, 3)
        t = rng.randint(1, 32)
        known = {"padding": p, "stride": s, "kernel": k}
        known[unknown] = 1 if unknown != "padding" else 0
        answer = solve(input=n, target=t, solve=unknown, **known)
        expected = []
        for v in range(0 if unknown == "padding" else 1, 80):
            args = dict(known, **{unknown: v})
            if _torch_out(n, args["kernel"], args["stride"], args["padding"]) == t:
                expected.append(v)
        if answer["unbounded_from"] is not None:
            assert expected and expected[-1] == 79 and answer["values"][0] == expected[0]
        else:
            assert answer["values"] == expected, (n, known, t)


def test_nearest_when_none():
    a = solve(input=10, kernel=3, target=4, solve="stride")  # x = 7: S=2 → 4 ✓ … choose a miss instead
    assert a["values"] == [2]
    b = solve(input=10, kernel=1, target=7, solve="stride")  # x = 9: S=1 → 10, S=2 → 5: no 7
    assert b["values"] == [] and b["nearest"]["HW"] == [{"value": 1, "output": 10}, {"value": 2, "output": 5}]


def test_errors():
    with pytest.raises(DlcalcError, match="solve"):
        solve(input=10, kernel=3, target=4, solve="dilation")
    with pytest.raises(DlcalcError, match="target"):
        solve(input=10, kernel=3, target="abc", solve="padding")


def test_cli(cli):
    code, out, err = cli("conv", "64x56x56", "-k", "3", "--target", "56", "--solve", "padding", "--check")
    assert code == 0 and "padding = 1" in out
    code, out, err = cli("conv", "64x56x56", "-k", "3", "--target", "56")
    assert code == 2 and "--solve" in err
