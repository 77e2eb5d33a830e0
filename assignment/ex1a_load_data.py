"""Loading the data: exercise 1a of the assignment."""

from .kit.public import PublicCases, check

# -- what is asked --------------------------------------------------------------------------
ID = "1a"
TITLE = "Loading the data"
POINTS = 5
FUNCTIONS = ("load_data",)

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------
def public_cases(cases: PublicCases) -> None:
    """The data set's shapes, a few rows and its label counts."""
    cases.data("load_data", "load_data", ["pointsClass1Week6", "pointsClass2Week6"], [0, 1, 2])


PUBLIC_CHECKS = [
    check("1a-load_data-shapes", "load_data returns X (N, 2) and t (N,)", "data", ["load_data"],
          labels="{0, 1}", shapes_only=True),
    check("1a-load_data-order", "load_data: class 1 rows first, labels 0 then 1", "data", ["load_data"],
          labels="{0, 1}", shapes_only=False),
]


# -- handout and written work ---------------------------------------------------------------
