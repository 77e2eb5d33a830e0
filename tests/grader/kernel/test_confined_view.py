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
