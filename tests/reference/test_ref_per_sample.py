"""The vectorized backprop equals the handout's one-sample-at-a-time backprop."""
import numpy as np
import pytest

from reference import backprop_per_sample
from reference.network import network_backprop

from ref_cases import BINARY_NETS, MULTICLASS_NETS, random_problem

CASES = [(ls, "bce") for ls in BINARY_NETS] + [(ls, "ce") for ls in MULTICLASS_NETS] + [
    ([2, 10, 10, 10, 10, 1], "bce"), ([2, 10, 3], "ce")]


@pytest.mark.parametrize("lam", [0.0, 0.02])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("layer_sizes,loss", CASES, ids=str)
def test_vectorized_equals_per_sample(layer_sizes, loss, activation, lam):
    W, X, t = random_problem(layer_sizes, 25, seed=7, activation=activation, scale=0.8)
    value, grad = network_backprop(W, X, t, layer_sizes, lam, activation, loss)
    value_ps, grad_ps = backprop_per_sample(W, X, t, layer_sizes, lam, activation, loss)
    assert value == pytest.approx(value_ps, rel=1e-12, abs=1e-14)
    assert grad.shape == grad_ps.shape == W.shape
    np.testing.assert_allclose(grad, grad_ps, rtol=1e-12, atol=1e-14 * np.max(np.abs(grad_ps)))


def test_per_sample_is_sensitive_to_the_labels():
    """The comparison is able to fail: flipping one label changes both, and they still agree."""
    layer_sizes = [2, 4, 3, 1]
    W, X, t = random_problem(layer_sizes, 10, seed=8)
    flipped = t.copy()
    flipped[0] = 1 - flipped[0]
    a = network_backprop(W, X, t, layer_sizes, 0.01)
    b = backprop_per_sample(W, X, flipped, layer_sizes, 0.01)
    assert abs(a[0] - b[0]) > 1e-6 and np.max(np.abs(a[1] - b[1])) > 1e-6
    c = network_backprop(W, X, flipped, layer_sizes, 0.01)
    np.testing.assert_allclose(c[1], b[1], rtol=1e-12, atol=1e-15)
