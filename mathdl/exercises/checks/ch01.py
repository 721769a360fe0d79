"""Checks of chapter 1, *Derivatives*.

1.1 ``forward_difference(f, x, h)``: (f(x + h) − f(x)) / h.
1.2 ``central_difference(f, x, h)``: (f(x + h) − f(x − h)) / (2h).
1.3 ``best_h(f, df, x, method)``: the step in 10⁻¹ … 10⁻¹⁵ with the smallest absolute error.
1.4 ``fit_order(hs, errors)``: the least-squares slope of log(error) against log(h).

Every reference is computed here, from the check's own functions and points.
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

_np = T.np
_sin = _np.sin
_cos = _np.cos
_exp = _np.exp
_log = _np.log
_EPS = T.float(_np.finfo(_np.float64).eps)


def _cube(x):
    return x * x * x


def _cube_prime(x):
    return 3.0 * x * x


# (name shown in messages, f, f', x): smooth functions whose forward and central
# differences differ clearly at the steps used below.
_CASES = (
    ("sin", _sin, _cos, 1.0),
    ("exp", _exp, _exp, 0.5),
    ("x³", _cube, _cube_prime, -1.5),
)


def _fwd(f, x, h):
    return (f(x + h) - f(x)) / h


def _bwd(f, x, h):
    return (f(x) - f(x - h)) / h


def _ctr(f, x, h):
    return (f(x + h) - f(x - h)) / (2.0 * h)


def _near(a, b, rtol=1e-9):
    return T.isclose_scalar(a, b, rel_tol=rtol, abs_tol=1e-14)


def _scaled_step(got, d, f, x, h, what):
    """Wrong if ``got`` is the difference ``d`` with the step scaled by max(1, |x|) or by |x| (mdl.calculus's habit)."""
    for scaled, how in ((h * T.max(1.0, T.abs(x)), "max(1, |x|)"), (h * T.abs(x), "|x|")):
        if (scaled != h and scaled > 0 and _near(got, d(f, x, scaled), rtol=1e-9)
                and not _near(d(f, x, scaled), d(f, x, h), rtol=1e-9)):
            raise Wrong(what, hint=f"you scaled the step by {how} (as mdl.calculus.derivative does); this "
                                   f"function takes the step h as given: use h itself")


def _own_step(got, f, x, what):
    """Wrong if ``got`` is a forward or central difference with a common step other than the given h."""
    for hh in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8):
        if _near(got, _fwd(f, x, hh), rtol=1e-12) or _near(got, _ctr(f, x, hh), rtol=1e-12):
            raise Wrong(what, hint=f"this is a difference quotient with h = {hh:g}: use the argument h, "
                                   f"not a step of your own")


# ---------------------------------------------------------------------------------------
@exercise("1.1", target="forward_difference", title="Forward difference", points=1)
def _check_forward_difference(forward_difference):
    T.require_callable(forward_difference, "forward_difference")
    h = 0.1  # large enough that forward, backward and central differences differ in the 3rd digit
    for name, f, df, x in _CASES:
        got = T.as_float(forward_difference(f, x, h), f"forward_difference({name}, {x}, {h})")
        ref = _fwd(f, x, h)
        if _near(got, ref):
            continue
        what = f"forward_difference({name}, x={x}, h={h}) = {got:.8g}, expected {ref:.8g}"
        if _near(got, _ctr(f, x, h)):
            raise Wrong(what, hint="this is the central difference (f(x+h) − f(x−h)) / (2h); the forward "
                                   "difference uses x and x + h: (f(x + h) − f(x)) / h")
        if _near(got, -ref):
            raise Wrong(what, hint="the sign is flipped: subtract f(x) from f(x + h), not the other way round")
        if _near(got, _bwd(f, x, h)):
            raise Wrong(what, hint="this is the backward difference (f(x) − f(x − h)) / h; step forward, to x + h")
        if _near(got, ref / 2.0):
            raise Wrong(what, hint="you divided by 2h; the two points x and x + h are h apart, so divide by h")
        if _near(got, ref * h):
            raise Wrong(what, hint="you forgot to divide by h: the slope is (f(x + h) − f(x)) / h")
        _scaled_step(got, _fwd, f, x, h, what)
        _own_step(got, f, x, what)
        if _near(got, df(x), rtol=1e-6):
            raise Wrong(what, hint="that is the exact derivative; return the difference quotient for the "
                                   "given h, error included")
        raise Wrong(what, hint="compute (f(x + h) − f(x)) / h with the f, x and h you are given")
    # the step must be the one given (not a fixed h inside the function)
    x, hsmall = 1.0, 1e-4
    got = T.as_float(forward_difference(_sin, x, hsmall), f"forward_difference(sin, {x}, {hsmall})")
    ref = _fwd(_sin, x, hsmall)
    if not _near(got, ref):
        raise Wrong(f"forward_difference(sin, x={x}, h={hsmall}) = {got:.10g}, expected {ref:.10g}",
                    hint="use the argument h, not a step of your own")
    return "matches (f(x + h) − f(x)) / h on sin, exp and x³"


