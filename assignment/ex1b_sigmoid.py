"""Sigmoid and its derivative: exercise 1b of the assignment."""
import numpy as np

import reference

from .kit.handout import Code, Markdown, Plot, Stub
from .kit.judges import TestSpec, no_warnings_test, values_test
from .kit.mistake import Mistake
from .kit.plan import Probe, call_id, call_ids, value
from .kit.public import PublicCases, check
from .kit.simulator import GRADIENT_FUNCTIONS, Pieces

# -- what is asked --------------------------------------------------------------------------
ID = "1b"
TITLE = "Sigmoid and its derivative"
POINTS = 10
FUNCTIONS = ("sigmoid", "sigmoid_grad")

# -- hidden probes and graded tests ---------------------------------------------------------
STABILITY_INPUTS = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])


def add_probes(plan, rng, data, config):
    """Each function on a vector, a matrix, a scalar and the extremes where a naive exp overflows."""
    vector = plan.add_array("a_vec", rng.normal(0, 3, size=9))
    matrix = plan.add_array("a_mat", rng.normal(0, 3, size=(4, 3)))
    extreme = plan.add_array("a_extreme", STABILITY_INPUTS)
    scalar = float(np.round(rng.normal(0, 2), 6))
    for func in FUNCTIONS:
        plan.add(Probe(call_id(ID, func, "vector"), ID, "call", func, [vector]))
        plan.add(Probe(call_id(ID, func, "matrix"), ID, "call", func, [matrix]))
        plan.add(Probe(call_id(ID, func, "scalar"), ID, "call", func, [value(scalar)]))
        plan.add(Probe(call_id(ID, func, "extreme"), ID, "call", func, [extreme]))


TESTS = [
    TestSpec("1b.sigmoid_values", "sigmoid values (vectors and matrices)", 3,
             values_test(call_ids(ID, "sigmoid", ["vector", "matrix"]))),
    TestSpec("1b.sigmoid_grad_values", "sigmoid_grad values: sigma(a) * (1 - sigma(a))", 3,
             values_test(call_ids(ID, "sigmoid_grad", ["vector", "matrix"]))),
    TestSpec("1b.scalars", "sigmoid and sigmoid_grad accept a scalar", 1,
             values_test([call_id(ID, "sigmoid", "scalar"), call_id(ID, "sigmoid_grad", "scalar")])),
    TestSpec("1b.sigmoid_stable", "sigmoid is stable for |a| up to 1000 (no warning, no NaN)", 2,
             no_warnings_test([call_id(ID, "sigmoid", "extreme")], "sigmoid is exact and silent for |a| up to 1000.")),
    TestSpec("1b.sigmoid_grad_stable", "sigmoid_grad is stable for |a| up to 1000", 1,
             no_warnings_test([call_id(ID, "sigmoid_grad", "extreme")],
                              "sigmoid_grad is exact and silent for |a| up to 1000.")),
]


# -- known mistakes (named by the diagnosis) -----------------------------------------------
def sigmoid_grad_mixed(a):
    """sigma(a) * (1 - a): sigma taken once, the pre-activation used for the second factor."""
    return reference.sigmoid(a) * (1.0 - np.asarray(a, dtype=float))


def sigmoid_grad_twice(a):
    """sigma'(sigma(a)): the derivative formula applied to an already activated value."""
    s = reference.sigmoid(reference.sigmoid(a))
    return s * (1.0 - s)


def sigmoid_grad_of_activation(a):
    """a * (1 - a): the formula z (1 - z), which needs z = sigma(a), given a itself."""
    a = np.asarray(a, dtype=float)
    return a * (1.0 - a)


def sigmoid_grad_plus(a):
    """sigma(a) * (1 + sigma(a)): the minus of the second factor written as a plus."""
    s = reference.sigmoid(a)
    return s * (1.0 + s)


def sigmoid_grad_negated(a):
    """sigma(a) * (sigma(a) - 1): the factors of 1 - sigma(a) swapped, so the sign flips."""
    s = reference.sigmoid(a)
    return s * (s - 1.0)


