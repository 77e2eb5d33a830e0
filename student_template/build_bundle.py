"""Write the students' download, ``dist/week6-student.zip``.

Run ``python student_template/build_bundle.py [OUT.zip]`` from anywhere (``make student-bundle``).
Everything sits at the zip's root, so the notebook finds the data and the self-check
next to it:

  week6_backprop.ipynb       the lab (student_template/week6_backprop.ipynb)
  <the five .mat files>      data/*.mat
  week6_selfcheck.py         the public self-check (grader/selfcheck.py)
  arraycheck.py              its comparison helpers (grader/arraycheck.py)
  public_fixture.json        the public inputs and expected outputs (grader/public_fixture.json)
  README.txt                 what to do with all this

Nothing of ``reference/`` and nothing of the hidden probes goes in; the tests
(tests/student_template/test_bundle.py) check that no reference code is in any file.
The zip is deterministic (fixed dates, fixed order).
"""
import os
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE_PATH = ROOT / "dist" / "week6-student.zip"
TEMPLATE = ROOT / "student_template" / "week6_backprop.ipynb"
DATA_FILES = ["pointsClass1Week6.mat", "pointsClass2Week6.mat", "xWeek6Ex3PointsClass1.mat",
              "xWeek6Ex3PointsClass2.mat", "xWeek6Ex3PointsClass3.mat"]
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

README = """\
Week 6: backpropagation
=======================

What is in this folder
  week6_backprop.ipynb   the lab: fill in the functions marked "Graded"
  *.mat                  the data sets the notebook loads (keep them next to it)
  week6_selfcheck.py     the self-check, with arraycheck.py and public_fixture.json

What you need
  Python 3.10 to 3.13 with numpy 1.26 or newer, scipy 1.11 or newer, matplotlib 3.8
  or newer, and Jupyter, for instance:
      pip install numpy scipy matplotlib jupyter

Working on the lab
  Unzip everything into one folder, then open the notebook from that folder:
      jupyter notebook week6_backprop.ipynb      (or: jupyter lab, or VS Code)
  Keep the names and signatures of the graded functions: the grader calls them.

Checking your work
  In the notebook: run its last cell,
      from week6_selfcheck import run_selfcheck
      run_selfcheck(globals())
  It calls your functions on a few public inputs and tells you, exercise by
  exercise, what passed, what came back instead of what was expected, and a hint.
  On the command line (runs the whole notebook in a fresh kernel first):
      python week6_selfcheck.py week6_backprop.ipynb
  Functions you have not written yet show as "not implemented".

  The self-check is not your grade: the grader runs hidden tests on other inputs
  and checks that your training reaches the expected accuracy. Passing every
  public check is a good sign, not a promise.

Handing in
  Submit week6_backprop.ipynb (just the notebook) where your course says.
"""


def bundle_files(root=ROOT):
    """[(name in the zip, bytes)] in the zip's order."""
    root = Path(root)
    files = [("README.txt", README.encode("utf-8")),
             ("week6_backprop.ipynb", (root / "student_template" / "week6_backprop.ipynb").read_bytes())]
    files += [(name, (root / "data" / name).read_bytes()) for name in DATA_FILES]
    files += [("week6_selfcheck.py", (root / "grader" / "selfcheck.py").read_bytes()),
              ("arraycheck.py", (root / "grader" / "arraycheck.py").read_bytes()),
              ("public_fixture.json", (root / "grader" / "public_fixture.json").read_bytes())]
    return files


def build_bundle(out_path=BUNDLE_PATH, root=ROOT):
    """Write the student zip to ``out_path``; return the path."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name, data in bundle_files(root):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)
    os.replace(tmp, out_path)
    return out_path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    print(build_bundle(Path(argv[0]) if argv else BUNDLE_PATH))


if __name__ == "__main__":
    main()