# ---------------------------------------------------------------------------------------
@exercise("1.2", target="central_difference", title="Central difference", points=1)
def _check_central_difference(central_difference):
    T.require_callable(central_difference, "central_difference")
    h = 0.1
    for name, f, df, x in _CASES:
        got = T.as_float(central_difference(f, x, h), f"central_difference({name}, {x}, {h})")
        ref = _ctr(f, x, h)
        if _near(got, ref):
            continue
        what = f"central_difference({name}, x={x}, h={h}) = {got:.8g}, expected {ref:.8g}"
        if _near(got, _fwd(f, x, h)) or _near(got, _bwd(f, x, h)):
            e1 = abs(_fwd(f, x, 1e-2) - df(x))
            e2 = abs(_fwd(f, x, 1e-3) - df(x))
            raise Wrong(what, hint=f"this looks like a forward (or backward) difference: its error shrinks "
                                   f"like h, not h² (for {name} at x = {x}: {e1:.1e} at h = 1e-2, {e2:.1e} at "
                                   f"h = 1e-3); use both neighbours, (f(x + h) − f(x − h)) / (2h)")
        if _near(got, 2.0 * ref):
            raise Wrong(what, hint="twice too large: x − h and x + h are 2h apart, so divide by 2h, not by h")
        if _near(got, (f(x + h) - f(x - h)) / 2.0 * h):
            raise Wrong(what, hint="operator precedence: a / 2 * h means (a / 2) · h; write a / (2 * h)")
        if _near(got, -ref):
            raise Wrong(what, hint="the sign is flipped: it is f(x + h) − f(x − h), not f(x − h) − f(x + h)")
        # the scaled step first: at x = 0.5 the step h·|x| IS h/2, and a learner who halves h already failed at
        # x = 1, where the scaled steps equal h and are not tried
        _scaled_step(got, _ctr, f, x, h, what)
        if _near(got, _ctr(f, x, h / 2.0)):
            raise Wrong(what, hint="your points are x ± h/2, h apart: step a full h each way, "
                                   "(f(x + h) − f(x − h)) / (2h)")
        _own_step(got, f, x, what)
        if _near(got, df(x), rtol=1e-6):
            raise Wrong(what, hint="that is the exact derivative; return the difference quotient for the "
                                   "given h, error included")
        raise Wrong(what, hint="compute (f(x + h) − f(x − h)) / (2h) with the f, x and h you are given")
    # second order: the error falls 100-fold when h falls 10-fold
    x = 0.5
    errs = [abs(T.as_float(central_difference(_exp, x, h), f"central_difference(exp, {x}, {h})") - _exp(x))
            for h in (1e-2, 1e-3)]
    ratio = errs[0] / errs[1] if errs[1] > 0 else float("inf")
    if not 50.0 < ratio < 200.0:
        raise Wrong(f"for exp at x = {x}, the error went from {errs[0]:.2e} (h = 1e-2) to {errs[1]:.2e} "
                    f"(h = 1e-3), a factor {ratio:.3g}; a second-order method gives about 100",
                    hint="use the argument h, and the formula (f(x + h) − f(x − h)) / (2h)")
    return f"matches (f(x + h) − f(x − h)) / (2h); error falls {ratio:.0f}-fold when h falls 10-fold"


