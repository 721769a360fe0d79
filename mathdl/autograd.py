r"""Reverse-mode automatic differentiation on numpy arrays, with PyTorch's API.

This module is the package's foundation, and it is written to be read next to
chapter 6 of the book. It has three parts:

1. **The table of derivative rules.** Each operation is a *primitive*: a plain
   numpy function ``name_p`` (the forward map), followed on the next lines by
   its vector-Jacobian products (VJPs), one per differentiable argument,
   registered in the one dictionary ``VJP_RULES[name_p]``.  A VJP receives the
   incoming adjoint ``g`` (:math:`\bar z = \partial L/\partial z`), the
   forward output ``ans`` and the forward arguments, and returns that
   argument's adjoint, e.g. for :math:`z = x \odot y`,
   :math:`\bar x = g \odot y`.  Broadcasting is undone in one place,
   :func:`unbroadcast`.  ``mathdl.functional`` registers its fused operations
   (``linear``, softmax, the losses) in the same table.  Only the primitive
   ``name_p`` functions touch numpy; the tensor methods and the top-level
   functions (``mdl.exp`` ...) just call them.
2. **The** :class:`Tensor`.  An operation on tensors calls the primitive on
   their ``.data`` and, if any input requires a gradient (and gradients are
   enabled, see :class:`no_grad`), records the primitive, its inputs and its
   arguments on the output tensor.  Nothing else is recorded: the rules are
   module-level functions that capture nothing, so the graph has no reference
   cycles and is freed by reference counting as soon as the last tensor goes.
3. :meth:`Tensor.backward` visits the graph in a topological order (by
   decreasing creation number, with a heap: no recursion, so a chain of
   100 000 operations is fine) and applies the rules from the output back to
   the leaves, summing the adjoints of tensors used more than once.  As in
   PyTorch, leaves accumulate into ``.grad`` (a numpy array) across calls
   until it is reset (``x.grad = None``, or an optimizer's ``zero_grad()``).
   Unlike PyTorch the graph is kept after ``backward``, so calling it twice
   is allowed and accumulates twice.

dtype rules
-----------
* A tensor keeps the dtype of the numpy array it is given
  (``tensor(np.float32(...))`` stays float32, and so do its gradients).
  Python scalars, lists and tuples become float64.
* Results follow numpy's type promotion (NEP 50): ``float32 * 2.0`` stays
  float32; float32 with float64 gives float64.
* **Integers are promoted, never differentiated.** Integer (and boolean)
  tensors are allowed (class labels, indices, masks) but cannot require a
  gradient: ``tensor(np.arange(3), requires_grad=True)`` raises, as in
  PyTorch.  An integer tensor given to a differentiable operation is promoted
  by numpy's rules: ``exp``, ``log``, ``sqrt``, ``sigmoid``, ``tanh`` and
  ``/`` of integers give float64, and an integer combined with a float tensor
  gives a float tensor, whose gradient flows only to the float input.  Only
  operations whose result is an integer (``+``, ``-``, ``*``, ``relu`` ...
  of integers only) stay integer, and such results never require a gradient.

Differences from PyTorch worth knowing
--------------------------------------
* ``tensor(data)`` copies ``data`` (as ``torch.tensor`` does); the class
  constructor ``Tensor(array)`` wraps an ndarray without copying.
* ``numpy()`` returns ``.data`` even when the tensor requires a gradient.
* Reductions accept numpy's ``axis``/``keepdims`` as well as PyTorch's
  ``dim``/``keepdim``.  ``max``/``min`` with an axis return only the values
  (like ``torch.amax``); their gradient is split equally among tied maxima,
  as ``torch.amax`` and the full reduction ``torch.max(x)`` do.
* ``transpose(dim0, dim1)`` swaps two axes as in PyTorch; ``permute(*dims)``
  permutes; ``.T`` and ``transpose()`` without arguments reverse all axes
  (numpy's ``.T``).
"""

from __future__ import annotations

import heapq
import itertools
from functools import partial

import numpy as np

__all__ = [
    "Tensor", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "unbroadcast", "VJP_RULES",
    "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "matmul",
    "concatenate", "cat", "stack", "where", "maximum", "minimum", "clip", "clamp",
    "zeros", "ones", "randn", "rand", "zeros_like", "ones_like", "arange",
]

_builtin_abs = abs

# ---------------------------------------------------------------------------
# Gradient mode
# ---------------------------------------------------------------------------

_grad_enabled = True


def is_grad_enabled():
    """Whether operations are currently recorded for differentiation."""
    return _grad_enabled


class set_grad_enabled:
    """Context manager (and decorator) that sets gradient recording on or off."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._prev = []
        global _grad_enabled
        self._prev.append(_grad_enabled)
        _grad_enabled = self.mode  # like torch: takes effect on construction

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev.pop() if self._prev else True
        return False


class _GradMode:
    """Base of :class:`no_grad` and :class:`enable_grad`: a context manager and a decorator."""

    _mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if func is None:
            return self
        return self(func)  # used as a bare decorator: @no_grad

    def __init__(self, func=None):
        self._prev = []

    def __enter__(self):
        global _grad_enabled
        self._prev.append(_grad_enabled)
        _grad_enabled = self._mode
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev.pop()
        return False

    def __call__(self, func):
        import functools

        mode_cls = type(self)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with mode_cls():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Turn off gradient recording: ``with mdl.no_grad(): ...`` or ``@mdl.no_grad()``.

    Inside, operations produce tensors with ``requires_grad=False`` and record
    no graph (as for an optimizer's update, or evaluation).
    """

    _mode = False


class enable_grad(_GradMode):
    """Turn gradient recording back on inside a :class:`no_grad` block."""

    _mode = True


# ---------------------------------------------------------------------------
# Undoing broadcasting
# ---------------------------------------------------------------------------

_ONES = {}


def _ones(n, dtype):
    """A cached read-only vector of n ones (for sums computed as products)."""
    key = (n, dtype)
    v = _ONES.get(key)
    if v is None:
        if len(_ONES) > 64:
            _ONES.clear()
        v = _ONES[key] = np.ones(n, dtype=dtype)
        v.flags.writeable = False
    return v


