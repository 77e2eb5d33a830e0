"""The diagnose stage: naming a failed test's mistake, the per-block gradient table, the training proxy.

Most tests grade fixture notebooks in this process (tests/grader/mistake_fixtures.py:
the real probe driver, check and diagnose stages, no kernel), about a second
each; two end-to-end gradings check what reaches results.json and the feedback.
"""
import json
import math
from functools import partial

import nbformat
import numpy as np
import pytest

import reference
from assignment import TESTS, TESTS_BY_ID
from grader.config import GraderConfig
from grader.reports.feedback import write_feedback
from grader.stages.diagnose import diagnose
from assignment import MISTAKES
from assignment.kit.gradient_blocks import block_summary
from assignment.kit.simulator import REFERENCE, simulate
from assignment.kit.training_proxy import training_proxy
from grader.model import TestResult as Result   # not "Test...": pytest would collect it
from grader.pipeline import STAGES, grade_notebook
from grader.reports.results_json import results_dict, validate_results
from grader.stages.probe import ProbeOutcome
from tests.answered import unanswered_tests
from tests.grader import fixtures
from tests.grader.independent_solutions import STYLES, notebook as independent_notebook
from tests.grader.mistake_fixtures import (MISTAKE_FIXTURES, TRAINING_TESTS, diagnosed, grade_in_process,
                                           new_run, random_outputs)
from tests.grader.validity_fixtures import SIGMA_PRIME_SIGN_FIXTURES

TESTS_BY_NAME = {spec.name: spec.id for spec in TESTS}   # results.json names its tests by display name
CONTRACT = set(reference.__all__)


# ------------------------------------------------------------------ the catalog

def test_catalog_entries_are_complete_and_each_has_a_fixture():
    assert len(MISTAKES) >= 15
    for mistake in MISTAKES:
        assert mistake.id.replace("_", "").isalnum(), mistake.id
        assert mistake.name and len(mistake.hint) > 40, mistake.id
        assert set(mistake.functions) <= CONTRACT, mistake.id
        assert mistake.forms, mistake.id
        assert "def " not in mistake.hint and "np." not in mistake.hint.replace("np.logaddexp", ""), mistake.id
    assert {fixture.mistake for fixture in MISTAKE_FIXTURES + SIGMA_PRIME_SIGN_FIXTURES} == set(MISTAKES.ids())


def test_stage_runs_between_check_and_report():
    names = list(STAGES)
    assert names[names.index("check") + 1] == "diagnose" and names[-1] == "report"


def test_every_test_that_compares_values_names_its_probes(tmp_path):
    plan = new_run(tmp_path, seed=3).probe_plan
    for spec in TESTS:
        assert set(spec.probes) <= set(plan.probes), spec.name
    assert all(spec.probes for spec in TESTS), [spec.id for spec in TESTS if not spec.probes]


def test_generic_network_with_reference_pieces_is_the_reference(tmp_path):
    """The variants differ from the reference only by their replaced piece."""
    plan = new_run(tmp_path, seed=11).probe_plan
    for probe in plan.probes.values():
        if probe.kind != "call":
            continue
        args, kwargs = plan.call_args(probe)
        mine = simulate(REFERENCE, probe.func, args, kwargs)
        if mine is None:
            assert probe.func in ("init_weights", "relu"), probe.func
            continue
        result = getattr(reference, probe.func)(*plan.call_args(probe)[0], **plan.call_args(probe)[1])
        expected = list(result) if probe.outputs > 1 else [result]
        for got, want in zip(mine, expected):
            np.testing.assert_allclose(got, np.asarray(want, dtype=float), rtol=1e-12, atol=1e-14, err_msg=probe.id)


# ------------------------------------------------ one fixture per mistake, in process

SEEDS = (7, 101, 20261202)      # a mistake is caught and named whatever inputs the seed gives


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fixture", MISTAKE_FIXTURES, ids=[f.name for f in MISTAKE_FIXTURES])
def test_each_mistake_is_named_on_the_tests_it_fails(fixture, seed, tmp_path, in_data_dir):
    nb = fixture.build()
    run = grade_in_process(nb, tmp_path, seed=seed)
    names = diagnosed(run)
    failed = {t.id for t in run.tests if not t.passed} - TRAINING_TESTS
    assert failed, "the fixture fails no test"
    # named on every failed test (but the listed ones, and those of functions the fixture does not write) ...
    missing = {name for name in failed - fixture.undiagnosed - unanswered_tests(nb)
               if fixture.mistake not in names.get(name, [])}
    assert not missing, f"{fixture.name}: not diagnosed on {sorted(missing)}; diagnosed: {names}"
    # ... and nothing else is named, and never on a passed test
    named = {mistake for ids in names.values() for mistake in ids}
    assert named <= {fixture.mistake} | fixture.also, f"{fixture.name}: unexpected {named}"
    for test in run.tests:
        if test.passed:
            assert not test.tags and "diagnosis" not in test.extra, test.name
        elif test.id in names:
            assert test.hint.startswith("This looks like: "), test.hint
            assert [d["id"] for d in test.extra["diagnosis"]] == names[test.id]
            assert names[test.id][0] == fixture.mistake, f"{test.id}: most likely first: {names[test.id]}"


