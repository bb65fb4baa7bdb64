"""Pure solvers: a mapping of inputs in, a `Result` out. No printing, no torch."""
