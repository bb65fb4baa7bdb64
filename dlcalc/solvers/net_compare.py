"""`dlcalc net --compare NAME`: the classic exam comparisons, side by side and derived.

    inception-5x5           a 5×5 conv from 192 to 32 channels on a 28×28 map, without and with a
                            1×1 reduction to 16 channels first (GoogLeNet's saving)
    residual-blocks         a basic residual block (two 3×3 convs) against a bottleneck block
                            (1×1 → 3×3 → 1×1) on a 256×56×56 map
    resnet50-densenet121    the two zoo networks
    A,B[,C…]                any zoo networks (`resnet18,resnet34`)

Each side is worked out by the `net` solver (so every figure is the one `dlcalc net` gives for it);
the comparison adds the ratios and, for the layer-sized questions, the multiply-adds written out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.errors import DlcalcError
from dlcalc.models.blocks import BLOCKS
from dlcalc.result import Result, Step, Table
from dlcalc.text import T, Text

FIELDS = {"compare"}


@dataclass(frozen=True)
class Side:
    label: str
    inputs: dict[str, Any]


@dataclass(frozen=True)
class CompareSpec:
    name: str
    title: Text
    sides: tuple[Side, ...]
    question: Text


NAMED: dict[str, tuple[Text, Text, list[Side]]] = {
    "inception-5x5": (
        T("5×5 convolution with and without a 1×1 reduction (GoogLeNet)", "5×5 卷积加与不加 1×1 降维（GoogLeNet）"),
        T(
            "a 28×28×192 map goes through 32 filters of 5×5 (padding 2); how many multiply-adds and parameters, "
            "directly and with 16 filters of 1×1 first?",
            "28×28×192 的特征图经过 32 个 5×5 卷积核（填充 2）；直接计算与先用 16 个 1×1 卷积降维，各需多少乘加与参数？",
        ),
        [
            Side("5×5 directly", {"input": "192x28x28", "layers": ["Conv2d(192, 32, 5, padding=2)", "ReLU()"]}),
            Side(
                "1×1 to 16, then 5×5",
                {
                    "input": "192x28x28",
                    "layers": ["Conv2d(192, 16, 1)", "ReLU()", "Conv2d(16, 32, 5, padding=2)", "ReLU()"],
                },
            ),
        ],
    ),
    "residual-blocks": (
        T("Basic residual block vs bottleneck block (ResNet)", "基本残差块与瓶颈块（ResNet）"),
        T(
            "on a 256×56×56 map: two 3×3 convs of 256 channels with the identity shortcut, against 1×1 to 64, "
            "3×3 at 64 and 1×1 back to 256",
            "在 256×56×56 的特征图上：两个 256 通道 3×3 卷积加恒等捷径，对比 1×1 降到 64、64 通道 3×3、1×1 回到 256",
        ),
        [
            Side("basic (3×3, 3×3)", {"input": "256x56x56", "code": BLOCKS, "class": "BasicBlock(256)"}),
            Side("bottleneck (1×1, 3×3, 1×1)", {"input": "256x56x56", "code": BLOCKS, "class": "Bottleneck(256, 64)"}),
        ],
    ),
    "resnet50-densenet121": (
        T("ResNet-50 vs DenseNet-121", "ResNet-50 与 DenseNet-121"),
        T(
            "parameters and multiply-adds of the two networks on a 3×224×224 image",
            "两个网络在 3×224×224 图像上的参数量与乘加次数",
        ),
        [Side("resnet50", {"model": "resnet50"}), Side("densenet121", {"model": "densenet121"})],
    ),
}


def parse_spec(inputs: Mapping[str, Any]) -> CompareSpec:
    from dlcalc.parse import only_keys

    only_keys(inputs, FIELDS, "net --compare")
    value = inputs.get("compare")
    if not isinstance(value, str) or not value.strip():
        raise DlcalcError(f"--compare: expected one of {', '.join(NAMED)} or zoo models A,B")
    name = value.strip().lower()
    if name in NAMED:
        title, question, sides = NAMED[name]
        return CompareSpec(name, title, tuple(sides), question)
    if name == "list":
        return CompareSpec("list", T("Comparisons", "对比"), (), T("", ""))
    from dlcalc.models import model_names

    parts = [p.strip() for p in name.split(",") if p.strip()]
    known = model_names()
    if len(parts) < 2 or any(p not in known for p in parts):
        short = value if len(value) <= 40 else value[:39] + "…"
        raise DlcalcError(
            f"--compare: {short!r} is neither a named comparison ({', '.join(NAMED)}) nor two or more zoo "
            "models separated by commas (see dlcalc net --list-models)"
        )
    if len(parts) > 6:
        raise DlcalcError("--compare: at most 6 networks side by side")
    zoo_sides = tuple(Side(p, {"model": p}) for p in parts)
    title = Text(" vs ".join(parts), " 与 ".join(parts))
    return CompareSpec(name, title, zoo_sides, T("", ""))


def solve(spec: CompareSpec) -> Result:
    if spec.name == "list":
        return _listing()
    from dlcalc.solvers import net

    results = [net.solve(net.parse_spec(side.inputs)) for side in spec.sides]
    answers = [r.answer for r in results]
    steps: list[Step] = []
    for side, result in zip(spec.sides, results):
        if "model" not in side.inputs:
            steps += _side_steps(side, result)
    if len(answers) == 2:
        steps += _ratio_steps(spec, answers[0], answers[1])
    return Result(
        kind="net-compare",
        title=spec.title,
        answer=_answer(spec, answers),
        summary=_summary(spec, answers),
        steps=steps,
        tables=[_side_by_side(spec, answers)],
        notes=[
            T(
                "each side is worked out by dlcalc net (MACs: weight multiply-adds of conv and linear layers); FLOPs = 2 × MACs",
                "每一侧都由 dlcalc net 计算（乘加：卷积层与全连接层的权重乘加）；FLOPs = 2 × MACs",
            )
        ],
        spec=spec,
    )


_TABLE_KEYS = [
    ("output_shape", T("output shape", "输出形状")),
    ("total_params", T("parameters", "参数量")),
    ("total_macs", T("MACs (weights)", "乘加（权重）")),
    ("total_macs_torchinfo", T("MACs (torchinfo 1.8)", "乘加（torchinfo 1.8）")),
]


def _side_by_side(spec: CompareSpec, answers: list[dict[str, Any]]) -> Table:
    """One row a quantity, one column a side (and the ratio of two)."""
    columns = [T("quantity", "项目")] + [Text(s.label, s.label) for s in spec.sides]
    if len(spec.sides) == 2:
        columns.append(T("ratio (2nd / 1st)", "比值（后 / 前）"))
    rows: list[list[Text | str]] = []
    for key, label in _TABLE_KEYS:
        values = [a[key] for a in answers]
        cells: list[Text | str] = [label] + ["×".join(map(str, v)) if isinstance(v, list) else f"{v:,}" for v in values]
        if len(values) == 2:
            cells.append(_ratio(values[1], values[0]) if isinstance(values[0], int) else "")
        rows.append(cells)
    return Table(columns=columns, rows=rows)


def _ratio_steps(spec: CompareSpec, first: dict[str, Any], second: dict[str, Any]) -> list[Step]:
    """Two sides: how many times the multiply-adds and the parameters of the second the first needs."""
    steps: list[Step] = []
    for key, label in (("total_macs", T("multiply-adds", "乘加次数")), ("total_params", T("parameters", "参数量"))):
        a, b = first[key], second[key]
        if a and b:
            steps.append(
                Step(
                    label + T(": ratio", "：比值"),
                    None,
                    [m.rel(m.frac(a, b), "=", m.num(round(a / b, 2)))],
                    T("{first} needs {r}× the {what} of {second}", "{first} 的{what}是 {second} 的 {r} 倍").format(
                        first=spec.sides[0].label, second=spec.sides[1].label, r=f"{a / b:.2f}", what=label.en
                    ),
                )
            )
    return steps


def _summary(spec: CompareSpec, answers: list[dict[str, Any]]) -> list[tuple[Text, Text | str]]:
    summary: list[tuple[Text, Text | str]] = []
    if spec.question.en:
        summary.append((T("Question", "问题"), spec.question))
    for side, a in zip(spec.sides, answers):
        summary.append(
            (
                Text(side.label, side.label),
                T("{p:,} parameters, {mac:,} MACs", "{p:,} 个参数，{mac:,} 次乘加").format(
                    p=a["total_params"], mac=a["total_macs"]
                ),
            )
        )
    return summary


def _answer(spec: CompareSpec, answers: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("output_shape", "total_params", "total_macs", "total_macs_torchinfo")
    return {
        "comparison": spec.name,
        "networks": [{"label": side.label, **{k: a[k] for k in keys}} for side, a in zip(spec.sides, answers)],
    }


def _ratio(a: int, b: int) -> str:
    if not b:
        return "—"
    return f"{a / b:.3g}×"


def _side_steps(side: Side, result: Result) -> list[Step]:
    """Each conv's parameters and multiply-adds written out (layer-sized comparisons)."""
    out: list[Step] = []
    head = Text(f"{side.label}: ", f"{side.label}：")
    macs_terms = []
    for row in result.answer["layers"]:
        if row["type"] in ("Conv2d", "Linear") and row["macs"]:
            row = dict(row, name=row["name"] if result.answer["source"] != "layers" else row["layer"])
            shape = row["output_shape"]
            per = row["macs"] // max(1, _prod(shape))
            macs_terms.append((row, shape, per))
    for row, shape, per in macs_terms:
        out.append(
            Step(
                head + Text(f"{row['name'] or row['layer']}: MACs", f"{row['name'] or row['layer']}：乘加"),
                m.sym("MACs"),
                [
                    m.sym("F·H_out·W_out·(K·K·C/groups)" if row["type"] == "Conv2d" else "n_out·n_in"),
                    _dot(*shape, per),
                    m.num(row["macs"]),
                ],
                T("each output value costs K·K·C/groups multiply-adds", "每个输出值需要 K·K·C/groups 次乘加"),
            )
        )
    for s in result.steps:
        if "arameters" in s.label.en:
            out.append(Step(head + s.label, s.lhs, s.chain, s.note, s.joiner))
    if len(macs_terms) > 1:
        out.append(
            Step(
                head + T("total multiply-adds", "乘加总数"),
                m.sym("MACs"),
                [m.total([m.num(r["macs"]) for r, _, _ in macs_terms]), m.num(result.answer["total_macs"])],
            )
        )
    return out


def _prod(values: list[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _dot(*factors: int) -> Any:
    out = m.num(factors[0])
    for f in factors[1:]:
        out = out * f
    return out


def _listing() -> Result:
    rows: list[list[Text | str]] = [[name, title] for name, (title, _, _) in NAMED.items()]
    rows.append(
        [
            "A,B",
            T(
                "any zoo networks side by side (dlcalc net --list-models)",
                "任意几个经典网络并列（dlcalc net --list-models）",
            ),
        ]
    )
    return Result(
        kind="net-compare",
        title=T("Comparisons", "对比"),
        answer={"comparisons": list(NAMED)},
        summary=[(T("Use", "用法"), "dlcalc net --compare NAME")],
        tables=[Table(columns=[T("name", "名称"), T("what", "内容")], rows=rows)],
    )
