"""The trained-accuracy check never fails a correct submission for an unlucky start.

For many initialization seeds, a correct submission (the reference's functions,
with gradients perturbed at the 1e-10 level as a different but correct
implementation's rounding would) is trained exactly as the probe driver trains
it in a student's kernel, and must reach the pass mark set by the reference
trained from the same initializations.
"""
import numpy as np
import pytest

import reference
from assignment import EXERCISES
from assignment.kit.training import activation_options
from grader.config import GraderConfig
from grader.kernel import probe_driver
from reference.training import METHOD, OPTIONS, SETUPS, fit_once

CONFIG = GraderConfig()
SEEDS = {"1": range(20), "2": range(12), "3": range(20)}
FUNCTIONS = {e.training.setup: (e.training.mode, list(e.training.functions)) for e in EXERCISES if e.training}


def perturbed_namespace(seed):
    """The reference's functions, each gradient off by a relative 1e-10 in a seeded random direction."""
    rng = np.random.default_rng(seed)

    def nudge(grad):
        return grad * (1 + 1e-10 * rng.standard_normal(grad.shape))

    return {
        "bce_loss": reference.bce_loss,
        "bce_grad": lambda *args: nudge(reference.bce_grad(*args)),
        "backprop": lambda *args, **kw: (lambda loss, grad: (loss, nudge(grad)))(*reference.backprop(*args, **kw)),
        "ce_backprop": lambda *args, **kw: (lambda loss, grad: (loss, nudge(grad)))(*reference.ce_backprop(*args, **kw)),
    }


def train_like_the_grader(exercise, seed):
    """(the submission's best accuracy, the pass mark) for the grader's check from seed ``seed``."""
    setup = SETUPS[exercise]
    sizes = list(setup.layer_sizes)
    X, t = reference.load_data_multiclass() if setup.loss == "ce" else reference.load_data()
    rng = np.random.default_rng(seed)
    inits = [reference.init_weights(sizes, rng) for _ in range(CONFIG.train_restarts)]
    reference_accuracy = max(fit_once(W0, X, t, sizes, setup.lam, setup.activation, setup.loss).accuracy
                             for W0 in inits)
    target = reference_accuracy - CONFIG.tolerances.accuracy_margin
    mode, funcs = FUNCTIONS[exercise]
    arrays = {"X": X, "t": t, **{f"init{k}": W for k, W in enumerate(inits)}}
    entry = {"mode": mode, "funcs": funcs, "X": "X", "t": "t", "layer_sizes": sizes, "lam": setup.lam,
             **activation_options(setup.activation), "inits": [f"init{k}" for k in range(len(inits))],
             "method": METHOD, "options": dict(OPTIONS), "budget": CONFIG.train_budget,
             "target_accuracy": target, "loss": setup.loss}
    finals = probe_driver._train(entry, perturbed_namespace(seed), arrays)
    predict = reference.predict_multiclass if setup.loss == "ce" else reference.predict
    best = max(float(np.mean(predict(W, X, sizes, setup.activation) == t)) for W in finals)
    return best, target


@pytest.mark.parametrize("exercise,seed", [(e, s) for e, seeds in SEEDS.items() for s in seeds])
def test_correct_submission_passes_training_from_any_start(exercise, seed):
    best, target = train_like_the_grader(exercise, seed)
    assert best >= target, f"exercise {exercise}, seed {seed}: {best:.3f} < pass mark {target:.3f}"


def test_training_check_fails_a_wrong_gradient():
    """The same procedure with a gradient of the wrong sign must not pass: the test above can fail."""
    setup = SETUPS["1"]
    sizes = list(setup.layer_sizes)
    X, t = reference.load_data()
    rng = np.random.default_rng(0)
    arrays = {"X": X, "t": t, "init0": reference.init_weights(sizes, rng)}
    entry = {"mode": "pair", "funcs": ["bce_loss", "bce_grad"], "X": "X", "t": "t", "layer_sizes": sizes,
             "lam": setup.lam, **activation_options("sigmoid"), "inits": ["init0"], "method": METHOD,
             "options": dict(OPTIONS), "budget": 10.0, "target_accuracy": 0.95, "loss": "bce"}
    namespace = {"bce_loss": reference.bce_loss, "bce_grad": lambda *args: -reference.bce_grad(*args)}
    finals = probe_driver._train(entry, namespace, arrays)
    assert max(float(np.mean(reference.predict(W, X, sizes) == t)) for W in finals) < 0.95
