"""Submissions whose feedback the report tests read, built by script: one cause each, which the
feedback must give as one message (grader.reports.causes).

* ``softmax_does_not_parse``: a syntax error in the cell of ``softmax`` (an independent solution,
  whose ce_backprop calls softmax), so softmax is undefined, and every test that calls it, or calls
  ce_backprop, fails because of that cell;
* ``bce_grad_raises``: ``bce_grad`` raises a TypeError (bce_loss is right), so 1d's tests and 1e's
  training, which calls bce_loss and bce_grad, fail because of bce_grad.

Run ``python -m tests.grader.feedback_fixtures OUT_DIR`` to write them.
"""
import sys
from pathlib import Path

from examples.notebook_builder import graded_cells
from tests.grader.fixtures import correct, with_cell
from tests.grader.independent_solutions import notebook as independent_notebook

BCE_GRAD_BUG = '''
def bce_grad(W, X, t, layer_sizes, lam):
    sizes = layer_sizes + 1
    return sizes
'''


def softmax_does_not_parse():
    nb = independent_notebook("einsum")
    index = next(i for i, name in graded_cells(nb) if name == "softmax")
    nb.cells[index].source = nb.cells[index].source.replace("def softmax(A):", "def softmax(A)", 1)
    return nb


def bce_grad_raises():
    return with_cell(correct(), BCE_GRAD_BUG.strip("\n"))


BUILDERS = {"softmax_does_not_parse": softmax_does_not_parse, "bce_grad_raises": bce_grad_raises}


def write_all(out_dir):
    import nbformat
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        nbformat.write(build(), str(out_dir / f"{name}.ipynb"))
    return sorted(out_dir.iterdir())


if __name__ == "__main__":
    for written in write_all(sys.argv[1] if len(sys.argv) > 1 else "feedback_fixtures"):
        print(written)
