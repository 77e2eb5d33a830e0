"""Backpropagation for any depth: exercise 2 of the assignment."""

# -- what is asked --------------------------------------------------------------------------
ID = "2"
TITLE = "Backpropagation for any depth"
POINTS = 25
FUNCTIONS = ("backprop",)

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
