"""Why a submission's tests failed, grouped by cause: the feedback's "one cause, one message".

A test fails either because a call it needs did not return (the check stage records which:
``TestResult.failed_call``), or because of the values that came back. The first kind is grouped by
what stopped the call:

    cell         a cell that did not run (it raised, ran out of time, ended the kernel) and so left a
                 function undefined: the cell of softmax with a SyntaxError, and every test that
                 calls softmax, or calls a function that calls it (a NameError of softmax);
    not_written  the template's stub still raises NotImplementedError;
    raises       a function raised: the function that actually raised, the innermost frame of the
                 traceback in the notebook's own code (bce_grad, not bce_loss, in 1e's training);
    undefined    a function that no cell of the notebook defines;
    call         anything else that stopped a call: too slow, an unreadable result, not checked;
    not_run      the cells the notebook's time budget left unrun (one cause for them all).

Cells that did not run for no test's sake are causes too (of kind ``cell``, without tests), and a
cell that failed only because another cell did not run (a NameError of what it left undefined) is
listed with that cell's cause. Cells are found by index here; the pages name them only as a student
sees them (:mod:`student_template.cell_names`).
"""
import re
from dataclasses import dataclass, field

from assignment import CONTRACT_FUNCTIONS
from student_template.cell_names import CellName, cell_frames, cell_name, error_line

from grader.reports.text import clean_text, one_line

BAD_CELL_STATUSES = ("error", "timeout", "hung", "died", "exited")
ERROR_CHARS = 300                    # an error message as shown in a cause
NAME_ERROR = re.compile(r"^NameError: name '(\w+)' is not defined")
# IPython's SyntaxError message ends with the name of its temporary file: "expected ':' (3363.py, line 2)"
IPYTHON_FILE = re.compile(r" \(\d+\.py, line \d+\)$")
FUNCTION_OF = {name: exercise for exercise, names in CONTRACT_FUNCTIONS.items() for name in names}


@dataclass
class Cause:
    """One reason why tests failed (see the module's docstring for the kinds).

    function: the function concerned (undefined, not written, that raised, that was called);
    cell: the index of the cell concerned (never shown: ``cell_code`` and ``cell_heading`` name it);
    error: the error, one line ("SyntaxError: expected ':'"); line, line_text: where, in the cell
    (``cell``) or in the function's cell (``raises``); called_by: the function the grader called, when
    another raised; undefined: the functions a cell left undefined that tests needed;
    tests: the ids of the tests that failed because of it; cells: the other cells that failed because of it.
    """
    key: str
    kind: str
    function: str = ""
    cell: int | None = None
    cell_code: str = ""
    cell_heading: str = ""
    cell_status: str = ""
    error: str = ""
    line: int = 0
    line_text: str = ""
    called_by: str = ""
    undefined: list = field(default_factory=list)
    tests: list = field(default_factory=list)
    cells: list = field(default_factory=list)
    cell_names: list = field(default_factory=list)   # the CellName of each of ``cells``

    @property
    def exercise(self) -> str | None:
        """The exercise whose function this is about (None: not a function of the contract)."""
        return FUNCTION_OF.get(self.function)


class _Notebook:
    """The run's cells, how each ran, and which cell defines a name."""

    def __init__(self, run):
        nb = run.executed_notebook if run.executed_notebook is not None else run.notebook
        self.cells = list(getattr(nb, "cells", None) or [])
        self.records = {record.index: record for record in (run.cells or []) if getattr(record, "index", -1) >= 0}

    def failed(self, index):
        record = self.records.get(index)
        return record is not None and record.status in BAD_CELL_STATUSES

    def defining_cell(self, name):
        """The last code cell that defines ``name`` (def, class, or an assignment), or None."""
        pattern = re.compile(rf"^[ \t]*(?:def|class)[ \t]+{re.escape(name)}\b|^{re.escape(name)}[ \t]*=", re.MULTILINE)
        found = [i for i, cell in enumerate(self.cells)
                 if cell.get("cell_type") == "code" and pattern.search(_source(cell))]
        return found[-1] if found else None

    def name(self, index):
        """The cell as a student finds it (student_template.cell_names), or a placeholder when the run
        has no such cell (a run built without its notebook)."""
        if 0 <= index < len(self.cells):
            return cell_name(self.cells, index)
        return CellName("(a cell the grader has no copy of)", None)

    def error_output(self, index):
        cell = self.cells[index] if 0 <= index < len(self.cells) else {}
        return next((o for o in cell.get("outputs", []) or [] if o.get("output_type") == "error"), None)


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _cell_cause(notebook, index):
    """The cause "this cell did not run", with its error and the line it was raised at."""
    record = notebook.records[index]
    name = notebook.name(index)
    error = ": ".join(part for part in (one_line(record.ename, 80),
                                        IPYTHON_FILE.sub("", one_line(record.evalue, ERROR_CHARS))) if part)
    cause = Cause(f"cell:{index}", "cell", cell=index, cell_code=clean_text(name.code),
                  cell_heading=clean_text(name.heading or ""), cell_status=record.status, error=error)
    output = notebook.error_output(index)
    where = error_line(notebook.cells, index, output) if output is not None and record.status == "error" else None
    if where is not None:
        cause.line, cause.line_text = where.line, one_line(where.text, 200)
    return cause


