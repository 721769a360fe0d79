"""mathdl.calculus: finite differences, their orders and errors, and the test functions."""

import subprocess
import sys

import numpy as np
import pytest

from mathdl import calculus as C

EPS = np.finfo(float).eps


# ---- the formulas ----------------------------------------------------------------------------
def test_formulas_match_their_definitions():
    f, x, h = np.exp, 0.3, 1e-2
    assert C.forward_difference(f, x, h) == (f(x + h) - f(x)) / h
    assert C.backward_difference(f, x, h) == (f(x) - f(x - h)) / h
    assert C.central_difference(f, x, h) == (f(x + h) - f(x - h)) / (2 * h)


def test_first_example_x_plus_1_has_slope_one_for_every_h():
    for h in [1.0, 0.5, 1e-3]:
        assert C.forward_difference(lambda x: x + 1, 2.0, h) == pytest.approx(1.0, abs=1e-12)


def test_central_difference_is_exact_for_quadratics():
    f = lambda x: 3 * x**2 - x + 2  # noqa: E731
    for h in [1.0, 0.1]:
        assert C.central_difference(f, 1.5, h) == pytest.approx(6 * 1.5 - 1, rel=1e-12)


def test_differences_are_elementwise_on_arrays():
    x = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(C.derivative(np.sin, x), np.cos(x), rtol=1e-9)
    np.testing.assert_allclose(C.derivative(np.sin, x, method="forward"), np.cos(x), atol=1e-7)


def test_leading_error_terms_from_taylor():
    x, h = 1.0, 1e-3
    assert (C.forward_difference(np.sin, x, h) - np.cos(x)) / h == pytest.approx(-np.sin(x) / 2, rel=1e-3)
    assert (C.backward_difference(np.sin, x, h) - np.cos(x)) / h == pytest.approx(np.sin(x) / 2, rel=1e-3)
    assert (C.central_difference(np.sin, x, h) - np.cos(x)) / h**2 == pytest.approx(-np.cos(x) / 6, rel=1e-3)


# ---- orders and the best step -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["exp", "sin", "cube", "sigmoid"])
@pytest.mark.parametrize("method, order", [("forward", 1), ("backward", 1), ("central", 2)])
def test_fitted_order_matches_theory(name, method, order):
    tf = C.TEST_FUNCTIONS[name]
    hs = 10.0 ** np.arange(-16, 0.01, 0.25)
    err = C.error_vs_h(tf.f, tf.df, 0.7, hs, method)
    assert C.fit_order(hs, err) == pytest.approx(order, abs=0.06)


@pytest.mark.parametrize("method, power", [("forward", 1 / 2), ("central", 1 / 3)])
def test_best_h_is_near_the_theory(method, power):
    hs = 10.0 ** np.arange(-16, 0.01, 0.25)
    for name in ["exp", "sin", "sigmoid"]:
        tf = C.TEST_FUNCTIONS[name]
        for x in [0.5, 1.0]:
            err = C.error_vs_h(tf.f, tf.df, x, hs, method)
            assert 0.1 < hs[np.argmin(err)] / EPS**power < 10


def test_default_h_and_derivative_accuracy():
    assert C.default_h(0.0) == pytest.approx(EPS ** (1 / 3))
    assert C.default_h(0.0, "forward") == pytest.approx(EPS ** 0.5)
    assert C.default_h(-1e6) == pytest.approx(EPS ** (1 / 3) * 1e6)
    np.testing.assert_allclose(C.default_h(np.array([0.5, 4.0])), EPS ** (1 / 3) * np.array([1.0, 4.0]))
    assert abs(C.derivative(np.exp, 1.0) - np.e) < 1e-9
    # scaling h with |x| keeps the relative error small far from 0
    assert abs(C.derivative(lambda x: x * x, 1e8) - 2e8) / 2e8 < 1e-9


