"""When a drawn question is fit to ask: the checks the template stress test also asserts."""

from __future__ import annotations

from typing import Any


def well_posed(q: Any) -> bool:
    r = q.result
    a = r.answer
    if q.topic in ("conv", "pool", "net"):
        return all(isinstance(v, int) and v > 0 for v in a["output_shape"]) and max(a["output_shape"]) <= 4096
    if q.topic == "perceptron":
        if not a["converged"] or not 1 <= a["updates"] <= 8:
            return False
        return all(h["net"] != 0 for h in a["history"])  # no sgn(0) tie anywhere in the run
    if q.topic == "backprop":
        zs = [v for layer in a["forward"].values() for v in layer]
        grads = [v for row in a["grads"]["W1"] + a["grads"]["W2"] for v in row]
        return all(abs(z) < 4 for z in zs) and max(abs(g) for g in grads) > 1e-4
    if q.topic in ("rnn", "lstm", "gru"):
        return all(0.01 < abs(v) < 0.99 for v in q.expected)
    if q.topic in ("optim", "attention", "batchnorm", "softmax", "activation"):
        return all(abs(float(v)) < 1e3 for v in q.expected) and any(abs(float(v)) > 1e-3 for v in q.expected)
    if q.topic == "metrics":
        return q.expected[0] is not None
    if q.topic == "grad":
        return q.expected[0] is not None and abs(q.expected[0]) < 100 and abs(q.expected[0]) > 1e-3
    return True
