"""The checks of chapter 2: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint,
and right answers written differently pass (tables WRONG_ANSWERS / RIGHT_ANSWERS, see conftest.py)."""

import numpy as np

import mathdl as mdl
from mathdl.exercises import check

from .conftest import Right, Wrong, run, stub


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


def partial_own_tiny_step(f, w, i, h=1e-5):
    return partial_forward(f, w, i, 1e-8)  # ignores h: a forward difference with a tiny step of its own


def partial_own_central_step(f, w, i, h=1e-5):
    return partial_derivative(f, w, i, 1e-5)   # ignores h: the default step, whatever is passed


def partial_half_steps(f, w, i, h=1e-5):
    e = np.zeros_like(w)
    e[i] = h / 2
    return (f(w + e) - f(w - e)) / h     # points h apart, but each only h/2 from w


def partial_gradient(f, w, i, h=1e-5):
    return np.array([partial_derivative(f, w, j, h) for j in range(len(w))])


def partial_loop_copies(f, w, i, h=1e-5):
    up, down = w.copy(), w.copy()
    up[i] = up[i] + h
    down[i] = down[i] - h
    return float(f(up) - f(down)) * (0.5 / h)


def partial_scaled_step(f, w, i, h=1e-5):
    return partial_derivative(f, w, i, h * max(1.0, abs(w[i])))   # mdl.calculus.partial's step, not h


def partial_float32(f, w, i, h=1e-5):
    return partial_derivative(f, w.astype(np.float32), i, np.float32(h))


def partial_backward(f, w, i, h=1e-5):
    e = np.zeros_like(w)
    e[i] = h
    return (f(w) - f(w - e)) / h


def partial_list_points(f, w, i, h=1e-5):
    up = np.array([v + h if j == i else v for j, v in enumerate(w)])
    down = np.array([v - h if j == i else v for j, v in enumerate(w)])
    return (f(up) - f(down)) / (2 * h)


def partial_restores_w(f, w, i, h=1e-5):
    w[i] += h                                 # in place, but w is put back (up to rounding) before returning
    up = f(w)
    w[i] -= 2 * h
    down = f(w)
    w[i] += h
    return (up - down) / (2 * h)


def test_2_1_reference_passes(capsys):
    res = check("2.1", partial_derivative)
    assert res.passed, res.line()
    assert "✅ Exercise 2.1 passed" in capsys.readouterr().out
    assert "h = 0.5" in res.message


def test_2_1_stub_not_attempted():
    assert run("2.1", stub).status == "not attempted"


# ---- 2.2 partials by hand ---------------------------------------------------------------------
def partials_f(x, y):
    return 2 * x * y + 2, x ** 2 - 6 * y


def _f22(x, y):
    return x * x * y - 3 * y * y + 2 * x


def partials_numeric(x, y, h=1e-5):
    return ((_f22(x + h, y) - _f22(x - h, y)) / (2 * h), (_f22(x, y + h) - _f22(x, y - h)) / (2 * h))


def partials_mdl(x, y):
    return tuple(mdl.calculus.partial(lambda w: _f22(*w), [x, y], i) for i in (0, 1))


def test_2_2_reference_and_stub():
    assert run("2.2", partials_f).passed
    assert run("2.2", stub).status == "not attempted"


# ---- 2.3 tangent line of a slice --------------------------------------------------------------
def slice_tangent(f, w, i, h=1e-5):
    slope = partial_derivative(f, w, i, h)
    return slope, f(w) - slope * w[i]


def slice_tangent_in_place(f, w, i, h=1e-5):
    w[i] += h
    up = f(w)
    w[i] -= 2 * h
    slope = (up - f(w)) / (2 * h)           # forgets to restore w[i]
    return slope, f(w) - slope * w[i]


def slice_tangent_eye(f, w, i, h=1e-5):
    e = np.eye(len(w))[i] * h
    slope = 0.5 * (f(w + e) - f(w - e)) / h
    return [float(slope), float(f(w) + slope * (0.0 - w[i]))]


def slice_tangent_value_at_zero(f, w, i, h=1e-5):
    w0 = w.copy()
    w0[i] = 0.0
    return partial_derivative(f, w, i, h), f(w0)   # the slice's value at t = 0, not the tangent's


def test_2_3_reference_and_stub():
    res = run("2.3", slice_tangent)
    assert res.passed, res.line()
    assert "h = 0.5" in res.message
    assert run("2.3", stub).status == "not attempted"


