r"""Gradient checking: compare reverse-mode gradients with central differences.

The central difference

.. math::  \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}

has error :math:`O(h^2)` from truncation plus :math:`O(\varepsilon/h)` from
rounding (:math:`\varepsilon \approx 2.2\cdot 10^{-16}` in float64), so with
:math:`h = 10^{-6}` it agrees with an exact derivative to about
:math:`10^{-9}`–:math:`10^{-10}` relative to the function's scale.  All
computations here are done in float64.

* :func:`gradcheck` checks a function of :class:`~mathdl.Tensor` inputs: the
  full Jacobian of every output entry with respect to every input that
  requires a gradient, computed by ``backward``, against central differences.
  A failure says which argument and which entries disagree, and by how much.
* :func:`numerical_grad` and :func:`relative_error` are for plain numpy code
  (chapter 6 checks hand-written gradients with them).
"""

from __future__ import annotations

import sys
import types

import numpy as np

from .autograd import Tensor, no_grad

__all__ = ["gradcheck", "GradcheckError", "numerical_grad", "numerical_jacobian",
           "relative_error"]


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when an analytic and a numeric derivative disagree.

    Attributes: ``arg`` (input position), ``output_index``, ``input_index``,
    ``analytic``, ``numeric`` and ``tolerance``.
    """

    def __init__(self, message, arg=None, output_index=None, input_index=None,
                 analytic=None, numeric=None, tolerance=None):
        super().__init__(message)
        self.arg = arg
        self.output_index = output_index
        self.input_index = input_index
        self.analytic = analytic
        self.numeric = numeric
        self.tolerance = tolerance


def numerical_grad(f, x, eps=1e-6):
    r"""Central-difference gradient of a plain numpy function :math:`f: \mathbb{R}^n \to \mathbb{R}`.

    ``x`` may have any shape; the result has the same shape, entry :math:`i`
    being :math:`(f(x + h e_i) - f(x - h e_i)) / (2h)` with :math:`h` = ``eps``,
    computed in float64.  ``f`` must return a scalar; ``x`` is not modified.
    Cost: :math:`2n` evaluations of ``f``.
    """
    x = np.array(x, dtype=np.float64)  # a private float64 copy
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = _scalar(f(x))
        flat[i] = old - eps
        f_minus = _scalar(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _scalar(v):
    v = np.asarray(v.data if isinstance(v, Tensor) else v, dtype=np.float64)
    if v.size != 1:
        raise ValueError(f"numerical_grad: f must return a scalar, got shape {v.shape}")
    return float(v.reshape(()))


def relative_error(a, b):
    r"""Relative error :math:`\|a - b\| / (\|a\| + \|b\|)` of two arrays (Euclidean norms).

    0 when both are zero.  For gradients computed in float64 against
    :func:`numerical_grad` with a step near :math:`10^{-5}`, the rule of thumb of the
    book (chapter 6): below :math:`10^{-7}` the gradient is correct, :math:`10^{-7}` to
    :math:`10^{-4}` is suspicious (a kink near the point, or a poor step), above
    :math:`10^{-4}` it has a bug.
    Returns a Python float.
    """
    a = np.asarray(a.data if isinstance(a, Tensor) else a, dtype=np.float64)
    b = np.asarray(b.data if isinstance(b, Tensor) else b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ: {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denom)


def _as_tuple(inputs):
    if isinstance(inputs, (Tensor, np.ndarray)):
        return (inputs,)
    return tuple(inputs)


def _float64_copies(inputs):
    copies = []
    for x in inputs:
        if isinstance(x, Tensor):
            copies.append(Tensor(np.array(x.data, dtype=np.float64), x.requires_grad))
        else:
            copies.append(x)
    return copies


def _outputs(fn, xs):
    out = fn(*xs)
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def numerical_jacobian(fn, inputs, eps=1e-6):
    """Central-difference Jacobians of ``fn(*inputs)``.

    Returns ``J[arg]`` for each input that requires a gradient (``None`` for
    the others), an array of shape ``(n_out, n_in)`` where ``n_out`` counts the
    entries of all outputs (concatenated) and ``n_in`` the entries of that input.
    """
    xs = _float64_copies(_as_tuple(inputs))
    with no_grad():                      # only values are needed: record no graph
        return _numerical_jacobians(fn, xs, eps)


def _numerical_jacobians(fn, xs, eps):
    jacobians = []
    for x in xs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            jacobians.append(None)
            continue
        flat = x.data.reshape(-1)
        cols = []
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            f_plus = _flat_values(_outputs(fn, xs))
            flat[i] = old - eps
            f_minus = _flat_values(_outputs(fn, xs))
            flat[i] = old
            cols.append((f_plus - f_minus) / (2 * eps))
        jacobians.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return jacobians


def _flat_values(outs):
    return np.concatenate([np.asarray(o.data if isinstance(o, Tensor) else o,
                                      dtype=np.float64).reshape(-1) for o in outs])


def _analytic_jacobian(fn, xs):
    outs = [o for o in _outputs(fn, xs)]
    n_out = sum(int(np.size(o.data if isinstance(o, Tensor) else o)) for o in outs)
    diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
    jac = {id(x): np.zeros((n_out, x.data.size)) for x in diff}
    row = 0
    for o in outs:
        size = int(np.size(o.data if isinstance(o, Tensor) else o))
        if not (isinstance(o, Tensor) and o.requires_grad):
            row += size          # constant output: zero rows
            continue
        for j in range(size):
            for x in diff:
                x.grad = None
            seed = np.zeros(o.data.size)
            seed[j] = 1.0
            o.backward(seed.reshape(o.shape).astype(o.dtype))
            for x in diff:
                if x.grad is not None:
                    jac[id(x)][row + j] = x.grad.reshape(-1)
        row += size
    for x in diff:
        x.grad = None
    return [jac[id(x)] if isinstance(x, Tensor) and x.requires_grad else None for x in xs]


def _unravel(k, shape):
    return tuple(int(i) for i in np.unravel_index(k, shape)) if shape else ()


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``backward`` against central differences, as ``torch.autograd.gradcheck``.

    ``fn(*inputs)`` returns a tensor (any shape) or a tuple of tensors.  For
    every input tensor with ``requires_grad=True``, every entry of the Jacobian
    computed by reverse mode must satisfy
    ``|analytic - numeric| <= atol + rtol * |numeric|``.  Inputs are copied to
    float64 first (the originals are not touched), so float32 code is checked
    in float64 arithmetic.

    Returns True; on the first mismatch raises :class:`GradcheckError` naming
    the argument, the output and input entries, both values and the tolerance
    (or returns False if ``raise_exception=False``).
    """
    inputs = _as_tuple(inputs)
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing "
                         "to check")
    xs = _float64_copies(inputs)
    numeric = numerical_jacobian(fn, xs, eps)
    analytic = _analytic_jacobian(fn, xs)
    out_shapes = [np.shape(o.data if isinstance(o, Tensor) else o) for o in _outputs(fn, xs)]
    for arg, (x, a, n) in enumerate(zip(xs, analytic, numeric, strict=True)):
        if a is None:
            continue
        tol = atol + rtol * np.abs(n)
        bad = np.abs(a - n) > tol
        bad |= np.isnan(a) != np.isnan(n)
        if not bad.any():
            continue
        r, c = np.argwhere(bad)[0]
        out_index, out_name = _output_entry(int(r), out_shapes)
        in_index = _unravel(int(c), x.shape)
        av, nv, tv = float(a[r, c]), float(n[r, c]), float(tol[r, c])
        msg = (f"gradcheck: Jacobian mismatch for argument {arg} (shape {x.shape}) at input "
               f"entry {in_index}, {out_name} entry {out_index}: analytic {av:.10g}, numeric "
               f"{nv:.10g}, |difference| {abs(av - nv):.3g} > tolerance {tv:.3g} "
               f"(atol={atol:g} + rtol={rtol:g} * |numeric|); {int(bad.sum())} of {bad.size} "
               f"Jacobian entries disagree.{_hint(a, n, bad)}")
        if raise_exception:
            raise GradcheckError(msg, arg=arg, output_index=out_index, input_index=in_index,
                                 analytic=av, numeric=nv, tolerance=tv)
        return False
    return True


