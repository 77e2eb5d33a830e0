"""The command lines end without the interpreter's last collection of the whole heap (issue 25)."""
import subprocess
import sys

import pytest

from project import PROJECT_ROOT

# An atexit handler registered first runs last: after the command line returned its code.
REPORT_FROZEN = ("import atexit, gc, runpy, sys\n"
                 "atexit.register(lambda: print('frozen', gc.get_freeze_count()))\n"
                 "sys.argv = ['grader', *sys.argv[1:]]\n"
                 "runpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n")


@pytest.mark.parametrize("module, argv, code", [
    ("grader", ["grade", "no-such-notebook.ipynb"], 2),
    ("grader.gradescope", ["protect", "--root", "{tmp}"], 0),
])
def test_the_heap_is_frozen_when_the_command_line_ends(tmp_path, module, argv, code):
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    done = subprocess.run([sys.executable, "-c", REPORT_FROZEN.format(module=module), *argv], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == code, done.stderr
    frozen = int(done.stdout.split("frozen")[-1])
    assert frozen > 10_000, f"only {frozen} objects frozen at exit: the exit collects the whole heap again"