CORRECT = {build.__name__: build for build in (fixtures.correct, fixtures.per_sample_loops, fixtures.column_outputs)}
CORRECT.update({f"independent_{style}": partial(independent_notebook, style) for style in STYLES})


@pytest.mark.parametrize("build", CORRECT.values(), ids=CORRECT)
def test_correct_submissions_are_never_diagnosed(build, tmp_path, in_data_dir):
    nb = build()
    run = grade_in_process(nb, tmp_path)
    # training is not run in process; a bonus added after the solution was written is not in it
    left_out = TRAINING_TESTS | unanswered_tests(nb)
    assert {t.id for t in run.tests if not t.passed} <= left_out
    for test in (test for test in run.tests if test.id not in left_out):
        assert not test.tags and not {"diagnosis", "gradient_blocks"} & set(test.extra), test.name


def test_random_outputs_get_no_name(tmp_path, in_data_dir):
    run = grade_in_process(random_outputs(), tmp_path)
    assert sum(not t.passed for t in run.tests) >= 30
    assert diagnosed(run) == {}
    assert all(not t.hint.startswith("This looks like") for t in run.tests)
    # the per-block table is given all the same: it says where a gradient is wrong, not why
    assert any("gradient_blocks" in t.extra for t in run.tests)


def test_several_seeds_random_and_mistake(tmp_path, in_data_dir):
    """Other probe inputs (another seed) give the same verdicts."""
    for seed in (101,):
        assert diagnosed(grade_in_process(random_outputs(), tmp_path / f"r{seed}", seed=seed)) == {}
        names = diagnosed(grade_in_process(MISTAKE_FIXTURES[0].build(), tmp_path / f"m{seed}", seed=seed))
        assert names and {m for ids in names.values() for m in ids} == {MISTAKE_FIXTURES[0].mistake}


# --------------------------------------------------------- built by hand: edge cases

def _run_with(tmp_path, outcomes):
    """A checked run whose call probes return ``outcomes(plan, probe, reference outputs)``."""
    from grader.stages.check import check
    from assignment.kit.judges import GradingContext
    run = new_run(tmp_path, seed=5)
    ctx = GradingContext(run)
    for probe in run.probe_plan.probes.values():
        if probe.kind == "call":
            run.probe_outcomes[probe.id] = outcomes(run.probe_plan, probe, ctx.expected(probe.id))
        else:
            run.probe_outcomes[probe.id] = ProbeOutcome("not_run", "not in this test")
    check(run)
    return run


def test_odd_outputs_never_break_the_stage(tmp_path):
    shapes = iter([[], [np.zeros(3)], [np.array([np.nan])], [np.full((2, 2), np.inf)], [np.zeros(0)]])

    def odd(plan, probe, expected):
        try:
            return ProbeOutcome("ok", values=next(shapes))
        except StopIteration:
            return ProbeOutcome("error", "ZeroDivisionError")
    run = _run_with(tmp_path, odd)
    diagnose(run)
    assert diagnosed(run) == {}
    assert not any("diagnosis_error" in t.extra for t in run.tests)


def test_a_passed_test_is_left_alone_even_when_it_matches(tmp_path):
    """Outputs of the biases-regularized variant, but the test marked passed: no name."""
    mistake = MISTAKES["biases_regularized"]

    def variant(plan, probe, expected):
        values = mistake.simulate(0, probe.func, *plan.call_args(probe))
        return ProbeOutcome("ok", values=values if values is not None else expected)
    run = _run_with(tmp_path, variant)
    failed = [t for t in run.tests if not t.passed]
    assert failed
    diagnose(run)
    assert all("mistake:biases_regularized" in t.tags for t in failed if t.id not in TRAINING_TESTS)
    for test in run.tests:      # the same outputs, every test marked passed: nothing is named
        test.passed, test.tags, test.extra = True, [], {}
    diagnose(run)
    assert all(not t.tags and not t.extra for t in run.tests)


def test_block_summary_sentences():
    sizes = [2, 3, 3, 1]
    rng = np.random.default_rng(0)
    ref = rng.standard_normal(reference.n_params(sizes))

    def rows(wrong):
        return [{"block": f"{kind}_{l}", "layer": l, "rel_error": 0.5 if (kind, l) in wrong or l in wrong else 0.0,
                 "wrong": (kind, l) in wrong or l in wrong} for l in (1, 2, 3) for kind in "Wb"]
    assert "from layer 2 down" in block_summary(rows({1, 2}), ref + 1, ref)
    assert "Right for layer 3" in block_summary(rows({1, 2}), ref + 1, ref)
    assert "relu'" in block_summary(rows({1}), ref + 1, ref, activation="relu")
    assert "output layer 3" in block_summary(rows({1, 2, 3}), ref + 1, ref)
    assert "sign error" in block_summary(rows({1, 2, 3}), -ref, ref)
    assert "N = 40 times" in block_summary(rows({1, 2, 3}), 40 * ref, ref, n_samples=40)
    assert "bias gradients are wrong" in block_summary(rows({("b", 1), ("b", 3)}), ref + 1, ref)
    assert "regularization term" in block_summary(rows({("W", 1), ("W", 2), ("W", 3)}), ref + 1, ref)
    assert "what disagrees is your loss" in block_summary(rows(set()), ref, ref)


