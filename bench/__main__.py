"""Run every benchmark in BENCHES, in order: ``python -m bench [name ...]``.

With names (e.g. ``python -m bench reference_speed``) only those run.
"""
import importlib
import os
import sys
import time

# Modules of this package, each with a run() that prints its report.
BENCHES = [
    "bench.reference_speed",
    "bench.training_success",
    "bench.grading_speed",
    "bench.ab_grading",
    "bench.batch_throughput",
    "bench.backprop_evidence",
    "bench.gradescope_container",
    "bench.disk_watch",
]


def main(argv=None):
    names = sys.argv[1:] if argv is None else argv
    selected = [b for b in BENCHES if not names or b.rsplit(".", 1)[-1] in names or b in names]
    unknown = set(names) - {b.rsplit(".", 1)[-1] for b in BENCHES} - set(BENCHES)
    if unknown:
        print(f"unknown bench(es): {', '.join(sorted(unknown))}; known: {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    print(f"python {sys.version.split()[0]}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"{os.cpu_count()} CPUs")
    start = time.perf_counter()
    for name in selected:
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        importlib.import_module(name).run()
        print(f"--- {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"\nall benches: {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
