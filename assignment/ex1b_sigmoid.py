"""Sigmoid and its derivative: exercise 1b of the assignment."""

# -- what is asked --------------------------------------------------------------------------
ID = "1b"
TITLE = "Sigmoid and its derivative"
POINTS = 10
FUNCTIONS = ("sigmoid", "sigmoid_grad")

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
