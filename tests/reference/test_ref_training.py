"""reference.train with each of the lab's settings (reference.SETUPS) learns its data set.

One seed each, to stay fast; ``python -m bench`` measures the success rate over 20 seeds.
"""
import numpy as np
import pytest

import reference
from reference.network import network_backprop
from reference.training import fit_once

SEED = 0
TARGET = 0.97


@pytest.fixture(scope="module")
def data():
    return {"bce": reference.load_data(), "ce": reference.load_data_multiclass()}


@pytest.mark.parametrize("name", list(reference.SETUPS))
def test_setup_reaches_target_accuracy(name, data):
    setup = reference.SETUPS[name]
    X, t = data[setup.loss]
    ls = list(setup.layer_sizes)
    assert ls[-1] == (1 if setup.loss == "bce" else len(np.unique(t)))
    result = reference.train(X, t, ls, setup.lam, np.random.default_rng(SEED), setup.activation, setup.loss)
    # the reported numbers are those of the returned weights
    predictor = reference.predict if setup.loss == "bce" else reference.predict_multiclass
    accuracy = np.mean(predictor(result.W, X, ls, setup.activation) == t)
    assert result.accuracy == accuracy
    assert result.loss == pytest.approx(
        network_backprop(result.W, X, t, ls, setup.lam, setup.activation, setup.loss)[0], rel=1e-12)
    assert accuracy >= TARGET, f"setup {name}: accuracy {accuracy:.3f} after {result.nit} iterations"


def test_train_keeps_the_lowest_loss_run(data):
    """train = best (by final loss) of `restarts` fit_once runs drawn in order from one generator."""
    X, t = data["bce"]
    ls, lam = [2, 3, 1], 1e-4
    rng = np.random.default_rng(4)
    runs = [fit_once(reference.init_weights(ls, rng), X, t, ls, lam) for _ in range(3)]
    best = reference.train(X, t, ls, lam, np.random.default_rng(4), restarts=3)
    assert best.loss == min(run.loss for run in runs)
    np.testing.assert_array_equal(best.W, min(runs, key=lambda run: run.loss).W)
