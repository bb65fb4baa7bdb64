"""Every glossary entry's "Try" command runs as printed, in the current vocabulary.

A student copies the shipped examples into a folder (`dlcalc examples NAME --copy DIR`), goes there
and types the command `dlcalc explain` shows: it must exit 0 and print nothing on stderr (no "no such
file", no "the old spelling still works" note). `dlcalc explain TERM --example` must be as clean.
"""

import json
import shlex

import pytest

from dlcalc.glossary import load

ENTRIES = [e for e in load() if e.example is not None]


@pytest.fixture(scope="module")
def examples_dir(tmp_path_factory):
    from dlcalc.cli import run

    folder = tmp_path_factory.mktemp("student")
    names = [e["name"] for e in _json(run, ["examples", "--json"])["examples"]]
    assert names, "no shipped examples"
    for name in names:
        assert run(["examples", name, "--copy", str(folder)]) == 0
    return folder


def _json(run, argv):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run(argv) == 0
    return json.loads(out.getvalue())


def test_there_are_commands_to_run():
    assert len(ENTRIES) > 50


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_the_printed_command_runs_as_typed(entry, examples_dir, monkeypatch, cli):
    monkeypatch.chdir(examples_dir)
    words = shlex.split(entry.example.command)
    assert words[0] == "dlcalc"
    code, out, err = cli(*words[1:])
    assert code == 0 and err == "" and out, (entry.example.command, err)
    # what `explain` shows is the same command
    code, out, err = cli("explain", entry.name.en, "--json")
    assert code == 0 and json.loads(out)["command"] == entry.example.command


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_explain_example_runs_clean(entry, examples_dir, monkeypatch, cli):
    monkeypatch.chdir(examples_dir)
    code, out, err = cli("explain", entry.name.en, "--example", "--json")
    assert code == 0 and err == "", (entry.id, err)
    assert json.loads(out)["example"]["exit_code"] == 0


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("dlcalc gru gru-scalar.yaml", "write the file as -f gru-scalar.yaml"),
        ("dlcalc gru -f gru.yaml", "-f gru.yaml: not a shipped example"),
        ("dlcalc batchnorm --file no-such.yaml", "-f no-such.yaml: not a shipped example"),
    ],
)
def test_a_command_naming_a_file_the_student_lacks_is_refused(tmp_path, command, message):
    from dlcalc.glossary import GlossaryError

    folder = tmp_path / "g"
    folder.mkdir()
    entry = (
        "- id: alpha-term\n  topic: cnn\n  name: {zh: 甲术语, en: alpha term}\n"
        "  definition: {zh: 第一个术语。, en: The first term.}\n"
        f"  try:\n    command: {command}\n"
    )
    (folder / "glossary-x.yaml").write_text(entry, encoding="utf-8")
    with pytest.raises(GlossaryError) as err:
        load(folder, cache=False)
    assert message in err.value.message and "glossary-x.yaml:" in err.value.message


def test_explain_check_flags_a_command_that_prints_a_note(tmp_path, cli):
    folder = tmp_path / "g"
    folder.mkdir()
    entry = (
        "- id: alpha-term\n  topic: optimizers\n  name: {zh: 甲术语, en: alpha term}\n"
        "  definition: {zh: 第一个术语。, en: The first term.}\n"
        '  try:\n    command: dlcalc optim --f "w^2" --optimizer sgd --lr 0.1 --start 1 --steps 1\n'
    )
    (folder / "glossary-x.yaml").write_text(entry, encoding="utf-8")
    code, out, _ = cli("explain", "--check", "--path", str(folder), "--json")
    data = json.loads(out)
    assert code == 1 and [f["id"] for f in data["failed"]] == ["alpha-term"]
    assert "printed on stderr" in data["failed"][0]["message"]
