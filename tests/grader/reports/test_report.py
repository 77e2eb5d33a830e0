"""The report stage: results.json, feedback.md/.html, figures, terminal table.

GradingRun objects are built by hand here, so these tests need neither a
notebook nor a kernel.
"""
import json
import math
import re
import struct

import nbformat
import numpy as np

import reference
from assignment import BASE_POINTS, BONUS_POINTS, EXERCISE_POINTS
from grader.config import GraderConfig
from grader.model import CellRecord, GradingRun
from grader.model import TestResult as Result   # not "Test...": pytest would try to collect it
from grader.stages.report import report
from grader.reports.results_json import (MAX_BYTES, contract_problems, load_schema, results_dict,
                                 validate_results)
from grader.reports.terminal import score_table
from tests.answered import FULL_MARKS, FULL_SCORE_TEXT, score_text

SCRIPT = "<script>alert(1)</script>"


# ---------------------------------------------------------------- helpers

def full_tests():
    """One passing test per exercise, max_score = the contract total."""
    return [Result(name=f"{number} works", number=number, max_score=points, score=points,
                       passed=True, expected=f"exercise {number} as specified")
            for number, points in EXERCISE_POINTS.items()]


def failing_tests():
    tests = full_tests()
    tests[2] = Result(name="bce_loss matches the reference", number="1c", max_score=15, score=0,
                          expected="0.693147 (lam = 0)", got="0.346574",
                          hint="Average over the N samples: the loss has a 1/N.",
                          tags=["missing_mean"])
    tests[3] = Result(name="bce_grad against finite differences", number="1d", max_score=15, score=5,
                          expected="max relative error < 1e-4\nper layer: W_1, b_1, W_2, b_2",
                          got="max relative error 0.5\nworst entry: b_2[0]",
                          hint="Biases are not regularized.")
    return tests


def make_run(tmp_path, tests=None, name="alice", **kwargs):
    kwargs.setdefault("seed", 1234)
    kwargs.setdefault("execution_time", 12.5)
    kwargs.setdefault("timings", {"execute": 3.0, "probe": 4.5})
    return GradingRun(notebook_path=tmp_path / "submissions" / f"{name}.ipynb",
                      out_dir=tmp_path / "out" / name, config=kwargs.pop("config", GraderConfig()),
                      tests=full_tests() if tests is None else tests, **kwargs)


def strict_json(path):
    """Parse results.json, refusing NaN / Infinity literals."""
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def outputs(run):
    out = run.out_dir
    return (strict_json(out / "results.json"), (out / "feedback.md").read_text(encoding="utf-8"),
            (out / "feedback.html").read_text(encoding="utf-8"))


def trained_entries(rng):
    """Random-weight networks for [2, 3, 1] (binary) and [2, 4, 3] (3 classes)."""
    X, t = reference.load_data()
    X3, t3 = reference.load_data_multiclass()
    return {
        "1": {"layer_sizes": [2, 3, 1], "loss": "bce", "activation": "sigmoid",
              "submission_W": reference.init_weights([2, 3, 1], rng),
              "reference_W": reference.init_weights([2, 3, 1], rng),
              "submission_accuracy": 0.5, "reference_accuracy": 0.975, "X": X, "t": t},
        "3": {"layer_sizes": [2, 4, 3], "loss": "ce", "activation": "sigmoid", "submission_W": None,
              "reference_W": reference.init_weights([2, 4, 3], rng),
              "submission_accuracy": None, "reference_accuracy": 0.9, "X": X3, "t": t3},
    }


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


# ------------------------------------------------------------ results.json

def test_full_run_matches_gradescope_format_and_contract(tmp_path):
    run = make_run(tmp_path)
    report(run)
    results, _, _ = outputs(run)
    assert validate_results(results) == []
    assert results["score"] == FULL_MARKS
    assert results["execution_time"] == 12.5
    assert [t["number"] for t in results["tests"]] == list(EXERCISE_POINTS)
    assert {t["status"] for t in results["tests"]} == {"passed"}
    assert results["tests"][0]["output"] == "Passed. exercise 1a as specified"
    extra = results["extra_data"]
    assert extra["seed"] == 1234 and extra["status"] == "graded"
    assert extra["exercise_scores"] == {k: float(v) for k, v in EXERCISE_POINTS.items()}
    assert extra["grader_version"]
    assert extra["timings"]["execute"] == 3.0 and extra["timings"]["report"] > 0
    assert f"Score: {FULL_SCORE_TEXT}, extra credit)" in results["output"]
    # Markdown, rendered by Gradescope; its default (simple_format) would render HTML from the submission
    assert results["output_format"] == results["test_output_format"] == "md"


