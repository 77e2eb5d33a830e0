"""A catalog of common mistakes, each simulated by a variant of the reference.

Every :class:`Mistake` says which of the contract's functions it changes and
how to compute what a submission with that mistake (and nothing else wrong)
returns for a probe: :meth:`Mistake.simulate` takes the same arguments the
reference gets (``plan.call_args(probe)``). The diagnose stage
(:mod:`grader.stages.diagnose`) compares a failed test's outputs with these
simulations; a match names the mistake.

The variants are built here, in the grader, from a small generic network
(:func:`loss_and_grad`) whose pieces -- parameter layout, hidden derivative,
output loss, regularization, sign -- can each be swapped for a wrong one
(:class:`Pieces`). The reference package is only called, never changed, and
none of this is part of its public API.

To add a mistake: write the wrong piece (a function with the signature of the
piece it replaces), add a :class:`Mistake` to :data:`MISTAKES` with the
contract functions it affects, and add a fixture for it in
``tests/grader/mistake_fixtures.py``.
"""
from dataclasses import dataclass, field, replace

import numpy as np

from reference import activations as ref_act
from reference import data as ref_data
from reference import losses as ref_losses
from reference.losses import binary_cross_entropy, cross_entropy
from reference.params import n_params, pack, unpack

# Contract function -> index of its gradient output (for the per-block comparison).
GRADIENT_OUTPUT = {"bce_grad": 0, "backprop": 1, "ce_backprop": 1}
LOSS_FUNCTIONS = ("bce_loss", "bce_grad", "backprop", "ce_backprop")
GRADIENT_FUNCTIONS = ("bce_grad", "backprop", "ce_backprop")
# functions of the contract written from the same formulas: a mistake in one usually shows in the other
PARTNERS = {"bce_loss": ("bce_grad",), "bce_grad": ("bce_loss",)}


# --------------------------------------------------------------- parameter layouts

def unpack_column_major(W, layer_sizes):
    """Like :func:`reference.params.unpack`, each W_l read in column-major (Fortran) order.

    Numerically the same as storing W_l transposed, as (n[l-1], n[l]) row-major."""
    W = np.asarray(W)
    if W.shape != (n_params(layer_sizes),):
        raise ValueError(f"W has shape {W.shape}")
    layers, start = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        weights = W[start:start + n_out * n_in].reshape(n_out, n_in, order="F")
        start += n_out * n_in
        layers.append((weights, W[start:start + n_out]))
        start += n_out
    return layers


def pack_column_major(layers):
    return np.concatenate([part for W_l, b_l in layers for part in (np.ravel(W_l, order="F"), np.ravel(b_l))])


# ------------------------------------------------------------------ regularizations
# (layers [(W_l, b_l)], lam, n_samples) -> (penalty, [(dR/dW_l, dR/db_l)])

def reg_reference(layers, lam, n):
    return (lam * sum(float(np.sum(W_l ** 2)) for W_l, _ in layers),
            [(2.0 * lam * W_l, np.zeros_like(b_l)) for W_l, b_l in layers])


def reg_with_biases(layers, lam, n):
    return (lam * sum(float(np.sum(W_l ** 2) + np.sum(b_l ** 2)) for W_l, b_l in layers),
            [(2.0 * lam * W_l, 2.0 * lam * b_l) for W_l, b_l in layers])


def reg_half(layers, lam, n):
    """lam/2 * sum(W**2) and its gradient lam * W."""
    return (0.5 * lam * sum(float(np.sum(W_l ** 2)) for W_l, _ in layers),
            [(lam * W_l, np.zeros_like(b_l)) for W_l, b_l in layers])


def reg_grad_without_2(layers, lam, n):
    """The right penalty, the gradient lam * W (the factor 2 of d/dW W**2 forgotten)."""
    return (reg_reference(layers, lam, n)[0], [(lam * W_l, np.zeros_like(b_l)) for W_l, b_l in layers])


