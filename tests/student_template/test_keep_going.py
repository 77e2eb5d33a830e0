"""The lab's given `keep_going` helper (student_template/keep_going.py): a stub stops its cell quietly,
other errors are shown and do not stop the cells below, an interrupt still stops everything, finished
code is untouched."""
import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "student_template" / "keep_going.py"


@pytest.fixture
def keep_going():
    """A fresh copy of the shipped module's keep_going (its memory of waiting cells is the class's)."""
    namespace = {"__name__": "keep_going"}
    exec(compile(MODULE.read_text(encoding="utf-8"), str(MODULE), "exec"), namespace)
    return namespace["keep_going"]


def stub():
    raise NotImplementedError("stub is not implemented yet (exercise 9): replace this line with your code")


def test_a_stub_stops_its_cell_quietly_and_says_which_function(keep_going, capsys):
    reached = []
    with keep_going():
        stub()
        reached.append("after the stub")
    assert reached == []
    out = capsys.readouterr()
    assert out.out == "Not run yet: stub is not written yet. This cell runs once it is.\n" and out.err == ""


def test_another_error_is_shown_with_its_traceback_and_suppressed(keep_going, capsys):
    def buggy():
        return [1, 2][5]
    with keep_going():
        buggy()
    out = capsys.readouterr()
    assert "Traceback" in out.err and "IndexError: list index out of range" in out.err and "in buggy" in out.err
    assert "the cells below still run" in out.out


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_is_not_swallowed(keep_going, interrupt):
    with pytest.raises(interrupt):
        with keep_going():
            raise interrupt()


def test_finished_code_runs_as_it_is(keep_going, capsys):
    with keep_going():
        value = sum(range(4))
    assert value == 6 and capsys.readouterr() == ("", "")


def test_in_a_kernel_a_bug_shows_as_an_error_output_and_the_notebook_goes_on(tmp_path):
    """Through nbclient without allow_errors, as `jupyter nbconvert --execute` runs it: the buggy
    cell gets IPython's usual error output, a cell needing what a skipped cell makes says why,
    and the last cell runs."""
    from nbclient import NotebookClient

    new = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    shutil.copy(MODULE, tmp_path)   # as the bundle (and the grader's working directory) has it
    nb.cells = [new("from keep_going import keep_going"),
                new("def load():\n    raise NotImplementedError('load is not implemented yet')\n"
                    "def shape_bug(x):\n    return x.reshape(7)"),
                new("with keep_going():\n    data = load()"),
                new("with keep_going():\n    total = data + 1"),
                new("import numpy as np\nwith keep_going():\n    shape_bug(np.zeros(3))"),
                new("print('last cell ran')")]
    NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    texts = ["".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream") for cell in nb.cells]
    errors = [[o for o in cell.outputs if o.output_type == "error"] for cell in nb.cells]
    assert texts[2] == "Not run yet: load is not written yet. This cell runs once it is.\n"
    assert texts[3] == "Not run yet: this cell needs `data`, which a cell above makes once load is written.\n"
    assert [e.ename for e in errors[4]] == ["ValueError"] and "shape_bug" in "".join(errors[4][0].traceback)
    assert [len(e) for i, e in enumerate(errors) if i != 4] == [0] * (len(nb.cells) - 1)
    assert texts[5] == "last cell ran\n"
