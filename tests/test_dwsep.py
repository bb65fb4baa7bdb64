"""dwsep: a depthwise-separable block (MobileNet) against a standard conv. Every expected number is
computed here: shapes and parameter counts by torch modules built and run in the test, multiply-adds
by fvcore's FlopCountAnalysis on those modules, the ratio from torch's weight counts, and
MobileNet-v1's own example (Howard et al. 2017: 3×3 depthwise on 112×112×32, pointwise to 64)."""

import contextlib
import io
import json
import logging
import random
from fractions import Fraction

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from dlcalc.errors import DlcalcError
from dlcalc.solvers import dwsep
from dlcalc.solvers import solve as solve_named

fvcore_nn = pytest.importorskip("fvcore.nn")
logging.getLogger("fvcore").setLevel(logging.ERROR)


def solve(**inputs):
    return solve_named("dwsep", inputs)


def fvcore_macs(model, x):
    f = fvcore_nn.FlopCountAnalysis(model, x)
    f.unsupported_ops_warnings(False)
    f.uncalled_modules_warnings(False)
    return f.by_module()


def params(module):
    return sum(p.numel() for p in module.parameters())


@settings(max_examples=25)
@given(
    c=st.integers(1, 6), f=st.integers(1, 7), h=st.integers(1, 12), w=st.integers(1, 12),
    kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
    ph=st.integers(0, 2), pw=st.integers(0, 2), bias=st.booleans(),
)  # fmt: skip
def test_random_blocks_match_torch_and_fvcore(c, f, h, w, kh, kw, sh, sw, ph, pw, bias):
    if h + 2 * ph < kh or w + 2 * pw < kw:
        with pytest.raises(DlcalcError):
            solve(input=f"{c}x{h}x{w}", kernel=f"{kh}x{kw}", out_channels=f, stride=f"{sh}x{sw}", padding=f"{ph}x{pw}")
        return
    inputs = {
        "input": f"{c}x{h}x{w}",
        "kernel": f"{kh}x{kw}",
        "out_channels": f,
        "stride": f"{sh}x{sw}",
        "padding": f"{ph}x{pw}",
    }
    if not bias:
        inputs["bias"] = False
    a = solve(**inputs).answer
    dw = nn.Conv2d(c, c, (kh, kw), (sh, sw), (ph, pw), groups=c, bias=bias)
    pwc = nn.Conv2d(c, f, 1, bias=bias)
    std = nn.Conv2d(c, f, (kh, kw), (sh, sw), (ph, pw), bias=bias)
    x = torch.randn(1, c, h, w)
    block = nn.Sequential(dw, pwc)
    with torch.no_grad():
        mid, out, ref = dw(x), block(x), std(x)
    assert a["depthwise_shape"] == list(mid.shape[1:])
    assert a["output_shape"] == list(out.shape[1:]) == list(ref.shape[1:])
    assert (a["depthwise_params"], a["pointwise_params"], a["standard_params"]) == (
        params(dw),
        params(pwc),
        params(std),
    )
    assert a["params"] == params(block)
    by = fvcore_macs(block, x)
    assert (a["depthwise_macs"], a["pointwise_macs"], a["macs"]) == (by["0"], by["1"], by[""])
    assert a["standard_macs"] == fvcore_macs(std, x)[""]
    ratio = Fraction(dw.weight.numel() + pwc.weight.numel(), std.weight.numel())
    assert a["ratio"] == ratio == Fraction(1, f) + Fraction(1, kh * kw)
    assert a["macs_ratio"] == ratio


def test_mobilenet_v1_example():
    # MobileNet-v1, Table 1: "Conv dw / s1, 3×3×32 dw" on 112×112×32, then "Conv / s1, 1×1×32×64";
    # paper §3.1: cost ratio 1/N + 1/D_K² (N = 64 output channels, D_K = 3); BN follows, so no bias.
    a = solve(input="32x112x112", kernel=3, out_channels=64, stride=1, padding=1, bias=False).answer
    assert a["output_shape"] == [64, 112, 112]
    assert a["depthwise_params"] == 32 * 9 and a["pointwise_params"] == 32 * 64
    assert a["params"] == 32 * 9 + 32 * 64 and a["standard_params"] == 3 * 3 * 32 * 64
    assert a["depthwise_macs"] == 3 * 3 * 32 * 112 * 112  # D_K·D_K·M·D_F·D_F
    assert a["pointwise_macs"] == 32 * 64 * 112 * 112  # M·N·D_F·D_F
    assert a["ratio"] == Fraction(1, 64) + Fraction(1, 9)


