r"""Weight initialisation, with the formulas, names and defaults of ``torch.nn.init``.

Every initialiser fills its argument **in place** (under ``mathdl.no_grad()``) and
returns it, like PyTorch's trailing-underscore functions. The argument may be a
mathdl ``Tensor`` (its ``.data`` array is overwritten) or a plain numpy array.

Randomness
    Each random initialiser takes an explicit ``rng`` (a :class:`numpy.random.Generator`).
    There is no global seed in ``mathdl``: ``rng=None`` means a fresh, *unseeded*
    ``np.random.default_rng()``, so results differ from call to call. Pass
    ``rng=np.random.default_rng(0)`` for reproducible numbers. (PyTorch draws from a
    global generator instead; its ``generator=`` argument plays the role of ``rng``.)
    Numbers are drawn in float64 and then stored in the array's own dtype.

Layout of a weight matrix, and fans
    The book writes a linear layer as :math:`Z = XW + b` with
    :math:`W \in \mathbb{R}^{n_{in} \times n_{out}}`, so ``mathdl.nn.Linear`` stores its
    weight with shape ``(in_features, out_features)``. PyTorch stores the transpose,
    ``(out_features, in_features)``, and computes :math:`Z = XW^\top + b`.
    Accordingly ``_calculate_fan_in_and_fan_out`` reads

    * ``fan_in  = shape[0] * receptive_field``  (PyTorch: ``shape[1] * ...``)
    * ``fan_out = shape[1] * receptive_field``  (PyTorch: ``shape[0] * ...``)

    with ``receptive_field = prod(shape[2:])`` (1 for matrices). For a ``Linear`` weight
    this gives ``fan_in = in_features`` and ``fan_out = out_features`` in both libraries,
    so ``kaiming_uniform_(W)`` on a mathdl weight of shape ``(n_in, n_out)`` has exactly the
    distribution of ``torch.nn.init.kaiming_uniform_(W.T)`` on PyTorch's ``(n_out, n_in)``
    weight. If you keep a weight in PyTorch's layout, initialise its transpose.

References
    Glorot, X. & Bengio, Y. (2010). *Understanding the difficulty of training deep
    feedforward neural networks.* AISTATS.
    He, K., Zhang, X., Ren, S. & Sun, J. (2015). *Delving deep into rectifiers: surpassing
    human-level performance on ImageNet classification.* ICCV.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .autograd import no_grad

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)
_NONLINEARITIES = (*_LINEAR_FNS, "sigmoid", "tanh", "relu", "leaky_relu", "selu")
_MODES = ("fan_in", "fan_out")


def _data(tensor):
    """``tensor`` itself if it is a numpy array, else its ``.data``."""
    return tensor if isinstance(tensor, np.ndarray) else getattr(tensor, "data", tensor)


def _array_of(tensor, op):
    """The numpy array that ``tensor`` stores (``tensor.data`` or ``tensor`` itself)."""
    data = _data(tensor)
    if not isinstance(data, np.ndarray):
        raise TypeError(
            f"{op}: expected a mathdl Tensor or a numpy array, got {type(tensor).__name__}"
        )
    if not np.issubdtype(data.dtype, np.floating):
        raise TypeError(f"{op}: can only fill a floating-point tensor, got dtype {data.dtype}")
    return data


def _rng(rng):
    """``rng`` itself, or a fresh unseeded generator when ``rng`` is None."""
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    return rng


def _fill(tensor, values):
    """Write ``values`` into ``tensor``'s array in place and return ``tensor``."""
    with no_grad():
        _data(tensor)[...] = values
    return tensor


