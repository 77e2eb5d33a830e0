"""Three classes: softmax and cross-entropy: exercise 3 of the assignment."""

# -- what is asked --------------------------------------------------------------------------
ID = "3"
TITLE = "Three classes: softmax and cross-entropy"
POINTS = 15
FUNCTIONS = ("load_data_multiclass", "softmax", "ce_backprop", "predict_multiclass")

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
