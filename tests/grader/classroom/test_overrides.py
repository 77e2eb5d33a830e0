"""Manual adjustments change the feedback's model and the pages are rendered again from it
(grader/classroom/overrides.py): never patched, never applied twice, and undone by an empty file."""
import json

from grader.classroom.overrides import Override, apply_overrides, keep_raw
from grader.config import GraderConfig
from grader.model import GradingRun
from grader.model import TestResult as Result   # not "Test...": pytest would try to collect it
from grader.reports.feedback import MODEL_FILE, read_model, render_html, render_markdown
from grader.reports.feedback_model import with_adjustments
from grader.stages.report import report
from tests.answered import score_text


def graded(tmp_path):
    tests = [Result(name="load_data", number="1a", max_score=5, score=2, passed=False, expected="X", got="Y"),
             Result(name="relu", number="bonus", max_score=5, score=5, passed=True, expected="relu")]
    run = GradingRun(notebook_path=tmp_path / "ann.ipynb", out_dir=tmp_path / "ann", config=GraderConfig(figures=False),
                     tests=tests, seed=3)
    report(run)
    keep_raw(run.out_dir)
    return run.out_dir


def files(folder):
    return {name: (folder / name).read_text(encoding="utf-8") for name in ("results.json", "feedback.md", "feedback.html")}


def test_an_adjustment_is_rendered_from_the_model_and_an_empty_list_restores_the_autograders(tmp_path):
    folder = graded(tmp_path)
    before = files(folder)
    overrides = [Override("ann", "1a", 2, "right idea, <b>wrong</b> axis"), Override("ann", "total", -1, "late")]
    assert apply_overrides(folder, overrides)
    after = files(folder)
    results = json.loads(after["results.json"])
    assert results["score"] == 2 + 2 + 5 - 1 and results["extra_data"]["exercise_scores"]["1a"] == 4
    model = read_model(folder / MODEL_FILE)
    assert model["score"]["line"] == f"{score_text(3, 5)}, extra credit)"      # 8: 3 base points, 5 bonus
    # the pages are the templates' rendering of the adjusted model, nothing added by hand
    assert after["feedback.md"] == render_markdown(model) and after["feedback.html"] == render_html(model, folder)
    raw = read_model(folder / "feedback.autograder.json")
    assert model == with_adjustments(raw, results["extra_data"]["manual_adjustments"], results["extra_data"]["exercise_scores"])
    assert "**Manual adjustments by the instructor:**" in after["feedback.md"]
    assert "- exercise 1a: +2 points: right idea, \\<b\\>wrong\\</b\\> axis" in after["feedback.md"]
    assert "&lt;b&gt;wrong&lt;/b&gt;" in after["feedback.html"] and "<b>wrong" not in after["feedback.html"]
    assert f"**Score: {score_text(3, 5)}, extra credit)**" in results["output"]
    assert "- whole score: -1 points: late" in results["output"]
    assert apply_overrides(folder, overrides) and files(folder) == after          # never twice
    assert apply_overrides(folder, []) and files(folder) == before                # the autograder's own again
