"""ReLU: exercise bonus of the assignment."""

# -- what is asked --------------------------------------------------------------------------
ID = "bonus"
TITLE = "ReLU"
POINTS = 5
FUNCTIONS = ("relu", "relu_grad")
BONUS = True

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
