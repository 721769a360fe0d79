"""The checks of chapter 8: reference answers pass, stubs are 'not attempted', plausible wrong answers get the
hint that names their mistake, and right answers written differently pass (tables: conftest.py)."""

import numpy as np

from mathdl.exercises import check

from .conftest import Right, Wrong, run, stub


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


def test_8_1_reference_andstub(capsys):
    assert check("8.1", momentum_step).passed
    assert "✅ Exercise 8.1 passed" in capsys.readouterr().out
    assert run("8.1", stub).status == "not attempted"
    assert run("8.1", momentum_in_place).passed        # in-place updates of the caller's copies are fine




# ---- 8.2 stability bound ----------------------------------------------------------------------
def test_8_2_reference_andstub():
    assert run("8.2", lambda lam, beta: (2 + 2 * beta) / lam).passed
    assert run("8.2", stub).status == "not attempted"




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


def test_8_3_reference_andstub(capsys):
    assert check("8.3", make_adam()).passed
    assert "✅ Exercise 8.3 passed" in capsys.readouterr().out
    assert run("8.3", stub).status == "not attempted"


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




# ---- 8.4 optimal heavy-ball constants ---------------------------------------------------------
def heavy_ball_params(lam_min, lam_max):
    rk = np.sqrt(lam_max / lam_min)
    return 4 / (np.sqrt(lam_max) + np.sqrt(lam_min)) ** 2, ((rk - 1) / (rk + 1)) ** 2


def test_8_4_reference_andstub():
    assert run("8.4", heavy_ball_params).passed
    assert run("8.4", stub).status == "not attempted"


def _rate_not_beta(lmin, lmax):
    rk = np.sqrt(lmax / lmin)
    return heavy_ball_params(lmin, lmax)[0], (rk - 1) / (rk + 1)


def _kappa_not_root(lmin, lmax):
    k = lmax / lmin
    return heavy_ball_params(lmin, lmax)[0], ((k - 1) / (k + 1)) ** 2




# ---- the tables ---------------------------------------------------------------------------------
def momentum_plain_sgd(w, v, g, lr, momentum):
    v_new = momentum * v + g
    return w - lr * g, v_new


def momentum_beta_on_gradient(w, v, g, lr, momentum):
    v_new = v + momentum * g
    return w - lr * v_new, v_new


def momentum_loop(w, v, g, lr, momentum):
    # right, written differently: element by element over the flattened arrays, fresh outputs
    w, v, g = (np.asarray(a, dtype=float) for a in (w, v, g))
    v_new, w_new = np.empty_like(v), np.empty_like(w)
    for i in np.ndindex(w.shape):
        v_new[i] = momentum * v[i] + g[i]
        w_new[i] = w[i] - lr * v_new[i]
    return w_new, v_new


def momentum_list_return(w, v, g, lr, momentum):
    # right, written differently: a list instead of a tuple, computed with np.add and np.subtract
    v_new = np.add(np.multiply(momentum, v), g)
    return [np.subtract(w, lr * v_new), v_new]


def adam_step_other_order(w, m, v, g, t, lr, betas, eps):
    # right, written differently: the corrections folded into a step size, and **0.5 for the root
    b1, b2 = betas
    m_new = m + (1 - b1) * (g - m)
    v_new = v + (1 - b2) * (g * g - v)
    m_hat = m_new * (1.0 / (1 - b1**t))
    v_hat = v_new * (1.0 / (1 - b2**t))
    return w - lr * m_hat / (v_hat**0.5 + eps), m_new, v_new


def heavy_ball_from_roots(lam_min, lam_max):
    # right, another formula: beta* = ((sqrt(L) - sqrt(l)) / (sqrt(L) + sqrt(l)))^2, no kappa
    a, b = np.sqrt(lam_min), np.sqrt(lam_max)
    return 4.0 / (a + b) ** 2, ((b - a) / (b + a)) ** 2


# ---- found in review ------------------------------------------------------------------------------
def momentum_nesterov(w, v, g, lr, momentum):
    v_new = momentum * v + g
    return w - lr * (g + momentum * v_new), v_new


def momentum_swapped(w, v, g, lr, momentum):
    v_new = momentum * v + g
    return v_new, w - lr * v_new


def momentum_float32(w, v, g, lr, momentum):
    # right, written differently: float32 arrays
    w, v, g = (np.asarray(a, dtype=np.float32) for a in (w, v, g))
    v_new = np.float32(momentum) * v + g
    return w - np.float32(lr) * v_new, v_new


def adam_paper_eps_hat(w, m, v, g, t, lr, betas, eps):
    # Kingma & Ba's "efficient" form: alpha_t = lr sqrt(1 - b2^t)/(1 - b1^t), eps added to sqrt(v_t)
    b1, b2 = betas
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps), m, v


def adam_float32(w, m, v, g, t, lr, betas, eps):
    w, m, v, g = (np.asarray(a, dtype=np.float32) for a in (w, m, v, g))
    return make_adam()(w, m, v, g, t, lr, betas, eps)


def adam_torch_form(w, m, v, g, t, lr, betas, eps):
    # right, written differently: PyTorch's order, denom = sqrt(v)/sqrt(1 - b2^t) + eps, step size lr/(1 - b1^t)
    b1, b2 = betas
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    denom = np.sqrt(v) / np.sqrt(1 - b2**t) + eps
    return w - (lr / (1 - b1**t)) * m / denom, m, v