def _output_entry(r, shapes):
    for k, shape in enumerate(shapes):
        size = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if r < size:
            name = "output" if len(shapes) == 1 else f"output {k}"
            return _unravel(r, shape), name
        r -= size
    return (r,), "output"  # pragma: no cover


def _hint(a, n, bad):
    a, n = a[bad], n[bad]
    if np.allclose(a, -n, rtol=1e-3, atol=1e-8):
        return " Hint: analytic = -numeric: a sign error in a VJP?"
    if np.all(a == 0):
        return " Hint: the analytic gradient is 0 there: a missing gradient path or VJP?"
    ratio = a / np.where(n == 0, np.nan, n)
    if np.all(np.isfinite(ratio)) and np.allclose(ratio, ratio.flat[0], rtol=1e-3):
        return f" Hint: analytic = {ratio.flat[0]:.4g} x numeric: a missing or extra factor?"
    return ""


class _CallableModule(types.ModuleType):
    """Lets ``mathdl.gradcheck(fn, inputs)`` call the function although it is also a module."""

    def __call__(self, fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
        return gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol,
                         raise_exception=raise_exception)


# ``mathdl.gradcheck`` names both this module and its main function; making the module
# callable keeps ``mdl.gradcheck(fn, inputs)`` and ``mdl.gradcheck.numerical_grad`` working.
sys.modules[__name__].__class__ = _CallableModule
