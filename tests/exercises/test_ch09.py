"""The checks of chapter 9: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

import math

import numpy as np
import pytest

from mathdl.exercises import check, get_exercise, run_check


def run(ex_id, *objs):
    return run_check(get_exercise(ex_id), objs)


def expect_hint(ex_id, fn, fragment):
    res = run(ex_id, fn)
    assert res.status == "failed", res.line()
    assert res.hint and fragment in res.hint, res.line()
    return res


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise 9.k: not yet")


# ---- 9.1 Xavier uniform bound ------------------------------------------------------------------
def xavier_uniform_bound(n_in, n_out):
    return math.sqrt(6.0 / (n_in + n_out))


def test_91_reference_passes(capsys):
    assert check("9.1", xavier_uniform_bound).passed
    assert "✅ Exercise 9.1 passed" in capsys.readouterr().out


def test_91_stub_not_attempted():
    assert run("9.1", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", [
    (lambda n_in, n_out: 1 / math.sqrt(n_in), "'standard' bound"),
    (lambda n_in, n_out: math.sqrt(2 / (n_in + n_out)), "standard deviation"),
    (lambda n_in, n_out: 6 / (n_in + n_out), "square root"),
    (lambda n_in, n_out: 2 / (n_in + n_out), "Xavier's variance"),
    (lambda n_in, n_out: math.sqrt(6 / n_in), "not n_in alone"),
    (lambda n_in, n_out: math.sqrt(3 / n_in), "LeCun"),
    (lambda n_in, n_out: math.sqrt(6 / n_out), "not n_out alone"),
    (lambda n_in, n_out: math.sqrt(3 / (n_in + n_out)), "average fan"),
])
def test_91_wrong_answers(fn, fragment):
    expect_hint("9.1", fn, fragment)


def test_91_returns_none():
    res = run("9.1", lambda n_in, n_out: None)
    assert res.status == "failed" and "return" in (res.hint or ""), res.line()


# ---- 9.2 He normal ----------------------------------------------------------------------------
def he_normal(n_in, n_out, rng):
    return rng.normal(0.0, math.sqrt(2.0 / n_in), size=(n_in, n_out))


def test_92_reference_passes(capsys):
    assert check("9.2", he_normal).passed
    assert "✅ Exercise 9.2 passed" in capsys.readouterr().out


def test_92_mathdl_kaiming_normal_passes():
    import mathdl as mdl

    def he_via_mathdl(n_in, n_out, rng):
        return mdl.init.kaiming_normal_(np.empty((n_in, n_out)), nonlinearity="relu", rng=rng)

    assert run("9.2", he_via_mathdl).passed


def test_92_stub_not_attempted():
    assert run("9.2", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", [
    (lambda n_in, n_out, rng: rng.normal(0.0, math.sqrt(2.0 / n_out), size=(n_in, n_out)), "fan-out"),
    (lambda n_in, n_out, rng: rng.normal(0.0, math.sqrt(1.0 / n_in), size=(n_in, n_out)), "factor 2"),
    (lambda n_in, n_out, rng: rng.normal(0.0, 2.0 / n_in, size=(n_in, n_out)), "standard deviation"),
    (lambda n_in, n_out, rng: rng.normal(0.0, math.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out)), "Xavier"),
    (lambda n_in, n_out, rng: rng.normal(0.0, math.sqrt(2.0 / n_in), size=(n_out, n_in)), "transpose"),
    (lambda n_in, n_out, rng: rng.uniform(-math.sqrt(6.0 / n_in), math.sqrt(6.0 / n_in), size=(n_in, n_out)),
     "uniform"),
    (lambda n_in, n_out, rng: np.random.default_rng().normal(0.0, math.sqrt(2.0 / n_in), size=(n_in, n_out)),
     "generator you are given"),
    (lambda n_in, n_out, rng: np.full((n_in, n_out), math.sqrt(2.0 / n_in)), "independent"),
])
def test_92_wrong_answers(fn, fragment):
    expect_hint("9.2", fn, fragment)


def test_92_wrong_type():
    res = run("9.2", lambda n_in, n_out, rng: "weights")
    assert res.status == "failed", res.line()


# ---- 9.3 predicted second moment --------------------------------------------------------------
def predicted_second_moment(q0, n_in, var_w, D, activation="relu"):
    factor = n_in * var_w
    if activation == "relu":
        return q0 * factor ** D * 0.5 ** (D - 1)
    return q0 * factor ** D


def test_93_reference_passes(capsys):
    assert check("9.3", predicted_second_moment).passed
    assert "✅ Exercise 9.3 passed" in capsys.readouterr().out


def test_93_stub_not_attempted():
    assert run("9.3", _stub).status == "not attempted"


def _relu_D_halvings(q0, n_in, var_w, D, activation="relu"):
    return q0 * (n_in * var_w / (2 if activation == "relu" else 1)) ** D


def _no_relu_factor(q0, n_in, var_w, D, activation="relu"):
    return q0 * (n_in * var_w) ** D


def _squared_var(q0, n_in, var_w, D, activation="relu"):
    return q0 * (n_in * var_w ** 2) ** D * (0.5 ** (D - 1) if activation == "relu" else 1)


def _always_halve(q0, n_in, var_w, D, activation="relu"):
    return q0 * (n_in * var_w) ** D * 0.5 ** (D - 1)


def _one_layer_short(q0, n_in, var_w, D, activation="relu"):
    return q0 * (n_in * var_w) ** (D - 1) * (0.5 ** (D - 1) if activation == "relu" else 1)


@pytest.mark.parametrize("fn, fragment", [
    (_relu_D_halvings, "halve D - 1 times"),
    (_no_relu_factor, "forgot the ReLU"),
    (_squared_var, "already a variance"),
    (_always_halve, "no ReLU"),
    (_one_layer_short, "each of the D layers"),
])
def test_93_wrong_answers(fn, fragment):
    expect_hint("9.3", fn, fragment)


def test_93_wrong_signature():
    res = run("9.3", lambda q0, D: q0)
    assert res.status == "failed" and "signature" in (res.hint or ""), res.line()
