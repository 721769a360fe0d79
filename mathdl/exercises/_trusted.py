"""Trusted comparison helpers for exercise checks — the check-writing API.

How to write the checks of a chapter (``mathdl/exercises/checks/chNN.py``)
--------------------------------------------------------------------------
::

    from mathdl.exercises.registry import exercise, Wrong
    from mathdl.exercises import _trusted as T

    @exercise("1.2", target="central_difference", title="Central difference", points=1)
    def _check_central_difference(central_difference):
        T.require_callable(central_difference, "central_difference")
        f = T.np.sin                                   # the check's own inputs
        for x in (0.3, 1.0):
            got = T.as_float(central_difference(f, x, 1e-3), "central_difference(sin, x, 1e-3)")
            ref = (T.np.sin(x + 1e-3) - T.np.sin(x - 1e-3)) / 2e-3   # reference computed HERE
            fwd = (T.np.sin(x + 1e-3) - T.np.sin(x)) / 1e-3
            if T.close(got, fwd, rtol=1e-12) and not T.close(got, ref, rtol=1e-12):
                raise Wrong(f"at x={x} you return {got:.6g}, expected {ref:.6g}",
                            hint="this looks like a forward difference: (f(x+h)-f(x))/h")
            T.expect_close(got, ref, f"central_difference(sin, {x}, 1e-3)", rtol=1e-10)
        return "matches the reference at 2 points"    # optional: detail for the pass line

Rules for a check
~~~~~~~~~~~~~~~~~
* It receives the learner's object(s) in the order of ``target`` and calls them
  on inputs of its OWN; it computes its references itself (never from another
  exercise's learner function, never from the notebook's variables).
* It decides only with the helpers of this module (``T.close``,
  ``T.expect_close``, ``T.as_float_array`` ...) or with the references captured
  here (``T.abs``, ``T.isfinite``, ``T.allclose`` ...), never with
  ``np.allclose`` or builtins looked up at call time: a learner may have
  monkeypatched those.  ``T.np`` is numpy itself (fine for COMPUTING references
  from the check's own inputs, not for DECIDING).
* Wrong answer -> ``raise Wrong(message, hint=...)``. The message says what was
  observed and expected (with numbers, shapes); the hint names the likely
  mistake ("this looks like a forward difference ...", "W is transposed",
  "you summed where the mean was asked for").  Recognise 1-3 realistic ones.
* Pass -> return ``None`` or a short string (shown after "passed: ").
* Deterministic (seeded ``T.np.random.default_rng(0)`` if you need data), fast
  (well under 0.1 s; the whole ``check`` call is time-boxed).
* Exceptions: ``NotImplementedError`` from the learner's code means "not
  attempted"; any other exception from the learner's code is reported as a
  failure pointing at their function; an exception raised by the check's own
  code is reported as status "error" (a bug in the check) — so validate the
  learner's RETURN values with ``as_float_array``/``as_float`` rather than
  letting ``.shape`` raise AttributeError.

Why the capture at import
~~~~~~~~~~~~~~~~~~~~~~~~~
Every name below is bound when this module is first imported. In a notebook
that is usually before any learner code runs; in the batch grader it is
always so (the checks run in a separate, fresh judge process that imports
this module before it loads any learner object).  A learner who later sets
``np.allclose = lambda *a, **k: True`` or redefines ``abs`` changes nothing here.
"""

from __future__ import annotations

import builtins as _builtins
import math as _math

import numpy as _np
import numpy as np

from .registry import Wrong

# --- references captured at import ------------------------------------------------
allclose = _np.allclose
isclose = _np.isclose
array_equal = _np.array_equal
asarray = _np.asarray
array = _np.array
isfinite = _np.isfinite
isnan = _np.isnan
all_ = _np.all
any_ = _np.any
max_ = _np.max
argmax = _np.argmax
unravel_index = _np.unravel_index
absolute = _np.abs
ndarray = _np.ndarray
float64 = _np.float64
errstate = _np.errstate

abs = _builtins.abs
float = _builtins.float
int = _builtins.int
bool = _builtins.bool
len = _builtins.len
isinstance = _builtins.isinstance
type = _builtins.type
callable = _builtins.callable
tuple = _builtins.tuple
list = _builtins.list
range = _builtins.range
min = _builtins.min
max = _builtins.max
sum = _builtins.sum
repr = _builtins.repr
getattr = _builtins.getattr
hasattr = _builtins.hasattr
any = _builtins.any
all = _builtins.all
zip = _builtins.zip
map = _builtins.map
str = _builtins.str
round = _builtins.round
sorted = _builtins.sorted
isclose_scalar = _math.isclose
math_isfinite = _math.isfinite

_ndarray = _np.ndarray
_asarray = _np.asarray
_isfinite = _np.isfinite
_abs = _np.abs
_max = _np.max
_argmax = _np.argmax
_unravel = _np.unravel_index
_all = _np.all
_errstate = _np.errstate
_isinstance = _builtins.isinstance
_type = _builtins.type
_float = _builtins.float
_tuple = _builtins.tuple
_len = _builtins.len
_getattr = _builtins.getattr


# --- helpers ----------------------------------------------------------------------
def _unwrap(x):
    """A mathdl Tensor -> its numpy data; anything else unchanged."""
    cls = _type(x)
    if cls.__name__ == "Tensor" and (cls.__module__ or "").startswith("mathdl"):
        data = _getattr(x, "data", None)
        if _isinstance(data, _ndarray):
            return data
    return x


