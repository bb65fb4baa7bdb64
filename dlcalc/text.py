"""Bilingual prose: every label and note a solver writes carries English and Chinese."""

from __future__ import annotations

from dataclasses import dataclass

LANGS = ("en", "zh")


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def __call__(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en

    def format(self, **values: object) -> Text:
        return Text(self.en.format(**values), self.zh.format(**values))

    def __add__(self, other: Text) -> Text:
        return Text(self.en + other.en, self.zh + other.zh)


def T(en: str, zh: str) -> Text:
    return Text(en, zh)


# --- error messages written in English at their raise site, read in Chinese ---------------------
#
# Most refusals are built where the bad value is found, in English (`kernel: must be positive,
# got -1`). With `--lang zh` the one stderr line is put into Chinese through this table of the
# phrases those messages are made of (a field name, a value and code stay as written). A raise site
# may instead give `DlcalcError(T(en, zh))`; then this table is not used.
_ZH_PHRASES: tuple[tuple[str, str], ...] = (
    (r"use either the torch layout \((.*?)\) or the per-gate form \((.*?)\), not both",
     r"要么用 torch 的排布（\1），要么用逐门形式（\2），不可同时使用"),
    (r"give either (\S+) \((?:a function)\) or (\S+) \((?:a gradient sequence)\), not both",
     r"只能给出 \1（函数）或 \2（梯度序列）之一"),
    (r"a cross-entropy target must be probabilities summing to 1 \(or a class index\)",
     r"交叉熵的目标须为和为 1 的概率（或类别下标）"),
    (r"momentum and alpha lie in \[0, 1\), eps is not negative", r"momentum 与 alpha 应在 [0, 1) 内，eps 不能为负"),
    (r"expected two numbers in \[0, 1\), e\.g\. (\S+)", r"应为 [0, 1) 内的两个数，例如 \1"),
    (r"is not a variable name \(a letter, then letters, digits or _\)", r"不是变量名（字母开头，后接字母、数字或 _）"),
    (r"is not a variable name", r"不是变量名"),
    (r"the function has no variable to optimize", r"函数中没有可优化的变量"),
    (r"the function also uses (\S+)", r"函数还用到了 \1"),
    (r"unknown optimizer (\S+) \(expected (.*)\)", r"未知的优化器 \1（应为 \2）"),
    (r"unknown field (\S+) \(expected one of (.*)\)", r"未知字段 \1（应为以下之一：\2）"),
    (r"only a transposed convolution \((\S+)\) takes it", r"只有转置卷积（\1）才有此项"),
    (r"(\S+) and (\S+) go together", r"\1 与 \2 须同时给出"),
    (r"give at least two values to scale", r"至少给出两个值才能缩放"),
    (r"class index (\S+) is outside (\S+)", r"类别下标 \1 不在 \2 内"),
    (r"(\d+) labels for (\d+) samples", r"\1 个标签对应 \2 个样本"),
    (r"(\d+) weights for (\d+) inputs per sample", r"\1 个权重对应每个样本 \2 个输入"),
    (r"rows have different lengths", r"各行长度不同"),
    (r"is not a layer dlcalc knows: write a layer call such as", r"不是 dlcalc 认识的层：请写成层调用，例如"),
    (r"is (.*?), not a layer: write a layer call such as", r"是\1，不是层：请写成层调用，例如"),
    (r"is not a layer constructor: write a layer call such as", r"不是层的构造调用：请写成层调用，例如"),
    (r"expected a YAML mapping of fields, got (\S+)", r"应为字段的 YAML 映射，得到 \1"),
    (r"expected a YAML mapping", r"应为 YAML 映射"),
    (r"expected rows like (.*?), got", r"应为形如 \1 的行，得到"),
    (r"expected a whole number", r"应为整数"),
    (r"expected a finite number", r"应为有限的数"),
    (r"expected a number \(division by zero\)", r"应为数字（除以零）"),
    (r"expected a flat list of numbers", r"应为一维数字列表"),
    (r"expected at least one number", r"应至少有一个数"),
    (r"expected at least one row", r"应至少有一行"),
    (r"expected a number", r"应为数字"),
    (r"expected true or false", r"应为 true 或 false"),
    (r"expected name=value", r"应为 name=value"),
    (r"expected N, NxM, 'same' or 'valid'", r"应为 N、NxM、'same' 或 'valid'"),
    (r"expected N or HxW", r"应为 N 或 HxW"),
    (r"expected (\S+) to (\S+), got", r"应为 \1 到 \2，得到"),
    (r"expected one of (.*?), got", r"应为 \1 之一，得到"),
    (r"must be at least (\S+), got", r"至少为 \1，得到"),
    (r"must be positive", r"必须为正"),
    (r"must not be negative", r"不能为负"),
    (r"a count cannot be negative", r"计数不能为负"),
    (r"(\S+) is too large a number", r"\1 这个数太大"),
    (r"cannot write (.+?) \((.*)\)$", r"无法写入 \1（\2）"),
    # an OS error's own words (e.strerror), in a message built here or given as T(en, zh)
    (r"(?i)no such file or directory", r"没有这个文件或目录"),
    (r"Permission denied", r"没有权限"),
    (r"Is a directory", r"是目录"),
    (r"Not a directory", r"不是目录"),
    (r"Read-only file system", r"只读文件系统"),
    (r"No space left on device", r"设备上没有剩余空间"),
    (r"File name too long", r"文件名太长"),
    # shapes and the layer sizes they come from (a recurrent cell's weights, a layer's matrix)
    (r"missing \(expected shape (\S+), or (\S+) on \[h, x\]\)", r"缺少（形状应为 \1，或 [h, x] 上的 \2）"),
    (r"; or give (\S+) as (\S+) on \[h, x\]", r"；或把 \1 给成 [h, x] 上的 \2"),
    (r"missing \(expected shape (\S+)\)", r"缺少（形状应为 \1）"),
    (r"expected shape (\S+)", r"形状应为 \1"),
    (r" ?\((\d+) gates × hidden (\d+), input (\d+)\):? ?", r"（\1 个门 × 隐藏 \2，输入 \3）："),
    (r" ?\((\d+) gates × hidden (\d+), hidden (\d+)\):? ?", r"（\1 个门 × 隐藏 \2，隐藏 \3）："),
    (r" ?\(hidden (\d+), input (\d+)\):? ?", r"（隐藏 \1，输入 \2）："),
    (r" ?\(hidden (\d+), hidden (\d+)\):? ?", r"（隐藏 \1，隐藏 \2）："),
    (r"no such file", r"没有这个文件"),
    (r"is a directory, not a file", r"是目录，不是文件"),
    (r"is missing", r"缺少"),
    (r", got ", r"，得到 "),
    (r"^(\S+): ", r"\1："),
)


def zh_message(message: str) -> str:
    """An English refusal in Chinese, phrase by phrase (see `_ZH_PHRASES`); unknown phrases stay."""
    import re

    for pattern, replacement in _ZH_PHRASES:
        message = re.sub(pattern, replacement, message)
    return message
