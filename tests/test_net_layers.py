"""net's newer layers — attention, the transformer family, normalisation, resizing, padding, 1-D
convolution and pooling, recurrent layers — each compared with the torch module built here:
parameters, output shapes, and MACs against torch's own FLOP counter and torchinfo."""

import json

import netref
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dlcalc.errors import DlcalcError
from dlcalc.solvers import net


def solve(layers, *inputs):
    fields = {"layers": layers if isinstance(layers, list) else [layers]}
    fields["input"] = list(inputs) if len(inputs) > 1 else inputs[0]
    return net.solve(net.parse_spec(fields)).answer


def code(text, *inputs):
    fields = {"code": text, "input": list(inputs) if len(inputs) > 1 else inputs[0]}
    return net.solve(net.parse_spec(fields)).answer


def torch_flops(module, *inputs):
    """torch's own count of multiply-adds (its FLOP counter halves to MACs), by operator."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module.eval()(*inputs)
    return {str(k).split(".")[-1]: v // 2 for k, v in counter.get_flop_counts()["Global"].items()}


def shape_of(out):
    return list((out[0] if isinstance(out, tuple) else out).shape)


# --- single layers: parameters and shapes ------------------------------------------------------------

CASES = [
    ("LayerNorm(16)", (5, 16), nn.LayerNorm(16)),
    ("LayerNorm((4, 16), elementwise_affine=False)", (3, 4, 16), nn.LayerNorm((4, 16), elementwise_affine=False)),
    ("LayerNorm([8], bias=False)", (2, 8), nn.LayerNorm([8], bias=False)),
    ("GroupNorm(4, 32)", (32, 7, 7), nn.GroupNorm(4, 32)),
    ("GroupNorm(2, 6, affine=False)", (6, 5), nn.GroupNorm(2, 6, affine=False)),
    ("Embedding(1000, 64)", (12,), nn.Embedding(1000, 64)),
    ("Embedding(50, 8, padding_idx=0)", (3, 4), nn.Embedding(50, 8, padding_idx=0)),
    ("Upsample(scale_factor=2)", (3, 7, 9), nn.Upsample(scale_factor=2)),
    ("Upsample(size=(10, 12), mode='bilinear')", (3, 4, 5), nn.Upsample(size=(10, 12), mode="bilinear")),
    ("Upsample(scale_factor=1.5, mode='nearest')", (2, 7, 7), nn.Upsample(scale_factor=1.5)),
    ("Upsample(scale_factor=3, mode='linear')", (2, 5), nn.Upsample(scale_factor=3, mode="linear")),
    ("ZeroPad2d(2)", (3, 8, 8), nn.ZeroPad2d(2)),
    ("ZeroPad2d((1, 2, 0, 3))", (3, 8, 8), nn.ZeroPad2d((1, 2, 0, 3))),
    ("ZeroPad2d((-1, 0, 1, -2))", (3, 8, 8), nn.ZeroPad2d((-1, 0, 1, -2))),
    ("ZeroPad1d((2, 1))", (4, 9), nn.ZeroPad1d((2, 1))),
    ("Conv1d(4, 8, 3)", (4, 20), nn.Conv1d(4, 8, 3)),
    ("Conv1d(4, 8, 5, stride=2, padding=2, bias=False)", (4, 21), nn.Conv1d(4, 8, 5, stride=2, padding=2, bias=False)),
    (
        "Conv1d(6, 12, 3, padding='same', dilation=2, groups=3)",
        (6, 15),
        nn.Conv1d(6, 12, 3, padding="same", dilation=2, groups=3),
    ),
    ("Conv1d(6, 6, 4, padding='valid', groups=6)", (6, 15), nn.Conv1d(6, 6, 4, padding="valid", groups=6)),
    ("MaxPool1d(2)", (3, 11), nn.MaxPool1d(2)),
    (
        "MaxPool1d(3, stride=2, padding=1, ceil_mode=True)",
        (3, 10),
        nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True),
    ),
    ("AvgPool1d(4, stride=3)", (3, 17), nn.AvgPool1d(4, stride=3)),
    ("AdaptiveAvgPool1d(5)", (3, 17), nn.AdaptiveAvgPool1d(5)),
    ("AdaptiveMaxPool1d(1)", (3, 17), nn.AdaptiveMaxPool1d(1)),
    ("Hardswish()", (4, 5, 5), nn.Hardswish()),
    ("Hardsigmoid(inplace=True)", (4, 5, 5), nn.Hardsigmoid(inplace=True)),
    ("PReLU(4)", (4, 5, 5), nn.PReLU(4)),
    ("RNN(8, 16)", (5, 8), nn.RNN(8, 16)),
    ("RNN(8, 16, 2, 'relu', bias=False)", (5, 8), nn.RNN(8, 16, 2, "relu", bias=False)),
    ("GRU(8, 16, batch_first=True)", (5, 8), nn.GRU(8, 16, batch_first=True)),
    ("GRU(8, 16, num_layers=3, bidirectional=True)", (5, 8), nn.GRU(8, 16, num_layers=3, bidirectional=True)),
    ("LSTM(10, 20)", (7, 10), nn.LSTM(10, 20)),
    (
        "LSTM(10, 20, num_layers=2, bidirectional=True, batch_first=True)",
        (7, 10),
        nn.LSTM(10, 20, 2, batch_first=True, bidirectional=True),
    ),
]


@pytest.mark.parametrize("text, shape, layer", CASES, ids=[c[0] for c in CASES])
def test_layer_parameters_and_shapes_match_torch(text, shape, layer):
    answer = solve(text, "x".join(map(str, shape)))
    assert answer["total_params"] == netref.n_params(layer)
    first = layer.batch_first if isinstance(layer, nn.RNNBase) else True
    batched = (1, *shape) if first or len(shape) != 2 else (shape[0], 1, shape[1])
    x = torch.zeros(batched, dtype=torch.long if isinstance(layer, nn.Embedding) else torch.float)
    with torch.no_grad():
        out = layer(x)
    expected = shape_of(out)
    if first or len(shape) != 2:
        expected = expected[1:]
    else:  # a sequence-first recurrent layer: the batch of 1 sits on axis 1
        expected = expected[:1] + expected[2:]
    assert answer["output_shape"] == expected


@pytest.mark.parametrize(
    "layers, shape, message",
    [
        ("LayerNorm(16)", "5x15", "normalizes the last dimensions 16 but its input is 5×15"),
        ("GroupNorm(4, 30)", "30x5x5", "num_channels (30) must be divisible by num_groups (4)"),
        ("GroupNorm(2, 8)", "6x5x5", "expects 8 channels but receives 6"),
        ("Conv1d(4, 8, 3)", "3x20", "expects 4 input channels but receives 3"),
        ("Conv1d(4, 8, 30)", "4x20", "no output"),
        ("Conv1d(4, 8, 3, stride=2, padding='same')", "4x20", "padding='same' is not supported for strided"),
        ("MaxPool1d(4, padding=3)", "4x20", "must be at most half the kernel size"),
        ("Upsample(scale_factor=2, mode='bilinear')", "4x20", "mode 'bilinear' does not fit a 1-d map"),
        ("Upsample()", "4x5x5", "give exactly one of size and scale_factor"),
        ("LSTM(10, 20)", "7x9", "expects input_size 10 but receives 9"),
        ("LSTM(10, 20, proj_size=5)", "7x10", "proj_size is not supported"),
        ("RNN(10, 20, nonlinearity='sigmoid')", "7x10", "nonlinearity must be 'tanh' or 'relu'"),
    ],
)
def test_layer_refusals_are_torchs(layers, shape, message):
    with pytest.raises(DlcalcError) as e:
        solve(layers, shape)
    assert message in e.value.message


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["RNN", "GRU", "LSTM"]),
    i=st.integers(1, 12),
    h=st.integers(1, 12),
    layers=st.integers(1, 3),
    bias=st.booleans(),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
    length=st.integers(1, 6),
)
def test_recurrent_layers_property(kind, i, h, layers, bias, bidirectional, batch_first, length):
    text = (
        f"{kind}({i}, {h}, num_layers={layers}, bias={bias}, batch_first={batch_first}, bidirectional={bidirectional})"
    )
    layer = getattr(nn, kind)(i, h, num_layers=layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    answer = solve(text, f"{length}x{i}")
    assert answer["total_params"] == netref.n_params(layer)
    x = torch.zeros((1, length, i) if batch_first else (length, 1, i))
    with torch.no_grad():
        out, _ = layer(x)
    d = 2 if bidirectional else 1
    assert (
        answer["output_shape"]
        == [length, d * h]
        == [s for k, s in enumerate(out.shape) if k != (0 if batch_first else 1)]
    )
    # weights multiply-adds: every W_ih and W_hh once per time step
    weights = sum(p.numel() for n, p in layer.named_parameters() if n.startswith("weight"))
    assert answer["total_macs"] == length * weights


@settings(max_examples=80, deadline=None)
@given(
    c=st.integers(1, 6),
    length=st.integers(1, 40),
    k=st.integers(1, 7),
    stride=st.integers(1, 3),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
    groups=st.sampled_from([1, 2, 3]),
    f=st.integers(1, 4),
)
def test_conv1d_property(c, length, k, stride, padding, dilation, groups, f):
    cin, cout = c * groups, f * groups
    text = f"Conv1d({cin}, {cout}, {k}, stride={stride}, padding={padding}, dilation={dilation}, groups={groups})"
    layer = nn.Conv1d(cin, cout, k, stride=stride, padding=padding, dilation=dilation, groups=groups)
    try:
        expected = list(layer(torch.zeros(1, cin, length)).shape[1:])
    except RuntimeError:
        with pytest.raises(DlcalcError):
            solve(text, f"{cin}x{length}")
        return
    answer = solve(text, f"{cin}x{length}")
    assert answer["output_shape"] == expected
    assert answer["total_params"] == netref.n_params(layer)
    assert answer["total_macs"] == torch_flops(layer, torch.zeros(1, cin, length)).get("convolution", 0)


# --- attention and the transformer family -----------------------------------------------------------------

MHA_CODE = """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention({args})

    def forward(self, q, k, v):
        out, weights = self.attn(q, k, v)
        return out
