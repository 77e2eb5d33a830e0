"""Files in the places a kernel can write, as the grader touches them: never following a link,
never blocking, at any depth.

The kernel may write its working directory, its runtime directory and the probes' output
folders, and at the bwrap level it is the grader's own uid outside: whatever the grader opens
there may have been swapped, at any moment, for a symbolic link (to a file of the grader's, or
to another submission's results), a FIFO (``open`` waits for a writer forever), a socket, a
device, a directory, or a tree nested deeper than ``PATH_MAX`` or than Python's recursion
limit. So every read of such a file goes through :func:`read_regular` or
:meth:`KernelDir.read` (``O_NOFOLLOW | O_NONBLOCK``, ``fstat`` must say a regular file, at most
``max_bytes``), every write through :meth:`KernelDir.write` (a new file, created exclusively),
every directory is reached from a descriptor of its parent without following a link
(:class:`KernelDir`), and trees are walked and removed by :func:`walk` and :func:`remove_tree`,
which hold a bounded number of descriptors and no recursion whatever the depth (going back up
by ``..``, checked against the directory they came from).
"""
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
HELD_LEVELS = 32            # a walk keeps the descriptors of this many levels; deeper ones it reopens by ".."
WRITE_ATTEMPTS = 5          # a name the kernel keeps re-creating is given up after this many tries


class TreeMoved(OSError):
    """A directory being walked was moved or replaced meanwhile (by the kernel): the walk stops."""


def _read_fd(fd: int, max_bytes: int) -> bytes | None:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        return None
    chunks, size = [], 0
    while size <= max_bytes:
        chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks) if size <= max_bytes else None