def test_bias_is_noted_and_the_ratio_stays_for_weights():
    r = solve(input="8x10x10", kernel=3, out_channels=16, padding=1)
    a = r.answer
    assert (
        a["depthwise_params"] == 8 * 9 + 8
        and a["pointwise_params"] == 8 * 16 + 16
        and a["standard_params"] == 8 * 16 * 9 + 16
    )
    assert a["ratio"] == Fraction(1, 16) + Fraction(1, 9)
    assert any("ratio is for the weights" in n.en for n in r.notes)
    labels = [s.label.en for s in r.steps]
    assert labels.index("Depthwise weights") < labels.index("Saving ratio (weights; multiply-adds alike, H'W' cancels)")
    assert "1/C_out + 1/K^2" in " = ".join(str(x) for x in r.steps[-1].chain)


def test_the_check_module_agrees_and_catches_a_wrong_answer():
    from dlcalc.check import run

    r = solve(input="4x9x7", kernel="3x2", out_channels=6, stride=2, padding=1)
    assert run(r).ok
    r.answer["pointwise_macs"] += 1
    assert not run(r).ok


@pytest.mark.parametrize(
    "inputs, words",
    [
        ({"input": "3x8", "kernel": 3, "out_channels": 4}, "input"),
        ({"input": "3x8x8", "kernel": 0, "out_channels": 4}, "kernel"),
        ({"input": "3x8x8", "kernel": 3, "out_channels": 0}, "--out-channels"),
        ({"input": "3x8x8", "kernel": 3, "out_channels": "1.5"}, "--out-channels"),
        ({"input": "3x2x2", "kernel": 3, "out_channels": 4}, "kernel"),
        ({"input": "3x8x8", "kernel": 3}, "out_channels"),
        ({"input": "3x8x8", "kernel": 3, "out_channels": 4, "padding": -1}, "padding"),
    ],
)
def test_bad_input_is_one_clear_error(inputs, words):
    with pytest.raises(DlcalcError) as e:
        solve(**inputs)
    assert words in str(e.value)


@pytest.mark.parametrize("difficulty", [1, 2])
def test_quiz_template_asks_what_it_grades(difficulty):
    from dlcalc.bank.parts import lookup, statement_problems
    from dlcalc.render import jsonable

    for seed in range(12):
        draft = dwsep.template(random.Random(seed), difficulty)
        spec = dwsep.SOLVER.spec
        assert spec is not None
        answer = jsonable(solve(**draft.inputs).answer)
        raws = [lookup(answer, p.key) for p in draft.parts]
        assert statement_problems(draft.statement, draft.parts, raws) == []
        c, size = (int(v) for v in draft.inputs["input"].split("x")[:2])
        k, f = draft.inputs["kernel"], draft.inputs["out_channels"]
        assert raws[:3] == [c * k * k, c * f, c * f * k * k]


def test_command_checks_clean_and_prints_json(cli):
    code, out, err = cli("dwsep", "32x112x112", "-k", "3", "-o", "64", "-p", "1", "--no-bias", "--check", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["dlcalc"] == 1 and data["kind"] == "dwsep" and data["check"]["ok"]
    assert data["params"] == 32 * 9 + 32 * 64


@pytest.mark.parametrize(
    "args, words",
    [
        (("3x8", "-k", "3", "-o", "4"), "input"),
        (("3x8x8", "-k", "three", "-o", "4"), "kernel"),
        (("3x2x2", "-k", "5", "-o", "4"), "kernel"),
        (("3x8x8", "-k", "3"), "--out-channels"),
    ],
)
def test_command_refuses_bad_input_in_one_line(cli, args, words):
    code, out, err = cli("dwsep", *args)
    assert code == 2 and words in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


@pytest.mark.parametrize("value", ["0", "-3", "x", "1.5"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_bad_out_channels_is_named_by_its_option(value, lang):
    from dlcalc.cli import run

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = run(["dwsep", "3x8x8", "-k", "3", "-o", value, "--lang", lang])
        except SystemExit as e:
            code = e.code
    assert code == 2
    assert "--out-channels" in err.getvalue() and "out_channels" not in err.getvalue(), err.getvalue()
