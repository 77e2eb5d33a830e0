"""results.json in Gradescope's autograder format (report stage).

Gradescope's documented format (https://gradescope-autograders.readthedocs.io/en/latest/specs/)
is captured in ``grader/reports/schemas/gradescope_results.schema.json``; the contract's stricter
rules (exercise ids, every field we always write) in ``grader/reports/schemas/week6_results.schema.json``
and, for what a schema cannot say (max_score totals per exercise), :func:`contract_problems`.

Everything that may come from a submission (test outputs, error messages, ``extra``
values) is made JSON-safe here: NaN/inf become strings in ``extra_data`` (0 where a
score is required), numpy values become plain numbers or lists, long texts are cut
with a visible ``[... truncated ...]`` marker, and the whole file is kept under
:data:`MAX_BYTES` whatever the content.
"""
import json
import math
from pathlib import Path

import numpy as np

from assignment import BASE_POINTS, BONUS_POINTS, EXERCISE_IDS, EXERCISE_POINTS
from grader.render import render
from grader.reports.feedback import summary_output, test_output
from grader.reports.feedback_model import build, exercise_scores
from grader.reports.text import clean_text, finite_number, truncate, write_text_atomically
from grader.reports.visibility import load_policy, visibility_of
from project import __version__

MAX_BYTES = 1_000_000            # results.json stays below this (Gradescope uploads it)
TARGET_BYTES = 900_000           # what the shrinking steps aim for, leaving a margin
TEST_OUTPUT_CHARS = 4_000        # each test's "output"
SUMMARY_CHARS = 8_000            # the top-level "output"
EXTRA_STR_CHARS = 1_000          # each string inside extra_data
EXTRA_ITEMS = 200                # each list / dict inside extra_data
EXTRA_DEPTH = 6                  # nesting kept inside extra_data
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
# A test with an unknown visibility is shown only once the instructor publishes
# the grades: never leaks a hidden test, never hides the total by accident.
FALLBACK_VISIBILITY = "after_published"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
# Gradescope renders the outputs as Markdown ("md"): the feedback's words, with code and tables; a
# submission's text reaches them escaped (grader/templates/feedback_*.md), never as HTML.
OUTPUT_FORMAT = "md"


GRADER_VERSION = __version__


# ------------------------------------------------------------------------ values

def jsonable(value, max_str=EXTRA_STR_CHARS, max_items=EXTRA_ITEMS, depth=EXTRA_DEPTH):
    """A JSON-safe copy of ``value`` (no NaN/inf, str keys, bounded size).

    NaN and +-inf become the strings "nan", "inf", "-inf"; numpy scalars and arrays
    become Python numbers and lists; other objects their (truncated) ``str``.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return "nan"
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        return number
    if isinstance(value, (complex, np.complexfloating)):
        return clean_text(value)
    if isinstance(value, (str, bytes, Path)):
        return truncate(value, max_str)
    if depth <= 0:
        return truncate(repr_safe(value), max_str)
    if isinstance(value, np.ndarray):
        flat = value.ravel()[:max_items]
        items = [jsonable(v, max_str, max_items, depth - 1) for v in flat.tolist()]
        if value.ndim <= 1 and value.size <= max_items:
            return items
        return {"shape": list(value.shape), "dtype": str(value.dtype), "first_values": items}
    if isinstance(value, dict):
        out = {}
        for i, (key, item) in enumerate(value.items()):
            if i >= max_items:
                out["[truncated]"] = f"{len(value) - max_items} more entries"
                break
            out[truncate(clean_text(key), 200)] = jsonable(item, max_str, max_items, depth - 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        out = [jsonable(v, max_str, max_items, depth - 1) for v in items[:max_items]]
        if len(items) > max_items:
            out.append(f"[... truncated {len(items) - max_items} more items]")
        return out
    return truncate(repr_safe(value), max_str)


def repr_safe(value):
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__}>"


# ----------------------------------------------------------------------- results

def test_dict(test, output, policy=None):
    """One entry of ``tests``: ``output`` is its Markdown (grader.reports.feedback.test_output); its
    visibility by the policy of :mod:`grader.reports.visibility`."""
    visibility = visibility_of(clean_text(getattr(test, "number", "")), clean_text(getattr(test, "name", "")),
                               clean_text(getattr(test, "visibility", "visible")), policy)
    tags = getattr(test, "tags", None) or []
    if isinstance(tags, (str, bytes)):
        tags = [tags]
    return {
        "name": truncate(getattr(test, "name", ""), 300),
        "name_format": "text",
        "number": clean_text(getattr(test, "number", "")),
        "score": round(finite_number(getattr(test, "score", 0.0)), 4),
        "max_score": round(finite_number(getattr(test, "max_score", 0.0)), 4),
        "status": "passed" if getattr(test, "passed", False) else "failed",
        "output": truncate(output, TEST_OUTPUT_CHARS),
        "output_format": OUTPUT_FORMAT,
        "visibility": visibility if visibility in VISIBILITIES else FALLBACK_VISIBILITY,
        "tags": [truncate(tag, 200) for tag in list(tags)[:EXTRA_ITEMS]],
        "extra_data": _extra(getattr(test, "extra", None)),
    }


def _extra(value):
    data = jsonable(value if value is not None else {})
    return data if isinstance(data, dict) else {"value": data}


def run_flags(run):
    """The names of the ``flag:<name>`` tags of the run's tests (for the instructor: e.g. a gradient
    made of finite differences), sorted, each once; the gradebook's ``flags`` column."""
    return sorted({clean_text(tag)[len("flag:"):] for test in run.tests for tag in (getattr(test, "tags", None) or [])
                   if isinstance(tag, str) and tag.startswith("flag:")})


