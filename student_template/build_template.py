"""Write the student notebook ``student_template/week6_backprop.ipynb``.

Run ``python student_template/build_template.py [OUT.ipynb]`` from anywhere.
The notebook is generated, not edited by hand: the training settings cell
and the given ``unpack`` cell are produced from :mod:`reference` (the single
source of truth) as plain literals and self-contained code, so the notebook
itself never imports ``reference``. The output is deterministic (fixed cell
ids, no timestamps), and the tests check that the committed notebook equals
what this script writes.

Cell metadata: each graded cell carries ``{"week6": {"graded": "<name>"}}``
(one contract function per cell); every other code cell carries
``{"week6": {"role": ...}}`` with role ``imports``, ``settings``, ``given``
(helpers the lab hands out), ``run`` (plots, checks, training) or
``selfcheck``. The plot cells the handout asks for also carry ``"plot": <id>``,
and each written question of :mod:`student_template.written_answers` is a markdown cell
``{"week6": {"question": <id>}}`` followed by its answer cell
``{"week6": {"answer": <id>}}`` (the TAs read them; no points).
"""
import inspect
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from student_template import written_answers  # noqa: E402
from reference import params as reference_params  # noqa: E402
from reference import training as reference_training  # noqa: E402

TEMPLATE_PATH = Path(__file__).resolve().parent / "week6_backprop.ipynb"

IMPORTS = """\
import numpy as np
import scipy.io as sio
from scipy.optimize import minimize
import matplotlib.pyplot as plt"""

# What each SETUPS key of reference.training trains, for the settings cell's comments.
SETUP_COMMENTS = {
    "1": "Exercise 1 (1c-1e): one hidden layer",
    "2": 'Exercise 2: "depth 4, 10 neurons in each layer"',
    "bonus": "Bonus: exercise 2's network with relu hidden layers",
    "3": "Exercise 3: three classes, softmax output",
}

# The seed every training cell starts from (one run each, to keep the notebook quick).
SEED = 0

# The given helper that every "run" cell is wrapped in (see keep_going_source): while a
# function is still a stub, "Run All" goes on to the self-check instead of stopping.
KEEP_GOING = '''\
# Given (not graded): lets "Run All" go on while some functions are not written yet.
import ast
import inspect
import linecache
import traceback


class keep_going:
    """`with keep_going():` runs the cells that call your functions.

    If a function the cell calls is not written yet (it still raises NotImplementedError), the
    cell says so and stops quietly. Any other error shows its traceback as usual. Either way the
    cells below still run, so "Run All" always reaches the self-check at the end.
    """
    waiting_for = {}   # variable -> the unwritten function that kept a cell from making it

    def __enter__(self):
        self.cell = inspect.currentframe().f_back.f_code.co_filename   # the cell of this `with`
        return self

    def __exit__(self, kind, error, trace):
        if error is not None and not isinstance(error, Exception):
            return False   # an interrupt (the stop button) stops "Run All" as usual
        made_here = self._names_made_in(self.cell)
        if error is None:
            for name in made_here:
                keep_going.waiting_for.pop(name, None)
            return False
        innermost = trace
        while innermost.tb_next is not None:
            innermost = innermost.tb_next
        if isinstance(error, NotImplementedError):
            function = innermost.tb_frame.f_code.co_name
            keep_going.waiting_for.update(dict.fromkeys(made_here, function))
            print(f"Not run yet: {function} is not written yet. This cell runs once it is.")
        elif (isinstance(error, NameError) and getattr(error, "name", None) in keep_going.waiting_for
              and innermost.tb_frame.f_code.co_filename == self.cell):   # NameError.name: Python 3.10+
            function = keep_going.waiting_for[error.name]
            keep_going.waiting_for.update(dict.fromkeys(made_here, function))
            print(f"Not run yet: this cell needs `{error.name}`, which a cell above makes once "
                  f"{function} is written.")
        else:
            try:
                get_ipython().showtraceback((kind, error, trace))   # the notebook's usual error display
            except NameError:   # plain Python, outside Jupyter
                traceback.print_exception(kind, error, trace)
            print("(keep_going: the cells below still run.)")
        return True

    @staticmethod
    def _names_made_in(filename):
        """The variables a cell assigns (from its source, which Jupyter keeps in linecache)."""
        try:
            tree = ast.parse("".join(linecache.getlines(filename)))
        except SyntaxError:
            return set()
        return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}'''


# --------------------------------------------------------------------------- cells

