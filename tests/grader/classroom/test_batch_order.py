"""A class is graded longest first (grader/classroom/ordering.py): the time an earlier grading of the
same submission recorded, else a guess from the loops in the notebook's functions (issue 25)."""
import json

from grader.classroom.batch import BatchOptions, grade_batch
from grader.classroom.ordering import loops_in_functions, recorded_seconds
from grader.config import GraderConfig
from tests.grader.batch_fakes import ORDER_LOG, fake_grade

VECTORIZED = "import numpy as np\nX = np.ones((3, 2))\nfor k in range(3):\n    print(k)\ndef loss(W):\n    return W.sum()\n"
PER_SAMPLE = ("%matplotlib inline\ndef loss(W, X):\n    total = 0\n    for n in range(len(X)):\n"
              "        for k in range(3):\n            total += W[k] * X[n, 0]\n    return total\n"
              "class Net:\n    def grad(self, X):\n        i = 0\n        while i < len(X):\n            i += 1\n"
              "        def inner():\n            for _ in X:\n                pass\n        return inner\n")


def notebook(code, metadata=None):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {},
                       "cells": [{"cell_type": "code", "metadata": {}, "source": code, "outputs": [],
                                  "execution_count": None},
                                 {"cell_type": "code", "metadata": {}, "source": "def broken(:\n    for x in y: pass",
                                  "outputs": [], "execution_count": None},
                                 {"cell_type": "markdown", "metadata": {}, "source": "def f():\n    for x in y: pass"}]})


def test_the_loops_in_functions_are_counted_and_nothing_else(tmp_path):
    vectorized, per_sample = tmp_path / "v.ipynb", tmp_path / "p.ipynb"
    vectorized.write_text(notebook(VECTORIZED))
    per_sample.write_text(notebook(PER_SAMPLE))
    assert loops_in_functions(vectorized) == 0          # a loop at the top level runs once
    assert loops_in_functions(per_sample) == 4          # two nested, a method's while, a nested function's for
    (tmp_path / "not.ipynb").write_text("not json")
    assert loops_in_functions(tmp_path / "not.ipynb") == 0


def test_code_nested_too_deep_to_walk_counts_no_loop_and_stops_nothing(tmp_path):
    """A hostile cell whose parse or walk overflows Python's stack: the batch orders it, it does not stop."""
    deep = tmp_path / "deep.ipynb"
    deep.write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": "x = " + "(" * 5000 + "1" + ")" * 5000},
        {"cell_type": "code", "source": "def f():\n    return " + "-" * 100_000 + "1"},
        {"cell_type": "code", "source": "def g():\n    for x in y: pass"}]}))
    assert loops_in_functions(deep) == 1


def test_a_recorded_time_is_read_from_an_earlier_results_file(tmp_path):
    assert recorded_seconds(tmp_path) is None
    (tmp_path / "results.json").write_text(json.dumps({"execution_time": 12.5}))
    assert recorded_seconds(tmp_path) == 12.5
    for bad in ('{"execution_time": "12"}', '{"execution_time": -1}', "[1]", '{"execution_time": NaN}', "{"):
        (tmp_path / "results.json").write_text(bad)
        assert recorded_seconds(tmp_path) is None, bad


def _graded_order(directory, out, log, **options):
    log.write_text("")
    grade_batch(directory, out, BatchOptions(jobs=1, config=GraderConfig(figures=False), progress=False,
                                             class_report=False, similarity=False, grade_function=fake_grade,
                                             fingerprint="test-fingerprint", **options))
    return log.read_text().split()


def test_the_class_is_graded_longest_first(tmp_path):
    directory, out, log = tmp_path / "class", tmp_path / "out", tmp_path / "order.log"
    directory.mkdir()
    loops = {"ann": 0, "bob": 2, "cy": 5}
    for name, count in loops.items():
        body = "".join(f"    for i{k} in range(3):\n        pass\n" for k in range(count))
        (directory / f"{name}.ipynb").write_text(notebook(f"def f():\n{body}    return 1\n", {ORDER_LOG: str(log)}))
    # a first run: the most loops first
    assert _graded_order(directory, out, log) == ["cy", "bob", "ann"]
    # run again: the times the last gradings recorded win over the loops
    for name, seconds in {"ann": 50.0, "bob": 1.0, "cy": 10.0}.items():
        results = next(out.glob(f"*{name}*")) / "results.json"
        data = json.loads(results.read_text())
        data["execution_time"] = seconds
        results.write_text(json.dumps(data))
    assert _graded_order(directory, out, log, force=True) == ["ann", "cy", "bob"]
