"""The reference's loss and gradient against scikit-learn's MLPClassifier on the lab's data."""
import numpy as np
import pytest

import reference
from reference.init import init_limits

from ref_cases import n_params
from sk_oracle import SklearnOracle, from_sklearn, to_sklearn

BINARY = [[2, 5, 1], [2, 4, 3, 1], [2, 10, 10, 10, 10, 1]]
MULTICLASS = [[2, 6, 3], [2, 4, 4, 3], [2, 10, 10, 3]]


def moderate_weights(layer_sizes, seed):
    """Glorot-scale weights with nonzero biases in the same range (so sklearn's probability clipping never applies)."""
    rng = np.random.default_rng(seed)
    parts = []
    for (n_in, n_out), e in zip(zip(layer_sizes[:-1], layer_sizes[1:]), init_limits(layer_sizes)):
        parts += [rng.uniform(-2 * e, 2 * e, n_out * n_in), rng.uniform(-e, e, n_out)]
    W = np.concatenate(parts)
    assert W.shape == (n_params(layer_sizes),)
    return W


def test_layout_conversion_round_trip():
    ls = [2, 4, 3, 1]
    W = np.arange(n_params(ls), dtype=float)
    packed = to_sklearn(W, ls)
    # sklearn's first coef matrix is W_1.T: its first row holds W_1[:, 0] = entries 0, 2, 4, 6
    np.testing.assert_array_equal(packed[:4], [0, 2, 4, 6])
    np.testing.assert_array_equal(from_sklearn(packed, ls), W)


@pytest.mark.parametrize("lam", [0.0, 1e-3])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("layer_sizes", BINARY, ids=str)
def test_binary_matches_sklearn(layer_sizes, activation, lam):
    X, t = reference.load_data()
    oracle = SklearnOracle(X, t, layer_sizes, lam, activation)
    for seed in range(2):
        W = moderate_weights(layer_sizes, seed)
        sk_loss, sk_grad = oracle.loss_grad(W)
        p = oracle.last_output
        assert 1e-8 < p.min() and p.max() < 1 - 1e-8          # no clipping inside sklearn's log-loss
        loss, grad = reference.backprop(W, X, t, layer_sizes, lam, activation)
        assert loss == pytest.approx(sk_loss, rel=1e-12)
        np.testing.assert_allclose(grad, sk_grad, rtol=1e-9, atol=1e-12 * np.max(np.abs(sk_grad)))


@pytest.mark.parametrize("lam", [0.0, 1e-3])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("layer_sizes", MULTICLASS, ids=str)
def test_multiclass_matches_sklearn(layer_sizes, activation, lam):
    X, t = reference.load_data_multiclass()
    oracle = SklearnOracle(X, t, layer_sizes, lam, activation)
    for seed in range(2):
        W = moderate_weights(layer_sizes, seed)
        sk_loss, sk_grad = oracle.loss_grad(W)
        assert oracle.last_output.min() > 1e-8
        loss, grad = reference.ce_backprop(W, X, t, layer_sizes, lam, activation)
        assert loss == pytest.approx(sk_loss, rel=1e-12)
        np.testing.assert_allclose(grad, sk_grad, rtol=1e-9, atol=1e-12 * np.max(np.abs(sk_grad)))


def test_oracle_sees_a_wrong_regularization():
    """The comparison is able to fail: the contract's lam is not sklearn's alpha / 2 without the N."""
    X, t = reference.load_data()
    ls, lam = [2, 5, 1], 1e-2
    W = moderate_weights(ls, 0)
    wrong = SklearnOracle(X, t, ls, lam / len(t))       # alpha = 2 lam, i.e. a 1/N too many
    right = SklearnOracle(X, t, ls, lam)
    ref_loss, _ = reference.backprop(W, X, t, ls, lam)
    assert ref_loss == pytest.approx(right.loss_grad(W)[0], rel=1e-12)
    assert abs(ref_loss - wrong.loss_grad(W)[0]) > 1e-3
