"""Forward pass and backpropagation, vectorized over the batch, for any depth.

Notation (contract): ``layer_sizes = [n0, ..., nL]``, ``Z_0 = X`` (N, n0),
``A_l = Z_{l-1} @ W_l.T + b_l`` (N, n[l]), ``Z_l = g(A_l)`` for hidden layers.
The output layer's ``A_L`` goes to a loss from :mod:`reference.losses`.
Regularization: ``R(W) = lam * sum_l sum(W_l**2)``, biases excluded.
"""
import numpy as np

from .activations import ACTIVATIONS, DERIVATIVES_FROM_OUTPUT, sigmoid, softmax
from .losses import LOSSES
from .params import unpack


def forward(W, X, layer_sizes, activation="sigmoid"):
    """Run the network on a batch and keep what the backward pass needs.

    W: (P,) flat weights; X: (N, n0).
    Returns (A, Z): lists of length L and L + 1. A[l-1] is A_l (N, n[l]);
    Z[l] is Z_l (N, n[l]) with Z[0] = X. The output layer is left linear:
    Z[L] = A[L-1] (the logits).
    """
    g, _ = ACTIVATIONS[activation]
    layers = unpack(W, layer_sizes)
    Z = [np.asarray(X, dtype=float)]
    A = []
    for l, (W_l, b_l) in enumerate(layers, start=1):
        A_l = Z[-1] @ W_l.T + b_l
        A.append(A_l)
        Z.append(A_l if l == len(layers) else g(A_l))
    return A, Z


def regularization(W, layer_sizes, lam):
    """R(W) = lam * (sum of squared weight-matrix entries) and its gradient (P,); biases get 0."""
    grad = np.zeros_like(np.asarray(W, dtype=float))
    penalty = 0.0
    for (W_l, _), (G_l, _) in zip(unpack(W, layer_sizes), unpack(grad, layer_sizes)):
        penalty += lam * np.sum(W_l ** 2)
        G_l[...] = 2.0 * lam * W_l
    return float(penalty), grad


def network_backprop(W, X, t, layer_sizes, lam, activation="sigmoid", loss="bce"):
    """Loss and gradient for any depth and either output.

    W: (P,); X: (N, n0); t: (N,) labels; lam: float >= 0.
    Returns (loss: float, grad: (P,)).
    """
    W = np.asarray(W, dtype=float)
    g_prime = DERIVATIVES_FROM_OUTPUT[activation]
    A, Z = forward(W, X, layer_sizes, activation)
    data_loss, delta = LOSSES[loss](A[-1], t)   # delta = dLoss/dA_L, (N, nL)
    reg_loss, grad = regularization(W, layer_sizes, lam)
    grad_layers = unpack(grad, layer_sizes)
    weights = unpack(W, layer_sizes)
    for l in range(len(weights), 0, -1):
        G_l, g_l = grad_layers[l - 1]
        G_l += delta.T @ Z[l - 1]            # (n[l], n[l-1])
        g_l += delta.sum(axis=0)             # (n[l],)
        if l > 1:
            delta = (delta @ weights[l - 1][0]) * g_prime(Z[l - 1])   # (N, n[l-1]): sigma'(A_{l-1})
    return data_loss + reg_loss, grad


def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    """Exercise 2: binary loss and its gradient for any depth. Returns (float, (P,))."""
    return network_backprop(W, X, t, layer_sizes, lam, activation, loss="bce")


def ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    """Exercise 3: softmax cross-entropy and its gradient; t holds integer labels (N,)."""
    return network_backprop(W, X, t, layer_sizes, lam, activation, loss="ce")


def bce_loss(W, X, t, layer_sizes, lam):
    """Exercise 1c: the regularized binary cross-entropy (float)."""
    return network_backprop(W, X, t, layer_sizes, lam, loss="bce")[0]


def bce_grad(W, X, t, layer_sizes, lam):
    """Exercise 1d: the gradient of :func:`bce_loss`, shape W.shape."""
    return network_backprop(W, X, t, layer_sizes, lam, loss="bce")[1]


def predict_proba(W, X, layer_sizes, activation="sigmoid"):
    """p = sigmoid(A_L)[:, 0]: (N,) probabilities of label 1."""
    A, _ = forward(W, X, layer_sizes, activation)
    return sigmoid(A[-1][:, 0])


def predict(W, X, layer_sizes, activation="sigmoid"):
    """(N,) int labels: 1 where p >= 0.5."""
    return (predict_proba(W, X, layer_sizes, activation) >= 0.5).astype(int)


def predict_multiclass(W, X, layer_sizes, activation="sigmoid"):
    """(N,) int labels: the argmax of softmax(A_L) per row."""
    A, _ = forward(W, X, layer_sizes, activation)
    return np.argmax(softmax(A[-1]), axis=1).astype(int)
