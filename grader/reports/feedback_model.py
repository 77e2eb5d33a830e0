"""The model of a student's feedback: everything feedback.md, feedback.html and results.json's outputs
say, as plain data, built once from a grading run and rendered through templates (grader/render.py).

:func:`build` turns a :class:`grader.model.GradingRun` into a dict of plain values (str, numbers,
lists, dicts): the same dict renders the pages, is saved beside them (``feedback.json``), and is
loaded back by the overrides to add the instructor's adjustments and render again
(:func:`with_adjustments`). Its parts:

    notebook, status, seed, stopped, message    the header
    score                                       the points rule in words (:func:`score_line`)
    rows                                        the points per exercise
    tests        {key: test}                    every test: its fields (Expected, Got, Hint), its cause
    causes       {key: cause}                   what stopped calls (grader.reports.causes), in words
    problems     [cause key]                    the causes shown as problems (all but the stubs)
    not_written  [row]                          the stubs still to write, exercise by exercise
    shared       [hint]                         the hints that several failed tests share, said once
    exercises    [exercise]                     the tests of each exercise, in notebook order
    written, figures, notes, adjustments        the written work, figures, remarks, manual adjustments

Text the submission controls (values, error messages, cell lines, the notebook's name) stays plain
text here, cut to a bound; the templates escape it (HTML autoescaped, Markdown through filters).
Words that mix prose and code are "rich": a list of [kind, text] pairs, kind "text" or "code".
"""
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assignment import BASE_POINTS, BONUS_EXERCISES, BONUS_POINTS, EXERCISE_IDS, EXERCISE_POINTS, TITLES, label_of

from grader.reports.causes import FUNCTION_OF, find_causes
from grader.reports.diagnosis_report import fmt_error, row_error, rows_of
from grader.reports.text import clean_text, finite_number, fmt_points, one_line, truncate
from grader.reports.written_work import feedback_items

FIELD_CHARS = 4_000            # each Expected / Got / Hint as shown
NAME_CHARS = 300               # a test's name
MESSAGE_CHARS = 4_000          # the note of a stopped grading
INLINE_CHARS = 120             # longer single-line values are shown as a block
DETAILED_FAILURES = 60         # failed tests shown with Expected/Got/Hint; later ones get one line
MAX_CAUSES = 30                # causes shown; the rest are counted
MAX_HINT_LINES = 20            # lines of a test's hint


def score_line(base: float, bonus: float) -> str:
    """The points rule in words: "56 / 100 (51 / 100 base + 5 / 5 bonus, extra credit)"; the score is the
    base points plus the bonus points, so it may exceed the assignment's 100 by the bonus."""
    return (f"{fmt_points(base + bonus)} / {BASE_POINTS} ({fmt_points(base)} / {BASE_POINTS} base + "
            f"{fmt_points(bonus)} / {BONUS_POINTS} bonus, extra credit)")


def exercise_scores(run) -> dict:
    """{exercise id: points} of the run's tests, tolerant of tests with an unknown exercise id."""
    scores = {number: 0.0 for number in EXERCISE_IDS}
    for test in run.tests or []:
        key = clean_text(getattr(test, "number", ""))
        scores[key] = scores.get(key, 0.0) + finite_number(getattr(test, "score", 0.0))
    return scores


def score_split(scores: dict) -> tuple:
    """(base points, bonus points) of {exercise: points}."""
    bonus = sum(finite_number(v) for k, v in scores.items() if k in BONUS_EXERCISES)
    return sum(finite_number(v) for k, v in scores.items() if k not in BONUS_EXERCISES), bonus


def rich(*parts) -> list:
    """[[kind, text]] from strings (prose) and one-element tuples (code): rich("the cell ", ("x = 1",))."""
    return [["code", clean_text(part[0])] if isinstance(part, tuple) else ["text", clean_text(part)]
            for part in parts if (part[0] if isinstance(part, tuple) else part) != ""]


