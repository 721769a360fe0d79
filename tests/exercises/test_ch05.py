"""The checks of chapter 5: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

import numpy as np

from mathdl.exercises import check

from .conftest import Right, Wrong, expect_hint, run, stub

_stub = stub


# ---- 5.1 linear(X, W, b) -------------------------------------------------------------------------
def _validate(X, W, b):
    if X.ndim != 2 or W.ndim != 2:
        raise ValueError(f"linear: X and W must be 2-D, got X {X.shape} and W {W.shape}")
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"linear: inner dimensions differ: X {X.shape} @ W {W.shape}")
    if b.shape != (W.shape[1],):
        raise ValueError(f"linear: b has shape {b.shape}, expected ({W.shape[1]},)")


def linear(X, W, b):
    _validate(X, W, b)
    return X @ W + b


def linear_no_checks(X, W, b):
    return X @ W + b


def linear_no_bias(X, W, b):
    _validate(X, W, b)
    return X @ W


def linear_transposed(X, W, b):
    return X @ W.T + b


def linear_w_first(X, W, b):
    return W @ X + b


def linear_assert(X, W, b):
    assert X.ndim == 2 and W.ndim == 2 and X.shape[1] == W.shape[0] and b.shape == (W.shape[1],)
    return X @ W + b


def linear_no_w_ndim_check(X, W, b):           # checks X.ndim, but not that W is 2-D
    if X.ndim != 2:
        raise ValueError(f"linear: X must be 2-D, got {X.shape}")
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"linear: inner dimensions differ: X {X.shape} @ W {W.shape}")
    if b.shape != (W.shape[-1],):
        raise ValueError(f"linear: b has shape {b.shape}, expected ({W.shape[-1]},)")
    return X @ W + b


def linear_vague_message(X, W, b):
    try:
        _validate(X, W, b)
    except ValueError:
        raise ValueError("bad input") from None
    return X @ W + b


def test_5_1_reference_passes(capsys):
    res = check("5.1", linear)
    assert res.passed, res.line()
    assert "✅ Exercise 5.1 passed" in capsys.readouterr().out


def test_5_1_stub_not_attempted():
    assert run("5.1", _stub).status == "not attempted"




# ---- 5.2 gradient_shapes(B, d, m) ----------------------------------------------------------------
def gradient_shapes(B, d, m):
    return {"Z": (B, m), "dZ": (B, m), "dW": (d, m), "db": (m,), "dX": (B, d)}


def _with(**changes):
    def fn(B, d, m):
        shapes = gradient_shapes(B, d, m)
        shapes.update({k: v(B, d, m) for k, v in changes.items()})
        return shapes
    return fn


def test_5_2_reference_passes():
    assert run("5.2", gradient_shapes).passed




def test_5_2_stub_not_attempted():
    assert run("5.2", _stub).status == "not attempted"




# ---- 5.3 linear_backward(X, W, g) ----------------------------------------------------------------
def linear_backward(X, W, g):
    return g @ W.T, X.T @ g, g.sum(axis=0)


WRONG_53 = {
    "dW_transposed": (lambda X, W, g: (g @ W.T, g.T @ X, g.sum(axis=0)), "dW is transposed"),
    "dW_over_B": (lambda X, W, g: (g @ W.T, X.T @ g / len(X), g.sum(axis=0)), "divided by B"),
    "dW_shape_mismatch": (lambda X, W, g: (g @ W.T, g @ X.T, g.sum(axis=0)), "mismatched inner dimensions"),
    "db_not_summed": (lambda X, W, g: (g @ W.T, X.T @ g, g), "not summed over the batch"),
    "db_mean": (lambda X, W, g: (g @ W.T, X.T @ g, g.mean(axis=0)), "mean over the batch"),
    "db_wrong_axis": (lambda X, W, g: (g @ W.T, X.T @ g, g.sum(axis=1)), "wrong axis"),
    "dX_not_transposed": (lambda X, W, g: ((g @ W) if W.shape[0] == W.shape[1] else g @ W.T, X.T @ g,
                                           g.sum(axis=0)), "W is not transposed"),
}


def test_5_3_reference_passes():
    assert run("5.3", linear_backward).passed


def test_5_3_stub_not_attempted():
    assert run("5.3", _stub).status == "not attempted"




def test_5_3_two_returns():
    expect_hint("5.3", lambda X, W, g: (X.T @ g, g.sum(axis=0)), "return ..., ..., ...")


# ---- 5.4 mse_linear_grads(X, W, b, Y) ------------------------------------------------------------
def mse_linear_grads(X, W, b, Y):
    B, m = Y.shape
    G = 2 * (X @ W + b - Y) / (B * m)
    return X.T @ G, G.sum(axis=0)


def _grads(scale_fn, with_b=True, db_reduce="sum"):
    def fn(X, W, b, Y):
        B, m = Y.shape
        R = (X @ W + b - Y) if with_b else (X @ W - Y)
        G = scale_fn(R, B, m)
        db = G.sum(axis=0) if db_reduce == "sum" else (G.mean(axis=0) if db_reduce == "mean" else G)
        return X.T @ G, db
    return fn


_right = lambda R, B, m: 2 * R / (B * m)  # noqa: E731

WRONG_54 = {
    "sum_not_mean": (_grads(lambda R, B, m: 2 * R), "differentiated their sum"),
    "divide_by_B_only": (_grads(lambda R, B, m: 2 * R / B), "divide by B·m"),
    "no_two": (_grads(lambda R, B, m: R / (B * m)), "factor 2"),
    "sign": (_grads(lambda R, B, m: -2 * R / (B * m)), "sign error"),
    "no_bias": (_grads(_right, with_b=False), "include the bias"),
    "db_mean": (_grads(_right, db_reduce="mean"), "SUM"),
    "db_not_summed": (_grads(_right, db_reduce="none"), "not summed over the batch"),
    "divide_by_m_only": (_grads(lambda R, B, m: 2 * R / m), "not only the m outputs"),
    "divide_by_X_size": (lambda X, W, b, Y: _grads(lambda R, B, m: 2 * R / X.size)(X, W, b, Y), "the size of X"),
}


def test_5_4_reference_passes():
    assert run("5.4", mse_linear_grads).passed


def test_5_4_stub_not_attempted():
    assert run("5.4", _stub).status == "not attempted"




def test_chapter_5_registered():
    from mathdl.exercises import exercises
    assert [ex.id for ex in exercises(5)] == ["5.1", "5.2", "5.3", "5.4"]


# ---- the tables: plausible wrong answers (each gets the hint naming its mistake) and right answers
# ---- written differently from the reference (each passes) --------------------------------------------
def linear_loop(X, W, b):                      # one example at a time, with its own shape checks
    X, W, b = np.asarray(X), np.asarray(W), np.asarray(b)
    _validate(X, W, b)
    return np.array([[sum(X[n, i] * W[i, j] for i in range(W.shape[0])) + b[j] for j in range(W.shape[1])]
                     for n in range(X.shape[0])])


def linear_einsum_float32(X, W, b):            # another formula, computed in float32
    _validate(X, W, b)
    return np.einsum("nd,dm->nm", X.astype(np.float32), W.astype(np.float32)).astype(float) + b


def linear_minus_bias(X, W, b):
    _validate(X, W, b)
    return X @ W - b


def linear_backward_loops(X, W, g):            # sums of per-example outer products, rows of g one by one
    dW = sum(np.outer(X[n], g[n]) for n in range(len(X)))
    db = sum(g[n] for n in range(len(X)))
    dX = np.stack([W @ g[n] for n in range(len(X))])
    return dX, dW, db


def mse_linear_grads_via_backward(X, W, b, Y):  # G from np.mean's size, then the 5.3 formulas
    Z = X @ W + b
    G = 2 * (Z - Y) / np.size(Y)
    _, dW, db = linear_backward_loops(X, W, G)
    return dW, db


WRONG_ANSWERS = {
    "5.1": [
        Wrong(linear_no_bias, "forgot the bias", "no bias"),
        Wrong(linear_transposed, "X @ W.T or W @ X only work", "X @ W.T"),
        Wrong(linear_w_first, "X @ W", "W @ X: the product in the wrong order"),
        Wrong(linear_minus_bias, "added, not subtracted", "the bias subtracted"),
        Wrong(linear_no_checks, "b.shape == (W.shape[1],)", "no shape checks: relies on numpy"),
        Wrong(linear_assert, "not `assert`", "assert instead of ValueError"),
        Wrong(linear_vague_message, "name the shapes", "a message without the shapes"),
        Wrong(linear_no_w_ndim_check, "W.ndim", "no check that W is 2-D: X @ W with W (d,) returns a vector"),
    ],
    "5.2": [
        Wrong(_with(dW=lambda B, d, m: (m, d)), "PyTorch's Linear stores the transpose", "dW transposed"),
        Wrong(_with(dW=lambda B, d, m: (B, m)), "(B, m) is the shape of Z", "dW given the shape of Z"),
        Wrong(_with(db=lambda B, d, m: (B, m)), "the B rows are summed", "db not summed over the batch"),
        Wrong(_with(db=lambda B, d, m: (B,)), "batch axis", "db summed over the wrong axis"),
        Wrong(_with(db=lambda B, d, m: (1, m)), "not (1, m)", "db with keepdims"),
        Wrong(_with(db=lambda B, d, m: ()), "(m,)", "db a scalar"),
        Wrong(_with(dX=lambda B, d, m: (d, B)), "shape of X", "dX transposed"),
        Wrong(_with(Z=lambda B, d, m: (m, B)), "(B, m)", "Z transposed"),
        Wrong(lambda B, d, m: {"Z": (B, m)}, "needs the keys", "keys missing"),
    ],
    "5.3": [Wrong(fn, fragment, name) for name, (fn, fragment) in sorted(WRONG_53.items())] + [
        Wrong(lambda X, W, g: (X.T @ g, g.sum(axis=0)), "return ..., ..., ...", "two values returned"),
    ],
    "5.4": [Wrong(fn, fragment, name) for name, (fn, fragment) in sorted(WRONG_54.items())],
}

RIGHT_ANSWERS = {
    "5.1": [Right(linear_loop, "a loop over examples and outputs"),
            Right(linear_einsum_float32, "np.einsum in float32")],
    "5.2": [Right(lambda B, d, m: {k: [np.int64(s) for s in v] for k, v in gradient_shapes(B, d, m).items()},
                  "lists of numpy integers instead of tuples of ints")],
    "5.3": [Right(linear_backward_loops, "sums of per-example outer products"),
            Right(lambda X, W, g: (np.einsum("nm,dm->nd", g, W), np.einsum("nd,nm->dm", X, g),
                                   np.einsum("nm->m", g)), "np.einsum")],
    "5.4": [Right(mse_linear_grads_via_backward, "Ḡ from np.size(Y), then per-example loops"),
            Right(lambda X, W, b, Y: tuple(v.astype(np.float32) for v in mse_linear_grads(X, W, b, Y)),
                  "float32 results")],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