# ---------------------------------------------------------------------------------------
_HS = tuple(10.0 ** -k for k in range(1, 16))


def _errors(f, df, x, method):
    d = _fwd if method == "forward" else _ctr
    exact = df(x)
    return [abs(d(f, x, h) - exact) for h in _HS]


def _signed(f, df, x, method):
    d = _fwd if method == "forward" else _ctr
    return [d(f, x, h) - df(x) for h in _HS]


def _exp20(x):
    return _exp(20.0 * x)


def _exp20_prime(x):
    return 20.0 * _exp(20.0 * x)


# (name, f, f', x). The first two have the textbook best steps 1e-8 (forward) and 1e-5 (central); the last two
# do not, so that a constant answer cannot pass: at x = 1e4 the rounding of x + h moves the forward difference's
# best step to 1e-6 (its error at 1e-8 is 450 times larger), and e^(20x), whose f''' is 8000 f, moves the
# central difference's to 1e-7 (error at 1e-5: 180 times larger) and the forward's to 1e-9 (30 times).
_BEST_H_CASES = (
    ("sin", _sin, _cos, 1.0),
    ("exp", _exp, _exp, 0.5),
    ("sin", _sin, _cos, 1e4),
    ("e^(20x)", _exp20, _exp20_prime, 0.1),
)


def _argmin(values):
    return T.min(T.range(T.len(values)), key=lambda i: values[i])


def _rule(values):
    """best_h by a wrong rule: the h of _HS at which values(D_h f(x), f′(x)) is smallest."""
    def pick(f, df, x, method):
        d = _fwd if method == "forward" else _ctr
        exact = df(x)
        return _HS[_argmin([values(d(f, x, h), exact) for h in _HS])]
    return pick


def _wrong_rules(best_h):
    return (
        ("abs of each", _rule(lambda d, e: T.abs(d) - T.abs(e)),
         "you took |D_h f| − |f′|, the difference of the absolute values; the error is the absolute value of "
         "the difference, |D_h f(x) − f′(x)|"),
        ("signed", _rule(lambda d, e: d - e),
         "take the absolute value of the error: the smallest signed error is the most negative one, not the "
         "smallest in size"),
        ("largest", _rule(lambda d, e: -T.abs(d - e)),
         "that h gives the LARGEST error: use argmin, not argmax"),
    )


def _explains(best_h, rule):
    """Does ``rule`` give the learner's answer at every point and for both methods?"""
    try:
        for _, f, df, x in _BEST_H_CASES:
            for method in ("forward", "central"):
                if T.float(best_h(f, df, x, method)) != rule(f, df, x, method):
                    return False
    except Exception:  # noqa: BLE001 - the learner's code: a failure here only means "not this rule"
        return False
    return True