def sigmoid_grad_tanh_form(a):
    """(1 - sigma(a)) * (1 + sigma(a)) = 1 - sigma(a)**2: tanh's derivative 1 - tanh**2 carried over."""
    s = reference.sigmoid(a)
    return (1.0 - s) * (1.0 + s)


def sigmoid_naive(a):
    return 1.0 / (1.0 + np.exp(-np.asarray(a, dtype=float)))


def sigmoid_naive_ratio(a):
    e = np.exp(np.asarray(a, dtype=float))
    return e / (1.0 + e)


def _grad_of(sigmoid):
    def grad(a):
        s = sigmoid(a)
        return s * (1.0 - s)
    return grad


MISTAKES = [
    Mistake("sigmoid_grad_mixed", "sigma'(a) computed as sigma(a) * (1 - a)",
            "sigma'(a) = sigma(a) * (1 - sigma(a)): both factors use sigma(a), not the pre-activation a.",
            ("sigmoid_grad",) + GRADIENT_FUNCTIONS, (Pieces(functions={"sigmoid_grad": sigmoid_grad_mixed}),)),
    Mistake("sigmoid_grad_twice", "sigma applied twice in sigma'",
            "sigma' must be evaluated at the pre-activation a (A_l in the backward pass). Here it "
            "looks like it gets sigma(a): either sigmoid_grad applies sigma to an input that is already "
            "an activation, or the backward pass passes Z_l instead of A_l.",
            ("sigmoid_grad",) + GRADIENT_FUNCTIONS, (Pieces(functions={"sigmoid_grad": sigmoid_grad_twice}),)),
    Mistake("sigmoid_grad_of_activation", "sigma'(a) computed as a * (1 - a)",
            "z * (1 - z) is sigma' only when z = sigma(a). sigmoid_grad receives the pre-activation a: "
            "apply sigma first. In the backward pass, use A_l with sigmoid_grad, or Z_l with z * (1 - z).",
            ("sigmoid_grad",) + GRADIENT_FUNCTIONS,
            (Pieces(functions={"sigmoid_grad": sigmoid_grad_of_activation}),)),
    Mistake("sigmoid_grad_sign", "a sign slip in sigma'",
            "sigma'(a) = sigma(a) * (1 - sigma(a)): both factors are positive, so sigma' lies between 0 and "
            "1/4, with its top at a = 0. Check each sign in the formula against that (tanh's derivative, "
            "1 - tanh**2, has another form).",
            ("sigmoid_grad",) + GRADIENT_FUNCTIONS,
            (Pieces(label="sigma(a) * (1 + sigma(a))", functions={"sigmoid_grad": sigmoid_grad_plus}),
             Pieces(label="sigma(a) * (sigma(a) - 1), the opposite sign",
                    functions={"sigmoid_grad": sigmoid_grad_negated}),
             Pieces(label="(1 - sigma(a)) * (1 + sigma(a)), tanh's form",
                    functions={"sigmoid_grad": sigmoid_grad_tanh_form}))),
    Mistake("sigmoid_overflow", "exp overflows in sigmoid",
            "For a << 0, exp(-a) overflows to inf (with a RuntimeWarning), and exp(a) / (1 + exp(a)) gives "
            "inf / inf for a >> 0. Use a form in which exp only sees non-positive numbers, or np.logaddexp.",
            ("sigmoid", "sigmoid_grad"),
            (Pieces(label="1 / (1 + exp(-a))",
                    functions={"sigmoid": sigmoid_naive, "sigmoid_grad": _grad_of(sigmoid_naive)}),
             Pieces(label="exp(a) / (1 + exp(a))",
                    functions={"sigmoid": sigmoid_naive_ratio, "sigmoid_grad": _grad_of(sigmoid_naive_ratio)})),
            warning="overflow"),
]


# -- public self-check ----------------------------------------------------------------------
SIGMOID_EXTREME = [-1000.0, -800.0, -60.0, -0.5, 0.0, 0.5, 60.0, 800.0, 1000.0]
OVERFLOW_HINT = ("exp(-a) overflows for a << 0: rewrite the formula so that exp only sees non-positive numbers "
                 "(np.where on the sign of a), or use np.logaddexp.")


