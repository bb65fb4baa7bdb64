"""The SM-2 spaced-repetition schedule (P. A. Woźniak, 1990), and how an answer's parts give its grade.

Each item a student answers (a bank problem id, `template:<topic>` for generated questions,
`term:<id>` for a glossary drill, `exam:<section>` for a mock-exam question) has an ease factor
EF (starting at 2.5), a repetition count n and an interval I in days. After an answer of quality
q (0–5):

- q ≥ 3 (remembered): I ← 1 when n = 0, 6 when n = 1, otherwise ⌈I·EF⌉ (the old EF; SM-2 says
  "if the interval is a fraction, round it up"); then n ← n + 1;
- q < 3 (forgotten): n ← 0 and I ← 1 (start the repetitions again);
- in both cases EF ← max(1.3, EF + 0.1 − (5 − q)(0.08 + (5 − q)·0.02));
- the item is due I days after the answer.

Two rules SM-2 leaves open are fixed here. An item answered right *before it is due* (a quiz
drawing the same generated topic three times in a row) keeps its schedule: spacing is earned by
remembering after the interval, not by cramming; answered wrong early, it starts again as SM-2
says. And an interval never exceeds 36,500 days (Anki's cap), so a long run of perfect answers
cannot overflow a date. SM-2's last rule (repeat within the same day every item graded below 4)
is left out: an item answered poorly is simply due again tomorrow.

**Quality from parts.** dlcalc grades every part of a question, so the quality is the share of
parts right f = right / graded, scaled to 0–5 and rounded half up: q = ⌊5f + ½⌋, except that an
answer given but entirely wrong is q = 1 ("incorrect, but the answer was recognised"), and only
an empty answer is q = 0 ("complete blackout"). So one part of one is 5 or 1; 3 of 4 parts is 4;
2 of 4 is 3 (a pass); 1 of 3 is 2 (a lapse). A self-marked concept answer counts its key points
as its parts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

START_EASE = 2.5
MIN_EASE = 1.3
MAX_INTERVAL = 36_500  # days


@dataclass(frozen=True)
class State:
    ease: float = START_EASE
    interval: int = 0  # days; 0 before the first answer
    repetitions: int = 0
    due: datetime | None = None  # None: never answered (due at once)


def quality(right: int, graded: int, answered: bool = True) -> int:
    """SM-2's 0–5 grade of one answer from its parts (see the module docstring)."""
    if not answered or graded <= 0:
        return 0
    if right < 0 or right > graded:
        raise ValueError(f"{right} parts right of {graded}")
    q = math.floor(Fraction(5 * right, graded) + Fraction(1, 2))
    return max(q, 1)


def next_ease(ease: float, q: int) -> float:
    """EF' = max(1.3, EF + 0.1 − (5 − q)(0.08 + (5 − q)·0.02)); every change is a multiple of 0.02,
    so EF is kept exact at two decimals (2.5 + 0.1 + 0.1 is 2.7, not 2.7000000000000002)."""
    d = 5 - q
    hundredths = _hundredths(ease) + 10 - d * (8 + 2 * d)
    return max(MIN_EASE, hundredths / 100)


def _hundredths(ease: float) -> int:
    return round(ease * 100)


def review(state: State, q: int, at: datetime) -> State:
    """The state after an answer of quality `q` given at `at`."""
    if not 0 <= q <= 5:
        raise ValueError(f"quality {q} is not 0 to 5")
    if q >= 3 and state.due is not None and at < state.due:
        return state  # right before it was due: the schedule stands
    if q >= 3:
        if state.repetitions == 0:
            interval = 1
        elif state.repetitions == 1:
            interval = 6
        else:
            interval = min(MAX_INTERVAL, math.ceil(Fraction(state.interval * _hundredths(state.ease), 100)))
        repetitions = state.repetitions + 1
    else:
        interval, repetitions = 1, 0
    return State(next_ease(state.ease, q), interval, repetitions, at + timedelta(days=interval))


def replay(qualities: list[tuple[int, datetime]], state: State | None = None) -> State:
    """The state after a series of answers (quality, time), oldest first."""
    state = state or State()
    for q, at in qualities:
        state = review(state, q, at)
    return state
