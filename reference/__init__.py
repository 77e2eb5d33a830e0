"""The reference solution of the Week 6 lab, under the contract's names.

Exercise by exercise: 1a ``load_data``; 1b ``sigmoid``, ``sigmoid_grad``;
1c ``bce_loss``; 1d ``bce_grad``; 1e ``init_weights``, ``predict``;
bonus ``relu``, ``relu_grad``; 2 ``backprop``; 3 ``load_data_multiclass``,
``softmax``, ``ce_backprop``, ``predict_multiclass``. Helpers: ``pack``,
``unpack``, ``n_params``, ``train``. No grading logic lives here.
"""
from .activations import relu, relu_grad, sigmoid, sigmoid_grad, softmax
from .data import load_data, load_data_multiclass
from .init import init_weights
from .network import backprop, bce_grad, bce_loss, ce_backprop, predict, predict_multiclass
from .params import n_params, pack, unpack
from .per_sample import backprop_per_sample
from .training import SETUPS, train

# The names a submission must define (the contract's table), in notebook order.
CONTRACT_FUNCTIONS = {
    "1a": ["load_data"],
    "1b": ["sigmoid", "sigmoid_grad"],
    "1c": ["bce_loss"],
    "1d": ["bce_grad"],
    "1e": ["init_weights", "predict"],
    "bonus": ["relu", "relu_grad"],
    "2": ["backprop"],
    "3": ["load_data_multiclass", "softmax", "ce_backprop", "predict_multiclass"],
}

__all__ = [name for names in CONTRACT_FUNCTIONS.values() for name in names] + [
    "CONTRACT_FUNCTIONS", "SETUPS", "backprop_per_sample", "n_params", "pack", "train", "unpack",
]
