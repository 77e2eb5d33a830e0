"""Backpropagation one sample at a time, exactly as the handout states it.

For each sample: forward pass; at the output delta_k = y_k - t_k; going back,
delta_j = sigma'(a_j) * sum_k w_kj delta_k; dE_n/dw_ji = delta_j * z_i.
The per-sample gradients are averaged, and the regularization gradient
2 * lam * W_l is added afterwards. Slow on purpose: it is the oracle the
vectorized :func:`reference.network.network_backprop` is tested against,
and the model for students who write loops.
"""
import numpy as np

from .activations import ACTIVATIONS, log_sigmoid, log_softmax, sigmoid, softmax
from .network import regularization
from .params import unpack


def backprop_per_sample(W, X, t, layer_sizes, lam, activation="sigmoid", loss="bce"):
    """Same contract as :func:`reference.network.network_backprop`: returns (float, (P,))."""
    W = np.asarray(W, dtype=float)
    X = np.asarray(X, dtype=float)
    g, g_prime = ACTIVATIONS[activation]
    layers = unpack(W, layer_sizes)
    n_samples = X.shape[0]
    data_loss = 0.0
    grad = np.zeros_like(W)
    grad_layers = unpack(grad, layer_sizes)
    for x_n, t_n in zip(X, t):
        # forward one sample: a[l] and z[l] are 1-D, z[0] = x_n
        z, a = [x_n], []
        for l, (W_l, b_l) in enumerate(layers, start=1):
            a.append(W_l @ z[-1] + b_l)
            z.append(a[-1] if l == len(layers) else g(a[-1]))
        logits = a[-1]
        if loss == "bce":
            y = sigmoid(logits)
            target = np.array([float(t_n)])
            data_loss -= (t_n * log_sigmoid(logits[0]) + (1 - t_n) * log_sigmoid(-logits[0]))
        else:
            y = softmax(logits[None, :])[0]
            target = np.zeros_like(y)
            target[int(t_n)] = 1.0
            data_loss -= log_softmax(logits[None, :])[0, int(t_n)]
        delta = y - target                      # output deltas, (n[L],)
        for l in range(len(layers), 0, -1):
            G_l, g_l = grad_layers[l - 1]
            G_l += np.outer(delta, z[l - 1]) / n_samples
            g_l += delta / n_samples
            if l > 1:
                delta = g_prime(a[l - 2]) * (layers[l - 1][0].T @ delta)
    reg_loss, reg_grad = regularization(W, layer_sizes, lam)
    return float(data_loss / n_samples + reg_loss), grad + reg_grad
