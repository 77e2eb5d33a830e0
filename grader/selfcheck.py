"""Week 6 self-check: the public tests of the lab, on your own computer.

In the notebook (its last cell)::

    from week6_selfcheck import run_selfcheck
    run_selfcheck(globals())

On the command line (runs the whole notebook in a fresh kernel first)::

    python week6_selfcheck.py week6_backprop.ipynb

The checks call the functions your notebook defines on fixed public inputs
(``public_fixture.json``, next to this file) and compare what they return
with the reference solution's outputs; gradients are also compared with
central differences of your own loss. They finish in a few seconds and do not
train anything. They are NOT your grade: the grader runs hidden tests on other
inputs, and checks that your training reaches the reference's accuracy.

The command line's exit status is 0 when every public check passes, 1 when one
fails or a function is not written yet, 2 when the check cannot run here (run
``python week6_selfcheck.py --help``).

In a notebook it needs numpy only; the command line needs what the lab's
students install anyway: numpy, scipy, matplotlib and jupyter. This file ships
next to ``arraycheck.py`` and ``public_fixture.json``; in the grader's
repository it is ``grader/selfcheck.py``.
"""
import argparse
import contextlib
import copy
import dataclasses
import getpass
import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import sys
import tempfile
import textwrap
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

# What a student installs for the lab (the bundle's README says the same), and the modules the
# command line needs from them: the lab's imports and Jupyter's notebook runner.
STUDENT_PACKAGES = ("numpy", "scipy", "matplotlib", "jupyter")
RUNNER_MODULES = ("numpy", "scipy", "matplotlib", "nbformat", "nbclient", "jupyter_client", "ipykernel")

try:
    import numpy as np
except ImportError:   # on the command line, say how to install it; imported from a notebook, fail as usual
    if __name__ != "__main__":
        raise
    print(f"error: the self-check needs numpy, missing from {sys.executable}; install it with: "
          f"{sys.executable} -m pip install {' '.join(STUDENT_PACKAGES)}", file=sys.stderr)
    raise SystemExit(2) from None

try:
    from .arraycheck import Verdict, check_array, check_scalar, describe, relative_error
except ImportError:   # shipped to students as week6_selfcheck.py, next to arraycheck.py
    from arraycheck import Verdict, check_array, check_scalar, describe, relative_error

HERE = Path(__file__).resolve().parent
FIXTURE_PATH = HERE / "public_fixture.json"
DATA_DIR = HERE.parent / "data"          # the repository's data sets (absent on a student's computer)
CELL_TIMEOUT = 120                        # seconds per notebook cell in check_notebook
LINE_WIDTH = 100

EXERCISES = {
    "1a": "Exercise 1a: load_data",
    "1b": "Exercise 1b: sigmoid, sigmoid_grad",
    "1c": "Exercise 1c: bce_loss",
    "1d": "Exercise 1d: bce_grad",
    "1e": "Exercise 1e: init_weights, predict",
    "bonus": "Bonus: relu, relu_grad",
    "2": "Exercise 2: backprop",
    "3": "Exercise 3: load_data_multiclass, softmax, ce_backprop, predict_multiclass",
}

PASSED, FAILED, NOT_IMPLEMENTED, SKIPPED = "passed", "failed", "not implemented", "skipped"
SYMBOLS = {PASSED: "\u2713", FAILED: "\u2717", NOT_IMPLEMENTED: "\u25cb", SKIPPED: "\u00b7"}
ASCII_SYMBOLS = {PASSED: "ok", FAILED: "XX", NOT_IMPLEMENTED: "--", SKIPPED: ".."}


@dataclass
class CheckResult:
    """One public check: its exercise, its name, its status and, unless it passed, why."""
    exercise: str
    name: str
    status: str          # "passed", "failed", "not implemented" or "skipped"
    expected: str = ""
    got: str = ""
    hint: str = ""
    seconds: float = 0.0

    @property
    def passed(self):
        return self.status == PASSED


class SelfCheckResults(list):
    """The list of :class:`CheckResult` that run_selfcheck returns; shows as its summary line."""

    def tally(self, status=PASSED):
        """How many results have this status."""
        return sum(1 for result in self if result.status == status)

    @property
    def all_passed(self):
        return bool(self) and all(result.passed for result in self)

    def summary(self):
        parts = [f"{self.tally(FAILED)} failed"] if self.tally(FAILED) else []
        if self.tally(NOT_IMPLEMENTED):
            parts.append(f"{self.tally(NOT_IMPLEMENTED)} not written yet")
        if self.tally(SKIPPED):
            parts.append(f"{self.tally(SKIPPED)} skipped")
        more = f" ({', '.join(parts)})" if parts else ""
        return f"public checks: {self.tally(PASSED)}/{len(self)} passed{more}"

    def write_json(self, path):
        """Write the results as a JSON list of CheckResult fields to ``path`` (for the command line)."""
        Path(path).write_text(json.dumps([dataclasses.asdict(r) for r in self]), encoding="utf-8")

    @classmethod
    def read_json(cls, path):
        """What write_json wrote, or None if ``path`` holds nothing readable."""
        try:
            return cls(CheckResult(**entry) for entry in json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def __repr__(self):
        return f"<{self.summary()}>"

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))


# ---------------------------------------------------------------------------- outcomes of a check
class NotImplementedYet(Exception):
    """A function the check needs is missing or still raises NotImplementedError."""


class Skipped(Exception):
    """The check cannot run here: Skipped(reason, detail), e.g. no data files."""


class CallFailed(Exception):
    """A call into the notebook raised or returned something unusable; carries the Verdict."""

    def __init__(self, verdict):
        super().__init__(verdict.got)
        self.verdict = verdict


def load_fixture(path=FIXTURE_PATH):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _decode(name, value):
    """A fixture argument as the functions receive it: t an int array, other lists float arrays."""
    if name == "t":
        return np.array(value, dtype=int)
    if name in ("layer_sizes", "lam", "activation"):
        return copy.deepcopy(value)
    if isinstance(value, list):
        return np.array(value, dtype=float)
    return float(value)


def _shape_text(value):
    if isinstance(value, np.ndarray):
        return f"<array {value.shape}>"
    return repr(value)


