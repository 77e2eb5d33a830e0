"""The self-check's calls into the notebook: :class:`Context` (the notebook's namespace, the fixture's
cases, the warnings of the calls) and what a call can end in besides a value (:class:`NotImplementedYet`,
:class:`Skipped`, :class:`CallFailed`), which :func:`public_checks.run_check` turns into a result.

Needs numpy and ``arraycheck.py`` (next to this file) only.
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
except ImportError:   # shipped to students next to arraycheck.py
    from arraycheck import Verdict


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
