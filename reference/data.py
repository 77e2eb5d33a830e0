"""Loading the lab's data sets (exercises 1a and 3) from the .mat files."""
from pathlib import Path

import numpy as np
import scipy.io as sio

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BINARY_FILES = ["pointsClass1Week6", "pointsClass2Week6"]
MULTICLASS_FILES = [f"xWeek6Ex3PointsClass{k}" for k in (1, 2, 3)]


def _load_classes(names, data_dir):
    """Stack the classes in file order. Returns X (N, 2) float and t (N,) int, class k -> label k-1."""
    data_dir = Path(data_dir)
    classes = [sio.loadmat(data_dir / f"{name}.mat")[name] for name in names]
    X = np.vstack(classes).astype(float)
    t = np.concatenate([np.full(len(points), label) for label, points in enumerate(classes)]).astype(int)
    return X, t


def load_data(data_dir=DATA_DIR):
    """Exercise 1a: the binary set, class 1 rows first. X (N, 2), t (N,) in {0, 1}."""
    return _load_classes(BINARY_FILES, data_dir)


def load_data_multiclass(data_dir=DATA_DIR):
    """Exercise 3: the 3-class set. X (N, 2), t (N,) in {0, 1, 2}."""
    return _load_classes(MULTICLASS_FILES, data_dir)
