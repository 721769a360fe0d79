"""Checks for chapter 7, softmax and losses (book/07_softmax_and_losses.ipynb).

7.1 ``softmax(z, axis=-1)``: a numerically stable softmax along any axis.
7.2 ``cross_entropy(logits, targets)``: the mean over the batch of −log softmax(z_i)[y_i], from logits.
7.3 ``cross_entropy_grad(logits, targets)``: ∂L/∂Z = (softmax(Z) − Y) / B for the mean cross-entropy.

Every reference is computed here, from the check's own inputs (7.3 also with central differences).
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

np = T.np


# Tolerances. A right answer computed in float32 (as the book's chapters 3-5 accept) is off by a few units of
# 6e-8 relative; every wrong answer in the tests (wrong axis, sum, sign, missing 1/B, wrong shift) is off by 1e-2
# or more. So the references are compared with rtol 1e-6; the candidates that name a mistake keep 1e-9.
_RTOL = 1e-6


def _shape(t):
    return "(" + ", ".join(T.str(s) for s in t) + ("," if T.len(t) == 1 else "") + ")"


def _softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _ce_rows(Z, y):
    m = Z.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(Z - m).sum(axis=1))
    return lse - Z[np.arange(Z.shape[0]), y]


def _quiet(fn, *args, **kwargs):
    """Call the learner's function with numpy warnings silenced (overflow is what we test for)."""
    with T.errstate(all="ignore"):
        return fn(*args, **kwargs)


def _array(x, what, shape):
    arr = T.as_float_array(x, what, allow_nonfinite=True)
    if arr.shape != T.tuple(shape):
        raise Wrong(f"{what} has shape {_shape(arr.shape)}, expected {_shape(shape)}",
                    hint="keep the shape of the input: normalise with keepdims=True so that the division "
                         "broadcasts" if arr.ndim != T.len(shape) else None)
    return arr


def _nonfinite(arr):
    return not T.all_(T.isfinite(arr))


_MAX_HINT = ("exp overflows to inf for logits above about 709: subtract the maximum logit of each row first "
             "(softmax is unchanged by a common shift)")
_ROWMAX_HINT = ("subtract the maximum of EACH row (z.max(axis=axis, keepdims=True)), not the maximum of the "
                "whole array: a row far below the global maximum underflows to 0/0")
_SHIFT_HINT = ("subtract the MAXIMUM of each row, not its mean or minimum: only the maximum makes every exponent "
               "<= 0; for z = [1000, 0, -1000] the mean (0) or the minimum (-1000) leaves exp(1000) = inf")
_AXIS_HINT = "you normalised along the wrong axis: use the `axis` argument (default -1, the last axis)"
_GLOBAL_HINT = ("you divided by the sum of the whole array: sum along `axis` only, with keepdims=True, so each "
                "row sums to 1")
_KEEPDIMS_HINT = ("without keepdims=True the row sums broadcast along the wrong axis (they divide the columns): "
                  "use e.sum(axis=axis, keepdims=True)")


