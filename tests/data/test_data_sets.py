"""The committed .mat files: reproducible from data/generate.py, loadable as the handout does,
labelled as the contract says, and as hard as intended (a line fails, a hidden layer succeeds)."""
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io as sio

import reference

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
BINARY = ["pointsClass1Week6", "pointsClass2Week6"]
MULTICLASS = [f"xWeek6Ex3PointsClass{k}" for k in (1, 2, 3)]
ALL = BINARY + MULTICLASS


def load_generate():
    spec = importlib.util.spec_from_file_location("week6_data_generate", DATA_DIR / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def committed(name):
    return sio.loadmat(DATA_DIR / f"{name}.mat")[name]


def test_regenerated_files_equal_the_committed_ones(tmp_path):
    """Same arrays (the MAT headers hold a timestamp, so the bytes may differ)."""
    paths = load_generate().write(tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{name}.mat" for name in ALL)
    for name in ALL:
        fresh = sio.loadmat(tmp_path / f"{name}.mat")
        assert [k for k in fresh if not k.startswith("__")] == [name]
        assert fresh[name].dtype == committed(name).dtype
        np.testing.assert_array_equal(fresh[name], committed(name))


def test_generation_depends_on_the_seed():
    generate = load_generate()
    a, b = generate.all_sets(), generate.all_sets(generate.SEED + 1)
    assert not np.array_equal(a[BINARY[0]], b[BINARY[0]])


@pytest.mark.parametrize("name", ALL)
def test_each_committed_set_holds_at_least_50_finite_2d_float64_points(name):
    points = committed(name)
    assert points.dtype == np.float64 and points.ndim == 2 and points.shape[1] == 2
    assert points.shape[0] >= 50 and np.all(np.isfinite(points))


def test_handout_loading_lines_work_verbatim(tmp_path):
    """In a fresh directory holding only copies of the files, the handout's lines load them."""
    for name in ALL:
        shutil.copy(DATA_DIR / f"{name}.mat", tmp_path)
    lines = ["import scipy.io as sio"] + [
        f"{name} = sio.loadmat('{name}.mat')['{name}']; print('{name}', *{name}.shape, {name}.dtype)"
        for name in ALL]
    out = subprocess.run([sys.executable, "-c", "\n".join(lines)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    printed = dict((line.split()[0], line.split()[1:]) for line in out.stdout.splitlines())
    for name in ALL:
        assert printed[name] == [str(committed(name).shape[0]), "2", "float64"]


@pytest.mark.parametrize("loader,names", [(reference.load_data, BINARY),
                                          (reference.load_data_multiclass, MULTICLASS)])
def test_labels_class_k_is_label_k_minus_1_class_1_first(loader, names, tmp_path):
    X, t = loader()
    classes = [committed(name) for name in names]
    np.testing.assert_array_equal(X, np.vstack(classes))
    expected = np.concatenate([np.full(len(c), k) for k, c in enumerate(classes)])
    np.testing.assert_array_equal(t, expected)
    assert X.shape == (len(t), 2) and X.dtype == np.float64 and np.issubdtype(t.dtype, np.integer)
    # the reference loads the same from any directory holding the files
    for name in names:
        shutil.copy(DATA_DIR / f"{name}.mat", tmp_path)
    X2, t2 = loader(tmp_path)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(t2, t)


# --- difficulty: a linear classifier fails, a network with one hidden layer succeeds -------------

LINEAR_AT_MOST = 0.80
NETWORK_AT_LEAST = 0.97


def test_binary_set_is_not_linearly_separable():
    from sklearn.linear_model import LogisticRegression
    X, t = reference.load_data()
    accuracy = LogisticRegression(C=1e6, max_iter=1000).fit(X, t).score(X, t)
    assert accuracy <= LINEAR_AT_MOST, accuracy


def test_multiclass_set_is_not_linearly_separable():
    from sklearn.linear_model import LogisticRegression
    X, t = reference.load_data_multiclass()
    model = LogisticRegression(C=1e6, max_iter=5000).fit(X, t)    # lbfgs: multinomial for 3 classes
    assert model.predict_proba(X[:1]).shape == (1, 3)
    assert model.score(X, t) <= LINEAR_AT_MOST, model.score(X, t)


@pytest.mark.parametrize("hidden", [3, 5])
def test_binary_set_is_learnt_by_one_hidden_layer(hidden):
    X, t = reference.load_data()
    result = reference.train(X, t, [2, hidden, 1], 1e-4, np.random.default_rng(0))
    assert result.accuracy >= NETWORK_AT_LEAST, result.accuracy


def test_multiclass_set_is_learnt_by_one_hidden_layer():
    X, t = reference.load_data_multiclass()
    result = reference.train(X, t, [2, 10, 3], 1e-4, np.random.default_rng(0), loss="ce")
    assert result.accuracy >= NETWORK_AT_LEAST, result.accuracy
