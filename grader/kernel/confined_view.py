"""What a confined kernel sees, at the bwrap and uid levels alike: the directories its Python
needs, the few files of ``/etc`` it may read, the project's packages it must never import, and
its whole environment (nothing of the grader's, nothing pointing into the project).
"""
import functools
import importlib.util
import os
import re
import sys


RUNTIME_DIR = "{runtime_dir}"       # replaced by the kernel session with its runtime directory
KERNEL_LOG = "kernel-stderr.log"    # in the runtime directory: the kernel's stderr (stdout goes nowhere)
# Files of /etc a Python process may read: the dynamic linker's cache, time zone, fonts (matplotlib).
ETC_FILES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
             "/etc/fonts", "/etc/alternatives", "/etc/nsswitch.conf", "/etc/mime.types"]
# Top-level directories that are part of the OS; /usr is bound, these are bound or linked as on the host.
SYSTEM_TOPS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
# Packages that must never be importable inside, even if someone pip-installed the project into the venv
# (every top-level package pyproject.toml installs, and the repository's other folders of code).
PROJECT_PACKAGES = ["project", "reference", "assignment", "grader", "student_template", "tests", "bench", "examples", "tools"]


def python_paths():
    """The directories the kernel's Python needs: the venv and the base installation (real paths)."""
    paths = []
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        real = os.path.realpath(prefix)
        if real not in paths:
            paths.append(real)
    executable = os.path.realpath(sys.executable)        # e.g. the venv's python -> the base's
    if not any(executable.startswith(p.rstrip("/") + "/") for p in paths):
        paths.append(os.path.dirname(os.path.dirname(executable)))
    # a prefix inside another needs no bind of its own
    return [p for p in paths if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in paths)]


def site_packages():
    import site
    try:
        return [p for p in site.getsitepackages() if os.path.isdir(p)]
    except AttributeError:
        return []


# The version matplotlib gives its font list's format (FontManager.__version__, part of the file's name).
FONT_LIST_VERSION = re.compile(r"^class FontManager\b.*?^    __version__ = ['\"]([^'\"]+)['\"]", re.S | re.M)


@functools.lru_cache(maxsize=None)
def matplotlib_font_cache():
    """The grader's own matplotlib font cache file (built here if missing), or None."""
    found = _font_cache_on_disk()
    if found is not None:
        return found
    try:
        import matplotlib
        from matplotlib import font_manager     # loads the cache, or builds and saves it
        path = os.path.realpath(os.path.join(matplotlib.get_cachedir(),
                                             f"fontlist-v{font_manager.FontManager.__version__}.json"))
    except Exception:   # no matplotlib, or its private cache name changed: the kernel builds its own
        return None
    return path if os.path.isfile(path) else None


def _font_cache_on_disk():
    """The font list matplotlib keeps, when it is there, found without importing matplotlib, or None.

    Importing matplotlib and its font manager to learn the file's name cost 0.17-0.3 s on the
    critical path, before the kernel could start (issue 25): the name is read from the font
    manager's source instead, in the cache directory matplotlib picks on Linux (``MPLCONFIGDIR``,
    else ``$XDG_CACHE_HOME/matplotlib``, else ``~/.cache/matplotlib``). Anything else (another
    system, no such file yet) is left to matplotlib itself."""
    if not sys.platform.startswith("linux"):
        return None
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        with open(os.path.join(spec.submodule_search_locations[0], "font_manager.py"), encoding="utf-8") as source:
            version = FONT_LIST_VERSION.search(source.read())
    except (OSError, UnicodeDecodeError):
        return None
    if version is None:
        return None
    cache_dir = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "matplotlib")
    path = os.path.realpath(os.path.join(cache_dir, f"fontlist-v{version.group(1)}.json"))
    return path if os.path.isfile(path) else None


def sandbox_env(workdir):
    """The kernel's whole environment: nothing from the grader's, nothing pointing into the project."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "USER": "student", "LOGNAME": "student",
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython", "JUPYTER_CONFIG_DIR": "/tmp/jupyter",
        "JUPYTER_DATA_DIR": "/tmp/jupyter/data", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter/runtime",
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
        # the kernel's parent is the sandbox's init, pid 1: ipykernel then neither polls it nor prints a banner
        "JPY_PARENT_PID": "1",
        # no ANSI colours from CPython 3.13+ (ipykernel sets FORCE_COLOR=1; these two win over it, in the
        # kernel and its children): a thread's or a child's traceback, argparse's errors reach the pages as text
        "PYTHON_COLORS": "0", "NO_COLOR": "1",
    }
