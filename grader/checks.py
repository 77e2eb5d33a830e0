"""The graded tests: points, probes and verdicts, exercise by exercise.

Each test is a :class:`TestSpec` in ``TESTS``: its exercise, its name, its
points and a function ``judge(ctx) -> Verdict``. The points of each exercise
add up to the contract's total (``grader.config.EXERCISE_POINTS``); a test
in ``make test`` checks that. To change a split, edit the numbers here.
"""
from dataclasses import dataclass
import numpy as np

import reference
from reference.init import init_limits
from reference.params import unpack
from reference.training import SETUPS

from student_template.arraycheck import Verdict, check_array, check_scalar, describe, relative_error
from .backprop_evidence import FLAG, cached_evidence
from .reference_outcomes import accuracy_of, reference_training, training_data


@dataclass
class TestSpec:
    """probes: the ids of the probes the judge looks at; output: the index of the output it
    compares (None: every output). Both are read from the judge when it carries them (the
    builders below set them) and let the diagnose stage look at the same calls."""
    number: str
    name: str
    points: float
    judge: callable
    hint: str = ""
    probes: tuple = ()
    output: int | None = None

    def __post_init__(self):
        self.probes = tuple(self.probes or getattr(self.judge, "probes", ()))
        if self.output is None:
            self.output = getattr(self.judge, "output", None)


def _uses(judge, probes, output=None):
    """Record on ``judge`` the probes it reads (and which output), for TestSpec."""
    judge.probes, judge.output = tuple(probes), output
    return judge


class Context:
    """What a judge may look at: the plan, the outcomes, the reference, the tolerances."""

    def __init__(self, run):
        self.run = run
        self.plan = run.probe_plan
        self.outcomes = run.probe_outcomes
        self.tol = run.config.tolerances
        self._expected = {}

    def outcome(self, probe_id):
        return self.outcomes[probe_id]

    def expected(self, probe_id):
        """The reference's outputs for the same call, as a list of arrays."""
        if probe_id not in self._expected:
            probe = self.plan.probes[probe_id]
            args, kwargs = self.plan.call_args(probe)
            result = getattr(reference, probe.func)(*args, **kwargs)
            outputs = list(result) if probe.outputs > 1 else [result]
            self._expected[probe_id] = [np.asarray(part, dtype=float) for part in outputs]
        return self._expected[probe_id]

    def describe_call(self, probe_id):
        probe = self.plan.probes[probe_id]
        shown = []
        for ref in probe.args:
            if "array" in ref:
                shown.append(f"<array {self.plan.arrays[ref['array']].shape}>")
            elif "rng" in ref:
                shown.append(f"np.random.default_rng({ref['rng']})")
            else:
                shown.append(repr(ref["value"]))
        shown += [f"{key}={ref['value']!r}" for key, ref in probe.kwargs.items()]
        return f"{probe.func}({', '.join(shown)})"


# -- building blocks ----------------------------------------------------------
def call_problem(ctx, probe_id):
    """A failed Verdict if the call did not return normally, else None."""
    outcome = ctx.outcome(probe_id)
    if outcome.ok:
        return None
    call = ctx.describe_call(probe_id)
    probe = ctx.plan.probes[probe_id]
    hints = {
        "missing": f"Define `{probe.func}` with the signature the notebook gives (a cell that raised may have left it undefined).",
        "error": "Run this call in your notebook to see the full traceback.",
        "timeout": "Look for a loop that does not end, or work repeated far more often than needed.",
        "bad_output": "Return numbers (floats or numpy arrays), in the form the exercise asks for.",
        "not_run": "An earlier problem stopped these checks; fix the reported cell and submit again.",
        "no_time": f"The whole grading has {ctx.run.config.time_budget:g} s: look for sleeps, or loops that redo "
                   "work, in your notebook's cells and functions.",
    }
    what_failed = {"missing": "is not defined", "error": "raised an error", "timeout": "ran out of time",
                   "bad_output": "returned something unreadable", "not_run": "could not be checked",
                   "no_time": "was not checked"}[outcome.status]
    return Verdict(False, f"{call} to return normally", f"{probe.func} {what_failed}: {outcome.error}",
                   hints[outcome.status])


