"""The probe plan: which of the submission's functions are called, on what.

Each exercise module adds its probes (its ``add_probes``); this kit holds what they share: the
:class:`Probe` and :class:`ProbePlan` records, the seed, the weight and case helpers, and the
assembly in phases is :func:`assignment.kit.assembly.assemble_plan`. Inputs are random with a seed derived from the submission
(recorded in results.json), plus fixed edge cases. Weights always carry nonzero biases, so a
submission that regularizes the biases is caught.

Each part of the plan draws from a random stream of its own (:func:`part_rng`: the shared data,
each exercise's value probes, each exercise's gradient-cost probe), made from the seed and the
part's name. The same seed therefore always gives the same probes, and adding, removing or
moving an exercise leaves every other exercise's probes as they were.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

import reference

Ref = dict   # {"array": name} | {"value": v} | {"rng": seed}: how a probe names an argument
DEFAULT_ACTIVATION = "sigmoid"   # the contract's default for activation= (backprop, ce_backprop)


@dataclass
class Probe:
    """One call into the submission. args/kwargs hold refs: {"array": name}, {"value": v}, {"rng": seed}.

    kind: "call" (call func), "fd" (central differences of func's loss), "train" (minimize with
    the submission's loss and gradient) or "cost" (how func's gradient is computed); options: the
    kind's settings, read by the in-kernel driver."""
    id: str
    exercise: str
    kind: str
    func: str
    args: list
    kwargs: dict = field(default_factory=dict)
    outputs: int = 1
    timeout: float = 20.0
    options: dict = field(default_factory=dict)

    def entry(self) -> dict:
        """The JSON the in-kernel driver reads."""
        entry = {"id": self.id, "kind": self.kind, "func": self.func, "args": self.args,
                 "kwargs": self.kwargs, "outputs": self.outputs, "timeout": self.timeout}
        entry.update(self.options)
        return entry


@dataclass
class ProbePlan:
    """probes by id (in order), the input arrays they refer to, and the seed that made them.

    shared: inputs one exercise draws and a later one reuses (e.g. 1d's gradient probes call
    bce_grad on 1c's loss cases), by name."""
    seed: int
    probes: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)
    shared: dict = field(default_factory=dict)

    def add_array(self, name: str, value: Any) -> Ref:
        self.arrays[name] = np.asarray(value)
        return {"array": name}

    def add(self, probe: Probe) -> Probe:
        if probe.id in self.probes:
            raise ValueError(f"two probes have the id {probe.id!r}")
        self.probes[probe.id] = probe
        return probe

    def groups(self) -> dict[str, list[Probe]]:
        """{group name: [probes]}: one kernel cell per group, so a hang costs one group only."""
        grouped = {}
        for probe in self.probes.values():
            name = f"train-{probe.exercise}" if probe.kind == "train" else probe.exercise
            grouped.setdefault(name, []).append(probe)
        return grouped

    def resolve(self, ref: Ref) -> Any:
        """A ref as the reference should receive it (the grader's own copy)."""
        if "array" in ref:
            return np.array(self.arrays[ref["array"]], copy=True)
        if "rng" in ref:
            return np.random.default_rng(ref["rng"])
        return ref["value"]

    def call_args(self, probe: Probe) -> tuple[list, dict]:
        return ([self.resolve(ref) for ref in probe.args],
                {key: self.resolve(ref) for key, ref in probe.kwargs.items()})


def seed_for(notebook_bytes: bytes) -> int:
    """A 31-bit seed from the submission's bytes: the same file always gets the same probes."""
    return int.from_bytes(hashlib.sha256(notebook_bytes).digest()[:4], "big") & 0x7FFFFFFF


# -- inputs ------------------------------------------------------------------------------------
def value(v: Any) -> Ref:
    return {"value": v}


def activation_kwargs(activation: str) -> dict:
    """The keyword arguments backprop and ce_backprop are called with for this hidden activation
    (none for the contract's default)."""
    return {} if activation == DEFAULT_ACTIVATION else {"activation": activation}


def random_weights(rng: np.random.Generator, layer_sizes: list[int], scale: float = 1.0) -> np.ndarray:
    """(P,) weights with every entry, biases included, drawn from N(0, scale^2)."""
    return scale * rng.standard_normal(reference.n_params(layer_sizes))


def random_lam(rng: np.random.Generator) -> float:
    return float(np.round(rng.uniform(0.01, 0.2), 4))


def discriminating_weights(rng: np.random.Generator, sizes: list[int], X: np.ndarray, predict: Callable,
                           n_labels: int, min_share: float = 0.15) -> np.ndarray:
    """(P,) random weights (scale 2) under which every label is predicted for at least ``min_share``
    of X (N, 2): a predict that ignores its input, or reads the layout wrong, cannot pass by luck."""
    while True:
        W = random_weights(rng, sizes, scale=2.0)
        counts = np.bincount(predict(W, X, sizes), minlength=n_labels)
        if counts.min() >= min_share * len(X):
            return W


def weights_clear_of_kink(rng: np.random.Generator, sizes: list[int], X: np.ndarray, activation: str) -> np.ndarray:
    """(P,) random weights whose hidden pre-activations on X (N, 2) stay clear of 0, where a
    piecewise activation has its kink (so finite differences and either convention at 0 agree)."""
    while True:
        W = random_weights(rng, sizes)
        A, _ = reference.network.forward(W, X, sizes, activation)
        if all(np.min(np.abs(a)) > 1e-3 for a in A[:-1]):
            return W


