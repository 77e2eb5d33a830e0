"""Analytic gradients of the reference against central finite differences.

Every depth from 1 to 4 weight layers, both hidden activations, lam = 0 and
lam > 0, random nonzero weights and biases, a handful of samples.
"""
import numpy as np
import pytest

import reference
from reference.network import network_backprop

from gradcheck import numerical_gradient, relative_error
from ref_cases import BINARY_NETS, MULTICLASS_NETS, random_problem

N_SAMPLES = 7
# Step 1e-5 rather than the helper's default 1e-6: with losses of a few units the
# rounding noise of the difference quotient is ~1e-16 * f / eps, which at 1e-6
# reaches 1e-9 on these cases (measured), while the truncation error at 1e-5
# stays below 4e-10. Worst elementwise error measured over 4 seeds per case: 4.5e-7.
EPS = 1e-5
TOL = 1e-6          # worst elementwise relative error allowed
FLOOR = 1e-4        # components below this are compared absolutely: |a - n| < TOL * FLOOR


def check(layer_sizes, activation, lam, loss, seed=0):
    W, X, t = random_problem(layer_sizes, N_SAMPLES, seed, activation)
    value, grad = network_backprop(W, X, t, layer_sizes, lam, activation, loss)
    assert np.shape(grad) == W.shape
    numeric = numerical_gradient(lambda V: network_backprop(V, X, t, layer_sizes, lam, activation, loss)[0], W, EPS)
    err = relative_error(grad, numeric, floor=FLOOR)
    assert err < TOL, f"relative error {err:.2e} for {layer_sizes} {activation} lam={lam} {loss}"
    return value, grad


@pytest.mark.parametrize("lam", [0.0, 0.03])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("layer_sizes", BINARY_NETS, ids=str)
def test_network_backprop_binary(layer_sizes, activation, lam):
    check(layer_sizes, activation, lam, "bce")


@pytest.mark.parametrize("lam", [0.0, 0.03])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("layer_sizes", MULTICLASS_NETS, ids=str)
def test_network_backprop_multiclass(layer_sizes, activation, lam):
    check(layer_sizes, activation, lam, "ce")


@pytest.mark.parametrize("lam", [0.0, 0.03])
@pytest.mark.parametrize("layer_sizes", [[2, 3, 1], [2, 5, 1]], ids=str)
def test_bce_loss_and_bce_grad(layer_sizes, lam):
    """Exercises 1c/1d (one hidden layer, sigmoid): bce_grad is the derivative of bce_loss."""
    W, X, t = random_problem(layer_sizes, N_SAMPLES, seed=1)
    grad = reference.bce_grad(W, X, t, layer_sizes, lam)
    numeric = numerical_gradient(lambda V: reference.bce_loss(V, X, t, layer_sizes, lam), W, EPS)
    assert relative_error(grad, numeric, floor=FLOOR) < TOL


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("layer_sizes", BINARY_NETS[1:], ids=str)
def test_backprop_public_api(layer_sizes, activation):
    """Exercise 2's ``backprop`` (positional and keyword activation)."""
    lam = 0.01
    W, X, t = random_problem(layer_sizes, N_SAMPLES, seed=2, activation=activation)
    value, grad = reference.backprop(W, X, t, layer_sizes, lam, activation=activation)
    assert isinstance(value, float)
    numeric = numerical_gradient(lambda V: reference.backprop(V, X, t, layer_sizes, lam, activation)[0], W, EPS)
    assert relative_error(grad, numeric, floor=FLOOR) < TOL


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("layer_sizes", MULTICLASS_NETS[1:], ids=str)
def test_ce_backprop_public_api(layer_sizes, activation):
    """Exercise 3's ``ce_backprop`` with integer labels."""
    lam = 0.01
    W, X, t = random_problem(layer_sizes, N_SAMPLES, seed=3, activation=activation)
    value, grad = reference.ce_backprop(W, X, t, layer_sizes, lam, activation=activation)
    assert isinstance(value, float)
    numeric = numerical_gradient(lambda V: reference.ce_backprop(V, X, t, layer_sizes, lam, activation)[0], W, EPS)
    assert relative_error(grad, numeric, floor=FLOOR) < TOL


