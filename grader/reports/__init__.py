"""What grading one notebook writes: results.json (and the tests' visibility), the feedback,
figures, the written work, the terminal's table; the text helpers they share."""
