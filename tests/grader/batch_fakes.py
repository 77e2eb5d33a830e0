"""A stand-in grader for tests/grader/test_batch.py, light to import (the pool's workers import it).

``fake_grade`` grades by file name: ``crash*`` kills its worker process, ``slow*``
hangs, ``boom*`` raises; any other notebook gets two tests, the first scoring
``len(stem) % 6`` of 5 points (tagged ``mistake:<stem>`` unless full), the second 25 of 25.
"""
import os
import time
from pathlib import Path

from grader.model import GradingRun
from grader.model import TestResult as Result


def fake_grade(path, out_root, config, out_dir=None):
    from grader.results_json import write_results

    name = Path(path).stem
    if name.startswith("crash"):
        os._exit(3)
    if name.startswith("slow"):
        time.sleep(300)
    if name.startswith("boom"):
        raise RuntimeError("the grader tripped over " + name)
    run = GradingRun(notebook_path=Path(path), out_dir=Path(out_dir) if out_dir else Path(out_root) / name, config=config)
    points = float(len(name) % 6)
    run.tests = [Result("first test", "1a", 5.0, score=points, passed=points == 5,
                        tags=[] if points == 5 else ["mistake:" + name]),
                 Result("second test", "2", 25.0, score=25.0, passed=True)]
    run.execution_time = 0.01
    write_results(run, run.out_dir / "results.json")
    return run
