"""Which notebook of the files a student handed in is the one graded, wherever they come from
(a Gradescope upload: :mod:`grader.gradescope.autograder`; a class's folder or LMS download:
:mod:`grader.classroom.submissions`): the one named like the assignment's notebook first."""
from pathlib import Path

TEMPLATE_NAME = "week6_backprop.ipynb"       # the notebook students download (student_template/)


def choose_notebook(notebooks: list[Path]) -> Path | None:
    """The notebook to grade: the one named like the template (``week6_backprop.ipynb``;
    else a name starting with ``week6_backprop``, any case, such as ``week6_backprop (1).ipynb``),
    else the first; None when there is none."""
    if not notebooks:
        return None
    for path in notebooks:
        if path.name == TEMPLATE_NAME:
            return path
    stem = Path(TEMPLATE_NAME).stem.lower()
    for path in notebooks:
        if path.name.lower().startswith(stem):
            return path
    return notebooks[0]