def test_schemas_and_contract_check_reject_broken_results(tmp_path):
    good = results_dict(make_run(tmp_path))
    assert validate_results(good) == []

    def broken(change):
        data = json.loads(json.dumps(good))
        change(data)
        return validate_results(data)

    assert any("number" in p for p in broken(lambda d: d["tests"][0].__setitem__("number", "4")))
    assert any("exercise 1c" in p for p in broken(lambda d: d["tests"][2].__setitem__("max_score", 10)))
    assert any("sum of test scores" in p for p in broken(lambda d: d.__setitem__("score", 50)))
    assert broken(lambda d: d["tests"][0].__setitem__("status", "ok"))
    assert broken(lambda d: d["tests"][0].__setitem__("visibility", "public"))
    assert broken(lambda d: d.__setitem__("output_format", "markdown"))
    assert broken(lambda d: d.__setitem__("output_format", "html"))          # never HTML from a submission
    assert broken(lambda d: d["tests"][0].__setitem__("output_format", "simple_format"))
    assert broken(lambda d: d["tests"][0].__setitem__("tags", "single"))
    assert broken(lambda d: d["extra_data"].pop("seed"))
    assert broken(lambda d: [d.pop("score"), d.pop("tests")])
    assert broken(lambda d: d.__setitem__("scores", 1))   # misspelt key
    # totals are only required of a graded run with a full test list
    partial = json.loads(json.dumps(good))
    partial["tests"] = partial["tests"][:3]
    partial["score"] = 30
    assert contract_problems(partial, status="graded")
    assert contract_problems(partial, status="timeout") == []


def test_failed_tests_in_results(tmp_path):
    run = make_run(tmp_path, failing_tests())
    report(run)
    results, _, _ = outputs(run)
    assert validate_results(results) == []
    assert results["score"] == FULL_MARKS - 15 - 10
    by_name = {t["name"]: t for t in results["tests"]}
    loss = by_name["bce_loss matches the reference"]
    assert loss["status"] == "failed" and loss["score"] == 0 and loss["tags"] == ["missing_mean"]
    assert loss["output"] == ("**Expected:** `0.693147 (lam = 0)`\n\n**Got:** `0.346574`\n\n"
                              "**Hint:** Average over the N samples: the loss has a 1/N.")
    assert by_name["bce_grad against finite differences"]["score"] == 5
    assert results["extra_data"]["exercise_scores"]["1c"] == 0
    assert f"Tests: {len(EXERCISE_POINTS) - 2} passed, 2 failed" in results["output"]   # a test per exercise


def test_unreadable_notebook_still_gets_results(tmp_path):
    reason = "The file is not a notebook: Expecting value: line 1 column 1 (char 0)"
    run = make_run(tmp_path, tests=[], status="unreadable", message=reason, execution_time=0.1)
    report(run)
    results, md, html = outputs(run)
    assert validate_results(results) == []
    assert results["score"] == 0 and results["tests"] == []
    assert reason in results["output"] and "unreadable" in results["output"]
    assert results["extra_data"]["status"] == "unreadable"
    assert "Grading stopped early (unreadable)" in md and reason in md
    assert "Grading stopped early (unreadable)" in html
    assert "| 1a | 0 / 5 | not tested |" in md
    assert not list(run.out_dir.glob("*.ipynb")) and not list(run.out_dir.glob("*.png"))


