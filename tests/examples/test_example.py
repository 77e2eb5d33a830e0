"""The bundled example submission and the notebook builder behind it.

The example is the template filled with the reference solution: it must be what
examples/make_example.py writes, run without any error next to the data, and
its functions must return what the reference's return.
"""
import ast
import os
import shutil
import sys
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import assignment  # noqa: E402
import reference  # noqa: E402
from examples import notebook_builder as builder  # noqa: E402
from reference.answers import WRITTEN_ANSWERS  # noqa: E402

EXAMPLE = ROOT / "examples" / "example_submission.ipynb"
CONTRACT_NAMES = [name for names in assignment.CONTRACT_FUNCTIONS.values() for name in names]
SELFCHECK_STUB = "def run_selfcheck(ns):\n    print('selfcheck stub saw', sorted(k for k in ns if k == 'backprop'))\n"


def workdir_with_data(path):
    """A directory holding copies of data/*.mat, the given keep_going.py and a stub week6_selfcheck.py, as a
    student's would."""
    for mat in (ROOT / "data").glob("*.mat"):
        shutil.copy(mat, path)
    shutil.copy(ROOT / "student_template" / "keep_going.py", path)
    (path / "week6_selfcheck.py").write_text(SELFCHECK_STUB)
    return path


def exec_definitions(nb, workdir):
    """Run the notebook's defining cells (all but the 'run' and 'selfcheck' ones) in a fresh namespace."""
    import matplotlib
    matplotlib.use("Agg")
    namespace = {"__name__": "__notebook__"}
    here = os.getcwd()
    os.chdir(workdir)
    try:
        for cell in nb.cells:
            meta = cell.metadata.get("week6", {})
            if cell.cell_type == "code" and meta.get("role") not in {"run", "selfcheck"}:
                exec(compile(cell.source, f"<cell {cell.id}>", "exec"), namespace)
    finally:
        os.chdir(here)
    return namespace


@pytest.fixture(scope="module")
def example():
    return nbformat.read(str(EXAMPLE), as_version=4)


@pytest.fixture(scope="module")
def template():
    return builder.load_template()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return workdir_with_data(tmp_path_factory.mktemp("example_ns"))


@pytest.fixture(scope="module")
def ns(example, workdir):
    return exec_definitions(example, workdir)


# --------------------------------------------------------------------------- the committed file

def test_example_is_what_make_example_writes():
    assert EXAMPLE.read_text(encoding="utf-8") == builder.render(builder.build_example()), \
        "run `python examples/make_example.py` and commit the notebook"


def test_example_differs_from_template_only_in_graded_sources(example, template):
    nbformat.validate(example)
    assert [c.id for c in example.cells] == [c.id for c in template.cells]
    for ours, theirs in zip(example.cells, template.cells):
        assert ours.metadata == theirs.metadata
        if "graded" in ours.metadata.get("week6", {}):
            name = ours.metadata["week6"]["graded"]
            assert "NotImplementedError" not in ours.source
            defined = [n.name for n in ast.parse(ours.source).body if isinstance(n, ast.FunctionDef)]
            assert defined[-1] == name, "the graded function comes last, after what it needs"
        elif "answer" in ours.metadata.get("week6", {}):   # the example answers the written questions
            assert ours.source == WRITTEN_ANSWERS[ours.metadata["week6"]["answer"]]
        else:
            assert ours.source == theirs.source


def test_example_is_self_contained(example):
    """No import of reference, no relative import; only the imports cell and stdlib modules."""
    allowed_modules = {"numpy", "scipy", "matplotlib", "week6_selfcheck", "keep_going"} | set(sys.stdlib_module_names)
    assert "reference" not in allowed_modules and "grader" not in allowed_modules
    for cell in example.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                assert {a.name.split(".")[0] for a in node.names} <= allowed_modules, ast.unparse(node)
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0 and node.module.split(".")[0] in allowed_modules, ast.unparse(node)


