"""Checks for chapter 10, loss landscapes (book/10_loss_landscapes.ipynb).

10.1 ``classify_critical_point(H)``: "minimum", "maximum", "saddle" or "degenerate" from the eigenvalues.
10.2 ``hvp(grad_f, x, v, eps)``: (grad_f(x + eps v) - grad_f(x - eps v)) / (2 eps).
10.3 ``filter_normalize(d, w)``: each column of d[l] rescaled to the norm of column j of w[l].

Every reference is computed here, from the check's own inputs.
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

np = T.np

_KINDS = ("minimum", "maximum", "saddle", "degenerate")


# --------------------------------------------------------------------------------------
# 10.1  classify a critical point
# --------------------------------------------------------------------------------------
def _classify(H, exact_zero=False):
    lam = np.linalg.eigvalsh(H)
    tol = 0.0 if exact_zero else 1e-8 * T.max(1.0, T.float(np.max(np.abs(lam))))
    pos, neg = T.int(np.sum(lam > tol)), T.int(np.sum(lam < -tol))
    if pos and neg:
        return "saddle"
    if pos == T.len(lam):
        return "minimum"
    if neg == T.len(lam):
        return "maximum"
    return "degenerate"


def _by_determinant(H):
    """The 2x2 test generalised wrongly: sign of det, then of H[0, 0]."""
    det = T.float(np.linalg.det(H))
    if T.abs(det) < 1e-12:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "minimum" if H[0, 0] > 0 else "maximum"


def _by_trace(H):
    tr = T.float(np.trace(H))
    if T.abs(tr) < 1e-12:
        return "degenerate"
    return "minimum" if tr > 0 else "maximum"


def _by_diagonal(H):
    dg = np.diag(H)
    if T.all(x > 0 for x in dg):
        return "minimum"
    if T.all(x < 0 for x in dg):
        return "maximum"
    if T.any(x > 0 for x in dg) and T.any(x < 0 for x in dg):
        return "saddle"
    return "degenerate"


def _rotated(lams, seed):
    """A symmetric matrix with the given eigenvalues in a random orthonormal basis."""
    n = T.len(lams)
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return (Q * np.asarray(lams, dtype=float)) @ Q.T


def _cases_10_1():
    return [
        ("diag(2, 3)", np.diag([2.0, 3.0])),
        ("diag(-1, -4)", np.diag([-1.0, -4.0])),
        ("diag(10, -2)", np.diag([10.0, -2.0])),
        ("[[1, 2], [2, 1]]", np.array([[1.0, 2.0], [2.0, 1.0]])),           # positive diagonal, saddle
        ("diag(-1, -1, 2)", np.diag([-1.0, -1.0, 2.0])),                    # det > 0, saddle
        ("diag(2, -1, -1)", np.diag([2.0, -1.0, -1.0])),                    # det > 0, H00 > 0, saddle
        ("diag(-3, 1, 1)", np.diag([-3.0, 1.0, 1.0])),                      # trace < 0, saddle
        ("a 4x4 matrix with eigenvalues (5, 1, 0.5, 2)", _rotated([5.0, 1.0, 0.5, 2.0], 1)),
        ("a 4x4 matrix with eigenvalues (-5, -1, -0.5, -2)", _rotated([-5.0, -1.0, -0.5, -2.0], 2)),
        ("a 3x3 matrix with eigenvalues (3, -2, 1)", _rotated([3.0, -2.0, 1.0], 3)),
        ("diag(1, 0)", np.diag([1.0, 0.0])),
        ("a 3x3 matrix with eigenvalues (-2, -1, 0)", _rotated([-2.0, -1.0, 0.0], 4)),
        ("diag(2, 0, -1)", np.diag([2.0, 0.0, -1.0])),                      # saddle despite a zero
        ("[[4]]", np.array([[4.0]])),
        ("[[-0.5]]", np.array([[-0.5]])),
        ("[[0]]", np.array([[0.0]])),
        # the threshold of the prompt, |lam| <= 1e-8 max(1, max |lam|), from both sides: an absolute threshold
        # (or none) calls 5e-6 non-zero beside 1e3; a purely relative one calls 3e-9 non-zero; one too large
        # (1e-4) calls 3e-5 zero beside 2
        ("diag(1000, 5e-6)", np.diag([1000.0, 5e-6])),
        ("diag(3e-9, 5e-9)", np.diag([3e-9, 5e-9])),
        ("diag(2, 3e-5)", np.diag([2.0, 3e-5])),
    ]


_TOL_CASES = ("diag(1000, 5e-6)", "diag(3e-9, 5e-9)", "diag(2, 3e-5)")
_TOL_HINT = ("your threshold for a zero eigenvalue is not the one asked for: treat lambda as zero when "
             "|lambda| <= 1e-8 * max(1, max_i |lambda_i|), relative to the largest eigenvalue (5e-6 is zero beside "
             "1000) but never below 1e-8 (3e-9 and 5e-9 are zero), and no larger (3e-5 beside 2 is not)")


_DET_HINT = ("this looks like the determinant test for 2x2 matrices: in 3-D diag(-1, -1, 2) has det > 0 but is a "
             "saddle. Look at the signs of ALL eigenvalues (np.linalg.eigvalsh)")
_TRACE_HINT = ("the trace is the SUM of the eigenvalues, so it can be positive at a saddle (diag(10, -2)): "
               "look at the sign of every eigenvalue")
_DIAG_HINT = ("the diagonal entries are not the eigenvalues unless H is diagonal: [[1, 2], [2, 1]] has a positive "
              "diagonal but eigenvalues 3 and -1. Use np.linalg.eigvalsh(H)")


@exercise("10.1", target="classify_critical_point", title="Classify a critical point", points=1)
def _check_classify(classify_critical_point):
    T.require_callable(classify_critical_point, "classify_critical_point")
    cases = _cases_10_1()
    got = []
    for name, H in cases:
        out = classify_critical_point(H.copy())
        if not T.isinstance(out, T.str):
            raise Wrong(f"classify_critical_point({name}) returned {T.type(out).__name__} {out!r}, "
                        f"expected one of the strings {', '.join(repr(k) for k in _KINDS)}")
        if out not in _KINDS:
            raise Wrong(f"classify_critical_point({name}) returned {out!r}, expected one of "
                        f"{', '.join(repr(k) for k in _KINDS)}",
                        hint="return exactly one of the four lower-case strings")
        got.append(out)
    ref = [_classify(H) for _, H in cases]
    if got == ref:
        return f"correct on {T.len(cases)} Hessians, n = 1 to 4, zero threshold included"
    bad = [i for i in T.range(T.len(cases)) if got[i] != ref[i]]
    first = bad[0]
    msg = (f"classify_critical_point({cases[first][0]}) returned {got[first]!r}, expected {ref[first]!r}"
           + (f" ({T.len(bad)} of {T.len(cases)} cases wrong)" if T.len(bad) > 1 else ""))
    # which wrong rule explains the answers on the cases it is wrong about?
    if T.all(ref[i] == "saddle" and got[i] == "degenerate" for i in bad):
        raise Wrong(msg, hint="positive AND negative eigenvalues make a saddle, even when some eigenvalues are 0")
    rules = ((_by_diagonal, _DIAG_HINT), (_by_determinant, _DET_HINT), (_by_trace, _TRACE_HINT))
    preds = [[rule(H) for _, H in cases] for rule, _ in rules]
    for pred, (_, hint) in T.zip(preds, rules):          # a wrong rule that explains every answer
        if pred == got:
            raise Wrong(msg, hint=hint)
    if got == [_classify(H, exact_zero=True) for _, H in cases]:
        raise Wrong(msg, hint="you compare the eigenvalues with 0 exactly: rounding makes a zero eigenvalue "
                              "1e-16 or -1e-16. Treat lambda as zero when |lambda| <= 1e-8 * max(1, max_i |lambda_i|)")
    if T.all(cases[i][0] in _TOL_CASES for i in bad):
        raise Wrong(msg, hint=_TOL_HINT)
    # the wrong rule that explains the answers best (it must explain every case it is wrong about)
    for pred, (_, hint) in T.zip(preds, rules):
        if T.len(bad) >= 2 and T.all(got[i] == pred[i] for i in bad):
            raise Wrong(msg, hint=hint)
    if ref[first] == "saddle" and got[first] == "degenerate":
        raise Wrong(msg, hint="positive AND negative eigenvalues make a saddle, even when some eigenvalues are 0")
    if ref[first] == "degenerate":
        raise Wrong(msg, hint="when an eigenvalue is (numerically) zero and the others have one sign, the "
                              "second-order test cannot decide: return 'degenerate'")
    raise Wrong(msg, hint="all eigenvalues > 0: minimum; all < 0: maximum; both signs: saddle; otherwise "
                          "degenerate")


# --------------------------------------------------------------------------------------
# 10.2  Hessian-vector product by central differences of gradients
# --------------------------------------------------------------------------------------
# f(x) = sum(exp(a * x)) / a^2 + x0^2 x1:  grad = exp(a x) / a + (2 x0 x1, x0^2, 0, ...),
# H = diag(exp(a x)) + [[2 x1, 2 x0], [2 x0, 0]] in the top-left corner; third derivatives are not zero.
_A = 1.5


def _grad_f(x):
    x = np.asarray(x, dtype=float)
    g = np.exp(_A * x) / _A
    g = g.copy()
    g[0] += 2 * x[0] * x[1]
    g[1] += x[0] ** 2
    return g


def _hess_f(x):
    H = np.diag(_A * np.exp(_A * x) / _A)
    H[0, 0] += 2 * x[1]
    H[0, 1] += 2 * x[0]
    H[1, 0] += 2 * x[0]
    return H


def _central(x, v, eps):
    return (_grad_f(x + eps * v) - _grad_f(x - eps * v)) / (2 * eps)


# the probes: a small step (the usual use) and large ones, where the O(eps^2) error of the central difference is
# large enough to tell "the central difference with THIS eps" from any answer that uses a step of its own
_PROBES_10_2 = (0.2, 0.05, 1e-3)


@exercise("10.2", target="hvp", title="A Hessian-vector product from two gradients", points=1)
def _check_hvp(hvp):
    T.require_callable(hvp, "hvp")
    x = np.array([0.3, -0.5, 0.8, 0.1])
    v = np.array([1.0, -2.0, 0.5, 3.0])          # not a unit vector: the convention matters
    exact = _hess_f(x) @ v
    nv = T.float(np.linalg.norm(v))
    results = {}
    for eps in _PROBES_10_2:
        def grad_f(z):
            z = np.array(z, dtype=float)         # a private copy
            if z.shape != x.shape:
                raise Wrong(f"hvp called grad_f with an array of shape {z.shape}, expected {x.shape}")
            return _grad_f(z)

        what = f"hvp(grad_f, x, v, eps={eps:g})"
        got = T.as_float_array(hvp(grad_f, x.copy(), v.copy(), eps), what, shape=x.shape)
        results[eps] = got
        central = _central(x, v, eps)
        if T.close(got, central, rtol=1e-8, atol=1e-10):
            continue
        err = T.max_error(got, central)
        msg = (f"{what} is off by {err:.2e} (max abs) from the central difference "
               f"(grad_f(x + eps v) - grad_f(x - eps v)) / (2 eps) with that eps")
        forward = (_grad_f(x + eps * v) - _grad_f(x)) / eps
        backward = (_grad_f(x) - _grad_f(x - eps * v)) / eps
        if T.close(got, forward, rtol=1e-8, atol=1e-10) or T.close(got, backward, rtol=1e-8, atol=1e-10):
            raise Wrong(msg, hint="this is a forward (one-sided) difference, whose error is O(eps): use "
                                  "(grad_f(x + eps v) - grad_f(x - eps v)) / (2 eps), error O(eps^2)")
        if T.close(got, 2 * central, rtol=1e-8, atol=1e-10):
            raise Wrong(msg + "; it is twice the expected value",
                        hint="divide by 2·eps, not by eps: the two points are 2·eps apart")
        if T.close(got, eps * central, rtol=1e-8, atol=1e-13):
            raise Wrong(msg + "; it is eps times the expected value",
                        hint="divide by 2·eps: you divided by 2 only")
        if T.close(got, eps * eps * central, rtol=1e-8, atol=1e-14):
            raise Wrong(msg + "; it is eps^2 times the expected value",
                        hint="`/ 2 * eps` divides by 2 and then MULTIPLIES by eps: write `/ (2 * eps)`")
        if T.close(got, -central, rtol=1e-8, atol=1e-10):
            raise Wrong(msg + "; the sign is flipped",
                        hint="the difference is grad_f(x + eps v) - grad_f(x - eps v)")
        if T.close(got, _central(x, v / nv, eps) * nv, rtol=1e-8, atol=1e-10) or T.close(
                got, _central(x, v / nv, eps), rtol=1e-8, atol=1e-10) or T.close(
                got, central / nv, rtol=1e-8, atol=1e-10) or T.close(got, central * nv, rtol=1e-8, atol=1e-10):
            raise Wrong(msg, hint="do not normalize v: use x ± eps·v with v as given (the step along v/|v| is "
                                  "a different step, visible at a large eps)")
        ones = np.ones_like(x)
        if T.close(got, _central(x, ones, eps), rtol=1e-8, atol=1e-10):
            raise Wrong(msg, hint="you moved every coordinate by eps (x ± eps): move along v, x ± eps·v")
        if eps >= 0.05 and T.max_error(got, exact) < 1e-3 * (1 + T.max_(T.abs(exact))):
            raise Wrong(msg + f"; your answer is close to the exact H v although eps = {eps:g} is large",
                        hint="your hvp ignores the eps argument (a step of its own?): use the eps it is given, "
                             "(grad_f(x + eps v) - grad_f(x - eps v)) / (2 eps)")
        if T.any(T.close(got, r, rtol=1e-6, atol=1e-9) for e, r in results.items() if e != eps):
            raise Wrong(msg + "; it does not change with eps",
                        hint="your hvp ignores the eps argument: use the eps it is given")
        if T.close(got, central, rtol=1e-3, atol=1e-6):
            raise Wrong(msg + "; it agrees only to about 1e-4",
                        hint="the formula is right but the arithmetic is not float64 (float32?): dividing a "
                             "difference of gradients by 2·eps magnifies their rounding; compute in float64")
        raise Wrong(msg, hint="Hv ≈ (grad_f(x + eps·v) - grad_f(x - eps·v)) / (2·eps)")
    err = T.max_error(results[1e-3], exact)
    return f"the central difference at eps = 1e-3, 0.05 and 0.2; error {err:.1e} at eps = 1e-3: second order"


# --------------------------------------------------------------------------------------
# 10.3  filter normalization
# --------------------------------------------------------------------------------------
def _fn_columns(d, w):
    out = []
    for dl, wl in T.zip(d, w):
        nd = np.linalg.norm(dl, axis=0, keepdims=True)
        nw = np.linalg.norm(wl, axis=0, keepdims=True)
        out.append(dl * np.where(nd > 0, nw / np.where(nd > 0, nd, 1.0), 0.0))
    return out


def _fn_rows(d, w):
    out = []
    for dl, wl in T.zip(d, w):
        nd = np.linalg.norm(dl, axis=1, keepdims=True)
        nw = np.linalg.norm(wl, axis=1, keepdims=True)
        out.append(dl * np.where(nd > 0, nw / np.where(nd > 0, nd, 1.0), 0.0))
    return out


def _candidates_10_3(d, w):
    total_d = T.float(np.sqrt(T.sum(T.float(np.sum(a * a)) for a in d)))
    total_w = T.float(np.sqrt(T.sum(T.float(np.sum(a * a)) for a in w)))
    unit_cols = [dl / np.linalg.norm(dl, axis=0, keepdims=True) for dl in d]
    return [
        ([dl * (total_w / total_d) for dl in d],
         "you normalized the whole direction at once: rescale EACH column (filter) of each layer separately"),
        ([dl * (np.linalg.norm(wl) / np.linalg.norm(dl)) for dl, wl in T.zip(d, w)],
         "you normalized each layer as a whole (Frobenius norm): rescale each COLUMN, the filter of one "
         "output unit, separately"),
        (_fn_rows(d, w),
         "you normalized rows; in mathdl's (n_in, n_out) layout the filter of output unit j is the COLUMN "
         "W[:, j] (norms along axis=0)"),
        (unit_cols,
         "your columns have norm 1: scale each to the norm of the corresponding column of the weights, "
         "||W[:, j]||"),
        ([dl * np.linalg.norm(wl, axis=0, keepdims=True) for dl, wl in T.zip(d, w)],
         "you multiplied by ||W[:, j]|| but forgot to divide by the direction's own column norm ||d[:, j]||"),
        ([dl / np.linalg.norm(dl, axis=0, keepdims=True) / np.linalg.norm(wl, axis=0, keepdims=True)
          for dl, wl in T.zip(d, w)],
         "the ratio is upside down: multiply the unit column by ||W[:, j]||, do not divide by it"),
    ]


@exercise("10.3", target="filter_normalize", title="Filter normalization", points=1)
def _check_filter_normalize(filter_normalize):
    T.require_callable(filter_normalize, "filter_normalize")
    rng = np.random.default_rng(10)
    w = [rng.normal(size=(3, 5)) * np.array([0.1, 1.0, 3.0, 0.5, 2.0]), rng.normal(size=(5, 2)) * 4.0]
    d = [rng.normal(size=(3, 5)), rng.normal(size=(5, 2)) * 0.2]
    d_in, w_in = [a.copy() for a in d], [a.copy() for a in w]
    out = filter_normalize(d_in, w_in)
    if not T.isinstance(out, (T.list, T.tuple)):
        raise Wrong(f"filter_normalize returned {T.type(out).__name__}, expected a list of arrays (one per layer)")
    if T.len(out) != T.len(d):
        raise Wrong(f"filter_normalize returned {T.len(out)} arrays for {T.len(d)} layers")
    got = [T.as_float_array(out[i], f"filter_normalize(d, w)[{i}]", shape=d[i].shape) for i in T.range(T.len(d))]
    if not (T.all(T.array_equal(a, b) for a, b in T.zip(d_in, d))
            and T.all(T.array_equal(a, b) for a, b in T.zip(w_in, w))):
        raise Wrong("filter_normalize modified its inputs d or w",
                    hint="build new arrays (d_l * factor) instead of scaling in place (d_l *= factor)")
    ref = _fn_columns(d, w)
    # rtol 1e-6: float32 arithmetic (1e-7) and a guard nd + 1e-8 (2e-8) are right; every mistake of the table
    # changes some column by a factor of 2 or more
    if T.all(T.close(g, r, rtol=1e-6, atol=1e-12) for g, r in T.zip(got, ref)):
        # a zero column must stay zero (and finite)
        dz = [d[0].copy(), d[1].copy()]
        dz[0][:, 2] = 0.0
        outz = filter_normalize([a.copy() for a in dz], [a.copy() for a in w])
        z0 = T.as_float_array(outz[0], "filter_normalize(d, w)[0] for a d with a zero column", shape=d[0].shape,
                              allow_nonfinite=True)
        if not T.all_(T.isfinite(z0)):
            raise Wrong("a zero column of d gave NaN or inf",
                        hint="0/0: keep a column of d that is all zeros at zero (np.where(norm > 0, ..., 0))")
        T.expect_close(z0, _fn_columns(dz, w)[0], "filter_normalize(d, w)[0] with a zero column", rtol=1e-6,
                       atol=1e-12)
        return "column norms match the weights'; zero columns stay zero"
    for cand, hint in _candidates_10_3(d, w):
        if T.all(T.close(g, c, rtol=1e-9, atol=1e-12) for g, c in T.zip(got, cand)):
            raise Wrong("the column norms of your result do not match those of the weights", hint=hint)
    for i in T.range(T.len(d)):
        T.expect_close(got[i], ref[i], f"filter_normalize(d, w)[{i}]", rtol=1e-6, atol=1e-12,
                       hint="d[:, j] * ||W[:, j]|| / ||d[:, j]|| for every column j of every layer")
    raise Wrong("filter_normalize(d, w) does not match the reference")  # pragma: no cover
