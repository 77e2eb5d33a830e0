"""Backpropagation for any depth: exercise 2 of the assignment."""
from .kit.gradient_cost import CostSpec
from .kit.handout import Code, Markdown, Stub, activation_choices, other_activations
from .kit.judges import TestSpec, gradient_consistency_test, values_test
from .kit.plan import DEFAULT_ACTIVATION, add_fd_probe, add_loss_probes, call_ids, fd_ids, random_weights, without_and_with_lam
from .kit.training import Training, judge_training
from .ex1c_bce_loss import FORWARD_HINT
from .kit.public import DEEP_SIZES, PublicCases, check

# -- what is asked --------------------------------------------------------------------------
ID = "2"
TITLE = "Backpropagation for any depth"
POINTS = 25
FUNCTIONS = ("backprop",)

# -- hidden probes and graded tests ---------------------------------------------------------
SIZES = ([2, 4, 1], [2, 5, 3, 1], [2, 4, 3, 4, 1], [2, 10, 10, 10, 10, 1])   # depth = hidden layers, 1 to 4
DEEP = [2, 10, 10, 10, 10, 1]
LAM0 = call_ids(ID, "backprop", [f"depth{d}-lam0" for d in range(1, 5)])
LAM = call_ids(ID, "backprop", [f"depth{d}-lam" for d in range(1, 5)] + ["single"])


def add_probes(plan, rng, data, config):
    """Depths 1 to 4 without and with lam, one sample on the deep network, and finite differences
    of the submission's own loss at depth 2 (every coordinate) and 4 (24 random directions)."""
    cases = []
    for sizes in SIZES:
        depth = len(sizes) - 2
        cases += without_and_with_lam(plan, rng, f"depth{depth}", f"W2-d{depth}", sizes, data["X"], data["t"])
    single = plan.add_array("W2-single", random_weights(rng, DEEP))
    cases.append(("single", single, data["x1"], data["t1"], DEEP, 0.05, {}))
    add_loss_probes(plan, "backprop", ID, cases, outputs=2)
    fd_small = plan.add_array("W2-fd-small", random_weights(rng, [2, 5, 3, 1]))
    add_fd_probe(plan, rng, ID, "backprop", "backprop", "depth2", fd_small, data["Xs"], data["ts"], [2, 5, 3, 1], 0.1,
                 config, grad_outputs=2)
    fd_deep = plan.add_array("W2-fd-deep", random_weights(rng, DEEP))
    add_fd_probe(plan, rng, ID, "backprop", "backprop", "depth4", fd_deep, data["Xs"], data["ts"], DEEP, 0.1, config,
                 n_directions=24, grad_outputs=2)


TRAINING = Training(setup="2", functions=("backprop",), mode="backprop")
GRADIENT_COST = CostSpec(func="backprop", returns="pair", forward="predict", forward_args="predict", activation="sigmoid",
                         sizes=([2, 3, 3, 1], [2, 12, 12, 1]), error_sizes=[2, 4, 3, 1])

TESTS = [
    TestSpec("2.loss", "backprop loss, depths 1 to 4, lam = 0", 4, values_test(LAM0, 0, scalar=True)),
    TestSpec("2.loss_regularized", "backprop loss with regularization, and on a single sample", 3,
             values_test(LAM, 0, scalar=True)),
    TestSpec("2.gradient", "backprop gradient, depths 1 to 4, lam = 0", 4, values_test(LAM0, 1), requires_backprop=True),
    TestSpec("2.gradient_regularized", "backprop gradient with regularization, and on a single sample", 4,
             values_test(LAM, 1), requires_backprop=True),
    TestSpec("2.consistent_with_loss", "backprop gradient is the derivative of your own loss (depth 2 and 4)", 5,
             gradient_consistency_test([fd_ids(ID, "depth2"), fd_ids(ID, "depth4")], output=1), requires_backprop=True),
    TestSpec("2.training", "training [2, 10, 10, 10, 10, 1] with your backprop reaches the reference's accuracy", 5,
             judge_training("2", "backprop")),
]


