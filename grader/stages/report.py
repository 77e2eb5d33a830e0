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

Two parts start early, in a thread each, beside the grading's own work (issue 25): the
executed notebook and the written work once the notebook has run (:func:`start_written`,
while the probes run in the kernel), the figures once the tests are judged
(:func:`start_figures`, while the kernel shuts down). The report stage takes what they made.
"""
import copy
import json
import logging
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
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


def _in_thread(run, name, work):
    """Run ``work()`` in a thread of its own; its future goes to ``run.background[name]``."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"week6-{name}")
    run.background[name] = executor.submit(work)
    executor.shutdown(wait=False)


def start_written(run):
    """Save the executed notebook and collect and save the written work in a thread, now that the
    notebook has run: nothing later changes them (the probes run on the kernel, whose restarts put
    every cell back as it first ran). The thread works on a copy of the notebook's cell list, as the
    probes borrow a slot past its end."""
    if run.executed_notebook is None or "written" in run.background:
        return
    snapshot = copy.copy(run.executed_notebook)
    snapshot["cells"] = list(run.executed_notebook["cells"])
    view = copy.copy(run)
    view.executed_notebook = snapshot
    out_dir = Path(run.out_dir)

    def work():
        notes, timings = [], {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out_dir.mkdir(parents=True, exist_ok=True)
            step = time.perf_counter()
            _executed_notebook(view, out_dir, notes)
            timings["report.executed_notebook_drawn"] = time.perf_counter() - step
            step = time.perf_counter()
            _written(view, out_dir, notes)
            timings["report.written_drawn"] = time.perf_counter() - step
        return view.written, notes, timings

    _in_thread(run, "written", work)


def start_figures(run):
    """Draw the decision-boundary figures in a thread, now that the tests are judged (``run.trained``
    is complete)."""
    if "figures" in run.background:
        return
    trained_view = copy.copy(run)
    out_dir = Path(run.out_dir)

    def work():
        notes = []
        step = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out_dir.mkdir(parents=True, exist_ok=True)
            paths = _figures(trained_view, out_dir, notes)
        return paths, notes, {"report.figures_drawn": time.perf_counter() - step}

    _in_thread(run, "figures", work)


def _taken(run, name):
    """(result, notes, timings) of the early work ``name``, or None when it did not start or failed
    (the report stage then does that part itself)."""
    future = run.background.pop(name, None)
    if future is None:
        return None
    try:
        return future.result()
    except Exception:          # it is done again here, where its failure becomes a note
        log.debug("early %s failed", name, exc_info=True)
        return None


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
        early = _taken(run, "figures")
        if early is None:
            figures = _figures(run, out_dir, notes)
        else:
            figures, early_notes, timings = early
            notes.extend(early_notes)
            run.timings.update(timings)
        run.timings["report.figures"] = time.perf_counter() - step
        step = time.perf_counter()
        early = _taken(run, "written")
        if early is None:
            _executed_notebook(run, out_dir, notes)
            run.timings["report.executed_notebook"] = time.perf_counter() - step
            step = time.perf_counter()
            _written(run, out_dir, notes)
        else:
            run.written, early_notes, timings = early
            notes.extend(early_notes)
            run.timings.update(timings)
            run.timings["report.executed_notebook"] = 0.0
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