def reg_over_n(layers, lam, n):
    """lam/N * sum(W**2): the regularization averaged over the batch with the data term."""
    penalty, grads = reg_reference(layers, lam / n, n)
    return penalty, grads


# ----------------------------------------------------------------- output losses
# (A_L (N, K) logits, t (N,) labels) -> (data loss, dLoss/dA_L (N, K))

def bce_sum(A_L, t):
    loss, delta = binary_cross_entropy(A_L, t)
    n = A_L.shape[0]
    return loss * n, delta * n


def bce_naive_log(A_L, t):
    """log(p) and log(1 - p) of the probabilities: -inf once p rounds to 0 or 1."""
    t = np.asarray(t, dtype=float)
    p = ref_act.sigmoid(A_L[:, 0])
    loss = -np.mean(t * np.log(p) + (1.0 - t) * np.log(1.0 - p))
    return float(loss), binary_cross_entropy(A_L, t)[1]


def bce_delta_sigma_prime(A_L, t):
    """delta_L = (p - t) * p * (1 - p) / N: the output delta of a squared error."""
    loss, delta = binary_cross_entropy(A_L, t)
    p = ref_act.sigmoid(A_L)
    return loss, delta * p * (1.0 - p)


def bce_delta_sign(A_L, t):
    loss, delta = binary_cross_entropy(A_L, t)
    return loss, -delta


def _onehot(t, k):
    t = np.asarray(t).astype(int)
    T = np.zeros((t.shape[0], k))
    T[np.arange(t.shape[0]), t] = 1.0
    return T


def ce_sum(A_L, t):
    loss, delta = cross_entropy(A_L, t)
    n = A_L.shape[0]
    return loss * n, delta * n


def ce_naive_log(A_L, t):
    Y = ref_act.softmax(A_L)
    return float(-np.mean(np.log(Y[np.arange(A_L.shape[0]), np.asarray(t).astype(int)]))), cross_entropy(A_L, t)[1]


def ce_delta_sigma_prime(A_L, t):
    loss, delta = cross_entropy(A_L, t)
    Y = ref_act.softmax(A_L)
    return loss, delta * Y * (1.0 - Y)


def ce_delta_sign(A_L, t):
    loss, delta = cross_entropy(A_L, t)
    return loss, -delta


def ce_labels_from_one(A_L, t):
    """Labels read as 1..K: label k picks column k - 1, so label 0 picks the last column."""
    k = A_L.shape[1]
    return cross_entropy(A_L, (np.asarray(t).astype(int) - 1) % k)


# ------------------------------------------------------------------- activations

def sigmoid_grad_mixed(a):
    """sigma(a) * (1 - a): sigma taken once, the pre-activation used for the second factor."""
    return ref_act.sigmoid(a) * (1.0 - np.asarray(a, dtype=float))


def sigmoid_grad_twice(a):
    """sigma'(sigma(a)): the derivative formula applied to an already activated value."""
    s = ref_act.sigmoid(ref_act.sigmoid(a))
    return s * (1.0 - s)


def sigmoid_grad_of_activation(a):
    """a * (1 - a): the formula z (1 - z), which needs z = sigma(a), given a itself."""
    a = np.asarray(a, dtype=float)
    return a * (1.0 - a)


def sigmoid_grad_plus(a):
    """sigma(a) * (1 + sigma(a)): the minus of the second factor written as a plus."""
    s = ref_act.sigmoid(a)
    return s * (1.0 + s)


def sigmoid_grad_negated(a):
    """sigma(a) * (sigma(a) - 1): the factors of 1 - sigma(a) swapped, so the sign flips."""
    s = ref_act.sigmoid(a)
    return s * (s - 1.0)


def sigmoid_grad_tanh_form(a):
    """(1 - sigma(a)) * (1 + sigma(a)) = 1 - sigma(a)**2: tanh's derivative 1 - tanh**2 carried over."""
    s = ref_act.sigmoid(a)
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


def relu_grad_is_relu(a):
    return ref_act.relu(a)


def relu_grad_ones(a):
    return np.ones_like(np.asarray(a, dtype=float))