"""


@pytest.mark.parametrize(
    "args, kw",
    [
        ("64, 8", {}),
        ("64, 4, bias=False", {"bias": False}),
        ("64, 4, kdim=32, vdim=48", {"kdim": 32, "vdim": 48}),
        ("64, 2, add_bias_kv=True", {"add_bias_kv": True}),
        ("64, 8, batch_first=True", {"batch_first": True}),
    ],
)
def test_multihead_attention_matches_torch(args, kw):
    heads = int(args.split(",")[1])
    layer = nn.MultiheadAttention(64, heads, **kw)
    kdim, vdim = kw.get("kdim", 64), kw.get("vdim", 64)
    answer = code(MHA_CODE.format(args=args), "10x64", f"12x{kdim}", f"12x{vdim}")
    assert answer["total_params"] == netref.n_params(layer)
    assert answer["output_shape"] == [10, 64]
    first = kw.get("batch_first", False)
    q = torch.zeros((1, 10, 64) if first else (10, 1, 64))
    k = torch.zeros((1, 12, kdim) if first else (12, 1, kdim))
    v = torch.zeros((1, 12, vdim) if first else (12, 1, vdim))
    counts = torch_flops(layer, q, k, v)
    assert answer["total_macs"] == counts.get("addmm", 0) + counts.get("mm", 0)  # the four projections
    assert answer["total_macs_products"] == counts["bmm"] + counts.get("baddbmm", 0)  # QKᵀ and A·V


@pytest.mark.parametrize(
    "text, build, shapes",
    [
        ("TransformerEncoderLayer(64, 4, 128)", lambda: nn.TransformerEncoderLayer(64, 4, 128), ["10x64"]),
        (
            "TransformerEncoderLayer(64, 4, 128, activation='gelu', norm_first=True, batch_first=True)",
            lambda: nn.TransformerEncoderLayer(64, 4, 128, activation="gelu", norm_first=True, batch_first=True),
            ["10x64"],
        ),
        ("TransformerDecoderLayer(64, 4, 128)", lambda: nn.TransformerDecoderLayer(64, 4, 128), ["7x64", "10x64"]),
        (
            "TransformerEncoder(TransformerEncoderLayer(32, 2, 64), 3, norm=LayerNorm(32))",
            lambda: nn.TransformerEncoder(
                nn.TransformerEncoderLayer(32, 2, 64), 3, norm=nn.LayerNorm(32), enable_nested_tensor=False
            ),
            ["10x32"],
        ),
        (
            "TransformerDecoder(TransformerDecoderLayer(32, 2, 64), 2)",
            lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(32, 2, 64), 2),
            ["7x32", "10x32"],
        ),
        ("Transformer(64, 4, 2, 3, 128)", lambda: nn.Transformer(64, 4, 2, 3, 128), ["10x64", "7x64"]),
        (
            "Transformer(64, 4, 1, 1, 128, batch_first=True, bias=False)",
            lambda: nn.Transformer(64, 4, 1, 1, 128, batch_first=True, bias=False),
            ["10x64", "7x64"],
        ),
    ],
)
def test_transformer_family_matches_torch(text, build, shapes):
    module = build()
    answer = solve(text, *shapes)
    assert answer["total_params"] == netref.n_params(module)
    first = getattr(module, "batch_first", False) or "batch_first=True" in text
    xs = []
    for s in shapes:
        dims = [int(v) for v in s.split("x")]
        xs.append(torch.zeros((1, *dims) if first else (dims[0], 1, dims[1])))
    with torch.no_grad():
        out = module.eval()(*xs)
    expected = list(out.shape)
    del expected[0 if first else 1]
    assert answer["output_shape"] == expected


def test_transformer_macs_match_torch_and_torchinfo():
    module = nn.Transformer(64, 4, 2, 2, 128)
    src, tgt = torch.zeros(10, 1, 64), torch.zeros(7, 1, 64)
    answer = solve("Transformer(64, 4, 2, 2, 128)", "10x64", "7x64")
    assert answer["total_macs"] == sum(torch_flops(module, src, tgt).values())  # inside, attention runs fused
    stats, leaves = netref.torchinfo_leaves(module.train(), input_data=[src, tgt], device="cpu")
    assert answer["total_macs_torchinfo"] == stats.total_mult_adds
    rows = [r for r in answer["layers"] if r["type"] in ("Linear", "LayerNorm", "Dropout") and r["name"]]
    assert [r["macs_torchinfo"] for r in rows if r["type"] != "Dropout"] == [
        leaf.macs for leaf in leaves if leaf.class_name in ("Linear", "LayerNorm")
    ]


def test_sequence_models_and_their_batch_axis():
    lstm_code = """
