"""Time of one loss + gradient evaluation: the reference (vectorized), scikit-learn, the per-sample reference.

Exercise 2's network [2, 10, 10, 10, 10, 1] on the full binary set. scikit-learn's
MLPClassifier._loss_grad_lbfgs (private API, checked on scikit-learn 1.9.1) is
the same computation: logistic hidden units, logistic output with log-loss,
L2 penalty alpha / (2N) * sum(W**2) with alpha = 2 * lam * N. The three
results are checked to agree before anything is timed.
"""
import statistics
import sys
import timeit
from pathlib import Path

import numpy as np

import reference
from reference.network import network_backprop
from reference.params import unpack

LAYER_SIZES = [2, 10, 10, 10, 10, 1]
REPEATS = 7
TARGET_SECONDS = 0.2       # each repeat runs the call this long (at least once)


def sklearn_oracle(X, t, layer_sizes, lam):
    """The scikit-learn oracle the tests check the reference against (tests/reference/sk_oracle.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "reference"))
    from sk_oracle import SklearnOracle, to_sklearn
    return SklearnOracle(X, t, layer_sizes, lam), to_sklearn


def time_call(fn):
    """(min, median) seconds per call over REPEATS repeats."""
    timer = timeit.Timer(fn)
    number, elapsed = timer.autorange()
    number = max(1, int(number * TARGET_SECONDS / max(elapsed, 1e-9)))
    per_call = [total / number for total in timer.repeat(repeat=REPEATS, number=number)]
    return min(per_call), statistics.median(per_call), number


def run():
    X, t = reference.load_data()
    ls = LAYER_SIZES
    lam = reference.SETUPS["2"].lam
    rng = np.random.default_rng(0)
    W = reference.init_weights(ls, rng)
    for _, b_l in unpack(W, ls):                 # nonzero biases, like weights mid-training
        b_l[...] = rng.uniform(-0.5, 0.5, b_l.shape)

    oracle, to_sklearn = sklearn_oracle(X, t, ls, lam)
    ref = network_backprop(W, X, t, ls, lam)
    sk = oracle.loss_grad(W)
    ps = reference.backprop_per_sample(W, X, t, ls, lam)
    scale = np.max(np.abs(ref[1]))
    print(f"network {ls}, N = {len(t)}, lam = {lam:g}, {reference.n_params(ls)} parameters")
    print(f"agreement: |loss diff| sklearn {abs(ref[0] - sk[0]):.1e}, per-sample {abs(ref[0] - ps[0]):.1e}; "
          f"max |grad diff| / max |grad|: sklearn {np.max(np.abs(ref[1] - sk[1])) / scale:.1e}, "
          f"per-sample {np.max(np.abs(ref[1] - ps[1])) / scale:.1e}")
    if not (np.allclose(ref[1], sk[1], rtol=1e-9, atol=1e-12 * scale)
            and np.allclose(ref[1], ps[1], rtol=1e-9, atol=1e-12 * scale)):
        raise AssertionError("the three implementations disagree; timings would be meaningless")

    packed = to_sklearn(W, ls)
    contenders = [
        ("reference (vectorized)", lambda: network_backprop(W, X, t, ls, lam)),
        ("sklearn _loss_grad_lbfgs", lambda: oracle.loss_grad_packed(packed)),
        ("per-sample reference", lambda: reference.backprop_per_sample(W, X, t, ls, lam)),
    ]
    times = {}
    print(f"\n{'one loss + gradient evaluation':<28}{'min ms':>10}{'median ms':>11}{'calls/repeat':>14}")
    for name, fn in contenders:
        best, median, number = time_call(fn)
        times[name] = (best, median)
        print(f"{name:<28}{best * 1e3:>10.3f}{median * 1e3:>11.3f}{number:>14d}")
    ref_t, sk_t, ps_t = (times[name] for name, _ in contenders)
    print(f"\nratio reference / sklearn     : {ref_t[0] / sk_t[0]:.2f} (min)  {ref_t[1] / sk_t[1]:.2f} (median)")
    print(f"ratio per-sample / reference  : {ps_t[0] / ref_t[0]:.1f} (min)  {ps_t[1] / ref_t[1]:.1f} (median)")
    print("(sklearn is timed on its own packed layout; the layout conversion is not counted)")