class _Causes:
    """The causes found so far, by key, in the order they were found."""

    def __init__(self, run):
        self.run = run
        self.notebook = _Notebook(run)
        self.by_key = {}

    def add(self, cause, test_id=None):
        cause = self.by_key.setdefault(cause.key, cause)
        if test_id is not None:
            cause.tests.append(test_id)
        return cause

    def undefined(self, name, test_id, called_by=""):
        """``name`` is not defined: the cell that should define it did not run, or none does."""
        index = self.notebook.defining_cell(name)
        if index is not None and self.notebook.failed(index):
            cause = self.add(_cell_cause(self.notebook, index), test_id)
            if name not in cause.undefined:
                cause.undefined.append(name)
            return cause
        return self.add(Cause(f"undefined:{name}", "undefined", function=name, called_by=called_by), test_id)

    def of_test(self, test):
        """The cause of a test that failed because a call did not return (None: no such call)."""
        probe_id = getattr(test, "failed_call", None)
        plan = self.run.probe_plan
        outcome = (self.run.probe_outcomes or {}).get(probe_id)
        if probe_id is None or plan is None or outcome is None or probe_id not in plan.probes:
            return None
        called = plan.probes[probe_id].func
        error = clean_text(outcome.error)
        if outcome.status == "missing":
            return self.undefined(error.split(" is not defined")[0].strip() or called, test.id)
        if outcome.status == "error":
            frames = list(outcome.frames or [])
            raiser = frames[-1].function if frames else called
            entry = frames[0].function if frames else called
            missing = NAME_ERROR.match(error)
            if missing:
                return self.undefined(missing.group(1), test.id, called_by=raiser)
            if error.startswith("NotImplementedError"):
                return self.add(Cause(f"not_written:{raiser}", "not_written", function=raiser), test.id)
            ename = error.split(":", 1)[0]
            cause = Cause(f"raises:{raiser}:{ename}", "raises", function=raiser, error=one_line(error, ERROR_CHARS),
                          called_by=entry if entry != raiser else "")
            if frames:
                cause.line, cause.line_text = frames[-1].line, one_line(frames[-1].text, 200)
            return self.add(cause, test.id)
        return self.add(Cause(f"call:{outcome.status}:{called}", "call", function=called,
                              cell_status=outcome.status, error=one_line(error, ERROR_CHARS)), test.id)

    def other_cells(self):
        """Cells that did not run and are no test's cause yet: with the cause of the cell that left
        undefined what they need (a NameError), or of the function that raised in them, else each a
        cause of its own."""
        taken = {cause.cell for cause in self.by_key.values() if cause.cell is not None}
        for index in sorted(self.notebook.records):
            if self.notebook.records[index].status == "not_run":
                self.add(Cause("cells:not_run", "not_run", cell_status="not_run",
                               error=one_line(self.notebook.records[index].evalue, ERROR_CHARS))).cells.append(index)
                continue
            if index in taken or not self.notebook.failed(index):
                continue
            record = self.notebook.records[index]
            upstream = self._upstream_of(index, f"{clean_text(record.ename)}: {clean_text(record.evalue)}")
            if upstream is not None:
                upstream.cells.append(index)
            else:
                self.add(_cell_cause(self.notebook, index))

    def _upstream_of(self, index, error):
        """The cause a failed cell's error comes from: a cell that left a name undefined, or a function
        already known to raise this type of error (the innermost frame of the cell's traceback)."""
        missing = NAME_ERROR.match(error)
        if missing:
            upstream = self.notebook.defining_cell(missing.group(1))
            if upstream is not None and upstream != index and self.notebook.failed(upstream):
                return self.add(_cell_cause(self.notebook, upstream))
        output = self.notebook.error_output(index)
        frames = [frame for frame in cell_frames(self.notebook.cells, output) if frame.function] if output else []
        if frames:
            return self.by_key.get(f"raises:{frames[-1].function}:{error.split(':', 1)[0]}")
        return None


def find_causes(run) -> tuple[list, list]:
    """(causes, cause of each test): the causes of the run's failed tests (each test under one cause
    at most), then the cells that did not run for no test's sake, in the order first met (tests in
    notebook order); and for each of ``run.tests``, the key of its cause or None."""
    causes = _Causes(run)
    keys = [causes.of_test(test) if not getattr(test, "passed", False) else None for test in run.tests or []]
    causes.other_cells()
    for cause in causes.by_key.values():
        cause.cell_names = [causes.notebook.name(index) for index in cause.cells]
    return list(causes.by_key.values()), [cause.key if cause is not None else None for cause in keys]
