"""ReLU: exercise bonus of the assignment."""
from .kit.handout import Ask, Code, Markdown, Question, Stub


# -- what is asked --------------------------------------------------------------------------
ID = "bonus"
TITLE = "ReLU"
POINTS = 5
FUNCTIONS = ("relu", "relu_grad")
BONUS = True

# -- hidden probes and graded tests ---------------------------------------------------------


# -- public self-check ----------------------------------------------------------------------


# -- handout and written work ---------------------------------------------------------------
QUESTIONS = (Question("bonus-q", ID, "How do you compute the gradient in this case?",
                      "the deep network of exercise 2 with relu hidden layers"),)
HANDOUT = [
    Markdown("bonus-md", r"""
### Bonus: the rectified linear unit (5 extra points)

$$\operatorname{relu}(a) = \max(a, 0), \qquad \operatorname{relu}'(a) = \begin{cases} 1 & a > 0 \\ 0 & a < 0 \end{cases}$$

Elementwise, for scalars and arrays of any shape, returning the same shape. At
$a = 0$ the derivative is not defined; either 0 or 1 is accepted. Exercise 2
lets you train its deep network with relu hidden layers
(`activation="relu"`).
"""),
    Stub("relu(a)", """
        Bonus: the rectified linear unit max(a, 0), elementwise.

        a: a scalar or an array of any shape
        Returns: the same shape as a
        """),
    Stub("relu_grad(a)", """
        Bonus: the derivative of relu, elementwise: 1 where a > 0, 0 where a < 0 (either at 0).

        a: a scalar or an array of any shape (the pre-activation)
        Returns: the same shape as a
        """),
    Code("bonus-check", r"""
a = np.array([-2.0, -0.5, 0.5, 2.0])
print("relu:     ", relu(a))        # expect [0, 0, 0.5, 2]
print("relu_grad:", relu_grad(a))   # expect [0, 0, 1, 1]
"""),
]
# The relu training run needs exercise 2's backprop: after exercise 2's part.
HANDOUT_AFTER = {"2": [
    Markdown("bonus-train-md", r"""
**Bonus, continued**: the same deep network with relu hidden layers. (`predict`
only knows sigmoid hidden layers, so this cell reports the loss; a loss near 0
means the training points are classified right.)
"""),
    Code("bonus-train", r"""
rng = np.random.default_rng(SEED)
W0 = init_weights(LAYER_SIZES_BONUS, rng)
result_bonus = minimize(lambda W: backprop(W, X, t, LAYER_SIZES_BONUS, LAM_BONUS, activation=ACTIVATION_BONUS),
                        W0, jac=True, method=METHOD, options=OPTIONS)
print(f"bonus ({ACTIVATION_BONUS}): loss {result_bonus.fun:.4f} after {result_bonus.nit} iterations")
"""),
    Ask("bonus-q"),
]}
