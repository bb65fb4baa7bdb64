"""When a drawn question is fit to ask: the checks the template stress test also asserts."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from dlcalc.bank.parts import exact

TIE_MARGIN = Fraction(1, 50)  # a decimal answer at least 2 % of a unit away from a rounding tie


def numbers(q: Any) -> list[Any]:
    """Every graded number of a question (yes/no and expression parts left out)."""
    return [v for a in q.parts if a.grade.kind not in ("yesno", "expression") for v in a.expected]


def clear_rounding(q: Any) -> bool:
    """No decimal part sits on a rounding tie, where one more digit carried changes the answer."""
    for a in q.parts:
        if a.grade.kind != "decimals":
            continue
        for v in a.expected:
            e = exact(v)
            if e is None:
                return False
            scaled = e * 10**a.grade.digits
            if abs(scaled - int(scaled) - Fraction(1, 2) * (1 if scaled >= 0 else -1)) < TIE_MARGIN:
                return False
    return True


def well_posed(q: Any) -> bool:
    r = q.result
    a = r.answer
    values = numbers(q)
    if any(v is None for v in values) or not clear_rounding(q):
        return False
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
        return all(0.01 < abs(v) < 0.99 for v in values)
    if q.topic == "optim" and abs(float(values[0]) - float(a["start"][0])) < 1e-3:
        return False  # started at the minimum: nothing to compute
    if q.topic in ("optim", "attention", "batchnorm", "softmax", "loss", "act"):
        return all(abs(float(v)) < 1e3 for v in values) and any(abs(float(v)) > 1e-3 for v in values)
    if q.topic == "grad":
        return abs(values[0]) < 100 and abs(values[0]) > 1e-3
    from dlcalc.solvers import load

    module = load(q.topic)
    own = getattr(module, "well_posed", None)  # a solver may say when its own questions are fit to ask
    return bool(own(q)) if own is not None else True
