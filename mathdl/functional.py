r"""Activations and losses with PyTorch's names (``torch.nn.functional``), in stable forms.

Like :mod:`mathdl.autograd`, each operation is a primitive on numpy arrays
followed by its VJPs, registered in the same table
``mathdl.autograd.VJP_RULES``.  Softmax, log-softmax, logsumexp and the
losses are *fused*: one node each, with the short closed-form VJP the book
derives (for cross-entropy, :math:`\bar z = (\operatorname{softmax}(z) - y)\,g/B`),
instead of a chain of exp/sum/log nodes.  That is faster, and it is stable:
the composed formulas overflow at logits of about 710 in float64 (89 in
float32), these do not even at :math:`\pm 10^4`.

:func:`linear` fuses :math:`Z = XW + b` into one node in the same way (with
the book's layout of :math:`W`, see there).

Conventions follow PyTorch: the class axis is ``dim`` (default the last for
softmax-like functions, 1 for losses on ``(B, C)`` logits), and losses take
``reduction='mean' | 'sum' | 'none'``.
"""

from __future__ import annotations

import math

import numpy as np

from .autograd import (
    VJP_RULES,
    Tensor,
    _apply,
    _make,
    _ones,
    is_grad_enabled,
    relu,
    sigmoid,
    tanh,
    unbroadcast,
)

__all__ = [
    "relu", "sigmoid", "tanh", "linear", "softmax", "log_softmax", "logsumexp",
    "mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy_with_logits",
]

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name, reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: unknown reduction {reduction!r}; valid options are "
                         + ", ".join(repr(r) for r in REDUCTIONS))


def _tensor(x, name):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic, list, tuple, int, float)):
        return Tensor(np.asarray(x, dtype=None if isinstance(x, np.ndarray) else np.float64))
    raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")


def _dim(dim, ndim, name, shape):
    if not isinstance(dim, (int, np.integer)) or not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"{name}: dim {dim} is out of range for a tensor of shape {shape}")
    return dim


def _lse(z, dim):
    """log Σ exp along dim, keepdims, computed as m + log Σ exp(z - m) with m = max."""
    # (np.maximum.reduce and np.add.reduce are z.max and .sum without their Python wrappers)
    m = np.maximum.reduce(z, axis=dim, keepdims=True)
    if math.isfinite(np.add.reduce(m, axis=None)):   # the usual case: every row has a finite max
        return m + np.log(np.add.reduce(np.exp(z - m), axis=dim, keepdims=True))
    m = np.where(np.isfinite(m), m, 0)          # rows of all -inf (or with +inf): no shift
    with np.errstate(divide="ignore"):          # log(0) = -inf is the right answer there
        return m + np.log(np.exp(z - m).sum(axis=dim, keepdims=True))


# ---------------------------------------------------------------------------
# linear layer
# ---------------------------------------------------------------------------

def linear_p(X, W, b):
    r"""Affine map :math:`Z = XW + b` with :math:`W \in \mathbb{R}^{d\times m}` (the book's layout).

    One node instead of two (``X @ W`` then ``+ b``), and one array of the size
    of :math:`Z` instead of two.
    VJP: :math:`\bar X = g W^\top`, :math:`\bar W = X^\top g`, :math:`\bar b = \sum_{\text{rows}} g`
    (batch axes of :math:`X` beyond the first are summed too).
    """
    Z = X @ W
    if b is not None:
        Z += b
    return Z


def _linear_vjp_W(g, ans, X, W, b):
    if X.ndim == 1:
        return np.multiply.outer(X, g)
    if X.ndim > 2:
        X, g = X.reshape(-1, X.shape[-1]), g.reshape(-1, g.shape[-1])
    return X.T @ g


def _linear_vjp_b(g, ans, X, W, b):
    if g.ndim == 2 and g.dtype.itemsize >= 4:
        # the column sums of g, as a product with a vector of ones: BLAS does it several
        # times faster than g.sum(axis=0)
        return _ones(g.shape[0], g.dtype) @ g
    return unbroadcast(g, b.shape)


VJP_RULES[linear_p] = (
    lambda g, ans, X, W, b: g @ W.T,
    _linear_vjp_W,
    _linear_vjp_b,
)