def test_training_proxy_tells_whether_the_mistake_explains_a_failed_training(tmp_path):
    run = new_run(tmp_path, seed=5, config=GraderConfig(figures=False, train_restarts=1))
    bad = training_proxy(run, "1", {(MISTAKES["gradient_sign"], 0): {"grad"}}, budget=20)
    assert bad["explains"] and bad["accuracy"] < bad["target"]
    harmless = training_proxy(run, "1", {(MISTAKES["biases_regularized"], 0): {"loss", "grad"}}, budget=20)
    assert not harmless["explains"]
    assert training_proxy(run, "1", {(MISTAKES["softmax_without_shift"], 0): {"loss"}}, budget=20) is None


# ------------------------------------------------------------ results.json and feedback

def test_tags_diagnosis_and_blocks_reach_results_json_and_feedback(tmp_path, in_data_dir):
    fixture = next(f for f in MISTAKE_FIXTURES if f.name == "missing_sigma_prime")
    run = grade_in_process(fixture.build(), tmp_path)
    results = results_dict(run)
    assert validate_results(results) == []
    by_name = {t["name"]: t for t in results["tests"]}
    test = by_name[TESTS_BY_ID["2.gradient"].name]
    assert test["tags"] == ["mistake:missing_sigma_prime"]
    assert test["extra_data"]["diagnosis"][0]["id"] == "missing_sigma_prime"
    assert "This looks like: the activation's derivative" in test["output"]
    blocks = test["extra_data"]["gradient_blocks"]
    assert [row["block"] for row in blocks] == [f"{k}_{l}" for l in range(1, 6) for k in "Wb"]
    assert [row["wrong"] for row in blocks] == [True] * 8 + [False] * 2
    assert "wrong from layer 4 down" in test["extra_data"]["gradient_blocks_summary"]
    json.dumps(results, allow_nan=False)

    out = tmp_path / "feedback"
    write_feedback(run, out)
    md = (out / "feedback.md").read_text()
    html_text = (out / "feedback.html").read_text()
    assert "| W\\_4 | " in md and "wrong from layer 4 down" in md
    charts = sorted(out.glob("gradient_blocks_*.png"))
    assert charts and all(path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for path in charts)
    assert f"]({charts[0].name})" in md
    assert html_text.count("data:image/png;base64,") == len(charts)
    assert "<td>W_4</td>" in html_text


def test_feedback_escapes_odd_gradient_rows(tmp_path):
    run = new_run(tmp_path, seed=5)
    test = Result(name="a gradient test", number="2", max_score=1.0, hint="h")
    test.extra["gradient_blocks"] = [{"block": "<script>W_1", "rel_error": float("nan"), "wrong": True},
                                     {"block": "b_1", "rel_error": "x", "wrong": False}, "not a row"]
    test.extra["gradient_blocks_summary"] = "<b>bold</b>"
    run.tests = [test]
    write_feedback(run, tmp_path / "fb")
    html_text = (tmp_path / "fb" / "feedback.html").read_text()
    assert "<script>W_1" not in html_text and "&lt;script&gt;W_1" in html_text and "<b>bold" not in html_text
    assert "inf or NaN" in (tmp_path / "fb" / "feedback.md").read_text()


# ------------------------------------------------------------------ end to end (slow)

E2E = ["missing_sigma_prime", "half_lambda"]


@pytest.mark.parametrize("name", E2E)
def test_end_to_end_diagnosis(name, tmp_path):
    fixture = next(f for f in MISTAKE_FIXTURES if f.name == name)
    notebook = tmp_path / f"{name}.ipynb"
    nbformat.write(fixture.build(), str(notebook))
    run = grade_notebook(notebook, tmp_path / "out", GraderConfig(train_budget=10))
    assert run.status == "graded", run.message
    assert "diagnose" in run.timings
    results = json.loads((tmp_path / "out" / name / "results.json").read_text())
    assert validate_results(results) == []
    tagged = {t["name"]: t["tags"] for t in results["tests"] if t["tags"]}
    assert tagged and all(f"mistake:{fixture.mistake}" in tags or set(tags) <= {f"mistake:{m}" for m in fixture.also}
                          for tags in tagged.values()), tagged
    assert all(t["status"] == "failed" for t in results["tests"] if t["tags"])
    md = (tmp_path / "out" / name / "feedback.md").read_text()
    assert "This looks like: " in md and "Your gradient, block by block" in md
    if name == "missing_sigma_prime":
        training = [t for t in results["tests"] if TESTS_BY_NAME[t["name"]] in TRAINING_TESTS and t["status"] == "failed"]
        proxies = [t["extra_data"]["training_proxy"] for t in training if "training_proxy" in t["extra_data"]]
        assert proxies and all(p["mistake"] == "missing_sigma_prime" for p in proxies)
        assert all(math.isfinite(p["accuracy"]) for p in proxies)
