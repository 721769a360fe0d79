"""The checks of chapter 4: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint.

WRONG_ANSWERS and RIGHT_ANSWERS are the tables of conftest.py: each wrong answer must fail with the hint
that names its mistake, each right answer written differently from the reference must pass.
"""

import math

import numpy as np

from mathdl.exercises import check

from .conftest import Right, Wrong, run, stub

_stub = stub


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


def test_4_4_wrong_length():
    res = run("4.4", lambda tape, n: reverse_sweep(tape, n)[:-1])
    assert res.status == "failed" and "shape" in res.message


def test_chapter_4_registered():
    from mathdl.exercises import exercises
    assert [ex.id for ex in exercises(4)] == ["4.1", "4.2", "4.3", "4.4"]


# ---- the tables -------------------------------------------------------------------------------
def sweep_seed_last_node(tape, num_nodes):
    bar = np.zeros(num_nodes)
    bar[num_nodes - 1] = 1.0          # assumes the output is the highest-numbered node
    for i, parents in reversed(tape):
        for j, d in parents:
            bar[j] += d * bar[i]
    return bar


def sweep_by_node_number(tape, num_nodes):
    bar = np.zeros(num_nodes)
    bar[tape[-1][0]] = 1.0
    for i, parents in sorted(tape, key=lambda entry: entry[0], reverse=True):   # numbers, not tape order
        for j, d in parents:
            bar[j] += d * bar[i]
    return bar


def sweep_ones(tape, num_nodes):
    bar = np.ones(num_nodes)          # every adjoint starts at 1
    for i, parents in reversed(tape):
        for j, d in parents:
            bar[j] += d * bar[i]
    return bar


def sweep_first_parent(tape, num_nodes):
    bar = np.zeros(num_nodes)
    bar[tape[-1][0]] = 1.0
    for i, parents in reversed(tape):
        j, d = parents[0]             # only the first parent gets its contribution
        bar[j] += d * bar[i]
    return bar


def sweep_float32(tape, num_nodes):
    # right, written differently: the adjoints in a float32 array
    bar = np.zeros(num_nodes, dtype=np.float32)
    bar[tape[-1][0]] = 1.0
    for i, parents in reversed(tape):
        for j, d in parents:
            bar[j] += np.float32(d) * bar[i]
    return bar


def sweep_dict(tape, num_nodes):
    # right, written differently: adjoints in a dict, contributions gathered per parent, then an array
    adj = {tape[-1][0]: 1.0}
    for k in range(len(tape) - 1, -1, -1):
        i, parents = tape[k]
        for j, d in parents:
            adj[j] = adj.get(j, 0.0) + adj.get(i, 0.0) * d
    return np.array([adj.get(v, 0.0) for v in range(num_nodes)])


