"""Finite-difference gradient checking, CS231n style, for the reference tests.

Independent of :mod:`reference`: it only evaluates a scalar function.
"""
import numpy as np


def numerical_gradient(f, W, eps=1e-6):
    """Central differences (f(W + eps e_i) - f(W - eps e_i)) / (2 eps) for every i.

    f: callable taking a (P,) float array and returning a float; W: (P,) float.
    Returns a (P,) float array. W is not modified.
    """
    W = np.array(W, dtype=float)            # a private copy we perturb in place
    grad = np.zeros_like(W)
    for i in range(W.size):
        old = W[i]
        W[i] = old + eps
        f_plus = float(f(W))
        W[i] = old - eps
        f_minus = float(f(W))
        W[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(analytic, numeric, floor=1e-8):
    """max_i |a_i - n_i| / max(|a_i| + |n_i|, floor): the CS231n measure, elementwise worst case.

    The floor keeps components where both gradients are (almost) zero from
    dividing rounding noise by nothing.
    """
    analytic = np.asarray(analytic, dtype=float)
    numeric = np.asarray(numeric, dtype=float)
    denom = np.maximum(np.abs(analytic) + np.abs(numeric), floor)
    return float(np.max(np.abs(analytic - numeric) / denom))