def code_list(names) -> list:
    """`a`, `b` and `c` as rich parts."""
    names = list(names)
    parts = []
    for i, name in enumerate(names):
        if i:
            parts.append(" and " if i == len(names) - 1 else ", ")
        parts.append((name,))
    return parts


# --------------------------------------------------------------------------- tests

@dataclass
class Field:
    """One labelled text of a failed test; block: shown as a preformatted block (multi-line or long);
    value: a value (code), else prose."""
    label: str
    text: str
    block: bool
    value: bool


def _field(label, text, value):
    text = truncate(text, FIELD_CHARS)
    return Field(label, text, "\n" in text or len(text) > INLINE_CHARS, value)


@dataclass
class Test:
    key: str
    id: str
    number: str
    name: str
    points: str
    score: float
    max_score: float
    passed: bool
    summary: str = ""                 # a passed test's "Passed. ..." text
    cause: str = ""                   # the key of the cause it failed because of ("": its own values)
    fields: list = field(default_factory=list)
    hints: list = field(default_factory=list)      # its own hint lines
    shared: list = field(default_factory=list)     # numbers (1-based) of the shared hints it has
    blocks: list = field(default_factory=list)     # gradient blocks: {"block", "error", "wrong"}
    blocks_call: str = ""
    blocks_summary: str = ""
    chart: str = ""                   # the file name of its gradient chart ("" none)
    detailed: bool = True             # shown with its fields (the first DETAILED_FAILURES failures)
    compact: bool = False             # on the page in one line: an earlier test of its exercise shows
                                      # the same diagnosed mistake in full (its shared hint, first)


def _block_rows(test):
    """The diagnose stage's gradient blocks of a test: [{"block", "error" (in words), "wrong"}]."""
    return [{"block": one_line(row["block"], 40), "error": fmt_error(row_error(row)), "wrong": bool(row.get("wrong"))}
            for row in rows_of(test)[:50]]


def _test(key, test, cause_key):
    passed = bool(getattr(test, "passed", False))
    view = Test(key, clean_text(getattr(test, "id", "")), clean_text(getattr(test, "number", "")),
                one_line(getattr(test, "name", ""), NAME_CHARS),
                f"{fmt_points(getattr(test, 'score', 0))} / {fmt_points(getattr(test, 'max_score', 0))}",
                finite_number(getattr(test, "score", 0)), finite_number(getattr(test, "max_score", 0)), passed,
                cause=cause_key or "")
    if passed:
        view.summary = truncate(f"Passed. {clean_text(getattr(test, 'expected', ''))}".strip(), FIELD_CHARS)
        return view
    view.fields = [_field(label, getattr(test, attr, ""), True)
                   for label, attr in (("Expected", "expected"), ("Got", "got"))
                   if clean_text(getattr(test, attr, "")).strip()]
    view.hints = [truncate(line, FIELD_CHARS) for line in clean_text(getattr(test, "hint", "")).split("\n")[:MAX_HINT_LINES]
                  if line.strip()]
    view.blocks = _block_rows(test)
    extra = getattr(test, "extra", None) or {}
    if view.blocks:
        view.blocks_call = one_line(extra.get("gradient_blocks_call", ""), 300)
        view.blocks_summary = truncate(extra.get("gradient_blocks_summary", ""), 1_000)
        # the diagnose stage says the blocks' summary in the hint too: the table shows it, once
        view.hints = [line for line in view.hints if line != f"Gradient block by block: {view.blocks_summary}"]
    return view


@dataclass
class SharedHint:
    """A hint line several failed tests have, said once: title (a diagnosed mistake's name, else "")."""
    number: int
    title: str
    text: str
    tests: list = field(default_factory=list)


