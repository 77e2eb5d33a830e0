"""Write the lab's five .mat files, deterministically, under the handout's names.

The original course data is not public; these sets play its part:
- binary (exercises 1-2): an XOR of four Gaussian blobs. No line separates
  the classes (logistic regression stays near chance), one hidden layer of
  3 units does.
- 3 classes (exercise 3): a central disc (class 1) inside two concentric
  rings (classes 2 and 3). Every boundary is a circle, so a linear softmax
  classifier stays far below a network with one hidden layer.

Run ``python data/generate.py [OUT_DIR]``; with no argument it rewrites the
committed files next to this script. MAT headers hold a timestamp, so compare
the arrays, not the bytes.
"""
import sys
from pathlib import Path

import numpy as np
import scipy.io as sio

SEED = 20261126
BLOB_STD = 0.35
POINTS_PER_BLOB = 100
POINTS_PER_CLASS_EX3 = 150


def binary_classes(rng):
    """Two (2 * POINTS_PER_BLOB, 2) arrays: class 1 at (+1,+1),(-1,-1); class 2 at (+1,-1),(-1,+1)."""
    def blobs(centres):
        return np.vstack([c + BLOB_STD * rng.standard_normal((POINTS_PER_BLOB, 2)) for c in centres])
    class1 = blobs([np.array([1.0, 1.0]), np.array([-1.0, -1.0])])
    class2 = blobs([np.array([1.0, -1.0]), np.array([-1.0, 1.0])])
    return class1, class2


def multiclass_classes(rng):
    """Three (POINTS_PER_CLASS_EX3, 2) arrays: a disc of radius 0.7, rings of radii 1.2..1.7 and 2.2..2.7."""
    def annulus(r_in, r_out):
        # uniform over the area: the radius is the square root of a uniform in [r_in^2, r_out^2]
        r = np.sqrt(rng.uniform(r_in ** 2, r_out ** 2, size=POINTS_PER_CLASS_EX3))
        phi = rng.uniform(0, 2 * np.pi, size=POINTS_PER_CLASS_EX3)
        return np.column_stack([r * np.cos(phi), r * np.sin(phi)])
    return annulus(0.0, 0.7), annulus(1.2, 1.7), annulus(2.2, 2.7)


def all_sets(seed=SEED):
    """{variable name: (Nk, 2) float64 array} for the five files; the same for the same seed."""
    rng = np.random.default_rng(seed)
    class1, class2 = binary_classes(rng)
    ex3 = multiclass_classes(rng)
    sets = {"pointsClass1Week6": class1, "pointsClass2Week6": class2}
    sets.update({f"xWeek6Ex3PointsClass{k}": points for k, points in enumerate(ex3, start=1)})
    return sets


def write(out_dir, seed=SEED):
    """Write ``<name>.mat`` holding variable ``<name>`` for each set; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, points in all_sets(seed).items():
        path = out_dir / f"{name}.mat"
        sio.savemat(path, {name: points})
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for written in write(target):
        print(written)
