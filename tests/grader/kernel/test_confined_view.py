"""What a confined kernel sees (grader/kernel/confined_view.py): none of the project's packages, even
where someone installed the project into the venv the kernel runs from."""
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:     # Python 3.10
    import tomli as tomllib

from grader.kernel import bwrap, sandbox_uid
from grader.kernel.confined_view import PROJECT_PACKAGES, sandbox_env

ROOT = Path(__file__).resolve().parents[3]
INSTALLED = sorted({name.split(".")[0] for name in
                    tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]})


def test_every_package_the_project_installs_is_hidden():
    assert set(INSTALLED) <= set(PROJECT_PACKAGES), sorted(set(INSTALLED) - set(PROJECT_PACKAGES))


def test_bwrap_covers_the_installed_project_with_empty_directories(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    for name in INSTALLED:
        (site / name).mkdir(parents=True)
    monkeypatch.setattr(bwrap, "site_packages", lambda: [str(site)])
    args = bwrap.bwrap_args(tmp_path / "work")
    covered = {args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--tmpfs"}
    assert {str(site / name) for name in INSTALLED} <= covered


def test_the_uid_level_reads_nothing_of_the_installed_project(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    for name in INSTALLED:
        (site / name).mkdir(parents=True)
        (site / name / "__init__.py").write_text("")
    (site / "numpy_like").mkdir()
    monkeypatch.setattr(sandbox_uid, "site_packages", lambda: [str(site)])
    monkeypatch.setattr(sandbox_uid, "python_paths", lambda: [str(site)])
    monkeypatch.setattr(sandbox_uid, "_check_reachable", lambda path, what: None)   # tmp_path is root's 0700
    readable = sandbox_uid._policy(tmp_path / "work", 12345)["read"]
    assert str(site / "numpy_like") in readable
    assert not [path for path in readable if any(path.startswith(str(site / name)) for name in INSTALLED)], readable


def test_the_environment_points_nowhere_into_the_project(tmp_path):
    assert not [value for value in sandbox_env(tmp_path).values() if str(ROOT) in value]


def test_the_font_cache_is_found_without_importing_matplotlib(tmp_path):
    """Importing matplotlib to name its font list cost 0.2 s before the kernel could start (issue 25):
    where the list is, the grader names the file matplotlib itself names, and matplotlib stays unloaded."""
    import subprocess
    import sys
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MPLBACKEND": "Agg"}
    code = ("import os, sys\nfrom grader.kernel.confined_view import matplotlib_font_cache\n"
            "found = matplotlib_font_cache()\nloaded = 'matplotlib' in sys.modules\n"
            "import matplotlib\nfrom matplotlib import font_manager\n"
            "named = os.path.realpath(os.path.join(matplotlib.get_cachedir(), "
            "f'fontlist-v{font_manager.FontManager.__version__}.json'))\n"
            "print(found == named, loaded, found)\n")
    for env_extra in ({}, {"MPLCONFIGDIR": str(tmp_path / "mpl")}, {"XDG_CACHE_HOME": str(tmp_path / "xdg")}):
        run_env = {**env, **env_extra}
        built = subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], cwd=ROOT, env=run_env,
                               capture_output=True, text=True, timeout=300)
        assert built.returncode == 0, built.stderr
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=run_env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split()[:2] == ["True", "False"], (env_extra, done.stdout)
        assert str(tmp_path) in done.stdout