def _shape_text(shape) -> str:
    return "()" if _len(shape) == 0 else "(" + ", ".join(str(s) for s in shape) + ("," if _len(shape) == 1 else "") + ")"


def as_float_array(x, name: str = "your result", shape=None, *, allow_nonfinite: bool = False):
    """``x`` as a float64 ndarray, or :class:`Wrong` saying clearly what is off.

    Accepts numpy arrays, Python numbers, (nested) lists and mathdl Tensors.
    ``shape``: the expected shape (tuple; ``None`` entries match any size).
    Rejects None, strings, ragged lists, wrong shapes and (unless
    ``allow_nonfinite``) NaN/inf.
    """
    x = _unwrap(x)
    if x is None:
        raise Wrong(f"{name} is None", hint="did you forget the `return` statement?")
    if _isinstance(x, (str, bytes)):
        raise Wrong(f"{name} is a string ({x[:40]!r}), expected numbers")
    try:
        with _errstate(all="ignore"):
            arr = _asarray(x, dtype=float64)
    except Exception as exc:  # ragged lists, objects, ...
        raise Wrong(f"{name} cannot be read as an array of numbers "
                    f"(got {_type(x).__name__}: {exc.__class__.__name__})") from None
    if _type(arr) is not _ndarray:  # subclasses could override comparisons
        arr = _np.array(arr, dtype=float64, subok=False)
    if shape is not None:
        shape = _tuple(shape)
        if _len(shape) != arr.ndim or any(e is not None and e != s for e, s in zip(shape, arr.shape)):
            want = _shape_text(_tuple("?" if s is None else s for s in shape))
            hint = None
            if arr.ndim == 2 and _len(shape) == 2 and all(
                    e is None or e == s for e, s in zip(shape, arr.shape[::-1])):
                hint = "the shape is transposed: check the order of the matrix product (X @ W, not W @ X)"
            raise Wrong(f"{name} has shape {_shape_text(arr.shape)}, expected {want}", hint=hint)
    if not allow_nonfinite and not _all(_isfinite(arr)):
        raise Wrong(f"{name} contains NaN or infinity",
                    hint="look for a division by zero, a log of 0, or an overflowing exp")
    return arr


def as_float(x, name: str = "your result", *, allow_nonfinite: bool = False) -> float:
    """``x`` as a Python float (accepts numbers, numpy scalars, 0-d or size-1 arrays), or Wrong."""
    arr = as_float_array(x, name, allow_nonfinite=allow_nonfinite)
    if arr.size != 1:
        raise Wrong(f"{name} has shape {_shape_text(arr.shape)}, expected a single number")
    return _float(arr.reshape(-1)[0])


def require_callable(obj, name: str):
    """Wrong unless ``obj`` is callable (a function, a class ...)."""
    if not callable(obj):
        raise Wrong(f"`{name}` should be a function, got {_type(obj).__name__}")
    return obj


def close(a, b, rtol: float = 1e-7, atol: float = 0.0) -> bool:
    """True when ``a`` and ``b`` have the SAME shape and ``|a-b| <= atol + rtol*|b|`` everywhere.

    Never raises on bad input (returns False); NaNs are never close.
    """
    try:
        with _errstate(all="ignore"):
            x = _asarray(_unwrap(a), dtype=float64)
            y = _asarray(_unwrap(b), dtype=float64)
            if x.shape != y.shape:
                return False
            ok = _abs(x - y) <= atol + rtol * _abs(y)
            return bool(_all(ok))
    except Exception:
        return False


def max_error(a, b) -> float:
    """max |a - b| over all entries (same shapes); inf if the shapes differ."""
    x = _asarray(_unwrap(a), dtype=float64)
    y = _asarray(_unwrap(b), dtype=float64)
    if x.shape != y.shape:
        return _float("inf")
    if x.size == 0:
        return 0.0
    with _errstate(all="ignore"):
        return _float(_max(_abs(x - y)))


def expect_close(actual, expected, what: str = "your result", rtol: float = 1e-7, atol: float = 0.0,
                 hint: str | None = None):
    """Raise Wrong (naming the worst entry) unless ``actual`` matches ``expected``.

    Checks type and shape first (via :func:`as_float_array`), then values.
    Returns the actual values as a float array.
    """
    exp = _asarray(_unwrap(expected), dtype=float64)
    got = as_float_array(actual, what, shape=exp.shape)
    if close(got, exp, rtol=rtol, atol=atol):
        return got
    if got.ndim == 0:
        raise Wrong(f"{what} = {_float(got):.6g}, expected {_float(exp):.6g}", hint=hint)
    with _errstate(all="ignore"):
        err = _abs(got - exp) - rtol * _abs(exp)
    idx = _tuple(int(i) for i in _unravel(_argmax(err), got.shape))
    raise Wrong(f"{what}[{', '.join(map(str, idx))}] = {_float(got[idx]):.6g}, "
                f"expected {_float(exp[idx]):.6g} (max abs error {max_error(got, exp):.2g})", hint=hint)


__all__ = [
    "np", "Wrong", "as_float_array", "as_float", "require_callable", "close", "max_error", "expect_close",
    "allclose", "isclose", "array_equal", "asarray", "array", "isfinite", "isnan", "abs", "float", "int",
    "len", "isinstance", "callable",
]
