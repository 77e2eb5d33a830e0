"""The probe plan: which of the submission's functions are called, on what.

Inputs are random with a seed derived from the submission (recorded in
results.json), plus fixed edge cases. Weights always carry nonzero biases, so
a submission that regularizes the biases is caught; layer sizes, ``lam`` and
batch sizes vary as the checks in :mod:`grader.checks` need.
"""
import hashlib
from dataclasses import dataclass, field

import numpy as np

import reference
from reference.training import METHOD, OPTIONS, SETUPS

from .reference_outcomes import reference_training, training_inits

EXERCISE_1_SIZES = ([2, 3, 1], [2, 5, 1])
EXERCISE_2_SIZES = ([2, 4, 1], [2, 5, 3, 1], [2, 4, 3, 4, 1], [2, 10, 10, 10, 10, 1])   # depth = hidden layers, 1 to 4
MULTICLASS_SIZES = ([2, 4, 3], [2, 5, 4, 3])
STABILITY_INPUTS = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])
LARGE_LOGITS = np.array([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0], [0.5, 0.25, -0.75]])


@dataclass
class Probe:
    """One call into the submission. args/kwargs hold refs: {"array": name}, {"value": v}, {"rng": seed}."""
    id: str
    exercise: str
    kind: str
    func: str
    args: list
    kwargs: dict = field(default_factory=dict)
    outputs: int = 1
    timeout: float = 20.0
    options: dict = field(default_factory=dict)

    def entry(self):
        """The JSON the in-kernel driver reads."""
        entry = {"id": self.id, "kind": self.kind, "func": self.func, "args": self.args,
                 "kwargs": self.kwargs, "outputs": self.outputs, "timeout": self.timeout}
        entry.update(self.options)
        return entry


@dataclass
class ProbePlan:
    """probes by id (in order), the input arrays they refer to, and the seed that made them."""
    seed: int
    probes: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)

    def add_array(self, name, value):
        self.arrays[name] = np.asarray(value)
        return {"array": name}

    def add(self, probe):
        self.probes[probe.id] = probe
        return probe

    def groups(self):
        """{group name: [probes]}: one kernel cell per group, so a hang costs one group only."""
        grouped = {}
        for probe in self.probes.values():
            name = f"train-{probe.exercise}" if probe.kind == "train" else probe.exercise
            grouped.setdefault(name, []).append(probe)
        return grouped

    def resolve(self, ref):
        """A ref as the reference should receive it (the grader's own copy)."""
        if "array" in ref:
            return np.array(self.arrays[ref["array"]], copy=True)
        if "rng" in ref:
            return np.random.default_rng(ref["rng"])
        return ref["value"]

    def call_args(self, probe):
        return ([self.resolve(ref) for ref in probe.args],
                {key: self.resolve(ref) for key, ref in probe.kwargs.items()})


def seed_for(notebook_bytes):
    """A 31-bit seed from the submission's bytes: the same file always gets the same probes."""
    return int.from_bytes(hashlib.sha256(notebook_bytes).digest()[:4], "big") & 0x7FFFFFFF


def random_weights(rng, layer_sizes, scale=1.0):
    """(P,) weights with every entry, biases included, drawn from N(0, scale^2)."""
    return scale * rng.standard_normal(reference.n_params(layer_sizes))


def build_plan(seed, config):
    """Every probe of every exercise, for one submission."""
    rng = np.random.default_rng(seed)
    plan = ProbePlan(seed)
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

    _exercise_1a(plan)
    _exercise_1b(plan, rng)
    _exercise_1c_1d(plan, rng, data, config)
    _exercise_1e(plan, rng, data)
    _bonus(plan, rng, data)
    _exercise_2(plan, rng, data, config)
    _exercise_3(plan, rng, data, config)
    _training(plan, data, config)
    _gradient_cost(plan, rng, data)
    return plan


def _value(v):
    return {"value": v}


def _exercise_1a(plan):
    plan.add(Probe("1a-load", "1a", "call", "load_data", [], outputs=2))