def test_nan_inf_and_huge_outputs_stay_small_and_valid(tmp_path):
    tests = full_tests()
    tests[4] = Result(name="init_weights", number="1e", max_score=15, score=0,
                          expected="a gradient", got="x" * 5_000_000 + "END", hint="y" * 100_000,
                          extra={"loss": float("nan"), "limits": [float("inf"), -np.inf],
                                 "array": np.array([np.nan, 1.0]), "big": np.zeros(10 ** 6),
                                 "scalar": np.float32(0.5), "flag": np.bool_(True), "obj": object()})
    tests[5].score = float("nan")   # a check gone wrong must not write NaN
    run = make_run(tmp_path, tests, message="m" * 3_000_000)
    report(run)
    path = run.out_dir / "results.json"
    assert path.stat().st_size < MAX_BYTES
    results = strict_json(path)           # no NaN / Infinity literals
    assert validate_results(results) == []
    test = results["tests"][4]
    assert "[... truncated" in test["output"] and test["output"].endswith("y" * 100)
    assert len(test["output"]) < 4_200
    assert "[... truncated" in results["output"] and len(results["output"]) < 8_200
    extra = test["extra_data"]
    assert extra["loss"] == "nan" and extra["limits"] == ["inf", "-inf"] and extra["array"] == ["nan", 1.0]
    assert extra["big"]["shape"] == [10 ** 6] and extra["scalar"] == 0.5 and extra["flag"] is True
    assert results["tests"][5]["score"] == 0
    for name in ("feedback.md", "feedback.html"):
        assert (run.out_dir / name).stat().st_size < MAX_BYTES


def test_results_stay_under_1mb_with_thousands_of_tests(tmp_path):
    tests = [Result(name=f"case {i}", number="2", max_score=0.0125, got="z" * 10_000,
                        extra={"values": list(range(100))}) for i in range(2000)]
    run = make_run(tmp_path, tests, status="timeout", message="stopped")
    report(run)
    path = run.out_dir / "results.json"
    assert path.stat().st_size < MAX_BYTES
    results = strict_json(path)
    assert validate_results(results) == []
    assert results["score"] == 0
    for name in ("feedback.md", "feedback.html"):
        text = (run.out_dir / name).read_text(encoding="utf-8")
        assert len(text.encode()) < MAX_BYTES and "case 1999" in text
        assert "Details are shown for the first 60 failed tests." in text


# ------------------------------------------------------------ feedback

def test_feedback_shows_tables_failures_and_reproduction_seed(tmp_path):
    run = make_run(tmp_path, failing_tests())
    report(run)
    _, md, html = outputs(run)
    assert "# Week 6 feedback: alice.ipynb" in md
    score = f"{score_text(BASE_POINTS - 25, BONUS_POINTS)}, extra credit)"     # 1c's 15 and 10 of 1d's lost
    assert f"**Score: {score}**" in md
    assert "Seed: 1234" in md and "Seed: 1234" in html and "`--seed 1234`" in md
    assert "| 1c | 0 / 15 | 0 / 1 |" in md and "| 1d | 5 / 15 | 0 / 1 |" in md
    assert f"| **Total** | **{score}** | {len(EXERCISE_POINTS) - 2} / {len(EXERCISE_POINTS)} |" in md
    assert f'<p class="score">Score: {score}</p>' in html
    assert "- ✓ 1a works (5 / 5)" in md
    assert "#### ✗ bce\\_loss matches the reference (0 / 15)" in md
    assert "**Expected:** `0.693147 (lam = 0)`" in md and "**Got:** `0.346574`" in md
    assert "**Hint:** Average over the N samples: the loss has a 1/N\\." not in md  # '.' is not escaped
    assert "**Hint:** Average over the N samples: the loss has a 1/N." in md
    # multi-line values as preformatted blocks
    assert "**Got:**\n\n```text\nmax relative error 0.5\nworst entry: b_2[0]\n```" in md
    assert "<pre>max relative error 0.5\nworst entry: b_2[0]</pre>" in html
    assert "<code>0.346574</code>" in html