def _diagnosis_titles(test):
    """{hint line: its title} for the lines the diagnose stage wrote ("This looks like: X. hint")."""
    titles = {}
    for record in (getattr(test, "extra", None) or {}).get("diagnosis") or []:
        if isinstance(record, dict):
            name, hint = clean_text(record.get("name")), clean_text(record.get("hint"))
            for lead in ("This looks like", "It could also be"):
                titles[f"{lead}: {name}. {hint}"] = (f"{lead}: {name}", hint)
    return titles


def _share_hints(run_tests, views):
    """Move the hint lines that two or more failed tests (of their own values) have into shared hints."""
    own = [(test, view) for test, view in zip(run_tests, views) if not view.passed and not view.cause]
    counts = {}
    for _, view in own:
        for line in dict.fromkeys(view.hints):
            counts[line] = counts.get(line, 0) + 1
    shared = {}
    for test, view in own:
        titles = _diagnosis_titles(test)
        for line in list(dict.fromkeys(view.hints)):
            if counts[line] < 2:
                continue
            if line not in shared:
                title, text = titles.get(line, ("", line))
                shared[line] = SharedHint(len(shared) + 1, title, truncate(text, FIELD_CHARS))
            shared[line].tests.append(view.key)
            view.shared.append(shared[line].number)
            view.hints = [hint for hint in view.hints if hint != line]
    return list(shared.values())


def _compact_repeats(views, shared):
    """One test in full per exercise and diagnosed mistake: the later ones of that exercise whose first
    shared hint is the same diagnosis are one line on the page (results.json keeps each in full)."""
    mistakes = {hint.number for hint in shared if hint.title}
    seen = set()
    for view in views:
        first = next((number for number in view.shared if number in mistakes), None)
        if view.passed or view.cause or first is None:
            continue
        if (view.number, first) in seen:
            view.compact = True
        seen.add((view.number, first))


# --------------------------------------------------------------------------- causes in words

CELL_FAILED = {"error": "raised an error", "timeout": "ran out of time", "hung": "stopped answering",
               "died": "ended the kernel (it crashed or used too much memory)", "exited": "ended the kernel (exit)"}
CALL_FAILED = {"timeout": "ran out of time", "bad_output": "returned something that is not numbers",
               "not_run": "could not be checked", "no_time": "was not checked"}


def _cell_words(code, heading):
    return ["The cell ", (code,)] + ([f' (under "{heading}")'] if heading else [])


def _cause(cause):
    """{key, kind, title, detail, hint, tests, cells}: a cause of grader.reports.causes in words."""
    detail, hint = [], ""
    if cause.kind == "cell":
        title = rich(*_cell_words(cause.cell_code, cause.cell_heading), " " + CELL_FAILED.get(cause.cell_status, "did not run"))
        detail = rich((cause.error,), *([f" at line {cause.line} of the cell: ", (cause.line_text,)] if cause.line_text else []))
        if cause.undefined:
            detail += rich(". It leaves ", *code_list(cause.undefined), " undefined")
        hint = ("Fix that cell and run it again: the tests that need it run again with it." if cause.cell_status == "error" else
                "Look in that cell for a loop that does not end, or code that uses much memory or exits Python.")
    elif cause.kind == "raises":
        title = rich((cause.function,), " raises an error")
        detail = rich((cause.error,), *([f" at line {cause.line} of its cell: ", (cause.line_text,)] if cause.line_text else []),
                      *([" (called by ", (cause.called_by,), ")"] if cause.called_by else []))
        hint = "Call it in your notebook with inputs like the tests' to see the whole traceback."
    elif cause.kind == "undefined":
        title = rich((cause.function,), " is not defined")
        detail = rich("No cell of your notebook defines it", *([" (", (cause.called_by,), " calls it)"] if cause.called_by else []), ".")
        hint = "Keep the name and the signature the template gives."
    elif cause.kind == "not_written":
        title = rich((cause.function,), " is not written yet")
        detail = rich("It still raises the template's ", ("NotImplementedError",), ".")
        hint = "Replace that line with your code."
    elif cause.kind == "not_run":
        title = rich(f"{len(cause.cells)} cell{'s' if len(cause.cells) != 1 else ''} did not run")
        detail = rich(cause.error) if cause.error else []
        hint = "Keep the notebook quick to run: no long loops of restarts, no sleeps."
    else:   # the reason is the grader's words (a submission's text in it is escaped as any text is)
        title = rich((cause.function,), " " + CALL_FAILED.get(cause.cell_status, "could not be checked")
                     + (f": {cause.error}" if cause.error else ""))
        hint = ("Look for a loop that does not end, or work repeated far more often than needed."
                if cause.cell_status in ("timeout", "no_time") else "")
    cells = [{"code": clean_text(name.code), "heading": clean_text(name.heading or "")} for name in cause.cell_names[:10]]
    return {"key": cause.key, "kind": cause.kind, "function": cause.function, "exercise": cause.exercise or "",
            "title": title, "detail": detail, "hint": hint, "tests": [], "cells": cells,
            "more_cells": max(0, len(cause.cells) - 10)}


