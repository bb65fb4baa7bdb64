"""net reads PyTorch module code (class Net(nn.Module)) without running it: the networks a student
writes are compared, layer by layer, with the same architectures built in torch here; code outside
the subset is refused with its line, and hostile code is never run."""

import json
import textwrap

import netref
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from dlcalc.errors import DlcalcError
from dlcalc.solvers import net

LAYER_TYPES = set(__import__("dlcalc.parse.layers", fromlist=["SIGNATURES"]).SIGNATURES)


def read(code, *inputs, cls=None, expand=False):
    fields = {"code": textwrap.dedent(code), "expand": expand}
    if inputs:
        fields["input"] = list(inputs) if len(inputs) > 1 else inputs[0]
    if cls is not None:
        fields["class"] = cls
    return net.solve(net.parse_spec(fields)).answer


def module_rows(answer):
    """dlcalc's rows for calls of layer modules (not F.relu and friends), in call order."""
    return [r for r in answer["layers"] if r["type"] in LAYER_TYPES and r["name"] is not None]


def assert_same_layers(answer, model, *inputs):
    model = model.to("meta")
    xs = [torch.zeros(1, *s, device="meta") for s in inputs]
    calls = netref.leaf_calls(model, *xs)
    rows = module_rows(answer)
    assert len(rows) == len(calls), ([r["name"] for r in rows], [c[0] for c in calls])
    seen = set()
    for row, (name, shape, params) in zip(rows, calls):
        assert row["output_shape"] == shape, (row["name"], name)
        expected = 0 if name in seen else params
        seen.add(name)
        assert row["params"] == expected, (row["name"], name)
    assert answer["total_params"] == netref.n_params(model)


RESNET18 = '''
import torch
import torch.nn as nn


def conv3x3(in_planes, out_planes, stride=1):
    """3x3 convolution with padding"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super(BasicBlock, self).__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = []
        layers.append(block(self.inplanes, planes, stride, downsample))
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = x.reshape(x.size(0), -1)
        x = self.fc(x)
        return x


def resnet18(**kwargs):
    return ResNet(BasicBlock, [2, 2, 2, 2], **kwargs)


if __name__ == "__main__":
    model = resnet18()
    x = torch.randn(1, 3, 224, 224)
    print(model(x).shape)
'''


def test_resnet18_as_written_in_a_course_matches_torch():
    answer = read(RESNET18)  # the input comes from the code's own model(torch.randn(1, 3, 224, 224))
    assert answer["total_params"] == 11689512
    assert answer["output_shape"] == [1000]
    assert_same_layers(answer, netref.resnet18(), (3, 224, 224))
    adds = [r for r in answer["layers"] if r["type"] == "add"]
    assert len(adds) == 8 and all(r["block"].startswith("layer") for r in adds)
    assert adds[2]["merge"] == "bn2 + downsample"  # layer2.0: the shortcut is the 1×1 projection
    assert adds[0]["merge"] == "bn2 + x"  # the identity


def test_resnet18_macs_match_torchinfo_and_fvcore():
    answer = read(RESNET18, "3x224x224")
    with torch.device("meta"):
        model = netref.resnet18()
    stats, leaves = netref.torchinfo_leaves(model, (1, 3, 224, 224), device="meta")
    rows = module_rows(answer)
    assert [r["macs_torchinfo"] for r in rows] == [leaf.macs for leaf in leaves]
    assert answer["total_macs_torchinfo"] == stats.total_mult_adds
    small = read(RESNET18, "3x64x64")
    assert small["total_macs"] == netref.fvcore_weight_macs(netref.resnet18(), torch.zeros(1, 3, 64, 64))


