"""The public self-check's cases and checks, declared exercise by exercise.

Each exercise module's ``# -- public self-check`` section defines ``public_cases(cases)``, which
adds that exercise's cases to a :class:`PublicCases` (inputs drawn from the exercise's own random
stream, outputs computed by the reference), and ``PUBLIC_CHECKS``, a list of :func:`check` entries naming those
cases. ``tools/build_public_fixture.py`` writes both to ``student_template/public_fixture.json``;
the shipped self-check runs the checks the fixture lists (``student_template/check_kinds.py``
implements each check ``kind``).

The inputs are fixed (one seed) and small; the grader's hidden probes draw other inputs for every
submission. Every network input carries nonzero biases, so a submission that regularizes the
biases fails the ``lam > 0`` cases. Inputs that two exercises share (1c and 1d's network, the
depth-4 batch of the bonus and exercise 2) are drawn once, by name (:meth:`PublicCases.shared`),
from a stream of their own. Each exercise and each shared input draws from a stream made from the
fixture's seed and its name (as the hidden probes do, :func:`assignment.kit.plan.part_rng`), so
adding, removing or moving an exercise changes no other exercise's public inputs.

A case is ``{"func", "args": {name: JSON value}, ["kwargs"], ["expected"] | ["files"]}``: arrays
as nested lists; the argument ``t`` an int array, ``layer_sizes``/``lam``/``activation`` plain
values, ``rng`` a seed (the function gets ``np.random.default_rng(seed)``), every other list a float
array.

A public check and a hidden test are the same model (``student_template/check_model.py``): the
fixture's entry names the check's kind, and the self-check builds its judge from it; the values and
init-bounds kinds are the hidden tests' judges (``student_template/common_judges.py``).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import reference

from .plan import part_rng, random_weights

ONE_HIDDEN_SIZES = [2, 3, 1]        # exercises 1c, 1d, 1e
DEEP_SIZES = [2, 3, 2, 1]           # the bonus and exercise 2

# The kinds of check the self-check implements (student_template/check_kinds.py: KINDS), and the
# parameters each takes besides id, name, cases and hint. A kind or parameter outside this table is
# refused here, when the assignment is imported, rather than by a student's self-check.
KINDS: dict[str, set[str]] = {
    "values": {"output", "scalar", "exact", "passed"},    # each case's result (or its "loss"/"grad") vs the fixture
    "scalar": {"passed"},                                  # each case called with a scalar returns one number
    "stable": set(),                                       # values match and the call warns of nothing
    "fd": {"loss_function"},                               # the gradient vs central differences of the own loss
    "loss_and_grad": {"passed"},                           # a (loss, grad) pair: the loss, then the gradient
    "data": {"labels", "shapes_only"},                     # load_data*: shapes, rows and labels of the data files
    "init_bounds": set(),                                  # init_weights(sizes, rng) cases: length, per-layer bounds
    "init_random": set(),                                  # init_weights: random, from rng, uniform
    "relu_grad": set(),                                    # relu_grad: values away from 0, 0 or 1 at 0
}

JSONValue = Any


def check(check_id: str, name: str, kind: str, cases: list[str], hint: str = "", **params: JSONValue) -> dict:
    """One public check as the fixture lists it.

    check_id: stable ("1b-sigmoid-values"), unique in the assignment; name: the line the student
    reads; kind: one of :data:`KINDS`; cases: the fixture's case ids it calls, in order; hint: shown
    when it fails (kinds with their own hints ignore it); params: the kind's parameters.
    """
    if kind not in KINDS:
        raise ValueError(f"public check {check_id!r}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
    unknown = set(params) - KINDS[kind]
    if unknown:
        raise ValueError(f"public check {check_id!r}: kind {kind!r} takes no {', '.join(sorted(unknown))}")
    entry = {"id": check_id, "name": name, "kind": kind, "cases": list(cases)}
    if hint:
        entry["hint"] = hint
    entry.update(params)
    return entry


def as_list(array: Any) -> JSONValue:
    """A numpy array (or scalar) as nested lists of Python floats/ints."""
    return np.asarray(array).tolist()


def all_class_labels(rng: np.random.Generator, n: int, classes: int) -> np.ndarray:
    """(n,) int labels in 0..classes-1 with every class present."""
    while True:
        t = rng.integers(0, classes, size=n)
        if len(np.unique(t)) == classes:
            return t


def clear_of_threshold(rng: np.random.Generator, sizes: list[int], X: np.ndarray, multiclass: bool) -> np.ndarray:
    """(P,) weights whose predictions on X (N, 2) are far from a tie (p = 0.5, or two equal logits),
    with every label used."""
    while True:
        W = random_weights(rng, sizes, scale=2.0)
        logits = reference.network.forward(W, X, sizes)[0][-1]
        if multiclass:
            top2 = np.sort(logits, axis=1)[:, -2:]
            margin = np.min(top2[:, 1] - top2[:, 0])
            labels = reference.predict_multiclass(W, X, sizes)
        else:
            margin = np.min(np.abs(logits))
            labels = reference.predict(W, X, sizes)
        if margin > 1e-2 and len(np.unique(labels)) == sizes[-1] + (1 if sizes[-1] == 1 else 0):
            return W


def relu_clear_of_kink(rng: np.random.Generator, sizes: list[int], X: np.ndarray) -> np.ndarray:
    """(P,) weights whose hidden relu pre-activations on X (N, 2) stay away from 0."""
    while True:
        W = random_weights(rng, sizes)
        A, _ = reference.network.forward(W, X, sizes, "relu")
        if all(np.min(np.abs(a)) > 1e-2 for a in A[:-1]):
            return W


def points(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 2) public input points, rounded to 6 decimals (they are printed in the fixture)."""
    return rng.normal(0, 1.5, size=(n, 2)).round(6)


