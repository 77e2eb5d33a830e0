"""week6-grader: grade Week 6 backpropagation notebooks.

The pipeline (:mod:`grader.pipeline`, its list ``STAGES``) runs read -> sanitize -> execute -> probe ->
check -> diagnose -> report; :mod:`grader.cli` is the command line. The project's root, version and
cache directory are the neutral module's (:mod:`project`), which ``assignment/`` shares.
"""
from project import __version__  # noqa: F401  (the package's version, as Python packages carry it)
