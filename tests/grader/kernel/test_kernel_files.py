"""The grader's reads, writes, walks and removals in the kernel's folders (grader/kernel/kernel_files.py):
no link followed, no open that can block, any depth, a bounded number of descriptors.

Each read is run in a thread with a deadline: a read that blocked (a FIFO opened without O_NONBLOCK
waits for a writer forever) fails the test instead of hanging it.
"""
import os
import socket
import threading

import pytest

from grader.kernel.kernel_files import HELD_LEVELS, KernelDir, TreeMoved, read_regular, read_tail, remove_tree, walk
from tests.robustness.trees import nested

DEADLINE = 10.0


def within_deadline(function, *args):
    """function(*args), or a failed test when it does not return within DEADLINE seconds."""
    done = {}
    thread = threading.Thread(target=lambda: done.setdefault("value", function(*args)), daemon=True)
    thread.start()
    thread.join(DEADLINE)
    assert not thread.is_alive(), f"{function.__name__}{args} blocked"
    return done["value"]


def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def planted(tmp_path):
    """A folder as a hostile kernel leaves it: a plain file and, in the places of others, a FIFO, a
    socket, links to a file and a directory outside, a device, a directory, an oversized file."""
    secret = tmp_path / "grader-secret.json"
    secret.write_text('{"status": "ok"}')
    folder = tmp_path / "kernel"
    folder.mkdir()
    (folder / "plain.json").write_text('{"status": "ok"}')
    os.mkfifo(folder / "fifo.json")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(folder / "socket.json"))
    (folder / "link.json").symlink_to(secret)
    (folder / "dirlink").symlink_to(tmp_path)
    (folder / "device").symlink_to("/dev/zero")
    (folder / "dir.json").mkdir()
    (folder / "big.npy").write_bytes(b"b" * 2000)
    yield folder
    server.close()


def test_only_a_plain_file_of_reasonable_size_is_read(planted):
    assert within_deadline(read_regular, planted / "plain.json", 1000) == b'{"status": "ok"}'
    for name in ("fifo.json", "socket.json", "link.json", "device", "dir.json", "missing.json"):
        assert within_deadline(read_regular, planted / name, 1000) is None, name
    assert within_deadline(read_regular, planted / "big.npy", 1999) is None
    assert within_deadline(read_regular, "/dev/zero", 1000) is None         # a device, even named directly
    assert within_deadline(read_tail, planted / "fifo.json", 100) == b""
    assert within_deadline(read_tail, planted / "big.npy", 3) == b"bbb"


def test_a_held_directory_reads_what_it_holds_whatever_its_name_becomes(planted, tmp_path):
    with KernelDir.open(planted) as folder:
        assert folder.read("plain.json", 1000) == b'{"status": "ok"}'
        assert within_deadline(folder.read, "fifo.json", 1000) is None
        assert folder.exists("fifo.json") and not folder.is_file("fifo.json") and not folder.is_file("link.json")
        assert not folder.exists("missing.json")
        planted.rename(tmp_path / "moved")                  # the kernel renames the folder, plants its own
        (tmp_path / "kernel").mkdir()
        (tmp_path / "kernel" / "plain.json").write_text("forged")
        assert folder.read("plain.json", 1000) == b'{"status": "ok"}'
        with pytest.raises(OSError):                        # and no link is followed to reach a folder either
            KernelDir.open("dirlink", dir_fd=folder.fd)


def test_a_write_replaces_what_the_kernel_planted_and_never_goes_through_it(planted, tmp_path):
    os.close(nested(planted / "dir.json", 50))
    with KernelDir.open(planted) as folder:
        for name in ("fifo.json", "socket.json", "link.json", "dir.json", "dirlink"):
            within_deadline(folder.write, name, b"the grader's")
            assert folder.read(name, 100) == b"the grader's", name
    assert (tmp_path / "grader-secret.json").read_text() == '{"status": "ok"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grader-secret.json", "kernel"]


def test_a_name_the_kernel_keeps_taking_is_given_up(tmp_path, monkeypatch):
    folder = KernelDir.open(tmp_path)
    real_open = os.open

    def contested(path, flags, *args, **kwargs):
        if path == "plan.json" and flags & os.O_EXCL:
            raise FileExistsError(path)       # the kernel made it again between the removal and the open
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", contested)
    with pytest.raises(OSError, match="kept taking its place"):
        folder.write("plan.json", b"{}")
    monkeypatch.undo()
    folder.close()


@pytest.mark.parametrize("levels", [120, 10_000])
def test_a_walk_counts_every_level_with_a_few_descriptors(tmp_path, levels, nested_tree):
    os.close(nested_tree(tmp_path, levels))
    before = open_descriptors()
    top = os.open(tmp_path, os.O_RDONLY)
    most = 0
    entries = 0
    for _ in walk(top):
        entries += 1
        most = max(most, open_descriptors())
    os.close(top)
    assert entries == levels
    assert most <= before + HELD_LEVELS + 4, f"{most - before} descriptors held for {levels} levels"
    assert open_descriptors() == before


def test_a_walk_stops_when_a_deep_directory_is_moved_away(tmp_path):
    os.close(nested(tmp_path, HELD_LEVELS + 10))
    top = os.open(tmp_path, os.O_RDONLY)
    seen = 0
    with pytest.raises(TreeMoved):
        for parents, name, _, _ in walk(top):
            seen += 1
            if len(parents) == HELD_LEVELS + 5 and seen == len(parents) + 1:
                # the directory being walked, below the levels the walk holds, moves elsewhere: its ".." is
                # no longer the directory the walk came from
                os.rename(tmp_path.joinpath(*parents), tmp_path / "elsewhere")
    os.close(top)
    assert seen == HELD_LEVELS + 10        # what it had entered, then no step up into tmp_path itself


def test_a_tree_of_any_depth_is_removed_without_following_links(tmp_path, nested_tree):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("the grader's")
    tree = tmp_path / "tree"
    tree.mkdir()
    deepest = nested_tree(tree, 3_000)          # shutil.rmtree raises RecursionError past ~1,000 levels
    os.symlink(outside, "link", dir_fd=deepest)
    os.mkfifo("fifo", dir_fd=deepest)
    os.close(deepest)
    remove_tree(tree)
    assert not tree.exists()
    assert (outside / "keep.txt").read_text() == "the grader's"


def test_what_cannot_be_removed_stays_and_the_removal_ends(tmp_path, monkeypatch):
    tree = tmp_path / "tree"
    (tree / "locked").mkdir(parents=True)
    (tree / "locked" / "file").write_text("x")
    (tree / "free.txt").write_text("y")
    real_unlink = os.unlink

    def refusing(path, *args, **kwargs):       # as a read-only directory refuses a user who is not root
        if path == "file":
            raise PermissionError(path)
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refusing)
    within_deadline(remove_tree, tree)
    monkeypatch.undo()
    assert (tree / "locked" / "file").exists() and not (tree / "free.txt").exists()