def test_example_emits_each_helper_once(example):
    """Helpers appear once; only contract functions needed before their own cell appear twice."""
    counts = {}
    for cell in example.cells:
        if "graded" in cell.metadata.get("week6", {}):
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    counts[node.name] = counts.get(node.name, 0) + 1
    for name, count in counts.items():
        assert count == 1 or (name in CONTRACT_NAMES and count == 2), (name, count)


# --------------------------------------------------------------------------- running it

def test_example_runs_without_errors(example, tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.from_dict(example)
    workdir = workdir_with_data(tmp_path)
    NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=True,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    errors = [(cell.id, output.ename, output.evalue) for cell in nb.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert errors == []
    text = "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for output in cell.outputs)
    assert "selfcheck stub saw ['backprop']" in text
    assert "training accuracy 1.000" in text, "the deep network of exercise 2 learns the data"


RNG_SEED = 20261126


def case_rng(*key):
    return np.random.default_rng([RNG_SEED, *key])


def assert_same(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float), rtol=1e-12, atol=0)
    assert np.shape(ours) == np.shape(theirs)


def network_case(sizes, classes, rng, n=17):
    W = rng.normal(scale=1.5, size=reference.n_params(sizes))
    X = rng.normal(scale=2.0, size=(n, sizes[0]))
    t = rng.integers(0, classes, size=n)
    return W, X, t


def test_load_data_match_reference(ns, workdir, monkeypatch):
    monkeypatch.chdir(workdir)     # the notebook's loaders read the notebook's directory
    for name in ("load_data", "load_data_multiclass"):
        (X, t), (RX, Rt) = ns[name](), getattr(reference, name)()
        np.testing.assert_array_equal(X, RX)
        np.testing.assert_array_equal(t, Rt)
        assert t.dtype.kind == "i"


@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad", "relu", "relu_grad"])
def test_elementwise_match_reference(ns, name):
    rng = case_rng(1)
    for a in (rng.normal(scale=30, size=(7, 3)), np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0]), 0.7, -800.0):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert_same(ns[name](a), getattr(reference, name)(a))


def test_softmax_matches_reference(ns):
    A = case_rng(2).normal(scale=300, size=(9, 4))
    assert_same(ns["softmax"](A), reference.softmax(A))


@pytest.mark.parametrize("name", ["bce_loss", "bce_grad"])
def test_exercise_1_functions_match_reference(ns, name):
    rng = case_rng(3)
    for sizes in ([2, 3, 1], [2, 5, 1]):
        W, X, t = network_case(sizes, 2, rng)
        for lam in (0.0, 0.3):
            assert_same(ns[name](W, X, t, sizes, lam), getattr(reference, name)(W, X, t, sizes, lam))


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("name, classes, sizes", [("backprop", 2, [2, 4, 3, 1]),
                                                   ("backprop", 2, [2, 10, 10, 10, 10, 1]),
                                                   ("ce_backprop", 3, [2, 5, 3]),
                                                   ("ce_backprop", 3, [2, 4, 4, 3])])
def test_backprops_match_reference(ns, name, classes, sizes, activation):
    W, X, t = network_case(sizes, classes, case_rng(4))
    loss, grad = ns[name](W, X, t, sizes, 0.01, activation=activation)
    ref_loss, ref_grad = getattr(reference, name)(W, X, t, sizes, 0.01, activation=activation)
    assert_same(loss, ref_loss)
    assert_same(grad, ref_grad)


def test_init_weights_matches_reference(ns):
    for sizes in ([2, 3, 1], [2, 10, 10, 10, 10, 1], [2, 10, 3]):
        assert_same(ns["init_weights"](sizes, np.random.default_rng(5)),
                    reference.init_weights(sizes, np.random.default_rng(5)))


def test_predictions_match_reference(ns):
    rng = case_rng(6)
    W, X, _ = network_case([2, 6, 1], 2, rng, n=50)
    np.testing.assert_array_equal(ns["predict"](W, X, [2, 6, 1]), reference.predict(W, X, [2, 6, 1]))
    W, X, _ = network_case([2, 6, 3], 3, rng, n=50)
    np.testing.assert_array_equal(ns["predict_multiclass"](W, X, [2, 6, 3]),
                                  reference.predict_multiclass(W, X, [2, 6, 3]))


