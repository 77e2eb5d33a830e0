"""Gradient of the loss: exercise 1d of the assignment."""

from .kit.public import ONE_HIDDEN_SIZES, PublicCases, check

# -- what is asked --------------------------------------------------------------------------
ID = "1d"
TITLE = "Gradient of the loss"
POINTS = 15
FUNCTIONS = ("bce_grad",)

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------
def public_cases(cases: PublicCases) -> None:
    """bce_grad at 1c's point (the same W, X, t), lam 0 and 0.1."""
    net = cases.shared("one-hidden-layer")
    cases.with_and_without_penalty("bce_grad", net["W"], net["X"], net["t"], ONE_HIDDEN_SIZES)


PUBLIC_CHECKS = [
    check("1d-bce_grad-lam0", "bce_grad without regularization (lam = 0)", "values", ["bce_grad-lam0"],
          hint="Output delta p - t, hidden deltas (delta @ W_2) * sigma'(A_1); "
               "divide by N once; return one flat vector in the layout of W."),
    check("1d-bce_grad-lam", "bce_grad with regularization (lam = 0.1)", "values", ["bce_grad-lam"],
          hint="Add 2 * lam * W_l to each weight matrix's gradient, nothing to the biases."),
    check("1d-bce_grad-fd", "bce_grad is the derivative of your own bce_loss (finite differences)", "fd",
          ["bce_grad-lam"], loss_function="bce_loss"),
]


# -- handout and written work ---------------------------------------------------------------