def public_cases(cases: PublicCases) -> None:
    """sigmoid and sigmoid_grad of a vector (7,), a matrix (3, 4), a scalar and extreme values (9,)."""
    inputs = {"vector": cases.rng.normal(0, 4, size=7).round(6), "matrix": cases.rng.normal(0, 4, size=(3, 4)).round(6),
              "scalar": -1.25, "extreme": np.array(SIGMOID_EXTREME)}
    for func in ("sigmoid", "sigmoid_grad"):
        for name, a in inputs.items():
            cases.value(f"{func}-{name}", func, a=a)


PUBLIC_CHECKS = [
    check("1b-sigmoid-values", "sigmoid values (vector and matrix)", "values", ["sigmoid-vector", "sigmoid-matrix"],
          hint="sigma(a) = 1 / (1 + exp(-a)), elementwise, same shape as a."),
    check("1b-sigmoid_grad-values", "sigmoid_grad values: sigma(a) * (1 - sigma(a))", "values",
          ["sigmoid_grad-vector", "sigmoid_grad-matrix"],
          hint="sigma'(a) = sigma(a) * (1 - sigma(a)), taken at the pre-activation a (not at sigma(a))."),
    check("1b-scalar", "sigmoid and sigmoid_grad accept a scalar", "scalar", ["sigmoid-scalar", "sigmoid_grad-scalar"],
          hint="Use numpy functions (np.exp, np.logaddexp, np.where) that work on scalars too; avoid len(a) and a[...].",
          passed="sigmoid and sigmoid_grad accept a scalar."),
    check("1b-sigmoid-stable", "sigmoid is stable for |a| up to 1000 (no warning, no NaN)", "stable",
          ["sigmoid-extreme"], hint=OVERFLOW_HINT),
    check("1b-sigmoid_grad-stable", "sigmoid_grad is stable for |a| up to 1000", "stable", ["sigmoid_grad-extreme"],
          hint=OVERFLOW_HINT),
]


# -- handout and written work ---------------------------------------------------------------
PLOTS = (Plot("1b", ID, "Check of the sigmoid's derivative", r"^#+\s*1b\b"),)
HANDOUT = [
    Markdown("ex1b-md", r"""
### 1b. The sigmoid and its derivative (10 points)

$$\sigma(a) = \frac{1}{1 + e^{-a}}, \qquad \sigma'(a) = \sigma(a)\,\bigl(1 - \sigma(a)\bigr).$$

Both functions work elementwise: they take a scalar or an array of any shape and
return the same shape. They must stay finite, with no overflow warning, for large
$|a|$ (try `a = -1000`): `np.exp(-a)` overflows there. Rewrite the formula so
that `exp` only sees arguments $\le 0$, or use `np.logaddexp`.
"""),
    Stub("sigmoid(a)", """
        Exercise 1b: the logistic sigmoid 1 / (1 + exp(-a)), elementwise.

        a: a scalar or an array of any shape
        Returns: the same shape as a (a scalar for a scalar), values in [0, 1];
            no overflow warning and no NaN for large |a|.
        """),
    Stub("sigmoid_grad(a)", """
        Exercise 1b: the derivative of the sigmoid, sigma(a) * (1 - sigma(a)), elementwise.

        a: a scalar or an array of any shape (the pre-activation, not sigma(a))
        Returns: the same shape as a; no overflow warning and no NaN for large |a|.
        """),
    Code("ex1b-check", r"""
a = np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0])
with np.errstate(over="raise", invalid="raise", divide="raise"):  # turns warnings into errors
    print("sigmoid:     ", sigmoid(a))        # expect [0, 0.0067, 0.5, 0.9933, 1]
    print("sigmoid_grad:", sigmoid_grad(a))   # expect [0, 0.0066, 0.25, 0.0066, 0]
    print("scalar:      ", sigmoid(0.0), sigmoid_grad(0.0))
"""),
    Code("ex1b-plot", r"""
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
""", plot="1b"),
]
