"""The assignment's list of exercises and what is derived from it: each exercise's tests, probes,
points and ids, the schema, and the registries that refuse names they do not know."""
import dataclasses
import types

import numpy as np
import pytest

import assignment
import reference
from assignment.kit.assembly import assemble_plan
from assignment.kit.exercise import Exercise, labelled
from assignment.kit.public import PublicCases
from assignment.kit.simulator import REFERENCE, simulate
from assignment.kit.training import Training
from grader.config import GraderConfig
from grader.reports.results_json import load_schema
from reference.activations import get_activation
from reference.losses import get_loss
from tests.contract import BONUS, CONTRACT_POINTS   # the contract's table, copied on purpose

SEEDS = (0, 20261201)


@pytest.fixture(scope="module")
def plans():
    return [assignment.build_plan(seed, GraderConfig()) for seed in SEEDS]


def test_the_exercises_are_the_contracts_in_notebook_order():
    assert assignment.EXERCISE_POINTS == CONTRACT_POINTS
    assert list(assignment.EXERCISE_POINTS) == list(CONTRACT_POINTS)
    assert assignment.BONUS_EXERCISES == BONUS
    assert assignment.BASE_POINTS == sum(points for exercise, points in CONTRACT_POINTS.items() if exercise not in BONUS)
    assert assignment.BONUS_POINTS == sum(CONTRACT_POINTS[exercise] for exercise in BONUS)


@pytest.mark.parametrize("exercise", assignment.EXERCISES, ids=assignment.EXERCISE_IDS)
def test_an_exercises_tests_add_up_to_its_points(exercise):
    assert exercise.tests, f"{exercise.label} has no graded test"
    assert sum(test.points for test in exercise.tests) == exercise.points


@pytest.mark.parametrize("exercise", assignment.EXERCISES, ids=assignment.EXERCISE_IDS)
def test_an_exercises_test_ids_are_its_own_and_stable_in_form(exercise):
    for test in exercise.tests:
        assert test.number == exercise.id, test.id
        key = test.id.split(".", 1)[1]
        assert key.isidentifier() and key == key.lower(), test.id


@pytest.mark.parametrize("exercise", assignment.EXERCISES, ids=assignment.EXERCISE_IDS)
def test_every_probe_an_exercises_tests_read_is_in_the_plan(exercise, plans):
    for plan in plans:
        for test in exercise.tests:
            assert test.probes, f"{test.id} reads no probe"
            missing = [probe_id for probe_id in test.probes + test.also_reads if probe_id not in plan.probes]
            assert not missing, f"{test.id} reads probes the plan does not make: {missing}"


@pytest.mark.parametrize("exercise", assignment.EXERCISES, ids=assignment.EXERCISE_IDS)
def test_an_exercise_probes_only_its_own_functions(exercise, plans):
    """A call probe of an exercise calls one of its functions, or the loss of the gradient it asks for."""
    allowed = set(exercise.functions)
    for plan in plans:
        for probe in plan.probes.values():
            if probe.exercise == exercise.id and probe.kind == "call":
                assert probe.func in allowed | {"bce_grad", "backprop", "ce_backprop"}, probe.id
            assert probe.func in reference.__all__, probe.id


def test_every_probe_of_the_plan_is_read_by_a_test_or_by_the_backprop_evidence(plans):
    read = {probe_id for test in assignment.TESTS for probe_id in test.probes + test.also_reads}
    for plan in plans:
        unread = {probe.id for probe in plan.probes.values() if probe.id not in read and probe.kind != "cost"}
        assert not unread, f"probes no test reads: {sorted(unread)}"
        costs = {probe.exercise for probe in plan.probes.values() if probe.kind == "cost"}
        assert costs == {e.id for e in assignment.EXERCISES if e.gradient_cost is not None}


def test_a_seed_always_gives_the_same_plan():
    first, again = (assignment.build_plan(7, GraderConfig()) for _ in range(2))
    assert list(first.probes) == list(again.probes)
    assert all(np.array_equal(first.arrays[name], again.arrays[name]) for name in first.arrays)


def _probe_inputs(plan, exercise_id):
    """{probe id: (its entry, {array name: the array})} of one exercise's probes."""
    inputs = {}
    for probe in plan.probes.values():
        if probe.exercise == exercise_id:
            names = {ref["array"] for ref in [*probe.args, *probe.kwargs.values()]
                     if isinstance(ref, dict) and "array" in ref}
            names |= {case[key] for case in probe.options.get("cases", []) for key in ("W", "X", "t")}
            inputs[probe.id] = (probe.entry(), {name: plan.arrays[name] for name in sorted(names)})
    return inputs


def _same_inputs(first, second):
    return first.keys() == second.keys() and all(
        first[i][0] == second[i][0] and first[i][1].keys() == second[i][1].keys()
        and all(np.array_equal(first[i][1][n], second[i][1][n]) for n in first[i][1]) for i in first)


def test_labels_tell_every_exercise_apart_two_bonus_exercises_too():
    assert len({e.label for e in assignment.EXERCISES}) == len(assignment.EXERCISES)
    twin = dataclasses.replace(assignment.BY_ID["bonus"], id="bonus-twin", title="A second bonus")
    labels = [e.label for e in labelled(assignment.EXERCISES + [twin])]
    assert len(set(labels)) == len(labels), labels


