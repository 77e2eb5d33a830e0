"""Near-identical submissions are flagged for a person, never penalized; the class report (issue 13, 6-7).

The class: every independent solution the project keeps (examples/example_submission.ipynb,
tests/grader/independent/*.ipynb, and tests/grader/independent/*.py as one-cell notebooks),
plus a disguised copy of one of them (variables renamed, cells in another order, comments
changed). Grading is the stand-in :func:`batch_fakes.fake_grade`.
"""
import json
import re
from pathlib import Path

import nbformat

from grader.classroom.batch import BatchOptions, grade_batch
from grader.classroom.class_figures import score_histogram
from grader.classroom.class_report import class_statistics
from grader.classroom.gradebook import read_gradebook
from grader.classroom.similarity import notebook_code, similar_pairs
from grader.config import GraderConfig
from tests.grader.batch_fakes import fake_grade, fingerprinted_grade

ROOT = Path(__file__).resolve().parents[3]
INDEPENDENT = ROOT / "tests" / "grader" / "independent"
RENAMES = {"layer_sizes": "sizes", "layers": "params", "t": "targets", "lam": "reg", "n_out": "fan_out",
           "n_in": "fan_in", "loss": "cost", "labels": "ys", "flat": "vec", "bl": "bias"}


def independent_solutions(directory):
    """Copy every independent solution into ``directory`` as a notebook; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for source in sorted([ROOT / "examples" / "example_submission.ipynb", *INDEPENDENT.glob("*.ipynb")]):
        target = directory / f"{source.parent.name}-{source.name}"
        target.write_bytes(source.read_bytes())
        paths.append(target)
    for source in sorted(INDEPENDENT.glob("*.py")):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source.read_text(encoding="utf-8"))])
        target = directory / f"independent-{source.stem}.ipynb"
        nbformat.write(notebook, str(target))
        paths.append(target)
    return paths


def disguised_copy(source, target):
    """``source`` with its variables renamed, its code cells reversed and its comments rewritten."""
    notebook = json.loads(Path(source).read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    for cell in code:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for old, new in RENAMES.items():
            text = re.sub(rf"\b{old}\b", new, text)
        cell["source"] = re.sub(r"#.*", "# my own work", text)
    notebook["cells"] = code[::-1]
    Path(target).write_text(json.dumps(notebook), encoding="utf-8")
    return Path(target)


def test_the_disguised_copy_still_matches_its_source(tmp_path):
    source = INDEPENDENT / "week6_independent.ipynb"
    copy = disguised_copy(source, tmp_path / "copy.ipynb")
    assert notebook_code(copy) != notebook_code(source)
    pairs = similar_pairs({"source": notebook_code(source), "copy": notebook_code(copy)})
    assert [(p.first, p.second) for p in pairs] == [("copy", "source")]


def test_only_the_near_copy_pair_is_flagged_and_no_score_changes(tmp_path):
    directory = tmp_path / "class"
    solutions = independent_solutions(directory)
    assert len(solutions) >= 2
    disguised_copy(directory / "independent-week6_independent.ipynb", directory / "zz-copy.ipynb")
    config = GraderConfig(figures=False)
    result = grade_batch(directory, tmp_path / "out", BatchOptions(jobs=2, config=config, progress=False,
                                      grade_function=fake_grade, fingerprint="test-fingerprint"))
    assert [(p.first, p.second) for p in result.similar] == [("independent-week6_independent", "zz-copy")]
    rows = {row["submission"]: row for row in read_gradebook(tmp_path / "out" / "gradebook.csv")}
    assert rows["zz-copy.ipynb"]["similar_to"] == "independent-week6_independent.ipynb"
    assert rows["independent-week6_independent.ipynb"]["similar_to"] == "zz-copy.ipynb"
    assert sum(1 for row in rows.values() if row["similar_to"]) == 2
    plain = grade_batch(directory, tmp_path / "plain", BatchOptions(jobs=2, config=config, progress=False,
                                     grade_function=fake_grade, fingerprint="test-fingerprint", similarity=False))
    assert {r["submission"]: r["score"] for r in plain.rows} == {n: r["score"] for n, r in rows.items()}
    page = (tmp_path / "out" / "class_report.html").read_text(encoding="utf-8")
    section = page.split('<h2 id="similar">Near-identical submissions</h2>', 1)[1].split("<h2", 1)[0]
    assert '<a href="zz-copy/feedback.html">zz-copy</a>' in section
    assert '<a href="independent-week6_independent/feedback.html">independent-week6_indepen...</a>' in section  # short names
    assert f'<td class="num">{rows["zz-copy.ipynb"]["score"]}</td>' in section
    assert "never a penalty" in section


def test_class_report_lists_every_student_with_a_link_to_the_feedback(tmp_path):
    from tests.grader.lms_downloads import CLASS, canvas_download

    out = tmp_path / "out"
    grade_batch(canvas_download(tmp_path / "canvas"), out, BatchOptions(jobs=2, config=GraderConfig(figures=False),
                             progress=False, grade_function=fake_grade, fingerprint="test-fingerprint"))
    page = (out / "class_report.html").read_text(encoding="utf-8")
    table = page.split('<h2 id="students">', 1)[1].split("<h2", 1)[0]
    links = dict((name, link) for link, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', table))
    assert sorted(links) == sorted(s.login for s in CLASS) and all((out / link).is_file() for link in links.values())
    late = next(s for s in CLASS if s.late)
    row = next(row for row in table.split("<tr>") if f">{late.login}</a>" in row)
    assert f'title="{late.login} · id {late.sid} · ' in row and "<span>late</span>" in row
    md = (out / "class_report.md").read_text(encoding="utf-8")
    assert f"[{late.login}]({late.sid}/feedback.html)" in md


def test_the_histogram_legend_is_clear_of_the_bars(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    # the bars that a legend in the upper left used to cover: many low scores, and a full top bin
    rows = ([{"submission": f"n{i}.ipynb", "status": "unreadable", "score": "0"} for i in range(30)]
            + [{"submission": f"g{i}.ipynb", "status": "graded", "score": str(s)}
               for i, s in enumerate([2, 3, 50, 70, 100, 103, 105, 105, 105])])
    stats = class_statistics(tmp_path, rows)
    figure = score_histogram(stats["graded_scores"], stats["not_graded_scores"], stats["submissions"])
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    (ax,) = figure.axes
    legend = ax.get_legend().get_window_extent(renderer)
    bars = [patch.get_window_extent(renderer) for patch in ax.patches if patch.get_height() > 0]
    assert bars and not any(legend.overlaps(bar) for bar in bars)
    assert not legend.overlaps(ax.get_window_extent(renderer))


def test_kept_fingerprints_give_the_same_pairs_without_tokenizing_again(tmp_path, monkeypatch):
    import grader.classroom.similarity as similarity

    source = INDEPENDENT / "week6_independent.ipynb"
    codes = {"source": notebook_code(source), "copy": notebook_code(disguised_copy(source, tmp_path / "c.ipynb")),
             "example": notebook_code(ROOT / "examples" / "example_submission.ipynb")}
    caches = {key: tmp_path / f"{key}.json" for key in codes}
    first = similar_pairs(codes, caches=caches)
    made = []
    real = similarity._fingerprint
    monkeypatch.setattr(similarity, "_fingerprint", lambda code, boilerplate=None: made.append(1) or real(code, boilerplate))
    assert similar_pairs(codes, caches=caches) == first and len(made) == 1      # only the template's
    codes["copy"] += "\nprint('changed')\n"
    similar_pairs(codes, caches=caches)
    assert len(made) == 3                                                      # the template's and the changed one


def test_the_fingerprints_are_made_while_the_class_is_graded(tmp_path):
    """Each grading waits for its notebook's fingerprint, which the batch makes beside the pool: the
    batch's tail only reads them (issue 25)."""
    directory = tmp_path / "class"
    solutions = independent_solutions(directory)
    result = grade_batch(directory, tmp_path / "out", BatchOptions(jobs=1, config=GraderConfig(figures=False),
                         progress=False, grade_function=fingerprinted_grade, fingerprint="test-fingerprint"))
    assert result.statuses == {"graded": len(solutions)}, [row["message"] for row in result.rows]
