"""Small random problems shared by the reference tests (independent of :mod:`reference`'s internals)."""
import numpy as np

# layer_sizes by number of weight layers (1 to 4), for each output kind.
BINARY_NETS = [[2, 1], [2, 3, 1], [2, 4, 3, 1], [2, 3, 3, 3, 1]]
MULTICLASS_NETS = [[2, 3], [2, 4, 3], [2, 4, 3, 3], [2, 3, 3, 3, 3]]
N_CLASSES = 3


def n_params(layer_sizes):
    """Flat length from the contract's formula sum n[l] * (n[l-1] + 1), written out independently."""
    return int(sum(layer_sizes[l] * (layer_sizes[l - 1] + 1) for l in range(1, len(layer_sizes))))


def layers_of(W, layer_sizes):
    """The contract's layout read independently: per layer, W_l (n[l], n[l-1]) row-major, then b_l."""
    out, pos = [], 0
    for l in range(1, len(layer_sizes)):
        n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
        W_l = np.array(W[pos:pos + n_out * n_in]).reshape(n_out, n_in)
        pos += n_out * n_in
        b_l = np.array(W[pos:pos + n_out])
        pos += n_out
        out.append((W_l, b_l))
    assert pos == len(W)
    return out


def hidden_preactivations(W, X, layer_sizes, activation):
    """A_1 .. A_{L-1} of the contract's forward pass, computed here without the reference."""
    g = (lambda a: 1.0 / (1.0 + np.exp(-a))) if activation == "sigmoid" else (lambda a: np.maximum(a, 0.0))
    Z, out = X, []
    layers = layers_of(W, layer_sizes)
    for W_l, b_l in layers[:-1]:
        A = Z @ W_l.T + b_l
        out.append(A)
        Z = g(A)
    return out


def random_problem(layer_sizes, n_samples, seed, activation="sigmoid", scale=1.0, min_margin=1e-3):
    """(W, X, t): random weights (biases included, all nonzero), inputs and labels.

    For relu, seeds are tried from ``seed`` on until no hidden pre-activation
    lies within ``min_margin`` of the kink at 0 (so finite differences see a
    smooth function), and every hidden layer has some active unit. The margin
    is 1e-3 rather than 1e-4 because a step of 1e-5 in one weight moves
    downstream pre-activations by 1e-5 times activations and weights of a few units.
    Labels: {0, 1} for one output, {0..K-1} for K outputs, every class present.
    """
    n_out = layer_sizes[-1]
    n_classes = 2 if n_out == 1 else n_out
    for s in range(seed, seed + 1000):
        rng = np.random.default_rng(s)
        W = scale * rng.standard_normal(n_params(layer_sizes))
        X = rng.standard_normal((n_samples, layer_sizes[0]))
        t = np.arange(n_samples) % n_classes
        rng.shuffle(t)
        if activation == "relu":
            A = hidden_preactivations(W, X, layer_sizes, activation)
            if any(np.min(np.abs(a)) < min_margin or not np.any(a > 0) for a in A):
                continue
        assert np.all(W != 0)
        return W, X, t.astype(int)
    raise RuntimeError("no random problem found")   # pragma: no cover
