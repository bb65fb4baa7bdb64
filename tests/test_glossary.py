"""The course glossary: coverage of the course's own terms, lookup, validation, `dlcalc explain`, drills.

Coverage: `extract_course_terms` reads the course material (glossary-a/b/c.txt, the section
headings of course-review-notes.txt, and hand-picked terms the notes define in running text) and
the result is committed as tests/data/course_terms.txt, because CI has only the repository. Every
line of that file must find a glossary entry; where the course folder is present, the extraction
is re-run and must equal the committed file. `python tests/test_glossary.py` rewrites the file.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "course_terms.txt"
COURSE = Path(os.environ.get("DLCALC_COURSE", "/work/shared/course"))
needs_course = pytest.mark.skipif(
    not (COURSE / "glossary-a.txt").is_file(), reason="the course material is not on this machine (CI)"
)


# ---------------------------------------------------------------------------------------------
# Extracting the course's terms


def names(raw: str) -> list[str]:
    """The names one glossary heading gives: 'A(B)' → A, B; 'A:B' → A, B; 'A/B', 'A or B', 'A & B'
    → A, B (a shared last word distributes: 'L1 & L2 Regularization' → L1 Regularization, L2
    Regularization); a trailing ':' and an empty '()' are dropped; a lone symbol (σ, ∇) is a name."""
    raw = raw.strip().rstrip(":：").strip().replace("()", "")
    out: list[str] = []
    for part in re.split(r"[:：]", raw):
        inner = re.findall(r"[(（]([^()（）]+)[)）]", part)
        outer = re.sub(r"\s*[(（][^()（）]*[)）]\s*", " ", part).strip()
        for piece in [outer, *inner]:
            pieces = [p for p in re.split(r"\s*(?:/|\bor\b|&)\s*", piece) if p]
            if len(pieces) > 1 and len(pieces[-1].split()) > 1:
                tail = " ".join(pieces[-1].split()[1:])
                pieces = [p if len(p.split()) > 1 else f"{p} {tail}" for p in pieces]
            for name in pieces:
                words = name.split()
                symbols = [w for w in words if len(w) == 1 and not w.isascii()]
                rest = " ".join(w for w in words if w not in symbols)
                out += [x for x in [rest, *symbols] if x]
    return out


def glossary_a(text: str) -> list[str]:
    """A term is a line of at most 30 characters without sentence punctuation (。，,)."""
    lines = [s for line in text.splitlines() if (s := line.strip())]
    return [n for s in lines if len(s) <= 30 and not re.search(r"[。，,]", s) for n in names(s)]


def glossary_b(text: str) -> list[str]:
    """As glossary-a; lines with '=' (a formula) or ending in ':' (a definition's lead-in) are not terms."""
    lines = [s for line in text.splitlines() if (s := line.strip())]
    return [
        n
        for s in lines
        if len(s) <= 30 and not re.search(r"[。，,=]", s) and not s.endswith((":", "："))
        for n in names(s)
    ]


# glossary-c.txt ends in bullet paragraphs on the field's history; the terms they name, by hand
# (each is checked to occur in the bullets).
GLOSSARY_C_BULLETS = [
    "dropout",
    "噪声注入",
    "注意力机制",
    "存储器网络",
    "神经编程器-解释器",
    "生成对抗网络",
    "鉴别器",
    "随机梯度下降",
    "小批量",
    "强化学习",
    "深度学习框架",
    "TensorFlow",
    "PyTorch",
]


def glossary_c(text: str) -> list[str]:
    """'X:…' lines give X (and the items when the rest is a list split by 、 or ;); short lines
    without punctuation are headings (split at 、); English names in parentheses after a Chinese
    term, as in 维数(dimensionality), count too; then the hand-picked bullet terms."""
    terms: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("•") or re.match(r"\d+\.", s):
            continue
        m = re.match(r"([^:：\s]{1,10})[:：](.*)", s)
        if m:
            terms.append(m.group(1))
            rest = m.group(2)
            if not re.search(r"[。，,]", rest) and re.search(r"[、;；]", rest):
                terms += [x for x in re.split(r"[、;；]", rest) if x]
        elif len(s) <= 15 and not re.search(r"[。，,“]", s):
            terms += [x for x in s.split("、") if x]
    for inner in re.findall(r"[(（]([A-Za-z][A-Za-z ，,或]*)[)）]", text):
        terms += [x.strip() for x in re.split(r"[，,]\s*或?", inner) if x.strip()]
    bullets = "\n".join(line for line in text.splitlines() if line.strip().startswith("•"))
    for term in GLOSSARY_C_BULLETS:
        assert term in bullets, f"glossary-c bullets no longer mention {term!r}"
    return terms + GLOSSARY_C_BULLETS


# course-review-notes.txt is one line; its section headings, in order. Each is a run of whole
# space-separated tokens of the file, and every short word-like token of the file is either part
# of a heading or listed in NOT_HEADINGS (test_review_headings_are_complete).
REVIEW_HEADINGS = [
    "导论", "机器学习导论", "有监督学习", "无监督学习", "生物神经网络", "ANN特点", "ANN领域面临的挑战",
    "感知机", "激活函数", "Sigmoid", "Tanh", "Relu", "训练优化", "梯度下降", "batch_size", "梯度下降优化器",
    "反向传播", "CNN", "特征图大小", "AlexNet", "googlenet", "ResNet", "Densnet", "RNN", "BPTT", "LSTM",
    "GRU", "运算过程", "seq2seq", "attention", "Transformer", "Encoder", "Decoder", "bert", "VIT", "考题",
    "三种学习方法有导师学习、无导师学习和增强学习有什么不同", "有导师学习Supervised Learning",
    "无导师学习Unsupervised Learning", "增强学习Reinforcement Learning", "计算题", "优化器种类",
    "反向传播例题", "卷积核计算", "AlexNet卷积核计算", "RNN计算",
]  # fmt: skip
NOT_HEADINGS = {
    # sentence openings and fragments
    "神经网络的研究方法分为", "此为24年秋研究生课程复习笔记", "对应对生物神经网络", "在结构建模分为",
    "比起sigmoid实现了0对称", "而右图的leaky", "模型的最后一层使用", "使用", "激活函数为tahn域值为",
    "需要实现n", "m的转换", "输入门计算计算", "首先根据输入乘权重得到每个单词的qkv",
    "利用类似残差结构有效的防止梯度消失的问题", "目标函数一般用的是", "对sigmoid激活函数求偏导得到",
    "对目标函数求偏导很容易就是", "经过", "然后经过", "再来个", "再经过", "得到", "使用参数为",
    "同时通道数为卷积核数25即得到特征图", "padding为0stride为1", "只考虑前向",
    # English words inside sentences (Neural Architecture Search, Artificial General Intelligence,
    # I love you, vision transformer, First/Second layer …)
    "Architecture", "General", "love", "vision", "First", "Second", "layer", "filterstride", "poolingstride",
    "Softmax", "学习率", "小批量梯度下降SGD",
    # formula pieces and sizes
    "featuremap_size", "image_size", "kernel_size", "padsize", "stride", "Input227x227x3", "11x11", "3x3",
}  # fmt: skip

# Terms the review notes define in running text rather than under a heading (each must occur).
REVIEW_TERMS = [
    "连接主义", "符号主义", "行为主义", "回归问题", "逻辑回归", "SVM", "朴素贝叶斯", "kmeans", "聚类",
    "PCA", "树突", "细胞体", "轴突", "突触", "前馈型", "反馈型", "竞争学习网络", "超参数", "NAS", "过拟合",
    "欠拟合", "泛化", "迁移学习", "AGI", "M-P模型", "异或", "正则项", "Rosenblatt感知机", "学习率", "鞍点",
    "随机梯度下降", "批量梯度下降", "小批量梯度下降SGD", "动量法", "Nesterov", "AdaGrad", "RMSProp", "Adam",
    "梯度消失", "梯度爆炸", "leaky relu", "卷积层", "池化层", "下采样层", "全连接层", "局部感知", "权重共享",
    "flatten", "交叉熵", "Dropout", "最大池化", "LRN", "辅助分类器", "残差连接", "批归一化", "遗忘门",
    "输入门", "重置门", "更新门", "候选状态", "长时记忆", "短时记忆", "encoder-decoder", "自注意力",
    "多头注意力", "位置编码", "mask", "词嵌入", "token", "patch",
]  # fmt: skip

# Deep-learning terms of pytorch-notes.txt (its calculus notes — 洛贝达法则, 泰勒展开, 费马定理 — and
# torchvision's transform names are left out).
PYTORCH_TERMS = [
    "时间序列表示方法", "one_hot", "CIFAR—10", "数据增强", "nn.Module", "nn.Sequential", "nn.Parameter",
    "DenseNet", "VGG", "GoogLeNet", "leNet-5", "Batch Norm", "Batch normalization", "BatchNorm",
    "running_var", "Feature scaling", "池化层", "Max pooling", "Avg pooling", "向上取样", "Multi-Kernels",
    "Input_channels", "Kernel_channels", "Kernel_size", "stride", "Padding", "卷积",
]  # fmt: skip


def review_headings(text: str) -> list[str]:
    tokens = text.split()
    for heading in REVIEW_HEADINGS:
        words = heading.split()
        assert any(tokens[i : i + len(words)] == words for i in range(len(tokens))), heading
    out: list[str] = []
    for heading in REVIEW_HEADINGS:  # 有导师学习Supervised Learning → 有导师学习, Supervised Learning
        m = re.fullmatch(r"([\u3400-\u9fff]+)([A-Za-z][A-Za-z ]+)", heading)
        out += [m.group(1), m.group(2)] if m else [heading]
    return out


def word_like_tokens(text: str) -> set[str]:
    return {
        x
        for x in text.split()
        if 2 <= len(x) <= 20
        and all(c.isalnum() or c == "_" for c in x)
        and not x.isdigit()
        and not re.fullmatch(r"[A-Za-z]_?[A-Za-z0-9]?", x)
    }


def extract_course_terms(course: Path) -> list[tuple[str, list[str]]]:
    """(section comment, terms) for every source, in the fixture's order."""

    def read(name: str) -> str:
        return (course / name).read_text(encoding="utf-8")

    review = read("course-review-notes.txt")
    pytorch = read("pytorch-notes.txt")
    for term in REVIEW_TERMS:
        assert term.lower() in review.lower(), f"course-review-notes.txt no longer mentions {term!r}"
    for term in PYTORCH_TERMS:
        assert term.lower() in pytorch.lower(), f"pytorch-notes.txt no longer mentions {term!r}"
    sections = [
        ("glossary-a.txt: every term line", glossary_a(read("glossary-a.txt"))),
        ("glossary-b.txt: every term line", glossary_b(read("glossary-b.txt"))),
        ("glossary-c.txt: term lines, list items, English names, bullet terms", glossary_c(read("glossary-c.txt"))),
        ("course-review-notes.txt: section headings", review_headings(review)),
        ("course-review-notes.txt: terms defined in running text (hand-picked)", REVIEW_TERMS),
        ("pytorch-notes.txt: deep-learning terms (hand-picked)", PYTORCH_TERMS),
    ]
    return [(title, list(dict.fromkeys(terms))) for title, terms in sections]


def render_fixture(sections: list[tuple[str, list[str]]]) -> str:
    lines = [
        "# Course terms the glossary must cover: every line must find an entry (dlcalc explain LINE).",
        "# Extracted from the course material by extract_course_terms in tests/test_glossary.py;",
        "# regenerate with `python tests/test_glossary.py` (needs /work/shared/course or DLCALC_COURSE).",
    ]
    for title, terms in sections:
        lines += ["", f"## {title} ({len(terms)})", *terms]
    return "\n".join(lines) + "\n"


def fixture_terms() -> list[str]:
    return [
        line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")
    ]


@needs_course
def test_fixture_is_what_the_course_files_give():
    assert FIXTURE.read_text(encoding="utf-8") == render_fixture(extract_course_terms(COURSE)), (
        "tests/data/course_terms.txt is stale: run python tests/test_glossary.py"
    )


@needs_course
def test_review_headings_are_complete():
    text = (COURSE / "course-review-notes.txt").read_text(encoding="utf-8")
    heading_tokens = {w for h in REVIEW_HEADINGS for w in h.split()}
    unclassified = word_like_tokens(text) - heading_tokens - NOT_HEADINGS
    assert not unclassified, f"tokens of the review notes neither heading nor listed as not one: {unclassified}"


# ---------------------------------------------------------------------------------------------
# The glossary and its lookup


@pytest.fixture(scope="module")
def gloss():
    from dlcalc.glossary import load

    return load(cache=False)


def test_every_course_term_has_an_entry(gloss):
    terms = fixture_terms()
    assert len(terms) > 250
    missing = [t for t in terms if (m := gloss.lookup(t)) is None or m.how != "exact"]
    assert not missing, f"course terms without a glossary entry: {missing}"


def test_the_issue_names_resolve_to_the_entries_meant(gloss):
    # the terms issue 20 lists, each to the entry a student means by it
    expected = {
        "注意力机制": "attention",
        "反向传播": "backpropagation",
        "降维": "dimensionality-reduction",
        "Dropout": "dropout",
        "感受野": "receptive-field",
        "激活函数": "activation-function",
        "Adagrad": "adagrad",
        "仿射层": "affine-layer",
        "Adam": "adam",
        "patch": "patch",
        "损失函数": "loss-function",
        "BatchNorm": "batch-normalization",
        "模型族": "model-family",
        "目标函数": "objective-function",
        "泛化": "generalization",
        "过拟合": "overfitting",
    }
    assert {q: gloss.lookup(q).entry.id for q in expected} == expected


def test_lookup_in_either_language_by_alias_case_width_and_spacing(gloss):
    def find(q):
        m = gloss.lookup(q)
        return m.entry.id if m else None

    assert find("receptive field") == find("感受野") == find("RF") == "receptive-field"
    assert find("Receptive Field") == find("RECEPTIVE   FIELD") == "receptive-field"
    assert find("感受 野") == find(" 感 受 野 ") == "receptive-field"
    assert find("ＲｅＬＵ") == find("relu") == "relu"  # full-width letters
    assert find("ｂａｔｃｈ　ｓｉｚｅ") == find("Batch_size") == find("batch-size") == "batch-size"
    assert find("批 归一化") == find("bn") == find("Batch Norm") == "batch-normalization"
    assert find("1×1 卷积") == find("1x1 convolution") == find("1*1卷积核") == "one-by-one-convolution"
    assert find("Objective Functions") == "objective-function"  # an English plural
    assert find("∇") == "gradient" and find("σ") == "sigmoid"


def test_small_typos_are_forgiven(gloss):
    def typo(q):
        m = gloss.lookup(q)
        return (m.entry.id, m.how) if m else None

    assert typo("recptive field") == ("receptive-field", "typo")
    assert typo("backpropogation") == ("backpropagation", "typo")
    assert typo("attension mechanism") == ("attention", "typo")
    assert typo("Nestrov") == ("nesterov", "typo")  # as the review notes spell it
    assert typo("dropuot") == ("dropout", "typo")  # two letters swapped
    assert typo("批归一华") == ("batch-normalization", "typo")
    assert typo("adm") is None  # too short to guess


def test_every_name_finds_its_own_entry(gloss):
    for entry in gloss:
        for key in entry.keys():
            assert gloss.lookup(key).entry is entry, key


def _edits(key: str, data) -> str:
    i = data.draw(st.integers(0, len(key) - 1))
    op = data.draw(st.sampled_from(["delete", "insert", "substitute", "swap"]))
    ch = data.draw(st.sampled_from("abcdeinorstu"))
    if op == "delete":
        return key[:i] + key[i + 1 :]
    if op == "insert":
        return key[:i] + ch + key[i:]
    if op == "swap" and i + 1 < len(key):
        return key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    return key[:i] + ch + key[i + 1 :]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_edit_never_finds_a_different_entry(gloss, data):
    """One typo in a name of 8+ letters finds that entry, unless the typo is exactly another
    entry's name, or another entry is just as close (then nothing is guessed)."""
    from dlcalc.glossary import edit_distance, normalize

    entry = data.draw(st.sampled_from(gloss.entries))
    keys = [k for k in entry.keys() if len(normalize(k)) >= 8]
    if not keys:
        return
    typed = _edits(normalize(data.draw(st.sampled_from(keys))), data)
    match = gloss.lookup(typed)
    if match is None:
        others = [k for k in gloss.index if gloss.index[k][0] is not entry]
        assert min(edit_distance(typed, k) for k in others) <= 1
    elif match.entry is not entry:
        assert match.how == "exact"


def test_edit_distance_against_a_plain_implementation():
    from dlcalc.glossary import edit_distance

    def osa(a, b):  # the textbook recurrence, full table
        d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i in range(len(a) + 1):
            d[i][0] = i
        for j in range(len(b) + 1):
            d[0][j] = j
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
                if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        return d[-1][-1]

    rng = random.Random(20)
    for _ in range(300):
        a = "".join(rng.choice("abc感受") for _ in range(rng.randint(0, 7)))
        b = "".join(rng.choice("abc感受") for _ in range(rng.randint(0, 7)))
        assert edit_distance(a, b) == osa(a, b)
        for limit in range(4):
            assert min(edit_distance(a, b, limit), limit + 1) == min(osa(a, b), limit + 1)


def test_unknown_terms_get_the_nearest_ones(gloss):
    assert gloss.lookup("gradient clipping") is None
    near = [e.id for e in gloss.nearest("gradient clipping")]
    assert near[0] == "gradient" and "exploding-gradient" in near
    assert gloss.nearest("normalisation batch")[0].id == "batch-normalization"
    assert gloss.nearest("梯度计算")[0].id == "gradient"
    assert [e.id for e in gloss.nearest("卷积计算器")][:2] == ["convolution", "feature-map-size"]
    assert gloss.nearest("qqqqqqqq") == gloss.nearest("zzzzzz") == gloss.nearest("foo bar") == []


# ---------------------------------------------------------------------------------------------
# Validation: a planted bad entry in a copy is caught, naming the file, line and entry


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    folder.mkdir()
    for f in (ROOT / "problems").glob("glossary*.yaml"):
        shutil.copy(f, folder / f.name)
    return folder


GOOD = """
- id: alpha-term
  topic: cnn
  name: {zh: 甲术语, en: alpha term}
  aliases: [AT]
  definition: {zh: 第一个术语。, en: The first term.}
  related: [beta-term]
- id: beta-term
  topic: cnn
  name: {zh: 乙术语, en: beta term}
  definition: {zh: 第二个术语。, en: The second term.}
  try:
    command: dlcalc conv 3x8x8 -k 3
"""


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [
        ("name: {zh: 乙术语, en: beta term}", "name: {en: beta term}", "name: expected both zh and en", 10),
        ("{zh: 第二个术语。, en: The second term.}", "{zh: 第二, en: 第二}", "en: Chinese characters", 11),
        ("{zh: 第二个术语。, en: The second term.}", "{zh: second, en: second}", "zh: expected Chinese", 11),
        ("related: [beta-term]", "related: [gamma-term]", "related: no entry 'gamma-term'", 7),
        ("related: [beta-term]", "related: [alpha-term]", "not related to itself", 7),
        ("aliases: [AT]", "aliases: [Beta Term]", "'beta term' is the same term as 'Beta Term' of alpha-term", 10),
        ("aliases: [AT]", "aliases: [ＡＬＰＨＡ　ｔｅｒｍ]", "the same term as 'alpha term' of this entry", 5),
        ("command: dlcalc conv 3x8x8 -k 3", "command: python -c 1", "command: expected 'dlcalc COMMAND", 12),
        ("command: dlcalc conv 3x8x8 -k 3", "command: dlcalc frobnicate 3", "command: expected 'dlcalc COMMAND", 12),
        ("command: dlcalc conv 3x8x8 -k 3", "command: dlcalc explain adam", "command: expected 'dlcalc COMMAND", 12),
        ("command: dlcalc conv 3x8x8 -k 3", "command: 'dlcalc conv \"3x8x8'", "command: cannot split", 12),
        ("topic: cnn\n  name: {zh: 乙", "topic: vision\n  name: {zh: 乙", "topic: expected one of", 9),
        ("  aliases: [AT]", "  colour: red", "colour: unknown field", 5),
        ("- id: beta-term", "- id: Beta_Term", "id: expected lower-case", 8),
        ("- id: beta-term", "- id: alpha-term", "id 'alpha-term' is also used", 8),
    ],
)
def test_validation_names_file_line_and_entry(tmp_path, old, new, message, line):
    from dlcalc.glossary import GlossaryError, load

    folder = tmp_path / "g"
    folder.mkdir()
    assert old in GOOD
    (folder / "glossary-x.yaml").write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(GlossaryError) as err:
        load(folder, cache=False)
    assert message in err.value.message
    assert f"glossary-x.yaml:{line}:" in err.value.message