def _not_written(causes):
    """[{exercise, label, points, functions: [{name, tests}]}] of the stubs, exercise by exercise."""
    rows = {}
    for cause in causes:
        if cause["kind"] != "not_written":
            continue
        exercise = FUNCTION_OF.get(cause["function"], "")
        row = rows.setdefault(exercise, {"exercise": exercise, "label": label_of(exercise) if exercise else "Other",
                                         "points": fmt_points(EXERCISE_POINTS.get(exercise, 0)), "functions": []})
        row["functions"].append({"name": cause["function"], "tests": len(cause["tests"])})
    order = {number: i for i, number in enumerate(EXERCISE_IDS)}
    return sorted(rows.values(), key=lambda row: order.get(row["exercise"], len(order)))


# --------------------------------------------------------------------------- the whole

def build(run, figures=(), notes=(), charts=None) -> dict:
    """The feedback model of ``run`` (see the module's docstring).

    figures: the decision-boundary PNGs (paths in the results folder); notes: remarks of the report stage;
    charts: {id(test): (path, png bytes)} of the gradient charts (grader.reports.diagnosis_report).
    """
    run_tests = list(run.tests or [])
    causes, cause_of = find_causes(run)
    views = [_test(f"t{i}", test, cause_key) for i, (test, cause_key) in enumerate(zip(run_tests, cause_of))]
    for test, view in zip(run_tests, views):
        chart = (charts or {}).get(id(test))
        view.chart = Path(chart[0]).name if chart else ""
    own_failures = [view for view in views if not view.passed and not view.cause]
    for view in own_failures[DETAILED_FAILURES:]:
        view.detailed = False
    shared = _share_hints(run_tests, views)
    _compact_repeats(views, shared)

    cause_views = [_cause(cause) for cause in causes]
    by_key = {cause["key"]: cause for cause in cause_views}
    for view in views:
        if view.cause:
            by_key[view.cause]["tests"].append(view.key)
    problems = [cause["key"] for cause in cause_views if cause["kind"] != "not_written"]

    scores = exercise_scores(run)
    base, bonus = score_split(scores)
    model = {
        "notebook": one_line(Path(clean_text(run.notebook_path)).name, 200),
        "status": one_line(run.status, 40),
        "seed": one_line(run.seed, 40),
        "stopped": run.status != "graded",
        "message": truncate(run.message, MESSAGE_CHARS),
        "scores": {k: round(v, 4) for k, v in scores.items()},
        "tests": {view.key: asdict(view) for view in views},
        "order": [view.key for view in views],
        "causes": by_key,
        "problems": problems[:MAX_CAUSES],
        "more_problems": max(0, len(problems) - MAX_CAUSES),
        "not_written": _not_written(cause_views),
        "shared": [asdict(hint) for hint in shared],
        "written": [{"label": clean_text(label), "text": clean_text(text), "ok": ok}
                    for label, text, ok in (feedback_items(run.written) if getattr(run, "written", None) else [])],
        "written_line": clean_text(run.written.summary_line()) if getattr(run, "written", None) else "",
        "figures": [{"file": Path(path).name, "title": _figure_title(path)} for path in figures or ()],
        "notes": [one_line(note, 500) for note in notes or ()],
        "adjustments": [],
    }
    return _with_totals(model)


