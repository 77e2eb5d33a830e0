"""The cells of the handout that belong to no exercise: the opening, the given helpers, the self-check.

tools/build_template.py opens the notebook with :data:`OPENING` (after the introduction, whose
table of exercises it derives from assignment.EXERCISES) and closes it with :data:`CLOSING`; the
given helpers :data:`UNPACK`, :data:`GRADIENT_CHECK` and :data:`PLOT_HELPER` sit in the part of the
first exercise that needs them; the ``keep_going`` helper is a shipped module,
student_template/keep_going.py, that the imports cell imports. The settings cell and the
``unpack`` cell are written from :mod:`reference` (the single source of truth) as plain literals
and self-contained code, so the notebook never imports ``reference``.
"""
import inspect

from reference import params as reference_params
from reference import training as reference_training

from .handout import Code, Markdown

# The introduction, up to the table of exercises, functions and points that the builder adds.
INTRO = r"""
# Week 6: neural networks and backpropagation

In this lab you build small neural networks from scratch, with nothing but
numpy: the forward pass, the cross-entropy loss, its gradient by
backpropagation, and training with `scipy.optimize.minimize`. No deep-learning
or machine-learning library is needed (or allowed) for the graded functions.

**How the lab works**

- Work through the exercises in order; later exercises reuse earlier functions.
- Each function you write has its own cell, which starts with a `# Graded`
  comment. The function's docstring gives the shapes of its arguments and of
  what it returns; replace its body, `raise NotImplementedError(...)`, with
  your code.
- **Only the named functions are graded**, and the grader calls them by name with
  its own inputs. Keep every name and signature *exactly* as given (same argument
  names, order and defaults). You may add helper functions of your own, in the
  graded cell or in new cells above it.
- Your functions must use only their arguments (and your own helpers, numpy and
  the imports below): the grader does not use the variables, such as `X` and
  `t`, that the exploration cells create.
- The grader runs the whole notebook from top to bottom before it calls your
  functions; a cell that fails does not stop it, but keep the notebook quick to
  run (no long loops of restarts).
- The data files (`pointsClass1Week6.mat`, `pointsClass2Week6.mat`,
  `xWeek6Ex3PointsClass1.mat` .. `xWeek6Ex3PointsClass3.mat`) must sit next to
  this notebook.

**Checking your work yourself**

Each exercise has cells that run your code: plots, a sanity value to compare
against, a finite-difference check of your gradients, training runs. The last
cell of the notebook runs the public tests on your functions (also available
on the command line, in the lab's folder: `python week6_selfcheck.py week6_backprop.ipynb`).

"""

IMPORTS = """\
import numpy as np
import scipy.io as sio
from scipy.optimize import minimize
import matplotlib.pyplot as plt
from keep_going import keep_going   # given (keep_going.py, next to this notebook): see above"""

# What each SETUPS key of reference.training trains, for the settings cell's comments.
SETUP_COMMENTS = {
    "1": "Exercise 1 (1c-1e): one hidden layer",
    "2": 'Exercise 2: "depth 4, 10 neurons in each layer"',
    "bonus": "Bonus: exercise 2's network with relu hidden layers",
    "3": "Exercise 3: three classes, softmax output",
}

# The seed every training cell starts from (one run each, to keep the notebook quick).
SEED = 0


def settings_source() -> str:
    """The settings cell: reference.training's METHOD, OPTIONS, RESTARTS and SETUPS as plain literals."""
    lines = [
        "# Training settings: given, do not change. They are the settings the course's",
        "# reference solution trains with.",
        f"METHOD = {reference_training.METHOD!r}",
        f"OPTIONS = {dict(reference_training.OPTIONS)!r}",
        f"RESTARTS = {reference_training.RESTARTS!r}  "
        "# the reference keeps the best of this many runs; the cells below train once",
        f"SEED = {SEED!r}  # every training cell starts from np.random.default_rng(SEED)",
    ]
    for key, setup in reference_training.SETUPS.items():
        suffix = key.upper()
        lines += ["", f"# {SETUP_COMMENTS.get(key, f'Setup {key!r}')}"]
        lines.append(f"LAYER_SIZES_{suffix} = {list(setup.layer_sizes)!r}")
        lines.append(f"LAM_{suffix} = {setup.lam!r}")
        if setup.activation != "sigmoid":
            lines.append(f"ACTIVATION_{suffix} = {setup.activation!r}")
    return "\n".join(lines)


def unpack_source() -> str:
    """The given cell: reference.params.n_params and unpack, verbatim; they need nothing but numpy."""
    header = "# Given (not graded): the flat parameter vector and its per-layer views.\n\n"
    return header + "\n\n\n".join(inspect.getsource(f).strip("\n")
                                for f in (reference_params.n_params, reference_params.unpack))


# After the introduction: the imports (the keep_going helper among them) and the training settings.
OPENING = [
    Markdown("imports-md", r"""
Run this cell first. These are all the imports the lab needs.

The cells that run your functions (plots, checks, training) start with
`with keep_going():`, a given helper that this cell imports from `keep_going.py`
(it ships with the lab: keep it next to this notebook). While a function is not
written yet, such a cell says so instead of failing, and an error in it shows
its traceback without stopping the cells below: "Run All" always reaches the
self-check at the end of the notebook.
"""),
    Code("imports", IMPORTS, role="imports"),
    Markdown("settings-md", r"""
The settings every training run of the lab uses: the network shapes
(`layer_sizes`), the regularization strengths (`lam`) and the optimizer's
settings for `minimize`. Leave them as they are.
"""),
    Code("settings", settings_source(), role="settings"),
]