@exercise("1.3", target="best_h", title="The step that minimises the error", points=1)
def _check_best_h(best_h):
    T.require_callable(best_h, "best_h")
    theory = {"forward": _EPS ** 0.5, "central": _EPS ** (1.0 / 3.0)}
    checked = []
    seen = {"forward": [], "central": []}   # the learner's accepted answers so far, per method
    for name, f, df, x in _BEST_H_CASES:
        for method in ("forward", "central"):
            what = f"best_h({name}, {name}′, {x}, {method!r})"
            got = T.as_float(best_h(f, df, x, method), what)
            err = _errors(f, df, x, method)
            i_best = _argmin(err)
            ref = _HS[i_best]
            msg = f"{what} = {got:.3g}, expected {ref:.0e}"
            exact_grid = [h for h in _HS if _near(got, h, rtol=1e-12)]
            if not exact_grid:
                if T.isinstance(got, T.float) and got == T.int(got) and 0 <= got < T.len(_HS):
                    raise Wrong(msg, hint="you returned an index into hs (what argmin gives); return the step "
                                          "itself, hs[index]")
                for m, hth in theory.items():
                    if _near(got, hth, rtol=1e-3):
                        detail = ("ε^(1/2) is the theory's forward-difference step; the central difference's is "
                                  "larger, near ε^(1/3). " if (m == "forward" and method == "central") else "")
                        raise Wrong(msg, hint=f"{detail}The theory only gives the order of magnitude: evaluate "
                                              f"the errors for every h in hs and return the h with the smallest")
                if _near(got, err[i_best], rtol=1e-6):
                    raise Wrong(msg, hint="you returned the smallest error; return the h that gives it")
                raise Wrong(msg, hint="return one of the steps hs = 10.0 ** -np.arange(1, 16): the one with the "
                                      "smallest absolute error")
            h = exact_grid[0]
            j = _HS.index(h)
            if err[j] <= 10.0 * err[i_best]:
                checked.append(f"{method} {h:.0e}")
                seen[method].append(h)
                continue  # that h, or a neighbour within rounding noise of the minimum
            if seen[method] and all(_near(h, s, rtol=1e-12) for s in seen[method]):
                raise Wrong(msg, hint=f"you return h = {h:.0e} for every function and point; the best step depends "
                                      f"on f and x (here it is {ref:.0e}, and the error at {h:.0e} is "
                                      f"{err[j] / err[i_best]:.0f} times the smallest): compute the error "
                                      f"|D_h f(x) − f′(x)| against the exact derivative df(x), for every h in hs, "
                                      f"and return the h with the smallest")
            other = "central" if method == "forward" else "forward"
            if _HS[_argmin(_errors(f, df, x, other))] == h:
                raise Wrong(msg, hint=f"that is the best h of the {other} difference; for method={method!r} use "
                                      f"the {method} difference (its best h is near "
                                      f"{'ε^(1/2)' if method == 'forward' else 'ε^(1/3)'})")
            # three rules that can pick the same h at one point: the one that explains the answers at EVERY
            # point names the mistake
            rules = _wrong_rules(best_h)
            if h in (r(f, df, x, method) for _, r, _ in rules):
                for _, rule, hint in rules:
                    if h == rule(f, df, x, method) and _explains(best_h, rule):
                        raise Wrong(msg, hint=hint)
                raise Wrong(msg, hint="; ".join(hint for _, rule, hint in rules if h == rule(f, df, x, method)))
            raise Wrong(msg, hint=f"error at your h is {err[j]:.1e}, but {err[i_best]:.1e} at h = {ref:.0e}: "
                                  f"compute |D_h f(x) − f′(x)| for every h and take the smallest")
    return ("finds the best step for both methods at 4 points (" + ", ".join(checked[:2]) + " for sin, "
            + ", ".join(checked[-2:]) + " for e^(20x))")


# ---------------------------------------------------------------------------------------
def _polyfit_slope(u, v):
    """Least-squares slope of v against u (closed form, independent of the learner)."""
    n = T.len(u)
    mu = T.sum(u) / n
    mv = T.sum(v) / n
    num = T.sum((a - mu) * (b - mv) for a, b in T.zip(u, v))
    den = T.sum((a - mu) ** 2 for a in u)
    return num / den, mv - num / den * mu


def _order_data(p, c, wiggle, spacing=None):
    # equal spacing on log axes, or the given exponents: unequal spacing separates least squares (and the
    # endpoints) from the mean of the slopes between neighbours, which are the same at equal spacing
    hs = [10.0 ** (-1.0 - 0.5 * k) for k in T.range(7)] if spacing is None else [10.0 ** -s for s in spacing]
    # a deterministic, non-constant wiggle so that endpoint slopes and least squares differ
    errs = [c * h ** p * (1.0 + wiggle * _sin(3.0 * k + 1.0)) for k, h in T.zip(T.range(T.len(hs)), hs)]
    return hs, errs


