"""Checks of chapter 8, *Optimizers: SGD, momentum and Adam*.

8.1 ``momentum_step(w, v, g, lr, momentum) -> (w_new, v_new)``: heavy ball, PyTorch's convention.
8.2 ``max_stable_lr_momentum(lam_max, momentum)``: the stability bound (2 + 2β)/λ_max.
8.3 ``adam_step(w, m, v, g, t, lr, betas, eps) -> (w_new, m_new, v_new)``: Adam with bias correction.
8.4 ``heavy_ball_params(lam_min, lam_max) -> (lr, momentum)``: the optimal heavy-ball constants.

Every reference is computed here from the check's own inputs.
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

_np = T.np
_array = T.array


def _shape(a) -> str:
    return "(" + ", ".join(str(s) for s in a.shape) + ("," if a.ndim == 1 else "") + ")"


def _as_tuple(raw, n: int, what: str, names: str):
    """The learner's return value as a tuple of n items, or Wrong saying what came back."""
    if not T.isinstance(raw, (T.tuple, T.list)):
        raise Wrong(f"{what} returned a {T.type(raw).__name__}, expected a tuple {names}",
                    hint=f"return all {n} values, e.g. `return {names.strip('()')}`")
    if T.len(raw) != n:
        raise Wrong(f"{what} returned {T.len(raw)} values, expected {n}: {names}",
                    hint=f"return exactly {names}")
    return T.tuple(raw)


def _finite_array(x, what, shape):
    """Like as_float_array, but a NaN/inf result is returned (flagged) so the check can name its cause."""
    arr = T.as_float_array(x, what, shape=shape, allow_nonfinite=True)
    return arr, bool(T.all_(T.isfinite(arr)))


# ---------------------------------------------------------------------------------------------
# 8.1  momentum step (PyTorch: v <- beta v + g, w <- w - lr v)

_MOM_CASES = (
    # w, v, g, lr, momentum
    ([0.5, -1.0, 2.0], [0.3, 0.0, -0.7], [1.2, -0.4, 0.25], 0.02, 0.9),
    ([[1.0, -2.0], [0.5, 3.0]], [[0.2, -0.1], [0.0, 1.5]], [[-0.3, 0.8], [2.0, -1.0]], 0.05, 0.5),
)


