"""make ui-check's parts that need no browser: the small class it grades, and a browser script that
imports nothing of the project (it runs in its own venv, .venv-ui)."""
import ast
import sys
from pathlib import Path

from grader.classroom.submissions import find_submissions
from tools.ui_check.hostile import IMAGE, SCRIPT
from tools.ui_check.small_class import HOSTILE_FILE, build_class

ROOT = Path(__file__).resolve().parents[2]


def test_the_small_class_is_a_canvas_download_of_five_students_with_the_corpus_in_its_names(tmp_path):
    directory = build_class(tmp_path / "class")
    found = find_submissions(directory, roster=tmp_path / "roster.csv")
    assert found.source == "canvas" and found.skipped == [] and found.files == 6
    by_id = {s.lms_id: s for s in found.submissions}
    assert sorted(by_id) == ["12345", "23456", "34567", "66666", "77777"]
    assert by_id["12345"].relpath.endswith("week6_backprop-1.ipynb") and len(by_id["12345"].other_files) == 1
    assert by_id["77777"].no_notebook and by_id["66666"].relpath == HOSTILE_FILE
    assert SCRIPT in by_id["66666"].name and IMAGE in by_id["66666"].relpath


def test_the_browser_script_imports_only_the_standard_library_and_selenium():
    tree = ast.parse((ROOT / "tools" / "ui_check" / "browser.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported - set(sys.stdlib_module_names) == {"selenium"}
