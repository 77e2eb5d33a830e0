"""The TAs' review page of a class, ``OUT/written_answers.html`` (each student's own page,
``answers/written.html``, is :mod:`grader.reports.written_page`'s).

Built from the ``OUT/<stem>/answers/answers.json`` files of grader.reports.written_work:
one section per written question with every student's answer side by side
(the reference's model answer first), then one section per plot with each
student's figures as thumbnails. Self-contained: the thumbnails are embedded as
base64 PNG and link to the full figure beside them, and nothing is loaded
from outside. Every text comes from a student's notebook and is escaped; it
is shown as written, not rendered as Markdown.

``python -m grader written-answers OUT`` writes the class page again from an OUT directory.
"""
from pathlib import Path

from student_template.written_answers import PLOTS, QUESTIONS, THUMBNAIL_PLOTS

from grader.reports.text import esc
from grader.reports.written_page import embedded_png, html_page, question_title, record_entry
from grader.reports.written_work import ANSWERS_DIR, STUDENT_PAGE, read_record

PAGE_NAME = "written_answers.html"


def _model_answers():
    try:
        from reference.answers import WRITTEN_ANSWERS
    except ImportError:          # a grader installed without the reference shows the students' answers only
        return {}
    return dict(WRITTEN_ANSWERS)


# --------------------------------------------------------------------------- the class

def _class_entries(out_root, rows):
    """[(label, stem, record or None)] in the gradebook's order (else the folders' order)."""
    from grader.classroom.outputs import GRADEBOOK
    from grader.classroom.gradebook import read_gradebook
    out_root = Path(out_root)
    if rows is None and (out_root / GRADEBOOK).is_file():
        rows = read_gradebook(out_root / GRADEBOOK)
    if rows is None:                  # no gradebook: every folder with written work, named as its notebook
        entries = []
        for path in sorted(out_root.glob(f"*/{ANSWERS_DIR}/answers.json")):
            record = read_record(path.parent)
            stem = path.parent.parent.name
            entries.append((str((record or {}).get("submission") or stem), stem, record))
        return entries
    entries = []
    for row in rows:
        stem = str(row.get("key") or "") or Path(str(row.get("submission", ""))).stem   # the folder OUT/<key>/
        student = str(row.get("student") or "").strip()
        label = f"{student} ({row.get('submission')})" if student and student != stem else str(row.get("submission"))
        entries.append((label, stem, read_record(out_root / stem / ANSWERS_DIR) if stem else None))
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


def render_class_page(out_root, rows=None):
    entries = _class_entries(out_root, rows)
    with_work = [(label, stem, record) for label, stem, record in entries if record is not None]
    without = [label for label, _, record in entries if record is None]
    models = _model_answers()
    counts = class_counts(out_root, rows)
    body = [f"<p>{len(with_work)} submissions with written work"
            + (f"; {len(without)} without (not readable or not graded): {esc(', '.join(without))}" if without else "")
            + ". Answers are shown as the students wrote them (Markdown source, not rendered).</p>", "<ul>"]
    body += [f'<li><a href="#{esc(q.id)}">{esc(q.id)}</a>: answered {counts[q.id]["answered"]}, '
             f"not answered: {counts[q.id]['not_answered']}</li>" for q in QUESTIONS]
    body += [f'<li><a href="#plot-{esc(p.id)}">{esc(p.id)}</a>: {esc(p.title)}</li>' for p in PLOTS
             if p.id in THUMBNAIL_PLOTS] + ["</ul>"]
    for question in QUESTIONS:
        body.append(f'<h2 id="{esc(question.id)}">{esc(question_title(question))}</h2>')
        cards, missing = [], []
        if question.id in models:
            cards.append(f'<div class="card model"><h3>Reference answer</h3>'
                         f'<div class="answer">{esc(models[question.id])}</div></div>')
        for label, stem, record in with_work:
            entry = record_entry(record, "questions", question.id)
            if not entry.get("answered"):
                missing.append(label)
                continue
            found = "" if entry.get("found_by") == "metadata" else " (found by the question's text)"
            cards.append(f'<div class="card"><h3>{esc(label)}<span class="meta">{esc(found)}</span></h3>'
                         f'<div class="answer">{esc(entry.get("text"))}</div></div>')
        body += ['<div class="grid">', *cards, "</div>"]
        body.append(f'<p class="missing">Not answered ({len(missing)}): {esc(", ".join(missing))}</p>' if missing
                    else "<p>Every submission answered.</p>")
    for plot in (p for p in PLOTS if p.id in THUMBNAIL_PLOTS):
        body.append(f'<h2 id="plot-{esc(plot.id)}">Exercise {esc(plot.exercise)}: {esc(plot.title)}</h2>')
        cards, missing = [], []
        for label, stem, record in with_work:
            entry = record_entry(record, "plots", plot.id)
            figures = [f for f in entry.get("figures") or [] if isinstance(f, dict)]
            thumbs = []
            for figure in figures:
                image = embedded_png(Path(out_root) / stem / ANSWERS_DIR / str(figure.get("thumbnail", "")), plot.title)
                if image:
                    href = f"{stem}/{ANSWERS_DIR}/{figure.get('image', '')}"
                    thumbs.append(f'<a href="{esc(href)}">{image}</a>')
            if not thumbs:
                missing.append(f"{label} ({entry.get('status', 'not found')})")
                continue
            cards.append(f'<div class="card"><h3>{esc(label)}</h3>{"".join(thumbs)}</div>')
        body += ['<div class="thumbs">', *cards, "</div>"]
        body.append(f'<p class="missing">No figure ({len(missing)}): {esc(", ".join(missing))}</p>' if missing
                    else "<p>Every submission shows the figure.</p>")
    body.append(f'<p class="meta">Each student\'s answers and figures, full size: '
                f"OUT/&lt;submission&gt;/{ANSWERS_DIR}/{STUDENT_PAGE}.</p>")
    return html_page("Week 6 written answers", body)


def write_answers_page(out_root, rows=None):
    """Write ``out_root/written_answers.html``; ``rows``: the gradebook's rows (read from gradebook.csv when None)."""
    path = Path(out_root) / PAGE_NAME
    path.write_text(render_class_page(out_root, rows), encoding="utf-8")
    return path
