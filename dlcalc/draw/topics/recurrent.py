"""Recurrent cells: a simple RNN unrolled in time, the LSTM cell, the GRU cell."""

from __future__ import annotations

from dlcalc.draw.model import Diagram, Sketch
from dlcalc.text import T


def lstm() -> Diagram:
    s = Sketch("lstm", T("LSTM cell", "LSTM 单元"), 80, 21)
    # the cell state runs along the top; the four gates read [hₜ₋₁, xₜ] from the bus below
    s.text(0, 1, "cₜ₋₁", key="c_prev")
    s.text(77, 1, "cₜ", key="c")
    s.op("forget", 17, 1, "×")
    s.op("add", 38, 1, "+")
    s.path((5, 1), (17, 1), arrow="end", line="heavy", dst="forget")
    s.path((19, 1), (38, 1), arrow="end", line="heavy", src="forget", dst="add")
    s.path((40, 1), (75, 1), arrow="end", line="heavy", src="add")
    s.text(
        12,
        0,
        T(
            "cell state (long-term memory): additive path, gradient × fₜ only",
            "细胞状态（长时记忆）：加法通路，梯度只乘 fₜ",
        ),
    )
    gates = [
        ("f", 12, T("forget gate", "遗忘门"), "σ → fₜ", "gate"),
        ("i", 26, T("input gate", "输入门"), "σ → iₜ", "gate"),
        ("g", 40, T("candidate", "候选值"), "tanh → Ĉₜ", "act"),
        ("o", 54, T("output gate", "输出门"), "σ → oₜ", "gate"),
    ]
    for key, x, name, formula, kind in gates:
        s.box(key, x, 10, 13, name + T("\n" + formula, "\n" + formula), h=4, kind=kind)
    s.link("f", "forget", into="bottom")
    s.op("write", 38, 6, "×")
    s.link("i", "write", into="left")
    s.link("g", "write", into="right")
    s.link("write", "add", into="bottom")
    s.box("tanh", 63, 3, 8, "tanh", kind="act")
    s.path((66, 1), (66, 3), dst="tanh")
    s.op("expose", 65, 7, "×")
    s.link("tanh", "expose", into="top")
    s.link("o", "expose", into="left")
    s.path((67, 7), (71, 7), (71, 16), (75, 16), src="expose")
    s.text(77, 16, "hₜ", key="h")
    # the bus: [hₜ₋₁, xₜ] feeds every gate
    s.text(0, 16, "hₜ₋₁", key="h_prev")
    s.path((5, 16), (60, 16), arrow="none")
    s.text(9, 19, "xₜ", key="x")
    s.path((10, 18), (10, 16), arrow="none")
    for x in (18, 32, 46, 60):
        s.path((x, 16), (x, 13))
    s.text(14, 17, T("[hₜ₋₁, xₜ]: short-term memory and input", "[hₜ₋₁, xₜ]：短时记忆与当前输入"))

    s.part("c", T("cell state cₜ", "细胞状态 cₜ"), term="cell-state")
    s.part("f", T("forget gate fₜ", "遗忘门 fₜ"), term="forget-gate")
    s.part("i", T("input gate iₜ", "输入门 iₜ"), term="input-gate")
    s.part(
        "g",
        T("candidate Ĉₜ", "候选值 Ĉₜ"),
        T("Here Ĉₜ = tanh(W_C·[hₜ₋₁, xₜ] + b_C).", "本图 Ĉₜ = tanh(W_C·[hₜ₋₁, xₜ] + b_C)。"),
        term="candidate-state",
    )
    s.part("o", T("output gate oₜ", "输出门 oₜ"), term="output-gate")
    s.part(
        "h",
        T("hidden state hₜ", "隐藏状态 hₜ"),
        T("In an LSTM the short-term memory, hₜ = oₜ ⊙ tanh(cₜ).", "在 LSTM 中是短时记忆，hₜ = oₜ ⊙ tanh(cₜ)。"),
        term="hidden-state",
    )
    s.note(T("(×) is the element-wise product ⊙; σ (0 to 1) opens and closes a gate, tanh (−1 to 1) scales content. "
             "torch names the candidate gₜ.",
             "(×) 为逐元素相乘 ⊙；σ（0 到 1）表示门的开合，tanh（−1 到 1）调节数值。torch 把候选值记作 gₜ。"))  # fmt: skip
    return s.build()


