"""The handout's written questions and plot cells: where they sit in a notebook, and whether they are answered.

The template (student_template/build_template.py) asks each question of
:data:`QUESTIONS` in a markdown cell marked ``{"week6": {"question": id}}``,
followed by an answer cell marked ``{"week6": {"answer": id}}`` that holds
:data:`PLACEHOLDER`; the plot cells of :data:`PLOTS` are code cells marked
``{"week6": {"plot": id}}``. Nothing here gives points: the answers and plots
are collected for the TAs (grader.written_work, grader.answers_page).

Editors that drop cell metadata, and students who delete the answer cell and
write a new one, are common, so every lookup falls back on the text: a
question is found by its prompt, its answer is what follows it up to the next
code cell or section heading; a plot cell is a plotting cell of its exercise's
section.

Standard library only, on plain notebook dicts (nbformat's nodes are dicts
too): the student bundle ships this file beside week6_selfcheck.py, which
uses :func:`unanswered` to list what is still to write.
"""
import re
from dataclasses import dataclass

METADATA_KEY = "week6"
PLACEHOLDER = "Your answer here: double-click this cell to edit it."
MAX_ANSWER_CHARS = 20_000      # an answer longer than this is cut (with a marker) where it is stored or shown


@dataclass(frozen=True)
class Question:
    """A written question of the handout: ``prompt`` is its exact wording."""
    id: str
    exercise: str
    prompt: str
    context: str


@dataclass(frozen=True)
class Plot:
    """A cell the handout asks for a figure or check in; ``section`` matches its exercise's heading line."""
    id: str
    exercise: str
    title: str
    section: str


QUESTIONS = (
    Question("bonus-q", "bonus", "How do you compute the gradient in this case?",
             "the deep network of exercise 2 with relu hidden layers"),
    Question("3-q", "3", "How can you extend the binary cross-entropy to the multiclass problem?",
             "three classes, a softmax output"),
)
PLOTS = (
    Plot("1a", "1a", "Scatter plot of the binary data set", r"^#+\s*1a\b"),
    Plot("1b", "1b", "Check of the sigmoid's derivative", r"^#+\s*1b\b"),
    Plot("3", "3", "Scatter plot of the 3-class data set", r"^#+\s*Exercise 3\b"),
)
THUMBNAIL_PLOTS = ("1a", "3")  # the scatter plots the TA page shows as thumbnails

_PLOTTING = re.compile(r"\bplt\.|\.scatter\(|\.plot\(|\bimshow\(")


@dataclass
class Answer:
    """A question's answer in one notebook.

    text: what the student wrote (placeholder and prompt removed), "" when nothing.
    found_by: "metadata" (the marked answer cell), "heading" (the cells after the question's text),
        or "" (no answer cell and no question text found).
    """
    question: Question
    text: str
    found_by: str

    @property
    def answered(self):
        return bool(self.text)


# --------------------------------------------------------------------------- cells

def cell_text(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source or "")


def _marks(cell):
    metadata = cell.get("metadata") or {}
    marks = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return marks if isinstance(marks, dict) else {}


def _cells(nb):
    cells = nb.get("cells") if isinstance(nb, dict) else None
    return [cell for cell in cells if isinstance(cell, dict)] if isinstance(cells, list) else []


def _normalized(text):
    """Lower-case words only: markdown emphasis, punctuation and layout do not count."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def question_markdown(question):
    """The template's question cell."""
    return (f"**Written question ({'bonus' if question.exercise == 'bonus' else 'exercise ' + question.exercise}).** "
            f"{question.prompt}\n\n"
            "Answer in the cell below, in a few sentences (formulas welcome). It earns no points from the "
            "autograder: your TA reads it.")


def answer_markdown():
    """The template's answer cell."""
    return f"*{PLACEHOLDER}*"


def answer_text(text, question):
    """What a student's text says beyond the template's: "" for blank or template-only text."""
    template_lines = {_normalized(line) for block in (question_markdown(question), answer_markdown())
                      for line in block.splitlines()} - {""}
    kept = [line for line in text.splitlines() if _normalized(line) not in template_lines]
    text = "\n".join(kept).replace(answer_markdown(), "").replace(PLACEHOLDER, "").strip()
    if not _normalized(text.replace(question.prompt, "")):
        return ""
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS] + f"\n[... {len(text) - MAX_ANSWER_CHARS:,} more characters not kept]"
    return text