def _one_hidden_layer(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"W": random_weights(rng, ONE_HIDDEN_SIZES), "X": points(rng, 8), "t": all_class_labels(rng, 8, 2)}


def _deep_batch(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"X": points(rng, 8), "t": all_class_labels(rng, 8, 2)}


# Inputs shared by exercises, by name: W (P,), X (8, 2), t (8,) of the [2, 3, 1] network (1c's loss and
# 1d's gradient at the same point); X (8, 2), t (8,) of the depth-4 network (the bonus and exercise 2).
SHARED_INPUTS: dict[str, Callable[[np.random.Generator], dict[str, np.ndarray]]] = {
    "one-hidden-layer": _one_hidden_layer,
    "deep-batch": _deep_batch,
}


class PublicCases:
    """The fixture's cases, filled exercise by exercise in notebook order, each exercise from its
    own random stream (:meth:`begin`)."""

    def __init__(self, seed: int):
        self.seed = seed
        self.rng: np.random.Generator | None = None   # the stream of the exercise being filled
        self._files: dict[str, dict] = {}      # the data sets' cases: listed first, they describe files
        self._calls: dict[str, dict] = {}      # every other case: a call and its expected result
        self._shared: dict[str, dict[str, np.ndarray]] = {}

    @property
    def cases(self) -> dict[str, dict]:
        """Every case by id: the data sets' first, then the calls, each in the order added."""
        return {**self._files, **self._calls}

    def begin(self, exercise_id: str) -> None:
        """The cases added next are exercise ``exercise_id``'s: ``rng`` becomes its stream."""
        self.rng = part_rng(self.seed, f"public {exercise_id}")

    def shared(self, name: str) -> dict[str, np.ndarray]:
        """The shared input ``name`` of :data:`SHARED_INPUTS`, drawn from its own stream the first time it
        is asked for."""
        if name not in self._shared:
            self._shared[name] = SHARED_INPUTS[name](part_rng(self.seed, f"public shared {name}"))
        return self._shared[name]

    def add(self, case_id: str, case: dict) -> None:
        """Add a case; ``case_id`` is unique in the fixture."""
        if case_id in self._files or case_id in self._calls:
            raise ValueError(f"public case {case_id!r} is defined twice")
        (self._files if "files" in case else self._calls)[case_id] = case

    def value(self, case_id: str, func: str, **args: Any) -> None:
        """A case of ``func(**args)`` (array or scalar arguments), expected the reference's result."""
        inputs = [np.asarray(a) if isinstance(a, list) else a for a in args.values()]
        self.add(case_id, {"func": func, "args": {name: as_list(a) for name, a in args.items()},
                           "expected": as_list(getattr(reference, func)(*inputs))})

    def network(self, case_id: str, func: str, W: np.ndarray, X: np.ndarray, t: np.ndarray, sizes: list[int],
                lam: float, activation: str | None = None) -> None:
        """A case of ``func(W (P,), X (N, 2), t (N,), sizes, lam[, activation=])``: a loss (a number), a
        gradient (P,) or, for backprop and ce_backprop, {"loss", "grad"}."""
        args = {"W": as_list(W), "X": as_list(X), "t": as_list(t), "layer_sizes": list(sizes), "lam": lam}
        kwargs = {} if activation is None else {"activation": activation}
        result = getattr(reference, func)(W, X, t, sizes, lam, **kwargs)
        if func in ("backprop", "ce_backprop"):
            expected = {"loss": float(result[0]), "grad": as_list(result[1])}
        elif func == "bce_loss":
            expected = float(result)
        else:
            expected = as_list(result)
        case = {"func": func, "args": args, "expected": expected}
        if kwargs:
            case["kwargs"] = kwargs
        self.add(case_id, case)

    def with_and_without_penalty(self, func: str, W: np.ndarray, X: np.ndarray, t: np.ndarray,
                                 sizes: list[int]) -> None:
        """The cases ``func-lam0`` (lam = 0) and ``func-lam`` (lam = 0.1) of :meth:`network` at one point:
        the self-check names a wrong penalty from the gap between the two (its lam > 0 case's twin is
        the same id with a final 0)."""
        for lam, suffix in ((0.0, "lam0"), (0.1, "lam")):
            self.network(f"{func}-{suffix}", func, W, X, t, sizes, lam)

    def prediction(self, case_id: str, func: str, W: np.ndarray, X: np.ndarray, sizes: list[int]) -> None:
        """A case of ``func(W (P,), X (N, 2), sizes)`` -> (N,) int labels."""
        self.add(case_id, {"func": func, "args": {"W": as_list(W), "X": as_list(X), "layer_sizes": list(sizes)},
                           "expected": as_list(getattr(reference, func)(W, X, sizes))})

    def data(self, case_id: str, func: str, files: list[str], rows: list[int]) -> None:
        """Shapes, a few rows (``rows``, each class's first and the last) and the label counts of the
        committed data set, as ``func()`` (load_data*) returns it; ``files``: the .mat files it reads."""
        X, t = getattr(reference, func)()
        counts = np.bincount(t)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        picked = sorted({int(i) for i in rows} | {int(s) for s in starts} | {len(t) - 1})
        self.add(case_id, {"func": func, "files": files, "args": {},
                           "expected": {"X_shape": list(X.shape), "t_shape": list(t.shape),
                                        "label_counts": as_list(counts),
                                        "rows": {str(i): as_list(X[i]) for i in picked}}})
