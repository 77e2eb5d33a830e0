"""One fixture submission per mistake of the catalog (each exercise's MISTAKES), built by script as a variant of an
independent solution (tests/grader/independent/), and a way to grade them without a kernel.

``MISTAKE_FIXTURES`` lists, for each catalog entry, a notebook with that one
mistake and what the diagnose stage must say about it: ``mistake`` must be
named on every failed test except the ``undiagnosed`` ones (training tests
are never run in process), and nothing outside ``mistake | also`` may be named.

:func:`grade_in_process` runs the probe driver on the notebook's functions in
this process (no kernel, no sandbox: these are our own fixtures), then the
real check and diagnose stages. Training probes are not run (status
"not_run"). It takes about a second; a full grading takes 15-40 s.
"""
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from grader.config import GraderConfig
from grader.model import GradingRun
from grader.stages.check import check
from grader.stages.diagnose import diagnose
from grader.stages.probe import DRIVER_SOURCE, ProbeOutcome, read_outcome
from assignment import build_plan
from tests.grader.fixtures import (EINSUM_PENALTY, TRAINING_TESTS, biases_regularized, column_major_weights,
                                   multiclass_labels_from_one, naive_sigmoid, regularization_gradient_without_2,
                                   softmax_without_shift, unpack_reading)
from tests.grader.independent_solutions import variant

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
SKIPPED_ROLES = {"run", "selfcheck"}      # cells that train, plot or import the self-check

# ------------------------------------------------------------------ builders
# Each is a variant of the einsum solution (tests/grader/independent/einsum.py) unless it says
# otherwise: its backward pass takes g' from the notebook's own sigmoid_grad / relu_grad at the
# pre-activations, as most students' code does, so a wrong derivative reaches the gradients.
EINSUM_BACKSTEP = "dA = np.einsum('nj,ji->ni', dA, w) * g_prime(As[l - 1])"
BINARY_DELTA = "dA = (sigmoid(As[-1]) - np.asarray(t).reshape(-1, 1)) / len(X)"        # bce_grad
BACKPROP_DELTA = "dA = ((sigmoid(a) - t) / len(X))[:, None]"                           # backprop
CE_DELTA = "dA = (softmax(logits) - T) / N"                                              # ce_backprop
MEAN_LOSSES = (("return np.mean(np.logaddexp(0, a) - t * a)", "return np.sum(np.logaddexp(0, a) - t * a)"),
               ("loss = np.mean(log_Z - np.einsum('nk,nk->n', logits, T))",
                "loss = np.sum(log_Z - np.einsum('nk,nk->n', logits, T))"))
SUMMED_DELTAS = ((BINARY_DELTA, "dA = sigmoid(As[-1]) - np.asarray(t).reshape(-1, 1)"),
                 (BACKPROP_DELTA, "dA = (sigmoid(a) - t)[:, None]"), (CE_DELTA, "dA = softmax(logits) - T"))


def einsum(*changes, extra=None):
    return variant("einsum", changes, extra)


def half_lambda():
    return einsum((EINSUM_PENALTY, EINSUM_PENALTY.replace("return lam * ", "return 0.5 * lam * ")),
                  ("+ 2 * lam * w", "+ lam * w"))


def reg_divided_by_n():
    return einsum(("+ l2(params, lam)", "+ l2(params, lam / len(X))"),
                  ("return backward(params, As, Zs, dA, lam,", "return backward(params, As, Zs, dA, lam / len(X),"),
                  ("), backward(params, As, Zs, dA, lam,", "), backward(params, As, Zs, dA, lam / len(X),"))


def missing_mean():
    return einsum(*MEAN_LOSSES, *SUMMED_DELTAS)


def missing_mean_in_gradient():
    """The loss is a mean, its gradient a sum: values and finite-difference tests fail on the gradient only."""
    return einsum(*SUMMED_DELTAS)


def with_sigmoid_grad(body):
    """A notebook whose sigmoid_grad(a) returns ``body`` (the backward pass uses it)."""
    return einsum(("    return e / (1 + e) ** 2", f"    return {body}"))


def sigmoid_grad_mixed():
    return with_sigmoid_grad("sigmoid(a) * (1.0 - a)")


def sigmoid_grad_twice():
    return with_sigmoid_grad("sigmoid(sigmoid(a)) * (1.0 - sigmoid(sigmoid(a)))")


def sigmoid_grad_of_activation():
    return with_sigmoid_grad("a * (1.0 - a)")


def sigmoid_grad_of_outputs_in_backprop():
    """sigmoid_grad is right, but the backward pass gives it Z_l (the activations) instead of A_l."""
    return einsum((EINSUM_BACKSTEP, EINSUM_BACKSTEP.replace("g_prime(As[l - 1])", "g_prime(Zs[l])")))


