"""Grading validity (issue 11): one charge per mistake, no free points, no points lost for how a
notebook ends or which editor saved it, a deadline for the whole grading, the likeliest diagnosis first.

The verdict tests grade in this process (tests/grader/mistake_fixtures.py: the real probe driver,
check and diagnose stages, no kernel), about a second each; the kernel's side (how a notebook
ends, the time budget, an editor's file) is graded end to end, a few notebooks per module fixture.
"""
import dataclasses
import json
import time

import nbformat
import numpy as np
import pytest

from grader.classroom.batch import default_timeout
from assignment import TESTS
from assignment.kit.judges import FLAT_SLOPE, MATCHES_REFERENCE
from grader.cli import main as cli_main
from assignment import EXERCISE_POINTS
from grader.config import GraderConfig
from assignment import MISTAKES
from assignment.kit.simulator import REFERENCE, central_differences
from grader.model import GradingRun
from grader.pipeline import grade_notebook
from grader.stages.probe import KILLED_TWICE
from assignment import build_plan
from grader.stages.read import read
from tests.answered import FULL_MARKS, unanswered_tests
from tests.grader.fixtures import correct
from tests.grader.mistake_fixtures import TRAINING_TESTS, diagnosed, grade_in_process
from tests.grader.validity_fixtures import (BCE_LOSS_TESTS, CONSISTENCY_TESTS, EDITOR_FORMATS, ENDINGS, HARMLESS_SLIPS,
                                            SIGMA_PRIME_SIGN_FIXTURES, bce_loss_does_not_parse,
                                            constant_losses_zero_gradients, editor_bytes, ending_with,
                                            everything_sleeps, grade_leniently, losses_summed_gradients_right,
                                            non_ascii_names, reg_grad_without_2_in_bce_grad_only,
                                            slipped_bytes, softmax_kills_the_kernel)

TEST_NAMES = {spec.name for spec in TESTS}


def failed(run):
    return {test.id for test in run.tests if not test.passed} - TRAINING_TESTS


def ids_of_tests_reading(run, functions, output):
    """The ids of the tests that compare output ``output`` of calls of ``functions`` (and nothing else)."""
    probes = run.probe_plan.probes
    return {spec.id for spec in TESTS if spec.output == output and spec.probes
            and all(probes[probe_id].kind == "call" and probes[probe_id].func in functions for probe_id in spec.probes)}


# ------------------------------------------------------------ 1. one mistake, one charge

def test_a_loss_cell_that_does_not_parse_costs_the_loss_tests_only(tmp_path, in_data_dir):
    run = grade_leniently(bce_loss_does_not_parse(), tmp_path)
    assert failed(run) == BCE_LOSS_TESTS
    consistency = next(t for t in run.tests if t.id in CONSISTENCY_TESTS and t.number == "1d")
    assert consistency.passed and consistency.score == 5
    assert consistency.expected == MATCHES_REFERENCE      # not "agrees with your own loss": there is none
    assert sum(t.score for t in run.tests if t.number == "1d") == EXERCISE_POINTS["1d"]


def test_a_wrong_loss_beside_a_right_gradient_keeps_the_consistency_points(tmp_path, in_data_dir):
    run = grade_leniently(losses_summed_gradients_right(), tmp_path)
    loss_tests = ids_of_tests_reading(run, ("backprop", "ce_backprop"), output=0)
    assert {"2.loss", "3.loss"} <= loss_tests
    assert failed(run) == loss_tests
    for test in run.tests:
        if test.id in CONSISTENCY_TESTS:
            assert test.passed and test.score == test.max_score, (test.got, test.hint)


# ------------------------------------------------------------ 2. no free points

def test_a_constant_loss_earns_no_consistency_credit_and_is_told_why(tmp_path, in_data_dir):
    run = grade_leniently(constant_losses_zero_gradients(), tmp_path)
    for test in run.tests:
        if test.id in CONSISTENCY_TESTS:
            assert not test.passed and test.score == 0, test.name
            assert "does not change along any of the" in test.got and "derivative of a constant" in test.hint


def test_flat_slope_threshold_is_far_below_the_reference_loss_slopes():
    """The rule's measurement: over 40 seeds, the reference's loss changes along its probed directions
    by far more than FLAT_SLOPE (the largest slope of each finite-difference probe)."""
    smallest = np.inf
    for seed in range(40):
        plan = build_plan(seed, GraderConfig())
        for probe in plan.probes.values():
            if probe.kind == "fd":
                args, kwargs = plan.call_args(probe)
                slopes = central_differences(REFERENCE, probe.func, args, kwargs,
                                             plan.arrays[probe.options["directions"]], probe.options["step"])
                smallest = min(smallest, np.max(np.abs(slopes)))
    assert smallest > 1e4 * FLAT_SLOPE, smallest


