"""Stage 1, read: parse the submitted file as a notebook, or say why it is not one."""
import json

import nbformat

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


def read(run):
    """Load run.notebook_path into run.notebook (nbformat v4), or stop the run as "unreadable"."""
    path = run.notebook_path
    if not path.is_file():
        run.stop("unreadable", f"{path.name} is not a file.")
        return
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        run.stop("unreadable", f"{path.name} is {size / 2**20:.0f} MB; notebooks over "
                 f"{MAX_NOTEBOOK_BYTES // 2**20} MB are not graded. Clear the outputs and submit again.")
        return
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        run.stop("unreadable", f"{path.name} is not UTF-8 text (byte {error.start}); save the notebook from Jupyter again.")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        run.stop("unreadable", f"{path.name} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
                 "it may be damaged, or not a notebook.")
        return
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        run.stop("unreadable", f"{path.name} is JSON but not a Jupyter notebook (no cells).")
        return
    major = data.get("nbformat")
    if major != 4:
        run.stop("unreadable", f"{path.name} is in notebook format {major}; only format 4 (Jupyter 4 and later) "
                 "is graded. Open it in a current Jupyter and save it again.")
        return
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:   # nbformat raises several unrelated types for a bad structure
        run.stop("unreadable", f"{path.name} is not a valid notebook: {str(error).splitlines()[0][:300]}")
        return
    run.notebook = notebook
