"""The diagnosis: which known mistake a failed test looks like (run by the grader's diagnose stage).

For every FAILED test, the outputs of its probes (``TestSpec.probes``) are
compared with what each mistake of the catalog (each exercise's ``MISTAKES``,
:mod:`assignment.kit.mistake`) would have returned for the same calls
(:mod:`assignment.kit.simulator`). A mistake is named when one of its forms
explains every output the submission returned -- each output equal (rtol 1e-6)
either to the mistake's or to the reference's, at least one of them equal to the
mistake's where the mistake differs from the reference (or, for a mistake seen in
warnings, emitted that warning). A gradient must match as a whole. Random
outputs therefore match nothing and get no name; several mistakes that
explain the same outputs are all named.

A failed test none of them explains, whose outputs are float32 numbers (exactly
representable in single precision, where the reference's are not) that agree with
the reference to single precision only, is named too: ``mistake:float32``
(:data:`assignment.kit.mistake.SINGLE_PRECISION`, "dtype float32 found"). Its points
do not stand: the contract's values are float64, compared to 1e-6, and single
precision does not hold 1e-6 after the sums of a network (nor do finite differences
of a float32 loss), but the student is told the one cause instead of a list of
failed comparisons.

A diagnosed test gets a tag ``mistake:<id>`` (results.json ``tags``, counted by
the class report), a first line in its hint ("This looks like: ...") and
``extra["diagnosis"]``. A failed gradient test also gets the relative error of
each block of its gradient (:mod:`assignment.kit.gradient_blocks`), and a failed
training test the training proxy (:mod:`assignment.kit.training_proxy`).

Diagnosis is advice: nothing here changes a score, and a problem here is
logged and skipped, never a failed grading.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

import numpy as np

import reference
from student_template.arraycheck import relative_error

from .backprop_evidence import FLAG as FINITE_DIFFERENCES_FLAG
from .gradient_blocks import gradient_blocks
from .judges import GradingContext, TestSpec
from .mistake import SINGLE_PRECISION, MistakeCatalog, form_name
from .simulator import GRADIENT_OUTPUT, PARTNERS, REFERENCE, central_differences, same, simulate
from .training import training_setup_of
from .training_proxy import annotate_training_proxies

log = logging.getLogger(__name__)

# float32 outputs agree with float64 ones to about 1e-7 per operation; sums over the samples and the
# cancellations of a gradient lose a few digits more. Much further off is another mistake.
SINGLE_PRECISION_RTOL = 1e-3


class Diagnoser:
    """Caches what the reference and each mistake return for the run's probes."""

    def __init__(self, run: Any, tests_by_id: Mapping[str, TestSpec], catalog: MistakeCatalog):
        """run: the grading run (its probe plan, outcomes, tests and config); tests_by_id: the
        assignment's graded tests; catalog: the mistakes to look for."""
        self.run = run
        self.tests_by_id = tests_by_id
        self.catalog = catalog
        self.ctx = GradingContext(run)
        self.plan = run.probe_plan
        self.outcomes = run.probe_outcomes
        self.tol = run.config.tolerances
        self._cache = {}

    # -- simulated outputs ------------------------------------------------------
    def reference_outputs(self, probe_id):
        probe = self.plan.probes[probe_id]
        if probe.kind == "fd":
            return self._simulated(("reference", probe_id), REFERENCE, probe_id)
        return self.ctx.expected(probe_id)

    def mistake_outputs(self, mistake, form, probe_id):
        probe = self.plan.probes[probe_id]
        if probe.func not in mistake.functions:
            return self.reference_outputs(probe_id)
        return self._simulated((mistake.id, form, probe_id), mistake.forms[form], probe_id)

    def _simulated(self, key, pieces, probe_id):
        if key not in self._cache:
            probe = self.plan.probes[probe_id]
            args, kwargs = self.plan.call_args(probe)
            if probe.kind == "fd":
                directions = self.plan.arrays[probe.options["directions"]]
                with np.errstate(all="ignore"):
                    self._cache[key] = [central_differences(pieces, probe.func, args, kwargs, directions,
                                                            probe.options["step"], probe.options["w_index"])]
            else:
                self._cache[key] = simulate(pieces, probe.func, args, kwargs)
        return self._cache[key]

    # -- which outputs of a test to compare ---------------------------------------
    def items(self, spec):
        """[(probe id, output index)] of the test's probes that returned normally."""
        found = []
        for probe_id in spec.probes:
            probe = self.plan.probes.get(probe_id)
            outcome = self.outcomes.get(probe_id)
            if probe is None or outcome is None or not outcome.ok or probe.kind not in ("call", "fd"):
                continue
            if probe.kind == "fd":
                indices = [0]
            elif spec.output is not None and spec.output < probe.outputs:
                indices = [spec.output]
            else:
                indices = list(range(probe.outputs))
            found += [(probe_id, k) for k in indices]
        # plain calls first: most mistakes are ruled out by them before any finite differences are computed
        return sorted(found, key=lambda item: self.plan.probes[item[0]].kind == "fd")

    # -- matching -------------------------------------------------------------------
    def matches(self, spec):
        """[(mistake, form index, [probe ids that showed it])] explaining the test's outputs."""
        items = self.items(spec)
        if not items:
            return []
        found = []
        funcs = {self.plan.probes[probe_id].func for probe_id, _ in items}
        for mistake in self.catalog:
            if not funcs & set(mistake.functions):
                continue
            for form in range(len(mistake.forms)):
                evidence = self._explains(mistake, form, items)
                if evidence:
                    found.append((mistake, form, evidence))
                    break
        return found

    def _explains(self, mistake, form, items):
        evidence = []
        for probe_id, k in items:
            got_all = self.outcomes[probe_id].values
            if k >= len(got_all):
                return []
            got = got_all[k]
            variant = self.mistake_outputs(mistake, form, probe_id)
            reference = self.reference_outputs(probe_id)
            if variant is None or reference is None or k >= len(variant):
                return []
            warned = bool(mistake.warning) and any(mistake.warning in w.lower()
                                                  for w in self.outcomes[probe_id].warnings)
            if same(got, variant[k]):
                if mistake.warning:
                    if warned:
                        evidence.append(probe_id)
                elif not same(variant[k], reference[k]):
                    evidence.append(probe_id)
            elif not same(got, reference[k]):
                return []
        return list(dict.fromkeys(evidence))

    def single_precision(self, spec):
        """The probes of the test that show single precision, [] unless one does: every compared
        output equals the reference's or comes within :data:`SINGLE_PRECISION_RTOL` of it, and the
        difference is float32's, seen in the numbers: the output is made of float32 numbers (where
        the reference's are not), or equals the reference's on arguments rounded to float32 (W,
        or every float array, stored as float32), or some output of the submission's, in this
        test or another, is made of float32 numbers (float32 somewhere in a float64 pipeline)."""
        evidence, shown = [], False
        for probe_id, k in self.items(spec):
            if self.plan.probes[probe_id].kind != "call":
                continue            # finite differences of a float32 loss are noise, not float32 numbers
            got_all = self.outcomes[probe_id].values
            if k >= len(got_all):
                return []
            got, expected = np.asarray(got_all[k], dtype=float), np.asarray(self.reference_outputs(probe_id)[k])
            if got.size != expected.size or not np.all(np.isfinite(got)):
                return []
            if same(got, expected):
                continue
            if relative_error(got, expected) > SINGLE_PRECISION_RTOL:
                return []
            shown = shown or (is_float32(got) and not is_float32(expected)) or any(
                k < len(rounded) and same(got, rounded[k])
                for rounded in (self.rounded_reference(probe_id, every) for every in (False, True)))
            evidence.append(probe_id)
        if not evidence or not (shown or self.float32_output() is not None):
            return []
        return list(dict.fromkeys(evidence))

    def float32_output(self):
        """The id of a call probe whose output is made of float32 numbers where the reference's are
        not (and agrees with it to single precision), or None."""
        if "float32_output" not in self._cache:
            found = None
            for probe_id, probe in self.plan.probes.items():
                outcome = self.outcomes.get(probe_id)
                if probe.kind != "call" or outcome is None or not outcome.ok:
                    continue
                for got, expected in zip(outcome.values, self.reference_outputs(probe_id)):
                    got = np.asarray(got, dtype=float)
                    if got.size > 1 and got.size == np.size(expected) and np.all(np.isfinite(got)) \
                            and is_float32(got) and not is_float32(expected) \
                            and relative_error(got, expected) <= SINGLE_PRECISION_RTOL:
                        found = probe_id
                        break
                if found is not None:
                    break
            self._cache["float32_output"] = found
        return self._cache["float32_output"]

    def rounded_reference(self, probe_id, every):
        """The reference's outputs for the probe's call with its first float array (W, for most
        functions) rounded to float32, or (``every``) all of them."""
        key = ("float32", probe_id, every)
        if key not in self._cache:
            probe = self.plan.probes[probe_id]
            args, kwargs = self.plan.call_args(probe)
            rounded, done = [], False
            for arg in args:
                if isinstance(arg, np.ndarray) and arg.dtype.kind == "f" and not (done and not every):
                    arg, done = arg.astype(np.float32).astype(float), True
                rounded.append(arg)
            with np.errstate(all="ignore"):
                result = getattr(reference, probe.func)(*rounded, **kwargs)
            outputs = list(result) if probe.outputs > 1 else [result]
            self._cache[key] = [np.asarray(part, dtype=float) for part in outputs]
        return self._cache[key]

    def contradicted_functions(self, mistake, form):
        """The contract functions whose outputs in PASSED tests would have come out wrong with this
        mistake (a set; empty when nothing the submission got right speaks against it)."""
        key = ("contradicted", mistake.id, form)
        if key not in self._cache:
            found = set()
            if not mistake.warning:
                for test in self.run.tests:
                    spec = self.tests_by_id.get(test.id)
                    if not test.passed or spec is None:
                        continue
                    for probe_id, k in self.items(spec):
                        func = self.plan.probes[probe_id].func
                        if func not in mistake.functions or func in found:
                            continue
                        variant = self.mistake_outputs(mistake, form, probe_id)
                        if variant is not None and not same(variant[k], self.reference_outputs(probe_id)[k]):
                            found.add(func)
            self._cache[key] = found
        return self._cache[key]

    def contradiction(self, mistake, form, spec):
        """How strongly the passed tests speak against this mistake as the cause of ``spec``'s failure:
        2 when it would have changed a passed output of the functions ``spec`` calls (or of their
        loss / gradient partner, usually written from the same formulas), 1 when only passed outputs
        of other functions, 0 when none."""
        against = self.contradicted_functions(mistake, form)
        if not against:
            return 0
        family = {self.plan.probes[probe_id].func for probe_id in spec.probes if probe_id in self.plan.probes}
        family |= {partner for func in family for partner in PARTNERS.get(func, ())}
        return 2 if against & family else 1

    def close(self, got: np.ndarray, expected: np.ndarray) -> bool:
        """Equal by the run's tolerances (the check stage's)."""
        return bool(np.all(np.isclose(got, expected, rtol=self.tol.rtol, atol=self.tol.atol)))


