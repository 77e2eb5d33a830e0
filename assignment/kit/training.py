"""Trained networks: the probe that trains with the submission's own functions, and the judge of
its accuracy (the proxy that trains the reference with a diagnosed mistake put in is
:mod:`assignment.kit.training_proxy`).

An exercise that trains a network declares a :class:`Training` as ``TRAINING`` in its module.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import reference
from student_template.arraycheck import Verdict
from reference.activations import get_activation
from reference.training import METHOD, OPTIONS, SETUPS

from .judges import reads, call_problem
from .plan import Probe, ProbePlan, Ref, activation_kwargs
from .reference_runs import accuracy_of, reference_training, training_data, training_inits


@dataclass(frozen=True)
class Training:
    """setup: the network trained (a reference.training.SETUPS key, with its layer sizes, lam,
    activation and loss); functions: the submission's functions minimize calls, in order;
    mode: "pair" (a loss function and a gradient function) or "backprop" (one function
    returning (loss, grad))."""
    setup: str
    functions: tuple[str, ...]
    mode: str

    def __post_init__(self):
        if self.setup not in SETUPS:
            raise ValueError(f"unknown training setup {self.setup!r}: one of {', '.join(SETUPS)}")
        if self.mode not in ("pair", "backprop"):
            raise ValueError(f"unknown training mode {self.mode!r}: 'pair' or 'backprop'")


TRAINING_PROBE_PREFIX = "train-"


def training_probe_id(setup: str) -> str:
    return TRAINING_PROBE_PREFIX + setup


def training_setup_of(probe_id: str) -> str | None:
    """The setup a training probe's id names, or None for any other probe."""
    return probe_id[len(TRAINING_PROBE_PREFIX):] if probe_id.startswith(TRAINING_PROBE_PREFIX) else None


def activation_options(activation: str) -> dict:
    """The train probe's options for the hidden activation: its name, how backprop is called with it,
    and g(A) as numpy source (the driver checks accuracy inside the kernel, without this package)."""
    return {"activation": activation, "hidden": get_activation(activation).numpy_source,
            "call_kwargs": activation_kwargs(activation)}


def add_training_probe(plan: ProbePlan, exercise: Any, data: dict[str, Ref], config: Any) -> None:
    """The probe that trains ``exercise.training``'s network with the submission's functions."""
    training = exercise.training
    key, setup = training.setup, SETUPS[training.setup]
    X, t = (data["X3"], data["t3"]) if setup.loss == "ce" else (data["X"], data["t"])
    inits = [plan.add_array(f"init-{key}-{k}", W)["array"]
             for k, W in enumerate(training_inits(key, config.train_restarts))]
    # the driver stops as soon as this accuracy is reached: the verdict is then certain
    target = reference_training(key, config.train_restarts)[0] - config.tolerances.accuracy_margin
    plan.add(Probe(training_probe_id(key), exercise.id, "train", training.functions[0], [],
                   timeout=config.train_budget + 15,
                   options={"mode": training.mode, "funcs": list(training.functions), "X": X["array"],
                            "t": t["array"], "layer_sizes": list(setup.layer_sizes), "lam": setup.lam,
                            **activation_options(setup.activation), "inits": inits, "method": METHOD, "options": dict(OPTIONS),
                            "budget": config.train_budget, "target_accuracy": target, "loss": setup.loss}))


def judge_training(exercise, functions):
    """The trained-accuracy judge of the network ``exercise`` (a reference.training.SETUPS key) trained
    with the submission's ``functions`` (as the student reads them, e.g. "bce_loss and bce_grad")."""
    probe_id = training_probe_id(exercise)

    def judge(ctx):
        setup = SETUPS[exercise]
        restarts = ctx.run.config.train_restarts
        reference_accuracy, reference_W = reference_training(exercise, restarts)
        X, t = training_data(exercise)
        record = {"layer_sizes": list(setup.layer_sizes), "loss": setup.loss, "activation": setup.activation,
                  "reference_W": reference_W, "reference_accuracy": reference_accuracy,
                  "submission_W": None, "submission_accuracy": None, "X": X, "t": t}
        ctx.run.trained[exercise] = record
        problem = call_problem(ctx, probe_id)
        if problem:
            problem.expected = f"training with your {functions} to run"
            return problem
        size = reference.n_params(list(setup.layer_sizes))
        finals = [W.reshape(-1) for W in ctx.outcome(probe_id).values if W.size == size and np.all(np.isfinite(W))]
        if not finals:
            return Verdict(False, "trained weights", "no finite weights came back from training")
        accuracies = [accuracy_of(W, exercise) for W in finals]
        best = int(np.argmax(accuracies))
        record.update(submission_W=finals[best], submission_accuracy=accuracies[best])
        needed = reference_accuracy - ctx.tol.accuracy_margin
        text = (f"training accuracy at least {needed:.3f} (the reference reaches {reference_accuracy:.3f} "
                f"from the same {restarts} initializations)")
        if accuracies[best] >= needed:
            return Verdict(True, f"Your training reaches {accuracies[best]:.3f}; {text}.")
        spent = ctx.outcome(probe_id).seconds
        return Verdict(False, text,
                       f"best accuracy {accuracies[best]:.3f} over {len(finals)} run(s) ({spent:.1f} s)",
                       f"minimize(..., jac=True) follows your {functions}: if the values checks above pass, "
                       "look at speed (the time budget is "
                       f"{ctx.run.config.train_budget:g} s); otherwise fix those first.")
    return reads(judge, [probe_id])
