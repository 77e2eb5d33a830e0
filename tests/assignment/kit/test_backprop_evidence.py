"""Backpropagation required: the rule of assignment/kit/backprop_evidence.py on every correct style and every
finite-difference form of tests/grader/backprop_fixtures.py (a short version of
``python -m bench backprop_evidence``: one seed as the machine is, one with every core busy), the rule's
logic, the probe leaving the notebook as it found it, and the flag reaching the gradebook.
The end-to-end gradings (kernel, sandbox) are fixtures of test_grading_fixtures.py.
"""
import os
import subprocess
import sys
import time
from contextlib import contextmanager

import numpy as np
import pytest

import assignment
from assignment.kit.backprop_evidence import FLAG, Evidence
from tests.grader.backprop_cases import correct_cases, cost_evidence, finite_difference_cases
from tests.grader.backprop_fixtures import KNOWN_MISSES, build
from tests.grader.mistake_fixtures import namespace_of

CORRECT = correct_cases()
WRONG = finite_difference_cases()
# the exercises whose gradient must be backpropagated: those with a gradient-cost probe
COSTED = [exercise for exercise in assignment.EXERCISES if exercise.gradient_cost is not None]
EXERCISES = {exercise.id for exercise in COSTED}
REQUIRED = {exercise.id for exercise in COSTED if not exercise.bonus}


def written(function):
    """Whether the notebook wrote ``function``: defined, and not the handout's stub (which raises
    NotImplementedError)."""
    code = getattr(function, "__code__", None)
    return callable(function) and (code is None or "NotImplementedError" not in code.co_names)


def answered(ns):
    """The costed exercises whose functions the notebook wrote: a correct solution answers every
    required one; a bonus it leaves out (one added after the solution was written) gives no evidence."""
    return {exercise.id for exercise in COSTED if all(written(ns.get(name)) for name in exercise.functions)}


def decisions(build_notebook, seed, tmp_path):
    """{exercise: Evidence} of the costed exercises the notebook answers (every required one)."""
    ns = namespace_of(build_notebook())
    mine = answered(ns)
    assert REQUIRED <= mine, f"the notebook leaves out required exercises: {sorted(REQUIRED - mine)}"
    found = cost_evidence(ns, seed, tmp_path)
    assert set(found) == EXERCISES and all(found[exercise] is not None for exercise in mine), found
    return {exercise: found[exercise] for exercise in mine}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_gradients_are_not_finite_differences(name, tmp_path, in_data_dir):
    found = decisions(CORRECT[name], 1, tmp_path)
    wrong = {exercise: e.numbers for exercise, e in found.items() if e.finite_differences}
    assert not wrong, wrong
    assert not any(e.counted or e.truncation for e in found.values())   # the two exact signs stay silent


@pytest.mark.parametrize("name", sorted(WRONG))
def test_finite_differences_are_caught(name, tmp_path, in_data_dir):
    found = decisions(WRONG[name], 2, tmp_path)
    missed = {exercise: e.numbers for exercise, e in found.items() if not e.finite_differences}
    assert not missed, missed


