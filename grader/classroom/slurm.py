"""A class graded on a Slurm cluster: one job array of n tasks, then a merge job that waits for it.

    layout = SlurmLayout(Path("/shared/out"), tasks=20)
    plan = plan_jobs(Path("/shared/submissions"), layout, SlurmOptions(tasks=20, cpus=16), ["--sandbox", "auto"], [])
    print(plan.array_script, plan.merge_script)     # what --dry-run shows
    run = submit(plan, SlurmQueue())                # sbatch the array, then the merge (afterany)

Task k of n runs ``python -m grader grade-batch SUBMISSIONS --shard k/n --jobs <the task's CPUs>`` into
``OUT/.slurm/shards-of-n/shard-k``: the sharding rule of ``SHARD=k/n`` and of the GitHub workflow
(:func:`grader.classroom.shards.shard_of`), and grade-batch's resuming, so a task that is requeued, or
the whole command given again, grades only what is not graded yet or has changed. The merge job
(:mod:`grader.classroom.slurm_merge`) runs when every task has ended, however it ended (``afterany``),
and writes the class's gradebook and report into ``OUT``.

The job scripts are rendered from ``grader/templates/slurm/`` and kept in ``OUT/.slurm/`` beside
``run.json`` (the job ids), ``logs/`` (one log per task, one for the merge) and ``merge.json`` (what the
merge job did). The project (its ``.venv``), ``SUBMISSIONS`` and ``OUT`` must be on a filesystem every
node sees, at the same paths.
"""
import json
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from project import PROJECT_ROOT
from grader.classroom.gradebook import read_json
from grader.classroom.outputs import BatchError
from grader.classroom.shards import MANIFEST
from grader.classroom.slurm_queue import SlurmError, SlurmQueue
from grader.config import GraderConfig
from grader.render import render

SLURM_DIR = ".slurm"
RUN_FILE = "run.json"
MERGE_FILE = "merge.json"
ARRAY_SCRIPT = "grade_array.sh"
MERGE_SCRIPT = "merge.sh"

DEFAULT_CPUS = 4
DEFAULT_TIME = "02:00:00"
DEFAULT_JOB_NAME = "week6-grade"
MERGE_MEM = "4G"            # the merge copies results and draws the class report: one CPU, a few GiB
WORKER_MB = 512             # a grading worker besides its notebook's kernel (measured peak RSS: 200-350 MiB)

# Slurm's time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, and no limit
TIME_LIMIT = re.compile(r"^(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d+(:\d{2}){0,2}|UNLIMITED|INFINITE)$")
MEMORY = re.compile(r"^\d+[KMGT]?$")
WORD = re.compile(r"^[A-Za-z0-9_.,+:=@/-]+$")   # a partition or job name: no space, quote or '%'
# a path in a #SBATCH line: sbatch reads those lines without a shell, '%' starts one of its patterns
SBATCH_PATH = re.compile(r"^[^\s'\"\\%]+$")


def default_mem(cpus: int, config: GraderConfig | None = None) -> str:
    """Memory for a task of ``cpus`` CPUs: each CPU grades one notebook, whose kernel may use the
    grader's memory limit, plus the grading worker itself."""
    config = config or GraderConfig()
    return f"{cpus * (int(config.memory_limit_mb) + WORKER_MB)}M"


@dataclass(frozen=True)
class SlurmOptions:
    """What each task asks Slurm for. ``extra``: more ``#SBATCH`` lines for both jobs, e.g.
    ``--account=cs101`` or ``--qos=short`` (a leading ``#SBATCH`` is allowed). ``mem`` None: :func:`default_mem`."""
    tasks: int
    partition: str | None = None
    time: str = DEFAULT_TIME
    cpus: int = DEFAULT_CPUS
    mem: str | None = None
    extra: tuple = ()
    job_name: str = DEFAULT_JOB_NAME

    def __post_init__(self):
        if not (isinstance(self.tasks, int) and self.tasks >= 1):
            raise BatchError(f"the number of Slurm tasks must be at least 1, not {self.tasks!r}")
        if not (isinstance(self.cpus, int) and self.cpus >= 1):
            raise BatchError(f"CPUs per task must be at least 1, not {self.cpus!r}")
        if not TIME_LIMIT.match(self.time):
            raise BatchError(f"time limit {self.time!r}: give Slurm's form, e.g. 90 (minutes), 2:00:00 or 1-12:00:00")
        if self.mem is not None and not MEMORY.match(self.mem):
            raise BatchError(f"memory {self.mem!r}: give a number with K, M, G or T, e.g. 8G")
        for what, value in (("partition", self.partition), ("job name", self.job_name)):
            if value is not None and not WORD.match(value):
                raise BatchError(f"{what} {value!r}: letters, digits and _.,+:=@/- only")
        object.__setattr__(self, "extra", tuple(sbatch_line(line) for line in self.extra))


def sbatch_line(text: str) -> str:
    """``--account=cs101`` (or ``#SBATCH --account=cs101``) -> ``--account=cs101``; refuses what is not one option."""
    line = str(text).strip()
    line = line[len("#SBATCH"):].strip() if line.startswith("#SBATCH") else line
    if not line.startswith("-") or "\n" in line or "\r" in line:
        raise BatchError(f"extra #SBATCH line {text!r}: give one sbatch option, e.g. --account=cs101")
    return line