# -- public self-check ----------------------------------------------------------------------
def public_cases(cases: PublicCases) -> None:
    """backprop on the depth-4 batch (the bonus's X, t), sigmoid, lam 0 and 0.1."""
    batch = cases.shared("deep-batch")
    cases.with_and_without_penalty("backprop", random_weights(cases.rng, DEEP_SIZES), batch["X"], batch["t"],
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
HANDOUT = [
    Markdown("ex2-md", r"""
## Exercise 2: backpropagation for any depth (25 points)

Generalize exercises 1c and 1d to any number of hidden layers: `backprop`
returns the loss $E(W)$ and its gradient together, as the pair
`(loss, gradient)` that `minimize(..., jac=True)` takes. The forward pass is the
one of 1c for every layer; going back, the deltas of each layer come from those
of the layer above with the same rule as in 1d:

$$\Delta_L = \frac{1}{N}(p - t) \ \text{(shape } (N, 1)), \qquad
\Delta_{l-1} = \bigl(\Delta_l W_l\bigr) \odot g'(A_{l-1}),$$

$$\frac{\partial E}{\partial W_l} = \Delta_l^\top Z_{l-1} + 2\lambda W_l, \qquad
\frac{\partial E}{\partial b_l} = \sum_{n} (\Delta_l)_{n,:}.$$

(This is the batch form of the per-sample rules of 1d, with the $1/N$ of the
mean moved into $\Delta_L$.) The hidden activation $g$ is the sigmoid by default;
""" + other_activations(DEFAULT_ACTIVATION) + r""". The
output is always $p = \sigma(A_L)$ with the binary cross-entropy, whatever the
hidden activation.

**The network**: "depth 4, 10 neurons in each layer", `LAYER_SIZES_2 =
[2, 10, 10, 10, 10, 1]`, trained with `LAM_2 = 1e-6`. Why such a small
$\lambda$? A deep sigmoid network starts with tiny gradients in its first layers,
and on this data the constant output $p = 0.5$ (loss $\log 2$, 50% accuracy)
is a stationary point. With $\lambda = 10^{-4}$, as in exercise 1, the weight
decay pulls the optimizer into that point from every start we tried; with
$10^{-6}$ the network learns the data.
"""),
    Stub('backprop(W, X, t, layer_sizes, lam, activation="sigmoid")', """
        Exercise 2: the loss E(W) and its gradient, for any number of hidden layers.

        W: (P,) flat parameter vector, P = n_params(layer_sizes)
        X: (N, n0) float inputs
        t: (N,) int labels in {0, 1}
        layer_sizes: [n0, n1, ..., n_{L-1}, 1], any number of hidden layers
        lam: float >= 0, the regularization strength lambda
        activation: """ + activation_choices() + """, the activation of the hidden layers (the output is always sigmoid)
        Returns: (loss, grad): loss a float as in bce_loss, grad a (P,) float array in the layout of W
        """),
    Code("ex2-check", r"""
sizes_deep = [2, 4, 3, 1]
W_check = np.random.default_rng(3).normal(size=n_params(sizes_deep))
error = gradient_check(lambda W: backprop(W, X_check, t_check, sizes_deep, lam_check)[0],
                       lambda W: backprop(W, X_check, t_check, sizes_deep, lam_check)[1], W_check)
print(f"relative error of backprop's gradient (sigmoid): {error:.2e}  (below 1e-6 is right)")

# On one hidden layer, backprop must agree with exercise 1.
W_one = np.random.default_rng(4).normal(size=n_params(LAYER_SIZES_1))
loss_one, grad_one = backprop(W_one, X, t, LAYER_SIZES_1, LAM_1)
print("agrees with bce_loss and bce_grad:",
      np.isclose(loss_one, bce_loss(W_one, X, t, LAYER_SIZES_1, LAM_1)),
      np.allclose(grad_one, bce_grad(W_one, X, t, LAYER_SIZES_1, LAM_1)))
"""),
    Code("ex2-train", r"""
rng = np.random.default_rng(SEED)
W0 = init_weights(LAYER_SIZES_2, rng)
result_2 = minimize(lambda W: backprop(W, X, t, LAYER_SIZES_2, LAM_2),
                    W0, jac=True, method=METHOD, options=OPTIONS)
W_2 = result_2.x
print(f"exercise 2: loss {result_2.fun:.4f} after {result_2.nit} iterations, "
      f"training accuracy {np.mean(predict(W_2, X, LAYER_SIZES_2) == t):.3f}")
plot_decision_regions(lambda P: predict(W_2, P, LAYER_SIZES_2), X, t, f"depth 4, {LAYER_SIZES_2}")
"""),
]
