"""Loading the data: exercise 1a of the assignment."""
from .kit.handout import Code, Markdown, Plot, Stub
from .kit.judges import TestSpec, judge_load_shapes, judge_load_values
from .kit.plan import Probe
from .kit.public import PublicCases, check

# -- what is asked --------------------------------------------------------------------------
ID = "1a"
TITLE = "Loading the data"
POINTS = 5
FUNCTIONS = ("load_data",)

# -- hidden probes and graded tests ---------------------------------------------------------
LOAD_PROBE = "1a-load"


def add_probes(plan, rng, data, config):
    plan.add(Probe(LOAD_PROBE, ID, "call", "load_data", [], outputs=2))


TESTS = [
    TestSpec("1a.shapes", "load_data returns X (N, 2) and t (N,)", 2, judge_load_shapes(LOAD_PROBE)),
    TestSpec("1a.values", "load_data: class 1 rows first, labels 0 and 1", 3, judge_load_values(LOAD_PROBE, "{0, 1}")),
]


# -- public self-check ----------------------------------------------------------------------
def public_cases(cases: PublicCases) -> None:
    """The data set's shapes, a few rows and its label counts."""
    cases.data("load_data", "load_data", ["pointsClass1Week6", "pointsClass2Week6"], [0, 1, 2])


PUBLIC_CHECKS = [
    check("1a-load_data-shapes", "load_data returns X (N, 2) and t (N,)", "data", ["load_data"],
          labels="{0, 1}", shapes_only=True),
    check("1a-load_data-order", "load_data: class 1 rows first, labels 0 then 1", "data", ["load_data"],
          labels="{0, 1}", shapes_only=False),
]


# -- handout and written work ---------------------------------------------------------------
PLOTS = (Plot("1a", ID, "Scatter plot of the binary data set", r"^#+\s*1a\b", thumbnail=True),)
HANDOUT = [
    Markdown("ex1a-md", r"""
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
"""),
    Stub("load_data()", """
        Exercise 1a: the binary data set.

        Reads pointsClass1Week6.mat and pointsClass2Week6.mat from the current directory.
        Returns (X, t):
            X: (N, 2) float array, the N1 rows of class 1 first, then the N2 rows of class 2
            t: (N,) int array, 0 for class 1 and 1 for class 2
        """),
    Code("ex1a-plot", r"""
X, t = load_data()
print("X:", X.shape, X.dtype, " t:", t.shape, t.dtype, " points per label:", np.bincount(t))

plt.figure(figsize=(5, 5))
plt.scatter(X[t == 0, 0], X[t == 0, 1], s=10, label="class 1 (t = 0)")
plt.scatter(X[t == 1, 0], X[t == 1, 1], s=10, label="class 2 (t = 1)")
plt.axis("equal")
plt.legend()
plt.title("The binary data set")
plt.show()
""", plot="1a"),
    Markdown("ex1a-after", r"""
No straight line separates the two classes, so logistic regression (a network
without a hidden layer) cannot classify them. A hidden layer can.
"""),
]