def test_the_good_sample_loads_and_every_shipped_file_is_read(tmp_path):
    from dlcalc.glossary import load

    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "glossary-x.yaml").write_text(GOOD, encoding="utf-8")
    assert [e.id for e in load(folder, cache=False)] == ["alpha-term", "beta-term"]
    shipped = load(_copy(tmp_path), cache=False)
    assert {e.path.name for e in shipped} == {f.name for f in (ROOT / "problems").glob("glossary*.yaml")}


def test_a_planted_bad_entry_in_a_copy_of_the_real_glossary(tmp_path):
    from dlcalc.glossary import GlossaryError, load

    folder = _copy(tmp_path)
    target = folder / "glossary-cnn.yaml"
    text = target.read_text(encoding="utf-8")
    text = text.replace("  aliases: [RF, 感受域]", "  aliases: [RF, 感受域, CNN]", 1)  # CNN is another entry's
    target.write_text(text, encoding="utf-8")
    line = text.split("\n").index("  aliases: [RF, 感受域, CNN]") + 1
    with pytest.raises(GlossaryError) as err:
        load(folder, cache=False)
    assert f"glossary-cnn.yaml:{line}: receptive-field: 'CNN' is the same term as 'CNN' of cnn" in err.value.message


def test_invalid_yaml_names_the_line(tmp_path):
    from dlcalc.glossary import GlossaryError, load

    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "glossary-x.yaml").write_text(GOOD + "- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"glossary-x\.yaml:(\d+): invalid YAML") as err:
        load(folder, cache=False)
    assert int(re.search(r"yaml:(\d+):", err.value.message).group(1)) >= 14


def test_the_cache_follows_the_files(tmp_path, monkeypatch):
    from dlcalc.glossary import load

    monkeypatch.setenv("DLCALC_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "glossary-x.yaml").write_text(GOOD, encoding="utf-8")
    assert load(folder).get("alpha-term").name.en == "alpha term"
    assert len(list((tmp_path / "cache").glob("glossary-*.json"))) == 1
    (folder / "glossary-x.yaml").write_text(GOOD.replace("alpha term", "gamma term"), encoding="utf-8")
    assert load(folder).get("alpha-term").name.en == "gamma term"  # an edit misses the cache
    assert len(list((tmp_path / "cache").glob("glossary-*.json"))) == 1  # and replaces it
    next((tmp_path / "cache").glob("glossary-*.json")).write_text("{broken", encoding="utf-8")
    assert load(folder).get("alpha-term").name.en == "gamma term"  # a broken cache is ignored


def _compile(engine: str, tmp_path: Path, name: str, document: str) -> None:
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed")
    (tmp_path / f"{name}.tex").write_text(document, encoding="utf-8")
    run = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_entry_as_latex_compiles(gloss, tmp_path, lang):
    """`dlcalc explain T --latex` for every entry: pdflatex for English (non-ASCII text through
    ascii_latex, as the quiz's export does), xelatex with ctex for Chinese."""
    from dlcalc.glossary import explain_result
    from dlcalc.mathfmt import ascii_latex
    from dlcalc.render.latex import to_latex

    formulas = [f for e in gloss for f in e.formulas]
    assert len(formulas) > 40 and all(f.latex.isascii() for f in formulas)
    body = "\n".join(to_latex(explain_result(e, gloss), lang) for e in gloss)
    if lang == "en":
        head = "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
        _compile("pdflatex", tmp_path, "en", ascii_latex(head + body + "\n\\end{document}\n"))
    else:
        head = "\\documentclass{ctexart}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
        _compile("xelatex", tmp_path, "zh", head + body + "\n\\end{document}\n")


def test_the_bank_ignores_glossary_files():
    from dlcalc.bank import load_bank

    ids = {p.id for p in load_bank()}
    assert ids and not ids & {"receptive-field", "adam", "batch-normalization"}


# ---------------------------------------------------------------------------------------------
# dlcalc explain


def test_explain_english_and_chinese(cli):
    code, out, err = cli("explain", "receptive", "field")  # several words, no quotes
    assert code == 0 and err == ""
    assert "receptive field (感受野)" in out and "Definition" in out and "Receptive field column" in out
    assert 'dlcalc net -i 1x28x28 "Conv2d(1, 25, 3)"' in out
    code, out, _ = cli("explain", "感受野", "--lang", "zh")
    assert code == 0 and "感受野 (receptive field)" in out and "定义" in out and "试一试" in out


def test_explain_shows_a_typo_note(cli):
    code, out, _ = cli("explain", "recptive", "field")
    assert code == 0 and "Showing “receptive field” for “recptive field”" in out


def test_explain_json_has_both_languages_and_the_formula(cli):
    code, out, _ = cli("explain", "batchnorm", "--json")
    data = json.loads(out)
    assert code == 0 and data["dlcalc"] == 1 and data["kind"] == "explain"
    assert data["id"] == "batch-normalization" and data["name"] == {"en": "batch normalization", "zh": "批归一化"}
    assert data["command"] == "dlcalc batchnorm -f batchnorm.yaml" and "batchnorm.yaml" in data["files"]
    assert data["steps"] and r"\sqrt{\sigma_B^{2} + \varepsilon}" in data["steps"][0]["latex"]
    assert data["match"] == {"query": "batchnorm", "how": "exact", "key": "BatchNorm"}


def test_explain_markdown_and_latex(cli):
    code, out, _ = cli("explain", "softmax", "--md")
    assert code == 0 and out.startswith("### softmax (Softmax 函数)")
    assert r"$\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j} e^{z_j}}$" in out
    code, out, _ = cli("explain", "softmax", "--latex", "--lang", "zh")
    assert code == 0 and r"\textbf{定义}" in out and r"\operatorname{softmax}(z)_i" in out


def test_explain_example_runs_the_command_in_process(cli):
    code, out, _ = cli("explain", "感受野", "--example", "--json")
    data = json.loads(out)
    assert code == 0 and data["example"]["exit_code"] == 0
    rf = [layer["receptive_field"][0] for layer in data["example"]["output"]["layers"]]
    # the recurrence r += (k - 1)·j, j *= s by hand for Conv(3), Pool(2), Conv(3), Pool(2)
    r, j, want = 1, 1, []
    for k, s in [(3, 1), (2, 2), (3, 1), (2, 2)]:
        r, j = r + (k - 1) * j, j * s
        want.append(r)
    assert rf == want == [3, 4, 8, 10]


def test_explain_example_with_files_and_terminal_output(cli):
    import torch

    code, out, _ = cli("explain", "BN", "--example")
    assert code == 0 and "Worked example: $ dlcalc batchnorm -f batchnorm.yaml" in out
    code, out, _ = cli("explain", "BN", "--example", "--json")
    x = torch.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    bn = torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.0, 2.0]))
        bn.bias.copy_(torch.tensor([0.0, 1.0]))
    want = bn(x).detach()
    got = torch.tensor(json.loads(out)["example"]["output"]["output"], dtype=torch.float32)
    assert torch.allclose(got, want, atol=1e-5)


