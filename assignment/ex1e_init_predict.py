"""Initialization and prediction: exercise 1e of the assignment."""
from .kit import shared_cells
from .kit.handout import Code, Markdown, Stub


# -- what is asked --------------------------------------------------------------------------
ID = "1e"
TITLE = "Initialization and prediction"
POINTS = 15
FUNCTIONS = ("init_weights", "predict")

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
HANDOUT = [
    Markdown("ex1e-md", r"""
### 1e. Initialization, prediction and training (15 points)

**`init_weights(layer_sizes, rng)`** returns a flat vector `W` for `layer_sizes`:
every entry of `W_l` drawn uniformly from $[-e_l, e_l]$ with

$$e_l = \sqrt{\frac{2}{n_{l-1} + n_l}},$$

and the biases zero. Draw the random numbers from `rng`, a
`numpy.random.Generator` (for example `rng.uniform(low, high, size=...)`), never
from `np.random` directly, so that the same seed gives the same weights.

**`predict(W, X, layer_sizes)`** returns the labels the network assigns:
`1` where $p_n \ge 0.5$, else `0`, as an int array of shape `(N,)`.

Then train: `minimize(fun, W0, jac=True, ...)` takes a function returning the
pair `(loss, gradient)`, which the next cell builds from your `bce_loss` and
`bce_grad`. One run from one random start is enough here; if your accuracy is
poor, you may have hit a bad local minimum (the reference keeps the best of
`RESTARTS` runs): try another seed.
"""),
    Stub("init_weights(layer_sizes, rng)", """
        Exercise 1e: random initial parameters for a network of shape layer_sizes.

        layer_sizes: [n0, n1, ..., nL], a list of ints
        rng: a numpy.random.Generator; draw every random number from it
        Returns: (P,) float array, P = n_params(layer_sizes), in the layout of unpack: each entry of
            W_l uniform in [-e_l, e_l] with e_l = sqrt(2 / (n[l-1] + n[l])), every bias 0
        """),
    Stub("predict(W, X, layer_sizes)", """
        Exercise 1e: the labels a binary network assigns to the points X.

        W: (P,) flat parameter vector, P = n_params(layer_sizes)
        X: (N, n0) float inputs
        layer_sizes: [n0, ..., 1], sigmoid hidden layers
        Returns: (N,) int array, 1 where p = sigmoid(A_L) >= 0.5, else 0
        """),
    Code("ex1e-train", r"""
rng = np.random.default_rng(SEED)
W0 = init_weights(LAYER_SIZES_1, rng)
result_1 = minimize(lambda W: (bce_loss(W, X, t, LAYER_SIZES_1, LAM_1), bce_grad(W, X, t, LAYER_SIZES_1, LAM_1)),
                    W0, jac=True, method=METHOD, options=OPTIONS)
W_1 = result_1.x
print(f"exercise 1: loss {result_1.fun:.4f} after {result_1.nit} iterations, "
      f"training accuracy {np.mean(predict(W_1, X, LAYER_SIZES_1) == t):.3f}")
"""),
    *shared_cells.PLOT_HELPER,
    Code("ex1e-plot", r"""
plot_decision_regions(lambda P: predict(W_1, P, LAYER_SIZES_1), X, t, f"one hidden layer {LAYER_SIZES_1}")
"""),
]
