"""The flat parameter vector of the contract and its per-layer views.

Layout, layer by layer for l = 1..L: the weight matrix ``W_l`` of shape
``(n[l], n[l-1])`` in row-major order, then the bias ``b_l`` of shape ``(n[l],)``.
"""
import numpy as np


def n_params(layer_sizes):
    """Length of the flat vector for ``layer_sizes = [n0, ..., nL]``."""
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def unpack(W, layer_sizes):
    """Split the flat vector into per-layer ``(W_l, b_l)`` views.

    W: (n_params(layer_sizes),) float.
    Returns [(W_1, b_1), ..., (W_L, b_L)] with W_l (n[l], n[l-1]) and b_l (n[l],);
    they are views, so writing into them writes into ``W``.
    """
    W = np.asarray(W)
    expected = n_params(layer_sizes)
    if W.shape != (expected,):
        raise ValueError(f"W has shape {W.shape}; layer_sizes {list(layer_sizes)} need ({expected},)")
    layers, start = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        weights = W[start:start + n_out * n_in].reshape(n_out, n_in)
        start += n_out * n_in
        bias = W[start:start + n_out]
        start += n_out
        layers.append((weights, bias))
    return layers


def pack(layers):
    """Inverse of :func:`unpack`: [(W_l (n[l], n[l-1]), b_l (n[l],)), ...] -> flat (P,)."""
    return np.concatenate([part for W_l, b_l in layers for part in (np.ravel(W_l), np.ravel(b_l))])