# --------------------------------------------------------------------------- the builder, for fixtures

def test_fill_template_rejects_unknown_names(template):
    with pytest.raises(ValueError, match="no graded cell"):
        builder.fill_template(template, {"train": "def train(): pass"})


def test_fill_template_leaves_the_template_and_unnamed_stubs_alone(template):
    before = nbformat.writes(template)
    filled = builder.fill_template(template, {"sigmoid": "def sigmoid(a):\n    return a\n"})
    assert nbformat.writes(template) == before
    changed = [c.metadata["week6"].get("graded") for c, t in zip(filled.cells, template.cells) if c.source != t.source]
    assert changed == ["sigmoid"]
    assert "NotImplementedError" in [c for c in filled.cells if c.metadata.get("week6", {}).get("graded") == "relu"][0].source


def test_one_substituted_mistake_changes_one_cell(template, example):
    wrong = "def sigmoid_grad(a):\n    return sigmoid(a) * (1 + sigmoid(a))\n"
    mistaken = builder.fill_answers(builder.fill_template(template, {**builder.reference_sources(), "sigmoid_grad": wrong}),
                                    WRITTEN_ANSWERS)
    differing = [c.id for c, e in zip(mistaken.cells, example.cells) if c.source != e.source]
    assert differing == ["graded-sigmoid-grad"]


def test_per_sample_variant_gives_the_same_results(template, tmp_path):
    variant = builder.fill_template(template, {**builder.reference_sources(), **builder.per_sample_sources()},
                                    strict=True)
    namespace = exec_definitions(variant, workdir_with_data(tmp_path))
    assert "backprop_per_sample" in namespace
    for name, classes, sizes in (("backprop", 2, [2, 4, 3, 1]), ("ce_backprop", 3, [2, 5, 3])):
        W, X, t = network_case(sizes, classes, case_rng(7))
        loss, grad = namespace[name](W, X, t, sizes, 0.05)
        ref_loss, ref_grad = getattr(reference, name)(W, X, t, sizes, 0.05)
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-10)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-8, atol=1e-12)
    W, X, t = network_case([2, 3, 1], 2, case_rng(8))
    np.testing.assert_allclose(namespace["bce_grad"](W, X, t, [2, 3, 1], 0.1),
                               reference.bce_grad(W, X, t, [2, 3, 1], 0.1), rtol=1e-8, atol=1e-12)


def test_callable_implementation_under_another_name(template, tmp_path):
    filled = builder.fill_template(template, {**builder.reference_sources(),
                                              "backprop": reference.backprop_per_sample}, strict=True)
    (cell,) = [c for c in filled.cells if c.metadata.get("week6", {}).get("graded") == "backprop"]
    assert cell.source.rstrip().endswith("backprop = backprop_per_sample")
    namespace = exec_definitions(filled, workdir_with_data(tmp_path))
    W, X, t = network_case([2, 4, 1], 2, case_rng(9))
    np.testing.assert_allclose(namespace["backprop"](W, X, t, [2, 4, 1], 0.0)[1],
                               reference.backprop(W, X, t, [2, 4, 1], 0.0)[1], rtol=1e-8, atol=1e-12)


def test_strict_mode_reports_names_defined_nowhere(template):
    source = "def softmax(A):\n    return undefined_helper(A)\n"
    with pytest.raises(builder.UnresolvedNames, match="undefined_helper"):
        builder.fill_template(template, {"softmax": source}, strict=True)
    builder.fill_template(template, {"softmax": source})          # allowed when not strict


def test_broken_source_is_inserted_as_is(template):
    broken = "def relu(a)\n    return a\n"
    filled = builder.fill_template(template, {"relu": broken})
    (cell,) = [c for c in filled.cells if c.metadata.get("week6", {}).get("graded") == "relu"]
    assert cell.source.endswith(broken.strip("\n"))


def test_load_functions_read_the_current_directory():
    sources = builder.reference_sources()
    for name in ("load_data", "load_data_multiclass"):
        assert f'def {name}(data_dir="."):' in sources[name]
        assert "DATA_DIR" not in sources[name]
