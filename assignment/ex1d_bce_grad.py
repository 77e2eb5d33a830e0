"""Gradient of the loss: exercise 1d of the assignment."""
from .kit import shared_cells
from .kit.handout import Code, Markdown, Stub


# -- what is asked --------------------------------------------------------------------------
ID = "1d"
TITLE = "Gradient of the loss"
POINTS = 15
FUNCTIONS = ("bce_grad",)

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


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
