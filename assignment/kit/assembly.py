"""The probe plan of one submission, assembled from every exercise's parts.

Each part of the plan draws from a random stream of its own (:func:`assignment.kit.plan.part_rng`):
the shared data, each exercise's value probes, each exercise's gradient-cost probe.
"""
from __future__ import annotations

from typing import Any, Iterable

from .exercise import Exercise
from .gradient_cost import add_cost_probe
from .plan import ProbePlan, add_shared_data, part_rng
from .training import add_training_probe


def assemble_plan(exercises: Iterable[Exercise], seed: int, config: Any) -> ProbePlan:
    """Every probe of every exercise, for one submission: the shared data, then each exercise's
    value probes (its module's ``add_probes(plan, rng, data, config)``) in notebook order, its
    trained network's probe, and last its gradient-cost probe; each part on its own stream."""
    exercises = list(exercises)
    plan = ProbePlan(seed)
    data = add_shared_data(plan, part_rng(seed, "shared data"))
    for exercise in exercises:
        if exercise.add_probes is not None:
            exercise.add_probes(plan, part_rng(seed, exercise.id), data, config)
    for exercise in exercises:
        if exercise.training is not None:
            add_training_probe(plan, exercise, data, config)
    for exercise in exercises:
        if exercise.gradient_cost is not None:
            add_cost_probe(plan, part_rng(seed, f"{exercise.id} gradient cost"), data, exercise)
    return plan
