"""Run a notebook in a fresh local kernel, then the self-check in the same kernel, and report.

``python week6_selfcheck.py NOTEBOOK`` (and the project's ``make check NOTEBOOK=...``) call
:func:`check_notebook`. The notebook runs in a temporary directory holding the data files and the
self-check's files (:data:`selfcheck_files.NOTEBOOK_FILES`); the report says which cells raised,
what the public checks found, and which written questions are still unanswered.

Needs what the lab's students install (numpy, scipy, matplotlib, jupyter); the Jupyter packages are
imported by the functions that use them, so that a missing one is reported, not raised.
"""
import getpass
import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

try:
    from .cell_names import describe_cell, first_line as _first_line, raised_in
    from .selfcheck_files import FIXTURE_PATH, NOTEBOOK_FILES, STUDENT_PACKAGES
    from .selfcheck_report import SelfCheckResults, format_report, headings, load_fixture, print_text, symbols_for
except ImportError:   # shipped: the self-check's files are next to this file
    from cell_names import describe_cell, first_line as _first_line, raised_in
    from selfcheck_files import FIXTURE_PATH, NOTEBOOK_FILES, STUDENT_PACKAGES
    from selfcheck_report import SelfCheckResults, format_report, headings, load_fixture, print_text, symbols_for

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE.parent / "data"          # the repository's data sets (absent on a student's computer)
CELL_TIMEOUT = 120                        # seconds per notebook cell
# The modules the command line needs: the lab's imports and Jupyter's notebook runner.
RUNNER_MODULES = ("numpy", "scipy", "matplotlib", "nbformat", "nbclient", "jupyter_client", "ipykernel")
SELFCHECK = NOTEBOOK_FILES[0]                  # week6_selfcheck.py, named in messages

# Exit statuses of the command line: CI and GitHub Classroom gate on them.
ALL_PASSED, NOT_ALL_PASSED, CANNOT_CHECK = 0, 1, 2


def missing_modules() -> list[str]:
    """The modules of RUNNER_MODULES that this Python cannot import, in that order."""
    return [name for name in RUNNER_MODULES if importlib.util.find_spec(name) is None]


def data_files(fixture: dict) -> list[str]:
    """The .mat files the notebook loads: those the fixture's data checks read."""
    return sorted({f"{name}.mat" for case in fixture["cases"].values() for name in case.get("files", [])})


def prepare_workdir(notebook_path: str | Path, wanted: list[str]) -> tuple[Path, list[str]]:
    """A temporary directory with the data files (the notebook's own, else those beside this file as
    the bundle has them, else the repository's) and the self-check; returns it and the names of the
    ``wanted`` data files found nowhere."""
    workdir = Path(tempfile.mkdtemp(prefix="week6-check-"))
    missing = []
    for name in wanted:
        source = next((folder / name for folder in (Path(notebook_path).resolve().parent, HERE, DATA_DIR)
                       if (folder / name).is_file()), None)
        if source is None:
            missing.append(name)
        else:
            shutil.copy(source, workdir / name)
    for name in NOTEBOOK_FILES:
        shutil.copy(HERE / name, workdir / name)
    return workdir, missing


def _is_selfcheck_cell(cell):
    return (cell.get("metadata", {}).get("week6", {}).get("role") == "selfcheck"
            or "run_selfcheck(" in cell.get("source", ""))


def unanswered_questions(nb: dict) -> list[tuple[str, str]] | None:
    """The notebook's written questions still blank or at the template's text: [(exercise, prompt)].

    Informational only: the TAs read the answers, so they change neither the checks nor the exit status.
    None when written_answers.py is not next to this file (then nothing can be said).
    """
    try:     # optional: the report goes without it (imported here, where its absence is known to be harmless)
        from .written_answers import unanswered
    except ImportError:
        try:
            from written_answers import unanswered
        except ImportError:
            return None
    return [(question.exercise, question.prompt) for question in unanswered(nb)]


def unanswered_report(nb: dict) -> str:
    """The lines check_notebook prints about the written questions ("" when it cannot tell)."""
    questions = unanswered_questions(nb)
    if questions is None:
        return ""
    if not questions:
        return "\nWritten questions: all answered (your TA reads them; they are not checked here)."
    lines = [f"\nWritten questions still unanswered ({len(questions)}; your TA reads them, no check here):"]
    lines += [f"  {'bonus' if exercise == 'bonus' else 'exercise ' + exercise}: {prompt}" for exercise, prompt in questions]
    return "\n".join(lines)


