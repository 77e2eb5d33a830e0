"""Sigmoid and its derivative: exercise 1b of the assignment."""
from .kit.handout import Code, Markdown, Plot, Stub


# -- what is asked --------------------------------------------------------------------------
ID = "1b"
TITLE = "Sigmoid and its derivative"
POINTS = 10
FUNCTIONS = ("sigmoid", "sigmoid_grad")

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


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