def no_derivative(a):
    return np.ones_like(np.asarray(a, dtype=float))


def softmax_without_shift(A):
    E = np.exp(np.asarray(A, dtype=float))
    return E / E.sum(axis=1, keepdims=True)


# ------------------------------------------------------------- the generic network

@dataclass(frozen=True)
class Pieces:
    """The replaceable parts of a network; the defaults make the reference.

    label: how this form of a mistake is written, for the student (e.g. "sigma(a) * (1 - a)").
    label_offset: added to the labels load_data / load_data_multiclass return.
    """
    label: str = ""
    unpack: callable = unpack
    pack: callable = pack
    sigmoid: callable = ref_act.sigmoid
    sigmoid_grad: callable = ref_act.sigmoid_grad
    relu_grad: callable = ref_act.relu_grad
    hidden_grad: callable = None          # replaces g' of every hidden activation when set
    softmax: callable = ref_act.softmax
    regularization: callable = reg_reference
    bce: callable = binary_cross_entropy
    ce: callable = cross_entropy
    grad_sign: float = 1.0
    label_offset: int = 0

    def activation(self, name):
        """(g, g') of the hidden activation ``name`` (registered in reference.activations; an unknown
        name is an error): these pieces' own forms where they have them (fields named as the contract
        names them, ``<name>`` and ``<name>_grad``), else the reference's."""
        registered = ref_act.get_activation(name)
        g = getattr(self, name, registered.function)
        g_prime = getattr(self, f"{name}_grad", registered.derivative)
        return g, self.hidden_grad or g_prime

    def loss(self, name):
        """The output loss ``name`` ("bce" or "ce", as reference.losses registers them), these pieces' form."""
        ref_losses.get_loss(name)
        return getattr(self, name)


REFERENCE = Pieces()


def forward(pieces, W, X, layer_sizes, activation="sigmoid"):
    """(A, Z) as in :func:`reference.network.forward`, with ``pieces``' layout and activation."""
    g, _ = pieces.activation(activation)
    layers = pieces.unpack(np.asarray(W, dtype=float), layer_sizes)
    Z, A = [np.asarray(X, dtype=float)], []
    for l, (W_l, b_l) in enumerate(layers, start=1):
        A.append(Z[-1] @ W_l.T + b_l)
        Z.append(A[-1] if l == len(layers) else g(A[-1]))
    return layers, A, Z


def loss_and_grad(pieces, W, X, t, layer_sizes, lam, activation="sigmoid", loss="bce"):
    """(loss: float, grad (P,)) of the network built from ``pieces`` (any depth)."""
    _, g_prime = pieces.activation(activation)
    layers, A, Z = forward(pieces, W, X, layer_sizes, activation)
    data_loss, delta = pieces.loss(loss)(A[-1], t)
    penalty, reg_grads = pieces.regularization(layers, float(lam), Z[0].shape[0])
    grads = [None] * len(layers)
    for l in range(len(layers), 0, -1):
        R_W, R_b = reg_grads[l - 1]
        grads[l - 1] = (delta.T @ Z[l - 1] + R_W, delta.sum(axis=0) + R_b)
        if l > 1:
            delta = (delta @ layers[l - 1][0]) * g_prime(A[l - 2])
    return float(data_loss + penalty), pieces.grad_sign * pieces.pack(grads)


