"""One fixture submission per mistake of grader/mistakes.py, built by script from the reference,
and a way to grade them without a kernel.

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

from examples.notebook_builder import fill_template, load_template, reference_sources
from grader.check import check
from grader.config import GraderConfig
from grader.diagnose import diagnose
from grader.model import GradingRun
from grader.probe import DRIVER_SOURCE, ProbeOutcome, read_outcome
from grader.probes import build_plan
from reference import losses, network, params
from tests.grader.fixtures import (TRAINING_TESTS, biases_regularized, column_major_weights, correct, mutated,
                                   multiclass_labels_from_one, naive_sigmoid, regularization_gradient_without_2,
                                   softmax_without_shift, with_cell)

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
SKIPPED_ROLES = {"run", "selfcheck"}      # cells that train, plot or import the self-check
RELOAD_LOSSES = '\n\nLOSSES = {"bce": binary_cross_entropy, "ce": cross_entropy}\n'

BCE_LOSS = "loss = -np.sum(t * log_sigmoid(a) + (1.0 - t) * log_sigmoid(-a)) / n"
BCE_DELTA = "dA_L = ((sigmoid(a) - t) / n)[:, None]"
CE_LOSS = "loss = -np.sum(log_softmax(A_L)[rows, t]) / n"
CE_DELTA = "dA_L = softmax(A_L)\n    dA_L[rows, t] -= 1.0\n    return float(loss), dA_L / n"


# A backward pass written the handout's way: g' taken at the pre-activation A_l through the
# notebook's own sigmoid_grad / relu_grad (ACTIVATIONS), so that a wrong derivative function
# reaches the gradients, as it does in most students' code. BACKSTEP is the line that sends
# the deltas one layer down; RETURN what the function returns.
HANDOUT_BACKPROP = """
ACTIVATIONS = {"sigmoid": (sigmoid, sigmoid_grad), "relu": (relu, relu_grad)}


def network_backprop(W, X, t, layer_sizes, lam, activation="sigmoid", loss="bce"):
    W = np.asarray(W, dtype=float)
    _, g_prime = ACTIVATIONS[activation]
    A, Z = forward(W, X, layer_sizes, activation)
    data_loss, delta = LOSSES[loss](A[-1], t)
    reg_loss, grad = regularization(W, layer_sizes, lam)
    grad_layers = unpack(grad, layer_sizes)
    weights = unpack(W, layer_sizes)
    for l in range(len(weights), 0, -1):
        G_l, g_l = grad_layers[l - 1]
        G_l += delta.T @ Z[l - 1]
        g_l += delta.sum(axis=0)
        if l > 1:
            delta = BACKSTEP
    return RETURN
