"""dlcalc: worked, torch-checked answers to deep-learning exam calculations."""

__version__ = "0.1.0"
