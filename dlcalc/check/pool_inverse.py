"""Cross-check an inverse pooling answer: the same check as for conv (`check.conv_inverse`)."""

from dlcalc.check.conv_inverse import check

__all__ = ["check"]