def _exercise_1b(plan, rng):
    vector = plan.add_array("a_vec", rng.normal(0, 3, size=9))
    matrix = plan.add_array("a_mat", rng.normal(0, 3, size=(4, 3)))
    extreme = plan.add_array("a_extreme", STABILITY_INPUTS)
    scalar = float(np.round(rng.normal(0, 2), 6))
    for func in ("sigmoid", "sigmoid_grad"):
        plan.add(Probe(f"1b-{func}-vector", "1b", "call", func, [vector]))
        plan.add(Probe(f"1b-{func}-matrix", "1b", "call", func, [matrix]))
        plan.add(Probe(f"1b-{func}-scalar", "1b", "call", func, [_value(scalar)]))
        plan.add(Probe(f"1b-{func}-extreme", "1b", "call", func, [extreme]))


def _random_lam(rng):
    return float(np.round(rng.uniform(0.01, 0.2), 4))


def _without_and_with_lam(plan, rng, name, array_name, sizes, X, t):
    """Two loss cases on the same random weights: lam = 0, and a random lam > 0 (drawn after the weights)."""
    W = plan.add_array(array_name, random_weights(rng, sizes))
    return [(f"{name}-lam0", W, X, t, sizes, 0.0, {}), (f"{name}-lam", W, X, t, sizes, _random_lam(rng), {})]


def _loss_probes(plan, rng, func, exercise, cases, outputs=1):
    """One call per (name, W array, X, t, sizes, lam[, kwargs]) case."""
    for name, W, X, t, sizes, lam, kwargs in cases:
        plan.add(Probe(f"{exercise}-{func}-{name}", exercise, "call", func,
                       [W, X, t, _value(list(sizes)), _value(lam)], {k: _value(v) for k, v in kwargs.items()},
                       outputs=outputs))


def _fd_probe(plan, rng, exercise, func, grad_func, name, W, X, t, sizes, lam, config, kwargs=None, n_directions=None):
    """Central differences of the submission's own loss along random unit directions
    (or every coordinate when the network is small), and its gradient at the same point."""
    n = reference.n_params(sizes)
    if n_directions is None or n_directions >= n:
        directions = np.eye(n)
    else:
        directions = rng.standard_normal((n_directions, n))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    ref = plan.add_array(f"dir-{exercise}-{name}", directions)
    plan.add(Probe(f"{exercise}-fd-{name}", exercise, "fd", func,
                   [W, X, t, _value(list(sizes)), _value(lam)], {k: _value(v) for k, v in (kwargs or {}).items()},
                   timeout=60.0,
                   options={"w_index": 0, "directions": ref["array"], "step": config.tolerances.fd_step}))
    plan.add(Probe(f"{exercise}-fdpoint-{name}", exercise, "call", grad_func,
                   [W, X, t, _value(list(sizes)), _value(lam)], {k: _value(v) for k, v in (kwargs or {}).items()},
                   outputs=1 if grad_func == "bce_grad" else 2))


def _exercise_1c_1d(plan, rng, data, config):
    cases = []
    for sizes in EXERCISE_1_SIZES:
        width = sizes[1]
        cases += _without_and_with_lam(plan, rng, f"h{width}", f"W1-{width}", sizes, data["X"], data["t"])
    single = plan.add_array("W1-single", random_weights(rng, [2, 3, 1]))
    cases.append(("single", single, data["x1"], data["t1"], [2, 3, 1], 0.05, {}))
    saturated = plan.add_array("W1-saturated", random_weights(rng, [2, 3, 1], scale=60.0))
    cases.append(("saturated", saturated, data["X"], data["t"], [2, 3, 1], 0.0, {}))
    _loss_probes(plan, rng, "bce_loss", "1c", cases)
    _loss_probes(plan, rng, "bce_grad", "1d", [case for case in cases if case[0] != "saturated"])
    fd_W = plan.add_array("W1-fd", random_weights(rng, [2, 3, 1]))
    _fd_probe(plan, rng, "1d", "bce_loss", "bce_grad", "h3", fd_W, data["Xs"], data["ts"], [2, 3, 1], 0.1, config)


def _exercise_1e(plan, rng, data):
    for sizes in ([2, 3, 1], [2, 10, 10, 10, 10, 1], [2, 400, 300]):
        name = "-".join(map(str, sizes))
        plan.add(Probe(f"1e-init-{name}", "1e", "call", "init_weights",
                       [_value(sizes), {"rng": int(rng.integers(2**31))}]))
    for sizes in EXERCISE_1_SIZES:
        W = plan.add_array(f"W1e-{sizes[1]}", discriminating_weights(rng, sizes, plan.resolve(data["X"]), reference.predict, 2))
        plan.add(Probe(f"1e-predict-h{sizes[1]}", "1e", "call", "predict", [W, data["X"], _value(list(sizes))]))