def all_of(verdicts, passed_text):
    """The first failing verdict, or one passing verdict that summarizes them."""
    for verdict in verdicts:
        if not verdict.passed:
            return verdict
    return Verdict(True, passed_text)


def values_verdicts(ctx, probe_ids, output=0, what=None, scalar=False):
    """Verdicts comparing output ``output`` of each probe with the reference."""
    for probe_id in probe_ids:
        problem = call_problem(ctx, probe_id)
        if problem:
            yield problem
            continue
        got = ctx.outcome(probe_id).values
        if output >= len(got):
            yield Verdict(False, f"a value at position {output} of the result", f"{len(got)} value(s)")
            continue
        label = f"{ctx.describe_call(probe_id)}{f'[{output}]' if ctx.plan.probes[probe_id].outputs > 1 else ''}"
        compare = check_scalar if scalar else check_array
        verdict = compare(got[output], ctx.expected(probe_id)[output], what or label, ctx.tol.rtol, ctx.tol.atol)
        if not verdict.passed and what:
            verdict.expected = f"{label}: {verdict.expected}"
        yield verdict


def values_test(probe_ids, output=0, scalar=False, passed_text="Values match the reference."):
    def judge(ctx):
        return all_of(values_verdicts(ctx, probe_ids, output, scalar=scalar), passed_text)
    return _uses(judge, probe_ids, output)


def no_warnings_test(probe_ids, passed_text):
    """Values match and the call emitted no RuntimeWarning (overflow, invalid value, divide by zero)."""
    def judge(ctx):
        verdicts = list(values_verdicts(ctx, probe_ids))
        for probe_id in probe_ids:
            outcome = ctx.outcome(probe_id)
            if outcome.ok and outcome.warnings:
                verdicts.append(Verdict(False, f"{ctx.describe_call(probe_id)} without warnings",
                                        "; ".join(outcome.warnings[:3]),
                                        "exp(-a) overflows for a << 0: rewrite the formula so that exp only "
                                        "sees non-positive numbers (or use np.logaddexp)."))
        return all_of(verdicts, passed_text)
    return _uses(judge, probe_ids)


# A loss is worth differentiating when it moves: a constant loss has slopes exactly 0 (and a
# zero gradient is its exact derivative). The reference's smallest largest slope over the
# probed directions is far above this (see tests/grader/test_validity.py), and float noise of
# a loss that returns the same number whatever W is stays far below it.
FLAT_SLOPE = 1e-6
MATCHES_REFERENCE = ("Your gradient matches the reference's: it is the derivative of the right loss, "
                     "whatever your own loss returns.")


