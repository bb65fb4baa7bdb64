"""The mock final: one question per part of the course's final exam, with points and a time limit.

The structure is the one the course notes give at the end (`course-review-notes.txt`, 计算题 and
the paragraph after it): the biological neuron; the three batch sizes of gradient descent and the
pros and cons of batch GD; momentum and adaptive learning rates; the Rosenblatt perceptron;
feature-map sizes after a convolution and a pooling layer; gradient descent and backpropagation
in a feed-forward net; an RNN forward pass; LSTM and GRU explained and compared; ResNet versus
DenseNet; the transformer's encoder and decoder; and, from the notes' past exam question,
supervised, unsupervised and reinforcement learning.

Computation parts are drawn fresh from `dlcalc.exam.templates` (the solver computes every answer
and the worked solution); concept parts come from the bank. A paper is fixed by its seed: each
section draws from its own generator seeded with (seed, section), so the same seed always gives the
same paper, in either language (the language only chooses what is shown).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dlcalc.errors import DlcalcError
from dlcalc.exam import templates
from dlcalc.quiz.questions import Question
from dlcalc.text import T, Text

MINUTES = 120  # the time limit shown, unless --minutes says otherwise


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    points: int
    bank: tuple[str, ...] = ()  # concept sections: the bank problems one is drawn from
    template: Callable[..., Any] | None = None  # computation sections: the exam template

    @property
    def computed(self) -> bool:
        return self.template is not None


SECTIONS: tuple[Section, ...] = (
    Section(
        "neuron",
        T("Structure of the biological neuron", "生物神经元的结构及各部分功能"),
        6,
        bank=("concept-biological-neuron",),
    ),
    Section(
        "batch-gd",
        T(
            "Three batch sizes of gradient descent; pros and cons of batch GD",
            "三种批大小的梯度下降；批量梯度下降的优缺点",
        ),
        8,
        bank=("concept-batch-sizes",),
    ),
    Section(
        "optimizers",
        T("Momentum and adaptive learning rates", "动量法与学习率自适应法"),
        8,
        bank=("concept-momentum-and-adaptive-lr",),
    ),
    Section("perceptron", T("The Rosenblatt perceptron", "Rosenblatt 感知机"), 12, template=templates.perceptron),
    Section(
        "feature-maps",
        T("Feature-map sizes after a convolution and a pooling layer", "卷积层与池化层后的特征图尺寸"),
        9,
        template=templates.feature_maps,
    ),
    Section(
        "backprop",
        T("Gradient descent and backpropagation in a feed-forward net", "前馈网络的梯度下降与反向传播"),
        12,
        template=templates.backprop,
    ),
    Section("rnn", T("RNN forward pass", "RNN 前向计算"), 9, template=templates.rnn),
    Section(
        "lstm-gru",
        T("LSTM and GRU, explained and compared", "LSTM 与 GRU 的介绍和比较"),
        10,
        bank=("concept-lstm-vs-gru",),
    ),
    Section(
        "resnet-densenet",
        T("ResNet versus DenseNet", "ResNet 与 DenseNet 的比较"),
        8,
        bank=("concept-resnet-vs-densenet",),
    ),
    Section(
        "transformer",
        T("The transformer's encoder and decoder", "Transformer 的编码器与解码器"),
        10,
        bank=("concept-transformer-encoder-decoder",),
    ),
    Section(
        "paradigms",
        T("Supervised, unsupervised and reinforcement learning", "有导师学习、无导师学习与强化学习"),
        8,
        bank=("concept-learning-paradigms",),
    ),
)
BY_ID = {s.id: s for s in SECTIONS}


@dataclass
class ExamQuestion:
    number: int
    section: Section
    question: Question

    @property
    def points(self) -> int:
        return self.section.points

    def part_points(self) -> list[Fraction]:
        """The question's points shared evenly among its parts (a concept answer's key points)."""
        count = len(self.question.parts) if self.question.kind == "computed" else _key_point_count(self.question)
        return [Fraction(self.points, max(count, 1))] * max(count, 1)


def _key_point_count(q: Question) -> int:
    return len((q.key_points or {}).get("en", [])) or 1


@dataclass
class Paper:
    seed: int
    minutes: int
    questions: list[ExamQuestion] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(q.points for q in self.questions)


def section_rng(seed: int, section: str) -> random.Random:
    return random.Random(f"dlcalc-exam:{seed}:{section}")


def section_question(section_id: str, rng: random.Random, index: int, seed: int, attempts: int = 300) -> Question:
    """A question for one section: generated (redrawn until well posed) or drawn from the bank."""
    from dlcalc.quiz.questions import from_draft, from_problem

    section = BY_ID.get(section_id)
    if section is None:
        raise DlcalcError(f"exam: no section {section_id!r}")
    if not section.computed:
        from dlcalc.bank import find, load_bank

        return from_problem(find(load_bank(), rng.choice(section.bank)))
    assert section.template is not None
    for _ in range(attempts):
        draft = section.template(rng)
        try:
            q = from_draft(draft, index, seed)
        except DlcalcError:
            continue
        if templates.well_posed(q):
            q.id = f"exam-{section.id}-{seed}"
            q.item = f"exam:{section.id}"
            q.title = section.title
            return q
    raise DlcalcError(f"exam: could not draw a well-posed {section.id} question")


def build_paper(seed: int, minutes: int = MINUTES) -> Paper:
    """The whole paper for `seed`; the same seed gives the same paper."""
    if minutes < 0 or minutes > 24 * 60:
        raise DlcalcError(
            T(
                "--minutes: expected 0 (no limit) to 1440, got {m}", "--minutes：应为 0（不限时）到 1440，实际为 {m}"
            ).format(m=minutes)
        )
    paper = Paper(seed, minutes)
    for number, section in enumerate(SECTIONS, 1):
        question = section_question(section.id, section_rng(seed, section.id), number, seed)
        paper.questions.append(ExamQuestion(number, section, question))
    return paper