def _linear(X, W, b):
    """The graph node of ``linear_p`` for tensors X, W and b (or None), shapes already checked.

    The same as ``_apply(linear_p, X, W, b)``, spelled out: this is the hottest node of
    an MLP, and for small layers such per-node Python work costs more than the arithmetic.
    """
    Xd, Wd = X.data, W.data
    bd = None if b is None else b.data
    Z = linear_p(Xd, Wd, bd)
    x_in = X if X._requires_grad else None
    w_in = W if W._requires_grad else None
    b_in = b if b is not None and b._requires_grad else None
    if (x_in is None and w_in is None and b_in is None) or not is_grad_enabled():
        return _make(Z, None, None, None)
    return _make(Z, linear_p, (x_in, w_in, b_in), (Xd, Wd, bd))


def linear(input, weight, bias=None):
    """:math:`Z = XW + b` for ``input`` X of shape (..., d), ``weight`` W (d, m), ``bias`` b (m,).

    Note the layout: mathdl's ``Linear`` stores W as (in_features, out_features)
    like the book, the transpose of PyTorch's ``weight``; ``F.linear`` in
    PyTorch computes :math:`XW^\top + b` with W of shape (m, d).
    """
    X = _tensor(input, "linear")
    xs, ws = X.shape, np.shape(getattr(weight, "data", weight))
    if len(ws) != 2 or len(xs) == 0 or xs[-1] != ws[0]:
        raise ValueError(f"linear: input of shape {xs} does not match weight of shape {ws} "
                         "(expected input (..., d) and weight (d, m))")
    if bias is not None:
        bs = np.shape(getattr(bias, "data", bias))
        if bs not in ((ws[1],), ()):
            raise ValueError(f"linear: bias of shape {bs} does not match weight of shape {ws} "
                             f"(expected ({ws[1]},))")
    if isinstance(weight, Tensor) and (bias is None or isinstance(bias, Tensor)):
        return _linear(X, weight, bias)
    return _apply(linear_p, X, weight, bias)  # arrays or numbers as constants


# ---------------------------------------------------------------------------
# softmax, log_softmax, logsumexp
# ---------------------------------------------------------------------------

def logsumexp_p(z, dim, keepdim):
    r"""Log-sum-exp :math:`s = \log \sum_i e^{z_i}` along ``dim``.

    Stable form: :math:`s = m + \log \sum_i e^{z_i - m}` with
    :math:`m = \max_i z_i`.  Every exponent is :math:`\le 0`, so nothing
    overflows, and the largest term is :math:`e^0 = 1`, so the sum is at
    least 1 and its log never underflows to :math:`-\infty`.
    VJP: :math:`\bar z_i = g\, e^{z_i - s} = g\,\operatorname{softmax}(z)_i`.
    """
    s = _lse(z, dim)
    return s if keepdim else np.squeeze(s, axis=dim)


def _keep(a, z, dim):
    """``a`` (reduced over ``dim`` of z) with that axis put back with length 1."""
    shape = list(z.shape)
    shape[dim] = 1
    return a.reshape(shape)


VJP_RULES[logsumexp_p] = (
    lambda g, ans, z, dim, keepdim: (g if keepdim else _keep(g, z, dim))
    * np.exp(z - (ans if keepdim else _keep(ans, z, dim))),
    None, None,
)


def softmax_p(z, dim):
    r"""Softmax :math:`p_i = e^{z_i} / \sum_j e^{z_j}` along ``dim``.

    Stable form: :math:`p_i = e^{z_i - m} / \sum_j e^{z_j - m}` with
    :math:`m = \max_j z_j` (softmax is unchanged by a shift; without it
    :math:`e^{z}` overflows for :math:`z > 709` in float64).
    VJP: :math:`\bar z = p \odot (g - \langle g, p\rangle)`, the inner product
    taken along ``dim``.
    """
    e = np.exp(z - np.max(z, axis=dim, keepdims=True))
    return e / np.sum(e, axis=dim, keepdims=True)


VJP_RULES[softmax_p] = (
    lambda g, ans, z, dim: ans * (g - np.sum(g * ans, axis=dim, keepdims=True)),
    None,
)


def log_softmax_p(z, dim):
    r"""Log-softmax :math:`\log p_i = z_i - \operatorname{logsumexp}(z)` along ``dim``.

    Computed as a difference, never as ``log(softmax(z))``: a probability that
    underflows to 0 would give :math:`-\infty`, while :math:`z_i - s` stays
    finite (e.g. :math:`-2\cdot 10^4` for logits :math:`\pm 10^4`).
    VJP: :math:`\bar z = g - p \sum_j g_j`, with :math:`p = e^{\log p}`.
    """
    return z - _lse(z, dim)


VJP_RULES[log_softmax_p] = (
    lambda g, ans, z, dim: g - np.exp(ans) * np.sum(g, axis=dim, keepdims=True),
    None,
)


