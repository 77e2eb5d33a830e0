"""Gradescope: build the autograder zip, and grade one submission inside Gradescope's container.

Gradescope's autograder format (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
the uploaded zip holds ``setup.sh`` and ``run_autograder`` at its root. Gradescope
unpacks it into ``/autograder/source``, runs ``setup.sh`` there once, as root, while it
builds the image (Ubuntu), and copies ``run_autograder`` to ``/autograder/run_autograder``.
For each submission it puts the student's files in ``/autograder/submission``, runs
``/autograder/run_autograder`` (working directory ``/autograder``) and uploads
``/autograder/results/results.json``.

  python -m grader.gradescope build [--out dist/autograder.zip]   (``make gradescope``)
  python -m grader.gradescope run [--root /autograder] [--sandbox LEVEL]   (what run_autograder calls)
  python -m grader.gradescope protect [--root /autograder]   (what setup.sh calls: the grader's files root-only)

The zip holds the two scripts (templates in ``grader/gradescope/files/``) and the
grader's source: ``grader/``, ``assignment/``, ``reference/``, ``student_template/``, ``data/``, ``requirements.lock`` and
``pyproject.toml``; never ``tests/``, ``.venv`` or caches.

On Gradescope: a "Programming Assignment" worth 100 points (the bonus's 5 come on
top); Configure Autograder -> Zip file upload -> ``dist/autograder.zip``, an Ubuntu
base image; the autograder timeout should leave room for the notebook (600 s) and the
probes (set 20 minutes or more). Students submit ``week6_backprop.ipynb``.

The notebook runs confined at the level ``auto`` picks (``grader/kernel/sandbox.py``): bubblewrap
where the container allows user namespaces, else the ``uid`` level (Gradescope runs the
autograder as root); ``WEEK6_SANDBOX`` or ``--sandbox`` may ask for one. The uid level keeps the
kernel out of the grader's files with Landlock; where a container's seccomp profile refuses its
calls (Docker before 20.10.18) only file permissions can, so ``setup.sh`` and every run make the
grader's paths root-only (:func:`close_to_others`, ``python -m grader.gradescope protect``), the
venv staying readable outside them. Where the level
cannot be made, nothing is run and results.json says plainly that it is a problem for the
course staff, not the student's work, and that the 0 its format needs is no grade (status
``environment_error``: grader.reports.results_json.not_graded_results, the total hidden). Only an
explicit ``none`` grades unconfined. Test one submission with "Test Autograder" first:
``extra_data.sandbox`` in the results (and the stdout) says which level graded it.
"""
import argparse
import contextlib
import io
import json
import os
import sys
import time
import zipfile
from pathlib import Path

from project import PROJECT_ROOT, cache_dir
from grader.handed_in import TEMPLATE_NAME, choose_notebook
from grader.config import GraderConfig
from grader.kernel.sandbox import LEVEL_ENV, LEVELS, SandboxUnavailable, requested_level, resolve_level
from grader.kernel.sandbox_uid import landlock_abi, why_no_landlock
from grader.model import GradingRun
from grader.reports.visibility import POLICY_FILE, describe, load_policy
from grader.reports.text import md_escape, replacing, write_text_atomically

FILES_DIR = Path(__file__).resolve().parent / "files"
SCRIPTS = ("setup.sh", "run_autograder")                 # at the zip's root, executable
SOURCE_DIRS = ("project", "grader", "assignment", "reference", "student_template", "data")
SOURCE_FILES = ("requirements.lock", "pyproject.toml", "tools/find-python")   # setup.sh picks the image's python3 with it
ZIP_README = "README.md"      # in FILES_DIR: the zip README's static part (base images, what was tried)
# At the zip's root: the results.json run_autograder writes when the grader cannot even start (no
# interpreter, a broken install), made when the zip is built by the code that writes every not-graded
# result; the script puts its exit status in place of EXIT_STATUS.
FALLBACK_RESULTS = "not_graded.json"
EXIT_STATUS = "@EXITSTATUS@"            # no character Markdown escapes
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".tmp")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)                         # fixed: the same source gives the same zip

DEFAULT_ROOT = "/autograder"
OUTPUT_DIR_NAME = "grader-output"                        # root/grader-output/<stem>/: feedback, executed notebook
MAX_FILES_LISTED = 20
# Under the root, what no other user may read (the uid level's check, grader/kernel/sandbox_uid.GRADESCOPE_FILES,
# refuses to grade without Landlock while any is readable); with the reference-outcome cache, wherever it is.
ROOT_ONLY = ("source", "run_autograder", "results", OUTPUT_DIR_NAME, "submission_metadata.json")
MADE_ROOT_ONLY = ("results", OUTPUT_DIR_NAME)       # made (empty) where missing: the grader writes into them


