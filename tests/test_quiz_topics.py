"""Several named quiz topics are all asked: round-robin over the topics, reproducible by seed.

A topic with many bank problems must not crowd out one with few: with n at least the number of
named topics every topic is asked (and no topic more than once more than another); with fewer
questions than topics the questions are of distinct topics.
"""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.quiz.session import TOPICS, build


def _topics(questions):
    return [q.topic for q in questions]


def _check_balanced(named, n, asked):
    counts = Counter(asked)
    assert set(counts) <= set(named), (named, asked)
    if n >= len(named):
        assert set(counts) == set(named), (named, n, asked)
    else:
        assert len(counts) == n, (named, n, asked)  # distinct topics
    assert max(counts.values()) - min(counts.values()) <= 1, (named, asked)
    assert len(asked) == n


def test_the_reported_cases():
    asked = _topics(build(["conv", "pool", "perceptron"], 3, 4))
    assert sorted(asked) == ["conv", "perceptron", "pool"]
    asked = _topics(build(["backprop", "lstm", "grad", "concept"], 4, 3))
    assert sorted(asked) == ["backprop", "concept", "grad", "lstm"]


@settings(max_examples=25, deadline=None)
@given(
    named=st.lists(st.sampled_from(TOPICS), min_size=2, max_size=6, unique=True),
    n=st.integers(1, 9),
    seed=st.integers(0, 10**9),
)
def test_named_topics_are_covered_in_turn_and_reproducibly(named, n, seed):
    questions = build(named, n, seed)
    _check_balanced(named, n, _topics(questions))
    again = build(list(named), n, seed)
    assert [(q.id, q.statement.en) for q in again] == [(q.id, q.statement.en) for q in questions]


def test_every_topic_at_once():
    named = list(TOPICS)
    for seed in (1, 2):
        _check_balanced(named, len(named), _topics(build(named, len(named), seed)))
        _check_balanced(named, 5, _topics(build(named, 5, seed)))


def test_review_weights_choose_items_not_the_topics_asked():
    """--review makes a lapsed item heavy; with two topics named, both are still asked."""
    from datetime import timedelta

    from dlcalc.quiz.history import now
    from dlcalc.quiz.sm2 import State

    lapsed = State(repetitions=0, ease=1.3, interval=0, due=now() - timedelta(days=3))
    schedule = {"template:conv": ("conv", lapsed)}
    for seed in range(5):
        asked = _topics(build(["conv", "pool"], 2, seed, schedule=schedule))
        assert sorted(asked) == ["conv", "pool"]
