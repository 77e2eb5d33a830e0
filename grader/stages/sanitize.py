"""Stage 2, sanitize: make the notebook run on the grader's kernel, from a clean slate."""
import nbformat

GRADER_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (week6 grader)", "language": "python"}


def sanitize(run):
    """Replace the kernelspec (students' say e.g. ``conda-env-ml-py``) and clear old outputs.

    Old outputs could be mistaken for fresh ones, and only the grader's own
    kernel runs here. Raw and markdown cells are kept as they are.
    """
    notebook = nbformat.from_dict(run.notebook)
    notebook.metadata["kernelspec"] = dict(GRADER_KERNELSPEC)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    run.notebook = notebook
