"""#15: `quiz review --db` with a file that is not there (a typo) is refused as `stats` and
`history` refuse it — one line, exit 2, nothing created; at the default location a missing
history is "nothing to review yet", and still nothing is created."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("lang, word", [("en", "no history"), ("zh", "没有历史记录")])
def test_review_refuses_a_missing_db_like_stats_and_history(cli, tmp_path, lang, word):
    typo = tmp_path / "typo.sqlite3"
    for command in (("stats",), ("history",), ("review",)):
        code, out, err = cli("quiz", *command, "--db", str(typo), "--lang", lang)
        assert code == 2 and err.count("\n") == 1 and word in err and str(typo) in err, (command, err)
        assert out == "" and not typo.exists()


def test_review_at_the_default_location_creates_nothing(cli, tmp_path, monkeypatch):
    default = tmp_path / "default" / "history.sqlite3"
    monkeypatch.setenv("DLCALC_DB", str(default))
    code, out, err = cli("quiz", "review")
    assert code == 0 and "No history yet" in out and not default.exists()
