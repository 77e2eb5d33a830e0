"""tools/verdict_snapshot.py: what its normalization leaves out (only what a run measures) and what
its diff reports (every change of a verdict, and nothing for equal ones)."""
import copy
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("verdict_snapshot", ROOT / "tools" / "verdict_snapshot.py")
snapshot = importlib.util.module_from_spec(spec)
spec.loader.exec_module(snapshot)

NOTEBOOKS, OUT = Path("/somewhere/notebooks"), Path("/somewhere/out-1")


def results(score=3.0, output="Passed.", seed=7, seconds=1.25, tmp="/tmp/week6-work-ab12cd34/x.ipynb", out=OUT):
    """A results.json in the grader's format, with two tests (values as given), graded into ``out``."""
    return {"score": score, "execution_time": 12.5, "output": f"Status: graded, notebook {out}/a/b",
            "output_format": "text",
            "tests": [{"name": "sigmoid values", "number": "1b", "score": score, "max_score": 3.0,
                       "status": "passed", "output": f"{output} (read from {tmp})", "tags": ["mistake:x"],
                       "visibility": "visible",
                       "extra_data": {"backprop_evidence": {"P": [17.0], "perturbed_calls": [0.0],
                                                            "seconds": [seconds], "forward_seconds": [seconds / 9],
                                                            "cost_ratio": [9.0 * seconds]}}},
                      {"name": "training reaches the reference's accuracy", "number": "2", "score": 4.0,
                       "max_score": 4.0, "status": "passed", "visibility": "visible", "tags": [], "extra_data": {},
                       "output": f"Passed. best accuracy 1.000 over 3 run(s) ({seconds:.1f} s)"}],
            "extra_data": {"seed": seed, "status": "graded", "grader_version": "0.1.0",
                           "timings": {"execute": seconds}, "exercise_scores": {"1b": score}}}


def normalized(data, out=OUT):
    return snapshot.verdict(data, snapshot.text_rules(NOTEBOOKS, out))


def test_what_a_run_measures_is_left_out_of_the_verdict():
    a = normalized(results(seconds=1.25, tmp="/tmp/week6-work-ab12cd34/x.ipynb"))
    elsewhere = Path("/elsewhere/out-2")
    b = normalized(results(seconds=90.5, tmp="/tmp/week6-work-zz98yy76/x.ipynb", out=elsewhere), out=elsewhere)
    assert a == b
    assert "execution_time" not in a and "timings" not in a["extra_data"] and "grader_version" not in a["extra_data"]
    assert a["tests"][0]["extra_data"]["backprop_evidence"] == {"P": [17.0], "perturbed_calls": [0.0]}
    assert a["output"] == "Status: graded, notebook <out>/a/b"


@pytest.mark.parametrize("change", [dict(score=2.0), dict(output="Failed."), dict(seed=8)])
def test_every_change_of_a_verdict_stays_in_it_and_the_diff_reports_it(change, tmp_path, capsys):
    old, new = normalized(results()), normalized(results(**change))
    assert old != new
    assert snapshot.diff(write(tmp_path / "old.json", old), write(tmp_path / "new.json", new)) == 1
    printed = capsys.readouterr().out
    assert "fixture:" in printed and "1 of 1 notebooks differ" in printed


def test_the_diff_names_removed_added_and_reordered_tests(tmp_path, capsys):
    old = normalized(results())
    renamed, reordered = copy.deepcopy(old), copy.deepcopy(old)
    renamed["tests"][0]["name"] = "sigmoid values (renamed)"
    reordered["tests"].reverse()
    shown = [line for d in snapshot.compare(old, renamed) for line in snapshot.render(*d)]
    assert shown == ["  test [1b] sigmoid values: removed", "  test [1b] sigmoid values (renamed): added"]
    assert [place for place, _, _ in snapshot.compare(old, reordered)] == [("test order",)]
    same = write(tmp_path / "same.json", old)
    assert snapshot.diff(same, same) == 0
    assert "0 of 1 notebooks differ" in capsys.readouterr().out


def test_noise_is_shown_apart_and_only_where_the_old_code_differs_from_itself(tmp_path, capsys):
    old = write(tmp_path / "old.json", normalized(results(output="Passed.")))
    old_again = write(tmp_path / "old-again.json", normalized(results(output="Passed, slowly.")))
    noisy_only = write(tmp_path / "noisy.json", normalized(results(output="Passed, quickly.")))
    assert snapshot.diff(old, noisy_only, noise_path=old_again) == 0
    printed = capsys.readouterr().out
    assert "(noise: " in printed and "Passed, quickly." in printed and "0 of 1 notebooks differ" in printed
    also_scored = write(tmp_path / "scored.json", normalized(results(output="Passed, quickly.", score=1.0)))
    assert snapshot.diff(old, also_scored, noise_path=old_again) == 1
    assert "1 of 1 notebooks differ" in capsys.readouterr().out


def write(path, verdict):
    path.write_text(json.dumps({"verdicts": {"fixture": verdict}}))
    return path


def test_unchanged_generators_write_the_same_notebooks_again(tmp_path):
    """Counted cell ids (tests/cell_ids.py): two runs of ``notebooks`` write the same bytes, so a
    snapshot's notebooks can be written again and keep their probe seeds. Each run in a process of
    its own (the tool installs its ids for the whole process)."""
    import subprocess
    import sys
    digests = []
    for run in ("first", "second"):
        done = subprocess.run([sys.executable, str(ROOT / "tools" / "verdict_snapshot.py"), "notebooks",
                               str(tmp_path / run)], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        manifest = json.loads((tmp_path / run / snapshot.MANIFEST).read_text())
        digests.append({entry["key"]: entry["sha256"] for entry in manifest["notebooks"]})
    assert len(digests[0]) > 50
    assert digests[0] == digests[1]
