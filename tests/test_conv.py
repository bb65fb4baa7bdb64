"""conv: the course notes' figures, AlexNet, and many generated layers compared with torch itself."""

import json
import random

import pytest
import torch
from torch import nn

from dlcalc.errors import DlcalcError
from dlcalc.solvers import conv


def solve(**inputs):
    return conv.solve(conv.parse_spec(inputs)).answer


# Course notes (course-review-notes.txt, 卷积核计算): 1×28×28, 25 kernels 3×3 → 25×26×26;
# then 25×13×13 with 50 kernels 3×3 → 50×11×11. Parameter counts (3·3·1+1)·25 = 250 and
# (3·3·25+1)·50 = 11,300.
def test_course_notes_chain():
    a = solve(input="1*28*28", kernel=3, out_channels=25)
    assert a["output_shape"] == [25, 26, 26] and a["params"] == 250
    b = solve(input="25×13×13", kernel=3, out_channels=50)
    assert b["output_shape"] == [50, 11, 11] and b["params"] == 11300


# AlexNet CONV1 (Krizhevsky et al. 2012 as taught with 227×227 input; CS231n): 96 11×11 filters,
# stride 4 → 55×55×96, 11·11·3·96 weights + 96 biases = 34,944.
def test_alexnet_conv1():
    a = solve(input="3x227x227", kernel=11, stride=4, out_channels=96)
    assert a["output_shape"] == [96, 55, 55]
    assert (a["weights"], a["biases"], a["params"]) == (34848, 96, 34944)


def test_input_forms_agree():
    shapes = {
        tuple(solve(input=s, kernel=3, out_channels=4)["output_shape"])
        for s in ["2x9x9", "2×9×9", "2*9*9", "(2, 9, 9)", [2, 9, 9], "2 x 9 x 9"]
    }
    assert shapes == {(4, 7, 7)}


def test_square_input_without_channels():
    assert solve(input=32, kernel=5)["output_shape"] == [28, 28]
    assert solve(input="32", kernel=5, out_channels=6)["params"] == (5 * 5 * 1 + 1) * 6


def test_non_square_everything():
    a = solve(input="3x20x31", kernel="3x5", stride="2x3", padding="1x2", dilation="1x2", out_channels=8)
    ref = nn.Conv2d(3, 8, (3, 5), (2, 3), (1, 2), (1, 2))(torch.zeros(1, 3, 20, 31))
    assert a["output_shape"] == list(ref.shape[1:])


def test_same_and_valid_padding():
    assert solve(input="3x10x11", kernel=4, padding="same", out_channels=2)["output_shape"] == [2, 10, 11]
    assert solve(input="3x10x11", kernel=4, padding="valid", out_channels=2)["output_shape"] == [2, 7, 8]


def test_dropped_rows_are_reported():
    r = conv.solve(conv.parse_spec({"input": "7", "kernel": 2, "stride": 2}))
    # 7 rows, windows at 0-1, 2-3, 4-5: row 6 is never covered.
    assert any(s.note and "last 1 row" in s.note.en for s in r.steps)


def _torch_conv(cfg):
    c, h, w = cfg["input"]
    layer_cls = nn.ConvTranspose2d if cfg["transposed"] else nn.Conv2d
    kwargs = dict(
        stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"], bias=cfg["bias"]
    )
    if cfg["transposed"]:
        kwargs["output_padding"] = cfg["output_padding"]
    layer = layer_cls(c, cfg["out_channels"], cfg["kernel"], **kwargs)
    out = layer(torch.zeros(1, c, h, w))
    if 0 in out.shape:
        # torch's own check calls an empty output "too small", but its grouped transposed path
        # lets one through; dlcalc refuses both.
        raise RuntimeError("Output size is too small")
    return list(out.shape[1:]), sum(p.numel() for p in layer.parameters())


def _random_cfg(rng):
    groups = rng.choice([1, 1, 1, 2, 3])
    transposed = rng.random() < 0.3
    pad = rng.choice([0, 1, 2, 3, (1, 2), "same", "valid"]) if not transposed else rng.choice([0, 1, 2, (0, 3)])
    return {
        "input": (groups * rng.randint(1, 3), rng.randint(1, 30), rng.randint(1, 30)),
        "kernel": rng.choice([1, 2, 3, 5, 7, (3, 1), (2, 4), 12]),
        "stride": rng.choice([1, 1, 2, 3, (2, 1), 0]),
        "padding": pad,
        "dilation": rng.choice([1, 1, 2, (1, 3)]),
        "out_channels": groups * rng.randint(1, 3),
        "groups": groups,
        "bias": rng.random() < 0.8,
        "transposed": transposed,
        "output_padding": rng.choice([0, 0, 1, 2, (1, 0)]) if transposed else 0,
    }