def softmax(input, dim=-1):
    """Softmax along ``dim`` (stable: shifts by the maximum first, see ``softmax_p``)."""
    x = _tensor(input, "softmax")
    return _apply(softmax_p, x, _dim(dim, x.ndim, "softmax", x.shape))


def log_softmax(input, dim=-1):
    """Log-softmax along ``dim``, as ``z - logsumexp(z)`` (stable, see ``log_softmax_p``)."""
    x = _tensor(input, "log_softmax")
    return _apply(log_softmax_p, x, _dim(dim, x.ndim, "log_softmax", x.shape))


def logsumexp(input, dim=-1, keepdim=False):
    """``log(sum(exp(input), dim))``, stable at any magnitude (see ``logsumexp_p``).

    ``dim`` defaults to the last axis (``torch.logsumexp`` requires it).
    """
    x = _tensor(input, "logsumexp")
    return _apply(logsumexp_p, x, _dim(dim, x.ndim, "logsumexp", x.shape), bool(keepdim))


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------

def _reduce(loss, reduction):
    if reduction == "mean":
        if loss.size:
            return np.add.reduce(loss, axis=None) / loss.size
        return np.full((), np.nan, loss.dtype)  # the mean of nothing, as PyTorch: nan, no warning
    if reduction == "sum":
        return np.add.reduce(loss, axis=None)
    return loss


def _reduce_vjp(g, reduction, n):
    """Adjoint of the per-example loss given the adjoint g of the reduced loss."""
    if reduction == "mean":
        return g / n if n else g  # (n = 0: an empty batch, whose gradient is empty anyway)
    return g  # 'sum': every term gets g; 'none': g already has the per-example shape


def mse_loss_p(y_hat, y, reduction):
    r"""Mean squared error :math:`L = \frac1n \sum_i (\hat y_i - y_i)^2` (or sum, or none).

    VJP: :math:`\bar{\hat y} = 2 (\hat y - y)\, g / n`, :math:`\bar y = -\bar{\hat y}`
    (without the :math:`1/n` for ``'sum'``; elementwise :math:`g` for ``'none'``).
    """
    d = y_hat - y
    return _reduce(d * d, reduction)


def _mse_vjp(g, ans, y_hat, y, reduction):
    return (2 * _reduce_vjp(g, reduction, np.size(y_hat))) * (y_hat - y)


