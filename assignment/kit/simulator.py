"""The network that simulates a submission's mistakes: a variant of the reference built from pieces.

A mistake of the catalog (:mod:`assignment.kit.mistake`, each exercise's in its module) says how
a submission with that mistake (and nothing else wrong) computes: :func:`simulate` takes the
same arguments the reference gets (``plan.call_args(probe)``) and returns the outputs of a
contract function built from :class:`Pieces` -- the parameter layout, an activation or its
derivative, the output loss, the regularization, the sign -- each of which a mistake may swap
for a wrong one. The reference package is only called, never changed, and none of this is part
of its public API.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np

from reference import activations as ref_act
from reference import data as ref_data
from reference import losses as ref_losses
from reference.params import pack, unpack
from student_template import arraycheck

# Contract function -> index of its gradient output (for the per-block comparison).
GRADIENT_OUTPUT = {"bce_grad": 0, "backprop": 1, "ce_backprop": 1}
LOSS_FUNCTIONS = ("bce_loss", "bce_grad", "backprop", "ce_backprop")
GRADIENT_FUNCTIONS = ("bce_grad", "backprop", "ce_backprop")
# functions of the contract written from the same formulas: a mistake in one usually shows in the other
PARTNERS = {"bce_loss": ("bce_grad",), "bce_grad": ("bce_loss",)}
# the data sets' loaders, whose labels a mistake may shift
LOADERS = ("load_data", "load_data_multiclass")
RTOL = 1e-6                  # a submission's output "equals" a simulated one within this
ATOL = 1e-9


def reg_reference(layers: list, lam: float, n: int) -> tuple[float, list]:
    """The regularization of the contract: (penalty, [(dR/dW_l, dR/db_l)]) of layers [(W_l, b_l)],
    lam * sum of every W_l squared, biases left out; n (the batch's N) is unused here, and there
    for the wrong forms that use it."""
    return (lam * sum(float(np.sum(W_l ** 2)) for W_l, _ in layers),
            [(2.0 * lam * W_l, np.zeros_like(b_l)) for W_l, b_l in layers])


def _frozen(mapping: Mapping[str, Callable] | None) -> Mapping[str, Callable]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, eq=False)
class Pieces:
    """The replaceable parts of a network; the defaults make the reference.

    label: how this form of a mistake is written, for the student (e.g. "sigma(a) * (1 - a)").
    functions: elementwise contract functions replaced, by contract name: an activation
        (``"sigmoid"``), its derivative (``"sigmoid_grad"``) or ``"softmax"``; every other one is
        the reference's (:data:`reference.activations.ACTIVATIONS`).
    losses: output losses replaced, by the name reference.losses registers them under
        (``"bce"``, ``"ce"``): (A_L (N, K) logits, t (N,) labels) -> (data loss, dLoss/dA_L (N, K)).
    unpack, pack: the parameter layout.
    hidden_grad: replaces g' of every hidden activation when set.
    regularization: (layers [(W_l, b_l)], lam, N) -> (penalty, [(dR/dW_l, dR/db_l)]).
    grad_sign: the whole gradient times this.
    label_offset: added to the labels load_data / load_data_multiclass return.
    """
    label: str = ""
    functions: Mapping[str, Callable] = field(default_factory=dict)
    losses: Mapping[str, Callable] = field(default_factory=dict)
    unpack: Callable = unpack
    pack: Callable = pack
    hidden_grad: Callable | None = None
    regularization: Callable = reg_reference
    grad_sign: float = 1.0
    label_offset: int = 0

    def __post_init__(self):
        for name in self.functions:
            if name not in elementwise_functions():
                raise ValueError(f"no elementwise contract function {name!r}: one of "
                                 f"{', '.join(sorted(elementwise_functions()))}")
        for name in self.losses:
            ref_losses.get_loss(name)
        object.__setattr__(self, "functions", _frozen(self.functions))
        object.__setattr__(self, "losses", _frozen(self.losses))

    def function(self, name: str) -> Callable:
        """The elementwise contract function ``name``, these pieces' form or the reference's."""
        if name in self.functions:
            return self.functions[name]
        return elementwise_functions()[name]

    def activation(self, name: str) -> tuple[Callable, Callable]:
        """(g, g') of the hidden activation ``name`` (registered in reference.activations; an unknown
        name is an error): these pieces' own forms where they have them (``<name>`` and
        ``<name>_grad``), else the reference's."""
        registered = ref_act.get_activation(name)
        g = self.functions.get(name, registered.function)
        g_prime = self.functions.get(f"{name}_grad", registered.derivative)
        return g, self.hidden_grad or g_prime

    def loss(self, name: str) -> Callable:
        """The output loss ``name`` ("bce" or "ce", as reference.losses registers them), these pieces' form."""
        registered = ref_losses.get_loss(name)
        return self.losses.get(name, registered)


def elementwise_functions() -> dict[str, Callable]:
    """{contract name: the reference's function}: every registered activation and its derivative
    (``<name>``, ``<name>_grad``), and softmax."""
    functions = {"softmax": ref_act.softmax}
    for name in ref_act.ACTIVATIONS:
        registered = ref_act.get_activation(name)
        functions[name], functions[f"{name}_grad"] = registered.function, registered.derivative
    return functions


REFERENCE = Pieces()


def forward(pieces: Pieces, W: np.ndarray, X: np.ndarray, layer_sizes: list[int],
            activation: str = "sigmoid") -> tuple[list, list, list]:
    """(layers, A, Z) as in :func:`reference.network.forward`, with ``pieces``' layout and activation:
    W (P,), X (N, n0); A_l (N, n_l) the pre-activations, Z_l the activations (Z_0 = X)."""
    g, _ = pieces.activation(activation)
    layers = pieces.unpack(np.asarray(W, dtype=float), layer_sizes)
    Z, A = [np.asarray(X, dtype=float)], []
    for l, (W_l, b_l) in enumerate(layers, start=1):
        A.append(Z[-1] @ W_l.T + b_l)
        Z.append(A[-1] if l == len(layers) else g(A[-1]))
    return layers, A, Z


def loss_and_grad(pieces: Pieces, W: np.ndarray, X: np.ndarray, t: np.ndarray, layer_sizes: list[int], lam: float,
                  activation: str = "sigmoid", loss: str = "bce") -> tuple[float, np.ndarray]:
    """(loss: float, grad (P,)) of the network built from ``pieces`` (any depth): W (P,), X (N, n0), t (N,)."""
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


def simulate(pieces: Pieces, func: str, args: list, kwargs: dict) -> list[np.ndarray] | None:
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
                       else np.argmax(pieces.function("softmax")(A[-1]), axis=1)]
        elif func in elementwise_functions():
            outputs = [pieces.function(func)(args[0])]
        elif func in LOADERS:
            X, t = getattr(ref_data, func)()
            outputs = [X, t + pieces.label_offset]
        else:
            return None
        return [np.asarray(value, dtype=float) for value in outputs]


def central_differences(pieces: Pieces, func: str, args: list, kwargs: dict, directions: np.ndarray, step: float,
                        w_index: int = 0) -> np.ndarray:
    """(D,) slopes (L(W + h d) - L(W - h d)) / 2h of the loss output of ``func`` along each row d of
    directions (D, P), as the probe driver computes them."""
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


def same(got: Any, expected: Any) -> bool:
    """Equal within RTOL/ATOL by the grader's one rule (arraycheck.same: NaN equal to NaN, inf to inf,
    any shape with as many values)."""
    return arraycheck.same(got, expected, RTOL, ATOL)
