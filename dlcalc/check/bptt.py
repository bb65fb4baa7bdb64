"""Cross-check BPTT with torch autograd (float64): nn.RNN / nn.LSTM loaded with the same weights,
the loss of the same targets, `.backward()`, and every gradient, δ, update and Jacobian compared.

Independent of the solver's bookkeeping: the gradients come from torch's own parameters
(`weight_ih_l0`, …) and are cut into the input's names here; truncated BPTT is rebuilt by running
each loss term from the detached state K steps before it; δh_t and δc_t are the `.grad` of states
kept with `retain_grad` in a cell unrolled by hand; ∂h_T/∂h_t is `torch.autograd.functional.jacobian`.
"""

from __future__ import annotations

from typing import Any

import torch

from dlcalc.check import CheckReport, torch_version
from dlcalc.check.recurrent import F64, load, tensor
from dlcalc.result import Result
from dlcalc.text import T, Text

REL = 1e-9


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return abs(a - b) <= REL * max(1.0, abs(a), abs(b))


def _fmt(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(_fmt(x) for x in v) + ")"
    return f"{v:.9g}"


def _item(report: CheckReport, what: str | Text, ours: Any, theirs: Any) -> None:
    report.add(what, _fmt(ours), _fmt(theirs), _close(ours, theirs))


class Model:
    """The spec's network in torch: a module for the whole sequence and a cell for single steps."""

    def __init__(self, spec: Any) -> None:
        fwd = spec.forward
        w = fwd.weights
        self.spec, self.w = spec, w
        if spec.cell == "rnn":
            self.net = load(torch.nn.RNN(w.inputs, w.hidden, nonlinearity=fwd.nonlinearity, dtype=F64), w)
            self.cell = load(torch.nn.RNNCell(w.inputs, w.hidden, nonlinearity=fwd.nonlinearity, dtype=F64), w)
        else:
            self.net = load(torch.nn.LSTM(w.inputs, w.hidden, dtype=F64), w)
            self.cell = load(torch.nn.LSTMCell(w.inputs, w.hidden, dtype=F64), w)
        self.out = None
        if spec.cell == "rnn" and fwd.w_hy is not None:
            self.out = torch.nn.Linear(w.hidden, len(fwd.w_hy), dtype=F64)
            with torch.no_grad():
                self.out.weight.copy_(tensor(fwd.w_hy))
                self.out.bias.copy_(tensor(fwd.b_y))
        self.x = tensor(fwd.x)
        self.h0 = tensor(fwd.h0)
        self.c0 = tensor(fwd.c0) if spec.cell == "lstm" else None

    def run(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """The hidden states of x (rows) from state (h, c), through nn.RNN / nn.LSTM (h itself for no x)."""
        if len(x) == 0:
            return h.view(1, -1)
        if c is None:
            out, _ = self.net(x.unsqueeze(1), h.view(1, 1, -1))
        else:
            out, _ = self.net(x.unsqueeze(1), (h.view(1, 1, -1), c.view(1, 1, -1)))
        return out.squeeze(1)

    def output(self, hs: torch.Tensor) -> torch.Tensor:
        if self.out is None:
            return hs
        y = self.out(hs)
        return torch.softmax(y, dim=-1) if self.spec.forward.softmax else y

    def loss(self, outputs: dict[int, torch.Tensor]) -> torch.Tensor:
        """The loss of the targeted steps given (a subset for a truncated term), normalised over all."""
        spec = self.spec
        n = sum(len(t) for t in spec.target if t is not None)
        total = torch.zeros((), dtype=F64)
        for t, o in outputs.items():
            sq = ((o - tensor(spec.target[t - 1])) ** 2).sum()
            total = total + (0.5 * sq if spec.loss == "half_sse" else sq / n)
        return total

    def states(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """h_0 … h_T and c_0 … c_T, without gradients."""
        with torch.no_grad():
            h, c = self.h0.view(1, -1), None if self.c0 is None else self.c0.view(1, -1)
            hs, cs = [h[0]], [] if c is None else [c[0]]
            for x in self.x:
                if c is None:
                    h = self.cell(x.view(1, -1), h)
                else:
                    h, c = self.cell(x.view(1, -1), (h, c))
                    cs.append(c[0])
                hs.append(h[0])
        return hs, cs

    def parameters(self) -> list[torch.nn.Parameter]:
        return list(self.net.parameters()) + ([] if self.out is None else list(self.out.parameters()))


def gradients(model: Model) -> tuple[float, dict[str, torch.Tensor]]:
    """Autograd through the whole unrolled sequence, or (truncated) one loss term at a time."""
    spec = model.spec
    targeted = [t for t, tgt in enumerate(spec.target, 1) if tgt is not None]
    for p in model.parameters():
        p.grad = None
    if spec.truncate is None:
        hs = model.run(model.x, model.h0, model.c0)
        loss = model.loss({t: model.output(hs[t - 1]) for t in targeted})
        loss.backward()
        value = loss.item()
    else:
        hs_, cs_ = model.states()
        value = 0.0
        for s in targeted:
            start = max(0, s - spec.truncate)  # the state h_start is a constant: nothing flows into it
            h = hs_[start].detach()
            c = cs_[start].detach() if cs_ else None
            out = model.run(model.x[start:s], h, c)
            term = model.loss({s: model.output(out[-1])})
            term.backward()
            value += term.item()

    def grad(p: torch.Tensor) -> torch.Tensor:
        return p.grad.clone() if p.grad is not None else torch.zeros_like(p)

    grads = {name: grad(p) for name, p in model.net.named_parameters()}
    if model.out is not None:
        grads["out_weight"] = grad(model.out.weight)
        grads["out_bias"] = grad(model.out.bias)
    return value, grads


def named(spec: Any, grads: dict[str, torch.Tensor]) -> dict[str, list]:
    """torch's parameter gradients cut into the input's own names (torch layout or per gate)."""
    w = spec.forward.weights
    n = w.hidden
    g_ih, g_hh = grads["weight_ih_l0"], grads["weight_hh_l0"]
    g_bih, g_bhh = grads["bias_ih_l0"], grads["bias_hh_l0"]
    out: dict[str, list] = {}
    if w.form == "torch":
        out.update(
            {
                "weight_ih": g_ih.tolist(),
                "weight_hh": g_hh.tolist(),
                "bias_ih": g_bih.tolist(),
                "bias_hh": g_bhh.tolist(),
            }
        )
    else:
        for k, gate in enumerate(w.gates):
            rows = slice(k * n, (k + 1) * n)
            names = w.named(gate)
            if names.u is None:
                out[names.w] = torch.cat([g_hh[rows], g_ih[rows]], dim=1).tolist()
            else:
                out[names.w] = g_ih[rows].tolist()
                out[names.u] = g_hh[rows].tolist()
            if names.b_ih is not None:
                out[names.b_ih] = g_bih[rows].tolist()
    if "out_weight" in grads:
        w_name, b_name = spec.forward.out_names
        out[w_name] = grads["out_weight"].tolist()
        if b_name is not None:
            out[b_name] = grads["out_bias"].tolist()
    return out


def deltas(model: Model) -> tuple[list[list[float]], list[list[float]]]:
    """∂L/∂h_t and ∂L/∂c_t for t = 1..T: the .grad of every state of a cell unrolled by hand."""
    spec = model.spec
    h = model.h0.view(1, -1)
    c = None if model.c0 is None else model.c0.view(1, -1)
    hs, cs = [], []
    for x in model.x:
        if c is None:
            h = model.cell(x.view(1, -1), h)
        else:
            h, c = model.cell(x.view(1, -1), (h, c))
            c.retain_grad()
            cs.append(c)
        h.retain_grad()
        hs.append(h)
    loss = model.loss({t: model.output(hs[t - 1][0]) for t, tgt in enumerate(spec.target, 1) if tgt is not None})
    loss.backward()

    def grad(v: torch.Tensor) -> list[float]:
        return v.grad[0].tolist() if v.grad is not None else [0.0] * v.shape[1]

    return [grad(v) for v in hs], [grad(v) for v in cs]


def jacobians(model: Model, t: int) -> tuple[torch.Tensor, torch.Tensor | None, list[float] | None]:
    """∂h_T/∂h_t (c_t held), ∂c_T/∂c_t (h_t held) and the forget gates' product f_{t+1} ⊙ … ⊙ f_T."""
    hs, cs = model.states()
    x = model.x[t:]
    if model.c0 is None:
        dh = torch.autograd.functional.jacobian(lambda h: model.run(x, h, None)[-1], hs[t])
        return dh, None, None
    c_t = cs[t]
    dh = torch.autograd.functional.jacobian(lambda h: model.run(x, h, c_t)[-1], hs[t])

    def last_cell(c: torch.Tensor) -> torch.Tensor:
        h_, c_ = hs[t].view(1, -1), c.view(1, -1) * 1  # * 1: the identity still goes through autograd
        for xk in x:
            h_, c_ = model.cell(xk.view(1, -1), (h_, c_))
        return c_[0]

    dc = torch.autograd.functional.jacobian(last_cell, c_t)
    n = model.w.hidden
    w_if = tensor(model.w.w_ih)[n : 2 * n]
    w_hf = tensor(model.w.w_hh)[n : 2 * n]
    b_f = tensor(model.w.b_ih)[n : 2 * n] + tensor(model.w.b_hh)[n : 2 * n]
    path = torch.ones(n, dtype=F64)
    for k in range(t + 1, len(hs)):
        path = path * torch.sigmoid(w_if @ model.x[k - 1] + w_hf @ hs[k - 1] + b_f)
    return dh, dc, path.tolist()


def _norm(m: torch.Tensor) -> float:
    return float(torch.linalg.matrix_norm(m, ord=2))


def check(result: Result) -> CheckReport:
    spec = result.spec
    a = result.answer
    kind = "nn.RNN" if spec.cell == "rnn" else "nn.LSTM"
    report = CheckReport(f"{torch_version()} {kind} + autograd (float64)")
    model = Model(spec)
    hs = model.run(model.x, model.h0, model.c0).detach()
    _item(report, "h", a["h"], hs.tolist())
    value, grads = gradients(model)
    _item(report, T("loss", "损失"), a["loss"] if spec.truncate is None else value, value)
    theirs = named(spec, grads)
    for key, g in a["grads"].items():
        _item(report, f"∂L/∂{key}", g, theirs.get(key, []))
    for key, new in a["updated"].items():
        _item(report, f"{key}′", new, _sgd(spec, key, theirs[key]))
    if spec.truncate is None:
        dh, dc = deltas(model)
        _item(report, "δh", a["delta_h"], dh)
        if spec.cell == "lstm":
            _item(report, "δc", a["delta_c"], dc)
    for row in a["through_time"]:
        t = row["t"]
        dh_j, dc_j, path = jacobians(model, t)
        _item(report, f"∂h_T/∂h{t}", row["dh_dh"], dh_j.tolist())
        _item(report, f"‖∂h_T/∂h{t}‖₂", row["norm"], _norm(dh_j))
        if dc_j is not None:
            _item(report, f"‖∂c_T/∂c{t}‖₂", row["dc_norm"], _norm(dc_j))
            _item(report, f"Π f (t = {t})", row["cell_path"], path)
    return report


def _sgd(spec: Any, key: str, grad: list) -> list:
    """The parameter after torch.optim.SGD(lr) takes one step with torch's gradient."""
    from dlcalc.solvers.bptt import current

    param = next(p for p in spec.params if p.key == key)
    value = torch.nn.Parameter(tensor(current(spec, param)))
    value.grad = tensor(grad)
    opt = torch.optim.SGD([value], lr=spec.lr)
    opt.step()
    return value.detach().tolist()
