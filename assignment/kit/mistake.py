"""A common mistake, and the catalog of them that the diagnosis names.

Each exercise declares the mistakes it teaches against as ``MISTAKES`` in its module (a list of
:class:`Mistake`, each simulated with :class:`assignment.kit.simulator.Pieces`); the assignment
gathers them, in notebook order, into one :class:`MistakeCatalog`, which refuses two mistakes
of the same id and a mistake of a function the contract does not have, and names the known ids
when asked for an unknown one.

To add a mistake: write the wrong piece (a function with the signature of the piece it replaces)
in the exercise's module, add a :class:`Mistake` to its ``MISTAKES`` with the contract functions
it affects, and add a fixture for it in ``tests/grader/mistake_fixtures.py``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .simulator import REFERENCE, Pieces, simulate


@dataclass(frozen=True)
class Mistake:
    """One common mistake.

    id: a stable identifier (tag ``mistake:<id>`` in results.json).
    name: a few words the student reads ("This looks like: <name>.").
    hint: how to find and fix it, without giving code.
    functions: the contract functions whose outputs it changes; the others are
        assumed right (the reference's outputs).
    forms: the ways it is commonly written, one :class:`Pieces` each; a test
        matches when one form explains all of its outputs.
    warning: for mistakes seen in warnings rather than values (e.g. "overflow"):
        the probe must have emitted a warning containing this text.
    """
    id: str
    name: str
    hint: str
    functions: tuple
    forms: tuple = field(default_factory=lambda: (Pieces(),))
    warning: str = ""

    def simulate(self, form: int, func: str, args: list, kwargs: dict) -> list | None:
        """The outputs of ``func`` for a submission with this mistake (form index ``form``)."""
        pieces = self.forms[form] if func in self.functions else REFERENCE
        return simulate(pieces, func, args, kwargs)


def form_name(mistake: Mistake, form: int) -> str:
    """The name the student reads, with the form when the mistake has several."""
    label = mistake.forms[form].label
    return f"{mistake.name} ({label})" if label and len(mistake.forms) > 1 else mistake.name


class MistakeCatalog:
    """The mistakes of every exercise, in notebook order, by id."""

    def __init__(self, mistakes: Iterable[Mistake], contract_functions: Iterable[str]):
        self._mistakes = list(mistakes)
        self._by_id: dict[str, Mistake] = {}
        known = set(contract_functions)
        for mistake in self._mistakes:
            if mistake.id in self._by_id or mistake.id == SINGLE_PRECISION.id:
                raise ValueError(f"two mistakes have the id {mistake.id!r}")
            unknown = set(mistake.functions) - known
            if unknown:
                raise ValueError(f"mistake {mistake.id!r} names {', '.join(sorted(unknown))}, "
                                 "no function of the contract")
            self._by_id[mistake.id] = mistake

    def __iter__(self) -> Iterator[Mistake]:
        return iter(self._mistakes)

    def __len__(self) -> int:
        return len(self._mistakes)

    def __contains__(self, mistake_id: object) -> bool:
        return mistake_id in self._by_id

    def ids(self) -> list[str]:
        return list(self._by_id)

    def get(self, mistake_id: str) -> Mistake:
        """The mistake of that id; an unknown id is an error that names the known ones."""
        try:
            return self._by_id[mistake_id]
        except KeyError:
            raise KeyError(f"unknown mistake {mistake_id!r}: one of {', '.join(self._by_id)}") from None

    __getitem__ = get


# Not simulated (no variant of the reference rounds the way a float32 notebook does, operation by
# operation): the diagnosis recognizes it from the numbers themselves, float32 values that agree
# with the reference only to single precision (assignment/kit/diagnosis.py, Diagnoser.single_precision).
SINGLE_PRECISION = Mistake(
    "float32", "dtype float32 found: the values are computed in single precision",
    "Single precision (float32) keeps about 7 digits, fewer after the sums over the samples, and the tests "
    "compare your values to the reference's to 1e-6, as the contract's float64 arrays allow. Use float64, "
    "numpy's default: look for float32 in your functions (a dtype, a conversion of W, X or a result) and "
    "leave the arrays as they come.",
    functions=())
