"""week6-grader: grade Week 6 backpropagation notebooks.

The pipeline (:mod:`grader.pipeline`) runs read -> sanitize -> execute ->
probe -> check -> report; :mod:`grader.cli` is the command line.
"""
from pathlib import Path

__version__ = "0.1.0"
# The repository (in the Gradescope zip: /autograder/source): the folder that holds grader/. Modules
# reach the project's other files from here, as one string each (PROJECT_ROOT / "data",
# PROJECT_ROOT / "grader/kernel/probe_driver.py"), never by counting their own depth, so that a module can
# move between grader's folders and a search for a file's path finds every place that names it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
