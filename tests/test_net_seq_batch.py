"""A sequence layer (nn.MultiheadAttention, nn.RNN/LSTM/GRU) called in forward takes (L, E) unbatched
or (L, N, E) batched ((N, L, E) with batch_first=True). `-i` with two sizes is one unbatched sequence;
with three sizes it is already batched and no batch of 1 may be added. Every case is run in torch
here, on a tensor of exactly the `-i` shape, and dlcalc's shapes and parameters must match."""

import textwrap

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from dlcalc.solvers import net

ATTENTION = """
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.att = nn.MultiheadAttention({e}, {h}, batch_first={bf})
        self.fc = nn.Linear({e}, {o})

    def forward(self, x):
        x, _ = self.att(x, x, x)
        return self.fc(x)
"""

RECURRENT = """
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.{kind}({e}, {h}, batch_first={bf})
        self.fc = nn.Linear({h}, {o})

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out)
"""


class TorchAttention(nn.Module):
    def __init__(self, e, h, bf, o):
        super().__init__()
        self.att = nn.MultiheadAttention(e, h, batch_first=bf)
        self.fc = nn.Linear(e, o)

    def forward(self, x):
        x, w = self.att(x, x, x)
        return self.fc(x), w


class TorchRecurrent(nn.Module):
    def __init__(self, kind, e, h, bf, o):
        super().__init__()
        self.rnn = getattr(nn, kind)(e, h, batch_first=bf)
        self.fc = nn.Linear(h, o)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out), out


def solve(code, shape):
    spec = net.parse_spec({"code": textwrap.dedent(code), "input": "x".join(map(str, shape))})
    return net.solve(spec).answer


def with_batch(shape, batch_first):
    """The tensor torchinfo is given: a 3-size input as it is; a single sequence with the batch of 1
    that torchinfo's convention (and dlcalc's torchinfo column) puts on the layer's batch axis."""
    if len(shape) == 3:
        return shape
    return (1, *shape) if batch_first else (shape[0], 1, shape[1])


def torchinfo_macs(model, shape):
    """torchinfo 1.8 run here on a tensor of that shape."""
    import torchinfo

    return torchinfo.summary(model, input_data=[torch.zeros(shape)], verbose=0).total_mult_adds


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def layer_shape(answer, name):
    return next(r["output_shape"] for r in answer["layers"] if r["name"] == name)


@settings(max_examples=25, deadline=None)
@given(
    heads=st.sampled_from([1, 2, 4]),
    per_head=st.integers(1, 4),
    bf=st.booleans(),
    length=st.integers(1, 6),
    batch=st.one_of(st.none(), st.integers(1, 4)),
    out=st.integers(1, 5),
)
def test_attention_in_forward_matches_torch(heads, per_head, bf, length, batch, out):
    e = heads * per_head
    shape = (length, e) if batch is None else ((batch, length, e) if bf else (length, batch, e))
    answer = solve(ATTENTION.format(e=e, h=heads, bf=bf, o=out), shape)
    model = TorchAttention(e, heads, bf, out).eval()
    with torch.no_grad():
        y, w = model(torch.zeros(shape))
    assert answer["output_shape"] == list(y.shape)
    assert layer_shape(answer, "fc") == list(y.shape)
    assert layer_shape(answer, "att") == list(shape)
    assert answer["total_params"] == n_params(model)
    assert answer["input_shape"] == list(shape)
    if batch is not None:
        assert w.shape[0] == batch  # torch's weights are (N, L, S): N is the input's own batch
    # weight MACs: Q, K, V and output projections (4·E² per position) and the fc, for all N·L positions
    positions = length * (batch or 1)
    assert answer["total_macs"] == positions * (4 * e * e + e * out)
    assert answer["total_macs_torchinfo"] == torchinfo_macs(model, with_batch(shape, bf))


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(["RNN", "LSTM", "GRU"]),
    e=st.integers(1, 6),
    h=st.integers(1, 6),
    bf=st.booleans(),
    length=st.integers(1, 5),
    batch=st.one_of(st.none(), st.integers(1, 4)),
    out=st.integers(1, 4),
)
def test_recurrent_in_forward_matches_torch(kind, e, h, bf, length, batch, out):
    shape = (length, e) if batch is None else ((batch, length, e) if bf else (length, batch, e))
    answer = solve(RECURRENT.format(kind=kind, e=e, h=h, bf=bf, o=out), shape)
    model = TorchRecurrent(kind, e, h, bf, out).eval()
    with torch.no_grad():
        y, seq = model(torch.zeros(shape))
    assert answer["output_shape"] == list(y.shape)
    assert layer_shape(answer, "fc") == list(y.shape)
    assert answer["total_params"] == n_params(model)
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    positions = length * (batch or 1)
    assert answer["total_macs"] == positions * (gates * h * (e + h) + h * out)
    assert answer["total_macs_torchinfo"] == torchinfo_macs(model, with_batch(shape, bf))


@pytest.mark.parametrize("shape", [(5, 2, 16), (5, 16)])
def test_attention_three_sizes_is_the_batched_tensor(shape):
    """The reported case: self.att(x, x, x) with -i 5x2x16 was refused as a 4-size tensor."""
    answer = solve(ATTENTION.format(e=16, h=4, bf=False, o=8), shape)
    model = TorchAttention(16, 4, False, 8).eval()
    with torch.no_grad():
        y, _ = model(torch.zeros(shape))
    assert answer["output_shape"] == list(y.shape)
    # weight MACs: four E×E projections for every one of the N·L positions (Q·K·V·O), and the fc
    positions = shape[0] * (shape[1] if len(shape) == 3 else 1)
    assert answer["total_macs"] == positions * (4 * 16 * 16 + 16 * 8)


@pytest.mark.parametrize(
    "code, shape",
    [
        (ATTENTION.format(e=16, h=4, bf=True, o=8), "2x5x16"),
        (ATTENTION.format(e=16, h=4, bf=False, o=8), "5x2x16"),
        (RECURRENT.format(kind="LSTM", e=6, h=4, bf=False, o=3), "7x2x6"),
    ],
    ids=["attention-batch-first", "attention-sequence-first", "lstm-sequence-first"],
)
def test_three_sizes_pass_the_torch_check(cli, tmp_path, code, shape):
    path = tmp_path / "net.py"
    path.write_text(code)
    status, out, err = cli("net", "-f", str(path), "-i", shape, "--check", "--json")
    assert status == 0, err
    data = __import__("json").loads(out)
    assert data["check"]["ok"] and data["output_shape"][:-1] == [int(d) for d in shape.split("x")][:-1]