def check_notebook(path: str | Path, exercises: list[str] | None = None) -> int:
    """Run the notebook at ``path`` in a fresh local kernel, then the self-check in the same kernel.

    Prints the self-check's report and the notebook cells that raised. Returns ALL_PASSED (0) when
    every public check passed, NOT_ALL_PASSED (1) when one failed or is not written yet (or the
    notebook's code stopped the check), CANNOT_CHECK (2) when the notebook cannot be read or this
    computer lacks what the check needs (a package, the data files, a working kernel).

    ``exercises``: only the checks of these exercise ids ("1a", ..., "bonus") are reported and
    decide the status; the run is kept (RUN_CACHE), so that checking the exercises one by one,
    as GitHub Classroom's tests do, runs an unchanged notebook once.
    """
    path = Path(path)
    missing = missing_modules()
    if missing:
        print_text(f"error: the self-check needs the Python package(s) {', '.join(missing)}, missing from "
               f"{sys.executable}; install them with: {sys.executable} -m pip install {' '.join(STUDENT_PACKAGES)}",
               sys.stderr)
        return CANNOT_CHECK
    import nbformat
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as error:   # missing file, not JSON, not a notebook
        print_text(f"error: cannot read {path} as a notebook: {type(error).__name__}: {_first_line(error, 200)}",
               sys.stderr)
        return CANNOT_CHECK
    try:
        fixture = load_fixture()
    except (OSError, ValueError) as error:
        print_text(f"error: the self-check needs {FIXTURE_PATH.name} next to {SELFCHECK}: {error}", sys.stderr)
        return CANNOT_CHECK
    workdir, missing_data = prepare_workdir(path, data_files(fixture))
    try:
        if missing_data:
            print_text(f"error: the data files {', '.join(missing_data)} are not next to {path.name} "
                   f"({path.resolve().parent}) nor to {SELFCHECK}: keep the notebook in the folder "
                   "of the lab's files", sys.stderr)
            return CANNOT_CHECK
        cache = RUN_CACHE / f"{_run_key(path, workdir)}.json" if exercises else None
        kept = SelfCheckResults.read_json(cache) if cache else None
        if kept is not None:
            print_text(f"(The checks of {path.name} as the self-check ran them a moment ago: the notebook, "
                   "the data and the self-check have not changed since.)")
            return _report_exercises(kept, exercises, headings(fixture))
        return _run_and_report(nb, path, workdir, headings(fixture), exercises, cache)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):   # a uid without a name (some containers)
        return str(getattr(os, "getuid", lambda: "user")())


# Where check_notebook keeps its runs for --exercise, one file per (notebook, data, self-check, Python);
# one folder per user of a shared computer.
RUN_CACHE = Path(tempfile.gettempdir()) / f"week6-selfcheck-runs-{_user()}"


def _run_key(path, workdir):
    """A hash of everything a run's results depend on: the notebook, the files of its working
    directory (data and self-check) and the Python that runs it."""
    digest = hashlib.sha256(Path(path).read_bytes())
    for name in sorted(entry.name for entry in workdir.iterdir()):
        digest.update(name.encode() + b"\0" + (workdir / name).read_bytes())
    digest.update(sys.executable.encode())
    return digest.hexdigest()[:32]


def _report_exercises(results, exercises, all_exercises):
    """Print the checks of ``exercises`` only; ALL_PASSED when each of them passed.
    all_exercises: the fixture's {id: heading}."""
    mine = SelfCheckResults(r for r in results if r.exercise in exercises)
    print_text("")
    print_text(format_report(mine, all_exercises, symbols_for(sys.stdout)))
    passed = mine.all_passed
    print_text(f"\nExercise(s) {', '.join(exercises)}: " + ("every public check passed." if passed else
                                                        f"not every public check passes yet (exit status {NOT_ALL_PASSED})."))
    return ALL_PASSED if passed else NOT_ALL_PASSED


