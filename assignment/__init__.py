"""The assignment as data: what is asked, how each exercise is probed and judged.

``MODULES`` lists the exercises in notebook order, one module each; everything else (the points
table, the contract's function list, the graded tests, the probe plan, the public self-check, the
handout) is derived from that list. To add an exercise, write its module and add it here (README,
"How to add an exercise").
"""
from . import bonus_relu, ex1a_load_data, ex1b_sigmoid, ex1c_bce_loss, ex1d_bce_grad, ex1e_init_predict, ex2_backprop, ex3_multiclass
from .kit import diagnosis
from .kit.assembly import assemble_plan
from .kit.exercise import Exercise, labelled
from .kit.mistake import MistakeCatalog
from .kit.plan import ProbePlan

MODULES = [ex1a_load_data, ex1b_sigmoid, ex1c_bce_loss, ex1d_bce_grad, ex1e_init_predict, bonus_relu, ex2_backprop,
           ex3_multiclass]
EXERCISES: list[Exercise] = labelled(Exercise.of(module) for module in MODULES)
BY_ID: dict[str, Exercise] = {exercise.id: exercise for exercise in EXERCISES}
assert len(BY_ID) == len(EXERCISES), "exercise ids must be unique"

EXERCISE_IDS: list[str] = [exercise.id for exercise in EXERCISES]
EXERCISE_POINTS: dict[str, float] = {exercise.id: exercise.points for exercise in EXERCISES}
BONUS_EXERCISES: set[str] = {exercise.id for exercise in EXERCISES if exercise.bonus}
CONTRACT_FUNCTIONS: dict[str, list[str]] = {exercise.id: list(exercise.functions) for exercise in EXERCISES}

TESTS = [test for exercise in EXERCISES for test in exercise.tests]
TESTS_BY_ID = {test.id: test for test in TESTS}
assert len(TESTS_BY_ID) == len(TESTS), "test ids must be unique"
assert all(test.number in BY_ID for test in TESTS), "a test id must start with its exercise's id"

# The trained networks (reference.training.SETUPS keys), and the functions each is trained with.
TRAINED: list[str] = [exercise.training.setup for exercise in EXERCISES if exercise.training is not None]
TRAINING_FUNCTIONS: dict[str, tuple[str, ...]] = {
    exercise.training.setup: exercise.training.functions for exercise in EXERCISES if exercise.training is not None}

# The mistakes the diagnosis names: every exercise's, in notebook order.
MISTAKES = MistakeCatalog((mistake for exercise in EXERCISES for mistake in exercise.mistakes),
                          (name for functions in CONTRACT_FUNCTIONS.values() for name in functions))


def build_plan(seed: int, config) -> ProbePlan:
    """Every probe of every exercise for one submission (:func:`assignment.kit.assembly.assemble_plan`)."""
    return assemble_plan(EXERCISES, seed, config)


def diagnose(run) -> None:
    """Name the known mistakes that run's failed tests show (:func:`assignment.kit.diagnosis.diagnose`)."""
    diagnosis.diagnose(run, TESTS_BY_ID, MISTAKES, TRAINING_FUNCTIONS)


BASE_POINTS: float = sum(exercise.points for exercise in EXERCISES if not exercise.bonus)
BONUS_POINTS: float = sum(exercise.points for exercise in EXERCISES if exercise.bonus)
TITLES: dict[str, str] = {exercise.id: exercise.title for exercise in EXERCISES}


def label_of(key: str) -> str:
    """"Exercise 1a", "Bonus" (:func:`assignment.kit.exercise.labelled`): how reports name an exercise id, or a trained network's key ("Exercise 1")."""
    return BY_ID[key].label if key in BY_ID else f"Exercise {key}"