def _as_cli(v):
    if isinstance(v, tuple):
        return "x".join(map(str, v))
    return v


@pytest.mark.parametrize("seed", range(4))
def test_many_generated_layers_match_torch(seed):
    rng = random.Random(seed)
    accepted = refused = 0
    for _ in range(250):
        cfg = _random_cfg(rng)
        try:
            theirs = _torch_conv(cfg)
        except (RuntimeError, ValueError):
            theirs = None
        try:
            ours = solve(**{k: _as_cli(v) for k, v in cfg.items()})
        except DlcalcError:
            ours = None
        if theirs is None:
            assert ours is None, f"torch refuses {cfg} but dlcalc answered {ours}"
            refused += 1
        else:
            assert ours is not None, f"dlcalc refuses {cfg}, torch gives {theirs}"
            assert (ours["output_shape"], ours["params"]) == theirs, cfg
            accepted += 1
    assert accepted > 50 and refused > 10


@pytest.mark.parametrize(
    "inputs, reason",
    [
        ({"input": "3x5x5", "kernel": 7}, "kernel"),
        ({"input": "4x9x9", "kernel": 3, "groups": 3, "out_channels": 3}, "groups"),
        ({"input": "3x9x9", "kernel": 3, "stride": 2, "padding": "same"}, "padding"),
        ({"input": "3x9x9", "kernel": 3, "stride": 2, "transposed": True, "output_padding": 2}, "output_padding"),
        ({"input": "3x9x9", "kernel": 0}, "kernel"),
        ({"input": "3x9x9", "kernel": 3, "padding": -1}, "padding"),
        ({"input": "3x0x9", "kernel": 1}, "input"),
        ({"input": "3x9x9x9", "kernel": 1}, "input"),
        ({"input": "abc", "kernel": 1}, "input"),
        ({"input": "9", "kernel": "3x"}, "kernel"),
        ({"input": "9", "kernel": 3, "padding": "full"}, "padding"),
    ],
)
def test_refused_with_a_reason(inputs, reason):
    with pytest.raises(DlcalcError) as e:
        solve(**inputs)
    assert e.value.message.startswith(reason)
    assert "\n" not in e.value.message


def test_cli_json_and_check(cli):
    code, out, err = cli("conv", "3*227*227", "-k", "11", "-s", "4", "-o", "96", "--json", "--check")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["output_shape"] == [96, 55, 55] and data["params"] == 34944
    assert data["check"]["ok"] is True


def test_cli_check_exits_1_on_mismatch(cli, monkeypatch):
    from dlcalc.solvers import window

    monkeypatch.setattr(window.Window, "output_size", lambda self, ceil_mode=False: 1)
    code, out, err = cli("conv", "3x32x32", "-k", "3", "-o", "4", "--check")
    assert code == 1


def test_cli_bad_input_is_one_line_exit_2(cli):
    code, out, err = cli("conv", "3x5x5", "-k", "7")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "kernel" in err
    code, out, err = cli("conv", "3x5x5", "-k", "3", "--no-such-option")
    assert code == 2 and err.count("\n") == 1 and "--no-such-option" in err


def test_cli_formats(cli):
    code, out, _ = cli("conv", "1x28x28", "-k", "3", "-o", "25", "--latex")
    assert code == 0 and r"\begin{align*}" in out and r"\left\lfloor" in out
    code, out, _ = cli("conv", "1x28x28", "-k", "3", "-o", "25", "--md")
    assert code == 0 and out.startswith("### Conv2d")
    code, out, _ = cli("conv", "1x28x28", "-k", "3", "-o", "25", "--lang", "zh")
    assert code == 0 and "输出形状" in out and "25×26×26" in out


# --- torch refuses string padding for a transposed convolution ---------------------------------


@pytest.mark.parametrize("padding", ["valid", "same", "VALID"])
def test_transposed_string_padding_refused_as_torch_does(padding, cli):
    with pytest.raises((TypeError, ValueError)):  # torch 2.13 itself: no string padding for conv_transpose2d
        nn.ConvTranspose2d(3, 8, 3, padding=padding.lower())(torch.zeros(1, 3, 9, 9))
    with pytest.raises(DlcalcError, match="^padding: ConvTranspose2d takes a number"):
        solve(input="3x9x9", kernel=3, out_channels=8, transposed=True, padding=padding)
    code, out, err = cli("conv", "3x9x9", "-k", "3", "-o", "8", "--transposed", "-p", padding)
    assert code == 2 and out == "" and err.count("\n") == 1