VJP_RULES[mse_loss_p] = (
    lambda g, ans, y_hat, y, reduction: _mse_vjp(g, ans, y_hat, y, reduction),
    lambda g, ans, y_hat, y, reduction: -_mse_vjp(g, ans, y_hat, y, reduction),
    None,
)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error between ``input`` (ŷ) and ``target`` (y), as ``F.mse_loss``.

    The shapes must be equal.  PyTorch only warns and broadcasts, which for
    ŷ of shape (B, 1) and y of shape (B,) silently compares every prediction
    with every target; here that is an error.
    """
    _check_reduction("mse_loss", reduction)
    y_hat = _tensor(input, "mse_loss")
    y = target if isinstance(target, Tensor) else _tensor(target, "mse_loss")
    if y_hat.shape != y.shape:
        raise ValueError(f"mse_loss: input shape {y_hat.shape} and target shape {y.shape} "
                         "differ; broadcasting would compare every prediction with every "
                         "target. Reshape one of them (e.g. y_hat.reshape(-1))")
    return _apply(mse_loss_p, y_hat, y, reduction)


def cross_entropy_p(z, y, reduction, logp):
    r"""Softmax cross-entropy of logits :math:`z \in \mathbb{R}^{B\times C}` (or :math:`\mathbb{R}^C`).

    With class indices :math:`y_b`: :math:`\ell_b = -\log\operatorname{softmax}(z_b)_{y_b}
    = \operatorname{logsumexp}(z_b) - z_{b,y_b}`; with class probabilities
    :math:`y_b \in \Delta^{C}`: :math:`\ell_b = -\sum_c y_{bc} \log\operatorname{softmax}(z_b)_c`.
    ``'mean'`` divides by :math:`B` (for both target kinds, as PyTorch).
    ``logp`` :math:`= \log\operatorname{softmax}(z)` is computed stably by the caller
    (``log_softmax_p``) and kept as the node's residual, so the VJP does not recompute it.

    VJP: :math:`\bar z = (\operatorname{softmax}(z) - y)\, g / B` with :math:`y` one-hot (for
    probabilities, :math:`\operatorname{softmax}(z) \sum_c y_{bc} - y`); with probability
    targets, :math:`\bar y = -\log\operatorname{softmax}(z)\, g / B`.
    """
    if y.dtype.kind in "iu":
        logp_y = _pick(logp, y)
    else:
        logp_y = (y * logp).sum(axis=-1)
    # negated after the reduction (a number, not an array), as 0 - x: the sum over an empty
    # batch is then 0, not -0
    return 0.0 - _reduce(logp_y, reduction)


_ROW_STARTS = {}


def _flat_index(a, y):
    """Flat indices of the entries a[b, y_b] of a C-contiguous (B, C) array: b C + y_b.

    Faster than indexing with ``a[np.arange(B), y]``; the ``b C`` are cached per shape.
    """
    starts = _ROW_STARTS.get(a.shape)
    if starts is None:
        if len(_ROW_STARTS) > 64:
            _ROW_STARTS.clear()
        starts = _ROW_STARTS[a.shape] = np.arange(0, a.size, a.shape[1])
        starts.flags.writeable = False
    return starts + y


def _pick(a, y):
    """The entries a[b, y_b] (or a[y] for 1-D a)."""
    if a.ndim == 1:
        return a[y]
    if a.flags.c_contiguous:
        return a.ravel()[_flat_index(a, y)]
    return a[np.arange(len(y)), y]


def _subtract_one_at(a, y):
    """a[b, y_b] -= 1 in place (a[y] -= 1 for 1-D a): softmax minus one-hot."""
    if a.ndim == 1:
        a[y] -= 1
    elif a.flags.c_contiguous:
        a.ravel()[_flat_index(a, y)] -= 1
    else:
        a[np.arange(len(y)), y] -= 1


def _n_examples(z):
    """The number of examples in a (B, C) array of logits, or 1 for a single (C,) one."""
    return z.shape[0] if z.ndim == 2 else 1


def _ce_scale(g, z, reduction):
    if reduction == "none":
        return g[..., None]
    return _reduce_vjp(g, reduction, _n_examples(z))


def _cross_entropy_vjp_z(g, ans, z, y, reduction, logp):
    p = np.exp(logp)
    if y.dtype.kind in "iu":
        _subtract_one_at(p, y)
    else:
        p = p * y.sum(axis=-1, keepdims=True) - y
    p *= _ce_scale(g, z, reduction)
    return p


VJP_RULES[cross_entropy_p] = (
    _cross_entropy_vjp_z,
    lambda g, ans, z, y, reduction, logp: -logp * _ce_scale(g, z, reduction),
    None, None,
)


def _bad_class(name, z, t):
    C = z.shape[-1]
    bad = t[(t < 0) | (t >= C)].flat[0]
    raise ValueError(f"{name}: target class {bad} is out of range for {C} classes "
                     f"(valid: 0..{C - 1})")


# signed and unsigned integer dtypes -> the unsigned dtype of the same size
_UNSIGNED = {np.dtype(f"{kind}{n}"): np.dtype(f"u{n}") for kind in "iu" for n in (1, 2, 4, 8)}


def _out_of_range(t, C):
    """Whether some class index in t is negative or at least C."""
    unsigned = _UNSIGNED.get(t.dtype)
    if unsigned is None:
        return t.min() < 0 or t.max() >= C
    # one pass: read as unsigned, negative indices are huge
    return np.maximum.reduce(t.view(unsigned), axis=None) >= C


def _class_targets(name, z, target):
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    z_shape = z.data.shape
    if t.dtype.kind in "iu":
        batch = z_shape[:-1]
        if t.shape != batch:
            raise ValueError(f"{name}: class-index target must have shape {batch} for logits "
                             f"of shape {z_shape}, got {t.shape}")
        if t.size and _out_of_range(t, z_shape[-1]):
            _bad_class(name, z, t)      # (negative indices would silently wrap around)
        if t.dtype.kind == "u" and t.dtype.itemsize >= np.dtype(np.intp).itemsize:
            # uint64 + int64 is float64 in numpy, which cannot index: the indices (all below
            # C, checked above) as intp instead
            t = t.astype(np.intp)
        return t
    if t.dtype.kind == "f":
        if t.shape != z_shape:
            raise ValueError(f"{name}: a probability target must have the logits' shape "
                             f"{z_shape}, got {t.shape} (class indices must be an integer "
                             "array)")
        return target if isinstance(target, Tensor) else t
    raise TypeError(f"{name}: target must be integer class indices or float class "
                    f"probabilities, got dtype {t.dtype}")


def cross_entropy(input, target, reduction="mean"):
    """Softmax cross-entropy between logits ``input`` (B, C) or (C,) and ``target``.

    ``target`` is either class indices (an integer array of shape (B,), values
    in 0..C-1) or class probabilities (a float array of the logits' shape), as
    in ``F.cross_entropy``.  One fused, stable node: see ``cross_entropy_p``.
    """
    _check_reduction("cross_entropy", reduction)
    z = _tensor(input, "cross_entropy")
    zd = z.data
    if zd.ndim not in (1, 2):
        raise ValueError(f"cross_entropy: logits must have shape (B, C) or (C,), got {z.shape}")
    y = _class_targets("cross_entropy", z, target)
    logp = log_softmax_p(zd, -1)
    if isinstance(y, Tensor):  # probabilities as a tensor, which may need a gradient too
        return _apply(cross_entropy_p, z, y, reduction, logp)
    # _apply(cross_entropy_p, z, y, reduction, logp), spelled out for this frequent case
    loss = cross_entropy_p(zd, y, reduction, logp)
    if z._requires_grad and is_grad_enabled():
        return _make(loss, cross_entropy_p, (z, None, None, None), (zd, y, reduction, logp))
    return _make(loss, None, None, None)


def nll_loss_p(logp, y, reduction):
    r"""Negative log-likelihood :math:`\ell_b = -\log p_{b, y_b}` of log-probabilities.

    VJP: :math:`\bar{\log p}_{bc} = -g/B` where :math:`c = y_b`, 0 elsewhere.
    """
    loss = -(logp[np.arange(len(y)), y] if logp.ndim == 2 else logp[y])
    return _reduce(loss, reduction)


def _nll_vjp(g, ans, logp, y, reduction):
    out = np.zeros(logp.shape, dtype=np.result_type(logp, g))
    scale = _reduce_vjp(g, reduction, _n_examples(logp))
    if logp.ndim == 2:
        out[np.arange(len(y)), y] = -scale
    else:
        out[y] = -scale
    return out


VJP_RULES[nll_loss_p] = (_nll_vjp, None, None)


def nll_loss(input, target, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (B, C) at class indices ``target``."""
    _check_reduction("nll_loss", reduction)
    logp = _tensor(input, "nll_loss")
    if logp.ndim not in (1, 2):
        raise ValueError(f"nll_loss: input must have shape (B, C) or (C,), got {logp.shape}")
    y = _class_targets("nll_loss", logp, target)
    if y.dtype.kind not in "iu":
        raise TypeError("nll_loss: target must be integer class indices")
    return _apply(nll_loss_p, logp, y, reduction)


def binary_cross_entropy_with_logits_p(z, y, weight, reduction):
    r"""Binary cross-entropy of logits :math:`\ell = -y \log\sigma(z) - (1-y)\log(1-\sigma(z))`.

    Stable form: :math:`\ell = \max(z, 0) - z y + \log(1 + e^{-|z|})`; the
    exponent is :math:`\le 0`, so nothing overflows, and no
    :math:`\log\sigma(z)` of an underflowed :math:`\sigma(z) = 0` appears.
    An optional ``weight`` rescales each term.
    VJP: :math:`\bar z = (\sigma(z) - y)\, w\, g / n`, :math:`\bar y = -z\, w\, g / n`.
    """
    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _bce_scale(g, z, weight, reduction):
    g = _reduce_vjp(g, reduction, np.size(z))
    return g if weight is None else g * weight


VJP_RULES[binary_cross_entropy_with_logits_p] = (
    lambda g, ans, z, y, weight, reduction: unbroadcast(
        (np.exp(-np.logaddexp(0, -z)) - y) * _bce_scale(g, z, weight, reduction), np.shape(z)),
    lambda g, ans, z, y, weight, reduction: unbroadcast(
        -z * _bce_scale(g, z, weight, reduction), np.shape(y)),
    None, None,
)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean"):
    """Sigmoid + binary cross-entropy in one stable node (``F.binary_cross_entropy_with_logits``).

    ``target`` holds probabilities in [0, 1] with the shape of ``input``;
    ``weight`` (optional, broadcastable) rescales each term.
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    z = _tensor(input, "binary_cross_entropy_with_logits")
    y = target if isinstance(target, Tensor) else _tensor(target, "binary_cross_entropy_with_logits")
    if y.shape != z.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {y.shape} must equal "
                         f"input shape {z.shape}")
    if isinstance(weight, Tensor):
        weight = weight.data
    if weight is not None:
        weight = np.asarray(weight)
        try:
            np.broadcast_shapes(weight.shape, z.shape)
        except ValueError:
            raise ValueError(f"binary_cross_entropy_with_logits: weight shape {weight.shape} "
                             f"does not broadcast to input shape {z.shape}") from None
    return _apply(binary_cross_entropy_with_logits_p, z, y, weight, reduction)