def consistency_verdict(ctx, fd_id, point_id, output):
    """Verdict on one finite-difference check: the gradient at the fd point against the central
    differences of the submission's own loss along each probed direction.

    A gradient equal to the reference's passes whatever the loss: it is the derivative of the
    right loss, and a missing or wrong loss is charged by the loss tests alone. Otherwise the
    loss must be worth differentiating (finite, changing with W) and the gradient not zero."""
    point = ctx.outcome(point_id)
    if point.ok and output < len(point.values) and check_array(
            point.values[output], ctx.expected(point_id)[output], "", ctx.tol.rtol, ctx.tol.atol).passed:
        return Verdict(True, MATCHES_REFERENCE)
    problem = call_problem(ctx, fd_id) or call_problem(ctx, point_id)
    if problem:
        return problem
    directions = ctx.plan.arrays[ctx.plan.probes[fd_id].options["directions"]]
    slopes = ctx.outcome(fd_id).values[0].reshape(-1)
    grad = point.values[output].reshape(-1)
    if grad.size != directions.shape[1]:
        return Verdict(False, f"a gradient of {directions.shape[1]} values", f"{grad.size} values",
                       "The gradient has the shape of W.")
    loss_name = ctx.plan.probes[fd_id].func
    if not np.all(np.isfinite(slopes)):
        return Verdict(False, f"a finite loss around W, to differentiate ({ctx.describe_call(fd_id)})",
                       f"central differences {describe(slopes)}",
                       f"Your {loss_name} is not finite near this W: the consistency of a gradient with it cannot "
                       "be checked, and earns nothing. Fix the loss first.")
    if np.max(np.abs(slopes)) <= FLAT_SLOPE or not np.any(grad):
        flat = np.max(np.abs(slopes)) <= FLAT_SLOPE
        return Verdict(False, f"a loss that changes with W and its non-zero gradient ({ctx.describe_call(point_id)})",
                       f"your {loss_name} does not change along any of the {len(slopes)} probed directions "
                       f"(largest slope {np.max(np.abs(slopes)):.2g})" if flat else "a gradient of zeros",
                       "No credit for consistency here: the derivative of a constant is zero, so a constant loss "
                       "and a zero gradient agree without computing anything. Compute the loss from the network's "
                       "outputs and differentiate it.")
    projected = directions @ grad
    verdict = check_array(projected, slopes, "finite differences of your own loss", ctx.tol.fd_rtol, ctx.tol.fd_atol)
    if verdict.passed:
        return verdict
    return Verdict(False,
                   f"your gradient to agree with central differences of your own loss "
                   f"({ctx.describe_call(point_id)}): {describe(slopes)}",
                   f"{describe(projected)} (relative error {relative_error(projected, slopes):.2e})",
                   "Your gradient is not the derivative of your loss. Check each term: the "
                   "regularization gradient (2 * lam * W_l, none for biases), the 1/N, and sigma' "
                   "at each hidden layer.")


def gradient_consistency_test(fd_ids, output):
    """The submission's gradient, projected on each direction, equals the central
    differences of its own loss along it: right even when the loss itself is wrong
    (see :func:`consistency_verdict` for when the credit is given without, or withheld despite, it)."""
    def judge(ctx):
        verdicts = [consistency_verdict(ctx, fd_id, fd_id.replace("-fd-", "-fdpoint-"), output) for fd_id in fd_ids]
        if all(verdict.expected == MATCHES_REFERENCE for verdict in verdicts):
            return Verdict(True, MATCHES_REFERENCE)
        return all_of(verdicts, "Your gradient agrees with central differences of your own loss.")
    return _uses(judge, [probe for fd_id in fd_ids for probe in (fd_id, fd_id.replace("-fd-", "-fdpoint-"))], output)


# -- 1a -------------------------------------------------------------------------
def loaded_pair(ctx, probe_id):
    """((X, t), (X_ref, t_ref)) from a loader probe, or (None, failing Verdict)."""
    problem = call_problem(ctx, probe_id)
    if problem:
        return None, problem
    values = ctx.outcome(probe_id).values
    if len(values) != 2:
        return None, Verdict(False, "a pair (X, t)", f"{len(values)} values")
    return (values, ctx.expected(probe_id)), None


def judge_load_shapes(probe_id):
    def judge(ctx):
        pairs, problem = loaded_pair(ctx, probe_id)
        if problem:
            return problem
        (X, t), (X_ref, t_ref) = pairs
        if X.ndim != 2 or X.shape != X_ref.shape:
            return Verdict(False, f"X of shape {X_ref.shape}", f"X of shape {X.shape}",
                           "Stack the classes' points as rows: np.vstack, one row per point, two columns.")
        if t.size != t_ref.size:
            return Verdict(False, f"t with {t_ref.size} labels", f"t of shape {t.shape}",
                           "One label per row of X.")
        return Verdict(True, f"X {X_ref.shape} and t ({t_ref.size},) have the right shapes.")
    return judge


