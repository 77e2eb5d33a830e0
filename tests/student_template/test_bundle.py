"""The students' download (tools/build_bundle.py): its files, the self-check run
from an unzipped copy with nothing of this repository importable, and no reference code inside."""
import ast
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from student_template.week6_selfcheck import SHIPPED_FILES  # noqa: E402
from tools.build_bundle import build_bundle, classroom_workflow  # noqa: E402

TEMPLATE = ROOT / "student_template" / "week6_backprop.ipynb"
EXAMPLE = ROOT / "examples" / "example_submission.ipynb"
DATA_FILES = {"pointsClass1Week6.mat", "pointsClass2Week6.mat", "xWeek6Ex3PointsClass1.mat", "xWeek6Ex3PointsClass2.mat",
              "xWeek6Ex3PointsClass3.mat"}
EXPECTED = {"README.md", "week6_backprop.ipynb", "requirements.txt", ".github/classroom/autograding.json",
            ".github/workflows/classroom.yml", *DATA_FILES, *SHIPPED_FILES}
SUMMARY = re.compile(r"public checks: (\d+)/(\d+) passed")


@pytest.fixture(scope="module")
def bundle_zip(tmp_path_factory):
    return build_bundle(tmp_path_factory.mktemp("dist") / "week6-student.zip")


