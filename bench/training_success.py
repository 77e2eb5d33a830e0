"""Training success rate over 20 seeds for each of the lab's settings, and for the naive ones.

For each configuration and seed s = 0..19:
- single run: ``fit_once(init_weights(layer_sizes, default_rng(s)), ...)``;
- best of RESTARTS: ``reference.train(..., rng=default_rng(s))`` (what the template does).
Success means training accuracy >= 0.97. The naive rows are what a new user
would try for exercise 2 ([2, 10, 10, 10, 10, 1]): lam = 1e-4 as in exercise 1
and L-BFGS-B's default options (scipy's defaults, passed explicitly because
``fit_once`` treats an empty ``options`` as "use OPTIONS"); two more rows change
one of the two only, to show which one matters.
Runs are spread over a process pool (BENCH_JOBS, default 2), one BLAS thread each.
"""
import os
import statistics
import time
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

import reference
from reference.training import OPTIONS, RESTARTS, Setup, fit_once

SEEDS = range(20)
TARGET = 0.97
# scipy.optimize.minimize(method="L-BFGS-B")'s defaults (scipy 1.17), i.e. passing no options at all.
SCIPY_DEFAULTS = {"maxcor": 10, "ftol": 2.220446049250313e-09, "gtol": 1e-05, "maxfun": 15000,
                  "maxiter": 15000, "maxls": 20}
EX2 = reference.SETUPS["2"].layer_sizes


@dataclass(frozen=True)
class Config:
    name: str
    setup: Setup
    options: dict | None = None          # None: the reference's OPTIONS


CONFIGS = [Config(name, setup) for name, setup in reference.SETUPS.items()] + [
    Config("2 naive: lam 1e-4, scipy default options", Setup(EX2, lam=1e-4), SCIPY_DEFAULTS),
    Config("2 lam 1e-4 only (OPTIONS kept)", Setup(EX2, lam=1e-4)),
    Config("2 default options only (lam 1e-6)", Setup(EX2, lam=1e-6), SCIPY_DEFAULTS),
]

_DATA = {}


def _data(loss):
    if loss not in _DATA:
        _DATA[loss] = reference.load_data() if loss == "bce" else reference.load_data_multiclass()
    return _DATA[loss]


def _task(args):
    """One training: (config index, "single" | "best", seed) -> (index, mode, seed, accuracy, loss, nit, cpu s).

    CPU seconds of this (single-threaded) worker, not wall time, so that other
    load on the machine does not inflate them.
    """
    index, mode, seed = args
    config = CONFIGS[index]
    s = config.setup
    X, t = _data(s.loss)
    ls = list(s.layer_sizes)
    start = time.process_time()
    if mode == "single":
        W0 = reference.init_weights(ls, np.random.default_rng(seed))
        result = fit_once(W0, X, t, ls, s.lam, s.activation, s.loss, config.options)
    else:
        result = reference.train(X, t, ls, s.lam, np.random.default_rng(seed), s.activation, s.loss,
                                 restarts=RESTARTS, options=config.options)
    return index, mode, seed, result.accuracy, result.loss, result.nit, time.process_time() - start


def _summary(rows):
    acc = [r[3] for r in rows]
    return (f"{sum(a >= TARGET for a in acc):>3d}/{len(acc):<3d}{min(acc):>7.3f}{statistics.median(acc):>7.3f}"
            f"{statistics.mean(r[5] for r in rows):>7.0f}{statistics.mean(r[6] for r in rows):>7.2f}")


def run():
    jobs = int(os.environ.get("BENCH_JOBS", "2"))
    tasks = [(i, mode, seed) for i in range(len(CONFIGS)) for mode in ("best", "single") for seed in SEEDS]
    # the long runs first, so the pool ends together
    tasks.sort(key=lambda task: (task[1] != "best", CONFIGS[task[0]].setup.layer_sizes != EX2))
    start = time.perf_counter()
    with get_context("fork").Pool(jobs) as pool:
        results = list(pool.imap_unordered(_task, tasks, chunksize=1))
    wall = time.perf_counter() - start

    print(f"seeds {SEEDS.start}..{SEEDS.stop - 1}; success = training accuracy >= {TARGET}; "
          f"best of {RESTARTS} = reference.train; OPTIONS = {OPTIONS}")
    print("nit: mean iterations of the returned run; cpu: mean CPU seconds per call (best-of: all its runs)\n")
    head = f"{'ok':>7}{'min':>7}{'median':>7}{'nit':>7}{'cpu s':>7}"
    print(f"{'':<44}{'layer_sizes':<22}{'lam':>6} {'act':<8}|{'single run':^35}|{'best of ' + str(RESTARTS):^35}")
    print(f"{'setup':<44}{'':<22}{'':>6} {'':<8}|{head}|{head}")
    for i, config in enumerate(CONFIGS):
        s = config.setup
        single = [r for r in results if r[0] == i and r[1] == "single"]
        best = [r for r in results if r[0] == i and r[1] == "best"]
        print(f"{config.name:<44}{str(list(s.layer_sizes)):<22}{s.lam:>6.0e} {s.activation:<8}"
              f"|{_summary(single)}|{_summary(best)}")
    cpu = sum(r[6] for r in results)
    print(f"\n{len(results)} trainings: {cpu:.0f} CPU s in {wall:.0f} s wall on {jobs} processes "
          f"(wall > CPU / {jobs} means other load on the machine)")
