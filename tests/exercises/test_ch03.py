"""The checks of chapter 3: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint.

WRONG_ANSWERS and RIGHT_ANSWERS are the tables of conftest.py: each wrong answer must fail with the hint
that names its mistake, each right answer written differently from the reference must pass.
"""

import math

import numpy as np

from mathdl.exercises import check

from .conftest import Right, Wrong, run, stub


# ---- 3.1 numerical gradient -------------------------------------------------------------------
def numerical_gradient(f, w, h=1e-5):
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        grad[idx] = (f(w + e) - f(w - e)) / (2 * h)
    return grad


def grad_flat_index(f, w, h=1e-5):
    # right, written differently: a flat index and a reshape instead of np.ndindex
    w = np.asarray(w, dtype=float)
    out = []
    for k in range(w.size):
        e = np.zeros(w.size)
        e[k] = h
        e = e.reshape(w.shape)
        out.append((f(w + e) - f(w - e)) / (2 * h))
    return np.array(out).reshape(w.shape)


def grad_eye(f, w, h=1e-5):
    # right, written differently: the steps h·eᵢ are the rows of an identity matrix
    E = np.eye(w.size).reshape((w.size,) + w.shape) * h
    return np.array([(f(w + e) - f(w - e)) / (2 * h) for e in E]).reshape(w.shape)


def grad_forward(f, w, h=1e-5):
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        grad[idx] = (f(w + e) - f(w)) / h
    return grad


def grad_forward_own_step(f, w, h=1e-5):
    # ignores h: a forward difference with a tiny step of its own, close to the exact gradient
    return grad_forward(f, w, 1e-8)


def grad_central_own_step(f, w, h=1e-5):
    # ignores h: the right formula, but always with the step 1e-6
    return numerical_gradient(f, w, 1e-6)


def grad_flat(f, w, h=1e-5):
    return numerical_gradient(f, w, h).ravel()


def grad_in_place(f, w, h=1e-5):
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        w[idx] += h
        up = f(w)
        w[idx] -= 2 * h
        grad[idx] = (up - f(w)) / (2 * h)
    return grad


def grad_all_at_once(f, w, h=1e-5):
    return np.full_like(w, (f(w + h) - f(w - h)) / (2 * h))


def grad_over_h(f, w, h=1e-5):
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        grad[idx] = (f(w + e) - f(w - e)) / h
    return grad


def grad_reversed(f, w, h=1e-5):
    return -numerical_gradient(f, w, h)


def grad_matrices_only(f, w, h=1e-5):
    # written for vectors and matrices: loops over the first two axes only
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape[:2]):
        e = np.zeros_like(w)
        e[idx] = h
        grad[idx] = (f(w + e) - f(w - e)) / (2 * h)
    return grad


def grad_backward(f, w, h=1e-5):
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        grad[idx] = (f(w) - f(w - e)) / h
    return grad


def grad_float32(f, w, h=1e-5):
    # the central difference computed in float32: with h = 1e-5 most of f's 7 digits cancel
    return numerical_gradient(f, np.asarray(w, dtype=np.float32), h)