def judge_load_values(probe_id, labels):
    def judge(ctx):
        pairs, problem = loaded_pair(ctx, probe_id)
        if problem:
            return problem
        (X, t), (X_ref, t_ref) = pairs
        verdict = check_array(X, X_ref, "X, class 1 rows first", ctx.tol.rtol, ctx.tol.atol)
        if not verdict.passed:
            verdict.hint = "Load the class files in order (class 1 first) and stack them without shuffling."
            return verdict
        verdict = check_array(t, t_ref, f"labels t in {labels}", 0, 0)
        if not verdict.passed:
            verdict.hint = "Class k gets label k - 1: the first file's points get 0."
            return verdict
        return Verdict(True, "X and t match the data files.")
    return _uses(judge, [probe_id])


# -- 1e: initialization and training ---------------------------------------------
def init_layers(ctx, probe_id):
    """(sizes, layers) of an init probe's result, or a failing Verdict."""
    problem = call_problem(ctx, probe_id)
    if problem:
        return None, problem
    sizes = ctx.plan.probes[probe_id].args[0]["value"]
    W = ctx.outcome(probe_id).values[0].reshape(-1)
    if W.size != reference.n_params(sizes):
        return None, Verdict(False, f"init_weights({sizes}, rng) to return {reference.n_params(sizes)} values",
                             f"{W.size} values", "One flat vector: each W_l row-major, then b_l, layer by layer.")
    return unpack(W, sizes), None


def judge_init_bounds(probe_ids):
    def judge(ctx):
        for probe_id in probe_ids:
            layers, problem = init_layers(ctx, probe_id)
            if problem:
                return problem
            sizes = ctx.plan.probes[probe_id].args[0]["value"]
            for l, ((W_l, b_l), limit) in enumerate(zip(layers, init_limits(sizes)), start=1):
                if np.max(np.abs(W_l)) > limit * (1 + 1e-9):
                    return Verdict(False, f"layer {l} of {sizes}: weights in [-{limit:.4f}, {limit:.4f}]",
                                   f"max |W_{l}| = {np.max(np.abs(W_l)):.4f}",
                                   "e_l = sqrt(2 / (n[l-1] + n[l])) uses the sizes of layer l and the one before it.")
                if np.max(np.abs(b_l)) > limit * (1 + 1e-9):
                    return Verdict(False, f"layer {l} of {sizes}: biases 0 or in [-{limit:.4f}, {limit:.4f}]",
                                   f"max |b_{l}| = {np.max(np.abs(b_l)):.4f}")
        return Verdict(True, "Every layer's weights lie in [-e_l, e_l].")
    return judge


def judge_init_spread(probe_ids, big_probe_id):
    def judge(ctx):
        for probe_id in probe_ids:
            layers, problem = init_layers(ctx, probe_id)
            if problem:
                return problem
            for l, (W_l, _) in enumerate(layers, start=1):
                if W_l.shape[0] > 1 and np.any(np.all(np.isclose(W_l, W_l[0]), axis=1)[1:]):
                    return Verdict(False, f"layer {l}: every unit with its own random weights",
                                   "two units with identical weights",
                                   "Units that start equal stay equal under gradient descent: draw each weight independently.")
        layers, problem = init_layers(ctx, big_probe_id)
        if problem:
            return problem
        sizes = ctx.plan.probes[big_probe_id].args[0]["value"]
        for (W_l, _), limit in zip(layers, init_limits(sizes)):
            sample = np.sort(W_l.reshape(-1))
            uniform_cdf = (sample + limit) / (2 * limit)
            empirical = np.arange(1, sample.size + 1) / sample.size
            distance = float(np.max(np.abs(empirical - uniform_cdf)))
            # Kolmogorov-Smirnov: a true uniform sample of this size stays under 2/sqrt(n) far beyond 1e-3 odds
            if distance > 2.0 / np.sqrt(sample.size):
                return Verdict(False, f"weights of a {W_l.shape} layer spread uniformly over [-{limit:.4f}, {limit:.4f}]",
                               f"a distribution {distance:.3f} away from uniform (Kolmogorov-Smirnov distance); "
                               f"std {np.std(sample):.4f} instead of {limit / np.sqrt(3):.4f}",
                               "Draw from rng.uniform(-e_l, e_l, size=...), not from a normal law or a narrower interval.")
        return Verdict(True, "Units start different and weights are uniform over [-e_l, e_l].")
    return judge


