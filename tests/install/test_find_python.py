"""tools/find-python, the Makefile's choice of interpreter (the newest supported on PATH, PYTHON=...,
the venv's own; a clear refusal otherwise), and the Makefile's venv stamp that names it.

Interpreters of other versions are fakes (tests/install/fake_python.py) that run find-python's own
probe; PATH holds only them and a few system tools, so the machine's own Pythons stay out.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

try:
    import tomllib
except ModuleNotFoundError:     # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.install.fake_python import broken_shim, fake_python, tool_path  # noqa: E402

FIND_PYTHON = ROOT / "tools" / "find-python"
MAKE = shutil.which("make")


def requires_python():
    return SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])


SUPPORTED_MINORS = [minor for minor in range(0, 30) if requires_python().contains(f"3.{minor}.0")]
SUPPORTED = f"CPython 3.{SUPPORTED_MINORS[0]} to 3.{SUPPORTED_MINORS[-1]}"


@pytest.fixture
def bin_dir(tmp_path):
    return tool_path(tmp_path)


def find_python(path, *args):
    return subprocess.run(["bash", str(FIND_PYTHON), *args], env={"PATH": path}, capture_output=True,
                          text=True, timeout=60)


def chosen(done):
    assert done.returncode == 0, done.stderr
    interpreter, version = done.stdout.split()
    return Path(interpreter), version


def test_the_supported_range_is_requires_python():
    done = find_python("/usr/bin:/bin", "--supported")
    assert done.returncode == 0, done.stderr
    lowest, highest = (int(v.split(".")[1]) for v in done.stdout.split())
    spec = requires_python()
    assert SUPPORTED_MINORS == list(range(lowest, highest + 1))
    assert all(spec.contains(f"3.{minor}.{patch}") for minor in range(lowest, highest + 1) for patch in (0, 1, 99))


def test_this_interpreter_is_supported():
    done = find_python("/usr/bin:/bin", sys.executable)
    assert chosen(done) == (Path(sys.executable).resolve(), "%d.%d.%d" % sys.version_info[:3])


def test_the_newest_supported_on_path_wins(bin_dir):
    fakes, path = bin_dir
    fake_python(fakes, "python3.11", "3.11.0")
    newest = fake_python(fakes, "python3.12", "3.12.4")
    fake_python(fakes, "python3.10", "3.10.0")
    fake_python(fakes, "python3", "3.11.0")
    assert chosen(find_python(path)) == (newest.resolve(), "3.12.4")


def test_a_broken_shim_and_a_misnamed_interpreter_are_passed_over(bin_dir):
    fakes, path = bin_dir
    broken_shim(fakes, "python3.13")
    fake_python(fakes, "python3.12", "3.9.18")       # a name does not make a version
    fallback = fake_python(fakes, "python3", "3.10.2")
    assert chosen(find_python(path)) == (fallback.resolve(), "3.10.2")


def test_pypy_is_not_taken_for_cpython(bin_dir):
    fakes, path = bin_dir
    fake_python(fakes, "python3.11", "3.11.9", implementation="pypy")
    cpython = fake_python(fakes, "python3.10", "3.10.14")
    assert chosen(find_python(path)) == (cpython.resolve(), "3.10.14")


def test_none_supported_says_what_is_and_fails(bin_dir):
    fakes, path = bin_dir
    fake_python(fakes, "python3.9", "3.9.18")
    fake_python(fakes, "python3", "3.8.10")
    broken_shim(fakes, "python3.13")
    done = find_python(path)
    assert done.returncode == 1 and done.stdout == ""
    assert f"needs {SUPPORTED} (any patch release), and found none on PATH" in done.stderr
    assert "make PYTHON=" in done.stderr


def test_python_given_wins_over_newer_ones(bin_dir):
    fakes, path = bin_dir
    fake_python(fakes, "python3.13", "3.13.1")
    given = fake_python(fakes, "python3.10", "3.10.0")
    assert chosen(find_python(path, "python3.10")) == (given.resolve(), "3.10.0")
    assert chosen(find_python(path, str(given))) == (given.resolve(), "3.10.0")


@pytest.mark.parametrize("version", [f"3.{SUPPORTED_MINORS[0] - 1}.18", f"3.{SUPPORTED_MINORS[-1] + 1}.0"],
                         ids=["older", "newer"])
def test_an_unsupported_python_given_is_refused_with_its_version(bin_dir, version):
    fakes, path = bin_dir
    given = fake_python(fakes, "python3", version)
    fake_python(fakes, "python3.12", "3.12.0")        # not taken instead: PYTHON=... was asked for
    done = find_python(path, str(given))
    assert done.returncode == 1 and done.stdout == ""
    assert f"PYTHON={given} is {version}" in done.stderr and f"supports {SUPPORTED}" in done.stderr


def test_a_python_given_that_does_not_run_is_refused(bin_dir):
    fakes, path = bin_dir
    fake_python(fakes, "python3.12", "3.12.0")
    broken_shim(fakes, "python3.11")
    for given in ("python3.11", "no-such-python"):
        done = find_python(path, given)
        assert done.returncode == 1 and done.stdout == ""
        assert f"PYTHON={given} does not run" in done.stderr


def test_the_venvs_own_interpreter_is_kept_while_it_runs(bin_dir, tmp_path):
    fakes, path = bin_dir
    newest = fake_python(fakes, "python3.13", "3.13.0")
    own = fake_python(tmp_path, "python3.10", "3.10.5")         # not on PATH
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".ready-123").write_text(f"{own} 3.10.5\n")
    assert chosen(find_python(path, "--venv", str(venv))) == (own.resolve(), "3.10.5")
    own.unlink()                                                   # uninstalled: the newest again
    assert chosen(find_python(path, "--venv", str(venv))) == (newest.resolve(), "3.13.0")


# ------------------------------------------------------------------ the Makefile's venv stamp

def make(path, *args):
    return subprocess.run([MAKE, "--no-print-directory", "-C", str(ROOT), *args], env={"PATH": path},
                          capture_output=True, text=True, timeout=120)


def planned_stamp(dry_run):
    """The stamp a dry run of ``make setup`` would write (its recipe's last line), or None."""
    found = re.search(r"> '([^']+/\.ready-[0-9]+)'", dry_run)
    return Path(found.group(1)) if found else None


def test_the_venv_is_made_with_the_chosen_interpreter_and_remade_for_another(bin_dir, tmp_path):
    assert MAKE, "make is not on PATH"
    fakes, path = bin_dir
    first = fake_python(fakes, "python3.12", "3.12.4")
    venv = tmp_path / "venv"
    plan = make(path, "-n", "setup", f"VENV={venv}")
    assert plan.returncode == 0, plan.stderr
    assert f"Making {venv} with Python 3.12.4 ({first.resolve()})" in plan.stdout
    assert f"{first.resolve()} -m venv '{venv}'" in plan.stdout and f"rm -rf -- '{venv}'" in plan.stdout
    assert "--require-hashes -r requirements.lock" in plan.stdout
    stamp = planned_stamp(plan.stdout)
    assert stamp is not None and stamp.parent == venv, plan.stdout

    # as if it had run: the stamp, newer than the lock, records the interpreter
    venv.mkdir()
    stamp.write_text(f"{first.resolve()} 3.12.4\n")
    assert make(path, "-q", f"VENV={venv}", str(stamp)).returncode == 0
    again = make(path, "-n", "setup", f"VENV={venv}")
    assert "-m venv" not in again.stdout and f"{venv}: Python 3.12.4" in again.stdout

    # a newer interpreter on PATH does not replace the venv's own; PYTHON=... does, from scratch
    fake_python(fakes, "python3.13", "3.13.0")
    assert "-m venv" not in make(path, "-n", "setup", f"VENV={venv}").stdout
    other = fake_python(tmp_path, "python3.10", "3.10.13")
    switch = make(path, "-n", "setup", f"VENV={venv}", f"PYTHON={other}")
    assert switch.returncode == 0, switch.stderr
    assert f"rm -rf -- '{venv}'" in switch.stdout and f"{other.resolve()} -m venv '{venv}'" in switch.stdout
    assert planned_stamp(switch.stdout) not in (None, stamp)


def test_make_refuses_an_unsupported_python_and_leaves_the_venv_alone(bin_dir, tmp_path):
    assert MAKE, "make is not on PATH"
    fakes, path = bin_dir
    old = fake_python(fakes, "python3.9", "3.9.18")
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "keep").write_text("")
    done = make(path, "setup", f"VENV={venv}", f"PYTHON={old}")
    assert done.returncode != 0
    assert f"PYTHON={old} is 3.9.18" in done.stderr and f"supports {SUPPORTED}" in done.stderr
    assert (venv / "keep").exists()
