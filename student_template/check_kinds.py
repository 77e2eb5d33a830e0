"""The public checks' kinds: :data:`KINDS` maps each kind of ``public_fixture.json``'s check list to the
judge that kind of entry gets; a judge reads the notebook's calls through a :class:`notebook_calls.Context`
and returns an :class:`arraycheck.Verdict` (or raises one of notebook_calls' outcomes). The values and
the init-bounds judges are the grader's too (:mod:`common_judges`).

Needs numpy, ``arraycheck.py``, ``check_model.py``, ``common_judges.py`` and ``notebook_calls.py``
(next to this file) only.
"""
from pathlib import Path

import numpy as np

try:
    from .arraycheck import Verdict, check_array, check_scalar, check_uniform, describe, relative_error, same
    from .check_model import reads
    from .common_judges import init_bounds_judge, init_limit, n_params, unpack, values_judge
    from .notebook_calls import PAIR, CallFailed, Skipped, _kind, as_array, as_pair
except ImportError:   # shipped to students next to the files it needs
    from arraycheck import Verdict, check_array, check_scalar, check_uniform, describe, relative_error, same
    from check_model import reads
    from common_judges import init_bounds_judge, init_limit, n_params, unpack, values_judge
    from notebook_calls import PAIR, CallFailed, Skipped, _kind, as_array, as_pair


# ---------------------------------------------------------------------------- helpers
def as_number(value, what):
    array = as_array(value, what)
    if array.size != 1:
        raise CallFailed(Verdict(False, f"{what}: a single number", describe(array),
                                 "Return one number: average over the batch, and add the regularization once."))
    return float(array.reshape(()))


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
        if same(difference, wrong) and not same(wrong, right):
            return hint
    return ""


# ---------------------------------------------------------------------------- the checks
def values_check(case_ids, output=None, scalar=False, hint="", exact=False, passed_text="Values match."):
    """Compare the result (or its ``output`` part: "loss"/"grad") of each case with the fixture; a failed
    lam > 0 case names the wrong penalty when the gap to its lam = 0 twin is a known one."""
    index = 0 if output is None else PAIR.index(output)

    def check(ctx):
        for case_id in case_ids:
            verdict = values_judge([case_id], index, scalar, exact)(ctx)
            if not verdict.passed:
                verdict.hint = penalty_hint(ctx, case_id, index, scalar) or verdict.hint or hint
                return verdict
        return Verdict(True, passed_text)
    return reads(check, case_ids, index)


def penalty_hint(ctx, case_id, output, scalar):
    """regularization_hint for a failed lam > 0 case that has a lam = 0 twin (its id with a final 0)."""
    if not (case_id.endswith("-lam") and f"{case_id}0" in ctx.cases):
        return ""
    base = np.asarray(ctx.expected(f"{case_id}0")[output], dtype=float).reshape(-1)
    mine = ctx.returned(case_id, output).reshape(-1)
    if mine.size != base.size:
        return ""
    return regularization_hint(ctx, case_id, mine - base, "loss" if scalar else "grad")


def stable_check(case_id, hint):
    """Values match and the call emits no overflow / invalid-value warning."""
    def check(ctx):
        verdict = values_check([case_id])(ctx)
        if not verdict.passed:
            verdict.hint = hint
            return verdict
        if ctx.warnings_of(case_id):
            return Verdict(False, f"{ctx.describe_case(case_id)} without warnings",
                           "; ".join(dict.fromkeys(ctx.warnings_of(case_id)))[:300], hint)
        return Verdict(True, "Exact, finite and silent for large inputs.")
    return check


def scalar_check(case_ids, hint, passed_text):
    """Each case, called with a scalar, returns one number equal to the fixture's."""
    def check(ctx):
        for case_id in case_ids:
            got = as_array(ctx.call_case(case_id), f"{ctx.case(case_id)['func']}(scalar)")
            verdict = check_scalar(got, ctx.case(case_id)["expected"], ctx.describe_case(case_id), ctx.rtol, ctx.atol)
            if not verdict.passed:
                verdict.hint = hint
                return verdict
        return Verdict(True, passed_text)
    return check


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
                       f"({ctx.describe_case(case_id)}; expected: the differences, got: your gradient; "
                       f"relative error {relative_error(grad, slopes):.2e})",
                       verdict.got,
                       "Your gradient is not the derivative of your loss. Check each term: the regularization "
                       "gradient (2 * lam * W_l, none for biases), the 1/N, and g'(A_l) at each hidden layer.")
    return check


