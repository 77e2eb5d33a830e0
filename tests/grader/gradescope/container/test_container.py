"""The autograder zip built into an image as Gradescope builds it, and graded in real containers.

Under three seccomp profiles: the engine's own default, moby's current default (Docker 29), and
Docker 20.10.17's default, the last without the Landlock calls. In each, the example gets 105, and
a hostile notebook (tests/grader/gradescope/container/hostile.py) keeps its honest 105 and nothing
more: nothing of reference/ in anything the student sees, results.json unchanged after the run, no
process and no file of the notebook's left. On a base whose python3 the grader does not support,
the build stops and names the images to choose.
"""
import json
import os
import re
import secrets
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from project import PROJECT_ROOT
from grader.kernel.uid_slots import UID_BASE, UID_SLOTS
from tests.grader.gradescope.container.hostile import SUMMARY, hostile_notebook
from tests.robustness.harness import reference_leaks
from tests.robustness.make_corpus import FULL_MARKS, LEAK
from tools.gradescope_docker import RESULTS, Container

PROFILES_DIR = Path(__file__).with_name("profiles")
# name -> (seccomp profile file, None for the engine's own default; whether Landlock works under it)
PROFILES = {
    "engine default": (None, True),
    "moby current (profiles v0.2.3, Docker 29)": (PROFILES_DIR / "moby-profiles-v0.2.3.json", True),
    "Docker 20.10.17 default": (PROFILES_DIR / "docker-20.10.17.json", False),
}
EXAMPLE = PROJECT_ROOT / "examples" / "example_submission.ipynb"
EXECUTED = "/autograder/grader-output/week6_backprop/week6_backprop.executed.ipynb"
WITH_LANDLOCK = "sandbox: uid, Landlock ABI "
WITHOUT_LANDLOCK = "sandbox: uid without Landlock (a seccomp filter refuses the Landlock calls (ENOSYS)"
SETTLE = 5.0            # seconds after run_autograder returns: a surviving writer would have struck by then
# Every file of the kernel's uids left anywhere (the container's file systems, /dev/shm its own), and the
# files named with the attack's token.
TRACES = "find / /dev/shm -xdev \\( -uid +{below} -o -name '*{token}*' \\) -print 2>/dev/null; true"
# {path: text} of every file below a directory (the grader's output for the submission)
TEXTS = """
import json, os, sys
found = {}
for top, dirs, files in os.walk(sys.argv[1]):
    for name in files:
        with open(os.path.join(top, name), encoding="utf-8", errors="replace") as handle:
            found[os.path.join(top, name)] = handle.read()
print(json.dumps(found))
"""


@contextmanager
def outside_kernels():
    """Watches, while a grading runs in a container, for kernels of other graders on this machine
    outside any container (this pid namespace, a kernel uid): a grader older than the fix of
    processes_of (grader/kernel/uid_slots.py) kills every process of its kernel's uid it sees,
    the container's too. Yields a set of (pid, uid, command) that fills as they are seen."""
    def depth(pid):         # how many pid namespaces it is in: a container's processes are one deeper
        return len(next(line for line in open(f"/proc/{pid}/status") if line.startswith("NSpid:")).split()) - 1

    seen, stop, own = set(), threading.Event(), depth("self")

    def sample():
        while not stop.wait(0.2):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    uid = os.stat(f"/proc/{pid}").st_uid
                    if UID_BASE <= uid < UID_BASE + UID_SLOTS and depth(pid) == own:
                        command = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
                        seen.add((int(pid), uid, command[:100]))
                except (OSError, StopIteration):        # gone meanwhile; no NSpid before Linux 4.1
                    pass

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        stop.set()
        watcher.join()


def _disturbed(seen):
    if not seen:
        return ""
    return (f"\n(While it ran, {len(seen)} kernels of other graders ran on this machine outside the container, "
            f"at the same uids, e.g. {sorted(seen)[:3]}: a grader older than the pid-namespace check of "
            "uid_slots.processes_of kills the container's kernels with its own.)")


def _sandbox_line(stdout, landlock):
    expected = WITH_LANDLOCK if landlock else WITHOUT_LANDLOCK
    assert expected in stdout, f"run_autograder does not say {expected!r}:\n{stdout[-3000:]}"
    return next(line for line in stdout.splitlines() if line.startswith("sandbox: "))


def _graded(grading, seen):
    results = grading.results
    assert grading.status == 0, grading.stdout[-3000:] + _disturbed(seen)
    assert results["extra_data"]["status"] == "graded", results["output"][:3000] + _disturbed(seen)
    assert results["extra_data"]["sandbox"] == "uid"
    return results


def _cell_outputs(notebook_text):
    """{the hostile cell's label: its outputs as text} of the executed notebook."""
    outputs = {}
    for cell in json.loads(notebook_text)["cells"]:
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "code" and source.startswith("# week6-robustness: "):
            label = source.splitlines()[0].split(": ", 1)[1]
            outputs[label] = "".join(
                "".join(out.get("text", "")) if out.get("output_type") == "stream"
                else f"{out.get('ename')}: {out.get('evalue')}" if out.get("output_type") == "error"
                else json.dumps(out.get("data", {})) for out in cell.get("outputs", []))
    return outputs


