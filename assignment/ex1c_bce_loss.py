"""Binary cross-entropy loss: exercise 1c of the assignment."""

# -- what is asked --------------------------------------------------------------------------
ID = "1c"
TITLE = "Binary cross-entropy loss"
POINTS = 15
FUNCTIONS = ("bce_loss",)

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