def test_loss_matches_contract_formula():
    """Loss values by the contract's formulas, computed here with plain numpy."""
    from ref_cases import layers_of
    layer_sizes, lam = [2, 4, 3, 1], 0.05
    W, X, t = random_problem(layer_sizes, N_SAMPLES, seed=4)
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    Z = X
    layers = layers_of(W, layer_sizes)
    for W_l, b_l in layers[:-1]:
        Z = sig(Z @ W_l.T + b_l)
    p = sig(Z @ layers[-1][0].T + layers[-1][1])[:, 0]
    reg = lam * sum(np.sum(W_l ** 2) for W_l, _ in layers)
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)) + reg
    assert reference.backprop(W, X, t, layer_sizes, lam)[0] == pytest.approx(expected, rel=1e-12)

    layer_sizes = [2, 4, 3]
    W, X, t = random_problem(layer_sizes, N_SAMPLES, seed=5)
    layers = layers_of(W, layer_sizes)
    A = sig(X @ layers[0][0].T + layers[0][1]) @ layers[1][0].T + layers[1][1]
    Y = np.exp(A) / np.exp(A).sum(axis=1, keepdims=True)
    reg = lam * sum(np.sum(W_l ** 2) for W_l, _ in layers)
    expected = -np.mean(np.log(Y[np.arange(len(t)), t])) + reg
    assert reference.ce_backprop(W, X, t, layer_sizes, lam)[0] == pytest.approx(expected, rel=1e-12)


def test_biases_are_not_regularized():
    """Changing lam changes only the weight-matrix entries of the gradient, by exactly 2 * lam * W_l."""
    from ref_cases import layers_of
    layer_sizes = [2, 4, 3, 1]
    W, X, t = random_problem(layer_sizes, N_SAMPLES, seed=6)
    l0, g0 = reference.backprop(W, X, t, layer_sizes, 0.0)
    l1, g1 = reference.backprop(W, X, t, layer_sizes, 0.5)
    diff = layers_of(g1 - g0, layer_sizes)
    for (W_l, b_l), (dW, db) in zip(layers_of(W, layer_sizes), diff):
        np.testing.assert_allclose(dW, 2 * 0.5 * W_l, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(db, 0.0)
    assert l1 - l0 == pytest.approx(0.5 * sum(np.sum(W_l ** 2) for W_l, _ in layers_of(W, layer_sizes)), rel=1e-12)


@pytest.mark.parametrize("bug", ["reg_without_2", "bias_grad_dropped", "hidden_grad_halved"])
def test_gradcheck_catches_wrong_gradients(bug):
    """The check above is able to fail: it rejects gradients with small, typical mistakes."""
    layer_sizes, lam, activation = [2, 4, 3, 1], 0.03, "sigmoid"
    W, X, t = random_problem(layer_sizes, N_SAMPLES, seed=0)
    _, grad = network_backprop(W, X, t, layer_sizes, lam, activation, "bce")
    wrong = grad.copy()
    if bug == "reg_without_2":                   # lam * W_l instead of 2 * lam * W_l
        _, no_reg = network_backprop(W, X, t, layer_sizes, 0.0, activation, "bce")
        wrong = no_reg + 0.5 * (grad - no_reg)
    elif bug == "bias_grad_dropped":
        n0, n1 = layer_sizes[0], layer_sizes[1]
        wrong[n1 * n0:n1 * n0 + n1] = 0.0        # b_1's gradient
    else:
        n0, n1 = layer_sizes[0], layer_sizes[1]
        wrong[:n1 * n0] *= 0.5                   # W_1's gradient
    numeric = numerical_gradient(lambda V: network_backprop(V, X, t, layer_sizes, lam, activation, "bce")[0], W, EPS)
    assert relative_error(grad, numeric, floor=FLOOR) < TOL
    assert relative_error(wrong, numeric, floor=FLOOR) > 1e-3


def test_numerical_gradient_helper():
    """The helper itself, on a function with a known gradient; it leaves W untouched."""
    W = np.array([0.3, -1.2, 2.0, 0.0])
    before = W.copy()
    f = lambda V: float(np.sum(np.sin(V)) + V[0] * V[1] ** 2)
    expected = np.cos(W) + np.array([W[1] ** 2, 2 * W[0] * W[1], 0.0, 0.0])
    np.testing.assert_allclose(numerical_gradient(f, W), expected, rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(W, before)
    assert relative_error(expected, expected) == 0.0
    assert relative_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)