def simulate(pieces, func, args, kwargs):
    """What ``func`` (a contract name) returns when built from ``pieces``: a list of float arrays,
    one per output, or None when this module does not model ``func``."""
    with np.errstate(all="ignore"):
        if func in LOSS_FUNCTIONS:
            W, X, t, sizes, lam = args[:5]
            activation = kwargs.get("activation", args[5] if len(args) > 5 else "sigmoid")
            loss, grad = loss_and_grad(pieces, W, X, t, list(sizes), lam, activation,
                                       "ce" if func == "ce_backprop" else "bce")
            outputs = {"bce_loss": [loss], "bce_grad": [grad]}.get(func, [loss, grad])
        elif func in ("predict", "predict_multiclass"):
            W, X, sizes = args[:3]
            _, A, _ = forward(pieces, W, X, list(sizes))
            outputs = [(ref_act.sigmoid(A[-1][:, 0]) >= 0.5).astype(int) if func == "predict"
                       else np.argmax(pieces.softmax(A[-1]), axis=1)]
        elif func in ("sigmoid", "sigmoid_grad", "relu_grad", "softmax"):
            outputs = [getattr(pieces, func)(args[0])]
        elif func in ("load_data", "load_data_multiclass"):
            X, t = getattr(ref_data, func)()
            outputs = [X, t + pieces.label_offset]
        else:
            return None
        return [np.asarray(value, dtype=float) for value in outputs]


def central_differences(pieces, func, args, kwargs, directions, step, w_index=0):
    """(L(W + h d) - L(W - h d)) / 2h of the loss output of ``func`` along each row d, as the probe driver computes them."""
    args = list(args)
    W = np.array(args[w_index], dtype=float)
    slopes = []
    for direction in np.asarray(directions, dtype=float):
        values = []
        for sign in (1.0, -1.0):
            args[w_index] = W + sign * step * direction
            values.append(float(simulate(pieces, func, args, kwargs)[0].reshape(-1)[0]))
        slopes.append((values[0] - values[1]) / (2 * step))
    return np.array(slopes)


# ------------------------------------------------------------------ the catalog

@dataclass(frozen=True)
class Mistake:
    """One common mistake.

    id: a stable identifier (tag ``mistake:<id>`` in results.json).
    name: a few words the student reads ("This looks like: <name>.").
    hint: how to find and fix it, without giving code.
    functions: the contract functions whose outputs it changes; the others are
        assumed right (the reference's outputs).
    forms: the ways it is commonly written, one :class:`Pieces` each; a test
        matches when one form explains all of its outputs.
    warning: for mistakes seen in warnings rather than values (e.g. "overflow"):
        the probe must have emitted a warning containing this text.
    """
    id: str
    name: str
    hint: str
    functions: tuple
    forms: tuple = field(default_factory=lambda: (Pieces(),))
    warning: str = ""

    def simulate(self, form, func, args, kwargs):
        """The outputs of ``func`` for a submission with this mistake (form index ``form``)."""
        pieces = self.forms[form] if func in self.functions else REFERENCE
        return simulate(pieces, func, args, kwargs)


