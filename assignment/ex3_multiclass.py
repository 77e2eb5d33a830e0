"""Three classes: softmax and cross-entropy: exercise 3 of the assignment."""
import numpy as np

import reference
from reference.losses import cross_entropy

from .kit.handout import Ask, Code, Markdown, Plot, Question, Stub, activation_choices
from .kit.judges import TestSpec, call_problem, gradient_consistency_test, judge_load_values, no_warnings_test, values_test
from .kit.mistake import Mistake
from .kit.plan import (Probe, add_fd_probe, add_loss_probes, call_id, call_ids, discriminating_weights, fd_ids,
                       random_weights, value, without_and_with_lam)
from .kit.public import PublicCases, all_class_labels, check, clear_of_threshold, points
from .kit.simulator import Pieces
from .kit.training import Training, judge_training

# -- what is asked --------------------------------------------------------------------------
ID = "3"
TITLE = "Three classes: softmax and cross-entropy"
POINTS = 15
FUNCTIONS = ("load_data_multiclass", "softmax", "ce_backprop", "predict_multiclass")

# -- hidden probes and graded tests ---------------------------------------------------------
SIZES = ([2, 4, 3], [2, 5, 4, 3])
LARGE_LOGITS = np.array([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0], [0.5, 0.25, -0.75]])
LOAD_PROBE = "3-load"
SOFTMAX_LARGE = call_id(ID, "softmax", "large")
CE_CASES = call_ids(ID, "ce_backprop", ["depth1-lam0", "depth1-lam", "depth2-lam0", "depth2-lam"])


def add_probes(plan, rng, data, config):
    """The 3-class loader, softmax on random and huge logits, ce_backprop at depths 1 and 2
    without and with lam, finite differences of its own loss, and predict_multiclass."""
    plan.add(Probe(LOAD_PROBE, ID, "call", "load_data_multiclass", [], outputs=2))
    plan.add(Probe(call_id(ID, "softmax", "random"), ID, "call", "softmax",
                   [plan.add_array("A_rand", rng.normal(0, 2, size=(6, 3)))]))
    plan.add(Probe(SOFTMAX_LARGE, ID, "call", "softmax", [plan.add_array("A_large", LARGE_LOGITS)]))
    cases = []
    for sizes in SIZES:
        depth = len(sizes) - 2
        cases += without_and_with_lam(plan, rng, f"depth{depth}", f"W3-d{depth}", sizes, data["X3"], data["t3"])
    add_loss_probes(plan, "ce_backprop", ID, cases, outputs=2)
    fd_W = plan.add_array("W3-fd", random_weights(rng, [2, 4, 3]))
    add_fd_probe(plan, rng, ID, "ce_backprop", "ce_backprop", "depth1", fd_W, data["X3s"], data["t3s"], [2, 4, 3], 0.1,
                 config, grad_outputs=2)
    W = plan.add_array("W3-predict", discriminating_weights(rng, [2, 4, 3], plan.resolve(data["X3"]),
                                                            reference.predict_multiclass, 3))
    plan.add(Probe("3-predict", ID, "call", "predict_multiclass", [W, data["X3"], value([2, 4, 3])]))


TRAINING = Training(setup="3", functions=("ce_backprop",), mode="backprop")


def judge_softmax_stable(ctx):
    verdict = no_warnings_test([SOFTMAX_LARGE], "softmax is exact and finite for logits of 1000.")(ctx)
    if not verdict.passed and call_problem(ctx, SOFTMAX_LARGE) is None:
        verdict.hint = "Subtract each row's maximum before exp: softmax is unchanged and exp never overflows."
    return verdict


TESTS = [
    TestSpec("3.load", "load_data_multiclass: X (N, 2), labels 0, 1, 2 in file order", 2,
             judge_load_values(LOAD_PROBE, "{0, 1, 2}")),
    TestSpec("3.softmax_values", "softmax values, row by row", 2, values_test([call_id(ID, "softmax", "random")])),
    TestSpec("3.softmax_stable", "softmax is stable for logits of 1000", 1, judge_softmax_stable, calls=[SOFTMAX_LARGE]),
    TestSpec("3.loss", "ce_backprop loss (depth 1 and 2, lam = 0 and > 0)", 3, values_test(CE_CASES, 0, scalar=True)),
    TestSpec("3.gradient", "ce_backprop gradient matches the reference", 3, values_test(CE_CASES, 1)),
    TestSpec("3.consistent_with_loss", "ce_backprop gradient is the derivative of your own loss", 1,
             gradient_consistency_test([fd_ids(ID, "depth1")], output=1)),
    TestSpec("3.predict", "predict_multiclass gives the argmax labels", 1, values_test(["3-predict"])),
    TestSpec("3.training", "training [2, 10, 3] with your ce_backprop reaches the reference's accuracy", 2,
             judge_training("3", "ce_backprop")),
]


