"""Cross-check backprop: the same network in torch float64, gradients by autograd.

Cross-entropy goes through torch's own stable forms (binary_cross_entropy_with_logits,
log_softmax) on the output layer's net input, as the solver does. If torch's numbers overflow
where dlcalc's did not, the check could not run: exit 2 with that said, never a "disagreement".
"""

from __future__ import annotations

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.errors import DlcalcError
from dlcalc.result import Result
from dlcalc.text import T

TOL = 1e-9


def _act(kind: str, z: torch.Tensor, alpha: float) -> torch.Tensor:
    if kind == "sigmoid":
        return torch.sigmoid(z)
    if kind == "tanh":
        return torch.tanh(z)
    if kind == "relu":
        return torch.relu(z)
    if kind == "leaky_relu":
        return torch.nn.functional.leaky_relu(z, alpha)
    if kind == "softmax":
        return torch.softmax(z, dim=0)
    return z


def check(result: Result) -> CheckReport:
    spec = result.spec
    report = CheckReport(f"{torch_version()} autograd (float64)")
    f64 = torch.float64
    a = torch.tensor([float(v) for v in spec.input], dtype=f64)
    t = torch.tensor([float(v) for v in spec.target], dtype=f64)
    params = []
    for layer in spec.layers:
        w = torch.tensor([[float(v) for v in row] for row in layer.weights], dtype=f64, requires_grad=True)
        b = torch.tensor([float(v) for v in layer.bias], dtype=f64, requires_grad=True)
        params.append((w, b))
        z = w @ a + (b if not layer.shared_bias else b.expand(w.shape[0]))
        a = _act(layer.activation, z, float(layer.alpha))
    if spec.loss == "half_sse":
        loss = 0.5 * ((t - a) ** 2).sum()
    elif spec.loss == "mse":
        loss = torch.nn.functional.mse_loss(a, t)
    elif spec.layers[-1].activation == "sigmoid":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="sum")
    else:
        loss = -(t * torch.log_softmax(z, dim=0)).sum()
    loss.backward()
    values = [loss.detach()] + [p.grad for pair in params for p in pair]
    if not all(v is not None and torch.isfinite(v).all() for v in values):
        raise DlcalcError(
            "--check could not run: torch's float64 computation overflows (inf or NaN) on these numbers, "
            "so there is nothing to compare; run without --check for dlcalc's exact answer"
        )
    report.add(
        T("loss", "损失"), result.answer["loss"], loss.item(), abs(float(result.answer["loss"]) - loss.item()) <= TOL
    )
    for l, (w, b) in enumerate(params, 1):
        for name, tensor in ((f"W{l}", w), (f"b{l}", b)):
            ours = (
                torch.tensor([[float(v) for v in row] for row in result.answer["grads"][name]], dtype=f64)
                if name.startswith("W")
                else torch.tensor([float(v) for v in result.answer["grads"][name]], dtype=f64)
            )
            grad = tensor.grad
            assert grad is not None  # every parameter is in the loss, so backward() filled it
            diff = (ours - grad).abs().max().item()
            report.add(f"∂E/∂{name}", _short(ours), _short(grad), diff <= TOL)
    return report


def _short(x: torch.Tensor) -> str:
    return "[" + ", ".join(f"{v:.9g}" for v in x.flatten().tolist()) + "]"
