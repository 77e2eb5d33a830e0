"""Three classes: softmax and cross-entropy: exercise 3 of the assignment."""

from .kit.public import PublicCases, all_class_labels, check, clear_of_threshold, normal_weights, points

# -- what is asked --------------------------------------------------------------------------
ID = "3"
TITLE = "Three classes: softmax and cross-entropy"
POINTS = 15
FUNCTIONS = ("load_data_multiclass", "softmax", "ce_backprop", "predict_multiclass")

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------
SOFTMAX_LARGE = [[1000.0, 998.0, 999.5], [0.0, -1000.0, 1000.0], [-750.0, -749.0, -751.0]]
MULTICLASS_SIZES = [2, 4, 3]


def public_cases(cases: PublicCases) -> None:
    """The 3-class data set, softmax of (4, 3) and large logits, ce_backprop on [2, 4, 3] (9 points,
    lam 0 and 0.1), predict_multiclass on 10 points."""
    cases.data("load_data_multiclass", "load_data_multiclass", [f"xWeek6Ex3PointsClass{k}" for k in (1, 2, 3)], [0, 1])
    cases.value("softmax-values", "softmax", A=cases.rng.normal(0, 3, size=(4, 3)).round(6))
    cases.value("softmax-large", "softmax", A=SOFTMAX_LARGE)
    W = normal_weights(cases.rng, MULTICLASS_SIZES)
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
