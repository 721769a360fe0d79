"""Checks of chapter 2, *Partial derivatives*.

2.1 ``partial_derivative(f, w, i, h)``: the central difference along axis ``i``.
2.2 ``partials_f(x, y)``: the two partials of f(x, y) = x²y − 3y² + 2x, by hand.
2.3 ``slice_tangent(f, w, i, h)``: slope and intercept of the tangent line of a slice.

2.1 and 2.3 probe with a small and a large h: with h = 0.5 the central difference of ``_k`` is 4-6 % off the
exact partial, so an answer that ignores h (the exact partial, or a tiny step of its own) fails.

Every reference is computed here from the check's own functions and points.
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

_np = T.np
_sin = _np.sin
_cos = _np.cos
_array = T.array


# A test function of three inputs with distinct partials at the test point, and its exact partials.
def _g(w):
    return w[0] ** 2 * w[1] + _sin(w[2])


def _g_partials(w):
    return (2.0 * w[0] * w[1], w[0] ** 2, _cos(w[2]))


_W = (1.3, -0.7, 0.4)   # partials -1.82, 1.69, 0.921: all different, and their sum (0.791) differs too


def _central(f, w, i, h):
    e = _np.zeros_like(w)
    e[i] = h
    return (f(w + e) - f(w - e)) / (2.0 * h)


def _forward(f, w, i, h):
    e = _np.zeros_like(w)
    e[i] = h
    return (f(w + e) - f(w)) / h


_exp = _np.exp


# A second test function, for a LARGE step: along every axis its third derivative is far from 0, so with
# h = 0.5 the central difference differs from the exact partial by 4-6 % (sin: sin(h)/h = 0.959; exp:
# sinh(h)/h = 1.042; cube: + h² = + 0.25). A difference that ignores h (the exact partial, or a step of the
# learner's own) is then visible. The quadratic/linear axes of _g cannot show that: there the central
# difference is exact for every h.
def _k(w):
    return _sin(w[0]) * _exp(w[1]) + w[2] ** 3


def _k_partials(w):
    return (_cos(w[0]) * _exp(w[1]), _sin(w[0]) * _exp(w[1]), 3.0 * w[2] ** 2)


_WK = (0.7, -0.3, 1.2)   # partials 0.567, 0.477, 4.32
_H_LARGE = 0.5

# (f, its exact partials, the point, h): a small step on _g, then a large one on _k
_PROBES = ((_g, _g_partials, _W, 1e-4), (_k, _k_partials, _WK, _H_LARGE))


def _diagnose_partial(got, f, partials, w, i, h, what):
    """Raise Wrong with the most likely mistake when ``got`` is not the central difference along axis ``i``."""
    ref = _central(f, w, i, h)
    exact = partials(w)
    msg = f"{what} = {got:.8g}, expected {ref:.8g}"
    if T.isclose_scalar(got, _forward(f, w, i, h), rel_tol=1e-9, abs_tol=1e-12):
        raise Wrong(msg, hint="this is a forward difference (f(w + h eᵢ) − f(w)) / h; the central difference "
                              "steps both ways: (f(w + h eᵢ) − f(w − h eᵢ)) / (2h)")
    if T.isclose_scalar(got, 2.0 * ref, rel_tol=1e-7):
        raise Wrong(msg + " (twice too large)",
                    hint="the two evaluation points are 2h apart, so divide by 2h, not by h")
    ones = _np.ones_like(w) * h
    moved_all = (f(w + ones) - f(w - ones)) / (2.0 * h)
    if T.isclose_scalar(got, moved_all, rel_tol=1e-7):
        raise Wrong(msg, hint="you moved every input at once (w + h); a partial derivative moves only input i: "
                              "add h to a copy of w at index i only")
    for j in T.range(T.len(w)):
        if j != i and (T.isclose_scalar(got, exact[j], rel_tol=1e-4)
                       or T.isclose_scalar(got, _central(f, w, j, h), rel_tol=1e-7)):
            raise Wrong(msg, hint=f"that is the partial along axis {j}: i is the 0-based index of the input to move")
    if h >= 0.1 and T.isclose_scalar(got, _central(f, w, i, h / 2.0), rel_tol=1e-9):
        raise Wrong(msg, hint="your points are w ± (h/2) eᵢ, h apart: step a full h each way, "
                              "(f(w + h eᵢ) − f(w − h eᵢ)) / (2h)")
    if T.isclose_scalar(got, exact[i], rel_tol=1e-4 if h >= 0.1 else 1e-6, abs_tol=1e-9):
        raise Wrong(msg + f" (the exact partial is {exact[i]:.8g})",
                    hint=f"that is (close to) the exact partial, not the central difference with h = {h:g}: "
                         f"you ignore the argument h (a step of your own, or the formula). Use the h you are "
                         f"given: (f(w + h eᵢ) − f(w − h eᵢ)) / (2h)")
    raise Wrong(msg, hint="compute (f(w + h eᵢ) − f(w − h eᵢ)) / (2h), where eᵢ is 1 at index i and 0 elsewhere, "
                          "with the h you are given")


@exercise("2.1", target="partial_derivative", title="Numerical partial derivative", points=1)
def _check_partial_derivative(partial_derivative):
    T.require_callable(partial_derivative, "partial_derivative")
    for f, partials, point, h in _PROBES:
        for i in (0, 1, 2):
            w = _array(point, dtype=T.float64)
            w_before = w.copy()
            what = f"partial_derivative(f, w, {i}, h={h:g})"
            raw = partial_derivative(f, w, i, h)
            if not T.close(w, w_before, rtol=1e-12, atol=1e-15):
                raise Wrong(f"after {what} the caller's w changed from {list(w_before)} to {list(w)}",
                            hint="you changed w in place; work on a copy (w.copy()) so the caller's point is "
                                 "unchanged")
            arr = T.as_float_array(raw, what)
            if arr.shape == (T.len(w),):
                raise Wrong(f"{what} has shape ({T.len(w)},), expected a single number",
                            hint=f"you returned all {T.len(w)} partials (the gradient); return the one along "
                                 f"axis i only")
            got = T.as_float(arr, what)
            w = _array(point, dtype=T.float64)
            # the central difference with THIS h, up to the rounding of another way of writing it
            # (ε·|f| / (2h·|∂f|) ≈ 1e-12 relative at h = 1e-4)
            if T.isclose_scalar(got, _central(f, w, i, h), rel_tol=1e-8, abs_tol=1e-10):
                continue
            _diagnose_partial(got, f, partials, w, i, h, what)
    return "central differences along all 3 axes match, with h = 1e-4 and with h = 0.5"


# ---------------------------------------------------------------------------------------------
# 2.2  partials of f(x, y) = x²y − 3y² + 2x by hand

def _f22(x, y):
    return x * x * y - 3.0 * y * y + 2.0 * x


_P22 = ((1.5, -0.5), (-2.0, 3.0), (0.3, 0.7))


@exercise("2.2", target="partials_f", title="Partial derivatives by hand", points=1)
def _check_partials_f(partials_f):
    T.require_callable(partials_f, "partials_f")
    for x, y in _P22:
        what = f"partials_f({x}, {y})"
        raw = partials_f(x, y)
        if T.callable(raw):
            raise Wrong(f"{what} returned a function",
                        hint="return the two numbers (df_dx, df_dy) at the point (x, y), not a function")
        got = T.as_float_array(raw, what)
        if got.shape != (2,):
            raise Wrong(f"{what} has shape {tuple(got.shape)}, expected a pair (df_dx, df_dy)",
                        hint="return a tuple of two numbers: return df_dx, df_dy")
        fx, fy = 2.0 * x * y + 2.0, x * x - 6.0 * y
        gx, gy = T.float(got[0]), T.float(got[1])

        def near(a, b):
            return T.isclose_scalar(a, b, rel_tol=1e-9, abs_tol=1e-12)

        if near(gx, fx) and near(gy, fy):
            continue
        msg = f"{what} = ({gx:.6g}, {gy:.6g}), expected ({fx:.6g}, {fy:.6g})"
        if near(gx, fy) and near(gy, fx):
            raise Wrong(msg, hint="the two partials are swapped: return (∂f/∂x, ∂f/∂y) in that order")
        if near(gx, fx + fy) or near(gy, fx + fy):
            raise Wrong(msg, hint="you added both partials (that is the slope along the diagonal, moving x and y "
                                  "together); a partial moves one input and holds the other fixed")
        if not near(gx, fx):
            if near(gx, 2.0 * x * y):
                hint = "∂f/∂x misses the +2: the term 2x has slope 2 in x"
            elif near(gx, 2.0 * x * y - 6.0 * y + 2.0):
                hint = ("in ∂f/∂x, y is a constant, so the term −3y² contributes 0 "
                        "(you differentiated it with respect to y)")
            elif near(gx, 2.0 * x * y + x * x + 2.0):
                hint = "in ∂f/∂x, y is a constant: x²y differentiates to 2xy only"
            else:
                hint = "for ∂f/∂x treat y as a constant number: x²y → 2xy, −3y² → 0, 2x → 2"
            raise Wrong(msg, hint=hint)
        if near(gy, x * x - 6.0 * y + 2.0):
            hint = "in ∂f/∂y, x is a constant, so the term 2x contributes 0"
        elif near(gy, -6.0 * y) or near(gy, 2.0 * x - 6.0 * y):
            hint = "in ∂f/∂y, x² is a constant factor: x²y differentiates to x²"
        elif near(gy, x * x - 3.0 * y) or near(gy, x * x - 6.0):
            hint = "the power rule: −3y² has slope −6y in y"
        else:
            hint = "for ∂f/∂y treat x as a constant number: x²y → x², −3y² → −6y, 2x → 0"
        raise Wrong(msg, hint=hint)
    return "both partials are right at 3 points"


# ---------------------------------------------------------------------------------------------
# 2.3  the tangent line of a slice

@exercise("2.3", target="slice_tangent", title="The tangent line of a slice", points=1)
def _check_slice_tangent(slice_tangent):
    T.require_callable(slice_tangent, "slice_tangent")
    # a small step on _g, then the large step h = 0.5 on _k, where the central difference is 4-6 % off the
    # exact slope: the slope must be the central difference with the h given, not the exact partial
    for f, partials, point, h in ((_g, _g_partials, _W, 1e-5), (_k, _k_partials, _WK, _H_LARGE)):
        for i in (0, 2):
            w = _array(point, dtype=T.float64)
            w_before = w.copy()
            what = f"slice_tangent(f, w, {i}, h={h:g})"
            raw = slice_tangent(f, w, i, h)
            if not T.close(w, w_before, rtol=1e-12, atol=1e-15):
                raise Wrong(f"after {what} the caller's w changed from {list(w_before)} to {list(w)}",
                            hint="you changed w in place; work on a copy (w.copy())")
            if T.callable(raw):
                raise Wrong(f"{what} returned a function",
                            hint="return the pair (slope, intercept) of the line intercept + slope·t")
            got = T.as_float_array(raw, what)
            if got.shape != (2,):
                raise Wrong(f"{what} has shape {tuple(got.shape)}, expected the pair (slope, intercept)",
                            hint="return two numbers: return slope, intercept")
            w = _array(point, dtype=T.float64)
            wi = T.float(w[i])
            slope = T.float(_central(f, w, i, h))
            value = T.float(f(w))
            intercept = value - slope * wi
            exact = partials(w)
            s, c = T.float(got[0]), T.float(got[1])

            def near(a, b, tol=1e-8):
                # another way of writing the same difference rounds differently: ≈ 1e-11 relative at h = 1e-5
                return T.isclose_scalar(a, b, rel_tol=tol, abs_tol=1e-10)

            msg = f"{what} = ({s:.8g}, {c:.8g}), expected (slope, intercept) = ({slope:.8g}, {intercept:.8g})"
            if near(s, slope) and near(c, intercept):
                continue
            if near(s, intercept) and near(c, slope):
                raise Wrong(msg, hint="the pair is swapped: return (slope, intercept)")
            if not near(s, slope):
                for j in T.range(3):
                    if j != i and (near(s, exact[j], 1e-4) or near(s, _central(f, w, j, h), 1e-7)):
                        raise Wrong(msg, hint=f"that slope is the partial along axis {j}; the slice varies "
                                              f"input i")
                if near(s, _forward(f, w, i, h), 1e-9):
                    raise Wrong(msg, hint="use a central difference for the slope: "
                                          "(f(w + h eᵢ) − f(w − h eᵢ)) / (2h)")
                if near(s, 2.0 * slope, 1e-7):
                    raise Wrong(msg, hint="the slope is twice too large: the points w ± h eᵢ are 2h apart, so "
                                          "divide by 2h")
                if near(s, exact[i], 1e-4 if h >= 0.1 else 1e-6):
                    raise Wrong(msg + f" (the exact slope is {exact[i]:.8g})",
                                hint=f"that is (close to) the exact partial, not the central difference with "
                                     f"h = {h:g}: you ignore the argument h (a step of your own, or the formula). "
                                     f"Estimate the slope with the h you are given")
                raise Wrong(msg, hint="the slope is the central difference (f(w + h eᵢ) − f(w − h eᵢ)) / (2h) "
                                      "with the h you are given")
            if near(c, value):
                raise Wrong(msg, hint="f(w) is the line's value at t = wᵢ, not at t = 0: the intercept is "
                                      "f(w) − slope·wᵢ")
            if near(c, value + slope * wi):
                raise Wrong(msg, hint="sign error: the intercept is f(w) − slope·wᵢ, so that the line passes "
                                      "through (wᵢ, f(w))")
            raise Wrong(msg, hint="the tangent line passes through (wᵢ, f(w)) with slope ∂f/∂wᵢ: "
                                  "intercept = f(w) − slope·wᵢ")
    return "slope and intercept match for slices along 2 axes, with h = 1e-5 and with h = 0.5"