DENSE = """
import torch
from torch import nn
import torch.nn.functional as F


class DenseLayer(nn.Module):
    def __init__(self, in_channels, growth_rate, bn_size=4):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth_rate, kernel_size=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)

    def forward(self, features):
        x = torch.cat(features, 1)
        x = self.conv1(self.relu1(self.norm1(x)))
        return self.conv2(self.relu2(self.norm2(x)))


class DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers, in_channels, growth_rate, bn_size=4):
        super().__init__()
        for i in range(num_layers):
            self.add_module("denselayer%d" % (i + 1), DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size))

    def forward(self, init_features):
        features = [init_features]
        for name, layer in self.items():
            new_features = layer(features)
            features.append(new_features)
        return torch.cat(features, 1)


class Transition(nn.Sequential):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.add_module("norm", nn.BatchNorm2d(in_channels))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module("conv", nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False))
        self.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))


class SmallDenseNet(nn.Module):
    def __init__(self, growth_rate=12, block_config=(4, 4), num_init_features=24, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, num_init_features, kernel_size=3, padding=1, bias=False),
        )
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = DenseBlock(num_layers, num_features, growth_rate)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", Transition(num_features, num_features // 2))
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

    def forward(self, x):
        out = F.relu(self.features(x), inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        out = out.view(out.size(0), -1)
        return self.classifier(out)
"""


def test_dense_block_as_written_matches_torch():
    answer = read(DENSE, "3x32x32")

    class Ref(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 24, 3, padding=1, bias=False))
            self.features.add_module("denseblock1", netref._DenseBlock(4, 24, 12, 4))
            self.features.add_module("transition1", netref._Transition(72, 36))
            self.features.add_module("denseblock2", netref._DenseBlock(4, 36, 12, 4))
            self.features.add_module("norm5", nn.BatchNorm2d(84))
            self.classifier = nn.Linear(84, 10)

        def forward(self, x):
            x = F.adaptive_avg_pool2d(F.relu(self.features(x)), (1, 1))
            return self.classifier(torch.flatten(x, 1))

    assert_same_layers(answer, Ref(), (3, 32, 32))
    cats = [r for r in answer["layers"] if r["type"] == "cat"]
    # each dense layer concatenates all features so far: k0 + l·k channels
    assert [r["output_shape"][0] for r in cats if r["block"].startswith("features.denseblock1")] == [24, 36, 48, 60, 72]
    folded = answer["tree"]["children"][0]["children"]
    block = next(c for c in folded if c.get("name") == "features.denseblock1")
    assert block["merge"].endswith("dense: 24 + 4·12 = 72 channels")


INCEPTION = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Inception(nn.Module):
    """GoogLeNet's inception module as the paper draws it (5x5 branch)."""

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.b1 = nn.Conv2d(in_channels, ch1x1, kernel_size=1)
        self.b2_reduce = nn.Conv2d(in_channels, ch3x3red, kernel_size=1)
        self.b2 = nn.Conv2d(ch3x3red, ch3x3, kernel_size=3, padding=1)
        self.b3_reduce = nn.Conv2d(in_channels, ch5x5red, kernel_size=1)
        self.b3 = nn.Conv2d(ch5x5red, ch5x5, kernel_size=5, padding=2)
        self.b4 = nn.Conv2d(in_channels, pool_proj, kernel_size=1)

    def forward(self, x):
        y1 = F.relu(self.b1(x))
        y2 = F.relu(self.b2(F.relu(self.b2_reduce(x))))
        y3 = F.relu(self.b3(F.relu(self.b3_reduce(x))))
        y4 = F.relu(self.b4(F.max_pool2d(x, 3, stride=1, padding=1)))
        return torch.cat([y1, y2, y3, y4], dim=1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)

    def forward(self, x):
        return F.avg_pool2d(self.inception3b(self.inception3a(x)), 2)
