"""Submissions for the grading-validity cases of issue 11, built by script.

Each builder returns an nbformat v4 notebook (or, for the editor formats, the
bytes an editor saves) with one property the grade must not be fooled by:

* a mistake that must be charged once (a loss cell that does not parse, a
  loss that is wrong while the gradient is right),
* a degenerate loss whose zero gradient is its "derivative" for free,
* a notebook that ends the kernel in its last cell (``exit()``, ``quit()``,
  ``os._exit(0)``) or calls ``sys.exit()``,
* a notebook saved by another editor (a UTF-8 byte-order mark, CRLF, sources
  as one string, nbformat 4.0-4.5, Colab and VS Code metadata, no cell ids,
  no ``outputs``, non-ASCII names),
* a notebook whose every graded function sleeps (the whole grading's budget),
* mistakes of the diagnosis catalog whose order or name matters (a ``lam * W``
  gradient in ``bce_grad`` alone, the sign slips of sigma').

Run ``python -m tests.grader.validity_fixtures OUT_DIR`` to write the notebooks.
"""
import json
import sys
import textwrap
from pathlib import Path

import nbformat

from examples.notebook_builder import graded_cells, render
from tests.grader.fixtures import correct, with_cell
from tests.grader.mistake_fixtures import (MistakeFixture, check, diagnose, new_run, probe_in_process,
                                           with_sigmoid_grad)
from tests.robustness.make_corpus import correct_base

BCE_LOSS_TESTS = {"1c.without_regularization",
                  "1c.with_regularization", "1c.single_sample",
                  "1c.saturated"}
CONSISTENCY_TESTS = {"1d.consistent_with_loss",
                     "2.consistent_with_loss",
                     "3.consistent_with_loss"}


def _cell_of(nb, name):
    return next(index for index, graded in graded_cells(nb) if graded == name)


# ------------------------------------------------------------------ item 1: one mistake, one charge

def bce_loss_does_not_parse():
    """The bce_loss cell has a syntax error, so bce_loss is undefined; bce_grad is the reference's.
    (The helpers that the filled template keeps in that cell move to a cell of their own above it.)"""
    nb = correct()
    index = _cell_of(nb, "bce_loss")
    source = nb.cells[index].source
    start = source.index("def bce_loss(")
    nb.cells.insert(index, nbformat.v4.new_code_cell(source[:start]))
    nb.cells[index + 1].source = ("# Graded (exercise 1c)\n"
                                  "def bce_loss(W, X, t, layer_sizes, lam)\n"
                                  "    return network_backprop(W, X, t, layer_sizes, lam, loss='bce')[0]\n")
    return nb


def losses_summed_gradients_right():
    """backprop and ce_backprop return the loss summed over the samples (N times too big) and the
    right gradient: only the loss tests may fail."""
    return with_cell(correct(), '''
_right_backprop, _right_ce_backprop = backprop, ce_backprop

def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    loss, grad = _right_backprop(W, X, t, layer_sizes, lam, activation)
    return loss * len(X), grad

def ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    loss, grad = _right_ce_backprop(W, X, t, layer_sizes, lam, activation)
    return loss * len(X), grad
''')


# ------------------------------------------------------------------ item 2: no free points

def constant_losses_zero_gradients():
    """Every loss is the constant 0.7 and every gradient zero: the derivative of a constant."""
    return with_cell(correct(), '''
def bce_loss(W, X, t, layer_sizes, lam):
    return 0.7

def bce_grad(W, X, t, layer_sizes, lam):
    return np.zeros_like(W)

def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    return 0.7, np.zeros_like(W)

def ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    return 0.7, np.zeros_like(W)
''')


def grade_leniently(nb, tmp_path, seed=7):
    """check + diagnose of ``nb`` with in-process probes (see tests/grader/mistake_fixtures.py),
    its cells run as a kernel runs them: one that raises (or does not parse) leaves its names
    undefined and the others run on. Run with the data directory as the working directory."""
    ns = {"__name__": "__main__"}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell.metadata.get("week6", {}).get("role") in ("run", "selfcheck"):
            continue
        try:
            exec(compile(cell.source, f"<cell {index}>", "exec"), ns)
        except Exception:      # as in a kernel: the cell's error is its own
            pass
    run = new_run(tmp_path, seed)
    run.probe_outcomes = probe_in_process(run.probe_plan, ns, Path(tmp_path) / "exchange")
    check(run)
    diagnose(run)
    return run


