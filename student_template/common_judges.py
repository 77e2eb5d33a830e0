"""The judges written once for both sides: the self-check's kinds (:mod:`check_kinds`) and the
grader's tests (``assignment/``) build them with their own call ids, and each side's context
(:class:`check_model.CheckContext`) says what the calls returned.

Needs numpy, ``arraycheck.py`` and ``check_model.py`` (next to this file) only.
"""
from typing import Sequence

import numpy as np

try:
    from .arraycheck import Verdict, check_array, check_scalar
    from .check_model import Judge, reads
except ImportError:   # shipped to students next to arraycheck.py and check_model.py
    from arraycheck import Verdict, check_array, check_scalar
    from check_model import Judge, reads


# ---------------------------------------------------------------------------- the parameter layout
def n_params(layer_sizes: Sequence[int]) -> int:
    """P, the length of the flat parameter vector of a network of ``layer_sizes``."""
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def unpack(W: np.ndarray, layer_sizes: Sequence[int]) -> list:
    """[(W_l (n[l], n[l-1]), b_l (n[l],)), ...] views of the flat vector W (P,) (the layout of the contract)."""
    layers, start = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        weights = W[start:start + n_out * n_in].reshape(n_out, n_in)
        start += n_out * n_in
        layers.append((weights, W[start:start + n_out]))
        start += n_out
    return layers


def init_limit(n_in: int, n_out: int) -> float:
    """e_l = sqrt(2 / (n[l-1] + n[l])): the bound of layer l's initial weights."""
    return float(np.sqrt(2.0 / (n_in + n_out)))


# ---------------------------------------------------------------------------- the judges
def values_judge(call_ids: Sequence[str], output: int = 0, scalar: bool = False, exact: bool = False,
                 passed_text: str = "Values match the reference.") -> Judge:
    """Output ``output`` of each call against the reference's (exactly when ``exact``; one number
    when ``scalar``); the first difference fails."""
    def judge(ctx):
        for call_id in call_ids:
            got = ctx.returned(call_id, output)
            label = ctx.describe_call(call_id, output)
            rtol, atol = (0.0, 0.0) if exact else (ctx.rtol, ctx.atol)
            compare = check_scalar if scalar else check_array
            verdict = compare(got, ctx.expected(call_id)[output], label, rtol, atol)
            if not verdict.passed:
                return verdict
        return Verdict(True, passed_text)
    return reads(judge, call_ids, output)


def init_bounds_judge(call_ids: Sequence[str]) -> Judge:
    """init_weights(layer_sizes, rng) of each call: P = n_params(layer_sizes) values, every layer's
    weights in [-e_l, e_l] and its biases 0 (or within the same bound)."""
    def judge(ctx):
        for call_id in call_ids:
            sizes = list(ctx.inputs(call_id)[0][0])
            W = np.asarray(ctx.returned(call_id), dtype=float).reshape(-1)
            if W.size != n_params(sizes):
                return Verdict(False, f"init_weights({sizes}, rng) to return {n_params(sizes)} values",
                               f"{W.size} values", "One flat vector: each W_l row-major, then b_l, layer by layer.")
            for l, (W_l, b_l) in enumerate(unpack(W, sizes), start=1):
                limit = init_limit(sizes[l - 1], sizes[l])
                if np.max(np.abs(W_l)) > limit * (1 + 1e-9):
                    return Verdict(False, f"layer {l} of {sizes}: weights in [-{limit:.4f}, {limit:.4f}]",
                                   f"max |W_{l}| = {np.max(np.abs(W_l)):.4f}",
                                   "e_l = sqrt(2 / (n[l-1] + n[l])) uses the sizes of layer l and the one before it.")
                if np.max(np.abs(b_l)) > limit * (1 + 1e-9):
                    return Verdict(False, f"layer {l} of {sizes}: biases 0 or in [-{limit:.4f}, {limit:.4f}]",
                                   f"max |b_{l}| = {np.max(np.abs(b_l)):.4f}", "Set the biases to 0.")
        return Verdict(True, "Every layer's weights lie in [-e_l, e_l].")
    return reads(judge, call_ids)
