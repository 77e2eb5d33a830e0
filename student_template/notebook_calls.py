"""The self-check's calls into the notebook: :class:`Context` (the notebook's namespace, the fixture's
cases, the warnings of the calls; the self-check's side of :class:`check_model.CheckContext`) and what
a call can end in besides a value (:class:`NotImplementedYet`, :class:`Skipped`, :class:`CallFailed`),
which :func:`public_checks.run_check` turns into a result.

Needs numpy, ``arraycheck.py`` and ``check_model.py`` (next to this file) only.
"""
import contextlib
import copy
import io
import traceback
import warnings
from pathlib import Path

import numpy as np

try:
    from .arraycheck import Verdict
    from .check_model import CallFailed
except ImportError:   # shipped to students next to arraycheck.py and check_model.py
    from arraycheck import Verdict
    from check_model import CallFailed

__all__ = ["CallFailed", "Context", "NotImplementedYet", "Skipped", "as_array", "as_pair"]
PAIR = ("loss", "grad")     # the outputs of a case whose function returns (loss, grad): backprop, ce_backprop


# ---------------------------------------------------------------------------- outcomes of a check
class NotImplementedYet(Exception):
    """A function the check needs is missing or still raises NotImplementedError."""


class Skipped(Exception):
    """The check cannot run here: Skipped(reason, detail), e.g. no data files."""


def as_array(value, what):
    """``value`` as a float array; CallFailed when numpy cannot read it as numbers."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise CallFailed(Verdict(False, f"{what}: numbers (a float or a numpy array)",
                                 f"{type(value).__name__} that numpy cannot read as numbers ({error})",
                                 "Return numbers, in the form the docstring asks for.")) from None


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


def _decode(name, value):
    """A fixture argument as the functions receive it: t an int array, other lists float arrays."""
    if name == "t":
        return np.array(value, dtype=int)
    if name == "rng":
        return np.random.default_rng(value)
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
    """What the checks use: the notebook's namespace, the fixture, and the warnings of the calls. A
    case is called once per check (:meth:`begin_check` forgets the calls of the check before)."""

    def __init__(self, namespace, fixture):
        self.ns = namespace
        self.fixture = fixture
        self.cases = fixture["cases"]
        tol = fixture["tolerances"]
        self.rtol, self.atol = tol["rtol"], tol["atol"]
        self.fd_step, self.fd_rtol, self.fd_atol = tol["fd_step"], tol["fd_rtol"], tol["fd_atol"]
        self.begin_check()

    def begin_check(self):
        self.warnings = []          # every warning since the check started
        self.call_warnings = []     # the warnings of the latest call only
        self._called = {}           # case id -> (what it returned, the exception it ended in, its warnings)

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
        """What the case's call returned (called once per check); raises what the call ended in."""
        if case_id not in self._called:
            case = self.case(case_id)
            try:
                self._called[case_id] = (self.call(case["func"], *self.args(case_id), **self.kwargs(case_id)), None,
                                         self.call_warnings)
            except CallFailed as failure:
                if failure.verdict.expected.endswith(" to return normally"):
                    failure.verdict.expected = f"{self.describe_case(case_id)} to return normally"
                self._called[case_id] = (None, failure, self.call_warnings)
            except NotImplementedYet as missing:
                self._called[case_id] = (None, missing, self.call_warnings)
        value, ended_in, _ = self._called[case_id]
        if ended_in is not None:
            raise ended_in
        return value

    # -- check_model.CheckContext: what a judge may ask
    def returned(self, case_id, output=0):
        """Output ``output`` of the case's call (the loss or the gradient of a pair) as a float array."""
        value = self.call_case(case_id)
        if self._is_pair(case_id):
            value = as_pair(value, self.case(case_id)["func"])[output]
        return as_array(value, self.describe_call(case_id, output))

    def expected(self, case_id):
        expected = self.case(case_id)["expected"]
        return [expected[name] for name in PAIR] if self._is_pair(case_id) else [expected]

    def inputs(self, case_id):
        return self.args(case_id), self.kwargs(case_id)

    def describe_call(self, case_id, output=None):
        """"bce_grad(W (9,), ...)", or "grad of backprop(...)" for one output of a pair."""
        picked = f"{PAIR[output]} of " if output is not None and self._is_pair(case_id) else ""
        return picked + self.describe_case(case_id)

    def warnings_of(self, case_id):
        self.call_case(case_id)
        return self._called[case_id][2]

    def _is_pair(self, case_id):
        expected = self.case(case_id).get("expected")
        return isinstance(expected, dict) and set(expected) == set(PAIR)

    def describe_case(self, case_id):
        case = self.case(case_id)
        shown = []
        for name, value in case["args"].items():
            decoded = _decode(name, value)
            if isinstance(decoded, np.ndarray):
                shown.append(f"{name} {decoded.shape}")
            else:
                shown.append(f"np.random.default_rng({value})" if name == "rng" else repr(decoded))
        shown += [f"{key}={value!r}" for key, value in case.get("kwargs", {}).items()]
        return f"{case['func']}({', '.join(shown)})"
