"""Pretend interpreters for the tests of tools/find-python and of the scripts that use it.

``fake_python`` is this very Python told it is another version: find-python's own probe runs in it,
so the version it reads is the one it decides on. ``tool_path`` is a PATH of only the fakes and the
few system tools the scripts use, so the machine's own Pythons stay out.
"""
import shutil
import sys
from pathlib import Path

TOOLS = ("bash", "sh", "sed", "seq", "dirname", "cksum", "cut", "cat", "rm", "mkdir", "env")


def tool_path(tmp_path):
    """(directory for fake interpreters, PATH of it and of the system tools the scripts need)."""
    fakes, tools = tmp_path / "fakes", tmp_path / "tools"
    fakes.mkdir()
    tools.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, f"{tool} is not on PATH"
        (tools / tool).symlink_to(found)
    return fakes, f"{fakes}:{tools}"


def fake_python(directory, name, version, implementation="cpython"):
    """An executable ``directory/name`` that runs find-python's probe as CPython ``version``; its path."""
    major, minor, micro = map(int, version.split("."))
    path = Path(directory) / name
    pretend = (f"import sys, types; sys.version_info = ({major}, {minor}, {micro}, 'final', 0); "
               f"sys.implementation = types.SimpleNamespace(name={implementation!r}); "
               f"sys.executable = {str(path)!r}; exec(sys.argv[1])")
    path.write_text(f'#!/bin/sh\n[ "$1" = -I ] && [ "$2" = -c ] || exit 99\n'
                    f'exec {sys.executable} -I -c "{pretend}" "$3"\n')
    path.chmod(0o755)
    return path


def broken_shim(directory, name):
    """Like a pyenv shim for a version that is installed but not selected: found on PATH, exits 127."""
    path = Path(directory) / name
    path.write_text("#!/bin/sh\necho \"pyenv: $0: command not found\" >&2\nexit 127\n")
    path.chmod(0o755)
    return path