def test_fit_order_on_exact_power_law_and_explicit_window():
    hs = np.geomspace(1e-4, 1e-1, 7)
    assert C.fit_order(hs, 0.3 * hs**2) == pytest.approx(2.0)
    assert C.fit_order(hs, 0.3 * hs**2, h_min=1e-3) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="same length"):
        C.fit_order(hs, hs[:-1])
    with pytest.raises(ValueError, match="fewer than 2"):
        C.fit_order(hs, 0.3 * hs, h_min=1.0)
    with pytest.raises(ValueError, match=">= 0"):
        C.fit_order(hs, -hs)


# ---- several inputs ---------------------------------------------------------------------------
def test_gradient_partial_and_jacobian():
    w = np.array([-1.2, 1.0])
    np.testing.assert_allclose(C.gradient(C.rosenbrock, w), C.rosenbrock_grad(w), rtol=1e-7)
    np.testing.assert_allclose(C.gradient(C.rosenbrock, w, method="forward"), C.rosenbrock_grad(w), rtol=1e-5)
    assert C.partial(C.rosenbrock, w, 1) == pytest.approx(C.rosenbrock_grad(w)[1], rel=1e-8)
    assert C.partial(C.rosenbrock, w, -1) == pytest.approx(C.rosenbrock_grad(w)[1], rel=1e-8)

    def F(v):
        return np.array([v[0] * v[1], np.sin(v[0]), v[1] ** 2])

    J = C.jacobian(F, [1.0, 2.0])
    assert J.shape == (3, 2)
    np.testing.assert_allclose(J, [[2.0, 1.0], [np.cos(1.0), 0.0], [0.0, 4.0]], atol=1e-8)


def test_gradient_keeps_the_shape_of_x_and_does_not_modify_it():
    X = np.arange(6.0).reshape(2, 3)
    X0 = X.copy()
    G = C.gradient(lambda A: float(np.sum(A**2)), X)
    assert G.shape == (2, 3)
    np.testing.assert_allclose(G, 2 * X0, atol=1e-6)
    np.testing.assert_array_equal(X, X0)


# ---- errors -----------------------------------------------------------------------------------
def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'forward', 'backward', 'central'"):
        C.derivative(np.sin, 1.0, method="centre")
    for fn in (C.gradient, C.jacobian):
        with pytest.raises(ValueError, match="unknown method"):
            fn(np.sum, [1.0], method="fwd")


@pytest.mark.parametrize("h", [0.0, -1e-3, float("nan"), float("inf")])
def test_bad_steps_are_rejected(h):
    with pytest.raises(ValueError, match="step h"):
        C.central_difference(np.sin, 1.0, h)


def test_non_finite_values_are_explained():
    with pytest.raises(FloatingPointError, match="non-finite.*x - h"):
        C.central_difference(np.log, 0.0, 1e-3)


def test_gradient_needs_a_scalar_function():
    with pytest.raises(ValueError, match="scalar.*jacobian"):
        C.gradient(lambda w: w, [1.0, 2.0])
    with pytest.raises(IndexError, match="out of range"):
        C.partial(np.sum, [1.0, 2.0], 2)


# ---- test functions ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(C.TEST_FUNCTIONS))
def test_test_functions_derivatives_are_consistent(name):
    tf = C.TEST_FUNCTIONS[name]
    x = np.array([-0.7, 0.3, 1.1])
    np.testing.assert_allclose(C.derivative(tf.f, x), tf.df(x), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(C.derivative(tf.df, x), tf.d2f(x), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(C.derivative(tf.d2f, x), tf.d3f(x), rtol=1e-7, atol=1e-9)


def test_rosenbrock_minimum_and_batch():
    assert C.rosenbrock([1.0, 1.0]) == 0.0
    np.testing.assert_allclose(C.rosenbrock_grad([1.0, 1.0]), [0.0, 0.0])
    W = np.array([[0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(C.rosenbrock(W), [1.0, 0.0])
    with pytest.raises(ValueError, match="shape"):
        C.rosenbrock([1.0, 2.0, 3.0])


def test_import_is_numpy_only():
    code = "import sys, mathdl.calculus; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
