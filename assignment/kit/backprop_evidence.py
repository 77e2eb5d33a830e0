"""Is a gradient computed by backpropagation, or by finite differences of the loss?

The handout asks for backpropagation; a gradient made of loss differences matches the
reference to 1e-9 and would pass every value check. Three signs are read from the "cost"
probes (assignment/kit/gradient_cost.py, run by the probe driver's ``_gradient_cost``):

* **counted**: at both network sizes, the gradient call handed a perturbed copy of W (an array
  of W's size, a small step away from it) to the notebook's own functions at least P/2 times
  (outermost calls: a loss evaluation through several helpers counts once), and that count grows
  at least half as fast as P (not a per-sample habit, whose count follows N).
  Finite differences evaluate the loss about 2P times (P + 1 forward); backpropagation never
  passes a perturbed W anywhere. A count, not a timing: the machine's load cannot change it.
* **truncation**: the error against the exact gradient, at a point and at its amplified twin
  (inputs x 1e4, first-layer weights / 1e4: the same network function and the same gradient
  up to the factor on dE/dW_1). A finite step's truncation error grows with the curvature along
  the step, 1e8 times larger there; backpropagation's rounding does not grow at all, and a
  float32 or otherwise imprecise backprop errs the same at both points.
* **costly**: the CPU time of one gradient call, in units of one forward evaluation on the same
  network (N = the whole data set), is at least P/8 on the large network and grows with P
  (at least a quarter as fast as P) from the small one. Finite differences cost at least P
  forward passes. Timing is the noisy sign, so it only ever confirms another one.

Finite differences are decided on **counted**, or on **truncation and costly** together: no
single timing ever takes points. bench/backprop_evidence.py measures false alarms and misses
over many seeds, with the machine idle and loaded.
"""
import logging
from dataclasses import dataclass, field

import numpy as np

import reference

from .gradient_cost import cost_probe_id


log = logging.getLogger(__name__)

FLAG = "flag:finite_difference_gradient"   # the tag of a test failed for it (gradebook column "flags")
COUNT_SHARE = 0.5          # perturbed-W calls per parameter, at least
TRUNCATION_ERROR = 1e-6    # relative error at the amplified point, at least ...
TRUNCATION_GROWTH = 100.0  # ... and this many times the error at the plain point
ROUNDING_FLOOR = 1e-13     # errors below this are rounding, whatever their ratio
COST_SHARE = 1 / 8         # gradient time / forward time, at least this times P
COST_GROWTH = 1 / 4        # that ratio grows at least this fraction as fast as P

SMALL, LARGE, PLAIN, AMPLIFIED = range(4)   # the cases of a cost probe, in plan order


@dataclass
class Evidence:
    """The three signs for one exercise's gradient, and the numbers behind them."""
    exercise: str
    counted: bool = False
    truncation: bool = False
    costly: bool = False
    numbers: dict = field(default_factory=dict)

    @property
    def finite_differences(self):
        return self.counted or (self.truncation and self.costly)

    def explanation(self):
        n = self.numbers
        signs = []
        if self.counted:
            signs.append(f"for a network of {n['P'][LARGE]:.0f} parameters it evaluated your functions at "
                         f"{n['perturbed_calls'][LARGE]:.0f} slightly changed copies of W")
        if self.truncation:
            signs.append(f"its error against the exact gradient grows from {n['error_plain']:.1e} to "
                         f"{n['error_amplified']:.1e} where the loss curves more, as a finite step's does")
        if self.costly:
            signs.append(f"it costs {n['cost_ratio'][LARGE]:.0f} forward passes for {n['P'][LARGE]:.0f} parameters")
        return "; ".join(signs)


def _relative_error(got, exact):
    got, exact = np.asarray(got, dtype=float).reshape(-1), np.asarray(exact, dtype=float).reshape(-1)
    if got.size != exact.size or not np.all(np.isfinite(got)):
        return float("nan")
    return float(np.linalg.norm(got - exact) / max(np.linalg.norm(exact), 1e-300))


def _exact_gradient(ctx, probe, case):
    """The reference's gradient for one case of a cost probe: (P,)."""
    arrays = ctx.plan.arrays
    W, X, t = (np.array(arrays[case[key]], dtype=float) for key in ("W", "X", "t"))
    t = t.astype(int)
    result = getattr(reference, probe.func)(W, X, t, case["layer_sizes"], case["lam"], **case.get("kwargs", {}))
    return result[1] if probe.options["returns"] == "pair" else result


def evidence(ctx, exercise):
    """The :class:`Evidence` of ``exercise`` (an id whose module declares GRADIENT_COST), or None when
    its cost probe did not return (then nothing is decided: the value tests judge the gradient on their own)."""
    probe_id = cost_probe_id(exercise)
    if probe_id not in ctx.plan.probes:
        return None
    outcome = ctx.outcome(probe_id)
    probe = ctx.plan.probes[probe_id]
    cases = probe.options["cases"]
    if not outcome.ok or len(outcome.values) != len(cases) + 1:
        return None
    stats = outcome.values[0].reshape(len(cases), 4)
    P, calls, seconds, forward = stats.T
    found = Evidence(exercise)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = seconds / forward
    errors = [_relative_error(outcome.values[1 + k], _exact_gradient(ctx, probe, cases[k])) for k in (PLAIN, AMPLIFIED)]
    found.numbers = {"P": P.tolist(), "perturbed_calls": calls.tolist(), "seconds": seconds.tolist(),
                     "forward_seconds": forward.tolist(), "cost_ratio": ratio.tolist(),
                     "error_plain": errors[0], "error_amplified": errors[1]}
    found.counted = bool(all(calls[k] >= COUNT_SHARE * P[k] for k in (SMALL, LARGE))
                         and calls[LARGE] / calls[SMALL] >= COUNT_SHARE * P[LARGE] / P[SMALL])
    plain, amp = errors
    found.truncation = bool(np.isfinite(amp) and amp >= TRUNCATION_ERROR
                            and amp >= TRUNCATION_GROWTH * max(plain if np.isfinite(plain) else 0.0, ROUNDING_FLOOR))
    if np.all(np.isfinite(ratio[[SMALL, LARGE]])) and ratio[SMALL] > 0:
        growth = (ratio[LARGE] / ratio[SMALL]) / (P[LARGE] / P[SMALL])
        found.costly = bool(ratio[LARGE] >= COST_SHARE * P[LARGE] and growth >= COST_GROWTH)
    return found


def cached_evidence(ctx, exercise):
    """:func:`evidence`, once per check stage; a grader error here decides nothing (logged)."""
    cache = ctx.__dict__.setdefault("_backprop_evidence", {})
    if exercise not in cache:
        try:
            cache[exercise] = evidence(ctx, exercise)
        except Exception:
            log.exception("backprop evidence for exercise %s could not be read", exercise)
            cache[exercise] = None
    return cache[exercise]
