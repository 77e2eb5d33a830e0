"""Activations and losses stay finite and silent for large inputs; shapes are preserved."""
import math
import warnings

import numpy as np
import pytest

import reference
from reference.activations import log_softmax

from ref_cases import random_problem


@pytest.fixture
def strict():
    """Any warning is an error, and numpy raises on overflow, invalid values and division by zero."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            yield


@pytest.mark.parametrize("a", [1e4, -1e4, 1000.0, -1000.0, 745.0, -745.0, 710.0, -710.0])
def test_sigmoid_and_sigmoid_grad_saturate_finite_on_extreme_scalars(strict, a):
    s, g = reference.sigmoid(a), reference.sigmoid_grad(a)
    assert np.shape(s) == () and np.shape(g) == ()
    assert np.isfinite(s) and np.isfinite(g)
    assert 0.0 <= s <= 1.0 and 0.0 <= g <= 0.25
    assert s == pytest.approx(1.0 if a > 0 else 0.0, abs=1e-300)
    assert g == pytest.approx(0.0, abs=1e-300)


def test_sigmoid_array_extremes_keep_shape(strict):
    a = np.array([[-1e4, -1000.0, -40.0, 0.0], [40.0, 1000.0, 1e4, 3.0]])
    for f in (reference.sigmoid, reference.sigmoid_grad):
        out = f(a)
        assert out.shape == a.shape and np.all(np.isfinite(out))
    np.testing.assert_array_equal(reference.sigmoid(a)[0, :2], 0.0)
    np.testing.assert_array_equal(reference.sigmoid(a)[1, 1:3], 1.0)
    np.testing.assert_array_equal(reference.sigmoid_grad(a)[0, :2], 0.0)
    np.testing.assert_array_equal(reference.sigmoid_grad(a)[1, 1:3], 0.0)


def test_sigmoid_and_sigmoid_grad_match_exact_values_to_full_precision(strict):
    a = np.linspace(-30, 30, 121)
    expected = np.array([1.0 / (1.0 + math.exp(-x)) for x in a])
    np.testing.assert_allclose(reference.sigmoid(a), expected, rtol=1e-14)
    # sigma'(a) = sigma(a) sigma(-a) exactly; the reference's sigma (1 - sigma) loses relative
    # precision for large positive a (1 - sigma cancels), but never more than ~1 ulp of 1 absolutely
    exact_grad = np.array([math.exp(-abs(x)) / (1.0 + math.exp(-abs(x))) ** 2 for x in a])
    np.testing.assert_allclose(reference.sigmoid_grad(a), exact_grad, rtol=1e-12, atol=2.3e-16)
    np.testing.assert_allclose(reference.sigmoid_grad(a[a <= 0]), exact_grad[a <= 0], rtol=1e-13)
    # far in the left tail sigma(a) ~ exp(a), still to full relative precision
    assert reference.sigmoid(-40.0) == pytest.approx(math.exp(-40.0) / (1 + math.exp(-40.0)), rel=1e-14)
    assert reference.sigmoid(0.0) == 0.5 and reference.sigmoid_grad(0.0) == 0.25


@pytest.mark.parametrize("a", [0.0, 2, -3.5, np.float64(1.5)])
def test_scalars_in_scalars_out(strict, a):
    for f in (reference.sigmoid, reference.sigmoid_grad, reference.relu, reference.relu_grad):
        out = f(a)
        assert np.ndim(out) == 0
        assert isinstance(float(out), float)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2), (1, 1)])
def test_activations_keep_shape(shape):
    a = np.random.default_rng(0).standard_normal(shape)
    for f in (reference.sigmoid, reference.sigmoid_grad, reference.relu, reference.relu_grad):
        assert np.shape(f(a)) == shape


def test_relu_and_relu_grad():
    a = np.array([-2.0, -1e-12, 1e-12, 0.5, 1e4, -1e4])
    np.testing.assert_array_equal(reference.relu(a), [0.0, 0.0, 1e-12, 0.5, 1e4, 0.0])
    np.testing.assert_array_equal(reference.relu_grad(a), [0.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    assert reference.relu_grad(0.0) in (0.0, 1.0)


def test_softmax_large_logits(strict):
    A = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0], [1e4, 0.0, -1e4], [1.0, 2.0, 0.0]])
    Y = reference.softmax(A)
    assert Y.shape == A.shape and np.all(np.isfinite(Y))
    e = np.exp([1.0, 2.0, 0.0])
    expected = e / e.sum()
    np.testing.assert_allclose(Y[0], expected, rtol=1e-14)
    np.testing.assert_allclose(Y[1], np.exp([-1.0, -2.0, 0.0]) / np.exp([-1.0, -2.0, 0.0]).sum(), rtol=1e-14)
    np.testing.assert_allclose(Y[2], [1.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(Y[3], expected, rtol=1e-14)
    np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=1e-15)


def test_softmax_is_row_wise(strict):
    A = np.random.default_rng(1).standard_normal((6, 4)) * 5
    Y = reference.softmax(A)
    expected = np.exp(A) / np.exp(A).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(Y, expected, rtol=1e-13)
    np.testing.assert_allclose(reference.softmax(A + np.arange(6)[:, None] * 300.0), expected, rtol=1e-12)
    np.testing.assert_allclose(log_softmax(A), np.log(expected), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("layer_sizes,loss", [([2, 3, 1], "bce"), ([2, 10, 10, 10, 10, 1], "bce"),
                                              ([2, 10, 3], "ce"), ([2, 4, 4, 4, 3], "ce")], ids=str)
def test_losses_finite_for_huge_weights(strict, layer_sizes, loss, activation):
    W, X, t = random_problem(layer_sizes, 40, seed=11)
    fn = reference.backprop if loss == "bce" else reference.ce_backprop
    for factor in (1e2, 1e3):
        value, grad = fn(W * factor, X * 3, t, layer_sizes, 1e-4, activation)
        assert np.isfinite(value) and np.all(np.isfinite(grad))
        # saturated outputs: misclassified samples cost about |logit| each, so the loss is large, not inf
        assert value > 1.0


def test_saturated_binary_loss_is_exact(strict):
    """log(1 - p) for a logit of -800 (p = 0 in float64) and +800: the loss is the logit itself, not inf or 36."""
    ls = [2, 1]
    X = np.array([[1.0, 0.0], [1.0, 0.0]])
    t = np.array([1, 0])
    W = np.array([-800.0, 0.0, 0.0])          # logit -800 for both samples
    value, grad = reference.backprop(W, X, t, ls, 0.0)
    # sample 1 (t = 1): -log(sigma(-800)) = 800 + log1p(exp(-800)); sample 2: ~0
    assert value == pytest.approx(400.0, rel=1e-12)
    np.testing.assert_allclose(grad, [-0.5, 0.0, -0.5], atol=1e-15)