SATURATION_MARGIN = 40.0   # |output pre-activation| past which sigmoid rounds to exactly 1 (or p to ~4e-18)


def saturating_weights(rng: np.random.Generator, sizes: list[int], X: np.ndarray, t: np.ndarray,
                       margin: float = SATURATION_MARGIN) -> np.ndarray:
    """(P,) random weights (scale 60) under which the network is confidently wrong on X (N, 2) with
    labels t (N,): some sample of label 0 gets an output pre-activation above ``margin`` (its p
    rounds to exactly 1, so a naive log(1 - p) is -inf), and some sample of label 1 one below
    -margin. Drawn weights alone miss this for about 2 seeds in 5."""
    while True:
        W = random_weights(rng, sizes, scale=60.0)
        A, _ = reference.network.forward(W, X, sizes)
        a = A[-1][:, 0]
        if (a[t == 0] > margin).any() and (a[t == 1] < -margin).any():
            return W


# A loss case: (name, W ref, X ref, t ref, layer sizes, lam, keyword arguments)
LossCase = tuple


def without_and_with_lam(plan: ProbePlan, rng: np.random.Generator, name: str, array_name: str,
                         sizes: list[int], X: Ref, t: Ref) -> list[LossCase]:
    """Two loss cases on the same random weights: lam = 0, and a random lam > 0 (drawn after the weights)."""
    W = plan.add_array(array_name, random_weights(rng, sizes))
    return [(f"{name}-lam0", W, X, t, sizes, 0.0, {}), (f"{name}-lam", W, X, t, sizes, random_lam(rng), {})]


def call_id(exercise: str, func: str, case: str) -> str:
    """The id of a call probe: ``<exercise>-<func>-<case>``."""
    return f"{exercise}-{func}-{case}"


def call_ids(exercise: str, func: str, cases: Iterable[str]) -> list[str]:
    return [call_id(exercise, func, case) for case in cases]


def add_loss_probes(plan: ProbePlan, func: str, exercise: str, cases: Iterable[LossCase], outputs: int = 1) -> None:
    """One call of ``func`` per loss case, with id :func:`call_id`."""
    for name, W, X, t, sizes, lam, kwargs in cases:
        plan.add(Probe(call_id(exercise, func, name), exercise, "call", func,
                       [W, X, t, value(list(sizes)), value(lam)], {k: value(v) for k, v in kwargs.items()},
                       outputs=outputs))


def fd_ids(exercise: str, name: str) -> tuple[str, str]:
    """(finite-difference probe id, the id of the gradient call at the same point)."""
    return f"{exercise}-fd-{name}", f"{exercise}-fdpoint-{name}"


def add_fd_probe(plan: ProbePlan, rng: np.random.Generator, exercise: str, func: str, grad_func: str, name: str,
                 W: Ref, X: Ref, t: Ref, sizes: list[int], lam: float, config: Any, kwargs: dict | None = None,
                 n_directions: int | None = None, grad_outputs: int = 1) -> tuple[str, str]:
    """Central differences of the submission's own loss ``func`` along random unit directions (or
    every coordinate when the network is small), and its gradient ``grad_func`` at the same point.
    Returns the two probes' ids (:func:`fd_ids`)."""
    n = reference.n_params(sizes)
    if n_directions is None or n_directions >= n:
        directions = np.eye(n)
    else:
        directions = rng.standard_normal((n_directions, n))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    ref = plan.add_array(f"dir-{exercise}-{name}", directions)
    fd_id, point_id = fd_ids(exercise, name)
    call = [W, X, t, value(list(sizes)), value(lam)]
    call_kwargs = {k: value(v) for k, v in (kwargs or {}).items()}
    plan.add(Probe(fd_id, exercise, "fd", func, call, call_kwargs, timeout=60.0,
                   options={"w_index": 0, "directions": ref["array"], "step": config.tolerances.fd_step}))
    plan.add(Probe(point_id, exercise, "call", grad_func, call, dict(call_kwargs), outputs=grad_outputs))
    return fd_id, point_id


def add_shared_data(plan: ProbePlan, rng: np.random.Generator) -> dict[str, Ref]:
    """The data sets, one sample of the binary one and 12-sample subsets of both, as refs by name."""
    X, t = reference.load_data()
    X3, t3 = reference.load_data_multiclass()
    data = {"X": plan.add_array("X", X), "t": plan.add_array("t", t),
            "X3": plan.add_array("X3", X3), "t3": plan.add_array("t3", t3)}
    one = int(rng.integers(len(t)))
    data["x1"] = plan.add_array("x1", X[one:one + 1])
    data["t1"] = plan.add_array("t1", t[one:one + 1])
    few = rng.choice(len(t), size=12, replace=False)
    data["Xs"], data["ts"] = plan.add_array("Xs", X[few]), plan.add_array("ts", t[few])
    few3 = rng.choice(len(t3), size=12, replace=False)
    data["X3s"], data["t3s"] = plan.add_array("X3s", X3[few3]), plan.add_array("t3s", t3[few3])
    return data


def part_rng(seed: int, part: str) -> np.random.Generator:
    """The random stream of one part of a submission's plan (``"shared data"``, an exercise's id,
    ``"<id> gradient cost"``): seeded by the submission's seed and the part's name together, so
    no part's draws depend on how many numbers another part drew, or on the order of the parts."""
    name_key = int.from_bytes(hashlib.sha256(part.encode("utf-8")).digest()[:8], "big")
    return np.random.default_rng([seed, name_key])
