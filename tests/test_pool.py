"""pool: course-notes and AlexNet figures, torch's ceil-mode rule, many layers compared with torch."""

import json
import random

import pytest
import torch
from torch import nn

from dlcalc.errors import DlcalcError
from dlcalc.solvers import pool


def solve(**inputs):
    return pool.solve(pool.parse_spec(inputs)).answer


def test_course_notes_pools():
    # course-review-notes.txt: 25×26×26 → 2×2 max-pool → 25×13×13; 50×11×11 → 50×5×5.
    assert solve(input="25x26x26", kernel=2)["output_shape"] == [25, 13, 13]
    assert solve(input="50x11x11", kernel=2)["output_shape"] == [50, 5, 5]


def test_alexnet_pool1():
    # AlexNet POOL1: 3×3 windows at stride 2 on 55×55×96 → 27×27×96, no parameters.
    a = solve(input="96x55x55", kernel=3, stride=2)
    assert a["output_shape"] == [96, 27, 27] and a["params"] == 0


def test_ceil_mode_drops_window_starting_in_padding():
    # torch: MaxPool2d(2, 2, padding=1, ceil_mode=True) on 5×5 gives 3×3, not the naive ⌈5/2⌉+1 = 4.
    assert solve(input=5, kernel=2, stride=2, padding=1, ceil_mode=True)["output_shape"] == [3, 3]
    r = pool.solve(pool.parse_spec({"input": 5, "kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}))
    assert any("drops" in (s.note.en if s.note else "") for s in r.steps)


def _random_cfg(rng):
    avg = rng.random() < 0.4
    return {
        "input": (rng.randint(1, 3), rng.randint(1, 25), rng.randint(1, 25)),
        "kernel": rng.choice([1, 2, 3, 4, 5, (2, 3), 9]),
        "stride": rng.choice([None, 1, 2, 3, (1, 2)]),
        "padding": rng.choice([0, 0, 1, 2, 3, (1, 0)]),
        "dilation": 1 if avg else rng.choice([1, 1, 2, (2, 1)]),
        "ceil_mode": rng.random() < 0.5,
        "avg": avg,
    }


def _torch_pool(cfg):
    c, h, w = cfg["input"]
    if cfg["avg"]:
        layer = nn.AvgPool2d(cfg["kernel"], cfg["stride"], cfg["padding"], ceil_mode=cfg["ceil_mode"])
    else:
        layer = nn.MaxPool2d(cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"], ceil_mode=cfg["ceil_mode"])
    return list(layer(torch.zeros(1, c, h, w)).shape[1:])


def _as_cli(v):
    return "x".join(map(str, v)) if isinstance(v, tuple) else v


@pytest.mark.parametrize("seed", range(4))
def test_many_generated_pools_match_torch(seed):
    rng = random.Random(100 + seed)
    accepted = refused = 0
    for _ in range(250):
        cfg = _random_cfg(rng)
        try:
            theirs = _torch_pool(cfg)
        except (RuntimeError, ValueError):
            theirs = None
        try:
            ours = solve(**{k: _as_cli(v) for k, v in cfg.items()})["output_shape"]
        except DlcalcError:
            ours = None
        assert ours == theirs, cfg
        accepted += theirs is not None
        refused += theirs is None
    assert accepted > 50 and refused > 10


def test_refusals():
    with pytest.raises(DlcalcError, match="^padding"):
        solve(input=9, kernel=3, padding=2)
    with pytest.raises(DlcalcError, match="^dilation"):
        solve(input=9, kernel=3, dilation=2, avg=True)
    with pytest.raises(DlcalcError, match="^kernel"):
        solve(input=2, kernel=5)


def test_cli_pool_check(cli):
    code, out, err = cli("pool", "96x55x55", "-k", "3", "-s", "2", "--check")
    assert code == 0 and "96×27×27" in out


def test_channels_last_input(cli):
    # 224×224×3 as an image library writes it: 2×2 pooling keeps 3 channels and halves H and W (torch).
    out = nn.MaxPool2d(2)(torch.zeros(1, 224, 224, 3).permute(0, 3, 1, 2))
    a = solve(input="224x224x3", kernel=2)
    assert a["output_shape"] == list(out.shape[1:]) and a["layout"] == "hwc"
    code, text, err = cli("pool", "224x224x3", "-k", "2")
    assert "224×224×3 → 112×112×3 (H×W×C)" in text
    code, text, err = cli("pool", "224x224x3", "-k", "2", "--json")
    assert any("read as H×W×C" in n for n in json.loads(text)["notes"])
    assert solve(input="224x224x3", kernel=2, layout="chw")["output_shape"] == [224, 112, 1]
