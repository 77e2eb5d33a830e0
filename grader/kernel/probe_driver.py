"""Runs INSIDE the submission's kernel: call its functions on the grader's inputs.

This file is sent as source text and executed once per kernel, as a module of its own kept in
``sys.modules`` (:func:`grader.stages.probe.probe_cell_source`). It only reads the plan and the
input arrays the grader wrote, and writes plain ``.npy`` arrays (``allow_pickle=False``) and small
JSON status files. It never judges anything: the grader reads those files with safe parsers and compares
them, in its own process, with the reference. Whatever the submission does to
this code (monkeypatching numpy, lying objects) can only change the numbers it
reports for itself, never the comparison.

Plan entries (JSON):
  {"id", "kind": "call", "func", "args": [ref...], "kwargs": {name: ref}, "outputs": n}
  {"id", "kind": "fd", "func", "args": [...], "w_index": i, "directions": "<array name>", "step": h,
   "select": None or k}   central differences of the loss along each direction
  {"id", "kind": "train", "mode": "pair"|"backprop", "funcs": [...], "X", "t", "layer_sizes", "lam",
   "activation", "call_kwargs": {...}, "hidden": numpy expression of g(A), "inits": [array names], "method",
   "options", "budget", "target_accuracy", "loss"}
  {"id", "kind": "cost", "func", "returns": "grad"|"pair", "forward": name, "forward_args": "loss"|"predict",
   "cases": [{"W", "X", "t", "layer_sizes", "lam", "kwargs"}], "min_seconds": s}   how a gradient
   is computed: per case its CPU time, one forward evaluation's, and the calls it made with
   perturbed copies of W (see _gradient_cost)
Every entry also has "timeout" (seconds for that call).
A ref is {"array": name} (a fresh copy of an input array), {"value": json value}
or {"rng": seed} (a numpy Generator).
"""
import json
import linecache
import os
import signal
import time
import traceback
import warnings

import numpy as np

MAX_ELEMENTS = 5_000_000


# the input arrays of this kernel's grading, read by its first group (inputs path -> {name: array});
# entries hand the submission copies of them only (_resolve)
_INPUTS = {}


def run(user_ns, plan_path, inputs_path, out_dir):
    with open(plan_path) as handle:
        plan = json.load(handle)
    arrays = _INPUTS.get(inputs_path)
    if arrays is None:
        with np.load(inputs_path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        _INPUTS.clear()
        _INPUTS[inputs_path] = arrays
    previous_handler = signal.signal(signal.SIGALRM, _raise_call_timeout)
    try:
        for entry in plan:
            _run_entry(entry, user_ns, arrays, out_dir)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)


