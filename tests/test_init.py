"""Tests of mathdl.init: formulas, fans in the book's (n_in, n_out) layout, torch parity."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mathdl as mdl
from mathdl import init

SHAPE = (400, 300)  # (n_in, n_out): 120 000 samples per statistic


def _std_formula(name, shape, **kw):
    """Expected standard deviation, computed here from the papers' formulas."""
    n_in, n_out = shape[0], shape[1]
    rf = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    n_in, n_out = n_in * rf, n_out * rf
    if name in ("xavier_uniform_", "xavier_normal_"):
        return kw.get("gain", 1.0) * math.sqrt(2.0 / (n_in + n_out))
    fan = n_in if kw.get("mode", "fan_in") == "fan_in" else n_out
    nonlinearity = kw.get("nonlinearity", "leaky_relu")
    a = kw.get("a", 0)
    gain = {
        "relu": math.sqrt(2.0),
        "leaky_relu": math.sqrt(2.0 / (1 + a**2)),
        "tanh": 5.0 / 3,
        "linear": 1.0,
        "sigmoid": 1.0,
        "selu": 0.75,
    }[nonlinearity]
    return gain / math.sqrt(fan)


CASES = [
    ("xavier_uniform_", {}),
    ("xavier_uniform_", {"gain": 5.0 / 3}),
    ("xavier_normal_", {}),
    ("xavier_normal_", {"gain": math.sqrt(2.0)}),
    ("kaiming_uniform_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_uniform_", {"nonlinearity": "tanh"}),
    ("kaiming_normal_", {}),
    ("kaiming_normal_", {"mode": "fan_in", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"a": 0.2, "mode": "fan_out"}),
    ("kaiming_normal_", {"nonlinearity": "linear"}),
]


@pytest.mark.parametrize("name, kw", CASES)
def test_statistics_match_formula(name, kw):
    W = mdl.tensor(np.zeros(SHAPE), requires_grad=True)
    out = getattr(init, name)(W, rng=np.random.default_rng(0), **kw)
    assert out is W
    x = W.data
    std = _std_formula(name, SHAPE, **kw)
    n = x.size
    assert abs(x.mean()) < 5 * std / math.sqrt(n)
    assert x.std() == pytest.approx(std, rel=0.02)
    if "uniform" in name:
        bound = math.sqrt(3.0) * std
        assert np.abs(x).max() <= bound
        assert np.abs(x).max() > 0.99 * bound
    # still a leaf that requires grad, no graph recorded
    assert W.is_leaf and W.requires_grad and W.grad is None


@pytest.mark.parametrize("name, kw", CASES)
def test_statistics_match_torch_on_transposed_layout(name, kw):
    torch = pytest.importorskip("torch")
    W = np.zeros(SHAPE)
    getattr(init, name)(W, rng=np.random.default_rng(1), **kw)
    # torch stores (n_out, n_in): initialise the transposed shape there
    Wt = torch.empty(SHAPE[::-1], dtype=torch.float64)
    g = torch.Generator().manual_seed(1)
    getattr(torch.nn.init, name)(Wt, generator=g, **kw)
    assert W.std() == pytest.approx(Wt.std().item(), rel=0.03)
    if "uniform" in name:
        assert np.abs(W).max() == pytest.approx(Wt.abs().max().item(), rel=0.01)


def test_fan_in_is_first_axis_in_book_layout():
    # A very tall matrix: fan_in = 1000 vs fan_out = 10 differ by a factor 10 in std.
    W = np.zeros((1000, 10))
    init.kaiming_normal_(W, nonlinearity="relu", rng=np.random.default_rng(0))
    assert W.std() == pytest.approx(math.sqrt(2 / 1000), rel=0.05)
    init.kaiming_normal_(W, mode="fan_out", nonlinearity="relu", rng=np.random.default_rng(0))
    assert W.std() == pytest.approx(math.sqrt(2 / 10), rel=0.05)


def test_calculate_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(np.zeros((3, 5))) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(mdl.tensor(np.zeros((3, 5, 2, 2)))) == (12, 20)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(np.zeros(4))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(np.zeros(4))


