"""The whole grading's time budget: the notebook, the probes and the report fit in
``GraderConfig.time_budget`` seconds.

Gradescope stops an autograder at its timeout (10 minutes by default) and then
shows no results at all, so the grading must end by itself before that, with a
results.json: the notebook's cells get a share of the budget, the probes run
until the report's reserve, and the tests whose probes did not run by then are
"not checked: the grading time ran out" (0 points).
"""
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