@exercise("8.1", target="momentum_step", title="A momentum step", points=1)
def _check_momentum_step(momentum_step):
    T.require_callable(momentum_step, "momentum_step")
    for w_, v_, g_, lr, beta in _MOM_CASES:
        w, v, g = _array(w_, dtype=float), _array(v_, dtype=float), _array(g_, dtype=float)
        what = f"momentum_step(w, v, g, lr={lr}, momentum={beta}) with w of shape {_shape(w)}"
        raw = momentum_step(w.copy(), v.copy(), g.copy(), lr, beta)
        w_new_raw, v_new_raw = _as_tuple(raw, 2, what, "(w_new, v_new)")
        w_new = T.as_float_array(w_new_raw, "w_new", shape=w.shape)
        v_new = T.as_float_array(v_new_raw, "v_new", shape=w.shape)
        v_ref = beta * v + g
        w_ref = w - lr * v_ref
        # rtol 1e-6, atol 1e-7: a right answer in float32 is off by a few 6e-8 relative (|w| <= 3); every wrong
        # answer below moves some entry by 5e-3 or more (lr |v| or lr |g| with lr >= 0.02)
        if T.close(w_new, w_ref, rtol=1e-6, atol=1e-7) and T.close(v_new, v_ref, rtol=1e-6, atol=1e-7):
            continue
        msg = f"{what}: w_new off by {T.max_error(w_new, w_ref):.2g}, v_new off by {T.max_error(v_new, v_ref):.2g}"
        v_paper = beta * v + lr * g
        if T.close(v_new, v_paper, rtol=1e-12, atol=1e-14) or T.close(v_new, beta * v - lr * g, rtol=1e-12, atol=1e-14):
            raise Wrong(msg, hint="this is the papers' form, with the learning rate inside the velocity "
                                  "(v ← βv + ηg or v ← βv − ηg); PyTorch's convention, asked for here, keeps η "
                                  "outside: v ← βv + g, then w ← w − η·v")
        if T.close(v_new, v_ref, rtol=1e-12, atol=1e-14):
            if T.close(w_new, w + lr * v_ref, rtol=1e-12, atol=1e-14):
                raise Wrong(msg, hint="sign error: step against the velocity, w ← w − η·v")
            if T.close(w_new, w - lr * v, rtol=1e-12, atol=1e-14):
                raise Wrong(msg, hint="you stepped with the old velocity; update v first (v ← βv + g), "
                                      "then step with the new one (w ← w − η·v_new)")
            if T.close(w_new, w - lr * g, rtol=1e-12, atol=1e-14):
                raise Wrong(msg, hint="w moved by −η·g, plain SGD: step with the velocity, w ← w − η·v_new")
            if T.close(w_new, w - lr * (g + beta * v_ref), rtol=1e-12, atol=1e-14):
                raise Wrong(msg, hint="this is PyTorch's Nesterov step, w ← w − η(g + β·v_new); the heavy ball asked "
                                      "for here steps with the velocity itself: w ← w − η·v_new")
        if T.close(w_new, v_ref, rtol=1e-12, atol=1e-14) and T.close(v_new, w_ref, rtol=1e-12, atol=1e-14):
            raise Wrong(msg, hint="the two results are swapped: return (w_new, v_new), parameters first")
        if T.close(v_new, beta * v + (1 - beta) * g, rtol=1e-12, atol=1e-14):
            raise Wrong(msg, hint="this is a moving average (v ← βv + (1 − β)g, dampening = β); PyTorch's "
                                  "momentum adds the full gradient: v ← βv + g")
        if T.close(v_new, v + beta * g, rtol=1e-12, atol=1e-14):
            raise Wrong(msg, hint="β multiplies the old velocity, not the gradient: v ← βv + g")
        raise Wrong(msg, hint="v_new = momentum * v + g, then w_new = w - lr * v_new")
    return "matches v ← βv + g, w ← w − η·v on a vector and a matrix"


# ---------------------------------------------------------------------------------------------
# 8.2  largest stable learning rate with momentum

@exercise("8.2", target="max_stable_lr_momentum", title="The largest stable learning rate with momentum", points=1)
def _check_max_stable_lr_momentum(max_stable_lr_momentum):
    T.require_callable(max_stable_lr_momentum, "max_stable_lr_momentum")
    for lam, beta in ((10.0, 0.9), (2.5, 0.0), (100.0, 0.5), (0.3, 0.99)):
        what = f"max_stable_lr_momentum({lam}, {beta})"
        got = T.as_float(max_stable_lr_momentum(lam, beta), what)
        ref = (2 + 2 * beta) / lam
        # rel 1e-6: a right answer in float32 is off by 6e-8; the nearest wrong answer below, (1 + sqrt(beta))^2/lam,
        # is off by 7e-4 at beta = 0.9 (and every other by 1e-2 or more)
        if T.isclose_scalar(got, ref, rel_tol=1e-6):
            continue
        msg = f"{what} = {got:.6g}, expected {ref:.6g}"
        if beta > 0 and T.isclose_scalar(got, (1 + beta**0.5) ** 2 / lam, rel_tol=1e-10):
            raise Wrong(msg, hint="ηλ = (1 + √β)² is where the roots of p(μ) turn real again (the edge of the region "
                                  "with rate √β), not the edge of stability: the real roots stay inside the unit "
                                  "circle up to p(−1) = 2 + 2β − ηλ = 0, so η < (2 + 2β)/λ_max")
        if beta > 0 and T.isclose_scalar(got, 2 / lam, rel_tol=1e-10):
            raise Wrong(msg, hint="2/λ_max is plain gradient descent's bound; momentum widens it to "
                                  "ηλ_max < 2 + 2β")
        if T.isclose_scalar(got, (1 + beta) / lam, rel_tol=1e-10):
            raise Wrong(msg, hint="a factor 2 is missing: the bound is ηλ_max < 2 + 2β = 2(1 + β)")
        if beta > 0 and T.isclose_scalar(got, (2 - 2 * beta) / lam, rel_tol=1e-10):
            raise Wrong(msg, hint="momentum enlarges the stable range: the bound is 2 + 2β, not 2 − 2β "
                                  "(it comes from p(−1) = 2 + 2β − ηλ > 0)")
        if beta > 0 and T.isclose_scalar(got, 2 / (lam * (1 - beta)), rel_tol=1e-10):
            raise Wrong(msg, hint="2/(λ_max(1 − β)) divides gradient descent's bound by 1 − β, the gain of the "
                                  "effective learning rate along a CONSTANT gradient; stability is decided by "
                                  "the alternating direction: p(−1) = 2 + 2β − ηλ > 0, so η < (2 + 2β)/λ_max")
        if T.isclose_scalar(got, ref * lam * lam, rel_tol=1e-10) or T.isclose_scalar(got, (2 + 2 * beta) * lam,
                                                                                         rel_tol=1e-10):
            raise Wrong(msg, hint="divide by λ_max: the condition is on the product ηλ_max < 2 + 2β")
        raise Wrong(msg, hint="solve ηλ_max < 2 + 2β for η")
    return "(2 + 2β)/λ_max for 4 pairs (λ_max, β)"


