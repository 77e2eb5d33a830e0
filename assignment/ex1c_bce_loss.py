"""Binary cross-entropy loss: exercise 1c of the assignment."""
from .kit import shared_cells
from .kit.handout import Code, Markdown, Stub
from .kit.judges import TestSpec, values_test
from .kit.plan import add_loss_probes, call_ids, random_weights, saturating_weights, without_and_with_lam
from .kit.public import ONE_HIDDEN_SIZES, PublicCases, check

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