# -- known mistakes (named by the diagnosis) -----------------------------------------------
def softmax_without_shift(A):
    E = np.exp(np.asarray(A, dtype=float))
    return E / E.sum(axis=1, keepdims=True)


def ce_labels_from_one(A_L, t):
    """Labels read as 1..K: label k picks column k - 1, so label 0 picks the last column."""
    k = A_L.shape[1]
    return cross_entropy(A_L, (np.asarray(t).astype(int) - 1) % k)


MISTAKES = [
    Mistake("softmax_without_shift", "softmax without the max shift (exp overflows)",
            "exp(1000) is inf, and inf / inf is NaN. Subtracting each row's maximum before exp does not "
            "change the softmax and keeps every exponent <= 0.",
            ("softmax",), (Pieces(functions={"softmax": softmax_without_shift}),)),
    Mistake("labels_off_by_one", "class labels counted from 1 instead of 0",
            "Class k's file gives label k - 1: labels run 0, 1, ..., K-1, and label k picks column k of "
            "the outputs.",
            ("load_data", "load_data_multiclass", "ce_backprop"),
            (Pieces(label_offset=1, losses={"ce": ce_labels_from_one}),)),
]


# -- public self-check ----------------------------------------------------------------------
PUBLIC_LARGE_LOGITS = [[1000.0, 998.0, 999.5], [0.0, -1000.0, 1000.0], [-750.0, -749.0, -751.0]]
MULTICLASS_SIZES = [2, 4, 3]


def public_cases(cases: PublicCases) -> None:
    """The 3-class data set, softmax of (4, 3) and large logits, ce_backprop on [2, 4, 3] (9 points,
    lam 0 and 0.1), predict_multiclass on 10 points."""
    cases.data("load_data_multiclass", "load_data_multiclass", [f"xWeek6Ex3PointsClass{k}" for k in (1, 2, 3)], [0, 1])
    cases.value("softmax-values", "softmax", A=cases.rng.normal(0, 3, size=(4, 3)).round(6))
    cases.value("softmax-large", "softmax", A=PUBLIC_LARGE_LOGITS)
    W = random_weights(cases.rng, MULTICLASS_SIZES)
    X = points(cases.rng, 9)
    t = all_class_labels(cases.rng, 9, 3)
    cases.with_and_without_penalty("ce_backprop", W, X, t, MULTICLASS_SIZES)
    X_predict = points(cases.rng, 10)
    W_predict = clear_of_threshold(cases.rng, MULTICLASS_SIZES, X_predict, multiclass=True)
    cases.prediction("predict_multiclass", "predict_multiclass", W_predict, X_predict, MULTICLASS_SIZES)


PUBLIC_CHECKS = [
    check("3-load_data_multiclass", "load_data_multiclass: X (N, 2), labels 0, 1, 2 in file order", "data",
          ["load_data_multiclass"], labels="{0, 1, 2}", shapes_only=False),
    check("3-softmax-values", "softmax values, row by row", "values", ["softmax-values"],
          hint="exp of each entry divided by the sum of exp over its row (axis=1, keepdims=True)."),
    check("3-softmax-stable", "softmax is stable for logits of 1000", "stable", ["softmax-large"],
          hint="Subtract each row's maximum before exp: softmax is unchanged and exp never overflows."),
    check("3-ce_backprop-loss", "ce_backprop loss, lam = 0 and 0.1 ([2, 4, 3])", "values",
          ["ce_backprop-lam0", "ce_backprop-lam"],
          hint="-(1/N) * sum_n log Y[n, t_n] + R(W), with Y = softmax(A_L): pick each row's entry at its label.",
          output="loss", scalar=True),
    check("3-ce_backprop-grad", "ce_backprop gradient, lam = 0 and 0.1 ([2, 4, 3])", "values",
          ["ce_backprop-lam0", "ce_backprop-lam"],
          hint="Delta_L = (Y - T) / N with T the one-hot (N, K) matrix of the labels; the rest is backprop's.",
          output="grad"),
    check("3-ce_backprop-fd", "ce_backprop gradient is the derivative of your own loss (finite differences)", "fd",
          ["ce_backprop-lam"]),
    check("3-predict_multiclass", "predict_multiclass gives the argmax labels", "values", ["predict_multiclass"],
          hint="np.argmax of the output layer, along axis=1: shape (N,).", exact=True),
]


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
        activation: """ + activation_choices() + """, the activation of the hidden layers (the output is always softmax)
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
