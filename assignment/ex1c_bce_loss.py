"""Binary cross-entropy loss: exercise 1c of the assignment."""
import numpy as np

import reference
from reference.losses import binary_cross_entropy, cross_entropy
from reference.params import n_params

from .kit import shared_cells
from .kit.handout import Code, Markdown, Stub
from .kit.judges import TestSpec, values_test
from .kit.mistake import Mistake
from .kit.plan import add_loss_probes, call_ids, random_weights, saturating_weights, without_and_with_lam
from .kit.public import ONE_HIDDEN_SIZES, PublicCases, check
from .kit.simulator import LOSS_FUNCTIONS, Pieces, reg_reference

# -- what is asked --------------------------------------------------------------------------
ID = "1c"
TITLE = "Binary cross-entropy loss"
POINTS = 15
FUNCTIONS = ("bce_loss",)

# -- hidden probes and graded tests ---------------------------------------------------------
SIZES = ([2, 3, 1], [2, 5, 1])      # one hidden layer, as exercise 1 asks
LOSS_CASES = "one-hidden-layer loss cases"   # plan.shared: exercise 1d probes its gradient on the same cases


def add_probes(plan, rng, data, config):
    """Hidden widths 3 and 5 without and with lam, one sample, and weights under which
    the output saturates on the wrong side for samples of both labels."""
    cases = []
    for sizes in SIZES:
        width = sizes[1]
        cases += without_and_with_lam(plan, rng, f"h{width}", f"W1-{width}", sizes, data["X"], data["t"])
    single = plan.add_array("W1-single", random_weights(rng, [2, 3, 1]))
    cases.append(("single", single, data["x1"], data["t1"], [2, 3, 1], 0.05, {}))
    saturated = plan.add_array("W1-saturated", saturating_weights(rng, [2, 3, 1], plan.resolve(data["X"]),
                                                                  plan.resolve(data["t"])))
    cases.append(("saturated", saturated, data["X"], data["t"], [2, 3, 1], 0.0, {}))
    add_loss_probes(plan, "bce_loss", ID, cases)
    plan.shared[LOSS_CASES] = cases


TESTS = [
    TestSpec("1c.without_regularization", "bce_loss without regularization (hidden width 3 and 5)", 6,
             values_test(call_ids(ID, "bce_loss", ["h3-lam0", "h5-lam0"]), scalar=True)),
    TestSpec("1c.with_regularization", "bce_loss with regularization lam * sum(W_l**2), biases excluded", 6,
             values_test(call_ids(ID, "bce_loss", ["h3-lam", "h5-lam"]), scalar=True)),
    TestSpec("1c.single_sample", "bce_loss on a single sample", 3,
             values_test(call_ids(ID, "bce_loss", ["single"]), scalar=True)),
    TestSpec("1c.saturated", "bce_loss stays finite when the outputs saturate (advice, no points)", 0,
             values_test(call_ids(ID, "bce_loss", ["saturated"]), scalar=True)),
]


# -- known mistakes (named by the diagnosis) -----------------------------------------------
def unpack_column_major(W, layer_sizes):
    """Like :func:`reference.params.unpack`, each W_l read in column-major (Fortran) order.

    Numerically the same as storing W_l transposed, as (n[l-1], n[l]) row-major."""
    W = np.asarray(W)
    if W.shape != (n_params(layer_sizes),):
        raise ValueError(f"W has shape {W.shape}")
    layers, start = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        weights = W[start:start + n_out * n_in].reshape(n_out, n_in, order="F")
        start += n_out * n_in
        layers.append((weights, W[start:start + n_out]))
        start += n_out
    return layers


def pack_column_major(layers):
    return np.concatenate([part for W_l, b_l in layers for part in (np.ravel(W_l, order="F"), np.ravel(b_l))])


# regularizations: (layers [(W_l, b_l)], lam, n_samples) -> (penalty, [(dR/dW_l, dR/db_l)])
def reg_with_biases(layers, lam, n):
    return (lam * sum(float(np.sum(W_l ** 2) + np.sum(b_l ** 2)) for W_l, b_l in layers),
            [(2.0 * lam * W_l, 2.0 * lam * b_l) for W_l, b_l in layers])


def reg_half(layers, lam, n):
    """lam/2 * sum(W**2) and its gradient lam * W."""
    return (0.5 * lam * sum(float(np.sum(W_l ** 2)) for W_l, _ in layers),
            [(lam * W_l, np.zeros_like(b_l)) for W_l, b_l in layers])


def reg_over_n(layers, lam, n):
    """lam/N * sum(W**2): the regularization averaged over the batch with the data term."""
    return reg_reference(layers, lam / n, n)


# output losses: (A_L (N, K) logits, t (N,) labels) -> (data loss, dLoss/dA_L (N, K))
def bce_sum(A_L, t):
    loss, delta = binary_cross_entropy(A_L, t)
    n = A_L.shape[0]
    return loss * n, delta * n


def bce_naive_log(A_L, t):
    """log(p) and log(1 - p) of the probabilities: -inf once p rounds to 0 or 1."""
    t = np.asarray(t, dtype=float)
    p = reference.sigmoid(A_L[:, 0])
    loss = -np.mean(t * np.log(p) + (1.0 - t) * np.log(1.0 - p))
    return float(loss), binary_cross_entropy(A_L, t)[1]


def ce_sum(A_L, t):
    loss, delta = cross_entropy(A_L, t)
    n = A_L.shape[0]
    return loss * n, delta * n


def ce_naive_log(A_L, t):
    Y = reference.softmax(A_L)
    return float(-np.mean(np.log(Y[np.arange(A_L.shape[0]), np.asarray(t).astype(int)]))), cross_entropy(A_L, t)[1]