def judge_training(exercise, functions):
    probe_id = f"train-{exercise}"

    def judge(ctx):
        setup = SETUPS[exercise]
        restarts = ctx.run.config.train_restarts
        reference_accuracy, reference_W = reference_training(exercise, restarts)
        X, t = training_data(exercise)
        record = {"layer_sizes": list(setup.layer_sizes), "loss": setup.loss, "activation": setup.activation,
                  "reference_W": reference_W, "reference_accuracy": reference_accuracy,
                  "submission_W": None, "submission_accuracy": None, "X": X, "t": t}
        ctx.run.trained[exercise] = record
        problem = call_problem(ctx, probe_id)
        if problem:
            problem.expected = f"training with your {functions} to run"
            return problem
        size = reference.n_params(list(setup.layer_sizes))
        finals = [W.reshape(-1) for W in ctx.outcome(probe_id).values if W.size == size and np.all(np.isfinite(W))]
        if not finals:
            return Verdict(False, "trained weights", "no finite weights came back from training")
        accuracies = [accuracy_of(W, exercise) for W in finals]
        best = int(np.argmax(accuracies))
        record.update(submission_W=finals[best], submission_accuracy=accuracies[best])
        needed = reference_accuracy - ctx.tol.accuracy_margin
        text = (f"training accuracy at least {needed:.3f} (the reference reaches {reference_accuracy:.3f} "
                f"from the same {restarts} initializations)")
        if accuracies[best] >= needed:
            return Verdict(True, f"Your training reaches {accuracies[best]:.3f}; {text}.")
        spent = ctx.outcome(probe_id).seconds
        return Verdict(False, text,
                       f"best accuracy {accuracies[best]:.3f} over {len(finals)} run(s) ({spent:.1f} s)",
                       f"minimize(..., jac=True) follows your {functions}: if the values checks above pass, "
                       "look at speed (the time budget is "
                       f"{ctx.run.config.train_budget:g} s); otherwise fix those first.")
    return _uses(judge, [probe_id])


# -- bonus -------------------------------------------------------------------------
def judge_relu_grad(ctx):
    verdict = all_of(values_verdicts(ctx, ["bonus-relu_grad-values"]), "")
    if not verdict.passed:
        return verdict
    problem = call_problem(ctx, "bonus-relu_grad-kink")
    if problem:
        return problem
    at_zero = ctx.outcome("bonus-relu_grad-kink").values[0].reshape(-1)
    if at_zero.size != 1 or at_zero[0] not in (0.0, 1.0):
        return Verdict(False, "relu_grad(0) equal to 0 or 1", describe(at_zero))
    return Verdict(True, "relu_grad matches, and its value at the kink is 0 or 1.")


# -- 3 -------------------------------------------------------------------------------
def judge_softmax_stable(ctx):
    verdict = no_warnings_test(["3-softmax-large"], "softmax is exact and finite for logits of 1000.")(ctx)
    if not verdict.passed and call_problem(ctx, "3-softmax-large") is None:
        verdict.hint = "Subtract each row's maximum before exp: softmax is unchanged and exp never overflows."
    return verdict


def ids(prefix, names):
    return [f"{prefix}-{name}" for name in names]


