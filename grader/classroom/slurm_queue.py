"""The Slurm commands the grader runs (sbatch, squeue, scancel, sacct, scontrol), and what it reads back.

    queue = SlurmQueue()
    array = queue.submit(Path("grade_array.sh"))                       # "1234"
    merge = queue.submit(Path("merge.sh"), array, dependency=f"afterany:{array}")
    queue.active([array, merge])      # {"1234_1": "RUNNING", "1234_2": "PENDING", "1235": "PENDING"}
    queue.final_state("1234_2")       # "FAILED, exit code 3" (sacct, else scontrol while it remembers)

Everything goes through :meth:`SlurmQueue.run` (one subprocess, output captured), so the tests can put a
stand-in in its place. A missing command or a refused submission is a :class:`SlurmError` that says which
command failed and what it printed.
"""
import re
import shutil
import subprocess
from pathlib import Path

from grader.classroom.outputs import BatchError

COMMAND_TIMEOUT = 60.0          # seconds for one squeue/sbatch call: slurmctld answers in milliseconds when well
UNKNOWN_JOB = re.compile(r"invalid job id", re.IGNORECASE)    # squeue of jobs that have left the queue


class SlurmError(BatchError):
    """A Slurm command is missing or failed (no Slurm here, a refused option, slurmctld unreachable)."""


class SlurmQueue:
    """The cluster as the grader sees it through Slurm's command-line tools (the Slurm config from the
    environment: ``SLURM_CONF`` or the system's)."""

    def run(self, argv: list[str]) -> subprocess.CompletedProcess:
        """Run one Slurm command; a missing command is a :class:`SlurmError`."""
        if shutil.which(argv[0]) is None:
            raise SlurmError(f"{argv[0]} not found: run this on a machine with Slurm's commands "
                             "(a cluster's login node), or see --dry-run for the job scripts")
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise SlurmError(f"{' '.join(argv)} did not answer in {COMMAND_TIMEOUT:g} s") from None

    def _checked(self, argv: list[str]) -> str:
        done = self.run(argv)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
            raise SlurmError(f"{' '.join(argv)} failed: {said}")
        return done.stdout

    def submit(self, script: Path, *args: str, dependency: str | None = None) -> str:
        """``sbatch`` the script (its ``#SBATCH`` lines say the rest) with ``args``; returns the job id."""
        argv = ["sbatch", "--parsable"] + ([f"--dependency={dependency}"] if dependency else [])
        out = self._checked([*argv, str(script), *args]).strip()
        job = out.split(";")[0]           # --parsable: "id" or "id;cluster"
        if not job.isdigit():
            raise SlurmError(f"sbatch printed {out!r}, not a job id")
        return job

    def cancel(self, job: str) -> None:
        self._checked(["scancel", job])

    def active(self, jobs: list[str]) -> dict[str, str]:
        """{job or "array_task": state} of those of ``jobs`` still in the queue (pending, running, completing),
        one entry per array task. Raises :class:`SlurmError` when squeue cannot answer."""
        done = self.run(["squeue", "--noheader", "--array", "--jobs", ",".join(jobs), "--format", "%i|%T"])
        if done.returncode != 0:
            if UNKNOWN_JOB.search(done.stderr or ""):        # every one of them has left the queue
                return {}
            raise SlurmError(f"squeue failed: {(done.stderr or done.stdout).strip()}")
        states = {}
        for line in done.stdout.splitlines():
            job, _, state = line.strip().partition("|")
            if job:
                states[job] = state
        return states

    def final_state(self, job: str) -> str | None:
        """How ``job`` ended ("COMPLETED", "FAILED, exit code 3", "CANCELLED by 0", "TIMEOUT", ...): from
        sacct where accounting is kept, else from scontrol while slurmctld remembers the job (MinJobAge),
        else None."""
        done = self.run(["sacct", "--noheader", "--parsable2", "--allocations", "--jobs", job,
                         "--format", "State,ExitCode"]) if shutil.which("sacct") else None
        if done is not None and done.returncode == 0 and done.stdout.strip():
            state, _, code = done.stdout.strip().splitlines()[-1].partition("|")
            return _describe(state, code)
        done = self.run(["scontrol", "--oneliner", "show", "job", job])
        if done.returncode != 0:
            return None
        fields = dict(re.findall(r"(\w+)=(\S*)", done.stdout))
        if "JobState" not in fields:
            return None
        return _describe(fields["JobState"], fields.get("ExitCode", ""), fields.get("Reason", ""))


def _describe(state: str, exit_code: str, reason: str = "") -> str:
    """"FAILED", "3:0" -> "FAILED, exit code 3"; "0:9" -> "killed by signal 9"; a reason other than None after."""
    words = [state.strip()]
    status, _, signal = exit_code.partition(":")
    if status.strip() not in ("", "0"):
        words.append(f"exit code {status.strip()}")
    if signal.strip() not in ("", "0"):
        words.append(f"killed by signal {signal.strip()}")
    if reason and reason not in ("None", "(null)"):
        words.append(reason)
    return ", ".join(words)
