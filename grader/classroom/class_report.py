"""The class report: how a whole class did, for the instructor, taken in at a glance.

``write_class_report(OUT, rows)`` builds one model (:func:`report_model`, plain data) from the
gradebook rows (:func:`grader.classroom.gradebook.gradebook_row`), each submission's ``results.json``,
``submission.json`` and ``attempted.json``, and renders it through ``grader/templates/class_report.html``
(figures embedded as base64 PNG) and ``class_report.md`` (figures as ``OUT/class_report_*.png``):

* a summary: every input file accounted for (:mod:`grader.classroom.inputs`), the statuses, the
  mean and median, the points rule, the LMS files written or not and why;
* the class at a glance: a student x exercise matrix, each cell coloured by the fraction of the
  exercise's points, "not attempted" apart (:mod:`grader.classroom.attempts`), each student's name
  linking to their ``feedback.html``; late, adjusted, similar (a count, details on demand), the
  other files listed with the student and why a submission was not graded, in the same row;
* the score histogram; the near-identical pairs (for a person to look at, never a penalty);
* per exercise and per test: mean points, and failures counted over the submissions that
  attempted the exercise (a blank notebook fails no test: it attempted nothing);
* the most frequent failures and tags, the written questions, the slowest submissions, the
  submissions not graded and the files of no student.

Statistics over tests use the submissions with status ``graded``; the histogram shows every
submission (not graded = 0 points). What comes from a submission is escaped by the templates.
"""
import base64
import sys
import urllib.parse
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from assignment import BASE_POINTS, BONUS_EXERCISES, BONUS_POINTS, EXERCISE_IDS, EXERCISE_POINTS, label_of
from student_template.written_answers import QUESTIONS

from grader.classroom.answers_page import PAGE_NAME as ANSWERS_PAGE
from grader.classroom.answers_page import class_counts
from grader.classroom.attempts import read_attempted
from grader.classroom.class_figures import MAX_POINTS, figures, safe_id
from grader.classroom.gradebook import other_files, read_json
from grader.classroom.inputs import account, identities_of
from grader.classroom.people import full_name, short_name, who
from grader.reports.text import finite_number, fmt_points, one_line
from grader.render import render

HTML_NAME = "class_report.html"
MD_NAME = "class_report.md"
FIGURE_PREFIX = "class_report_"
TOP_FAILURES = 15
TOP_TAGS = 15
TOP_SLOWEST = 10
MAX_MESSAGE = 240          # characters of a "why not graded" in the matrix
POINTS_RULE = (f"Score = base points (exercises {EXERCISE_IDS[0]}-{EXERCISE_IDS[-1]} without the bonus, out of "
               f"{BASE_POINTS:g}) + bonus points (extra credit, out of {BONUS_POINTS:g}), so at most "
               f"{BASE_POINTS + BONUS_POINTS:g}; gradebook.csv's score and the LMS files hold that total, "
               f"and their points possible are {BASE_POINTS:g}.")
BANDS = [("p100", "full points"), ("p50", "half the points or more"), ("p1", "some points"), ("p0", "no points")]
NOT_ATTEMPTED = ("na", "not attempted (its functions are the template's stubs)")
NOT_GRADED = ("ng", "not graded (see why in the row)")


# ------------------------------------------------------------------------ data

def _result_dir(row):
    return row.get("key") or Path(row["submission"]).stem


def _load_results(out_root, row):
    return read_json(Path(out_root) / _result_dir(row) / "results.json") or {}


