"""The student's path, end to end (issue 14): the bundle unzipped far from this repository, in a
fresh venv holding only numpy, scipy, matplotlib and jupyter. A blank, a half-done and a complete
notebook each run top to bottom through `jupyter nbconvert --execute` without --allow-errors, and
`python week6_selfcheck.py` exits 1, 1 and 0 on them."""
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples import notebook_builder  # noqa: E402
from assignment import EXERCISE_POINTS  # noqa: E402
from tools.build_bundle import CHECK_COMMAND, FOLDER, NOTEBOOK, build_bundle  # noqa: E402
from tests.student_template.student_venv import shared_venv, student_env, student_venv  # noqa: E402,F401

SUMMARY = re.compile(r"public checks: (\d+)/(\d+) passed")
# Functions that need no other graded function: a student who wrote only these is half done.
HALF_DONE = ("load_data", "sigmoid", "sigmoid_grad", "relu", "relu_grad", "softmax")
EXPECTED_STATUS = {"blank": 1, "half-done": 1, "complete": 0}


def notebook(kind):
    template = notebook_builder.load_template()
    if kind == "blank":
        return template
    sources = notebook_builder.reference_sources()
    if kind == "half-done":
        sources = {name: sources[name] for name in HALF_DONE}
    return notebook_builder.fill_template(template, sources)


@pytest.fixture(scope="module")
def bundle_zip(tmp_path_factory):
    return build_bundle(tmp_path_factory.mktemp("dist") / f"{FOLDER}.zip")


@pytest.fixture
def folder(bundle_zip, tmp_path):
    """The bundle unzipped as a student does, in a directory with nothing of this repository."""
    with zipfile.ZipFile(bundle_zip) as archive:
        archive.extractall(tmp_path / "downloads")
    return tmp_path / "downloads" / FOLDER


def run(args, folder, venv, timeout=900):
    """``args`` in ``folder``, in a student's shell with ``venv`` active; the student's HOME (and so
    matplotlib's font cache, built on the first plot) lasts the session, as it would on their computer."""
    home = venv.parent / f"{venv.name}-home"
    return subprocess.run(args, cwd=folder, env=student_env(venv, home), capture_output=True, text=True,
                          timeout=timeout)


def test_the_venv_has_what_students_install_and_nothing_of_the_project(student_venv, folder):
    done = run([str(student_venv / "bin" / "python"), "-c",
                "import numpy, scipy, matplotlib, nbclient, ipykernel, jupyter_client, nbformat\n"
                "for name in ('reference', 'grader', 'examples', 'pytest'):\n"
                "    try:\n        __import__(name)\n    except ModuleNotFoundError:\n        continue\n"
                "    raise SystemExit(name + ' is importable')"], folder, student_venv)
    assert done.returncode == 0, done.stderr
    kernels = run([str(student_venv / "bin" / "jupyter"), "kernelspec", "list", "--json"], folder, student_venv)
    spec = json.loads(kernels.stdout)["kernelspecs"]["python3"]
    assert Path(spec["resource_dir"]).resolve().is_relative_to(student_venv.resolve()), spec


