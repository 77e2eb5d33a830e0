"""Benchmarks of the reference solution; run them all with ``python -m bench`` (or ``make bench``).

Each module listed in :data:`bench.__main__.BENCHES` exposes ``run()``, which
prints its own report. Add a module and list it there to add a benchmark.
"""
