"""The deep-learning functions sympy lacks, with the derivatives a student writes.

σ'(z) = σ(z)(1 - σ(z)) rather than e^-z/(1 + e^-z)², ReLU' = H(z) (the Heaviside step), and
softplus' = σ. Printed as σ, ReLU and softplus, in text and in LaTeX.
"""

from __future__ import annotations

import sympy


class sigmoid(sympy.Function):  # noqa: N801  (named as students write it)
    """σ(z) = 1/(1 + e^-z)."""

    def fdiff(self, argindex: int = 1):
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + sympy.exp(-z))

    def _eval_evalf(self, prec):
        return (1 / (1 + sympy.exp(-self.args[0]))).evalf(prec)

    def _latex(self, printer):
        return rf"\sigma\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer):
        return f"σ({printer._print(self.args[0])})"


class relu(sympy.Function):  # noqa: N801
    """max(0, z)."""

    def fdiff(self, argindex: int = 1):
        return sympy.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, z, **kwargs):
        return sympy.Max(0, z)

    def _eval_evalf(self, prec):
        return sympy.Max(0, self.args[0]).evalf(prec)

    def _latex(self, printer):
        return rf"\operatorname{{ReLU}}\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer):
        return f"relu({printer._print(self.args[0])})"


class softplus(sympy.Function):  # noqa: N801
    """ln(1 + e^z)."""

    def fdiff(self, argindex: int = 1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_log(self, z, **kwargs):
        return sympy.log(1 + sympy.exp(z))

    def _eval_evalf(self, prec):
        return sympy.log(1 + sympy.exp(self.args[0])).evalf(prec)


def expand_special(expr):
    """The same expression with σ, ReLU and softplus written out, for sympy's own checks."""
    return expr.rewrite(sympy.exp).rewrite(sympy.Max).rewrite(sympy.log)


def evaluate(expr, env: dict[str, float]) -> float:
    """A float value of an expression tree, walking its nodes (no code generation, no eval)."""
    import math

    from dlcalc.solvers import stable

    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_Number or expr in (sympy.pi, sympy.E):
        return float(expr)
    args = [evaluate(a, env) for a in expr.args]
    if expr.is_Add:
        return math.fsum(args)
    if expr.is_Mul:
        out = 1.0
        for a in args:
            out *= a
        return out
    if expr.is_Pow:
        return args[0] ** args[1]
    unary = {
        sigmoid: stable.sigmoid,
        relu: lambda x: max(0.0, x),
        softplus: lambda x: -stable.log_sigmoid(-x),
        sympy.tanh: math.tanh,
        sympy.exp: math.exp,
        sympy.log: math.log,
        sympy.sin: math.sin,
        sympy.cos: math.cos,
        sympy.Abs: abs,
        sympy.sign: lambda x: float((x > 0) - (x < 0)),
        sympy.Heaviside: lambda x, *h: 1.0 if x > 0 else 0.0,
    }
    if expr.func in unary:
        return unary[expr.func](*args)
    raise ValueError(f"cannot evaluate {expr.func}")
