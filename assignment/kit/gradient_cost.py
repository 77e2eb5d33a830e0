"""The gradient-cost probes: how an exercise's gradient is computed (read by
:mod:`assignment.kit.backprop_evidence`, run by the probe driver's ``cost`` kind).

An exercise that asks for a gradient by backpropagation declares a :class:`CostSpec` as
``GRADIENT_COST`` in its module; its probe calls the gradient on two network sizes of the same N
(the whole data set), and at a point and its amplified twin (few samples, lam = 0).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .plan import (DEFAULT_ACTIVATION, Probe, ProbePlan, Ref, activation_kwargs, random_lam, random_weights,
                   weights_clear_of_kink)

INPUT_SCALE = 1e4      # the amplified case: inputs times this, first-layer weights divided by it
COST_MIN_SECONDS = 0.02


@dataclass(frozen=True)
class CostSpec:
    """func: the gradient function; returns: "grad" (func returns the gradient) or "pair" ((loss,
    grad)); forward / forward_args: a function of the same network the driver times beside it and
    how it is called ("loss": (W, X, t, sizes, lam), "predict": (W, X, sizes)); activation: of the
    hidden layers; sizes: (small, large) networks of the cost cases; error_sizes: the network of the
    plain and amplified cases."""
    func: str
    returns: str
    forward: str
    forward_args: str
    activation: str
    sizes: tuple
    error_sizes: list

    @property
    def kwargs(self) -> dict:
        """The keyword arguments the gradient function is called with."""
        return activation_kwargs(self.activation)


def amplified(W: np.ndarray, X: np.ndarray, sizes: list[int], scale: float = INPUT_SCALE) -> tuple[np.ndarray, np.ndarray]:
    """(W (P,), X (N, n0)) with X scaled by ``scale`` and W_1 divided by it: the same network function,
    so the same exact gradient except dE/dW_1 times ``scale``; a finite step along W_1 sees a curvature
    ``scale**2`` times larger (its truncation error grows that much, backprop's rounding does not)."""
    W = np.array(W, dtype=float, copy=True)
    W[:sizes[0] * sizes[1]] /= scale
    return W, np.asarray(X, dtype=float) * scale


def cost_probe_id(exercise_id: str) -> str:
    return f"{exercise_id}-cost"


def add_cost_probe(plan: ProbePlan, rng: np.random.Generator, data: dict[str, Ref], exercise) -> None:
    """The cost probe of ``exercise`` (an :class:`assignment.kit.exercise.Exercise` with a gradient_cost)."""
    spec, name = exercise.gradient_cost, exercise.id
    kwargs = spec.kwargs
    cases = []
    for size_name, sizes in zip(("small", "large"), spec.sizes):
        W = plan.add_array(f"cost-{name}-{size_name}", random_weights(rng, sizes, scale=0.5))
        cases.append({"W": W["array"], "X": data["X"]["array"], "t": data["t"]["array"], "layer_sizes": sizes,
                      "lam": random_lam(rng), "kwargs": kwargs})
    sizes = spec.error_sizes
    X = plan.resolve(data["Xs"])
    W = (random_weights(rng, sizes, scale=0.5) if spec.activation == DEFAULT_ACTIVATION
         else weights_clear_of_kink(rng, sizes, X, spec.activation))
    W_amp, X_amp = amplified(W, X, sizes)
    for case_name, (W_case, X_case) in (("plain", (W, X)), ("amplified", (W_amp, X_amp))):
        cases.append({"W": plan.add_array(f"cost-{name}-{case_name}", W_case)["array"],
                      "X": plan.add_array(f"cost-{name}-X-{case_name}", X_case)["array"],
                      "t": data["ts"]["array"], "layer_sizes": sizes, "lam": 0.0, "kwargs": kwargs})
    plan.add(Probe(cost_probe_id(name), name, "cost", spec.func, [], timeout=30.0,
                   options={"returns": spec.returns, "forward": spec.forward, "forward_args": spec.forward_args,
                            "cases": cases, "min_seconds": COST_MIN_SECONDS}))
