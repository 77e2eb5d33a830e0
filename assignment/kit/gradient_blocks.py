"""A failed gradient, block by block: where the error enters.

A failed gradient test gets ``extra["gradient_blocks"]``: the relative error of each block (W_l,
b_l) of the submission's gradient against the reference's on one of its calls, and a sentence
saying where the error enters (``extra["gradient_blocks_summary"]``, also in the hint). The
feedback report renders both.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from reference.activations import get_activation
from reference.params import n_params, unpack
from student_template.arraycheck import relative_error

from .plan import DEFAULT_ACTIVATION
from .simulator import GRADIENT_OUTPUT, same


def gradient_blocks(diagnoser: Any, spec: Any) -> tuple[str, list[dict], str] | None:
    """(probe id, rows, summary) for a gradient test (:class:`assignment.kit.judges.TestSpec`), or None:
    rows as in extra["gradient_blocks"], on the call of the deepest network whose gradient is wrong
    (the diagnoser, :class:`assignment.kit.diagnosis.Diagnoser`, holds the run's plan and outcomes)."""
    candidates = []
    for probe_id in spec.probes:
        probe = diagnoser.plan.probes.get(probe_id)
        outcome = diagnoser.outcomes.get(probe_id)
        if probe is None or probe.kind != "call" or probe.func not in GRADIENT_OUTPUT:
            continue
        k = GRADIENT_OUTPUT[probe.func]
        if spec.output is not None and spec.output != k:
            continue
        if outcome is None or not outcome.ok or k >= len(outcome.values):
            continue
        sizes = list(diagnoser.plan.resolve(probe.args[3]))
        got = outcome.values[k].reshape(-1)
        if got.size != n_params(sizes):
            continue
        expected = diagnoser.reference_outputs(probe_id)[k].reshape(-1)
        wrong = not diagnoser.close(got, expected)
        candidates.append((wrong, len(sizes), probe_id, sizes, got, expected))
    if not candidates:
        return None
    # a call where the gradient is wrong, the deepest network first
    wrong, _, probe_id, sizes, got, expected = max(candidates, key=lambda c: (c[0], c[1]))
    rows = []
    for l, ((G, g), (R, r)) in enumerate(zip(unpack(got, sizes), unpack(expected, sizes)), start=1):
        for block, mine, ref in ((f"W_{l}", G, R), (f"b_{l}", g, r)):
            finite = bool(np.all(np.isfinite(mine)))
            rows.append({"block": block, "layer": l, "shape": list(mine.shape),
                         "rel_error": relative_error(mine, ref) if finite else float("inf"),
                         "wrong": not (finite and diagnoser.close(mine, ref))})
    probe = diagnoser.plan.probes[probe_id]
    args, kwargs = diagnoser.plan.call_args(probe)
    activation = kwargs.get("activation", args[5] if len(args) > 5 else DEFAULT_ACTIVATION)
    return probe_id, rows, block_summary(rows, got, expected, len(args[1]), activation)


def _layers_text(first, last):
    return f"layer {first}" if first == last else f"layers {first}-{last}"


def block_summary(rows, got, expected, n_samples=None, activation=DEFAULT_ACTIVATION):
    """One or two sentences: where the gradient goes wrong, read from the per-block table.

    rows: as in extra["gradient_blocks"]; got, expected: the whole gradients (P,);
    n_samples: N of the call (to recognize a missing 1/N); activation: of the hidden layers."""
    layers = max(row["layer"] for row in rows)
    wrong_layers = sorted({row["layer"] for row in rows if row["wrong"]})
    wrong_w = {row["layer"] for row in rows if row["wrong"] and row["block"].startswith("W")}
    wrong_b = {row["layer"] for row in rows if row["wrong"] and row["block"].startswith("b")}
    if not wrong_layers:
        return ("Every block of your gradient matches the reference's here: what disagrees is your loss, "
                "not your gradient.")
    finite = np.all(np.isfinite(got))
    if finite and np.any(expected):
        factor = float(got @ expected / (expected @ expected))
        if same(got, factor * expected) and not np.isclose(factor, 1.0):
            n = n_samples
            if np.isclose(factor, -1.0):
                why = "the opposite of the reference's: a sign error"
            elif n and np.isclose(factor, n):
                why = f"N = {n} times the reference's: a missing 1/N"
            else:
                why = f"{factor:.4g} times the reference's"
            return f"Your whole gradient is {why}, in every block alike."
    if wrong_layers == list(range(1, layers + 1)) and wrong_w and not wrong_b:
        return ("The bias gradients are right and every weight-matrix gradient is wrong: look at what only the "
                "weights get (the regularization term 2 * lam * W_l) or at how W_l is laid out in W.")
    if not wrong_w and wrong_b:
        return ("The weight-matrix gradients are right and the bias gradients are wrong: biases get no "
                "regularization term, and each one's gradient is the sum of its unit's deltas.")
    top = max(wrong_layers)
    if wrong_layers == list(range(1, top + 1)) and top < layers:
        derivative = get_activation(activation).symbol
        return (f"Right for {_layers_text(top + 1, layers)}, wrong from layer {top} down: the error enters where "
                f"the deltas go back from layer {top + 1} to layer {top}, through W_{top + 1} and {derivative} "
                f"(the derivative of layer {top}'s activation).")
    if top == layers:
        return (f"Wrong already in the output layer {layers}: look at the output delta (y - t) / N and at what "
                "every block shares (the 1/N, the sign, the regularization term).")
    names = ", ".join(row["block"] for row in rows if row["wrong"])
    return f"Wrong in {names}; the other blocks match the reference."
