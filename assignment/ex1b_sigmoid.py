"""Sigmoid and its derivative: exercise 1b of the assignment."""

import numpy as np

from .kit.public import PublicCases, check

# -- what is asked --------------------------------------------------------------------------
ID = "1b"
TITLE = "Sigmoid and its derivative"
POINTS = 10
FUNCTIONS = ("sigmoid", "sigmoid_grad")

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------
SIGMOID_EXTREME = [-1000.0, -800.0, -60.0, -0.5, 0.0, 0.5, 60.0, 800.0, 1000.0]
OVERFLOW_HINT = ("exp(-a) overflows for a << 0: rewrite the formula so that exp only sees non-positive numbers "
                 "(np.where on the sign of a), or use np.logaddexp.")


def public_cases(cases: PublicCases) -> None:
    """sigmoid and sigmoid_grad of a vector (7,), a matrix (3, 4), a scalar and extreme values (9,)."""
    inputs = {"vector": cases.rng.normal(0, 4, size=7).round(6), "matrix": cases.rng.normal(0, 4, size=(3, 4)).round(6),
              "scalar": -1.25, "extreme": np.array(SIGMOID_EXTREME)}
    for func in ("sigmoid", "sigmoid_grad"):
        for name, a in inputs.items():
            cases.value(f"{func}-{name}", func, a=a)


PUBLIC_CHECKS = [
    check("1b-sigmoid-values", "sigmoid values (vector and matrix)", "values", ["sigmoid-vector", "sigmoid-matrix"],
          hint="sigma(a) = 1 / (1 + exp(-a)), elementwise, same shape as a."),
    check("1b-sigmoid_grad-values", "sigmoid_grad values: sigma(a) * (1 - sigma(a))", "values",
          ["sigmoid_grad-vector", "sigmoid_grad-matrix"],
          hint="sigma'(a) = sigma(a) * (1 - sigma(a)), taken at the pre-activation a (not at sigma(a))."),
    check("1b-scalar", "sigmoid and sigmoid_grad accept a scalar", "scalar", ["sigmoid-scalar", "sigmoid_grad-scalar"],
          hint="Use numpy functions (np.exp, np.logaddexp, np.where) that work on scalars too; avoid len(a) and a[...].",
          passed="sigmoid and sigmoid_grad accept a scalar."),
    check("1b-sigmoid-stable", "sigmoid is stable for |a| up to 1000 (no warning, no NaN)", "stable",
          ["sigmoid-extreme"], hint=OVERFLOW_HINT),
    check("1b-sigmoid_grad-stable", "sigmoid_grad is stable for |a| up to 1000", "stable", ["sigmoid_grad-extreme"],
          hint=OVERFLOW_HINT),
]


# -- handout and written work ---------------------------------------------------------------