def results_dict(run, notes=(), model=None):
    """The results.json content for ``run`` (a :class:`grader.model.GradingRun`).

    ``notes``: report-stage remarks (e.g. a figure that could not be drawn), kept in
    ``extra_data["report_notes"]``. ``model``: the run's feedback model (grader.reports.feedback_model),
    built here when not given: the outputs are its words, in Markdown. The result serializes with
    ``allow_nan=False`` to fewer than :data:`MAX_BYTES` bytes.
    """
    policy = load_policy()
    model = model if model is not None else build(run, notes=notes)
    tests = [test_dict(test, _output(test_output, model, key), policy) for test, key in zip(run.tests, model["order"])]
    extra = {
        "seed": jsonable(run.seed),
        "status": clean_text(run.status),
        "exercise_scores": {k: round(finite_number(v), 4) for k, v in exercise_scores(run).items()},
        "grader_version": GRADER_VERSION,
        "timings": {clean_text(k): round(finite_number(v), 4) for k, v in dict(run.timings or {}).items()},
    }
    if clean_text(run.message).strip():      # why grading stopped, in plain words (the output is Markdown)
        extra["message"] = truncate(run.message, EXTRA_STR_CHARS)
    if run.sandbox_level is not None:
        extra["sandbox"] = run.sandbox_level
    if getattr(run, "written", None) is not None:
        extra["written"] = jsonable(run.written.extra())
    if notes:
        extra["report_notes"] = [truncate(note, EXTRA_STR_CHARS) for note in notes][:50]
    flags = run_flags(run)
    if flags:
        extra["flags"] = flags
    results = {
        "score": round(sum(finite_number(getattr(t, "score", 0.0)) for t in run.tests), 4),
        "execution_time": round(finite_number(run.execution_time), 3),
        "output": truncate(summary_output(model), SUMMARY_CHARS),
        "output_format": OUTPUT_FORMAT,   # Gradescope's default, simple_format, would render HTML from the submission
        "test_output_format": OUTPUT_FORMAT,
        "tests": tests,
        "extra_data": extra,
    }
    return fit_size(results)


def _output(render, model, key):
    try:
        return render(model, key)
    except Exception as exc:   # a template bug must not cost the student the results
        return f"(output unavailable: {type(exc).__name__})"


# -------------------------------------------------------------- not graded

NOT_GRADED = "Not graded: the autograder could not run your notebook"
NOT_GRADED_STATUSES = ("environment_error", "grader_error")
WITHHELD = "Score withheld: your notebook was not graded"


def not_graded_results(status, message, execution_time=0.0, extra=None):
    """results.json for a submission the autograder could not grade for a reason that is not the
    student's (``status`` "environment_error": no sandbox; "grader_error": the grader broke).

    Gradescope needs a score, so the file holds 0; everything else says it is none: the output
    (Markdown) says "Not graded" and why, a visible test without points says it again, and a test of
    0 / 0 points shown only "after_published" hides the total from the student (Gradescope's rule:
    "If test cases are hidden, students will not be able to see their total score") until the staff
    publish the grades, which they do after grading the submission again."""
    output = render("not_graded.md", message=truncate(message, SUMMARY_CHARS), withheld=WITHHELD).strip()
    notice = {"name": NOT_GRADED, "name_format": "text", "status": "failed", "output": output,
              "output_format": OUTPUT_FORMAT, "visibility": "visible", "tags": [], "extra_data": {"notice": status}}
    withheld = {"name": WITHHELD, "name_format": "text", "score": 0, "max_score": 0, "status": "failed",
                "output": "The total is hidden until the course staff have graded your notebook.",
                "output_format": OUTPUT_FORMAT, "visibility": "after_published", "tags": [],
                "extra_data": {"notice": status}}
    return {"score": 0, "execution_time": round(finite_number(execution_time), 3), "output": output,
            "output_format": OUTPUT_FORMAT, "test_output_format": OUTPUT_FORMAT, "tests": [notice, withheld],
            "extra_data": {"seed": None, "status": clean_text(status), "message": truncate(message, EXTRA_STR_CHARS),
                           "exercise_scores": {number: 0.0 for number in EXERCISE_IDS},
                           "grader_version": GRADER_VERSION, "timings": {}, **(extra or {})}}


def dumps(results, indent=None):
    """JSON text; compact (C encoder, fast) unless ``indent`` is given. NaN/inf raise."""
    return json.dumps(results, allow_nan=False, ensure_ascii=False, indent=indent)


