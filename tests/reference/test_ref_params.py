"""The flat parameter vector: n_params, unpack's layout (the contract's), pack as its inverse."""
import numpy as np
import pytest

from reference import n_params, pack, unpack

NETS = [[2, 1], [2, 3, 1], [2, 5, 1], [2, 10, 3], [2, 10, 10, 10, 10, 1], [7, 1, 4, 2]]


@pytest.mark.parametrize("layer_sizes,expected", [
    ([2, 1], 3), ([2, 3, 1], 13), ([2, 5, 1], 21), ([2, 10, 3], 63), ([2, 10, 10, 10, 10, 1], 371),
    ([7, 1, 4, 2], 8 + 8 + 10)])
def test_n_params_counts_every_layers_weights_and_biases(layer_sizes, expected):
    assert n_params(layer_sizes) == expected
    assert n_params(layer_sizes) == sum(layer_sizes[l] * (layer_sizes[l - 1] + 1) for l in range(1, len(layer_sizes)))


@pytest.mark.parametrize("layer_sizes", NETS, ids=str)
def test_unpack_layout_is_the_contracts(layer_sizes):
    """W = 0, 1, 2, ...: W_1 holds the first n1*n0 numbers row-major, then b_1, then W_2, ..."""
    W = np.arange(n_params(layer_sizes), dtype=float)
    layers = unpack(W, layer_sizes)
    assert len(layers) == len(layer_sizes) - 1
    pos = 0
    for l, (W_l, b_l) in enumerate(layers, start=1):
        n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
        assert W_l.shape == (n_out, n_in) and b_l.shape == (n_out,)
        np.testing.assert_array_equal(W_l, np.arange(pos, pos + n_out * n_in).reshape(n_out, n_in))
        assert W_l[0, 1 % n_in] == pos + 1 % n_in            # row-major: along a row first
        pos += n_out * n_in
        np.testing.assert_array_equal(b_l, np.arange(pos, pos + n_out))
        pos += n_out
    assert pos == W.size


@pytest.mark.parametrize("layer_sizes", NETS, ids=str)
def test_pack_unpack_round_trip(layer_sizes):
    W = np.random.default_rng(0).standard_normal(n_params(layer_sizes))
    packed = pack(unpack(W, layer_sizes))
    assert packed.shape == W.shape
    np.testing.assert_array_equal(packed, W)
    layers = [(np.full((b, a), 1.0 + l), np.full(b, -1.0 - l)) for l, (a, b) in
              enumerate(zip(layer_sizes[:-1], layer_sizes[1:]))]
    for (W_l, b_l), (V_l, c_l) in zip(layers, unpack(pack(layers), layer_sizes)):
        np.testing.assert_array_equal(W_l, V_l)
        np.testing.assert_array_equal(b_l, c_l)


def test_unpack_returns_views():
    """Writing into unpack's arrays writes into W (the reference's init_weights relies on it)."""
    ls = [2, 3, 1]
    W = np.zeros(n_params(ls))
    (W_1, b_1), (W_2, b_2) = unpack(W, ls)
    W_1[1, 0] = 5.0
    b_2[0] = 7.0
    assert W[2] == 5.0 and W[-1] == 7.0


@pytest.mark.parametrize("length_change", [-1, 1, -3])
def test_unpack_rejects_wrong_length(length_change):
    ls = [2, 3, 1]
    with pytest.raises(ValueError):
        unpack(np.zeros(n_params(ls) + length_change), ls)


def test_unpack_rejects_2d():
    with pytest.raises(ValueError):
        unpack(np.zeros((13, 1)), [2, 3, 1])