def class_statistics(out_root, rows, pairs=()):
    """The numbers of the report, as plain data (also handy for tests).

    pairs: the flagged near-identical pairs (:class:`grader.classroom.similarity.Pair`, by key).
    """
    rows = list(rows)
    graded = [row for row in rows if row.get("status") == "graded"]
    attempted = {_result_dir(row): read_attempted(Path(out_root) / _result_dir(row)) for row in graded}
    tests = {}                  # name -> {"exercise", "max", "scores": [], "passed", "not_attempted", "order"}
    exercise_passed = Counter()     # exercise -> attempts that passed all its tests
    failures, tags, tag_submissions = Counter(), Counter(), Counter()
    for row in graded:
        tried = attempted[_result_dir(row)]
        by_exercise = defaultdict(list)
        seen_tags = set()
        for test in _load_results(out_root, row).get("tests", []):
            if not isinstance(test, dict):
                continue
            name = one_line(test.get("name", ""), 200)
            exercise = str(test.get("number", ""))
            entry = tests.setdefault(name, {"exercise": exercise, "max": finite_number(test.get("max_score")),
                                            "scores": [], "passed": 0, "not_attempted": 0, "order": len(tests)})
            if not tried.get(exercise, True):
                entry["not_attempted"] += 1
                continue
            passed = test.get("status") == "passed"
            entry["scores"].append(finite_number(test.get("score")))
            entry["passed"] += passed
            by_exercise[exercise].append(passed)
            if not passed:
                failures[name] += 1
            for tag in test.get("tags") or []:
                tags[one_line(tag, 100)] += 1
                seen_tags.add(one_line(tag, 100))
        for exercise, verdicts in by_exercise.items():
            exercise_passed[exercise] += all(verdicts)
        tag_submissions.update(seen_tags)
    n = len(graded)
    exercises = []
    for exercise in EXERCISE_IDS:
        points = [finite_number(row.get(exercise)) for row in graded]
        tried = sum(1 for row in graded if attempted[_result_dir(row)].get(exercise, True))
        exercises.append({"exercise": exercise, "label": label_of(exercise), "max": EXERCISE_POINTS[exercise],
                          "mean": sum(points) / n if n else 0.0, "attempted": tried, "not_attempted": n - tried,
                          "passed_all": exercise_passed[exercise],
                          "pass_rate": exercise_passed[exercise] / tried if tried else 0.0})
    per_test = []
    for name, entry in sorted(tests.items(), key=lambda item: (_exercise_order(item[1]["exercise"]), item[1]["order"])):
        count = len(entry["scores"])
        per_test.append({"name": name, "exercise": entry["exercise"], "max": entry["max"],
                         "mean": sum(entry["scores"]) / count if count else 0.0,
                         "pass_rate": entry["passed"] / count if count else 0.0,
                         "failures": count - entry["passed"], "attempted": count,
                         "not_attempted": entry["not_attempted"]})
    attempts_of = {test["name"]: test["attempted"] for test in per_test}
    slowest = sorted((row for row in rows if row.get("status") != "missing"),
                     key=lambda row: -finite_number(row.get("execution_time")))[:TOP_SLOWEST]
    graded_scores = sorted(finite_number(row.get("score")) for row in graded)
    return {
        "submissions": len(rows), "graded": n, "statuses": Counter(row.get("status", "") for row in rows),
        "graded_scores": [finite_number(row.get("score")) for row in graded],
        "not_graded_scores": [finite_number(row.get("score")) for row in rows if row.get("status") != "graded"],
        "mean": sum(graded_scores) / n if n else 0.0, "median": _median(graded_scores),
        "exercises": exercises, "tests": per_test, "attempted": attempted,
        "failures": [(name, count, attempts_of[name]) for name, count in failures.most_common()],
        "tags": [(tag, count, tag_submissions[tag]) for tag, count in tags.most_common()],
        "slowest": slowest, "pairs": list(pairs),
        "fingerprints": sorted({row.get("grader_fingerprint", "") for row in rows} - {""}),
        "written": class_counts(out_root, rows),
    }


def _exercise_order(exercise):
    return EXERCISE_IDS.index(exercise) if exercise in EXERCISE_IDS else len(EXERCISE_IDS)


def _median(values):
    if not values:
        return 0.0
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


# ------------------------------------------------------------------------ model

def _href(out_root, row, name="feedback.html"):
    """A link relative to the report to ``<key>/<name>``, or "" when there is no such file."""
    key = _result_dir(row)
    return urllib.parse.quote(f"{key}/{name}", safe="/") if (Path(out_root) / key / name).is_file() else ""


def _band(points, maximum):
    """The css class of ``points`` out of ``maximum`` (:data:`BANDS`)."""
    fraction = points / maximum if maximum else 0.0
    if fraction >= 1 - 1e-9:
        return "p100"
    return "p50" if fraction >= 0.5 else ("p1" if fraction > 0 else "p0")


def _cells(row, tried):
    """One matrix cell per exercise: {"text", "css", "title"}. A submission not graded shows its points
    only where it has some (a timeout may stop a grading that earned points before)."""
    cells = []
    stopped = row.get("status") != "graded" and not any(finite_number(row.get(e)) for e in EXERCISE_IDS)
    for exercise in EXERCISE_IDS:
        maximum = EXERCISE_POINTS[exercise]
        if stopped:
            cells.append({"text": "", "css": NOT_GRADED[0], "title": f"{label_of(exercise)}: not graded"})
            continue
        points = finite_number(row.get(exercise))
        if not tried.get(exercise, True) and points == 0:
            cells.append({"text": "–", "css": NOT_ATTEMPTED[0], "title": f"{label_of(exercise)}: not attempted"})
            continue
        cells.append({"text": fmt_points(points), "css": _band(points, maximum),
                      "title": f"{label_of(exercise)}: {fmt_points(points)} / {fmt_points(maximum)}"})
    return cells