import torch.nn as nn

class Tagger(nn.Module):
    def __init__(self, vocab=1000, dim=32, hidden=64, tags=9):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, tags)

    def forward(self, tokens):
        x = self.embed(tokens)
        x, (h, c) = self.lstm(x)
        return self.out(x[:, -1, :])
"""
    answer = code(lstm_code, "20")

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(1000, 32)
            self.lstm = nn.LSTM(32, 64, batch_first=True, bidirectional=True)
            self.out = nn.Linear(128, 9)

        def forward(self, tokens):
            x, _ = self.lstm(self.embed(tokens))
            return self.out(x[:, -1, :])

    model = Tagger()
    assert answer["total_params"] == netref.n_params(model)
    with torch.no_grad():
        assert answer["output_shape"] == list(model(torch.zeros(1, 20, dtype=torch.long)).shape[1:])
    seq_first = solve(["LSTM(8, 16)"], "5x8")
    assert "batch_axes" in net.solve(net.parse_spec({"layers": ["LSTM(8, 16)"], "input": "5x8"})).answer
    assert seq_first["output_shape"] == [5, 16]


# --- receptive fields through branches, against the gradient of one output ---------------------------------


def gradient_field(model, shape):
    """How many input positions (per axis) one central output position depends on, by autograd."""
    x = torch.zeros(1, *shape, requires_grad=True)
    for p in model.parameters():
        nn.init.constant_(p, 0.01)
    out = model(x)
    centre = tuple(s // 2 for s in out.shape[2:])
    out[(0, 0, *centre)].backward()
    support = x.grad[0].abs().sum(0) > 0
    return [int(support.any(dim=tuple(j for j in range(support.dim()) if j != i)).sum()) for i in range(support.dim())]


def test_receptive_field_of_a_residual_block_and_of_1d_maps():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(2, 2, 3, padding=1)
            self.b = nn.Conv2d(2, 2, 5, stride=2, padding=2)
            self.skip = nn.AvgPool2d(3, stride=2, padding=1)

        def forward(self, x):
            return self.b(self.a(x)) + self.skip(x)

    text = """
