"""Manual adjustments on top of the autograder's grade: ``OVERRIDES=overrides.csv``.

    submission,exercise,points,reason
    alice.ipynb,1d,3,"gradient right, tested on a transposed copy"
    12345,total,-10,late penalty agreed with the student

``submission``: the file name, path, key or student (:meth:`Submission.names`).
``exercise``: an exercise id (``1a`` .. ``3``, ``bonus``) or ``total``. ``points``:
added (negative: taken away). An exercise stays within [0, its points]; a
``total`` adjustment never takes the score below 0.

Never applied twice: after each grading the batch keeps the autograder's own
files (``results.autograder.json``, and ``feedback.autograder.json``: the model the
feedback pages are rendered from); every run rebuilds ``results.json`` and the
feedback from those plus the overrides of that run: the adjustments are added to the
data and the pages rendered again through their templates (grader/reports/feedback.py),
never patched. results.json lists them in ``extra_data.manual_adjustments`` and in its
``output``; the feedback shows them, with their reasons, under the score.
"""
import csv
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from assignment import EXERCISE_IDS, EXERCISE_POINTS
from grader.reports.feedback import MODEL_FILE, read_model, render_html, render_markdown, summary_output
from grader.reports.feedback_model import with_adjustments
from grader.reports.results_json import dumps
from grader.reports.text import clean_text, truncate, write_text_if_changed

COLUMNS = ("submission", "exercise", "points", "reason")
WHOLE_SCORE = "total"
RAW_FILES = {"results.json": "results.autograder.json", "feedback.json": "feedback.autograder.json"}


class OverridesError(ValueError):
    """The overrides file cannot be used (bad column, exercise, number, or unknown submission)."""


@dataclass
class Override:
    submission: str
    exercise: str
    points: float
    reason: str
    line: int = 0


def read_overrides(path):
    """The rows of an overrides CSV; raises :class:`OverridesError` naming the line of any problem."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [(h or "").strip().lower() for h in reader.fieldnames or []]
            missing = [c for c in COLUMNS[:3] if c not in header]
            if missing:
                raise OverridesError(f"{path}: missing column(s) {', '.join(missing)} "
                                     f"(expected {','.join(COLUMNS)})")
            rows = [({(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}, reader.line_num)
                    for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise OverridesError(f"{path}: not a readable CSV ({type(error).__name__}: {error})") from None
    overrides = []
    for row, line in rows:
        if not any(row.values()):
            continue
        exercise = row.get("exercise", "")
        if exercise not in EXERCISE_IDS and exercise.lower() != WHOLE_SCORE:
            raise OverridesError(f"{path}, line {line}: exercise {exercise!r} is none of "
                                 f"{', '.join(EXERCISE_IDS)} or {WHOLE_SCORE}")
        try:
            points = float(row.get("points", ""))
        except ValueError:
            points = math.nan
        if not math.isfinite(points):
            raise OverridesError(f"{path}, line {line}: points {row.get('points')!r} is not a number")
        if not row.get("submission"):
            raise OverridesError(f"{path}, line {line}: no submission named")
        overrides.append(Override(row["submission"], exercise.lower() if exercise.lower() == WHOLE_SCORE else exercise,
                                  points, row.get("reason", ""), line))
    return overrides


def resolve(overrides, submissions):
    """{submission key: [Override]}; raises :class:`OverridesError` for a row naming no submission
    of the class, or several."""
    by_key, problems = {}, []
    for override in overrides:
        wanted = override.submission.lower()
        matches = [s for s in submissions if wanted in s.names()]
        if len(matches) != 1:
            problems.append(f"line {override.line}: {override.submission!r} "
                            + ("is no submission of this class" if not matches else
                               f"names {len(matches)} submissions ({', '.join(s.relpath for s in matches[:5])})"))
            continue
        by_key.setdefault(matches[0].key, []).append(override)
    if problems:
        raise OverridesError("overrides: " + "; ".join(problems))
    return by_key


# ----------------------------------------------------------------- raw files

def keep_raw(result_dir):
    """Copy the autograder's results and feedback aside (right after a grading)."""
    for name, raw in RAW_FILES.items():
        source = Path(result_dir) / name
        if source.is_file():
            shutil.copyfile(source, Path(result_dir) / raw)


def has_raw(result_dir):
    return (Path(result_dir) / RAW_FILES["results.json"]).is_file()


def is_adjusted(result_dir):
    """Whether results.json carries adjustments (then it is not the autograder's own)."""
    try:
        results = json.loads((Path(result_dir) / "results.json").read_text(encoding="utf-8"))
        return bool(results.get("extra_data", {}).get("manual_adjustments"))
    except (OSError, ValueError, AttributeError):
        return False


# --------------------------------------------------------------------- apply

def adjusted_results(raw, overrides):
    """(results.json content, adjustments, exercise scores): ``raw`` (the autograder's) with
    ``overrides`` on top; its ``output`` is the caller's to render (:func:`apply_overrides`)."""
    results = json.loads(json.dumps(raw))
    extra = results.setdefault("extra_data", {})
    scores = {k: float(v) for k, v in (extra.get("exercise_scores") or {}).items()}
    for number in EXERCISE_IDS:
        scores.setdefault(number, 0.0)
    whole, adjustments = 0.0, []
    for override in overrides:
        if override.exercise == WHOLE_SCORE:
            before = sum(scores.values()) + whole
            applied = max(override.points, -before)
            whole += applied
        else:
            before = scores[override.exercise]
            after = min(max(before + override.points, 0.0), float(EXERCISE_POINTS[override.exercise]))
            applied = after - before
            scores[override.exercise] = after
        adjustments.append({"exercise": override.exercise, "points": override.points, "applied": round(applied, 4),
                            "reason": truncate(clean_text(override.reason), 500)})
    extra["exercise_scores"] = {k: round(v, 4) for k, v in scores.items()}
    extra["manual_adjustments"] = adjustments
    results["score"] = round(sum(scores.values()) + whole, 4)
    return results, adjustments, scores


def apply_overrides(result_dir, overrides):
    """Rebuild ``result_dir``'s results.json and feedback from the raw files and ``overrides``
    ([] restores the autograder's own): the adjustments go into the feedback's model, and the pages
    and results.json's output are rendered from it again. Writes only what changes. No raw files:
    nothing to do."""
    result_dir = Path(result_dir)
    try:
        raw = json.loads((result_dir / RAW_FILES["results.json"]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    try:
        model = read_model(result_dir / RAW_FILES[MODEL_FILE])
    except (OSError, ValueError):
        model = None          # the feedback could not be written when graded: results.json alone
    results = raw
    if overrides:
        results, adjustments, scores = adjusted_results(raw, overrides)
        if model is not None:
            model = with_adjustments(model, adjustments, scores)
            results["output"] = summary_output(model)
    write_text_if_changed(result_dir / "results.json", dumps(results, indent=1) + "\n")
    if model is not None:
        write_text_if_changed(result_dir / MODEL_FILE, json.dumps(model, ensure_ascii=False) + "\n")
        write_text_if_changed(result_dir / "feedback.md", render_markdown(model))
        write_text_if_changed(result_dir / "feedback.html", render_html(model, result_dir))
    return True
