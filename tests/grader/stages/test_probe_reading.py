"""What the kernel wrote is read with safe parsers only: plain files, no pickles, size caps."""
import json
import os

import numpy as np

from grader.model import CellRecord
from grader.stages.probe import read_outcome

OK_CELL = CellRecord(-1, "ok")


def write_status(folder, probe_id, status):
    (folder / f"{probe_id}.json").write_text(json.dumps(status))


def test_plain_arrays_are_read(tmp_path):
    write_status(tmp_path, "p", {"status": "ok", "n_outputs": 2, "warnings": ["RuntimeWarning: overflow"]})
    np.save(tmp_path / "p_0.npy", np.arange(3.0))
    np.save(tmp_path / "p_1.npy", np.array(7, dtype=np.int64))
    outcome = read_outcome(tmp_path, "p", OK_CELL)
    assert outcome.ok and outcome.warnings == ["RuntimeWarning: overflow"]
    assert np.array_equal(outcome.values[0], [0.0, 1.0, 2.0]) and outcome.values[1] == 7.0


def test_pickled_object_arrays_are_refused(tmp_path):
    write_status(tmp_path, "p", {"status": "ok", "n_outputs": 1})
    np.save(tmp_path / "p_0.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert read_outcome(tmp_path, "p", OK_CELL).status == "bad_output"


def test_symlinks_planted_by_the_kernel_are_refused(tmp_path):
    secret = tmp_path / "grader_secret.npy"
    np.save(secret, np.arange(5.0))
    write_status(tmp_path, "p", {"status": "ok", "n_outputs": 1})
    os.symlink(secret, tmp_path / "p_0.npy")
    assert read_outcome(tmp_path, "p", OK_CELL).status == "bad_output"
    (tmp_path / "q_target.json").write_text(json.dumps({"status": "ok", "n_outputs": 0}))
    os.symlink(tmp_path / "q_target.json", tmp_path / "q.json")
    assert read_outcome(tmp_path, "q", OK_CELL).status == "bad_output"


def test_garbage_status_and_missing_files_explain_themselves(tmp_path):
    (tmp_path / "p.json").write_text("not json")
    assert read_outcome(tmp_path, "p", OK_CELL).status == "bad_output"
    write_status(tmp_path, "q", {"status": "ok", "n_outputs": 10 ** 9})
    assert read_outcome(tmp_path, "q", OK_CELL).status == "bad_output"
    died = read_outcome(tmp_path, "never-written", CellRecord(-1, "died"))
    assert died.status == "not_run" and "kernel died" in died.error


def test_a_status_the_grader_does_not_know_is_bad_output_not_a_crash(tmp_path):
    """The status file comes from the submission's kernel: an invented status is refused where it is read."""
    write_status(tmp_path, "p", {"status": "passed", "n_outputs": 0})
    outcome = read_outcome(tmp_path, "p", OK_CELL)
    assert outcome.status == "bad_output" and "no known status" in outcome.error
