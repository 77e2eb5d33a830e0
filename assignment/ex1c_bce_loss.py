"""Binary cross-entropy loss: exercise 1c of the assignment."""
from .kit.judges import TestSpec, values_test
from .kit.plan import add_loss_probes, call_ids, random_weights, without_and_with_lam


# -- what is asked --------------------------------------------------------------------------
ID = "1c"
TITLE = "Binary cross-entropy loss"
POINTS = 15
FUNCTIONS = ("bce_loss",)

# -- hidden probes and graded tests ---------------------------------------------------------
SIZES = ([2, 3, 1], [2, 5, 1])      # one hidden layer, as exercise 1 asks
LOSS_CASES = "one-hidden-layer loss cases"   # plan.shared: exercise 1d probes its gradient on the same cases


def add_probes(plan, rng, data, config):
    """Hidden widths 3 and 5 without and with lam, one sample, and weights that saturate the output."""
    cases = []
    for sizes in SIZES:
        width = sizes[1]
        cases += without_and_with_lam(plan, rng, f"h{width}", f"W1-{width}", sizes, data["X"], data["t"])
    single = plan.add_array("W1-single", random_weights(rng, [2, 3, 1]))
    cases.append(("single", single, data["x1"], data["t1"], [2, 3, 1], 0.05, {}))
    saturated = plan.add_array("W1-saturated", random_weights(rng, [2, 3, 1], scale=60.0))
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


# -- handout and written work ---------------------------------------------------------------
