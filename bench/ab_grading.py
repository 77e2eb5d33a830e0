"""This tree's grader against another tree's, graded side by side in one run (issue 25).

``AB_BASE=DIR python -m bench ab_grading``: DIR is another checkout of the project (e.g.
``git worktree add /tmp/base main``, or ``git archive main | tar -x -C /tmp/base``), run with
this tree's venv. Without AB_BASE it prints so and measures nothing. ``AB_REPS=n`` (default 5)
repetitions, each grading the example once with either tree (``python -m grader grade``, a fresh
process each, the order alternating every repetition), each tree with its reference cache filled
by one cold grading first (not reported). A repetition's two gradings run one after the other,
under the same load: the ratio reported is the median of the per-repetition ratios, flagged like
grading_speed's when they disagree. Both must give the same score and status on every repetition.
Then both trees' median stage timings (``extra_data.timings``) side by side.
"""
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from bench.batch_throughput import load
from bench.grading_speed import DISAGREEMENT, ROOT, run_grader

REPS = int(os.environ.get("AB_REPS", "5"))
LEVEL = os.environ.get("AB_SANDBOX", "auto")


def run():
    base = os.environ.get("AB_BASE")
    if not base:
        print("AB_BASE is not set (a directory holding another checkout of the project): nothing to compare")
        return
    trees = {"base": Path(base).resolve(), "this": ROOT}
    caches = {name: Path(tempfile.mkdtemp(prefix=f"week6-bench-ab-cache-{name}-")) for name in trees}
    try:
        print(f"base {trees['base']}, this {ROOT}, sandbox {LEVEL}, {REPS} repetitions, load {load()}")
        for name, tree in trees.items():
            run_grader(LEVEL, caches[name], tree)     # the reference cache filled: not reported
        walls, results = {name: [] for name in trees}, {name: [] for name in trees}
        for rep in range(REPS):
            order = list(trees) if rep % 2 == 0 else list(reversed(trees))
            for name in order:
                seconds, result = run_grader(LEVEL, caches[name], trees[name])
                walls[name].append(seconds)
                results[name].append(result)
            print(f"  rep {rep + 1} ({' then '.join(order)}): base {walls['base'][-1]:.2f} s, this "
                  f"{walls['this'][-1]:.2f} s, this / base {walls['this'][-1] / walls['base'][-1]:.2f}, "
                  f"load {load()}", flush=True)
        report(walls, results)
    finally:
        for cache in caches.values():
            shutil.rmtree(cache, ignore_errors=True)


def report(walls, results):
    ratios = [this / base for this, base in zip(walls["this"], walls["base"])]
    spread = max(ratios) / min(ratios) - 1
    print(f"median wall: base {statistics.median(walls['base']):.2f} s, this {statistics.median(walls['this']):.2f} s;"
          f" this / base {statistics.median(ratios):.2f} (per repetition "
          f"{', '.join(f'{r:.2f}' for r in ratios)})")
    if spread > DISAGREEMENT:
        print(f"  WARNING: the repetitions disagree by {100 * spread:.0f}% (> {100 * DISAGREEMENT:.0f}%): "
              "no measurement")
    verdicts = {name: {(r["score"], r["status"]) for r in results[name]} for name in results}
    same = len(verdicts["base"] | verdicts["this"]) == 1
    print(f"verdicts (score, status): base {sorted(verdicts['base'])}, this {sorted(verdicts['this'])}: "
          f"{'the same' if same else 'DIFFERENT'}")
    for name in results:
        print(f"median execution_time {name}: "
              f"{statistics.median(r['execution_time'] for r in results[name]):.2f} s")
    keys = list(dict.fromkeys(k for name in ("base", "this") for r in results[name] for k in r["timings"]))
    print(f"  {'stage (median s)':40s} {'base':>7s} {'this':>7s}")
    for key in keys:
        values = {name: [r["timings"][key] for r in results[name] if key in r["timings"]] for name in results}
        cells = [f"{statistics.median(values[name]):7.3f}" if values[name] else f"{'-':>7s}" for name in ("base", "this")]
        print(f"  {key:40s} {cells[0]} {cells[1]}")
