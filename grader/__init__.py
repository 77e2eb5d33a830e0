"""week6-grader: grade Week 6 backpropagation notebooks.

The pipeline (:mod:`grader.pipeline`) runs read -> sanitize -> execute ->
probe -> check -> report; :mod:`grader.cli` is the command line.
"""
__version__ = "0.1.0"