def test_an_exercise_keeps_its_public_inputs_when_another_is_moved_or_left_out():
    """The self-check's cases draw from a stream per exercise (and per shared input): leaving the bonus
    out, or moving it last, changes no other exercise's public case."""
    def public_cases(exercises):
        cases = PublicCases(6_2026)
        for exercise in exercises:
            exercise.add_public_cases(cases)
        return cases.cases
    others = [e for e in assignment.EXERCISES if e.id != "bonus"]
    as_listed = public_cases(assignment.EXERCISES)
    for changed in (public_cases(others), public_cases(others + [assignment.BY_ID["bonus"]])):
        assert set(changed) <= set(as_listed)
        assert all(changed[case_id] == as_listed[case_id] for case_id in changed), \
            [case_id for case_id in changed if changed[case_id] != as_listed[case_id]]


def test_an_exercise_keeps_its_probes_when_another_is_moved_or_left_out():
    """Each exercise draws from a stream of its own: putting the bonus last, or leaving it out,
    changes no other exercise's probes (a new exercise may go anywhere in MODULES)."""
    config, seed = GraderConfig(), 20261202
    others = [e for e in assignment.EXERCISES if e.id != "bonus"]
    bonus = assignment.BY_ID["bonus"]
    as_listed = assemble_plan(assignment.EXERCISES, seed, config)
    bonus_last = assemble_plan(others + [bonus], seed, config)
    without_bonus = assemble_plan(others, seed, config)
    for exercise in others:
        listed = _probe_inputs(as_listed, exercise.id)
        assert listed, exercise.id
        assert _same_inputs(listed, _probe_inputs(bonus_last, exercise.id)), exercise.id
        assert _same_inputs(listed, _probe_inputs(without_bonus, exercise.id)), exercise.id
    assert _same_inputs(_probe_inputs(as_listed, "bonus"), _probe_inputs(bonus_last, "bonus"))


def test_the_contract_functions_come_from_the_exercises_and_exist_in_the_reference():
    assert assignment.CONTRACT_FUNCTIONS == {e.id: list(e.functions) for e in assignment.EXERCISES}
    for names in assignment.CONTRACT_FUNCTIONS.values():
        for name in names:
            assert callable(getattr(reference, name)), name


def test_the_results_schema_takes_its_exercise_ids_and_top_score_from_the_assignment():
    schema = load_schema("week6_results")
    assert schema["$defs"]["test"]["properties"]["number"]["enum"] == assignment.EXERCISE_IDS
    assert schema["properties"]["extra_data"]["properties"]["exercise_scores"]["required"] == assignment.EXERCISE_IDS
    assert schema["properties"]["score"]["maximum"] == assignment.BASE_POINTS + assignment.BONUS_POINTS


def test_a_module_without_the_required_names_is_refused():
    module = types.ModuleType("assignment.broken")
    module.ID, module.TITLE, module.POINTS = "4", "Nothing", 5
    with pytest.raises(TypeError, match="FUNCTIONS"):
        Exercise.of(module)


def test_an_unknown_activation_or_loss_is_an_error_never_a_default():
    with pytest.raises(ValueError, match="unknown activation 'leaky_relu'"):
        get_activation("leaky_relu")
    with pytest.raises(ValueError, match="unknown loss 'mse'"):
        get_loss("mse")
    with pytest.raises(ValueError, match="unknown activation"):
        REFERENCE.activation("softplus")
    W = np.zeros(reference.n_params([2, 3, 1]))
    with pytest.raises(ValueError, match="unknown activation"):
        simulate(REFERENCE, "backprop", [W, np.zeros((2, 2)), np.zeros(2, int), [2, 3, 1], 0.0], {"activation": "elu"})
    with pytest.raises(ValueError, match="unknown training setup"):
        Training(setup="4", functions=("backprop",), mode="backprop")


def test_the_registries_know_the_activations_the_contract_names():
    for name in ("sigmoid", "relu"):
        activation = get_activation(name)
        a = np.linspace(-3, 3, 7)
        assert np.allclose(activation.function(a), reference.activations.ACTIVATIONS[name][0](a))
        assert np.allclose(eval(activation.numpy_source, {"np": np, "A": a}), activation.function(a))


def test_the_saturated_loss_probe_breaks_a_naive_log_loss_for_every_seed():
    """1c's advice test catches -mean(t log p + (1 - t) log(1 - p)) only where some p rounds to
    exactly 0 or 1: random weights of scale 60 alone gave that for about 3 seeds in 5."""
    config = GraderConfig()
    for seed in range(40):
        plan = assignment.build_plan(seed, config)
        W, X, t = (plan.arrays[ref["array"]] for ref in plan.probes["1c-bce_loss-saturated"].args[:3])
        p = reference.sigmoid(reference.network.forward(W, X, [2, 3, 1])[0][-1][:, 0])
        with np.errstate(divide="ignore", invalid="ignore"):
            naive = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
        assert not np.isfinite(naive), seed
        assert np.isfinite(reference.bce_loss(W, X, t, [2, 3, 1], 0.0)), seed
