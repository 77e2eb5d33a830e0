"""Throughput of ``grade_batch``: a class of 6 and one of 40 graded with JOBS=1 and with JOBS=2.

The class is built from the fixture submissions (tests/grader/fixtures.py):
correct ones and ones with a mistake, copied under distinct student names (and
with distinct bytes, as real submissions have) until there are SIZES of them.
The reference's training is done once before the clock starts (a real batch
does it once too, before its workers start). Reports submissions per minute,
the speedup of 2 workers over 1 (aim: :data:`SPEEDUP_AIM`) and the peak resident memory of a worker
(``ru_maxrss`` of the worker process) and of a notebook kernel (``RUSAGE_CHILDREN``
in the worker), as each worker reports them with its results; and the batch's
serial parts, timed around the functions that do them: before the pool (finding the
submissions, the reference's outcomes), the pool (its start, the gradings), and
the tail after it (gradebook, LMS files, class report, similarity). The load
average is printed before and after each run, with the share of the time the CPUs
were busy during it; and the most the larger JOBS could gain on this class
(:func:`speedup_bound`), which a class with one long grading puts below the aim.

    python -m bench batch_throughput           # 6, then 40 submissions (about 20-30 min on 2 cores)
    BENCH_BATCH_SIZE=8 python -m bench batch_throughput
    python -m bench.batch_throughput --quick   # 8 submissions
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

SIZES = (6, 40)
DEFAULT_SIZE = 40
QUICK_SIZE = 8
JOBS = (1, 2)
SPEEDUP_AIM = 1.85          # JOBS=2 over JOBS=1 (issue 25)


def build_class(directory, size):
    """``size`` notebooks cycling through the fixtures: student00_correct_vectorized.ipynb, ..."""
    import nbformat

    from tests.grader.fixtures import FIXTURES

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    built = {}
    for i in range(size):
        fixture = FIXTURES[i % len(FIXTURES)]
        if fixture.name not in built:
            built[fixture.name] = fixture.build()
        notebook = nbformat.from_dict(built[fixture.name])
        notebook.metadata["student"] = f"student{i:02d}"          # distinct bytes, distinct seed
        nbformat.write(notebook, str(directory / f"student{i:02d}_{fixture.name}.ipynb"))
    return sorted(directory.glob("*.ipynb"))


def _scores(rows):
    return [(row["submission"], row["score"], row["status"]) for row in rows]


def _differing_tests(out_a, out_b, name):
    import json

    def verdicts(out):
        try:
            results = json.loads((Path(out) / Path(name).stem / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {test["name"]: (test["status"], test["score"]) for test in results.get("tests", [])}

    a, b = verdicts(out_a), verdicts(out_b)
    return [f"{test}: {a.get(test)} vs {b.get(test)}" for test in sorted(set(a) | set(b)) if a.get(test) != b.get(test)]


def load():
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def cpu_ticks():
    """(busy, all) clock ticks of the machine's CPUs so far (/proc/stat; None where there is none)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)          # idle and iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before, after):
    """The share of the CPUs' time that was busy between two :func:`cpu_ticks` ("n/a" without them)."""
    if before is None or after is None or after[1] <= before[1]:
        return "n/a"
    return f"{100 * (after[0] - before[0]) / (after[1] - before[1]):.0f}%"


def speedup_bound(seconds, phases, times, jobs):
    """The most ``jobs`` workers could gain on a class whose grading took ``seconds`` with one: its
    serial parts stay, and the pool cannot end before its longest grading nor before its share of the
    pool's work. ``times``: the gradings' seconds with one worker. (bound, longest's share of the pool)."""
    pool = phases.get("pool", 0.0)
    if not times or pool <= 0:
        return None, None
    serial = seconds - pool
    return seconds / (serial + max(max(times), pool / jobs)), max(times) / pool


