"""Backpropagation for any depth: exercise 2 of the assignment."""

from .ex1c_bce_loss import FORWARD_HINT
from .kit.public import DEEP_SIZES, PublicCases, check, normal_weights

# -- what is asked --------------------------------------------------------------------------
ID = "2"
TITLE = "Backpropagation for any depth"
POINTS = 25
FUNCTIONS = ("backprop",)

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------
def public_cases(cases: PublicCases) -> None:
    """backprop on the depth-4 batch (the bonus's X, t), sigmoid, lam 0 and 0.1."""
    batch = cases.shared("deep-batch")
    cases.with_and_without_penalty("backprop", normal_weights(cases.rng, DEEP_SIZES), batch["X"], batch["t"],
                                   DEEP_SIZES)


PUBLIC_CHECKS = [
    check("2-backprop-loss", "backprop loss, lam = 0 and 0.1 ([2, 3, 2, 1])", "values",
          ["backprop-lam0", "backprop-lam"], hint=FORWARD_HINT, output="loss", scalar=True),
    check("2-backprop-grad", "backprop gradient, lam = 0 and 0.1 ([2, 3, 2, 1])", "values",
          ["backprop-lam0", "backprop-lam"],
          hint="Delta_L = (p - t) / N as an (N, 1) column, then Delta_{l-1} = (Delta_l @ W_l) * g'(A_{l-1}); "
               "dE/dW_l = Delta_l.T @ Z_{l-1} + 2 lam W_l, dE/db_l = Delta_l summed over the samples.",
          output="grad"),
    check("2-backprop-fd", "backprop gradient is the derivative of your own loss (finite differences)", "fd",
          ["backprop-lam"]),
]


# -- handout and written work ---------------------------------------------------------------