# ---------------------------------------------------------------------------------------------
# 8.3  Adam step with bias correction

def _adam_ref(w, m, v, g, t, lr, b1, b2, eps, *, correct_m=True, correct_v=True, power=None, sqrt=True,
              eps_inside=False):
    """One Adam step; the keyword switches produce the frequent wrong variants."""
    m_new = b1 * m + (1 - b1) * g
    v_new = b2 * v + (1 - b2) * g * g
    p = t if power is None else power
    with T.errstate(all="ignore"):
        m_hat = m_new / (1 - b1**p) if correct_m else m_new
        v_hat = v_new / (1 - b2**p) if correct_v else v_new
        if eps_inside:
            denom = _np.sqrt(v_hat + eps)
        else:
            denom = (_np.sqrt(v_hat) if sqrt else v_hat) + eps
        return w - lr * m_hat / denom, m_new, v_new


def _adam_cases():
    rng = _np.random.default_rng(8)
    b1, b2 = 0.9, 0.999
    cases = []
    # first step from zero moments, gradients of mixed size and sign
    w = _array([0.5, -1.0, 2.0, 0.1])
    g = _array([0.3, -2.0, 1e-3, 50.0])
    cases.append((w, _np.zeros(4), _np.zeros(4), g, 1, 1e-2, (b1, b2), 1e-8))
    # step 4, moments from three earlier steps
    m, v = _np.zeros((2, 3)), _np.zeros((2, 3))
    for _ in range(3):
        gg = rng.standard_normal((2, 3))
        m = b1 * m + (1 - b1) * gg
        v = b2 * v + (1 - b2) * gg * gg
    cases.append((rng.standard_normal((2, 3)), m, v, rng.standard_normal((2, 3)), 4, 3e-3, (b1, b2), 1e-8))
    # small gradients, where eps matters, at step 2 with other betas
    g0 = _array([2e-4, -5e-4, 1e-4])
    m, v = (1 - 0.8) * g0, (1 - 0.99) * g0 * g0
    cases.append((_array([1.0, 2.0, 3.0]), m, v, _array([3e-4, -1e-4, 2e-4]), 2, 0.1, (0.8, 0.99), 1e-4))
    return cases


