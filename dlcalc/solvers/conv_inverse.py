"""The inverse conv question: which padding, stride or kernel size gives a wanted output size?

With x = H + 2P - D(K - 1) - 1 the forward rule H_out = ⌊x/S⌋ + 1 = T holds exactly when

    (T - 1)·S ≤ x ≤ T·S - 1,

which is solved for the unknown:

    padding:  ⌈((T - 1)·S - H + D(K - 1) + 1)/2⌉ ≤ P ≤ ⌊(T·S - H + D(K - 1))/2⌋
    kernel:   1 + ⌈(H + 2P - T·S)/D⌉ ≤ K ≤ 1 + ⌊(H + 2P - 1 - (T - 1)·S)/D⌋
    stride:   ⌊x/T⌋ + 1 ≤ S ≤ ⌊x/(T - 1)⌋   (every S > x when T = 1)

The answer is computed from the forward rule itself (see `window_inverse`), so torch's refusals
apply unchanged; height and width are intersected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dlcalc.declare import Solver
from dlcalc.errors import DlcalcError
from dlcalc.parse import parse_bool
from dlcalc.result import Result
from dlcalc.solvers import conv
from dlcalc.solvers.window_inverse import InverseSpec, read_unknown_and_target, target_pair
from dlcalc.solvers.window_inverse import solve as solve_inverse
from dlcalc.text import T

UNKNOWNS = ("padding", "stride", "kernel")


SOLVER = Solver(
    name="conv_inverse",
    help=T("A convolution's padding, stride or kernel solved from the output size it must give.", "由要求的输出尺寸反求卷积的补零、步幅或核尺寸。"),
    example="dlcalc conv 64x56x56 -k 3 --target 56 --solve padding",
    inputs=(),
    fields=("target", "solve"),
    command=False,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> InverseSpec:
    inputs = dict(inputs)
    unknown, dims = read_unknown_and_target(inputs)
    if parse_bool(inputs.get("transposed") or False, "transposed"):
        raise DlcalcError("solve: only plain convolutions are solved backwards (drop --transposed)")
    if unknown == "padding" and isinstance(inputs.get("padding"), str) and inputs["padding"].strip().lower() == "same":
        raise DlcalcError("padding: cannot both fix padding='same' and solve for it")
    inputs[unknown] = {"padding": 0, "stride": 1, "kernel": 1}[unknown]  # a placeholder, never used
    if inputs.get("kernel") is None:
        raise DlcalcError("conv: the kernel size is missing (-k/--kernel)")
    base = conv.parse_spec_unchecked(inputs)
    conv.validate_settings(base)
    channels, target = target_pair(dims, base.layout)
    if channels is not None and base.out_channels is not None and channels != base.out_channels:
        raise DlcalcError(f"target: {channels} channels but -o gives {base.out_channels}")
    return InverseSpec(base, unknown, target)


def solve(spec: InverseSpec) -> Result:
    return solve_inverse(spec)