def gradient_and_loss(loss_function):
    """(gradient_of, loss_of) for fd_check: the case's function returns the gradient and
    ``loss_function`` the loss (bce_grad, bce_loss); without it, the case's function returns the pair."""
    if loss_function:
        return (lambda ctx, func, args, kwargs: ctx.call(func, *args, **kwargs),
                lambda ctx, func, args, kwargs: as_number(ctx.call(loss_function, *args, **kwargs), loss_function))
    return (lambda ctx, func, args, kwargs: as_pair(ctx.call(func, *args, **kwargs), func)[1],
            lambda ctx, func, args, kwargs: as_number(as_pair(ctx.call(func, *args, **kwargs), func)[0],
                                                      f"the loss of {func}"))


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


# -- init_weights --------------------------------------------------------------
def _init(ctx, sizes, seed):
    """init_weights(sizes, default_rng(seed)) as a flat array, checked for length and finiteness."""
    W = as_array(ctx.call("init_weights", list(sizes), np.random.default_rng(seed)), "init_weights").reshape(-1)
    if W.size != n_params(sizes):
        raise CallFailed(Verdict(False, f"init_weights({sizes}, rng) to return {n_params(sizes)} values",
                                 f"{W.size} values", "One flat vector: each W_l row-major, then b_l, layer by layer."))
    if not np.all(np.isfinite(W)):
        raise CallFailed(Verdict(False, "finite initial weights", describe(W)))
    return W


def init_random_check(case_id):
    """init_weights: random, drawn from its rng argument, spread uniformly."""
    return lambda ctx: _init_random(ctx, ctx.case(case_id)["args"])


def _init_random(ctx, args):
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
        verdict = check_uniform(W_l, init_limit(sizes[l - 1], sizes[l]), f"layer {l} of {sizes}: weights")
        if not verdict.passed:
            return verdict
    return Verdict(True, "Weights are random, drawn from rng, and spread uniformly.")


# -- relu ----------------------------------------------------------------------
def relu_grad_check(case_id):
    """relu_grad: the fixture's values where a != 0, 0 or 1 at the kink."""
    return lambda ctx: _relu_grad(ctx, case_id)


def _relu_grad(ctx, case_id):
    case = ctx.case(case_id)
    a = np.array(case["args"]["a"], dtype=float)
    got = as_array(ctx.call_case(case_id), ctx.describe_case(case_id))
    if got.size != a.size:
        return check_array(got, case["expected"], ctx.describe_case(case_id))
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


def loss_and_grad_check(case_ids, hint, passed_text):
    """The loss of each case's (loss, grad) pair, then its gradient, against the fixture."""
    def check(ctx):
        for output in ("loss", "grad"):
            verdict = values_check(case_ids, output=output, scalar=output == "loss", hint=hint)(ctx)
            if not verdict.passed:
                return verdict
        return Verdict(True, passed_text)
    return check


# ---------------------------------------------------------------------------- the kinds
# kind -> the check of a fixture entry; the parameters are those of assignment/kit/public.py's KINDS.
KINDS = {
    "values": lambda e: values_check(e["cases"], e.get("output"), e.get("scalar", False), e.get("hint", ""),
                                     e.get("exact", False), e.get("passed", "Values match.")),
    "scalar": lambda e: scalar_check(e["cases"], e.get("hint", ""), e.get("passed", "Accepts a scalar.")),
    "stable": lambda e: stable_check(e["cases"][0], e.get("hint", "")),
    "fd": lambda e: fd_check(e["cases"][0], *gradient_and_loss(e.get("loss_function"))),
    "loss_and_grad": lambda e: loss_and_grad_check(e["cases"], e.get("hint", ""), e.get("passed", "Values match.")),
    "data": lambda e: data_check(e["cases"][0], e["labels"], e["shapes_only"]),
    "init_bounds": lambda e: init_bounds_judge(e["cases"]),
    "init_random": lambda e: init_random_check(e["cases"][0]),
    "relu_grad": lambda e: relu_grad_check(e["cases"][0]),
}