def _hard_coded_kappa100(lam_min, lam_max):
    return 4 / 121, (9 / 11) ** 2           # the values for the chapter's bowl (1, 100) only


WRONG_ANSWERS = {
    "8.1": [
        Wrong(momentum_paper, "papers' form", "learning rate inside the velocity (v <- bv + lr g)"),
        Wrong(momentum_paper_signed, "papers' form", "papers' signed velocity u <- bu - lr g"),
        Wrong(momentum_sign, "sign error", "stepped along the velocity"),
        Wrong(momentum_old_velocity, "old velocity", "stepped with the old velocity"),
        Wrong(momentum_ema, "moving average", "dampened moving average (1 - b) g"),
        Wrong(momentum_one_value, "return all 2 values", "returned only w_new"),
        Wrong(momentum_plain_sgd, "plain SGD", "w moved by -lr g, ignoring the velocity"),
        Wrong(momentum_beta_on_gradient, "β multiplies the old velocity", "beta on the gradient"),
        Wrong(momentum_nesterov, "Nesterov step", "PyTorch's Nesterov step instead of the heavy ball"),
        Wrong(momentum_swapped, "swapped", "returned (v_new, w_new)"),
    ],
    "8.2": [
        Wrong(lambda lam, beta: 2 / lam, "gradient descent's bound", "ignores momentum: 2/lam"),
        Wrong(lambda lam, beta: (1 + beta) / lam, "factor 2 is missing", "(1 + b)/lam"),
        Wrong(lambda lam, beta: (2 - 2 * beta) / lam, "not 2 − 2β", "(2 - 2b)/lam"),
        Wrong(lambda lam, beta: (2 + 2 * beta) * lam, "divide by λ_max", "multiplied by lam"),
        Wrong(lambda lam, beta: None, "return", "returns None"),
        Wrong(lambda lam, beta: 2 / (lam * (1 - beta)), "CONSTANT gradient", "effective-lr gain 2/(lam(1-b))"),
        Wrong(lambda lam, beta: 0.38, "solve ηλ_max < 2 + 2β", "hard-coded the value for (10, 0.9)"),
        Wrong(lambda lam, beta: (1 + beta**0.5) ** 2 / lam, "roots of p(μ) turn real again",
              "(1 + sqrt b)^2/lam, the edge of the complex region (0.07% below the bound at b = 0.9)"),
    ],
    "8.3": [
        Wrong(make_adam(correct_m=False, correct_v=False), "no bias correction", "no bias correction"),
        Wrong(make_adam(correct_m=False), "too small by the factor 1 − β₁", "first moment not corrected"),
        Wrong(make_adam(correct_v=False), "second moment is not bias-corrected", "second moment not corrected"),
        Wrong(make_adam(power=lambda t: 1), "1 − β instead of 1 − βᵗ", "1 - b instead of 1 - b^t"),
        Wrong(make_adam(power=lambda t: t - 1), "divides by zero", "t counted from 0"),
        Wrong(make_adam(power=lambda t: t + 1), "uses t + 1", "off by one: t + 1"),
        Wrong(make_adam(sqrt=False), "square root is missing", "no square root"),
        Wrong(make_adam(eps_inside=True), "outside the square root", "eps inside the root"),
        Wrong(make_adam(sign=-1), "sign error", "sign error"),
        Wrong(make_adam(return_hat=True), "not the bias-corrected", "returned the corrected moments"),
        Wrong(make_adam(square=False), "SQUARED gradient", "second moment of g, not g^2"),
        Wrong(adam_paper_eps_hat, "'efficient' form", "the paper's eps-hat form (w off by 3e-6)"),
        Wrong(adam_float32, "compute in float64", "computed in float32"),
    ],
    "8.4": [
        Wrong(lambda a, b: heavy_ball_params(a, b)[::-1], "swapped", "returned (momentum, lr)"),
        Wrong(_rate_not_beta, "is the RATE", "returned the rate as the momentum"),
        Wrong(_kappa_not_root, "square root of the condition number", "kappa instead of sqrt(kappa)"),
        Wrong(lambda a, b: (2 / (a + b), heavy_ball_params(a, b)[1]), "gradient descent's best step",
              "gradient descent's best step"),
        Wrong(lambda a, b: (4 / (a + b), heavy_ball_params(a, b)[1]), "square roots inside",
              "4/(lmin + lmax), no square roots"),
        Wrong(_hard_coded_kappa100, "β* = ((√κ − 1)/(√κ + 1))²", "hard-coded the chapter's bowl"),
    ],
}

RIGHT_ANSWERS = {
    "8.1": [Right(momentum_loop, "an element-wise loop"), Right(momentum_list_return, "a list, np.add/np.subtract"),
            Right(momentum_float32, "float32 arrays"),
            Right(momentum_in_place, "in-place updates of the arrays it was given")],
    "8.2": [Right(lambda lam, beta: np.float64(2.0) * (1 + beta) / lam, "2(1 + b)/lam as a numpy scalar"),
            Right(lambda lam, beta: np.float32(2 + 2 * beta) / np.float32(lam), "float32")],
    "8.3": [Right(adam_step_other_order, "incremental moving averages, corrections as factors, **0.5"),
            Right(adam_torch_form, "PyTorch's order: sqrt(v)/sqrt(1 - b2^t) + eps, step lr/(1 - b1^t)")],
    "8.4": [Right(heavy_ball_from_roots, "beta from the square roots of the eigenvalues, no kappa"),
            Right(lambda a, b: tuple(np.float32(x) for x in heavy_ball_params(a, b)), "two float32 values")],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