import torch.nn as nn
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(2, 2, 3, padding=1)
        self.b = nn.Conv2d(2, 2, 5, stride=2, padding=2)
        self.skip = nn.AvgPool2d(3, stride=2, padding=1)

    def forward(self, x):
        return self.b(self.a(x)) + self.skip(x)
"""
    answer = code(text, "2x33x33")
    add = [r for r in answer["layers"] if r["type"] == "add"][0]
    assert add["receptive_field"] == gradient_field(Block(), (2, 33, 33))
    model = nn.Sequential(nn.Conv1d(1, 1, 3), nn.AvgPool1d(2), nn.Conv1d(1, 1, 3, dilation=2))
    rows = solve(["Conv1d(1, 1, 3)", "AvgPool1d(2)", "Conv1d(1, 1, 3, dilation=2)"], "1x41")["layers"]
    assert rows[-1]["receptive_field"] == gradient_field(model, (1, 41))


def test_attention_and_recurrence_mark_no_receptive_field():
    rows = solve(["LSTM(4, 4)"], "6x4")["layers"]
    assert rows[0]["receptive_field"] is None


@pytest.mark.parametrize(
    "groups, channels, shape",
    [(1, 1, (1, 1, 1)), (2, 2, (2, 1, 1)), (4, 4, (4,)), (1, 1, (1, 2, 1)), (2, 4, (4, 1, 1))],
)
def test_groupnorm_over_single_values_is_refused_like_torch(groups, channels, shape):
    """torch's GroupNorm (eval mode too) refuses a group of one value; dlcalc must agree either way."""
    layer = nn.GroupNorm(groups, channels).eval()
    try:
        with torch.no_grad():
            layer(torch.zeros(1, *shape))
        torch_ok = True
    except ValueError:
        torch_ok = False
    text = f"GroupNorm({groups}, {channels})"
    if torch_ok:
        answer = net.solve(net.parse_spec({"layers": [text], "input": "x".join(map(str, shape))})).answer
        assert answer["output_shape"] == list(shape)
    else:
        with pytest.raises(DlcalcError, match="one value"):
            net.solve(net.parse_spec({"layers": [text], "input": "x".join(map(str, shape))}))


@pytest.mark.parametrize("layers, bidirectional", [(1, False), (1, True), (2, False), (3, True)])
def test_recurrent_parameter_formula_names_what_it_adds_up(cli, layers, bidirectional):
    """The formula line says Σ over layers and the D directions whenever the substitution uses them."""
    import torch

    layer = f"LSTM(6, 4, num_layers={layers}, bidirectional={bidirectional})"
    code, out, err = cli("net", "-i", "5x6", layer, "--json")
    assert code == 0, err
    data = json.loads(out)
    step = next(s for s in data["steps"] if "parameters of LSTM" in s["label"])
    formula = step["text"].split(" = ")[1]
    assert ("Σ_l" in formula) == (layers > 1) and ("D" in formula) == bidirectional, formula
    expected = sum(p.numel() for p in torch.nn.LSTM(6, 4, num_layers=layers, bidirectional=bidirectional).parameters())
    assert data["total_params"] == expected