def grad_in_place_restored(f, w, h=1e-5):
    # right, written differently: perturbs w in place and restores every entry afterwards
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        old = w[idx]
        w[idx] = old + h
        up = f(w)
        w[idx] = old - h
        down = f(w)
        w[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad


def gd_float32(grad, w0, lr, num_steps):
    # right, written differently: the path stored in a float32 array
    path = np.empty((num_steps + 1, len(w0)), dtype=np.float32)
    path[0] = w0
    for t in range(num_steps):
        path[t + 1] = path[t] - lr * grad(path[t])
    return path


def grad_1d_only(f, w, h=1e-5):
    grad = np.zeros(len(w))
    for i in range(len(w)):
        e = np.zeros_like(w)
        e[i] = h
        grad[i] = (f(w + e) - f(w - e)) / (2 * h)
    return grad


def test_3_1_reference_and_stub(capsys):
    assert check("3.1", numerical_gradient).passed
    assert "✅ Exercise 3.1 passed" in capsys.readouterr().out
    assert run("3.1", stub).status == "not attempted"


# ---- 3.2 directional derivative ---------------------------------------------------------------
def directional_derivative(grad_f, w, v):
    u = v / np.linalg.norm(v)
    return grad_f(w) @ u


def dd_loop(grad_f, w, v):
    # right, written differently: explicit sums and math.sqrt, a Python float
    g = grad_f(w)
    length = math.sqrt(sum(float(vi) ** 2 for vi in v))
    return sum(float(gi) * float(vi) for gi, vi in zip(g, v, strict=False)) / length


def test_3_2_reference_and_stub():
    assert run("3.2", directional_derivative).passed
    assert run("3.2", stub).status == "not attempted"


# ---- 3.3 gradient descent ---------------------------------------------------------------------
def gradient_descent(grad, w0, lr, num_steps):
    w = np.array(w0, dtype=float)
    path = [w.copy()]
    for _ in range(num_steps):
        w = w - lr * grad(w)
        path.append(w.copy())
    return np.array(path)


def gd_preallocated(grad, w0, lr, num_steps):
    # right, written differently: a preallocated array filled row by row
    path = np.empty((num_steps + 1, len(w0)))
    path[0] = w0
    for t in range(num_steps):
        path[t + 1] = path[t] - lr * grad(path[t])
    return path


def gd_ascent(grad, w0, lr, num_steps):
    w = np.array(w0, dtype=float)
    path = [w.copy()]
    for _ in range(num_steps):
        w = w + lr * grad(w)
        path.append(w.copy())
    return np.array(path)


def gd_no_start(grad, w0, lr, num_steps):
    return gradient_descent(grad, w0, lr, num_steps)[1:]


def gd_one_short(grad, w0, lr, num_steps):
    return gradient_descent(grad, w0, lr, num_steps - 1)


def gd_no_lr(grad, w0, lr, num_steps):
    return gradient_descent(grad, w0, 1.0, num_steps)


def gd_aliased(grad, w0, lr, num_steps):
    w = np.array(w0, dtype=float)
    path = [w]
    for _ in range(num_steps):
        w -= lr * grad(w)
        path.append(w)
    return np.array(path)


def gd_mutates_w0(grad, w0, lr, num_steps):
    w = w0
    path = [w.copy()]
    for _ in range(num_steps):
        w -= lr * grad(w)
        path.append(w.copy())
    return np.array(path)


def gd_always_from_start(grad, w0, lr, num_steps):
    path = [np.array(w0, dtype=float)]
    for _ in range(num_steps):
        path.append(w0 - lr * grad(w0))
    return np.array(path)


def test_3_3_reference_and_stub():
    assert run("3.3", gradient_descent).passed
    assert run("3.3", stub).status == "not attempted"


# ---- 3.4 largest stable learning rate ----------------------------------------------------------
def max_stable_lr(A):
    return 2.0 / np.linalg.eigvalsh(A).max()


def test_3_4_reference_and_stub():
    assert run("3.4", max_stable_lr).passed
    assert run("3.4", stub).status == "not attempted"


# ---- the tables -------------------------------------------------------------------------------
WRONG_ANSWERS = {
    "3.1": [
        Wrong(grad_forward, "forward difference", "a forward difference"),
        Wrong(grad_forward_own_step, "use the h you are given", "ignores h: forward difference with step 1e-8"),
        Wrong(grad_central_own_step, "use the h you are given", "ignores h: central difference with step 1e-6"),
        Wrong(grad_flat, "same shape as w", "returns a flat array for a matrix w"),
        Wrong(grad_1d_only, "same shape as w", "loops over len(w): vectors only"),
        Wrong(grad_matrices_only, "moved a whole row", "loops over two axes only: wrong on 3-D w"),
        Wrong(grad_in_place, "in place", "perturbs the caller's w in place"),
        Wrong(grad_all_at_once, "moved every entry", "moves every entry at once"),
        Wrong(grad_over_h, "divide by 2h", "divides by h instead of 2h"),
        Wrong(grad_reversed, "subtract f(w − h eᵢ)", "subtracts in the wrong order"),
        Wrong(grad_backward, "backward difference", "a backward difference with the given h"),
        Wrong(grad_float32, "float32", "computes in float32, where a step of 1e-5 cancels most digits"),
    ],
    "3.2": [
        Wrong(lambda grad_f, w, v: grad_f(w) @ v, "not a unit vector", "does not normalise v"),
        Wrong(lambda grad_f, w, v: grad_f(w) * v / np.linalg.norm(v), "one number",
              "returns the elementwise products, not their sum"),
        Wrong(lambda grad_f, w, v: -directional_derivative(grad_f, w, v), "sign", "flips the sign"),
        Wrong(lambda grad_f, w, v: grad_f(w) @ v / (v @ v), "‖v‖²", "divides by ‖v‖²"),
        Wrong(lambda grad_f, w, v: grad_f(w) @ v / np.sum(np.abs(v)), "Euclidean length",
              "normalises by the sum of |v_i|"),
        Wrong(lambda grad_f, w, v: float(np.linalg.norm(grad_f(w))), "does not depend on v",
              "returns the steepest slope, ignoring v"),
        Wrong(lambda grad_f, w, v: directional_derivative(grad_f, v, v), "gradient at v",
              "evaluates the gradient at v instead of w"),
    ],
    "3.3": [
        Wrong(gd_ascent, "you climbed", "adds the step: gradient ascent"),
        Wrong(gd_no_start, "start with w0", "leaves out the start w0"),
        Wrong(gd_one_short, "off by one", "one step short"),
        Wrong(gd_no_lr, "learning rate is missing", "ignores lr"),
        Wrong(gd_aliased, "same array", "appends the same array, updated in place"),
        Wrong(gd_mutates_w0, "w0.copy()", "mutates the caller's w0"),
        Wrong(gd_always_from_start, "every step starts from w0", "takes every step from w0"),
    ],
    "3.4": [
        Wrong(lambda A: 2.0 / np.linalg.eigvalsh(A).min(), "λ_min", "uses the smallest eigenvalue"),
        Wrong(lambda A: 1.0 / np.linalg.eigvalsh(A).max(), "not the largest", "1/λ_max: the no-overshoot step"),
        Wrong(lambda A: 2.0 / (np.linalg.eigvalsh(A).min() + np.linalg.eigvalsh(A).max()), "best fixed step",
              "the best fixed step instead of the largest stable one"),
        Wrong(lambda A: 2.0 / np.diag(A).max(), "not its eigenvalues", "the largest diagonal entry as λ_max"),
        Wrong(lambda A: np.linalg.eigvalsh(A).max() / 2, "inverted", "λ_max / 2: inverted"),
        Wrong(lambda A: 2.0 / np.trace(A), "trace", "2/trace(A): the sum of the eigenvalues"),
        Wrong(lambda A: 2.0 / np.linalg.norm(A), "Frobenius", "2/np.linalg.norm(A): the Frobenius norm"),
        Wrong(lambda A: 2.0 / np.abs(A).sum(axis=1).max(), "Gershgorin", "2 over the largest row sum"),
    ],
}

RIGHT_ANSWERS = {
    "3.1": [
        Right(grad_flat_index, "a flat index and a reshape instead of np.ndindex"),
        Right(grad_eye, "the steps as rows of an identity matrix, one list comprehension"),
        Right(grad_in_place_restored, "perturbs w in place and restores it"),
    ],
    "3.2": [
        Right(dd_loop, "explicit sums and math.sqrt, returning a Python float"),
        Right(lambda grad_f, w, v: float(np.dot(grad_f(w), v) / np.sqrt(np.dot(v, v))),
              "the dot product divided by sqrt(v·v)"),
        Right(lambda grad_f, w, v: np.float32(grad_f(w) @ v) / np.float32(np.linalg.norm(v)),
              "a float32 result"),
    ],
    "3.3": [
        Right(gd_preallocated, "a preallocated array filled row by row"),
        Right(lambda grad, w0, lr, num_steps: [list(r) for r in gradient_descent(grad, w0, lr, num_steps)],
              "a list of lists instead of an array"),
        Right(gd_float32, "the path stored in a float32 array"),
    ],
    "3.4": [
        Right(lambda A: 2.0 / np.linalg.norm(A, 2), "the spectral norm (= λ_max for a positive definite A)"),
        Right(lambda A: 2.0 / max(np.linalg.eig(A)[0].real), "the general eigenvalue solver np.linalg.eig"),
        Right(lambda A: np.float32(2.0) / np.linalg.eigvalsh(A.astype(np.float32)).max(), "in float32"),
    ],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
