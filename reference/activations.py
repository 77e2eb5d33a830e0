"""Activations, each beside its derivative, and the registry that names them.

All functions are elementwise on arrays of any shape (scalars included) and
return the same shape. None of them warns or returns NaN for large |a|.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np


def sigmoid(a):
    """sigma(a) = 1 / (1 + exp(-a)).

    With e = exp(-|a|) <= 1: sigma(a) = 1 / (1 + e) for a >= 0 and e / (1 + e)
    for a < 0, so exp never overflows and small values keep full precision.
    """
    a = np.asarray(a, dtype=float)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0, e) / (1.0 + e)


def sigmoid_grad(a):
    """sigma'(a) = sigma(a) * (1 - sigma(a)) = e / (1 + e)**2 with e = exp(-|a|).

    Taken at the pre-activation ``a``; this form keeps full relative precision
    where 1 - sigma(a) would round to 0.
    """
    e = np.exp(-np.abs(np.asarray(a, dtype=float)))
    return e / (1.0 + e) ** 2


def log_sigmoid(a):
    """log(sigma(a)) = -log(1 + exp(-a)), finite for every finite ``a``."""
    return -np.logaddexp(0.0, -np.asarray(a, dtype=float))


def relu(a):
    """max(a, 0)."""
    return np.maximum(np.asarray(a, dtype=float), 0.0)


def relu_grad(a):
    """1 where a > 0, else 0 (the kink at 0 takes 0)."""
    return (np.asarray(a, dtype=float) > 0).astype(float)


def softmax(A):
    """Row-wise softmax. A: (N, K) -> (N, K), rows summing to 1; the max shift keeps exp finite."""
    A = np.asarray(A, dtype=float)
    shifted = A - A.max(axis=1, keepdims=True)
    E = np.exp(shifted)
    return E / E.sum(axis=1, keepdims=True)


def log_softmax(A):
    """Row-wise log of :func:`softmax`. A: (N, K) -> (N, K), finite for finite A."""
    A = np.asarray(A, dtype=float)
    shifted = A - A.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def sigmoid_grad_from_output(z):
    """sigma'(a) written through z = sigma(a): z * (1 - z). Backprop has z at hand, so no exp."""
    return z * (1.0 - z)


def relu_grad_from_output(z):
    """relu'(a) through z = relu(a): 1 where z > 0 (exactly where a > 0), else 0."""
    return (z > 0).astype(float)


# name -> (g, g'), g' taken at the pre-activation as the handout writes it; ``activation=`` picks one.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "relu": (relu, relu_grad),
}

# name -> g' as a function of the layer's output z = g(a), for the vectorized backward pass.
DERIVATIVES_FROM_OUTPUT = {
    "sigmoid": sigmoid_grad_from_output,
    "relu": relu_grad_from_output,
}

# name -> how the grader writes g' to the student, and g(A) as numpy source over ``A`` (for code that
# runs where this package cannot be imported: the probe driver, inside the submission's kernel).
NOTATION = {
    "sigmoid": ("sigma'", "0.5 * (1 + np.tanh(A / 2))"),
    "relu": ("relu'", "np.maximum(A, 0)"),
}
assert set(ACTIVATIONS) == set(DERIVATIVES_FROM_OUTPUT) == set(NOTATION), "register an activation in all three"


@dataclass(frozen=True)
class Activation:
    """One registered activation: g, g' (at the pre-activation), g' from the output z = g(a),
    the symbol of g' and g(A) as numpy source."""
    name: str
    function: Callable
    derivative: Callable
    derivative_from_output: Callable
    symbol: str
    numpy_source: str


def get_activation(name: str) -> Activation:
    """The activation registered as ``name``; an unknown name is an error, never a default."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: one of {', '.join(map(repr, ACTIVATIONS))}")
    return Activation(name, *ACTIVATIONS[name], DERIVATIVES_FROM_OUTPUT[name], *NOTATION[name])
