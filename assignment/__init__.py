"""The assignment as data: what is asked, how each exercise is probed and judged.

``MODULES`` lists the exercises in notebook order, one module each; everything else (the points
table, the contract's function list, the graded tests, the probe plan, the public self-check, the
handout) is derived from that list. To add an exercise, write its module and add it here (README,
"How to add an exercise").
"""
from . import bonus_relu, ex1a_load_data, ex1b_sigmoid, ex1c_bce_loss, ex1d_bce_grad, ex1e_init_predict, ex2_backprop, ex3_multiclass
from .kit.exercise import Exercise

MODULES = [ex1a_load_data, ex1b_sigmoid, ex1c_bce_loss, ex1d_bce_grad, ex1e_init_predict, bonus_relu, ex2_backprop,
           ex3_multiclass]
EXERCISES: list[Exercise] = [Exercise.of(module) for module in MODULES]
BY_ID: dict[str, Exercise] = {exercise.id: exercise for exercise in EXERCISES}
assert len(BY_ID) == len(EXERCISES), "exercise ids must be unique"

EXERCISE_IDS: list[str] = [exercise.id for exercise in EXERCISES]
EXERCISE_POINTS: dict[str, float] = {exercise.id: exercise.points for exercise in EXERCISES}
BONUS_EXERCISES: set[str] = {exercise.id for exercise in EXERCISES if exercise.bonus}
CONTRACT_FUNCTIONS: dict[str, list[str]] = {exercise.id: list(exercise.functions) for exercise in EXERCISES}
