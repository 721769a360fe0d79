r"""Loss landscapes: Hessian-vector products, extreme eigenvalues, 1-D and 2-D slices.

The tools of chapter 10. They work on a scalar loss :math:`L(\boldsymbol\theta)` of
the parameters :math:`\boldsymbol\theta = (\theta_1, \dots, \theta_P)` of a ``mathdl``
model, given in the style of a PyTorch optimizer closure:

* ``params`` is a list of :class:`~mathdl.autograd.Tensor` objects (for instance
  ``list(model.parameters())``), the *live* parameters;
* ``loss_fn`` is a callable of no arguments that computes the loss, as a scalar
  Tensor (or a number), from the **current** values of those tensors.

Functions that evaluate the loss elsewhere (at :math:`\boldsymbol\theta + t\mathbf{v}`, at
points of a slice) set ``p.data`` temporarily and always restore the original arrays,
also when ``loss_fn`` raises. A *direction* is a list of numpy arrays with the shapes of
``params``.

**Hessian-vector products.** The Hessian :math:`H = \nabla^2 L(\boldsymbol\theta)` has
:math:`P^2` entries, too many to form for a network, but a product :math:`H\mathbf{v}` is
cheap. Pearlmutter (1994) computes it exactly, at the cost of about one more gradient,
with forward-over-reverse differentiation; that needs an autograd that can differentiate
its own backward pass, which ``mathdl.autograd`` cannot. We use instead the central
difference of two reverse-mode gradients along :math:`\mathbf{v}`,

.. math::

    H\mathbf{v} \approx \frac{\nabla L(\boldsymbol\theta + t\mathbf{v})
    - \nabla L(\boldsymbol\theta - t\mathbf{v})}{2t},

whose error is :math:`O(t^2)` (it involves the third derivatives of :math:`L`) plus a
rounding error :math:`O(\varepsilon/t)`. It is exact up to rounding when :math:`L` is
quadratic. The step is chosen so that the perturbation has norm
:math:`\|t\mathbf{v}\| =` ``eps`` (default :math:`10^{-5}`, near the optimum
:math:`\varepsilon^{1/3}` of a central difference in float64).
For piecewise-linear networks (ReLU) the gradient jumps where a unit changes sign; a
perturbation that crosses a kink gives a wrong product, so keep ``eps`` small.

**Eigenvalues.** :func:`hessian_eigs` finds a few extreme eigenvalues of :math:`H` with the
Lanczos method, which needs only products :math:`H\mathbf{v}` (Dauphin et al. 2014 use
the spectrum of the Hessian to tell saddle points from minima).

**Slices.** :func:`interpolate_1d` evaluates the loss on the segment between two
solutions and :func:`slice_2d` on a plane :math:`\boldsymbol\theta + \alpha\mathbf{d}_1 +
\beta\mathbf{d}_2`; :func:`filter_normalize` rescales a random direction filter by filter
as Li et al. (2018) propose, so that slices of networks whose weights differ only by a
layer-wise rescaling look the same.

References: B. A. Pearlmutter, *Fast exact multiplication by the Hessian*, Neural
Computation 6 (1994); Y. Dauphin et al., *Identifying and attacking the saddle point
problem in high-dimensional non-convex optimization*, NIPS 2014; H. Li et al.,
*Visualizing the loss landscape of neural nets*, NeurIPS 2018.
"""

from __future__ import annotations

import numbers

import numpy as np

from .autograd import Tensor, enable_grad, no_grad

__all__ = [
    "gradient", "hvp", "hessian", "hessian_eigs", "random_direction", "filter_normalize",
    "interpolate_1d", "slice_2d",
]

_BIAS_MODES = ("zero", "norm")
_WHICH = ("largest", "smallest")