def test_feedback_escapes_submission_text(tmp_path):
    tests = failing_tests()
    tests[2].got = f"value {SCRIPT}"
    tests[3].got = f"line one\n{SCRIPT}\n```\nbreak out of the fence"
    tests[3].name = 'grad <img src=x onerror="alert(1)">'
    cells = [CellRecord(index=3, status="error", ename="ValueError", evalue=SCRIPT)]
    run = make_run(tmp_path, tests, name="evil<b>name", cells=cells, message=f"note {SCRIPT}")
    report(run)
    results, md, html = outputs(run)
    lowered = html.lower()
    assert "<script" not in lowered and "<img src=x" not in lowered and "<b>" not in lowered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "evil&lt;b&gt;name" in html
    # no external resources: every image is inline data
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", lowered) and "<link" not in lowered
    # Markdown: raw tags only inside code spans / blocks, never as markup
    assert not re.search(r"(?<!\\)<(img|b>)", md) and "evil\\<b\\>name" in md
    assert f"**Got:** `value {SCRIPT}`" in md
    assert "````text\nline one\n" in md   # fence longer than the ``` inside
    outside_code = re.sub(r"^(`{3,})text\n.*?\n\1$", "", md, flags=re.MULTILINE | re.DOTALL)
    assert outside_code.count("```") == 0                 # every fence was closed where it should be
    outside_code = re.sub(r"(`+).+?\1", "", outside_code)  # code spans
    assert SCRIPT in md and not re.search(r"(?<!\\)<", outside_code)
    assert results["output_format"] == "md" and all(t["output_format"] == "md" for t in results["tests"])
    outputs_md = "\n".join(t["output"] for t in results["tests"])
    outside_code = re.sub(r"^(`{3,})text\n.*?\n\1$", "", outputs_md, flags=re.MULTILINE | re.DOTALL)
    assert not re.search(r"(?<!\\)<", re.sub(r"(`+).+?\1", "", outside_code))   # no raw tag outside code


def test_cell_problems_are_named_as_a_student_finds_the_cells(tmp_path):
    """By the cell's first line and the heading above it, with the error and its line: never an index."""
    cells = [CellRecord(0, "ok"), CellRecord(2, "error", "NameError", "name 'W' is not defined"),
             CellRecord(3, "timeout", "CellTimeout", "the cell ran longer than 60 s and was interrupted"),
             CellRecord(4, "died", "KernelDied", "the kernel died while running this cell"),
             CellRecord(5, "not_run", "NotebookTimeout", "the notebook used its 600 s budget before this cell")]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np"), nbformat.v4.new_markdown_cell("## 1c. The loss"),
        nbformat.v4.new_code_cell("# start\nW = W + 1", outputs=[nbformat.v4.new_output(
            "error", ename="NameError", evalue="name 'W' is not defined",
            traceback=["\x1b[36mCell In[3], line 2\x1b[39m\n----> 2 W = W + 1", "NameError: name 'W' is not defined"])]),
        nbformat.v4.new_code_cell("while True: pass"), nbformat.v4.new_code_cell("import os; os._exit(1)"),
        nbformat.v4.new_code_cell("print('late')")])
    run = make_run(tmp_path, cells=cells, executed_notebook=nb)
    report(run)
    results, md, html = outputs(run)
    for text in (results["output"], md, html):
        assert not re.search(r"\b[Cc]ell \d", text)
    assert ("### 1. The cell `W = W + 1` (under \"1c. The loss\") raised an error\n\n"
            "`NameError: name 'W' is not defined` at line 2 of the cell: `W = W + 1`.") in md
    assert "The cell `while True: pass` (under \"1c. The loss\") ran out of time" in md
    assert "The cell `import os; os._exit(1)` (under \"1c. The loss\") ended the kernel" in md
    assert "1 cell did not run" in md and "- the cell `print('late')`" in md
    assert "The cell `W = W + 1` (under \"1c. The loss\") raised an error" in results["output"]
    assert "NameError: name &#39;W&#39; is not defined" in html


# ------------------------------------------------------------ figures

def test_figures_written_linked_and_embedded(tmp_path):
    trained = trained_entries(np.random.default_rng(0))
    trained["2"] = dict(trained["1"], layer_sizes=[2, 10, 10, 10, 10, 1],
                        reference_W=reference.init_weights([2, 10, 10, 10, 10, 1], np.random.default_rng(1)))
    # trained["2"]'s submission_W has the length of [2, 3, 1]: drawn as "wrong number of weights"
    run = make_run(tmp_path, trained=trained)
    report(run)
    _, md, html = outputs(run)
    names = sorted(p.name for p in run.out_dir.glob("*.png"))
    assert names == ["decision_boundary_ex1.png", "decision_boundary_ex2.png", "decision_boundary_ex3.png"]
    for name in names:
        path = run.out_dir / name
        width, height = png_size(path)
        assert width <= 800 and height <= 400
        assert path.stat().st_size < 150_000
        assert f"]({name})" in md
    assert html.count('src="data:image/png;base64,') == 3
    assert "could not be drawn" not in md