def test_explain_example_with_torch_check_and_markdown(cli):
    code, out, _ = cli("explain", "adam", "--example", "--md", "--check")
    assert code == 0 and "#### Worked example" in out and "$ dlcalc optim" in out


def test_explain_a_term_without_a_command(cli):
    code, out, _ = cli("explain", "过拟合", "--example")
    assert code == 0 and "No dlcalc command computes this term." in out


def test_unknown_term_lists_the_nearest_and_exits_2(cli):
    code, out, err = cli("explain", "gradient", "clipping")
    assert code == 2 and out == ""
    assert err.startswith("dlcalc: error: explain: no term 'gradient clipping' in the glossary; nearest: ")
    assert "gradient (梯度); " in err and "exploding gradient (梯度爆炸)" in err and err.count("\n") == 1
    code, _, err = cli("explain", "zzzzzz")
    assert code == 2 and "dlcalc explain --list shows them all" in err
    code, _, err = cli("explain", "卷积计算器", "--lang", "zh")
    assert code == 2 and "术语表中没有" in err and "卷积" in err
    code, _, err = cli("explain")
    assert code == 2 and "name a term" in err


def test_list_by_topic(cli, gloss):
    from dlcalc.glossary import TOPICS

    code, out, _ = cli("explain", "--list", "--json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "glossary" and data["count"] == len(gloss)
    assert [t["id"] for t in data["topics"]] == list(TOPICS)
    assert sum(len(t["terms"]) for t in data["topics"]) == len(gloss)
    code, out, _ = cli("explain", "--list", "--topic", "optimizers")
    assert code == 0 and "Adam" in out and "receptive field" not in out
    code, out, _ = cli("explain", "--list", "--md", "--lang", "zh")
    assert code == 0 and "**优化器**:" in out and "感受野" in out
    code, _, err = cli("explain", "--list", "--topic", "nope")
    assert code == 2 and "--topic: expected one of" in err


def test_explain_check_passes_on_the_shipped_glossary(cli):
    code, out, err = cli("explain", "--check", "--json")
    data = json.loads(out)
    assert code == 0, (data["failed"], err)
    assert data["kind"] == "glossary-check" and data["ok"] and data["commands"] > 50


def test_explain_check_names_a_failing_entry(cli, tmp_path):
    folder = tmp_path / "g"
    folder.mkdir()
    bad = GOOD.replace("dlcalc conv 3x8x8 -k 3", "dlcalc conv 3x8x8 -k 9")  # a kernel larger than the input
    (folder / "glossary-x.yaml").write_text(bad, encoding="utf-8")
    code, out, _ = cli("explain", "--check", "--path", str(folder), "--json")
    data = json.loads(out)
    assert code == 1 and not data["ok"] and [f["id"] for f in data["failed"]] == ["beta-term"]
    assert data["failed"][0]["where"].endswith("glossary-x.yaml:8")
    assert "`dlcalc conv 3x8x8 -k 9` failed: dlcalc: error:" in data["failed"][0]["message"]
    code, out, _ = cli("explain", "--check", "--path", str(folder))
    assert code == 1 and "✗ beta-term" in out


def test_explain_stays_light():
    """Looking a term up imports neither torch nor sympy (the example run may)."""
    code = (
        "import sys; from dlcalc.cli import run; "
        "rc = run(['explain', 'adam']); rc2 = run(['explain', '--list']); "
        "print(rc, rc2, 'torch' in sys.modules, 'sympy' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stderr.strip().splitlines()[-1] == "0 0 False False"


# ---------------------------------------------------------------------------------------------
# Term drills (the quiz wires these in)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), k=st.integers(2, 6))
def test_drill_questions_are_well_formed(gloss, seed, k):
    from dlcalc.glossary import drill_questions

    questions = drill_questions(gloss, random.Random(seed), 6, choices=k)
    assert len(questions) == 6 and len({q["term"] for q in questions}) == 6
    for q in questions:
        entry = gloss.get(q["term"])
        assert q["choice_ids"].count(entry.id) == 1 and len(set(q["choice_ids"])) == k
        assert q["choice_ids"][q["answer_index"]] == entry.id and q["answer"] == "ABCDEFGH"[q["answer_index"]]
        for lang in ("en", "zh"):
            options = q["choices"][lang]
            assert len(options) == len(set(options)) == k  # distinct, so exactly one is right
            shown = entry.name(lang) if q["direction"] == "definition-to-term" else None
            if shown:
                assert options.count(shown) == 1
            else:  # a definition never gives its own name away
                assert all(
                    unicodedata.normalize("NFKC", n).lower() not in options[q["answer_index"]].lower()
                    for n in (entry.name.en, entry.name.zh)
                    if len(n) > 3
                )
        assert q["item"] == f"term:{entry.id}" and q["prompt"]["en"] and q["prompt"]["zh"]


def test_drills_are_reproducible_and_prefer_related_distractors(gloss):
    from dlcalc.glossary import drill_questions

    a = drill_questions(gloss, random.Random(7), 20)
    assert a == drill_questions(gloss, 7, 20) and a != drill_questions(gloss, 8, 20)
    adam = drill_questions(gloss, 1, ids=["adam"], directions=("definition-to-term",))[0]
    assert set(adam["choice_ids"]) - {"adam"} <= set(gloss.get("adam").related)  # 4 related: the hard ones
    assert "Which term is this?" in adam["prompt"]["en"] and "Adam" not in adam["prompt"]["en"]
    both = drill_questions(gloss, 3, topics=["optimizers"])
    assert {q["term"] for q in both} == {e.id for e in gloss if e.topic == "optimizers"}
    assert {q["direction"] for q in drill_questions(gloss, 5)} == {"term-to-definition", "definition-to-term"}


def test_drill_refuses_bad_requests(gloss):
    from dlcalc.errors import DlcalcError
    from dlcalc.glossary import drill_questions

    with pytest.raises(DlcalcError, match="no glossary entry"):
        drill_questions(gloss, 1, ids=["nope"])
    with pytest.raises(DlcalcError, match="direction"):
        drill_questions(gloss, 1, directions=("sideways",))
    with pytest.raises(DlcalcError, match="choices"):
        drill_questions(gloss, 1, choices=1)


if __name__ == "__main__":  # python tests/test_glossary.py: rewrite the fixture from the course files
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(render_fixture(extract_course_terms(COURSE)), encoding="utf-8")
    print(f"wrote {FIXTURE} ({len(fixture_terms())} terms)")
