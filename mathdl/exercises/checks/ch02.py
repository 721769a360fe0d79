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


def _backward(f, w, i, h):
    e = _np.zeros_like(w)
    e[i] = h
    return (f(w) - f(w - e)) / h


def _scaled_step_hint(near, got, f, w, i, h):
    """The hint for a central difference whose step was scaled by max(1, |wᵢ|) or |wᵢ|, else None."""
    for scale, how in ((T.max(1.0, T.abs(T.float(w[i]))), "max(1, |wᵢ|)"), (T.abs(T.float(w[i])), "|wᵢ|")):
        # only where the scaled step makes a difference (on a linear axis every step gives the same quotient)
        other = _central(f, w, i, h * scale) if scale > 0 else None
        if scale != 1.0 and scale > 0 and near(got, other) and not near(other, _central(f, w, i, h)):
            return (f"you scaled the step by {how} (as mdl.calculus.partial does); this function takes the step h "
                    f"as given: use h itself")
    return None


def _float32_hint(raw):
    """The hint for a result computed in float32, else None."""
    dt = T.getattr(raw, "dtype", None)
    if dt is None and T.isinstance(raw, (T.tuple, T.list)):
        dts = [T.getattr(v, "dtype", None) for v in raw]
        dt = _np.float32 if any(d == _np.float32 for d in dts) else None
    if dt is not None and dt == _np.float32:
        return ("your result is a float32: a difference quotient in float32 keeps only about 4 correct digits "
                "(chapter 1); compute in float64, the dtype of w")
    return None


def _diagnose_partial(got, f, partials, w, i, h, what, raw=None):
    """Raise Wrong with the most likely mistake when ``got`` is not the central difference along axis ``i``."""
    ref = _central(f, w, i, h)
    exact = partials(w)
    msg = f"{what} = {got:.8g}, expected {ref:.8g}"
    if T.isclose_scalar(got, _forward(f, w, i, h), rel_tol=1e-9, abs_tol=1e-12):
        raise Wrong(msg, hint="this is a forward difference (f(w + h eᵢ) − f(w)) / h; the central difference "
                              "steps both ways: (f(w + h eᵢ) − f(w − h eᵢ)) / (2h)")
    if T.isclose_scalar(got, _backward(f, w, i, h), rel_tol=1e-9, abs_tol=1e-12):
        raise Wrong(msg, hint="this is a backward difference (f(w) − f(w − h eᵢ)) / h; the central difference "
                              "steps both ways: (f(w + h eᵢ) − f(w − h eᵢ)) / (2h)")
    f32 = _float32_hint(raw)
    if f32:
        raise Wrong(msg, hint=f32)
    scaled = _scaled_step_hint(lambda a, b: T.isclose_scalar(a, b, rel_tol=1e-9, abs_tol=1e-12), got, f, w, i, h)
    if scaled:
        raise Wrong(msg, hint=scaled)
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


def _call_on_a_copy(fn, f, point, i, h, what):
    """(fn(f, w, i, h), w) for a fresh float64 w at ``point``; Wrong if fn changed the caller's w."""
    w = _array(point, dtype=T.float64)
    w_before = w.copy()
    raw = fn(f, w, i, h)
    if not T.close(w, w_before, rtol=1e-12, atol=1e-15):
        raise Wrong(f"after {what} the caller's w changed from {list(w_before)} to {list(w)}",
                    hint="you changed w in place; work on a copy (w.copy()) so the caller's point is "
                         "unchanged")
    return raw, w


@exercise("2.1", target="partial_derivative", title="Numerical partial derivative", points=1)
def _check_partial_derivative(partial_derivative):
    T.require_callable(partial_derivative, "partial_derivative")
    for f, partials, point, h in _PROBES:
        for i in (0, 1, 2):
            what = f"partial_derivative(f, w, {i}, h={h:g})"
            raw, w = _call_on_a_copy(partial_derivative, f, point, i, h, what)
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
            _diagnose_partial(got, f, partials, w, i, h, what, raw)
    return "central differences along all 3 axes match, with h = 1e-4 and with h = 0.5"


# ---------------------------------------------------------------------------------------------
# 2.2  partials of f(x, y) = x²y − 3y² + 2x by hand

def _f22(x, y):
    return x * x * y - 3.0 * y * y + 2.0 * x


# the last point is large: a difference quotient of f (step 1e-5, or mdl.calculus.partial's) is off there by
# 1e-9 to 1e-11 relative, far more than the rounding of any way of writing the two formulas (a few 1e-16)
_P22 = ((1.5, -0.5), (-2.0, 3.0), (0.3, 0.7), (250.0, 40.0))


