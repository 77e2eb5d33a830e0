"""The Gradescope image in a real Docker engine: collected only by ``make gradescope-test``.

``make test`` needs no Docker, so these tests are collected only where ``WEEK6_GRADESCOPE_CONTAINER_TEST``
is set (the make target sets it, inside ``tools/with-dockerd``, which starts an engine of its own). Once
collected, an engine that does not answer or an image that does not build FAILS them with the reason.

The figures measured (the sandbox each profile got, scores, container start, run_autograder's wall
time, the image build) are printed at the end of the run.
"""
import os
import tempfile
import time
from pathlib import Path

import pytest

from grader.gradescope.autograder import build_autograder_zip
from tools import gradescope_docker

ENABLE_ENV = "WEEK6_GRADESCOPE_CONTAINER_TEST"
if not os.environ.get(ENABLE_ENV):
    collect_ignore_glob = ["test_*.py"]

SUITE = "bookworm"                  # python3 3.11: supported
UNSUPPORTED_SUITE = "bullseye"      # python3 3.9: setup.sh must stop
FIGURES = []                        # (what, figure), printed at the end


def _record(what, figure):
    FIGURES.append((what, figure))


@pytest.fixture(scope="session")
def record():
    """record(what, figure): a figure for the summary at the end of the run."""
    return _record


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("Gradescope image in Docker: what was measured")
        for what, figure in FIGURES:
            terminalreporter.write_line(f"{what:58s} {figure}")


@pytest.fixture(scope="session")
def engine():
    problem = gradescope_docker.engine_problem()
    if problem:
        pytest.fail(f"the container test needs a Docker engine: {problem}", pytrace=False)
    version = gradescope_docker.engine_version()
    _record("Docker engine", version)
    return version


@pytest.fixture(scope="session")
def zip_path():
    directory = Path(tempfile.mkdtemp(prefix="week6-gradescope-zip-"))
    yield build_autograder_zip(directory / "autograder.zip")
    (directory / "autograder.zip").unlink()
    directory.rmdir()


def _base(suite):
    started = time.monotonic()
    try:
        tag = gradescope_docker.base_image(suite, log=lambda line: None)
    except Exception as error:          # debootstrap, import: the reason, not a traceback
        pytest.fail(f"no {suite} base image: {error}", pytrace=False)
    _record(f"base image {suite} (cached root file system + import)", f"{time.monotonic() - started:.0f} s")
    return tag


@pytest.fixture(scope="session")
def image(engine, zip_path):
    """The autograder image on Debian bookworm, built fresh: a :class:`tools.gradescope_docker.Build`."""
    build = gradescope_docker.build_image(zip_path, _base(SUITE))
    if not build.ok:
        pytest.fail(f"the image did not build:\n{build.log[-4000:]}", pytrace=False)
    _record(f"image build on {SUITE} (setup.sh)", f"{build.seconds:.0f} s")
    yield build
    gradescope_docker.docker("rmi", "-f", build.tag, check=False)


@pytest.fixture(scope="session")
def unsupported_build(engine, zip_path):
    build = gradescope_docker.build_image(zip_path, _base(UNSUPPORTED_SUITE))
    _record(f"image build on {UNSUPPORTED_SUITE} (stops)", f"{build.seconds:.0f} s")
    yield build
    gradescope_docker.docker("rmi", "-f", build.tag, check=False)
