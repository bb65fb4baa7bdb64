"""The inverse pooling question: which padding, stride or kernel size gives a wanted output size?

The same floor inequality as for a convolution (see `conv_inverse`), within pooling's own limits:
the padding is at most ⌊K/2⌋, `ceil_mode` rounds up and drops a last window that would start in
the right padding, and without an explicit stride the stride is the kernel size, so solving for
the kernel moves the stride with it. The answer comes from the forward rule (`window_inverse`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dlcalc.declare import Solver
from dlcalc.errors import DlcalcError
from dlcalc.result import Result
from dlcalc.solvers import pool
from dlcalc.solvers.window_inverse import InverseSpec, read_unknown_and_target, target_pair
from dlcalc.solvers.window_inverse import solve as solve_inverse
from dlcalc.text import T

SOLVER = Solver(
    name="pool_inverse",
    help=T("A pooling layer's padding, stride or kernel solved from the output size it must give.", "由要求的输出尺寸反求池化的补零、步幅或核尺寸。"),
    example="dlcalc pool 64x56x56 --target 7 --solve kernel",
    inputs=(),
    fields=("target", "solve"),
    command=False,
    read_all=lambda inputs: parse_spec(inputs),
)


def parse_spec(inputs: Mapping[str, Any]) -> InverseSpec:
    inputs = dict(inputs)
    unknown, dims = read_unknown_and_target(inputs)
    follows = unknown == "kernel" and inputs.get("stride") is None
    if unknown == "stride":
        inputs["stride"] = 1  # a placeholder, never used
    elif unknown == "padding":
        inputs["padding"] = 0
    elif inputs.get("kernel") is None:
        inputs["kernel"] = 1
    if inputs.get("kernel") is None:
        raise DlcalcError("pool: the kernel size is missing (-k/--kernel)")
    base = pool.parse_spec_unchecked(inputs)
    pool.validate_settings(base)
    channels, target = target_pair(dims, base.layout)
    if channels is not None and base.channels is not None and channels != base.channels:
        raise DlcalcError(f"target: {channels} channels, but pooling keeps the input's {base.channels}")
    return InverseSpec(base, unknown, target, stride_follows_kernel=follows)


def solve(spec: InverseSpec) -> Result:
    return solve_inverse(spec)