# --------------------------------------------------------------------------------------
# 7.1  stable softmax
# --------------------------------------------------------------------------------------
@exercise("7.1", target="softmax", title="A stable softmax", points=1)
def _check_softmax(softmax):
    T.require_callable(softmax, "softmax")
    rng = np.random.default_rng(7)

    # 1-D, moderate logits
    z = np.array([2.0, 1.0, 0.5, -1.0])
    got = _array(_quiet(softmax, z.copy()), "softmax([2, 1, 0.5, -1])", z.shape)
    T.expect_close(got, _softmax(z), "softmax([2, 1, 0.5, -1])", rtol=_RTOL, atol=1e-15,
                   hint="softmax(z)_i = exp(z_i) / sum_j exp(z_j)")

    # 2-D square batch, default axis: catches the wrong axis, the global sum and a missing keepdims
    Z = rng.normal(size=(4, 4)) * 2
    got = _array(_quiet(softmax, Z.copy()), "softmax(Z) for Z of shape (4, 4)", Z.shape)
    if not T.close(got, _softmax(Z), rtol=_RTOL, atol=1e-15):
        e = np.exp(Z - Z.max())
        for cand, hint in ((_softmax(Z, axis=0), _AXIS_HINT), (e / e.sum(), _GLOBAL_HINT),
                           (np.exp(Z) / np.exp(Z).sum(axis=-1), _KEEPDIMS_HINT),
                           (np.exp(Z) / np.exp(Z).sum(axis=0), _AXIS_HINT)):
            if T.close(got, cand, rtol=1e-9, atol=1e-15):
                raise Wrong(f"the rows of softmax(Z) sum to {', '.join(f'{s:.3f}' for s in got.sum(axis=1))}, "
                            f"expected 1 each", hint=hint)
        T.expect_close(got, _softmax(Z), "softmax(Z)", rtol=_RTOL, atol=1e-15)

    # an explicit axis=0 on a non-square array
    Z = rng.normal(size=(3, 5))
    try:
        got = _quiet(softmax, Z.copy(), axis=0)
    except TypeError as exc:
        raise Wrong(f"softmax(Z, axis=0) raised TypeError: {exc}",
                    hint="give the function the signature softmax(z, axis=-1)") from None
    except ValueError as exc:
        raise Wrong(f"softmax(Z, axis=0) for Z of shape (3, 5) raised ValueError: {exc}",
                    hint=_KEEPDIMS_HINT) from None
    got = _array(got, "softmax(Z, axis=0) for Z of shape (3, 5)", Z.shape)
    if not T.close(got, _softmax(Z, axis=0), rtol=_RTOL, atol=1e-15):
        hint = _AXIS_HINT if T.close(got, _softmax(Z, axis=-1), rtol=1e-9) else None
        T.expect_close(got, _softmax(Z, axis=0), "softmax(Z, axis=0)", rtol=_RTOL, atol=1e-15, hint=hint)

    # 3-D input (the prompt says "any shape"): the default axis is the LAST one (2, not 1), and an explicit
    # middle axis must be honoured; a hard-coded axis=1, a reshape to 2-D or a transpose passes 1-D and 2-D
    Z = rng.normal(size=(2, 3, 4)) * 2
    for axis in (None, 1, 0):
        what = ("softmax(Z)" if axis is None else f"softmax(Z, axis={axis})") + " for Z of shape (2, 3, 4)"
        ref = _softmax(Z, axis=-1 if axis is None else axis)
        try:
            got = _quiet(softmax, Z.copy()) if axis is None else _quiet(softmax, Z.copy(), axis=axis)
        except ValueError as exc:
            raise Wrong(f"{what} raised ValueError: {exc}",
                        hint="for a 3-D array normalise along `axis` with keepdims=True; do not reshape to "
                             "2-D or transpose (that only works for 2-D inputs)") from None
        got = _array(got, what, Z.shape)
        if not T.close(got, ref, rtol=_RTOL, atol=1e-15):
            sums = [k for k in range(3) if T.close(got.sum(axis=k), np.ones(Z.shape[:k] + Z.shape[k + 1:]),
                                                  rtol=1e-9)]
            wanted = 2 if axis is None else axis
            if sums and wanted not in sums:
                raise Wrong(f"{what}: the slices along axis {sums[0]} sum to 1, expected those along axis "
                            f"{wanted}", hint=_AXIS_HINT + f"; for a 3-D array the default is axis 2, "
                            f"and an explicit axis must be used as given (normalised along axis {sums[0]} "
                            f"instead)")
            e = np.exp(Z - Z.max())
            if T.close(got, e / e.sum(), rtol=1e-9, atol=1e-15):
                raise Wrong(f"{what}: the whole array sums to 1", hint=_GLOBAL_HINT)
            T.expect_close(got, ref, what, rtol=_RTOL, atol=1e-15,
                           hint="subtract the maximum along `axis` (keepdims=True) and divide by the sum "
                                "along the same axis; this must work for arrays of any number of dimensions")

    # large logits: the naive form overflows
    Z = np.array([[1000.0, 999.0, 998.0]])
    got = _array(_quiet(softmax, Z.copy()), "softmax([[1000, 999, 998]])", Z.shape)
    if _nonfinite(got):
        raise Wrong("softmax([[1000, 999, 998]]) contains NaN or inf", hint=_MAX_HINT)
    T.expect_close(got, _softmax(Z), "softmax([[1000, 999, 998]])", rtol=_RTOL, atol=1e-15)

    # rows of very different scale: the global maximum is not enough
    Z = np.array([[1000.0, 999.0], [0.0, 1.0]])
    got = _array(_quiet(softmax, Z.copy()), "softmax([[1000, 999], [0, 1]])", Z.shape)
    if _nonfinite(got) or not T.close(got, _softmax(Z), rtol=_RTOL, atol=1e-15):
        e = np.exp(Z - Z.max())
        with T.errstate(all="ignore"):
            cand = e / e.sum(axis=-1, keepdims=True)
        if _nonfinite(got) and _nonfinite(cand):
            raise Wrong("softmax([[1000, 999], [0, 1]]) contains NaN in the second row", hint=_ROWMAX_HINT)
        if _nonfinite(got):
            raise Wrong("softmax([[1000, 999], [0, 1]]) contains NaN or inf", hint=_MAX_HINT)
        T.expect_close(got, _softmax(Z), "softmax([[1000, 999], [0, 1]])", rtol=_RTOL, atol=1e-15)

    # a row that spans 2000: only the MAXIMUM makes every exponent <= 0. Subtracting the row mean or minimum passes
    # every test above (it shifts [1000, 999, 998] to [1, 0, -1] or [2, 1, 0]) and overflows here
    Z = np.array([[1000.0, 0.0, -1000.0], [-1.0, 0.0, 1.0]])
    got = _array(_quiet(softmax, Z.copy()), "softmax([[1000, 0, -1000], [-1, 0, 1]])", Z.shape)
    if _nonfinite(got):
        raise Wrong("softmax([[1000, 0, -1000], [-1, 0, 1]]) contains NaN or inf", hint=_SHIFT_HINT)
    T.expect_close(got, _softmax(Z), "softmax([[1000, 0, -1000], [-1, 0, 1]])", rtol=_RTOL, atol=1e-15)
    return "finite and exact on 1-D, 2-D and 3-D arrays, every axis, and logits up to 1000 apart"


