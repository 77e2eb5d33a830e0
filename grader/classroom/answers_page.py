"""The TAs' review page of a class, ``OUT/written_answers.html`` (each student's own page,
``answers/written.html``, is :mod:`grader.reports.written_page`'s).

Built from the ``OUT/<key>/answers/answers.json`` files of grader.reports.written_work as a model
(:func:`class_page_model`), rendered through ``grader/templates/answers.html``: one section per
written question with every student's answer side by side (the reference's model answer first),
rendered from Markdown and LaTeX (:mod:`grader.reports.answer_markdown`), then one section per
plot with each student's figures as thumbnails that open the full figure. Students are named as
the roster or the LMS names them (:mod:`grader.classroom.people`), their id and file in the
tooltip. Self-contained: the thumbnails are embedded as base64 PNG and nothing is loaded from outside.

``python -m grader written-answers OUT`` writes the class page again from an OUT directory.
"""
import urllib.parse
from pathlib import Path

from student_template.written_answers import PLOTS, QUESTIONS, THUMBNAIL_PLOTS

from grader.classroom.gradebook import GRADEBOOK, read_gradebook
from grader.classroom.people import full_name, short_name, who
from grader.render import render
from grader.reports.answer_markdown import answer_model
from grader.reports.written_page import figures_of, plot_title, png_data_uri, question_title, record_entry
from grader.reports.written_work import ANSWERS_DIR, STUDENT_PAGE, read_record

PAGE_NAME = "written_answers.html"


def _model_answers():
    try:     # optional: imported here, where a grader without the reference still makes the page
        from reference.answers import WRITTEN_ANSWERS
    except ImportError:          # a grader installed without the reference shows the students' answers only
        return {}
    return dict(WRITTEN_ANSWERS)


# --------------------------------------------------------------------------- the class

def _class_entries(out_root, rows):
    """[(row, folder, record or None)] in the gradebook's order (else the folders' order); a row without
    a gradebook is {"submission": the notebook's name}."""
    out_root = Path(out_root)
    if rows is None and (out_root / GRADEBOOK).is_file():
        rows = read_gradebook(out_root / GRADEBOOK)
    if rows is None:                  # no gradebook: every folder with written work, named as its notebook
        entries = []
        for path in sorted(out_root.glob(f"*/{ANSWERS_DIR}/answers.json")):
            record = read_record(path.parent)
            folder = path.parent.parent.name
            entries.append(({"submission": str((record or {}).get("submission") or folder)}, folder, record))
        return entries
    entries = []
    for row in rows:
        folder = str(row.get("key") or "") or Path(str(row.get("submission", ""))).stem   # the folder OUT/<key>/
        entries.append((row, folder, read_record(out_root / folder / ANSWERS_DIR) if folder else None))
    return entries


def class_counts(out_root, rows=None):
    """{question id: {"answered": n, "not_answered": n}} over the submissions that have answers.json."""
    counts = {q.id: {"answered": 0, "not_answered": 0} for q in QUESTIONS}
    for _, _, record in _class_entries(out_root, rows):
        if record is None:
            continue
        for question in QUESTIONS:
            answered = bool(record_entry(record, "questions", question.id).get("answered"))
            counts[question.id]["answered" if answered else "not_answered"] += 1
    return counts


def _question(question, with_work, model):
    cards, missing = [], []
    for row, _, record in with_work:
        entry = record_entry(record, "questions", question.id)
        if not entry.get("answered"):
            missing.append(full_name(row))
            continue
        cards.append({"name": short_name(row), "title": who(row), "answer": answer_model(entry.get("text")),
                      "note": "" if entry.get("found_by") == "metadata" else "(found by the question's text)"})
    return {"id": question.id, "title": question_title(question), "model": answer_model(model) if model else {},
            "cards": cards, "missing": missing, "answered": len(cards), "not_answered": len(missing)}


def _plot(plot, with_work, out_root):
    cards, missing = [], []
    for row, folder, record in with_work:
        entry = record_entry(record, "plots", plot.id)
        thumbs = []
        for figure in figures_of(entry):
            src = png_data_uri(Path(out_root) / folder / ANSWERS_DIR / Path(str(figure.get("thumbnail", ""))).name)
            if src:
                href = urllib.parse.quote(f"{folder}/{ANSWERS_DIR}/{Path(str(figure.get('image', ''))).name}", safe="/")
                thumbs.append({"src": src, "href": href})
        if thumbs:
            cards.append({"name": short_name(row), "title": who(row), "thumbs": thumbs})
        else:
            missing.append(f"{full_name(row)} ({entry.get('status', 'not found')})")
    return {"id": plot.id, "title": plot_title(plot), "short_title": plot.title, "cards": cards, "missing": missing}


def class_page_model(out_root, rows=None) -> dict:
    """What the TAs' page shows (see the module's doc). rows: the gradebook's rows (read from
    gradebook.csv when None)."""
    entries = _class_entries(out_root, rows)
    with_work = [(row, folder, record) for row, folder, record in entries if record is not None]
    models = _model_answers()
    return {"title": "Week 6 written answers", "with_work": len(with_work),
            "without": [full_name(row) for row, _, record in entries if record is None],
            "questions": [_question(q, with_work, models.get(q.id)) for q in QUESTIONS],
            "plots": [_plot(p, with_work, out_root) for p in PLOTS if p.id in THUMBNAIL_PLOTS],
            "answers_dir": ANSWERS_DIR, "student_page": STUDENT_PAGE}


def render_class_page(out_root, rows=None) -> str:
    return render("answers.html", **class_page_model(out_root, rows))


def write_answers_page(out_root, rows=None):
    """Write ``out_root/written_answers.html``; ``rows``: the gradebook's rows (read from gradebook.csv when None)."""
    path = Path(out_root) / PAGE_NAME
    path.write_text(render_class_page(out_root, rows), encoding="utf-8")
    return path
