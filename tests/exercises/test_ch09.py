"""The checks of chapter 9: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

import math

import numpy as np

import mathdl as mdl
from mathdl.exercises import check

from .conftest import Right, Wrong, expect_hint, run, stub


# ---- 9.1 Xavier uniform bound ------------------------------------------------------------------
def xavier_uniform_bound(n_in, n_out):
    return math.sqrt(6.0 / (n_in + n_out))


def test_91_reference_passes(capsys):
    assert check("9.1", xavier_uniform_bound).passed
    assert "✅ Exercise 9.1 passed" in capsys.readouterr().out


def test_91_stub_not_attempted():
    assert run("9.1", stub).status == "not attempted"


def test_91_returns_none():
    expect_hint("9.1", lambda n_in, n_out: None, "return")


# ---- 9.2 He normal ----------------------------------------------------------------------------
def he_normal(n_in, n_out, rng):
    return rng.normal(0.0, math.sqrt(2.0 / n_in), size=(n_in, n_out))


def test_92_reference_passes(capsys):
    assert check("9.2", he_normal).passed
    assert "✅ Exercise 9.2 passed" in capsys.readouterr().out


def test_92_mathdl_kaiming_normal_passes():
    def he_via_mathdl(n_in, n_out, rng):
        return mdl.init.kaiming_normal_(np.empty((n_in, n_out)), nonlinearity="relu", rng=rng)

    assert run("9.2", he_via_mathdl).passed


def test_92_stub_not_attempted():
    assert run("9.2", stub).status == "not attempted"


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
    assert run("9.3", stub).status == "not attempted"


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


def test_93_wrong_signature():
    expect_hint("9.3", lambda q0, D: q0, "signature")


# ---- the tables (conftest.py): each wrong answer fails with the hint that names its mistake ----------------
def _he_standard_normal(n_in, n_out, rng):      # right: standard normals scaled by the std
    return rng.standard_normal((n_in, n_out)) * math.sqrt(2.0 / n_in)


def _moment_loop(q0, n_in, var_w, D, activation="relu"):   # right: layer by layer, as the recursion reads
    q = q0
    for layer in range(1, D + 1):
        if activation == "relu" and layer > 1:
            q = q / 2                          # the ReLU in front of layer `layer`
        q = q * n_in * var_w
    return q


def _he_one_row_tiled(n_in, n_out, rng):            # wrong: one row drawn, repeated n_in times
    return np.tile(rng.normal(0.0, math.sqrt(2.0 / n_in), size=(1, n_out)), (n_in, 1))


def _he_truncated(n_in, n_out, rng):                  # wrong: a normal truncated at 2 std (redrawn), variance 0.77x
    s = math.sqrt(2.0 / n_in)
    x = rng.normal(0.0, s, size=(n_in, n_out))
    bad = np.abs(x) > 2 * s
    while bad.any():
        x[bad] = rng.normal(0.0, s, size=int(bad.sum()))
        bad = np.abs(x) > 2 * s
    return x


def _moment_float32(q0, n_in, var_w, D, activation="relu"):   # right: in float32
    k = np.float32(n_in * var_w)
    return np.float32(q0) * k ** D * (np.float32(0.5) ** (D - 1) if activation == "relu" else np.float32(1))


WRONG_ANSWERS = {
    "9.1": [
        Wrong(lambda n_in, n_out: 1 / math.sqrt(n_in), "'standard' bound", "the standard bound 1/sqrt(n_in)"),
        Wrong(lambda n_in, n_out: math.sqrt(2 / (n_in + n_out)), "standard deviation", "the std instead of the bound"),
        Wrong(lambda n_in, n_out: 6 / (n_in + n_out), "square root", "no square root"),
        Wrong(lambda n_in, n_out: 2 / (n_in + n_out), "Xavier's variance", "the variance instead of the bound"),
        Wrong(lambda n_in, n_out: math.sqrt(6 / n_in), "not n_in alone", "fan-in only"),
        Wrong(lambda n_in, n_out: math.sqrt(3 / n_in), "LeCun", "LeCun's bound sqrt(3/n_in)"),
        Wrong(lambda n_in, n_out: math.sqrt(6 / n_out), "not n_out alone", "fan-out only"),
        Wrong(lambda n_in, n_out: math.sqrt(3 / (n_in + n_out)), "average fan", "sqrt(3/(n_in + n_out))"),
    ],
    "9.2": [
        Wrong(lambda n_in, n_out, rng: rng.normal(0.0, math.sqrt(2.0 / n_out), size=(n_in, n_out)), "fan-out",
              "fan-out instead of fan-in"),
        Wrong(lambda n_in, n_out, rng: rng.normal(0.0, math.sqrt(1.0 / n_in), size=(n_in, n_out)), "factor 2",
              "no factor 2 (LeCun's variance)"),
        Wrong(lambda n_in, n_out, rng: rng.normal(0.0, 2.0 / n_in, size=(n_in, n_out)), "standard deviation",
              "the variance passed as numpy's scale"),
        Wrong(lambda n_in, n_out, rng: rng.normal(0.0, math.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out)),
              "Xavier", "Xavier's variance"),
        Wrong(lambda n_in, n_out, rng: rng.normal(0.0, math.sqrt(2.0 / n_in), size=(n_out, n_in)), "transpose",
              "PyTorch's (n_out, n_in) layout"),
        Wrong(lambda n_in, n_out, rng: rng.uniform(-math.sqrt(6.0 / n_in), math.sqrt(6.0 / n_in),
                                                   size=(n_in, n_out)), "uniform", "He's uniform variant"),
        Wrong(lambda n_in, n_out, rng: np.random.default_rng().normal(0.0, math.sqrt(2.0 / n_in), size=(n_in, n_out)),
              "generator you are given", "ignoring rng"),
        Wrong(lambda n_in, n_out, rng: np.full((n_in, n_out), math.sqrt(2.0 / n_in)), "independent",
              "a constant array"),
        Wrong(_he_one_row_tiled, "drawn independently", "one row drawn and tiled (got the 'mean zero' hint)"),
        Wrong(_he_truncated, "truncated or clipped", "a truncated normal (got the 'Xavier' hint)"),
        Wrong(lambda n_in, n_out, rng: np.clip(rng.normal(0.0, math.sqrt(2.0 / n_in), size=(n_in, n_out)),
                                               -2 * math.sqrt(2.0 / n_in), 2 * math.sqrt(2.0 / n_in)),
              "truncated or clipped", "a normal clipped at 2 std"),
    ],
    "9.3": [
        Wrong(_relu_D_halvings, "halve D - 1 times", "D ReLUs (E[a_D^2] instead of E[z_D^2])"),
        Wrong(_no_relu_factor, "forgot the ReLU", "ignoring the activation argument"),
        Wrong(_squared_var, "already a variance", "var_w squared"),
        Wrong(_always_halve, "no ReLU", "halving in a linear network too"),
        Wrong(_one_layer_short, "each of the D layers", "D - 1 linear layers"),
    ],
}

RIGHT_ANSWERS = {
    "9.1": [Right(lambda n_in, n_out: math.sqrt(3.0) * math.sqrt(2.0 / (n_in + n_out)), "sqrt(3) times Xavier's std"),
            Right(lambda n_in, n_out: float(np.sqrt(np.float64(6) / (n_in + n_out))), "numpy instead of math"),
            Right(lambda n_in, n_out: np.sqrt(np.float32(6) / np.float32(n_in + n_out)), "float32 (was rejected)")],
    "9.2": [Right(_he_standard_normal, "standard normals times the std"),
            Right(lambda n_in, n_out, rng: mdl.init.kaiming_normal_(np.empty((n_in, n_out)), nonlinearity="relu",
                                                                    rng=rng), "mathdl's kaiming_normal_"),
            Right(lambda n_in, n_out, rng: rng.standard_normal((n_in, n_out), dtype=np.float32)
                  * np.float32(math.sqrt(2.0 / n_in)), "float32 draws (some values repeat)")],
    "9.3": [Right(_moment_loop, "a loop over the layers"),
            Right(_moment_float32, "float32 arithmetic (was rejected)")],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