# --------------------------------------------------------------------------------------
# 7.2  cross-entropy from logits
# --------------------------------------------------------------------------------------
_LSE_HINT = ("log(softmax(z)) is log(0) = -inf when a probability underflows (z = [0, -1000]): compute "
             "log softmax(z)_y = z_y - logsumexp(z) with logsumexp(z) = m + log(sum(exp(z - m)))")


_ROWMAX_LSE_HINT = ("you subtracted the maximum of the whole batch, not of each row: for the row [0, -1000] in a "
                    "batch whose maximum is 1000 every exp(z - 1000) underflows to 0 and log(0) = -inf; use "
                    "m = logits.max(axis=1, keepdims=True)")


def _call_ce(fn, Z, y, what):
    got = _quiet(fn, Z.copy(), y.copy())
    return T.as_float(got, what, allow_nonfinite=True)


@exercise("7.2", target="cross_entropy", title="Cross-entropy from logits", points=1)
def _check_cross_entropy(cross_entropy):
    T.require_callable(cross_entropy, "cross_entropy")
    rng = np.random.default_rng(8)
    B, C = 6, 4
    Z = rng.normal(size=(B, C)) * 2
    y = np.array([0, 3, 1, 1, 2, 0])
    rows = _ce_rows(Z, y)
    ref = T.float(rows.mean())
    got = _call_ce(cross_entropy, Z, y, "cross_entropy(Z, y) for B = 6, C = 4")
    if not T.isclose_scalar(got, ref, rel_tol=_RTOL, abs_tol=1e-12):
        msg = f"cross_entropy(Z, y) = {got:.6g} for a batch of B = {B}, expected {ref:.6g}"
        P = _softmax(Z)
        cands = (
            (T.float(rows.sum()), "you summed over the batch: the loss is the MEAN over the B examples"),
            (T.float(rows.mean()) / C, "you divided by B*C (a mean over every entry of the logits): the loss is the "
             "mean over the B examples only"),
            (-ref, "the sign is flipped: the loss is -log p_y, which is positive"),
            (-T.float(rows.sum()), "two mistakes: the sign is flipped and you summed instead of averaging"),
            (T.float(np.mean(-np.log(P[:, y]))), "you indexed with logits[:, targets], which takes a (B, B) "
             "block: pick one entry per row with [np.arange(B), targets]"),
            (T.float(np.mean(-np.log(P))), "you averaged -log p over all classes: take only the true class "
             "of each row, [np.arange(B), targets]"),
            (T.float(-np.mean(np.log(np.exp(Z[np.arange(B), y])))), "you forgot the normaliser: "
             "-log softmax(z)_y = -z_y + logsumexp(z)"),
        )
        for value, hint in cands:
            if T.isclose_scalar(got, value, rel_tol=1e-9, abs_tol=1e-12):
                raise Wrong(msg, hint=hint)
        raise Wrong(msg, hint="loss = mean over rows of (logsumexp(z_i) - z_i[y_i])")

    # a batch of one: large logits (the naive exp overflows)
    Z = np.array([[1000.0, 999.0, 998.0]])
    y = np.array([0])
    ref = T.float(_ce_rows(Z, y).mean())
    got = _call_ce(cross_entropy, Z, y, "cross_entropy([[1000, 999, 998]], [0])")
    if not T.math_isfinite(got):
        raise Wrong(f"cross_entropy([[1000, 999, 998]], [0]) = {got}, expected {ref:.6f}", hint=_MAX_HINT)
    if not T.isclose_scalar(got, ref, rel_tol=_RTOL):
        raise Wrong(f"cross_entropy([[1000, 999, 998]], [0]) = {got:.6g}, expected {ref:.6f}",
                    hint="compute in float64: at logits of 1000 float32 keeps only 4 decimals of the loss (its "
                         "spacing there is 6e-5)" if T.isclose_scalar(got, ref, rel_tol=1e-3) else None)

    # extreme logits: log(softmax) underflows to -inf
    Z = np.array([[0.0, -1000.0], [1000.0, 0.0]])
    y = np.array([1, 1])
    got = _call_ce(cross_entropy, Z, y, "cross_entropy([[0, -1000], [1000, 0]], [1, 1])")
    if not T.isclose_scalar(got, 1000.0, rel_tol=_RTOL):
        msg = (f"cross_entropy([[0, -1000], [1000, 0]], [1, 1]) = {got if not T.math_isfinite(got) else f'{got:.6g}'}, "
               f"expected 1000")
        # the maximum of the whole batch (1000) instead of each row's: row [0, -1000] underflows to log(0) = -inf
        with T.errstate(all="ignore"):
            glob = T.float(np.mean(1000.0 + np.log(np.exp(Z - 1000.0).sum(axis=1)) - Z[np.arange(2), y]))
        if got == glob or T.isclose_scalar(got, glob, rel_tol=1e-9):   # -inf == -inf; log(softmax) gives +inf
            raise Wrong(msg, hint=_ROWMAX_LSE_HINT)
        raise Wrong(msg, hint=_LSE_HINT)

    # a row that spans 2000: only the row MAXIMUM keeps exp finite (a mean or minimum shift passes the tests above)
    Z = np.array([[1000.0, 0.0, -1000.0]])
    y = np.array([2])
    got = _call_ce(cross_entropy, Z, y, "cross_entropy([[1000, 0, -1000]], [2])")
    if not T.math_isfinite(got):
        raise Wrong(f"cross_entropy([[1000, 0, -1000]], [2]) = {got}, expected 2000", hint=_SHIFT_HINT)
    if not T.isclose_scalar(got, 2000.0, rel_tol=_RTOL):
        raise Wrong(f"cross_entropy([[1000, 0, -1000]], [2]) = {got:.6g}, expected 2000",
                    hint="loss = logsumexp(z) - z_y with logsumexp(z) = m + log(sum(exp(z - m))), m = max(z)")
    return "correct mean loss, finite and exact for logits of size 1000 and rows 2000 wide"


