"""Gradient of the loss: exercise 1d of the assignment."""

# -- what is asked --------------------------------------------------------------------------
ID = "1d"
TITLE = "Gradient of the loss"
POINTS = 15
FUNCTIONS = ("bce_grad",)

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