# --- channels-last input ---------------------------------------------------------------------


def _torch_conv_hwc(h, w, c, k, f):
    """torch on the same image, moved to channels-first as torch wants it."""
    layer = nn.Conv2d(c, f, k, device="meta")
    out = layer(torch.zeros(1, h, w, c, device="meta").permute(0, 3, 1, 2))
    return list(out.shape[1:]), sum(p.numel() for p in layer.parameters())


def test_alexnet_input_written_channels_last():
    # The course notes write AlexNet's input as 227×227×3.
    r = conv.solve(conv.parse_spec({"input": "227x227x3", "kernel": 3, "out_channels": 8}))
    assert [r.answer["output_shape"], r.answer["params"]] == list(_torch_conv_hwc(227, 227, 3, 3, 8))
    assert r.answer["layout"] == "hwc" and r.answer["input_shape"] == [3, 227, 227]
    note = next(n for n in r.notes if "H×W×C" in n.en)
    assert "C = 3" in note.en and "C = 3" in note.zh and "--layout chw" in note.zh
    assert dict(r.summary)[conv.T("Output shape", "输出形状")] == "227×227×3 → 225×225×8 (H×W×C)"


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(c=st.sampled_from([1, 3, 4]), h=st.integers(1, 300), w=st.integers(1, 300), f=st.integers(1, 4))
def test_layouts_auto_chw_hwc(c, h, w, f):
    k = 1
    plainly = min(h, w) >= max(16, 8 * c)  # the documented rule: far larger than the channel count
    auto = solve(input=f"{h}x{w}x{c}", kernel=k, out_channels=f)
    if plainly:
        assert [auto["output_shape"], auto["params"]] == list(_torch_conv_hwc(h, w, c, k, f))
    else:
        assert auto["layout"] == "chw" and auto["input_shape"] == [h, w, c]
    # explicit layouts always win, and a channels-first input is never turned around
    assert solve(input=f"{h}x{w}x{c}", kernel=k, out_channels=f, layout="chw")["input_shape"] == [h, w, c]
    assert solve(input=f"{h}x{w}x{c}", kernel=k, out_channels=f, layout="hwc")["input_shape"] == [c, h, w]
    assert solve(input=f"{c}x{h}x{w}", kernel=k, out_channels=f)["input_shape"] == [c, h, w]


def test_cli_layout(cli):
    code, out, err = cli("conv", "227x227x3", "-k", "11", "-s", "4", "-o", "96", "--json")
    data = json.loads(out)
    assert data["output_shape"] == [96, 55, 55] and data["params"] == 34944 and data["layout"] == "hwc"
    assert any("H×W×C" in n for n in data["notes"])
    code, out, err = cli("conv", "227x227x3", "-k", "3", "-o", "8", "--layout", "chw", "--json")
    assert json.loads(out)["output_shape"] == [8, 225, 1]
    code, out, err = cli("conv", "227x227x3", "-k", "3", "-o", "8", "--lang", "zh")
    assert "按 H×W×C 读取" in out
    code, out, err = cli("conv", "9x9", "-k", "3", "--layout", "sideways")
    assert code == 2 and "--layout" in err


# --- parameters without input channels ---------------------------------------------------------


def test_params_without_channels_say_they_assume_one(cli):
    # `conv 227 -k 11 -s 4 -o 96` shows no channels: the count is torch's for in_channels = 1, and says so.
    torch_params = sum(p.numel() for p in nn.Conv2d(1, 96, 11, 4).parameters())
    code, out, err = cli("conv", "227", "-k", "11", "-s", "4", "-o", "96", "--json")
    data = json.loads(out)
    assert data["params"] == torch_params and data["assumed_in_channels"] == 1
    code, out, err = cli("conv", "227", "-k", "11", "-s", "4", "-o", "96")
    summary = out.split("Derivation")[0]
    assert f"{torch_params:,}" in summary and "assuming C = 1" in summary
    code, out, err = cli("conv", "227", "-k", "11", "-s", "4", "-o", "96", "--lang", "zh")
    assert "按 C = 1 计" in out.split("推导过程")[0]
    code, out, err = cli("conv", "3x227x227", "-k", "11", "-s", "4", "-o", "96", "--json")
    assert json.loads(out)["assumed_in_channels"] is None