def unbroadcast(g, shape):
    r"""Sum the adjoint ``g`` back to ``shape``, undoing numpy broadcasting.

    If :math:`x` of shape ``shape`` was broadcast to :math:`g`'s shape, each
    entry of :math:`x` was used once per copy, so its adjoint is the sum of
    :math:`g` over the copies: over the leading axes broadcasting added, and
    over the axes where ``shape`` has size 1 and ``g`` does not.
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra == 1 and g.ndim == 2 and g.dtype.kind == "f" and g.dtype.itemsize >= 4:
        # the bias of a linear layer: column sums as a product with a vector of ones,
        # which BLAS does several times faster than g.sum(axis=0)
        g = _ones(g.shape[0], g.dtype) @ g
        if g.shape == shape:
            return g
    elif extra > 0:
        g = g.sum(axis=0 if extra == 1 else tuple(range(extra)))
        if g.shape == shape:
            return g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


# ---------------------------------------------------------------------------
# The table of derivative rules.
#
# ``VJP_RULES[f_p]`` is a tuple with one VJP per argument of the primitive
# ``f_p`` (``None`` for arguments that are never differentiated, such as an
# axis).  A VJP has the signature ``vjp(g, ans, *args)`` where ``args`` are the
# primitive's arguments.  Primitives with a variable number of inputs
# (concatenate, stack) register one function ``vjp(k, g, ans, *args)`` that
# also receives the position k of the input.
# ---------------------------------------------------------------------------

VJP_RULES = {}


# -- arithmetic (all broadcast) ---------------------------------------------

def add_p(x, y):
    r"""Sum :math:`z = x + y`.  VJP: :math:`\bar x = g`, :math:`\bar y = g` (unbroadcast)."""
    return x + y


VJP_RULES[add_p] = (
    lambda g, ans, x, y: unbroadcast(g, x.shape),
    lambda g, ans, x, y: unbroadcast(g, y.shape),
)


def sub_p(x, y):
    r"""Difference :math:`z = x - y`.  VJP: :math:`\bar x = g`, :math:`\bar y = -g`."""
    return x - y


VJP_RULES[sub_p] = (
    lambda g, ans, x, y: unbroadcast(g, x.shape),
    lambda g, ans, x, y: unbroadcast(-g, y.shape),
)


def mul_p(x, y):
    r"""Product :math:`z = x \odot y`.  VJP: :math:`\bar x = g \odot y`, :math:`\bar y = g \odot x`."""
    return x * y


VJP_RULES[mul_p] = (
    lambda g, ans, x, y: unbroadcast(g * y, x.shape),
    lambda g, ans, x, y: unbroadcast(g * x, y.shape),
)


def div_p(x, y):
    r"""Quotient :math:`z = x / y`.  VJP: :math:`\bar x = g / y`, :math:`\bar y = -g\, z / y`."""
    return x / y


VJP_RULES[div_p] = (
    lambda g, ans, x, y: unbroadcast(g / y, x.shape),
    lambda g, ans, x, y: unbroadcast(-g * ans / y, y.shape),
)


def neg_p(x):
    r"""Negation :math:`z = -x`.  VJP: :math:`\bar x = -g`."""
    return -x


VJP_RULES[neg_p] = (lambda g, ans, x: -g,)


def _pow_vjp_base(g, ans, x, y):
    # y x^(y-1), with 0 where y == 0 (as PyTorch: d/dx x^0 = 0 even at x = 0)
    if np.ndim(y) == 0:
        if y == 0:
            return np.zeros_like(g) if np.ndim(x) == np.ndim(g) else unbroadcast(0 * g, np.shape(x))
        return unbroadcast(g * (y * x ** (y - 1)), np.shape(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(y == 0, 0, y * x ** (y - 1))
    return unbroadcast(g * d, np.shape(x))


def _pow_vjp_exponent(g, ans, x, y):
    # z log x, with 0 where x == 0 and y >= 0 (as PyTorch), nan for x < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where((x == 0) & (y >= 0), 0, ans * np.log(x))
    return unbroadcast(g * d, np.shape(y))


def pow_p(x, y):
    r"""Power :math:`z = x^y` (either may be a tensor).

    VJP: :math:`\bar x = g\, y\, x^{y-1}` (0 where :math:`y = 0`),
    :math:`\bar y = g\, z \log x` (0 where :math:`x = 0`, as PyTorch).
    """
    return x ** y


VJP_RULES[pow_p] = (_pow_vjp_base, _pow_vjp_exponent)


def _matmul_error(xs, ys):
    if len(xs) == 0 or len(ys) == 0:
        return f"matmul: both operands must be at least 1-D, got shapes {xs} @ {ys}"
    inner_y = ys[0] if len(ys) == 1 else ys[-2]
    if xs[-1] != inner_y:
        return f"matmul: inner dimensions differ: {xs} @ {ys}"
    return f"matmul: batch dimensions {xs[:-2]} and {ys[:-2]} do not broadcast: {xs} @ {ys}"


def matmul_p(x, y):
    r"""Matrix product :math:`Z = X W` (1-D, 2-D and batched, as ``np.matmul``).

    VJP: :math:`\bar X = g W^\top`, :math:`\bar W = X^\top g`; 1-D operands are
    treated as a row (left) or a column (right) vector, and batch axes that were
    broadcast are summed out.
    """
    try:
        return np.matmul(x, y)
    except ValueError:
        raise ValueError(_matmul_error(np.shape(x), np.shape(y))) from None


def _matmul_vjp_x(g, ans, x, y):
    if y.ndim == 1:                       # z[..., i] = sum_j x[..., i, j] y[j]
        return unbroadcast(g[..., None] * y, x.shape)
    if x.ndim == 1:                       # z[..., k] = sum_j x[j] y[..., j, k]
        return unbroadcast((y @ g[..., None])[..., 0], x.shape)
    return unbroadcast(g @ y.swapaxes(-1, -2), x.shape)


def _matmul_vjp_y(g, ans, x, y):
    if x.ndim == 1 and y.ndim == 1:
        return g * x
    if x.ndim == 1:
        return unbroadcast(x[:, None] * g[..., None, :], y.shape)
    if y.ndim == 1:
        return unbroadcast((x.swapaxes(-1, -2) @ g[..., None])[..., 0], y.shape)
    return unbroadcast(x.swapaxes(-1, -2) @ g, y.shape)


VJP_RULES[matmul_p] = (_matmul_vjp_x, _matmul_vjp_y)


def maximum_p(x, y):
    r"""Elementwise maximum :math:`z = \max(x, y)`.

    VJP: :math:`g` goes to the larger argument; at ties each gets :math:`g/2`
    (as ``torch.maximum``).
    """
    return np.maximum(x, y)


VJP_RULES[maximum_p] = (
    lambda g, ans, x, y: unbroadcast(g * ((x > y) + 0.5 * (x == y)), np.shape(x)),
    lambda g, ans, x, y: unbroadcast(g * ((y > x) + 0.5 * (x == y)), np.shape(y)),
)


def minimum_p(x, y):
    r"""Elementwise minimum :math:`z = \min(x, y)`.  VJP: as :func:`maximum_p`, to the smaller."""
    return np.minimum(x, y)


VJP_RULES[minimum_p] = (
    lambda g, ans, x, y: unbroadcast(g * ((x < y) + 0.5 * (x == y)), np.shape(x)),
    lambda g, ans, x, y: unbroadcast(g * ((y < x) + 0.5 * (x == y)), np.shape(y)),
)


def where_p(condition, x, y):
    r"""Selection :math:`z = x` where ``condition`` else :math:`y`.

    VJP: :math:`\bar x = g` where the condition holds (0 elsewhere),
    :math:`\bar y = g` elsewhere.  The condition gets no gradient.
    """
    return np.where(condition, x, y)


VJP_RULES[where_p] = (
    None,
    lambda g, ans, c, x, y: unbroadcast(np.where(c, g, 0), np.shape(x)),
    lambda g, ans, c, x, y: unbroadcast(np.where(c, 0, g), np.shape(y)),
)


# -- elementwise functions ---------------------------------------------------

def exp_p(x):
    r"""Exponential :math:`z = e^x`.  VJP: :math:`\bar x = g \odot z`."""
    return np.exp(x)


VJP_RULES[exp_p] = (lambda g, ans, x: g * ans,)


def log_p(x):
    r"""Natural logarithm :math:`z = \log x`.  VJP: :math:`\bar x = g / x`."""
    return np.log(x)


VJP_RULES[log_p] = (lambda g, ans, x: g / x,)


def sqrt_p(x):
    r"""Square root :math:`z = \sqrt{x}`.  VJP: :math:`\bar x = g / (2z)`."""
    return np.sqrt(x)


VJP_RULES[sqrt_p] = (lambda g, ans, x: g / (2 * ans),)


def abs_p(x):
    r"""Absolute value :math:`z = |x|`.  VJP: :math:`\bar x = g\,\operatorname{sign}(x)` (0 at 0)."""
    return np.abs(x)


VJP_RULES[abs_p] = (lambda g, ans, x: g * np.sign(x),)


def tanh_p(x):
    r"""Hyperbolic tangent :math:`z = \tanh x`.  VJP: :math:`\bar x = g \odot (1 - z^2)`."""
    return np.tanh(x)


VJP_RULES[tanh_p] = (lambda g, ans, x: g * (1 - ans * ans),)


def sigmoid_p(x):
    r"""Logistic sigmoid :math:`z = \sigma(x) = 1/(1 + e^{-x})`.

    Computed as :math:`e^{-\log(1 + e^{-x})}` with ``np.logaddexp(0, -x)``,
    which never overflows: the textbook formula evaluates :math:`e^{-x}` and
    overflows (with a warning) for :math:`x < -710` in float64, and the
    other textbook form :math:`e^x/(1+e^x)` does so for large positive x.
    VJP: :math:`\bar x = g \odot z (1 - z)`.
    """
    return np.exp(-np.logaddexp(0, -x))


VJP_RULES[sigmoid_p] = (lambda g, ans, x: g * (ans * (1 - ans)),)


def relu_p(x):
    r"""Rectified linear unit :math:`z = \max(0, x)`.

    VJP: :math:`\bar x = g \odot [x > 0]`; as in PyTorch, relu′(0) = 0.  The
    indicator is computed as :math:`\operatorname{sign}(z) \in \{0, 1\}` (z ≥ 0),
    a float array, which multiplies faster than a boolean mask, and is then
    multiplied by g in place (one array of the size of x instead of two).
    """
    return np.maximum(x, 0)


def _relu_vjp(g, ans, x):
    d = np.sign(ans)
    if d.dtype != g.dtype:  # g of a wider dtype: the product takes its dtype
        return g * d
    d *= g
    return d


VJP_RULES[relu_p] = (_relu_vjp,)


def clip_p(x, min, max):
    r"""Clipping :math:`z = \min(\max(x, a), b)` (either bound may be ``None``).

    VJP: :math:`\bar x = g` where :math:`a \le x \le b` (bounds included, as
    ``torch.clamp``), 0 elsewhere.
    """
    return np.clip(x, min, max)


def _clip_vjp(g, ans, x, min, max):
    inside = np.ones(x.shape, dtype=bool)
    if min is not None:
        inside &= x >= min
    if max is not None:
        inside &= x <= max
    return g * inside


VJP_RULES[clip_p] = (_clip_vjp, None, None)


def astype_p(x, dtype):
    r"""Type conversion :math:`z = x` in ``dtype``.  VJP: :math:`\bar x = g` in x's dtype."""
    return x.astype(dtype, copy=False)