# --------------------------------------------------------------------------------------
# 7.3  its gradient
# --------------------------------------------------------------------------------------
def _numerical_grad(Z, y):
    try:
        from mathdl.gradcheck import numerical_grad
    except ImportError:  # pragma: no cover
        numerical_grad = None

    def f(M):
        return T.float(_ce_rows(M, y).mean())
    if numerical_grad is not None:
        return np.asarray(numerical_grad(f, Z.copy()), dtype=float)
    g = np.zeros_like(Z)  # pragma: no cover
    for idx in np.ndindex(Z.shape):  # pragma: no cover
        M = Z.copy()
        M[idx] += 1e-6
        up = f(M)
        M[idx] -= 2e-6
        g[idx] = (up - f(M)) / 2e-6
    return g


@exercise("7.3", target="cross_entropy_grad", title="The gradient of the cross-entropy", points=1)
def _check_cross_entropy_grad(cross_entropy_grad):
    T.require_callable(cross_entropy_grad, "cross_entropy_grad")
    rng = np.random.default_rng(9)
    B, C = 5, 3
    Z = rng.normal(size=(B, C)) * 2
    y = np.array([2, 0, 1, 1, 0])
    what = "cross_entropy_grad(Z, y) for B = 5, C = 3"
    got = _quiet(cross_entropy_grad, Z.copy(), y.copy())
    got = T.as_float_array(got, what, allow_nonfinite=True)
    if got.shape != (B, C):
        raise Wrong(f"{what} has shape {_shape(got.shape)}, expected {_shape((B, C))}",
                    hint="the gradient has the shape of the logits: one entry per example and class")
    num = _numerical_grad(Z, y)
    P, Y = _softmax(Z), np.eye(C)[y]
    ref = (P - Y) / B
    if not T.close(ref, num, rtol=1e-5, atol=1e-8):  # pragma: no cover - the check's own consistency
        raise RuntimeError("check 7.3: reference and central differences disagree")
    if not T.close(got, ref, rtol=_RTOL, atol=1e-9):
        cands = (
            ((Y - P) / B, "the sign is flipped: the gradient is softmax(z) - y (prediction minus target), "
                          "not y - softmax(z)"),
            ((P - Y) / (B * C), "you divided by B*C: L is the mean over the B examples (not over all B*C "
                                "logits), so dL/dZ = (softmax(Z) - Y) / B"),
            (P - Y, "you forgot to divide by B: L is the mean over the batch, so dL/dZ = (softmax(Z) - Y) / B"),
            (Y - P, "two mistakes: the sign is flipped (use p - y) and the division by B is missing"),
            (P / B, "you forgot to subtract the one-hot target: dL/dZ = (softmax(Z) - Y) / B"),
            ((_softmax(Z, axis=0) - Y) / B, "the softmax is taken over the wrong axis: normalise each row "
                                            "(axis=1), over the classes"),
        )
        for cand, hint in cands:
            if T.close(got, cand, rtol=1e-7, atol=1e-12):
                raise Wrong(f"{what} differs from central differences by up to {T.max_error(got, num):.2g}",
                            hint=hint)
        T.expect_close(got, ref, what, rtol=_RTOL, atol=1e-9,
                       hint="dL/dZ = (softmax(Z) - onehot(y)) / B")

    Z = np.array([[1000.0, 0.0], [0.0, -1000.0]])
    y = np.array([1, 1])
    what = "cross_entropy_grad([[1000, 0], [0, -1000]], [1, 1])"
    got = T.as_float_array(_quiet(cross_entropy_grad, Z.copy(), y.copy()), what, allow_nonfinite=True)
    if got.shape != (2, 2):
        raise Wrong(f"{what} has shape {_shape(got.shape)}, expected (2, 2)")
    if _nonfinite(got):
        e = np.exp(Z - Z.max())
        with T.errstate(all="ignore"):
            glob = e / e.sum(axis=1, keepdims=True)
        raise Wrong(f"{what} contains NaN or inf", hint=_ROWMAX_HINT if _nonfinite(glob) and not
                    _nonfinite(got[0]) else _MAX_HINT)
    T.expect_close(got, np.array([[0.5, -0.5], [0.5, -0.5]]), what, rtol=_RTOL, atol=1e-12)

    # a row that spans 2000: only the row MAXIMUM keeps exp finite (a mean or minimum shift passes the tests above)
    Z = np.array([[1000.0, 0.0, -1000.0]])
    y = np.array([1])
    what = "cross_entropy_grad([[1000, 0, -1000]], [1])"
    got = T.as_float_array(_quiet(cross_entropy_grad, Z.copy(), y.copy()), what, allow_nonfinite=True)
    if got.shape != (1, 3):
        raise Wrong(f"{what} has shape {_shape(got.shape)}, expected (1, 3)")
    if _nonfinite(got):
        raise Wrong(f"{what} contains NaN or inf", hint=_SHIFT_HINT)
    T.expect_close(got, np.array([[1.0, -1.0, 0.0]]), what, rtol=_RTOL, atol=1e-12)
    return "matches central differences, and finite for logits of size 1000 and rows 2000 wide"