@exercise("8.3", target="adam_step", title="An Adam step with bias correction", points=1)
def _check_adam_step(adam_step):
    T.require_callable(adam_step, "adam_step")
    for w, m, v, g, t, lr, betas, eps in _adam_cases():
        b1, b2 = betas
        # float32 cannot pass here, and is told so: the moments are compared to 1e-12 and w_new to 1e-10, which must
        # resolve the paper's eps-hat variant (it moves w by 3e-6); float32 keeps 6e-8
        what = f"adam_step(w, m, v, g, t={t}, lr={lr}, betas={betas}, eps={eps}) with w of shape {_shape(w)}"
        raw = adam_step(w.copy(), m.copy(), v.copy(), g.copy(), t, lr, betas, eps)
        parts = _as_tuple(raw, 3, what, "(w_new, m_new, v_new)")
        if any(getattr(x, "dtype", None) == _np.float32 for x in parts):
            raise Wrong(f"{what}: returned float32 arrays",
                        hint="compute in float64: the moments are compared to 12 digits (they feed every later "
                             "step), and float32 keeps 7")
        w_new, w_ok = _finite_array(parts[0], "w_new", w.shape)
        m_new = T.as_float_array(parts[1], "m_new", shape=w.shape)
        v_new = T.as_float_array(parts[2], "v_new", shape=w.shape)
        w_ref, m_ref, v_ref = _adam_ref(w, m, v, g, t, lr, b1, b2, eps)
        if not T.close(m_new, m_ref, rtol=1e-12, atol=1e-15):
            msg = f"{what}: m_new off by {T.max_error(m_new, m_ref):.2g}"
            if T.close(m_new, m_ref / (1 - b1**t), rtol=1e-12, atol=1e-15):
                raise Wrong(msg, hint="return the raw moment m_t, not the bias-corrected m̂_t: the next step "
                                      "updates the raw moments (the correction is applied afresh at every step)")
            if T.close(m_new, b1 * m + g, rtol=1e-12, atol=1e-15):
                raise Wrong(msg, hint="the first moment is a moving average: m ← β₁m + (1 − β₁)g")
            raise Wrong(msg, hint="m_new = β₁·m + (1 − β₁)·g")
        if not T.close(v_new, v_ref, rtol=1e-12, atol=1e-18):
            msg = f"{what}: v_new off by {T.max_error(v_new, v_ref):.2g}"
            if T.close(v_new, v_ref / (1 - b2**t), rtol=1e-12, atol=1e-18):
                raise Wrong(msg, hint="return the raw moment v_t, not the bias-corrected v̂_t")
            if T.close(v_new, b2 * v + (1 - b2) * g, rtol=1e-12, atol=1e-18):
                raise Wrong(msg, hint="the second moment averages the SQUARED gradient: v ← β₂v + (1 − β₂)g²")
            raise Wrong(msg, hint="v_new = β₂·v + (1 − β₂)·g²")
        if not w_ok:
            hint = "look for a division by zero"
            if t == 1:
                hint = ("at the first step (t = 1) your bias correction divides by zero: it looks like t "
                        "starts at 0 in 1 − βᵗ; t counts steps from 1, so 1 − β¹ = 1 − β > 0")
            raise Wrong(f"{what}: w_new contains NaN or infinity", hint=hint)
        if T.close(w_new, w_ref, rtol=1e-10, atol=1e-14):
            continue
        msg = f"{what}: w_new off by {T.max_error(w_new, w_ref):.2g} (max |step| {T.max_error(w_ref, w):.2g})"
        variants = (
            (dict(correct_m=False, correct_v=False),
             "no bias correction: divide m by 1 − β₁ᵗ and v by 1 − β₂ᵗ before the step"),
            (dict(correct_m=False),
             "the first moment is not bias-corrected (at t = 1 the step is too small by the factor 1 − β₁): "
             "use m̂ = m/(1 − β₁ᵗ)"),
            (dict(correct_v=False), "the second moment is not bias-corrected: use v̂ = v/(1 − β₂ᵗ)"),
            (dict(power=1), "you divided by 1 − β instead of 1 − βᵗ: the correction uses β to the power t"),
            (dict(power=t - 1), "your bias correction uses t − 1: t counts steps from 1, so the first step "
                                "divides by 1 − β¹ (with t starting at 0 it would divide by zero)"),
            (dict(power=t + 1), "your bias correction uses t + 1: the t-th step divides by 1 − βᵗ"),
            (dict(sqrt=False), "the square root is missing: divide by √v̂ + ε, not by v̂ + ε"),
            (dict(eps_inside=True), "ε belongs outside the square root: √v̂ + ε, not √(v̂ + ε)"),
        )
        for kw, hint in variants:
            power = kw.get("power")
            if power is not None and (power == t or power <= 0):
                continue  # identical to the reference, or a division by zero (handled above)
            alt = _adam_ref(w, m, v, g, t, lr, b1, b2, eps, **kw)[0]
            if T.close(w_new, alt, rtol=1e-10, atol=1e-14):
                raise Wrong(msg, hint=hint)
        with T.errstate(all="ignore"):
            eps_hat = w - lr * _np.sqrt(1 - b2**t) / (1 - b1**t) * m_ref / (_np.sqrt(v_ref) + eps)
        if T.close(w_new, eps_hat, rtol=1e-10, atol=1e-14):
            raise Wrong(msg, hint="this is the paper's 'efficient' form, α_t = η√(1 − β₂ᵗ)/(1 − β₁ᵗ) with ε added to "
                                  "√v_t: it moves ε (ε̂ = ε√(1 − β₂ᵗ)); the boxed equations, and PyTorch, add ε to "
                                  "√v̂_t: w ← w − η·m̂/(√v̂ + ε)")
        if T.close(w_new, 2 * w - w_ref, rtol=1e-10, atol=1e-14):
            raise Wrong(msg, hint="sign error: Adam steps against the gradient, w ← w − η·m̂/(√v̂ + ε)")
        raise Wrong(msg, hint="w_new = w − lr·m̂/(√v̂ + ε) with m̂ = m_new/(1 − β₁ᵗ), v̂ = v_new/(1 − β₂ᵗ)")
    return "matches Adam at steps 1, 2 and 4"


