"""Initialization and prediction: exercise 1e of the assignment."""
import numpy as np

import reference
from student_template.arraycheck import Verdict, check_uniform
from student_template.common_judges import init_bounds_judge
from reference.init import init_limits
from reference.params import unpack

from .ex1c_bce_loss import SIZES
from .kit import shared_cells
from .kit.handout import Code, Markdown, Stub
from .kit.judges import TestSpec, reads, call_problem, values_test
from .kit.plan import Probe, call_id, call_ids, discriminating_weights, value
from .kit.training import Training, judge_training
from .kit.public import ONE_HIDDEN_SIZES, PublicCases, check, clear_of_threshold, points

# -- what is asked --------------------------------------------------------------------------
ID = "1e"
TITLE = "Initialization and prediction"
POINTS = 15
FUNCTIONS = ("init_weights", "predict")

# -- hidden probes and graded tests ---------------------------------------------------------
INIT_SIZES = ([2, 3, 1], [2, 10, 10, 10, 10, 1], [2, 400, 300])   # the last: enough weights to test uniformity
INIT_PROBES = call_ids(ID, "init", ["-".join(map(str, sizes)) for sizes in INIT_SIZES])


def add_probes(plan, rng, data, config):
    """init_weights on three networks, each with a generator of its own seed; predict on weights
    that give both labels often (exercise 1c's networks)."""
    for probe_id, sizes in zip(INIT_PROBES, INIT_SIZES):
        plan.add(Probe(probe_id, ID, "call", "init_weights", [value(sizes), {"rng": int(rng.integers(2**31))}]))
    for sizes in SIZES:
        W = plan.add_array(f"W1e-{sizes[1]}", discriminating_weights(rng, sizes, plan.resolve(data["X"]), reference.predict, 2))
        plan.add(Probe(call_id(ID, "predict", f"h{sizes[1]}"), ID, "call", "predict", [W, data["X"], value(list(sizes))]))


TRAINING = Training(setup="1", functions=("bce_loss", "bce_grad"), mode="pair")


def init_layers(ctx, probe_id):
    """(sizes, layers) of an init probe's result, or a failing Verdict."""
    problem = call_problem(ctx, probe_id)
    if problem:
        return None, problem
    sizes = ctx.plan.probes[probe_id].args[0]["value"]
    W = ctx.outcome(probe_id).values[0].reshape(-1)
    if W.size != reference.n_params(sizes):
        return None, Verdict(False, f"init_weights({sizes}, rng) to return {reference.n_params(sizes)} values",
                             f"{W.size} values", "One flat vector: each W_l row-major, then b_l, layer by layer.")
    return unpack(W, sizes), None


def judge_init_spread(probe_ids, big_probe_id):
    def judge(ctx):
        for probe_id in probe_ids:
            layers, problem = init_layers(ctx, probe_id)
            if problem:
                return problem
            for l, (W_l, _) in enumerate(layers, start=1):
                if W_l.shape[0] > 1 and np.any(np.all(np.isclose(W_l, W_l[0]), axis=1)[1:]):
                    return Verdict(False, f"layer {l}: every unit with its own random weights",
                                   "two units with identical weights",
                                   "Units that start equal stay equal under gradient descent: draw each weight independently.")
        layers, problem = init_layers(ctx, big_probe_id)
        if problem:
            return problem
        sizes = ctx.plan.probes[big_probe_id].args[0]["value"]
        for (W_l, _), limit in zip(layers, init_limits(sizes)):
            verdict = check_uniform(W_l, limit, f"weights of a {W_l.shape} layer")
            if not verdict.passed:
                return verdict
        return Verdict(True, "Units start different and weights are uniform over [-e_l, e_l].")
    return reads(judge, [*probe_ids, big_probe_id])


TESTS = [
    TestSpec("1e.init_bounds", "init_weights: length and per-layer bounds e_l", 4, init_bounds_judge(INIT_PROBES)),
    TestSpec("1e.init_spread", "init_weights: symmetry broken, uniform spread", 3,
             judge_init_spread(INIT_PROBES, INIT_PROBES[-1])),
    TestSpec("1e.predict", "predict gives labels p >= 0.5 -> 1", 3, values_test(call_ids(ID, "predict", ["h3", "h5"]))),
    TestSpec("1e.training", "training with your bce_loss and bce_grad reaches the reference's accuracy", 5,
             judge_training("1", "bce_loss and bce_grad")),
]


# -- public self-check ----------------------------------------------------------------------
PUBLIC_INIT_SIZES = [[2, 3, 1], [2, 10, 10, 10, 10, 1], [2, 10, 3]]
INIT_SPREAD_SIZES = [2, 150, 120]     # enough weights for a uniformity check, still instant
INIT_SEEDS = [7, 8]


PUBLIC_INIT_CALLS = [f"init_weights-{'-'.join(map(str, sizes))}" for sizes in PUBLIC_INIT_SIZES]


def public_cases(cases: PublicCases) -> None:
    """init_weights (its inputs only: the checks test properties; one call per network for the
    bounds, the judge of the hidden test) and predict on 10 points."""
    for case_id, sizes in zip(PUBLIC_INIT_CALLS, PUBLIC_INIT_SIZES):
        cases.add(case_id, {"func": "init_weights", "args": {"layer_sizes": sizes, "rng": INIT_SEEDS[0]}})
    cases.add("init_weights", {"func": "init_weights",
                               "args": {"layer_sizes": PUBLIC_INIT_SIZES, "seeds": INIT_SEEDS,
                                        "spread_sizes": INIT_SPREAD_SIZES}})
    X = points(cases.rng, 10)
    W = clear_of_threshold(cases.rng, ONE_HIDDEN_SIZES, X, multiclass=False)
    cases.prediction("predict", "predict", W, X, ONE_HIDDEN_SIZES)


PUBLIC_CHECKS = [
    check("1e-init_weights-bounds", "init_weights: length and per-layer bounds e_l", "init_bounds", PUBLIC_INIT_CALLS),
    check("1e-init_weights-random", "init_weights: random, drawn from rng, spread uniformly", "init_random",
          ["init_weights"]),
    check("1e-predict", "predict gives labels p >= 0.5 -> 1", "values", ["predict"],
          hint="Return (p >= 0.5).astype(int) with p = sigmoid(A_L)[:, 0], shape (N,).", exact=True),
]


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
