"""Activations, each beside its derivative, and the registry that names them.

All functions are elementwise on arrays of any shape (scalars included) and
return the same shape. None of them warns or returns NaN for large |a|.
"""
import numpy as np


def sigmoid(a):
    """sigma(a) = 1 / (1 + exp(-a)), computed as exp(-log(1 + exp(-a))) so it never overflows."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(a, dtype=float)))


def sigmoid_grad(a):
    """sigma'(a) = sigma(a) * (1 - sigma(a)), taken at the pre-activation ``a``."""
    s = sigmoid(a)
    return s * (1.0 - s)


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


# name -> (g, g'), for hidden layers; the ``activation=`` argument picks one.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "relu": (relu, relu_grad),
}