# ---------------------------------------------------------------------------------------------
# 8.4  optimal heavy-ball constants

@exercise("8.4", target="heavy_ball_params", title="Tuning the heavy ball", points=1)
def _check_heavy_ball_params(heavy_ball_params):
    T.require_callable(heavy_ball_params, "heavy_ball_params")
    for lmin, lmax in ((1.0, 100.0), (0.5, 8.0), (2.0, 2.0)):
        what = f"heavy_ball_params({lmin}, {lmax})"
        raw = heavy_ball_params(lmin, lmax)
        lr_raw, mom_raw = _as_tuple(raw, 2, what, "(lr, momentum)")
        lr = T.as_float(lr_raw, "lr")
        mom = T.as_float(mom_raw, "momentum")
        rk = (lmax / lmin) ** 0.5
        k = lmax / lmin
        lr_ref = 4.0 / (lmax**0.5 + lmin**0.5) ** 2
        mom_ref = ((rk - 1) / (rk + 1)) ** 2

        def near(a, b):
            return T.isclose_scalar(a, b, rel_tol=1e-9, abs_tol=1e-12)

        # rel 1e-6: a right answer in float32 is off by 6e-8 relative; every wrong answer below is off by 1e-2 or more
        if (T.isclose_scalar(lr, lr_ref, rel_tol=1e-6, abs_tol=1e-12)
                and T.isclose_scalar(mom, mom_ref, rel_tol=1e-6, abs_tol=1e-12)):
            continue
        msg = f"{what} = ({lr:.6g}, {mom:.6g}), expected ({lr_ref:.6g}, {mom_ref:.6g})"
        if near(lr, mom_ref) and near(mom, lr_ref) and not near(lr_ref, mom_ref):
            raise Wrong(msg, hint="the values are swapped: return (lr, momentum)")
        if not near(mom, mom_ref):
            if k > 1 and near(mom, (rk - 1) / (rk + 1)):
                raise Wrong(msg, hint="(√κ − 1)/(√κ + 1) is the RATE; the momentum is its square, "
                                      "β* = ((√κ − 1)/(√κ + 1))²")
            if k > 1 and near(mom, ((k - 1) / (k + 1)) ** 2):
                raise Wrong(msg, hint="use the square root of the condition number: β* = ((√κ − 1)/(√κ + 1))²")
            raise Wrong(msg, hint="β* = ((√κ − 1)/(√κ + 1))² with κ = λ_max/λ_min")
        if near(lr, 2 / (lmin + lmax)):
            raise Wrong(msg, hint="2/(λ_min + λ_max) is gradient descent's best step; with momentum it is "
                                  "η* = 4/(√λ_max + √λ_min)²")
        if near(lr, 4 / (lmax + lmin)) or near(lr, 1 / (lmax**0.5 + lmin**0.5) ** 2):
            raise Wrong(msg, hint="η* = 4/(√λ_max + √λ_min)²: square roots inside, 4 on top")
        raise Wrong(msg, hint="η* = 4/(√λ_max + √λ_min)², from ηλ_min = (1 − √β)² and ηλ_max = (1 + √β)²")
    return "matches η* and β* for three bowls (κ = 100, 16, 1)"