VJP_RULES[astype_p] = (lambda g, ans, x, dtype: g.astype(x.dtype, copy=False), None)


# -- reductions ----------------------------------------------------------------

def _expand(g, x, axis, keepdims):
    """Reinsert the reduced axes into g (as length-1 axes) so it broadcasts against x."""
    if axis is None or keepdims:
        return g
    axes = axis if isinstance(axis, tuple) else (axis,)
    shape = list(x.shape)
    for a in axes:
        shape[a] = 1
    return g.reshape(shape)


def _broadcast(g, shape):
    """g broadcast to ``shape``, as a new writeable array (faster than np.broadcast_to + copy)."""
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


def sum_p(x, axis, keepdims):
    r"""Sum :math:`z = \sum_i x_i` over ``axis`` (an int, a tuple or ``None`` for all).

    VJP: every summand gets the adjoint of its sum, :math:`\bar x_i = g`
    (broadcast back over the reduced axes).
    """
    return x.sum(axis=axis, keepdims=keepdims)


VJP_RULES[sum_p] = (
    lambda g, ans, x, axis, keepdims: _broadcast(_expand(g, x, axis, keepdims), x.shape),
    None, None,
)


def mean_p(x, axis, keepdims):
    r"""Mean :math:`z = \frac1n \sum_i x_i` over ``axis``.  VJP: :math:`\bar x_i = g / n`."""
    return x.mean(axis=axis, keepdims=keepdims)


