"""The checks of chapter 1: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

import time

import numpy as np
import pytest

from mathdl.exercises import check, get_exercise, run_check

EPS = np.finfo(float).eps


def run(ex_id, *objs):
    return run_check(get_exercise(ex_id), objs)


def expect_hint(ex_id, fn, fragment):
    res = run(ex_id, fn)
    assert res.status == "failed", res.line()
    assert res.hint and fragment in res.hint, res.line()


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise 1.k: not yet")


# ---- 1.1 forward difference ----------------------------------------------------------------
def forward_difference(f, x, h):
    return (f(x + h) - f(x)) / h


FORWARD_WRONG = [
    (lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h), "central difference"),
    (lambda f, x, h: (f(x) - f(x + h)) / h, "sign is flipped"),
    (lambda f, x, h: (f(x) - f(x - h)) / h, "backward difference"),
    (lambda f, x, h: (f(x + h) - f(x)) / (2 * h), "divided by 2h"),
    (lambda f, x, h: f(x + h) - f(x), "forgot to divide by h"),
    (lambda f, x, h: (f(x + 1e-5) - f(x)) / 1e-5, "argument h"),
]


def test_1_1_reference_passes(capsys):
    res = check("1.1", forward_difference)
    assert res.passed, res.line()
    assert "passed" in capsys.readouterr().out


def test_1_1_stub_not_attempted():
    assert run("1.1", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", FORWARD_WRONG)
def test_1_1_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("1.1", fn, fragment)


def test_1_1_wrong_type_is_explained():
    res = run("1.1", lambda f, x, h: None)
    assert res.status == "failed" and "None" in res.message


# ---- 1.2 central difference ----------------------------------------------------------------
def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


CENTRAL_WRONG = [
    (forward_difference, "forward (or backward) difference: its error shrinks like h, not h²"),
    (lambda f, x, h: (f(x + h) - f(x - h)) / h, "divide by 2h"),
    (lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h, "precedence"),
    (lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h), "sign is flipped"),
    (lambda f, x, h: (f(x + 1e-5) - f(x - 1e-5)) / 2e-5, "argument h"),
]


def test_1_2_reference_passes():
    res = run("1.2", central_difference)
    assert res.passed, res.line()
    assert "100-fold" in res.message


def test_1_2_stub_not_attempted():
    assert run("1.2", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", CENTRAL_WRONG)
def test_1_2_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("1.2", fn, fragment)


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


BEST_H_WRONG = [
    (_best_h_variant(lambda s, m: float(HS[np.argmin(s)])), "absolute value"),
    (_best_h_variant(lambda s, m: float(HS[np.argmax(np.abs(s))])), "LARGEST error"),
    (_best_h_variant(lambda s, m: float(np.min(np.abs(s)))), "smallest error"),
    (_best_h_variant(lambda s, m: float(np.argmin(np.abs(s)))), "index"),
    (lambda f, df, x, m: best_h(f, df, x, m) if m == "forward" else float(np.sqrt(EPS)),
     "ε^(1/2) is the theory's forward-difference step"),
    (lambda f, df, x, m: float(np.sqrt(EPS) if m == "forward" else np.cbrt(EPS)), "order of magnitude"),
    (lambda f, df, x, m: best_h(f, df, x, "forward"), "best h of the forward difference"),
]


def test_1_3_reference_passes():
    res = run("1.3", best_h)
    assert res.passed, res.line()


def test_1_3_stub_not_attempted():
    assert run("1.3", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", BEST_H_WRONG)
def test_1_3_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("1.3", fn, fragment)


def test_1_3_rounding_differences_in_the_formula_are_tolerated():
    def best_h_half(f, df, x, method):
        def diff(h):
            if method == "forward":
                return (f(x + h) - f(x)) * (1.0 / h)
            return 0.5 * (f(x + h) - f(x - h)) / h
        errors = [abs(diff(h) - df(x)) for h in HS]
        return float(HS[int(np.argmin(errors))])
    assert run("1.3", best_h_half).passed


# ---- 1.4 fit order ---------------------------------------------------------------------------
def fit_order(hs, errors):
    slope, _ = np.polyfit(np.log(hs), np.log(errors), 1)
    return float(slope)


FIT_WRONG = [
    (lambda hs, e: float(np.polyfit(np.log(e), np.log(hs), 1)[0]), "log h against log error"),
    (lambda hs, e: float(np.polyfit(np.log(hs), np.log(e), 1)[1]), "[slope, intercept]"),
    (lambda hs, e: float(np.polyfit(hs, e, 1)[0]), "log-log"),
    (lambda hs, e: float(np.log(e[-1] / e[0]) / np.log(hs[-1] / hs[0])), "first and last points"),
    (lambda hs, e: -fit_order(hs, e), "sign is flipped"),
]


def test_1_4_reference_passes_and_log10_is_fine():
    assert run("1.4", fit_order).passed
    assert run("1.4", lambda hs, e: float(np.polyfit(np.log10(hs), np.log10(e), 1)[0])).passed


def test_1_4_stub_not_attempted():
    assert run("1.4", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", FIT_WRONG)
def test_1_4_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("1.4", fn, fragment)


def test_chapter_1_checks_are_fast():
    t0 = time.perf_counter()
    for ex_id, fn in (("1.1", forward_difference), ("1.2", central_difference), ("1.3", best_h),
                      ("1.4", fit_order)):
        assert run(ex_id, fn).passed
    assert time.perf_counter() - t0 < 1.0