def read_regular(path: str | os.PathLike, max_bytes: int, dir_fd: int | None = None) -> bytes | None:
    """The bytes of the regular file ``path`` (its last component not followed), or None: a link, a
    FIFO, a socket, a device, a directory, a missing file, or one larger than ``max_bytes``."""
    try:
        fd = os.open(path, READ_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        return _read_fd(fd, max_bytes)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_tail(path: str | os.PathLike, size: int) -> bytes:
    """The last ``size`` bytes of the regular file ``path`` (b"" for anything else), for a log."""
    try:
        fd = os.open(path, READ_FLAGS)
    except OSError:
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        end = os.lseek(fd, 0, os.SEEK_END)
        os.lseek(fd, max(0, end - size), os.SEEK_SET)
        return os.read(fd, size)
    except OSError:
        return b""
    finally:
        os.close(fd)


class KernelDir:
    """A directory the kernel can write, held open by the grader: its entries are reached from this
    descriptor (so the directory itself may be renamed or replaced by name without the grader
    following), and none of them is followed if it is a link."""

    def __init__(self, fd: int, path: Path):
        self.fd = fd
        self.path = Path(path)      # what the kernel is told, and what messages show

    @classmethod
    def open(cls, path: str | os.PathLike, dir_fd: int | None = None) -> "KernelDir":
        return cls(os.open(path, DIR_FLAGS, dir_fd=dir_fd), Path(path))

    @classmethod
    def make(cls, path: Path, mode: int = 0o755) -> "KernelDir":
        """A new directory ``path`` (its parent named by the grader), held open."""
        os.mkdir(path, mode)
        return cls.open(path)

    def make_dir(self, name: str, mode: int = 0o755) -> "KernelDir":
        """A new directory ``name`` in this one, held open."""
        os.mkdir(name, mode, dir_fd=self.fd)
        return KernelDir(os.open(name, DIR_FLAGS, dir_fd=self.fd), self.path / name)

    def read(self, name: str, max_bytes: int) -> bytes | None:
        """As :func:`read_regular`, for the entry ``name`` of this directory."""
        return read_regular(name, max_bytes, dir_fd=self.fd)

    def exists(self, name: str) -> bool:
        """Is there anything under ``name`` here (a link, a FIFO, a socket included)?"""
        try:
            os.stat(name, dir_fd=self.fd, follow_symlinks=False)
            return True
        except OSError:
            return False

    def is_file(self, name: str) -> bool:
        """Is ``name`` a regular file here (a link to one is not)?"""
        try:
            return stat.S_ISREG(os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode)
        except OSError:
            return False

    def write(self, name: str, data: bytes) -> Path:
        """Write ``data`` to a new regular file ``name`` here, removing first whatever the kernel put
        under that name (a link, a FIFO, a directory tree); OSError if it keeps putting one back."""
        for _ in range(WRITE_ATTEMPTS):
            self.remove(name)
            try:
                fd = os.open(name, WRITE_FLAGS, 0o644, dir_fd=self.fd)
            except FileExistsError:
                continue
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            return self.path / name
        raise OSError(f"{self.path / name} could not be written: something kept taking its place")

    def remove(self, name: str) -> None:
        """Remove the entry ``name`` (a file, a link itself, or a tree of any depth), if there is one."""
        try:
            os.unlink(name, dir_fd=self.fd)
            return
        except FileNotFoundError:
            return
        except (IsADirectoryError, PermissionError):       # a directory (EISDIR on Linux; EPERM elsewhere)
            pass
        except OSError:
            return
        remove_tree(name, dir_fd=self.fd)

    def chown(self, name: str, uid: int, gid: int) -> None:
        os.chown(name, uid, gid, dir_fd=self.fd, follow_symlinks=False)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> "KernelDir":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Cursor:
    """Where a walk is: one directory held open, and the way back up to the top.

    The descriptors of the first :data:`HELD_LEVELS` levels stay open; below them each parent is
    closed on the way down and reopened by ``..`` on the way up, which must lead back to the very
    directory (device and inode) it came from, or :class:`TreeMoved` is raised."""

    def __init__(self, fd: int):
        self.fd = fd
        self.trail: list[tuple[str, int | None, tuple[int, int]]] = []    # (name, parent fd or None, parent id)

    @property
    def depth(self) -> int:
        return len(self.trail)

    def down(self, name: str) -> bool:
        """Enter the subdirectory ``name``; False when it is not one (any more)."""
        try:
            child = os.open(name, DIR_FLAGS, dir_fd=self.fd)
        except OSError:
            return False
        info = os.fstat(self.fd)
        if len(self.trail) < HELD_LEVELS:
            self.trail.append((name, self.fd, (info.st_dev, info.st_ino)))
        else:
            self.trail.append((name, None, (info.st_dev, info.st_ino)))
            os.close(self.fd)
        self.fd = child
        return True

    def up(self) -> str:
        """Go back to the parent; the name of the directory left."""
        name, parent, identity = self.trail.pop()
        if parent is None:
            try:
                parent = os.open("..", DIR_FLAGS, dir_fd=self.fd)
            except OSError as error:
                raise TreeMoved(f"a directory being walked went away ({error})") from error
            info = os.fstat(parent)
            if (info.st_dev, info.st_ino) != identity:
                os.close(parent)
                raise TreeMoved("a directory being walked was moved meanwhile")
        os.close(self.fd)
        self.fd = parent
        return name

    def close(self) -> None:
        """Close every descriptor of the levels below the top (the top's stays, in ``fd``)."""
        for _, parent, _ in reversed(self.trail):
            if self.fd >= 0:
                os.close(self.fd)
            self.fd = parent if parent is not None else -1
        self.trail = []


def walk(top_fd: int, descend: Callable[[list, str, os.stat_result], bool] | None = None
         ) -> Iterator[tuple[list, str, os.stat_result, int]]:
    """Every entry below the directory ``top_fd``, depth first: ``(parents, name, lstat, dir_fd)``.

    ``parents`` is the live list of directory names from the top down to the entry's directory
    (read it at once, never keep it: it changes as the walk goes on) and ``dir_fd`` a descriptor of
    that directory, valid until the next entry (e.g. to remove the entry). Links are never
    followed; a directory is entered unless ``descend(parents, name, lstat)`` says no (or it is
    gone by then). Entries that vanish meanwhile are skipped; a directory moved away while it is
    walked (the kernel's doing) ends the walk with :class:`TreeMoved`. Stopping the generator
    early releases every descriptor it holds."""
    cursor = _Cursor(os.dup(top_fd))
    pending: list[list[str]] = [sorted(os.listdir(cursor.fd), reverse=True)]
    parents: list[str] = []
    try:
        while True:
            names = pending[-1]
            if not names:
                pending.pop()
                if not parents:
                    return
                cursor.up()
                parents.pop()
                continue
            name = names.pop()
            try:
                info = os.stat(name, dir_fd=cursor.fd, follow_symlinks=False)
            except OSError:
                continue
            yield parents, name, info, cursor.fd
            if stat.S_ISDIR(info.st_mode) and (descend is None or descend(parents, name, info)) and cursor.down(name):
                parents.append(name)
                try:
                    pending.append(sorted(os.listdir(cursor.fd), reverse=True))
                except OSError:
                    pending.append([])
    finally:
        cursor.close()
        os.close(cursor.fd)


def remove_tree(name: str | os.PathLike, dir_fd: int | None = None) -> None:
    """Remove the directory ``name`` and everything below it, at any depth, never following a link
    (a link is removed, not what it points to). Errors are ignored: what cannot be removed stays."""
    try:
        top = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except OSError:
        try:
            os.unlink(name, dir_fd=dir_fd)
        except OSError:
            pass
        return
    cursor, stuck = _Cursor(top), set()         # stuck: (device, inode) of directories that could not be emptied
    try:
        while True:
            entered = False
            try:
                names = os.listdir(cursor.fd)
            except OSError:
                names = []
            for entry in names:
                try:
                    os.unlink(entry, dir_fd=cursor.fd)
                except IsADirectoryError:
                    try:
                        info = os.stat(entry, dir_fd=cursor.fd, follow_symlinks=False)
                    except OSError:
                        continue
                    if (info.st_dev, info.st_ino) not in stuck and cursor.down(entry):
                        entered = True
                        break
                except OSError:
                    pass
            if entered:
                continue
            if not cursor.depth:
                break
            here = os.fstat(cursor.fd)
            left = cursor.up()
            try:
                os.rmdir(left, dir_fd=cursor.fd)
            except OSError:
                stuck.add((here.st_dev, here.st_ino))
    except TreeMoved:
        pass
    finally:
        cursor.close()
        os.close(cursor.fd)
    try:
        os.rmdir(name, dir_fd=dir_fd)
    except OSError:
        pass
