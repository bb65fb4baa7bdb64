"""`dlcalc backprop`: built from the backprop solver's declaration, plus `--mine`: your own
values marked against the derivation (exit 1 when one is wrong)."""

from __future__ import annotations

from typing import Any

from dlcalc.declare import Input, Solver
from dlcalc.text import T

OPTIONS = (
    Input("mine", help=T("YAML of your own values (z1, a1, loss, delta2, grads, updated…) to mark.",
                         "你自己算出的数值（z1、a1、loss、delta2、grads、updated…）的 YAML 文件，逐项批改。"), metavar="FILE"),
    Input("tol", help=T("Relative tolerance for --mine.", "--mine 的相对容差。"), metavar="NUMBER", default=1e-3),
)  # fmt: skip


def run_command(solver: Solver, inputs: dict[str, Any], options: dict[str, Any], out: Any, pictures: dict[str, str]) -> None:
    from dlcalc.cli.build import find_file, save_pictures
    from dlcalc.cli.files import load_mapping
    from dlcalc.cli.options import emit
    from dlcalc.errors import CheckFailed, DlcalcError
    from dlcalc.parse import parse_number
    from dlcalc.solvers import backprop, spec_of

    if not ({"input", "layers"} & set(inputs)):
        raise DlcalcError(T("backprop: give the problem's YAML file with -f FILE", "backprop：请用 -f FILE 给出题目的 YAML 文件"))
    result = backprop.solve(spec_of("backprop", inputs))
    save_pictures(result, pictures, out.lang)
    marked = None
    if options.get("mine") is not None:
        tol = float(parse_number(options["tol"], "tol")) if options.get("tol") is not None else 1e-3
        marked = backprop.mark(result, load_mapping(find_file(options["mine"]), "mine"), tol)
        _attach_marks(result, marked)
    emit(result, out)
    if marked is not None and marked["wrong"]:
        raise CheckFailed()


def _attach_marks(result, marked) -> None:
    from dlcalc import mathfmt as m
    from dlcalc.render import step_text
    from dlcalc.result import Table
    from dlcalc.text import T, Text

    result.answer["mine"] = marked
    rows = [
        [r["name"], m.fmt_number(r["yours"], 9), m.fmt_number(r["correct"], 9), "✓" if r["ok"] else "✗"]
        for r in marked["rows"]
    ]
    result.tables.append(
        Table(
            [T("value", "数值"), T("yours", "你的"), T("correct", "正确"), T("", "")],
            rows,
            T("Your work, in the order of the derivation", "你的计算（按推导顺序）"),
        )
    )
    first = marked["first_wrong"]
    if first is None:
        result.summary.append(
            (T("Your work", "你的计算"), T("all {n} values right", "全部 {n} 个数值正确").format(n=marked["checked"]))
        )
        return
    line = ""
    if first["name"] in result.anchors:
        line = step_text(result.steps[result.anchors[first["name"]]])
    result.summary.append(
        (
            T("First wrong step", "第一个错误"),
            Text(
                f"{first['name']}: you wrote {m.fmt_number(first['yours'], 9)}, correct is {m.fmt_number(first['correct'], 9)}"
                + (f" — from {line}" if line else ""),
                f"{first['name']}：你写的是 {m.fmt_number(first['yours'], 9)}，正确值为 {m.fmt_number(first['correct'], 9)}"
                + (f" —— 由 {line} 得到" if line else ""),
            ),
        )
    )
