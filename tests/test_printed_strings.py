"""#17: print(model) shows some string arguments bare (`padding=same`, `padding_mode=reflect`).
Every whitelisted layer that takes a string argument is built in torch here, printed, read back,
and compared with torch's own output shape and parameter count; in module code a bare name stays
an error (it is a variable there, not a string)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
nn = torch.nn


def _run(cli, shape, text):
    code, out, err = cli("net", "-i", "x".join(map(str, shape)), text, "--json")
    assert code == 0, (text, err)
    return json.loads(out)


def _torch_reference(model, shape):
    with torch.no_grad():
        y = model.eval()(torch.zeros(1, *shape))
    if isinstance(y, tuple):
        y = y[0]
    return list(y.shape[1:]), sum(p.numel() for p in model.parameters())


MODES = ["zeros", "reflect", "replicate", "circular"]


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    conv1d=st.booleans(),
    padding=st.sampled_from(["same", "valid"]),
    mode=st.sampled_from(MODES),
    k=st.integers(1, 5),
    c_in=st.integers(1, 4),
    c_out=st.integers(1, 6),
    dilation=st.integers(1, 2),
    bias=st.booleans(),
    size=st.integers(9, 14),
)
def test_conv_string_arguments_from_print(cli, conv1d, padding, mode, k, c_in, c_out, dilation, bias, size):
    conv = nn.Conv1d if conv1d else nn.Conv2d
    layer = conv(c_in, c_out, k, padding=padding, padding_mode=mode, dilation=dilation, bias=bias)
    model = nn.Sequential(layer, nn.ReLU())
    shape = (c_in, size) if conv1d else (c_in, size, size + 1)
    text = str(model)
    if padding == "same" or mode != "zeros":
        assert "=same" in text or "=valid" in text or f"={mode}" in text  # printed bare: the case at hand
    out_shape, params = _torch_reference(model, shape)
    data = _run(cli, shape, text)
    assert data["output_shape"] == out_shape and data["total_params"] == params, text


@pytest.mark.parametrize(
    "model, shape",
    [
        (lambda: nn.Sequential(nn.Linear(6, 8), nn.GELU(approximate="tanh")), (6,)),
        (lambda: nn.Sequential(nn.Conv2d(2, 3, 1), nn.Upsample(scale_factor=2, mode="bilinear")), (2, 5, 7)),
        (lambda: nn.Sequential(nn.Conv2d(2, 3, 1), nn.Upsample(size=(4, 9), mode="nearest")), (2, 5, 7)),
        (lambda: nn.Sequential(nn.RNN(5, 7, nonlinearity="relu")), (3, 5)),
        (
            lambda: nn.Sequential(
                nn.Conv2d(3, 8, 3, padding="same", padding_mode="reflect"),
                nn.BatchNorm2d(8),
                nn.ReLU(),
                nn.Conv2d(8, 4, 3, padding="valid", padding_mode="circular"),
                nn.Flatten(),
                nn.Linear(4 * 30 * 30, 10),
            ),
            (3, 32, 32),
        ),
    ],
)
def test_other_string_arguments_from_print(cli, model, shape):
    m = model()
    out_shape, params = _torch_reference(m, shape)
    data = _run(cli, shape, str(m))
    assert data["output_shape"] == out_shape and data["total_params"] == params


def test_the_issue_case(cli):
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding="same"), nn.ReLU())
    data = _run(cli, (3, 32, 32), str(m))
    assert data["output_shape"] == list(m(torch.zeros(1, 3, 32, 32)).shape[1:])


def test_a_bare_name_in_module_code_stays_refused(cli):
    code = "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(3, 8, 3, padding=same)\n    def forward(self, x):\n        return self.c(x)\n"
    rc, out, err = cli("net", "-i", "3x8x8", code)
    assert rc == 2 and "Traceback" not in err
    rc, out, err = cli("net", "-i", "3x8x8", "Conv2d(3, 8, 3, padding=same)")
    assert rc == 2


def test_quoted_text_is_left_alone():
    from dlcalc.parse.printed import _quote_bare

    assert _quote_bare("GELU(approximate='tanh')") == "GELU(approximate='tanh')"
    assert _quote_bare("X(a=True, b=None, c=False)") == "X(a=True, b=None, c=False)"
    assert _quote_bare("Conv2d(3, 8, padding=same, padding_mode=reflect)") == (
        "Conv2d(3, 8, padding='same', padding_mode='reflect')"
    )
