"""The students' self-check with the numpy, scipy and matplotlib a student may have: the oldest the
bundle's README promises ("numpy 1.26 or newer" ...) on the oldest supported Python, and the newest
(requirements.lock's, on the newest supported Python), each in a venv of its own made here.

Each venv gets those three, nbclient and ipykernel, the unzipped bundle and the example submission;
``python week6_selfcheck.py example_submission.ipynb`` must pass every public check and exit 0.
pip's cache makes a second run quick. An interpreter of the version needed that this machine lacks
is a visible skip (a developer may lawfully have only one Python); CI machines have them all.
"""
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.build_bundle import README, build_bundle  # noqa: E402
from tests.student_template.test_bundle import EXAMPLE, SUMMARY, student_env  # noqa: E402

LIBRARIES = ("numpy", "scipy", "matplotlib")
JUPYTER = ("nbformat", "nbclient", "jupyter-client", "ipykernel")      # what the command line needs


def supported_interpreters():
    """{"3.X": interpreter} of every supported Python on this machine (tools/find-python --all), the first of each minor."""
    done = subprocess.run(["bash", str(ROOT / "tools" / "find-python"), "--all"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    found = {}
    for line in done.stdout.splitlines():
        interpreter, version = line.split()
        found.setdefault(".".join(version.split(".")[:2]), interpreter)
    return found


def supported_range():
    done = subprocess.run(["bash", str(ROOT / "tools" / "find-python"), "--supported"], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def readme_minimums():
    """{library: "X.Y"} from the bundle's README, e.g. "numpy 1.26 or newer"."""
    found = dict(re.findall(r"\b(numpy|scipy|matplotlib)\s+(\d+\.\d+)\s+or\s+newer", README))
    assert set(found) == set(LIBRARIES), f"the bundle's README states no minimum for {set(LIBRARIES) - set(found)}"
    return found


def locked(python):
    """{name: version} of requirements.lock on Python ``python`` ("3.X") on Linux."""
    env = {"python_version": python, "python_full_version": python + ".0", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", "sys_platform": "linux", "platform_system": "Linux",
           "platform_machine": "x86_64", "extra": ""}
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            requirement = Requirement(line.rstrip(" \\"))
            if requirement.marker is None or requirement.marker.evaluate(env):
                pins[requirement.name.lower().replace("_", "-")] = str(requirement.specifier)[2:]
    return pins


def test_the_readme_states_the_supported_pythons_and_minimum_versions():
    oldest_python, newest_python = supported_range()
    assert f"Python {oldest_python} to {newest_python}" in README
    assert readme_minimums()


def version_sets():
    """(id, Python "3.X", pip requirements): the oldest promised and the newest locked."""
    oldest_python, newest_python = supported_range()
    minimums = readme_minimums()
    oldest_lock, newest_lock = locked(oldest_python), locked(newest_python)
    return [
        ("oldest", oldest_python, [f"{name}=={minimums[name]}.*" for name in LIBRARIES]
         + [f"{name}=={oldest_lock[name]}" for name in JUPYTER]),
        ("newest", newest_python, [f"{name}=={newest_lock[name]}" for name in LIBRARIES + JUPYTER]),
    ]


@pytest.fixture(scope="module")
def bundle_zip(tmp_path_factory):
    return build_bundle(tmp_path_factory.mktemp("dist") / "week6-student.zip")


@pytest.mark.slow
@pytest.mark.parametrize("name, python, requirements", version_sets(), ids=[s[0] for s in version_sets()])
def test_selfcheck_passes_the_example_with(name, python, requirements, bundle_zip, tmp_path):
    interpreter = supported_interpreters().get(python)
    if interpreter is None:
        pytest.skip(f"no Python {python} on this machine for the {name} versions ({', '.join(requirements)})")
    venv = tmp_path / "venv"
    made = subprocess.run([interpreter, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                                "--disable-pip-version-check", "--only-binary", ":all:", *requirements],
                               capture_output=True, text=True, timeout=1200)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    versions = subprocess.run([str(venv / "bin" / "python"), "-c",
                               "import numpy, scipy, matplotlib; print(numpy.__version__, scipy.__version__, "
                               "matplotlib.__version__)"], capture_output=True, text=True, timeout=300)
    assert versions.returncode == 0, versions.stderr
    for requirement, version in zip(requirements, versions.stdout.split()):
        assert Requirement(requirement).specifier.contains(version), (requirement, version)

    with zipfile.ZipFile(bundle_zip) as archive:
        archive.extractall(tmp_path / "downloads")
    (selfcheck,) = (tmp_path / "downloads").rglob("week6_selfcheck.py")       # the bundle's folder, wherever it is
    folder = selfcheck.parent
    (folder / EXAMPLE.name).write_bytes(EXAMPLE.read_bytes())
    done = subprocess.run([str(venv / "bin" / "python"), "week6_selfcheck.py", EXAMPLE.name], cwd=folder,
                          env=student_env(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = SUMMARY.search(done.stdout)
    assert summary, done.stdout + done.stderr
    passed, total = map(int, summary.groups())
    assert passed == total > 0, done.stdout
    assert "No notebook cell raised an error." in done.stdout, done.stdout
