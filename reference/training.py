"""Training with scipy.optimize.minimize(jac=True), and the settings the lab hands out.

Why these settings (``make bench`` measures the success rate over 20 seeds):
- depth-4 sigmoid networks start with tiny gradients in their first layers and
  the XOR-shaped data has a stationary point at the constant output 0.5. With
  ``lam = 1e-4`` the weight decay pulls L-BFGS into that point (loss log 2,
  50% accuracy, for every seed tried), so exercise 2 uses ``lam = 1e-6``;
- L-BFGS's default tolerances stop on a flat gradient; ``gtol`` and ``ftol``
  are set so the iteration budget, not a plateau, ends a run;
- a hidden layer of 3 units has poor local minima on four blobs (about 1 seed
  in 10); exercise 1 trains 5 units, and every exercise keeps the best of
  ``RESTARTS`` runs by final loss.
"""
from dataclasses import dataclass

import numpy as np

from .init import init_weights
from .network import network_backprop, predict, predict_multiclass

METHOD = "L-BFGS-B"
OPTIONS = {"maxiter": 500, "gtol": 1e-12, "ftol": 1e-15}
RESTARTS = 3


@dataclass(frozen=True)
class Setup:
    """What one exercise trains: the network, its lambda, hidden activation and output loss."""
    layer_sizes: tuple
    lam: float
    activation: str = "sigmoid"
    loss: str = "bce"


# The settings the template hands out, one per trained network of the lab.
SETUPS = {
    "1": Setup((2, 5, 1), lam=1e-4),
    "2": Setup((2, 10, 10, 10, 10, 1), lam=1e-6),
    "bonus": Setup((2, 10, 10, 10, 10, 1), lam=1e-6, activation="relu"),
    "3": Setup((2, 10, 3), lam=1e-4, loss="ce"),
}


@dataclass
class TrainResult:
    """W: (P,) trained weights; loss: the final training loss; accuracy on the training set; nit: iterations."""
    W: np.ndarray
    loss: float
    accuracy: float
    nit: int


def loss_and_grad(W, X, t, layer_sizes, lam, activation="sigmoid", loss="bce"):
    """Thin adapter with the argument order ``minimize(fun, x0, args=..., jac=True)`` calls."""
    return network_backprop(W, X, t, layer_sizes, lam, activation, loss)


def fit_once(W0, X, t, layer_sizes, lam, activation="sigmoid", loss="bce", options=None):
    """One L-BFGS run from W0 (P,). Returns a :class:`TrainResult`."""
    from scipy.optimize import minimize      # 0.25 s to import: a grading whose reference outcomes are cached needs none
    result = minimize(loss_and_grad, W0, args=(X, t, layer_sizes, lam, activation, loss),
                      jac=True, method=METHOD, options=options or OPTIONS)
    predictor = predict if loss == "bce" else predict_multiclass
    labels = predictor(result.x, X, layer_sizes, activation)
    return TrainResult(result.x, float(result.fun), float(np.mean(labels == t)), int(result.nit))


def train(X, t, layer_sizes, lam, rng, activation="sigmoid", loss="bce", restarts=RESTARTS, options=None):
    """Best of ``restarts`` runs from :func:`init_weights` (by final loss).

    X: (N, n0); t: (N,) labels; rng: numpy.random.Generator used for every start.
    loss: "bce" (nL = 1) or "ce" (nL = K). Returns a :class:`TrainResult`.
    """
    runs = [fit_once(init_weights(layer_sizes, rng), X, t, layer_sizes, lam, activation, loss, options)
            for _ in range(restarts)]
    return min(runs, key=lambda run: run.loss)

