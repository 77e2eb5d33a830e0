"""Everything an instructor may tune: tolerances, time limits, sandbox, probes.

Change values here (or pass the matching command-line options); the tests
read the same objects, so a change is checked by ``make test``.
"""
from dataclasses import dataclass, field

# Points are the assignment's (assignment/<exercise module>.py POINTS and TESTS), not tuned here.


@dataclass
class Tolerances:
    """rtol/atol for values compared against the reference (float64 computations)."""
    rtol: float = 1e-6
    atol: float = 1e-9
    # central differences with step FD_STEP agree with an analytic gradient to about 1e-8
    fd_step: float = 1e-5
    fd_rtol: float = 1e-4
    fd_atol: float = 1e-7
    # trained accuracy passes at or above the reference's accuracy minus this margin
    accuracy_margin: float = 0.03


@dataclass
class GraderConfig:
    """Limits and switches of one grading run."""
    cell_timeout: float = 60.0          # seconds per notebook cell before it is interrupted
    notebook_timeout: float = 600.0     # seconds for all the notebook's cells together
    probe_timeout: float = 120.0        # seconds per group of probe calls
    # seconds for the whole grading of one notebook (cells, probes, report: see grader/budget.py),
    # under Gradescope's default autograder timeout of 10 minutes
    time_budget: float = 540.0
    # seconds per trained-accuracy check (all restarts). Generous on purpose: a correct submission
    # stops as soon as it reaches the pass mark (a second for vectorized code, ~10 s for per-sample
    # loops), so only slow code on a loaded machine ever gets near it, and it must not fail there.
    train_budget: float = 90.0
    train_restarts: int = 3
    memory_limit_mb: int = 2048
    max_processes: int = 256
    disk_limit_mb: int = 256            # the working directory's total size (grader/kernel/disk_quota.py); 0: no bound
    max_cell_output_bytes: int = 100_000
    max_notebook_output_bytes: int = 2_000_000
    sandbox: str = "auto"              # auto | bwrap | uid | none: grader/kernel/sandbox.py LEVELS, resolve_level
    seed: int | None = None             # None: derived from the submission's bytes
    figures: bool = True
    tolerances: Tolerances = field(default_factory=Tolerances)
