"""The self-check's files and what it needs installed: the one list of what a student gets
(``tools/build_bundle.py``) and of what a notebook's working directory needs for ``run_selfcheck``
(``check_notebook.prepare_workdir``, and the grader's). Standard library only: the self-check reads
it before it knows whether numpy is installed."""
from pathlib import Path

# What a student installs for the lab (the bundle's README says the same).
STUDENT_PACKAGES = ("numpy", "scipy", "matplotlib", "jupyter")

HERE = Path(__file__).resolve().parent
FIXTURE_PATH = HERE / "public_fixture.json"
# The self-check's files, side by side: those a notebook's working directory needs for run_selfcheck
# (check_notebook.prepare_workdir, and the grader's), then those of the command line. A student gets
# them all (tools/build_bundle.py): they are the one list of shipped files.
NOTEBOOK_FILES = ("week6_selfcheck.py", "selfcheck_files.py", "selfcheck_report.py", "public_checks.py", "check_kinds.py",
                  "check_model.py", "common_judges.py", "notebook_calls.py", "arraycheck.py", "public_fixture.json",
                  "keep_going.py")
SHIPPED_FILES = NOTEBOOK_FILES + ("check_notebook.py", "cell_names.py", "written_answers.py")
