"""ReLU: the bonus exercise of the assignment."""
import numpy as np

import reference
from student_template.arraycheck import Verdict, describe

from .kit.gradient_cost import CostSpec
from .kit.handout import Ask, Code, Markdown, Question, Stub
from .kit.judges import TestSpec, all_of, call_problem, values_test, values_verdicts
from .kit.mistake import Mistake
from .kit.plan import Probe, add_loss_probes, call_id, random_lam, weights_clear_of_kink
from .kit.public import DEEP_SIZES, PublicCases, check, relu_clear_of_kink
from .kit.simulator import Pieces

# -- what is asked --------------------------------------------------------------------------
ID = "bonus"
TITLE = "ReLU"
POINTS = 5
FUNCTIONS = ("relu", "relu_grad")
BONUS = True

# -- hidden probes and graded tests ---------------------------------------------------------
NETWORK = [2, 4, 3, 1]
BACKPROP_RELU = call_id(ID, "backprop", "relu")


def add_probes(plan, rng, data, config):
    """relu and relu_grad on values and at the kink; backprop(..., activation="relu") on weights
    whose hidden pre-activations stay clear of the kink."""
    values = plan.add_array("relu_in", np.concatenate([rng.normal(0, 3, size=8), [-2.0, 3.5]]))
    kink = plan.add_array("relu_kink", np.array([0.0]))
    for func in FUNCTIONS:
        plan.add(Probe(call_id(ID, func, "values"), ID, "call", func, [values]))
    for func in FUNCTIONS:
        plan.add(Probe(call_id(ID, func, "kink"), ID, "call", func, [kink]))
    X = plan.resolve(data["Xs"])
    W = plan.add_array("Wbonus", weights_clear_of_kink(rng, NETWORK, X, "relu"))
    lam = random_lam(rng)
    add_loss_probes(plan, "backprop", ID, [("relu", W, data["Xs"], data["ts"], NETWORK, lam, {"activation": "relu"})],
                    outputs=2)


GRADIENT_COST = CostSpec(func="backprop", returns="pair", forward="predict", forward_args="predict", activation="relu",
                         sizes=([2, 3, 3, 1], [2, 12, 12, 1]), error_sizes=[2, 4, 3, 1])


def judge_relu_grad(ctx):
    verdict = all_of(values_verdicts(ctx, [call_id(ID, "relu_grad", "values")]), "")
    if not verdict.passed:
        return verdict
    problem = call_problem(ctx, call_id(ID, "relu_grad", "kink"))
    if problem:
        return problem
    at_zero = ctx.outcome(call_id(ID, "relu_grad", "kink")).values[0].reshape(-1)
    if at_zero.size != 1 or at_zero[0] not in (0.0, 1.0):
        return Verdict(False, "relu_grad(0) equal to 0 or 1", describe(at_zero))
    return Verdict(True, "relu_grad matches, and its value at the kink is 0 or 1.")


TESTS = [
    TestSpec("bonus.relu_values", "relu values", 1, values_test([call_id(ID, "relu", "values"), call_id(ID, "relu", "kink")])),
    TestSpec("bonus.relu_grad_values", "relu_grad values (either value at 0)", 1, judge_relu_grad,
             calls=[call_id(ID, "relu_grad", "values")], also_reads=[call_id(ID, "relu_grad", "kink")]),
    TestSpec("bonus.backprop_loss", "backprop(..., activation='relu'): loss", 1,
             values_test([BACKPROP_RELU], 0, scalar=True)),
    TestSpec("bonus.backprop_gradient", "backprop(..., activation='relu'): gradient", 2,
             values_test([BACKPROP_RELU], 1), requires_backprop=True),
]


# -- known mistakes (named by the diagnosis) -----------------------------------------------
def relu_grad_is_relu(a):
    return reference.relu(a)


def relu_grad_ones(a):
    return np.ones_like(np.asarray(a, dtype=float))


MISTAKES = [
    Mistake("relu_grad_wrong", "the ReLU derivative is wrong",
            "relu'(a) is a step: 1 where a > 0, 0 where a < 0. It depends only on the sign of a.",
            ("relu_grad", "backprop"),
            (Pieces(label="relu_grad returns relu(a)", functions={"relu_grad": relu_grad_is_relu}),
             Pieces(label="relu_grad is 1 everywhere", functions={"relu_grad": relu_grad_ones}))),
]


# -- public self-check ----------------------------------------------------------------------
RELU_VALUES = [[-3.0, -0.25, 0.0, 0.25, 3.0], [1.5, -1.5, 2.0, -0.001, 0.001]]


def public_cases(cases: PublicCases) -> None:
    """relu, relu_grad on (2, 5) values (the kink included), backprop with relu on the depth-4 batch."""
    for func in ("relu", "relu_grad"):
        cases.value(f"{func}-values", func, a=RELU_VALUES)
    batch = cases.shared("deep-batch")
    W = relu_clear_of_kink(cases.rng, DEEP_SIZES, batch["X"])
    cases.network("backprop-relu", "backprop", W, batch["X"], batch["t"], DEEP_SIZES, 0.1, "relu")


PUBLIC_CHECKS = [
    check("bonus-relu-values", "relu values", "values", ["relu-values"],
          hint="relu(a) = np.maximum(a, 0), elementwise."),
    check("bonus-relu_grad-values", "relu_grad values (either value at 0)", "relu_grad", ["relu_grad-values"]),
    check("bonus-backprop-relu", "backprop(..., activation='relu'): loss and gradient", "loss_and_grad",
          ["backprop-relu"],
          hint="With activation='relu' the hidden layers use relu and relu_grad; "
               "the output stays a sigmoid with the binary cross-entropy.",
          passed="backprop with relu hidden layers matches."),
]


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