def missing_sigma_prime():
    return einsum((EINSUM_BACKSTEP, EINSUM_BACKSTEP.replace(" * g_prime(As[l - 1])", "")))


def transposed_weights():
    """W_l read as (n[l-1], n[l]) row-major and transposed: the same numbers as column-major (class solution)."""
    return variant("network_class", extra=unpack_reading(".reshape(n_in, n_out).T"))


def gradient_negated():
    return einsum(("return np.concatenate([np.concatenate([gw.ravel(), gb]) for gw, gb in grads[::-1]])",
                   "return -np.concatenate([np.concatenate([gw.ravel(), gb]) for gw, gb in grads[::-1]])"))


def output_delta_sign():
    return einsum((BINARY_DELTA, "dA = (np.asarray(t).reshape(-1, 1) - sigmoid(As[-1])) / len(X)"),
                  (BACKPROP_DELTA, "dA = ((t - sigmoid(a)) / len(X))[:, None]"), (CE_DELTA, "dA = (T - softmax(logits)) / N"))


def naive_log_loss():
    return einsum(("return np.mean(np.logaddexp(0, a) - t * a)",
                   "p = sigmoid(a)\n    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))"))


def with_relu_grad(body):
    return einsum(("return np.heaviside(a, 0.0)", f"return {body}"))


def relu_grad_wrong_returns_relu():
    return with_relu_grad("np.maximum(np.asarray(a, dtype=float), 0.0)")


def relu_grad_ones():
    return with_relu_grad("np.ones_like(np.asarray(a, dtype=float))")


def output_delta_sigma_prime():
    return einsum((BINARY_DELTA, "p = sigmoid(As[-1])\n    dA = (p - np.asarray(t).reshape(-1, 1)) * p * (1 - p) / len(X)"),
                  (BACKPROP_DELTA, "p = sigmoid(a)\n    dA = ((p - t) * p * (1 - p) / len(X))[:, None]"),
                  (CE_DELTA, "Y = softmax(logits)\n    dA = (Y - T) * Y * (1 - Y) / N"))


def ce_labels_from_one():
    """ce_backprop written for labels 1..3 (label k picks column k - 1)."""
    return einsum(("T = (np.asarray(t).reshape(-1, 1) == np.arange(K)).astype(float)",
                   "T = np.eye(K)[np.asarray(t).astype(int) - 1]"))


def random_outputs():
    """Every function returns random numbers of the right shape: nothing may be diagnosed."""
    return einsum(extra='''
_garbage = np.random.default_rng(12345)

def _like(x):
    return _garbage.standard_normal(np.shape(x))

def sigmoid(a): return _garbage.random(np.shape(a))
def sigmoid_grad(a): return _garbage.random(np.shape(a)) / 4
def relu(a): return _garbage.random(np.shape(a))
def relu_grad(a): return _garbage.random(np.shape(a))
def softmax(A):
    E = _garbage.random(np.shape(A))
    return E / E.sum(axis=1, keepdims=True)
def bce_loss(W, X, t, layer_sizes, lam): return float(_garbage.random())
def bce_grad(W, X, t, layer_sizes, lam): return _like(W)
def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"): return float(_garbage.random()), _like(W)
def ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid"): return float(_garbage.random()), _like(W)
def predict(W, X, layer_sizes): return _garbage.integers(0, 2, len(X))
def predict_multiclass(W, X, layer_sizes): return _garbage.integers(0, 3, len(X))
def load_data():
    return _garbage.standard_normal((400, 2)), _garbage.integers(0, 2, 400)
def load_data_multiclass():
    return _garbage.standard_normal((450, 2)), _garbage.integers(0, 3, 450)
def init_weights(layer_sizes, rng): return rng.uniform(-0.1, 0.1, n_params(layer_sizes))
''')


@dataclass
class MistakeFixture:
    name: str
    build: callable
    mistake: str
    also: set = field(default_factory=set)          # other names allowed (they explain the same outputs)
    undiagnosed: set = field(default_factory=set)   # failed tests that need not carry the name

