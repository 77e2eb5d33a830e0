"""How a notebook's cells are named to a student, who sees no cell numbers in Jupyter: by the cell's
first line of code and the heading above it ("the cell `def softmax(A):` (under "Exercise 3: ...")"),
and where an error was raised: the line of the cell, and the notebook's function it was raised in.

One naming for the self-check's report (check_notebook.py) and the grader's feedback, which imports
this file from student_template/. Cells are given as nbformat's dicts (``cell_type``, ``source``,
``execution_count``, ``outputs``); needs nothing but the standard library.
"""
import re
from dataclasses import dataclass

# What the template puts around the code of the cells that call a student's functions.
WRAPPER_LINES = ("with keep_going():",)
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# IPython's header of a frame in a cell: "Cell In[12], line 3, in bce_grad" (no ", in ..." at the top
# level of the cell, nor for a SyntaxError, whose line is the one that does not parse)
CELL_FRAME = re.compile(r"^\s*Cell In\[(\d+)\], line (\d+)(?:, in (\w+))?")


def first_line(text: object, limit: int = 90) -> str:
    """The first non-blank line of ``text``, stripped and cut to ``limit`` characters."""
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[:limit - 3] + "..."


@dataclass(frozen=True)
class CellName:
    """A cell as a student finds it: its first line of code (past comments and the template's
    ``with keep_going():``) and the heading of the nearest markdown heading above it (None: none)."""
    code: str
    heading: str | None

    def describe(self, heading: bool = True) -> str:
        """"the cell `def softmax(A):` (under "Exercise 3: more than two classes")"."""
        under = f" (under \"{self.heading}\")" if heading and self.heading else ""
        return f"the cell `{self.code}`{under}"


def cell_name(cells: list, index: int) -> CellName:
    """The :class:`CellName` of ``cells[index]``."""
    lines = [line.strip() for line in _source(cells[index]).splitlines()]
    code = [line for line in lines if line and not line.startswith("#") and line not in WRAPPER_LINES]
    first = first_line(code[0] if code else (lines[0] if lines else "(empty)"), 60)
    above = next((line.lstrip("#").strip() for cell in reversed(cells[:index]) if cell.get("cell_type") == "markdown"
                  for line in reversed(_source(cell).splitlines()) if line.startswith("#")), None)
    return CellName(first, first_line(above, 50) if above else None)


def describe_cell(cells: list, index: int, heading: bool = True) -> str:
    """``cells[index]`` as a student finds it in Jupyter (:meth:`CellName.describe`)."""
    return cell_name(cells, index).describe(heading)


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


@dataclass(frozen=True)
class Frame:
    """A frame of a traceback in the notebook's own code: the cell (None: not found), the line of that
    cell (1-based), its text, and the function (None: the cell's top level, or a line that does not parse)."""
    cell: int | None
    line: int
    text: str
    function: str | None


def _frame_headers(error_output: dict) -> list[tuple[int, int, str | None]]:
    """(execution count, line, function or None) of each cell frame of an error output's traceback."""
    headers = []
    for entry in error_output.get("traceback", []) or []:
        match = CELL_FRAME.match(ANSI_ESCAPE.sub("", str(entry)))
        if match:
            headers.append((int(match.group(1)), int(match.group(2)), match.group(3)))
    return headers


def _line_of(cells: list, index: int | None, line: int) -> str:
    lines = _source(cells[index]).splitlines() if index is not None else []
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def cell_frames(cells: list, error_output: dict) -> list[Frame]:
    """The frames of an error output's traceback that are in cells of the notebook, outermost first
    (IPython names a cell by its execution count, ``Cell In[n]``)."""
    frames = []
    for count, line, function in _frame_headers(error_output):
        index = next((i for i, cell in enumerate(cells) if cell.get("execution_count") == count), None)
        frames.append(Frame(index, line, _line_of(cells, index, line), function))
    return frames


def error_line(cells: list, index: int, error_output: dict) -> Frame | None:
    """Where the error of ``cells[index]``'s own error output was raised in that cell: the outermost
    frame of its traceback, which is the cell itself (for a SyntaxError, the line that does not parse).
    Found by position, not by execution count, which a kernel run without history leaves the same."""
    headers = _frame_headers(error_output)
    if not headers:
        return None
    _, line, _ = headers[0]
    return Frame(index, line, _line_of(cells, index, line), None)


def raised_in(cells: list, error_output: dict) -> str:
    """' (raised in f, in the cell `def f(x):`)' for the innermost function of the notebook in an error
    output's traceback, or ''."""
    frames = [frame for frame in cell_frames(cells, error_output) if frame.function]
    if not frames:
        return ""
    where = f", in {describe_cell(cells, frames[-1].cell, heading=False)}" if frames[-1].cell is not None else ""
    return f" (raised in {frames[-1].function}{where})"