def _where(error):
    """' (in f, line `code`)' for the innermost frame of the notebook's own code, if known."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if Path(frame.filename).resolve() != Path(__file__).resolve()
              and "numpy" not in Path(frame.filename).parts and "site-packages" not in frame.filename]
    if not frames:
        return ""
    frame = frames[-1]
    code = f", line `{frame.line.strip()}`" if frame.line else ""
    return f" (in {frame.name}{code})"


class Context:
    """What the checks use: the notebook's namespace, the fixture, and the warnings of the last calls."""

    def __init__(self, namespace, fixture):
        self.ns = namespace
        self.fixture = fixture
        self.cases = fixture["cases"]
        tol = fixture["tolerances"]
        self.rtol, self.atol = tol["rtol"], tol["atol"]
        self.fd_step, self.fd_rtol, self.fd_atol = tol["fd_step"], tol["fd_rtol"], tol["fd_atol"]
        self.warnings = []          # every warning since the check started
        self.call_warnings = []     # the warnings of the latest call only

    def function(self, name):
        func = self.ns.get(name)
        if func is None:
            raise NotImplementedYet(f"`{name}` is not defined: write it in its cell and run that cell")
        if not callable(func):
            raise CallFailed(Verdict(False, f"`{name}` to be a function", f"a {type(func).__name__}",
                                     f"Something later in the notebook reassigned the name `{name}`: rename that variable."))
        return func

    def call(self, name, *args, **kwargs):
        """name(*args, **kwargs) in the notebook, its prints discarded and its warnings recorded."""
        func = self.function(name)
        args = [copy.deepcopy(arg) for arg in args]   # a function that writes into its inputs spoils nothing
        shown = ", ".join([_shape_text(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
        with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn", divide="warn", invalid="warn"):
            warnings.simplefilter("always")
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    return func(*args, **kwargs)
            except NotImplementedError as error:
                raise NotImplementedYet(str(error) or f"`{name}` raises NotImplementedError") from None
            except (Exception, SystemExit) as error:
                raise CallFailed(Verdict(False, f"{name}({shown}) to return normally",
                                         f"it raised {type(error).__name__}: {error}{_where(error)}",
                                         "Run this call in your notebook to see the full traceback.")) from None
            finally:
                self.call_warnings = [f"{w.category.__name__}: {w.message}" for w in caught
                                      if "underflow" not in str(w.message)]
                self.warnings += self.call_warnings

    def case(self, case_id):
        return self.cases[case_id]

    def args(self, case_id):
        return [_decode(name, value) for name, value in self.case(case_id)["args"].items()]

    def kwargs(self, case_id):
        return dict(self.case(case_id).get("kwargs", {}))

    def call_case(self, case_id):
        case = self.case(case_id)
        try:
            return self.call(case["func"], *self.args(case_id), **self.kwargs(case_id))
        except CallFailed as failure:
            if failure.verdict.expected.endswith(" to return normally"):
                failure.verdict.expected = f"{self.describe_case(case_id)} to return normally"
            raise

    def describe_case(self, case_id):
        case = self.case(case_id)
        shown = []
        for name, value in case["args"].items():
            decoded = _decode(name, value)
            shown.append(f"{name} {decoded.shape}" if isinstance(decoded, np.ndarray) else repr(decoded))
        shown += [f"{key}={value!r}" for key, value in case.get("kwargs", {}).items()]
        return f"{case['func']}({', '.join(shown)})"


# ---------------------------------------------------------------------------- helpers
def n_params(layer_sizes):
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def unpack(W, layer_sizes):
    """[(W_l, b_l), ...] views of the flat vector (the layout of the contract)."""
    layers, start = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        weights = W[start:start + n_out * n_in].reshape(n_out, n_in)
        start += n_out * n_in
        layers.append((weights, W[start:start + n_out]))
        start += n_out
    return layers


def init_limit(n_in, n_out):
    return float(np.sqrt(2.0 / (n_in + n_out)))


def as_array(value, what):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise CallFailed(Verdict(False, f"{what}: numbers (a float or a numpy array)",
                                 f"{type(value).__name__} that numpy cannot read as numbers ({error})",
                                 "Return numbers, in the form the docstring asks for.")) from None


def as_number(value, what):
    array = as_array(value, what)
    if array.size != 1:
        raise CallFailed(Verdict(False, f"{what}: a single number", f"an array of {describe(array)}",
                                 "Return one number: average over the batch, and add the regularization once."))
    return float(array.reshape(()))


def _kind(value):
    """'a float', 'a numpy array of shape (3,)', 'a tuple of length 3': what came back, in words."""
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return "None" if value is None else f"a {type(value).__name__}"


def as_pair(value, name):
    """(loss, grad) from what backprop/ce_backprop returned."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise CallFailed(Verdict(False, f"{name} to return a pair (loss, grad)", _kind(value),
                                 "End with `return loss, grad`: the form minimize(..., jac=True) takes."))
    return value


def regularization_hint(ctx, case_id, difference, kind):
    """A hint naming the mistake when the lam > 0 result is off from the lam = 0 one by a known wrong penalty.

    difference: what the submission returned at lam minus the reference's value at lam = 0.
    kind: "loss" or "grad".
    """
    case = ctx.case(case_id)
    W = np.array(case["args"]["W"], dtype=float)
    sizes, lam = case["args"]["layer_sizes"], case["args"]["lam"]
    N = len(case["args"]["X"])
    weights_only = np.zeros_like(W)
    for (W_l, _), (M_l, _) in zip(unpack(W, sizes), unpack(weights_only, sizes)):
        M_l[...] = W_l
    if kind == "loss":
        right = lam * np.sum(weights_only ** 2)
        mistakes = [(lam * np.sum(W ** 2), "Your penalty includes the biases: regularize the weight matrices only."),
                    (right / 2, "Your penalty has a factor 1/2: R(W) = lam * sum(W_l**2), without 1/2."),
                    (right / N, "Your penalty is divided by N: R(W) = lam * sum(W_l**2), without 1/N."),
                    (0.0, "The loss does not change with lam: add R(W) = lam * sum(W_l**2).")]
    else:
        right = 2 * lam * weights_only
        mistakes = [(2 * lam * W, "Your gradient regularizes the biases: their penalty gradient is 0."),
                    (lam * weights_only, "The penalty's gradient is 2 * lam * W_l (the derivative of lam * w**2), not lam * W_l."),
                    (right / N, "The penalty's gradient is 2 * lam * W_l, without 1/N."),
                    (0 * W, "The gradient does not change with lam: add 2 * lam * W_l to each weight matrix's gradient.")]
    difference = np.asarray(difference, dtype=float).reshape(np.shape(right))
    for wrong, hint in mistakes:
        if np.allclose(difference, wrong, rtol=1e-6, atol=1e-9) and not np.allclose(wrong, right, rtol=1e-6, atol=1e-9):
            return hint
    return ""


# ---------------------------------------------------------------------------- the checks
def values_check(case_ids, output=None, scalar=False, hint="", exact=False, passed_text="Values match."):
    """Compare the result (or its ``output`` part: "loss"/"grad") of each case with the fixture."""
    def check(ctx):
        for case_id in case_ids:
            case = ctx.case(case_id)
            got = ctx.call_case(case_id)
            expected = case["expected"]
            label = ctx.describe_case(case_id)
            if output is not None:
                got = as_pair(got, case["func"])[0 if output == "loss" else 1]
                expected = expected[output]
                label = f"{output} of {label}"
            rtol, atol = (0.0, 0.0) if exact else (ctx.rtol, ctx.atol)
            if scalar:
                verdict = check_scalar(as_array(got, label), expected, label, rtol, atol)
            else:
                verdict = check_array(as_array(got, label), expected, label, rtol, atol)
            if not verdict.passed:
                specific = ""
                if case_id.endswith("-lam") and f"{case_id}0" in ctx.cases:   # lam > 0, and its lam = 0 twin
                    base = ctx.case(f"{case_id}0")["expected"]
                    base = np.asarray(base[output] if output is not None else base, dtype=float).reshape(-1)
                    mine = as_array(got, label).reshape(-1)
                    if mine.size == base.size:
                        specific = regularization_hint(ctx, case_id, mine - base, "loss" if scalar else "grad")
                verdict.hint = specific or verdict.hint or hint
                return verdict
        return Verdict(True, passed_text)
    return check


def stable_check(case_id, hint):
    """Values match and the call emits no overflow / invalid-value warning."""
    def check(ctx):
        verdict = values_check([case_id])(ctx)
        if not verdict.passed:
            verdict.hint = hint
            return verdict
        if ctx.call_warnings:
            return Verdict(False, f"{ctx.describe_case(case_id)} without warnings",
                           "; ".join(dict.fromkeys(ctx.call_warnings))[:300], hint)
        return Verdict(True, "Exact, finite and silent for large inputs.")
    return check


def scalar_check(ctx):
    for func in ("sigmoid", "sigmoid_grad"):
        case_id = f"{func}-scalar"
        got = as_array(ctx.call_case(case_id), f"{func}(scalar)")
        verdict = check_scalar(got, ctx.case(case_id)["expected"], ctx.describe_case(case_id), ctx.rtol, ctx.atol)
        if not verdict.passed:
            verdict.hint = "Use numpy functions (np.exp, np.logaddexp, np.where) that work on scalars too; avoid len(a) and a[...]."
            return verdict
    return Verdict(True, "sigmoid and sigmoid_grad accept a scalar.")


def fd_check(case_id, gradient_of, loss_of):
    """The submission's gradient at the case's W against central differences of its own loss."""
    def check(ctx):
        case = ctx.case(case_id)
        args = ctx.args(case_id)
        kwargs = ctx.kwargs(case_id)
        W0 = args[0]
        func = case["func"]
        grad = as_array(gradient_of(ctx, func, args, kwargs), f"the gradient of {func}").reshape(-1)
        if grad.size != W0.size:
            return Verdict(False, f"a gradient of {W0.size} values (the shape of W)", f"{grad.size} values",
                           "The gradient has the layout of W: build it with np.zeros_like(W) and fill unpack's views.")
        h = ctx.fd_step
        slopes = np.empty(W0.size)
        for i in range(W0.size):
            step = np.zeros_like(W0)
            step[i] = h
            up = loss_of(ctx, func, [W0 + step, *args[1:]], kwargs)
            down = loss_of(ctx, func, [W0 - step, *args[1:]], kwargs)
            slopes[i] = (up - down) / (2 * h)
        verdict = check_array(grad, slopes, "central differences of your own loss", ctx.fd_rtol, ctx.fd_atol)
        if verdict.passed:
            return Verdict(True, "Your gradient agrees with central differences of your own loss.")
        return Verdict(False,
                       f"your gradient to agree with central differences of your own loss "
                       f"({ctx.describe_case(case_id)}): {describe(slopes)}",
                       f"{describe(grad)} (relative error {relative_error(grad, slopes):.2e})",
                       "Your gradient is not the derivative of your loss. Check each term: the regularization "
                       "gradient (2 * lam * W_l, none for biases), the 1/N, and g'(A_l) at each hidden layer.")
    return check


def _bce_gradient(ctx, func, args, kwargs):
    return ctx.call("bce_grad", *args, **kwargs)


def _bce_loss(ctx, func, args, kwargs):
    return as_number(ctx.call("bce_loss", *args, **kwargs), "bce_loss")


def _pair_gradient(ctx, func, args, kwargs):
    return as_pair(ctx.call(func, *args, **kwargs), func)[1]


def _pair_loss(ctx, func, args, kwargs):
    return as_number(as_pair(ctx.call(func, *args, **kwargs), func)[0], f"the loss of {func}")


# -- data ----------------------------------------------------------------------
def data_check(case_id, labels_text, shapes_only):
    def check(ctx):
        case = ctx.case(case_id)
        missing = [f"{name}.mat" for name in case["files"] if not (Path.cwd() / f"{name}.mat").is_file()]
        if missing:
            raise Skipped("data files not found", f"{', '.join(missing)} not in {Path.cwd()}")
        func, expected = case["func"], case["expected"]
        result = ctx.call(func)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            return Verdict(False, f"{func}() to return a pair (X, t)", _kind(result),
                           "End with `return X, t`.")
        X, t = as_array(result[0], "X"), as_array(result[1], "t")
        X_shape, t_shape = tuple(expected["X_shape"]), tuple(expected["t_shape"])
        if X.shape != X_shape:
            return Verdict(False, f"X of shape {X_shape}", f"X of shape {X.shape}",
                           "Stack the classes' points as rows (np.vstack): one row per point, two columns.")
        if t.size != t_shape[0]:
            return Verdict(False, f"t with {t_shape[0]} labels, shape {t_shape}", f"t of shape {t.shape}",
                           "One label per row of X.")
        if shapes_only:
            return Verdict(True, f"X {X_shape} and t {t_shape} have the right shapes.")
        for index, row in expected["rows"].items():
            verdict = check_array(X[int(index)], row, f"row {index} of X", 1e-12, 0.0)
            if not verdict.passed:
                verdict.hint = "Load the class files in order (class 1 first) and stack them without shuffling."
                return verdict
        counts = expected["label_counts"]
        wanted = np.repeat(np.arange(len(counts)), counts)
        verdict = check_array(t.reshape(-1), wanted, f"labels {labels_text}, in file order", 0.0, 0.0)
        if not verdict.passed:
            verdict.hint = "Class k gets label k - 1: the points of the first file get 0."
            return verdict
        return Verdict(True, "X and t match the data files.")
    return check


# -- 1e ------------------------------------------------------------------------
def _init(ctx, sizes, seed):
    """init_weights(sizes, default_rng(seed)) as a flat array, checked for length and finiteness."""
    W = as_array(ctx.call("init_weights", list(sizes), np.random.default_rng(seed)), "init_weights").reshape(-1)
    if W.size != n_params(sizes):
        raise CallFailed(Verdict(False, f"init_weights({sizes}, rng) to return {n_params(sizes)} values",
                                 f"{W.size} values", "One flat vector: each W_l row-major, then b_l, layer by layer."))
    if not np.all(np.isfinite(W)):
        raise CallFailed(Verdict(False, "finite initial weights", describe(W)))
    return W


def init_bounds_check(ctx):
    args = ctx.case("init_weights")["args"]
    for sizes in args["layer_sizes"]:
        W = _init(ctx, sizes, args["seeds"][0])
        for l, (W_l, b_l) in enumerate(unpack(W, sizes), start=1):
            limit = init_limit(sizes[l - 1], sizes[l])
            if np.max(np.abs(W_l)) > limit * (1 + 1e-9):
                return Verdict(False, f"layer {l} of {sizes}: weights in [-{limit:.4f}, {limit:.4f}]",
                               f"max |W_{l}| = {np.max(np.abs(W_l)):.4f}",
                               "e_l = sqrt(2 / (n[l-1] + n[l])) uses the sizes of layer l and of the layer before it.")
            if np.max(np.abs(b_l)) > limit * (1 + 1e-9):
                return Verdict(False, f"layer {l} of {sizes}: biases 0 (or in [-{limit:.4f}, {limit:.4f}])",
                               f"max |b_{l}| = {np.max(np.abs(b_l)):.4f}", "Set the biases to 0.")
    return Verdict(True, "Right length, and every layer's weights lie in [-e_l, e_l].")


def init_random_check(ctx):
    args = ctx.case("init_weights")["args"]
    first, second = args["seeds"]
    for sizes in args["layer_sizes"]:
        W = _init(ctx, sizes, first)
        for l, (W_l, _) in enumerate(unpack(W, sizes), start=1):
            if np.all(W_l == 0):
                return Verdict(False, f"layer {l} of {sizes}: random weights", "all weights 0",
                               "Draw the weights with rng.uniform(-e_l, e_l, size=W_l.shape).")
            if W_l.shape[0] > 1 and len(np.unique(W_l, axis=0)) < W_l.shape[0]:
                return Verdict(False, f"layer {l} of {sizes}: each unit with its own random weights",
                               "two units (rows of W_l) with identical weights",
                               "Units that start equal stay equal under gradient descent: draw every weight independently.")
        again = _init(ctx, sizes, first)
        if not np.array_equal(W, again):
            return Verdict(False, "the same weights from two generators with the same seed",
                           "different weights each time",
                           "Draw every random number from the rng argument (rng.uniform(...)), not from np.random.")
        if np.array_equal(W, _init(ctx, sizes, second)):
            return Verdict(False, "different weights from generators with different seeds", "the same weights",
                           "Draw the random numbers from the rng argument, not from a generator of your own.")
    sizes = args["spread_sizes"]
    W = _init(ctx, sizes, first)
    for l, (W_l, _) in enumerate(unpack(W, sizes), start=1):
        limit = init_limit(sizes[l - 1], sizes[l])
        sample = np.sort(W_l.reshape(-1))
        distance = float(np.max(np.abs(np.arange(1, sample.size + 1) / sample.size - (sample + limit) / (2 * limit))))
        if distance > 2.5 / np.sqrt(sample.size):   # Kolmogorov-Smirnov; a uniform sample passes but 1 time in 10^5
            return Verdict(False, f"layer {l} of {sizes}: weights spread uniformly over [-{limit:.4f}, {limit:.4f}]",
                           f"a distribution {distance:.3f} away from uniform (Kolmogorov-Smirnov distance); "
                           f"std {np.std(sample):.4f} instead of {limit / np.sqrt(3):.4f}",
                           "Draw from rng.uniform(-e_l, e_l, size=...), not from a normal law or a narrower interval.")
    return Verdict(True, "Weights are random, drawn from rng, and spread uniformly.")


# -- bonus ---------------------------------------------------------------------
def relu_grad_check(ctx):
    case = ctx.case("relu_grad-values")
    a = np.array(case["args"]["a"], dtype=float)
    got = as_array(ctx.call_case("relu_grad-values"), ctx.describe_case("relu_grad-values"))
    if got.size != a.size:
        return check_array(got, case["expected"], ctx.describe_case("relu_grad-values"))
    got = got.reshape(a.shape)
    expected = np.array(case["expected"], dtype=float)
    away = a != 0
    verdict = check_array(got[away], expected[away], "relu_grad(a) where a != 0", ctx.rtol, ctx.atol)
    if not verdict.passed:
        verdict.hint = "relu'(a) is 1 where a > 0 and 0 where a < 0."
        return verdict
    if not np.all(np.isin(got[~away], (0.0, 1.0))):
        return Verdict(False, "relu_grad(0) equal to 0 or 1", describe(got[~away]))
    return Verdict(True, "relu_grad matches (0 or 1 at the kink).")


def backprop_relu_check(ctx):
    for output in ("loss", "grad"):
        verdict = values_check(["backprop-relu"], output=output, scalar=output == "loss")(ctx)
        if not verdict.passed:
            verdict.hint = verdict.hint or ("With activation='relu' the hidden layers use relu and relu_grad; "
                                            "the output stays a sigmoid with the binary cross-entropy.")
            return verdict
    return Verdict(True, "backprop with relu hidden layers matches.")


# ---------------------------------------------------------------------------- the list
FORWARD_HINT = ("Check the forward pass: A_l = Z_{l-1} @ W_l.T + b_l with W_l of shape (n[l], n[l-1]) "
                "(unpack gives the layout), and the mean over the N samples.")
OVERFLOW_HINT = ("exp(-a) overflows for a << 0: rewrite the formula so that exp only sees non-positive numbers "
                 "(np.where on the sign of a), or use np.logaddexp.")

CHECKS = [
    ("1a", "load_data returns X (N, 2) and t (N,)", data_check("load_data", "{0, 1}", shapes_only=True)),
    ("1a", "load_data: class 1 rows first, labels 0 then 1", data_check("load_data", "{0, 1}", shapes_only=False)),

    ("1b", "sigmoid values (vector and matrix)",
     values_check(["sigmoid-vector", "sigmoid-matrix"], hint="sigma(a) = 1 / (1 + exp(-a)), elementwise, same shape as a.")),
    ("1b", "sigmoid_grad values: sigma(a) * (1 - sigma(a))",
     values_check(["sigmoid_grad-vector", "sigmoid_grad-matrix"],
                  hint="sigma'(a) = sigma(a) * (1 - sigma(a)), taken at the pre-activation a (not at sigma(a)).")),
    ("1b", "sigmoid and sigmoid_grad accept a scalar", scalar_check),
    ("1b", "sigmoid is stable for |a| up to 1000 (no warning, no NaN)", stable_check("sigmoid-extreme", OVERFLOW_HINT)),
    ("1b", "sigmoid_grad is stable for |a| up to 1000", stable_check("sigmoid_grad-extreme", OVERFLOW_HINT)),

    ("1c", "bce_loss without regularization (lam = 0)",
     values_check(["bce_loss-lam0"], scalar=True, hint=FORWARD_HINT + " p = sigmoid(A_2)[:, 0].")),
    ("1c", "bce_loss with regularization (lam = 0.1, biases not regularized)",
     values_check(["bce_loss-lam"], scalar=True,
                  hint="R(W) = lam * (sum of the squared entries of every weight matrix): no biases, no 1/2, no 1/N.")),

    ("1d", "bce_grad without regularization (lam = 0)",
     values_check(["bce_grad-lam0"], hint="Output delta p - t, hidden deltas (delta @ W_2) * sigma'(A_1); "
                                          "divide by N once; return one flat vector in the layout of W.")),
    ("1d", "bce_grad with regularization (lam = 0.1)",
     values_check(["bce_grad-lam"], hint="Add 2 * lam * W_l to each weight matrix's gradient, nothing to the biases.")),
    ("1d", "bce_grad is the derivative of your own bce_loss (finite differences)",
     fd_check("bce_grad-lam", _bce_gradient, _bce_loss)),

    ("1e", "init_weights: length and per-layer bounds e_l", init_bounds_check),
    ("1e", "init_weights: random, drawn from rng, spread uniformly", init_random_check),
    ("1e", "predict gives labels p >= 0.5 -> 1",
     values_check(["predict"], exact=True, hint="Return (p >= 0.5).astype(int) with p = sigmoid(A_L)[:, 0], shape (N,).")),

    ("bonus", "relu values", values_check(["relu-values"], hint="relu(a) = np.maximum(a, 0), elementwise.")),
    ("bonus", "relu_grad values (either value at 0)", relu_grad_check),
    ("bonus", "backprop(..., activation='relu'): loss and gradient", backprop_relu_check),

    ("2", "backprop loss, lam = 0 and 0.1 ([2, 3, 2, 1])",
     values_check(["backprop-lam0", "backprop-lam"], output="loss", scalar=True, hint=FORWARD_HINT)),
    ("2", "backprop gradient, lam = 0 and 0.1 ([2, 3, 2, 1])",
     values_check(["backprop-lam0", "backprop-lam"], output="grad",
                  hint="Delta_L = (p - t) / N as an (N, 1) column, then Delta_{l-1} = (Delta_l @ W_l) * g'(A_{l-1}); "
                       "dE/dW_l = Delta_l.T @ Z_{l-1} + 2 lam W_l, dE/db_l = Delta_l summed over the samples.")),
    ("2", "backprop gradient is the derivative of your own loss (finite differences)",
     fd_check("backprop-lam", _pair_gradient, _pair_loss)),

    ("3", "load_data_multiclass: X (N, 2), labels 0, 1, 2 in file order",
     data_check("load_data_multiclass", "{0, 1, 2}", shapes_only=False)),
    ("3", "softmax values, row by row",
     values_check(["softmax-values"], hint="exp of each entry divided by the sum of exp over its row (axis=1, keepdims=True).")),
    ("3", "softmax is stable for logits of 1000",
     stable_check("softmax-large", "Subtract each row's maximum before exp: softmax is unchanged and exp never overflows.")),
    ("3", "ce_backprop loss, lam = 0 and 0.1 ([2, 4, 3])",
     values_check(["ce_backprop-lam0", "ce_backprop-lam"], output="loss", scalar=True,
                  hint="-(1/N) * sum_n log Y[n, t_n] + R(W), with Y = softmax(A_L): pick each row's entry at its label.")),
    ("3", "ce_backprop gradient, lam = 0 and 0.1 ([2, 4, 3])",
     values_check(["ce_backprop-lam0", "ce_backprop-lam"], output="grad",
                  hint="Delta_L = (Y - T) / N with T the one-hot (N, K) matrix of the labels; the rest is backprop's.")),
    ("3", "ce_backprop gradient is the derivative of your own loss (finite differences)",
     fd_check("ce_backprop-lam", _pair_gradient, _pair_loss)),
    ("3", "predict_multiclass gives the argmax labels",
     values_check(["predict_multiclass"], exact=True, hint="np.argmax of the output layer, along axis=1: shape (N,).")),
]


# ---------------------------------------------------------------------------- running and printing
def _run_one(ctx, exercise, name, check):
    ctx.warnings, ctx.call_warnings = [], []
    started = time.monotonic()
    try:
        verdict = check(ctx)
        result = CheckResult(exercise, name, PASSED if verdict.passed else FAILED,
                             verdict.expected, verdict.got, verdict.hint)
    except NotImplementedYet as error:
        result = CheckResult(exercise, name, NOT_IMPLEMENTED, got=str(error))
    except Skipped as error:
        reason, *detail = error.args
        result = CheckResult(exercise, name, SKIPPED, got=reason, hint=" ".join(detail))
    except CallFailed as error:
        verdict = error.verdict
        result = CheckResult(exercise, name, FAILED, verdict.expected, verdict.got, verdict.hint)
    except Exception as error:   # something the submission returned that the check could not handle
        result = CheckResult(exercise, name, FAILED, "the check to run",
                             f"it stopped with {type(error).__name__}: {error}",
                             "Return what the docstring asks for: numbers or numpy arrays of the given shapes.")
    if result.status == FAILED and ctx.warnings and "warning" not in result.got.lower():
        result.got += f" (warnings: {'; '.join(dict.fromkeys(ctx.warnings))[:200]})"
    result.seconds = time.monotonic() - started
    return result


def _symbols(stream):
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(SYMBOLS.values()).encode(encoding)
        return SYMBOLS
    except (UnicodeEncodeError, LookupError):
        return ASCII_SYMBOLS


def format_report(results, symbols=SYMBOLS, width=LINE_WIDTH):
    """The terminal report: exercise by exercise, then the summary line and what it means."""
    title = "Week 6 self-check: public tests"
    lines = [title, "=" * len(title)]
    for exercise, heading in EXERCISES.items():
        mine = [r for r in results if r.exercise == exercise]
        if not mine:
            continue
        passed = sum(r.passed for r in mine)
        lines += ["", f"{heading}  ({passed}/{len(mine)} passed)"]
        for r in mine:
            if r.status == NOT_IMPLEMENTED:
                lines.append(f"  {symbols[r.status]} {r.name}: not written yet")
                lines += textwrap.wrap(r.got, width, initial_indent="      ", subsequent_indent="      ")
                continue
            if r.status == SKIPPED:
                lines.append(f"  {symbols[r.status]} {r.name}: skipped: {r.got}")
                lines += textwrap.wrap(r.hint, width, initial_indent="      ", subsequent_indent="      ")
                continue
            lines.append(f"  {symbols[r.status]} {r.name}")
            if r.status == FAILED:
                for label, text in (("expected", r.expected), ("got", r.got), ("hint", r.hint)):
                    if text:
                        lines += textwrap.wrap(text, width, initial_indent=f"      {label + ':':<10}",
                                               subsequent_indent=" " * 16, break_on_hyphens=False)
    lines += ["", results.summary() if isinstance(results, SelfCheckResults) else SelfCheckResults(results).summary()]
    if any(r.status == SKIPPED for r in results):
        lines.append("Skipped checks need the .mat data files in the current directory (next to the notebook).")
    lines += textwrap.wrap("These checks are not your grade: the grader runs hidden tests on other inputs "
                           "(new for every submission) and also checks that your training reaches the "
                           "reference's accuracy.", width)
    return "\n".join(lines)


def run_selfcheck(namespace, verbose=True):
    """Run the public checks on the functions defined in ``namespace`` (the notebook's ``globals()``).

    Returns a :class:`SelfCheckResults`, a list of :class:`CheckResult`; with verbose, prints the report.
    Never raises because of the notebook's code: each check's problems are reported in its result.
    """
    if not hasattr(namespace, "get"):
        namespace = vars(namespace)   # a module works too
    try:
        fixture = load_fixture()
    except (OSError, ValueError) as error:
        if verbose:
            print(f"The self-check needs public_fixture.json next to {Path(__file__).name} "
                  f"({FIXTURE_PATH}): {error}")
        return SelfCheckResults()
    ctx = Context(namespace, fixture)
    results = SelfCheckResults(_run_one(ctx, exercise, name, check) for exercise, name, check in CHECKS)
    if verbose:
        print(format_report(results, _symbols(sys.stdout)))
    return results


# ---------------------------------------------------------------------------- the notebook runner
SHIPPED_FILES = {"week6_selfcheck.py": Path(__file__).resolve(),
                 "arraycheck.py": HERE / "arraycheck.py",
                 "public_fixture.json": FIXTURE_PATH}
# Exit statuses of the command line: CI and GitHub Classroom gate on them.
ALL_PASSED, NOT_ALL_PASSED, CANNOT_CHECK = 0, 1, 2


def _print(text, stream=None):
    """Print text, replacing what the terminal's encoding cannot show."""
    stream = stream or sys.stdout
    if _symbols(stream) is ASCII_SYMBOLS:
        for status, symbol in SYMBOLS.items():
            text = text.replace(f"  {symbol} ", f"  {ASCII_SYMBOLS[status]} ")
    encoding = getattr(stream, "encoding", None) or "ascii"
    print(text.encode(encoding, "replace").decode(encoding), file=stream)


def missing_modules():
    """The modules of RUNNER_MODULES that this Python cannot import, in that order."""
    return [name for name in RUNNER_MODULES if importlib.util.find_spec(name) is None]


def data_files(fixture):
    """The .mat files the notebook loads: those the fixture's data checks read."""
    return sorted({f"{name}.mat" for case in fixture["cases"].values() for name in case.get("files", [])})


def prepare_workdir(notebook_path, wanted):
    """A temporary directory with the data files (the notebook's own, else those beside this file as
    the bundle has them, else the repository's) and the self-check; returns it and the names of the
    ``wanted`` data files found nowhere."""
    workdir = Path(tempfile.mkdtemp(prefix="week6-check-"))
    missing = []
    for name in wanted:
        source = next((folder / name for folder in (Path(notebook_path).resolve().parent, HERE, DATA_DIR)
                       if (folder / name).is_file()), None)
        if source is None:
            missing.append(name)
        else:
            shutil.copy(source, workdir / name)
    for name, source in SHIPPED_FILES.items():
        shutil.copy(source, workdir / name)
    return workdir, missing


def _is_selfcheck_cell(cell):
    return (cell.get("metadata", {}).get("week6", {}).get("role") == "selfcheck"
            or "run_selfcheck(" in cell.get("source", ""))


def _first_line(text, limit=90):
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[:limit - 3] + "..."


def unanswered_questions(nb):
    """The notebook's written questions still blank or at the template's text: [(exercise, prompt)].

    Informational only: the TAs read the answers, so they change neither the checks nor the exit status.
    None when written_answers.py is not next to this file (then nothing can be said).
    """
    try:
        from .written_answers import unanswered
    except ImportError:
        try:
            from written_answers import unanswered
        except ImportError:
            return None
    return [(question.exercise, question.prompt) for question in unanswered(nb)]


def unanswered_report(nb):
    """The lines check_notebook prints about the written questions ("" when it cannot tell)."""
    questions = unanswered_questions(nb)
    if questions is None:
        return ""
    if not questions:
        return "\nWritten questions: all answered (your TA reads them; they are not checked here)."
    lines = [f"\nWritten questions still unanswered ({len(questions)}; your TA reads them, no check here):"]
    lines += [f"  {'bonus' if exercise == 'bonus' else 'exercise ' + exercise}: {prompt}" for exercise, prompt in questions]
    return "\n".join(lines)


def describe_cell(cells, index, heading=True):
    """A cell as a student finds it in Jupyter, which shows no cell numbers: its first line of code
    (past comments and the template's ``with keep_going():``) and the heading above it."""
    lines = [line.strip() for line in cells[index].get("source", "").splitlines()]
    code = [line for line in lines if line and not line.startswith("#") and line != "with keep_going():"]
    first = _first_line(code[0] if code else (lines[0] if lines else "(empty)"), 60)
    above = next((line.lstrip("#").strip() for cell in reversed(cells[:index]) if cell.get("cell_type") == "markdown"
                  for line in reversed(cell.get("source", "").splitlines()) if line.startswith("#")), None)
    return f"the cell `{first}`" + (f" (under \"{_first_line(above, 50)}\")" if heading and above else "")


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
TRACEBACK_FRAME = re.compile(r"^Cell In\[(\d+)\], line \d+, in (\w+)")   # IPython's header of a frame in a cell


def raised_in(cells, error_output):
    """' (raised in f, in the cell `def f(x):`)' for the innermost function of the notebook in an error
    output's traceback, or '' (a cell found by its execution count: IPython names cells In[n])."""
    frames = [TRACEBACK_FRAME.match(ANSI_ESCAPE.sub("", entry)) for entry in error_output.get("traceback", [])]
    frames = [frame for frame in frames if frame]
    if not frames:
        return ""
    count, function = int(frames[-1].group(1)), frames[-1].group(2)
    index = next((i for i, cell in enumerate(cells) if cell.get("execution_count") == count), None)
    where = f", in {describe_cell(cells, index, heading=False)}" if index is not None else ""
    return f" (raised in {function}{where})"


def check_notebook(path, exercises=None):
    """Run the notebook at ``path`` in a fresh local kernel, then the self-check in the same kernel.

    Prints the self-check's report and the notebook cells that raised. Returns ALL_PASSED (0) when
    every public check passed, NOT_ALL_PASSED (1) when one failed or is not written yet (or the
    notebook's code stopped the check), CANNOT_CHECK (2) when the notebook cannot be read or this
    computer lacks what the check needs (a package, the data files, a working kernel).

    ``exercises``: only the checks of these exercise ids ("1a", ..., "bonus") are reported and
    decide the status; the run is kept (RUN_CACHE), so that checking the exercises one by one,
    as GitHub Classroom's tests do, runs an unchanged notebook once.
    """
    path = Path(path)
    missing = missing_modules()
    if missing:
        _print(f"error: the self-check needs the Python package(s) {', '.join(missing)}, missing from "
               f"{sys.executable}; install them with: {sys.executable} -m pip install {' '.join(STUDENT_PACKAGES)}",
               sys.stderr)
        return CANNOT_CHECK
    import nbformat
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as error:   # missing file, not JSON, not a notebook
        _print(f"error: cannot read {path} as a notebook: {type(error).__name__}: {_first_line(error, 200)}",
               sys.stderr)
        return CANNOT_CHECK
    try:
        fixture = load_fixture()
    except (OSError, ValueError) as error:
        _print(f"error: the self-check needs {FIXTURE_PATH.name} next to {Path(__file__).name}: {error}", sys.stderr)
        return CANNOT_CHECK
    workdir, missing_data = prepare_workdir(path, data_files(fixture))
    try:
        if missing_data:
            _print(f"error: the data files {', '.join(missing_data)} are not next to {path.name} "
                   f"({path.resolve().parent}) nor to {Path(__file__).name}: keep the notebook in the folder "
                   "of the lab's files", sys.stderr)
            return CANNOT_CHECK
        cache = RUN_CACHE / f"{_run_key(path, workdir)}.json" if exercises else None
        kept = SelfCheckResults.read_json(cache) if cache else None
        if kept is not None:
            _print(f"(The checks of {path.name} as the self-check ran them a moment ago: the notebook, "
                   "the data and the self-check have not changed since.)")
            return _report_exercises(kept, exercises)
        return _run_and_report(nb, path, workdir, exercises, cache)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):   # a uid without a name (some containers)
        return str(getattr(os, "getuid", lambda: "user")())


# Where check_notebook keeps its runs for --exercise, one file per (notebook, data, self-check, Python);
# one folder per user of a shared computer.
RUN_CACHE = Path(tempfile.gettempdir()) / f"week6-selfcheck-runs-{_user()}"


def _run_key(path, workdir):
    """A hash of everything a run's results depend on: the notebook, the files of its working
    directory (data and self-check) and the Python that runs it."""
    digest = hashlib.sha256(Path(path).read_bytes())
    for name in sorted(entry.name for entry in workdir.iterdir()):
        digest.update(name.encode() + b"\0" + (workdir / name).read_bytes())
    digest.update(sys.executable.encode())
    return digest.hexdigest()[:32]


def _report_exercises(results, exercises):
    """Print the checks of ``exercises`` only; ALL_PASSED when each of them passed."""
    mine = SelfCheckResults(r for r in results if r.exercise in exercises)
    _print("")
    _print(format_report(mine, _symbols(sys.stdout)))
    passed = mine.all_passed
    _print(f"\nExercise(s) {', '.join(exercises)}: " + ("every public check passed." if passed else
                                                        f"not every public check passes yet (exit status {NOT_ALL_PASSED})."))
    return ALL_PASSED if passed else NOT_ALL_PASSED


def _kernel_manager_class(runtime):
    """A kernel manager for the python3 kernel of this very interpreter, whatever kernelspecs the
    computer has; on macOS and Linux it talks over Unix sockets, not TCP."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default
    use_ipc = os.name == "posix"

    class CurrentPythonKernel(AsyncKernelManager):
        @default("transport")
        def _default_transport(self):
            return "ipc" if use_ipc else "tcp"

        @default("ip")
        def _default_ip(self):
            return str(runtime / "k") if use_ipc else "127.0.0.1"

        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file, *(extra_arguments or [])]

    return CurrentPythonKernel


def _run_and_report(nb, path, workdir, exercises=None, cache=None):
    """Execute ``nb`` in ``workdir``, print what happened, return the exit status; with ``exercises``,
    report those only, and keep a complete run's results in ``cache``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    runtime = Path(tempfile.mkdtemp(prefix="week6-kernel-"))   # sockets, the kernel's log, the results
    code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and not _is_selfcheck_cell(cell)]
    _print(f"Running {path.name} ({len(code_cells)} code cells) in a fresh kernel; this takes a minute ...")
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, kernel_manager_class=_kernel_manager_class(runtime),
                            resources={"metadata": {"path": str(workdir)}})
    run = {"problems": [], "died": None, "report": None, "failure": None, "started": False,
           "results": runtime / "results.json"}
    kernel_log = open(runtime / "kernel.log", "wb")   # the kernel process's own output (not the cells')
    try:
        with client.setup_kernel(stdout=kernel_log, stderr=kernel_log):
            run["started"] = True
            _run_cells(client, nb, code_cells, DeadKernelError, run)
    except Exception as error:   # the kernel would not start, or the connection broke
        run["failure"] = run["failure"] or f"{type(error).__name__}: {_first_line(error, 200)}"
    finally:
        kernel_log.close()
        log = (runtime / "kernel.log").read_text(encoding="utf-8", errors="replace")
        results = SelfCheckResults.read_json(run["results"])
        shutil.rmtree(runtime, ignore_errors=True)

    status = NOT_ALL_PASSED
    complete = run["started"] and run["died"] is None and not run["failure"] and results is not None
    if exercises and complete:
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                results.write_json(cache)
            except OSError:   # only a saving of time: the next --exercise runs the notebook again
                pass
        return _report_exercises(results, exercises)
    if run["report"] is not None:
        _print("")
        _print(run["report"])
    if not run["started"]:
        _print(f"\nerror: the Python kernel would not start: {run['failure']}", sys.stderr)
        status = CANNOT_CHECK
    elif run["died"] is not None:
        index, error = run["died"]
        where = f" in {describe_cell(nb.cells, index)}" if index is not None else " during the self-check"
        _print(f"\nThe kernel died{where}: {_first_line(error, 200)}. The self-check could not run to the end; "
               "look for code that uses a lot of memory or exits Python.")
    elif run["failure"]:
        _print(f"\nThe self-check could not run to the end: {run['failure']}")
    elif results is not None and results.all_passed:
        status = ALL_PASSED
    if status != ALL_PASSED and (run["died"] is not None or run["failure"]):
        tail = [line for line in log.splitlines() if line.strip() and "without encryption" not in line][-10:]
        if tail:
            _print("The kernel's last messages:\n" + "\n".join("  " + line for line in tail))
    if run["problems"]:
        _print(f"\nNotebook cells that raised an error ({len(run['problems'])}):")
        for index, message in run["problems"]:
            _print(f"  {describe_cell(nb.cells, index)}: {message}")
    elif run["started"] and run["died"] is None:
        _print("\nNo notebook cell raised an error.")
    if run["started"]:
        _print("\nAll public checks passed." if status == ALL_PASSED else
               f"\nNot every public check passes yet (exit status {status}).")
    report = unanswered_report(nb)
    if report:
        _print(report)
    return status


def _run_cells(client, nb, code_cells, dead_kernel_error, run):
    """Execute the code cells, then the self-check cell, filling ``run``: "problems" [(index, message)],
    "died" (index, error) or None, "report" the self-check's printed text, "failure" text or None."""
    import nbformat
    for index in code_cells:
        started = time.monotonic()
        try:
            client.execute_cell(nb.cells[index], index)
        except dead_kernel_error as error:
            run["died"] = (index, error)
            return
        for output in nb.cells[index].get("outputs", []):
            if output.get("output_type") == "error":
                timed_out = output.get("ename") == "KeyboardInterrupt" and time.monotonic() - started >= CELL_TIMEOUT
                message = (f"timed out after {CELL_TIMEOUT} s (interrupted)" if timed_out
                           else f"{output.get('ename')}: {_first_line(output.get('evalue', ''))}"
                                f"{raised_in(nb.cells, output)}")
                run["problems"].append((index, message))
    nb.cells.append(nbformat.v4.new_code_cell(SELFCHECK_CELL.format(results=str(run["results"]))))
    index = len(nb.cells) - 1
    started = time.monotonic()
    try:
        client.execute_cell(nb.cells[index], index)
    except dead_kernel_error as error:
        run["died"] = (None, error)
    outputs = nb.cells[index].get("outputs", [])
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")
    run["report"] = text.rstrip("\n") or None
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if errors:
        ename = errors[0].get("ename")
        run["failure"] = (f"it ran longer than {CELL_TIMEOUT} s (does a function loop forever?)"
                          if ename == "KeyboardInterrupt" and time.monotonic() - started >= CELL_TIMEOUT
                          else f"{ename}: {_first_line(errors[0].get('evalue', ''), 200)}")
    elif run["report"] is None and run["died"] is None:
        run["failure"] = "it printed nothing"


SELFCHECK_CELL = ("from week6_selfcheck import run_selfcheck as _week6_run_selfcheck\n"
                  "_week6_run_selfcheck(globals()).write_json({results!r})")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=f"python {Path(__file__).name}",
        description="Runs the notebook top to bottom in a fresh kernel, next to the lab's data files, then the "
                    "public self-check on its functions, and prints what passed, what failed and why.",
        epilog=f"Exit status: {ALL_PASSED} when every public check passes; {NOT_ALL_PASSED} when one fails or a "
               f"function is not written yet; {CANNOT_CHECK} when the notebook cannot be read or a package or a "
               f"data file is missing. Needs: pip install {' '.join(STUDENT_PACKAGES)}. The public checks are not "
               "your grade: the grader runs hidden tests too.")
    parser.add_argument("notebook", metavar="NOTEBOOK", help="your notebook, e.g. week6_backprop.ipynb")
    parser.add_argument("--exercise", action="append", choices=list(EXERCISES), metavar="ID",
                        help=f"report only this exercise's checks ({', '.join(EXERCISES)}; repeatable): the exit "
                             "status is theirs. The run is kept for the next --exercise on the same notebook.")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return check_notebook(args.notebook, args.exercise)


if __name__ == "__main__":
    raise SystemExit(main())
