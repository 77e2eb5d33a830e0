"""The on-disk cache of the reference's trained outcomes (assignment.kit.reference_cache)."""
import json

import numpy as np
import pytest

from assignment.kit import reference_cache
from assignment.kit import reference_runs as reference_outcomes
from assignment.kit.reference_runs import accuracy_of, reference_training

EXERCISE, RESTARTS = "1", 1          # the quickest trained network: one restart of [2, 5, 1]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(reference_cache.CACHE_ENV, str(tmp_path / "cache"))
    reference_training.cache_clear()
    yield tmp_path / "cache"
    reference_training.cache_clear()


def files(directory):
    return sorted(directory.glob("reference-*.json")) if directory.is_dir() else []


def test_outcome_is_stored_and_read_back_exactly(cache, monkeypatch):
    accuracy, W = reference_training(EXERCISE, RESTARTS)
    assert len(files(cache)) == 1
    reference_training.cache_clear()

    def no_training(*args, **kwargs):
        raise AssertionError("trained again although the cache holds the outcome")
    monkeypatch.setattr(reference_outcomes, "fit_once", no_training)
    again_accuracy, again_W = reference_training(EXERCISE, RESTARTS)
    assert again_accuracy == accuracy and np.array_equal(again_W, W)


def test_a_tampered_file_is_ignored_and_replaced(cache):
    accuracy, W = reference_training(EXERCISE, RESTARTS)
    (path,) = files(cache)
    stored = json.loads(path.read_text())
    stored["accuracy"] = 0.5                      # no longer what the weights give
    path.write_text(json.dumps(stored))
    reference_training.cache_clear()
    assert reference_training(EXERCISE, RESTARTS)[0] == accuracy == accuracy_of(W, EXERCISE)
    assert json.loads(path.read_text())["accuracy"] == accuracy
    path.write_text("{not json")
    reference_training.cache_clear()
    assert reference_training(EXERCISE, RESTARTS)[0] == accuracy


def test_the_key_follows_the_sources_the_setup_and_the_seed(cache, monkeypatch):
    from reference.training import METHOD, OPTIONS, SETUPS, Setup
    key = reference_cache.cache_key(EXERCISE, RESTARTS, 101, SETUPS[EXERCISE], METHOD, OPTIONS)
    assert key != reference_cache.cache_key(EXERCISE, RESTARTS, 102, SETUPS[EXERCISE], METHOD, OPTIONS)
    assert key != reference_cache.cache_key(EXERCISE, RESTARTS + 1, 101, SETUPS[EXERCISE], METHOD, OPTIONS)
    assert key != reference_cache.cache_key(EXERCISE, RESTARTS, 101, Setup((2, 6, 1), lam=1e-4), METHOD, OPTIONS)
    assert key != reference_cache.cache_key(EXERCISE, RESTARTS, 101, SETUPS[EXERCISE], METHOD,
                                            dict(OPTIONS, maxiter=499))
    reference_training(EXERCISE, RESTARTS)
    reference_training.cache_clear()
    monkeypatch.setattr(reference_cache, "sources_fingerprint", lambda: "a changed reference/ or data/")
    assert key != reference_cache.cache_key(EXERCISE, RESTARTS, 101, SETUPS[EXERCISE], METHOD, OPTIONS)
    reference_training(EXERCISE, RESTARTS)        # a new file: the old one is never read
    assert len(files(cache)) == 2


def test_the_fingerprint_covers_reference_and_data(tmp_path):
    for name in ("reference/network.py", "data/pointsClass1Week6.mat", "assignment/kit/reference_runs.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"one")
    first = reference_cache.sources_fingerprint.__wrapped__(tmp_path)
    for name in ("reference/network.py", "data/pointsClass1Week6.mat", "assignment/kit/reference_runs.py"):
        (tmp_path / name).write_bytes(b"two")
        changed = reference_cache.sources_fingerprint.__wrapped__(tmp_path)
        assert changed != first
        first = changed


def test_an_empty_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv(reference_cache.CACHE_ENV, "")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert reference_cache.cache_dir() is None
    reference_training.cache_clear()
    try:
        reference_training(EXERCISE, RESTARTS)
    finally:
        reference_training.cache_clear()
    assert not any(tmp_path.rglob("reference-*.json"))


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv(reference_cache.CACHE_ENV, str(blocker / "cache"))
    reference_training.cache_clear()
    try:
        accuracy, _ = reference_training(EXERCISE, RESTARTS)
    finally:
        reference_training.cache_clear()
    assert 0.5 < accuracy <= 1.0
