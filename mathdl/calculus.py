r"""Finite differences for plain numpy functions (chapters 1-4).

A finite difference replaces the limit in the definition of the derivative by a
small but finite step h.  Taylor's theorem says how wrong that is:

.. math::

    f(x + h) = f(x) + h f'(x) + \tfrac{h^2}{2} f''(x) + \tfrac{h^3}{6} f^{(3)}(x) + O(h^4),

so the **forward difference** has a truncation error of order h,

.. math::

    \frac{f(x + h) - f(x)}{h} = f'(x) + \frac{h}{2} f''(x) + O(h^2),

while in the **central difference** the even terms cancel and the error is of
order h²,

.. math::

    \frac{f(x + h) - f(x - h)}{2h} = f'(x) + \frac{h^2}{6} f^{(3)}(x) + O(h^4).

In floating point there is a second error.  f(x + h) and f(x) are each rounded
to a relative accuracy of about the machine epsilon ε (2.22e-16 in float64), so
their difference carries an absolute error of about :math:`\varepsilon |f(x)|`,
and dividing by h turns it into a **round-off error** of about
:math:`\varepsilon |f(x)| / h`, which *grows* as h shrinks.  The total error of
the forward difference, roughly

.. math::

    \frac{|f''(x)|}{2} h + \frac{\varepsilon |f(x)|}{h},

is smallest near h ≈ √ε ≈ 1.5e-8 (times a factor of order one that depends on
f), and that of the central difference,
:math:`\frac{|f^{(3)}(x)|}{6} h^2 + \frac{\varepsilon |f(x)|}{h}`, near
h ≈ ε^(1/3) ≈ 6e-6 (Nocedal and Wright, *Numerical Optimization*, 2006, §8.1;
Higham, *Accuracy and Stability of Numerical Algorithms*, 2002, ch. 1).  The
default steps below use these orders of magnitude, scaled by
:math:`\max(1, |x|)` so that the step is not lost in rounding when x is large.

Everything here takes a plain Python/numpy function (not a mathdl Tensor);
``mathdl.gradcheck`` does the same job for autograd functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = [
    "EPS",
    "METHODS",
    "forward_difference",
    "backward_difference",
    "central_difference",
    "default_h",
    "derivative",
    "partial",
    "gradient",
    "jacobian",
    "error_vs_h",
    "fit_order",
    "TestFunction",
    "TEST_FUNCTIONS",
    "rosenbrock",
    "rosenbrock_grad",
]

#: Machine epsilon of float64, the gap between 1.0 and the next larger float (2**-52).
EPS = float(np.finfo(np.float64).eps)

#: The difference methods :func:`derivative` and friends accept, with their order of accuracy.
METHODS = {"forward": 1, "backward": 1, "central": 2}


# --------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------

def _check_method(fn: str, method) -> str:
    if method not in METHODS:
        valid = ", ".join(repr(m) for m in METHODS)
        raise ValueError(f"{fn}: unknown method {method!r}; valid methods are {valid}")
    return method


def _check_h(fn: str, h):
    harr = np.asarray(h, dtype=float)
    if harr.size == 0:
        raise ValueError(f"{fn}: step h is empty")
    if not np.all(np.isfinite(harr)):
        raise ValueError(f"{fn}: step h must be finite, got {h!r}")
    if np.any(harr <= 0):
        bad = float(harr.flat[int(np.argmin(harr))])
        raise ValueError(f"{fn}: step h must be > 0, got {bad!r}")
    return harr if harr.ndim else float(harr)


def _finite(fn: str, value, where: str):
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise FloatingPointError(f"{fn}: f returned a non-finite value ({arr.flat[0] if arr.size == 1 else 'nan/inf'}) "
                                 f"at {where}; is x inside f's domain, and is h small enough to stay inside it?")
    return value


def _eval(fn: str, f: Callable, x, where: str):
    try:
        with np.errstate(all="ignore"):
            y = f(x)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{fn}: calling f at {where} failed: {e}") from e
    return _finite(fn, y, where)


# --------------------------------------------------------------------------------------
# one-dimensional differences
# --------------------------------------------------------------------------------------

def forward_difference(f: Callable, x, h):
    r"""The forward difference (f(x + h) − f(x)) / h, the slope of the secant from x to x + h.

    Error: h/2 · f''(ξ) for some ξ in [x, x + h], i.e. O(h) (first order), plus a
    round-off error of about :math:`\varepsilon |f(x)| / h`.  ``x`` and ``h`` may be arrays (elementwise,
    if ``f`` is vectorised).
    """
    fn = "forward_difference"
    h = _check_h(fn, h)
    x = np.asarray(x, dtype=float) if np.ndim(x) else float(x)
    return _finite(fn, (_eval(fn, f, x + h, "x + h") - _eval(fn, f, x, "x")) / h, "x")


def backward_difference(f: Callable, x, h):
    r"""The backward difference (f(x) − f(x − h)) / h: also O(h), with the opposite sign of error term."""
    fn = "backward_difference"
    h = _check_h(fn, h)
    x = np.asarray(x, dtype=float) if np.ndim(x) else float(x)
    return _finite(fn, (_eval(fn, f, x, "x") - _eval(fn, f, x - h, "x - h")) / h, "x")


def central_difference(f: Callable, x, h):
    r"""The central difference (f(x + h) − f(x − h)) / (2h), the slope of the secant from x − h to x + h.

    Error: h²/6 · f'''(ξ), i.e. O(h²) (second order): the h² terms of the Taylor series
    of f(x + h) and f(x − h) cancel.  Round-off error about :math:`\varepsilon |f(x)| / h`.
    """
    fn = "central_difference"
    h = _check_h(fn, h)
    x = np.asarray(x, dtype=float) if np.ndim(x) else float(x)
    return _finite(fn, (_eval(fn, f, x + h, "x + h") - _eval(fn, f, x - h, "x - h")) / (2 * h), "x")


_DIFFERENCES = {"forward": forward_difference, "backward": backward_difference, "central": central_difference}


def default_h(x=0.0, method: str = "central"):
    r"""A good step for ``method`` at ``x``: ``eps**(1/2) * max(1, abs(x))`` (forward/backward) or ``eps**(1/3) * max(1, abs(x))`` (central).

    These balance the truncation error (O(h) or O(h²)) against the round-off error
    :math:`\varepsilon |f(x)| / h`, up to a factor of order one that depends on f's derivatives.
    """
    _check_method("default_h", method)
    p = METHODS[method]
    scale = np.maximum(1.0, np.abs(np.asarray(x, dtype=float)))
    h = EPS ** (1.0 / (p + 1)) * scale
    return float(h) if np.ndim(h) == 0 else h


def derivative(f: Callable, x, h=None, method: str = "central"):
    r"""f'(x) by a finite difference: ``method`` in 'forward', 'backward', 'central' (default).

    With ``h=None`` the step is :func:`default_h` (about ``6e-6 * max(1, abs(x))`` for central
    differences, whose error is then about 1e-10 relative for smooth f of order one).
    """
    fn = "derivative"
    _check_method(fn, method)
    if h is None:
        h = default_h(x, method)
    return _DIFFERENCES[method](f, x, h)


# --------------------------------------------------------------------------------------
# several inputs
# --------------------------------------------------------------------------------------

def _as_point(fn: str, x) -> np.ndarray:
    try:
        x = np.array(x, dtype=float)  # a copy: we perturb it
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: x must be a number or an array of numbers, got {type(x).__name__}") from None
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{fn}: x must be finite, got {x!r}")
    return x


def _scalar(fn: str, y, where: str) -> float:
    arr = np.asarray(y, dtype=float)
    if arr.size != 1:
        raise ValueError(f"{fn}: f must return a scalar, got an array of shape {arr.shape} at {where}; "
                         f"for a vector-valued f use jacobian")
    return float(arr.reshape(()))


def _step(fn: str, x: np.ndarray, h, method: str) -> np.ndarray:
    if h is None:
        return np.broadcast_to(default_h(x, method), x.shape).astype(float)
    h = _check_h(fn, h)
    try:
        return np.broadcast_to(np.asarray(h, dtype=float), x.shape).astype(float)
    except ValueError:
        raise ValueError(f"{fn}: h of shape {np.shape(h)} does not match x of shape {x.shape}") from None


def _partial_at(fn: str, f: Callable, x: np.ndarray, i: int, h: float, method: str, f0=None):
    """Difference quotient along coordinate i (flat index) of x; f0 = f(x) if known."""
    e = np.zeros_like(x)
    e.flat[i] = h
    if method == "central":
        return (_eval(fn, f, x + e, f"x + h·e_{i}") - _eval(fn, f, x - e, f"x - h·e_{i}")) / (2 * h)
    fx = _eval(fn, f, x, "x") if f0 is None else f0
    if method == "forward":
        return (_eval(fn, f, x + e, f"x + h·e_{i}") - fx) / h
    return (fx - _eval(fn, f, x - e, f"x - h·e_{i}")) / h


def partial(f: Callable, x, i: int, h=None, method: str = "central") -> float:
    r"""∂f/∂x_i at x, for f: ℝⁿ → ℝ, by a finite difference along the i-th axis.

    ∂f/∂x_i(x) ≈ (f(x + h e_i) − f(x − h e_i)) / (2h), where e_i is the i-th unit
    vector: the one-dimensional derivative of t ↦ f(x + t e_i) at t = 0.
    ``i`` is a flat index into ``x``.
    """
    fn = "partial"
    _check_method(fn, method)
    x = _as_point(fn, x)
    if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or not -x.size <= i < x.size:
        raise IndexError(f"{fn}: index i={i!r} is out of range for x with {x.size} entries")
    i = int(i) % x.size
    hs = _step(fn, x, h, method)
    y = _partial_at(fn, f, x, i, float(hs.flat[i]), method)
    return _scalar(fn, y, f"x ± h·e_{i}")


def gradient(f: Callable, x, h=None, method: str = "central") -> np.ndarray:
    r"""The numerical gradient ∇f(x) of f: ℝⁿ → ℝ, one partial derivative per entry of x.

    Returns an array of x's shape.  Costs 2n evaluations of f (central) or n + 1
    (forward/backward): this is why deep learning uses backpropagation instead
    (chapter 6), and uses this only to check it.
    """
    fn = "gradient"
    _check_method(fn, method)
    x = _as_point(fn, x)
    hs = _step(fn, x, h, method)
    f0 = None if method == "central" else _scalar(fn, _eval(fn, f, x, "x"), "x")
    g = np.empty_like(x)
    for i in range(x.size):
        g.flat[i] = _scalar(fn, _partial_at(fn, f, x, i, float(hs.flat[i]), method, f0), f"x ± h·e_{i}")
    return g


def jacobian(f: Callable, x, h=None, method: str = "central") -> np.ndarray:
    r"""The numerical Jacobian J of f: ℝⁿ → ℝᵐ at x, J[j, i] = ∂f_j/∂x_i.

    The result has shape ``f(x).shape + x.shape`` (PyTorch's ``jacobian`` convention);
    for vectors that is (m, n).  Column i is the difference quotient along e_i.
    """
    fn = "jacobian"
    _check_method(fn, method)
    x = _as_point(fn, x)
    hs = _step(fn, x, h, method)
    y0 = np.asarray(_eval(fn, f, x, "x"), dtype=float)
    J = np.empty(y0.shape + x.shape)
    cols = J.reshape(y0.size, x.size)
    for i in range(x.size):
        col = np.asarray(_partial_at(fn, f, x, i, float(hs.flat[i]), method, y0), dtype=float)
        if col.shape != y0.shape:
            raise ValueError(f"{fn}: f returned shape {col.shape} at x ± h·e_{i} but {y0.shape} at x")
        cols[:, i] = col.ravel()
    return J


# --------------------------------------------------------------------------------------
# measuring the error
# --------------------------------------------------------------------------------------

def error_vs_h(f: Callable, df, x: float, hs, method: str = "central") -> np.ndarray:
    r"""The absolute error :math:`|D_h f(x) - f'(x)|` of a difference method for each step in ``hs``.

    ``df`` is the exact derivative: a function (called at x) or a number.  One
    difference per h, so f need not be vectorised.  Plotted against h on log-log
    axes, the result shows a straight *truncation branch* of slope p (the method's
    order) for large h and a noisy *round-off branch* of slope about −1 for small h.
    """
    fn = "error_vs_h"
    _check_method(fn, method)
    hs = np.atleast_1d(_check_h(fn, hs)).astype(float)
    if hs.ndim != 1:
        raise ValueError(f"{fn}: hs must be one-dimensional, got shape {hs.shape}")
    x = float(x)
    exact = float(df(x)) if callable(df) else float(df)
    diff = _DIFFERENCES[method]
    return np.array([abs(float(diff(f, x, float(h))) - exact) for h in hs])


def fit_order(hs, errors, h_min: float | None = None, h_max: float | None = None) -> float:
    r"""The slope p of log(error) against log(h), fitted by least squares: error ≈ C·h^p.

    The fit uses the *truncation branch* only: by default the steps at least 10 times
    larger than the step with the smallest error (far enough from the minimum that
    round-off no longer matters), or the steps in [h_min, h_max] if given.  Zero errors are left out.
    For a method of order p the result is close to p (1 forward, 2 central).
    """
    fn = "fit_order"
    hs = np.asarray(hs, dtype=float)
    err = np.asarray(errors, dtype=float)
    if hs.ndim != 1 or hs.shape != err.shape:
        raise ValueError(f"{fn}: hs and errors must be 1-D arrays of the same length, got shapes {hs.shape} "
                         f"and {err.shape}")
    _check_h(fn, hs)
    if np.any(err < 0) or not np.all(np.isfinite(err)):
        raise ValueError(f"{fn}: errors must be finite and >= 0 (absolute errors)")
    keep = err > 0
    if h_min is None and h_max is None:
        i_best = int(np.argmin(np.where(keep, err, np.inf)))
        keep &= hs >= 10 * hs[i_best]
    else:
        if h_min is not None:
            keep &= hs >= h_min
        if h_max is not None:
            keep &= hs <= h_max
    if keep.sum() < 2:
        raise ValueError(f"{fn}: fewer than 2 usable points on the truncation branch "
                         f"({int(keep.sum())} kept of {hs.size}); use a wider range of h or give h_min")
    p, _ = np.polyfit(np.log(hs[keep]), np.log(err[keep]), 1)
    return float(p)


# --------------------------------------------------------------------------------------
# named test functions
# --------------------------------------------------------------------------------------

class TestFunction(NamedTuple):
    """A scalar test function with its first three derivatives (exact), and a LaTeX name."""

    name: str
    f: Callable
    df: Callable
    d2f: Callable
    d3f: Callable
    latex: str

    __test__ = False  # not a pytest test class


def _const(c):
    return lambda x: c + 0.0 * np.asarray(x, dtype=float)


#: Scalar functions used in chapters 1-4, with exact derivatives for measuring errors.
TEST_FUNCTIONS = {
    "x_plus_1": TestFunction("x_plus_1", lambda x: x + 1.0, _const(1.0), _const(0.0), _const(0.0), r"x + 1"),
    "square": TestFunction("square", lambda x: x * x, lambda x: 2.0 * x, _const(2.0), _const(0.0), r"x^2"),
    "cube": TestFunction("cube", lambda x: x ** 3, lambda x: 3.0 * x ** 2, lambda x: 6.0 * x, _const(6.0), r"x^3"),
    "exp": TestFunction("exp", np.exp, np.exp, np.exp, np.exp, r"e^x"),
    "sin": TestFunction("sin", np.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x), r"\sin x"),
    "sigmoid": TestFunction(
        "sigmoid",
        lambda x: 1.0 / (1.0 + np.exp(-x)),
        lambda x: (s := 1.0 / (1.0 + np.exp(-x))) * (1.0 - s),
        lambda x: (s := 1.0 / (1.0 + np.exp(-x))) * (1.0 - s) * (1.0 - 2.0 * s),
        lambda x: (s := 1.0 / (1.0 + np.exp(-x))) * (1.0 - s) * (1.0 - 6.0 * s + 6.0 * s * s),
        r"\sigma(x) = 1/(1 + e^{-x})",
    ),
}


def rosenbrock(w, a: float = 1.0, b: float = 100.0) -> float:
    r"""Rosenbrock's valley f(w) = (a − w₁)² + b (w₂ − w₁²)², minimum 0 at (a, a²)."""
    w = np.asarray(w, dtype=float)
    if w.shape[-1:] != (2,):
        raise ValueError(f"rosenbrock: w must have shape (2,) (or (..., 2)), got {w.shape}")
    x, y = w[..., 0], w[..., 1]
    out = (a - x) ** 2 + b * (y - x ** 2) ** 2
    return float(out) if out.ndim == 0 else out


def rosenbrock_grad(w, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    r"""∇f(w) of :func:`rosenbrock`: (−2(a − w₁) − 4b w₁(w₂ − w₁²), 2b(w₂ − w₁²))."""
    w = np.asarray(w, dtype=float)
    if w.shape[-1:] != (2,):
        raise ValueError(f"rosenbrock_grad: w must have shape (2,) (or (..., 2)), got {w.shape}")
    x, y = w[..., 0], w[..., 1]
    return np.stack([-2.0 * (a - x) - 4.0 * b * x * (y - x ** 2), 2.0 * b * (y - x ** 2)], axis=-1)