# ---- the tables --------------------------------------------------------------------------------
WRONG_ANSWERS = {
    "2.1": [
        Wrong(partial_forward, "forward difference", "a forward difference"),
        Wrong(partial_over_h, "divide by 2h", "dividing by h, not 2h"),
        Wrong(partial_all_axes, "moved every input at once", "moving every input"),
        Wrong(partial_in_place, "in place", "mutating w in place"),
        Wrong(partial_one_based, "0-based index", "a 1-based index"),
        Wrong(partial_own_tiny_step, "ignore the argument h", "its own tiny forward step, ignoring h"),
        Wrong(partial_own_central_step, "ignore the argument h", "the default step 1e-5, ignoring h"),
        Wrong(partial_half_steps, "w ± (h/2) eᵢ", "steps of h/2 each way"),
        Wrong(partial_gradient, "the gradient", "the whole gradient instead of one partial"),
        Wrong(partial_scaled_step, "scaled the step by max(1, |wᵢ|)", "the step scaled as mdl.calculus.partial does"),
        Wrong(partial_float32, "float32", "computed in float32"),
        Wrong(partial_backward, "backward difference", "a backward difference"),
    ],
    "2.2": [
        Wrong(lambda x, y: (x ** 2 - 6 * y, 2 * x * y + 2), "swapped", "the pair swapped"),
        Wrong(lambda x, y: (2 * x * y + 2 + x ** 2 - 6 * y, x ** 2 - 6 * y), "added both partials",
              "the sum of both partials"),
        Wrong(lambda x, y: (2 * x * y, x ** 2 - 6 * y), "misses the +2", "the 2x term dropped"),
        Wrong(lambda x, y: (2 * x * y - 6 * y + 2, x ** 2 - 6 * y), "−3y² contributes 0",
              "−3y² differentiated in x"),
        Wrong(lambda x, y: (2 * x * y + 2, x ** 2 - 6 * y + 2), "2x contributes 0", "2x differentiated in y"),
        Wrong(lambda x, y: (2 * x * y + 2, -6 * y), "x² is a constant factor", "x²y differentiated to 0 in y"),
        Wrong(lambda x, y: (2 * x * y + 2, x ** 2 - 3 * y), "power rule", "−3y² → −3y"),
        Wrong(lambda x, y: 2 * x * y + 2, "tuple of two numbers", "one number instead of the pair"),
        Wrong(lambda x, y: None, "return", "no return statement"),
        Wrong(partials_numeric, "difference quotient", "central differences of f with h = 1e-5, not by hand"),
        Wrong(lambda x, y: partials_numeric(x, y, 1e-3), "difference quotient",
              "central differences with h = 1e-3"),
        Wrong(partials_mdl, "difference quotient", "mdl.calculus.partial, not by hand"),
    ],
    "2.3": [
        Wrong(lambda f, w, i, h=1e-5: (partial_derivative(f, w, i, h), f(w)), "not at t = 0",
              "f(w) as the intercept"),
        Wrong(lambda f, w, i, h=1e-5: (partial_derivative(f, w, i, h),
                                       f(w) + partial_derivative(f, w, i, h) * w[i]), "sign error",
              "f(w) + slope·wᵢ"),
        Wrong(lambda f, w, i, h=1e-5: slice_tangent(f, w, i, h)[::-1], "swapped", "the pair swapped"),
        Wrong(lambda f, w, i, h=1e-5: (lambda t: f(w) + partial_derivative(f, w, i, h) * (t - w[i])),
              "return the pair", "the line as a function"),
        Wrong(lambda f, w, i, h=1e-5: slice_tangent(f, w, (i + 1) % 3, h), "partial along axis",
              "the wrong axis"),
        Wrong(lambda f, w, i, h=1e-5: (partial_forward(f, w, i, h), f(w) - partial_forward(f, w, i, h) * w[i]),
              "central difference", "a forward-difference slope"),
        Wrong(lambda f, w, i, h=1e-5: slice_tangent(f, w, i, 1e-6), "ignore the argument h",
              "its own step 1e-6, ignoring h"),
        Wrong(lambda f, w, i, h=1e-5: (partial_own_tiny_step(f, w, i, h),
                                       f(w) - partial_own_tiny_step(f, w, i, h) * w[i]),
              "ignore the argument h", "a tiny forward step of its own"),
        Wrong(lambda f, w, i, h=1e-5: (partial_over_h(f, w, i, h), f(w) - partial_over_h(f, w, i, h) * w[i]),
              "twice too large", "dividing by h, not 2h"),
        Wrong(slice_tangent_in_place, "in place", "mutating w in place"),
        Wrong(lambda f, w, i, h=1e-5: (partial_derivative(f, w, i, h), f(w) - partial_derivative(f, w, i, h) * w[0]),
              "uses w[0]", "the intercept with w[0] for every axis"),
        Wrong(slice_tangent_value_at_zero, "value at t = 0", "the slice's value at t = 0 as the intercept"),
        Wrong(lambda f, w, i, h=1e-5: (partial_derivative(f, w, i, h), f(w) - partial_derivative(f, w, i, h) * w),
              "not the whole vector w", "slope·w with the vector w"),
        Wrong(lambda f, w, i, h=1e-5: slice_tangent(f, w, i, h * max(1.0, abs(w[i]))), "scaled the step",
              "the step scaled by max(1, |wᵢ|)"),
    ],
}

RIGHT_ANSWERS = {
    "2.1": [Right(partial_loop_copies, "two copies of w, float(), multiply by 0.5/h"),
            Right(lambda f, w, i, h=1e-5: (f(w + np.eye(len(w))[i] * h) - f(w - np.eye(len(w))[i] * h)) / h / 2,
                  "a row of np.eye as eᵢ, divided by h then 2"),
            Right(partial_list_points, "the two points built as lists"),
            Right(partial_restores_w, "w changed in place but restored before returning")],
    "2.2": [Right(lambda x, y: np.array(partials_f(x, y)), "a numpy array pair"),
            Right(lambda x, y: [2.0 * (x * y + 1.0), x * x - 6.0 * y], "a list, factored as 2(xy + 1)"),
            Right(lambda x, y: np.array([2 * x * y + 2, x ** 2 - 6 * y], dtype=np.float32), "a float32 array")],
    "2.3": [Right(slice_tangent_eye, "np.eye, a list, intercept as f(w) + slope·(0 − wᵢ)"),
            Right(lambda f, w, i, h=1e-5: (lambda s: (s, f(w) - s * w[i]))(partial_loop_copies(f, w, i, h)),
                  "the slope from two copies of w, float()")],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
