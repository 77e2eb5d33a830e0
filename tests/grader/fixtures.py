"""Submissions to grade in the tests, built by script: correct ones in several styles (the reference's
code in the template, and solutions written without it), and mistakes, one deliberate change each
to an independent solution (tests/grader/independent_solutions.py).

Correct ones in several styles must score full marks; each mistake must lose
the points of exactly the tests it breaks. ``FIXTURES`` lists them with the
tests each is expected to fail (by the names in assignment.TESTS);
``uncertain`` tests may go either way (e.g. training with a wrong gradient).

Run ``python -m tests.grader.fixtures OUT_DIR`` to write them all as notebooks.
"""
import sys
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import nbformat

from examples.notebook_builder import fill_template, load_template, per_sample_sources, reference_sources
from assignment import TESTS
from tests.grader.backprop_fixtures import build as build_backprop_case
from tests.grader.independent_solutions import STYLES, notebook as independent_notebook, variant

TRAINING_TESTS = {
    "1e.training",
    "2.training",
    "3.training",
}


def with_cell(nb, source):
    """The notebook with one more code cell at the end (a later definition wins at call time)."""
    nb.cells.append(nbformat.v4.new_code_cell(source))
    return nb


def correct():
    return fill_template(load_template(), reference_sources())


def per_sample_loops():
    return fill_template(load_template(), {**reference_sources(), **per_sample_sources()})


def column_outputs():
    """Every array output as a column or a one-element array, which the contract accepts."""
    return with_cell(correct(), '''
_row_predict, _row_predict_multiclass, _row_backprop, _row_ce_backprop = predict, predict_multiclass, backprop, ce_backprop
_row_bce_loss, _row_bce_grad, _row_load_data, _row_init_weights = bce_loss, bce_grad, load_data, init_weights

def predict(W, X, layer_sizes):
    return _row_predict(W, X, layer_sizes).reshape(-1, 1)

def predict_multiclass(W, X, layer_sizes):
    return _row_predict_multiclass(W, X, layer_sizes).reshape(-1, 1)

def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    loss, grad = _row_backprop(W, X, t, layer_sizes, lam, activation)
    return np.array([loss]), grad.reshape(-1, 1)

def ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    loss, grad = _row_ce_backprop(W, X, t, layer_sizes, lam, activation)
    return np.array([[loss]]), grad.reshape(-1, 1)

def bce_loss(W, X, t, layer_sizes, lam):
    return np.array(_row_bce_loss(W, X, t, layer_sizes, lam))

def bce_grad(W, X, t, layer_sizes, lam):
    return _row_bce_grad(W, X, t, layer_sizes, lam).reshape(-1, 1)

def load_data():
    X, t = _row_load_data()
    return X, t.reshape(-1, 1)

def init_weights(layer_sizes, rng):
    return _row_init_weights(layer_sizes, rng).reshape(-1, 1)
''')


def foreign_kernel_with_magics():
    """A conda kernelspec and the magics students leave in: all must run on the grader's kernel."""
    nb = correct()
    nb.metadata["kernelspec"] = {"name": "conda-env-ml-py", "display_name": "Python [conda env:ml]", "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.9.7"}
    nb.cells.insert(0, nbformat.v4.new_code_cell("%matplotlib inline\n!ls *.mat\n%load_ext autoreload"))
    nb.cells.append(nbformat.v4.new_code_cell("%%time\nW_check = init_weights([2, 3, 1], np.random.default_rng(0))"))
    nb.cells.append(nbformat.v4.new_code_cell("%timeit -n 1 -r 1 sigmoid(np.zeros(10))"))
    return nb


# -- mistakes: each a variant of an independent solution (tests/grader/independent/), so that a
# bug the reference shares with the grader cannot hide in them