WRONG_ANSWERS = {
    "4.1": [
        Wrong(WRONG_41["no_inner"][0], WRONG_41["no_inner"][1], "forgets the inner derivative 2x"),
        Wrong(WRONG_41["wrong_point"][0], WRONG_41["wrong_point"][1], "evaluates cos at x, not at x²"),
        Wrong(WRONG_41["added"][0], WRONG_41["added"][1], "adds the local derivatives"),
        Wrong(WRONG_41["minus_sin"][0], WRONG_41["minus_sin"][1], "differentiates sin to −sin"),
        Wrong(lambda x: 2 * x * math.sin(x**2), "its derivative is cos", "keeps sin as its own derivative"),
        Wrong(lambda x: x * math.cos(x**2), "d(x²)/dx = 2x", "takes the inner derivative of x² to be x"),
    ],
    "4.2": [Wrong(fn, fragment, name) for name, (fn, fragment) in sorted(WRONG_42.items())] + [
        Wrong(lambda w, x, b, t: 2 * (_s(w, x, b) - t) * _s(w, x, b) * x, "not σ(z)", "uses σ(z) for σ'(z)"),
        Wrong(lambda w, x, b, t: 2 * (_s(w, x, b) - t) + _s(w, x, b) * (1 - _s(w, x, b)) + x,
              "multiplied, not added", "adds the three local derivatives"),
        Wrong(lambda w, x, b, t: 2 * (sigmoid(w * x) - t) * sigmoid(w * x) * (1 - sigmoid(w * x)) * x,
              "z = w·x + b, not at w·x", "forgets the bias in the pre-activation"),
        Wrong(lambda w, x, b, t: 2 * (_s(w, x, b) - t) * _s(w, x, b) * (1 - _s(w, x, b)) * w,
              "∂z/∂w = x", "takes ∂z/∂w = w"),
    ],
    "4.3": [Wrong(fn, fragment, name) for name, (fn, fragment) in sorted(WRONG_43.items())] + [
        Wrong(lambda x, y: (math.sin(x * y) + x * y * math.cos(x * y), x * y * math.cos(x * y)),
              "∂(x·y)/∂y is x, not y", "takes ∂(xy)/∂y = y"),
        Wrong(lambda x, y: (y * math.cos(x * y), x * x * math.cos(x * y)), "dropped the factor x",
              "one path only, and without the outer factor x"),
        Wrong(lambda x, y: (math.sin(x * y) + y * math.cos(x * y), x * x * math.cos(x * y)),
              "dropped the local derivative ∂f/∂s = x", "both paths, but x·cos(a)·y written as y·cos(a)"),
        Wrong(lambda x, y: (math.sin(x * y) + x * y * math.cos(x * y), y * math.cos(x * y)),
              "∂a/∂y = x (not y)", "∂f/∂y = y·cos(xy)"),
    ],
    "4.4": [
        Wrong(sweep_overwrite, "SUM the contributions", "overwrites adjoints instead of summing"),
        Wrong(sweep_forward_order, "REVERSE order", "walks the tape forwards"),
        Wrong(sweep_no_seed, "seed the output's adjoint with 1", "never seeds the output"),
        Wrong(sweep_added, "multiplied", "adds d + bar[i] instead of multiplying"),
        Wrong(sweep_seed_last_node, "LAST TAPE ENTRY", "seeds node num_nodes - 1, not the output"),
        Wrong(sweep_by_node_number, "not by decreasing node number", "sorts by node number, not tape order"),
        Wrong(sweep_ones, "start every adjoint at 0", "starts every adjoint at 1"),
        Wrong(sweep_first_parent, "not just the first", "passes the adjoint to the first parent only"),
    ],
}

RIGHT_ANSWERS = {
    "4.1": [
        Right(lambda x: 2 * x * np.cos(x**2), "numpy instead of math"),
        Right(lambda x: float(np.cos(x * x)) * (x + x), "another grouping: cos(x·x)·(x + x)"),
        Right(lambda x: 2 * np.float32(x) * np.cos(np.float32(x) ** 2), "in float32"),
    ],
    "4.2": [
        Right(lambda w, x, b, t: 2 * ((1 + math.tanh((w * x + b) / 2)) / 2 - t)
              * (1 - math.tanh((w * x + b) / 2) ** 2) / 4 * x,
              "σ written with tanh: σ(z) = (1 + tanh(z/2))/2, σ'(z) = (1 − tanh²(z/2))/4"),
        Right(lambda w, x, b, t: np.float32(dloss_dw(w, x, b, t)), "a float32 result"),
    ],
    "4.3": [
        Right(lambda x, y: np.array(grad_f(x, y)), "a numpy array instead of a tuple"),
        Right(lambda x, y: [math.sin(x * y) + x * y * math.cos(x * y), x**2 * math.cos(y * x)],
              "a list, with x**2 and cos(y·x)"),
        Right(lambda x, y: np.array(grad_f(x, y), dtype=np.float32), "a float32 array"),
    ],
    "4.4": [
        Right(sweep_dict, "adjoints in a dict, converted to an array at the end"),
        Right(sweep_in_place_reverse, "reverses the tape in place (the check hands it a copy)"),
        Right(lambda tape, n: reverse_sweep(tape, n).tolist(), "returns a list"),
        Right(sweep_float32, "the adjoints in a float32 array"),
    ],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
