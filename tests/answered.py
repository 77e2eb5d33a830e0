"""What a fixture notebook answers, derived from the assignment's registries, so that adding an
exercise edits no test (README, "How to add an exercise").

The hand-written solutions of tests/grader/independent/ (and the mistakes made from them) were
written for the exercises of their day: a bonus added later is not in them, and the tests that call
its functions fail whatever the grader does. A test holds a fixture to the tests it answers:
:func:`unanswered_tests` are the ones reading a function (or an activation) the notebook does not
write, the template's stubs (which raise NotImplementedError) counted as not written.
"""
import ast
import re
from functools import lru_cache

import assignment
from assignment import TESTS
from grader.config import GraderConfig

FULL_MARKS: float = assignment.BASE_POINTS + assignment.BONUS_POINTS


def score_text(base: float, bonus: float) -> str:
    """How the feedback and the command line write a score of ``base`` + ``bonus`` points, up to the
    word "bonus": e.g. "80 / 100 (75 / 100 base + 5 / 5 bonus"."""
    top, extra = assignment.BASE_POINTS, assignment.BONUS_POINTS
    return f"{base + bonus:g} / {top:g} ({base:g} / {top:g} base + {bonus:g} / {extra:g} bonus"


FULL_SCORE_TEXT = score_text(assignment.BASE_POINTS, assignment.BONUS_POINTS)


def _is_stub(definition: ast.FunctionDef) -> bool:
    """The template's stub: its body raises NotImplementedError (a docstring aside)."""
    return any(isinstance(node, ast.Raise) and "NotImplementedError" in ast.unparse(node)
               for node in ast.walk(definition))


def written_functions(nb) -> set[str]:
    """The names the notebook's code cells bind at top level (functions, lambdas, assignments),
    where the last binding of a name is not the template's stub. A cell that does not parse counts
    for the functions it starts to define: they were written, wrongly."""
    last = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            last.update((name, True) for name in re.findall(r"^def\s+(\w+)", cell.source, re.MULTILINE))
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                last[node.name] = not _is_stub(node)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            last[name.id] = True
    return {name for name, written in last.items() if written}


@lru_cache(maxsize=1)
def _functions_read() -> dict[str, frozenset[str]]:
    """{test id: the notebook functions its probes call, and the activations they ask for} (a
    registered activation is the notebook's function of that name: backprop(..., activation="relu")
    needs relu). Probe ids and calls do not depend on the seed."""
    plan = assignment.build_plan(0, GraderConfig())
    read = {}
    for spec in TESTS:
        probes = [plan.probes[probe_id] for probe_id in (*spec.probes, *spec.also_reads)]
        read[spec.id] = frozenset({probe.func for probe in probes}
                                  | {probe.kwargs["activation"]["value"] for probe in probes
                                     if "activation" in probe.kwargs})
    return read


def functions_read(spec) -> frozenset[str]:
    """The notebook functions (and activations) test ``spec`` calls."""
    return _functions_read()[spec.id]


def unanswered_tests(nb) -> set[str]:
    """The ids of the tests that read a function the notebook ``nb`` does not write."""
    written = written_functions(nb)
    return {spec.id for spec in TESTS if functions_read(spec) - written}


def answered_marks(nb) -> float:
    """Full marks less the points of the tests ``nb`` does not answer."""
    unanswered = unanswered_tests(nb)
    return FULL_MARKS - sum(spec.points for spec in TESTS if spec.id in unanswered)