def test_figure_regions_follow_the_weights(tmp_path):
    """The left panel shows the submission's network: different weights, different pixels."""
    from grader.reports.figures import decision_boundary_figures

    trained = trained_entries(np.random.default_rng(0))
    first = make_run(tmp_path, name="a", trained={"1": trained["1"]})
    same = make_run(tmp_path, name="b", trained={"1": dict(trained["1"])})
    other = make_run(tmp_path, name="c", trained={"1": dict(trained["1"], submission_W=-trained["1"]["submission_W"])})
    images = [decision_boundary_figures(run, run.out_dir)[0].read_bytes() for run in (first, same, other)]
    assert images[0] == images[1] and images[0] != images[2]


def test_a_panel_without_a_network_says_so_in_its_title_and_every_figure_has_a_class_legend():
    """Nothing is drawn over the data points; the legend names each class's colour (and its label)."""
    from grader.reports.figures import decision_boundary_figure

    trained = trained_entries(np.random.default_rng(0))
    for key, classes in (("1", 2), ("3", 3)):
        figure = decision_boundary_figure(key, trained[key])
        mine, reference_panel = figure.axes
        assert len(mine.texts) == 0 and len(reference_panel.texts) == 0
        (legend,) = figure.legends
        assert [text.get_text() for text in legend.get_texts()] == [f"class {k + 1} (label {k})" for k in range(classes)]
    empty = decision_boundary_figure("3", trained["3"]).axes[0]       # trained["3"] has no submission network
    assert empty.get_title() == "Your network: no trained network" and not empty.images


def test_no_figures_when_disabled(tmp_path):
    run = make_run(tmp_path, trained=trained_entries(np.random.default_rng(0)),
                   config=GraderConfig(figures=False))
    report(run)
    _, md, html = outputs(run)
    assert not list(run.out_dir.glob("*.png"))
    assert "data:image/png" not in html and "Decision boundaries" not in md


def test_figure_failure_becomes_a_note(tmp_path):
    trained = trained_entries(np.random.default_rng(0))
    trained["2"] = {"layer_sizes": "not a list", "loss": "bce"}
    run = make_run(tmp_path, trained=trained)
    report(run)
    results, md, html = outputs(run)
    assert "The decision-boundary figure for exercise 2 could not be drawn" in md
    assert "could not be drawn" in html
    assert any("exercise 2" in note for note in results["extra_data"]["report_notes"])
    assert sorted(p.name for p in run.out_dir.glob("*.png")) == ["decision_boundary_ex1.png",
                                                                  "decision_boundary_ex3.png"]


def test_figure_module_crash_becomes_a_note(tmp_path, monkeypatch):
    import grader.reports.figures

    def explode(*args, **kwargs):
        raise MemoryError("no room")

    monkeypatch.setattr(grader.reports.figures, "decision_boundary_figures", explode)
    run = make_run(tmp_path, trained=trained_entries(np.random.default_rng(0)))
    report(run)
    results, md, _ = outputs(run)
    assert "The decision-boundary figures could not be drawn (MemoryError: no room)" in md
    assert validate_results(results) == []


# ------------------------------------------------------------ the stage

def test_executed_notebook_saved(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1\nx", execution_count=1, outputs=[
        nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=1)])])
    run = make_run(tmp_path, executed_notebook=nb)
    report(run)
    saved = nbformat.read(run.out_dir / "alice.executed.ipynb", as_version=4)
    assert saved.cells[0].source == "x = 1\nx"
    assert saved.cells[0].outputs[0]["data"]["text/plain"] == "1"


def test_invalid_executed_notebook_saved_quietly(tmp_path, capfd):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    nb.cells[0]["unexpected"] = True        # fails nbformat validation
    run = make_run(tmp_path, executed_notebook=nb)
    report(run)
    saved = json.loads((run.out_dir / "alice.executed.ipynb").read_text(encoding="utf-8"))
    assert "".join(saved["cells"][0]["source"]) == "print(1)"
    assert capfd.readouterr() == ("", "")


