"""Term drills: the `terms` quiz topic, multiple choice from the course glossary, both directions.

Each drill comes from `dlcalc.glossary.drill_questions` (term → definition or definition → term,
distractors drawn from the related terms first, in both languages) and becomes a quiz `Question`
of kind `choice` whose history item is `term:<id>`, the same for both directions, so the SM-2
schedule follows the term.
"""

from __future__ import annotations

import random
from typing import Any

from dlcalc.quiz.questions import Question
from dlcalc.text import Text

_GLOSSARY: Any = None


def glossary() -> Any:
    global _GLOSSARY
    if _GLOSSARY is None:
        from dlcalc.glossary import load

        _GLOSSARY = load()
    return _GLOSSARY


def term_ids() -> list[str]:
    return sorted(e.id for e in glossary())


def from_drill(drill: dict[str, Any]) -> Question:
    entry = glossary().get(drill["term"])
    reference = {
        "en": f"{entry.label('en')}: {entry.definition.en}",
        "zh": f"{entry.label('zh')}：{entry.definition.zh}",
    }
    return Question(
        id=drill["id"],
        topic="terms",
        statement=Text(drill["prompt"]["en"], drill["prompt"]["zh"]),
        kind="choice",
        expected=drill["answer"],
        accepted=drill["answer"],
        source="glossary",
        difficulty=1,
        choices=drill["choices"],
        reference=reference,
        key_points={"en": [], "zh": []},
        item=drill["item"],
        title=None,  # a title would give the term away
        extra={"direction": drill["direction"], "term": drill["term"]},
    )


def term_question(rng: random.Random, term: str | None = None) -> Question:
    """A drill on `term` (or on a term drawn with `rng`), in a direction drawn with `rng`."""
    from dlcalc.glossary import drill_questions

    ids = [term] if term is not None else [rng.choice(term_ids())]
    return from_drill(drill_questions(glossary(), rng, 1, ids=ids)[0])
