"""Output losses on the last layer's pre-activations, each beside its gradient.

Both take the logits ``A_L`` and compute the loss from them in log-space
(log-sigmoid, log-softmax) so it stays finite when the outputs saturate.
The regularization term lives in :mod:`reference.network`, not here.
"""
import numpy as np

from .activations import log_sigmoid, log_softmax, sigmoid, softmax


def binary_cross_entropy(A_L, t):
    """Mean binary cross-entropy of p = sigmoid(A_L[:, 0]) against labels t.

    A_L: (N, 1) logits; t: (N,) in {0, 1}.
    Returns (loss: float, dA_L: (N, 1)) with dA_L = (p - t) / N.
    """
    a = A_L[:, 0]
    t = np.asarray(t, dtype=float)
    n = a.shape[0]
    # log(1 - sigma(a)) = log_sigmoid(-a)
    loss = -np.sum(t * log_sigmoid(a) + (1.0 - t) * log_sigmoid(-a)) / n
    dA_L = ((sigmoid(a) - t) / n)[:, None]
    return float(loss), dA_L


def cross_entropy(A_L, t):
    """Mean multiclass cross-entropy of Y = softmax(A_L) against integer labels t.

    A_L: (N, K) logits; t: (N,) int in {0, ..., K-1}.
    Returns (loss: float, dA_L: (N, K)) with dA_L = (Y - onehot(t)) / N.
    """
    t = np.asarray(t).astype(int)
    n = A_L.shape[0]
    rows = np.arange(n)
    loss = -np.sum(log_softmax(A_L)[rows, t]) / n
    dA_L = softmax(A_L)
    dA_L[rows, t] -= 1.0
    return float(loss), dA_L / n


# name -> loss function; the ``loss=`` argument of the generic backprop picks one.
LOSSES = {
    "bce": binary_cross_entropy,
    "ce": cross_entropy,
}


def get_loss(name: str):
    """The loss function registered as ``name``; an unknown name is an error, never a default."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {name!r}: one of {', '.join(map(repr, LOSSES))}") from None