"""
BACKSTEP = "(delta @ weights[l - 1][0]) * g_prime(A[l - 2])"
RETURN = "data_loss + reg_loss, grad"


def handout_backprop(nb, backstep=BACKSTEP, returned=RETURN):
    """``nb`` with the handout-style backward pass appended (see HANDOUT_BACKPROP)."""
    return with_cell(nb, HANDOUT_BACKPROP.replace("BACKSTEP", backstep).replace("RETURN", returned))


# ------------------------------------------------------------------ builders

def with_losses(bce=None, ce=None):
    """The reference notebook with binary_cross_entropy / cross_entropy replaced ((old, new) pairs)."""
    sources = []
    for function, changes in ((losses.binary_cross_entropy, bce), (losses.cross_entropy, ce)):
        source = None
        for old, new in changes or []:
            source = mutated(function, old, new) if source is None else _replace(source, old, new)
        if source:
            sources.append(source)
    return with_cell(correct(), "\n\n".join(sources) + RELOAD_LOSSES)


def _replace(source, old, new):
    if old not in source:
        raise ValueError(f"{old!r} not found; update the fixture")
    return source.replace(old, new)


def with_graded(**implementations):
    return fill_template(load_template(), {**reference_sources(), **implementations})


def half_lambda():
    return with_cell(correct(), mutated(
        network.regularization, "penalty += lam * np.sum(W_l ** 2)\n        G_l[...] = 2.0 * lam * W_l",
        "penalty += 0.5 * lam * np.sum(W_l ** 2)\n        G_l[...] = lam * W_l"))


def reg_divided_by_n():
    return with_cell(correct(), mutated(network.network_backprop, "regularization(W, layer_sizes, lam)",
                                        "regularization(W, layer_sizes, lam / len(X))"))


def missing_mean():
    return with_losses(bce=[(BCE_LOSS, BCE_LOSS[:-len(" / n")]), (BCE_DELTA, "dA_L = (sigmoid(a) - t)[:, None]")],
                       ce=[(CE_LOSS, CE_LOSS[:-len(" / n")]), ("return float(loss), dA_L / n", "return float(loss), dA_L")])


def missing_mean_in_gradient():
    """The loss is a mean, its gradient a sum: values and finite-difference tests fail on the gradient only."""
    return with_losses(bce=[(BCE_DELTA, "dA_L = (sigmoid(a) - t)[:, None]")],
                       ce=[("return float(loss), dA_L / n", "return float(loss), dA_L")])


def with_sigmoid_grad(body):
    """A notebook whose sigmoid_grad(a) returns ``body`` and whose backward pass uses it."""
    return handout_backprop(with_graded(sigmoid_grad=f"def sigmoid_grad(a):\n    return {body}\n"))


def sigmoid_grad_mixed():
    return with_sigmoid_grad("sigmoid(a) * (1.0 - np.asarray(a, dtype=float))")


def sigmoid_grad_twice():
    return with_sigmoid_grad("sigmoid(sigmoid(a)) * (1.0 - sigmoid(sigmoid(a)))")


def sigmoid_grad_of_activation():
    return with_sigmoid_grad("np.asarray(a, dtype=float) * (1.0 - np.asarray(a, dtype=float))")


def sigmoid_grad_of_outputs_in_backprop():
    """sigmoid_grad is right, but the backward pass gives it Z_l (the activations) instead of A_l."""
    return handout_backprop(correct(), backstep="(delta @ weights[l - 1][0]) * g_prime(Z[l - 1])")


def missing_sigma_prime():
    return handout_backprop(correct(), backstep="delta @ weights[l - 1][0]")


def transposed_weights():
    """W_l read as (n[l-1], n[l]) row-major and transposed: the same numbers as column-major."""
    return with_cell(correct(), mutated(params.unpack, ".reshape(n_out, n_in)", ".reshape(n_in, n_out).T"))


def gradient_negated():
    return handout_backprop(correct(), returned="data_loss + reg_loss, -grad")


def output_delta_sign():
    return with_losses(bce=[(BCE_DELTA, "dA_L = ((t - sigmoid(a)) / n)[:, None]")],
                       ce=[("return float(loss), dA_L / n", "return float(loss), -dA_L / n")])


def naive_log_loss():
    return with_losses(bce=[(BCE_LOSS, "p = sigmoid(a)\n    loss = -np.sum(t * np.log(p) + (1.0 - t) * np.log(1.0 - p)) / n")])


def relu_grad_returns_relu():
    return handout_backprop(with_graded(relu_grad="def relu_grad(a):\n    return np.maximum(np.asarray(a, dtype=float), 0.0)\n"))


def relu_grad_ones():
    return handout_backprop(with_graded(relu_grad="def relu_grad(a):\n    return np.ones_like(np.asarray(a, dtype=float))\n"))


def output_delta_sigma_prime():
    return with_losses(bce=[(BCE_DELTA, "p = sigmoid(a)\n    dA_L = ((p - t) * p * (1.0 - p) / n)[:, None]")],
                       ce=[(CE_DELTA, "Y = softmax(A_L)\n    dA_L = Y.copy()\n    dA_L[rows, t] -= 1.0\n"
                                      "    return float(loss), dA_L * Y * (1.0 - Y) / n")])


def ce_labels_from_one():
    """ce_backprop written for labels 1..3 (label k picks column k - 1)."""
    return with_losses(ce=[("t = np.asarray(t).astype(int)", "t = np.asarray(t).astype(int) - 1")])


def random_outputs():
    """Every function returns random numbers of the right shape: nothing may be diagnosed."""
    return with_cell(correct(), '''
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
    MistakeFixture("relu_grad_returns_relu", relu_grad_returns_relu, "relu_grad_wrong"),
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
    """{test name: [mistake ids]} of the run's diagnosed tests."""
    return {test.name: [tag.split(":", 1)[1] for tag in test.tags if tag.startswith("mistake:")]
            for test in run.tests if any(tag.startswith("mistake:") for tag in test.tags)}


def write_all(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for fixture in MISTAKE_FIXTURES:
        nbformat.write(fixture.build(), str(out_dir / f"mistake_{fixture.name}.ipynb"))


__all__ = ["MISTAKE_FIXTURES", "TRAINING_TESTS", "grade_in_process", "diagnosed", "random_outputs",
           "namespace_of", "probe_in_process", "new_run", "write_all"]
