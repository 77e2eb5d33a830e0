"""The pipeline's last stage: write everything a grading run produced to ``run.out_dir``.

    results.json                  Gradescope's format (grader.reports.results_json), always written
    feedback.md, feedback.html    the student's report (grader.reports.feedback), rendered from
    feedback.json                 its model (grader.reports.feedback_model), which the overrides re-render
    decision_boundary_ex<k>.png   when run.config.figures and run.trained (grader.reports.figures)
    <stem>.executed.ipynb         the notebook as it ran, when there is one
    answers/                      the written answers and plot figures, for the TAs (grader.reports.written_work)

Odd content never makes this stage raise: a figure or file that cannot be made
becomes a note in the feedback (and in results.json's extra_data), and
results.json falls back to a minimal form rather than go missing. Only a
results directory that cannot be created at all raises. Prints nothing.
"""
import json
import logging
import time
import warnings
from pathlib import Path

import nbformat

from grader.reports.feedback import write_feedback
from grader.reports.results_json import dumps, write_results
from grader.reports.text import clean_text, finite_number, one_line
from grader.reports.written_work import collect, save

log = logging.getLogger(__name__)


def _problem(what, exc):
    return f"{what} ({type(exc).__name__}: {one_line(exc, 300)})"


def _figures(run, out_dir, notes):
    if not getattr(run.config, "figures", True) or not run.trained:
        return []
    try:
        from grader.reports.figures import decision_boundary_figures     # matplotlib: heavy; failing to import it is a note
        return decision_boundary_figures(run, out_dir, notes)
    except Exception as exc:
        notes.append(_problem("The decision-boundary figures could not be drawn", exc))
        return []


def _executed_notebook(run, out_dir, notes):
    nb = run.executed_notebook
    if nb is None:
        return None
    path = out_dir / f"{run.stem}.executed.ipynb"
    try:
        try:
            nbformat.validate(nb)
            valid = True
        except Exception:
            valid = False
        if valid:
            nbformat.write(nb, path)
        else:   # nbformat.write would log the validation error; keep the notebook as it is
            version = nb.get("nbformat", 4) if hasattr(nb, "get") else 4
            path.write_text(nbformat.versions[version].writes_json(nb), encoding="utf-8")
        return path
    except Exception as exc:
        notes.append(_problem("The executed notebook could not be saved", exc))
        return None


def _written(run, out_dir, notes):
    """Collect and save the written answers and plots (run.written); a failure is a note, never a lost grade."""
    try:
        run.written = collect(run)
        if run.written is not None:
            save(run.written, out_dir, Path(run.notebook_path).name)
    except Exception as exc:
        run.written = None
        notes.append(_problem("The written answers and plots could not be collected", exc))


def _minimal_results(run, exc):
    """results.json when the full form cannot be built: the score and what went wrong."""
    score = round(sum(finite_number(getattr(t, "score", 0.0)) for t in run.tests or []), 4)
    return {
        "score": score,
        "execution_time": round(finite_number(run.execution_time), 3),
        "output": f"Status: {one_line(run.status, 40)}\nThe detailed results could not be written "
                  f"({type(exc).__name__}); the score is the sum of the tests' scores.",
        "output_format": "text",     # (plain words: no template was involved)
        "tests": [],
        "extra_data": {"status": clean_text(run.status), "report_error": one_line(exc, 500)},
    }


def report(run):
    """Write results.json, the feedback, figures and the executed notebook; returns ``run``."""
    start = time.perf_counter()
    out_dir = Path(run.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        step = time.perf_counter()
        figures = _figures(run, out_dir, notes)
        run.timings["report.figures"] = time.perf_counter() - step
        step = time.perf_counter()
        _executed_notebook(run, out_dir, notes)
        run.timings["report.executed_notebook"] = time.perf_counter() - step
        step = time.perf_counter()
        _written(run, out_dir, notes)
        run.timings["report.written"] = time.perf_counter() - step
        step = time.perf_counter()
        model = None
        try:
            model = write_feedback(run, out_dir, figures, notes)
        except Exception as exc:
            log.debug("feedback failed", exc_info=True)
            notes.append(_problem("The feedback report could not be written", exc))
            try:
                (out_dir / "feedback.md").write_text(
                    "# Week 6 feedback\n\nThe detailed report could not be produced; "
                    "see results.json for the scores.\n", encoding="utf-8")
            except OSError:
                pass
        run.timings["report.feedback"] = time.perf_counter() - step

    run.timings["report"] = time.perf_counter() - start
    results_path = out_dir / "results.json"
    try:
        write_results(run, results_path, notes, model)
    except Exception as exc:
        log.debug("results.json failed", exc_info=True)
        results_path.write_text(dumps(_minimal_results(run, exc)) + "\n", encoding="utf-8")
    run.timings["report"] = time.perf_counter() - start
    return run


def read_results(out_dir):
    """The results.json a report wrote (for the CLI and the gradebook)."""
    return json.loads((Path(out_dir) / "results.json").read_text(encoding="utf-8"))
