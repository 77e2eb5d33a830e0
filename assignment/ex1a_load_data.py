"""Loading the data: exercise 1a of the assignment."""
from .kit.judges import TestSpec, judge_load_shapes, judge_load_values
from .kit.plan import Probe


# -- what is asked --------------------------------------------------------------------------
ID = "1a"
TITLE = "Loading the data"
POINTS = 5
FUNCTIONS = ("load_data",)

# -- hidden probes and graded tests ---------------------------------------------------------
LOAD_PROBE = "1a-load"


def add_probes(plan, rng, data, config):
    plan.add(Probe(LOAD_PROBE, ID, "call", "load_data", [], outputs=2))


TESTS = [
    TestSpec("1a.shapes", "load_data returns X (N, 2) and t (N,)", 2, judge_load_shapes(LOAD_PROBE)),
    TestSpec("1a.values", "load_data: class 1 rows first, labels 0 and 1", 3, judge_load_values(LOAD_PROBE, "{0, 1}")),
]


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