def rnn() -> Diagram:
    s = Sketch("rnn", T("Recurrent neural network, unrolled in time", "循环神经网络（按时间展开）"), 80, 17)
    # folded: one cell feeding its own state back
    s.box("cell", 3, 5, 10, "tanh", kind="act")
    s.path((12, 6), (16, 6), (16, 3), (10, 3), (10, 5), src="cell", dst="cell")
    s.text(17, 4, "W_hh", kind="caption")
    s.text(7, 0, "yₜ")
    s.path((7, 5), (7, 1), src="cell")
    s.text(2, 2, "W_hy", kind="caption")
    s.text(7, 11, "xₜ")
    s.path((7, 10), (7, 7), dst="cell")
    s.text(2, 9, "W_xh", kind="caption")
    s.text(21, 6, "=")
    # unrolled: the same cell at every step
    s.text(24, 6, "h₀")
    xs = (29, 45, 61)
    for t, x in enumerate(xs, 1):
        s.box(f"t{t}", x, 5, 10, "tanh", kind="act")
        s.text(x + 4, 0, f"y{'₁₂₃'[t - 1]}")
        s.path((x + 4, 5), (x + 4, 1), src=f"t{t}")
        s.text(x + 4, 11, f"x{'₁₂₃'[t - 1]}")
        s.path((x + 4, 10), (x + 4, 7), dst=f"t{t}")
    s.path((27, 6), (29, 6), dst="t1")
    s.link("t1", "t2")
    s.link("t2", "t3")
    s.text(41, 5, "h₁", kind="tag")
    s.text(57, 5, "h₂", kind="tag")
    s.path((70, 6), (75, 6), src="t3")
    s.text(77, 6, "h₃")
    s.path((71, 13), (27, 13), line="dashed")
    s.text(29, 14, T("BPTT: the error flows back through every step", "BPTT：误差沿时间逐步反向传播"), kind="caption")
    s.text(0, 16, "hₜ = tanh(W_xh·xₜ + W_hh·hₜ₋₁ + b),   yₜ = W_hy·hₜ")
    s.part("x", T("input xₜ", "输入 xₜ"), T("The t-th element of the sequence (a word vector, a frame).",
                                           "序列的第 t 个元素（如一个词向量）。"))  # fmt: skip
    s.part(
        "h",
        T("hidden state hₜ", "隐藏状态 hₜ"),
        T(
            "Here hₜ = tanh(W_xh·xₜ + W_hh·hₜ₋₁ + b); h₀ is usually 0.",
            "本图 hₜ = tanh(W_xh·xₜ + W_hh·hₜ₋₁ + b)，h₀ 通常为 0。",
        ),
        term="hidden-state",
    )
    s.part(
        "W",
        T("W_xh, W_hh, W_hy", "W_xh, W_hh, W_hy"),
        T(
            "Input, recurrent and output weights — the same at every step (shared in time).",
            "输入、循环与输出权重，在每个时刻都相同（参数在时间上共享）。",
        ),
    )
    s.part(
        "y",
        T("output yₜ", "输出 yₜ"),
        T(
            "yₜ = W_hy·hₜ (+ softmax for classes), at every step or only the last.",
            "yₜ = W_hy·hₜ（分类时再加 softmax），可以每步输出，也可以只在最后输出。",
        ),
    )
    s.part("bptt", T("BPTT", "BPTT"), term="bptt")
    return s.build()