MISTAKES = [
    Mistake("biases_regularized", "the biases are regularized",
            "R(W) sums the squares of the weight-matrix entries only. Leave every b_l out of the "
            "penalty, and so out of its gradient: a bias's gradient is the data term alone.",
            LOSS_FUNCTIONS, (Pieces(regularization=reg_with_biases),)),
    Mistake("half_lambda", "lam/2 instead of lam in the regularization",
            "Some textbooks write (lam/2) * sum(W**2) so that its derivative is lam * W. This lab's "
            "R(W) is lam * sum(W**2), with no 1/2: its derivative is 2 * lam * W_l.",
            LOSS_FUNCTIONS, (Pieces(regularization=reg_half),)),
    Mistake("reg_divided_by_n", "the regularization is divided by N",
            "Only the data term is a mean over the N samples. R(W) = lam * sum(W**2) is added once, "
            "with no 1/N, in the loss and in the gradient.",
            LOSS_FUNCTIONS, (Pieces(regularization=reg_over_n),)),
    Mistake("missing_mean", "the 1/N of the mean is missing (a sum over the samples)",
            "The data term of the loss is the mean over the N samples, and so is its gradient: both "
            "carry a factor 1/N (the regularization does not). Check the loss and the output delta.",
            LOSS_FUNCTIONS, (Pieces(losses={"bce": bce_sum, "ce": ce_sum}),)),
    Mistake("weights_layout", "W_l laid out in the wrong order (column-major, or stored as (n[l-1], n[l]))",
            "Each W_l has shape (n[l], n[l-1]), one row per unit of layer l, flattened row by row (C order); "
            "the layer's inputs multiply it as Z_{l-1} @ W_l.T. Use unpack from the template to read W "
            "and lay out your gradient the same way.",
            LOSS_FUNCTIONS + ("predict", "predict_multiclass"),
            (Pieces(unpack=unpack_column_major, pack=pack_column_major),)),
    Mistake("naive_log_loss", "log of a probability that rounds to 0 (the loss overflows to inf/NaN)",
            "When the outputs saturate, p rounds to exactly 0 or 1 and log(p) or log(1 - p) is -inf. "
            "Compute the logarithm from the pre-activation instead: log(sigma(a)) = -log(1 + exp(-a)), "
            "which np.logaddexp evaluates without overflow (log-softmax likewise).",
            LOSS_FUNCTIONS, (Pieces(losses={"bce": bce_naive_log, "ce": ce_naive_log}),)),
]


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
HANDOUT = [
    *shared_cells.UNPACK,
    Markdown("ex1c-md", r"""
### 1c. The loss (15 points)

**Forward pass.** For a batch `X` of shape `(N, n0)`, with $g = \sigma$ in the
hidden layers:

$$Z_0 = X, \qquad A_l = Z_{l-1} W_l^\top + b_l, \qquad Z_l = g(A_l) \quad (l = 1, \dots, L-1),$$

$$A_L = Z_{L-1} W_L^\top + b_L, \qquad p = \sigma(A_L)\ \text{(its single column: shape } (N,)).$$

`A_l` and `Z_l` have shape `(N, n[l])`; $p_n$ is the network's probability that
point $n$ has label 1.

**Loss.** The mean binary cross-entropy plus a weight penalty:

$$E(W) = -\frac{1}{N} \sum_{n=1}^{N} \Bigl[t_n \log p_n + (1 - t_n) \log(1 - p_n)\Bigr] + R(W),
\qquad R(W) = \lambda \sum_{l=1}^{L} \sum_{i,j} \bigl(W_l\bigr)_{ij}^2 .$$

The regularization $R$ sums the squares of the entries of every weight matrix.
**The biases are not regularized**, and there is no factor 1/2 and no 1/N in $R$.

`bce_loss` is graded on networks with one hidden layer (`L = 2`, e.g. `[2, 3, 1]`).
Hint: when $p_n$ rounds to exactly 0 or 1, `np.log` gives `-inf`. Note that
$\log \sigma(a) = -\log(1 + e^{-a})$ = `-np.logaddexp(0, -a)` and
$\log(1 - \sigma(a)) = \log \sigma(-a)$, which stay finite.
"""),
    Stub("bce_loss(W, X, t, layer_sizes, lam)", """
        Exercise 1c: the regularized binary cross-entropy E(W) of the network on (X, t).

        W: (P,) flat parameter vector, P = n_params(layer_sizes), laid out as unpack describes
        X: (N, n0) float inputs
        t: (N,) int labels in {0, 1}
        layer_sizes: [n0, n1, 1], one hidden layer of sigmoid units
        lam: float >= 0, the regularization strength lambda
        Returns: float, -(1/N) sum(t log p + (1 - t) log(1 - p)) + lam * (sum of squared weight-matrix entries)
        """),
    Code("ex1c-check", r"""
# With all parameters zero every p_n is 0.5 and R(W) = 0, so the loss is log 2.
W_zero = np.zeros(n_params(LAYER_SIZES_1))
print("bce_loss at W = 0:", bce_loss(W_zero, X, t, LAYER_SIZES_1, LAM_1), " expected:", np.log(2))

# The penalty: for the same W, raising lam from 0 to 0.5 adds 0.5 * (sum of squared weight-matrix entries).
W_rand = np.random.default_rng(1).normal(size=n_params(LAYER_SIZES_1))
penalty = sum(np.sum(W_l ** 2) for W_l, _ in unpack(W_rand, LAYER_SIZES_1))
difference = bce_loss(W_rand, X, t, LAYER_SIZES_1, 0.5) - bce_loss(W_rand, X, t, LAYER_SIZES_1, 0.0)
print("loss(lam=0.5) - loss(lam=0):", difference, " expected:", 0.5 * penalty)
"""),
]
