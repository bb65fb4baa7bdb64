"""`dlcalc optim`, `attention`, `batchnorm`, `softmax`, `loss`, `act`, `metrics`."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from dlcalc.cli.app import app
from dlcalc.cli.options import Output, emit, output_options

FileArg = Annotated[
    Optional[str], typer.Argument(metavar="[FILE]", help="A YAML file with the fields.", show_default=False)
]


def _solve(module_name: str, file: Optional[str], options: dict, out: Output) -> None:
    import importlib

    from dlcalc.cli.files import merge

    module = importlib.import_module(f"dlcalc.solvers.{module_name}")
    emit(module.solve(module.parse_spec(merge(file, options))), out)


class Optimizer(str, Enum):
    sgd = "sgd"
    momentum = "momentum"
    nesterov = "nesterov"
    adagrad = "adagrad"
    rmsprop = "rmsprop"
    adam = "adam"


@app.command()
@output_options
def optim(
    f: Annotated[
        Optional[str], typer.Option("--f", help='The function to minimize, e.g. "w^2 + 3*w" or "x^2 + 10*y^2".')
    ] = None,
    grads: Annotated[
        Optional[str], typer.Option("--grads", help='Or a gradient per step: "0.5; -0.2; 0.1" (rows: steps).')
    ] = None,
    optimizer: Annotated[
        Optimizer, typer.Option("--optimizer", help="The update rule (torch.optim's).")
    ] = Optimizer.sgd,
    lr: Annotated[Optional[str], typer.Option("--lr", help="Learning rate.  [default: 0.1; 0.01 for rmsprop]")] = None,
    start: Annotated[
        Optional[str], typer.Option("--start", help='Starting point, e.g. "1,2".  [default: zeros]')
    ] = None,
    steps: Annotated[
        Optional[str], typer.Option("--steps", help="Number of steps.  [default: 5, or one per gradient]")
    ] = None,
    momentum: Annotated[
        Optional[str], typer.Option("--momentum", help="μ for momentum/nesterov.  [default: 0.9]")
    ] = None,
    betas: Annotated[Optional[str], typer.Option("--betas", help="Adam's β1,β2.  [default: 0.9,0.999]")] = None,
    eps: Annotated[
        Optional[str], typer.Option("--eps", help="ε.  [default: torch's: 1e-10 adagrad, 1e-8 otherwise]")
    ] = None,
    alpha: Annotated[Optional[str], typer.Option("--alpha", help="RMSProp's smoothing α.  [default: 0.99]")] = None,
    variables: Annotated[
        Optional[str], typer.Option("--vars", help="Order of the variables, e.g. x,y.  [default: sorted]")
    ] = None,
    compare: Annotated[
        Optional[str], typer.Option("--compare", help='Run several side by side: "sgd,momentum,adam".')
    ] = None,
    png: Annotated[
        Optional[str], typer.Option("--png", help="With --compare: plot the paths to a PNG (matplotlib).")
    ] = None,
    file: Annotated[Optional[str], typer.Option("--file", help="A YAML file with the same fields.")] = None,
    out: Output | None = None,
) -> None:
    """Worked steps of SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam, as torch.optim computes them.

    Example: dlcalc optim --f "w^2 + 3*w" --optimizer adam --lr 0.1 --start 1 --steps 3
    """
    from dlcalc.cli.files import merge
    from dlcalc.solvers import optim as solver

    options = {
        "f": f,
        "grads": grads,
        "optimizer": optimizer.value,
        "lr": lr,
        "start": start,
        "steps": steps,
        "momentum": momentum,
        "betas": betas,
        "eps": eps,
        "alpha": alpha,
        "vars": variables,
        "compare": compare,
    }
    result = solver.solve(solver.parse_spec(merge(file, options)))
    if png is not None:
        from dlcalc.render.plot import optimizer_png

        optimizer_png(png, result)
    emit(result, out)


@app.command()
@output_options
def attention(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="YAML: Q, K, V (rows per token), or X with W_Q, W_K, W_V.")
    ],
    causal: Annotated[bool, typer.Option("--causal", help="The decoder's mask: no token sees a later one.")] = False,
    heads: Annotated[
        Optional[str], typer.Option("--heads", help="Number of heads (then W_O is needed).  [default: 1]")
    ] = None,
    out: Output | None = None,
) -> None:
    """Scaled dot-product attention worked out: QKᵀ, ÷√d_k, mask, softmax by row, weighted sum of V.

    Example: dlcalc attention examples/attention.yaml --causal --check
    """
    _solve("attention", file, {"mask": "causal" if causal else None, "heads": heads}, out)


class Mode(str, Enum):
    train = "train"
    eval = "eval"


@app.command()
@output_options
def batchnorm(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="YAML: x (N×F rows or N×C×H×W), gamma, beta, eps, momentum.")
    ],
    mode: Annotated[
        Optional[Mode], typer.Option("--mode", help="train (batch statistics) or eval (running ones).")
    ] = None,
    out: Output | None = None,
) -> None:
    """Batch normalization forward: per-feature mean and variance, normalize, γ and β, running statistics.

    Example: dlcalc batchnorm examples/batchnorm.yaml --check
    """
    _solve("batchnorm", file, {"mode": mode.value if mode else None}, out)


@app.command()
@output_options
def softmax(
    logits: Annotated[str, typer.Argument(metavar="LOGITS", help='The logits, e.g. "2, 1, 0.1".')],
    temperature: Annotated[Optional[str], typer.Option("--temperature", help="Divide the logits by T first.")] = None,
    out: Output | None = None,
) -> None:
    """Softmax computed stably (shift by the max, log-sum-exp), with its Jacobian.

    Example: dlcalc softmax "2, 1, 0.1"
    """
    _solve("softmax", None, {"logits": logits, "temperature": temperature}, out)


class LossKind(str, Enum):
    cross_entropy = "cross_entropy"
    mse = "mse"
    bce = "bce"


@app.command()
@output_options
def loss(
    logits: Annotated[str, typer.Option("--logits", help='Logits (or predictions for mse), e.g. "2, 1, 0.1".')],
    target: Annotated[str, typer.Option("--target", help="A class index for cross_entropy, or a target vector.")],
    kind: Annotated[
        LossKind, typer.Option("--kind", help="cross_entropy (softmax), mse or bce (sigmoid).")
    ] = LossKind.cross_entropy,
    out: Output | None = None,
) -> None:
    """A loss and its gradient with respect to the logits: cross-entropy gives p - t.

    Example: dlcalc loss --logits "2, 1, 0.1" --target 0
    """
    _solve("softmax", None, {"logits": logits, "target": target, "loss": kind.value}, out)


class Activation(str, Enum):
    sigmoid = "sigmoid"
    tanh = "tanh"
    relu = "relu"
    leaky_relu = "leaky_relu"
    elu = "elu"
    gelu = "gelu"


@app.command()
@output_options
def act(
    function: Annotated[
        Activation, typer.Argument(metavar="FUNCTION", help="sigmoid, tanh, relu, leaky_relu, elu or gelu.")
    ],
    at: Annotated[str, typer.Option("--at", help='The points, e.g. "-2, 0, 3".')],
    alpha: Annotated[
        Optional[str], typer.Option("--alpha", help="Slope (leaky_relu, default 0.01) or α (elu, default 1).")
    ] = None,
    out: Output | None = None,
) -> None:
    """An activation's value and slope at given points, with the saturation and dead-unit remarks.

    Example: dlcalc act sigmoid --at "-6, 0, 2"
    """
    _solve("act", None, {"function": function.value, "at": at, "alpha": alpha}, out)


@app.command()
@output_options
def metrics(
    tp: Annotated[Optional[str], typer.Option("--tp", help="True positives.")] = None,
    fp: Annotated[Optional[str], typer.Option("--fp", help="False positives.")] = None,
    fn: Annotated[Optional[str], typer.Option("--fn", help="False negatives.")] = None,
    tn: Annotated[Optional[str], typer.Option("--tn", help="True negatives (for accuracy).")] = None,
    y_true: Annotated[Optional[str], typer.Option("--y-true", help='Or labels: "1,0,1,1".')] = None,
    y_pred: Annotated[Optional[str], typer.Option("--y-pred", help='Predicted labels: "1,1,0,1".')] = None,
    positive: Annotated[Optional[str], typer.Option("--positive", help="The positive label.  [default: 1]")] = None,
    data: Annotated[
        Optional[str], typer.Option("--data", help='A data vector to scale (min-max and z-score): "1, 2, 3, 10".')
    ] = None,
    out: Output | None = None,
) -> None:
    """Precision, recall, F1 and accuracy from counts or labels; min-max vs z-score scaling of data.

    Example: dlcalc metrics --tp 8 --fp 2 --fn 4 --tn 6
    """
    _solve(
        "metrics",
        None,
        {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
            "y_true": y_true,
            "y_pred": y_pred,
            "positive": positive,
            "data": data,
        },
        out,
    )