# --------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------
def _shape_text(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _check_params(params, op):
    """``params`` as a list of float Tensors (a generator such as model.parameters() is fine)."""
    if isinstance(params, Tensor):
        params = [params]
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{op}: params must be a list of Tensors, got "
                        f"{type(params).__name__}") from None
    if not params:
        raise ValueError(f"{op}: params is empty")
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: params[{i}] is a {type(p).__name__}, expected a Tensor "
                            "(e.g. list(model.parameters()))")
        if p.data.dtype.kind != "f":
            raise TypeError(f"{op}: params[{i}] has dtype {p.data.dtype}, expected a float dtype")
    return params


def _check_direction(direction, shapes, op, name="direction"):
    """``direction`` as a list of float64 arrays with the given shapes, or a clear error."""
    if isinstance(direction, (np.ndarray, Tensor)):
        direction = [direction]
    try:
        direction = list(direction)
    except TypeError:
        raise TypeError(f"{op}: {name} must be a list of arrays, got "
                        f"{type(direction).__name__}") from None
    if len(direction) != len(shapes):
        raise ValueError(f"{op}: {name} has {len(direction)} arrays but there are "
                         f"{len(shapes)} parameters")
    out = []
    for i, (d, shape) in enumerate(zip(direction, shapes, strict=True)):
        arr = np.asarray(d.data if isinstance(d, Tensor) else d, dtype=np.float64)
        if arr.shape != tuple(shape):
            raise ValueError(f"{op}: {name}[{i}] has shape {_shape_text(arr.shape)}, but "
                             f"parameter {i} has shape {_shape_text(tuple(shape))}")
        out.append(arr)
    return out


def _check_grid(values, op, name):
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{op}: {name} must be a non-empty 1-D sequence of numbers, "
                         f"got shape {_shape_text(arr.shape)}")
    return arr


def _check_rng(rng, op):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{op}: rng must be a np.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    return rng


def _loss_value(loss_fn, op):
    out = loss_fn()
    value = out.data if isinstance(out, Tensor) else out
    arr = np.asarray(value, dtype=np.float64)
    if arr.size != 1:
        raise ValueError(f"{op}: loss_fn() must return a scalar, got shape {_shape_text(arr.shape)}")
    return float(arr.reshape(-1)[0])


def _norm(arrays):
    return float(np.sqrt(sum(float(np.sum(a * a)) for a in arrays)))


class _Moved:
    """Context manager: set each ``p.data`` to the given arrays, restore the originals on exit."""

    def __init__(self, params, arrays):
        self.params = params
        self.arrays = arrays

    def __enter__(self):
        self.saved = [p.data for p in self.params]
        for p, a in zip(self.params, self.arrays, strict=True):
            p.data = np.asarray(a, dtype=p.data.dtype)
        return self

    def __exit__(self, *exc):
        for p, a in zip(self.params, self.saved, strict=True):
            p.data = a
        return False


# --------------------------------------------------------------------------------------
# gradients and Hessian-vector products
# --------------------------------------------------------------------------------------
def gradient(loss_fn, params):
    r"""The gradient :math:`\nabla L(\boldsymbol\theta)` as a list of numpy arrays, one per parameter.

    Runs ``loss_fn()`` and ``backward()`` once. The parameters' ``.grad`` attributes are left
    as they were before the call (the gradient is returned, not accumulated).

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn()`` returns the scalar loss Tensor computed from ``params``.
    params : list
        The Tensors to differentiate with respect to.

    Returns
    -------
    list
        float64 arrays with the shapes of ``params`` (zeros where the loss does not depend on
        a parameter).
    """
    op = "gradient"
    params = _check_params(params, op)
    saved = [(p.grad, p.requires_grad) for p in params]
    try:
        for p in params:
            p.grad = None
            p.requires_grad = True
        with enable_grad():
            loss = loss_fn()
        if not isinstance(loss, Tensor):
            raise TypeError(f"{op}: loss_fn() must return a Tensor (to call backward), got "
                            f"{type(loss).__name__}")
        if loss.data.size != 1:
            raise ValueError(f"{op}: loss_fn() must return a scalar, got shape "
                             f"{_shape_text(loss.shape)}")
        if loss.requires_grad:
            loss.backward()
        return [np.zeros(p.shape) if p.grad is None else np.array(p.grad, dtype=np.float64)
                for p in params]
    finally:
        for p, (g, rg) in zip(params, saved, strict=True):
            p.grad = g
            p.requires_grad = rg


