"""A student's Python: a fresh venv with only what the bundle's README says to install
(student_template.week6_selfcheck.STUDENT_PACKAGES), built once per test session and shared by pytest-xdist's
workers, and the environment of a student's shell around it (nothing of this repository)."""
import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from student_template.week6_selfcheck import STUDENT_PACKAGES  # noqa: E402

PIP_TIMEOUT = 1800   # a cold pip cache downloads the whole Jupyter stack


def build_venv(venv, packages):
    """``python -m venv venv`` and ``pip install packages`` (none: a bare venv); fails the test with pip's words."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([sys.executable, "-m", "venv", "--clear", *([] if packages else ["--without-pip"]), str(venv)],
                   check=True, env=env, timeout=300)
    if packages:
        # --no-compile: Python compiles what it imports anyway; byte-compiling all of Jupyter up front
        # is most of an install's time
        done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile",
                               "--disable-pip-version-check", *packages], env=env, capture_output=True, text=True,
                              timeout=PIP_TIMEOUT)
        if done.returncode != 0:
            errors = [line for line in done.stderr.splitlines() if "WARNING: Location" not in line]
            pytest.fail(f"could not install {' '.join(packages)} into a fresh venv (the network or PyPI?):\n"
                        + "\n".join(errors[-15:]))
    return venv


def shared_venv(tmp_path_factory, name, packages):
    """The venv ``name`` under the session's tmp root, built by the first worker that needs it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent   # the root all workers of this session share
    venv = base / name
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".week6-ready").exists():
            build_venv(venv, packages)
            (venv / ".week6-ready").touch()
    return venv


@pytest.fixture(scope="session")
def student_venv(tmp_path_factory):
    """A fresh venv with numpy, scipy, matplotlib and jupyter, as the README tells students."""
    return shared_venv(tmp_path_factory, "student-venv", STUDENT_PACKAGES)


def student_env(venv, home):
    """A student's shell with ``venv`` activated: a HOME of its own (no Jupyter kernels or settings of
    this machine's user, nor the test session's: its matplotlib and IPython folders), no PYTHONPATH,
    nothing pointing into this repository, no MPLBACKEND."""
    path = [str(venv / "bin")] + [entry for entry in os.environ.get("PATH", "").split(os.pathsep)
                                  if entry and str(ROOT) not in entry]
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "MPLBACKEND", "MPLCONFIGDIR", "IPYTHONDIR",
                          "VIRTUAL_ENV", "PATH")
           and not key.startswith("JUPYTER") and str(ROOT) not in value}
    home.mkdir(parents=True, exist_ok=True)
    env.update(PATH=os.pathsep.join(path), HOME=str(home), VIRTUAL_ENV=str(venv), OMP_NUM_THREADS="1")
    return env