# einsum solution: the penalty, and the gradient line of each layer (weights, biases)
EINSUM_PENALTY = "return lam * sum(np.einsum('ij,ij->', w, w) for w, _ in params)"
EINSUM_LAYER_GRADIENT = ("w, _ = params[l]\n        grads.append((np.einsum('nj,ni->ji', dA, Zs[l]) + 2 * lam * w, "
                         "np.einsum('nj->j', dA)))")


def biases_regularized():
    return variant("einsum", [
        (EINSUM_PENALTY, "return lam * sum(np.einsum('ij,ij->', w, w) + np.einsum('i,i->', b, b) for w, b in params)"),
        (EINSUM_LAYER_GRADIENT, "w, b = params[l]\n        grads.append((np.einsum('nj,ni->ji', dA, Zs[l]) + 2 * lam * w, "
                                "np.einsum('nj->j', dA) + 2 * lam * b))")])


def regularization_gradient_without_2():
    return variant("einsum", [("+ 2 * lam * w", "+ lam * w")])


def sigmoid_grad_of_preactivation():
    """sigma(a) * (1 - a) in sigmoid_grad, while the backward pass takes sigma' from the layer's
    outputs, Z (1 - Z): the mistake reaches no gradient."""
    return variant("einsum", [
        ("    return e / (1 + e) ** 2", "    return sigmoid(a) * (1.0 - a)"),
        ("dA = np.einsum('nj,ji->ni', dA, w) * g_prime(As[l - 1])",
         "dA = np.einsum('nj,ji->ni', dA, w) * (g_prime(As[l - 1]) if activation == 'relu' else Zs[l] * (1 - Zs[l]))")])


def naive_sigmoid():
    return variant("network_class", [("return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(a, dtype=float)))",
                                      "return 1.0 / (1.0 + np.exp(-np.asarray(a, dtype=float)))")])


def softmax_without_shift():
    return variant("einsum", [("E = np.exp(A - A.max(axis=1)[:, None])", "E = np.exp(A)")])


def multiclass_labels_from_one():
    return variant("loops", [("ts.append(np.full(len(pts), k - 1, dtype=int))", "ts.append(np.full(len(pts), k, dtype=int))")])


def relu_grad_returns_relu():
    """relu_grad returns relu, while the backward pass writes relu' inline: the mistake reaches no gradient."""
    return variant("network_class", [
        ("return np.where(np.asarray(a) > 0, 1.0, 0.0)", "return np.maximum(np.asarray(a, dtype=float), 0.0)"),
        ("return relu_grad(A) if self.activation == \"relu\" else sigmoid_grad(A)",
         "return (A > 0).astype(float) if self.activation == \"relu\" else sigmoid_grad(A)")])


def unpack_reading(reshape):
    """A cell redefining the template's unpack with W_l read by ``reshape`` (of the flat slice)."""
    return f'''
def unpack(W, layer_sizes):
    W = np.asarray(W)
    layers, start = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        weights = W[start:start + n_out * n_in]{reshape}
        start += n_out * n_in
        layers.append((weights, W[start:start + n_out]))
        start += n_out
    return layers
'''


def column_major_weights():
    return variant("network_class", extra=unpack_reading(".reshape(n_out, n_in, order='F')"))


def blank_template():
    return load_template()


@dataclass
class Fixture:
    name: str
    build: callable
    fails: set = field(default_factory=set)
    uncertain: set = field(default_factory=set)
    all_fail: bool = False
    config: dict = field(default_factory=dict)   # GraderConfig fields to change for this fixture


REGULARIZED_LOSS = {"1c.with_regularization",
                    "1c.single_sample",
                    "2.loss_regularized",
                    "bonus.backprop_loss",
                    "3.loss"}
REGULARIZED_GRAD = {"1d.with_regularization",
                    "2.gradient_regularized",
                    "bonus.backprop_gradient",
                    "3.gradient"}
GRADIENT_CONSISTENCY = {"1d.consistent_with_loss",
                        "2.consistent_with_loss",
                        "3.consistent_with_loss"}

