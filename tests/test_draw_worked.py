"""Pictures of worked computations for whatever the solvers produce: random networks, sequences
and convolutions, solved by the solvers and drawn by `picture_of` (no CLI flags involved). Every
result either draws within 80 columns in both languages, or — for a convolution over a huge input
— draws a summary; nothing raises but the solver's own refusal of the input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from dlcalc.draw import picture
from dlcalc.draw.model import say
from dlcalc.errors import DlcalcError

LANGS = ("en", "zh")
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _solve(module, inputs):
    from importlib import import_module

    solver = import_module(f"dlcalc.solvers.{module}")
    return solver.solve(solver.parse_spec(inputs))


def _draws(result):
    from dlcalc.draw.worked import picture_of

    d = picture_of(result)
    for lang in LANGS:
        lines = picture(d, lang)
        assert all(cell_len(line) <= 80 for line in lines)
    return d


values = st.integers(-9, 9).map(lambda v: v / 4)


@st.composite
def networks(draw):
    sizes = draw(st.lists(st.integers(1, 7), min_size=2, max_size=6))
    acts = draw(st.lists(st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "linear"]),
                         min_size=len(sizes) - 1, max_size=len(sizes) - 1))  # fmt: skip
    last = draw(st.sampled_from(["same", "softmax"]))
    if last == "softmax":
        acts[-1] = "softmax"
    layers = [
        {"weights": [[draw(values) for _ in range(a)] for _ in range(b)], "bias": draw(values), "activation": act}
        for a, b, act in zip(sizes, sizes[1:], acts)
    ]
    loss = "cross_entropy" if last == "softmax" else draw(st.sampled_from(["half_sse", "mse"]))
    target = [draw(values) for _ in range(sizes[-1])]
    if loss == "cross_entropy":
        target = [1 if i == 0 else 0 for i in range(sizes[-1])]
    return {"input": [draw(values) for _ in range(sizes[0])], "target": target, "layers": layers, "loss": loss}


@FAST
@given(networks())
def test_every_backprop_network_draws(spec):
    result = _solve("backprop", spec)
    d = _draws(result)
    sizes = [len(spec["input"])] + [len(layer["weights"]) for layer in spec["layers"]]
    labels = "\n".join(say(n.label, "en") for n in d.nodes)
    assert "x₁" in labels and "o₁" in labels  # the first input and the first output are always there
    for layer, size in enumerate(sizes):
        if size > 4 and any(n.id == f"n{layer}-0" for n in d.nodes):
            assert any(n.id == f"more{layer}" for n in d.nodes)  # a wide layer says how many are not shown


@st.composite
def sequences(draw, kind):
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    inp, hidden, steps = draw(st.integers(1, 3)), draw(st.integers(1, 9)), draw(st.integers(1, 9))

    def matrix(rows, cols):
        return "; ".join(", ".join(str(draw(values)) for _ in range(cols)) for _ in range(rows))

    return {
        "x": matrix(steps, inp),
        "weight_ih": matrix(gates * hidden, inp),
        "weight_hh": matrix(gates * hidden, hidden),
        "bias_ih": matrix(1, gates * hidden),
        "bias_hh": matrix(1, gates * hidden),
    }


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_every_recurrent_sequence_draws(kind):
    @FAST
    @given(sequences(kind))
    def check(spec):
        result = _solve(kind, spec)
        d = _draws(result)
        assert sum(1 for n in d.nodes if n.id.startswith("t")) == len(result.answer["h"])

    check()


@FAST
@given(
    size=st.integers(1, 300),
    kernel=st.integers(1, 11),
    stride=st.integers(1, 5),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
)
def test_every_convolution_draws(size, kernel, stride, padding, dilation):
    try:
        result = _solve("conv", {"input": f"3x{size}x{size}", "kernel": kernel, "stride": stride,
                                 "padding": padding, "dilation": dilation})  # fmt: skip
    except DlcalcError:
        return  # the solver refuses it (as torch does)
    d = _draws(result)
    out = result.answer["output_shape"]
    assert f"→ {'×'.join(map(str, out))}" in "\n".join(say(n.label, "en") for n in d.nodes)


# --- branches and merges -------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "build", "block"), [("resnet18", "resnet18", "BasicBlock"),
                                                       ("googlenet", "GoogLeNet", "Inception")])  # fmt: skip
def test_net_picture_draws_each_block_with_torchs_shape_and_parameters(model, build, block):
    """Every block of a zoo network is one box with the output shape and parameter count torch
    gives that block (forward hooks on a reference model built in torch here), and a block that
    adds a shortcut has the loop beside it."""
    torch = pytest.importorskip("torch")
    import netref

    from dlcalc.draw.worked import _count

    reference = getattr(netref, build)()
    reference.eval()
    shapes = {}
    for name, module in reference.named_modules():
        if type(module).__name__ == block:
            module.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, list(o.shape[1:])))
    with torch.no_grad():
        reference(torch.zeros(1, 3, 224, 224))
    d = _draws(_solve("net", {"model": model}))
    boxes = {say(n.label, "en").split("\n")[0].split(" ")[0]: n for n in d.nodes if n.shape == "box"}
    modules = dict(reference.named_modules())
    for name, shape in shapes.items():
        short = name if len(name) <= 16 else name.split(".")[-1]
        node = boxes[short]
        params = sum(p.numel() for p in modules[name].parameters())
        assert say(node.label, "en").split("\n")[1] == "×".join(map(str, shape)) + f" · {_count(params)} p"
        loops = [e for e in d.edges if e.src == e.dst == node.id]
        assert len(loops) == (block == "BasicBlock")


def test_a_conv_output_beside_a_wide_input_keeps_its_caption_inside():
    """Found by the property test above: a 16-column input left room for a 2-column output grid
    but not for its caption."""
    d = _draws(_solve("conv", {"input": "12x12", "kernel": 3, "stride": 5, "padding": 2, "dilation": 3}))
    assert "output 2×2" in "\n".join(say(n.label, "en") for n in d.nodes)
