"""A picture's path: any name gets a PNG (as `draw` writes them), a directory or a missing folder is
one clear line and exit 2 — for every command whose --png goes through render/plot.py."""

import pytest

BPTT = ["bptt", "--sequence", "1;2;3", "--weight-ih", "0.5", "--weight-hh", "0.1", "--target", "0.5"]
GD = ["gd", "--samples", "1,2; 2,0; 3,1; 0,1", "--targets", "3; 2; 4; 1"]
OPTIM = ["optim", "--function", "x^2 + 10*y^2", "--start", "1,1", "--compare", "sgd,adam"]
COMMANDS = pytest.mark.parametrize("args", [BPTT, GD, OPTIM], ids=["bptt", "gd", "optim"])

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@COMMANDS
def test_any_name_is_written_as_png_and_said(cli, tmp_path, args):
    target = tmp_path / "picture.foo"
    code, _, err = cli(*args, "--png", str(target))
    assert code == 0, err
    assert target.read_bytes()[:8] == PNG_MAGIC


@COMMANDS
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_directory_or_missing_folder_is_one_line(cli, tmp_path, args, lang):
    for bad in (tmp_path, tmp_path / "no" / "such" / "x.png"):
        code, _, err = cli(*args, "--png", str(bad), "--lang", lang)
        assert code == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "internal error" not in err
        assert ("cannot write" in err) if lang == "en" else ("无法写入" in err)
    assert list(tmp_path.iterdir()) == []  # nothing half-written (no '.png' inside the directory)


def test_gd_says_where_it_wrote(cli, tmp_path):
    code, _, err = cli(*GD, "--png", str(tmp_path / "g.png"))
    assert code == 0 and "g.png" in err


def test_examples_copy_refusals(cli, tmp_path):
    code, _, err = cli("examples", "mazur.yaml", "--copy", str(tmp_path / "missing" / "dir"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "internal error" not in err
    code, _, err = cli("examples", "--copy", str(tmp_path))
    assert code == 2 and "--copy" in err
    code, _, err = cli("examples", "mazur.yaml", "--copy", str(tmp_path))
    assert code == 0 and (tmp_path / "mazur.yaml").exists()
