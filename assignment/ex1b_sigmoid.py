"""Sigmoid and its derivative: exercise 1b of the assignment."""
import numpy as np

from .kit.judges import TestSpec, no_warnings_test, values_test
from .kit.plan import Probe, call_id, call_ids, value


# -- what is asked --------------------------------------------------------------------------
ID = "1b"
TITLE = "Sigmoid and its derivative"
POINTS = 10
FUNCTIONS = ("sigmoid", "sigmoid_grad")

# -- hidden probes and graded tests ---------------------------------------------------------
STABILITY_INPUTS = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])


def add_probes(plan, rng, data, config):
    """Each function on a vector, a matrix, a scalar and the extremes where a naive exp overflows."""
    vector = plan.add_array("a_vec", rng.normal(0, 3, size=9))
    matrix = plan.add_array("a_mat", rng.normal(0, 3, size=(4, 3)))
    extreme = plan.add_array("a_extreme", STABILITY_INPUTS)
    scalar = float(np.round(rng.normal(0, 2), 6))
    for func in FUNCTIONS:
        plan.add(Probe(call_id(ID, func, "vector"), ID, "call", func, [vector]))
        plan.add(Probe(call_id(ID, func, "matrix"), ID, "call", func, [matrix]))
        plan.add(Probe(call_id(ID, func, "scalar"), ID, "call", func, [value(scalar)]))
        plan.add(Probe(call_id(ID, func, "extreme"), ID, "call", func, [extreme]))


TESTS = [
    TestSpec("1b.sigmoid_values", "sigmoid values (vectors and matrices)", 3,
             values_test(call_ids(ID, "sigmoid", ["vector", "matrix"]))),
    TestSpec("1b.sigmoid_grad_values", "sigmoid_grad values: sigma(a) * (1 - sigma(a))", 3,
             values_test(call_ids(ID, "sigmoid_grad", ["vector", "matrix"]))),
    TestSpec("1b.scalars", "sigmoid and sigmoid_grad accept a scalar", 1,
             values_test([call_id(ID, "sigmoid", "scalar"), call_id(ID, "sigmoid_grad", "scalar")])),
    TestSpec("1b.sigmoid_stable", "sigmoid is stable for |a| up to 1000 (no warning, no NaN)", 2,
             no_warnings_test([call_id(ID, "sigmoid", "extreme")], "sigmoid is exact and silent for |a| up to 1000.")),
    TestSpec("1b.sigmoid_grad_stable", "sigmoid_grad is stable for |a| up to 1000", 1,
             no_warnings_test([call_id(ID, "sigmoid_grad", "extreme")],
                              "sigmoid_grad is exact and silent for |a| up to 1000.")),
]


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
