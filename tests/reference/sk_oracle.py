"""scikit-learn's MLPClassifier as an outside oracle for the loss and its gradient.

sklearn keeps each layer as ``coefs_[l]`` of shape (n_in, n_out) (the
transpose of the contract's W_l) and packs all coefficients first, then all
intercepts. Its L2 term is ``alpha / (2 N) * sum(W**2)``, so ``alpha = 2 lam N``
gives the contract's ``lam * sum(W**2)``. ``_loss_grad_lbfgs`` is private API
(checked against scikit-learn 1.9.1).
"""
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from ref_cases import layers_of

SK_ACTIVATION = {"sigmoid": "logistic", "relu": "relu"}


def to_sklearn(W, layer_sizes):
    """Contract flat vector -> sklearn packing (all coefs (n_in, n_out) row-major, then intercepts)."""
    layers = layers_of(W, layer_sizes)
    return np.concatenate([W_l.T.ravel() for W_l, _ in layers] + [b_l for _, b_l in layers])


def from_sklearn(packed, layer_sizes):
    """sklearn packing -> contract flat vector."""
    coefs, intercepts, pos = [], [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        coefs.append(packed[pos:pos + n_in * n_out].reshape(n_in, n_out))
        pos += n_in * n_out
    for n_out in layer_sizes[1:]:
        intercepts.append(packed[pos:pos + n_out])
        pos += n_out
    assert pos == len(packed)
    return np.concatenate([part for C, b in zip(coefs, intercepts) for part in (C.T.ravel(), b)])


class SklearnOracle:
    """Loss and gradient of an sklearn MLPClassifier with the reference's architecture and lambda.

    X: (N, n0); t: (N,) int labels (2 classes for nL = 1, K classes for nL = K).
    ``loss_grad(W)`` takes and returns the contract's flat layout.
    """

    def __init__(self, X, t, layer_sizes, lam, activation="sigmoid"):
        self.X = np.asarray(X, dtype=float)
        self.layer_sizes = list(layer_sizes)
        n = self.X.shape[0]
        clf = MLPClassifier(hidden_layer_sizes=tuple(layer_sizes[1:-1]), activation=SK_ACTIVATION[activation],
                            alpha=2.0 * lam * n, solver="lbfgs", max_iter=1, random_state=0)
        # One L-BFGS iteration sets up every internal the loss needs (label
        # binarizer, n_layers_, out_activation_, coefs_, _coef_indptr).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(self.X, t)
        # The index pointers, as _fit_lbfgs builds them: all coefs, then all intercepts.
        coef_indptr, intercept_indptr, start = [], [], 0
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            coef_indptr.append((start, start + n_in * n_out, (n_in, n_out)))
            start += n_in * n_out
        for n_out in layer_sizes[1:]:
            intercept_indptr.append((start, start + n_out))
            start += n_out
        assert clf._coef_indptr == coef_indptr and clf._intercept_indptr == intercept_indptr
        clf._coef_indptr, clf._intercept_indptr = coef_indptr, intercept_indptr
        self.clf = clf
        # scratch space sklearn fills on every call (it returns the packed gradient as a new array)
        self._coef_grads = [np.empty((a, b)) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]
        self._intercept_grads = [np.empty(b) for b in layer_sizes[1:]]
        if layer_sizes[-1] == 1:
            assert clf.out_activation_ == "logistic"
            self.y = np.asarray(t, dtype=float)[:, None]
        else:
            assert clf.out_activation_ == "softmax"
            self.y = np.eye(layer_sizes[-1])[np.asarray(t, dtype=int)]
        assert np.array_equal(clf._label_binarizer.transform(t), self.y)

    def loss_grad_packed(self, packed):
        """sklearn's own call: (loss, grad) with both parameters and gradient in sklearn's packing."""
        L = len(self.layer_sizes) - 1
        activations = [self.X] + [None] * L
        loss, grad = self.clf._loss_grad_lbfgs(packed, self.X, self.y, None, activations, [None] * L,
                                               self._coef_grads, self._intercept_grads)
        self.last_output = activations[-1]
        return loss, grad

    def loss_grad(self, W):
        """(loss: float, grad: (P,)) in the contract's layout."""
        loss, grad = self.loss_grad_packed(to_sklearn(W, self.layer_sizes))
        return float(loss), from_sklearn(grad, self.layer_sizes)