def is_float32(values):
    """Is every value a float32 number (a float64 array that single precision holds exactly)?"""
    values = np.asarray(values, dtype=float)
    with np.errstate(over="ignore"):
        return bool(np.all(values.astype(np.float32).astype(float) == values))


# ------------------------------------------------------------------ running it

def _part(probe, spec):
    """"grad" when the test compares this call's gradient, else "loss"."""
    if probe.kind == "call" and probe.func in GRADIENT_OUTPUT and spec.output in (None, GRADIENT_OUTPUT[probe.func]):
        return "grad"
    return "loss"


def _annotate(test, found):
    names, records = [], []
    for mistake, form, evidence in found:
        tag = f"mistake:{mistake.id}"
        if tag not in test.tags:
            test.tags.append(tag)
        names.append((form_name(mistake, form), mistake.hint))
        records.append({"id": mistake.id, "name": form_name(mistake, form), "hint": mistake.hint,
                        "probes": evidence})
    lines = [f"This looks like: {names[0][0]}. {names[0][1]}"]
    lines += [f"It could also be: {name}. {hint}" for name, hint in names[1:]]
    test.hint = "\n".join(lines + ([test.hint] if test.hint else []))
    test.extra["diagnosis"] = records


def diagnose(run: Any, tests_by_id: Mapping[str, TestSpec], catalog: MistakeCatalog,
             training_functions: Mapping[str, tuple[str, ...]]) -> None:
    """Annotate run.tests (failed ones only) with the mistakes of ``catalog`` their outputs show;
    never raises, never changes a score. training_functions: {trained network: the contract
    functions it is trained with}, whose diagnosed mistakes the training proxy tries."""
    if run.probe_plan is None or not run.tests:
        return
    diagnoser = Diagnoser(run, tests_by_id, catalog)
    found_by_test, training = [], []
    for test in run.tests:
        spec = tests_by_id.get(test.id)
        if test.passed or spec is None or not spec.probes or FINITE_DIFFERENCES_FLAG in test.tags:
            continue      # (a gradient failed for being finite differences has its values right)
        setup = next(filter(None, map(training_setup_of, spec.probes)), None)
        if setup is not None:
            training.append((test, setup))
            continue
        try:
            found = diagnoser.matches(spec)
            if not found:
                evidence = diagnoser.single_precision(spec)
                found = [(SINGLE_PRECISION, 0, evidence)] if evidence else []
            if found:
                found_by_test.append((test, spec, found))
            # (block by block, a float32 gradient is "wrong" everywhere by 1e-7: that says nothing more)
            blocks = None if found and found[0][0] is SINGLE_PRECISION else gradient_blocks(diagnoser, spec)
            if blocks:
                probe_id, rows, summary = blocks
                test.extra["gradient_blocks"] = rows
                test.extra["gradient_blocks_call"] = diagnoser.ctx.describe_call(probe_id)
                test.extra["gradient_blocks_summary"] = summary
                test.hint = "\n".join(part for part in (test.hint, f"Gradient block by block: {summary}") if part)
        except Exception as error:   # advice only: a diagnosis bug must not cost the grade
            _failed(test, error)

    # several mistakes may explain the same outputs (e.g. lam/2 and lam * W in a gradient): all are
    # named, the most likely first -- the one that would have changed no output that passed (or only
    # outputs of other functions than the failed test's), then the one seen on the most tests
    support = {}
    for _, _, found in found_by_test:
        for mistake, _, _ in found:
            support[mistake.id] = support.get(mistake.id, 0) + 1
    shown = {}   # contract function -> {(mistake, form): {"loss", "grad"}}, for the training proxy
    for test, spec, found in found_by_test:
        try:
            if len(found) > 1:
                found.sort(key=lambda match: (diagnoser.contradiction(match[0], match[1], spec),
                                         -support[match[0].id]))
            _annotate(test, found)
            for mistake, form, evidence in found:
                if mistake is SINGLE_PRECISION:      # no reference network to train with it
                    continue
                for probe_id in evidence:
                    probe = run.probe_plan.probes[probe_id]
                    shown.setdefault(probe.func, {}).setdefault((mistake, form), set()).add(_part(probe, spec))
        except Exception as error:
            _failed(test, error)
    annotate_training_proxies(run, training, shown, catalog, training_functions)


def _failed(test, error):
    log.warning("diagnosis of %r failed", test.name, exc_info=True)
    test.extra["diagnosis_error"] = f"{type(error).__name__}: {error}"[:300]