MISTAKES = [
    Mistake("biases_regularized", "the biases are regularized",
            "R(W) sums the squares of the weight-matrix entries only. Leave every b_l out of the "
            "penalty, and so out of its gradient: a bias's gradient is the data term alone.",
            LOSS_FUNCTIONS, (Pieces(regularization=reg_with_biases),)),
    Mistake("half_lambda", "lam/2 instead of lam in the regularization",
            "Some textbooks write (lam/2) * sum(W**2) so that its derivative is lam * W. This lab's "
            "R(W) is lam * sum(W**2), with no 1/2: its derivative is 2 * lam * W_l.",
            LOSS_FUNCTIONS, (Pieces(regularization=reg_half),)),
    Mistake("reg_grad_without_2", "the regularization gradient is lam * W instead of 2 * lam * W",
            "Differentiate lam * w**2 with respect to w once more: the exponent comes down as a factor. "
            "The loss may be right while this term of the gradient is half what it should be.",
            GRADIENT_FUNCTIONS, (Pieces(regularization=reg_grad_without_2),)),
    Mistake("reg_divided_by_n", "the regularization is divided by N",
            "Only the data term is a mean over the N samples. R(W) = lam * sum(W**2) is added once, "
            "with no 1/N, in the loss and in the gradient.",
            LOSS_FUNCTIONS, (Pieces(regularization=reg_over_n),)),
    Mistake("missing_mean", "the 1/N of the mean is missing (a sum over the samples)",
            "The data term of the loss is the mean over the N samples, and so is its gradient: both "
            "carry a factor 1/N (the regularization does not). Check the loss and the output delta.",
            LOSS_FUNCTIONS, (Pieces(bce=bce_sum, ce=ce_sum),)),
    Mistake("sigmoid_grad_mixed", "sigma'(a) computed as sigma(a) * (1 - a)",
            "sigma'(a) = sigma(a) * (1 - sigma(a)): both factors use sigma(a), not the pre-activation a.",
            ("sigmoid_grad",) + GRADIENT_FUNCTIONS, (Pieces(sigmoid_grad=sigmoid_grad_mixed),)),
    Mistake("sigmoid_grad_twice", "sigma applied twice in sigma'",
            "sigma' must be evaluated at the pre-activation a (A_l in the backward pass). Here it "
            "looks like it gets sigma(a): either sigmoid_grad applies sigma to an input that is already "
            "an activation, or the backward pass passes Z_l instead of A_l.",
            ("sigmoid_grad",) + GRADIENT_FUNCTIONS, (Pieces(sigmoid_grad=sigmoid_grad_twice),)),
    Mistake("sigmoid_grad_of_activation", "sigma'(a) computed as a * (1 - a)",
            "z * (1 - z) is sigma' only when z = sigma(a). sigmoid_grad receives the pre-activation a: "
            "apply sigma first. In the backward pass, use A_l with sigmoid_grad, or Z_l with z * (1 - z).",
            ("sigmoid_grad",) + GRADIENT_FUNCTIONS, (Pieces(sigmoid_grad=sigmoid_grad_of_activation),)),
    Mistake("sigmoid_grad_sign", "a sign slip in sigma'",
            "sigma'(a) = sigma(a) * (1 - sigma(a)): both factors are positive, so sigma' lies between 0 and "
            "1/4, with its top at a = 0. Check each sign in the formula against that (tanh's derivative, "
            "1 - tanh**2, has another form).",
            ("sigmoid_grad",) + GRADIENT_FUNCTIONS,
            (Pieces(label="sigma(a) * (1 + sigma(a))", sigmoid_grad=sigmoid_grad_plus),
             Pieces(label="sigma(a) * (sigma(a) - 1), the opposite sign", sigmoid_grad=sigmoid_grad_negated),
             Pieces(label="(1 - sigma(a)) * (1 + sigma(a)), tanh's form", sigmoid_grad=sigmoid_grad_tanh_form))),
    Mistake("missing_sigma_prime", "the activation's derivative (sigma') is missing in the backward pass",
            "Going back one layer, delta_j = g'(a_j) * sum_k w_kj delta_k: after multiplying by the "
            "weights, multiply elementwise by the activation's derivative at that layer's pre-activation.",
            GRADIENT_FUNCTIONS, (Pieces(hidden_grad=no_derivative),)),
    Mistake("weights_layout", "W_l laid out in the wrong order (column-major, or stored as (n[l-1], n[l]))",
            "Each W_l has shape (n[l], n[l-1]), one row per unit of layer l, flattened row by row (C order); "
            "the layer's inputs multiply it as Z_{l-1} @ W_l.T. Use unpack from the template to read W "
            "and lay out your gradient the same way.",
            LOSS_FUNCTIONS + ("predict", "predict_multiclass"),
            (Pieces(unpack=unpack_column_major, pack=pack_column_major),)),
    Mistake("gradient_sign", "the gradient has the wrong sign",
            "minimize needs the gradient of the loss itself (the direction of steepest ascent). Check the "
            "output delta: it is y - t (prediction minus target), and the regularization term is added.",
            GRADIENT_FUNCTIONS, (Pieces(label="the whole gradient negated", grad_sign=-1.0),
                                 Pieces(label="the output delta t - y", bce=bce_delta_sign, ce=ce_delta_sign))),
    Mistake("naive_log_loss", "log of a probability that rounds to 0 (the loss overflows to inf/NaN)",
            "When the outputs saturate, p rounds to exactly 0 or 1 and log(p) or log(1 - p) is -inf. "
            "Compute the logarithm from the pre-activation instead: log(sigma(a)) = -log(1 + exp(-a)), "
            "which np.logaddexp evaluates without overflow (log-softmax likewise).",
            LOSS_FUNCTIONS, (Pieces(bce=bce_naive_log, ce=ce_naive_log),)),
    Mistake("softmax_without_shift", "softmax without the max shift (exp overflows)",
            "exp(1000) is inf, and inf / inf is NaN. Subtracting each row's maximum before exp does not "
            "change the softmax and keeps every exponent <= 0.",
            ("softmax",), (Pieces(softmax=softmax_without_shift),)),
    Mistake("relu_grad_wrong", "the ReLU derivative is wrong",
            "relu'(a) is a step: 1 where a > 0, 0 where a < 0. It depends only on the sign of a.",
            ("relu_grad", "backprop"), (Pieces(label="relu_grad returns relu(a)", relu_grad=relu_grad_is_relu),
                                        Pieces(label="relu_grad is 1 everywhere", relu_grad=relu_grad_ones))),
    Mistake("output_delta_sigma_prime", "the output delta goes through sigma' (a squared-error habit)",
            "With cross-entropy on a sigmoid (or softmax) output the derivatives cancel: dE/da_L = (y - t) / N "
            "exactly. The extra factor y * (1 - y) belongs to a squared-error loss.",
            GRADIENT_FUNCTIONS, (Pieces(bce=bce_delta_sigma_prime, ce=ce_delta_sigma_prime),)),
    Mistake("labels_off_by_one", "class labels counted from 1 instead of 0",
            "Class k's file gives label k - 1: labels run 0, 1, ..., K-1, and label k picks column k of "
            "the outputs.",
            ("load_data", "load_data_multiclass", "ce_backprop"), (Pieces(label_offset=1, ce=ce_labels_from_one),)),
    Mistake("sigmoid_overflow", "exp overflows in sigmoid", 
            "For a << 0, exp(-a) overflows to inf (with a RuntimeWarning), and exp(a) / (1 + exp(a)) gives "
            "inf / inf for a >> 0. Use a form in which exp only sees non-positive numbers, or np.logaddexp.",
            ("sigmoid", "sigmoid_grad"),
            (Pieces(label="1 / (1 + exp(-a))", sigmoid=sigmoid_naive, sigmoid_grad=_grad_of(sigmoid_naive)),
             Pieces(label="exp(a) / (1 + exp(a))", sigmoid=sigmoid_naive_ratio,
                    sigmoid_grad=_grad_of(sigmoid_naive_ratio))),
            warning="overflow"),
]