'''


def test_inception_module_as_written_matches_torch():
    answer = read(INCEPTION, "192x28x28")

    class Branches(nn.Module):
        def __init__(self, cin, c1, c3r, c3, c5r, c5, pool):
            super().__init__()
            self.b1 = nn.Conv2d(cin, c1, 1)
            self.b2_reduce, self.b2 = nn.Conv2d(cin, c3r, 1), nn.Conv2d(c3r, c3, 3, padding=1)
            self.b3_reduce, self.b3 = nn.Conv2d(cin, c5r, 1), nn.Conv2d(c5r, c5, 5, padding=2)
            self.b4 = nn.Conv2d(cin, pool, 1)

        def forward(self, x):
            return torch.cat(
                [
                    self.b1(x),
                    self.b2(self.b2_reduce(x)),
                    self.b3(self.b3_reduce(x)),
                    self.b4(F.max_pool2d(x, 3, 1, 1)),
                ],
                1,
            )

    ref = nn.Sequential(Branches(192, 64, 96, 128, 16, 32, 32), Branches(256, 128, 128, 192, 32, 96, 64))
    assert answer["total_params"] == netref.n_params(ref)
    assert answer["output_shape"] == [480, 14, 14]
    cats = [r for r in answer["layers"] if r["type"] == "cat"]
    assert [r["output_shape"][0] for r in cats] == [256, 480]  # 64+128+32+32, 128+192+96+64
    assert cats[0]["merge"] == "cat(y1, y2, y3, y4; dim=1)"
    with torch.device("meta"):
        out = ref(torch.zeros(1, 192, 28, 28, device="meta"))
    assert answer["output_shape"] == [out.shape[1], 14, 14]


ENCODER = """
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        assert d_model % n_heads == 0
        self.h = n_heads
        self.d_k = d_model // n_heads
        self.q = nn.Linear(d_model, d_model)
        self.k = nn.Linear(d_model, d_model)
        self.v = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x):
        B, T, C = x.size()
        q = self.q(x).view(B, T, self.h, self.d_k).transpose(1, 2)
        k = self.k(x).view(B, T, self.h, self.d_k).transpose(1, 2)
        v = self.v(x).view(B, T, self.h, self.d_k).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)
        attn = F.softmax(scores, dim=-1)
        y = torch.matmul(attn, v).transpose(1, 2).contiguous().view(B, T, C)
        return self.out(y)


class EncoderLayer(nn.Module):
    def __init__(self, d_model=512, n_heads=8, d_ff=2048, dropout=0.1):
        super().__init__()
        self.attn = SelfAttention(d_model, n_heads)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model))
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        x = self.norm1(x + self.drop(self.attn(x)))
        x = self.norm2(x + self.drop(self.ff(x)))
        return x
"""


def test_transformer_encoder_layer_as_written_matches_torch():
    answer = read(ENCODER, "10x512")
    ref = nn.TransformerEncoderLayer(512, 8, 2048)  # the same arithmetic, torch's own module
    assert answer["total_params"] == netref.n_params(ref) == 3152384
    assert answer["output_shape"] == [10, 512]
    # QKᵀ and A·V: heads × T × T × d_k each, as torch counts them
    from torch.utils.flop_counter import FlopCounterMode

    q = torch.zeros(1, 8, 10, 64)
    with FlopCounterMode(display=False) as counter:
        torch.matmul(torch.matmul(q, q.transpose(-2, -1)), q)
    assert answer["total_macs_products"] == counter.get_total_flops() // 2
    # the weights: four projections and the feed-forward, T positions each
    with FlopCounterMode(display=False) as counter:
        ref.eval()(torch.zeros(10, 1, 512))
    assert answer["total_macs"] == counter.get_total_flops() // 2


def test_torch_transformer_encoder_layer_by_name_and_by_its_parts():
    answer = read(
        "model = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128)\nimport torch.nn as nn\n".replace(
            "model", "import torch.nn as nn\nmodel", 1
        ),
        "7x64",
    )
    ref = nn.TransformerEncoderLayer(64, 4, 128)
    assert answer["total_params"] == netref.n_params(ref)
    assert answer["output_shape"] == [7, 64]
    assert answer["batch_axes"] == [1]  # batch_first=False: the sequence comes first


FORMS = """
from collections import OrderedDict
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, stride=1, use_bn=True):
    layers = [nn.Conv2d(cin, cout, 3, stride, 1, bias=not use_bn)]
    if use_bn:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Head(nn.Module):
    def __init__(self, cin, classes, hidden=None):
        super().__init__()
        self.hidden = None if hidden is None else nn.Linear(cin, hidden)
        self.fc = nn.Linear(cin if hidden is None else hidden, classes)

    def forward(self, x):
        if self.hidden is not None:
            x = F.dropout(F.relu(self.hidden(x)), p=0.5, training=self.training)
        return self.fc(x)


class Net(nn.Module):
    def __init__(self, widths=(16, 32, 64), classes=10, use_bn=True):
        super().__init__()
        self.stem = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(3, widths[0], 3, padding=1)),
            ("relu", nn.ReLU()),
        ]))
        self.stages = nn.ModuleList()
        for cin, cout in zip(widths[:-1], widths[1:]):
            self.stages.append(conv_bn(cin, cout, stride=2, use_bn=use_bn))
        self.extra = nn.ModuleList([nn.Conv2d(widths[-1], widths[-1], 1) for _ in range(2)])
        self.head = Head(widths[-1] * 4 * 4, classes, hidden=128)

    def forward(self, x):
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        for i, layer in enumerate(self.extra):
            x = x + layer(x)
        x = F.avg_pool2d(x, 2)
        x = x.view(-1, 64 * 4 * 4)
        return self.head(x)
"""


def test_constructs_of_a_students_model():
    answer = read(FORMS, "3x32x32")

    ref_stages = [
        nn.Sequential(nn.Conv2d(16, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU()),
        nn.Sequential(nn.Conv2d(32, 64, 3, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()),
    ]
    ref = nn.ModuleList(
        [
            nn.Conv2d(3, 16, 3, padding=1),
            *ref_stages,
            nn.Conv2d(64, 64, 1),
            nn.Conv2d(64, 64, 1),
            nn.Linear(1024, 128),
            nn.Linear(128, 10),
        ]
    )
    assert answer["total_params"] == netref.n_params(ref)
    assert answer["output_shape"] == [10]
    shapes = {r["name"]: r["output_shape"] for r in module_rows(answer)}
    assert shapes["stem.conv"] == [16, 32, 32] and shapes["stages.1.0"] == [64, 8, 8] and shapes["head.fc"] == [10]
    assert [r["merge"] for r in answer["layers"] if r["type"] == "add"] == ["stages.1 + extra.0", "x + extra.1"]
    plain = read(FORMS, "3x32x32", cls="Net(use_bn=False)")
    assert plain["total_params"] == answer["total_params"] - 2 * (32 + 64) + (32 + 64)  # biases instead of γ, β


def test_the_network_is_the_class_no_other_uses():
    two = (
        INCEPTION
        + "\n\nclass Other(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n"
    )
    with pytest.raises(DlcalcError, match="several classes are used by no other: Net, Other"):
        read(two, "192x28x28")
    assert read(two, "4", cls="Other")["total_params"] == 10
    assert read(two, "192x28x28", cls="Inception(192, 64, 96, 128, 16, 32, 32)")["output_shape"] == [256, 28, 28]
    with pytest.raises(DlcalcError, match=r"Inception\(\) needs in_channels"):
        read(two, "192x28x28", cls="Inception")


def test_input_is_taken_from_the_codes_own_call():
    code = FORMS + "\nmodel = Net()\nout = model(torch.randn(4, 3, 32, 32))\nprint(out.shape)\n"
    answer = read(code)
    assert answer["input_shape"] == [3, 32, 32] and answer["output_shape"] == [10]


@pytest.mark.parametrize(
    "body, line, message",
    [
        ("x = 0\nwhile True:\n    x += 1\n", 2, "a while loop is not read"),
        ("import os\n", 1, "import of 'os' is not read"),
        ("from subprocess import run\n", 1, "import of 'subprocess' is not read"),
        ("f = lambda x: x\n", 1, "a lambda is not read"),
        ("exec('1')\n", 1, "'exec' is not allowed"),
        ("y = eval('1')\n", 1, "'eval' is not allowed"),
        ("m = __import__('os')\n", 1, "'__import__' is not allowed"),
        ("z = ().__class__.__bases__\n", 1, "is not allowed in model code"),
        ("z = getattr(nn, 'Conv2d')\n", 1, "'getattr' is not allowed"),
        ("def g():\n    yield 1\n", 2, "a yield (generator) is not read"),
        ("global q\n", 1, "a global statement is not read"),
        ("try:\n    pass\nexcept Exception:\n    pass\n", 1, "a try statement is not read"),
        ("for i in range(10 ** 9):\n    pass\n", 1, "a range of 1,000,000,000 items"),
        ("big = [0] * 10 ** 7\n", 1, "a list or string of 10,000,000 items"),
        ("n = 10 ** 100\n", 1, "exponent too large"),
        ("with open('x') as f:\n    pass\n", 1, "'open' is not allowed"),
    ],
)
def test_code_outside_the_subset_is_refused_with_its_line(body, line, message):
    code = (
        "import torch.nn as nn\n"
        + body
        + "\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n"
    )
    with pytest.raises(DlcalcError) as e:
        read(code, "2")
    assert e.value.message.startswith(f"line {line + 1}:"), e.value.message
    assert message in e.value.message


@pytest.mark.parametrize(
    "forward, message",
    [
        (
            "return x + self.conv(x)",
            "line 11: cannot add tensors of shapes 8×16×16 and 16×16×16: they do not broadcast",
        ),
        (
            "return torch.cat([x, self.pool(x)], dim=1)",
            "line 11: torch.cat(dim=1) needs equal sizes apart from dim 1: got 8×16×16, 8×8×8",
        ),
        (
            "if x.size(1) > 4:\n            return x\n        return x",
            "line 11: comparing tensors" if False else "line 11:",
        ),
        ("return x.view(x.size(0), 100)", "line 11: view(1, 100) has 100 elements but the tensor 1×8×16×16 has 2,048"),
        ("while x:\n            pass", "line 11: a while loop is not read"),
    ],
)
def test_mismatched_merges_and_views_name_both_shapes(forward, message):
    code = f"""
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        {forward}
"""
    code = code.replace("\n\n\nclass", "\nclass")
    if "x.size(1) > 4" in forward:
        assert read(code, "8x16x16")["output_shape"] == [8, 16, 16]  # sizes are known: decidable
        return
    with pytest.raises(DlcalcError) as e:
        read(code, "8x16x16")
    assert message in e.value.message, e.value.message


def test_recursion_between_classes_is_refused():
    code = """
import torch.nn as nn

class A(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = B()

class B(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = A()

model = A()
"""
    with pytest.raises(DlcalcError, match="recursion is not read"):
        read(code, "2")


def test_a_plain_list_of_modules_is_flagged():
    code = """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(4, 4), nn.Linear(4, 2)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
"""
    result = net.solve(net.parse_spec({"code": code, "input": "4"}))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(4, 4), nn.Linear(4, 2)]

    assert result.answer["total_params"] == netref.n_params(Net()) == 0
    assert any("plain Python list" in n.en for n in result.notes)


def test_module_assigned_before_super_init_is_refused_as_torch_does():
    code = "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        self.fc = nn.Linear(2, 2)\n        super().__init__()\n"
    with pytest.raises(DlcalcError, match=r"line 4: self.fc is assigned before super\(\).__init__\(\)"):
        read(code, "2")


# --- hostile code is refused and never run ----------------------------------------------------------------

ATTACKS = [
    "__import__('os').system('touch {canary}')",
    "open('{canary}', 'w').write('x')",
    "exec(\"open('{canary}', 'w')\")",
    "eval(\"open('{canary}', 'w')\")",
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]('touch {canary}', shell=True)",
    "(lambda: __import__('os').system('touch {canary}'))()",
    "getattr(__builtins__, 'open')('{canary}', 'w')",
    "nn.Module.__subclasses__()",
    "self.__dict__",
    "torch.load('{canary}')",
]
PLACES = {
    "module level": "{attack}\n"
    + "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n",
    "__init__": "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n        {attack}\n\n    def forward(self, x):\n        return self.fc(x)\n",
    "forward": "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n\n    def forward(self, x):\n        {attack}\n        return self.fc(x)\n",
    "unused method": "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n\n    def hack(self):\n        {attack}\n\n    def forward(self, x):\n        return self.fc(x)\n",
    "main block": "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n\nif __name__ == '__main__':\n    {attack}\n",
}


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("attack", ATTACKS)
def test_hostile_module_code_is_refused_and_never_run(attack, place, tmp_path, cli):
    canary = tmp_path / "CANARY"
    code = "import torch\nimport torch.nn as nn\n" + PLACES[place].format(attack=attack.format(canary=canary))
    path = tmp_path / "model.py"
    path.write_text(code, encoding="utf-8")
    exit_code, out, err = cli("net", "--file", str(path), "-i", "2")
    assert exit_code == 2 and out == "", (exit_code, err)
    assert err.startswith("dlcalc: error: line ") and err.count("\n") == 1, err
    assert not canary.exists()


def test_module_code_through_the_cli(cli, tmp_path):
    path = tmp_path / "resnet.py"
    path.write_text(RESNET18, encoding="utf-8")
    code, out, err = cli("net", "--file", str(path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["total_params"] == 11689512 and data["source"] == "code"
    code, out, err = cli(
        "net", "--file", str(path), "--class", "ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["total_params"] == netref.n_params(netref.ResNet(netref.BasicBlock, (1, 1, 1, 1), 10))
    code, out, err = cli("net", INCEPTION, "-i", "192x28x28")
    assert code == 0 and "Inception" in out, err


# --- any text: an answer, or one clear line ----------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FRAGMENTS = [
    "x = x + 1",
    "x = self.fc(x)",
    "x = torch.cat([x, x], dim={n})",
    "x = x.view({n}, -1)",
    "x = x.reshape(x.size(0), {n})",
    "x = F.relu(x)",
    "x = x[:, {n}]",
    "x = x.permute({n}, 0)",
    "x = x @ x",
    "x = len(x)",
    "x = range({big})",
    "x = int('9' * {n})",
    "x = [0] * {big}",
    "x = 'a' * {big}",
    "x = x.unsqueeze({n}).squeeze()",
    "x = torch.flatten(x, {n})",
    "for i in range({n}):\n            x = x + i",
    "if x:\n            x = x",
    "x = enumerate()",
    "x = max()",
    "x = sum(x)",
    "x = nn.Linear({n}, {n})(x)",
    "x = x.mean(dim={n})",
    "x = F.max_pool2d(x, {n})",
    "x = torch.zeros({n}, {n}) + x",
    "x = x.expand({n}, -1)",
    "x = self.missing",
    "x = {big} ** {n}",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4),
    st.integers(-3, 70),
    st.sampled_from([10, 10**6, 10**20, 10**200]),
)
def test_any_forward_answers_or_refuses_in_one_line(fragments, n, big):
    body = "\n        ".join(f.format(n=n, big=big) for f in fragments)
    code = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(8, 8)\n\n"
        f"    def forward(self, x):\n        {body}\n        return x\n"
    )
    try:
        read(code, "4x8")
    except DlcalcError as e:
        assert "\n" not in e.message and len(e.message) < 400
        assert "internal" not in e.message


def test_a_layer_given_a_tensor_built_in_the_code_is_refused_in_one_line():
    """Found by the property test above: `torch.zeros(…) + len(x)` is a tensor that does not come
    from the input; handing it to a layer was an AttributeError, not a refusal."""
    code = (
        "import torch\nimport torch.nn as nn\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(8, 8)\n\n"
        "    def forward(self, x):\n        x = len(x)\n        x = torch.zeros(0, 0) + x\n        x = self.fc(x)\n        return x\n"
    )
    with pytest.raises(DlcalcError) as e:
        read(code, "4x8")
    assert "\n" not in e.value.message and "internal" not in e.value.message