def calculate_gain(nonlinearity, param=None):
    r"""The recommended gain :math:`g` for an activation, as in ``torch.nn.init``.

    ================= =====================================================
    nonlinearity      gain :math:`g`
    ================= =====================================================
    linear, conv*     :math:`1`
    sigmoid           :math:`1`
    tanh              :math:`5/3`
    relu              :math:`\sqrt{2}`
    leaky_relu        :math:`\sqrt{2 / (1 + a^2)}`, slope :math:`a` = ``param`` (default 0.01)
    selu              :math:`3/4`
    ================= =====================================================

    The gain rescales an initialiser's standard deviation so that the variance of the
    activations is preserved through a layer. For ReLU, half of the pre-activations are
    zeroed, which halves the second moment; :math:`g^2 = 2` undoes that (He et al., 2015).

    Raises ``ValueError`` for an unknown ``nonlinearity`` (listing the valid ones) or a
    non-numeric leaky-ReLU slope.
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; "
        f"valid nonlinearities are {', '.join(repr(n) for n in _NONLINEARITIES)}"
    )


def _calculate_fan_in_and_fan_out(tensor):
    r"""``(fan_in, fan_out)`` of a weight stored in the book's layout ``(n_in, n_out, *k)``.

    ``fan_in = shape[0] * prod(shape[2:])`` and ``fan_out = shape[1] * prod(shape[2:])``.
    This is PyTorch's rule with the first two axes swapped, because mathdl stores
    :math:`W \in \mathbb{R}^{n_{in}\times n_{out}}` (:math:`Z = XW + b`) where PyTorch stores
    :math:`W^\top`. See the module docstring.
    """
    shape = np.shape(_data(tensor))
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {tuple(shape)})"
        )
    receptive_field_size = 1
    for s in shape[2:]:
        receptive_field_size *= s
    fan_in = shape[0] * receptive_field_size
    fan_out = shape[1] * receptive_field_size
    return fan_in, fan_out


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in _MODES:
        raise ValueError(
            f"Mode {mode!r} not supported, please use one of {', '.join(repr(m) for m in _MODES)}"
        )
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _is_empty(data, op):
    if data.size == 0:
        warnings.warn(f"{op}: initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def uniform_(tensor, a=0.0, b=1.0, rng=None):
    r"""Fill ``tensor`` with samples from :math:`\mathcal{U}(a, b)`.

    Example: ``uniform_(W, -0.1, 0.1, rng=np.random.default_rng(0))``.
    """
    data = _array_of(tensor, "uniform_")
    return _fill(tensor, _rng(rng).uniform(a, b, size=data.shape))


def normal_(tensor, mean=0.0, std=1.0, rng=None):
    r"""Fill ``tensor`` with samples from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`."""
    data = _array_of(tensor, "normal_")
    return _fill(tensor, _rng(rng).normal(mean, std, size=data.shape))


def constant_(tensor, val):
    """Fill ``tensor`` with the value ``val``."""
    _array_of(tensor, "constant_")
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill ``tensor`` with zeros (a common choice for biases)."""
    _array_of(tensor, "zeros_")
    return _fill(tensor, 0.0)


def ones_(tensor):
    """Fill ``tensor`` with ones."""
    _array_of(tensor, "ones_")
    return _fill(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0, rng=None):
    r"""Glorot/Xavier uniform initialisation (Glorot & Bengio, 2010).

    Samples :math:`W_{ij} \sim \mathcal{U}(-a, a)` with

    .. math::
        a = g \sqrt{\frac{6}{n_{in} + n_{out}}},
        \qquad \operatorname{Var}[W_{ij}] = \frac{a^2}{3} = g^2\,\frac{2}{n_{in} + n_{out}}.

    The variance :math:`2/(n_{in}+n_{out})` is the compromise between keeping the forward
    variance (:math:`1/n_{in}`) and the backward variance (:math:`1/n_{out}`) constant for
    a linear or tanh-like network. ``gain`` is :math:`g` (see :func:`calculate_gain`).
    ``tensor`` has the book's layout ``(n_in, n_out)``; see the module docstring.
    """
    data = _array_of(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(data)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std  # uniform bound with the required standard deviation
    return _fill(tensor, _rng(rng).uniform(-a, a, size=data.shape))


def xavier_normal_(tensor, gain=1.0, rng=None):
    r"""Glorot/Xavier normal initialisation (Glorot & Bengio, 2010).

    Samples :math:`W_{ij} \sim \mathcal{N}(0, \sigma^2)` with

    .. math::
        \sigma = g \sqrt{\frac{2}{n_{in} + n_{out}}}.

    ``tensor`` has the book's layout ``(n_in, n_out)``; see the module docstring.
    """
    data = _array_of(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(data)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _fill(tensor, _rng(rng).normal(0.0, std, size=data.shape))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    r"""Kaiming/He uniform initialisation (He et al., 2015).

    Samples :math:`W_{ij} \sim \mathcal{U}(-\text{bound}, \text{bound})` with

    .. math::
        \text{bound} = g \sqrt{\frac{3}{\text{fan}}},
        \qquad \operatorname{Var}[W_{ij}] = \frac{g^2}{\text{fan}},

    where :math:`g` = ``calculate_gain(nonlinearity, a)`` and ``fan`` is :math:`n_{in}`
    (``mode='fan_in'``, keeps the variance of the activations in the forward pass) or
    :math:`n_{out}` (``mode='fan_out'``, keeps the variance of the gradients in the
    backward pass). ``a`` is the negative slope of a leaky ReLU (only used when
    ``nonlinearity='leaky_relu'``, the default, as in PyTorch).

    With ``a=math.sqrt(5)`` this gives :math:`g^2 = 2/6 = 1/3` and
    :math:`\text{bound} = 1/\sqrt{n_{in}}`: PyTorch's default for ``Linear``.
    ``tensor`` has the book's layout ``(n_in, n_out)``; see the module docstring.
    """
    data = _array_of(tensor, "kaiming_uniform_")
    if _is_empty(data, "kaiming_uniform_"):
        return tensor
    fan = _calculate_correct_fan(data, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std  # uniform bound with the required standard deviation
    return _fill(tensor, _rng(rng).uniform(-bound, bound, size=data.shape))


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    r"""Kaiming/He normal initialisation (He et al., 2015).

    Samples :math:`W_{ij} \sim \mathcal{N}(0, \sigma^2)` with

    .. math::
        \sigma = \frac{g}{\sqrt{\text{fan}}},

    where :math:`g` = ``calculate_gain(nonlinearity, a)`` and ``fan`` is :math:`n_{in}`
    (``mode='fan_in'``) or :math:`n_{out}` (``mode='fan_out'``). For ReLU networks,
    :math:`\sigma^2 = 2/n_{in}` keeps :math:`\operatorname{E}[a^2]` constant from layer to
    layer. ``tensor`` has the book's layout ``(n_in, n_out)``; see the module docstring.
    """
    data = _array_of(tensor, "kaiming_normal_")
    if _is_empty(data, "kaiming_normal_"):
        return tensor
    fan = _calculate_correct_fan(data, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return _fill(tensor, _rng(rng).normal(0.0, std, size=data.shape))
