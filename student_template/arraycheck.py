"""Compare what a submission returned with what was expected, PrairieLearn style:
sanity first (is it numbers, finite), then shape, then values, each failure
with a message that says what was expected and what came back: both shapes in
words, or the first index where the values differ, the largest absolute and
relative difference, and both sides' values around that place
(:func:`comparison`). One rule and one display for the grader and the self-check.

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


def shape_in_words(shape: tuple) -> str:
    """(7,) -> "a vector of 7 values", (7, 2) -> "a 7 x 2 matrix (14 values)", () -> "a single number"."""
    shape = tuple(int(n) for n in shape)
    size = int(np.prod(shape)) if shape else 1
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {size} value{'' if size == 1 else 's'}"
    if len(shape) == 2:
        return f"a {shape[0]} x {shape[1]} matrix ({size} values)"
    return f"an array of shape {shape} ({size} values)"


def shape_text(shape: tuple) -> str:
    """"shape (7, 2), a 7 x 2 matrix (14 values)": a shape as numpy prints it, then in words."""
    return f"shape {tuple(int(n) for n in shape)}, {shape_in_words(shape)}"


def index_text(index: tuple) -> str:
    """(1, 3) -> "[1, 3]": an index as a student writes it to look the value up."""
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def number_text(value: float) -> str:
    """A value with 10 significant digits (enough to see a difference at the tolerance of 1e-6)."""
    return f"{float(value):.10g}"


def describe(array: ArrayLike, limit: int = 6) -> str:
    """A short printable view of an array: its shape in words and its first ``limit`` values."""
    array = np.asarray(array, dtype=float)
    flat = array.reshape(-1)
    shown = ", ".join(number_text(value) for value in flat[:limit]) + (", ..." if flat.size > limit else "")
    return f"{shape_in_words(array.shape)}: [{shown}]" if array.ndim else f"the number {number_text(flat[0])}"


# How many values the comparison of two arrays shows around their first difference.
AROUND = 5


def comparison(got: np.ndarray, expected: np.ndarray, close: np.ndarray) -> str:
    """What a student needs to compare two arrays of one shape that differ (``close``: which values
    match, :func:`matches`): how many differ, where the first is, the largest absolute and relative
    difference, and both sides' values around the first difference, index by index."""
    wrong = ~close
    flat_wrong = np.flatnonzero(wrong.reshape(-1))
    first = int(flat_wrong[0])
    index_of = lambda flat: np.unravel_index(flat, expected.shape) if expected.ndim else ()   # noqa: E731
    with np.errstate(all="ignore"):
        absolute = np.abs(got - expected).reshape(-1)
        relative = absolute / np.abs(expected).reshape(-1)
    absolute = np.where(np.isnan(absolute), np.inf, absolute)[flat_wrong]
    relative = np.where(np.isnan(relative), np.inf, relative)[flat_wrong]
    worst = int(flat_wrong[int(np.argmax(absolute))])
    lines = [f"{shape_text(expected.shape)}: {flat_wrong.size} of {expected.size} value(s) differ",
             f"first difference at index {index_text(index_of(first))}: expected "
             f"{number_text(expected.reshape(-1)[first])}, got {number_text(got.reshape(-1)[first])}",
             f"largest difference: {float(np.max(absolute)):.3g} absolute (at index {index_text(index_of(worst))}), "
             f"{float(np.max(relative)):.3g} relative"]
    start = max(0, min(first - AROUND // 2, expected.size - AROUND))
    rows = [(index_text(index_of(k)), number_text(expected.reshape(-1)[k]), number_text(got.reshape(-1)[k]),
             "  <- differs" if wrong.reshape(-1)[k] else "") for k in range(start, min(start + AROUND, expected.size))]
    widths = [max(len(row[column]) for row in rows + [("index", "expected", "got", "")]) for column in range(3)]
    lines.append("values around the first difference:")
    for row in [("index", "expected", "got", "")] + rows:
        line = "  " + "   ".join(cell.ljust(width) for cell, width in zip(row, widths))
        lines.append(line + row[3] if row[3] else line.rstrip())
    return "\n".join(lines)


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
    A failed verdict says both shapes in words, or where the values differ (:func:`comparison`).
    """
    expected = np.asarray(expected, dtype=float)
    got = np.asarray(got, dtype=float)
    if got.size != expected.size:
        return Verdict(False, f"{what}: {shape_text(expected.shape)}", shape_text(got.shape),
                       "Check the shapes: which axis is the batch, and whether the result is reduced over it.")
    if expected.size == 1:
        return _check_number(got.reshape(()), expected.reshape(()), what, rtol, atol)
    got = got.reshape(expected.shape)
    bad = ~np.isfinite(got) & np.isfinite(expected)
    if bad.any():
        return Verdict(False, f"finite values for {what}",
                       f"{np.count_nonzero(bad)} non-finite value(s) (inf or NaN)\n" + comparison(got, expected, ~bad),
                       "Something overflows or divides by zero: look for exp of a large number or log of 0.")
    close = matches(got, expected, rtol, atol)
    if not close.all():
        return Verdict(False, f"{what} (to a relative tolerance of {rtol:g})", comparison(got, expected, close))
    return Verdict(True, f"{what} matches (rtol {rtol:g}).")


def check_scalar(got: ArrayLike, expected: ArrayLike, what: str, rtol: float = 1e-6, atol: float = 1e-9) -> Verdict:
    """Verdict for a single number: a float, a 0-d or a one-element array are all accepted."""
    got = np.asarray(got, dtype=float)
    if got.size != 1:
        return Verdict(False, f"{what}: a single number", describe(got),
                       "Return one number: average (or sum) over the batch, and add the regularization once.")
    return _check_number(got.reshape(()), np.asarray(expected, dtype=float).reshape(()), what, rtol, atol)


def _check_number(got: np.ndarray, expected: np.ndarray, what: str, rtol: float, atol: float) -> Verdict:
    """Verdict on two 0-d arrays: both numbers, and by how much they differ."""
    if not np.isfinite(got) and np.isfinite(expected):
        return Verdict(False, f"{what}: the finite number {number_text(expected)}", f"{number_text(got)}",
                       "Something overflows or divides by zero: look for exp of a large number or log of 0.")
    if not matches(got, expected, rtol, atol):
        with np.errstate(all="ignore"):
            relative = abs(float(got - expected)) / abs(float(expected)) if expected else np.inf
        return Verdict(False, f"{what}: {number_text(expected)}",
                       f"{number_text(got)} (off by {abs(float(got - expected)):.3g}, {relative:.3g} relative)")
    return Verdict(True, f"{what} matches (rtol {rtol:g}).")


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