def _is_float32(raw):
    if T.getattr(raw, "dtype", None) == _np.float32:
        return True
    return T.isinstance(raw, (T.tuple, T.list)) and T.len(raw) > 0 and T.all(
        T.getattr(v, "dtype", None) == _np.float32 for v in raw)


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
        # the formulas, written any way, agree to a few units of the last place (float32: of its last place);
        # a difference quotient of f does not
        rtol = 1e-6 if _is_float32(raw) else 1e-12

        def near(a, b, tol=rtol):
            return T.isclose_scalar(a, b, rel_tol=tol, abs_tol=1e-12)

        if near(gx, fx) and near(gy, fy):
            continue
        msg = f"{what} = ({gx:.15g}, {gy:.15g}), expected ({fx:.15g}, {fy:.15g})"
        if near(gx, fx, 1e-5) and near(gy, fy, 1e-5):
            raise Wrong(msg + f" (off by {T.max(T.abs(gx - fx) / T.max(T.abs(fx), 1e-300), T.abs(gy - fy) / T.max(T.abs(fy), 1e-300)):.1e} relative)",
                        hint="close, but not exact: that looks like a difference quotient of f (or "
                             "mdl.calculus.partial). Work the two partials out by hand and return the formulas "
                             "evaluated at (x, y)")
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
    return f"both partials are right at {T.len(_P22)} points"


# ---------------------------------------------------------------------------------------------
# 2.3  the tangent line of a slice

@exercise("2.3", target="slice_tangent", title="The tangent line of a slice", points=1)
def _check_slice_tangent(slice_tangent):
    T.require_callable(slice_tangent, "slice_tangent")
    # a small step on _g, then the large step h = 0.5 on _k, where the central difference is 4-6 % off the
    # exact slope: the slope must be the central difference with the h given, not the exact partial
    for f, partials, point, h in ((_g, _g_partials, _W, 1e-5), (_k, _k_partials, _WK, _H_LARGE)):
        for i in (0, 1, 2):
            what = f"slice_tangent(f, w, {i}, h={h:g})"
            raw, w = _call_on_a_copy(slice_tangent, f, point, i, h, what)
            if T.callable(raw):
                raise Wrong(f"{what} returned a function",
                            hint="return the pair (slope, intercept) of the line intercept + slope·t")
            if (T.isinstance(raw, (T.tuple, T.list)) and T.len(raw) == 2
                    and _np.shape(raw[1]) == (T.len(w),) and _np.shape(raw[0]) == ()):
                raise Wrong(f"{what}: the intercept has shape ({T.len(w)},), expected a number",
                            hint="the intercept is one number, f(w) − slope·w[i], with the entry w[i], not the "
                                 "whole vector w")
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
            # an intercept that is exactly f(w) − s·wᵢ for the learner's own slope s is right given s: then the
            # slope is what is off, even when it is within the tolerance (a tiny step of one's own on a linear axis)
            own = T.isclose_scalar(c, value - s * wi, rel_tol=1e-12, abs_tol=1e-12)
            if not near(s, slope) or own:
                for j in T.range(3):
                    if j != i and (near(s, exact[j], 1e-4) or near(s, _central(f, w, j, h), 1e-7)):
                        raise Wrong(msg, hint=f"that slope is the partial along axis {j}; the slice varies "
                                              f"input i")
                if near(s, _forward(f, w, i, h), 1e-9) or near(s, _backward(f, w, i, h), 1e-9):
                    raise Wrong(msg, hint="use a central difference for the slope: "
                                          "(f(w + h eᵢ) − f(w − h eᵢ)) / (2h)")
                f32 = _float32_hint(raw)
                if f32:
                    raise Wrong(msg, hint=f32)
                scaled = _scaled_step_hint(near, s, f, w, i, h)
                if scaled:
                    raise Wrong(msg, hint=scaled)
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
            for j in T.range(T.len(w)):
                if j != i and near(c, value - slope * T.float(w[j])):
                    raise Wrong(msg, hint=f"the intercept uses w[{j}]; the slice varies input i, so it is "
                                          f"f(w) − slope·w[i]")
            w_zero = w.copy()
            w_zero[i] = 0.0
            if near(c, T.float(f(w_zero))):
                raise Wrong(msg, hint="that is the slice's own value at t = 0, f(w with wᵢ = 0); the TANGENT line's "
                                      "intercept is where the line, not the slice, meets t = 0: f(w) − slope·wᵢ")
            raise Wrong(msg, hint="the tangent line passes through (wᵢ, f(w)) with slope ∂f/∂wᵢ: "
                                  "intercept = f(w) − slope·wᵢ")
    return "slope and intercept match for slices along all 3 axes, with h = 1e-5 and with h = 0.5"
