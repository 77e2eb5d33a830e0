"""What a grading run produces: per-test results and the run's record.

Every stage of :mod:`grader.pipeline` reads and extends one :class:`GradingRun`.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args


# How a notebook cell ran; how one probe call went (the driver writes the first five).
CellStatus = Literal["ok", "error", "timeout", "hung", "died", "exited", "skipped", "not_run"]
ProbeStatus = Literal["ok", "error", "missing", "bad_output", "timeout", "not_run", "no_time"]
PROBE_STATUSES: tuple[str, ...] = get_args(ProbeStatus)


@dataclass
class TestResult:
    """One graded test, as the student reads it (the feedback's model, grader/reports/feedback_model.py,
    says it in words: results.json's output and the feedback pages are rendered from that).

    expected / got: what the grader wanted and what came back, in words and numbers.
    hint: how to go about fixing it (empty when passed).
    tags: machine-readable labels (e.g. a diagnosed mistake) for class-level counts.
    """
    name: str
    number: str
    max_score: float
    score: float = 0.0
    passed: bool = False
    expected: str = ""
    got: str = ""
    hint: str = ""
    visibility: str = "visible"
    tags: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    id: str = ""             # the stable id of its assignment TestSpec (tools and tests use it; results.json does not)
    failed_call: str | None = None   # the probe whose call did not return, when that is why it failed


@dataclass(frozen=True)
class ErrorFrame:
    """A frame of an error's traceback in the notebook's own code, as the probe driver saw it: the
    function, the line (counted in the function's cell) and that line's text."""
    function: str
    line: int
    text: str


MAX_ERROR_FRAMES = 20


def error_frames(value: Any) -> list:
    """[ErrorFrame] from what a probe's status file says (anything else, or nothing, gives [])."""
    if not isinstance(value, list):
        return []
    frames = []
    for item in value[-MAX_ERROR_FRAMES:]:
        if isinstance(item, dict) and isinstance(item.get("function"), str) and isinstance(item.get("line"), int):
            text = item.get("text")
            frames.append(ErrorFrame(item["function"][:100], item["line"], text[:200] if isinstance(text, str) else ""))
    return frames


@dataclass
class CellRecord:
    """How one notebook cell ran (hung: stopped answering after a timeout; exited: the cell ended the kernel)."""
    index: int
    status: CellStatus
    ename: str = ""
    evalue: str = ""
    seconds: float = 0.0


@dataclass
class GradingRun:
    """Everything known about one submission's grading, filled stage by stage.

    status: "graded", or why grading stopped early ("unreadable", "timeout", ...).
    probe_outcomes: probe id -> :class:`grader.stages.probe.ProbeOutcome` (values read with safe parsers).
    trained: exercise -> {"layer_sizes", "loss", "activation", "submission_W" (P,) or None,
             "reference_W" (P,), "submission_accuracy", "reference_accuracy"} for the figures.
    timings: stage name -> seconds (and "stage.part" keys for the parts of a stage).
    """
    notebook_path: Path
    out_dir: Path
    config: Any
    status: str = "graded"
    message: str = ""
    seed: int = 0
    notebook: Any = None
    executed_notebook: Any = None
    workdir: Path | None = None
    cells: list = field(default_factory=list)
    probe_plan: Any = None
    probe_outcomes: dict = field(default_factory=dict)
    tests: list = field(default_factory=list)
    trained: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    execution_time: float = 0.0
    session: Any = None
    sandbox_level: str | None = None   # the level that confined the notebook's kernel (None: it never ran)
    background: dict = field(default_factory=dict)   # work started early for a later stage: name -> Future
    budget: Any = None           # grader.budget.Budget of the whole grading (None: no deadline)
    written: Any = None      # grader.reports.written_work.WrittenWork: answers and plots for the TAs (no points)

    @property
    def stem(self):
        return Path(self.notebook_path).stem

    @property
    def score(self):
        return sum(test.score for test in self.tests)

    def exercise_scores(self):
        """{exercise id: points earned} for every exercise, 0 where no test ran."""
        # A function-level import for start-up speed: a grading process loads this module before it starts the
        # notebook's kernel; the assignment's modules (the reference, scipy: ~0.7 s) load while that kernel starts.
        from assignment import EXERCISE_IDS
        scores = {number: 0.0 for number in EXERCISE_IDS}
        for test in self.tests:
            scores[test.number] += test.score
        return scores

    def stop(self, status, message):
        """Mark the run as stopped early; later stages still write the report."""
        self.status = status
        self.message = message