PRETTY_BYTES = 200_000           # results.json is indented when it stays this small


def fit_size(results, target=TARGET_BYTES):
    """Shrink ``results`` step by step until it serializes to at most ``target`` bytes."""
    def size():
        return len(dumps(results).encode("utf-8"))

    steps = [
        lambda: [t.__setitem__("extra_data", jsonable(t["extra_data"], 200, 20, 3)) for t in results["tests"]],
        lambda: [t.__setitem__("output", truncate(t["output"], 1_000)) for t in results["tests"]],
        lambda: [t.__setitem__("extra_data", {"truncated": True}) for t in results["tests"]],
        lambda: results.__setitem__("output", truncate(results["output"], 2_000)),
        lambda: [t.__setitem__("output", truncate(t["output"], 200)) for t in results["tests"]],
        lambda: [t.__setitem__("tags", t["tags"][:5]) for t in results["tests"]],
        lambda: [t.__setitem__("name", truncate(t["name"], 80)) for t in results["tests"]],
        lambda: results["extra_data"].pop("report_notes", None),
    ]
    for step in steps:
        if size() <= target:
            return results
        step()
    if size() > target:   # absurd numbers of tests: keep the score, say what happened
        results["output"] += "\n[... test details dropped: results.json would exceed 1 MB]"
        results["tests"] = results["tests"][:100]
    return results


def write_results(run, path, notes=(), model=None):
    """Write results.json for ``run`` to ``path`` (atomically) and return the path; ``model``: the
    feedback model the report stage built (else built here)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    results = results_dict(run, notes, model)
    text = dumps(results)
    if len(text.encode("utf-8")) < PRETTY_BYTES:
        text = dumps(results, indent=1)
    return write_text_atomically(path, text + "\n")


# ------------------------------------------------------------------ validation

def load_schema(name="gradescope_results"):
    """A schema from grader/reports/schemas/ (``gradescope_results`` or ``week6_results``), with what the
    assignment decides (the exercise ids, the top score) filled in where the file says ASSIGNMENT."""
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    if name == "week6_results":
        properties = schema["properties"]
        properties["score"]["maximum"] = BASE_POINTS + BONUS_POINTS
        schema["$defs"]["test"]["properties"]["number"]["enum"] = list(EXERCISE_IDS)
        properties["extra_data"]["properties"]["exercise_scores"]["required"] = list(EXERCISE_IDS)
    return schema


def contract_problems(results, status=None):
    """What in a results dict breaks the contract beyond the schemas; [] when nothing.

    Always: every test's ``number`` is an exercise id and its score lies in [0, max_score], except the
    notices of a run that was not graded (:func:`not_graded_results`), which only such a run has.
    For a graded run with a full test list (``status`` "graded", read from
    ``extra_data`` when not given): the max_scores of each exercise add up to its
    contract total (assignment.EXERCISE_POINTS) and the top-level score is their sum
    plus the manual adjustments (``extra_data.manual_adjustments``, :mod:`grader.classroom.overrides`).
    """
    problems = []
    tests = results.get("tests", [])
    if status is None:
        status = results.get("extra_data", {}).get("status")
    notices = [test for test in tests if "notice" in (test.get("extra_data") or {})]
    if notices and status not in NOT_GRADED_STATUSES:
        problems.append(f"tests of a {status} run say it was not graded ({', '.join(t.get('name', '') for t in notices)})")
    tests = [test for test in tests if test not in notices]
    for i, test in enumerate(tests):
        if test.get("number") not in EXERCISE_POINTS:
            problems.append(f"tests[{i}]: number {test.get('number')!r} is not an exercise id")
        if not 0 <= test.get("score", 0) <= test.get("max_score", 0) + 1e-9:
            problems.append(f"tests[{i}]: score {test.get('score')} outside [0, {test.get('max_score')}]")
    if status == "graded":
        totals = {number: 0.0 for number in EXERCISE_POINTS}
        for test in tests:
            if test.get("number") in totals:
                totals[test["number"]] += test.get("max_score", 0)
        for number, points in EXERCISE_POINTS.items():
            if abs(totals[number] - points) > 1e-6:
                problems.append(f"exercise {number}: max_score adds up to {totals[number]:g}, contract says {points}")
        adjustments = results.get("extra_data", {}).get("manual_adjustments") or []
        total = (sum(test.get("score", 0) for test in tests)
                 + sum(float(a.get("applied", 0)) for a in adjustments if isinstance(a, dict)))
        if abs(results.get("score", 0) - total) > 1e-3:
            problems.append(f"score {results.get('score')} is not the sum of test scores {total:g}")
    return problems


def validate_results(results, status=None):
    """Every problem with ``results``: both schemas, then :func:`contract_problems`."""
    import jsonschema

    problems = []
    for name in ("gradescope_results", "week6_results"):
        validator = jsonschema.Draft202012Validator(load_schema(name))
        problems += [f"{name}: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                     for e in validator.iter_errors(results)]
    return problems + contract_problems(results, status)