FINITE_DIFFERENCE_GRADIENT = {spec.id for spec in TESTS if spec.requires_backprop}

FIXTURES = [
    Fixture("correct_vectorized", correct),
    # loops make the notebook's own training cells take minutes; the cell timeout cuts them short
    # (as it would for a student), which must cost nothing: the grader's probes train on their own
    Fixture("correct_per_sample_loops", per_sample_loops, config={"cell_timeout": 10.0}),
    Fixture("correct_column_outputs", column_outputs),
    Fixture("correct_foreign_kernel_magics", foreign_kernel_with_magics),
    # written from the contract and the template alone (tests/grader/independent/), one style each
    *(Fixture(f"correct_independent_{style}", partial(independent_notebook, style),
              config={"cell_timeout": 10.0} if style == "loops" else {}) for style in STYLES),
    # biases in R(W), consistently in loss and gradient: every lam > 0 value is off, finite differences agree
    Fixture("mistake_biases_regularized", biases_regularized, fails=REGULARIZED_LOSS | REGULARIZED_GRAD),
    # loss right, gradient of R wrong: gradients with lam > 0 and every finite-difference check (lam = 0.1) fail
    Fixture("mistake_reg_grad_without_2", regularization_gradient_without_2,
            fails=REGULARIZED_GRAD | GRADIENT_CONSISTENCY),
    # a backward pass that takes sigma' from the layer outputs: a wrong sigmoid_grad costs exactly the
    # sigmoid_grad tests
    Fixture("mistake_sigmoid_grad_of_preactivation", sigmoid_grad_of_preactivation,
            fails={"1b.sigmoid_grad_values", "1b.scalars",
                   "1b.sigmoid_grad_stable"}),
    Fixture("mistake_naive_sigmoid_overflows", naive_sigmoid,
            fails={"1b.sigmoid_stable"},
            uncertain={"1c.saturated"}),
    Fixture("mistake_softmax_without_shift", softmax_without_shift, fails={"3.softmax_stable"}),
    Fixture("mistake_multiclass_labels_from_one", multiclass_labels_from_one,
            fails={"3.load"}),
    # relu_grad returns relu, while the backward pass writes relu' inline: only the relu_grad test fails
    Fixture("mistake_relu_grad_returns_relu", relu_grad_returns_relu,
            fails={"bonus.relu_grad_values"}),
    # the layout of W is the contract's: a consistent column-major network fails every value check,
    # while its gradient still agrees with its own loss
    Fixture("mistake_column_major_weights", column_major_weights,
            fails={"1c.without_regularization",
                   "1c.with_regularization", "1c.single_sample",
                   "1d.without_regularization",
                   "1d.with_regularization", "1e.predict",
                   "bonus.backprop_loss", "bonus.backprop_gradient",
                   "2.loss", "2.loss_regularized",
                   "2.gradient",
                   "2.gradient_regularized",
                   "3.loss", "3.gradient",
                   "3.predict"},
            uncertain=TRAINING_TESTS | {"1c.saturated"}),
    # gradients made of finite differences of a correct loss (tests/grader/backprop_fixtures.py) earn
    # none of the gradient points of 1d, 2 and the bonus: the template's own numerical_gradient (seen
    # by the count of perturbed-W calls), and all perturbations in one batched pass (no call to
    # count: seen by the truncation error and the cost together). Training may run out of time.
    *(Fixture(f"mistake_{name}", partial(build_backprop_case, name), fails=FINITE_DIFFERENCE_GRADIENT,
              uncertain=TRAINING_TESTS) for name in ("fd_template_helper", "fd_vectorized")),
    Fixture("blank_template", blank_template, all_fail=True),
]


def write_all(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fixture in FIXTURES:
        path = out_dir / f"{fixture.name}.ipynb"
        nbformat.write(fixture.build(), str(path))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all(sys.argv[1] if len(sys.argv) > 1 else "fixtures"):
        print(written)
