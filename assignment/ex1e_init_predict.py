"""Initialization and prediction: exercise 1e of the assignment."""

# -- what is asked --------------------------------------------------------------------------
ID = "1e"
TITLE = "Initialization and prediction"
POINTS = 15
FUNCTIONS = ("init_weights", "predict")

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
