"""Scaled dot-product attention, written out, with an optional causal mask and several heads.

    Q = X W_Q, K = X W_K, V = X W_V          (rows are tokens; or Q, K, V given directly)
    scores = Q Kᵀ / √d_k                      (d_k: the key width, per head)
    causal mask: scores[i][j] = -∞ for j > i  (a decoder position sees only itself and earlier ones)
    weights = softmax of each row;  output = weights · V
With L_q ≠ L_k queries and keys the causal mask is aligned top-left, as torch's
scaled_dot_product_attention(is_causal=True) builds it (ones(L, S).tril(0)): query i sees keys
1..i. (A decoder reading a KV cache aligns it bottom-right instead: torch's causal_lower_right.)
Multi-head: the projected Q, K, V are split into h column blocks of width d_k = d_model/h, each
head attends on its own, the heads are concatenated and multiplied by W_O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlcalc import mathfmt as m
from dlcalc.declare import Input, Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import only_keys, parse_bool, parse_int, parse_matrix
from dlcalc.result import Result, Step, Table
from dlcalc.solvers.stable import softmax
from dlcalc.text import T, Text

FIELDS = {"Q", "K", "V", "X", "W_Q", "W_K", "W_V", "W_O", "mask", "heads", "causal"}
DIGITS = 6
Matrix = list[list[float]]


@dataclass(frozen=True)
class AttentionSpec:
    q: tuple[tuple[float, ...], ...]
    k: tuple[tuple[float, ...], ...]
    v: tuple[tuple[float, ...], ...]
    causal: bool = False
    heads: int = 1
    w_o: tuple[tuple[float, ...], ...] | None = None
    x: tuple[tuple[float, ...], ...] | None = None
    w_q: Any = None
    w_k: Any = None
    w_v: Any = None


def _mat(value: Any, what: str) -> Matrix:
    return [[float(v) for v in row] for row in parse_matrix(value, what)]


def matmul(a: Matrix, b: Matrix) -> Matrix:
    return [[sum(x * y for x, y in zip(row, col)) for col in zip(*b)] for row in a]


def transpose(a: Matrix) -> Matrix:
    return [list(c) for c in zip(*a)]


SOLVER = Solver(
    name="attention",
    help=T(
        "Scaled dot-product attention worked out: QKᵀ, ÷√d_k, mask, softmax by row, weighted sum of V.",
        "缩放点积注意力的完整计算：QKᵀ、÷√d_k、掩码、按行 softmax、对 V 加权求和。",
    ),
    example="dlcalc attention -f attention.yaml --causal --check",
    inputs=(
        Input(
            "mask",
            help=T("The decoder's mask: no token sees a later one.", "解码器掩码：每个词元看不到其后的词元。"),
            flag="--causal",
            switch=True,
            on="causal",
        ),
        Input(
            "heads", help=T("Number of heads (then W_O is needed).", "头数（此时需要 W_O）。"), default=1, metavar="N"
        ),
    ),
    fields=("Q", "K", "V", "X", "W_Q", "W_K", "W_V", "W_O", "causal"),
    file=True,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> AttentionSpec:
    only_keys(inputs, FIELDS, "attention")
    causal, heads = _mask_and_heads(inputs)
    x = w_q = w_k = w_v = None
    if inputs.get("X") is not None:
        x, (w_q, w_k, w_v) = _tokens_and_projections(inputs)
        q, k, v = matmul(x, w_q), matmul(x, w_k), matmul(x, w_v)
    else:
        q, k, v = _given_qkv(inputs)
    _check_widths(q, k, v, heads)
    w_o = _output_projection(inputs, v, heads)
    t = lambda a: None if a is None else tuple(map(tuple, a))  # noqa: E731
    return AttentionSpec(
        tuple(map(tuple, q)),
        tuple(map(tuple, k)),
        tuple(map(tuple, v)),
        causal,
        heads,
        t(w_o),
        t(x),
        t(w_q),
        t(w_k),
        t(w_v),
    )


def _mask_and_heads(inputs: Mapping[str, Any]) -> tuple[bool, int]:
    mask = str(inputs.get("mask") or "none").strip().lower()
    if mask not in ("none", "causal"):
        raise DlcalcError(f"mask: expected causal or none, got {inputs.get('mask')!r}")
    causal = mask == "causal" or parse_bool(inputs.get("causal", False), "causal")
    heads = parse_int(inputs.get("heads", 1), "heads")
    if heads < 1:
        raise DlcalcError(f"heads: must be at least 1, got {heads}")
    return causal, heads


def _tokens_and_projections(inputs: Mapping[str, Any]) -> tuple[Matrix, list[Matrix]]:
    """X and the three projections W_Q, W_K, W_V, each with as many rows as X is wide."""
    x = _mat(inputs["X"], "X")
    d_model = len(x[0])
    ws = []
    for name in ("W_Q", "W_K", "W_V"):
        if inputs.get(name) is None:
            raise DlcalcError(f"{name}: missing (with X give W_Q, W_K and W_V, each {d_model}×d)")
        w = _mat(inputs[name], name)
        if len(w) != d_model:
            raise DlcalcError(f"{name}: expected {d_model} rows (the width of X), got {len(w)}")
        ws.append(w)
    return x, ws


def _given_qkv(inputs: Mapping[str, Any]) -> tuple[Matrix, Matrix, Matrix]:
    for name in ("Q", "K", "V"):
        if inputs.get(name) is None:
            raise DlcalcError(f"{name}: missing (give Q, K and V, or X with W_Q, W_K, W_V)")
    return _mat(inputs["Q"], "Q"), _mat(inputs["K"], "K"), _mat(inputs["V"], "V")


def _check_widths(q: Matrix, k: Matrix, v: Matrix, heads: int) -> None:
    if len(q[0]) != len(k[0]):
        raise DlcalcError(f"K: keys are {len(k[0])} wide but queries are {len(q[0])}; QKᵀ needs the same width")
    if len(k) != len(v):
        raise DlcalcError(f"V: {len(v)} value rows for {len(k)} keys")
    for name, mat in (("Q", q), ("V", v)):
        if len(mat[0]) % heads:
            raise DlcalcError(f"heads: {heads} heads do not divide the width {len(mat[0])} of {name}")


def _output_projection(inputs: Mapping[str, Any], v: Matrix, heads: int) -> Matrix | None:
    if inputs.get("W_O") is not None:
        w_o = _mat(inputs["W_O"], "W_O")
        if len(w_o) != len(v[0]):
            raise DlcalcError(f"W_O: expected {len(v[0])} rows (the concatenated heads), got {len(w_o)}")
        return w_o
    if heads > 1:
        raise DlcalcError("W_O: several heads need the output projection W_O")
    return None


def _show(a: Matrix) -> m.Math:
    return m.matrix(a, DIGITS)


def _worked_product(a: Matrix, b: Matrix) -> m.Math:
    """a·b with every entry written as its sum of products: [[1·1 + 0·3, …], …]."""
    return m.matrix(
        [[m.total([m.num(x, DIGITS) * m.num(y, DIGITS) for x, y in zip(row, col)]) for col in zip(*b)] for row in a]
    )


def _row_exps(scaled: Matrix) -> Matrix:
    out = []
    for row in scaled:
        top = max(row)
        out.append([0.0 if v == -math.inf else math.exp(v - top) for v in row])
    return out


def _worked_softmax(scaled: Matrix) -> tuple[m.Math, m.Math]:
    """Each row's e^(s - max s) and each entry divided by its row's sum (masked entries are 0)."""
    exps, ratios = [], []
    for row in scaled:
        top = max(row)
        e = [0.0 if v == -math.inf else math.exp(v - top) for v in row]
        total = math.fsum(e)
        exps.append([m.sym("e") ** m.num(v - top, DIGITS) if v != -math.inf else m.num(0) for v in row])
        ratios.append([m.frac(m.num(x, DIGITS), m.num(total, DIGITS)) if x else m.num(0) for x in e])
    return m.matrix(exps), m.matrix(ratios)


def attend(q: Matrix, k: Matrix, v: Matrix, causal: bool) -> tuple[Matrix, Matrix, Matrix, Matrix]:
    """(QKᵀ, scaled and masked scores, weights, output); the causal mask keeps key j for query i
    when j ≤ i, aligned top-left whatever the numbers of queries and keys (torch's is_causal)."""
    d_k = len(k[0])
    raw = matmul(q, transpose(k))
    scaled = [[s / math.sqrt(d_k) for s in row] for row in raw]
    if causal:
        scaled = [[s if j <= i else -math.inf for j, s in enumerate(row)] for i, row in enumerate(scaled)]
    weights = [softmax(row) for row in scaled]
    return raw, scaled, weights, matmul(weights, v)


# --- the formulas, built once ------------------------------------------------------------------

QK_T = m.juxt("Q", m.transpose("K"))
E_IJ, S_IJ = m.sym("E_ij"), m.sym("s_ij")


def solve(spec: AttentionSpec) -> Result:
    q, k, v = [list(r) for r in spec.q], [list(r) for r in spec.k], [list(r) for r in spec.v]
    steps = _projection_steps(spec, q, k, v) if spec.x is not None else []
    h = spec.heads
    dq, dv = len(q[0]) // h, len(v[0]) // h
    head_outputs, all_weights = [], []
    for i in range(h):
        sl_q = [r[i * dq : (i + 1) * dq] for r in q]
        sl_k = [r[i * dq : (i + 1) * dq] for r in k]
        sl_v = [r[i * dv : (i + 1) * dv] for r in v]
        raw, scaled, weights, out = attend(sl_q, sl_k, sl_v, spec.causal)
        tag = T("", "") if h == 1 else T("head {i}: ", "第 {i} 个头：").format(i=i + 1)
        steps.append(_scores(tag, sl_q, sl_k, raw))
        steps.append(_scale(tag, raw, dq))
        if spec.causal:
            steps.append(_mask(tag, scaled))
        steps.append(_exponentials(tag, scaled, spec.causal))
        steps.append(_row_softmax(tag, scaled, weights))
        steps.append(_weighted_sum(tag, weights, sl_v, out))
        head_outputs.append(out)
        all_weights.append(weights)
    output = [sum((ho[r] for ho in head_outputs), []) for r in range(len(q))]
    if spec.w_o is not None:
        concat, output = output, matmul(output, [list(r) for r in spec.w_o])
        steps.append(_concat_and_project(concat, [list(r) for r in spec.w_o], output))
    answer = {
        "weights": all_weights[0] if h == 1 else all_weights,
        "output": output,
        "heads": h,
        "d_k": dq,
        "causal": spec.causal,
    }
    return Result(
        "attention",
        T("Scaled dot-product attention", "缩放点积注意力"),
        answer,
        _summary(spec, len(q), len(k), dq, output),
        steps,
        [_weights_table(all_weights[0], len(k), h)],
        _notes(spec, len(q), len(k)),
        spec=spec,
    )


def _projection_steps(spec: AttentionSpec, q: Matrix, k: Matrix, v: Matrix) -> list[Step]:
    """Q = X·W_Q, K = X·W_K, V = X·W_V, each entry a worked dot product."""
    assert spec.x is not None
    x = [list(r) for r in spec.x]
    return [
        Step(
            T("Project the tokens", "对词向量做投影"),
            m.sym(name),
            m.dedupe(
                [
                    m.sym("X") * m.sym(f"W_{name}"),
                    _worked_product(x, [list(r) for r in getattr(spec, f"w_{name.lower()}")]),
                    _show(mat),
                ]
            ),
        )
        for name, mat in (("Q", q), ("K", k), ("V", v))
    ]


def _scores(tag: Text, q: Matrix, k: Matrix, raw: Matrix) -> Step:
    return Step(
        tag + T("scores", "相似度得分"),
        QK_T,
        m.dedupe([_worked_product(q, transpose(k)), _show(raw)]),
        T("row i: the query of token i against every key", "第 i 行：第 i 个词的查询与每个键的点积"),
    )


def _scale(tag: Text, raw: Matrix, d_k: int) -> Step:
    return Step(
        tag + T("scale by √d_k", "除以 √d_k"),
        m.rel("S", "=", QK_T / m.sqrt(m.sym("d_k"))),
        [
            QK_T / m.sqrt(d_k),
            m.matrix([[m.num(s, DIGITS) / m.sqrt(d_k) for s in row] for row in raw]),
            _show([[s / math.sqrt(d_k) for s in row] for row in raw]),
        ],
        T("keeps the softmax out of its flat region as d_k grows", "防止 d_k 较大时 softmax 进入饱和区"),
    )


def _mask(tag: Text, scaled: Matrix) -> Step:
    return Step(
        tag + T("causal mask", "因果掩码"),
        m.sym("S_masked"),
        [_show(scaled)],
        T(
            "entries with key j after query i (j > i) set to -∞: a token cannot see later ones",
            "键 j 在查询 i 之后（j > i）的位置置为 -∞：不能看到后面的词",
        ),
    )


def _exponentials(tag: Text, scaled: Matrix, causal: bool) -> Step:
    exps, _ = _worked_softmax(scaled)
    return Step(
        tag + T("exponentials, each row shifted by its largest score", "取指数（每行先减去该行最大得分）"),
        m.rel(E_IJ, "=", m.sym("e") ** (S_IJ - m.apply("max", S_IJ, under="j"))),
        m.dedupe([exps, _show(_row_exps(scaled))]),
        T("masked entries give e^(-∞) = 0", "被掩码的位置 e^(-∞) = 0") if causal else None,
    )


def _row_softmax(tag: Text, scaled: Matrix, weights: Matrix) -> Step:
    _, ratios = _worked_softmax(scaled)
    return Step(
        tag + T("softmax of each row", "按行 softmax"),
        m.sym("A"),
        [E_IJ / m.sum_over(E_IJ, "j"), ratios, _show(weights)],
        T("each row sums to 1", "每行之和为 1"),
    )


def _weighted_sum(tag: Text, weights: Matrix, v: Matrix, out: Matrix) -> Step:
    return Step(
        tag + T("weighted sum of the values", "对值加权求和"),
        m.sym("A") * m.sym("V"),
        m.dedupe([_worked_product(weights, v), _show(out)]),
    )


def _concat_and_project(concat: Matrix, w_o: Matrix, output: Matrix) -> Step:
    return Step(
        T("concatenate the heads and project", "拼接各头并投影"),
        m.word("Concat") * m.sym("W_O"),
        m.dedupe([_worked_product(concat, w_o), _show(output)]),
    )


def _weights_table(weights: Matrix, keys: int, heads: int) -> Table:
    return Table(
        [T("query", "查询")] + [T(f"key {j + 1}", f"键 {j + 1}") for j in range(keys)],
        [[str(i + 1), *[m.fmt_number(w, DIGITS) for w in row]] for i, row in enumerate(weights)],
        T(
            "Attention weights" + ("" if heads == 1 else " (head 1)"),
            "注意力权重" + ("" if heads == 1 else "（第 1 个头）"),
        ),
    )


def _summary(spec: AttentionSpec, queries: int, keys: int, d_k: int, output: Matrix) -> list[tuple[Text, Text | str]]:
    shape = T(
        "{qs} × {ks}, d_k = {d}, {hs}",
        "{q} 个查询 × {k} 个键，d_k = {d}，{h} 个头",
    ).format(
        qs=m.plural(queries, "query", "queries"), ks=m.plural(keys, "key"), hs=m.plural(spec.heads, "head"),
        q=queries, k=keys, d=d_k, h=spec.heads,
    )  # fmt: skip
    if spec.causal:
        shape = shape + T(", causal mask", "，因果掩码")
    return [(T("Shape", "形状"), shape), (T("Output", "输出"), _show(output).text)]


def _notes(spec: AttentionSpec, queries: int, keys: int) -> list[Text]:
    if not spec.causal or queries == keys:
        return []
    return [
        T(
            "{q} queries, {k} keys: the causal mask is aligned top-left, as torch's "
            "scaled_dot_product_attention(is_causal=True) aligns it (query i sees keys 1..i); "
            "a decoder reading a KV cache aligns it bottom-right instead (torch's causal_lower_right)",
            "{q} 个查询、{k} 个键：因果掩码左上对齐，与 torch 的 scaled_dot_product_attention(is_causal=True) "
            "一致（查询 i 看到键 1..i）；使用 KV 缓存的解码器则右下对齐（torch 的 causal_lower_right）",
        ).format(q=queries, k=keys)
    ]