def hvp(loss_fn, params, v, eps=1e-5):
    r"""Hessian-vector product :math:`H\mathbf{v}` by a central difference of gradients.

    .. math::

        H\mathbf{v} \approx \frac{\nabla L(\boldsymbol\theta + h\mathbf{v})
        - \nabla L(\boldsymbol\theta - h\mathbf{v})}{2h}, \qquad h = \varepsilon_{\rm step} / \|\mathbf{v}\|,

    with error :math:`O(h^2\|\mathbf{v}\|^3)` from the third derivatives of :math:`L`
    (none for a quadratic loss) plus rounding. Cost: two gradients. This replaces
    Pearlmutter's (1994) exact forward-over-reverse product, which would need
    double-backward support in ``mathdl.autograd``.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn()`` returns the scalar loss Tensor computed from ``params``.
    params : list
        The parameter Tensors (their values are :math:`\boldsymbol\theta`; restored on exit).
    v : list
        The direction: arrays with the shapes of ``params``.
    eps : float
        Norm of the perturbation :math:`h\mathbf{v}` (default 1e-5).

    Returns
    -------
    list
        :math:`H\mathbf{v}` as float64 arrays with the shapes of ``params``.
    """
    op = "hvp"
    params = _check_params(params, op)
    v = _check_direction(v, [p.shape for p in params], op, "v")
    if not isinstance(eps, numbers.Real) or not eps > 0:
        raise ValueError(f"hvp: eps must be a positive number, got {eps!r}")
    nv = _norm(v)
    if nv == 0:
        return [np.zeros_like(a) for a in v]
    t = float(eps) / nv
    theta = [np.asarray(p.data, dtype=np.float64) for p in params]
    with _Moved(params, [th + t * d for th, d in zip(theta, v, strict=True)]):
        g_plus = gradient(loss_fn, params)
    with _Moved(params, [th - t * d for th, d in zip(theta, v, strict=True)]):
        g_minus = gradient(loss_fn, params)
    return [(gp - gm) / (2 * t) for gp, gm in zip(g_plus, g_minus, strict=True)]


def _flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def _unflat(vec, shapes):
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape, dtype=np.int64))
        out.append(vec[start:start + size].reshape(shape))
        start += size
    return out


