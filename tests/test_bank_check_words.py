"""`dlcalc bank check` says what it checked: torch is claimed only when torch ran."""

import json

import pytest

PROBLEM = (
    "- id: tiny-conv\n  topic: conv\n  title: {zh: 题, en: a problem}\n  tags: []\n  difficulty: 1\n"
    "  source: made up\n"
    "  statement:\n    en: A 1×28×28 image goes through 25 kernels of 3×3. Give the output shape and the parameter count.\n"
    "    zh: 1×28×28 的图经过 25 个 3×3 卷积核。求输出形状和参数量。\n"
    "  solver: conv\n  inputs: {input: 1x28x28, kernel: 3, out_channels: 25}\n"
    "  answer: {output_shape: [25, 26, 26], params: 250}\n"
    "  parts:\n    - {key: output_shape, label: {en: output shape, zh: 输出形状}}\n"
    "    - {key: params, label: {en: parameter count, zh: 参数量}}\n"
)


@pytest.fixture
def bank(tmp_path):
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "p.yaml").write_text(PROBLEM, encoding="utf-8")
    return folder


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_torch_does_not_claim_torch(bank, cli, lang):
    code, out, err = cli("bank", "check", "--path", str(bank), "--no-torch", "--lang", lang)
    assert code == 0, err
    verdict = [line for line in out.splitlines() if "✓" in line]
    assert len(verdict) == 1, out
    assert "torch" in verdict[0]  # it says torch was not run ...
    if lang == "en":
        assert "matches its solver and torch" not in out and "torch not run" in verdict[0]
    else:
        assert "求解器和 torch 一致" not in out and "未运行 torch" in verdict[0]
    code, out, _ = cli("bank", "check", "--path", str(bank), "--no-torch", "--json")
    assert code == 0 and json.loads(out)["torch"] is False


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_with_torch_the_verdict_names_torch(bank, cli, lang):
    code, out, err = cli("bank", "check", "--path", str(bank), "--lang", lang)
    assert code == 0, err
    want = "matches its solver and torch" if lang == "en" else "与求解器和 torch 一致"
    assert want in out and "--no-torch" not in out
    code, out, _ = cli("bank", "check", "--path", str(bank), "--json")
    assert code == 0 and json.loads(out)["torch"] is True
