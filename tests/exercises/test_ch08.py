"""The checks of chapter 8: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

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
    raise NotImplementedError("Exercise 8.k: not yet")


# ---- 8.1 momentum step ------------------------------------------------------------------------
def momentum_step(w, v, g, lr, momentum):
    v_new = momentum * v + g
    return w - lr * v_new, v_new


def momentum_paper(w, v, g, lr, momentum):
    v_new = momentum * v + lr * g
    return w - v_new, v_new


def momentum_paper_signed(w, v, g, lr, momentum):
    u = momentum * v - lr * g
    return w + u, u


def momentum_sign(w, v, g, lr, momentum):
    v_new = momentum * v + g
    return w + lr * v_new, v_new


def momentum_old_velocity(w, v, g, lr, momentum):
    return w - lr * v, momentum * v + g


def momentum_ema(w, v, g, lr, momentum):
    v_new = momentum * v + (1 - momentum) * g
    return w - lr * v_new, v_new


def momentum_one_value(w, v, g, lr, momentum):
    return w - lr * (momentum * v + g)


def momentum_in_place(w, v, g, lr, momentum):
    v *= momentum
    v += g
    w -= lr * v
    return w, v


def test_8_1_reference_and_stub(capsys):
    assert check("8.1", momentum_step).passed
    assert "✅ Exercise 8.1 passed" in capsys.readouterr().out
    assert run("8.1", _stub).status == "not attempted"
    assert run("8.1", momentum_in_place).passed        # in-place updates of the caller's copies are fine


@pytest.mark.parametrize("fn, fragment", [
    (momentum_paper, "papers' form"),
    (momentum_paper_signed, "papers' form"),
    (momentum_sign, "sign error"),
    (momentum_old_velocity, "old velocity"),
    (momentum_ema, "moving average"),
    (momentum_one_value, "return all 2 values"),
])
def test_8_1_wrong_answers(fn, fragment):
    expect_hint("8.1", fn, fragment)


# ---- 8.2 stability bound ----------------------------------------------------------------------
def test_8_2_reference_and_stub():
    assert run("8.2", lambda lam, beta: (2 + 2 * beta) / lam).passed
    assert run("8.2", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", [
    (lambda lam, beta: 2 / lam, "gradient descent's bound"),
    (lambda lam, beta: (1 + beta) / lam, "factor 2 is missing"),
    (lambda lam, beta: (2 - 2 * beta) / lam, "not 2 − 2β"),
    (lambda lam, beta: (2 + 2 * beta) * lam, "divide by λ_max"),
    (lambda lam, beta: None, "return"),
])
def test_8_2_wrong_answers(fn, fragment):
    expect_hint("8.2", fn, fragment)


# ---- 8.3 Adam step ----------------------------------------------------------------------------
def make_adam(correct_m=True, correct_v=True, power=lambda t: t, sqrt=True, eps_inside=False, sign=1,
              return_hat=False, square=True):
    def adam_step(w, m, v, g, t, lr, betas, eps):
        b1, b2 = betas
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * (g**2 if square else g)
        p = power(t)
        m_hat = m / (1 - b1**p) if correct_m else m
        v_hat = v / (1 - b2**p) if correct_v else v
        if eps_inside:
            denom = np.sqrt(v_hat + eps)
        else:
            denom = (np.sqrt(v_hat) if sqrt else v_hat) + eps
        w = w - sign * lr * m_hat / denom
        return (w, m_hat, v_hat) if return_hat else (w, m, v)
    return adam_step


def test_8_3_reference_and_stub(capsys):
    assert check("8.3", make_adam()).passed
    assert "✅ Exercise 8.3 passed" in capsys.readouterr().out
    assert run("8.3", _stub).status == "not attempted"


def test_8_3_matches_mathdl_adam():
    # The reference of the check agrees with mathdl.optim.Adam (and hence PyTorch's order of operations).
    import mathdl as mdl
    rng = np.random.default_rng(0)
    p = mdl.nn.Parameter(rng.standard_normal(5))
    opt = mdl.optim.Adam([p], lr=0.01)
    w, m, v = p.data.copy(), np.zeros(5), np.zeros(5)
    step = make_adam()
    for t in range(1, 6):
        g = rng.standard_normal(5)
        p.grad = g
        opt.step()
        w, m, v = step(w, m, v, g, t, 0.01, (0.9, 0.999), 1e-8)
    assert np.allclose(w, p.data, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("fn, fragment", [
    (make_adam(correct_m=False, correct_v=False), "no bias correction"),
    (make_adam(correct_m=False), "too small by the factor 1 − β₁"),
    (make_adam(correct_v=False), "second moment is not bias-corrected"),
    (make_adam(power=lambda t: 1), "1 − β instead of 1 − βᵗ"),
    (make_adam(power=lambda t: t - 1), "divides by zero"),
    (make_adam(power=lambda t: t + 1), "uses t + 1"),
    (make_adam(sqrt=False), "square root is missing"),
    (make_adam(eps_inside=True), "outside the square root"),
    (make_adam(sign=-1), "sign error"),
    (make_adam(return_hat=True), "not the bias-corrected"),
    (make_adam(square=False), "SQUARED gradient"),
])
def test_8_3_wrong_answers(fn, fragment):
    expect_hint("8.3", fn, fragment)


# ---- 8.4 optimal heavy-ball constants ---------------------------------------------------------
def heavy_ball_params(lam_min, lam_max):
    rk = np.sqrt(lam_max / lam_min)
    return 4 / (np.sqrt(lam_max) + np.sqrt(lam_min)) ** 2, ((rk - 1) / (rk + 1)) ** 2


def test_8_4_reference_and_stub():
    assert run("8.4", heavy_ball_params).passed
    assert run("8.4", _stub).status == "not attempted"


def _rate_not_beta(lmin, lmax):
    rk = np.sqrt(lmax / lmin)
    return heavy_ball_params(lmin, lmax)[0], (rk - 1) / (rk + 1)


def _kappa_not_root(lmin, lmax):
    k = lmax / lmin
    return heavy_ball_params(lmin, lmax)[0], ((k - 1) / (k + 1)) ** 2


@pytest.mark.parametrize("fn, fragment", [
    (lambda a, b: heavy_ball_params(a, b)[::-1], "swapped"),
    (_rate_not_beta, "is the RATE"),
    (_kappa_not_root, "square root of the condition number"),
    (lambda a, b: (2 / (a + b), heavy_ball_params(a, b)[1]), "gradient descent's best step"),
    (lambda a, b: (4 / (a + b), heavy_ball_params(a, b)[1]), "square roots inside"),
])
def test_8_4_wrong_answers(fn, fragment):
    expect_hint("8.4", fn, fragment)
