"""Tests of mathdl.gradcheck: it passes correct gradients and explains wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import mathdl as mdl
from mathdl import autograd as A
from mathdl.gradcheck import (
    GradcheckError,
    gradcheck,
    numerical_grad,
    numerical_jacobian,
    relative_error,
)


def _x(shape=(3, 4), seed=0, dtype=np.float64):
    return mdl.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype),
                      requires_grad=True)


def test_passes_for_correct_gradients():
    x, W = _x((3, 4)), _x((4, 2), seed=1)
    assert gradcheck(lambda x, W: (x @ W).tanh(), (x, W)) is True
    assert gradcheck(lambda x: (x * x).sum(), x) is True           # a single tensor, not a tuple
    assert mdl.gradcheck(lambda x: x.sigmoid(), [x]) is True        # mathdl.gradcheck is callable


def test_multiple_outputs_and_non_differentiable_inputs():
    x = _x((3,))
    c = mdl.tensor([1.0, 2.0, 3.0])                 # requires_grad=False: skipped
    assert gradcheck(lambda x, c, k: (x * c * k, x.exp().sum()), (x, c, 2.0))


def test_does_not_touch_the_inputs():
    x = _x((2, 2), dtype=np.float32)
    before = x.data.copy()
    assert gradcheck(lambda x: (x * x).sum(), (x,))
    np.testing.assert_array_equal(x.data, before)
    assert x.data.dtype == np.float32 and x.grad is None


def test_failure_names_argument_entry_values_and_tolerance(monkeypatch):
    # break tanh's VJP: a sign error
    monkeypatch.setitem(A.VJP_RULES, A.tanh_p, (lambda g, ans, x: -g * (1 - ans * ans),))
    x, W = _x((3, 4)), _x((4, 2), seed=1)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, W: (x @ W).tanh(), (x, W))
    err = info.value
    msg = str(err)
    assert err.arg == 0 and err.input_index == (0, 0) and err.output_index == (0, 0)
    assert "argument 0 (shape (3, 4))" in msg
    assert "input entry (0, 0)" in msg and "output entry (0, 0)" in msg
    assert f"analytic {err.analytic:.10g}" in msg and f"numeric {err.numeric:.10g}" in msg
    assert "tolerance" in msg and "atol=1e-05" in msg and "rtol=0.001" in msg
    assert np.isclose(err.analytic, -err.numeric)
    assert "sign error" in msg
    assert isinstance(err, AssertionError)  # so a bare `assert gradcheck(...)` style reads well


def test_failure_hints_missing_factor_and_missing_path(monkeypatch):
    monkeypatch.setitem(A.VJP_RULES, A.exp_p, (lambda g, ans, x: 2 * g * ans,))
    with pytest.raises(GradcheckError, match="analytic = 2 x numeric"):
        gradcheck(lambda x: x.exp(), (_x((2,)),))
    monkeypatch.setitem(A.VJP_RULES, A.exp_p, (lambda g, ans, x: 0 * g,))
    with pytest.raises(GradcheckError, match="analytic gradient is 0"):
        gradcheck(lambda x: x.exp(), (_x((2,)),))


def test_second_argument_reported(monkeypatch):
    good = A.VJP_RULES[A.mul_p]
    monkeypatch.setitem(A.VJP_RULES, A.mul_p, (good[0], lambda g, ans, x, y: g * x * 1.01))
    with pytest.raises(GradcheckError, match=r"argument 1 \(shape \(4,\)\)") as info:
        gradcheck(lambda a, b: a * b, (_x((4,)), _x((4,), seed=2)))
    assert info.value.arg == 1


def test_raise_exception_false_returns_false(monkeypatch):
    monkeypatch.setitem(A.VJP_RULES, A.sqrt_p, (lambda g, ans, x: g / ans,))
    x = mdl.tensor([1.0, 4.0], requires_grad=True)
    assert gradcheck(lambda x: x.sqrt(), (x,), raise_exception=False) is False
    assert mdl.gradcheck(lambda x: x.sqrt(), (x,), raise_exception=False) is False


def test_tolerances_are_used():
    # |analytic - numeric| for x**3 at h = 0.1 is h^2 = 0.01 (x = 1)
    x = mdl.tensor([1.0], requires_grad=True)
    assert not gradcheck(lambda x: x ** 3, (x,), eps=0.1, raise_exception=False)
    assert gradcheck(lambda x: x ** 3, (x,), eps=0.1, atol=0.011)


def test_no_differentiable_input_is_an_error():
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        gradcheck(lambda x: x * 2, (mdl.tensor([1.0]),))


def test_numerical_grad_plain_numpy():
    A_ = np.array([[2.0, 1.0], [1.0, 3.0]])

    def f(w):
        return 0.5 * w @ A_ @ w

    w = np.array([1.0, -2.0])
    g = numerical_grad(f, w)
    np.testing.assert_allclose(g, A_ @ w, rtol=1e-8)
    np.testing.assert_array_equal(w, [1.0, -2.0])          # not modified
    W = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(numerical_grad(lambda M: (M ** 2).sum(), W), 2 * W, atol=1e-8)
    with pytest.raises(ValueError, match="f must return a scalar"):
        numerical_grad(lambda v: v * 2, w)


def test_numerical_grad_is_central_not_forward():
    # for f = x^3 at x = 1, a forward difference has error 3h; a central one h^2
    g = numerical_grad(lambda v: (v ** 3).sum(), np.array([1.0]), eps=1e-3)
    assert abs(g[0] - 3.0) < 2e-6


def test_relative_error():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert relative_error(np.array([1.0]), np.array([-1.0])) == 1.0
    assert relative_error(np.array([1.0, 1.0]), np.array([1.0, 1.0 + 1e-6])) == pytest.approx(
        1e-6 / (2 * np.sqrt(2)), rel=1e-4)
    assert isinstance(relative_error(mdl.tensor([1.0]), np.array([2.0])), float)
    with pytest.raises(ValueError, match=r"shapes differ: \(2,\) and \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))


def test_numerical_jacobian_shape():
    x = _x((3,))
    (J,) = numerical_jacobian(lambda x: x * 2, (x,))
    np.testing.assert_allclose(J, 2 * np.eye(3), atol=1e-8)
