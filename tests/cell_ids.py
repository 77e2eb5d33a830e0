"""Cell ids for the notebooks the tests build: counted, not random, so a notebook built twice is the
same bytes. The grader seeds its probes with a hash of the submission's bytes: nbformat's random
ids gave a fixture other probe inputs on every run, and a failure seen once could not be replayed.
The root conftest installs them for the suite (one maker per fixture or test);
tools/verdict_snapshot.py for the notebooks it writes (one maker per generator)."""
import itertools
from contextlib import contextmanager

import nbformat.v4.convert
import nbformat.v4.nbbase


class CountedCellIds:
    """Cell ids ``<maker>-<n>``: ``maker`` names what is building notebooks (a fixture, a test, a
    generator; ``import`` before any), ``n`` counts from 0 within it. Unique in any notebook that
    several makers build together, and independent of what other makers built before."""

    def __init__(self):
        self.makers = [("import", itertools.count())]

    def __call__(self) -> str:
        maker, counter = self.makers[-1]
        return f"{maker}-{next(counter)}"

    @contextmanager
    def making(self, maker: str):
        """Cells made inside the block are counted as ``maker``'s, from 0."""
        self.makers.append((maker, itertools.count()))
        try:
            yield
        finally:
            self.makers.pop()


def install_counted_cell_ids() -> CountedCellIds:
    """From now on in this process, nbformat gives new cells counted ids instead of random ones."""
    ids = CountedCellIds()
    nbformat.v4.nbbase.random_cell_id = ids         # new_code_cell() and new_markdown_cell()
    nbformat.v4.convert.random_cell_id = ids        # ids given when an older notebook is upgraded
    return ids