class PhaseClock:
    """Seconds spent in named functions of grader.classroom.batch during one grade_batch call
    (wrapped for the bench's run only; put back by :meth:`restore`)."""
    PHASES = {"reference_outcomes": "reference outcomes", "finish_outputs": "tail: gradebook, LMS, class report, "
                                                                            "similarity"}

    def __init__(self):
        from grader.classroom import batch
        self.module, self.seconds, self.saved = batch, {}, {}
        for name in self.PHASES:
            self.saved[name] = getattr(batch, name)
            setattr(batch, name, self._timed(name, self.saved[name]))
        self.saved_run = batch.BatchRun.run
        batch.BatchRun.run = self._timed("pool", self.saved_run)

    def _timed(self, name, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        return timed

    def restore(self):
        for name, function in self.saved.items():
            setattr(self.module, name, function)
        self.module.BatchRun.run = self.saved_run


def run(size=None, jobs_list=JOBS):
    if size is None and not os.environ.get("BENCH_BATCH_SIZE") and not os.environ.get("BENCH_QUICK"):
        return {size: run_size(size, jobs_list) for size in SIZES}
    return run_size(size, jobs_list)


def run_size(size=None, jobs_list=JOBS):
    from grader.classroom.batch import BatchOptions, grade_batch, grader_fingerprint, reference_outcomes
    from grader.config import GraderConfig

    if size is None:
        size = int(os.environ.get("BENCH_BATCH_SIZE") or (QUICK_SIZE if os.environ.get("BENCH_QUICK") else DEFAULT_SIZE))
    config = GraderConfig()
    root = Path(tempfile.mkdtemp(prefix="week6-bench-batch-"))
    try:
        paths = build_class(root / "class", size)
        print(f"class: {len(paths)} submissions ({os.cpu_count()} CPUs, load average "
              f"{load()}); sandbox {config.sandbox}, "
              f"figures {'on' if config.figures else 'off'}", flush=True)
        started = time.perf_counter()
        reference_outcomes(config)
        print(f"reference training (once per batch, before the workers start): {time.perf_counter() - started:.1f} s",
              flush=True)
        fingerprint = grader_fingerprint()
        measured = {}
        for jobs in jobs_list:
            load_before, ticks_before = load(), cpu_ticks()
            clock = PhaseClock()
            started = time.perf_counter()
            try:
                result = grade_batch(root / "class", root / f"out-jobs{jobs}",
                                     BatchOptions(jobs=jobs, config=config, force=True, fingerprint=fingerprint,
                                                  progress=sys.stderr.isatty()))
            finally:
                clock.restore()
            seconds = time.perf_counter() - started
            phases = dict(clock.seconds)
            measured[jobs] = (seconds, result, phases)
            before_pool = seconds - sum(phases.values())
            print(f"JOBS={jobs}: load average {load_before} before, {load()} after; CPUs busy "
                  f"{busy_share(ticks_before, cpu_ticks())} of the time; serial parts: "
                  f"before the pool {before_pool:.1f} s (finding the submissions) + reference outcomes "
                  f"{phases.get('reference_outcomes', 0.0):.1f} s, the pool {phases.get('pool', 0.0):.1f} s, "
                  f"tail {phases.get('finish_outputs', 0.0):.1f} s (gradebook, LMS files, class report, similarity)",
                  flush=True)
            statuses = ", ".join(f"{n} {s}" for s, n in sorted(result.statuses.items()))
            worker = max(result.worker_rss_mb.values(), default=0.0)
            kernel = max(result.kernel_rss_mb.values(), default=0.0)
            print(f"JOBS={jobs}: {seconds:7.1f} s  {60 * len(paths) / seconds:5.1f} submissions/min  "
                  f"({statuses}; {len(result.worker_rss_mb)} worker(s), peak RSS per worker {worker:.0f} MiB, "
                  f"per notebook kernel {kernel:.0f} MiB; pool restarts {result.pool_restarts})", flush=True)
        if len(measured) >= 2:
            (t1, r1, phases1), (tn, rn, _) = measured[min(measured)], measured[max(measured)]
            print(f"speedup JOBS={max(measured)} over JOBS={min(measured)} ({len(paths)} submissions): {t1 / tn:.2f}x "
                  f"(aim >= {SPEEDUP_AIM}: {'met' if t1 / tn >= SPEEDUP_AIM else 'NOT MET'}); "
                  f"{60 * len(paths) / t1:.1f} vs {60 * len(paths) / tn:.1f} submissions/min")
            if min(measured) == 1:
                bound, share = speedup_bound(t1, phases1, [float(row["execution_time"] or 0) for row in r1.rows],
                                             max(measured))
                if bound is not None:
                    print(f"  the most JOBS={max(measured)} could gain on this class: {bound:.2f}x (its longest grading "
                          f"is {100 * share:.0f}% of the pool's work with one worker; the serial parts stay)"
                          + ("; the aim is out of this class's reach" if bound < SPEEDUP_AIM else ""))
            same = _scores(r1.rows) == _scores(rn.rows)
            print(f"same scores and statuses in both runs: {'yes' if same else 'NO'}")
            for (name, s1, st1), (_, sn, stn) in zip(_scores(r1.rows), _scores(rn.rows)):
                if (s1, st1) != (sn, stn):
                    print(f"  {name}: {s1} ({st1}) vs {sn} ({stn}); tests that differ: "
                          f"{'; '.join(_differing_tests(r1.out_root, rn.out_root, name)) or '-'}")
        for jobs, (_, result, _) in measured.items():
            times = sorted((float(row["execution_time"] or 0), row["submission"]) for row in result.rows)
            if times:
                mean = sum(t for t, _ in times) / len(times)
                print(f"JOBS={jobs}: grading time per submission (results.json execution_time): mean {mean:.1f} s, "
                      f"min {times[0][0]:.1f} s, max {times[-1][0]:.1f} s ({times[-1][1]})")
        return measured
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE} submissions instead of {DEFAULT_SIZE}")
    parser.add_argument("--size", type=int, help="number of submissions")
    args = parser.parse_args()
    run(size=args.size or (QUICK_SIZE if args.quick else None))
