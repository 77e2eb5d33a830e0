"""Gradient of the loss: exercise 1d of the assignment."""
import numpy as np

import reference
from reference.losses import binary_cross_entropy, cross_entropy

from .ex1c_bce_loss import LOSS_CASES
from .kit import shared_cells
from .kit.gradient_cost import CostSpec
from .kit.handout import Code, Markdown, Stub
from .kit.judges import TestSpec, gradient_consistency_test, values_test
from .kit.mistake import Mistake
from .kit.plan import add_fd_probe, add_loss_probes, call_ids, fd_ids, random_weights
from .kit.public import ONE_HIDDEN_SIZES, PublicCases, check
from .kit.simulator import GRADIENT_FUNCTIONS, Pieces, reg_reference

# -- what is asked --------------------------------------------------------------------------
ID = "1d"
TITLE = "Gradient of the loss"
POINTS = 15
FUNCTIONS = ("bce_grad",)

# -- hidden probes and graded tests ---------------------------------------------------------
def add_probes(plan, rng, data, config):
    """bce_grad on exercise 1c's loss cases (but the saturated one), and finite differences of the
    submission's own bce_loss on a 12-sample subset."""
    add_loss_probes(plan, "bce_grad", ID, [case for case in plan.shared[LOSS_CASES] if case[0] != "saturated"])
    fd_W = plan.add_array("W1-fd", random_weights(rng, [2, 3, 1]))
    add_fd_probe(plan, rng, ID, "bce_loss", "bce_grad", "h3", fd_W, data["Xs"], data["ts"], [2, 3, 1], 0.1, config)


GRADIENT_COST = CostSpec(func="bce_grad", returns="grad", forward="bce_loss", forward_args="loss", activation="sigmoid",
                         sizes=([2, 4, 1], [2, 64, 1]), error_sizes=[2, 5, 1])

TESTS = [
    TestSpec("1d.without_regularization", "bce_grad without regularization matches the reference", 5,
             values_test(call_ids(ID, "bce_grad", ["h3-lam0", "h5-lam0"])), requires_backprop=True),
    TestSpec("1d.with_regularization", "bce_grad with regularization, and on a single sample", 5,
             values_test(call_ids(ID, "bce_grad", ["h3-lam", "h5-lam", "single"])), requires_backprop=True),
    TestSpec("1d.consistent_with_loss", "bce_grad is the derivative of your own bce_loss (finite differences)", 5,
             gradient_consistency_test([fd_ids(ID, "h3")], output=0), requires_backprop=True),
]


# -- known mistakes (named by the diagnosis) -----------------------------------------------
def reg_grad_without_2(layers, lam, n):
    """The right penalty, the gradient lam * W (the factor 2 of d/dW W**2 forgotten)."""
    return (reg_reference(layers, lam, n)[0], [(lam * W_l, np.zeros_like(b_l)) for W_l, b_l in layers])


def no_derivative(a):
    return np.ones_like(np.asarray(a, dtype=float))


# output losses: (A_L (N, K) logits, t (N,) labels) -> (data loss, dLoss/dA_L (N, K))
def bce_delta_sigma_prime(A_L, t):
    """delta_L = (p - t) * p * (1 - p) / N: the output delta of a squared error."""
    loss, delta = binary_cross_entropy(A_L, t)
    p = reference.sigmoid(A_L)
    return loss, delta * p * (1.0 - p)


def bce_delta_sign(A_L, t):
    loss, delta = binary_cross_entropy(A_L, t)
    return loss, -delta


def ce_delta_sigma_prime(A_L, t):
    loss, delta = cross_entropy(A_L, t)
    Y = reference.softmax(A_L)
    return loss, delta * Y * (1.0 - Y)


def ce_delta_sign(A_L, t):
    loss, delta = cross_entropy(A_L, t)
    return loss, -delta


