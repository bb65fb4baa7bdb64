"""The short caption of each glossary term a diagram labels — one source for both commands.

`dlcalc draw` puts a term's caption in the legend (a diagram may add a sentence about its own
numbers after it), and `dlcalc explain TERM` shows the same text in its "In a diagram" row with
the topics that draw it. Keys are glossary ids (problems/glossary*.yaml); the tests check that
every key is one, that each diagram part naming a glossary term uses its caption, and that the
topics listed here are exactly those that draw the term. Importing this module is cheap: it
needs only `dlcalc.text`.
"""

from __future__ import annotations

from dlcalc.text import T, Text

# glossary id → (topics of `dlcalc draw` that label it, caption)
CAPTIONS: dict[str, tuple[tuple[str, ...], Text]] = {
    # --- neurons ---------------------------------------------------------------------------------
    "dendrite": (("neuron",), T(
        "Branches that receive signals from other neurons and carry them to the cell body.",
        "接收其他神经元传来的信号，并传给细胞体。")),
    "synapse": (("neuron",), T(
        "Junctions between an axon terminal and the next neuron's dendrite; excitatory or inhibitory, and their "
        "strength changes as the brain learns.",
        "一个神经元的轴突末梢与下一个神经元树突之间的连接，分兴奋型和抑制型，强度随学习而改变。")),
    "soma": (("neuron",), T(
        "Adds up the incoming signals: excitatory input raises the membrane potential, inhibitory input lowers it; "
        "past a threshold the neuron fires.",
        "对传入信号求和：兴奋型输入使膜电位升高，抑制型使其降低；膜电位超过阈值时神经元放电。")),
    "axon": (("neuron",), T(
        "Carries the output impulse away from the cell body; the myelin sheath around it speeds the signal up.",
        "把细胞体产生的输出冲动传出去；外面包裹的髓鞘使传导更快。")),
    "weight": (("perceptron",), T(
        "How strongly each input counts, learned from data.",
        "每个输入的重要程度，由训练学到。")),
    "activation-function": (("perceptron",), T(
        "Turns the weighted sum z into the output: step or sgn in the M-P model and Rosenblatt's perceptron; "
        "sigmoid, tanh, ReLU in networks trained by gradient descent (they are differentiable).",
        "把加权和 z 变成输出：M-P 模型与 Rosenblatt 感知机用阶跃函数或符号函数；用梯度下降训练的网络用 sigmoid、tanh、"
        "ReLU（可导）。")),
    "hidden-layer": (("mlp",), T(
        "Every unit takes every input: h = f(Wx + b), f non-linear (sigmoid, tanh, ReLU) — without it the layers "
        "would collapse into one linear map.",
        "每个单元接收全部输入：h = f(Wx + b)，f 为非线性激活函数（sigmoid、tanh、ReLU）——否则多层叠加仍是线性映射。")),
    # --- convolution and pooling -----------------------------------------------------------------
    "feature-map": (("conv",), T(
        "H × W values per channel: what a layer takes in and gives out, one map per channel.",
        "每个通道 H × W 个值：一层的输入与输出，每个通道一张。")),
    "padding": (("conv",), T(
        "P rings of zeros around the input: the border is seen as often as the centre, and P = (K − 1)/2 with "
        "stride 1 keeps the size.",
        "在输入四周补 P 圈 0：边缘也能被充分卷积；步长为 1 时取 P = (K − 1)/2 可保持尺寸不变。")),
    "kernel": (("conv",), T(
        "The weights, shared by every position of the window (weight sharing) and looking at a small patch only "
        "(local receptive field). One kernel per output channel; with C input channels it is C×K×K, so the layer "
        "has (C·K·K + 1)·C_out parameters.",
        "卷积核即权重，窗口在所有位置共用同一组权重（权值共享），每次只看一个小区域（局部感知）。"
        "每个输出通道一个卷积核；输入有 C 个通道时卷积核为 C×K×K，该层参数量为 (C·K·K + 1)·C_out。")),
    "stride": (("conv",), T(
        "How far the window moves each step; rows or columns a window cannot reach are dropped (the floor in the "
        "formula).",
        "窗口每次移动的距离；窗口够不到的行列被舍弃（公式中的向下取整）。")),
    "max-pooling": (("pool",), T(
        "Keeps the strongest response in each window; the gradient flows back only to that position.",
        "保留每个窗口中最强的响应；反向传播时梯度只传回最大值所在的位置。")),
    "average-pooling": (("pool",), T(
        "Keeps the mean of each window; the gradient is shared equally among its K·K inputs.",
        "保留每个窗口的平均值；梯度平均分给窗口内的 K·K 个输入。")),
    "residual-connection": (("resnet-densenet",), T(
        "x skips the layers and is added back (+, same shape; a 1×1 conv matches the shape when it changes). The "
        "gradient flows through the + unchanged, so very deep nets still train; coarse and fine features merge.",
        "x 跳过这几层直接加到输出上（+ 要求形状相同，形状变化时用 1×1 卷积匹配）。梯度经过 + 原样回传，"
        "所以很深的网络也能训练；同时融合了粗糙与精细的特征。")),
    "transition-layer": (("resnet-densenet",), T(
        "Between dense blocks: 1×1 conv (fewer channels) and 2×2 average pooling (smaller maps).",
        "稠密块之间：1×1 卷积减少通道，2×2 平均池化缩小特征图。")),
    "one-by-one-convolution": (("inception",), T(
        "A 1×1 conv mixes the channels at each position without looking at its neighbours: a cheap way to change "
        "the number of channels, e.g. to cut them before a 3×3 or 5×5 conv.",
        "1×1 卷积在每个位置上混合各通道，不看相邻位置：以很小的代价改变通道数，例如在 3×3、5×5 卷积之前先减少通道。")),
    # --- recurrent networks ----------------------------------------------------------------------
    "hidden-state": (("rnn", "lstm", "gru"), T(
        "The network's memory of the sequence so far: computed from the input and the previous state, carried to "
        "the next step and passed on as the output.",
        "网络对目前为止序列的记忆：由当前输入和上一时刻的状态算出，传给下一时刻，也作为输出。")),
    "bptt": (("rnn",), T(
        "Backpropagation through time: ∂E/∂hₖ is a product of W_hh·tanh′ over the steps between, which vanishes "
        "(or explodes) over long sequences — what LSTM and GRU fix.",
        "随时间反向传播：∂E/∂hₖ 是中间各步 W_hh·tanh′ 的连乘，序列长时会消失（或爆炸），LSTM 与 GRU 正是为此设计。")),
    "cell-state": (("lstm",), T(
        "The LSTM's long-term memory, updated by addition: cₜ = fₜ ⊙ cₜ₋₁ + iₜ ⊙ Ĉₜ. Along this path "
        "∂cₜ/∂cₜ₋₁ = fₜ — no weight matrix, no tanh′ — so the gradient through many steps is a product of gates "
        "near 1 instead of shrinking every step: this eases vanishing gradients.",
        "LSTM 的长时记忆，用加法更新：cₜ = fₜ ⊙ cₜ₋₁ + iₜ ⊙ Ĉₜ。沿这条通路 ∂cₜ/∂cₜ₋₁ = fₜ，没有权重矩阵、也没有 tanh′，"
        "多步之后梯度是一串接近 1 的门值之积，不会每步都缩小：这缓解了梯度消失。")),
    "forget-gate": (("lstm",), T(
        "fₜ = σ(W_f·[hₜ₋₁, xₜ] + b_f) ∈ (0, 1): how much of the old cell state to keep (0 forget, 1 keep).",
        "fₜ = σ(W_f·[hₜ₋₁, xₜ] + b_f) ∈ (0, 1)：决定保留多少旧的细胞状态（0 全部遗忘，1 全部保留）。")),
    "input-gate": (("lstm",), T(
        "iₜ = σ(W_i·[hₜ₋₁, xₜ] + b_i): how much of the candidate to write into the cell.",
        "iₜ = σ(W_i·[hₜ₋₁, xₜ] + b_i)：决定把多少候选值写入细胞状态。")),
    "output-gate": (("lstm",), T(
        "oₜ = σ(W_o·[hₜ₋₁, xₜ] + b_o): how much of the cell to show as hₜ = oₜ ⊙ tanh(cₜ).",
        "oₜ = σ(W_o·[hₜ₋₁, xₜ] + b_o)：决定输出多少细胞状态，hₜ = oₜ ⊙ tanh(cₜ)。")),
    "candidate-state": (("lstm", "gru"), T(
        "The new content a step proposes, squashed by tanh into (−1, 1); the gates decide how much of it enters "
        "the state.",
        "本步提议的新内容，经 tanh 压到 (−1, 1)；由门决定其中多少进入状态。")),
    "update-gate": (("gru",), T(
        "zₜ = σ(W_z·[hₜ₋₁, xₜ]): how much of the state to renew — it plays both the forget and the input gate: "
        "hₜ = (1 − zₜ) ⊙ hₜ₋₁ + zₜ ⊙ ĥₜ, so the more new content comes in, the less old is kept.",
        "zₜ = σ(W_z·[hₜ₋₁, xₜ])：决定更新多少状态，兼任 LSTM 的遗忘门和输入门：hₜ = (1 − zₜ) ⊙ hₜ₋₁ + zₜ ⊙ ĥₜ，"
        "加入的新内容越多，保留的旧信息就越少。")),
    "reset-gate": (("gru",), T(
        "rₜ = σ(W_r·[hₜ₋₁, xₜ]): how much of the old state the candidate may see (0 = start afresh).",
        "rₜ = σ(W_r·[hₜ₋₁, xₜ])：决定候选状态能看到多少旧状态（0 表示重新开始）。")),
    # --- attention and transformers --------------------------------------------------------------
    "positional-encoding": (("transformer",), T(
        "Attention alone ignores word order, so a position vector (sines and cosines of different frequencies) is "
        "added to each embedding.",
        "注意力本身不区分词序（QKV 的乘法只是排列组合），所以要把位置向量（不同频率的正弦、余弦）加到每个词嵌入上。")),
    "multi-head-attention": (("transformer", "attention"), T(
        "h heads, each with its own projections of Q, K and V, can attend to different kinds of relation; their "
        "outputs are concatenated and mixed by Wᴼ.",
        "h 个头各有自己的 Q、K、V 投影矩阵，可以关注不同类型的关系；各头的输出拼接后再乘 Wᴼ。")),
    "mask": (("transformer", "attention"), T(
        "Sets chosen scores to −∞ before the softmax (future positions in the decoder, padding) so their weight "
        "becomes 0.",
        "在 softmax 之前把指定位置的得分置为 −∞（解码器中的未来位置、补齐的位置），使其权重为 0。")),
    "cross-attention": (("transformer",), T(
        "Q from the decoder, K and V from the encoder's output: each output word looks at the whole input sentence.",
        "Q 来自解码器，K、V 来自编码器的输出：每个输出词都能关注整个输入句子。")),
    "qkv": (("attention",), T(
        "Queries, keys and values: each word's vector times W^Q, W^K, W^V. A query is matched against every key; "
        "the values are what gets mixed.",
        "查询、键、值：每个词的向量分别乘 W^Q、W^K、W^V。用查询与所有键计算匹配度，值是被加权混合的内容。")),
    "scaled-dot-product-attention": (("attention",), T(
        "Dot products measure how well each query matches each key; dividing by √d_k keeps them from growing with "
        "the dimension, which would push the softmax into saturation.",
        "点积衡量每个查询与每个键的匹配程度；除以 √d_k 防止数值随维度增大，使 softmax 进入饱和区。")),
    "softmax": (("attention",), T(
        "Turns scores into weights that are positive and sum to 1: exp(sᵢ)/Σⱼ exp(sⱼ).",
        "把一组得分变成为正且和为 1 的权重：exp(sᵢ)/Σⱼ exp(sⱼ)。")),
}  # fmt: skip


def caption(term: str, more: Text | None = None) -> Text:
    """The term's caption, then (if given) what a diagram adds about its own picture."""
    text = CAPTIONS[term][1]
    if more is None:
        return text
    return T(f"{text.en} {more.en}", f"{text.zh}{more.zh}")


def drawn_in(term: str) -> tuple[tuple[str, ...], Text] | None:
    """The topics that draw the term and its caption, or None."""
    return CAPTIONS.get(term)
