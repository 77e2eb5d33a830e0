"""What every test runs inside, however pytest is started (``make test``, a bare ``pytest`` from any
directory, one file or the whole tree):

* nothing is written under the user's home: the reference-outcome cache (``$WEEK6_GRADER_CACHE``,
  else ``~/.cache/week6-grader``), matplotlib's cache, IPython's profile and Jupyter's connection
  files (:data:`SESSION_PLACES`) go into one directory of the session's own, shared by its xdist
  workers and removed at the end;
* matplotlib draws with Agg, as under ``make test`` (no display, the same figures everywhere);
* no test changes the state the next one starts from: a test that leaves another working
  directory, other environment variables, another ``tempfile.tempdir`` or another numpy global
  random state fails (after the state is put back, so the next test still starts clean);
* the notebooks the tests build are the same bytes on every run: nbformat's new cells get ids
  counted within the fixture or test that makes them (:mod:`tests.cell_ids`), not random ones.
  The grader seeds its probes with a hash of the submission's bytes, so random ids gave a fixture
  other probe inputs on every run, and a failure seen once could not be replayed.

The repository root is importable through pyproject.toml's ``pythonpath``.
"""
import os
import shutil
import tempfile

import numpy as np
import pytest

from project import CACHE_ENV
from tests.cell_ids import install_counted_cell_ids

SESSION_DIR_ENV = "WEEK6_TEST_SESSION_DIR"      # set by the process that made the directory (and owns it)
# what the tests' own processes would otherwise write under ~: {variable: its folder in the session's}
SESSION_PLACES = {CACHE_ENV: "reference-cache",              # the grader's reference outcomes
                  "MPLCONFIGDIR": "matplotlib",              # matplotlib's font cache and config
                  "IPYTHONDIR": "ipython",                   # kernels started outside the sandbox (nbclient)
                  "JUPYTER_RUNTIME_DIR": "jupyter-runtime"}  # their connection files
# set by others than the tests: pytest around every test phase; scikit-learn and threadpoolctl once,
# when first imported (os.environ.setdefault), whichever test that is
VOLATILE_ENV = {"PYTEST_CURRENT_TEST", "KMP_DUPLICATE_LIB_OK", "KMP_INIT_AT_FORK"}


def pytest_configure(config):
    tempfile.gettempdir()       # settles tempfile.tempdir now, not in whichever test first asks for it
    # xdist workers inherit the controller's environment (they start after this hook ran there)
    if hasattr(config, "workerinput"):
        return
    session_dir = tempfile.mkdtemp(prefix="week6-tests-")
    places = {SESSION_DIR_ENV: session_dir, **{name: os.path.join(session_dir, folder)
                                                for name, folder in SESSION_PLACES.items()}}
    config._week6_saved_env = {name: os.environ.get(name) for name in (*places, "MPLBACKEND")}
    os.environ.update(places)
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_unconfigure(config):
    saved = getattr(config, "_week6_saved_env", None)
    if saved is None:
        return
    shutil.rmtree(os.environ[SESSION_DIR_ENV], ignore_errors=True)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _global_state():
    environ = {k: v for k, v in os.environ.items() if k not in VOLATILE_ENV}
    return os.getcwd(), environ, tempfile.tempdir, np.random.get_state(legacy=False)


def _differences(before, after):
    (cwd, environ, tempdir, random_state), (cwd2, environ2, tempdir2, random_state2) = before, after
    found = []
    if cwd != cwd2:
        found.append(f"the working directory ({cwd} -> {cwd2})")
    changed = sorted(k for k in set(environ) | set(environ2) if environ.get(k) != environ2.get(k))
    if changed:
        found.append(f"environment variables {changed}")
    if tempdir != tempdir2:
        found.append(f"tempfile.tempdir ({tempdir!r} -> {tempdir2!r})")
    if not _same_random_state(random_state, random_state2):
        found.append("numpy's global random state (np.random.seed or np.random.<draw>: use a Generator)")
    return found


def _same_random_state(a, b):
    """np.random.get_state(legacy=False) dicts: equal, key array included."""
    return (a["bit_generator"] == b["bit_generator"] and np.array_equal(a["state"]["key"], b["state"]["key"])
            and a["state"]["pos"] == b["state"]["pos"] and a["has_gauss"] == b["has_gauss"] and a["gauss"] == b["gauss"])


def _restore(state):
    cwd, environ, tempdir, random_state = state
    os.chdir(cwd)
    for name in [k for k in os.environ if k not in environ and k not in VOLATILE_ENV]:
        del os.environ[name]
    os.environ.update(environ)
    tempfile.tempdir = tempdir
    np.random.set_state(random_state)


@pytest.fixture(autouse=True)
def leaves_no_global_state():
    """Fails the test that changed the process's global state (then puts it back)."""
    before = _global_state()
    yield
    found = _differences(before, _global_state())
    if found:
        _restore(before)
        pytest.fail("the test changed global state for the tests after it: " + "; ".join(found), pytrace=False)


CELL_IDS = install_counted_cell_ids()


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    with CELL_IDS.making(fixturedef.argname.replace("_", "-")):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    with CELL_IDS.making("test"):
        yield