def discriminating_weights(rng, sizes, X, predict, n_labels, min_share=0.15):
    """Random weights (scale 2) under which every label is predicted for at least ``min_share``
    of X: a predict that ignores its input, or reads the layout wrong, cannot pass by luck."""
    while True:
        W = random_weights(rng, sizes, scale=2.0)
        counts = np.bincount(predict(W, X, sizes), minlength=n_labels)
        if counts.min() >= min_share * len(X):
            return W


def _relu_weights(rng, sizes, X):
    """Random weights whose hidden pre-activations stay clear of the kink at 0 on X
    (so finite differences and either convention at 0 agree)."""
    while True:
        W = random_weights(rng, sizes)
        A, _ = reference.network.forward(W, X, sizes, "relu")
        if all(np.min(np.abs(a)) > 1e-3 for a in A[:-1]):
            return W


def _bonus(plan, rng, data):
    values = plan.add_array("relu_in", np.concatenate([rng.normal(0, 3, size=8), [-2.0, 3.5]]))
    kink = plan.add_array("relu_kink", np.array([0.0]))
    for func in ("relu", "relu_grad"):
        plan.add(Probe(f"bonus-{func}-values", "bonus", "call", func, [values]))
    plan.add(Probe("bonus-relu-kink", "bonus", "call", "relu", [kink]))
    plan.add(Probe("bonus-relu_grad-kink", "bonus", "call", "relu_grad", [kink]))
    sizes = [2, 4, 3, 1]
    X = plan.resolve(data["Xs"])
    W = plan.add_array("Wbonus", _relu_weights(rng, sizes, X))
    lam = _random_lam(rng)
    _loss_probes(plan, rng, "backprop", "bonus", [("relu", W, data["Xs"], data["ts"], sizes, lam, {"activation": "relu"})],
                 outputs=2)


def _exercise_2(plan, rng, data, config):
    cases = []
    for sizes in EXERCISE_2_SIZES:
        depth = len(sizes) - 2
        cases += _without_and_with_lam(plan, rng, f"depth{depth}", f"W2-d{depth}", sizes, data["X"], data["t"])
    deep = [2, 10, 10, 10, 10, 1]
    single = plan.add_array("W2-single", random_weights(rng, deep))
    cases.append(("single", single, data["x1"], data["t1"], deep, 0.05, {}))
    _loss_probes(plan, rng, "backprop", "2", cases, outputs=2)
    fd_small = plan.add_array("W2-fd-small", random_weights(rng, [2, 5, 3, 1]))
    _fd_probe(plan, rng, "2", "backprop", "backprop", "depth2", fd_small, data["Xs"], data["ts"], [2, 5, 3, 1], 0.1, config)
    fd_deep = plan.add_array("W2-fd-deep", random_weights(rng, deep))
    _fd_probe(plan, rng, "2", "backprop", "backprop", "depth4", fd_deep, data["Xs"], data["ts"], deep, 0.1, config,
              n_directions=24)


def _exercise_3(plan, rng, data, config):
    plan.add(Probe("3-load", "3", "call", "load_data_multiclass", [], outputs=2))
    plan.add(Probe("3-softmax-random", "3", "call", "softmax", [plan.add_array("A_rand", rng.normal(0, 2, size=(6, 3)))]))
    plan.add(Probe("3-softmax-large", "3", "call", "softmax", [plan.add_array("A_large", LARGE_LOGITS)]))
    cases = []
    for sizes in MULTICLASS_SIZES:
        depth = len(sizes) - 2
        cases += _without_and_with_lam(plan, rng, f"depth{depth}", f"W3-d{depth}", sizes, data["X3"], data["t3"])
    _loss_probes(plan, rng, "ce_backprop", "3", cases, outputs=2)
    fd_W = plan.add_array("W3-fd", random_weights(rng, [2, 4, 3]))
    _fd_probe(plan, rng, "3", "ce_backprop", "ce_backprop", "depth1", fd_W, data["X3s"], data["t3s"], [2, 4, 3], 0.1, config)
    W = plan.add_array("W3-predict", discriminating_weights(rng, [2, 4, 3], plan.resolve(data["X3"]),
                                                            reference.predict_multiclass, 3))
    plan.add(Probe("3-predict", "3", "call", "predict_multiclass", [W, data["X3"], _value([2, 4, 3])]))


