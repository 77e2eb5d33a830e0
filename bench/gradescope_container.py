"""Time a student waits on Gradescope: the autograder image in a real Docker container.

In the image ``make gradescope`` builds into (tools/gradescope_docker.py: a Debian bookworm base,
setup.sh in the build, as Gradescope does), REPS fresh containers under the engine's default
seccomp profile, each timed from ``docker run`` until it runs a command (**container start**),
then, in the same container, in an order that alternates:

* **bare**: ``python -m nbconvert --to notebook --execute`` of examples/example_submission.ipynb
  with the image's venv, as root, unconfined, in a directory holding what the grader's working
  directory holds (``data/*.mat`` and the self-check files the notebook imports);
* **run_autograder**: ``/autograder/run_autograder`` on the same notebook, as Gradescope's harness
  runs it (``docker exec``), wall time seen from outside.

Medians, the ratio run_autograder / bare (aim: <= 1.3), and where run_autograder's extra seconds
go: its stages from results.json's ``extra_data.timings``, and what lies outside the grading's own
clock (the interpreter's start, imports, the sandbox check). Without a Docker engine (or, for a
first build, without root for debootstrap) it prints why and measures nothing:
``tools/with-dockerd .venv/bin/python -m bench gradescope_container`` runs it with an engine of its own.
"""
import os
import statistics
import tempfile
import time
from pathlib import Path

from assignment import BASE_POINTS, BONUS_POINTS
from grader.gradescope.autograder import build_autograder_zip
from student_template.week6_selfcheck import NOTEBOOK_FILES
from tools import gradescope_docker

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "example_submission.ipynb"
REPS = int(os.environ.get("GRADESCOPE_BENCH_REPS", "3"))
SUITE = "bookworm"
BARE_DIR = "/tmp/bare"
# the grader's working directory holds the data and the self-check; the bare run gets the same
# (and the notebook itself: nbconvert runs the kernel in the notebook's directory)
BARE_SETUP = (f"mkdir -p {{dir}} && cp {gradescope_docker.SUBMISSION} /autograder/source/data/*.mat {{dir}}/ && "
              + " && ".join(f"cp /autograder/source/student_template/{name} {{dir}}/" for name in NOTEBOOK_FILES))
BARE = ["/autograder/venv/bin/python", "-m", "nbconvert", "--to", "notebook", "--execute",
        "--ExecutePreprocessor.kernel_name=python3", "--ExecutePreprocessor.timeout=600",
        "--output", f"{BARE_DIR}/executed.ipynb", f"{BARE_DIR}/{Path(gradescope_docker.SUBMISSION).name}"]
KERNEL_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


def _image():
    """The autograder image of this tree, built (or found in the engine's layer cache): a Build."""
    directory = Path(tempfile.mkdtemp(prefix="week6-bench-zip-"))
    try:
        zip_path = build_autograder_zip(directory / "autograder.zip")
        return gradescope_docker.build_image(zip_path, gradescope_docker.base_image(SUITE), fresh=False)
    finally:
        for path in directory.iterdir():
            path.unlink()
        directory.rmdir()


def _one_round(tag, notebook_text, bare_first):
    """(container start, bare seconds, run_autograder seconds, its results) in one fresh container."""
    with gradescope_docker.Container(tag) as box:
        box.write(gradescope_docker.SUBMISSION, notebook_text)
        box.exec("sh", "-c", BARE_SETUP.format(dir=BARE_DIR))
        timings = {}
        for which in (("bare", "grader") if bare_first else ("grader", "bare")):
            if which == "bare":
                started = time.monotonic()
                done = box.exec(*BARE, workdir=BARE_DIR, env=KERNEL_ENV, check=False)
                timings["bare"] = time.monotonic() - started
                if done.returncode != 0:
                    raise RuntimeError(f"the bare execution failed: {done.stderr[-2000:]}")
            else:
                grading = box.grade(notebook_text)
                timings["grader"] = grading.seconds
                results = grading.results
                if results["extra_data"]["status"] != "graded" or results["score"] != BASE_POINTS + BONUS_POINTS:
                    raise RuntimeError(f"run_autograder did not give the example full marks: {results['output'][:2000]}")
        return box.start_seconds, timings["bare"], timings["grader"], results


def run():
    problem = gradescope_docker.engine_problem()
    if problem:
        print(f"skipped: {problem}\n  Run it with an engine of its own (as root): "
              "tools/with-dockerd .venv/bin/python -m bench gradescope_container")
        return
    try:
        build = _image()
    except Exception as error:          # no base image (debootstrap needs root), the engine failing
        print(f"skipped: no autograder image: {error}")
        return
    if not build.ok:
        raise RuntimeError(f"the autograder image did not build:\n{build.log[-3000:]}")
    tag = build.tag
    print(f"Docker {gradescope_docker.engine_version()}, image {tag} (build {build.seconds:.0f} s); "
          f"load at start: {os.getloadavg()[0]:.1f}")
    notebook_text = NOTEBOOK.read_text(encoding="utf-8")
    rounds = [_one_round(tag, notebook_text, bare_first=rep % 2 == 0) for rep in range(REPS)]
    starts, bares, graders = ([r[i] for r in rounds] for i in range(3))
    print(f"\n{REPS} containers, medians (all runs):")
    print(f"  container start      {statistics.median(starts):6.2f} s   {' '.join(f'{s:.2f}' for s in starts)}")
    print(f"  bare (nbconvert)     {statistics.median(bares):6.2f} s   {' '.join(f'{s:.2f}' for s in bares)}")
    print(f"  run_autograder       {statistics.median(graders):6.2f} s   {' '.join(f'{s:.2f}' for s in graders)}")
    ratio = statistics.median(graders) / statistics.median(bares)
    per_round = [g / b for g, b in zip(graders, bares)]
    print(f"  run_autograder / bare: {ratio:.2f} (aim <= 1.3); per container {statistics.median(per_round):.2f} "
          f"median ({' '.join(f'{r:.2f}' for r in per_round)})")
    print(f"  sandbox: {rounds[0][3]['extra_data']['sandbox']}, score {rounds[0][3]['score']:g} in every round")
    print("\nwhere run_autograder's seconds go (medians):")
    stage_names = list(rounds[0][3]["extra_data"].get("timings", {}))
    stages = {name: statistics.median(r[3]["extra_data"]["timings"].get(name, 0.0) for r in rounds)
              for name in stage_names}
    for name, seconds in stages.items():
        if seconds >= 0.05:
            print(f"  {name:28s} {seconds:6.2f} s")
    outside = statistics.median(g - r[3]["execution_time"] for g, r in zip(graders, rounds))
    print(f"  {'outside the grading clock':28s} {outside:6.2f} s   (interpreter start, imports, sandbox check, "
          "docker exec)")
    print(f"load at end: {os.getloadavg()[0]:.1f}")
