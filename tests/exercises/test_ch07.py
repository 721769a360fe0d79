"""The checks of chapter 7: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

import numpy as np

from mathdl.exercises import check, get_exercise, run_check


def run(ex_id, *objs):
    return run_check(get_exercise(ex_id), objs)


def expect_hint(ex_id, fn, fragment):
    res = run(ex_id, fn)
    assert res.status == "failed", res.line()
    assert res.hint and fragment in res.hint, res.line()
    return res


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise 7.k: not yet")


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


def test_71_reference_passes(capsys):
    assert check("7.1", softmax).passed
    assert "✅ Exercise 7.1 passed" in capsys.readouterr().out


def test_71_stub_not_attempted():
    assert run("7.1", _stub).status == "not attempted"


def test_71_naive_overflows():
    expect_hint("7.1", softmax_naive, "subtract the maximum")


def test_71_global_max():
    expect_hint("7.1", softmax_global_max, "EACH row")


def test_71_wrong_axis():
    expect_hint("7.1", softmax_axis0, "wrong axis")


def test_71_sum_of_whole_array():
    expect_hint("7.1", softmax_whole_sum, "whole array")


def test_71_missing_keepdims():
    expect_hint("7.1", softmax_no_keepdims, "keepdims")


def test_71_no_axis_argument():
    expect_hint("7.1", lambda z: softmax(z), "signature")


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


def test_72_reference_passes():
    assert run("7.2", cross_entropy).passed


def test_72_stub_not_attempted():
    assert run("7.2", _stub).status == "not attempted"


def test_72_sum_instead_of_mean():
    expect_hint("7.2", ce_sum, "MEAN")


def test_72_sign():
    expect_hint("7.2", ce_sign, "sign")


def test_72_log_of_softmax_underflows():
    expect_hint("7.2", ce_log_of_softmax, "logsumexp")


def test_72_no_max_overflows():
    expect_hint("7.2", ce_no_max, "subtract the maximum")


def test_72_indexing_a_block():
    expect_hint("7.2", ce_bad_index, "np.arange(B)")


# ---- 7.3 cross_entropy_grad --------------------------------------------------------------------------
def cross_entropy_grad(logits, targets):
    B, C = logits.shape
    return (softmax(logits) - np.eye(C)[targets]) / B


def test_73_reference_passes():
    assert run("7.3", cross_entropy_grad).passed


def test_73_stub_not_attempted():
    assert run("7.3", _stub).status == "not attempted"


def test_73_sign_error():
    expect_hint("7.3", lambda z, y: -cross_entropy_grad(z, y), "sign is flipped")


def test_73_forgot_batch_division():
    expect_hint("7.3", lambda z, y: cross_entropy_grad(z, y) * z.shape[0], "divide by B")


def test_73_forgot_onehot():
    expect_hint("7.3", lambda z, y: softmax(z) / z.shape[0], "one-hot")


def test_73_wrong_axis():
    expect_hint("7.3", lambda z, y: (softmax(z, axis=0) - np.eye(z.shape[1])[y]) / z.shape[0], "wrong axis")


def test_73_naive_softmax_overflows():
    expect_hint("7.3", lambda z, y: (softmax_naive(z) - np.eye(z.shape[1])[y]) / z.shape[0],
                "subtract the maximum")


def test_73_wrong_shape():
    expect_hint("7.3", lambda z, y: cross_entropy_grad(z, y).T, "shape of the logits")
