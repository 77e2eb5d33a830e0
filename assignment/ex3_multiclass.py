"""Three classes: softmax and cross-entropy: exercise 3 of the assignment."""
import numpy as np

import reference

from .kit.judges import TestSpec, call_problem, gradient_consistency_test, judge_load_values, no_warnings_test, values_test
from .kit.plan import (Probe, add_fd_probe, add_loss_probes, call_id, call_ids, discriminating_weights, fd_ids,
                       random_weights, value, without_and_with_lam)
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
    TestSpec("3.softmax_stable", "softmax is stable for logits of 1000", 1, judge_softmax_stable, probes=[SOFTMAX_LARGE]),
    TestSpec("3.loss", "ce_backprop loss (depth 1 and 2, lam = 0 and > 0)", 3, values_test(CE_CASES, 0, scalar=True)),
    TestSpec("3.gradient", "ce_backprop gradient matches the reference", 3, values_test(CE_CASES, 1)),
    TestSpec("3.consistent_with_loss", "ce_backprop gradient is the derivative of your own loss", 1,
             gradient_consistency_test([fd_ids(ID, "depth1")], output=1)),
    TestSpec("3.predict", "predict_multiclass gives the argmax labels", 1, values_test(["3-predict"])),
    TestSpec("3.training", "training [2, 10, 3] with your ce_backprop reaches the reference's accuracy", 2,
             judge_training("3", "ce_backprop")),
]


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