# --------------------------------------------------------------------------- build

def _source_files(project_root=PROJECT_ROOT):
    """(path in the zip, file on disk) for the grader's source, sorted."""
    project_root = Path(project_root)
    files = []
    for name in SOURCE_DIRS:
        top = project_root / name
        for path in sorted(top.rglob("*")):
            relative = path.relative_to(project_root)
            if (not path.is_file() or any(part in SKIP_DIRS or part.startswith(".") for part in relative.parts)
                    or path.name.endswith(SKIP_SUFFIXES)):
                continue
            files.append((relative.as_posix(), path))
    for name in SOURCE_FILES:
        files.append((name, project_root / name))
    return files


def _add(archive, arcname, data, executable=False):
    info = zipfile.ZipInfo(arcname, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3                               # Unix, so unzip honours the permission bits
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    archive.writestr(info, data)


def build_autograder_zip(out_path, project_root=PROJECT_ROOT):
    """Write Gradescope's autograder zip to ``out_path``; return the path.

    Root: ``setup.sh`` and ``run_autograder`` (mode 755, LF line endings), ``README.md``
    (:func:`autograder_readme`), then the grader's source as listed in :data:`SOURCE_DIRS`
    and :data:`SOURCE_FILES`.
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    missing = [name for name in SOURCE_FILES if not (Path(project_root) / name).is_file()]
    missing += [name for name in (*SCRIPTS, ZIP_README) if not (FILES_DIR / name).is_file()]
    if missing:
        raise FileNotFoundError(f"cannot build the autograder zip: missing {', '.join(missing)}")
    with replacing(out_path) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for name in SCRIPTS:
            text = (FILES_DIR / name).read_text(encoding="utf-8").replace("\r\n", "\n")
            _add(archive, name, text.encode("utf-8"), executable=True)
        _add(archive, ZIP_README, autograder_readme().encode("utf-8"))
        _add(archive, FALLBACK_RESULTS, fallback_results().encode("utf-8"))
        for arcname, path in _source_files(project_root):
            _add(archive, arcname, path.read_bytes(), executable=bool(path.stat().st_mode & 0o100))
    return out_path


def fallback_results() -> str:
    """The text of :data:`FALLBACK_RESULTS`: a grader_error result (every exercise's score 0, the total
    hidden), its message naming the script's exit status as :data:`EXIT_STATUS`."""
    from grader.reports.results_json import dumps, not_graded_results     # here: see _write_json
    return dumps(not_graded_results("grader_error", f"The autograder could not run (exit status {EXIT_STATUS}); "
                                    "the grader's interpreter or its packages are missing or broken.")) + "\n"


def autograder_readme():
    """The zip's README: what it holds, what students get where notebooks cannot be confined, and
    which tests students see, and when."""

    # the static part (what it is, the base images, what the build log says, what was tried), then what
    # students read when no sandbox can be made (from the code that writes it), then the visibility policy
    with contextlib.redirect_stdout(io.StringIO()):
        refusal = _environment_error(Path(DEFAULT_ROOT), "<why each sandbox level failed>", time.monotonic(), {})
    lines = [(FILES_DIR / ZIP_README).read_text(encoding="utf-8").rstrip(), "",
             "## What students get when no sandbox can be made", "",
             f"Status `{refusal['extra_data']['status']}`; the format needs a score, so {refusal['score']}, and "
             "two tests that say it is none: "
             + "; ".join(f"\"{test['name']}\" (`{test['visibility']}`)" for test in refusal["tests"])
             + ". The message (Markdown; the staff's part names the reason the build log gives):", "",
             *[f"> {line}" if line else ">" for line in refusal["output"].splitlines()], "",
             "## Which tests students see, and when", "",
             "Gradescope's test visibility, as this zip was built "
             f"(from `{POLICY_FILE.relative_to(PROJECT_ROOT).as_posix()}`; edit it and run `make gradescope` again to change it):", "",
             *describe(load_policy(POLICY_FILE)), "",
             "`visible`: at once; `after_due_date`: once the due date has passed; `after_published`: once the "
             "grades are published; `hidden`: never to students (instructors always see every test).", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the grader's files, root-only

def close_to_others(root):
    """Make the grader's paths under ``root`` (:data:`ROOT_ONLY`) and the reference-outcome cache
    readable by their owner only (``chmod -R go-rwx``, symbolic links left alone), making the
    folders of :data:`MADE_ROOT_ONLY` where missing. Returns the paths it closed."""
    root = Path(root)
    for name in MADE_ROOT_ONLY:
        (root / name).mkdir(mode=0o700, parents=True, exist_ok=True)
    cache = cache_dir()
    closed = []
    for top in [root / name for name in ROOT_ONLY] + ([cache] if cache is not None else []):
        if not top.exists() or top.is_symlink():
            continue
        for path in [top] + (sorted(top.rglob("*")) if top.is_dir() else []):
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & 0o7700)
        closed.append(top)
    return closed


def sandbox_note(level):
    """One line for the log: the level that graded and, at the uid level, what keeps the kernel out."""
    if level != "uid":
        return level
    abi = landlock_abi()
    if abi:
        return f"uid, Landlock ABI {abi}"
    return (f"uid without Landlock ({why_no_landlock()}): the grader's files are root-only, checked unreadable "
            "to the kernel's uid")


# --------------------------------------------------------------------------- run

def find_notebooks(submission_dir):
    """Every notebook of the submission: the top level's, else any below it (hidden folders,
    ``.ipynb_checkpoints`` and ``__MACOSX`` left out), sorted."""
    submission_dir = Path(submission_dir)
    if not submission_dir.is_dir():
        return []
    top = sorted(path for path in submission_dir.glob("*.ipynb") if path.is_file())
    if top:
        return top

    def ignored(path):
        return any(part.startswith((".", "__MACOSX")) for part in path.relative_to(submission_dir).parts)

    return sorted(path for path in submission_dir.rglob("*.ipynb") if path.is_file() and not ignored(path))


def _listing(directory):
    files = sorted(path.relative_to(directory).as_posix() for path in Path(directory).rglob("*") if path.is_file()) \
        if Path(directory).is_dir() else []
    shown = ", ".join(files[:MAX_FILES_LISTED]) + (f", ... ({len(files)} files)" if len(files) > MAX_FILES_LISTED else "")
    return shown or "nothing"


def _stopped_results(root, status, message, execution_time, extra=None):
    """A results dict with score 0 and ``message``, made by the report's own code."""
    from grader.reports.results_json import results_dict     # here: see _write_json
    run = GradingRun(notebook_path=Path(root) / "submission" / TEMPLATE_NAME,
                     out_dir=Path(root) / OUTPUT_DIR_NAME, config=GraderConfig())
    run.seed = None
    run.stop(status, message)
    run.execution_time = execution_time
    results = results_dict(run)
    results["extra_data"].update(extra or {})
    return results


def _write_json(path, results):
    # the reports are imported when first needed, not at the top: they import the assignment (seconds),
    # which `build` and the sandbox check that starts `run` do not need
    from grader.reports.results_json import dumps
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomically(path, dumps(results, indent=1) + "\n")


def _environment_error(root, error, started, extra):
    """results.json for a notebook that could not be confined: not graded (results_json.not_graded_results:
    no grade, the total hidden from the student), with a message that says it is the course staff's
    problem, not the student's work."""
    from grader.reports.results_json import not_graded_results     # here: see _write_json
    message = (f"Your notebook was not run: the autograder could not confine it on this machine. This is a "
               f"problem with the autograder's setup, not with your work; please tell the course staff. Your "
               f"submission is kept and can be graded again once they fix it. (For the staff: {error})")
    print(message)
    return not_graded_results("environment_error", message, time.monotonic() - started, extra)


def _check_sandbox(config):
    """Find out (once per process) whether ``config``'s level can be made here; the grading asks again
    and gets the same answer, a refusal included."""
    try:
        resolve_level(config)
    except SandboxUnavailable:
        pass


def run_autograder(root=None, environ=None, config=None, level=None):
    """Grade the submission under ``root`` (default ``$AUTOGRADER_ROOT`` or /autograder) and
    write ``root/results/results.json``. Returns 0 when the submission was graded, 3 when
    it could not be confined (an environment error, said so in results.json), 1 when the
    grader itself failed.

    ``root/submission/*.ipynb``: the notebook named like the template, else the first;
    none at all gives score 0 with a message saying what was received instead.
    ``level``: the sandbox level (``--sandbox``), default ``$WEEK6_SANDBOX``, else auto.
    """
    environ = os.environ if environ is None else environ
    root = Path(root or environ.get("AUTOGRADER_ROOT") or DEFAULT_ROOT)
    submission_dir, results_path = root / "submission", root / "results" / "results.json"
    started = time.monotonic()
    if results_path.exists():
        results_path.unlink()
    close_to_others(root)           # before the sandbox check, which needs them closed where Landlock is missing
    notebooks = find_notebooks(submission_dir)
    chosen = choose_notebook(notebooks)
    if chosen is None:
        message = (f"No Jupyter notebook (.ipynb file) was found in your submission, so nothing could be graded. "
                   f"Upload your notebook {TEMPLATE_NAME} itself (in Jupyter: File > Download), not a zip, PDF "
                   f"or .py export. Received: {_listing(submission_dir)}.")
        print(message)
        _write_json(results_path, _stopped_results(root, "no_notebook", message, time.monotonic() - started,
                                                   {"gradescope": {"notebook": None}}))
        return 0

    others = [path.relative_to(submission_dir).as_posix() for path in notebooks if path != chosen]
    name = chosen.relative_to(submission_dir).as_posix()
    print(f"grading {name}" + (f" (not graded: {', '.join(others)})" if others else ""))
    gradescope_extra = {"notebook": name, "not_graded": others}
    config = config or GraderConfig()
    config.figures = False          # Gradescope shows results.json only; the figures would cost time unseen
    out_root = root / OUTPUT_DIR_NAME
    try:
        config.sandbox = requested_level(level, environ)
    except ValueError as error:         # a bad WEEK6_SANDBOX: the staff's setting, not the student's work
        _write_json(results_path, _environment_error(root, error, started, {"gradescope": gradescope_extra}))
        return 3

    def end_after_overrun(run):     # the grading could not end by itself past its deadline: pass its results on
        results = json.loads((run.out_dir / "results.json").read_text(encoding="utf-8"))
        results.setdefault("extra_data", {})["gradescope"] = gradescope_extra
        _write_json(results_path, results)
        os._exit(0)

    # The sandbox check, then the pipeline, one after the other: importing in two threads at once let a
    # module see another half made ("partially initialized module 'typing'", 2 gradings of 8 at start).
    # The check's answer is kept for the grading (the checks run once per process).
    _check_sandbox(config)
    from grader.pipeline import grade_notebook     # loads the stages by name when they run: start-up time
    try:
        run = grade_notebook(chosen, out_root, config, on_hard_stop=end_after_overrun)
        results = json.loads((run.out_dir / "results.json").read_text(encoding="utf-8"))
    except SandboxUnavailable as error:     # no sandbox here: no grade
        _write_json(results_path, _environment_error(root, error, started, {"gradescope": gradescope_extra}))
        return 3
    except Exception as error:      # the grader itself broke: still tell the student something
        message = (f"The autograder failed before it could grade {name} ({type(error).__name__}: {error}). "
                   "This is not a problem with your work; tell the course staff.")
        print(message)
        from grader.reports.results_json import not_graded_results     # here: see _write_json
        _write_json(results_path, not_graded_results("grader_error", message, time.monotonic() - started,
                                                     {"gradescope": gradescope_extra}))
        return 1
    if others:   # (Markdown: the file names are the student's, escaped)
        results["output"] = (f"Graded: {md_escape(name)}. Also submitted, not graded: {md_escape(', '.join(others))}. "
                             f"Only one notebook is graded: the one named {md_escape(TEMPLATE_NAME)}, else the first.\n\n"
                             + results["output"])
    results.setdefault("extra_data", {})["gradescope"] = gradescope_extra
    _write_json(results_path, results)
    print(f"sandbox: {sandbox_note(results['extra_data'].get('sandbox'))}; score: {results.get('score')} -> {results_path}")
    return 0


# --------------------------------------------------------------------------- command line

def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write the autograder zip to upload to Gradescope")
    build.add_argument("--out", default=str(PROJECT_ROOT / "dist" / "autograder.zip"))
    run = commands.add_parser("run", help="grade /autograder/submission into /autograder/results/results.json")
    run.add_argument("--root", default=None, help="the autograder directory (default: $AUTOGRADER_ROOT or /autograder)")
    run.add_argument("--sandbox", choices=LEVELS, metavar="LEVEL",
                     help=f"{'|'.join(LEVELS)} (default: ${LEVEL_ENV}, else auto); none is UNSAFE")
    protect = commands.add_parser("protect", help="make the grader's files root-only (setup.sh calls it)")
    protect.add_argument("--root", default=None, help="the autograder directory (default: $AUTOGRADER_ROOT or /autograder)")
    args = parser.parse_args(argv)
    if args.command == "build":
        print(build_autograder_zip(args.out))
        return 0
    if args.command == "protect":
        for path in close_to_others(args.root or os.environ.get("AUTOGRADER_ROOT") or DEFAULT_ROOT):
            print(f"root-only: {path}")
        return 0
    return run_autograder(args.root, level=args.sandbox)


if __name__ == "__main__":
    sys.exit(main())