def _score_title(row):
    base = sum(finite_number(row.get(e)) for e in EXERCISE_IDS if e not in BONUS_EXERCISES)
    bonus = sum(finite_number(row.get(e)) for e in EXERCISE_IDS if e in BONUS_EXERCISES)
    return (f"{fmt_points(finite_number(row.get('score')))} = {fmt_points(base)} / {BASE_POINTS:g} base "
            f"+ {fmt_points(bonus)} / {BONUS_POINTS:g} bonus")


def _students(out_root, rows, stats, identities):
    by_key = {_result_dir(row): row for row in rows}
    partners = defaultdict(list)
    for pair in stats["pairs"]:
        partners[pair.first].append((pair.second, pair.first_share))
        partners[pair.second].append((pair.first, pair.second_share))
    students = []
    for row in rows:
        key = _result_dir(row)
        similar = [{"name": short_name(by_key.get(other, {"submission": other})),
                    "title": who(by_key.get(other, {"submission": other})),
                    "href": _href(out_root, by_key.get(other, {"key": other})), "share": f"{100 * share:.0f}%"}
                   for other, share in partners.get(key, [])]
        status = one_line(row.get("status", ""), 40)
        listed = [{"file": Path(name).name, "why": why} for name, why in other_files(identities.get(row.get("key", ""), {}))]
        students.append({
            "name": short_name(row), "title": who(row), "full_name": full_name(row),
            "href": _href(out_root, row), "score": fmt_points(finite_number(row.get("score"))),
            "score_title": _score_title(row), "status": status,
            "why": one_line(row.get("message", ""), MAX_MESSAGE) if status != "graded" else "",
            "cells": _cells(row, stats["attempted"].get(key, {})),
            "late": row.get("late") == "true", "adjusted": row.get("adjustments", ""),
            "flags": one_line(row.get("flags", ""), 200), "similar": similar,
            "other_files": listed,
        })
        students[-1]["notes"] = _notes_text(students[-1])
    return students


def _notes_text(student):
    """The row's notes as one line of plain text (the Markdown report's notes column)."""
    notes = [student["why"], "late" if student["late"] else "",
             f"adjusted by hand ({student['adjusted']} points)" if student["adjusted"] else "", student["flags"]]
    if student["similar"]:
        notes.append("similar to " + ", ".join(p["name"] for p in student["similar"]))
    if student["other_files"]:
        notes.append(f"{len(student['other_files'])} other file(s): "
                     + ", ".join(f"{f['file']} ({f['why']})" for f in student["other_files"]))
    return "; ".join(note for note in notes if note)


def _legend(students):
    """The colour legend's entries, only those the matrix uses."""
    used = {cell["css"] for student in students for cell in student["cells"]}
    entries = BANDS + [NOT_ATTEMPTED, NOT_GRADED]
    return [{"css": css, "text": words} for css, words in entries if css in used]


def _summary(stats, inputs, batch):
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(stats["statuses"].items()))
    lines = [inputs.line(),
             f"Submissions (one per student): {stats['submissions']} ({statuses or 'none'})",
             f"Graded: {stats['graded']}; mean score {fmt_points(stats['mean'])}, median {fmt_points(stats['median'])} "
             f"(out of {BASE_POINTS:g} + bonus {MAX_POINTS - BASE_POINTS:g})"]
    if batch is not None:
        written = [Path(path).name for path in batch.lms_files]
        lines.append("LMS import files: " + (", ".join(written) or "none")
                     + "".join(f"; {name} not written: {why}" for name, why in batch.lms_not_written.items()))
    lines += ["Written questions: " + "; ".join(f"{qid} not answered: {count['not_answered']}"
                                                for qid, count in stats["written"].items()),
              f"Grader fingerprint: {', '.join(f[:16] for f in stats['fingerprints']) or 'unknown'}",
              f"Written {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}"]
    return lines