def _training(plan, data, config):
    for exercise, funcs, mode in (("1", ["bce_loss", "bce_grad"], "pair"), ("2", ["backprop"], "backprop"),
                                  ("3", ["ce_backprop"], "backprop")):
        setup = SETUPS[exercise]
        X, t = (data["X3"], data["t3"]) if setup.loss == "ce" else (data["X"], data["t"])
        inits = [plan.add_array(f"init-{exercise}-{k}", W)["array"]
                 for k, W in enumerate(training_inits(exercise, config.train_restarts))]
        # the driver stops as soon as this accuracy is reached: the verdict is then certain
        target = reference_training(exercise, config.train_restarts)[0] - config.tolerances.accuracy_margin
        plan.add(Probe(f"train-{exercise}", {"1": "1e"}.get(exercise, exercise), "train", funcs[0], [],
                       timeout=config.train_budget + 15,
                       options={"mode": mode, "funcs": funcs, "X": X["array"], "t": t["array"],
                                "layer_sizes": list(setup.layer_sizes), "lam": setup.lam,
                                "activation": setup.activation, "inits": inits, "method": METHOD,
                                "options": dict(OPTIONS), "budget": config.train_budget,
                                "target_accuracy": target, "loss": setup.loss}))


# -- how the gradients are computed (grader/backprop_evidence.py reads these) ---------------
COST_SIZES = {"1d": ([2, 4, 1], [2, 64, 1]), "2": ([2, 3, 3, 1], [2, 12, 12, 1]), "bonus": ([2, 3, 3, 1], [2, 12, 12, 1])}
ERROR_SIZES = {"1d": [2, 5, 1], "2": [2, 4, 3, 1], "bonus": [2, 4, 3, 1]}
INPUT_SCALE = 1e4      # the amplified case: inputs times this, first-layer weights divided by it
COST_MIN_SECONDS = 0.02


def amplified(W, X, sizes, scale=INPUT_SCALE):
    """(W, X) with X scaled by ``scale`` and W_1 divided by it: the same network function, so the same
    exact gradient except dE/dW_1 times ``scale``; a finite step along W_1 sees a curvature
    ``scale**2`` times larger (its truncation error grows that much, backprop's rounding does not)."""
    W = np.array(W, dtype=float, copy=True)
    W[:sizes[0] * sizes[1]] /= scale
    return W, np.asarray(X, dtype=float) * scale


def _gradient_cost(plan, rng, data):
    """One "cost" probe per backprop exercise: the gradient on two network sizes of the same N (the
    whole data set), and at a point and its amplified twin (few samples, lam = 0)."""
    for exercise, func, returns, forward, forward_args, activation in (
            ("1d", "bce_grad", "grad", "bce_loss", "loss", "sigmoid"),
            ("2", "backprop", "pair", "predict", "predict", "sigmoid"),
            ("bonus", "backprop", "pair", "predict", "predict", "relu")):
        kwargs = {"activation": "relu"} if activation == "relu" else {}
        cases = []
        for size_name, sizes in zip(("small", "large"), COST_SIZES[exercise]):
            W = plan.add_array(f"cost-{exercise}-{size_name}", random_weights(rng, sizes, scale=0.5))
            cases.append({"W": W["array"], "X": data["X"]["array"], "t": data["t"]["array"], "layer_sizes": sizes,
                          "lam": _random_lam(rng), "kwargs": kwargs})
        sizes = ERROR_SIZES[exercise]
        X = plan.resolve(data["Xs"])
        W = _relu_weights(rng, sizes, X) if activation == "relu" else random_weights(rng, sizes, scale=0.5)
        W_amp, X_amp = amplified(W, X, sizes)
        for case_name, (W_case, X_case) in (("plain", (W, X)), ("amplified", (W_amp, X_amp))):
            cases.append({"W": plan.add_array(f"cost-{exercise}-{case_name}", W_case)["array"],
                          "X": plan.add_array(f"cost-{exercise}-X-{case_name}", X_case)["array"],
                          "t": data["ts"]["array"], "layer_sizes": sizes, "lam": 0.0, "kwargs": kwargs})
        plan.add(Probe(f"{exercise}-cost", exercise, "cost", func, [], timeout=30.0,
                       options={"returns": returns, "forward": forward, "forward_args": forward_args,
                                "cases": cases, "min_seconds": COST_MIN_SECONDS}))
