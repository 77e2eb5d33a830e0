"""Trees a hostile notebook makes in its working directory, made here to test and measure the
grader's walks (grader/kernel/kernel_files.py, grader/kernel/disk_quota.py)."""
import os
from pathlib import Path


def nested(top, levels, name="d"):
    """``levels`` directories ``name`` nested below ``top``, made by descriptors (deeper than PATH_MAX
    allows by name); returns an open descriptor of the deepest, for the caller to close."""
    fd = os.open(top, os.O_RDONLY)
    for _ in range(levels):
        os.mkdir(name, dir_fd=fd)
        inner = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    return fd


def wide(top, folders, files):
    """``folders`` folders of ``files`` empty files each, below ``top``."""
    for k in range(folders):
        folder = Path(top) / f"{k:03d}"
        folder.mkdir()
        for n in range(files):
            (folder / f"{n:05d}").touch()
