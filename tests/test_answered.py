"""tests/answered.py: which tests a fixture notebook answers, derived from the registries."""
import nbformat

from assignment import CONTRACT_FUNCTIONS, TESTS
from examples.notebook_builder import EXAMPLE_PATH
from tests.answered import FULL_MARKS, answered_marks, unanswered_tests, written_functions
from tests.grader.fixtures import blank_template, correct

CONTRACT_NAMES = {name for names in CONTRACT_FUNCTIONS.values() for name in names}


def test_the_example_and_the_reference_answer_every_test():
    for nb in (nbformat.read(str(EXAMPLE_PATH), as_version=4), correct()):
        assert CONTRACT_NAMES <= written_functions(nb)
        assert unanswered_tests(nb) == set() and answered_marks(nb) == FULL_MARKS


def test_the_blank_template_answers_no_test():
    nb = blank_template()
    assert not CONTRACT_NAMES & written_functions(nb)
    assert unanswered_tests(nb) == {spec.id for spec in TESTS} and answered_marks(nb) == 0


def test_a_stub_left_unanswers_the_tests_that_call_it_and_only_those():
    nb = correct()
    nb.cells.append(nbformat.v4.new_code_cell('def relu_grad(a):\n    """a stub"""\n    raise NotImplementedError("relu_grad")\n'))
    unanswered = unanswered_tests(nb)
    # relu_grad's own test; nothing of the other exercises
    assert "bonus.relu_grad_values" in unanswered and "bonus.relu_values" not in unanswered
    assert all(spec.number == "bonus" or "relu" in spec.name for spec in TESTS if spec.id in unanswered)
    assert "2.loss" not in unanswered and "1b.sigmoid_grad_values" not in unanswered


def test_a_cell_that_does_not_parse_still_wrote_its_function():
    nb = correct()
    nb.cells.append(nbformat.v4.new_code_cell("def softmax(A)\n    return A\n"))
    assert "softmax" in written_functions(nb)
