"""The reference solution of the Week 6 lab, under the contract's names.

Exercise by exercise: 1a ``load_data``; 1b ``sigmoid``, ``sigmoid_grad``;
1c ``bce_loss``; 1d ``bce_grad``; 1e ``init_weights``, ``predict``;
bonus ``relu``, ``relu_grad``; 2 ``backprop``; 3 ``load_data_multiclass``,
``softmax``, ``ce_backprop``, ``predict_multiclass``. Helpers: ``pack``,
``unpack``, ``n_params``, ``train``. No grading logic lives here; which exercise asks for which
function is the assignment's (``assignment.CONTRACT_FUNCTIONS``).
"""
from .activations import relu, relu_grad, sigmoid, sigmoid_grad, softmax
from .data import load_data, load_data_multiclass
from .init import init_weights
from .network import backprop, bce_grad, bce_loss, ce_backprop, predict, predict_multiclass
from .params import n_params, pack, unpack
from .per_sample import backprop_per_sample
from .training import SETUPS, train

__all__ = [
    "load_data", "sigmoid", "sigmoid_grad", "bce_loss", "bce_grad", "init_weights", "predict", "relu", "relu_grad",
    "backprop", "load_data_multiclass", "softmax", "ce_backprop", "predict_multiclass",
    "SETUPS", "backprop_per_sample", "n_params", "pack", "train", "unpack",
]
