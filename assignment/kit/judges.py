"""The judges: how a graded test looks at the probes' outcomes and returns a :class:`Verdict`.

A graded test is a :class:`TestSpec` in its exercise's ``TESTS``: the hidden kind of
:class:`student_template.check_model.Check` (its stable id, the name the student reads, its points
and ``judge(ctx) -> Verdict``, ``ctx`` a :class:`GradingContext`). The builders here make the judges
the exercises share: values against the reference (the self-check's own values judge,
:mod:`student_template.common_judges`), no warnings, a gradient consistent with the
submission's own loss, the data loaders, and "backpropagation required". A test per exercise in
``make test`` checks that its tests' points add up to the exercise's total.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import reference
from student_template.arraycheck import Verdict, check_array, check_scalar, describe, relative_error
from student_template.check_model import HIDDEN, CallFailed, Check, reads
from student_template.common_judges import values_judge

from .backprop_evidence import FLAG, cached_evidence
from .gradient_cost import cost_probe_id

@dataclass
class TestSpec(Check):
    """One graded test: a hidden :class:`~student_template.check_model.Check`, its id "<exercise>.<key>"
    (its probes are the calls it reads; the diagnose stage looks at the same calls).

    also_reads: probes the judge reads that the diagnosis must not compare with the reference
    (e.g. relu_grad at its kink, where either value is right).
    requires_backprop: the test is failed without points when the exercise's gradient is made
    of finite differences of the loss (:mod:`assignment.kit.backprop_evidence`)."""
    also_reads: tuple = ()
    requires_backprop: bool = False

    def __post_init__(self):
        if self.id.count(".") != 1:
            raise ValueError(f"test id {self.id!r} must look like <exercise>.<key>")
        self.visibility, self.exercise = HIDDEN, self.number
        super().__post_init__()
        self.also_reads = tuple(self.also_reads)
        if self.requires_backprop:
            self.judge = backprop_required(self.judge, self.number)

    @property
    def number(self) -> str:
        """The exercise's id (results.json's "number")."""
        return self.id.split(".")[0]

    @property
    def probes(self) -> tuple:
        """The ids of the probes the judge reads (its calls)."""
        return self.calls


class GradingContext:
    """What a judge may look at (:class:`~student_template.check_model.CheckContext`, and the plan):
    the probes' outcomes, the reference's outputs for the same calls, the tolerances."""

    def __init__(self, run):
        self.run = run
        self.plan = run.probe_plan
        self.outcomes = run.probe_outcomes
        self.tol = run.config.tolerances
        self.rtol, self.atol = self.tol.rtol, self.tol.atol
        self.fd_rtol, self.fd_atol = self.tol.fd_rtol, self.tol.fd_atol
        self._expected = {}

    def outcome(self, probe_id):
        return self.outcomes[probe_id]

    def returned(self, probe_id, output=0):
        """Output ``output`` of the probe's call; CallFailed when the call did not return it."""
        problem = call_problem(self, probe_id)
        if problem:
            raise CallFailed(problem)
        got = self.outcome(probe_id).values
        if output >= len(got):
            raise CallFailed(Verdict(False, f"a value at position {output} of the result", f"{len(got)} value(s)"))
        return got[output]

    def expected(self, probe_id):
        """The reference's outputs for the same call, as a list of arrays."""
        if probe_id not in self._expected:
            probe = self.plan.probes[probe_id]
            args, kwargs = self.plan.call_args(probe)
            result = getattr(reference, probe.func)(*args, **kwargs)
            outputs = list(result) if probe.outputs > 1 else [result]
            self._expected[probe_id] = [np.asarray(part, dtype=float) for part in outputs]
        return self._expected[probe_id]

    def inputs(self, probe_id):
        return self.plan.call_args(self.plan.probes[probe_id])

    def warnings_of(self, probe_id):
        return list(self.outcome(probe_id).warnings)

    def describe_call(self, probe_id, output=None):
        """The call as the student could type it; with ``[output]`` when it picks one of several outputs."""
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
        picked = f"[{output}]" if output is not None and probe.outputs > 1 else ""
        return f"{probe.func}({', '.join(shown)}){picked}"


# -- building blocks ----------------------------------------------------------
# The key of Verdict.extra that names the probe whose call did not return, when that is why a test
# failed: the check stage moves it to TestResult.failed_call, and the feedback groups such tests by
# what stopped the call (grader/reports/causes.py).
FAILED_CALL = "failed_call"


def call_problem(ctx, probe_id):
    """A failed Verdict if the call did not return normally (``extra[FAILED_CALL]``: the probe), else None."""
    verdict = _call_problem(ctx, probe_id)
    if verdict is not None:
        verdict.extra[FAILED_CALL] = probe_id
    return verdict


