"""Backpropagation for any depth: exercise 2 of the assignment."""
from .kit.gradient_cost import CostSpec
from .kit.judges import TestSpec, gradient_consistency_test, values_test
from .kit.plan import add_fd_probe, add_loss_probes, call_ids, fd_ids, random_weights, without_and_with_lam
from .kit.training import Training, judge_training


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


# -- handout and written work ---------------------------------------------------------------