@pytest.mark.parametrize("kind", list(EXPECTED_STATUS))
def test_runs_top_to_bottom_and_the_command_says_how_far(student_venv, folder, kind):
    nbformat.write(notebook(kind), str(folder / NOTEBOOK))
    executed = folder / "executed.ipynb"
    converted = run([str(student_venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                     NOTEBOOK, "--output", executed.name], folder, student_venv)
    assert converted.returncode == 0, converted.stderr[-3000:]
    nb = nbformat.read(str(executed), as_version=4)
    errors = [(cell.id, output.ename) for cell in nb.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert errors == []
    report = "".join(output.get("text", "") for output in nb.cells[-1].outputs)
    assert SUMMARY.search(report), report

    checked = run([str(student_venv / "bin" / "python"), *CHECK_COMMAND.split()[1:]], folder, student_venv)
    assert checked.returncode == EXPECTED_STATUS[kind], checked.stdout[-3000:] + checked.stderr[-2000:]
    passed, total = map(int, SUMMARY.search(checked.stdout).groups())
    if kind == "blank":
        assert passed == 0 and f"({total} not written yet)" in checked.stdout
    elif kind == "half-done":
        assert 0 < passed < total and f"({total - passed} not written yet)" in checked.stdout
        assert "\u2717" not in checked.stdout   # nothing written fails: the rest is only not written yet
    else:
        assert passed == total and "All public checks passed." in checked.stdout
    assert "No notebook cell raised an error." in checked.stdout


def test_help_and_usage(student_venv, folder):
    python = str(student_venv / "bin" / "python")
    helped = run([python, "week6_selfcheck.py", "--help"], folder, student_venv)
    assert helped.returncode == 0 and "Exit status" in helped.stdout
    assert run([python, "week6_selfcheck.py"], folder, student_venv).returncode == 2
    assert run([python, "week6_selfcheck.py", "no-such.ipynb"], folder, student_venv).returncode == 2


def test_a_python_without_numpy_gets_a_one_line_install_hint(tmp_path_factory, folder):
    """A bare Python (the other missing packages: tests/grader/test_selfcheck.py, by find_spec)."""
    venv = shared_venv(tmp_path_factory, "bare-venv", ())
    done = run([str(venv / "bin" / "python"), "week6_selfcheck.py", NOTEBOOK], folder, venv)
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "needs numpy" in line and line.endswith("-m pip install numpy scipy matplotlib jupyter")


def test_the_classroom_files_parse_and_run_the_command(student_venv, folder):
    """autograding.json in education/autograding's format, the workflow as YAML (the student venv's
    PyYAML, which Jupyter brings): one test per exercise, worth its points, the same commands in both."""
    grading = json.loads((folder / ".github" / "classroom" / "autograding.json").read_text(encoding="utf-8"))
    tests = grading["tests"]
    for test in tests:
        assert set(test) == {"name", "setup", "run", "input", "output", "comparison", "timeout", "points"}
        assert test["output"] == "" and test["input"] == "" and test["comparison"] == "included"
    assert [test["run"] for test in tests] == [f"{CHECK_COMMAND} --exercise {ex}" for ex in EXERCISE_POINTS]
    assert [test["points"] for test in tests] == list(EXERCISE_POINTS.values())
    assert "requirements.txt" in tests[0]["setup"]
    assert (folder / "requirements.txt").read_text(encoding="utf-8").split() == ["numpy", "scipy", "matplotlib",
                                                                                 "jupyter"]
    parsed = run([str(student_venv / "bin" / "python"), "-c",
                  "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
                  ".github/workflows/classroom.yml"], folder, student_venv)
    assert parsed.returncode == 0, parsed.stderr
    workflow = json.loads(parsed.stdout)
    assert "push" in workflow["on"]
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    graders = [step for step in steps if step.get("uses", "").startswith("classroom-resources/autograding-command")]
    assert [(g["with"]["command"], g["with"]["setup-command"], g["with"]["max-score"]) for g in graders] == \
        [(test["run"], test["setup"], test["points"]) for test in tests]
    reporter = steps[-1]
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter")
    ids = [grader["id"] for grader in graders]
    assert reporter["with"]["runners"] == ",".join(ids)
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}" for i in ids}


def test_the_classroom_commands_score_a_half_done_notebook_by_exercise(student_venv, folder):
    """Each test's command as Classroom runs it: the first runs the notebook, the others reuse that run;
    the exercises written pass, the others do not."""
    nbformat.write(notebook("half-done"), str(folder / NOTEBOOK))
    tests = json.loads((folder / ".github" / "classroom" / "autograding.json").read_text(encoding="utf-8"))["tests"]
    python = str(student_venv / "bin" / "python")
    statuses = {}
    for test in tests:
        done = run([python, *test["run"].split()[1:]], folder, student_venv)
        statuses[test["run"].split()[-1]] = done.returncode
        reused = "as the self-check ran them a moment ago" in done.stdout
        assert reused == (test is not tests[0]), done.stdout[-2000:]
    assert statuses == {exercise: 0 if exercise in ("1a", "1b") else 1 for exercise in EXERCISE_POINTS}


def test_the_readmes_colab_lines_put_the_files_where_colab_runs_the_notebook(student_venv, bundle_zip, tmp_path):
    """The README's unzip line, with /content a local folder: the data and the self-check land there,
    nothing of .github; a notebook kept elsewhere, its kernel in that folder (as Colab runs it), loads
    the data and its own last cell runs the self-check."""
    readme = zipfile.ZipFile(bundle_zip).read(f"{FOLDER}/README.md").decode("utf-8")
    (line,) = [line.strip() for line in readme.splitlines() if line.strip().startswith("!unzip")]
    assert "files.upload()" in readme
    if shutil.which("unzip") is None:
        pytest.skip("the unzip program is not installed here (Colab has it)")
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(bundle_zip, content / f"{FOLDER}.zip")
    done = subprocess.run(line[1:].replace("/content", str(content)), shell=True, cwd=content, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    names = {path.name for path in content.iterdir()}
    assert {"week6_selfcheck.py", "arraycheck.py", "public_fixture.json", "pointsClass1Week6.mat"} <= names
    assert not any(name in names for name in ("autograding.json", "classroom.yml", ".github"))
    nb = notebook("half-done")   # load_data written: its checks pass only if the data is in the kernel's cwd
    elsewhere = tmp_path / "drive"
    elsewhere.mkdir()
    nbformat.write(nb, str(elsewhere / NOTEBOOK))
    # Colab's kernel runs in /content, wherever the notebook itself is kept
    executed = run([str(student_venv / "bin" / "python"), "-c",
                    "import sys, nbformat\nfrom nbclient import NotebookClient\n"
                    "nb = nbformat.read(sys.argv[1], as_version=4)\n"
                    "NotebookClient(nb, kernel_name='python3', resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
                    "nbformat.write(nb, sys.argv[3])",
                    str(elsewhere / NOTEBOOK), str(content), str(elsewhere / "executed.ipynb")], content, student_venv)
    assert executed.returncode == 0, executed.stderr[-2000:]
    report = "".join(o.get("text", "") for o in nbformat.read(str(elsewhere / "executed.ipynb"), 4).cells[-1].outputs)
    assert SUMMARY.search(report) and "skipped" not in report
    assert "\u2713 load_data: class 1 rows first, labels 0 then 1" in report
