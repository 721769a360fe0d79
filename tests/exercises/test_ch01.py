"""The checks of chapter 1: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint,
and right answers written differently pass (tables WRONG_ANSWERS / RIGHT_ANSWERS, see conftest.py)."""

import math
import time

import numpy as np

import mathdl as mdl
from mathdl.exercises import check

from .conftest import Right, Wrong, run, stub

EPS = np.finfo(float).eps


# ---- 1.1 forward difference ----------------------------------------------------------------
def forward_difference(f, x, h):
    return (f(x + h) - f(x)) / h


def test_1_1_reference_passes(capsys):
    res = check("1.1", forward_difference)
    assert res.passed, res.line()
    assert "passed" in capsys.readouterr().out


def test_1_1_stub_not_attempted():
    assert run("1.1", stub).status == "not attempted"


def test_1_1_wrong_type_is_explained():
    res = run("1.1", lambda f, x, h: None)
    assert res.status == "failed" and "None" in res.message


# ---- 1.2 central difference ----------------------------------------------------------------
def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_1_2_reference_passes():
    res = run("1.2", central_difference)
    assert res.passed, res.line()
    assert "100-fold" in res.message


def test_1_2_stub_not_attempted():
    assert run("1.2", stub).status == "not attempted"


def test_1_2_fixed_step_fails_the_order_test():
    res = run("1.2", lambda f, x, h: central_difference(f, x, h if h > 0.05 else 1e-2))
    assert res.status == "failed" and "second-order" in res.message


# ---- 1.3 best h ------------------------------------------------------------------------------
HS = 10.0 ** -np.arange(1, 16)


def best_h(f, df, x, method):
    diff = forward_difference if method == "forward" else central_difference
    errors = [abs(diff(f, x, h) - df(x)) for h in HS]
    return float(HS[int(np.argmin(errors))])


def _best_h_variant(pick):
    def fn(f, df, x, method):
        diff = forward_difference if method == "forward" else central_difference
        signed = np.array([diff(f, x, h) - df(x) for h in HS])
        return pick(signed, method)
    return fn


def _best_h_variant_values(values, reference=None):
    """best_h with a wrong error measure values(D_h, reference) (reference: df(x) unless given)."""
    def fn(f, df, x, method):
        diff = forward_difference if method == "forward" else central_difference
        ref = df(x) if reference is None else reference(f, x)
        if reference is not None:
            values_ = lambda d, e: abs(d - e)   # noqa: E731 - the error is right, the reference is not
        else:
            values_ = values
        return float(HS[int(np.argmin([values_(diff(f, x, h), ref) for h in HS]))])
    return fn


def best_h_loop(f, df, x, method):
    """A loop that keeps the best so far, with the steps from np.logspace and the formulas written out."""
    best, best_err = None, np.inf
    for h in np.logspace(-1, -15, 15):
        d = (f(x + h) - f(x)) * (1.0 / h) if method == "forward" else 0.5 * (f(x + h) - f(x - h)) / h
        if abs(d - df(x)) < best_err:
            best, best_err = float(h), abs(d - df(x))
    return best


def test_1_3_reference_passes():
    res = run("1.3", best_h)
    assert res.passed, res.line()
    assert "4 points" in res.message


def test_1_3_stub_not_attempted():
    assert run("1.3", stub).status == "not attempted"


# ---- 1.4 fit order ---------------------------------------------------------------------------
def fit_order(hs, errors):
    slope, _ = np.polyfit(np.log(hs), np.log(errors), 1)
    return float(slope)


def fit_order_closed_form(hs, errors):
    u, v = np.log(np.asarray(hs)), np.log(np.asarray(errors))
    return float(np.sum((u - u.mean()) * (v - v.mean())) / np.sum((u - u.mean()) ** 2))


def test_1_4_reference_passes():
    assert run("1.4", fit_order).passed


