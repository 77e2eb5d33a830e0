"""The cases the backpropagation-evidence tests and bench run: every correct gradient style the suite
knows, the finite-difference ones (tests/grader/backprop_fixtures.py), and the cost probes' evidence
on a notebook's namespace. Apart from backprop_fixtures, which tests/grader/fixtures.py imports."""
from functools import partial
from pathlib import Path

import nbformat

from assignment.kit.backprop_evidence import evidence
from assignment.kit.judges import GradingContext
from assignment.kit.plan import ProbePlan
from tests.grader.backprop_fixtures import FINITE_DIFFERENCES, KNOWN_MISSES, SLOW_BACKPROP, build
from tests.grader.fixtures import correct, per_sample_loops
from tests.grader.independent_solutions import SOLUTIONS_DIR, STYLES, notebook
from tests.grader.mistake_fixtures import new_run, probe_in_process


def correct_cases():
    """{name: notebook builder} of correct gradients in every style the suite knows: the independent
    solutions, the reference-derived vectorized and per-sample ones, the stand-alone independent
    notebook, and per-weight loops."""
    cases = {f"independent_{style}": partial(notebook, style) for style in STYLES}
    cases.update(reference_vectorized=correct, reference_per_sample_loops=per_sample_loops,
                 independent_notebook=lambda: nbformat.read(str(SOLUTIONS_DIR / "week6_independent.ipynb"), as_version=4))
    cases.update({name: partial(build, name) for name in SLOW_BACKPROP})
    return cases


def finite_difference_cases(known_misses=False):
    """{name: notebook builder} of the finite-difference gradients (and the known misses if asked)."""
    return {name: partial(build, name) for name in {**FINITE_DIFFERENCES, **(KNOWN_MISSES if known_misses else {})}}


def cost_evidence(ns, seed, workdir):
    """{exercise: Evidence} for the namespace ``ns`` of a notebook (run with the data directory as the
    working directory): the real driver runs the plan's cost probes in this process, the real
    grader code reads them. No kernel: the cost probes measure the same calls either way."""
    run = new_run(workdir, seed)
    costs = ProbePlan(run.seed, {k: p for k, p in run.probe_plan.probes.items() if p.kind == "cost"},
                      run.probe_plan.arrays)
    run.probe_outcomes = probe_in_process(costs, ns, Path(workdir) / "exchange")
    ctx = GradingContext(run)
    return {probe.exercise: evidence(ctx, probe.exercise) for probe in costs.probes.values()}
