"""Loading the data: exercise 1a of the assignment."""

# -- what is asked --------------------------------------------------------------------------
ID = "1a"
TITLE = "Loading the data"
POINTS = 5
FUNCTIONS = ("load_data",)

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
