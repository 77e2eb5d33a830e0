"""Stage 1, read: parse the submitted file as a notebook, or say why it is not one."""
import json
import warnings

import nbformat
from nbformat.validator import normalize

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
        text = raw.decode("utf-8-sig")     # a byte-order mark (Windows editors write one) is not part of the JSON
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
        # (reads joins sources given as lists of lines; its validation error is raised just below)
        notebook = nbformat.reads(json.dumps(repaired(data)), as_version=4, capture_validation_error={})
        nbformat.validate(notebook)
    except Exception as error:   # nbformat raises several unrelated types for a bad structure
        run.stop("unreadable", f"{path.name} is not a valid notebook: {str(error).splitlines()[0][:300]}")
        return
    run.notebook = notebook


# The keys nbformat 4 allows; others (some editors' or tools' additions) carry nothing the grader reads.
NOTEBOOK_KEYS = {"cells", "metadata", "nbformat", "nbformat_minor"}
CELL_KEYS = {"code": {"id", "cell_type", "metadata", "source", "outputs", "execution_count"},
             "markdown": {"id", "cell_type", "metadata", "source", "attachments"},
             "raw": {"id", "cell_type", "metadata", "source", "attachments"}}


def repaired(data):
    """The notebook dict with what editors leave out or add, harmlessly, made valid.

    Old outputs are cleared (the sanitize stage would clear them anyway, and a malformed one,
    or an ``execution_count`` written as text, is no reason to refuse the code); keys the
    format does not know are dropped; a missing ``metadata``, cell ids (missing, or duplicated
    by copy and paste) and metadata of the wrong type are repaired by nbformat's normalize.
    What is left wrong (a cell without a type, sources that are not text) is for validation
    to name."""
    cells = data.get("cells")
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") not in CELL_KEYS:
            continue
        for key in set(cell) - CELL_KEYS[cell["cell_type"]]:
            del cell[key]
        cell.setdefault("metadata", {})
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    for key in set(data) - NOTEBOOK_KEYS:
        del data[key]
    data.setdefault("metadata", {})
    if not isinstance(data.get("nbformat_minor"), int):
        data["nbformat_minor"] = nbformat.v4.nbformat_minor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # normalize warns about each repair it makes
        _, data = normalize(data, strip_invalid_metadata=True)
    return data