# ------------------------------------------------------------ 7. the likeliest mistake first

def test_lam_w_gradient_beside_a_right_loss_is_named_lam_w_first(tmp_path, in_data_dir):
    run = grade_in_process(reg_grad_without_2_in_bce_grad_only(), tmp_path)
    names = diagnosed(run)
    assert names, "nothing diagnosed"
    assert failed(run) == {"1d.with_regularization",
                           "1d.consistent_with_loss"}
    for name, ids in names.items():
        assert ids[0] == "reg_grad_without_2", (name, ids)


@pytest.mark.parametrize("fixture", SIGMA_PRIME_SIGN_FIXTURES, ids=[f.name for f in SIGMA_PRIME_SIGN_FIXTURES])
def test_sign_slips_of_sigma_prime_are_named(fixture, tmp_path, in_data_dir):
    run = grade_in_process(fixture.build(), tmp_path)
    names = diagnosed(run)
    assert "1b.sigmoid_grad_values" in failed(run)
    unwritten = unanswered_tests(fixture.build())   # e.g. a bonus this solution skips
    missing = {name for name in failed(run) - unwritten if fixture.mistake not in names.get(name, [])}
    assert not missing, f"not named on {sorted(missing)}: {names}"
    assert all(ids[0] == fixture.mistake for ids in names.values()), names
    assert fixture.mistake in MISTAKES


# ------------------------------------------------------------ 4. editors' formats (read stage)

def read_bytes(tmp_path, name, data):
    path = tmp_path / f"{name}.ipynb"
    path.write_bytes(data)
    run = GradingRun(notebook_path=path, out_dir=tmp_path / "out", config=GraderConfig())
    read(run)
    return run