def _figure_title(path):
    """decision_boundary_ex1.png -> "Decision boundary, exercise 1"."""
    label = label_of(Path(path).stem.rpartition("_ex")[2])
    return "Decision boundary, " + label[0].lower() + label[1:]


def _with_totals(model):
    """The score, the points table and the exercises' sections of ``model`` from its tests and scores
    (again after adjustments)."""
    tests = [model["tests"][key] for key in model["order"]]
    scores = dict(model["scores"])
    base, bonus = score_split(scores)
    whole = sum(a["applied"] for a in model["adjustments"] if a["exercise"] == "total")
    model["score"] = {"line": score_line(base + whole, bonus), "total": fmt_points(base + whole + bonus),
                      "base": fmt_points(base + whole), "bonus": fmt_points(bonus)}
    numbers = list(EXERCISE_IDS) + [t["number"] for t in tests if t["number"] not in EXERCISE_IDS]
    rows, sections = [], []
    for number in dict.fromkeys(numbers):
        mine = [t for t in tests if t["number"] == number]
        if not mine and number not in EXERCISE_POINTS:
            continue
        maximum = EXERCISE_POINTS.get(number, sum(t["max_score"] for t in mine))
        passed = sum(1 for t in mine if t["passed"])
        rows.append({"number": number, "points": f"{fmt_points(scores.get(number, 0))} / {fmt_points(maximum)}",
                     "tests": f"{passed} / {len(mine)}" if mine else "not tested"})
        shown = [t["key"] for t in mine if t["passed"] or not t["cause"]]
        if shown:
            title = TITLES.get(number, "")
            sections.append({"number": number, "heading": label_of(number) + (f": {title}" if title else ""),
                             "points": f"{fmt_points(sum(t['score'] for t in mine))} / "
                                       f"{fmt_points(sum(t['max_score'] for t in mine))}",
                             "tests": shown, "waiting": len(mine) - len(shown)})
    model["rows"] = rows
    model["total"] = {"points": model["score"]["line"],
                      "tests": f"{sum(t['passed'] for t in tests)} / {len(tests)}"}
    model["exercises"] = sections
    model["brief"] = len([t for t in tests if not t["passed"] and not t["cause"] and not t["detailed"]])
    return model


def with_adjustments(model: dict, adjustments: list, scores: dict) -> dict:
    """``model`` (the autograder's) with the instructor's adjustments: [{"exercise" (an id or "total"),
    "points" (asked), "applied", "reason"}] and the exercise scores after them (grader.classroom.overrides)."""
    adjusted = dict(model)
    adjusted["adjustments"] = [{"exercise": clean_text(a["exercise"]),
                                "what": "whole score" if a["exercise"] == "total" else f"exercise {clean_text(a['exercise'])}",
                                "applied": finite_number(a["applied"]), "points": finite_number(a["points"]),
                                "shown": ("+" if finite_number(a["applied"]) >= 0 else "-") + fmt_points(abs(finite_number(a["applied"]))),
                                "asked": ("+" if finite_number(a["points"]) >= 0 else "-") + fmt_points(abs(finite_number(a["points"]))),
                                "capped": abs(finite_number(a["applied"]) - finite_number(a["points"])) > 1e-9,
                                "reason": one_line(a.get("reason", ""), 500)} for a in adjustments]
    adjusted["scores"] = {k: round(finite_number(v), 4) for k, v in scores.items()}
    return _with_totals(adjusted)
