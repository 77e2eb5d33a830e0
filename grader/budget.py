"""The whole grading's time budget: the notebook, the probes and the report fit in
``GraderConfig.time_budget`` seconds.

Gradescope stops an autograder at its timeout (10 minutes by default) and then
shows no results at all, so the grading must end by itself before that, with a
results.json: the notebook's cells get a share of the budget, the probes run
until the report's reserve, and the tests whose probes did not run by then are
"not checked: the grading time ran out" (0 points). :class:`OverrunWatchdog` holds the
grader itself to it as well (see :data:`OVERRUN_GRACE`).
"""
import signal
import threading
import time
from dataclasses import dataclass, field

# The cells may use at most this share of the budget: the functions they define are what is
# graded, by the probes, which need the rest (training alone may take minutes on slow code).
NOTEBOOK_SHARE = 0.6
# Kept for check, diagnose and report (figures, results.json): a few seconds are needed, and the
# diagnosis's training simulations use what is left of it. At most a quarter of a small budget.
REPORT_RESERVE = 30.0
REPORT_RESERVE_SHARE = 0.25
REPORT_SECONDS = 10.0        # of the reserve, kept for the report stage alone
OUT_OF_TIME = "the grading time ran out"


@dataclass
class Budget:
    """Deadlines (``time.monotonic()`` values) of one grading of ``seconds`` seconds."""
    seconds: float
    started: float = field(default_factory=time.monotonic)

    @property
    def deadline(self):
        return self.started + self.seconds

    @property
    def notebook_deadline(self):
        """When the notebook's cells must be done."""
        return self.started + NOTEBOOK_SHARE * self.seconds

    @property
    def probe_deadline(self):
        """When the probes must be done, leaving the report's reserve."""
        return self.deadline - min(REPORT_RESERVE, REPORT_RESERVE_SHARE * self.seconds)

    @property
    def diagnose_deadline(self):
        """When the diagnosis's optional work (training simulations) must stop: the report's own
        writing (figures, results.json) keeps the last seconds."""
        return self.deadline - min(REPORT_SECONDS, REPORT_RESERVE_SHARE * self.seconds / 2)


# The backstop: the grader's own work (reading what the kernel left, judging, writing the report)
# must end too. OVERRUN_GRACE seconds after the deadline the grading is interrupted and finished
# with what is known; HARD_STOP_GRACE seconds after it, if even that has not ended, the results
# known so far are written from another thread and the process may end (the command line and
# Gradescope's runner ask for that): no notebook keeps a grading running past budget + 60 s.
OVERRUN_GRACE = 10.0
HARD_STOP_GRACE = 40.0


class GradingOverrun(BaseException):
    """The whole grading's deadline passed while the grader itself was still at work (raised in the
    grading's thread; a BaseException, so that no stage's ``except Exception`` keeps it)."""


class OverrunWatchdog:
    """Ends a grading that runs past its deadline, whatever the grader is doing then.

    ``OVERRUN_GRACE`` s after ``deadline`` (``time.monotonic()``): ``on_overrun()`` (stop the
    sandbox), then :class:`GradingOverrun` is raised in the grading's thread, which interrupts a
    blocking call there (a signal, SIGALRM: only where the grading runs in the main thread; elsewhere
    the hard stop alone holds). ``HARD_STOP_GRACE`` s after it, unless :meth:`done` was called:
    ``on_hard_stop()`` from the watchdog's own thread. Use as a context manager around the grading."""

    def __init__(self, deadline: float, on_overrun, on_hard_stop):
        self.deadline = deadline
        self.on_overrun = on_overrun
        self.on_hard_stop = on_hard_stop
        self.finished = threading.Event()
        self._previous_handler = None
        self._timer: threading.Timer | None = None

    def __enter__(self) -> "OverrunWatchdog":
        now = time.monotonic()
        if threading.current_thread() is threading.main_thread():
            self._previous_handler = signal.signal(signal.SIGALRM, self._interrupt)
            signal.setitimer(signal.ITIMER_REAL, max(self.deadline + OVERRUN_GRACE - now, 0.001))
        self._timer = threading.Timer(max(self.deadline + HARD_STOP_GRACE - now, 0.0), self._hard_stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def _interrupt(self, signum, frame):
        if self.finished.is_set():
            return
        self.disarm()
        self.on_overrun()
        raise GradingOverrun()

    def _hard_stop(self):
        if not self.finished.is_set():
            self.on_hard_stop()

    def disarm(self) -> None:
        """No interruption from now on (the hard stop stays until :meth:`done`)."""
        if self._previous_handler is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous_handler)
            self._previous_handler = None

    def done(self) -> None:
        """The results are written: nothing more to stop."""
        self.finished.set()
        self.disarm()
        if self._timer is not None:
            self._timer.cancel()

    def __exit__(self, *exc) -> None:
        self.done()