# ------------------------------------------------------------------ item 3: how a notebook ends

def ending_with(source, middle=None):
    """The light correct notebook (the example without its demo cells) with ``source`` as its last
    cell, and ``middle`` (if given) as a cell after backprop's."""
    nb = correct_base()
    if middle is not None:
        index = _cell_of(nb, "backprop") + 1
        nb.cells.insert(index, nbformat.v4.new_code_cell(middle))
    nb.cells.append(nbformat.v4.new_code_cell(source))
    return nb


def softmax_kills_the_kernel(times, on_large_logits_only=False):
    """The light correct notebook whose softmax ends its kernel the first ``times`` times the grader calls
    it (counted in a file of the working directory, which outlives the kernel), or only on logits of
    1000 and more, then answers right."""
    nb = correct_base()
    nb.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(f'''
        import os
        _honest_softmax = softmax

        def softmax(A):
            calls = len(os.listdir(".killed")) if os.path.isdir(".killed") else 0
            killing = np.max(np.abs(A)) >= 1000 if {on_large_logits_only} else True
            if globals().get("_graded", False) and killing and calls < {times}:
                os.makedirs(".killed", exist_ok=True)
                open(os.path.join(".killed", str(calls)), "w").close()
                os._exit(0)
            return _honest_softmax(A)

        _graded = True
    ''')))
    return nb


ENDINGS = {
    "exit": ("exit()", None),
    "quit_and_sys_exit": ("quit()", "import sys\nsys.exit()"),
    "os_exit": ("import os\nos._exit(0)", None),
}


# ------------------------------------------------------------------ item 4: how an editor saved it

def editor_bytes(nb, minor=4, bom=False, crlf=False, one_string_sources=False, colab=False, vscode=False,
                 drop_ids=False, drop_outputs=False):
    """``nb`` as another editor saves it: the changes are made on the JSON text, as they are in files."""
    data = json.loads(render(nb))
    data["nbformat_minor"] = minor
    for k, cell in enumerate(data["cells"]):
        if drop_ids or minor < 5:
            cell.pop("id", None)
        if one_string_sources and isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        if drop_outputs and cell["cell_type"] == "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        if colab:
            cell["metadata"]["id"] = f"colab-cell-{k}"
            if cell["cell_type"] == "code":
                cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
                cell["metadata"]["outputId"] = f"{k:08x}-0000-0000-0000-000000000000"
        if vscode and cell["cell_type"] == "code":
            cell["metadata"]["vscode"] = {"languageId": "python"}
    if colab:
        data["metadata"]["colab"] = {"provenance": [], "name": "Week6 — Lösung.ipynb", "toc_visible": True}
        data["metadata"]["accelerator"] = "GPU"
    if vscode:
        data["metadata"]["vscode"] = {"interpreter": {"hash": "0" * 64}}
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    return ("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8")


def non_ascii_names():
    """Helper names and comments in other scripts: the graded names stay the contract's."""
    return with_cell(correct(), '''
# Überprüfung: dieselbe Funktion unter anderem Namen, und ein griechischer Buchstabe
def größe(W):
    return len(W)

σ = sigmoid
def sigmoid(a):
    return σ(a)   # naïve? no: the reference's, through a new name
''')


def _code_cells(data):
    return [cell for cell in data["cells"] if cell["cell_type"] == "code"]


# Slips of tools that write notebooks (old outputs and keys the format does not know, ids copied
# with their cells), each a change of the notebook's JSON: none of them touches the code.
HARMLESS_SLIPS = {
    "duplicated_ids": lambda data: [cell.__setitem__("id", "same-id") for cell in data["cells"]],
    "markdown_with_outputs": lambda data: [cell.update(outputs=[], execution_count=None)
                                           for cell in data["cells"] if cell["cell_type"] == "markdown"],
    "stream_output_without_name": lambda data: _code_cells(data)[0].__setitem__(
        "outputs", [{"output_type": "stream", "text": "old output"}]),
    "execution_count_as_text": lambda data: [cell.__setitem__("execution_count", "3") for cell in _code_cells(data)],
    "unknown_keys": lambda data: [data.__setitem__("jupytext", {}), *[cell.__setitem__("collapsed", True)
                                                                      for cell in data["cells"]]],
    "no_nbformat_minor": lambda data: data.pop("nbformat_minor"),
}