@pytest.fixture
def unzipped(bundle_zip, tmp_path):
    """The bundle's one folder, unzipped where nothing of the repository is (no data/ above it)."""
    with zipfile.ZipFile(bundle_zip) as archive:
        archive.extractall(tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == ["week6-student"]
    return tmp_path / "week6-student"


def student_env():
    """The environment of a student's shell: nothing points into this repository."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP") and str(ROOT) not in value}
    env.update(PATH=os.environ.get("PATH", ""), OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return env


def run_in(directory, *args, timeout=600):
    return subprocess.run([sys.executable, *args], cwd=directory, env=student_env(), capture_output=True,
                          text=True, timeout=timeout)


# ------------------------------------------------------------------ contents

def test_exactly_the_expected_files(bundle_zip, unzipped):
    with zipfile.ZipFile(bundle_zip) as archive:
        names = archive.namelist()
    assert len(names) == len(set(names))
    assert all(name.startswith("week6-student/") for name in names), names
    assert {name.removeprefix("week6-student/") for name in names} == EXPECTED
    assert {path.relative_to(unzipped).as_posix() for path in unzipped.rglob("*") if path.is_file()} == EXPECTED
    assert (unzipped / "week6_backprop.ipynb").read_bytes() == TEMPLATE.read_bytes()
    for name in SHIPPED_FILES:
        assert (unzipped / name).read_bytes() == (ROOT / "student_template" / name).read_bytes(), name
    for mat in (ROOT / "data").glob("*.mat"):
        assert (unzipped / mat.name).read_bytes() == mat.read_bytes()


def test_student_template_is_what_a_student_downloads(unzipped):
    """Every file of student_template/ is in the bundle as it is, but the package marker the grader imports
    it by (and build_template.py, a tool that moves to tools/ in issue 12)."""
    kept_back = {"__init__.py", "build_template.py"}
    ours = {path.name for path in (ROOT / "student_template").iterdir()
            if path.is_file() and path.name not in kept_back and path.suffix != ".pyc"}
    assert ours == {"README.md", "week6_backprop.ipynb", *SHIPPED_FILES}
    for name in ours:
        assert (unzipped / name).read_bytes() == (ROOT / "student_template" / name).read_bytes(), name


def test_readme_says_how_to_open_and_check(unzipped):
    readme = (unzipped / "README.md").read_text(encoding="utf-8")
    for needed in ("jupyter notebook week6_backprop.ipynb", "run_selfcheck(globals())",
                   "python week6_selfcheck.py week6_backprop.ipynb", "pip install numpy scipy matplotlib jupyter",
                   "Colab", "files.upload()", "GitHub Classroom", "exit status is 0", "Run All"):
        assert needed in readme


def test_readme_names_the_shipped_files_and_the_commands_of_the_build():
    """The README is prose in student_template/; the facts it repeats are the build's."""
    from tools.build_bundle import CHECK_COMMAND, FOLDER, NOTEBOOK, README
    from student_template.week6_selfcheck import STUDENT_PACKAGES
    for fact in (CHECK_COMMAND, f"{FOLDER}.zip", f"`{NOTEBOOK}`", f"pip install {' '.join(STUDENT_PACKAGES)}",
                 *(f"`{name}`" for name in SHIPPED_FILES)):
        assert fact in README, fact


def test_bundle_is_reproducible(bundle_zip, tmp_path):
    assert build_bundle(tmp_path / "again.zip").read_bytes() == Path(bundle_zip).read_bytes()


# ------------------------------------------------------------------ the self-check from the unzipped folder

def test_nothing_of_the_repository_is_importable_there(unzipped):
    for module in ("reference", "grader", "assignment", "student_template", "tools", "examples"):
        done = run_in(unzipped, "-c", f"import {module}")
        assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr, (module, done.stderr)


def test_selfcheck_passes_the_example_submission(unzipped):
    (unzipped / EXAMPLE.name).write_bytes(EXAMPLE.read_bytes())
    done = run_in(unzipped, "week6_selfcheck.py", EXAMPLE.name)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = SUMMARY.search(done.stdout)
    assert summary, done.stdout
    passed, total = map(int, summary.groups())
    assert passed == total > 0, done.stdout
    assert "No notebook cell raised an error." in done.stdout
    assert "Written questions: all answered" in done.stdout     # the example builder writes both answers


def test_selfcheck_on_the_blank_template_says_not_written_yet(unzipped):
    done = run_in(unzipped, "week6_selfcheck.py", "week6_backprop.ipynb")
    assert done.returncode == 1, done.stdout + done.stderr
    summary = SUMMARY.search(done.stdout)
    assert summary, done.stdout
    passed, total = map(int, summary.groups())
    assert passed == 0 and f"({total} not written yet)" in done.stdout
    assert "Written questions still unanswered (2;" in done.stdout
    assert "How do you compute the gradient in this case?" in done.stdout
    assert "How can you extend the binary cross-entropy to the multiclass problem?" in done.stdout


# ------------------------------------------------------------------ no reference code inside

def normalized(text):
    return re.sub(r"\s+", " ", text).strip()


def bundle_texts(bundle_zip):
    """{name: text}: a notebook's cell sources (its JSON escapes undone), other files as text."""
    texts = {}
    with zipfile.ZipFile(bundle_zip) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name.endswith(".ipynb"):
                cells = json.loads(data)["cells"]
                texts[name] = "\n".join("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                                        for cell in cells)
            else:
                texts[name] = data.decode("utf-8", errors="replace")
    return texts


def given_code():
    """The template's "given" cells: code the students get on purpose (n_params and unpack are the
    reference's own)."""
    notebook = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return "\n".join("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                     for cell in notebook["cells"] if cell["metadata"].get("week6", {}).get("role") == "given")


def reference_functions():
    """(module file, function name, body without its docstring) for every function in reference/*.py."""
    found = []
    for path in sorted((ROOT / "reference").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body = body[1:]
            if body:
                found.append((path.name, node.name, "\n".join(lines[body[0].lineno - 1:body[-1].end_lineno])))
    return found


def body_leaks(zip_path):
    """(module, function, bundle file) for each reference function body (docstring stripped,
    whitespace normalized) found in a bundle file; the given functions excepted."""
    given = {node.name for node in ast.walk(ast.parse(given_code())) if isinstance(node, ast.FunctionDef)}
    assert {"n_params", "unpack"} <= given
    functions = reference_functions()
    assert len(functions) > 20
    texts = {name: normalized(text) for name, text in bundle_texts(zip_path).items()}
    return [(module, function, name) for module, function, body in functions if function not in given
            for name, text in texts.items() if normalized(body) in text]


# `x = np.asarray(x, dtype=float)` turns an argument into a float array: an idiom the public
# self-check uses too, not a piece of the solution
ARGUMENT_CONVERSION = re.compile(r"(\w+) = np\.asarray\(\1, dtype=float\)")


def line_leaks(zip_path):
    """(line, bundle file) for each line of 30+ characters of reference/*.py found in a bundle
    file, except the given cells' lines, imports and the contract's signatures (the template
    states them)."""
    given_lines = {line.strip() for line in given_code().splitlines()}
    distinctive = set()
    for path in (ROOT / "reference").glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if (len(line) >= 30 and line not in given_lines and not line.startswith(("import ", "from ", "def "))
                    and not ARGUMENT_CONVERSION.fullmatch(line)):
                distinctive.add(line)
    assert len(distinctive) > 50
    texts = bundle_texts(zip_path)
    return sorted((line, name) for line in distinctive for name, text in texts.items() if line in text)


def test_no_reference_function_body_is_in_the_bundle(bundle_zip):
    assert body_leaks(bundle_zip) == []


def test_no_distinctive_reference_line_is_in_the_bundle(bundle_zip):
    assert line_leaks(bundle_zip) == []


def test_the_leak_checks_find_a_planted_leak(bundle_zip, tmp_path):
    """A notebook cell holding reference code, reindented: both checks see it."""
    planted = tmp_path / "planted.zip"
    network = (ROOT / "reference" / "network.py").read_text(encoding="utf-8")
    with zipfile.ZipFile(bundle_zip) as source, zipfile.ZipFile(planted, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "week6-student/week6_backprop.ipynb":
                notebook = json.loads(data)
                notebook["cells"][-1]["source"] = "if True:\n" + "\n".join("    " + line for line in network.splitlines())
                data = json.dumps(notebook).encode("utf-8")
            target.writestr(name, data)
    assert any(function == "backprop" for _, function, _ in body_leaks(planted))
    assert line_leaks(planted)


def test_a_notebook_kept_elsewhere_is_checked_with_the_data_beside_the_selfcheck(unzipped, tmp_path):
    """`python week6-student/week6_selfcheck.py ~/Downloads/nb.ipynb`: the data next to the self-check is used."""
    elsewhere = tmp_path / "Downloads"
    elsewhere.mkdir()
    (elsewhere / "mine.ipynb").write_bytes(TEMPLATE.read_bytes())
    done = run_in(elsewhere, str(unzipped / "week6_selfcheck.py"), "mine.ipynb")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "skipped" not in done.stdout and "not written yet" in done.stdout


def test_the_classroom_workflow_runs_a_current_supported_python():
    """GitHub Classroom's runs use a Python students install today (3.13 or newer), within the supported range."""
    steps = yaml.safe_load(classroom_workflow())["jobs"]["run-autograding-tests"]["steps"]
    (setup,) = [step for step in steps if step.get("uses", "").startswith("actions/setup-python@")]
    version = setup["with"]["python-version"]
    done = subprocess.run(["bash", str(ROOT / "tools" / "find-python"), "--versions"], capture_output=True, text=True,
                          timeout=30)
    assert version in done.stdout.split() and tuple(map(int, version.split("."))) >= (3, 13), (version, done.stdout)
