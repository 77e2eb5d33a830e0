"""What a sandboxed kernel prints carries no ANSI colour codes, on any CPython: ipykernel sets
FORCE_COLOR=1 in the kernel, and CPython 3.13 and later then colour the tracebacks they print
themselves (a thread's, a child process's), argparse's messages (3.14) and more, which would reach
the written-work pages (a plot cell's text) as escape codes. The kernel's environment
(grader/kernel/confined_view.sandbox_env) turns them off at both levels that grade students.

On a CPython older than 3.13 nothing colours, so these pass there without the setting; `make
sid-check` runs them on Debian's 3.14 and 3.15, where they fail without it."""
import pytest

from tests.robustness.level_fixtures import config_for, require_level, run_cells

CHILD = ("import subprocess, sys\n"
         "done = subprocess.run([sys.executable, '-c', '1/0'], capture_output=True, text=True)\n"
         "print(done.stderr)")
THREAD = "import threading\nworker = threading.Thread(target=lambda: 1/0)\nworker.start(); worker.join()"
ARGPARSE = ("import argparse\n"
            "try:\n"
            "    argparse.ArgumentParser(prog='train').parse_args(['--epochs'])\n"
            "except SystemExit:\n"
            "    pass")
CELLS = {CHILD: "ZeroDivisionError: division by zero", THREAD: "ZeroDivisionError: division by zero",
         ARGPARSE: "unrecognized arguments: --epochs"}


def stream_text(cell):
    return "".join(str(output.get("text", "")) for output in cell.outputs if output.get("output_type") == "stream")


@pytest.mark.parametrize("level", ["bwrap", "uid"])
def test_tracebacks_and_messages_the_kernel_prints_are_plain_text(level):
    require_level(level)
    notebook, records, _, _ = run_cells(list(CELLS), config_for(level))
    for cell, record, expected in zip(notebook.cells, records, CELLS.values()):
        text = stream_text(cell)
        assert record.status == "ok" and expected in text, (record, text)
        assert "\x1b" not in text, f"ANSI codes in what the kernel printed: {text!r}"
