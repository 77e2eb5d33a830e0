"""What a class run leaves in ``OUT`` besides each submission's own directory, and what it reports.

:func:`finish_outputs` runs at the end of every :func:`grader.classroom.batch.grade_batch` and
:func:`grader.classroom.shards.merge_shards`: it rebuilds each results.json and feedback from the
autograder's own copies plus the overrides (:mod:`grader.classroom.overrides`), flags
near-identical pairs (:mod:`grader.classroom.similarity`) and writes ``gradebook.csv``
(:mod:`grader.classroom.gradebook`), ``canvas_grades.csv`` and ``moodle_grades.csv``
(:mod:`grader.classroom.lms_export`), ``class_report.html`` / ``class_report.md``
(:mod:`grader.classroom.class_report`) and the TAs' page of written answers. A
:class:`BatchResult` says what the run did.
"""
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grader.classroom.answers_page import write_answers_page
from grader.classroom.class_report import write_class_report
from grader.classroom.gradebook import GRADEBOOK, LIST_SEPARATOR, empty_row, gradebook_row, write_gradebook
from grader.classroom.inputs import identities_of, input_summary
from grader.classroom.lms_export import DEFAULT_ASSIGNMENT, lms_options, write_lms_files
from grader.classroom.overrides import OverridesError, apply_overrides, read_overrides, resolve
from grader.classroom.similarity import class_codes, partners, similar_pairs
from grader.classroom.submission_records import Found


OVERRIDES_FILE = "overrides.csv"         # the overrides of the last run that gave some, used again
MISSING_SHARD = "its shard was not among the merged directories"   # a missing row's message, unless told why


class BatchError(RuntimeError):
    """The batch cannot run at all (no such directory, bad shard, shards that do not fit together)."""


@dataclass
class BatchResult:
    """What :func:`grade_batch` (or :func:`merge_shards`) did.

    rows: the gradebook rows (dicts keyed by :data:`grader.classroom.gradebook.GRADEBOOK_COLUMNS`), in order.
    graded: submissions (paths below SUBMISSIONS) graded by this call; resumed: those kept as they were.
    skipped: the files not graded, and why; notes: lines for the summary (overrides, LMS files, roster);
    similar: the near-identical pairs (by key); answers_page: the TAs' written_answers.html (grader.classroom.answers_page).
    worker_rss_mb / kernel_rss_mb: worker pid -> peak resident memory (MiB) of the
    worker process itself / of its largest finished child (the notebook kernel).
    pool_restarts: how often the process pool had to be made again (a worker died or was killed).
    """
    out_root: Path
    rows: list = field(default_factory=list)
    graded: list = field(default_factory=list)
    resumed: list = field(default_factory=list)
    shard: tuple | None = None
    fingerprint: str = ""
    jobs: int = 0
    elapsed: float = 0.0
    pool_restarts: int = 0
    worker_rss_mb: dict = field(default_factory=dict)
    kernel_rss_mb: dict = field(default_factory=dict)
    gradebook: Path | None = None
    class_report: tuple | None = None
    lms_files: tuple = ()
    source: str = "folder"
    skipped: list = field(default_factory=list)         # [grader.classroom.submission_records.Skipped]: files of no student
    files: int | None = None                            # input files seen (None: not known, e.g. after a merge)
    lms_not_written: dict = field(default_factory=dict)  # LMS file name -> why it was not written
    notes: list = field(default_factory=list)
    similar: list = field(default_factory=list)         # [grader.classroom.similarity.Pair]
    answers_page: Path | None = None      # written_answers.html, the TAs' page of written answers and plots

    @property
    def statuses(self):
        """Counter of the rows' statuses."""
        return Counter(row["status"] for row in self.rows)

    def summary(self):
        counts = ", ".join(f"{count} {status}" for status, count in sorted(self.statuses.items()))
        shard = f" (shard {self.shard[0]}/{self.shard[1]})" if self.shard else ""
        lines = [f"{len(self.rows)} submissions{shard}: {counts or 'none'}; {len(self.graded)} run now, "
                 f"{len(self.resumed)} kept (unchanged since their last grading); {self.elapsed:.1f} s"]
        if self.files is not None:
            lines.append(input_summary(self.files, self.rows, self.skipped, self.out_root))
        lines += Found(root=self.out_root, skipped=self.skipped).skipped_summary()
        if self.similar:
            lines.append(f"{len(self.similar)} pair(s) of near-identical submissions to look at (class report)")
        return "\n".join(lines + self.notes)

    def as_json(self):
        """The summary for scripts (``--json``)."""
        return {"submissions": len(self.rows), "statuses": dict(self.statuses), "graded": self.graded,
                "resumed": self.resumed, "skipped": [{"path": s.relpath, "reason": s.reason} for s in self.skipped],
                "similar_pairs": [[p.first, p.second, round(p.share, 3)] for p in self.similar],
                "source": self.source, "shard": list(self.shard) if self.shard else None,
                "gradebook": str(self.gradebook) if self.gradebook else None,
                "class_report": str(self.class_report[0]) if self.class_report else None,
                "answers_page": str(self.answers_page) if self.answers_page else None,
                "lms_files": [str(p) for p in self.lms_files], "lms_not_written": self.lms_not_written,
                "files": self.files, "notes": self.notes,
                "elapsed": round(self.elapsed, 3)}