def hessian(f, x, eps=1e-5):
    r"""The dense Hessian of a scalar function of one array, for small problems.

    Column :math:`i` is the Hessian-vector product :math:`H\mathbf{e}_i` (:func:`hvp`), so the
    cost is :math:`2n` gradients for :math:`n` = ``x.size``; the result is symmetrised,
    :math:`(H + H^\top)/2`.

    Parameters
    ----------
    f : callable
        ``f(w)`` takes a Tensor ``w`` of the shape of ``x`` and returns a scalar Tensor, built
        from ``mathdl`` operations (e.g. ``lambda w: 5 * w[0]**2 - w[1]**2``).
    x : np.ndarray
        The point (any shape; the Hessian is over its flattened entries).
    eps : float
        Step of the gradient differences (default 1e-5).

    Returns
    -------
    np.ndarray
        The symmetric :math:`n \times n` matrix :math:`\partial^2 f / \partial x_i \partial x_j`.
    """
    if not callable(f):
        raise TypeError(f"hessian: f must be callable, got {type(f).__name__}")
    x = np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
    w = Tensor(x, requires_grad=True)
    n = x.size
    H = np.empty((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = 1.0
        H[:, i] = hvp(lambda: f(w), [w], [e.reshape(x.shape)], eps=eps)[0].ravel()
    return (H + H.T) / 2


def hessian_eigs(loss_fn, params, k=1, which="largest", num_iters=None, eps=1e-5, rng=None,
                 return_vectors=False):
    r"""A few extreme eigenvalues of the Hessian :math:`H = \nabla^2 L(\boldsymbol\theta)` by Lanczos.

    The Lanczos method builds an orthonormal basis :math:`Q_m` of the Krylov space
    :math:`\operatorname{span}\{\mathbf{q}, H\mathbf{q}, \dots, H^{m-1}\mathbf{q}\}` and the
    tridiagonal :math:`T_m = Q_m^\top H Q_m`; the extreme eigenvalues of :math:`T_m` (Ritz
    values) converge fast to the extreme eigenvalues of :math:`H`. Only products
    :math:`H\mathbf{v}` are needed (:func:`hvp`, two gradients each). The basis is fully
    re-orthogonalised (stable for the small :math:`m` used here), and if the Krylov space
    closes early a fresh random vector continues it, so with :math:`m = P` the result is
    the whole spectrum. Negative eigenvalues at a critical point mean a saddle
    (Dauphin et al. 2014).

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn()`` returns the scalar loss Tensor computed from ``params``.
    params : list
        The parameter Tensors; :math:`P` is their total size.
    k : int
        How many eigenvalues (default 1).
    which : str
        ``'largest'`` (default; algebraically largest, in decreasing order) or ``'smallest'``
        (algebraically smallest, in increasing order).
    num_iters : int
        Lanczos steps :math:`m` (default ``min(P, max(2k + 20, 30))``).
    eps : float
        Step of the Hessian-vector products (default 1e-5).
    rng : np.random.Generator
        Source of the starting vector (required, for reproducibility).
    return_vectors : bool
        Also return the Ritz vectors, as directions (lists of arrays), unit norm.

    Returns
    -------
    np.ndarray or tuple
        The ``k`` eigenvalues, or ``(eigenvalues, vectors)`` with ``return_vectors=True``.
    """
    op = "hessian_eigs"
    params = _check_params(params, op)
    rng = _check_rng(rng, op)
    if which not in _WHICH:
        raise ValueError(f"{op}: unknown which={which!r}; valid values are "
                         f"{', '.join(repr(w) for w in _WHICH)}")
    shapes = [p.shape for p in params]
    n = int(sum(int(np.prod(s, dtype=np.int64)) for s in shapes))
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= n:
        raise ValueError(f"{op}: k must be an int between 1 and the number of parameters {n}, "
                         f"got {k!r}")
    m = min(n, max(2 * int(k) + 20, 30)) if num_iters is None else num_iters
    if isinstance(m, bool) or not isinstance(m, numbers.Integral) or not k <= m <= n:
        raise ValueError(f"{op}: num_iters must be an int between k={k} and the number of "
                         f"parameters {n}, got {num_iters!r}")

    def matvec(q):
        return _flat(hvp(loss_fn, params, _unflat(q, shapes), eps=eps))

    Q = np.zeros((m, n))
    alpha = np.zeros(m)
    beta = np.zeros(m)            # beta[j] couples q_j and q_{j+1}
    q = rng.standard_normal(n)
    q /= np.linalg.norm(q)
    scale = 0.0
    for j in range(m):
        Q[j] = q
        w = matvec(q)
        alpha[j] = q @ w
        for _ in range(2):       # full re-orthogonalisation, twice is enough
            w -= Q[:j + 1].T @ (Q[:j + 1] @ w)
        b = np.linalg.norm(w)
        scale = max(scale, abs(alpha[j]), b)
        if j == m - 1:
            break
        if b <= 1e-10 * max(scale, 1e-300):   # invariant subspace found: restart orthogonally
            b = 0.0
            w = rng.standard_normal(n)
            for _ in range(2):
                w -= Q[:j + 1].T @ (Q[:j + 1] @ w)
            q = w / np.linalg.norm(w)
        else:
            q = w / b
        beta[j] = b
    T = np.diag(alpha) + np.diag(beta[:m - 1], 1) + np.diag(beta[:m - 1], -1)
    theta, S = np.linalg.eigh(T)          # increasing
    idx = np.arange(m)[::-1][:k] if which == "largest" else np.arange(m)[:k]
    vals = theta[idx].copy()
    if not return_vectors:
        return vals
    vecs = []
    for i in idx:
        u = Q.T @ S[:, i]
        vecs.append(_unflat(u / np.linalg.norm(u), shapes))
    return vals, vecs


# --------------------------------------------------------------------------------------
# directions
# --------------------------------------------------------------------------------------
def random_direction(params, rng):
    r"""A Gaussian random direction :math:`\mathbf{d} \sim \mathcal{N}(0, I)` with the shapes of ``params``.

    Parameters
    ----------
    params : list
        Tensors (or arrays) whose shapes the direction takes.
    rng : np.random.Generator
        Source of the random numbers; drawn parameter by parameter, in order.

    Returns
    -------
    list
        float64 arrays, one per parameter.
    """
    rng = _check_rng(rng, "random_direction")
    if isinstance(params, (Tensor, np.ndarray)):
        params = [params]
    shapes = [np.shape(p.data if isinstance(p, Tensor) else p) for p in params]
    if not shapes:
        raise ValueError("random_direction: params is empty")
    return [rng.standard_normal(s) for s in shapes]


def filter_normalize(direction, params, bias="zero"):
    r"""Filter-wise normalisation of a direction (Li et al. 2018).

    For a weight matrix :math:`W \in \mathbb{R}^{n_{in} \times n_{out}}` (``mathdl``'s
    layout, :math:`Z = XW + b`), the **filter** of output unit :math:`j` is the column
    :math:`W_{:,j}`: the weights that feed unit :math:`j`. Each column of the direction is
    rescaled to the norm of the corresponding column of the weights,

    .. math::

        \mathbf{d}_{:,j} \leftarrow \frac{\mathbf{d}_{:,j}}{\|\mathbf{d}_{:,j}\|}\,\|W_{:,j}\| .

    (PyTorch stores ``weight`` as ``(out, in)``, where the same filter is a *row*.) For
    arrays with more than two axes the filter index is likewise the last axis and the norm
    runs over all the others. One-dimensional parameters (biases) are set to zero
    (``bias='zero'``, Li et al.'s choice) or rescaled as a whole to the norm of the
    parameter (``bias='norm'``).

    Why: a ReLU network computes the same function when layer :math:`l` (weights and bias)
    is multiplied by :math:`a > 0` and the weights of layer :math:`l+1` by :math:`1/a`. A
    raw direction of fixed size is a large step for the shrunken layer and a small one for
    the enlarged one, so raw slices of two equivalent networks differ. The normalised
    direction scales with the weights (its layer-:math:`l` columns by :math:`a`, its
    layer-:math:`(l+1)` columns by :math:`1/a`), so the 2-D slices of the two networks are
    identical.

    Parameters
    ----------
    direction : list
        Arrays with the shapes of ``params`` (not modified).
    params : list
        The weights (Tensors or arrays) whose filter norms set the scale.
    bias : str
        ``'zero'`` (default) or ``'norm'``, for one-dimensional parameters.

    Returns
    -------
    list
        The normalised direction, float64 arrays. A zero filter of the direction stays zero.
    """
    op = "filter_normalize"
    if bias not in _BIAS_MODES:
        raise ValueError(f"{op}: unknown bias={bias!r}; valid values are "
                         f"{', '.join(repr(b) for b in _BIAS_MODES)}")
    if isinstance(params, (Tensor, np.ndarray)):
        params = [params]
    weights = [np.asarray(p.data if isinstance(p, Tensor) else p, dtype=np.float64) for p in params]
    if not weights:
        raise ValueError(f"{op}: params is empty")
    direction = _check_direction(direction, [w.shape for w in weights], op)
    out = []
    for d, w in zip(direction, weights, strict=True):
        if w.ndim <= 1:
            if bias == "zero":
                out.append(np.zeros_like(d))
            else:
                nd = np.linalg.norm(d)
                out.append(d * (np.linalg.norm(w) / nd) if nd > 0 else np.zeros_like(d))
            continue
        axes = tuple(range(w.ndim - 1))              # all but the last (filter) axis
        nd = np.sqrt(np.sum(d * d, axis=axes, keepdims=True))
        nw = np.sqrt(np.sum(w * w, axis=axes, keepdims=True))
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(nd > 0, nw / np.where(nd > 0, nd, 1.0), 0.0)
        out.append(d * factor)
    return out


# --------------------------------------------------------------------------------------
# slices
# --------------------------------------------------------------------------------------
def interpolate_1d(loss_fn, params_a, params_b, alphas):
    r"""The loss on the line through two solutions: :math:`L((1-\alpha)\boldsymbol\theta_a + \alpha\boldsymbol\theta_b)`.

    :math:`\alpha = 0` is solution A, :math:`\alpha = 1` solution B; values outside
    :math:`[0, 1]` extrapolate. A bump between the two means a barrier on the straight
    path (Goodfellow et al. 2015 found none for many networks; Li et al. 2018 use such
    plots to compare minima).

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn()`` returns the loss computed from the Tensors ``params_a``.
    params_a : list
        The live parameter Tensors that ``loss_fn`` reads; their current values are
        :math:`\boldsymbol\theta_a` (restored on exit).
    params_b : list
        :math:`\boldsymbol\theta_b`: Tensors or arrays of the same shapes (e.g. the
        parameters of a second model with the same architecture).
    alphas : array_like
        The 1-D grid of :math:`\alpha`.

    Returns
    -------
    np.ndarray
        The losses, one per :math:`\alpha`.
    """
    op = "interpolate_1d"
    params_a = _check_params(params_a, op)
    theta_b = _check_direction(params_b, [p.shape for p in params_a], op, "params_b")
    alphas = _check_grid(alphas, op, "alphas")
    theta_a = [np.asarray(p.data, dtype=np.float64) for p in params_a]
    out = np.empty(alphas.size)
    with no_grad():
        for i, a in enumerate(alphas):
            with _Moved(params_a, [(1 - a) * ta + a * tb for ta, tb in zip(theta_a, theta_b, strict=True)]):
                out[i] = _loss_value(loss_fn, op)
    return out


def slice_2d(loss_fn, params, d1, d2, alphas, betas):
    r"""The loss on a plane through :math:`\boldsymbol\theta`: :math:`L(\boldsymbol\theta + \alpha\mathbf{d}_1 + \beta\mathbf{d}_2)`.

    With filter-normalised random directions (:func:`filter_normalize`) this is the 2-D
    plot of Li et al. (2018).

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn()`` returns the loss computed from ``params``.
    params : list
        The parameter Tensors; their current values are the centre
        :math:`\boldsymbol\theta` (restored on exit).
    d1, d2 : list
        The two directions, arrays with the shapes of ``params``.
    alphas, betas : array_like
        1-D grids of the coefficients of ``d1`` and ``d2``.

    Returns
    -------
    np.ndarray
        Losses of shape ``(len(betas), len(alphas))``: row ``i``, column ``j`` is at
        :math:`(\alpha_j, \beta_i)`, the layout of ``np.meshgrid(alphas, betas)`` that
        ``plt.contour(alphas, betas, Z)`` expects.
    """
    op = "slice_2d"
    params = _check_params(params, op)
    shapes = [p.shape for p in params]
    d1 = _check_direction(d1, shapes, op, "d1")
    d2 = _check_direction(d2, shapes, op, "d2")
    alphas = _check_grid(alphas, op, "alphas")
    betas = _check_grid(betas, op, "betas")
    theta = [np.asarray(p.data, dtype=np.float64) for p in params]
    out = np.empty((betas.size, alphas.size))
    with no_grad():
        for i, b in enumerate(betas):
            for j, a in enumerate(alphas):
                point = [th + a * u + b * w for th, u, w in zip(theta, d1, d2, strict=True)]
                with _Moved(params, point):
                    out[i, j] = _loss_value(loss_fn, op)
    return out