@exercise("1.4", target="fit_order", title="Measure the order of a method", points=1)
def _check_fit_order(fit_order):
    T.require_callable(fit_order, "fit_order")
    # the unequally spaced probe first: there the endpoints and the mean of neighbouring slopes differ, so the
    # first failure already names the mistake
    for p, c, wiggle, spacing in ((2.0, 0.2, 0.25, (1.0, 1.3, 2.2, 2.5, 3.6, 4.0)), (1.0, 0.4, 0.2, None),
                                  (2.0, 0.09, 0.3, None)):
        hs, errs = _order_data(p, c, wiggle, spacing)
        lh = [T.float(_log(h)) for h in hs]
        le = [T.float(_log(e)) for e in errs]
        slope, intercept = _polyfit_slope(lh, le)
        got = T.as_float(fit_order(_np.array(hs), _np.array(errs)), "fit_order(hs, errors)")
        if _near(got, slope, rtol=1e-6):
            continue
        msg = f"fit_order(hs, errors) = {got:.6g}, expected {slope:.6g} (data made with error ≈ {c}·h^{p:g})"
        inv, _ = _polyfit_slope(le, lh)
        if _near(got, inv, rtol=1e-6):
            raise Wrong(msg, hint="you fitted log h against log error; the order is the slope of log(error) "
                                  "against log(h): np.polyfit(np.log(hs), np.log(errors), 1)")
        if _near(got, intercept, rtol=1e-6) or _near(got, T.float(_exp(intercept)), rtol=1e-6):
            raise Wrong(msg, hint="np.polyfit returns [slope, intercept], highest power first: take element 0")
        lin, _ = _polyfit_slope(hs, errs)
        if _near(got, lin, rtol=1e-6):
            raise Wrong(msg, hint="fit the straight line on log-log scale: take np.log of hs and errors first")
        ends = (le[-1] - le[0]) / (lh[-1] - lh[0])
        if _near(got, ends, rtol=1e-6):
            raise Wrong(msg, hint="that is the slope between the first and last points only; fit a "
                                  "least-squares line through all of them")
        if _near(got, -slope, rtol=1e-6):
            raise Wrong(msg, hint="the sign is flipped: errors shrink with h, so the slope is positive")
        ln10 = T.float(_log(10.0))
        if _near(got, slope / ln10, rtol=1e-6) or _near(got, slope * ln10, rtol=1e-6):
            raise Wrong(msg, hint="you mixed logarithms (np.log for one axis, np.log10 for the other): take the "
                                  "same logarithm of hs and of errors")
        local = [(le[k + 1] - le[k]) / (lh[k + 1] - lh[k]) for k in T.range(T.len(lh) - 1)]
        srt = T.sorted(local)
        m = T.len(srt)
        median = srt[m // 2] if m % 2 else 0.5 * (srt[m // 2 - 1] + srt[m // 2])
        if _near(got, T.sum(local) / m, rtol=1e-6) or _near(got, median, rtol=1e-6):
            raise Wrong(msg, hint="you averaged the slopes between neighbouring points; fit one least-squares "
                                  "line through all the points (np.polyfit) and return its slope")
        n = T.len(lh)
        for a in T.range(n - 1):
            for b in T.range(a + 2, n + 1):
                if b - a < n and _near(got, _polyfit_slope(lh[a:b], le[a:b])[0], rtol=1e-6):
                    raise Wrong(msg, hint="you fitted only some of the points (as mdl.calculus.fit_order does); "
                                          "fit all the points you are given: choosing them is the caller's job")
        if got == T.round(slope):
            raise Wrong(msg, hint="return the fitted slope itself, a float, not rounded to the nearest integer")
        raise Wrong(msg, hint="return the slope of the least-squares line through (log h, log error)")
    return "recovers the slope of log(error) against log(h) (orders ≈ 1 and ≈ 2)"
