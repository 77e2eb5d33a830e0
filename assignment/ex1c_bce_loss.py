"""Binary cross-entropy loss: exercise 1c of the assignment."""

from .kit.public import ONE_HIDDEN_SIZES, PublicCases, check

# -- what is asked --------------------------------------------------------------------------
ID = "1c"
TITLE = "Binary cross-entropy loss"
POINTS = 15
FUNCTIONS = ("bce_loss",)

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------
FORWARD_HINT = ("Check the forward pass: A_l = Z_{l-1} @ W_l.T + b_l with W_l of shape (n[l], n[l-1]) "
                "(unpack gives the layout), and the mean over the N samples.")


def public_cases(cases: PublicCases) -> None:
    """bce_loss of the [2, 3, 1] network on 8 points, lam 0 and 0.1."""
    net = cases.shared("one-hidden-layer")
    cases.with_and_without_penalty("bce_loss", net["W"], net["X"], net["t"], ONE_HIDDEN_SIZES)


PUBLIC_CHECKS = [
    check("1c-bce_loss-lam0", "bce_loss without regularization (lam = 0)", "values", ["bce_loss-lam0"],
          hint=FORWARD_HINT + " p = sigmoid(A_2)[:, 0].", scalar=True),
    check("1c-bce_loss-lam", "bce_loss with regularization (lam = 0.1, biases not regularized)", "values",
          ["bce_loss-lam"],
          hint="R(W) = lam * (sum of the squared entries of every weight matrix): no biases, no 1/2, no 1/N.",
          scalar=True),
]


# -- handout and written work ---------------------------------------------------------------
