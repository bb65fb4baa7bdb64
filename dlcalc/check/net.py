"""Cross-check a network: build the same nn.Sequential (on the meta device: real shape rules, no
weights in memory) and compare every layer's output shape and parameter count."""

from __future__ import annotations

import torch
from torch import nn

from dlcalc.check import CheckReport, torch_version
from dlcalc.result import Result
from dlcalc.solvers.net import NetSpec


def build(spec: NetSpec) -> nn.Sequential:
    # The arguments are the whitelisted literals the layer parser produced, never evaluated text.
    with torch.device("meta"):
        return nn.Sequential(*[getattr(nn, call.name)(**call.args) for call in spec.layers])


def check(result: Result) -> CheckReport:
    spec: NetSpec = result.spec
    report = CheckReport(f"{torch_version()} nn.Sequential on the meta device")
    try:
        model = build(spec)
    except (RuntimeError, ValueError, TypeError) as e:
        report.add("build", "ok", f"torch refused: {str(e).splitlines()[0]}", False)
        return report
    x = torch.zeros(1, *spec.input_shape, device="meta")
    for row, layer in zip(result.answer["layers"], model):
        what = f"L{row['index']} {row['type']}"
        try:
            with torch.no_grad():
                x = layer(x)
        except (RuntimeError, ValueError) as e:
            report.add(what, row["output_shape"], f"torch refused: {str(e).splitlines()[0]}", False)
            return report
        params = sum(p.numel() for p in layer.parameters())
        theirs = [list(x.shape[1:]), params]
        report.add(what, [row["output_shape"], row["params"]], theirs)
    report.add("total params", result.answer["total_params"], sum(p.numel() for p in model.parameters()))
    return report
