"""Compare what a submission returned with what was expected, PrairieLearn style:
sanity first (is it numbers, finite), then shape, then values, each failure
with a message that says what was expected and what came back.

Depends on numpy only: the student self-check ships this file as it is.
"""
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike


@dataclass
class Verdict:
    """passed, and in words: what was expected, what came back, how to fix it."""
    passed: bool
    expected: str = ""
    got: str = ""
    hint: str = ""
    tags: list = field(default_factory=list)    # machine-readable labels for the test (e.g. a flag)
    extra: dict = field(default_factory=dict)   # numbers behind the verdict, for the instructor


def describe(array: ArrayLike, limit: int = 6, around: int = 0) -> str:
    """A short printable view of an array: its shape and ``limit`` values, starting a little
    before flat index ``around`` (so that a mismatch deep in a gradient is in view)."""
    array = np.asarray(array, dtype=float)
    flat = array.reshape(-1)
    start = max(0, min(around - 2, flat.size - limit))
    shown = np.array2string(flat[start:start + limit], precision=6, separator=", ")
    before = f"[{start}:{start + limit}] " if start else ""
    more = f" ... ({flat.size} values)" if flat.size > limit else ""
    return f"shape {array.shape}: {before}{shown}{more}"


def matches(got: ArrayLike, expected: ArrayLike, rtol: float = 1e-6, atol: float = 1e-9) -> np.ndarray:
    """Elementwise, the one equality rule of the grader and the self-check: |got - expected| <= atol +
    rtol * |expected|, NaN equal to NaN and inf to the same inf. got and expected: arrays of one shape
    (or broadcastable); returns a bool array of that shape."""
    with np.errstate(all="ignore"):
        return np.isclose(got, expected, rtol=rtol, atol=atol) | (np.isnan(expected) & np.isnan(got))


def same(got: ArrayLike, expected: ArrayLike, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """True when ``got`` has as many values as ``expected`` (any shape, e.g. (N, 1) for (N,)) and each
    :func:`matches` its counterpart."""
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    return got.size == expected.size and bool(np.all(matches(got.reshape(expected.shape), expected, rtol, atol)))


def check_array(got: ArrayLike, expected: ArrayLike, what: str, rtol: float = 1e-6, atol: float = 1e-9) -> Verdict:
    """Verdict on ``got`` against ``expected``.

    got: any array the submission returned (already plain float64);
    expected: the right values. A different shape with the same number of
    elements, e.g. (N, 1) for (N,), is accepted (the contract allows it).
    """
    expected = np.asarray(expected, dtype=float)
    got = np.asarray(got, dtype=float)
    if got.size != expected.size:
        return Verdict(False, f"{what} with {expected.size} value(s), shape {expected.shape}",
                       f"{got.size} value(s), shape {got.shape}",
                       "Check the shapes: which axis is the batch, and whether the result is reduced over it.")
    got = got.reshape(expected.shape)
    bad = ~np.isfinite(got) & np.isfinite(expected)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        return Verdict(False, f"finite {what}: {describe(expected)}",
                       f"{np.count_nonzero(bad)} non-finite value(s) (inf or NaN), the first at index {index}: {describe(got)}",
                       "Something overflows or divides by zero: look for exp of a large number or log of 0.")
    close = matches(got, expected, rtol, atol)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        first = int(np.flatnonzero(~close.reshape(-1))[0])
        error = np.abs(got - expected)
        return Verdict(False, f"{what}: {describe(expected, around=first)}",
                       f"{describe(got, around=first)}; {np.count_nonzero(~close)} of {close.size} value(s) differ, "
                       f"the first at index {index} ({got[index]:.10g} instead of {expected[index]:.10g}); "
                       f"largest difference {np.max(error):.3g}")
    return Verdict(True, f"{what} matches (rtol {rtol:g}).")


def check_scalar(got: ArrayLike, expected: ArrayLike, what: str, rtol: float = 1e-6, atol: float = 1e-9) -> Verdict:
    """Verdict for a single number: a float, a 0-d or a one-element array are all accepted."""
    got = np.asarray(got, dtype=float)
    if got.size != 1:
        return Verdict(False, f"{what}: a single number", f"an array of {describe(got)}",
                       "Return one number: average (or sum) over the batch, and add the regularization once.")
    return check_array(got.reshape(()), np.asarray(expected, dtype=float).reshape(()), what, rtol, atol)


def relative_error(a: ArrayLike, b: ArrayLike) -> float:
    """max |a - b| / max(|a| + |b|, tiny): a scale-free distance between two arrays."""
    a = np.asarray(a, dtype=float).reshape(-1)
    b = np.asarray(b, dtype=float).reshape(-1)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12))


# sqrt(n) * D past which a sample of n values is not uniform: a true uniform sample gets there with
# probability 2 exp(-2 * 5**2) ~ 4e-22 (Kolmogorov's limit law), so no correct submission ever does,
# while a normal law of the same spread (D = 0.057) fails from n ~ 8,000 values on.
UNIFORM_KS_LIMIT = 5.0


def distance_from_uniform(values: ArrayLike, limit: float) -> float:
    """Kolmogorov-Smirnov distance D between the values (any shape, n of them) and the uniform law
    on [-limit, limit]: the largest gap between their empirical distribution and its CDF."""
    sample = np.sort(np.asarray(values, dtype=float).reshape(-1))
    cdf = np.clip((sample + limit) / (2 * limit), 0.0, 1.0)
    n = sample.size
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


def check_uniform(values: ArrayLike, limit: float, what: str) -> Verdict:
    """Are the values (n of them) a sample of the uniform law on [-limit, limit]? D above
    UNIFORM_KS_LIMIT / sqrt(n) fails, with D and the standard deviation against limit / sqrt(3)."""
    values = np.asarray(values, dtype=float).reshape(-1)
    distance = distance_from_uniform(values, limit)
    if distance <= UNIFORM_KS_LIMIT / np.sqrt(values.size):
        return Verdict(True)
    return Verdict(False, f"{what} spread uniformly over [-{limit:.4f}, {limit:.4f}]",
                   f"a distribution {distance:.3f} away from uniform (Kolmogorov-Smirnov distance, "
                   f"over {values.size} values); std {np.std(values):.4f} instead of {limit / np.sqrt(3):.4f}",
                   "Draw from rng.uniform(-e_l, e_l, size=...), not from a normal law or a narrower interval.")