def test_report_prints_nothing_and_records_its_time(tmp_path, capfd):
    run = make_run(tmp_path, failing_tests(), trained=trained_entries(np.random.default_rng(0)))
    assert report(run) is run
    assert capfd.readouterr() == ("", "")
    assert run.timings["report"] > 0
    results = strict_json(run.out_dir / "results.json")
    assert 0 < results["extra_data"]["timings"]["report"] <= run.timings["report"]


def test_unknown_exercise_id_does_not_crash(tmp_path):
    tests = full_tests() + [Result(name="stray", number="4", max_score=1, score=1, passed=True)]
    run = make_run(tmp_path, tests)
    report(run)
    results, md, _ = outputs(run)
    assert results["score"] == FULL_MARKS + 1
    assert any("'4' is not an exercise id" in p for p in validate_results(results))
    assert "## Exercise 4" in md


def test_gradescope_schema_is_valid_draft_2020_12():
    import jsonschema

    for name in ("gradescope_results", "week6_results"):
        schema = load_schema(name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)
    documented = load_schema()["$defs"]["test"]["properties"]
    assert set(documented) == {"score", "max_score", "status", "name", "name_format", "number", "output",
                               "output_format", "tags", "visibility", "extra_data"}


# ------------------------------------------------------------ terminal

def test_score_table_shows_totals_and_failures(tmp_path):
    tests = failing_tests()
    tests[2].got = "0.35 \x1b[31mred\x1b[0m\nsecond line"
    run = make_run(tmp_path, tests)
    table = score_table(run)
    lines = table.splitlines()
    assert lines[0] == "alice.ipynb: status graded, seed 1234"
    assert "  1c               0 / 15  0/1 passed" in lines
    assert "  1d               5 / 15  0/1 passed" in lines
    assert f"  score    {score_text(BASE_POINTS - 25, BONUS_POINTS)}, extra credit)" in lines
    assert "Failed tests (2):" in lines
    failed = [line for line in lines if line.startswith("  [1")]
    assert len(failed) == 2 and failed[0].startswith("  [1c] bce_loss matches the reference (0/15): got 0.35")
    assert "\x1b" not in table and all(len(line) <= 100 for line in failed)
    assert lines[-1] == f"Report: {run.out_dir / 'feedback.html'}"
    assert table.isascii()


def test_score_table_for_a_stopped_run(tmp_path):
    run = make_run(tmp_path, tests=[], status="unreadable", message="not JSON")
    table = score_table(run)
    assert f"  score    {score_text(0, 0)}, extra credit)" in table.splitlines()
    assert "Grading stopped early (unreadable): not JSON" in table
    assert "Failed tests" not in table


def test_fractional_scores_rounded(tmp_path):
    tests = [Result(name=f"part {i}", number="1c", max_score=5, score=5 / 3, passed=False) for i in range(3)]
    results = results_dict(make_run(tmp_path, tests, status="timeout"))
    assert results["score"] == 5.0
    assert [t["score"] for t in results["tests"]] == [1.6667] * 3
    assert math.isclose(sum(t["max_score"] for t in results["tests"]), 15)


# ------------------------------------------------------------ not graded

def test_a_run_the_autograder_could_not_grade_says_so_and_hides_the_total():
    """Gradescope needs a score: the file holds 0, and says it is none (Markdown output, a visible
    notice without points, the total hidden behind a test shown only once the grades are published)."""
    from grader.reports.results_json import not_graded_results

    results = not_graded_results("environment_error", "No sandbox: <b>bwrap</b> refused", 1.5, {"gradescope": {}})
    assert validate_results(results) == []
    assert results["output"].startswith("**Not graded.** No sandbox: \\<b\\>bwrap\\</b\\> refused")
    assert "it is not your grade" in results["output"]
    notice, withheld = results["tests"]
    assert notice["visibility"] == "visible" and "score" not in notice and "number" not in notice
    assert withheld["visibility"] == "after_published" and withheld["score"] == withheld["max_score"] == 0
    graded = json.loads(json.dumps(results))
    graded["extra_data"]["status"] = "graded"
    assert any("say it was not graded" in problem for problem in validate_results(graded))
