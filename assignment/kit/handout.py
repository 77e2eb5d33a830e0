"""The handout as data: the kinds of cell an exercise's part of the student notebook is made of.

Each exercise module lists its part in ``HANDOUT`` (cells at its place in notebook order) and,
when some of its cells need a later exercise's functions, ``HANDOUT_AFTER`` ({exercise id: cells
placed right after that exercise's part}); its written questions and plot cells are declared in
``QUESTIONS`` and ``PLOTS``. tools/build_template.py turns the cells into the notebook: it adds the
``# Graded`` header and the ``NotImplementedError`` body to each :class:`Stub`, wraps each ``run``
cell in ``with keep_going():``, and writes each :class:`Ask` as its question and answer cells.

:class:`Question` and :class:`Plot` are :mod:`student_template.written_answers`'s records: that module ships
alone in the student's bundle (standard library only), so it defines them and the exercises use
them from here.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Union

from reference.activations import ACTIVATIONS
from student_template.written_answers import Plot, Question

if TYPE_CHECKING:
    from .exercise import Exercise

__all__ = ["Ask", "Cell", "Code", "Markdown", "Plot", "Question", "Stub", "activation_choices", "other_activations",
           "placed_cells"]

Role = Literal["imports", "settings", "given", "run", "selfcheck"]


@dataclass(frozen=True)
class Markdown:
    """A markdown cell; ``text`` is written without its leading and trailing blank lines."""
    id: str
    text: str


@dataclass(frozen=True)
class Code:
    """A code cell marked with ``role``: ``given`` (helpers the lab hands out), ``run`` (plots, checks,
    training: wrapped in ``with keep_going():``), ...; ``plot``: the id of the :class:`Plot` it draws."""
    id: str
    text: str
    role: Role = "run"
    plot: str | None = None


@dataclass(frozen=True)
class Stub:
    """The graded cell of one contract function: ``signature`` exactly as the contract writes it
    (``bce_loss(W, X, t, layer_sizes, lam)``) and ``doc``, its docstring with the shapes."""
    signature: str
    doc: str

    @property
    def name(self) -> str:
        """The contract function's name, from the signature."""
        return self.signature.split("(", 1)[0]


@dataclass(frozen=True)
class Ask:
    """Where the written question ``question`` (an id of the exercise's ``QUESTIONS``) is asked."""
    question: str


Cell = Union[Markdown, Code, Stub, Ask]


def placed_cells(exercises: Iterable["Exercise"]) -> list[tuple["Exercise", Cell]]:
    """Every exercise's cells in notebook order, each with the exercise it belongs to: an exercise's
    ``handout``, then the ``handout_after`` parts that earlier exercises placed after it."""
    exercises = list(exercises)
    order = {exercise.id: index for index, exercise in enumerate(exercises)}
    later: dict[str, list[tuple["Exercise", Cell]]] = {}
    for index, exercise in enumerate(exercises):
        for target, cells in exercise.handout_after.items():
            if order.get(target, -1) <= index:
                raise ValueError(f"{exercise.label}: HANDOUT_AFTER names {target!r}, which is not a later exercise")
            later.setdefault(target, []).extend((exercise, cell) for cell in cells)
    placed = []
    for exercise in exercises:
        placed += [(exercise, cell) for cell in exercise.handout]
        placed += later.get(exercise.id, [])
    return placed


# -- the registered hidden activations, as the handout names them ------------------------------
def activation_choices() -> str:
    """'"sigmoid" or "relu"': every hidden activation reference.activations registers, quoted as the
    ``activation=`` argument takes them."""
    names = [f'"{name}"' for name in ACTIVATIONS]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def other_activations(default: str) -> str:
    """'with `activation="relu"` it is your `relu`, with `relu_grad` as $g'$': a clause for every
    registered hidden activation but ``default``, joined with "; "."""
    return "; ".join(f'with `activation="{name}"` it is your `{name}`, with `{name}_grad` as $g\'$'
                     for name in ACTIVATIONS if name != default)
