"""Weight initialization (exercise 1e): Glorot-uniform weights, zero biases."""
import numpy as np

from .params import n_params, unpack


def init_limits(layer_sizes):
    """e_l = sqrt(2 / (n[l-1] + n[l])) for l = 1..L: a list of L floats."""
    return [np.sqrt(2.0 / (n_in + n_out)) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])]


def init_weights(layer_sizes, rng):
    """Flat (P,) weights: W_l entries uniform in [-e_l, e_l], biases 0.

    rng: a numpy.random.Generator, so the same seed gives the same weights.
    """
    W = np.zeros(n_params(layer_sizes))
    for (W_l, _), limit in zip(unpack(W, layer_sizes), init_limits(layer_sizes)):
        W_l[...] = rng.uniform(-limit, limit, size=W_l.shape)
    return W
