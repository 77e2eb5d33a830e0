"""init_weights: Glorot-uniform bounds per layer, zero biases, determinism, spread."""
import numpy as np
import pytest
from scipy import stats

from reference import init_weights, n_params, unpack

NETS = [[2, 3, 1], [2, 5, 1], [2, 10, 10, 10, 10, 1], [2, 10, 3], [40, 7, 300, 2]]


@pytest.mark.parametrize("layer_sizes", NETS, ids=str)
def test_bounds_and_zero_biases(layer_sizes):
    W = init_weights(layer_sizes, np.random.default_rng(0))
    assert isinstance(W, np.ndarray) and W.dtype == np.float64 and W.shape == (n_params(layer_sizes),)
    for (W_l, b_l), n_in, n_out in zip(unpack(W, layer_sizes), layer_sizes[:-1], layer_sizes[1:]):
        e = np.sqrt(2.0 / (n_in + n_out))
        assert np.all(np.abs(W_l) <= e)
        assert np.all(W_l != 0)
        np.testing.assert_array_equal(b_l, 0.0)
        if W_l.size >= 50:            # the bound is used, not a smaller one
            assert np.max(np.abs(W_l)) > 0.9 * e


def test_deterministic_for_a_seed():
    ls = [2, 10, 10, 10, 10, 1]
    a = init_weights(ls, np.random.default_rng(123))
    b = init_weights(ls, np.random.default_rng(123))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, init_weights(ls, np.random.default_rng(124)))


def test_uses_the_generator_it_is_given():
    """Two draws from one generator differ (it advances), and numpy's global random state is neither
    read nor advanced (each draw from it would change its state)."""
    ls = [2, 5, 1]
    rng = np.random.default_rng(5)
    first, second = init_weights(ls, rng), init_weights(ls, rng)
    assert not np.array_equal(first, second)
    before = np.random.get_state(legacy=False)
    init_weights(ls, np.random.default_rng(9))
    after = np.random.get_state(legacy=False)
    np.testing.assert_array_equal(before["state"]["key"], after["state"]["key"])
    assert (before["state"]["pos"], before["has_gauss"]) == (after["state"]["pos"], after["has_gauss"])


def test_uniform_spread_ks():
    """A large layer's entries are uniform on [-e, e] (Kolmogorov-Smirnov) with mean ~0."""
    ls = [200, 300, 1]
    W = init_weights(ls, np.random.default_rng(2))
    W_1 = unpack(W, ls)[0][0].ravel()
    e = np.sqrt(2.0 / 500)
    assert stats.kstest(W_1, "uniform", args=(-e, 2 * e)).pvalue > 1e-3
    # and not merely inside the interval: a narrower uniform is rejected
    assert stats.kstest(W_1, "uniform", args=(-e / 2, e)).pvalue < 1e-6
    assert abs(W_1.mean()) < 0.01 * e
    assert W_1.std() == pytest.approx(e / np.sqrt(3), rel=0.02)