def _run_entry(entry, user_ns, arrays, out_dir):
    started = time.perf_counter()
    status = {"status": "ok", "warnings": []}
    try:
        signal.setitimer(signal.ITIMER_REAL, entry["timeout"])
        with warnings.catch_warnings(record=True) as caught, \
                np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            warnings.simplefilter("always")
            values = KINDS[entry["kind"]](entry, user_ns, arrays)
            status["warnings"] = [f"{w.category.__name__}: {w.message}"[:300] for w in caught[:20]]
        signal.setitimer(signal.ITIMER_REAL, 0)
        status["n_outputs"] = _save(values, out_dir, entry["id"])
    except _CallTimeout:
        status = {"status": "timeout", "error": f"the call ran longer than {entry['timeout']:g} s and was stopped"}
    except _Missing as missing:
        status = {"status": "missing", "error": f"{missing} is not defined"}
    except _BadOutput as bad:
        status = {"status": "bad_output", "error": str(bad)[:500]}
    except Exception as error:
        status = {"status": "error", "error": f"{type(error).__name__}: {error}"[:500],
                  "traceback": "".join(traceback.format_exception(error)[-3:])[-1500:],
                  "frames": _notebook_frames(error, user_ns)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    status["seconds"] = time.perf_counter() - started
    with open(os.path.join(out_dir, entry["id"] + ".json"), "w") as handle:
        json.dump(status, handle, default=str)


MAX_FRAMES = 20


def _notebook_frames(error, user_ns):
    """The frames of the error's traceback in the notebook's own code (functions whose globals are the
    notebook's namespace), outermost first, the last one where it was raised: [{"function", "line",
    "text"}], the line counted in its cell and its text as the cell has it (IPython keeps cells in
    linecache). Only words for the feedback: the grader judges nothing by them."""
    frames = []
    try:
        for frame, line in traceback.walk_tb(error.__traceback__):
            if frame.f_globals is user_ns:
                code = frame.f_code
                frames.append({"function": str(code.co_name)[:100], "line": int(line or 0),
                               "text": str(linecache.getline(code.co_filename, line or 0)).strip()[:200]})
    except Exception:      # a notebook that broke linecache or traceback: the error is still reported
        pass
    return frames[-MAX_FRAMES:]


class _CallTimeout(BaseException):
    """BaseException, so that a submission's ``except Exception`` cannot swallow it."""


def _raise_call_timeout(signum, frame):
    raise _CallTimeout


class _Missing(Exception):
    pass


class _BadOutput(Exception):
    pass


def _function(user_ns, name):
    function = user_ns.get(name)
    if not callable(function):
        raise _Missing(name)
    return function


def _resolve(ref, arrays):
    if "array" in ref:
        return np.array(arrays[ref["array"]], copy=True)
    if "rng" in ref:
        return np.random.default_rng(ref["rng"])
    value = ref["value"]
    return value


def _as_float_array(value, what):
    try:
        array = np.array(value, dtype=float)
    except Exception as error:
        raise _BadOutput(f"{what} is a {type(value).__name__} that cannot be read as numbers ({error})")
    if array.size > MAX_ELEMENTS:
        raise _BadOutput(f"{what} has {array.size} elements")
    return array


def _call(entry, user_ns, arrays):
    function = _function(user_ns, entry["func"])
    args = [_resolve(ref, arrays) for ref in entry["args"]]
    kwargs = {key: _resolve(ref, arrays) for key, ref in entry.get("kwargs", {}).items()}
    result = function(*args, **kwargs)
    n_outputs = entry.get("outputs", 1)
    if n_outputs == 1:
        return [_as_float_array(result, "the return value")]
    if not isinstance(result, (tuple, list)) or len(result) != n_outputs:
        raise _BadOutput(f"expected a tuple of {n_outputs} values, got {type(result).__name__}"
                         + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return [_as_float_array(part, f"return value [{k}]") for k, part in enumerate(result)]


def _loss_of(result):
    if isinstance(result, (tuple, list)):
        result = result[0]
    return float(np.asarray(result, dtype=float).reshape(-1)[0])


def _finite_differences(entry, user_ns, arrays):
    """(L(W + h d) - L(W - h d)) / 2h for each row d of the directions array."""
    function = _function(user_ns, entry["func"])
    args = [_resolve(ref, arrays) for ref in entry["args"]]
    kwargs = {key: _resolve(ref, arrays) for key, ref in entry.get("kwargs", {}).items()}
    W = np.array(args[entry["w_index"]], dtype=float)
    step = entry["step"]
    slopes = []
    for direction in arrays[entry["directions"]]:
        values = []
        for sign in (1.0, -1.0):
            args[entry["w_index"]] = W + sign * step * direction
            values.append(_loss_of(function(*args, **kwargs)))
        slopes.append((values[0] - values[1]) / (2 * step))
    return [np.array(slopes, dtype=float)]


class _OutOfTime(Exception):
    pass


class _TargetReached(Exception):
    pass


def _accuracy(W, X, t, sizes, hidden, loss):
    """Training accuracy by the contract's forward pass (public formulas, not the grader's
    verdict: the grader recomputes it from the weights it gets back)."""
    Z, start = X, 0
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        W_l = W[start:start + n_out * n_in].reshape(n_out, n_in)
        start += n_out * n_in
        A = Z @ W_l.T + W[start:start + n_out]
        start += n_out
        Z = A if l == len(sizes) - 1 else hidden(A)
    labels = np.argmax(Z, axis=1) if loss == "ce" else (Z[:, 0] >= 0).astype(int)
    return float(np.mean(labels == t))


def _train(entry, user_ns, arrays):
    """Minimize the submission's own loss with its own gradient (jac=True) from each init.

    Returns one array per init actually trained: the final weights. Stops
    when the time budget is spent; the grader judges the weights it gets.
    """
    from scipy.optimize import minimize
    X = np.array(arrays[entry["X"]], dtype=float)
    t = np.array(arrays[entry["t"]]).astype(int)
    sizes, lam, kwargs = entry["layer_sizes"], entry["lam"], entry["call_kwargs"]
    # the hidden activation as the grader wrote it in numpy (reference.activations: numpy_source)
    hidden = eval("lambda A: " + entry["hidden"], {"np": np})
    if entry["mode"] == "pair":
        loss_fn, grad_fn = (_function(user_ns, name) for name in entry["funcs"])

        def objective(W):
            return _loss_of(loss_fn(W, X, t, sizes, lam)), np.asarray(grad_fn(W, X, t, sizes, lam), dtype=float).reshape(-1)
    else:
        backprop_fn = _function(user_ns, entry["funcs"][0])

        def objective(W):
            loss, grad = backprop_fn(W, X, t, sizes, lam, **kwargs)
            return _loss_of(loss), np.asarray(grad, dtype=float).reshape(-1)

    deadline = time.monotonic() + entry["budget"]
    target = entry["target_accuracy"]
    finals = []
    for init_name in entry["inits"]:
        if time.monotonic() > deadline:
            break
        best = {"W": np.array(arrays[init_name], dtype=float), "evaluations": 0}

        def timed(W, best=best):
            if time.monotonic() > deadline:
                raise _OutOfTime
            value = objective(W)
            best["W"] = np.array(W, dtype=float)
            best["evaluations"] += 1
            if best["evaluations"] % 10 == 0 and _accuracy(best["W"], X, t, sizes, hidden, entry["loss"]) >= target:
                raise _TargetReached
            return value
        try:
            result = minimize(timed, best["W"], jac=True, method=entry["method"], options=entry["options"])
            finals.append(np.array(result.x, dtype=float))
        except (_OutOfTime, _TargetReached):
            finals.append(best["W"])
        if _accuracy(finals[-1], X, t, sizes, hidden, entry["loss"]) >= target:
            break
    return finals


def _gradient_cost(entry, user_ns, arrays):
    """How the gradient function is computed, case by case (networks of one N, different sizes).

    Returns [stats (n_cases, 4)] + [the gradient of each case]; a stats row is (P, calls that
    received a perturbed copy of W, CPU seconds of one gradient call, CPU seconds of one call of
    the forward function on the same network). Finite differences call a loss with W + h e_i
    about 2P times (the count sees it, whatever the machine's load); backprop never passes a
    perturbed W to anything. The process's CPU time (not wall time) is what a busy machine
    changes least; each time is the minimum over repeated calls.
    """
    function = _function(user_ns, entry["func"])
    forward = user_ns.get(entry["forward"])
    stats, gradients = [], []
    for case in entry["cases"]:
        W = np.array(arrays[case["W"]], dtype=float)
        X, t = np.array(arrays[case["X"]], dtype=float), np.array(arrays[case["t"]])
        sizes, lam, kwargs = case["layer_sizes"], case["lam"], case.get("kwargs", {})

        def gradient(W=W, X=X, t=t, sizes=sizes, lam=lam, kwargs=kwargs):
            result = function(np.array(W, copy=True), X, t, sizes, lam, **kwargs)
            return result[1] if entry["returns"] == "pair" else result

        started, wall_started = time.process_time(), time.monotonic()
        with _PerturbedCallCounter(user_ns, W) as counter:
            grad = _as_float_array(gradient(), "the gradient")
        # the counted call is the first timing (a slow gradient is not called again and again)
        seconds = _cpu_seconds(gradient, entry["min_seconds"], first=time.process_time() - started,
                               max_wall=1.0 - (time.monotonic() - wall_started))
        forward_seconds = float("nan")
        if callable(forward):
            args = (W, X, t, sizes, lam) if entry["forward_args"] == "loss" else (W, X, sizes)
            try:
                forward_seconds = _cpu_seconds(lambda: forward(*(np.array(a, copy=True) for a in args)),
                                               entry["min_seconds"])
            except Exception:        # no forward time: the cost evidence is left out, nothing else
                pass
        stats.append([W.size, counter.count, seconds, forward_seconds])
        gradients.append(grad)
    return [np.array(stats, dtype=float)] + gradients


def _cpu_seconds(call, min_seconds, max_calls=50, first=None, max_wall=1.0):
    """The least CPU time of one call (the process's, BLAS threads included), over calls repeated
    for about ``min_seconds`` of CPU and at most ``max_wall`` seconds of wall time (a call that
    sleeps is not repeated); ``first``: the CPU time of a call already made (then a slow call is
    not made again)."""
    best, spent, calls = (float("inf"), 0.0, 0) if first is None else (first, first, 1)
    wall_started = time.monotonic()
    while calls == 0 or (spent < min_seconds and calls < max_calls and time.monotonic() - wall_started < max_wall):
        started = time.process_time()
        call()
        elapsed = time.process_time() - started
        best, spent, calls = min(best, elapsed), spent + elapsed, calls + 1
    return best


class _PerturbedCallCounter:
    """While active, every function the notebook defined (its globals, and the methods of its
    classes) counts the calls that receive a perturbed copy of W: an array of W's size that
    differs from W, but by little (a finite-difference step), and are not made from inside such a
    call. Everything is put back on exit."""

    def __init__(self, user_ns, W):
        self.user_ns, self.W, self.count, self.depth = user_ns, W, 0, 0
        self.scale = 1e-2 * (1.0 + float(np.max(np.abs(W))))
        self.restore = []

    def __enter__(self):
        module = self.user_ns.get("__name__")
        for name, value in list(self.user_ns.items()):
            if _is_notebook_function(value, self.user_ns):
                self.restore.append((self.user_ns.__setitem__, name, value))
                self.user_ns[name] = self._counting(value)
            elif isinstance(value, type) and value.__module__ == module:
                for attribute, method in list(vars(value).items()):
                    if _is_notebook_function(method, self.user_ns):
                        self.restore.append((lambda key, old, cls=value: setattr(cls, key, old), attribute, method))
                        setattr(value, attribute, self._counting(method))
        return self

    def __exit__(self, *exc):
        for put_back, name, value in reversed(self.restore):
            put_back(name, value)
        return False

    def _counting(self, function):
        def counting(*args, **kwargs):
            if not any(self._perturbed(value) for value in (*args, *kwargs.values())):
                return function(*args, **kwargs)
            self.count += self.depth == 0      # one loss evaluation through several helpers counts once
            self.depth += 1
            try:
                return function(*args, **kwargs)
            finally:
                self.depth -= 1
        counting.__wrapped__ = function
        return counting

    def _perturbed(self, value):
        if not isinstance(value, np.ndarray) or value.size != self.W.size or value.dtype.kind not in "fc":
            return False
        difference = np.abs(value.reshape(-1) - self.W)
        return bool(0 < np.max(difference) <= self.scale)


def _is_notebook_function(value, user_ns):
    return callable(value) and getattr(value, "__globals__", None) is user_ns and hasattr(value, "__code__")


def _save(values, out_dir, probe_id):
    for k, value in enumerate(values):
        np.save(os.path.join(out_dir, f"{probe_id}_{k}.npy"), np.ascontiguousarray(value, dtype=float),
                allow_pickle=False)
    return len(values)


KINDS = {"call": _call, "fd": _finite_differences, "train": _train, "cost": _gradient_cost}