MISTAKES = [
    Mistake("reg_grad_without_2", "the regularization gradient is lam * W instead of 2 * lam * W",
            "Differentiate lam * w**2 with respect to w once more: the exponent comes down as a factor. "
            "The loss may be right while this term of the gradient is half what it should be.",
            GRADIENT_FUNCTIONS, (Pieces(regularization=reg_grad_without_2),)),
    Mistake("missing_sigma_prime", "the activation's derivative (sigma') is missing in the backward pass",
            "Going back one layer, delta_j = g'(a_j) * sum_k w_kj delta_k: after multiplying by the "
            "weights, multiply elementwise by the activation's derivative at that layer's pre-activation.",
            GRADIENT_FUNCTIONS, (Pieces(hidden_grad=no_derivative),)),
    Mistake("gradient_sign", "the gradient has the wrong sign",
            "minimize needs the gradient of the loss itself (the direction of steepest ascent). Check the "
            "output delta: it is y - t (prediction minus target), and the regularization term is added.",
            GRADIENT_FUNCTIONS, (Pieces(label="the whole gradient negated", grad_sign=-1.0),
                                 Pieces(label="the output delta t - y",
                                        losses={"bce": bce_delta_sign, "ce": ce_delta_sign}))),
    Mistake("output_delta_sigma_prime", "the output delta goes through sigma' (a squared-error habit)",
            "With cross-entropy on a sigmoid (or softmax) output the derivatives cancel: dE/da_L = (y - t) / N "
            "exactly. The extra factor y * (1 - y) belongs to a squared-error loss.",
            GRADIENT_FUNCTIONS, (Pieces(losses={"bce": bce_delta_sigma_prime, "ce": ce_delta_sigma_prime}),)),
]


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
HANDOUT = [
    Markdown("ex1d-md", r"""
### 1d. The gradient by backpropagation (15 points)

Backpropagation, for one sample $n$ (with $z$ the activations of the layer below,
$z_0 = x_n$):

- output unit: $\delta_k = y_k - t_k$, where $y = \sigma(a_L)$ is the output;
- hidden unit $j$, going back one layer: $\delta_j = \sigma'(a_j) \sum_k w_{kj} \delta_k$;
- weight from unit $i$ to unit $j$: $\dfrac{\partial E_n}{\partial w_{ji}} = \delta_j z_i$,
  and for the bias $\dfrac{\partial E_n}{\partial b_j} = \delta_j$.

The gradient of $E(W)$ is the mean of these per-sample gradients over the $N$
samples, plus the gradient of the penalty, $2 \lambda W_l$ for each weight matrix
and $0$ for the biases. Return it as one flat vector with the same layout as `W`
(build a zero vector and fill the per-layer views that `unpack` gives you).

A loop over the samples is fine; writing the same equations for the whole batch
at once (matrix products instead of sums) is much faster.
"""),
    Stub("bce_grad(W, X, t, layer_sizes, lam)", """
        Exercise 1d: the gradient of bce_loss with respect to W.

        W: (P,) flat parameter vector, P = n_params(layer_sizes)
        X: (N, n0) float inputs
        t: (N,) int labels in {0, 1}
        layer_sizes: [n0, n1, 1], one hidden layer of sigmoid units
        lam: float >= 0, the regularization strength lambda
        Returns: (P,) float array, dE/dW in the same layout as W
        """),
    *shared_cells.GRADIENT_CHECK,
    Code("ex1d-check", r"""
rng_check = np.random.default_rng(2)
sizes_check, lam_check = [2, 3, 1], 0.1
X_check, t_check = X[::20], t[::20]            # 20 samples are plenty
W_check = rng_check.normal(size=n_params(sizes_check))
error = gradient_check(lambda W: bce_loss(W, X_check, t_check, sizes_check, lam_check),
                       lambda W: bce_grad(W, X_check, t_check, sizes_check, lam_check), W_check)
print(f"relative error of bce_grad: {error:.2e}  (below 1e-6 is right)")
"""),
]
