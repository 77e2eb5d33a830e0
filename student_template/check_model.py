"""One model of a check, for the student's self-check and the grader alike.

A :class:`Check` is a name the student reads, a judge, the calls the judge reads and how many points
it is worth. A public check (the self-check, ``visibility="public"``, no points) reads the cases of
``public_fixture.json``: inputs drawn once, outputs computed by the reference and shipped. A hidden
test (the grader, ``visibility="hidden"``, points) reads the probes drawn for each submission. The
judge is the same kind of function on both sides: ``judge(ctx) -> Verdict``, where ``ctx`` answers
the questions of :class:`CheckContext` (the self-check's ``notebook_calls.Context`` and the grader's
``GradingContext`` both do), so one judge can serve both (:mod:`common_judges`).

Needs numpy (through ``arraycheck.py``) only: the self-check ships this file as it is.
"""
from dataclasses import dataclass, replace
from typing import Any, Callable, Optional, Protocol

try:
    from .arraycheck import Verdict
except ImportError:   # shipped to students next to arraycheck.py
    from arraycheck import Verdict

PUBLIC, HIDDEN = "public", "hidden"


class CallFailed(Exception):
    """A call a judge reads did not return something it can judge: carries the Verdict that says why."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.got)
        self.verdict = verdict


class CheckContext(Protocol):
    """What a judge may ask about a call it reads (``call_id``: a fixture case or a hidden probe)."""

    rtol: float        # the tolerances of every comparison against the reference
    atol: float
    fd_rtol: float     # ... and of a gradient against finite differences
    fd_atol: float

    def returned(self, call_id: str, output: int = 0) -> Any:
        """Output ``output`` of the call as a float array; raises CallFailed saying why the call gave none."""

    def expected(self, call_id: str) -> list:
        """The reference's outputs for the same call, one array per output."""

    def inputs(self, call_id: str) -> tuple[list, dict]:
        """The call's (positional arguments, keyword arguments), as the function receives them."""

    def describe_call(self, call_id: str, output: Optional[int] = None) -> str:
        """The call (and which of its outputs) in words, e.g. "bce_grad(<array (9,)>, ...)"."""

    def warnings_of(self, call_id: str) -> list[str]:
        """The warnings the call emitted, as "Category: message" lines."""


Judge = Callable[[CheckContext], Verdict]


def reads(judge: Judge, calls, output: Optional[int] = None) -> Judge:
    """Record on ``judge`` the calls it reads (and which output), for :class:`Check`."""
    judge.calls, judge.output = tuple(calls), output
    return judge


@dataclass
class Check:
    """One check: a public one of the self-check or a hidden test of the grader.

    id: stable, unique in the assignment (what tools and tests refer to; the name may be reworded);
    name: what the student reads; points: what passing earns (0 for a public check); judge(ctx) ->
    Verdict; hint: shown when a failed verdict gives none; calls: the ids of the calls the judge
    reads, output: the index of the output it compares (None: every output), both read from the
    judge when it carries them (:func:`reads`); visibility: PUBLIC or HIDDEN; exercise: its
    exercise's id."""
    id: str
    name: str
    points: float
    judge: Judge
    hint: str = ""
    calls: tuple = ()
    output: Optional[int] = None
    visibility: str = HIDDEN
    exercise: str = ""

    def __post_init__(self):
        if self.visibility not in (PUBLIC, HIDDEN):
            raise ValueError(f"check {self.id!r}: visibility {self.visibility!r} is neither {PUBLIC!r} nor {HIDDEN!r}")
        self.calls = tuple(self.calls or getattr(self.judge, "calls", ()))
        if self.output is None:
            self.output = getattr(self.judge, "output", None)

    def verdict(self, ctx: CheckContext) -> Verdict:
        """The judge's verdict on ``ctx`` (a call that gave nothing to judge fails with its reason),
        with this check's hint when a failed verdict gives none."""
        try:
            verdict = self.judge(ctx)
        except CallFailed as failure:
            verdict = failure.verdict
        if not verdict.passed and not verdict.hint and self.hint:
            verdict = replace(verdict, hint=self.hint)   # a copy: a judge may hand out a verdict it keeps
        return verdict
