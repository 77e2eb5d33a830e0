"""ReLU: exercise bonus of the assignment."""

from .kit.public import DEEP_SIZES, PublicCases, check, relu_clear_of_kink

# -- what is asked --------------------------------------------------------------------------
ID = "bonus"
TITLE = "ReLU"
POINTS = 5
FUNCTIONS = ("relu", "relu_grad")
BONUS = True

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------
RELU_VALUES = [[-3.0, -0.25, 0.0, 0.25, 3.0], [1.5, -1.5, 2.0, -0.001, 0.001]]


def public_cases(cases: PublicCases) -> None:
    """relu, relu_grad on (2, 5) values (the kink included), backprop with relu on the depth-4 batch."""
    for func in ("relu", "relu_grad"):
        cases.value(f"{func}-values", func, a=RELU_VALUES)
    batch = cases.shared("deep-batch")
    W = relu_clear_of_kink(cases.rng, DEEP_SIZES, batch["X"])
    cases.network("backprop-relu", "backprop", W, batch["X"], batch["t"], DEEP_SIZES, 0.1, "relu")


PUBLIC_CHECKS = [
    check("bonus-relu-values", "relu values", "values", ["relu-values"],
          hint="relu(a) = np.maximum(a, 0), elementwise."),
    check("bonus-relu_grad-values", "relu_grad values (either value at 0)", "relu_grad", ["relu_grad-values"]),
    check("bonus-backprop-relu", "backprop(..., activation='relu'): loss and gradient", "loss_and_grad",
          ["backprop-relu"],
          hint="With activation='relu' the hidden layers use relu and relu_grad; "
               "the output stays a sigmoid with the binary cross-entropy.",
          passed="backprop with relu hidden layers matches."),
]


# -- handout and written work ---------------------------------------------------------------
