"""The root conftest's counted cell ids: the notebooks the tests build are the same bytes on every
run, whatever ran before, so a fixture's probe seed (a hash of its bytes) is the same too."""
import nbformat
import nbformat.v4.nbbase
import pytest

from tests.grader.fixtures import FIXTURES

CELL_IDS = nbformat.v4.nbbase.random_cell_id    # what the root conftest installed (tests/cell_ids.py)


@pytest.fixture
def a_fixture_cell():
    return nbformat.v4.new_code_cell("x = 1")


def test_a_fixture_counts_its_cells_under_its_own_name(a_fixture_cell):
    assert a_fixture_cell.id == "a-fixture-cell-0"
    assert nbformat.v4.new_code_cell("y = 2").id == "test-0"


def test_a_fixture_notebook_is_the_same_bytes_whatever_was_built_before():
    built = []
    for cells_before in (0, 7):
        for _ in range(cells_before):
            nbformat.v4.new_markdown_cell("made earlier in the run")
        with CELL_IDS.making("builder"):
            built.append([nbformat.writes(fixture.build()) for fixture in FIXTURES])
    assert built[0] == built[1]
    ids = [cell.id for cell in nbformat.reads(built[0][0], as_version=4).cells]
    assert len(set(ids)) == len(ids)