def test_1_4_stub_not_attempted():
    assert run("1.4", stub).status == "not attempted"


def test_chapter_1_checks_are_fast():
    t0 = time.perf_counter()
    for ex_id, fn in (("1.1", forward_difference), ("1.2", central_difference), ("1.3", best_h),
                      ("1.4", fit_order)):
        assert run(ex_id, fn).passed
    assert time.perf_counter() - t0 < 1.0


# ---- the tables --------------------------------------------------------------------------------
WRONG_ANSWERS = {
    "1.1": [
        Wrong(lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h), "central difference", "the central difference"),
        Wrong(lambda f, x, h: (f(x) - f(x + h)) / h, "sign is flipped", "f(x) − f(x + h): sign flipped"),
        Wrong(lambda f, x, h: (f(x) - f(x - h)) / h, "backward difference", "the backward difference"),
        Wrong(lambda f, x, h: (f(x + h) - f(x)) / (2 * h), "divided by 2h", "dividing by 2h"),
        Wrong(lambda f, x, h: f(x + h) - f(x), "forgot to divide by h", "no division by h"),
        Wrong(lambda f, x, h: (f(x + 1e-5) - f(x)) / 1e-5, "argument h", "its own step 1e-5, ignoring h"),
        Wrong(lambda f, x, h: (f(x + 1e-8) - f(x)) / 1e-8, "argument h", "its own tiny step, ignoring h"),
        Wrong(lambda f, x, h: forward_difference(f, x, h * max(1.0, abs(x))), "scaled the step by max(1, |x|)",
              "the step scaled as mdl.calculus.derivative does"),
    ],
    "1.2": [
        Wrong(forward_difference, "forward (or backward) difference: its error shrinks like h, not h²",
              "the forward difference"),
        Wrong(lambda f, x, h: (f(x + h) - f(x - h)) / h, "divide by 2h", "dividing by h, not 2h"),
        Wrong(lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h, "precedence", "a / 2 * h: precedence"),
        Wrong(lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h), "sign is flipped", "the sign flipped"),
        Wrong(lambda f, x, h: (f(x + 1e-5) - f(x - 1e-5)) / 2e-5, "argument h", "its own step, ignoring h"),
        Wrong(lambda f, x, h: (f(x) - f(x - h)) / h, "forward (or backward) difference",
              "the backward difference"),
        Wrong(lambda f, x, h: (f(x + h / 2) - f(x - h / 2)) / h, "x ± h/2", "points x ± h/2"),
        Wrong(lambda f, x, h: central_difference(f, x, h * abs(x)), "scaled the step by |x|",
              "a relative step h·|x|"),
    ],
    "1.3": [
        Wrong(_best_h_variant(lambda s, m: float(HS[np.argmin(s)])), "absolute value", "signed error, no abs"),
        Wrong(_best_h_variant(lambda s, m: float(HS[np.argmax(np.abs(s))])), "LARGEST error", "argmax for argmin"),
        Wrong(_best_h_variant(lambda s, m: float(np.min(np.abs(s)))), "smallest error", "returns the error"),
        Wrong(_best_h_variant(lambda s, m: float(np.argmin(np.abs(s)))), "index", "returns the index"),
        Wrong(lambda f, df, x, m: best_h(f, df, x, m) if m == "forward" else float(np.sqrt(EPS)),
              "ε^(1/2) is the theory's forward-difference step", "√ε for the central difference"),
        Wrong(lambda f, df, x, m: float(np.sqrt(EPS) if m == "forward" else np.cbrt(EPS)), "order of magnitude",
              "the theory's √ε and ε^(1/3)"),
        Wrong(lambda f, df, x, m: best_h(f, df, x, "forward"), "best h of the forward difference",
              "forward difference for both methods"),
        Wrong(lambda f, df, x, m: best_h(f, df, x, "central"), "best h of the central difference",
              "central difference for both methods"),
        Wrong(lambda f, df, x, m: 1e-8 if m == "forward" else 1e-5, "for every function and point",
              "hard-coded 1e-8 / 1e-5"),
        Wrong(_best_h_variant_values(lambda d, e: abs(d) - abs(e)), "difference of the absolute values",
              "|D| − |f′| for the error"),
        Wrong(_best_h_variant_values(lambda d, e: abs(d) - abs(e), reference=lambda f, x: central_difference(f, x, 1e-5)),
              "against the exact derivative df(x)", "a central difference with h = 1e-5 taken as the exact value"),
    ],
    "1.4": [
        Wrong(lambda hs, e: float(np.polyfit(np.log(e), np.log(hs), 1)[0]), "log h against log error",
              "axes swapped"),
        Wrong(lambda hs, e: float(np.polyfit(np.log(hs), np.log(e), 1)[1]), "[slope, intercept]",
              "the intercept"),
        Wrong(lambda hs, e: float(np.polyfit(hs, e, 1)[0]), "log-log", "a linear fit without logs"),
        Wrong(lambda hs, e: float(np.log(e[-1] / e[0]) / np.log(hs[-1] / hs[0])), "first and last points",
              "slope between the end points"),
        Wrong(lambda hs, e: -fit_order(hs, e), "sign is flipped", "the sign flipped"),
        Wrong(lambda hs, e: float(np.polyfit(np.log(hs), np.log10(e), 1)[0]), "mixed logarithms",
              "np.log of hs, np.log10 of the errors"),
        Wrong(lambda hs, e: float(np.mean(np.diff(np.log(e)) / np.diff(np.log(hs)))), "averaged the slopes",
              "the mean of the slopes between neighbours"),
        Wrong(lambda hs, e: float(np.median(np.diff(np.log(e)) / np.diff(np.log(hs)))), "averaged the slopes",
              "the median of the slopes between neighbours"),
        Wrong(lambda hs, e: mdl.calculus.fit_order(hs, e), "fitted only some of the points",
              "mdl.calculus.fit_order, which drops the points near the smallest error"),
        Wrong(lambda hs, e: fit_order(hs[1:], e[1:]), "fitted only some of the points", "the first point left out"),
        Wrong(lambda hs, e: round(fit_order(hs, e)), "not rounded", "the slope rounded to an int"),
    ],
}