def slipped_bytes(nb, slip):
    """``nb``'s file with one of HARMLESS_SLIPS made to its JSON."""
    data = json.loads(render(nb))
    HARMLESS_SLIPS[slip](data)
    return json.dumps(data, indent=1).encode("utf-8")


EDITOR_FORMATS = {
    "bom": dict(bom=True),
    "bom_crlf_one_string": dict(bom=True, crlf=True, one_string_sources=True),
    "nbformat_4_0": dict(minor=0),
    "nbformat_4_2_colab": dict(minor=2, colab=True),
    "nbformat_4_4_vscode": dict(minor=4, vscode=True),
    "nbformat_4_5_without_ids": dict(minor=5, drop_ids=True),
    "no_outputs_field": dict(minor=4, drop_outputs=True),
}


# ------------------------------------------------------------------ item 6: the whole grading's budget

def everything_sleeps(seconds=20):
    """The light correct notebook whose every graded function sleeps ``seconds`` before answering."""
    nb = correct_base()
    names = sorted({name for _, name in graded_cells(nb)})
    nb.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(f'''
        import functools, time

        def _slow(function):
            @functools.wraps(function)
            def slow(*args, **kwargs):
                time.sleep({seconds})
                return function(*args, **kwargs)
            return slow

        for _name in {names!r}:
            globals()[_name] = _slow(globals()[_name])
    ''')))
    return nb


# ------------------------------------------------------------------ item 7: diagnosis order and names

def reg_grad_without_2_in_bce_grad_only():
    """bce_grad's regularization gradient is lam * W_l (the loss and backprop are right)."""
    return with_cell(correct(), '''
def bce_grad(W, X, t, layer_sizes, lam):
    grad = network_backprop(W, X, t, layer_sizes, lam, loss="bce")[1]
    return grad - regularization(W, layer_sizes, lam)[1] / 2
''')


SIGMA_PRIME_SIGN_FIXTURES = [
    MistakeFixture("sigmoid_grad_plus", lambda: with_sigmoid_grad("sigmoid(a) * (1.0 + sigmoid(a))"),
                   "sigmoid_grad_sign"),
    MistakeFixture("sigmoid_grad_negated", lambda: with_sigmoid_grad("sigmoid(a) * (sigmoid(a) - 1.0)"),
                   "sigmoid_grad_sign"),
    MistakeFixture("sigmoid_grad_tanh_form", lambda: with_sigmoid_grad("(1.0 - sigmoid(a)) * (1.0 + sigmoid(a))"),
                   "sigmoid_grad_sign"),
]


def write_all(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    notebooks = {"bce_loss_does_not_parse": bce_loss_does_not_parse(),
                 "losses_summed_gradients_right": losses_summed_gradients_right(),
                 "constant_losses_zero_gradients": constant_losses_zero_gradients(),
                 "non_ascii_names": non_ascii_names(), "everything_sleeps": everything_sleeps(),
                 "reg_grad_without_2_in_bce_grad_only": reg_grad_without_2_in_bce_grad_only(),
                 "softmax_kills_the_kernel_once": softmax_kills_the_kernel(1),
                 "softmax_kills_the_kernel_on_large_logits": softmax_kills_the_kernel(10_000, on_large_logits_only=True),
                 **{f"ending_{name}": ending_with(*ending) for name, ending in ENDINGS.items()},
                 **{f"mistake_{f.name}": f.build() for f in SIGMA_PRIME_SIGN_FIXTURES}}
    for name, nb in notebooks.items():
        nbformat.write(nb, str(out_dir / f"{name}.ipynb"))
    for name, changes in EDITOR_FORMATS.items():
        (out_dir / f"editor_{name}.ipynb").write_bytes(editor_bytes(correct(), **changes))
    for slip in HARMLESS_SLIPS:
        (out_dir / f"slip_{slip}.ipynb").write_bytes(slipped_bytes(correct(), slip))
    return sorted(out_dir.iterdir())


if __name__ == "__main__":
    for written in write_all(sys.argv[1] if len(sys.argv) > 1 else "validity_fixtures"):
        print(written)
