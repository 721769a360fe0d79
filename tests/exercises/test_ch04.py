"""The checks of chapter 4: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

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


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise 4.k: not yet")


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# ---- 4.1 h(x) = sin(x²) ------------------------------------------------------------------------
def dh(x):
    return 2 * x * math.cos(x**2)


WRONG_41 = {
    "no_inner": (lambda x: math.cos(x**2), "inner derivative 2x"),
    "wrong_point": (lambda x: 2 * x * math.cos(x), "evaluated at the inner value"),
    "added": (lambda x: math.cos(x**2) + 2 * x, "multiplied, not added"),
    "minus_sin": (lambda x: -2 * x * math.sin(x**2), "derivative of sin is cos"),
}


def test_4_1_reference_passes(capsys):
    res = check("4.1", dh)
    assert res.passed, res.line()
    assert "✅ Exercise 4.1 passed" in capsys.readouterr().out


def test_4_1_numpy_version_passes():
    assert run("4.1", lambda x: 2 * x * np.cos(x**2)).passed


def test_4_1_stub_not_attempted():
    assert run("4.1", _stub).status == "not attempted"


@pytest.mark.parametrize("name", sorted(WRONG_41))
def test_4_1_wrong_answers_get_their_hint(name):
    fn, fragment = WRONG_41[name]
    expect_hint("4.1", fn, fragment)


def test_4_1_not_a_number():
    res = run("4.1", lambda x: None)
    assert res.status == "failed" and "return" in res.hint


# ---- 4.2 ℓ(w) = (σ(wx + b) − t)² -----------------------------------------------------------------
def dloss_dw(w, x, b, t):
    s = sigmoid(w * x + b)
    return 2 * (s - t) * s * (1 - s) * x


def _s(w, x, b):
    return sigmoid(w * x + b)


WRONG_42 = {
    "no_x": (lambda w, x, b, t: 2 * (_s(w, x, b) - t) * _s(w, x, b) * (1 - _s(w, x, b)),
             "innermost derivative ∂z/∂w = x"),
    "no_sigmoid_prime": (lambda w, x, b, t: 2 * (_s(w, x, b) - t) * x, "σ'(z) = σ(z)(1 − σ(z)) is missing"),
    "no_two": (lambda w, x, b, t: (_s(w, x, b) - t) * _s(w, x, b) * (1 - _s(w, x, b)) * x, "factor 2"),
    "prime_at_w": (lambda w, x, b, t: 2 * (_s(w, x, b) - t) * sigmoid(w) * (1 - sigmoid(w)) * x,
                   "evaluated at the pre-activation"),
    "sign": (lambda w, x, b, t: 2 * (t - _s(w, x, b)) * _s(w, x, b) * (1 - _s(w, x, b)) * x, "sign error"),
}


def test_4_2_reference_passes():
    assert run("4.2", dloss_dw).passed


def test_4_2_stub_not_attempted():
    assert run("4.2", _stub).status == "not attempted"


@pytest.mark.parametrize("name", sorted(WRONG_42))
def test_4_2_wrong_answers_get_their_hint(name):
    fn, fragment = WRONG_42[name]
    expect_hint("4.2", fn, fragment)


# ---- 4.3 f(x, y) = x·sin(x·y) -------------------------------------------------------------------
def grad_f(x, y):
    return (math.sin(x * y) + x * y * math.cos(x * y), x * x * math.cos(x * y))


WRONG_43 = {
    "direct_path_only": (lambda x, y: (math.sin(x * y), x * x * math.cos(x * y)), "kept only the direct"),
    "inner_path_only": (lambda x, y: (x * y * math.cos(x * y), x * x * math.cos(x * y)),
                        "kept only the path through a"),
    "y_missing_outer_x": (lambda x, y: (math.sin(x * y) + x * y * math.cos(x * y), x * math.cos(x * y)),
                          "multiply ALL local derivatives"),
    "swapped": (lambda x, y: grad_f(x, y)[::-1], "swapped"),
}


def test_4_3_reference_passes():
    assert run("4.3", grad_f).passed


def test_4_3_array_return_passes():
    assert run("4.3", lambda x, y: np.array(grad_f(x, y))).passed


def test_4_3_stub_not_attempted():
    assert run("4.3", _stub).status == "not attempted"


@pytest.mark.parametrize("name", sorted(WRONG_43))
def test_4_3_wrong_answers_get_their_hint(name):
    fn, fragment = WRONG_43[name]
    expect_hint("4.3", fn, fragment)


def test_4_3_wrong_shape():
    res = run("4.3", lambda x, y: grad_f(x, y)[0])
    assert res.status == "failed" and "shape" in res.message


# ---- 4.4 reverse accumulation over a tape -------------------------------------------------------
def reverse_sweep(tape, num_nodes):
    bar = np.zeros(num_nodes)
    bar[tape[-1][0]] = 1.0
    for i, parents in reversed(tape):
        for j, d in parents:
            bar[j] += d * bar[i]
    return bar


def sweep_overwrite(tape, num_nodes):
    bar = np.zeros(num_nodes)
    bar[tape[-1][0]] = 1.0
    for i, parents in reversed(tape):
        for j, d in parents:
            bar[j] = d * bar[i]
    return bar


def sweep_forward_order(tape, num_nodes):
    bar = np.zeros(num_nodes)
    bar[tape[-1][0]] = 1.0
    for i, parents in tape:
        for j, d in parents:
            bar[j] += d * bar[i]
    return bar


def sweep_no_seed(tape, num_nodes):
    bar = np.zeros(num_nodes)
    for i, parents in reversed(tape):
        for j, d in parents:
            bar[j] += d * bar[i]
    return bar


def sweep_added(tape, num_nodes):
    bar = np.zeros(num_nodes)
    bar[tape[-1][0]] = 1.0
    for i, parents in reversed(tape):
        for j, d in parents:
            bar[j] += d + bar[i]
    return bar


def sweep_in_place_reverse(tape, num_nodes):
    tape.reverse()  # mutates the caller's tape: must not fool the check
    bar = np.zeros(num_nodes)
    bar[tape[0][0]] = 1.0
    for i, parents in tape:
        for j, d in parents:
            bar[j] += d * bar[i]
    return bar


def test_4_4_reference_passes():
    assert run("4.4", reverse_sweep).passed


def test_4_4_mutating_reference_passes():
    assert run("4.4", sweep_in_place_reverse).passed


def test_4_4_list_return_passes():
    assert run("4.4", lambda tape, n: reverse_sweep(tape, n).tolist()).passed


def test_4_4_stub_not_attempted():
    assert run("4.4", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", [
    (sweep_overwrite, "SUM the contributions"),
    (sweep_forward_order, "REVERSE order"),
    (sweep_no_seed, "seed the output's adjoint with 1"),
    (sweep_added, "multiplied"),
])
def test_4_4_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("4.4", fn, fragment)


def test_4_4_wrong_length():
    res = run("4.4", lambda tape, n: reverse_sweep(tape, n)[:-1])
    assert res.status == "failed" and "shape" in res.message


def test_chapter_4_registered():
    from mathdl.exercises import exercises
    assert [ex.id for ex in exercises(4)] == ["4.1", "4.2", "4.3", "4.4"]