MISTAKE_FIXTURES = [
    MistakeFixture("biases_regularized", biases_regularized, "biases_regularized"),
    MistakeFixture("half_lambda", half_lambda, "half_lambda", also={"reg_grad_without_2"}),
    MistakeFixture("reg_grad_without_2", regularization_gradient_without_2, "reg_grad_without_2",
                   also={"half_lambda"}),
    MistakeFixture("reg_divided_by_n", reg_divided_by_n, "reg_divided_by_n"),
    MistakeFixture("missing_mean", missing_mean, "missing_mean"),
    MistakeFixture("missing_mean_in_gradient", missing_mean_in_gradient, "missing_mean"),
    MistakeFixture("sigmoid_grad_mixed", sigmoid_grad_mixed, "sigmoid_grad_mixed"),
    MistakeFixture("sigmoid_grad_twice", sigmoid_grad_twice, "sigmoid_grad_twice"),
    MistakeFixture("sigmoid_grad_of_outputs_in_backprop", sigmoid_grad_of_outputs_in_backprop, "sigmoid_grad_twice"),
    MistakeFixture("sigmoid_grad_of_activation", sigmoid_grad_of_activation, "sigmoid_grad_of_activation"),
    # relu' missing and relu_grad = 1 are the same numbers on the relu gradient test
    MistakeFixture("missing_sigma_prime", missing_sigma_prime, "missing_sigma_prime", also={"relu_grad_wrong"}),
    MistakeFixture("column_major_weights", column_major_weights, "weights_layout"),
    MistakeFixture("transposed_weights", transposed_weights, "weights_layout"),
    MistakeFixture("gradient_negated", gradient_negated, "gradient_sign"),
    MistakeFixture("output_delta_sign", output_delta_sign, "gradient_sign"),
    MistakeFixture("naive_log_loss", naive_log_loss, "naive_log_loss"),
    MistakeFixture("softmax_without_shift", softmax_without_shift, "softmax_without_shift"),
    MistakeFixture("relu_grad_returns_relu", relu_grad_wrong_returns_relu, "relu_grad_wrong"),
    MistakeFixture("relu_grad_ones", relu_grad_ones, "relu_grad_wrong", also={"missing_sigma_prime"}),
    MistakeFixture("output_delta_sigma_prime", output_delta_sigma_prime, "output_delta_sigma_prime"),
    MistakeFixture("multiclass_labels_from_one", multiclass_labels_from_one, "labels_off_by_one"),
    MistakeFixture("ce_labels_from_one", ce_labels_from_one, "labels_off_by_one"),
    MistakeFixture("naive_sigmoid", naive_sigmoid, "sigmoid_overflow"),
]


# ------------------------------------------------------------- grading in process

def namespace_of(nb):
    """Run the notebook's code cells (not the ones that train, plot or self-check) in a fresh namespace."""
    ns = {"__name__": "__main__"}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell.metadata.get("week6", {}).get("role") in SKIPPED_ROLES:
            continue
        exec(compile(cell.source, f"<cell {index}>", "exec"), ns)
    return ns


def probe_in_process(plan, ns, workdir):
    """{probe id: ProbeOutcome}: the real probe driver on ``ns``'s functions; training probes are not run."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    inputs, plan_path, out_dir = workdir / "inputs.npz", workdir / "plan.json", workdir / "out"
    out_dir.mkdir(exist_ok=True)
    np.savez(inputs, **plan.arrays)
    plan_path.write_text(json.dumps([p.entry() for p in plan.probes.values() if p.kind != "train"]))
    driver = {"__name__": "week6_probe_driver"}
    exec(compile(DRIVER_SOURCE, "week6_probe_driver", "exec"), driver)
    driver["run"](ns, str(plan_path), str(inputs), str(out_dir))
    outcomes = {}
    for probe in plan.probes.values():
        if probe.kind == "train":
            outcomes[probe.id] = ProbeOutcome("not_run", "training is not run in process")
        else:
            outcomes[probe.id] = read_outcome(out_dir, probe.id, None)
    return outcomes


def new_run(tmp_path, seed=7, config=None):
    """A GradingRun with the probe plan for ``seed`` and no outcomes yet."""
    config = config or GraderConfig(figures=False)
    run = GradingRun(notebook_path=Path(tmp_path) / "submission.ipynb", out_dir=Path(tmp_path) / "out", config=config)
    run.seed = seed
    run.probe_plan = build_plan(seed, config)
    return run


def grade_in_process(nb, tmp_path, seed=7, config=None):
    """check + diagnose of ``nb`` with in-process probe outcomes. The caller runs it with the data
    directory as the working directory (the notebook's loaders read ./*.mat)."""
    run = new_run(tmp_path, seed, config)
    run.probe_outcomes = probe_in_process(run.probe_plan, namespace_of(nb), Path(tmp_path) / "exchange")
    check(run)
    diagnose(run)
    return run


def diagnosed(run):
    """{test id: [mistake ids]} of the run's diagnosed tests."""
    return {test.id: [tag.split(":", 1)[1] for tag in test.tags if tag.startswith("mistake:")]
            for test in run.tests if any(tag.startswith("mistake:") for tag in test.tags)}


def write_all(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for fixture in MISTAKE_FIXTURES:
        nbformat.write(fixture.build(), str(out_dir / f"mistake_{fixture.name}.ipynb"))


__all__ = ["MISTAKE_FIXTURES", "TRAINING_TESTS", "grade_in_process", "diagnosed", "random_outputs",
           "namespace_of", "probe_in_process", "new_run", "write_all"]
