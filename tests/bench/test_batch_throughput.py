"""The class bench's reading aids: how busy the CPUs were, and the most a class lets the workers gain."""
import pytest

from bench.batch_throughput import busy_share, speedup_bound


def test_a_class_with_one_long_grading_is_bounded_by_it():
    # 4 s serial, 96 s of pool work of which one grading is 50 s: two workers end after it, at 54 s
    bound, share = speedup_bound(100.0, {"pool": 96.0}, [50.0, 20.0, 26.0], jobs=2)
    assert bound == pytest.approx(100 / 54)
    assert share == pytest.approx(50 / 96)


def test_an_even_class_is_bounded_by_the_share_of_each_worker():
    bound, share = speedup_bound(100.0, {"pool": 96.0}, [24.0] * 4, jobs=2)
    assert bound == pytest.approx(100 / 52)
    assert share == pytest.approx(0.25)


def test_no_pool_time_gives_no_bound():
    assert speedup_bound(10.0, {}, [1.0], jobs=2) == (None, None)


def test_busy_share_counts_busy_ticks_of_all_ticks():
    assert busy_share((100, 1000), (190, 1100)) == "90%"
    assert busy_share(None, (190, 1100)) == "n/a"
