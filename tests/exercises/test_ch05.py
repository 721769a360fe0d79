"""The checks of chapter 5: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

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
    raise NotImplementedError("Exercise 5.k: not yet")


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


@pytest.mark.parametrize("fn, fragment", [
    (linear_no_bias, "forgot the bias"),
    (linear_transposed, "X @ W"),
    (linear_w_first, "X @ W"),
    (linear_no_checks, "b.shape == (W.shape[1],)"),
    (linear_assert, "not `assert`"),
    (linear_vague_message, "name the shapes"),
])
def test_5_1_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("5.1", fn, fragment)


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


def test_5_2_lists_and_numpy_ints_pass():
    assert run("5.2", lambda B, d, m: {k: [np.int64(s) for s in v]
                                       for k, v in gradient_shapes(B, d, m).items()}).passed


def test_5_2_stub_not_attempted():
    assert run("5.2", _stub).status == "not attempted"


@pytest.mark.parametrize("fn, fragment", [
    (_with(dW=lambda B, d, m: (m, d)), "PyTorch's Linear stores the transpose"),
    (_with(db=lambda B, d, m: (B, m)), "the B rows are summed"),
    (_with(db=lambda B, d, m: (B,)), "batch axis"),
    (_with(db=lambda B, d, m: (1, m)), "not (1, m)"),
    (_with(dX=lambda B, d, m: (d, B)), "shape of X"),
    (lambda B, d, m: {"Z": (B, m)}, "needs the keys"),
])
def test_5_2_wrong_answers_get_their_hint(fn, fragment):
    expect_hint("5.2", fn, fragment)


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


@pytest.mark.parametrize("name", sorted(WRONG_53))
def test_5_3_wrong_answers_get_their_hint(name):
    fn, fragment = WRONG_53[name]
    expect_hint("5.3", fn, fragment)


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
}


def test_5_4_reference_passes():
    assert run("5.4", mse_linear_grads).passed


def test_5_4_stub_not_attempted():
    assert run("5.4", _stub).status == "not attempted"


@pytest.mark.parametrize("name", sorted(WRONG_54))
def test_5_4_wrong_answers_get_their_hint(name):
    fn, fragment = WRONG_54[name]
    expect_hint("5.4", fn, fragment)


def test_chapter_5_registered():
    from mathdl.exercises import exercises
    assert [ex.id for ex in exercises(5)] == ["5.1", "5.2", "5.3", "5.4"]