RIGHT_ANSWERS = {
    "1.1": [Right(lambda f, x, h: f(x + h) / h - f(x) / h, "the quotient split into two terms"),
            Right(lambda f, x, h: float(np.diff([f(x), f(x + h)])[0] / h), "np.diff of the two values")],
    "1.2": [Right(lambda f, x, h: 0.5 * (forward_difference(f, x, h) + forward_difference(f, x, -h)),
                  "the mean of the forward and backward differences")],
    "1.3": [Right(best_h_loop, "a loop keeping the best so far, np.logspace steps, other roundings"),
            Right(_best_h_variant_values(lambda d, e: abs(d - e) / abs(e)), "the relative error (same argmin)"),
            Right(_best_h_variant_values(lambda d, e: (d - e) ** 2), "the squared error (same argmin)")],
    "1.4": [Right(lambda hs, e: float(np.polyfit(np.log10(hs), np.log10(e), 1)[0]), "log10 instead of ln"),
            Right(fit_order_closed_form, "the least-squares slope in closed form"),
            Right(lambda hs, e: float(np.linalg.lstsq(np.stack([np.log(hs), np.ones(len(hs))], 1),
                                                      np.log(e), rcond=None)[0][0]), "np.linalg.lstsq"),
            Right(lambda hs, e: float(np.polyfit(np.log(np.float32(hs)), np.log(np.float32(e)), 1)[0]),
                  "float32 logarithms"),
            Right(lambda hs, e: float(np.polyfit([math.log(v) for v in hs], [math.log(v) for v in e], 1)[0]),
                  "lists of math.log values")],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