def overrides_for(out_root, overrides, submissions):
    """({key: [Override]}, note): from ``overrides`` (kept as OUT/overrides.csv for the next runs),
    else from the OUT/overrides.csv an earlier run kept."""
    stored = out_root / OVERRIDES_FILE
    path = Path(overrides) if overrides else (stored if stored.is_file() else None)
    if path is None:
        return {}, None
    try:
        table = read_overrides(path)
        by_key = resolve(table, submissions)
    except OverridesError as error:
        raise BatchError(str(error)) from None
    if overrides and path.resolve() != stored.resolve():
        shutil.copyfile(path, stored)
    where = "" if overrides else " (kept from an earlier run; give an empty file to drop them)"
    return by_key, f"overrides: {len(table)} adjustment(s) from {path}{where}"


def finish_outputs(result, entries, *, overrides=None, override_note=None, class_report=True,
                   lms=DEFAULT_ASSIGNMENT, similarity=True, missing_reasons=None):
    """Overrides, rows, similarity, gradebook, LMS files and class report from ``OUT/<key>/``.

    entries: [(submission relpath, key)] in gradebook order; a key of None gets a ``missing`` row, whose
    message is ``missing_reasons[relpath]`` where given (e.g. why its Slurm task did not finish).
    overrides: {key: [Override]} and override_note its line for the summary (:func:`overrides_for`).
    lms: :class:`grader.classroom.lms_export.LmsOptions`, or Canvas's column name (the other options' defaults).
    similarity: flag near-identical pairs; class_report: write the class report and the TAs' page.
    """
    out_root = Path(result.out_root)
    override_table = overrides or {}
    keys = [key for _, key in entries if key is not None]
    for relpath, key in entries:
        if key is not None:
            apply_overrides(out_root / key, override_table.get(key, []))
    if override_note:
        result.notes.append(override_note)
    rows = [gradebook_row(relpath, out_root / key) if key is not None else
            empty_row(relpath, "missing", (missing_reasons or {}).get(relpath, MISSING_SHARD))
            for relpath, key in entries]
    if similarity:
        codes, caches = class_codes(out_root, keys)
        try:
            result.similar = similar_pairs(codes, caches=caches)
        except Exception as error:      # a flag for a person to look at must never cost the gradebook
            result.notes.append(f"similarity could not be computed ({type(error).__name__}: {error})")
        others = partners(result.similar)
        by_key = {row["key"]: row["submission"] for row in rows}
        for row in rows:
            row["similar_to"] = LIST_SEPARATOR.join(by_key.get(k, k) for k in others.get(row["key"], []))
    result.rows = rows
    result.gradebook = write_gradebook(rows, out_root / GRADEBOOK)
    identities = identities_of(out_root, rows)
    written, result.lms_not_written = write_lms_files(out_root, rows, identities, lms_options(lms))
    result.lms_files = tuple(written)
    for path, left_out in written.items():
        if left_out:
            result.notes.append(f"{len(left_out)} submission(s) are not in {path.name} (no id for that LMS; "
                                f"give ROSTER= with ids or emails): " + ", ".join(left_out[:5])
                                + (" ..." if len(left_out) > 5 else ""))
    for name, why in result.lms_not_written.items():
        result.notes.append(f"{name} not written: {why}")
    if class_report:
        result.class_report = write_class_report(out_root, rows, pairs=result.similar, batch=result)
        result.answers_page = write_answers_page(out_root, rows)
    return result
