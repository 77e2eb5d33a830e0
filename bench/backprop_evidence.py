"""False alarms and misses of the "backpropagation required" rule (assignment/kit/backprop_evidence.py),
over many probe seeds, with the machine idle and with every core loaded.

For each load ("idle"; "loaded": one busy-looping process per CPU, started before and stopped
after the measurements), each seed s of SEEDS (the probe plan of seed s: its random weights
and lam) and each case of tests/grader/backprop_fixtures.py -- correct gradients in every style
(independent solutions, the reference-derived vectorized and per-sample ones, per-weight loops)
and finite differences (the template's helper, scipy's forward differences, batched over all
perturbations, the complex step; plus the known miss, reported apart) -- the cost probes of
exercises 1d, 2 and bonus run in this process through the real driver, and the real rule decides.
A false alarm is a correct gradient decided to be finite differences; a miss, the converse. The
table also counts each sign on its own: the timing sign fires on honest per-weight loops, which
is why it never decides alone.

BACKPROP_EVIDENCE_SEEDS=n (default 10) sets the number of seeds.
"""
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(int(os.environ.get("BACKPROP_EVIDENCE_SEEDS", "10")))
BURN = "while True:\n    pass\n"


@contextmanager
def loaded(active):
    """One CPU burner per core while active (their pids only are stopped afterwards)."""
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(os.cpu_count() or 1)] if active else []
    try:
        time.sleep(0.5 if active else 0)
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def _namespaces(cases):
    from tests.grader.mistake_fixtures import namespace_of
    return {name: namespace_of(build()) for name, build in cases.items()}


def measure(seeds=SEEDS, loads=("idle", "loaded")):
    """{(load, case): [per seed and exercise: Evidence]} and the set of correct case names."""
    sys.path.insert(0, str(ROOT))
    from tests.grader.backprop_cases import correct_cases, cost_evidence, finite_difference_cases
    correct, wrong = correct_cases(), finite_difference_cases(known_misses=True)
    previous = os.getcwd()
    os.chdir(ROOT / "data")     # the notebooks' loaders read ./*.mat
    try:
        namespaces = _namespaces({**correct, **wrong})
        found = {}
        with tempfile.TemporaryDirectory() as scratch:
            for load in loads:
                with loaded(load == "loaded"):
                    for seed in seeds:
                        for name, ns in namespaces.items():
                            evidence = cost_evidence(ns, seed, Path(scratch) / f"{load}-{seed}-{name}")
                            found.setdefault((load, name), []).extend(evidence.values())
    finally:
        os.chdir(previous)
    return found, set(correct)


def run():
    from tests.grader.backprop_fixtures import KNOWN_MISSES
    started = time.perf_counter()
    found, correct = measure()
    print(f"{len(SEEDS)} seeds x exercises 1d, 2, bonus; {os.cpu_count()} CPUs; loaded = {os.cpu_count()} busy loops")
    print(f"{'case':34s} {'load':7s} {'gradient':9s} {'decided FD':>10s} {'counted':>8s} {'truncation':>10s} {'costly':>7s}")
    alarms = misses = 0
    for (load, name), evidences in sorted(found.items(), key=lambda item: (item[0][1] not in correct, item[0])):
        runs = [e for e in evidences if e is not None]
        decided = sum(e.finite_differences for e in runs)
        kind = "correct" if name in correct else ("FD (miss)" if name in KNOWN_MISSES else "FD")
        if name in correct:
            alarms += decided
        elif name not in KNOWN_MISSES:
            misses += len(runs) - decided
        print(f"{name:34s} {load:7s} {kind:9s} {decided:>4d} / {len(runs):<3d} "
              f"{sum(e.counted for e in runs):>8d} {sum(e.truncation for e in runs):>10d} {sum(e.costly for e in runs):>7d}"
              + ("" if len(runs) == len(evidences) else f"  ({len(evidences) - len(runs)} probe(s) failed)"))
    print(f"false alarms on correct gradients: {alarms}; misses on finite differences (known misses apart): {misses}; "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    run()
