"""The checks of chapter 3: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

import numpy as np
import pytest

from mathdl.exercises import check, get_exercise, run_check


def run(ex_id, *objs):
    return run_check(get_exercise(ex_id), objs)


def expect_hint(ex_id, fn, fragment):
    res = run(ex_id, fn)
    assert res.status == "failed", res.line()
    assert res.hint and fragment in res.hint, res.line()


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise 3.k: not yet")


# ---- 3.1 numerical gradient -------------------------------------------------------------------
def numerical_gradient(f, w, h=1e-5):
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        grad[idx] = (f(w + e) - f(w - e)) / (2 * h)
    return grad


def grad_forward(f, w, h=1e-5):
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        grad[idx] = (f(w + e) - f(w)) / h
    return grad


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
    return 2 * numerical_gradient(f, w, h)


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
    assert run("3.1", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", [
    (grad_forward, "forward difference"),
    (grad_flat, "same shape as w"),
    (grad_in_place, "in place"),
    (grad_all_at_once, "moved every entry"),
    (grad_over_h, "divide by 2h"),
    (lambda f, w, h=1e-5: -numerical_gradient(f, w, h), "subtract f(w − h eᵢ)"),
])
def test_3_1_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("3.1", fn, fragment)


def test_3_1_loop_over_rows_only_fails_clearly():
    res = run("3.1", grad_1d_only)        # fine for vectors, wrong for a matrix input
    assert res.status in ("failed",), res.line()


# ---- 3.2 directional derivative ---------------------------------------------------------------
def directional_derivative(grad_f, w, v):
    u = v / np.linalg.norm(v)
    return grad_f(w) @ u


@pytest.mark.parametrize("fn, fragment", [
    (lambda grad_f, w, v: grad_f(w) @ v, "not a unit vector"),
    (lambda grad_f, w, v: grad_f(w) * v / np.linalg.norm(v), "one number"),
    (lambda grad_f, w, v: -directional_derivative(grad_f, w, v), "sign"),
    (lambda grad_f, w, v: grad_f(w) @ v / (v @ v), "‖v‖²"),
])
def test_3_2_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("3.2", fn, fragment)


def test_3_2_reference_and_stub():
    assert run("3.2", directional_derivative).passed
    assert run("3.2", _stub).status == "not attempted"


# ---- 3.3 gradient descent ---------------------------------------------------------------------
def gradient_descent(grad, w0, lr, num_steps):
    w = np.array(w0, dtype=float)
    path = [w.copy()]
    for _ in range(num_steps):
        w = w - lr * grad(w)
        path.append(w.copy())
    return np.array(path)


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
    assert run("3.3", lambda grad, w0, lr, num_steps: list(gradient_descent(grad, w0, lr, num_steps))).passed
    assert run("3.3", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", [
    (gd_ascent, "you climbed"),
    (gd_no_start, "start with w0"),
    (gd_one_short, "off by one"),
    (gd_no_lr, "learning rate is missing"),
    (gd_aliased, "same array"),
    (gd_mutates_w0, "w0.copy()"),
    (gd_always_from_start, "every step starts from w0"),
])
def test_3_3_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("3.3", fn, fragment)


# ---- 3.4 largest stable learning rate ----------------------------------------------------------
def max_stable_lr(A):
    return 2.0 / np.linalg.eigvalsh(A).max()


def test_3_4_reference_and_stub():
    assert run("3.4", max_stable_lr).passed
    assert run("3.4", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", [
    (lambda A: 2.0 / np.linalg.eigvalsh(A).min(), "λ_min"),
    (lambda A: 1.0 / np.linalg.eigvalsh(A).max(), "not the largest"),
    (lambda A: 2.0 / (np.linalg.eigvalsh(A).min() + np.linalg.eigvalsh(A).max()), "best fixed step"),
    (lambda A: 2.0 / np.diag(A).max(), "not its eigenvalues"),
    (lambda A: np.linalg.eigvalsh(A).max() / 2, "inverted"),
])
def test_3_4_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("3.4", fn, fragment)
