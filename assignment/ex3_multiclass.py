"""Three classes: softmax and cross-entropy: exercise 3 of the assignment."""
from .kit.handout import Ask, Code, Markdown, Plot, Question, Stub


# -- what is asked --------------------------------------------------------------------------
ID = "3"
TITLE = "Three classes: softmax and cross-entropy"
POINTS = 15
FUNCTIONS = ("load_data_multiclass", "softmax", "ce_backprop", "predict_multiclass")

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
QUESTIONS = (Question("3-q", ID, "How can you extend the binary cross-entropy to the multiclass problem?",
                      "three classes, a softmax output"),)
PLOTS = (Plot("3", ID, "Scatter plot of the 3-class data set", r"^#+\s*Exercise 3\b", thumbnail=True),)
HANDOUT = [
    Markdown("ex3-md", r"""
## Exercise 3: more than two classes (15 points)

The second data set has three classes, one file per class, each holding one
variable of the same name (a float array `(Nk, 2)`):

```python
class1 = sio.loadmat('xWeek6Ex3PointsClass1.mat')['xWeek6Ex3PointsClass1']
class2 = sio.loadmat('xWeek6Ex3PointsClass2.mat')['xWeek6Ex3PointsClass2']
class3 = sio.loadmat('xWeek6Ex3PointsClass3.mat')['xWeek6Ex3PointsClass3']
```

**`load_data_multiclass()`** returns `(X, t)` like `load_data`: the rows of
class 1, then class 2, then class 3, with labels `0`, `1`, `2`.
"""),
    Stub("load_data_multiclass()", """
        Exercise 3: the 3-class data set.

        Reads xWeek6Ex3PointsClass1.mat .. xWeek6Ex3PointsClass3.mat from the current directory.
        Returns (X, t):
            X: (N, 2) float array, the rows of class 1, then class 2, then class 3
            t: (N,) int array, label k - 1 for the points of class k (so values in {0, 1, 2})
        """),
    Code("ex3-plot", r"""
X3, t3 = load_data_multiclass()
print("X3:", X3.shape, " t3:", t3.shape, " points per label:", np.bincount(t3))
plt.figure(figsize=(5, 5))
for k in range(3):
    plt.scatter(X3[t3 == k, 0], X3[t3 == k, 1], s=10, label=f"class {k + 1} (t = {k})")
plt.axis("equal")
plt.legend()
plt.title("The 3-class data set")
plt.show()
""", plot="3"),
    Markdown("ex3-softmax-md", r"""
**The output layer.** With $K$ classes the last layer has $K$ units
(`layer_sizes = [2, ..., K]`) and the softmax turns each row of $A_L$ into
probabilities:

$$Y_{nk} = \frac{e^{A_{nk}}}{\sum_{j=1}^{K} e^{A_{nj}}}.$$

**`softmax(A)`** works row by row on an `(N, K)` array. Subtracting each row's
maximum from the row first does not change the result and keeps `exp` from
overflowing: make sure `softmax(np.array([[1000.0, 0.0]]))` gives `[[1, 0]]`.
"""),
    Stub("softmax(A)", """
        Exercise 3: the softmax of every row of A, computed stably (subtract the row maximum first).

        A: (N, K) float array
        Returns: (N, K) float array, each row positive and summing to 1
        """),
    Markdown("ex3-ce-md", r"""
**Loss and gradient.** The labels $t_n \in \{0, \dots, K-1\}$ are integers; the
loss is the mean cross-entropy plus the same penalty as before:

$$E(W) = -\frac{1}{N} \sum_{n=1}^{N} \log Y_{n, t_n} + R(W).$$

The backward pass is the one of exercise 2; only the output deltas change:
$\Delta_L = \frac{1}{N}(Y - T)$, where $T$ is the one-hot `(N, K)` matrix of the
labels ($T_{nk} = 1$ if $t_n = k$). **`ce_backprop`** returns
`(loss, gradient)` like `backprop`; **`predict_multiclass`** returns, for each
point, the class with the highest probability (sigmoid hidden layers).
"""),
    Stub('ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid")', """
        Exercise 3: the softmax cross-entropy E(W) and its gradient, for any number of hidden layers.

        W: (P,) flat parameter vector, P = n_params(layer_sizes)
        X: (N, n0) float inputs
        t: (N,) int labels in {0, ..., K-1}
        layer_sizes: [n0, n1, ..., K], any number of hidden layers, K output units
        lam: float >= 0, the regularization strength lambda
        activation: "sigmoid" or "relu", the activation of the hidden layers (the output is always softmax)
        Returns: (loss, grad): loss a float, -(1/N) sum_n log Y[n, t_n] + R(W); grad a (P,) float array
        """),
    Stub("predict_multiclass(W, X, layer_sizes)", """
        Exercise 3: the labels a K-class network assigns to the points X.

        W: (P,) flat parameter vector, P = n_params(layer_sizes)
        X: (N, n0) float inputs
        layer_sizes: [n0, ..., K], sigmoid hidden layers, K output units
        Returns: (N,) int array in {0, ..., K-1}, the index of the largest softmax output of each row
        """),
    Code("ex3-check", r"""
print("softmax of [[1000, 0], [1, 1]]:", softmax(np.array([[1000.0, 0.0], [1.0, 1.0]])))  # [[1, 0], [0.5, 0.5]]

sizes_ce = [2, 4, 3]
X3_check, t3_check = X3[::25], t3[::25]
W_check = np.random.default_rng(5).normal(size=n_params(sizes_ce))
error = gradient_check(lambda W: ce_backprop(W, X3_check, t3_check, sizes_ce, lam_check)[0],
                       lambda W: ce_backprop(W, X3_check, t3_check, sizes_ce, lam_check)[1], W_check)
print(f"relative error of ce_backprop's gradient: {error:.2e}  (below 1e-6 is right)")
"""),
    Code("ex3-train", r"""
rng = np.random.default_rng(SEED)
W0 = init_weights(LAYER_SIZES_3, rng)
result_3 = minimize(lambda W: ce_backprop(W, X3, t3, LAYER_SIZES_3, LAM_3),
                    W0, jac=True, method=METHOD, options=OPTIONS)
W_3 = result_3.x
print(f"exercise 3: loss {result_3.fun:.4f} after {result_3.nit} iterations, "
      f"training accuracy {np.mean(predict_multiclass(W_3, X3, LAYER_SIZES_3) == t3):.3f}")
plot_decision_regions(lambda P: predict_multiclass(W_3, P, LAYER_SIZES_3), X3, t3, f"3 classes, {LAYER_SIZES_3}")
"""),
    Ask("3-q"),
]