def report_model(out_root, rows, stats, batch=None) -> dict:
    """Everything the templates show, as plain data. batch: the run's
    :class:`grader.classroom.outputs.BatchResult` (input files, skipped files, LMS files), if known."""
    rows = list(rows)
    identities = identities_of(out_root, rows)
    inputs = account(rows, identities, batch.files if batch is not None else None,
                     batch.skipped if batch is not None else [])
    students = _students(out_root, rows, stats, identities)
    by_key = {_result_dir(row): row for row in rows}
    tests_by_exercise = defaultdict(list)
    for test in stats["tests"]:
        tests_by_exercise[test["exercise"]].append(test)
    return {
        "title": "Week 6 class report",
        "summary": _summary(stats, inputs, batch),
        "points_rule": POINTS_RULE,
        "exercises": [{"id": e, "label": label_of(e), "max": fmt_points(EXERCISE_POINTS[e])} for e in EXERCISE_IDS],
        "students": students,
        "legend": _legend(students),
        "pairs": [{"first": short_name(by_key.get(p.first, {"submission": p.first})),
                   "first_href": _href(out_root, by_key.get(p.first, {"key": p.first})),
                   "first_score": fmt_points(finite_number(by_key.get(p.first, {}).get("score"))),
                   "second": short_name(by_key.get(p.second, {"submission": p.second})),
                   "second_href": _href(out_root, by_key.get(p.second, {"key": p.second})),
                   "second_score": fmt_points(finite_number(by_key.get(p.second, {}).get("score"))),
                   "shares": f"{100 * p.first_share:.0f}% / {100 * p.second_share:.0f}%"} for p in stats["pairs"]],
        "per_exercise": [{**e, "max": fmt_points(e["max"]), "mean": fmt_points(e["mean"]),
                          "mean_pct": f"{100 * e['mean'] / e['max']:.0f}%" if e["max"] else "",
                          "pass_rate": f"{100 * e['pass_rate']:.0f}%" if e["attempted"] else "–"}
                         for e in stats["exercises"]],
        "graded": stats["graded"],
        "tests": [{"exercise": exercise, "label": label_of(exercise) if exercise in EXERCISE_IDS else exercise,
                   "figure": f"tests_{safe_id(exercise)}",
                   "rows": [{"name": t["name"], "max": fmt_points(t["max"]), "mean": fmt_points(t["mean"]),
                             "attempted": t["attempted"], "passed": f"{100 * t['pass_rate']:.0f}%" if t["attempted"] else "–",
                             "failures": t["failures"], "not_attempted": t["not_attempted"]} for t in tests]}
                  for exercise, tests in tests_by_exercise.items()],
        "failures": [{"name": name, "count": count, "attempted": tried} for name, count, tried in stats["failures"][:TOP_FAILURES]],
        "tags": [{"tag": tag, "count": count, "submissions": subs} for tag, count, subs in stats["tags"][:TOP_TAGS]],
        "written": [{"id": q.id, "answered": stats["written"][q.id]["answered"],
                     "not_answered": stats["written"][q.id]["not_answered"]} for q in QUESTIONS],
        "answers_page": ANSWERS_PAGE,
        "slowest": [{"name": short_name(row), "title": who(row), "href": _href(out_root, row),
                     "seconds": f"{finite_number(row.get('execution_time')):.1f}", "status": row.get("status", "")}
                    for row in stats["slowest"]],
        "not_graded": [s for s in students if s["status"] != "graded"],
        "listed": [{"name": s["name"], "title": s["title"], **item} for s in students for item in s["other_files"]],
        "skipped": [{"file": item.relpath, "why": item.reason} for item in (batch.skipped if batch is not None else [])],
        "inputs_known": batch is not None and batch.files is not None,
    }


# ------------------------------------------------------------------ writing

def write_class_report(out_root, rows, with_figures=True, pairs=(), batch=None):
    """Write class_report.html and class_report.md (+ class_report_*.png) into ``out_root``; returns both paths.

    pairs: the near-identical pairs (:func:`grader.classroom.similarity.similar_pairs`); batch: the run's
    :class:`grader.classroom.outputs.BatchResult` (input files, LMS files), when there is one."""
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    stats = class_statistics(out_root, rows, pairs)
    model = report_model(out_root, rows, stats, batch)
    pngs = {}
    if with_figures:
        try:
            pngs = figures(stats)
        except Exception as error:      # a figure must never cost the report
            print(f"class report: figures could not be drawn ({type(error).__name__}: {error})", file=sys.stderr)
    for old in out_root.glob(FIGURE_PREFIX + "*.png"):
        old.unlink()
    files = {}
    for figure_id, data in pngs.items():
        files[figure_id] = f"{FIGURE_PREFIX}{figure_id}.png"
        (out_root / files[figure_id]).write_bytes(data)
    embedded = {figure_id: "data:image/png;base64," + base64.b64encode(data).decode("ascii")
                for figure_id, data in pngs.items()}
    md_path, html_path = out_root / MD_NAME, out_root / HTML_NAME
    md_path.write_text(render(MD_NAME, **model, figures=files), encoding="utf-8")
    html_path.write_text(render(HTML_NAME, **model, figures=embedded), encoding="utf-8")
    return html_path, md_path
