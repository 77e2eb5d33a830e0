"""Initialization and prediction: exercise 1e of the assignment."""

from .kit.public import ONE_HIDDEN_SIZES, PublicCases, check, clear_of_threshold, points

# -- what is asked --------------------------------------------------------------------------
ID = "1e"
TITLE = "Initialization and prediction"
POINTS = 15
FUNCTIONS = ("init_weights", "predict")

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------
INIT_SIZES = [[2, 3, 1], [2, 10, 10, 10, 10, 1], [2, 10, 3]]
INIT_SPREAD_SIZES = [2, 150, 120]     # enough weights for a uniformity check, still instant
INIT_SEEDS = [7, 8]


def public_cases(cases: PublicCases) -> None:
    """init_weights (its inputs only: the checks test properties) and predict on 10 points."""
    cases.add("init_weights", {"func": "init_weights",
                               "args": {"layer_sizes": INIT_SIZES, "seeds": INIT_SEEDS,
                                        "spread_sizes": INIT_SPREAD_SIZES}})
    X = points(cases.rng, 10)
    W = clear_of_threshold(cases.rng, ONE_HIDDEN_SIZES, X, multiclass=False)
    cases.prediction("predict", "predict", W, X, ONE_HIDDEN_SIZES)


PUBLIC_CHECKS = [
    check("1e-init_weights-bounds", "init_weights: length and per-layer bounds e_l", "init_bounds", ["init_weights"]),
    check("1e-init_weights-random", "init_weights: random, drawn from rng, spread uniformly", "init_random",
          ["init_weights"]),
    check("1e-predict", "predict gives labels p >= 0.5 -> 1", "values", ["predict"],
          hint="Return (p >= 0.5).astype(int) with p = sigmoid(A_L)[:, 0], shape (N,).", exact=True),
]


# -- handout and written work ---------------------------------------------------------------
