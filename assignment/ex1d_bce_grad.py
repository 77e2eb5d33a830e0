"""Gradient of the loss: exercise 1d of the assignment."""
from .ex1c_bce_loss import LOSS_CASES
from .kit.gradient_cost import CostSpec
from .kit.judges import TestSpec, gradient_consistency_test, values_test
from .kit.plan import add_fd_probe, add_loss_probes, call_ids, fd_ids, random_weights


# -- what is asked --------------------------------------------------------------------------
ID = "1d"
TITLE = "Gradient of the loss"
POINTS = 15
FUNCTIONS = ("bce_grad",)

# -- hidden probes and graded tests ---------------------------------------------------------
def add_probes(plan, rng, data, config):
    """bce_grad on exercise 1c's loss cases (but the saturated one), and finite differences of the
    submission's own bce_loss on a 12-sample subset."""
    add_loss_probes(plan, "bce_grad", ID, [case for case in plan.shared[LOSS_CASES] if case[0] != "saturated"])
    fd_W = plan.add_array("W1-fd", random_weights(rng, [2, 3, 1]))
    add_fd_probe(plan, rng, ID, "bce_loss", "bce_grad", "h3", fd_W, data["Xs"], data["ts"], [2, 3, 1], 0.1, config)


GRADIENT_COST = CostSpec(func="bce_grad", returns="grad", forward="bce_loss", forward_args="loss", activation="sigmoid",
                         sizes=([2, 4, 1], [2, 64, 1]), error_sizes=[2, 5, 1])

TESTS = [
    TestSpec("1d.without_regularization", "bce_grad without regularization matches the reference", 5,
             values_test(call_ids(ID, "bce_grad", ["h3-lam0", "h5-lam0"])), requires_backprop=True),
    TestSpec("1d.with_regularization", "bce_grad with regularization, and on a single sample", 5,
             values_test(call_ids(ID, "bce_grad", ["h3-lam", "h5-lam", "single"])), requires_backprop=True),
    TestSpec("1d.consistent_with_loss", "bce_grad is the derivative of your own bce_loss (finite differences)", 5,
             gradient_consistency_test([fd_ids(ID, "h3")], output=0), requires_backprop=True),
]


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