@contextmanager
def busy_cores():
    burners = [subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"]) for _ in range(os.cpu_count() or 1)]
    try:
        time.sleep(0.3)
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


# the cases whose verdict could lean on timing: the slowest honest code, and the finite differences
# that only the truncation error and the cost reveal
@pytest.mark.parametrize("name", ["backprop_per_weight_loops", "reference_per_sample_loops", "independent_loops",
                                  "fd_vectorized"])
def test_decisions_hold_with_every_core_busy(name, tmp_path, in_data_dir):
    with busy_cores():
        found = decisions({**CORRECT, **WRONG}[name], 3, tmp_path)
    assert {e.finite_differences for e in found.values()} == {name in WRONG}, {k: e.numbers for k, e in found.items()}


def test_one_sign_alone_never_decides_except_the_count():
    assert Evidence("2", counted=True).finite_differences
    assert Evidence("2", truncation=True, costly=True).finite_differences
    assert not Evidence("2", costly=True).finite_differences
    assert not Evidence("2", truncation=True).finite_differences


def test_the_known_miss_is_finite_differences_all_the_same(tmp_path, in_data_dir):
    """The bench reports fd_relative_inline apart as a miss; it must still be a correct gradient of
    its loss (so the miss costs no student anything it should not), and it must still be missed
    -- if the grader learns to see it, move it to FINITE_DIFFERENCES."""
    (name,) = KNOWN_MISSES
    ns = namespace_of(build(name))
    found = cost_evidence(ns, 1, tmp_path)
    assert not any(e.finite_differences for e in found.values())
    import reference
    X, t = reference.load_data()
    W = np.random.default_rng(0).normal(size=reference.n_params([2, 4, 3, 1]))
    np.testing.assert_allclose(ns["backprop"](W, X[:20], t[:20], [2, 4, 3, 1], 0.1)[1],
                               reference.backprop(W, X[:20], t[:20], [2, 4, 3, 1], 0.1)[1], rtol=1e-5, atol=1e-8)


def test_the_probe_puts_the_notebook_back(tmp_path, in_data_dir):
    ns = namespace_of(CORRECT["independent_network_class"]())
    before = {name: value for name, value in ns.items() if callable(value)}
    methods = dict(vars(ns["Network"]))
    cost_evidence(ns, 1, tmp_path)
    assert all(ns[name] is value for name, value in before.items())
    assert dict(vars(ns["Network"])) == methods


def test_the_flag_reaches_results_json_and_the_gradebook(tmp_path):
    from grader.classroom.gradebook import gradebook_row
    from grader.model import GradingRun, TestResult
    from grader.reports.results_json import dumps, results_dict
    run = GradingRun(notebook_path=tmp_path / "fd.ipynb", out_dir=tmp_path, config=None)
    run.tests = [TestResult("a gradient test", "2", 4.0, tags=[FLAG]), TestResult("another", "1d", 5.0, tags=[FLAG]),
                 TestResult("a loss test", "2", 3.0, score=3.0, passed=True)]
    results = results_dict(run)
    assert results["extra_data"]["flags"] == ["finite_difference_gradient"]
    (tmp_path / "results.json").write_text(dumps(results))
    row = gradebook_row("fd.ipynb", tmp_path)
    assert row["flags"] == "finite_difference_gradient"
    run.tests = run.tests[2:]
    assert "flags" not in results_dict(run)["extra_data"]


def test_a_gradient_that_sleeps_is_not_called_again_and_again(tmp_path):
    """The cost probe repeats fast calls to time them, never slow ones (a sleeping gradient would
    otherwise eat the grading's time): at most two calls per network when one takes 0.6 s."""
    import reference
    from assignment.kit.plan import ProbePlan
    from tests.grader.mistake_fixtures import new_run, probe_in_process
    calls = []

    def slow_backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
        calls.append(len(W))
        time.sleep(0.6)
        return reference.backprop(W, X, t, layer_sizes, lam, activation)

    run = new_run(tmp_path, seed=1)
    plan = ProbePlan(run.seed, {"2-cost": run.probe_plan.probes["2-cost"]}, run.probe_plan.arrays)
    outcome = probe_in_process(plan, {"__name__": "__main__", "backprop": slow_backprop, "predict": reference.predict},
                               tmp_path / "exchange")["2-cost"]
    assert outcome.ok, outcome.error
    cases = len(plan.probes["2-cost"].options["cases"])
    assert cases <= len(calls) <= 2 * cases, calls


def test_every_gradient_test_of_1d_2_and_the_bonus_requires_backprop():
    from assignment import TESTS
    wrapped = {spec.name for spec in TESTS if "backprop_required" in spec.judge.__qualname__}
    named = {spec.name for spec in TESTS if spec.requires_backprop}
    assert wrapped == named
    gradient_tests = {spec.name for spec in TESTS if spec.number in EXERCISES
                      and ("gradient" in spec.name or spec.name.startswith("bce_grad"))}
    assert gradient_tests == named, gradient_tests ^ named