CATALOG = {mistake.id: mistake for mistake in MISTAKES}
assert len(CATALOG) == len(MISTAKES), "mistake ids must be unique"

# Not simulated (no variant of the reference rounds the way a float32 notebook does, operation by
# operation): the diagnose stage recognizes it from the numbers themselves, float32 values that agree
# with the reference only to single precision (grader/stages/diagnose.py, Diagnoser.single_precision).
SINGLE_PRECISION = Mistake(
    "float32", "dtype float32 found: the values are computed in single precision",
    "Single precision (float32) keeps about 7 digits, fewer after the sums over the samples, and the tests "
    "compare your values to the reference's to 1e-6, as the contract's float64 arrays allow. Use float64, "
    "numpy's default: look for float32 in your functions (a dtype, a conversion of W, X or a result) and "
    "leave the arrays as they come.",
    functions=())
assert SINGLE_PRECISION.id not in CATALOG, "mistake ids must be unique"


def form_name(mistake, form):
    """The name the student reads, with the form when the mistake has several."""
    label = mistake.forms[form].label
    return f"{mistake.name} ({label})" if label and len(mistake.forms) > 1 else mistake.name


def with_pieces(**changes):
    """A :class:`Pieces` built from the reference with some parts replaced (for tests and experiments)."""
    return replace(REFERENCE, **changes)