def gru() -> Diagram:
    s = Sketch("gru", T("GRU cell", "GRU 单元"), 80, 21)
    # the state line along the top: keep (1 − zₜ) of the old state, add zₜ of the candidate
    s.text(0, 1, "hₜ₋₁")
    s.op("keep", 62, 1, "×")
    s.op("add", 70, 1, "+")
    s.path((5, 1), (62, 1), line="heavy", dst="keep")
    s.path((64, 1), (70, 1), line="heavy", src="keep", dst="add")
    s.path((72, 1), (76, 1), line="heavy", src="add")
    s.text(78, 1, "hₜ")
    s.text(9, 0, T("hidden state: (1 − zₜ) of the old plus zₜ of the new", "隐藏状态：旧状态留 (1 − zₜ)，新内容取 zₜ"))
    # the bus [hₜ₋₁, xₜ] and the gates
    s.path((6, 1), (6, 17), arrow="none")
    s.text(9, 20, "xₜ")
    s.path((10, 19), (10, 17), arrow="none")
    s.path((6, 17), (58, 17), arrow="none")
    s.box("z", 12, 11, 13, T("update gate\nσ → zₜ", "更新门\nσ → zₜ"), h=4, kind="gate")
    s.box("r", 30, 11, 13, T("reset gate\nσ → rₜ", "重置门\nσ → rₜ"), h=4, kind="gate")
    s.box("n", 51, 11, 14, T("candidate\ntanh → ĥₜ", "候选状态\ntanh → ĥₜ"), h=4, kind="act")
    for x in (18, 36, 58):
        s.path((x, 17), (x, 14))
    # rₜ ⊙ hₜ₋₁ goes into the candidate
    s.op("reset", 35, 8, "×")
    s.link("r", "reset", into="bottom")
    s.path((27, 17), (27, 8), (35, 8), dst="reset")
    s.path((37, 8), (47, 8), (47, 12), (51, 12), src="reset", dst="n")
    s.text(39, 7, "rₜ⊙hₜ₋₁", kind="tag")
    # zₜ and 1 − zₜ
    s.op("one", 62, 4, "1−")
    s.path((18, 11), (18, 4), (62, 4), dst="one")
    s.link("one", "keep", into="bottom")
    s.op("new", 70, 6, "×")
    s.path((56, 4), (56, 6), (70, 6), dst="new")
    s.path((64, 12), (71, 12), (71, 6), src="n", dst="new")
    s.link("new", "add", into="bottom")
    s.text(21, 3, "zₜ", kind="tag")
    s.text(12, 18, T("[hₜ₋₁, xₜ]", "[hₜ₋₁, xₜ]"), kind="caption")
    s.part("z", T("update gate zₜ", "更新门 zₜ"), term="update-gate")
    s.part("r", T("reset gate rₜ", "重置门 rₜ"), term="reset-gate")
    s.part(
        "n",
        T("candidate ĥₜ", "候选状态 ĥₜ"),
        T("Here ĥₜ = tanh(W·[rₜ ⊙ hₜ₋₁, xₜ]).", "本图 ĥₜ = tanh(W·[rₜ ⊙ hₜ₋₁, xₜ])。"),
        term="candidate-state",
    )
    s.part(
        "h",
        T("hidden state hₜ", "隐藏状态 hₜ"),
        T(
            "The GRU's only memory (no separate cell state); the (1 − zₜ) path is "
            "additive, like the LSTM's cell state.",
            "GRU 唯一的记忆（没有单独的细胞状态）；(1 − zₜ) 这条通路是加法形式，与 LSTM 的细胞状态相似。",
        ),
        term="hidden-state",
    )
    s.note(T("GRU vs LSTM: 2 gates instead of 3 and no cell state, so fewer parameters and faster steps; "
             "LSTM's separate long-term memory can suit long, complex sequences better. "
             "torch's nn.GRU swaps the roles: hₜ = (1 − zₜ) ⊙ ĥₜ + zₜ ⊙ hₜ₋₁ (dlcalc gru --set convention=…).",
             "GRU 与 LSTM：两个门而不是三个，没有细胞状态，参数更少、计算更快；LSTM 单独维护长时记忆，更适合长而复杂的序列。"
             "torch 的 nn.GRU 中 z 的作用相反：hₜ = (1 − zₜ) ⊙ ĥₜ + zₜ ⊙ hₜ₋₁（见 dlcalc gru --set convention=…）。"))  # fmt: skip
    return s.build()