class _Cells:
    """Collects cells with deterministic ids (nbformat 4.5 needs ids; random ones would make the output drift)."""

    def __init__(self):
        self.cells = []
        self._ids = set()

    def _id(self, cell_id):
        if cell_id in self._ids:
            raise ValueError(f"duplicate cell id {cell_id}")
        self._ids.add(cell_id)
        return cell_id

    def md(self, cell_id, text):
        self.cells.append(nbformat.v4.new_markdown_cell(text.strip("\n"), id=self._id(cell_id)))

    def code(self, cell_id, text, role):
        text = text.strip("\n")
        if role == "run":
            text = keep_going_source(text)
        cell = nbformat.v4.new_code_cell(text, id=self._id(cell_id))
        cell.metadata["week6"] = {"role": role}
        self.cells.append(cell)

    def plot(self, cell_id, text, plot_id):
        """A code cell that draws what the handout asks for (collected for the TAs as plot ``plot_id``)."""
        self.code(cell_id, text, role="run")
        self.cells[-1].metadata["week6"]["plot"] = plot_id

    def question(self, question_id):
        """A written question of student_template.written_answers.QUESTIONS and its answer cell (both marked)."""
        question = next(q for q in written_answers.QUESTIONS if q.id == question_id)
        self.md(f"{question_id}-md", written_answers.question_markdown(question))
        self.cells[-1].metadata["week6"] = {"question": question_id}
        self.md(f"{question_id}-answer", written_answers.answer_markdown())
        self.cells[-1].metadata["week6"] = {"answer": question_id}

    def graded(self, name, text):
        cell = nbformat.v4.new_code_cell(text.strip("\n"), id=self._id(f"graded-{name.replace('_', '-')}"))
        cell.metadata["week6"] = {"graded": name}
        self.cells.append(cell)


def settings_source():
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


def keep_going_source(text):
    """A "run" cell's text inside ``with keep_going():``; its leading comment lines stay above the ``with``."""
    lines = text.splitlines()
    head = 0
    while head < len(lines) and lines[head].startswith("#"):
        head += 1
    body = "\n".join(("    " + line) if line.strip() else "" for line in lines[head:])
    return "\n".join(lines[:head] + ["with keep_going():", body])


def unpack_source():
    """The given cell: reference.params.n_params and unpack, verbatim; they need nothing but numpy."""
    header = "# Given (not graded): the flat parameter vector and its per-layer views.\n\n"
    return header + "\n\n\n".join(inspect.getsource(f).strip("\n")
                                for f in (reference_params.n_params, reference_params.unpack))


def stub(name, signature, doc, exercise):
    """A graded cell's text: the contract signature, a docstring with shapes, and a NotImplementedError body."""
    doc = inspect.cleandoc(doc)
    where = "the bonus exercise" if exercise == "bonus" else f"exercise {exercise}"
    body = "\n".join(("    " + line) if line else "" for line in doc.splitlines())
    return (f"# Graded ({where}): keep the name and the signature of {name}.\n"
            f"def {signature}:\n"
            f'    """{body.lstrip()}\n    """\n'
            f'    raise NotImplementedError("{name} is not implemented yet ({where}): '
            f'replace this line with your code")')


# --------------------------------------------------------------------------- the notebook

