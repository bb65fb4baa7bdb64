"""`dlcalc loss --check`: the loss is softmax's computation, checked by softmax's torch check."""

from dlcalc.check.softmax import check

__all__ = ["check"]