def _is_section_heading(cell):
    """A markdown cell that opens a new part of the lab (a heading line that is not the student's "Answer")."""
    if cell.get("cell_type") != "markdown":
        return False
    first = next((line.strip() for line in cell_text(cell).splitlines() if line.strip()), "")
    return bool(re.match(r"#{1,3}\s", first)) and "answer" not in first.lower()


def _question_index(cells, question):
    for index, cell in enumerate(cells):
        if _marks(cell).get("question") == question.id:
            return index
    prompt = _normalized(question.prompt)
    for index, cell in enumerate(cells):
        if cell.get("cell_type") in ("markdown", "raw") and prompt in _normalized(cell_text(cell)):
            return index
    return None


def _after_question(cells, start, question):
    """The text of the markdown and raw cells after the question cell, up to a code cell, a heading or
    another question; and the lines the student added to the question cell itself."""
    own = cell_text(cells[start]).split(question.prompt, 1)[-1] if question.prompt in cell_text(cells[start]) else ""
    parts = [own]
    others = {q.id for q in QUESTIONS} - {question.id}
    for cell in cells[start + 1:]:
        marks = _marks(cell)
        words = _normalized(cell_text(cell))
        if (cell.get("cell_type") == "code" or _is_section_heading(cell) or marks.get("question")
                or marks.get("answer") in others
                or any(_normalized(q.prompt) in words for q in QUESTIONS if q.id in others)):
            break
        parts.append(cell_text(cell))
    return "\n\n".join(part.strip() for part in parts if part.strip())


def find_answer(nb, question):
    """The :class:`Answer` to ``question`` in notebook ``nb`` (a dict)."""
    cells = _cells(nb)
    marked = [cell for cell in cells if _marks(cell).get("answer") == question.id]
    text = answer_text("\n\n".join(cell_text(cell) for cell in marked), question)
    if text:
        return Answer(question, text, "metadata")
    start = _question_index(cells, question)
    if start is not None:
        text = answer_text(_after_question(cells, start, question), question)
        if text:
            return Answer(question, text, "heading")
    return Answer(question, "", "metadata" if marked else ("heading" if start is not None else ""))


def find_answers(nb):
    """{question id: :class:`Answer`} for every question of :data:`QUESTIONS`."""
    return {question.id: find_answer(nb, question) for question in QUESTIONS}


def unanswered(nb):
    """The questions of :data:`QUESTIONS` that ``nb`` leaves blank or at the template's text, in order."""
    return [question for question in QUESTIONS if not find_answer(nb, question).answered]


def plot_cells(nb):
    """{plot id: [cell index]}: the cells marked for each plot, else the plotting code cells of its section.

    A section runs from the markdown cell with a line matching :attr:`Plot.section` to the next
    markdown heading of the same or a higher level (a plain-text cell does not end it).
    """
    cells = _cells(nb)
    found = {}
    for plot in PLOTS:
        marked = [i for i, cell in enumerate(cells) if cell.get("cell_type") == "code" and _marks(cell).get("plot") == plot.id]
        found[plot.id] = marked or _section_plot_cells(cells, plot)
    return found


def _heading_level(line):
    match = re.match(r"(#{1,6})\s", line.strip())
    return len(match.group(1)) if match else None


def _section_plot_cells(cells, plot):
    pattern = re.compile(plot.section, re.IGNORECASE)
    level, found = None, []
    for index, cell in enumerate(cells):
        lines = cell_text(cell).splitlines() if cell.get("cell_type") == "markdown" else []
        if level is None:
            level = next((_heading_level(line) for line in lines if pattern.match(line.strip())), None)
            continue
        levels = [lv for lv in map(_heading_level, lines) if lv is not None]
        if levels and min(levels) <= level:
            break
        if cell.get("cell_type") == "code" and _PLOTTING.search(cell_text(cell)) and "def " not in cell_text(cell):
            found.append(index)
            break                   # the section's first plotting cell: the one the handout asks for
    return found