BCE_LAM0 = ids("1c-bce_loss", ["h3-lam0", "h5-lam0"])
BCE_LAM = ids("1c-bce_loss", ["h3-lam", "h5-lam"])
GRAD_LAM0 = ids("1d-bce_grad", ["h3-lam0", "h5-lam0"])
GRAD_LAM = ids("1d-bce_grad", ["h3-lam", "h5-lam", "single"])
DEPTHS_LAM0 = ids("2-backprop", [f"depth{d}-lam0" for d in range(1, 5)])
DEPTHS_LAM = ids("2-backprop", [f"depth{d}-lam" for d in range(1, 5)] + ["single"])
CE_ALL = ids("3-ce_backprop", ["depth1-lam0", "depth1-lam", "depth2-lam0", "depth2-lam"])
INIT_IDS = ["1e-init-2-3-1", "1e-init-2-10-10-10-10-1", "1e-init-2-400-300"]

TESTS = [
    TestSpec("1a", "load_data returns X (N, 2) and t (N,)", 2, judge_load_shapes("1a-load")),
    TestSpec("1a", "load_data: class 1 rows first, labels 0 and 1", 3, judge_load_values("1a-load", "{0, 1}")),

    TestSpec("1b", "sigmoid values (vectors and matrices)", 3,
             values_test(ids("1b-sigmoid", ["vector", "matrix"]))),
    TestSpec("1b", "sigmoid_grad values: sigma(a) * (1 - sigma(a))", 3,
             values_test(ids("1b-sigmoid_grad", ["vector", "matrix"]))),
    TestSpec("1b", "sigmoid and sigmoid_grad accept a scalar", 1,
             values_test(["1b-sigmoid-scalar", "1b-sigmoid_grad-scalar"])),
    TestSpec("1b", "sigmoid is stable for |a| up to 1000 (no warning, no NaN)", 2,
             no_warnings_test(["1b-sigmoid-extreme"], "sigmoid is exact and silent for |a| up to 1000.")),
    TestSpec("1b", "sigmoid_grad is stable for |a| up to 1000", 1,
             no_warnings_test(["1b-sigmoid_grad-extreme"], "sigmoid_grad is exact and silent for |a| up to 1000.")),

    TestSpec("1c", "bce_loss without regularization (hidden width 3 and 5)", 6,
             values_test(BCE_LAM0, scalar=True)),
    TestSpec("1c", "bce_loss with regularization lam * sum(W_l**2), biases excluded", 6,
             values_test(BCE_LAM, scalar=True)),
    TestSpec("1c", "bce_loss on a single sample", 3, values_test(["1c-bce_loss-single"], scalar=True)),
    TestSpec("1c", "bce_loss stays finite when the outputs saturate (advice, no points)", 0,
             values_test(["1c-bce_loss-saturated"], scalar=True)),

    TestSpec("1d", "bce_grad without regularization matches the reference", 5, values_test(GRAD_LAM0)),
    TestSpec("1d", "bce_grad with regularization, and on a single sample", 5, values_test(GRAD_LAM)),
    TestSpec("1d", "bce_grad is the derivative of your own bce_loss (finite differences)", 5,
             gradient_consistency_test(["1d-fd-h3"], output=0)),

    TestSpec("1e", "init_weights: length and per-layer bounds e_l", 4, judge_init_bounds(INIT_IDS)),
    TestSpec("1e", "init_weights: symmetry broken, uniform spread", 3,
             judge_init_spread(INIT_IDS, "1e-init-2-400-300")),
    TestSpec("1e", "predict gives labels p >= 0.5 -> 1", 3, values_test(ids("1e-predict", ["h3", "h5"]))),
    TestSpec("1e", "training with your bce_loss and bce_grad reaches the reference's accuracy", 5,
             judge_training("1", "bce_loss and bce_grad")),

    TestSpec("bonus", "relu values", 1, values_test(["bonus-relu-values", "bonus-relu-kink"])),
    TestSpec("bonus", "relu_grad values (either value at 0)", 1, judge_relu_grad, probes=["bonus-relu_grad-values"]),
    TestSpec("bonus", "backprop(..., activation='relu'): loss", 1, values_test(["bonus-backprop-relu"], 0, scalar=True)),
    TestSpec("bonus", "backprop(..., activation='relu'): gradient", 2, values_test(["bonus-backprop-relu"], 1)),

    TestSpec("2", "backprop loss, depths 1 to 4, lam = 0", 4, values_test(DEPTHS_LAM0, 0, scalar=True)),
    TestSpec("2", "backprop loss with regularization, and on a single sample", 3,
             values_test(DEPTHS_LAM, 0, scalar=True)),
    TestSpec("2", "backprop gradient, depths 1 to 4, lam = 0", 4, values_test(DEPTHS_LAM0, 1)),
    TestSpec("2", "backprop gradient with regularization, and on a single sample", 4, values_test(DEPTHS_LAM, 1)),
    TestSpec("2", "backprop gradient is the derivative of your own loss (depth 2 and 4)", 5,
             gradient_consistency_test(["2-fd-depth2", "2-fd-depth4"], output=1)),
    TestSpec("2", "training [2, 10, 10, 10, 10, 1] with your backprop reaches the reference's accuracy", 5,
             judge_training("2", "backprop")),

    TestSpec("3", "load_data_multiclass: X (N, 2), labels 0, 1, 2 in file order", 2,
             judge_load_values("3-load", "{0, 1, 2}")),
    TestSpec("3", "softmax values, row by row", 2, values_test(["3-softmax-random"])),
    TestSpec("3", "softmax is stable for logits of 1000", 1, judge_softmax_stable, probes=["3-softmax-large"]),
    TestSpec("3", "ce_backprop loss (depth 1 and 2, lam = 0 and > 0)", 3, values_test(CE_ALL, 0, scalar=True)),
    TestSpec("3", "ce_backprop gradient matches the reference", 3, values_test(CE_ALL, 1)),
    TestSpec("3", "ce_backprop gradient is the derivative of your own loss", 1,
             gradient_consistency_test(["3-fd-depth1"], output=1)),
    TestSpec("3", "predict_multiclass gives the argmax labels", 1, values_test(["3-predict"])),
    TestSpec("3", "training [2, 10, 3] with your ce_backprop reaches the reference's accuracy", 2,
             judge_training("3", "ce_backprop")),
]


