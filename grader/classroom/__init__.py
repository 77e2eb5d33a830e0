"""Grading a class: the batch, its submissions, gradebook, overrides, similarity, LMS files,
class report and the TAs' page of written answers."""
