"""The checks of chapter 7: reference answers pass, stubs are 'not attempted', plausible wrong answers get the
hint that names their mistake, and right answers written differently pass (tables: conftest.py)."""

import math

import numpy as np

from mathdl.exercises import check

from .conftest import Right, Wrong, run, stub


# ---- 7.1 softmax -----------------------------------------------------------------------------------
def softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_naive(z, axis=-1):
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_global_max(z, axis=-1):
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_axis0(z, axis=-1):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_whole_sum(z, axis=-1):
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_no_keepdims(z, axis=-1):
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=axis)


def softmax_axis1_hardcoded(z, axis=-1):
    # "the classes are axis 1": right for 2-D batches (axis -1 is 1), wrong on a 3-D array
    z = np.asarray(z, dtype=float)
    ax = 1 if (axis == -1 and z.ndim > 1) else axis
    e = np.exp(z - z.max(axis=ax, keepdims=True))
    return e / e.sum(axis=ax, keepdims=True)


def softmax_transpose_for_axis0(z, axis=-1):
    # handles axis by "transpose if it is not the last one": right for 2-D, wrong for axis=1 of a 3-D array
    z = np.asarray(z, dtype=float)
    if axis not in (-1, z.ndim - 1):
        return softmax(z.T).T
    return softmax(z)


def softmax_flatten_2d(z, axis=-1):
    # reshapes to (rows, last axis) and ignores an explicit middle axis
    z = np.asarray(z, dtype=float)
    if z.ndim <= 2:
        return softmax(z, axis=axis)
    return softmax(z.reshape(-1, z.shape[-1])).reshape(z.shape)


def softmax_loop_rows(z, axis=-1):
    # right, written differently: move the axis last, then a Python loop over every slice
    z = np.moveaxis(np.asarray(z, dtype=float), axis, -1)
    out = np.empty_like(z)
    for idx in np.ndindex(z.shape[:-1]):
        row = z[idx]
        e = [math.exp(v - max(row)) for v in row]
        out[idx] = [x / sum(e) for x in e]
    return np.moveaxis(out, -1, axis)


def softmax_via_logsumexp(z, axis=-1):
    # right, another formula: exp(z - logsumexp(z))
    z = np.asarray(z, dtype=float)
    m = z.max(axis=axis, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))
    return np.exp(z - lse)


def test_71_reference_passes(capsys):
    assert check("7.1", softmax).passed
    assert "✅ Exercise 7.1 passed" in capsys.readouterr().out


def test_71_stub_not_attempted():
    assert run("7.1", stub).status == "not attempted"


# ---- 7.2 cross_entropy ---------------------------------------------------------------------------------
def cross_entropy(logits, targets):
    logits = np.asarray(logits, dtype=float)
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(targets)), targets]))


def ce_sum(logits, targets):
    return cross_entropy(logits, targets) * len(targets)


def ce_sign(logits, targets):
    return -cross_entropy(logits, targets)


def ce_log_of_softmax(logits, targets):
    p = softmax(logits)
    return float(np.mean(-np.log(p[np.arange(len(targets)), targets])))


def ce_no_max(logits, targets):
    lse = np.log(np.exp(logits).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(targets)), targets]))


def ce_bad_index(logits, targets):
    p = softmax(logits)
    return float(np.mean(-np.log(p[:, targets])))


def ce_all_classes(logits, targets):
    return float(np.mean(-np.log(softmax(logits))))


def ce_no_normaliser(logits, targets):
    return float(-np.mean(logits[np.arange(len(targets)), targets]))


def ce_loop(logits, targets):
    # right, written differently: a loop over the rows with math.log/math.exp
    total = 0.0
    for row, y in zip(np.asarray(logits, dtype=float).tolist(), list(targets), strict=False):
        m = max(row)
        total += m + math.log(sum(math.exp(v - m) for v in row)) - row[int(y)]
    return total / len(targets)


def ce_logaddexp(logits, targets):
    # right, another formula: np.logaddexp.reduce for the log-sum-exp, returned as a 0-d numpy value
    logits = np.asarray(logits, dtype=float)
    lse = np.logaddexp.reduce(logits, axis=1)
    return np.mean(lse - np.take_along_axis(logits, np.asarray(targets)[:, None], axis=1)[:, 0])


def test_72_reference_passes():
    assert run("7.2", cross_entropy).passed


def test_72_stub_not_attempted():
    assert run("7.2", stub).status == "not attempted"


# ---- 7.3 cross_entropy_grad --------------------------------------------------------------------------
def cross_entropy_grad(logits, targets):
    B, C = logits.shape
    return (softmax(logits) - np.eye(C)[targets]) / B


def ce_grad_loop(logits, targets):
    # right, written differently: one row at a time, subtracting 1 at the true class
    logits = np.asarray(logits, dtype=float)
    B = logits.shape[0]
    out = np.zeros_like(logits)
    for i in range(B):
        p = softmax(logits[i])
        p[int(targets[i])] -= 1.0
        out[i] = p / B
    return out


def test_73_reference_passes():
    assert run("7.3", cross_entropy_grad).passed


def test_73_stub_not_attempted():
    assert run("7.3", stub).status == "not attempted"


def _onehot(z, y):
    return np.eye(z.shape[1])[y]


# ---- found in review: shifts that are not the maximum, the batch maximum, B*C, float32 ----------------
def softmax_mean_shift(z, axis=-1):
    # "any shift is fine": the row mean passes [1000, 999, 998] but leaves exp(1000) for [1000, 0, -1000]
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.mean(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_min_shift(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.min(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_float32(z, axis=-1):
    # right, written differently: computed in float32
    z = np.asarray(z, dtype=np.float32)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ce_mean_shift(logits, targets):
    logits = np.asarray(logits, dtype=float)
    m = logits.mean(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(targets)), targets]))


