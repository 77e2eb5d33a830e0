"""Write the students' download, ``dist/week6-student.zip``.

Run ``python tools/build_bundle.py [OUT.zip]`` from anywhere (``make student-bundle``).
The zip unpacks into one folder, ``week6-student/``, where the notebook finds the data and
the self-check next to it; the same folder, pushed as a repository, is a GitHub Classroom
assignment template:

  week6_backprop.ipynb                 the lab (student_template/week6_backprop.ipynb)
  <the five .mat files>                data/*.mat
  week6_selfcheck.py and its files     the public self-check: student_template/, the files of its
                                       SHIPPED_FILES (the checks, the array comparison, the notebook
                                       runner, the unanswered questions, the public fixture)
  requirements.txt                     what to install (the self-check's STUDENT_PACKAGES)
  README.md                            what to do with all this: Jupyter, the command line, Colab, Classroom
                                       (student_template/README.md)
  .github/classroom/autograding.json   GitHub Classroom's test list (the format of education/autograding)
  .github/workflows/classroom.yml      runs the same test on every push (GitHub Classroom's actions)

Nothing of ``reference/`` and nothing of the hidden probes goes in; the tests
(tests/student_template/test_bundle.py) check that no reference code is in any file.
The zip is deterministic (fixed dates, fixed order).
"""
import json
import os
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assignment import EXERCISES  # noqa: E402
from student_template.week6_selfcheck import SHIPPED_FILES, STUDENT_PACKAGES  # noqa: E402

BUNDLE_PATH = ROOT / "dist" / "week6-student.zip"
FOLDER = "week6-student"
NOTEBOOK = "week6_backprop.ipynb"
SELFCHECK = "week6_selfcheck.py"
DATA_FILES = ["pointsClass1Week6.mat", "pointsClass2Week6.mat", "xWeek6Ex3PointsClass1.mat",
              "xWeek6Ex3PointsClass2.mat", "xWeek6Ex3PointsClass3.mat"]
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# The one command students, CI and GitHub Classroom run; its exit status is the verdict.
CHECK_COMMAND = f"python {SELFCHECK} {NOTEBOOK}"
INSTALL_COMMAND = "python -m pip install -r requirements.txt"
# GitHub Classroom's tests: one per exercise, worth the exercise's points, passed when every public check
# of the exercise passes. The first installs the packages and runs the notebook; the others reuse that
# run (the self-check keeps it). Timeouts in minutes, as Classroom counts them.
CLASSROOM_TESTS = [{"name": f"{exercise.heading} (public checks)",
                    "setup": INSTALL_COMMAND if not index else "",
                    "run": f"{CHECK_COMMAND} --exercise {exercise.id}",
                    "timeout": 15 if not index else 5, "points": exercise.points}
                   for index, exercise in enumerate(EXERCISES)]
# The Python of Classroom's runs: a current one, as students install it (Debian sid's python3 is 3.14);
# tests/student_template/test_bundle.py holds it to 3.13 or newer and to the supported range.
PYTHON_VERSION = "3.14"

# What the folder holds and how to check a notebook: a page of its own, beside the notebook.
README = (ROOT / "student_template" / "README.md").read_text(encoding="utf-8")


def requirements_text():
    return "".join(f"{package}\n" for package in STUDENT_PACKAGES)


def autograding_json():
    """``.github/classroom/autograding.json``: GitHub Classroom's test list; a test passes on exit status 0."""
    tests = [{"name": test["name"], "setup": test["setup"], "run": test["run"], "input": "", "output": "",
              "comparison": "included", "timeout": test["timeout"], "points": test["points"]}
             for test in CLASSROOM_TESTS]
    return json.dumps({"tests": tests}, indent=2) + "\n"


def _step_id(test):
    """A workflow step id from the test's exercise: "exercise-1a", ..., "exercise-bonus"."""
    return "exercise-" + test["run"].rsplit(" ", 1)[-1]


def classroom_workflow():
    """``.github/workflows/classroom.yml``: each of CLASSROOM_TESTS through GitHub Classroom's command
    grader, then its reporter, on every push (JSON strings are valid YAML scalars)."""
    q = json.dumps
    lines = ["name: Autograding Tests",
             "'on':",
             "  - push",
             "  - workflow_dispatch",
             "  - repository_dispatch",
             "permissions:",
             "  checks: write",
             "  actions: read",
             "  contents: read",
             "jobs:",
             "  run-autograding-tests:",
             "    runs-on: ubuntu-latest",
             "    if: github.actor != 'github-classroom[bot]'",
             "    steps:",
             "      - name: Checkout code",
             "        uses: actions/checkout@v4",
             "      - name: Set up Python",
             "        uses: actions/setup-python@v5",
             "        with:",
             f"          python-version: {q(PYTHON_VERSION)}"]
    for test in CLASSROOM_TESTS:
        lines += [f"      - name: {q(test['name'])}",
                  f"        id: {_step_id(test)}",
                  "        uses: classroom-resources/autograding-command-grader@v1",
                  "        with:",
                  f"          test-name: {q(test['name'])}",
                  f"          setup-command: {q(test['setup'])}",
                  f"          command: {q(test['run'])}",
                  f"          timeout: {test['timeout']}",
                  f"          max-score: {test['points']}"]
    ids = [_step_id(test) for test in CLASSROOM_TESTS]
    lines += ["      - name: Autograding Reporter",
              "        uses: classroom-resources/autograding-grading-reporter@v1",
              "        env:"]
    lines += [f"          {step.upper()}_RESULTS: \"${{{{steps.{step}.outputs.result}}}}\"" for step in ids]
    lines += ["        with:", f"          runners: {','.join(ids)}"]
    return "\n".join(lines) + "\n"


def bundle_files(root=ROOT):
    """[(path inside the bundle's folder, bytes)] in the zip's order."""
    root = Path(root)
    files = [(name, (root / "student_template" / name).read_bytes()) for name in ("README.md", NOTEBOOK)]
    files += [(name, (root / "data" / name).read_bytes()) for name in DATA_FILES]
    files += [(name, (root / "student_template" / name).read_bytes()) for name in SHIPPED_FILES]
    files += [("requirements.txt", requirements_text().encode("utf-8")),
              (".github/classroom/autograding.json", autograding_json().encode("utf-8")),
              (".github/workflows/classroom.yml", classroom_workflow().encode("utf-8"))]
    return files


def build_bundle(out_path=BUNDLE_PATH, root=ROOT):
    """Write the student zip to ``out_path``, every file under ``week6-student/``; return the path."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name, data in bundle_files(root):
            info = zipfile.ZipInfo(f"{FOLDER}/{name}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)
    os.replace(tmp, out_path)
    return out_path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    print(build_bundle(Path(argv[0]) if argv else BUNDLE_PATH))


if __name__ == "__main__":
    main()