# The flat parameter vector and its per-layer views (first needed by exercise 1c).
UNPACK = [
    Markdown("unpack-md", r"""
### The parameters: one flat vector

`minimize` optimizes a single 1-D vector, so all the weights and biases of a
network live in one flat float vector `W`. For `layer_sizes = [n0, n1, ..., nL]`
(`n0 = 2` inputs, `nL = 1` output for two classes, `K` outputs for `K` classes)
the vector holds, layer by layer for `l = 1, ..., L`:

1. the weight matrix `W_l` of shape `(n[l], n[l-1])`, flattened row by row
   (numpy's default, row-major order), then
2. the bias vector `b_l` of shape `(n[l],)`.

Its length is `sum(n[l] * (n[l-1] + 1))`; for `[2, 3, 1]` that is
`3 * 3 + 1 * 4 = 13`: entries 0-5 are `W_1` (3 x 2), 6-8 are `b_1`, 9-11 are `W_2`
(1 x 3) and 12 is `b_2`.

The cell below is given (not graded): `n_params(layer_sizes)` is the length, and
`unpack(W, layer_sizes)` returns the list `[(W_1, b_1), ..., (W_L, b_L)]` of
per-layer arrays. They are views into `W`, so writing into them (for instance
`W_l[...] = ...`) writes into `W`: handy for building a gradient vector of the
same layout.
"""),
    Code("unpack", unpack_source(), role="given"),
    Code("unpack-demo", r"""
W_demo = np.arange(n_params([2, 3, 1]), dtype=float)
for l, (W_l, b_l) in enumerate(unpack(W_demo, [2, 3, 1]), start=1):
    print(f"W_{l} {W_l.shape}:\n{W_l}\nb_{l} {b_l.shape}: {b_l}")
"""),
]

# The finite-difference check of a gradient (first needed by exercise 1d).
GRADIENT_CHECK = [
    Markdown("gradcheck-md", r"""
**Check your gradient with finite differences.** For a small step $\varepsilon$,
$\dfrac{\partial E}{\partial W_i} \approx \dfrac{E(W + \varepsilon e_i) - E(W - \varepsilon e_i)}{2\varepsilon}$.
The helper below (given, not graded) compares your analytic gradient with this
estimate and returns the relative error
$\|g - g_\text{num}\| / (\|g\| + \|g_\text{num}\|)$: it should be below about
`1e-6`. It costs two loss evaluations per parameter, so use it on small networks
and a few samples only. A non-zero `lam` checks the penalty's gradient too.
"""),
    Code("gradcheck", r'''
# Given (not graded): a finite-difference check of a gradient.
def numerical_gradient(loss_fn, W, eps=1e-6):
    """Central differences: (P,) estimate of the gradient of loss_fn: (P,) -> float at W (P,)."""
    W = np.asarray(W, dtype=float)
    grad = np.zeros_like(W)
    for i in range(W.size):
        step = np.zeros_like(W)
        step[i] = eps
        grad[i] = (loss_fn(W + step) - loss_fn(W - step)) / (2 * eps)
    return grad


def gradient_check(loss_fn, grad_fn, W, eps=1e-6):
    """Relative error between grad_fn(W) and the finite-difference gradient of loss_fn at W."""
    analytic = np.asarray(grad_fn(W), dtype=float).reshape(np.shape(W))
    numeric = numerical_gradient(loss_fn, W, eps)
    scale = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-12)
    return np.linalg.norm(analytic - numeric) / scale
''', role="given"),
]

# The decision-region plot of a trained network (first needed by exercise 1e).
PLOT_HELPER = [
    Code("plot-helper", r'''
# Given (not graded): a plot of the regions a trained network assigns to each class.
def plot_decision_regions(predict_fn, X, t, title=""):
    """Colour the plane by predict_fn((M, 2) points) -> (M,) labels, and draw the data."""
    pad = 0.5
    x0, x1 = np.meshgrid(np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 200),
                         np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 200))
    labels = np.asarray(predict_fn(np.column_stack([x0.ravel(), x1.ravel()]))).reshape(x0.shape)
    plt.figure(figsize=(5, 5))
    plt.contourf(x0, x1, labels, levels=np.arange(labels.max() + 2) - 0.5, alpha=0.3, cmap="viridis")
    plt.scatter(X[:, 0], X[:, 1], c=t, s=10, cmap="viridis", edgecolors="k", linewidths=0.2)
    plt.title(title)
    plt.show()
''', role="given"),
]

# The last cells: the public self-check.
CLOSING = [
    Markdown("selfcheck-md", r"""
## Self-check

This cell runs the public tests on your functions and prints, for each one,
whether it passes and a hint if it does not. They are a subset of what the
grader checks: passing them is a good sign, not a guarantee. It needs the file
`week6_selfcheck.py` next to this notebook.
"""),
    Code("selfcheck", "from week6_selfcheck import run_selfcheck\nrun_selfcheck(globals())", role="selfcheck"),
]