@dataclass(frozen=True)
class SlurmLayout:
    """Where a Slurm run keeps its files in ``OUT`` (see the module's doc)."""
    out: Path
    tasks: int

    @property
    def root(self) -> Path:
        return self.out / SLURM_DIR

    @property
    def shards(self) -> Path:
        """The shares' own OUT directories: kept per n, so that the same command again resumes each."""
        return self.root / f"shards-of-{self.tasks}"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def shard(self, k: int) -> Path:
        return self.shards / f"shard-{k}"

    def task_log(self, array_job: str, k: int) -> Path:
        return self.logs / f"grade-{array_job}_{k}.log"

    def merge_log(self, merge_job: str) -> Path:
        return self.logs / f"merge-{merge_job}.log"


@dataclass
class SlurmPlan:
    """The two job scripts of a run, ready for sbatch."""
    layout: SlurmLayout
    options: SlurmOptions
    array_script: str
    merge_script: str


@dataclass
class SlurmRun:
    """A submitted run (``OUT/.slurm/run.json``)."""
    array_job: str
    merge_job: str
    tasks: int
    submitted_at: float = field(default_factory=time.time)


def plan_jobs(submissions: Path, layout: SlurmLayout, options: SlurmOptions, grade_options: list[str],
              merge_options: list[str], *, python: str | None = None, project: Path = PROJECT_ROOT) -> SlurmPlan:
    """The job scripts for grading ``submissions`` (a folder every node sees) into ``layout.out``.

    grade_options: more ``grade-batch`` options for every task (the sandbox level, limits, roster, ...);
    merge_options: more ``slurm-merge`` options (overrides, the assignment's name, ...). Paths are made
    absolute: the jobs run in the project's directory.
    """
    if options.tasks != layout.tasks:
        raise BatchError(f"the layout is for {layout.tasks} tasks, the options for {options.tasks}")
    out = Path(layout.out).resolve()
    layout = SlurmLayout(out, layout.tasks)
    if not SBATCH_PATH.match(str(layout.logs)):
        raise BatchError(f"OUT {out}: Slurm's #SBATCH --output cannot hold a path with spaces, quotes, "
                         "backslashes or '%'; choose another OUT")
    model = {"job_name": options.job_name, "time": options.time, "cpus": options.cpus,
             "mem": options.mem or default_mem(options.cpus), "merge_mem": MERGE_MEM,
             "partition": options.partition, "extra": list(options.extra), "tasks": options.tasks,
             "log": str(layout.logs / "grade-%A_%a.log"), "merge_log": str(layout.logs / "merge-%j.log"),
             "project": str(Path(project).resolve()), "python": python or sys.executable,
             "submissions": str(Path(submissions).resolve()), "shards": str(layout.shards), "out": str(out),
             "grade_options": list(grade_options), "merge_options": list(merge_options)}
    return SlurmPlan(layout, options, render("slurm/grade_array.sh", **model), render("slurm/merge.sh", **model))


def read_run(layout: SlurmLayout) -> SlurmRun | None:
    data = read_json(layout.root / RUN_FILE)
    try:
        return SlurmRun(**data) if data else None
    except TypeError:
        return None


def submit(plan: SlurmPlan, queue: SlurmQueue) -> SlurmRun:
    """Write the scripts into ``OUT/.slurm/``, submit the array, then the merge (``afterany`` on it).

    Refuses while an earlier run into the same OUT is still in the queue. Removes the shares'
    ``shard.json`` left by earlier runs first: the merge job must take only what this run finished.
    """
    layout = plan.layout
    earlier = read_run(layout)
    if earlier is not None:
        still = queue.active([earlier.array_job, earlier.merge_job])
        if still:
            raise BatchError(f"an earlier Slurm run into {layout.out} is still in the queue (jobs {earlier.array_job} "
                             f"and {earlier.merge_job}): wait for it, or scancel {earlier.array_job} {earlier.merge_job}")
    layout.logs.mkdir(parents=True, exist_ok=True)
    for k in range(1, layout.tasks + 1):
        layout.shard(k).mkdir(parents=True, exist_ok=True)
        (layout.shard(k) / MANIFEST).unlink(missing_ok=True)
    (layout.root / MERGE_FILE).unlink(missing_ok=True)
    array_script, merge_script = layout.root / ARRAY_SCRIPT, layout.root / MERGE_SCRIPT
    array_script.write_text(plan.array_script, encoding="utf-8")
    merge_script.write_text(plan.merge_script, encoding="utf-8")
    array = queue.submit(array_script)
    try:
        merge = queue.submit(merge_script, array, dependency=f"afterany:{array}")
    except SlurmError:
        queue.cancel(array)           # an array without its merge would grade into nothing anyone reads
        raise
    run = SlurmRun(array_job=array, merge_job=merge, tasks=layout.tasks)
    (layout.root / RUN_FILE).write_text(json.dumps(asdict(run), indent=1) + "\n", encoding="utf-8")
    return run