def build_cells():
    c = _Cells()

    c.md("intro", r"""
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
on the command line as `make check NOTEBOOK=week6_backprop.ipynb`).

| exercise | functions | points |
|---|---|---|
| 1a | `load_data` | 5 |
| 1b | `sigmoid`, `sigmoid_grad` | 10 |
| 1c | `bce_loss` | 15 |
| 1d | `bce_grad` | 15 |
| 1e | `init_weights`, `predict` | 15 |
| bonus | `relu`, `relu_grad` | +5 |
| 2 | `backprop` | 25 |
| 3 | `load_data_multiclass`, `softmax`, `ce_backprop`, `predict_multiclass` | 15 |
""")

    c.md("imports-md", "Run this cell first. These are all the imports the lab needs.")
    c.code("imports", IMPORTS, role="imports")

    c.md("settings-md", r"""
The settings every training run of the lab uses: the network shapes
(`layer_sizes`), the regularization strengths (`lam`) and the optimizer's
settings for `minimize`. Leave them as they are.
""")
    c.code("settings", settings_source(), role="settings")
    c.md("keep-going-md", r"""
The cells that run your functions (plots, checks, training) start with
`with keep_going():`, from the given cell below. While a function is not
written yet, such a cell says so instead of failing, and an error in it shows
its traceback without stopping the cells below: "Run All" always reaches the
self-check at the end of the notebook.
""")
    c.code("keep-going", KEEP_GOING, role="given")

    # ------------------------------------------------------------------ 1a
    c.md("ex1a-md", r"""
## Exercise 1: a network with one hidden layer

### 1a. Loading the data (5 points)

The binary data set has two classes of points in the plane, one file per class.
Each file holds one variable of the same name: a float array of shape `(Nk, 2)`,
one point per row. Load them with exactly these lines (the files sit next to the
notebook, so no directory is needed):

```python
class1 = sio.loadmat('pointsClass1Week6.mat')['pointsClass1Week6']
class2 = sio.loadmat('pointsClass2Week6.mat')['pointsClass2Week6']
```

Write `load_data()` returning `(X, t)`:

- `X`: float array `(N, 2)`, the rows of class 1 first, then those of class 2;
- `t`: int array `(N,)`, label `0` for every class 1 point and `1` for every
  class 2 point.
""")
    c.graded("load_data", stub("load_data", "load_data()", """
        Exercise 1a: the binary data set.

        Reads pointsClass1Week6.mat and pointsClass2Week6.mat from the current directory.
        Returns (X, t):
            X: (N, 2) float array, the N1 rows of class 1 first, then the N2 rows of class 2
            t: (N,) int array, 0 for class 1 and 1 for class 2
        """, "1a"))
    c.plot("ex1a-plot", r"""
X, t = load_data()
print("X:", X.shape, X.dtype, " t:", t.shape, t.dtype, " points per label:", np.bincount(t))

plt.figure(figsize=(5, 5))
plt.scatter(X[t == 0, 0], X[t == 0, 1], s=10, label="class 1 (t = 0)")
plt.scatter(X[t == 1, 0], X[t == 1, 1], s=10, label="class 2 (t = 1)")
plt.axis("equal")
plt.legend()
plt.title("The binary data set")
plt.show()
""", plot_id="1a")
    c.md("ex1a-after", r"""
No straight line separates the two classes, so logistic regression (a network
without a hidden layer) cannot classify them. A hidden layer can.
""")

    # ------------------------------------------------------------------ 1b
    c.md("ex1b-md", r"""
### 1b. The sigmoid and its derivative (10 points)

$$\sigma(a) = \frac{1}{1 + e^{-a}}, \qquad \sigma'(a) = \sigma(a)\,\bigl(1 - \sigma(a)\bigr).$$

Both functions work elementwise: they take a scalar or an array of any shape and
return the same shape. They must stay finite, with no overflow warning, for large
$|a|$ (try `a = -1000`): `np.exp(-a)` overflows there. Rewrite the formula so
that `exp` only sees arguments $\le 0$, or use `np.logaddexp`.
""")
    c.graded("sigmoid", stub("sigmoid", "sigmoid(a)", """
        Exercise 1b: the logistic sigmoid 1 / (1 + exp(-a)), elementwise.

        a: a scalar or an array of any shape
        Returns: the same shape as a (a scalar for a scalar), values in [0, 1];
            no overflow warning and no NaN for large |a|.
        """, "1b"))
    c.graded("sigmoid_grad", stub("sigmoid_grad", "sigmoid_grad(a)", """
        Exercise 1b: the derivative of the sigmoid, sigma(a) * (1 - sigma(a)), elementwise.

        a: a scalar or an array of any shape (the pre-activation, not sigma(a))
        Returns: the same shape as a; no overflow warning and no NaN for large |a|.
        """, "1b"))
    c.code("ex1b-check", r"""
a = np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0])
with np.errstate(over="raise", invalid="raise", divide="raise"):  # turns warnings into errors
    print("sigmoid:     ", sigmoid(a))        # expect [0, 0.0067, 0.5, 0.9933, 1]
    print("sigmoid_grad:", sigmoid_grad(a))   # expect [0, 0.0066, 0.25, 0.0066, 0]
    print("scalar:      ", sigmoid(0.0), sigmoid_grad(0.0))
""", role="run")
    c.plot("ex1b-plot", r"""
# Check your derivative: sigmoid_grad must follow the slope of sigmoid (central differences, step 0.1).
a = np.linspace(-8, 8, 161)
slope = np.gradient(sigmoid(a), a)
print("largest gap between sigmoid_grad and the slope of sigmoid:",
      np.max(np.abs(sigmoid_grad(a) - slope)), " (below 1e-3 is right)")
plt.figure(figsize=(6, 3.5))
plt.plot(a, sigmoid(a), label="sigmoid(a)")
plt.plot(a, sigmoid_grad(a), label="sigmoid_grad(a)")
plt.plot(a, slope, "--", label="slope of sigmoid (finite differences)")
plt.legend(loc="upper left")
plt.title("The sigmoid and its derivative")
plt.show()
""", plot_id="1b")

    # ------------------------------------------------------------------ unpack
    c.md("unpack-md", r"""
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
""")
    c.code("unpack", unpack_source(), role="given")
    c.code("unpack-demo", r"""
W_demo = np.arange(n_params([2, 3, 1]), dtype=float)
for l, (W_l, b_l) in enumerate(unpack(W_demo, [2, 3, 1]), start=1):
    print(f"W_{l} {W_l.shape}:\n{W_l}\nb_{l} {b_l.shape}: {b_l}")
""", role="run")

    # ------------------------------------------------------------------ 1c
    c.md("ex1c-md", r"""
### 1c. The loss (15 points)

**Forward pass.** For a batch `X` of shape `(N, n0)`, with $g = \sigma$ in the
hidden layers:

$$Z_0 = X, \qquad A_l = Z_{l-1} W_l^\top + b_l, \qquad Z_l = g(A_l) \quad (l = 1, \dots, L-1),$$

$$A_L = Z_{L-1} W_L^\top + b_L, \qquad p = \sigma(A_L)\ \text{(its single column: shape } (N,)).$$

`A_l` and `Z_l` have shape `(N, n[l])`; $p_n$ is the network's probability that
point $n$ has label 1.

**Loss.** The mean binary cross-entropy plus a weight penalty:

$$E(W) = -\frac{1}{N} \sum_{n=1}^{N} \Bigl[t_n \log p_n + (1 - t_n) \log(1 - p_n)\Bigr] + R(W),
\qquad R(W) = \lambda \sum_{l=1}^{L} \sum_{i,j} \bigl(W_l\bigr)_{ij}^2 .$$

The regularization $R$ sums the squares of the entries of every weight matrix.
**The biases are not regularized**, and there is no factor 1/2 and no 1/N in $R$.

`bce_loss` is graded on networks with one hidden layer (`L = 2`, e.g. `[2, 3, 1]`).
Hint: when $p_n$ rounds to exactly 0 or 1, `np.log` gives `-inf`. Note that
$\log \sigma(a) = -\log(1 + e^{-a})$ = `-np.logaddexp(0, -a)` and
$\log(1 - \sigma(a)) = \log \sigma(-a)$, which stay finite.
""")
    c.graded("bce_loss", stub("bce_loss", "bce_loss(W, X, t, layer_sizes, lam)", """
        Exercise 1c: the regularized binary cross-entropy E(W) of the network on (X, t).

        W: (P,) flat parameter vector, P = n_params(layer_sizes), laid out as unpack describes
        X: (N, n0) float inputs
        t: (N,) int labels in {0, 1}
        layer_sizes: [n0, n1, 1], one hidden layer of sigmoid units
        lam: float >= 0, the regularization strength lambda
        Returns: float, -(1/N) sum(t log p + (1 - t) log(1 - p)) + lam * (sum of squared weight-matrix entries)
        """, "1c"))
    c.code("ex1c-check", r"""
# With all parameters zero every p_n is 0.5 and R(W) = 0, so the loss is log 2.
W_zero = np.zeros(n_params(LAYER_SIZES_1))
print("bce_loss at W = 0:", bce_loss(W_zero, X, t, LAYER_SIZES_1, LAM_1), " expected:", np.log(2))

# The penalty: for the same W, raising lam from 0 to 0.5 adds 0.5 * (sum of squared weight-matrix entries).
W_rand = np.random.default_rng(1).normal(size=n_params(LAYER_SIZES_1))
penalty = sum(np.sum(W_l ** 2) for W_l, _ in unpack(W_rand, LAYER_SIZES_1))
difference = bce_loss(W_rand, X, t, LAYER_SIZES_1, 0.5) - bce_loss(W_rand, X, t, LAYER_SIZES_1, 0.0)
print("loss(lam=0.5) - loss(lam=0):", difference, " expected:", 0.5 * penalty)
""", role="run")

    # ------------------------------------------------------------------ 1d
    c.md("ex1d-md", r"""
### 1d. The gradient by backpropagation (15 points)

Backpropagation, for one sample $n$ (with $z$ the activations of the layer below,
$z_0 = x_n$):

- output unit: $\delta_k = y_k - t_k$, where $y = \sigma(a_L)$ is the output;
- hidden unit $j$, going back one layer: $\delta_j = \sigma'(a_j) \sum_k w_{kj} \delta_k$;
- weight from unit $i$ to unit $j$: $\dfrac{\partial E_n}{\partial w_{ji}} = \delta_j z_i$,
  and for the bias $\dfrac{\partial E_n}{\partial b_j} = \delta_j$.

The gradient of $E(W)$ is the mean of these per-sample gradients over the $N$
samples, plus the gradient of the penalty, $2 \lambda W_l$ for each weight matrix
and $0$ for the biases. Return it as one flat vector with the same layout as `W`
(build a zero vector and fill the per-layer views that `unpack` gives you).

A loop over the samples is fine; writing the same equations for the whole batch
at once (matrix products instead of sums) is much faster.
""")
    c.graded("bce_grad", stub("bce_grad", "bce_grad(W, X, t, layer_sizes, lam)", """
        Exercise 1d: the gradient of bce_loss with respect to W.

        W: (P,) flat parameter vector, P = n_params(layer_sizes)
        X: (N, n0) float inputs
        t: (N,) int labels in {0, 1}
        layer_sizes: [n0, n1, 1], one hidden layer of sigmoid units
        lam: float >= 0, the regularization strength lambda
        Returns: (P,) float array, dE/dW in the same layout as W
        """, "1d"))
    c.md("gradcheck-md", r"""
**Check your gradient with finite differences.** For a small step $\varepsilon$,
$\dfrac{\partial E}{\partial W_i} \approx \dfrac{E(W + \varepsilon e_i) - E(W - \varepsilon e_i)}{2\varepsilon}$.
The helper below (given, not graded) compares your analytic gradient with this
estimate and returns the relative error
$\|g - g_\text{num}\| / (\|g\| + \|g_\text{num}\|)$: it should be below about
`1e-6`. It costs two loss evaluations per parameter, so use it on small networks
and a few samples only. A non-zero `lam` checks the penalty's gradient too.
""")
    c.code("gradcheck", r'''
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
''', role="given")
    c.code("ex1d-check", r"""
rng_check = np.random.default_rng(2)
sizes_check, lam_check = [2, 3, 1], 0.1
X_check, t_check = X[::20], t[::20]            # 20 samples are plenty
W_check = rng_check.normal(size=n_params(sizes_check))
error = gradient_check(lambda W: bce_loss(W, X_check, t_check, sizes_check, lam_check),
                       lambda W: bce_grad(W, X_check, t_check, sizes_check, lam_check), W_check)
print(f"relative error of bce_grad: {error:.2e}  (below 1e-6 is right)")
""", role="run")

    # ------------------------------------------------------------------ 1e
    c.md("ex1e-md", r"""
### 1e. Initialization, prediction and training (15 points)

**`init_weights(layer_sizes, rng)`** returns a flat vector `W` for `layer_sizes`:
every entry of `W_l` drawn uniformly from $[-e_l, e_l]$ with

$$e_l = \sqrt{\frac{2}{n_{l-1} + n_l}},$$

and the biases zero. Draw the random numbers from `rng`, a
`numpy.random.Generator` (for example `rng.uniform(low, high, size=...)`), never
from `np.random` directly, so that the same seed gives the same weights.

**`predict(W, X, layer_sizes)`** returns the labels the network assigns:
`1` where $p_n \ge 0.5$, else `0`, as an int array of shape `(N,)`.

Then train: `minimize(fun, W0, jac=True, ...)` takes a function returning the
pair `(loss, gradient)`, which the next cell builds from your `bce_loss` and
`bce_grad`. One run from one random start is enough here; if your accuracy is
poor, you may have hit a bad local minimum (the reference keeps the best of
`RESTARTS` runs): try another seed.
""")
    c.graded("init_weights", stub("init_weights", "init_weights(layer_sizes, rng)", """
        Exercise 1e: random initial parameters for a network of shape layer_sizes.

        layer_sizes: [n0, n1, ..., nL], a list of ints
        rng: a numpy.random.Generator; draw every random number from it
        Returns: (P,) float array, P = n_params(layer_sizes), in the layout of unpack: each entry of
            W_l uniform in [-e_l, e_l] with e_l = sqrt(2 / (n[l-1] + n[l])), every bias 0
        """, "1e"))
    c.graded("predict", stub("predict", "predict(W, X, layer_sizes)", """
        Exercise 1e: the labels a binary network assigns to the points X.

        W: (P,) flat parameter vector, P = n_params(layer_sizes)
        X: (N, n0) float inputs
        layer_sizes: [n0, ..., 1], sigmoid hidden layers
        Returns: (N,) int array, 1 where p = sigmoid(A_L) >= 0.5, else 0
        """, "1e"))
    c.code("ex1e-train", r"""
rng = np.random.default_rng(SEED)
W0 = init_weights(LAYER_SIZES_1, rng)
result_1 = minimize(lambda W: (bce_loss(W, X, t, LAYER_SIZES_1, LAM_1), bce_grad(W, X, t, LAYER_SIZES_1, LAM_1)),
                    W0, jac=True, method=METHOD, options=OPTIONS)
W_1 = result_1.x
print(f"exercise 1: loss {result_1.fun:.4f} after {result_1.nit} iterations, "
      f"training accuracy {np.mean(predict(W_1, X, LAYER_SIZES_1) == t):.3f}")
""", role="run")
    c.code("plot-helper", r'''
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
''', role="given")
    c.code("ex1e-plot", r"""
plot_decision_regions(lambda P: predict(W_1, P, LAYER_SIZES_1), X, t, f"one hidden layer {LAYER_SIZES_1}")
""", role="run")

    # ------------------------------------------------------------------ bonus
    c.md("bonus-md", r"""
### Bonus: the rectified linear unit (5 extra points)

$$\operatorname{relu}(a) = \max(a, 0), \qquad \operatorname{relu}'(a) = \begin{cases} 1 & a > 0 \\ 0 & a < 0 \end{cases}$$

Elementwise, for scalars and arrays of any shape, returning the same shape. At
$a = 0$ the derivative is not defined; either 0 or 1 is accepted. Exercise 2
lets you train its deep network with relu hidden layers
(`activation="relu"`).
""")
    c.graded("relu", stub("relu", "relu(a)", """
        Bonus: the rectified linear unit max(a, 0), elementwise.

        a: a scalar or an array of any shape
        Returns: the same shape as a
        """, "bonus"))
    c.graded("relu_grad", stub("relu_grad", "relu_grad(a)", """
        Bonus: the derivative of relu, elementwise: 1 where a > 0, 0 where a < 0 (either at 0).

        a: a scalar or an array of any shape (the pre-activation)
        Returns: the same shape as a
        """, "bonus"))
    c.code("bonus-check", r"""
a = np.array([-2.0, -0.5, 0.5, 2.0])
print("relu:     ", relu(a))        # expect [0, 0, 0.5, 2]
print("relu_grad:", relu_grad(a))   # expect [0, 0, 1, 1]
""", role="run")

    # ------------------------------------------------------------------ 2
    c.md("ex2-md", r"""
## Exercise 2: backpropagation for any depth (25 points)

Generalize exercises 1c and 1d to any number of hidden layers: `backprop`
returns the loss $E(W)$ and its gradient together, as the pair
`(loss, gradient)` that `minimize(..., jac=True)` takes. The forward pass is the
one of 1c for every layer; going back, the deltas of each layer come from those
of the layer above with the same rule as in 1d:

$$\Delta_L = \frac{1}{N}(p - t) \ \text{(shape } (N, 1)), \qquad
\Delta_{l-1} = \bigl(\Delta_l W_l\bigr) \odot g'(A_{l-1}),$$

$$\frac{\partial E}{\partial W_l} = \Delta_l^\top Z_{l-1} + 2\lambda W_l, \qquad
\frac{\partial E}{\partial b_l} = \sum_{n} (\Delta_l)_{n,:}.$$

(This is the batch form of the per-sample rules of 1d, with the $1/N$ of the
mean moved into $\Delta_L$.) The hidden activation $g$ is the sigmoid by default;
with `activation="relu"` it is your bonus `relu`, with `relu_grad` as $g'$. The
output is always $p = \sigma(A_L)$ with the binary cross-entropy, whatever the
hidden activation.

**The network**: "depth 4, 10 neurons in each layer", `LAYER_SIZES_2 =
[2, 10, 10, 10, 10, 1]`, trained with `LAM_2 = 1e-6`. Why such a small
$\lambda$? A deep sigmoid network starts with tiny gradients in its first layers,
and on this data the constant output $p = 0.5$ (loss $\log 2$, 50% accuracy)
is a stationary point. With $\lambda = 10^{-4}$, as in exercise 1, the weight
decay pulls the optimizer into that point from every start we tried; with
$10^{-6}$ the network learns the data.
""")
    c.graded("backprop", stub("backprop", 'backprop(W, X, t, layer_sizes, lam, activation="sigmoid")', """
        Exercise 2: the loss E(W) and its gradient, for any number of hidden layers.

        W: (P,) flat parameter vector, P = n_params(layer_sizes)
        X: (N, n0) float inputs
        t: (N,) int labels in {0, 1}
        layer_sizes: [n0, n1, ..., n_{L-1}, 1], any number of hidden layers
        lam: float >= 0, the regularization strength lambda
        activation: "sigmoid" or "relu", the activation of the hidden layers (the output is always sigmoid)
        Returns: (loss, grad): loss a float as in bce_loss, grad a (P,) float array in the layout of W
        """, "2"))
    c.code("ex2-check", r"""
sizes_deep = [2, 4, 3, 1]
W_check = np.random.default_rng(3).normal(size=n_params(sizes_deep))
error = gradient_check(lambda W: backprop(W, X_check, t_check, sizes_deep, lam_check)[0],
                       lambda W: backprop(W, X_check, t_check, sizes_deep, lam_check)[1], W_check)
print(f"relative error of backprop's gradient (sigmoid): {error:.2e}  (below 1e-6 is right)")

# On one hidden layer, backprop must agree with exercise 1.
W_one = np.random.default_rng(4).normal(size=n_params(LAYER_SIZES_1))
loss_one, grad_one = backprop(W_one, X, t, LAYER_SIZES_1, LAM_1)
print("agrees with bce_loss and bce_grad:",
      np.isclose(loss_one, bce_loss(W_one, X, t, LAYER_SIZES_1, LAM_1)),
      np.allclose(grad_one, bce_grad(W_one, X, t, LAYER_SIZES_1, LAM_1)))
""", role="run")
    c.code("ex2-train", r"""
rng = np.random.default_rng(SEED)
W0 = init_weights(LAYER_SIZES_2, rng)
result_2 = minimize(lambda W: backprop(W, X, t, LAYER_SIZES_2, LAM_2),
                    W0, jac=True, method=METHOD, options=OPTIONS)
W_2 = result_2.x
print(f"exercise 2: loss {result_2.fun:.4f} after {result_2.nit} iterations, "
      f"training accuracy {np.mean(predict(W_2, X, LAYER_SIZES_2) == t):.3f}")
plot_decision_regions(lambda P: predict(W_2, P, LAYER_SIZES_2), X, t, f"depth 4, {LAYER_SIZES_2}")
""", role="run")
    c.md("bonus-train-md", r"""
**Bonus, continued**: the same deep network with relu hidden layers. (`predict`
only knows sigmoid hidden layers, so this cell reports the loss; a loss near 0
means the training points are classified right.)
""")
    c.code("bonus-train", r"""
rng = np.random.default_rng(SEED)
W0 = init_weights(LAYER_SIZES_BONUS, rng)
result_bonus = minimize(lambda W: backprop(W, X, t, LAYER_SIZES_BONUS, LAM_BONUS, activation=ACTIVATION_BONUS),
                        W0, jac=True, method=METHOD, options=OPTIONS)
print(f"bonus ({ACTIVATION_BONUS}): loss {result_bonus.fun:.4f} after {result_bonus.nit} iterations")
""", role="run")
    c.question("bonus-q")

    # ------------------------------------------------------------------ 3
    c.md("ex3-md", r"""
## Exercise 3: more than two classes (15 points)

The second data set has three classes, one file per class, each holding one
variable of the same name (a float array `(Nk, 2)`):

```python
class1 = sio.loadmat('xWeek6Ex3PointsClass1.mat')['xWeek6Ex3PointsClass1']
class2 = sio.loadmat('xWeek6Ex3PointsClass2.mat')['xWeek6Ex3PointsClass2']
class3 = sio.loadmat('xWeek6Ex3PointsClass3.mat')['xWeek6Ex3PointsClass3']
```

**`load_data_multiclass()`** returns `(X, t)` like `load_data`: the rows of
class 1, then class 2, then class 3, with labels `0`, `1`, `2`.
""")
    c.graded("load_data_multiclass", stub("load_data_multiclass", "load_data_multiclass()", """
        Exercise 3: the 3-class data set.

        Reads xWeek6Ex3PointsClass1.mat .. xWeek6Ex3PointsClass3.mat from the current directory.
        Returns (X, t):
            X: (N, 2) float array, the rows of class 1, then class 2, then class 3
            t: (N,) int array, label k - 1 for the points of class k (so values in {0, 1, 2})
        """, "3"))
    c.plot("ex3-plot", r"""
X3, t3 = load_data_multiclass()
print("X3:", X3.shape, " t3:", t3.shape, " points per label:", np.bincount(t3))
plt.figure(figsize=(5, 5))
for k in range(3):
    plt.scatter(X3[t3 == k, 0], X3[t3 == k, 1], s=10, label=f"class {k + 1} (t = {k})")
plt.axis("equal")
plt.legend()
plt.title("The 3-class data set")
plt.show()
""", plot_id="3")
    c.md("ex3-softmax-md", r"""
**The output layer.** With $K$ classes the last layer has $K$ units
(`layer_sizes = [2, ..., K]`) and the softmax turns each row of $A_L$ into
probabilities:

$$Y_{nk} = \frac{e^{A_{nk}}}{\sum_{j=1}^{K} e^{A_{nj}}}.$$

**`softmax(A)`** works row by row on an `(N, K)` array. Subtracting each row's
maximum from the row first does not change the result and keeps `exp` from
overflowing: make sure `softmax(np.array([[1000.0, 0.0]]))` gives `[[1, 0]]`.
""")
    c.graded("softmax", stub("softmax", "softmax(A)", """
        Exercise 3: the softmax of every row of A, computed stably (subtract the row maximum first).

        A: (N, K) float array
        Returns: (N, K) float array, each row positive and summing to 1
        """, "3"))
    c.md("ex3-ce-md", r"""
**Loss and gradient.** The labels $t_n \in \{0, \dots, K-1\}$ are integers; the
loss is the mean cross-entropy plus the same penalty as before:

$$E(W) = -\frac{1}{N} \sum_{n=1}^{N} \log Y_{n, t_n} + R(W).$$

The backward pass is the one of exercise 2; only the output deltas change:
$\Delta_L = \frac{1}{N}(Y - T)$, where $T$ is the one-hot `(N, K)` matrix of the
labels ($T_{nk} = 1$ if $t_n = k$). **`ce_backprop`** returns
`(loss, gradient)` like `backprop`; **`predict_multiclass`** returns, for each
point, the class with the highest probability (sigmoid hidden layers).
""")
    c.graded("ce_backprop", stub("ce_backprop", 'ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid")', """
        Exercise 3: the softmax cross-entropy E(W) and its gradient, for any number of hidden layers.

        W: (P,) flat parameter vector, P = n_params(layer_sizes)
        X: (N, n0) float inputs
        t: (N,) int labels in {0, ..., K-1}
        layer_sizes: [n0, n1, ..., K], any number of hidden layers, K output units
        lam: float >= 0, the regularization strength lambda
        activation: "sigmoid" or "relu", the activation of the hidden layers (the output is always softmax)
        Returns: (loss, grad): loss a float, -(1/N) sum_n log Y[n, t_n] + R(W); grad a (P,) float array
        """, "3"))
    c.graded("predict_multiclass", stub("predict_multiclass", "predict_multiclass(W, X, layer_sizes)", """
        Exercise 3: the labels a K-class network assigns to the points X.

        W: (P,) flat parameter vector, P = n_params(layer_sizes)
        X: (N, n0) float inputs
        layer_sizes: [n0, ..., K], sigmoid hidden layers, K output units
        Returns: (N,) int array in {0, ..., K-1}, the index of the largest softmax output of each row
        """, "3"))
    c.code("ex3-check", r"""
print("softmax of [[1000, 0], [1, 1]]:", softmax(np.array([[1000.0, 0.0], [1.0, 1.0]])))  # [[1, 0], [0.5, 0.5]]

sizes_ce = [2, 4, 3]
X3_check, t3_check = X3[::25], t3[::25]
W_check = np.random.default_rng(5).normal(size=n_params(sizes_ce))
error = gradient_check(lambda W: ce_backprop(W, X3_check, t3_check, sizes_ce, lam_check)[0],
                       lambda W: ce_backprop(W, X3_check, t3_check, sizes_ce, lam_check)[1], W_check)
print(f"relative error of ce_backprop's gradient: {error:.2e}  (below 1e-6 is right)")
""", role="run")
    c.code("ex3-train", r"""
rng = np.random.default_rng(SEED)
W0 = init_weights(LAYER_SIZES_3, rng)
result_3 = minimize(lambda W: ce_backprop(W, X3, t3, LAYER_SIZES_3, LAM_3),
                    W0, jac=True, method=METHOD, options=OPTIONS)
W_3 = result_3.x
print(f"exercise 3: loss {result_3.fun:.4f} after {result_3.nit} iterations, "
      f"training accuracy {np.mean(predict_multiclass(W_3, X3, LAYER_SIZES_3) == t3):.3f}")
plot_decision_regions(lambda P: predict_multiclass(W_3, P, LAYER_SIZES_3), X3, t3, f"3 classes, {LAYER_SIZES_3}")
""", role="run")
    c.question("3-q")

    # ------------------------------------------------------------------ self-check
    c.md("selfcheck-md", r"""
## Self-check

This cell runs the public tests on your functions and prints, for each one,
whether it passes and a hint if it does not. They are a subset of what the
grader checks: passing them is a good sign, not a guarantee. It needs the file
`week6_selfcheck.py` next to this notebook.
""")
    c.code("selfcheck", "from week6_selfcheck import run_selfcheck\nrun_selfcheck(globals())", role="selfcheck")
    return c.cells


def build_notebook():
    """The template as an nbformat v4 notebook (validated)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = build_cells()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(nb)
    return nb


def render(nb=None):
    """The notebook file's exact text."""
    return nbformat.writes(nb if nb is not None else build_notebook()) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else TEMPLATE_PATH
    out.write_text(render(), encoding="utf-8")
    print(out)


if __name__ == "__main__":
    main()