def test_the_build_closes_the_grader_and_logs_the_sandbox(image):
    assert "root-only: /autograder/source" in image.log and "root-only: /autograder/reference-cache" in image.log
    assert "auto picks: uid" in image.log, image.log[-3000:]
    with Container(image.tag) as box:
        modes = box.exec("stat", "-c", "%a %n", "/autograder", "/autograder/source", "/autograder/reference-cache",
                         "/autograder/run_autograder", "/autograder/results", "/autograder/venv").stdout.split("\n")
    assert modes[:6] == ["755 /autograder", "700 /autograder/source", "700 /autograder/reference-cache",
                         "700 /autograder/run_autograder", "700 /autograder/results", "755 /autograder/venv"], modes


@pytest.mark.parametrize("profile", PROFILES)
def test_the_example_gets_full_marks(image, profile, record):
    seccomp, landlock = PROFILES[profile]
    with Container(image.tag, seccomp) as box, outside_kernels() as seen:
        grading = box.grade(EXAMPLE.read_text(encoding="utf-8"))
        left = box.processes()
    results = _graded(grading, seen)
    line = _sandbox_line(grading.stdout, landlock)
    record(f"{profile}: example", f"{results['score']:g} points, container start {box.start_seconds:.1f} s, "
                                  f"run_autograder {grading.seconds:.1f} s")
    record(f"{profile}: sandbox", line.split(";")[0][len("sandbox: "):][:110])
    assert results["score"] == pytest.approx(FULL_MARKS), results["output"][:3000] + _disturbed(seen)
    assert all(test["status"] == "passed" for test in results["tests"]), \
        [test["name"] for test in results["tests"] if test["status"] != "passed"]
    assert left == [], f"processes left after grading: {left}"


@pytest.mark.parametrize("profile", PROFILES)
def test_a_hostile_notebook_keeps_its_honest_points_and_nothing_more(image, profile, record):
    seccomp, landlock = PROFILES[profile]
    token = f"week6-escape-{secrets.token_hex(4)}"
    submitted, _ = hostile_notebook(token)
    earlier = f"an earlier submission's hidden output {token}"
    with Container(image.tag, seccomp) as box, outside_kernels() as seen:
        grading = box.grade(submitted.decode("utf-8"), {"previous_submissions": [{"results": {"output": earlier}}]})
        time.sleep(SETTLE)
        rewritten = box.read(RESULTS)
        left = box.processes()
        traces = box.exec("sh", "-c", TRACES.format(below=UID_BASE - 1, token=token)).stdout.split()
        written = json.loads(box.exec("python3", "-c", TEXTS, "/autograder/grader-output").stdout)
    results = _graded(grading, seen)
    line = _sandbox_line(grading.stdout, landlock)
    outputs = _cell_outputs(written[EXECUTED])
    record(f"{profile}: hostile", f"{results['score']:g} points, container start {box.start_seconds:.1f} s, "
                                  f"run_autograder {grading.seconds:.1f} s; "
                                  f"{outputs.get('shared-fill', '').strip().splitlines()[-1:]}")
    assert results["score"] == pytest.approx(FULL_MARKS), results["output"][:3000] + _disturbed(seen)
    assert rewritten == grading.results_text, "results.json changed after run_autograder returned"
    assert left == [], f"processes left after grading: {left}"
    assert traces == [], f"files of the notebook left after grading: {traces[:20]}"
    # what the student sees (results.json) and everything else the grader wrote for the submission
    shown = {"results.json": grading.results_text, **written}
    assert reference_leaks(shown, submitted) == []
    assert not [name for name, text in shown.items() if earlier in text], "the submission metadata was read"
    leaks = [said for text in outputs.values() for said in text.splitlines() if said.startswith(LEAK)]
    assert leaks == [], leaks
    attacks = re.search(re.escape(SUMMARY) + r" (\d+) of (\d+)", outputs.get("grader-attacks", ""))
    assert attacks and attacks.group(1) == attacks.group(2) and int(attacks.group(2)) > 40, outputs.get("grader-attacks")
    assert "read 0 grader files; walk complete" in outputs.get("read-grader-files", ""), outputs.get("read-grader-files")
    for place in ("/tmp", "/var/tmp", "/dev/shm"):
        refused = f"refused: fill {place} after 0 bytes"
        assert (refused in outputs["shared-fill"]) == landlock, (line, outputs["shared-fill"])


def test_a_base_with_an_unsupported_python_stops_the_build_naming_the_images(unsupported_build):
    low, high = subprocess.run([str(PROJECT_ROOT / "tools" / "find-python"), "--supported"], capture_output=True,
                               text=True, check=True).stdout.split()
    log = unsupported_build.log
    assert not unsupported_build.ok, log[-3000:]
    assert f"supports CPython {low} to {high}" in log, log[-3000:]
    assert re.search(r"base image.*Ubuntu \d\d\.04|Ubuntu \d\d\.04.*base image", log), log[-3000:]
    assert " -m venv " not in log, "setup.sh went on past the refusal"
