"""Write ``grader/public_fixture.json``: the public tests' inputs and the reference's outputs.

    python -m grader.build_public_fixture          # rewrite the committed file
    python -m grader.build_public_fixture --check  # exit 1 if the file is out of date

The student self-check (:mod:`grader.selfcheck`, shipped as ``week6_selfcheck.py``)
has no reference solution: it compares the student's functions with the values
stored here. The inputs are fixed (seed ``PUBLIC_SEED``) and small; the hidden
tests of the grader draw other inputs for every submission. Every network input
carries nonzero biases, so a submission that regularizes the biases fails the
``lam > 0`` cases.

Layout: ``{"format", "seed", "tolerances", "cases": {id: case}}``; a case holds
``func``, ``args`` (an ordered mapping from argument name to a JSON value),
optionally ``kwargs``, and ``expected`` (or, for properties without expected
values such as ``init_weights``, only the inputs). Arrays are nested lists;
the argument ``t`` is an int array, ``layer_sizes``/``lam``/``activation`` are
plain values, every other list a float array. The data cases (``load_data*``)
hold selected rows and the label counts of the committed data sets.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

import reference

from .config import Tolerances

FIXTURE = Path(__file__).with_name("public_fixture.json")
FORMAT = 1
PUBLIC_SEED = 6_2026   # the public inputs; the hidden probes are seeded per submission

SIGMOID_EXTREME = [-1000.0, -800.0, -60.0, -0.5, 0.0, 0.5, 60.0, 800.0, 1000.0]
SOFTMAX_LARGE = [[1000.0, 998.0, 999.5], [0.0, -1000.0, 1000.0], [-750.0, -749.0, -751.0]]
RELU_VALUES = [[-3.0, -0.25, 0.0, 0.25, 3.0], [1.5, -1.5, 2.0, -0.001, 0.001]]
INIT_SIZES = [[2, 3, 1], [2, 10, 10, 10, 10, 1], [2, 10, 3]]
INIT_SPREAD_SIZES = [2, 150, 120]     # enough weights for a uniformity check, still instant
INIT_SEEDS = [7, 8]


def _list(array):
    """A numpy array (or scalar) as nested lists of Python floats/ints."""
    return np.asarray(array).tolist()


def _weights(rng, sizes, scale=1.0):
    """(P,) normal weights, biases included (all nonzero)."""
    return scale * rng.standard_normal(reference.n_params(sizes))


def _labels(rng, n, classes):
    """n int labels in 0..classes-1 with every class present."""
    while True:
        t = rng.integers(0, classes, size=n)
        if len(np.unique(t)) == classes:
            return t


def _clear_of_threshold(rng, sizes, X, multiclass):
    """Weights whose predictions are far from a tie (p = 0.5, or two equal logits), with every label used."""
    while True:
        W = _weights(rng, sizes, scale=2.0)
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


def _relu_clear_of_kink(rng, sizes, X):
    """Weights whose hidden relu pre-activations stay away from 0 on X."""
    while True:
        W = _weights(rng, sizes)
        A, _ = reference.network.forward(W, X, sizes, "relu")
        if all(np.min(np.abs(a)) > 1e-2 for a in A[:-1]):
            return W


def _network_case(func, W, X, t, sizes, lam, activation=None):
    args = {"W": _list(W), "X": _list(X), "t": _list(t), "layer_sizes": list(sizes), "lam": lam}
    kwargs = {} if activation is None else {"activation": activation}
    result = getattr(reference, func)(W, X, t, sizes, lam, **kwargs)
    if func in ("backprop", "ce_backprop"):
        expected = {"loss": float(result[0]), "grad": _list(result[1])}
    elif func == "bce_loss":
        expected = float(result)
    else:
        expected = _list(result)
    case = {"func": func, "args": args, "expected": expected}
    if kwargs:
        case["kwargs"] = kwargs
    return case


def _data_case(func, names, rows):
    """Shapes, a few rows and the label counts of the committed data set, as load_data* returns it."""
    X, t = getattr(reference, func)()
    counts = np.bincount(t)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    picked = sorted({int(i) for i in rows} | {int(s) for s in starts} | {len(t) - 1})
    return {"func": func, "files": names, "args": {},
            "expected": {"X_shape": list(X.shape), "t_shape": list(t.shape),
                         "label_counts": _list(counts),
                         "rows": {str(i): _list(X[i]) for i in picked}}}


def build():
    """The fixture as a JSON-ready dict (nothing written)."""
    rng = np.random.default_rng(PUBLIC_SEED)
    tol = Tolerances()
    cases = {}

    # 1a, 3: the data sets
    cases["load_data"] = _data_case("load_data", ["pointsClass1Week6", "pointsClass2Week6"], [0, 1, 2])
    cases["load_data_multiclass"] = _data_case(
        "load_data_multiclass", [f"xWeek6Ex3PointsClass{k}" for k in (1, 2, 3)], [0, 1])

    # 1b: sigmoid and its derivative
    inputs = {"vector": rng.normal(0, 4, size=7).round(6), "matrix": rng.normal(0, 4, size=(3, 4)).round(6),
              "scalar": -1.25, "extreme": np.array(SIGMOID_EXTREME)}
    for func in ("sigmoid", "sigmoid_grad"):
        for name, a in inputs.items():
            cases[f"{func}-{name}"] = {"func": func, "args": {"a": _list(a)},
                                       "expected": _list(getattr(reference, func)(a))}

    # 1c, 1d: one hidden layer [2, 3, 1], lam 0 and 0.1, nonzero biases
    sizes = [2, 3, 1]
    W = _weights(rng, sizes)
    X = rng.normal(0, 1.5, size=(8, 2)).round(6)
    t = _labels(rng, 8, 2)
    for lam, name in ((0.0, "lam0"), (0.1, "lam")):
        cases[f"bce_loss-{name}"] = _network_case("bce_loss", W, X, t, sizes, lam)
        cases[f"bce_grad-{name}"] = _network_case("bce_grad", W, X, t, sizes, lam)

    # 1e: init_weights (properties only) and predict
    cases["init_weights"] = {"func": "init_weights",
                             "args": {"layer_sizes": INIT_SIZES, "seeds": INIT_SEEDS,
                                      "spread_sizes": INIT_SPREAD_SIZES}}
    X_pred = rng.normal(0, 1.5, size=(10, 2)).round(6)
    W_pred = _clear_of_threshold(rng, sizes, X_pred, multiclass=False)
    cases["predict"] = {"func": "predict", "args": {"W": _list(W_pred), "X": _list(X_pred), "layer_sizes": sizes},
                        "expected": _list(reference.predict(W_pred, X_pred, sizes))}

    # bonus: relu, relu_grad (values away from the kink, then the kink), backprop with relu
    for func in ("relu", "relu_grad"):
        cases[f"{func}-values"] = {"func": func, "args": {"a": RELU_VALUES},
                                   "expected": _list(getattr(reference, func)(np.array(RELU_VALUES)))}
    deep = [2, 3, 2, 1]
    X_deep = rng.normal(0, 1.5, size=(8, 2)).round(6)
    t_deep = _labels(rng, 8, 2)
    W_relu = _relu_clear_of_kink(rng, deep, X_deep)
    cases["backprop-relu"] = _network_case("backprop", W_relu, X_deep, t_deep, deep, 0.1, "relu")

    # 2: backprop on [2, 3, 2, 1], sigmoid, lam 0 and 0.1
    W_deep = _weights(rng, deep)
    for lam, name in ((0.0, "lam0"), (0.1, "lam")):
        cases[f"backprop-{name}"] = _network_case("backprop", W_deep, X_deep, t_deep, deep, lam)

    # 3: softmax, ce_backprop on [2, 4, 3], predict_multiclass
    A = rng.normal(0, 3, size=(4, 3)).round(6)
    cases["softmax-values"] = {"func": "softmax", "args": {"A": _list(A)}, "expected": _list(reference.softmax(A))}
    cases["softmax-large"] = {"func": "softmax", "args": {"A": SOFTMAX_LARGE},
                              "expected": _list(reference.softmax(np.array(SOFTMAX_LARGE)))}
    multi = [2, 4, 3]
    W_ce = _weights(rng, multi)
    X_ce = rng.normal(0, 1.5, size=(9, 2)).round(6)
    t_ce = _labels(rng, 9, 3)
    for lam, name in ((0.0, "lam0"), (0.1, "lam")):
        cases[f"ce_backprop-{name}"] = _network_case("ce_backprop", W_ce, X_ce, t_ce, multi, lam)
    X_pm = rng.normal(0, 1.5, size=(10, 2)).round(6)
    W_pm = _clear_of_threshold(rng, multi, X_pm, multiclass=True)
    cases["predict_multiclass"] = {"func": "predict_multiclass",
                                   "args": {"W": _list(W_pm), "X": _list(X_pm), "layer_sizes": multi},
                                   "expected": _list(reference.predict_multiclass(W_pm, X_pm, multi))}

    return {"format": FORMAT,
            "about": "Public inputs of the Week 6 self-check and the reference solution's outputs "
                     "(written by python -m grader.build_public_fixture; do not edit).",
            "seed": PUBLIC_SEED,
            "tolerances": {"rtol": tol.rtol, "atol": tol.atol, "fd_step": tol.fd_step,
                           "fd_rtol": tol.fd_rtol, "fd_atol": tol.fd_atol},
            "cases": cases}


def _is_flat(value):
    """A list holding numbers (or strings) or lists of numbers only: printed on one line."""
    def numbers(v):
        return isinstance(v, list) and all(isinstance(x, (int, float, str)) and not isinstance(x, bool) for x in v)
    return isinstance(value, list) and (numbers(value) or all(numbers(v) for v in value))


def dumps(value, indent=0):
    """JSON with one line per array (readable, and diffs stay small)."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(key)}: {dumps(item, indent + 2)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and not _is_flat(value):
        return "[\n" + ",\n".join(inner + dumps(item, indent + 2) for item in value) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


def render():
    return dumps(build()) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader.build_public_fixture", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed file")
    parser.add_argument("--out", type=Path, default=FIXTURE, help=f"where to write (default {FIXTURE})")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python -m grader.build_public_fixture", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(build()['cases'])} cases)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