def _call_problem(ctx, probe_id):
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
    if outcome.status == "error" and outcome.frames:
        return Verdict(False, f"{call} to return normally", raised_text(outcome), hints["error"])
    return Verdict(False, f"{call} to return normally", f"{probe.func} {what_failed}: {outcome.error}",
                   hints[outcome.status])


def raised_text(outcome) -> str:
    """"bce_grad raised TypeError: ... at line 2 of its cell, `sizes = layer_sizes + 1` (called by
    bce_loss)": the function of the notebook that raised (the innermost of the outcome's frames),
    not only the one the grader called."""
    raiser, entry = outcome.frames[-1], outcome.frames[0]
    where = f" at line {raiser.line} of its cell" + (f", `{raiser.text}`" if raiser.text else "")
    called_by = f" (called by {entry.function})" if entry.function != raiser.function else ""
    return f"{raiser.function} raised {outcome.error}{where}{called_by}"


def all_of(verdicts, passed_text):
    """The first failing verdict, or one passing verdict that summarizes them."""
    for verdict in verdicts:
        if not verdict.passed:
            return verdict
    return Verdict(True, passed_text)


def values_verdicts(ctx, probe_ids, output=0, what=None, scalar=False):
    """Verdicts comparing output ``output`` of each probe with the reference."""
    for probe_id in probe_ids:
        try:
            got = ctx.returned(probe_id, output)
        except CallFailed as failure:
            yield failure.verdict
            continue
        label = ctx.describe_call(probe_id, output)
        compare = check_scalar if scalar else check_array
        verdict = compare(got, ctx.expected(probe_id)[output], what or label, ctx.rtol, ctx.atol)
        if not verdict.passed and what:
            verdict.expected = f"{label}: {verdict.expected}"
        yield verdict


def values_test(probe_ids, output=0, scalar=False, passed_text="Values match the reference."):
    """Output ``output`` of each probe against the reference: the values judge of the self-check too."""
    return values_judge(probe_ids, output, scalar=scalar, passed_text=passed_text)


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
    return reads(judge, probe_ids)


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
                   f"({ctx.describe_call(point_id)}), along {len(slopes)} directions (expected: the "
                   f"differences; got: your gradient along each; relative error "
                   f"{relative_error(projected, slopes):.2e})",
                   verdict.got,
                   "Your gradient is not the derivative of your loss. Check each term: the "
                   "regularization gradient (2 * lam * W_l, none for biases), the 1/N, and sigma' "
                   "at each hidden layer.")


def gradient_consistency_test(pairs, output):
    """The submission's gradient, projected on each direction, equals the central
    differences of its own loss along it: right even when the loss itself is wrong
    (see :func:`consistency_verdict` for when the credit is given without, or withheld despite, it).
    pairs: (fd probe id, gradient-at-the-point probe id), as :func:`assignment.kit.plan.add_fd_probe`
    returns them or :func:`assignment.kit.plan.fd_ids` names them."""
    pairs = [tuple(pair) for pair in pairs]

    def judge(ctx):
        verdicts = [consistency_verdict(ctx, fd_id, point_id, output) for fd_id, point_id in pairs]
        if all(verdict.expected == MATCHES_REFERENCE for verdict in verdicts):
            return Verdict(True, MATCHES_REFERENCE)
        return all_of(verdicts, "Your gradient agrees with central differences of your own loss.")
    return reads(judge, [probe for pair in pairs for probe in pair], output)


# -- data loaders ---------------------------------------------------------------------
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
    return reads(judge, [probe_id])


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
    return reads(judge, [probe_id])


# -- backpropagation required -----------------------------------------------------------
# The handout asks for the gradient by backpropagation: a gradient made of finite differences of
# the loss (assignment/kit/backprop_evidence.py) earns none of the tests marked requires_backprop,
# whatever its values.
def backprop_required(judge, exercise):
    """``judge``, failed without points when the exercise's gradient is finite differences."""
    def wrapped(ctx):
        found = cached_evidence(ctx, exercise)
        if found is None or not found.finite_differences:
            return judge(ctx)
        func = ctx.plan.probes[cost_probe_id(exercise)].func
        return Verdict(False, f"{func}'s gradient computed by backpropagation, as the exercise asks",
                       f"a gradient computed by finite differences of the loss: {found.explanation()}",
                       "Finite differences check a gradient (as the notebook's gradient_check does); they are "
                       "not backpropagation. Compute the output delta, send it back layer by layer "
                       "(delta_j = g'(a_j) sum_k w_kj delta_k) and form each layer's gradient from its deltas.",
                       tags=[FLAG], extra={"backprop_evidence": found.numbers})
    return reads(wrapped, getattr(judge, "calls", ()), getattr(judge, "output", None))