def code_sources(nb):
    return [cell.source.replace("\r\n", "\n") for cell in nb.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("name", sorted(EDITOR_FORMATS))
def test_editors_formats_are_read_as_the_same_notebook(name, tmp_path):
    nb = correct()
    run = read_bytes(tmp_path, name, editor_bytes(nb, **EDITOR_FORMATS[name]))
    assert run.status == "graded", run.message
    assert code_sources(run.notebook) == code_sources(nb)
    nbformat.validate(run.notebook)
    assert all("outputs" in cell for cell in run.notebook.cells if cell.cell_type == "code")


@pytest.mark.parametrize("slip", sorted(HARMLESS_SLIPS))
def test_harmless_slips_of_notebook_tools_are_repaired(slip, tmp_path):
    nb = correct()
    run = read_bytes(tmp_path, slip, slipped_bytes(nb, slip))
    assert run.status == "graded", run.message
    assert code_sources(run.notebook) == code_sources(nb)
    nbformat.validate(run.notebook)


def test_what_cannot_be_read_is_refused_with_the_reason(tmp_path):
    good = editor_bytes(correct(), bom=True)
    cases = {"cut": (good[: len(good) // 2], "not valid JSON"),
             "latin1": (good.replace("Exercise".encode(), "Exerc\xeese".encode("latin-1"), 1), "UTF-8"),
             "no_cells": (b'\xef\xbb\xbf{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "no cells"),
             "cells_not_a_list": (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 3}',
                                  "not a valid notebook"),
             "cell_without_type": (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, '
                                   b'"cells": [{"source": "x = 1", "metadata": {}}]}', "not a valid notebook"),
             "source_not_text": (b'{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": '
                                 b'[{"cell_type": "code", "source": 5, "metadata": {}}]}', "not a valid notebook")}
    for name, (data, reason) in cases.items():
        run = read_bytes(tmp_path, name, data)
        assert run.status == "unreadable" and reason in run.message, (name, run.message)


# ------------------------------------------------------------ 6. the whole grading's budget (config side)

def test_the_budget_is_under_gradescopes_timeout_and_below_the_batch_cap():
    config = GraderConfig()
    assert config.time_budget < 600
    assert default_timeout(config) > config.time_budget
    assert default_timeout(dataclasses.replace(config, time_budget=3000.0)) > 3000.0


def test_time_budget_option_reaches_the_config(monkeypatch, tmp_path):
    seen = {}

    def fake_grade(path, out, config, **options):
        seen["budget"] = config.time_budget
        return GradingRun(notebook_path=path, out_dir=out, config=config)
    monkeypatch.setattr("grader.pipeline.grade_notebook", fake_grade)
    monkeypatch.setattr("grader.reports.terminal.score_table", lambda run: "")
    notebook = tmp_path / "n.ipynb"
    notebook.write_text("{}")
    assert cli_main(["grade", str(notebook), "--out", str(tmp_path), "--time-budget", "75"]) == 0
    assert seen["budget"] == 75.0


# ------------------------------------------------------------ end to end: endings, editors, budget

CONFIG = GraderConfig(figures=False, train_budget=30.0)


def grade(nb_or_bytes, name, out, config=CONFIG, between_groups=None):
    path = out / f"{name}.ipynb"
    if isinstance(nb_or_bytes, bytes):
        path.write_bytes(nb_or_bytes)
    else:
        nbformat.write(nb_or_bytes, str(path))
    return grade_notebook(path, out / "results", config)


@pytest.fixture(scope="module")
def endings(tmp_path_factory):
    """{name: GradingRun} of the correct notebook ended each way of ENDINGS."""
    out = tmp_path_factory.mktemp("endings")
    return {name: grade(ending_with(*ending), name, out) for name, ending in ENDINGS.items()}


@pytest.mark.parametrize("name", sorted(ENDINGS))
def test_how_a_notebook_ends_costs_nothing(endings, name):
    run = endings[name]
    assert run.status == "graded", run.message
    lost = {t.name: (t.got, t.hint) for t in run.tests if not t.passed}
    assert not lost, json.dumps(lost, indent=1)
    assert run.score == FULL_MARKS


def test_exit_is_reported_as_the_cell_that_ended_the_kernel(endings):
    last = endings["exit"].cells[-1]
    assert last.status == "exited" and "exit()" in last.evalue
    statuses = [cell.status for cell in endings["quit_and_sys_exit"].cells]
    assert statuses[-1] == "exited" and "error" in statuses     # sys.exit() is a SystemExit IPython catches
    assert endings["os_exit"].cells[-1].status == "died"


def test_a_probe_is_not_checked_only_when_it_kills_a_fresh_kernel_too(tmp_path):
    once = grade(softmax_kills_the_kernel(1), "once", tmp_path)
    assert once.score == FULL_MARKS, {t.name: (t.got, t.hint) for t in once.tests if not t.passed}
    # the stability probe kills every kernel: it alone is lost, and the rest of its group is checked
    always = grade(softmax_kills_the_kernel(10_000, on_large_logits_only=True), "always", tmp_path)
    lost = {t.id: t for t in always.tests if not t.passed}
    assert set(lost) == {"3.softmax_stable"}
    assert KILLED_TWICE in lost["3.softmax_stable"].got


def test_a_kernel_killed_between_groups_is_restarted(tmp_path, monkeypatch):
    """The kernel is killed from outside after the first probe group: the next groups run on a new one."""
    from grader.stages import probe as probe_module
    real_group = probe_module.probe_group
    calls = []

    def group_then_kill(session, *args, **kwargs):
        outcomes = real_group(session, *args, **kwargs)
        if not calls:
            session.client.kc.execute("import os; os._exit(0)")
            for _ in range(100):
                if not session.alive():
                    break
                time.sleep(0.1)
            assert not session.alive()
        calls.append(args[2])
        return outcomes
    monkeypatch.setattr(probe_module, "probe_group", group_then_kill)
    run = grade(correct_light(), "killed", tmp_path)
    assert len(calls) > 2
    assert run.score == FULL_MARKS, {t.name: (t.got, t.hint) for t in run.tests if not t.passed}


def correct_light():
    return ending_with("print('done')")


def test_an_editors_file_is_graded_in_full(tmp_path):
    run = grade(editor_bytes(non_ascii_names(), bom=True, crlf=True, minor=2, colab=True), "colab_bom", tmp_path)
    assert run.status == "graded", run.message
    assert run.score == FULL_MARKS, {t.name: (t.got, t.hint) for t in run.tests if not t.passed}


def test_a_grading_that_runs_out_of_time_writes_its_results_in_time(tmp_path):
    budget = 45.0
    started = time.monotonic()
    run = grade(everything_sleeps(), "sleepy", tmp_path, dataclasses.replace(CONFIG, time_budget=budget))
    seconds = time.monotonic() - started
    results = tmp_path / "results" / "sleepy" / "results.json"
    assert results.is_file()
    assert seconds < budget + 15, seconds
    data = json.loads(results.read_text())
    unchecked = [t for t in data["tests"] if "not checked: the grading time ran out" in t["output"]]
    assert unchecked and all(t["score"] == 0 for t in unchecked)
    assert set(t["name"] for t in data["tests"]) == TEST_NAMES
    assert run.score == data["score"]
