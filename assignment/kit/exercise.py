"""One exercise of the assignment, read from its module.

Each module of :mod:`assignment` (``ex1a_load_data``, ..., ``ex3_multiclass``) defines, at module
level, what the exercise is: ``ID``, ``TITLE``, ``POINTS``, ``FUNCTIONS`` (the contract functions it
asks for, in notebook order) and optionally ``BONUS``; then, section by section, how it is probed and
graded, which mistakes the diagnosis names, what the public self-check runs, and its part of the
handout. :class:`Exercise` is the one view of such a module the rest of the project uses; a module missing a required name is refused
when the assignment is imported.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .public import PublicCases

REQUIRED = ("ID", "TITLE", "POINTS", "FUNCTIONS")


@dataclass(frozen=True)
class Exercise:
    """id: "1a" ... "3" or "bonus" (the contract's and the gradebook's column name); title: a few
    words for reports; points: the exercise's total (the contract's); functions: the contract names
    it asks for; bonus: its points are extra, outside the 100; module: where the rest is defined;
    label: how reports name it ("Exercise 1a", "Bonus"; :func:`labelled` tells several bonus exercises apart)."""
    id: str
    title: str
    points: float
    functions: tuple[str, ...]
    bonus: bool
    module: ModuleType
    label: str = ""

    @classmethod
    def of(cls, module: ModuleType) -> "Exercise":
        missing = [name for name in REQUIRED if not hasattr(module, name)]
        if missing:
            raise TypeError(f"{module.__name__} does not define {', '.join(missing)}")
        bonus = bool(getattr(module, "BONUS", False))
        return cls(id=module.ID, title=module.TITLE, points=module.POINTS, functions=tuple(module.FUNCTIONS),
                   bonus=bonus, module=module, label="Bonus" if bonus else f"Exercise {module.ID}")

    def _optional(self, name: str, default: Any = None) -> Any:
        return getattr(self.module, name, default)

    # -- hidden probes and graded tests -------------------------------------------------------
    @property
    def tests(self) -> list:
        """The graded tests (:class:`assignment.kit.judges.TestSpec`), in report order."""
        return list(self._optional("TESTS", []))

    @property
    def add_probes(self):
        """``add_probes(plan, rng, data, config)``: adds the exercise's value probes (None: it has none)."""
        return self._optional("add_probes")

    @property
    def training(self):
        """The network it trains with the submission's functions (:class:`assignment.kit.training.Training`), or None."""
        return self._optional("TRAINING")

    @property
    def gradient_cost(self):
        """How its backpropagated gradient is probed for finite differences
        (:class:`assignment.kit.gradient_cost.CostSpec`), or None."""
        return self._optional("GRADIENT_COST")

    # -- known mistakes ---------------------------------------------------------------------
    @property
    def mistakes(self) -> list:
        """The mistakes the diagnosis names for it (:class:`assignment.kit.mistake.Mistake`), in its order."""
        return list(self._optional("MISTAKES", []))

    # -- public self-check --------------------------------------------------------------------
    @property
    def public_checks(self) -> list[dict]:
        """The public self-check's entries (:func:`assignment.kit.public.check`), each with its exercise id."""
        return [{"exercise": self.id, **entry} for entry in self._optional("PUBLIC_CHECKS", [])]

    def add_public_cases(self, cases: "PublicCases") -> None:
        """Add the exercise's public cases to ``cases`` (:class:`assignment.kit.public.PublicCases`)."""
        add = self._optional("public_cases")
        if add is not None:
            cases.begin(self.id)
            add(cases)

    @property
    def heading(self) -> str:
        """"Exercise 1b: sigmoid, sigmoid_grad": the self-check's heading of the exercise's checks."""
        return f"{self.label}: {', '.join(self.functions)}"

    # -- handout and written work -------------------------------------------------------------
    @property
    def handout(self) -> list:
        """Its part of the student notebook at its place in notebook order: cells of
        :mod:`assignment.kit.handout` (markdown, stubs of its functions, given and run cells, questions)."""
        return list(self._optional("HANDOUT", []))

    @property
    def handout_after(self) -> dict[str, list]:
        """{id of a later exercise: cells of this exercise's part placed right after that exercise's}:
        for cells that need a later exercise's functions (the bonus trains exercise 2's network)."""
        return {target: list(cells) for target, cells in self._optional("HANDOUT_AFTER", {}).items()}

    @property
    def questions(self) -> tuple:
        """Its written questions (:class:`assignment.kit.handout.Question`), in the order it asks them."""
        return tuple(self._optional("QUESTIONS", ()))

    @property
    def plots(self) -> tuple:
        """The figures its handout asks for (:class:`assignment.kit.handout.Plot`), collected for the TAs."""
        return tuple(self._optional("PLOTS", ()))


def labelled(exercises: Iterable[Exercise]) -> list[Exercise]:
    """The exercises with their labels: "Exercise <id>", and "Bonus" for the bonus exercise, or
    "Bonus: <title>" for each when there are several, so that reports tell them apart."""
    exercises = list(exercises)
    several = sum(exercise.bonus for exercise in exercises) > 1

    def label(exercise: Exercise) -> str:
        if not exercise.bonus:
            return f"Exercise {exercise.id}"
        return f"Bonus: {exercise.title}" if several else "Bonus"
    return [replace(exercise, label=label(exercise)) for exercise in exercises]
