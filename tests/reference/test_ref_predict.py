"""predict / predict_multiclass: shapes, integer dtype, the p >= 0.5 threshold, argmax."""
import numpy as np
import pytest

import reference
from reference.network import predict_proba

from ref_cases import random_problem


@pytest.mark.parametrize("layer_sizes", [[2, 1], [2, 3, 1], [2, 10, 10, 10, 10, 1]], ids=str)
def test_predict_shape_dtype_values(layer_sizes):
    W, X, _ = random_problem(layer_sizes, 50, seed=0)
    labels = reference.predict(W, X, layer_sizes)
    assert labels.shape == (50,) and np.issubdtype(labels.dtype, np.integer)
    assert set(np.unique(labels)) <= {0, 1}
    p = predict_proba(W, X, layer_sizes)
    assert p.shape == (50,)
    np.testing.assert_array_equal(labels, (p >= 0.5).astype(int))


def test_predict_threshold_is_inclusive():
    """p exactly 0.5 (logit 0) -> 1; the next float below -> 0; works with a hidden layer too."""
    X = np.array([[1.0, 2.0], [-3.0, 0.5]])
    np.testing.assert_array_equal(reference.predict(np.zeros(3), X, [2, 1]), [1, 1])
    np.testing.assert_array_equal(reference.predict(np.array([0.0, 0.0, -1e-12]), X, [2, 1]), [0, 0])
    ls = [2, 3, 1]
    W = np.random.default_rng(0).standard_normal(13)
    W[9:] = 0.0                                  # output weights and bias 0 -> p = 0.5 everywhere
    np.testing.assert_array_equal(reference.predict(W, X, ls), [1, 1])
    # output bias a hair below 0 -> p just below 0.5 everywhere -> 0
    W[12] = -1e-12
    np.testing.assert_array_equal(reference.predict(W, X, ls), [0, 0])


def test_predict_matches_an_independent_forward_pass():
    from ref_cases import layers_of
    ls = [2, 4, 3, 1]
    W, X, _ = random_problem(ls, 300, seed=4)
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    Z = X
    layers = layers_of(W, ls)
    for W_l, b_l in layers[:-1]:
        Z = sig(Z @ W_l.T + b_l)
    logit = (Z @ layers[-1][0].T + layers[-1][1])[:, 0]
    W[-1] -= np.median(logit) + 1e-3            # centre the output bias: both labels occur
    logit -= np.median(logit) + 1e-3
    clear = np.abs(logit) > 1e-9
    assert clear.sum() > 290 and 0 < np.mean(logit > 0) < 1
    np.testing.assert_array_equal(reference.predict(W, X, ls)[clear], (logit[clear] > 0).astype(int))


@pytest.mark.parametrize("layer_sizes", [[2, 3], [2, 10, 3], [2, 4, 4, 5]], ids=str)
def test_predict_multiclass_shape_and_argmax(layer_sizes):
    W, X, _ = random_problem(layer_sizes, 60, seed=1)
    labels = reference.predict_multiclass(W, X, layer_sizes)
    assert labels.shape == (60,) and np.issubdtype(labels.dtype, np.integer)
    assert set(np.unique(labels)) <= set(range(layer_sizes[-1]))


def test_predict_multiclass_picks_the_largest_logit():
    """[2, 3] with W_1 = I-like rows: the label is the argmax of (x1, x2, bias)."""
    W = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.5])
    X = np.array([[2.0, 1.0], [0.0, 3.0], [0.1, 0.2], [-1.0, -1.0], [1e3, 1e3 - 1]])
    np.testing.assert_array_equal(reference.predict_multiclass(W, X, [2, 3]), [0, 1, 2, 2, 0])


def test_predictions_follow_the_activation_argument():
    ls = [2, 6, 1]
    W, X, _ = random_problem(ls, 200, seed=3, activation="relu")
    relu_labels = reference.predict(W, X, ls, activation="relu")
    sigmoid_labels = reference.predict(W, X, ls)
    assert relu_labels.shape == sigmoid_labels.shape == (200,)
    assert not np.array_equal(relu_labels, sigmoid_labels)
