"""Each exercise's part of the handout: stubs of its functions, its questions and plots, and the copy of them
that student_template/written_answers.py ships with."""
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import assignment  # noqa: E402
from assignment.kit import shared_cells  # noqa: E402
from assignment.kit.exercise import Exercise  # noqa: E402
from assignment.kit.handout import Ask, Code, Markdown, Question, Stub, placed_cells  # noqa: E402
from student_template import written_answers  # noqa: E402
from tools import build_template  # noqa: E402

EXERCISE_IDS = [exercise.id for exercise in assignment.EXERCISES]


def own_cells(exercise):
    """Every cell of the exercise's part: at its place and wherever it continues."""
    return exercise.handout + [cell for cells in exercise.handout_after.values() for cell in cells]


def fake_exercise(exercise_id, handout=(), handout_after=None, questions=()):
    module = ModuleType(f"fake_{exercise_id}")
    module.ID, module.TITLE, module.POINTS, module.FUNCTIONS = exercise_id, "fake", 1, ()
    module.HANDOUT, module.HANDOUT_AFTER, module.QUESTIONS = list(handout), dict(handout_after or {}), tuple(questions)
    return Exercise.of(module)


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_handout_has_one_stub_per_function_of_the_exercise_in_order(exercise_id):
    exercise = assignment.BY_ID[exercise_id]
    assert exercise.handout, f"{exercise.label} has no part in the handout"
    stubs = [cell.name for cell in own_cells(exercise) if isinstance(cell, Stub)]
    assert stubs == list(exercise.functions)


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_questions_and_plots_are_declared_and_placed_by_their_own_exercise(exercise_id):
    exercise = assignment.BY_ID[exercise_id]
    cells = own_cells(exercise)
    assert all(question.exercise == exercise.id for question in exercise.questions)
    assert all(plot.exercise == exercise.id for plot in exercise.plots)
    asked = [cell.question for cell in cells if isinstance(cell, Ask)]
    assert sorted(asked) == sorted(question.id for question in exercise.questions), "each question asked once"
    drawn = [cell.plot for cell in cells if isinstance(cell, Code) and cell.plot is not None]
    assert sorted(drawn) == sorted(plot.id for plot in exercise.plots), "each plot has one cell"


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_handout_heading_states_the_exercise_points(exercise_id):
    """POINTS is the one source of the points; the heading that introduces the exercise says the same."""
    exercise = assignment.BY_ID[exercise_id]
    shared = shared_cells.UNPACK + shared_cells.GRADIENT_CHECK + shared_cells.PLOT_HELPER
    first = next(cell for cell in exercise.handout if isinstance(cell, Markdown) and cell not in shared)
    stated = f"({exercise.points:g} extra points)" if exercise.bonus else f"({exercise.points:g} points)"
    assert stated in first.text


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_each_plot_section_pattern_matches_a_heading_of_its_exercise_before_the_plot_cell(exercise_id):
    """Where an editor dropped the metadata, student_template.written_answers finds a plot cell under its section heading."""
    exercise = assignment.BY_ID[exercise_id]
    cells = own_cells(exercise)
    for plot in exercise.plots:
        plot_at = next(i for i, cell in enumerate(cells) if isinstance(cell, Code) and cell.plot == plot.id)
        headings = [i for i, cell in enumerate(cells[:plot_at]) if isinstance(cell, Markdown)
                    and any(re.match(plot.section, line.strip(), re.IGNORECASE) for line in cell.text.splitlines())]
        assert headings, f"no heading of {exercise.label} above its plot cell matches {plot.section!r}"


def test_written_answers_holds_the_exercises_questions_and_plots_in_notebook_order():
    assert written_answers.QUESTIONS == tuple(q for exercise in assignment.EXERCISES for q in exercise.questions)
    assert written_answers.PLOTS == tuple(p for exercise in assignment.EXERCISES for p in exercise.plots)
    assert written_answers.THUMBNAIL_PLOTS == tuple(p.id for p in written_answers.PLOTS if p.thumbnail)


def test_written_answers_file_is_what_make_template_writes():
    text = build_template.WRITTEN_ANSWERS_PATH.read_text(encoding="utf-8")
    assert build_template.with_written_tables(text) == text, "run `make template` and commit student_template/written_answers.py"
    # the check can fail: a stale copy (one question's wording changed by hand) is rewritten
    stale = text.replace("How do you compute the gradient in this case?", "How is the gradient computed?")
    assert stale != text and build_template.with_written_tables(stale) == text


def test_written_tables_need_both_markers():
    with pytest.raises(ValueError, match="generated"):
        build_template.with_written_tables("QUESTIONS = ()\n")


def test_continued_part_goes_after_its_target_and_not_before():
    first = fake_exercise("x", [Markdown("x-md", "x")], {"y": [Markdown("x-later", "x, continued")]})
    second = fake_exercise("y", [Markdown("y-md", "y")])
    assert [(exercise.id, cell.id) for exercise, cell in placed_cells([first, second])] == \
        [("x", "x-md"), ("y", "y-md"), ("x", "x-later")]
    with pytest.raises(ValueError, match="not a later exercise"):
        placed_cells([second, first])


def test_builder_refuses_a_question_its_exercise_does_not_declare():
    declared = Question("x-q", "x", "Why?", "context")
    assert [cell.id for cell in build_template.build_cells([fake_exercise("x", [Ask("x-q")], questions=[declared])])
            if cell.id.startswith("x-q")] == ["x-q-md", "x-q-answer"]
    with pytest.raises(ValueError, match="'x-q'"):
        build_template.build_cells([fake_exercise("x", [Ask("x-q")])])