VJP_RULES[mean_p] = (
    lambda g, ans, x, axis, keepdims: _broadcast(
        _expand(g, x, axis, keepdims) / (x.size // max(ans.size, 1)), x.shape),
    None, None,
)


def _extremum_vjp(g, ans, x, axis, keepdims):
    ans = _expand(ans, x, axis, keepdims)
    g = _expand(g, x, axis, keepdims)
    hit = x == ans
    return hit * (g / hit.sum(axis=axis, keepdims=True, dtype=g.dtype))


def max_p(x, axis, keepdims):
    r"""Maximum :math:`z = \max_i x_i` over ``axis`` (values only, like ``torch.amax``).

    VJP: :math:`g` goes to the maximal entries, split equally among ties
    (as ``torch.amax`` and ``torch.max(x)``): :math:`\bar x_i = g [x_i = z] / \#\{j: x_j = z\}`.
    """
    return x.max(axis=axis, keepdims=keepdims)


VJP_RULES[max_p] = (_extremum_vjp, None, None)


def min_p(x, axis, keepdims):
    r"""Minimum over ``axis`` (like ``torch.amin``).  VJP: as :func:`max_p`, to the minimal entries."""
    return x.min(axis=axis, keepdims=keepdims)


VJP_RULES[min_p] = (_extremum_vjp, None, None)


# -- shapes and indexing -----------------------------------------------------------

def reshape_p(x, shape):
    r"""Reshape (same entries, new shape).  VJP: :math:`\bar x` = g reshaped to x's shape."""
    return x.reshape(shape)


VJP_RULES[reshape_p] = (lambda g, ans, x, shape: g.reshape(x.shape), None)


def transpose_p(x, axes):
    r"""Axis permutation :math:`z = x^\top` (``axes=None`` reverses all axes).

    VJP: :math:`\bar x = g` permuted back by the inverse permutation.
    """
    return x.transpose(axes)


VJP_RULES[transpose_p] = (
    lambda g, ans, x, axes: g.transpose(None if axes is None else np.argsort(axes)),
    None,
)


def _is_basic_index(idx):
    """True for ints, slices, None and Ellipsis (and tuples of them): no entry repeats."""
    if isinstance(idx, tuple):
        return all(_is_basic_index(i) for i in idx)
    return idx is None or idx is Ellipsis or isinstance(idx, (int, np.integer, slice))


def getitem_p(x, idx):
    r"""Indexing :math:`z = x[\mathrm{idx}]` (ints, slices, boolean masks, integer arrays).

    VJP: :math:`\bar x` is zero except at the indexed entries, which get
    :math:`g`; an entry indexed several times (integer arrays) gets the sum
    (``np.add.at``).
    """
    return x[idx]


def _getitem_vjp(g, ans, x, idx):
    gx = np.zeros(x.shape, dtype=g.dtype)
    if _is_basic_index(idx) or (isinstance(idx, np.ndarray) and idx.dtype.kind == "b"):
        gx[idx] = g
    else:
        np.add.at(gx, idx, g)
    return gx


VJP_RULES[getitem_p] = (_getitem_vjp, None)


def concatenate_p(axis, *xs):
    r"""Concatenation along ``axis``.  VJP: input k gets its own slice of :math:`g`."""
    return np.concatenate(xs, axis=axis)


def _concatenate_vjp(k, g, ans, axis, *xs):
    start = sum(x.shape[axis] for x in xs[:k])
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + xs[k].shape[axis])
    return g[tuple(index)]


VJP_RULES[concatenate_p] = _concatenate_vjp


def stack_p(axis, *xs):
    r"""Stacking along a new ``axis``.  VJP: input k gets :math:`g` at position k of that axis."""
    return np.stack(xs, axis=axis)


VJP_RULES[stack_p] = lambda k, g, ans, axis, *xs: np.take(g, k, axis=axis)


# ---------------------------------------------------------------------------
# Recording operations
# ---------------------------------------------------------------------------

_FLOAT_KINDS = "f"


def _as_array(data, dtype=None, copy=False):
    """Convert tensor() input to an ndarray: arrays keep their dtype, Python data becomes float64."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, dtype=dtype, copy=True) if copy else np.asarray(data, dtype=dtype)
    else:
        if dtype is None:
            try:
                arr = np.array(data, dtype=np.float64)
            except (TypeError, ValueError) as e:
                raise TypeError(f"tensor: cannot convert {type(data).__name__} to a float64 "
                                f"array ({e})") from None
        else:
            arr = np.array(data, dtype=dtype)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"tensor: unsupported dtype {arr.dtype}; use a boolean, integer or "
                        "floating-point array")
    return arr


def _operand(x):
    """Data of a tensor, or a non-tensor operand as numpy sees it (Python scalars stay weak)."""
    if isinstance(x, (int, float, np.ndarray, np.generic)):
        return x
    if isinstance(x, (list, tuple)):
        return np.array(x, dtype=np.float64)
    raise TypeError(f"unsupported operand type for a Tensor operation: {type(x).__name__}")


def _make(data, fn, inputs, args):
    """A tensor produced by primitive ``fn``; records the graph if ``inputs`` has a tensor."""
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    out = _new_tensor(Tensor)
    out.data = data
    out.grad = None
    out._retain = False
    if inputs is None:
        out._requires_grad = False
        out._inputs = None
        out._fn = None
        out._args = None
    else:
        out._requires_grad = True
        out._inputs = inputs
        out._fn = fn
        out._args = args
        out._seq = _next_seq()
    return out


_new_tensor = object.__new__
_next_seq = itertools.count().__next__  # creation order: inputs are always older than outputs


def _unary(fn, x, *params):
    """Apply primitive ``fn(x.data, *params)`` to the tensor x."""
    xd = x.data
    data = fn(xd, *params)
    if x._requires_grad and _grad_enabled:
        return _make(data, fn, (x,), (xd, *params))
    return _make(data, None, None, None)


def _binary(fn, x, y):
    """Apply primitive ``fn`` to two operands, at least one a tensor."""
    if isinstance(x, Tensor):
        xd = x.data
        if not x._requires_grad:
            x = None
    else:
        xd = _operand(x)
        x = None
    if isinstance(y, Tensor):
        yd = y.data
        if not y._requires_grad:
            y = None
    else:
        yd = _operand(y)
        y = None
    data = fn(xd, yd)
    if (x is not None or y is not None) and _grad_enabled:
        return _make(data, fn, (x, y), (xd, yd))
    return _make(data, None, None, None)


def _apply(fn, *args):
    """General form: apply primitive ``fn`` to ``args``; tensors among them may be differentiated.

    ``mathdl.functional`` uses this for its fused operations.
    """
    inputs = []
    datas = []
    recording = False
    for a in args:
        if isinstance(a, Tensor):
            datas.append(a.data)
            if a._requires_grad:
                inputs.append(a)
                recording = True
                continue
        else:
            datas.append(a)
        inputs.append(None)
    data = fn(*datas)
    if recording and _grad_enabled:
        return _make(data, fn, tuple(inputs), tuple(datas))
    return _make(data, None, None, None)


# ---------------------------------------------------------------------------
# Backward pass
# ---------------------------------------------------------------------------

def _owned(gi, g, like):
    """``gi`` made safe to store in a ``.grad``: an ndarray of ``like``'s dtype, not shared.

    A rule may return the incoming adjoint ``g`` itself (``add``) or a view of
    it (``reshape``); two leaves must not end up sharing one array.
    """
    if type(gi) is not np.ndarray:
        return np.asarray(gi, dtype=like.dtype)
    if gi.dtype != like.dtype:
        return gi.astype(like.dtype)
    if gi is g or gi.base is not None:
        return gi.copy()
    return gi


def _store(node, g):
    """Accumulate the adjoint g into node.grad (PyTorch's accumulation semantics)."""
    if g.dtype != node.data.dtype:
        g = g.astype(node.data.dtype)
    if g.shape != node.data.shape:
        raise RuntimeError(f"backward: internal error, gradient of shape {g.shape} "
                           f"for a tensor of shape {node.data.shape}")
    g = g if node.grad is None else node.grad + g
    node.grad = g if type(g) is np.ndarray else np.asarray(g)  # 0-d sums give numpy scalars


def _backward(root, g):
    """Apply the VJP rules from ``root`` (adjoint ``g``) back to the leaves.

    A node must be visited only after every node that consumed it (a
    topological order).  Every recorded tensor carries its creation number
    ``_seq``, and a tensor is always created after its inputs, so visiting the
    reachable nodes by decreasing ``_seq`` is such an order; a heap yields the
    next one.  No recursion: graphs of any depth work.  Leaves collect their
    summed adjoints and store them in ``.grad`` at the end.
    """
    if root._inputs is None:                  # backward() on a leaf: its gradient is g
        _store(root, g)
        return
    # The adjoints received so far, keyed by the tensors themselves: a Tensor hashes by
    # identity (its == is elementwise, but a dict only calls it for equal hashes, that is
    # for the same tensor).
    grads = {root: g}
    leaves = []
    heap = [(-root._seq, root)]
    heappop, heappush = heapq.heappop, heapq.heappush
    rules_of = VJP_RULES
    while heap:
        node = heappop(heap)[1]
        g = grads.pop(node)
        if node._retain:
            _store(node, g)
        rules = rules_of[node._fn]
        ans = node.data
        args = node._args
        if type(rules) is not tuple:  # variadic primitive (concatenate, stack): bind positions
            rules = (None,) + tuple(partial(rules, k) for k in range(len(args) - 1))
        for rule, inp in zip(rules, node._inputs):  # noqa: B905 - rules may also list params
            if inp is None:
                continue
            gi = rule(g, ans, *args)
            if inp in grads:                   # reached before: sum the adjoints
                grads[inp] = grads[inp] + gi
            elif inp._inputs is None:          # first adjoint reaching a leaf
                if gi is g or type(gi) is not np.ndarray or gi.base is not None:
                    gi = _owned(gi, g, inp.data)
                grads[inp] = gi
                leaves.append(inp)
            else:                              # first adjoint reaching an inner node
                grads[inp] = _owned(gi, g, inp.data) if inp._retain else gi
                heappush(heap, (-inp._seq, inp))
    for leaf in leaves:
        g = grads[leaf]
        data = leaf.data
        if (leaf.grad is None and type(g) is np.ndarray and g.dtype == data.dtype
                and g.shape == data.shape):
            leaf.grad = g                      # the common case, inlined
        else:
            _store(leaf, g)


# ---------------------------------------------------------------------------
# The Tensor
# ---------------------------------------------------------------------------

def _axis(axis, dim, name):
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{name}: give either axis= or dim=, not both")
        axis = dim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis


def _check_axis(axis, ndim, name, shape):
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{name}: axis {a} is out of range for a tensor of shape {shape}")


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``data`` is the numpy array; ``grad`` is ``None`` or a numpy array of the
    same shape and dtype, filled by :meth:`backward` for tensors with
    ``requires_grad=True`` that are leaves (created by the user, not by an
    operation) or that called :meth:`retain_grad`.

    ``Tensor(array)`` wraps an ndarray without copying it; prefer
    :func:`tensor`, which copies (like ``torch.tensor``).
    """

    __slots__ = ("data", "grad", "_requires_grad", "_inputs", "_fn", "_args", "_retain",
                 "_seq", "__weakref__")
    __array_ufunc__ = None  # numpy defers to Tensor's operators: array * tensor is a Tensor

    def __init__(self, data, requires_grad=False, dtype=None):
        data = _as_array(data, dtype)
        if requires_grad and data.dtype.kind not in _FLOAT_KINDS:
            raise RuntimeError("Only Tensors of floating point dtype can require gradients "
                               f"(got {data.dtype})")
        self.data = data
        self.grad = None
        self._requires_grad = bool(requires_grad)
        self._inputs = None
        self._fn = None
        self._args = None
        self._retain = False

    # -- basic properties ---------------------------------------------------
    @property
    def requires_grad(self):
        """Whether gradients with respect to this tensor are computed."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self._inputs is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf tensors; "
                               "use .detach() to get a leaf")
        if value and self.data.dtype.kind not in _FLOAT_KINDS:
            raise RuntimeError("Only Tensors of floating point dtype can require gradients "
                               f"(got {self.data.dtype})")
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self (as PyTorch)."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded operation."""
        return self._inputs is None

    @property
    def grad_fn(self):
        """The primitive that produced this tensor (e.g. ``mul_p``), or None for leaves."""
        return self._fn

    @property
    def shape(self):
        """The shape, a tuple of ints (PyTorch's ``size()``)."""
        return self.data.shape

    @property
    def ndim(self):
        """The number of axes."""
        return self.data.ndim

    @property
    def dtype(self):
        """The numpy dtype."""
        return self.data.dtype

    def size(self, dim=None):
        """The shape (as ``torch.Tensor.size``), or the length of axis ``dim``."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self):
        """The number of axes (as ``torch.Tensor.dim``)."""
        return self.data.ndim

    def numel(self):
        """The number of entries."""
        return self.data.size

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted to Python "
                             f"scalars; this one has shape {self.shape}")
        return self.data.item()

    def numpy(self):
        """The underlying numpy array (shared, not copied)."""
        return self.data

    def tolist(self):
        """The entries as (nested) Python lists."""
        return self.data.tolist()

    def detach(self):
        """A new leaf tensor sharing ``data``, outside the graph (``requires_grad=False``)."""
        return _make(self.data, None, None, None)

    def retain_grad(self):
        """Ask backward() to store this non-leaf tensor's gradient in ``.grad`` too."""
        if self._inputs is not None:
            self._retain = True
        return self

    def zero_(self):
        """Set every entry of ``data`` to 0, in place."""
        self.data[...] = 0
        return self

    def fill_(self, value):
        """Set every entry of ``data`` to ``value``, in place."""
        self.data[...] = value
        return self

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = ""
        if self.data.dtype != np.float64:
            extras += f", dtype={self.data.dtype}"
        if self._requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"bool(): the truth value of a tensor of shape {self.shape} "
                               "is ambiguous; use .any() or .all()")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        if dtype is None:
            return self.data
        return self.data.astype(dtype)

    __hash__ = object.__hash__

    # -- backward -------------------------------------------------------------
    def backward(self, grad=None):
        """Reverse mode: accumulate :math:`\\partial(\\text{self})/\\partial x` into ``x.grad``.

        For a scalar tensor, ``grad`` defaults to 1.  For a non-scalar tensor
        :math:`z`, pass the adjoint ``grad`` :math:`= \\bar z` (same shape);
        leaves then receive the vector-Jacobian product :math:`J^\\top \\bar z`.
        """
        if not self._requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no graph "
                               "(was it computed under no_grad(), or from tensors without "
                               "requires_grad=True?)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar "
                                   f"outputs, but this tensor has shape {self.shape}; pass "
                                   f"backward(grad) with grad of that shape, or reduce first "
                                   f"(e.g. .sum())")
            g = np.array(1, dtype=self.data.dtype)
            if self.data.ndim:  # a one-element tensor of shape (1,), (1, 1) ...
                g = g.reshape(self.data.shape)
        else:
            g = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
            if g.shape != self.data.shape:
                raise RuntimeError(f"backward: grad has shape {g.shape} but the tensor has "
                                   f"shape {self.data.shape}")
            g = np.array(g, dtype=self.data.dtype, copy=True)
        _backward(self, g)

    # -- arithmetic --------------------------------------------------------------
    def __add__(self, other):
        return _binary(add_p, self, other)

    def __radd__(self, other):
        return _binary(add_p, other, self)

    def __sub__(self, other):
        return _binary(sub_p, self, other)

    def __rsub__(self, other):
        return _binary(sub_p, other, self)

    def __mul__(self, other):
        return _binary(mul_p, self, other)

    def __rmul__(self, other):
        return _binary(mul_p, other, self)

    def __truediv__(self, other):
        return _binary(div_p, self, other)

    def __rtruediv__(self, other):
        return _binary(div_p, other, self)

    def __pow__(self, other):
        return _binary(pow_p, self, other)

    def __rpow__(self, other):
        return _binary(pow_p, other, self)

    def __matmul__(self, other):
        return _binary(matmul_p, self, other)

    def __rmatmul__(self, other):
        return _binary(matmul_p, other, self)

    def __neg__(self):
        return _unary(neg_p, self)

    def __pos__(self):
        return self

    def pow(self, exponent):
        """``self ** exponent``."""
        return _binary(pow_p, self, exponent)

    def matmul(self, other):
        """``self @ other``."""
        return _binary(matmul_p, self, other)

    # -- comparisons: boolean tensors, outside the graph --------------------------
    def _compare(self, other, op):
        od = other.data if isinstance(other, Tensor) else _operand(other)
        return _make(op(self.data, od), None, None, None)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    # -- elementwise functions ------------------------------------------------------
    def exp(self):
        """:math:`e^x` elementwise."""
        return _unary(exp_p, self)

    def log(self):
        """Natural logarithm elementwise."""
        return _unary(log_p, self)

    def sqrt(self):
        """Square root elementwise."""
        return _unary(sqrt_p, self)

    def abs(self):
        """Absolute value elementwise."""
        return _unary(abs_p, self)

    def tanh(self):
        """Hyperbolic tangent elementwise."""
        return _unary(tanh_p, self)

    def sigmoid(self):
        """Logistic sigmoid elementwise (stable for any input)."""
        return _unary(sigmoid_p, self)

    def relu(self):
        """max(0, x) elementwise, with relu′(0) = 0."""
        return _unary(relu_p, self)

    def clip(self, min=None, max=None):
        """Clip entries to [min, max] (``torch.clamp``)."""
        return clip(self, min, max)

    clamp = clip

    def maximum(self, other):
        """Elementwise maximum with ``other``."""
        return _binary(maximum_p, self, other)

    def minimum(self, other):
        """Elementwise minimum with ``other``."""
        return _binary(minimum_p, self, other)

    def astype(self, dtype):
        """A copy converted to ``dtype`` (differentiable between float types)."""
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if dtype.kind not in _FLOAT_KINDS:
            return _make(self.data.astype(dtype), None, None, None)
        return _unary(astype_p, self, dtype)

    def float(self):
        """Convert to float32 (as ``torch.Tensor.float``)."""
        return self.astype(np.float32)

    def double(self):
        """Convert to float64."""
        return self.astype(np.float64)

    # -- reductions --------------------------------------------------------------------
    def _reduce(self, fn, name, axis, keepdims, dim, keepdim):
        axis = _axis(axis, dim, name)
        if keepdim is not None:
            keepdims = keepdim
        if axis is not None:
            _check_axis(axis, self.data.ndim, name, self.shape)
        if fn in (max_p, min_p) and self.data.size == 0:
            raise ValueError(f"{name}: cannot reduce an empty tensor of shape {self.shape}")
        return _unary(fn, self, axis, bool(keepdims))

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Sum over ``axis`` (int, tuple or None for all); PyTorch's ``dim``/``keepdim`` also work."""
        return self._reduce(sum_p, "sum", axis, keepdims, dim, keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Mean over ``axis``."""
        if self.data.dtype.kind not in _FLOAT_KINDS:
            return self.double().mean(axis, keepdims, dim=dim, keepdim=keepdim)
        return self._reduce(mean_p, "mean", axis, keepdims, dim, keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Maximum over ``axis`` (values only, like ``torch.amax``); ties share the gradient."""
        return self._reduce(max_p, "max", axis, keepdims, dim, keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Minimum over ``axis`` (values only, like ``torch.amin``)."""
        return self._reduce(min_p, "min", axis, keepdims, dim, keepdim)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the maxima (an integer tensor, outside the graph)."""
        axis = _axis(axis, dim, "argmax")
        keepdims = keepdims if keepdim is None else keepdim
        return _make(np.argmax(self.data, axis=axis, keepdims=keepdims), None, None, None)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the minima (an integer tensor, outside the graph)."""
        axis = _axis(axis, dim, "argmin")
        keepdims = keepdims if keepdim is None else keepdim
        return _make(np.argmin(self.data, axis=axis, keepdims=keepdims), None, None, None)

    # -- shapes ---------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same entries in a new shape (``reshape(2, 3)`` or ``reshape((2, 3))``; -1 allowed)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            return _unary(reshape_p, self, shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} "
                             f"({self.data.size} entries) into shape {shape}") from None

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge axes start_dim..end_dim into one (as ``torch.flatten``)."""
        shape = self.shape
        if not shape:
            return self.reshape(1)
        s = start_dim % len(shape)
        e = end_dim % len(shape)
        return self.reshape(shape[:s] + (-1,) + shape[e + 1:])

    def unsqueeze(self, dim):
        """Insert an axis of length 1 at ``dim``."""
        return self.reshape(np.expand_dims(self.data, dim).shape)

    def squeeze(self, dim=None):
        """Remove axes of length 1 (all, or only ``dim``)."""
        return self.reshape(np.squeeze(self.data, axis=dim).shape)

    def transpose(self, dim0=None, dim1=None):
        """Swap axes ``dim0`` and ``dim1`` (PyTorch); without arguments, reverse all axes."""
        if dim0 is None and dim1 is None:
            return _unary(transpose_p, self, None)
        if dim0 is None or dim1 is None:
            raise TypeError("transpose: give both dim0 and dim1 (or neither, to reverse all axes)")
        axes = list(range(self.data.ndim))
        try:
            axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        except IndexError:
            raise ValueError(f"transpose: dims ({dim0}, {dim1}) are out of range for a tensor "
                             f"of shape {self.shape}") from None
        return _unary(transpose_p, self, tuple(axes))

    def permute(self, *dims):
        """Permute the axes (``permute(2, 0, 1)``)."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        if sorted(d % max(self.data.ndim, 1) for d in dims) != list(range(self.data.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the axes of a tensor "
                             f"of shape {self.shape}")
        return _unary(transpose_p, self, tuple(dims))

    @property
    def T(self):
        """All axes reversed (the matrix transpose for 2-D tensors)."""
        return _unary(transpose_p, self, None)

    @property
    def mT(self):
        """The last two axes swapped (a batch of matrix transposes)."""
        return self.transpose(-2, -1)

    def __getitem__(self, idx):
        if isinstance(idx, Tensor):
            idx = idx.data
        elif isinstance(idx, tuple):
            idx = tuple(i.data if isinstance(i, Tensor) else i for i in idx)
        elif isinstance(idx, list):
            idx = np.asarray(idx)
        try:
            return _unary(getitem_p, self, idx)
        except IndexError as e:
            raise IndexError(f"index: {e} (tensor of shape {self.shape})") from None


    def __setitem__(self, idx, value):
        """In-place assignment to entries of ``data``; only outside the graph (as PyTorch).

        Allowed for tensors that do not require a gradient, and under
        :class:`no_grad` (e.g. to initialise a parameter).  In-place changes of
        a recorded computation cannot be differentiated, so they are refused.
        """
        if self._requires_grad and _grad_enabled:
            raise RuntimeError("a tensor that requires grad cannot be modified in place; "
                               "wrap the assignment in `with mdl.no_grad():` or assign to "
                               "`.data`")
        if isinstance(idx, Tensor):
            idx = idx.data
        self.data[idx] = value.data if isinstance(value, Tensor) else value


# ---------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------

def tensor(data, requires_grad=False, dtype=None):
    """A new leaf tensor holding a copy of ``data`` (as ``torch.tensor``).

    numpy arrays keep their dtype; Python scalars, lists and tuples become
    float64 unless ``dtype`` is given.  ``requires_grad=True`` needs a
    floating-point dtype.
    """
    t = Tensor.__new__(Tensor)
    Tensor.__init__(t, _as_array(data, dtype, copy=True), requires_grad)
    return t


def _t(x, name):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float, np.ndarray, np.generic, list, tuple)):
        return Tensor(_as_array(x))
    raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")


def exp(x):
    """:math:`e^x` elementwise."""
    return _unary(exp_p, _t(x, "exp"))


def log(x):
    """Natural logarithm elementwise."""
    return _unary(log_p, _t(x, "log"))


def sqrt(x):
    """Square root elementwise."""
    return _unary(sqrt_p, _t(x, "sqrt"))


def abs(x):  # noqa: A001 - mirrors torch.abs
    """Absolute value elementwise."""
    return _unary(abs_p, _t(x, "abs"))


def tanh(x):
    """Hyperbolic tangent elementwise."""
    return _unary(tanh_p, _t(x, "tanh"))


def sigmoid(x):
    """Logistic sigmoid :math:`1/(1+e^{-x})` elementwise, stable for any x."""
    return _unary(sigmoid_p, _t(x, "sigmoid"))


def relu(x):
    """max(0, x) elementwise, relu′(0) = 0."""
    return _unary(relu_p, _t(x, "relu"))


def matmul(x, y):
    """Matrix product ``x @ y``."""
    return _binary(matmul_p, _t(x, "matmul"), y)


def maximum(x, y):
    """Elementwise maximum (ties share the gradient equally, as ``torch.maximum``)."""
    return _binary(maximum_p, _t(x, "maximum"), y)


def minimum(x, y):
    """Elementwise minimum."""
    return _binary(minimum_p, _t(x, "minimum"), y)


def clip(x, min=None, max=None):  # noqa: A002 - torch.clamp's argument names
    """Clip ``x`` to [min, max] (``torch.clamp``); the gradient passes where min ≤ x ≤ max."""
    x = _t(x, "clip")
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        raise TypeError("clip: min and max must be numbers or arrays, not Tensors "
                        "(use maximum/minimum for tensor bounds)")
    return _unary(clip_p, x, min, max)


clamp = clip


def where(condition, x, y):
    """``x`` where ``condition`` holds, else ``y`` (broadcasting); no gradient to the condition."""
    if isinstance(condition, Tensor):
        condition = condition.data
    condition = np.asarray(condition)
    if condition.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {condition.dtype}")
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = _t(x, "where")
    try:
        return _apply(where_p, condition, x, y)
    except ValueError:
        raise ValueError(f"where: shapes do not broadcast: condition {condition.shape}, "
                         f"x {np.shape(getattr(x, 'data', x))}, "
                         f"y {np.shape(getattr(y, 'data', y))}") from None


def _join(fn, name, tensors, axis):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}: expected a list or tuple of tensors")
    if len(tensors) == 0:
        raise ValueError(f"{name}: expected a non-empty list of tensors")
    tensors = [_t(t, name) for t in tensors]
    try:
        return _apply(fn, axis, *tensors)
    except (ValueError, np.exceptions.AxisError):
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"{name}: cannot join tensors of shapes {shapes} along axis "
                         f"{axis}") from None


def concatenate(tensors, axis=None, *, dim=None):
    """Join tensors along an existing axis, default 0 (``torch.cat``; ``dim`` is an alias)."""
    axis = _axis(axis, dim, "concatenate")
    return _join(concatenate_p, "concatenate", tensors, 0 if axis is None else axis)


def cat(tensors, dim=0):
    """PyTorch's name for :func:`concatenate`."""
    return _join(concatenate_p, "cat", tensors, dim)


def stack(tensors, axis=None, *, dim=None):
    """Join tensors of equal shape along a new axis, default 0 (``dim`` is an alias)."""
    axis = _axis(axis, dim, "stack")
    return _join(stack_p, "stack", tensors, 0 if axis is None else axis)


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def zeros(*shape, dtype=None, requires_grad=False):
    """A tensor of zeros (float64 unless ``dtype``): ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return Tensor(np.zeros(_shape(shape), dtype=dtype or np.float64), requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    """A tensor of ones (float64 unless ``dtype``)."""
    return Tensor(np.ones(_shape(shape), dtype=dtype or np.float64), requires_grad)


def zeros_like(x, dtype=None, requires_grad=False):
    """Zeros with the shape (and dtype, unless given) of ``x``."""
    return Tensor(np.zeros_like(_as_array(x), dtype=dtype), requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    """Ones with the shape (and dtype, unless given) of ``x``."""
    return Tensor(np.ones_like(_as_array(x), dtype=dtype), requires_grad)


def randn(*shape, rng=None, dtype=None, requires_grad=False):
    """Standard normal entries drawn from ``rng`` (a ``np.random.Generator``; a fresh one if None)."""
    rng = np.random.default_rng() if rng is None else rng
    data = rng.standard_normal(_shape(shape))
    if dtype is not None:
        data = data.astype(dtype)
    return Tensor(data, requires_grad)


def rand(*shape, rng=None, dtype=None, requires_grad=False):
    """Uniform entries on [0, 1) drawn from ``rng`` (a fresh generator if None)."""
    rng = np.random.default_rng() if rng is None else rng
    data = rng.random(_shape(shape))
    if dtype is not None:
        data = data.astype(dtype)
    return Tensor(data, requires_grad)


def arange(*args, dtype=None):
    """``np.arange`` as a tensor (integer arguments give an integer tensor, as in PyTorch)."""
    return Tensor(np.arange(*args, dtype=dtype))
