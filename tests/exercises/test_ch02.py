"""The checks of chapter 2: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

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
    raise NotImplementedError("Exercise 2.k: not yet")


# ---- 2.1 numerical partial derivative ---------------------------------------------------------
def partial_derivative(f, w, i, h=1e-5):
    e = np.zeros_like(w)
    e[i] = h
    return (f(w + e) - f(w - e)) / (2 * h)


def partial_forward(f, w, i, h=1e-5):
    e = np.zeros_like(w)
    e[i] = h
    return (f(w + e) - f(w)) / h


def partial_over_h(f, w, i, h=1e-5):
    e = np.zeros_like(w)
    e[i] = h
    return (f(w + e) - f(w - e)) / h


def partial_all_axes(f, w, i, h=1e-5):
    return (f(w + h) - f(w - h)) / (2 * h)


def partial_in_place(f, w, i, h=1e-5):
    w[i] += h
    up = f(w)
    w[i] -= 2 * h
    down = f(w)
    return (up - down) / (2 * h)          # forgets to restore w[i]


def partial_one_based(f, w, i, h=1e-5):
    return partial_derivative(f, w, (i + 1) % len(w), h)


def test_2_1_reference_passes(capsys):
    res = check("2.1", partial_derivative)
    assert res.passed, res.line()
    assert "✅ Exercise 2.1 passed" in capsys.readouterr().out


def test_2_1_stub_not_attempted():
    assert run("2.1", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", [
    (partial_forward, "forward difference"),
    (partial_over_h, "divide by 2h"),
    (partial_all_axes, "moved every input at once"),
    (partial_in_place, "in place"),
    (partial_one_based, "0-based index"),
])
def test_2_1_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("2.1", fn, fragment)


def test_2_1_returning_the_whole_gradient_is_a_shape_error():
    res = run("2.1", lambda f, w, i, h=1e-5: np.array([partial_derivative(f, w, j, h) for j in range(3)]))
    assert res.status == "failed" and "single number" in res.message


# ---- 2.2 partials by hand ---------------------------------------------------------------------
def partials_f(x, y):
    return 2 * x * y + 2, x ** 2 - 6 * y


@pytest.mark.parametrize("fn, fragment", [
    (lambda x, y: (x ** 2 - 6 * y, 2 * x * y + 2), "swapped"),
    (lambda x, y: (2 * x * y + 2 + x ** 2 - 6 * y, x ** 2 - 6 * y), "added both partials"),
    (lambda x, y: (2 * x * y, x ** 2 - 6 * y), "misses the +2"),
    (lambda x, y: (2 * x * y - 6 * y + 2, x ** 2 - 6 * y), "−3y² contributes 0"),
    (lambda x, y: (2 * x * y + 2, x ** 2 - 6 * y + 2), "2x contributes 0"),
    (lambda x, y: (2 * x * y + 2, -6 * y), "x² is a constant factor"),
    (lambda x, y: (2 * x * y + 2, x ** 2 - 3 * y), "power rule"),
    (lambda x, y: 2 * x * y + 2, "tuple of two numbers"),
    (lambda x, y: None, "return"),
])
def test_2_2_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("2.2", fn, fragment)


def test_2_2_reference_and_stub():
    assert run("2.2", partials_f).passed
    assert run("2.2", lambda x, y: np.array(partials_f(x, y))).passed   # an array pair is fine too
    assert run("2.2", _stub).status == "not attempted"


# ---- 2.3 tangent line of a slice --------------------------------------------------------------
def slice_tangent(f, w, i, h=1e-5):
    slope = partial_derivative(f, w, i, h)
    return slope, f(w) - slope * w[i]


@pytest.mark.parametrize("fn, fragment", [
    (lambda f, w, i, h=1e-5: (partial_derivative(f, w, i, h), f(w)), "not at t = 0"),
    (lambda f, w, i, h=1e-5: (partial_derivative(f, w, i, h), f(w) + partial_derivative(f, w, i, h) * w[i]),
     "sign error"),
    (lambda f, w, i, h=1e-5: slice_tangent(f, w, i, h)[::-1], "swapped"),
    (lambda f, w, i, h=1e-5: (lambda t: f(w) + partial_derivative(f, w, i, h) * (t - w[i])), "return the pair"),
    (lambda f, w, i, h=1e-5: slice_tangent(f, w, (i + 1) % 3, h), "partial along axis"),
    (lambda f, w, i, h=1e-5: (partial_forward(f, w, i, h), f(w) - partial_forward(f, w, i, h) * w[i]),
     "central difference"),
])
def test_2_3_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("2.3", fn, fragment)


def test_2_3_reference_and_stub():
    assert run("2.3", slice_tangent).passed
    assert run("2.3", _stub).status == "not attempted"