def _kernel_manager_class(runtime):
    """A kernel manager for the python3 kernel of this very interpreter, whatever kernelspecs the
    computer has; on macOS and Linux it talks over Unix sockets, not TCP."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default
    use_ipc = os.name == "posix"

    class CurrentPythonKernel(AsyncKernelManager):
        @default("transport")
        def _default_transport(self):
            return "ipc" if use_ipc else "tcp"

        @default("ip")
        def _default_ip(self):
            return str(runtime / "k") if use_ipc else "127.0.0.1"

        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file, *(extra_arguments or [])]

    return CurrentPythonKernel


def _run_and_report(nb, path, workdir, all_exercises, exercises=None, cache=None):
    """Execute ``nb`` in ``workdir``, print what happened, return the exit status; with ``exercises``,
    report those only (all_exercises: the fixture's {id: heading}), and keep a complete run's results in
    ``cache``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    runtime = Path(tempfile.mkdtemp(prefix="week6-kernel-"))   # sockets, the kernel's log, the results
    code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and not _is_selfcheck_cell(cell)]
    print_text(f"Running {path.name} ({len(code_cells)} code cells) in a fresh kernel; this takes a minute ...")
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, kernel_manager_class=_kernel_manager_class(runtime),
                            resources={"metadata": {"path": str(workdir)}})
    run = {"problems": [], "died": None, "report": None, "failure": None, "started": False,
           "results": runtime / "results.json"}
    kernel_log = open(runtime / "kernel.log", "wb")   # the kernel process's own output (not the cells')
    try:
        with client.setup_kernel(stdout=kernel_log, stderr=kernel_log):
            run["started"] = True
            _run_cells(client, nb, code_cells, DeadKernelError, run)
    except Exception as error:   # the kernel would not start, or the connection broke
        run["failure"] = run["failure"] or f"{type(error).__name__}: {_first_line(error, 200)}"
    finally:
        kernel_log.close()
        log = (runtime / "kernel.log").read_text(encoding="utf-8", errors="replace")
        results = SelfCheckResults.read_json(run["results"])
        shutil.rmtree(runtime, ignore_errors=True)

    status = NOT_ALL_PASSED
    complete = run["started"] and run["died"] is None and not run["failure"] and results is not None
    if exercises and complete:
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                results.write_json(cache)
            except OSError:   # only a saving of time: the next --exercise runs the notebook again
                pass
        return _report_exercises(results, exercises, all_exercises)
    if run["report"] is not None:
        print_text("")
        print_text(run["report"])
    if not run["started"]:
        print_text(f"\nerror: the Python kernel would not start: {run['failure']}", sys.stderr)
        status = CANNOT_CHECK
    elif run["died"] is not None:
        index, error = run["died"]
        where = f" in {describe_cell(nb.cells, index)}" if index is not None else " during the self-check"
        print_text(f"\nThe kernel died{where}: {_first_line(error, 200)}. The self-check could not run to the end; "
               "look for code that uses a lot of memory or exits Python.")
    elif run["failure"]:
        print_text(f"\nThe self-check could not run to the end: {run['failure']}")
    elif results is not None and results.all_passed:
        status = ALL_PASSED
    if status != ALL_PASSED and (run["died"] is not None or run["failure"]):
        tail = [line for line in log.splitlines() if line.strip() and "without encryption" not in line][-10:]
        if tail:
            print_text("The kernel's last messages:\n" + "\n".join("  " + line for line in tail))
    if run["problems"]:
        print_text(f"\nNotebook cells that raised an error ({len(run['problems'])}):")
        for index, message in run["problems"]:
            print_text(f"  {describe_cell(nb.cells, index)}: {message}")
    elif run["started"] and run["died"] is None:
        print_text("\nNo notebook cell raised an error.")
    if run["started"]:
        print_text("\nAll public checks passed." if status == ALL_PASSED else
               f"\nNot every public check passes yet (exit status {status}).")
    report = unanswered_report(nb)
    if report:
        print_text(report)
    return status


def _run_cells(client, nb, code_cells, dead_kernel_error, run):
    """Execute the code cells, then the self-check cell, filling ``run``: "problems" [(index, message)],
    "died" (index, error) or None, "report" the self-check's printed text, "failure" text or None."""
    import nbformat
    for index in code_cells:
        started = time.monotonic()
        try:
            client.execute_cell(nb.cells[index], index)
        except dead_kernel_error as error:
            run["died"] = (index, error)
            return
        for output in nb.cells[index].get("outputs", []):
            if output.get("output_type") == "error":
                timed_out = output.get("ename") == "KeyboardInterrupt" and time.monotonic() - started >= CELL_TIMEOUT
                message = (f"timed out after {CELL_TIMEOUT} s (interrupted)" if timed_out
                           else f"{output.get('ename')}: {_first_line(output.get('evalue', ''))}"
                                f"{raised_in(nb.cells, output)}")
                run["problems"].append((index, message))
    nb.cells.append(nbformat.v4.new_code_cell(SELFCHECK_CELL.format(results=str(run["results"]))))
    index = len(nb.cells) - 1
    started = time.monotonic()
    try:
        client.execute_cell(nb.cells[index], index)
    except dead_kernel_error as error:
        run["died"] = (None, error)
    outputs = nb.cells[index].get("outputs", [])
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")
    run["report"] = text.rstrip("\n") or None
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if errors:
        ename = errors[0].get("ename")
        run["failure"] = (f"it ran longer than {CELL_TIMEOUT} s (does a function loop forever?)"
                          if ename == "KeyboardInterrupt" and time.monotonic() - started >= CELL_TIMEOUT
                          else f"{ename}: {_first_line(errors[0].get('evalue', ''), 200)}")
    elif run["report"] is None and run["died"] is None:
        run["failure"] = "it printed nothing"


SELFCHECK_CELL = ("from week6_selfcheck import run_selfcheck as _week6_run_selfcheck\n"
                  "_week6_run_selfcheck(globals()).write_json({results!r})")