# -- backpropagation required -----------------------------------------------------------
# The handout asks for the gradient by backpropagation: a gradient made of finite differences
# of the loss (grader/backprop_evidence.py) earns none of these tests, whatever its values.
BACKPROP_GRADIENT_TESTS = {
    "1d": ("bce_grad without regularization matches the reference", "bce_grad with regularization, and on a single sample",
           "bce_grad is the derivative of your own bce_loss (finite differences)"),
    "2": ("backprop gradient, depths 1 to 4, lam = 0", "backprop gradient with regularization, and on a single sample",
          "backprop gradient is the derivative of your own loss (depth 2 and 4)"),
    "bonus": ("backprop(..., activation='relu'): gradient",),
}


def backprop_required(judge, exercise):
    """``judge``, failed without points when the exercise's gradient is finite differences."""
    def wrapped(ctx):
        found = cached_evidence(ctx, exercise)
        if found is None or not found.finite_differences:
            return judge(ctx)
        func = ctx.plan.probes[f"{exercise}-cost"].func
        return Verdict(False, f"{func}'s gradient computed by backpropagation, as the exercise asks",
                       f"a gradient computed by finite differences of the loss: {found.explanation()}",
                       "Finite differences check a gradient (as the notebook's gradient_check does); they are "
                       "not backpropagation. Compute the output delta, send it back layer by layer "
                       "(delta_j = g'(a_j) sum_k w_kj delta_k) and form each layer's gradient from its deltas.",
                       tags=[FLAG], extra={"backprop_evidence": found.numbers})
    return _uses(wrapped, getattr(judge, "probes", ()), getattr(judge, "output", None))


for _spec in TESTS:
    for _exercise, _names in BACKPROP_GRADIENT_TESTS.items():
        if _spec.name in _names:
            _spec.judge = backprop_required(_spec.judge, _exercise)
