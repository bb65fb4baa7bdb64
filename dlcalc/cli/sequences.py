"""`dlcalc rnn`, `dlcalc lstm`, `dlcalc gru`: forward passes with every gate worked out."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Output, emit, output_options

FileArg = Annotated[
    Optional[str],
    typer.Argument(metavar="[FILE]", help="YAML with x, h0, and the weights (either form).", show_default=False),
]
XOpt = Annotated[Optional[str], typer.Option("--x", help='The sequence, one step per row: "1; 2; 3" or "1,0; 0,1".')]
H0Opt = Annotated[Optional[str], typer.Option("--h0", help='Initial hidden state, e.g. "0,0".  [default: zeros]')]
WihOpt = Annotated[
    Optional[str], typer.Option("--weight-ih", help='torch layout: rows "0.1,0.2; 0.3,0.4" (gates stacked).')
]
WhhOpt = Annotated[Optional[str], typer.Option("--weight-hh", help="torch layout: hidden-to-hidden weights.")]
BihOpt = Annotated[Optional[str], typer.Option("--bias-ih", help="torch layout: input bias.")]
BhhOpt = Annotated[Optional[str], typer.Option("--bias-hh", help="torch layout: hidden bias.")]
SetOpt = Annotated[
    Optional[list[str]], typer.Option("--set", help='Any field by its YAML name, e.g. --set "W_f=0.5" --set "U_f=0.1".')
]


def collect(file, options: dict, sets: Optional[list[str]]) -> dict:
    from dlcalc.cli.files import merge
    from dlcalc.errors import DlcalcError

    inputs = merge(file, options)
    for item in sets or []:
        if "=" not in item:
            raise DlcalcError(f"--set: expected NAME=VALUE, got {item!r}")
        key, value = (s.strip() for s in item.split("=", 1))
        inputs[key] = value
    return inputs


@app.command()
@output_options
def rnn(
    file: FileArg = None,
    x: XOpt = None,
    h0: H0Opt = None,
    weight_ih: WihOpt = None,
    weight_hh: WhhOpt = None,
    bias_ih: BihOpt = None,
    bias_hh: BhhOpt = None,
    nonlinearity: Annotated[
        Optional[str], typer.Option("--nonlinearity", help="tanh or relu.  [default: tanh]")
    ] = None,
    set_: SetOpt = None,
    out: Output | None = None,
) -> None:
    """A simple RNN's forward pass, h_t = tanh(W_ih x_t + b_ih + W_hh h_t-1 + b_hh), step by step.

    Example: dlcalc rnn --x "1; 2; 3" --weight-ih 0.5 --weight-hh 0.1
    """
    from dlcalc.solvers import rnn as solver

    inputs = collect(
        file,
        {
            "x": x,
            "h0": h0,
            "weight_ih": weight_ih,
            "weight_hh": weight_hh,
            "bias_ih": bias_ih,
            "bias_hh": bias_hh,
            "nonlinearity": nonlinearity,
        },
        set_,
    )
    emit(solver.solve(solver.parse_spec(inputs)), out)


@app.command()
@output_options
def lstm(
    file: FileArg = None,
    x: XOpt = None,
    h0: H0Opt = None,
    c0: Annotated[Optional[str], typer.Option("--c0", help="Initial cell state.  [default: zeros]")] = None,
    weight_ih: WihOpt = None,
    weight_hh: WhhOpt = None,
    bias_ih: BihOpt = None,
    bias_hh: BhhOpt = None,
    set_: SetOpt = None,
    out: Output | None = None,
) -> None:
    """An LSTM's forward pass: input, forget and output gates, candidate, cell and hidden state.

    Example: dlcalc lstm examples/lstm-scalar.yaml --check
    """
    from dlcalc.solvers import lstm as solver

    inputs = collect(
        file,
        {
            "x": x,
            "h0": h0,
            "c0": c0,
            "weight_ih": weight_ih,
            "weight_hh": weight_hh,
            "bias_ih": bias_ih,
            "bias_hh": bias_hh,
        },
        set_,
    )
    emit(solver.solve(solver.parse_spec(inputs)), out)


class Convention(str, Enum):
    torch = "torch"
    textbook = "textbook"
    cho = "cho"


@app.command()
@output_options
def gru(
    file: FileArg = None,
    x: XOpt = None,
    h0: H0Opt = None,
    weight_ih: WihOpt = None,
    weight_hh: WhhOpt = None,
    bias_ih: BihOpt = None,
    bias_hh: BhhOpt = None,
    convention: Annotated[
        Optional[Convention],
        typer.Option(
            "--convention",
            help="torch: n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)), h = (1-z)⊙n + z⊙h.  "
            "textbook: n = tanh(W_in x + b_in + W_hn(r⊙h) + b_hn), h = (1-z)⊙h + z⊙n.  "
            "cho: n as textbook, h = z⊙h + (1-z)⊙n.  [default: torch]",
        ),
    ] = None,
    set_: SetOpt = None,
    out: Output | None = None,
) -> None:
    """A GRU's forward pass: reset and update gates, candidate and hidden state, in a named convention.

    Example: dlcalc gru examples/gru-scalar.yaml --convention textbook --check
    """
    from dlcalc.solvers import gru as solver

    inputs = collect(
        file,
        {
            "x": x,
            "h0": h0,
            "weight_ih": weight_ih,
            "weight_hh": weight_hh,
            "bias_ih": bias_ih,
            "bias_hh": bias_hh,
            "convention": convention.value if convention else None,
        },
        set_,
    )
    emit(solver.solve(solver.parse_spec(inputs)), out)
