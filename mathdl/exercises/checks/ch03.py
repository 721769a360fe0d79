"""Checks of chapter 3, *Gradients and gradient descent*.

3.1 ``numerical_gradient(f, w, h)``: all partials by central differences, in the shape of ``w``.
3.2 ``directional_derivative(grad_f, w, v)``: the slope of f at w per unit distance along v.
3.3 ``gradient_descent(grad, w0, lr, num_steps)``: the path w_0, w_1, ..., w_T of w ← w − η∇f(w).
3.4 ``max_stable_lr(A)``: the largest stable learning rate 2/λ_max for f(w) = ½ wᵀAw.

Every reference is computed here from the check's own functions and points.
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

_np = T.np
_array = T.array


def _shape(a) -> str:
    return "(" + ", ".join(str(s) for s in a.shape) + ("," if a.ndim == 1 else "") + ")"


# ---------------------------------------------------------------------------------------------
# 3.1  numerical gradient

# A function of a vector and a function of a matrix, with their exact gradients.
def _f_vec(w):
    return w[0] ** 2 * w[1] + _np.sin(w[2]) + 0.5 * w[1] * w[2]


def _grad_vec(w):
    return _array([2 * w[0] * w[1], w[0] ** 2 + 0.5 * w[2], _np.cos(w[2]) + 0.5 * w[1]])


_C = _array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])


def _f_mat(W):
    return _np.sum(_C * _np.sin(W)) + W[0, 0] * W[1, 2]


def _grad_mat(W):
    G = _C * _np.cos(W)
    G[0, 0] += W[1, 2]
    G[1, 2] += W[0, 0]
    return G


# A function of a 3-D array (a stack of weight matrices), with its exact gradient.
_K3 = _array([[[0.5, -1.0], [2.0, 0.75]], [[-1.5, 1.0], [0.25, -0.5]]])


def _f_3d(W):
    return _np.sum(_K3 * _np.cos(W)) + W[0, 1, 1] * W[1, 0, 0]


def _grad_3d(W):
    G = -_K3 * _np.sin(W)
    G[0, 1, 1] += W[1, 0, 0]
    G[1, 0, 0] += W[0, 1, 1]
    return G


def _fd(f, w, h, kind, block=None):
    """Finite differences of f at w with step h, entry by entry. ``block`` = the number of leading axes
    that are looped over (the others move together: the mistake of a loop written for matrices only)."""
    out = _np.zeros_like(w)
    shape = w.shape if block is None else w.shape[:block]
    for idx in _np.ndindex(shape):
        e = _np.zeros_like(w)
        e[idx] = h
        if kind == "central":
            out[idx] = (f(w + e) - f(w - e)) / (2 * h)
        elif kind == "backward":
            out[idx] = (f(w) - f(w - e)) / h
        else:
            out[idx] = (f(w + e) - f(w)) / h
    return out


@exercise("3.1", target="numerical_gradient", title="The gradient by central differences", points=1)
def _check_numerical_gradient(numerical_gradient):
    T.require_callable(numerical_gradient, "numerical_gradient")
    # Small steps, where the central difference is close to the exact gradient, and large ones, where
    # it is not (sin and cos are not quadratic): an answer must use the step h it is given.
    cases = (
        ("f(w) for w of shape (3,)", _f_vec, _grad_vec, _array([1.3, -0.7, 0.4]), 1e-5),
        ("f(W) for W of shape (2, 3)", _f_mat, _grad_mat, _array([[0.2, -1.1, 0.7], [1.5, 0.3, -0.4]]), 1e-5),
        ("f(w) for w of shape (3,)", _f_vec, _grad_vec, _array([1.3, -0.7, 0.4]), 0.5),
        ("f(W) for W of shape (2, 2, 2)", _f_3d, _grad_3d,
         _array([[[0.3, -0.8], [1.1, 0.2]], [[-0.6, 0.9], [0.4, -1.3]]]), 0.3),
    )
    for label, f, grad, w0, h in cases:
        w = w0.copy()
        what = f"numerical_gradient({label}, h={h:g})"
        raw = numerical_gradient(f, w, h)
        if not T.close(w, w0, rtol=1e-12, atol=1e-15):
            raise Wrong(f"{what} changed the caller's w",
                        hint="you modified w in place; perturb a copy (w.copy()) so the point stays unchanged")
        got = T.as_float_array(raw, what)
        exact = grad(w0)
        if got.shape != exact.shape:
            hint = ("the gradient has the same shape as w: start from np.zeros_like(w) and fill it entry by "
                    "entry (np.ndindex(w.shape) visits every index)")
            raise Wrong(f"{what} has shape {_shape(got)}, expected {_shape(exact)}", hint=hint)
        central = _fd(f, w0, h, "central")
        if T.close(got, central, rtol=1e-7, atol=1e-9):
            continue
        msg = (f"{what}: max error {T.max_error(got, central):.2g} against the central difference with "
               f"step {h:g}")
        if getattr(raw, "dtype", None) == _np.float32:
            # float32 keeps 7 digits of f: with h = 1e-5 the difference f(w + h eᵢ) − f(w − h eᵢ) has lost
            # most of them (error ≈ 6e-8·|f|/h ≈ 1e-2), so this is not a right answer written differently
            raise Wrong(msg + " (your result is float32)",
                        hint="you computed in float32: with a small h the difference of two nearly equal values "
                             "of f keeps only a few of float32's 7 digits; compute in float64 (np.zeros_like on "
                             "a float64 w, or w.astype(float))")
        if T.close(got, _fd(f, w0, h, "backward"), rtol=1e-8, atol=1e-10):
            raise Wrong(msg, hint="this is a backward difference (f(w) − f(w − h eᵢ)) / h; use the central "
                                  "difference (f(w + h eᵢ) − f(w − h eᵢ)) / (2h) for every entry")
        if T.close(got, _fd(f, w0, h, "forward"), rtol=1e-8, atol=1e-10):
            raise Wrong(msg, hint="this is a forward difference; use the central difference "
                                  "(f(w + h eᵢ) − f(w − h eᵢ)) / (2h) for every entry")
        if T.close(got, 2 * central, rtol=1e-6, atol=1e-8):
            raise Wrong(msg + " (every entry twice too large)",
                        hint="the two evaluation points are 2h apart: divide by 2h")
        if T.close(got, -central, rtol=1e-6, atol=1e-8):
            raise Wrong(msg + " (every entry has the wrong sign)",
                        hint="subtract f(w − h eᵢ) from f(w + h eᵢ), not the other way round")
        ones = _np.ones_like(w0) * h
        every = (f(w0 + ones) - f(w0 - ones)) / (2 * h)
        if T.close(got, _np.full_like(w0, every), rtol=1e-6, atol=1e-8):
            raise Wrong(msg + " (all entries equal)",
                        hint="you moved every entry of w at once; entry i of the gradient moves only w[i]")
        if w0.ndim > 2 and T.close(got, _fd(f, w0, h, "central", block=2), rtol=1e-6, atol=1e-8):
            raise Wrong(msg + f" (for w of shape {_shape(w0)})",
                        hint="for a 3-D w you moved a whole row w[i, j, :] at once, as if w had at most two "
                             "axes: loop over every index of any shape with np.ndindex(w.shape)")
        if T.close(got, exact, rtol=1e-5, atol=1e-6):
            raise Wrong(msg + f"; it is close to the exact gradient instead (max difference "
                              f"{T.max_error(got, exact):.2g})",
                        hint="your result approximates the exact gradient but is not the central difference "
                             "with step h (a step of your own, or a forward difference with a tiny step?); "
                             "with a large h the two differ: use the h you are given")
        raise Wrong(msg, hint="entry i is (f(w + h eᵢ) − f(w − h eᵢ)) / (2h), where eᵢ is 1 at index i, 0 elsewhere")
    return "matches the central difference for a vector, a matrix and a 3-D array, with small and large h"


# ---------------------------------------------------------------------------------------------
# 3.2  directional derivative

def _grad_q(w):  # gradient of f(w) = w0² + 3 w0 w1 + 2 w1² − w1
    return _array([2 * w[0] + 3 * w[1], 3 * w[0] + 4 * w[1] - 1.0])


@exercise("3.2", target="directional_derivative", title="Directional derivative", points=1)
def _check_directional_derivative(directional_derivative):
    T.require_callable(directional_derivative, "directional_derivative")
    cases = (((0.5, -1.0), (3.0, 4.0)), ((1.0, 2.0), (0.0, -2.0)), ((-0.3, 0.8), (1.0, 1.0)))
    for w_, v_ in cases:
        w, v = _array(w_), _array(v_)
        what = f"directional_derivative(grad_f, w={list(w_)}, v={list(v_)})"
        raw = directional_derivative(_grad_q, w.copy(), v.copy())
        arr = T.as_float_array(raw, what)
        g = _grad_q(w)
        norm = T.float(_np.sqrt(_np.sum(v * v)))
        ref = T.float(_np.sum(g * v)) / norm
        if arr.size != 1:
            hint = None
            if arr.shape == v.shape and (T.close(arr, g * v) or T.close(arr, g * v / norm)):
                hint = "a directional derivative is one number: sum the products (a dot product, g @ u)"
            raise Wrong(f"{what} has shape {_shape(arr)}, expected a single number", hint=hint)
        got = T.float(arr.reshape(-1)[0])
        # 1e-6: a right answer computed or returned in float32 is off by a few units of 6e-8; every
        # mistake named below changes the result by at least 10 %
        if T.isclose_scalar(got, ref, rel_tol=1e-6, abs_tol=1e-9):
            continue
        msg = f"{what} = {got:.6g}, expected {ref:.6g}"
        if T.isclose_scalar(got, ref * norm, rel_tol=1e-9):
            raise Wrong(msg, hint="v is not a unit vector: divide by its length, ∇f(w)·v / ‖v‖, to get the slope "
                                  "per unit distance")
        if T.isclose_scalar(got, -ref, rel_tol=1e-9):
            raise Wrong(msg, hint="the sign is flipped: the directional derivative is +∇f(w)·u")
        if T.isclose_scalar(got, ref / norm, rel_tol=1e-9):
            raise Wrong(msg, hint="you divided by ‖v‖² instead of ‖v‖")
        l1 = T.float(_np.sum(_np.abs(v)))
        if T.isclose_scalar(got, ref * norm / l1, rel_tol=1e-9):
            raise Wrong(msg, hint="you divided by the sum of |vᵢ|; the length of v is its Euclidean "
                                  "length ‖v‖ = sqrt(v · v)")
        if T.isclose_scalar(got, T.float(_np.sqrt(_np.sum(g * g))), rel_tol=1e-9):
            raise Wrong(msg, hint="you returned ‖∇f(w)‖, the steepest slope, which does not depend on v: "
                                  "take the dot product of the gradient with u = v / ‖v‖")
        g_at_v = _grad_q(v)
        if T.isclose_scalar(got, T.float(_np.sum(g_at_v * v)) / norm, rel_tol=1e-9):
            raise Wrong(msg, hint="you took the gradient at v: evaluate it at the point w, grad_f(w), and "
                                  "use v only as the direction")
        raise Wrong(msg, hint="compute the gradient at w, then its dot product with u = v / ‖v‖")
    return "right at 3 points, also when v is not a unit vector"


# ---------------------------------------------------------------------------------------------
# 3.3  gradient descent

_A33 = _array([[3.0, 1.0], [1.0, 2.0]])
_B33 = _array([1.0, -1.0])


def _grad33(w):  # gradient of ½ wᵀAw − bᵀw
    return _A33 @ w - _B33


def _path(w0, lr, num_steps, sign=-1.0):
    w = _array(w0, dtype=T.float64)
    out = [w.copy()]
    for _ in T.range(num_steps):
        w = w + sign * lr * _grad33(w)
        out.append(w.copy())
    return _np.stack(out)


@exercise("3.3", target="gradient_descent", title="The gradient-descent loop", points=1)
def _check_gradient_descent(gradient_descent):
    T.require_callable(gradient_descent, "gradient_descent")
    for w0_, lr, num_steps in (((1.0, -2.0), 0.1, 5), ((-0.5, 0.25), 0.3, 8)):
        w0 = _array(w0_)
        what = f"gradient_descent(grad, w0={list(w0_)}, lr={lr}, num_steps={num_steps})"
        raw = gradient_descent(_grad33, w0, lr, num_steps)
        if not T.close(w0, _array(w0_), rtol=0.0, atol=0.0):
            raise Wrong(f"{what} changed the caller's w0 to {[round(T.float(x), 6) for x in w0]}",
                        hint="`w -= lr * g` on w = w0 updates w0 itself; start from w = w0.copy() "
                             "or write w = w - lr * g")
        got = T.as_float_array(raw, what, allow_nonfinite=True)
        ref = _path(w0_, lr, num_steps)
        want = _shape(ref)
        if got.ndim != 2 or got.shape[1] != 2:
            raise Wrong(f"{what} has shape {_shape(got)}, expected {want}: one row per point w_0 ... w_T",
                        hint="return np.array(path), where path is a list of the iterates (each of shape (2,))")
        if got.shape[0] != ref.shape[0]:
            hint = "num_steps steps visit num_steps + 1 points: w_0 (the start) and one new point per step"
            if got.shape[0] == num_steps and T.close(got, ref[1:], rtol=1e-9, atol=1e-12):
                hint = "the path must start with w0 itself: put w0 in the list before the first step"
            elif got.shape[0] == num_steps and T.close(got, ref[:-1], rtol=1e-9, atol=1e-12):
                hint = "off by one: you stopped one step early (num_steps steps give num_steps + 1 points)"
            raise Wrong(f"{what} has {got.shape[0]} rows, expected {ref.shape[0]} (shape {want})", hint=hint)
        # rtol 1e-6, atol 1e-7: a path stored in float32 (a right answer) rounds each iterate, of size
        # about 1, to 6e-8 relative; the mistakes below move the iterates by 1e-2 or more
        if T.close(got, ref, rtol=1e-6, atol=1e-7):
            continue
        msg = f"{what}: the iterates differ from w ← w − η∇f(w) (max error {T.max_error(got, ref):.3g})"
        if T.close(got, _path(w0_, lr, num_steps, sign=+1.0), rtol=1e-9, atol=1e-12):
            raise Wrong(msg, hint="you climbed: gradient descent subtracts the step, w ← w − η∇f(w)")
        if T.close(got, _path(w0_, 1.0, num_steps), rtol=1e-9, atol=1e-12):
            raise Wrong(msg, hint="the learning rate is missing: the step is −lr · grad(w), not −grad(w)")
        if T.close(got, _np.broadcast_to(ref[-1], ref.shape), rtol=1e-9, atol=1e-12) or \
                T.close(got[1:], _np.broadcast_to(ref[-1], ref[1:].shape), rtol=1e-9, atol=1e-12):
            raise Wrong(msg + " (all rows are the last point)",
                        hint="you appended the same array each time and then changed it in place "
                             "(w -= ...); append w.copy(), or write w = w - lr * grad(w)")
        if T.close(got[0], ref[0], rtol=1e-12, atol=0.0) and \
                T.close(got[1:], _np.stack([w0 - lr * _grad33(w0)] * num_steps), rtol=1e-9, atol=1e-12):
            raise Wrong(msg, hint="every step starts from w0: update w and take the next gradient at the new w")
        raise Wrong(msg, hint="each step is w = w - lr * grad(w), using the gradient at the current point")
    return "the path matches w ← w − η∇f(w), start included"


# ---------------------------------------------------------------------------------------------
# 3.4  the largest stable learning rate

def _rot(theta):
    c, s = _np.cos(theta), _np.sin(theta)
    return _array([[c, -s], [s, c]])


def _cases34():
    R = _rot(0.6)
    A1 = R @ _np.diag([1.0, 10.0]) @ R.T                      # off-diagonal: max diag entry < λ_max
    Q, _ = _np.linalg.qr(_np.random.default_rng(3).standard_normal((3, 3)))
    A2 = Q @ _np.diag([0.4, 2.0, 8.0]) @ Q.T               # λ_min·λ_max ≠ 4: 2/λ_min ≠ λ_max/2
    A3 = _np.diag([4.0, 0.25])                                 # diagonal, λ_max first
    # the 3×3 first: for a 2×2, 2/trace(A) IS 2/(λ_min + λ_max), and the hint could not tell the two apart
    return ((A2, 0.4, 8.0), (A1, 1.0, 10.0), (A3, 0.25, 4.0))


@exercise("3.4", target="max_stable_lr", title="The largest stable learning rate", points=1)
def _check_max_stable_lr(max_stable_lr):
    T.require_callable(max_stable_lr, "max_stable_lr")
    for A, lmin, lmax in _cases34():
        n = A.shape[0]
        what = f"max_stable_lr(A) for a {n}×{n} A with eigenvalues from {lmin:g} to {lmax:g}"
        got = T.as_float(max_stable_lr(A.copy()), what)
        ref = 2.0 / lmax
        # 1e-6: a right answer in float32 is off by 6e-8 relative; the nearest mistake below (2/‖A‖_F for
        # the 2×2) is 5e-3 off
        if T.isclose_scalar(got, ref, rel_tol=1e-6):
            continue
        msg = f"{what} = {got:.6g}, expected {ref:.6g}"

        def near(x, got=got):
            return T.isclose_scalar(got, x, rel_tol=1e-6)

        if near(2.0 / lmin):
            hint = ("you used λ_min; the step must be stable along every eigenvector, and the steepest "
                    "direction (λ_max) is the first to overshoot: η < 2/λ_max")
        elif near(1.0 / lmax):
            hint = ("1/λ_max is stable but not the largest: along an eigenvector the error is multiplied by "
                    "1 − ηλ each step, and |1 − ηλ| < 1 holds up to η = 2/λ")
        elif near(2.0 / T.float(_np.trace(A))) and n > 2:
            hint = ("the trace of A is the SUM of its eigenvalues, not the largest one: use "
                    "np.linalg.eigvalsh(A).max()")
        elif near(2.0 / (lmin + lmax)):
            hint = "2/(λ_min + λ_max) is the best fixed step (fastest rate), not the largest stable one"
        elif near(2.0 / T.float(_np.sqrt(_np.sum(A * A)))):
            hint = ("np.linalg.norm(A) is the Frobenius norm sqrt(Σ λ²), larger than λ_max; the spectral norm "
                    "np.linalg.norm(A, 2) is λ_max for a symmetric positive definite A")
        elif near(2.0 / T.float(_np.max(_np.sum(_np.abs(A), axis=1)))):
            hint = ("the largest absolute row sum only bounds λ_max from above (Gershgorin), so 2 over it is "
                    "stable but not the largest stable rate: use the eigenvalues")
        elif near(1.0 / lmin):
            hint = "use the largest eigenvalue, and |1 − ηλ| < 1 allows η up to 2/λ"
        elif near(2.0 / T.float(_np.max(_np.diag(A)))) or near(2.0 / T.float(_np.max(_np.abs(A)))):
            hint = ("the diagonal entries of A are not its eigenvalues unless A is diagonal: use "
                    "np.linalg.eigvalsh(A).max()")
        elif near(lmax / 2.0):
            hint = "you inverted it: the bound is 2 divided by λ_max"
        else:
            hint = "along an eigenvector with eigenvalue λ the error is multiplied by 1 − ηλ each step"
        raise Wrong(msg, hint=hint)
    return "2/λ_max for a rotated 2×2, a random 3×3, a diagonal"