def ce_batch_max(logits, targets):
    # the maximum of the whole batch: the row [0, -1000] of a batch with maximum 1000 underflows to log(0)
    logits = np.asarray(logits, dtype=float)
    m = logits.max()
    lse = m + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(targets)), targets]))


def ce_over_BC(logits, targets):
    return cross_entropy(logits, targets) / np.asarray(logits).shape[1]


def ce_float32_logits_small(logits, targets):
    # right, written differently: float32 exponentials, the sum and log in float64 (loses nothing that matters)
    logits = np.asarray(logits, dtype=float)
    m = logits.max(axis=1, keepdims=True)
    s = np.exp((logits - m).astype(np.float32)).astype(float).sum(axis=1)
    return float(np.mean(m[:, 0] + np.log(s) - logits[np.arange(len(targets)), targets]))


def grad_mean_shift(z, y):
    return (softmax_mean_shift(z) - _onehot(z, y)) / z.shape[0]


def grad_batch_max(z, y):
    e = np.exp(z - z.max())
    return (e / e.sum(axis=1, keepdims=True) - _onehot(z, y)) / z.shape[0]


def grad_float32(z, y):
    # right, written differently: float32 softmax
    return ((softmax_float32(z) - _onehot(z, y)) / z.shape[0]).astype(np.float32)


WRONG_ANSWERS = {
    "7.1": [
        Wrong(softmax_naive, "subtract the maximum", "naive exp overflows"),
        Wrong(softmax_global_max, "EACH row", "global maximum instead of the row maximum"),
        Wrong(softmax_axis0, "wrong axis", "normalised along axis 0"),
        Wrong(softmax_whole_sum, "whole array", "divided by the sum of the whole array"),
        Wrong(softmax_no_keepdims, "keepdims", "no keepdims: the sums broadcast along columns"),
        Wrong(lambda z: softmax(z), "signature", "no axis argument"),
        Wrong(softmax_axis1_hardcoded, "default is axis 2", "hard-coded axis 1 (wrong on 3-D input)"),
        Wrong(softmax_transpose_for_axis0, "explicit axis", "transpose trick, wrong for a middle axis"),
        Wrong(softmax_flatten_2d, "explicit axis", "reshape to 2-D ignores a middle axis"),
        Wrong(softmax_mean_shift, "not its mean or minimum", "subtracted the row mean (overflows on wide rows)"),
        Wrong(softmax_min_shift, "not its mean or minimum", "subtracted the row minimum"),
    ],
    "7.2": [
        Wrong(ce_sum, "MEAN", "sum over the batch instead of the mean"),
        Wrong(ce_sign, "sign", "sign flipped"),
        Wrong(ce_log_of_softmax, "logsumexp", "log of the softmax underflows"),
        Wrong(ce_no_max, "subtract the maximum", "logsumexp without the max shift overflows"),
        Wrong(ce_bad_index, "np.arange(B)", "indexing logits[:, targets] takes a block"),
        Wrong(ce_all_classes, "true class", "averaged -log p over all classes"),
        Wrong(ce_no_normaliser, "normaliser", "forgot logsumexp"),
        Wrong(ce_mean_shift, "not its mean or minimum", "logsumexp shifted by the row mean"),
        Wrong(ce_batch_max, "maximum of the whole batch", "logsumexp shifted by the batch maximum"),
        Wrong(ce_over_BC, "divided by B*C", "mean over all B*C entries"),
    ],
    "7.3": [
        Wrong(lambda z, y: -cross_entropy_grad(z, y), "sign is flipped", "y - p instead of p - y"),
        Wrong(lambda z, y: cross_entropy_grad(z, y) * z.shape[0], "divide by B", "no division by B"),
        Wrong(lambda z, y: softmax(z) / z.shape[0], "one-hot", "forgot to subtract the target"),
        Wrong(lambda z, y: (softmax(z, axis=0) - _onehot(z, y)) / z.shape[0], "wrong axis", "softmax over the batch"),
        Wrong(lambda z, y: (softmax_naive(z) - _onehot(z, y)) / z.shape[0], "subtract the maximum",
              "naive softmax overflows"),
        Wrong(lambda z, y: cross_entropy_grad(z, y).T, "shape of the logits", "returned the transpose"),
        Wrong(lambda z, y: _onehot(z, y) - softmax(z), "sign is flipped (use p - y) and the division by B",
              "two mistakes: sign and no division by B"),
        Wrong(grad_mean_shift, "not its mean or minimum", "softmax shifted by the row mean"),
        Wrong(grad_batch_max, "EACH row", "softmax shifted by the batch maximum"),
        Wrong(lambda z, y: cross_entropy_grad(z, y) / z.shape[1], "divided by B*C", "divided by B*C"),
    ],
}

RIGHT_ANSWERS = {
    "7.1": [Right(softmax_loop_rows, "a Python loop over every slice, axis moved last"),
            Right(softmax_via_logsumexp, "exp(z - logsumexp(z))"),
            Right(softmax_float32, "computed in float32")],
    "7.2": [Right(ce_loop, "a loop over rows with math.exp/math.log"),
            Right(ce_logaddexp, "np.logaddexp.reduce and take_along_axis, a 0-d numpy result"),
            Right(ce_float32_logits_small, "float32 exponentials of the shifted logits")],
    "7.3": [Right(ce_grad_loop, "row by row, subtracting 1 at the true class"),
            Right(grad_float32, "a float32 result")],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
