"""A stand-in grader for tests/grader/classroom/test_batch.py, light to import (the pool's workers import it).

``fake_grade`` grades by file name: ``crash*`` kills its worker process, ``slow*``
hangs, ``boom*`` raises; any other notebook gets two tests, the first scoring
``len(stem) % 6`` of 5 points (tagged ``mistake:<stem>`` unless full), the second 25 of 25.
A notebook whose JSON metadata holds ``"fake_points": p`` (:func:`fake_notebook`) scores p
(0 to 5) in the first test instead: the tests then choose each student's score.
"""
import json
import os
import time
from pathlib import Path

from grader.model import GradingRun
from grader.model import TestResult as Result


ORDER_LOG = "fake_order_log"      # notebook metadata: a file each grading appends its notebook's name to


def fake_grade(path, out_root, config, out_dir=None):
    from grader.stages.report import report

    name = Path(path).stem
    if name.startswith("crash"):
        os._exit(3)
    if name.startswith("slow"):
        time.sleep(300)
    if name.startswith("boom"):
        raise RuntimeError("the grader tripped over " + name)
    points = float(len(name) % 6)
    try:
        metadata = json.loads(Path(path).read_text(encoding="utf-8"))["metadata"]
    except (OSError, ValueError, KeyError, TypeError):
        metadata = {}
    try:
        points = float(metadata["fake_points"])
    except (KeyError, TypeError, ValueError):
        pass
    # the order the batch graded in, for tests/grader/classroom/test_batch_order.py: named in the notebook,
    # not in the environment, which a pool's workers take from their fork server, started by an earlier test
    order_log = metadata.get(ORDER_LOG) if isinstance(metadata, dict) else None
    if isinstance(order_log, str):
        with open(order_log, "a", encoding="utf-8") as log:
            log.write(name + "\n")
    run = GradingRun(notebook_path=Path(path), out_dir=Path(out_dir) if out_dir else Path(out_root) / name, config=config)
    run.tests = [Result("first test", "1a", 5.0, score=points, passed=points == 5,
                        tags=[] if points == 5 else ["mistake:" + name]),
                 Result("second test", "2", 25.0, score=25.0, passed=True)]
    run.execution_time = 0.01
    return report(run)       # results.json and the feedback, as the pipeline's last stage writes them


def fake_notebook(points, code=""):
    """The text of a notebook that :func:`fake_grade` scores ``points`` + 25 (one code cell ``code``)."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"fake_points": points},
                       "cells": [{"cell_type": "code", "metadata": {}, "source": code, "outputs": [],
                                  "execution_count": None}]})


def fingerprinted_grade(path, out_root, config, out_dir=None):
    """:func:`fake_grade`, once the notebook's similarity fingerprint is in its results folder: the batch
    makes them while it grades. A fingerprint that never comes is this grading's error."""
    from grader.classroom.similarity import CACHE_FILE

    folder = Path(out_dir) if out_dir else Path(out_root) / Path(path).stem
    for _ in range(300):
        if (folder / CACHE_FILE).is_file():
            return fake_grade(path, out_root, config, out_dir)
        time.sleep(0.05)
    raise RuntimeError(f"no fingerprint of {Path(path).name} while it was graded")