def test_fans_agree_with_torch_after_transpose():
    torch = pytest.importorskip("torch")
    from torch.nn.init import _calculate_fan_in_and_fan_out as torch_fans

    for shape in [(3, 5), (7, 2), (1, 9)]:
        assert init._calculate_fan_in_and_fan_out(np.zeros(shape)) == torch_fans(
            torch.zeros(shape[::-1])
        )


GAIN_CASES = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv3d", None),
    ("conv_transpose1d", None),
    ("conv_transpose2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("selu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("leaky_relu", 1),
    ("leaky_relu", math.sqrt(5)),
]


@pytest.mark.parametrize("nonlinearity, param", GAIN_CASES)
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param
    )


def test_calculate_gain_values():
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))


def test_unknown_options_list_valid_ones():
    with pytest.raises(ValueError, match=r"unsupported nonlinearity 'swish'.*'tanh'.*'relu'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "0.1")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match=r"Mode 'fan_avg' not supported.*'fan_in', 'fan_out'"):
        init.kaiming_normal_(np.zeros((3, 4)), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        init.kaiming_uniform_(np.zeros((3, 4)), nonlinearity="gelu")


def test_mode_is_case_insensitive_like_torch():
    W = np.zeros((50, 5))
    init.kaiming_normal_(W, mode="FAN_OUT", rng=np.random.default_rng(0))
    assert W.std() > 0.3  # fan_out = 5, std ~ 0.63


def test_rng_reproducible_and_required_type():
    a, b = np.zeros((4, 3)), np.zeros((4, 3))
    init.xavier_normal_(a, rng=np.random.default_rng(7))
    init.xavier_normal_(b, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    c = init.xavier_normal_(np.zeros((4, 3)))  # rng=None: unseeded, but works
    assert c.std() > 0
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        init.normal_(np.zeros(3), rng=0)


def test_dtype_preserved_and_ints_rejected():
    W = mdl.tensor(np.zeros((10, 10), dtype=np.float32))
    init.kaiming_uniform_(W, rng=np.random.default_rng(0))
    assert W.dtype == np.float32 and W.data.std() > 0
    with pytest.raises(TypeError, match="floating-point"):
        init.ones_(np.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match="Tensor or a numpy array"):
        init.zeros_([1.0, 2.0])


def test_simple_fills_in_place():
    W = mdl.tensor(np.full((2, 3), 7.0))
    data = W.data
    assert init.zeros_(W) is W and W.data is data and np.all(data == 0)
    assert init.ones_(W) is W and np.all(data == 1)
    assert init.constant_(W, 0.5) is W and np.all(data == 0.5)
    init.uniform_(W, -2.0, -1.0, rng=np.random.default_rng(0))
    assert np.all((data >= -2) & (data < -1))
    big = np.zeros(100_000)
    init.normal_(big, mean=3.0, std=0.5, rng=np.random.default_rng(0))
    assert big.mean() == pytest.approx(3.0, abs=0.01)
    assert big.std() == pytest.approx(0.5, rel=0.01)


def test_zero_element_tensor_warns():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(np.zeros((0, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.kaiming_uniform_(np.zeros((1, 3)), rng=np.random.default_rng(0))


@settings(max_examples=40, deadline=None)
@given(
    n_in=st.integers(1, 40),
    n_out=st.integers(1, 40),
    gain=st.floats(0.1, 3.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_uniform_initialisers_stay_within_bounds(n_in, n_out, gain, seed):
    rng = np.random.default_rng(seed)
    W = init.xavier_uniform_(np.zeros((n_in, n_out)), gain=gain, rng=rng)
    assert np.abs(W).max() <= gain * math.sqrt(6 / (n_in + n_out))
    W = init.kaiming_uniform_(np.zeros((n_in, n_out)), a=math.sqrt(5), rng=rng)
    assert np.abs(W).max() <= 1 / math.sqrt(n_in) * (1 + 1e-12)
