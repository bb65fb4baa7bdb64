"""#15/#17: a whole number past Python's 4,300-digit conversion limit, wherever it is written (a
layer call, print(model) text, module code, an option), is refused in dlcalc's own one line that
names dlcalc's limit on one number — never Python's advice to call sys.set_int_max_str_digits()."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.limits import NUMBER_CHARS

CODE = """import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, {n}, 3)
    def forward(self, x):
        return self.c(x)
"""


def _places(n: str, tmp_path):
    path = tmp_path / "net.py"
    path.write_text(CODE.format(n=n), encoding="utf-8")
    return [
        ("net", "-i", "3x8x8", f"Conv2d(3,{n},3)"),
        ("net", "-i", "3x8x8", f"nn.Sequential(nn.Conv2d(3, 4, 3), nn.Linear({n}, 2))"),
        ("net", "-i", "3x8x8", f"Sequential(\n  (0): Conv2d(3, {n}, kernel_size=(3, 3), stride=(1, 1))\n)"),
        ("net", "-i", "3x8x8", "--file", str(path)),
        ("conv", "3x8x8", "-k", "3", "-o", n),
        ("pool", "3x8x8", "-k", n),
        ("softmax", "--", f"1,{n}"),
    ]


def _one_clean_line(code, err, lang="en"):
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err
    assert "sys.set_int_max_str_digits" not in err and "4300" not in err
    assert (f"{NUMBER_CHARS}" in err) and ("limit" in err if lang == "en" else "上限" in err), err


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(digits=st.integers(4301, 12000), lead=st.sampled_from("123456789"))
def test_past_pythons_digit_limit_everywhere(cli, tmp_path, digits, lead):
    n = lead + "0" * (digits - 1)
    for args in _places(n, tmp_path):
        code, out, err = cli(*args)
        _one_clean_line(code, err)


def test_the_issue_case_in_both_languages(cli, tmp_path):
    n = "7" * 5000
    code, out, err = cli("net", f"Conv2d(3,{n},3)")
    _one_clean_line(code, err)
    assert "5,000" in err
    code, out, err = cli("net", "-i", "3x8x8", "--file", str(_write(tmp_path, n)), "--lang", "zh")
    _one_clean_line(code, err, "zh")


def _write(tmp_path, n):
    path = tmp_path / "big.py"
    path.write_text(CODE.format(n=n), encoding="utf-8")
    return path


@pytest.mark.parametrize("digits", [101, 4300])
def test_long_numbers_below_pythons_limit_are_refused_too(cli, digits):
    code, out, err = cli("net", "-i", "3x8x8", "Conv2d(3," + "9" * digits + ",3)")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
