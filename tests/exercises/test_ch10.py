"""The checks of chapter 10: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

import numpy as np

from mathdl.exercises import check

from .conftest import Right, Wrong, expect_hint, run, stub


# ---- 10.1 classify a critical point -----------------------------------------------------------
def classify_critical_point(H):
    lam = np.linalg.eigvalsh(np.asarray(H, dtype=float))
    tol = 1e-8 * max(1.0, float(np.max(np.abs(lam))))
    pos, neg = np.sum(lam > tol), np.sum(lam < -tol)
    if pos > 0 and neg > 0:
        return "saddle"
    if pos == len(lam):
        return "minimum"
    if neg == len(lam):
        return "maximum"
    return "degenerate"


def classify_by_determinant(H):
    det = np.linalg.det(H)
    if abs(det) < 1e-12:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "minimum" if H[0, 0] > 0 else "maximum"


def classify_by_trace(H):
    tr = np.trace(H)
    if abs(tr) < 1e-12:
        return "degenerate"
    return "minimum" if tr > 0 else "maximum"


def classify_by_diagonal(H):
    dg = np.diag(H)
    if np.all(dg > 0):
        return "minimum"
    if np.all(dg < 0):
        return "maximum"
    return "saddle" if (np.any(dg > 0) and np.any(dg < 0)) else "degenerate"


def classify_zero_means_degenerate(H):
    lam = np.linalg.eigvalsh(H)
    if np.any(np.abs(lam) < 1e-8):
        return "degenerate"
    return classify_critical_point(H)


def classify_capitalised(H):
    return classify_critical_point(H).capitalize()


def classify_by_loop(H):                       # right: counts signs in a loop, eigenvalues from eigh
    lam = np.linalg.eigh(np.array(H, dtype=np.float64))[0]
    scale = max([1.0] + [abs(float(x)) for x in lam])
    signs = set()
    for x in lam:
        if x > 1e-8 * scale:
            signs.add(1)
        elif x < -1e-8 * scale:
            signs.add(-1)
        else:
            signs.add(0)
    if 1 in signs and -1 in signs:
        return "saddle"
    if signs == {1}:
        return "minimum"
    if signs == {-1}:
        return "maximum"
    return "degenerate"


def classify_min_max_eigenvalues(H):            # right: only the extreme eigenvalues matter
    lam = np.linalg.eigvalsh(H)
    lo, hi = lam[0], lam[-1]
    tol = 1e-8 * max(1.0, abs(lo), abs(hi))
    if lo < -tol and hi > tol:
        return "saddle"
    if lo > tol:
        return "minimum"
    if hi < -tol:
        return "maximum"
    return "degenerate"


def test_101_reference_passes(capsys):
    assert check("10.1", classify_critical_point).passed
    assert "✅ Exercise 10.1 passed" in capsys.readouterr().out


def test_101_returns_a_string():
    expect_hint("10.1", lambda H: "Saddle point", "lower-case")


def test_101_stub_not_attempted():
    assert run("10.1", stub).status == "not attempted"







# ---- 10.2 Hessian-vector product --------------------------------------------------------------
def hvp(grad_f, x, v, eps):
    x, v = np.asarray(x, dtype=float), np.asarray(v, dtype=float)
    return (grad_f(x + eps * v) - grad_f(x - eps * v)) / (2 * eps)


def hvp_normalized_v(grad_f, x, v, eps):       # second order too, but a step eps/|v| along v, not the eps asked for
    n = np.linalg.norm(v)
    return (grad_f(x + eps * v / n) - grad_f(x - eps * v / n)) / (2 * eps) * n


def hvp_forward(grad_f, x, v, eps):
    return (grad_f(x + eps * v) - grad_f(x)) / eps


def hvp_no_two(grad_f, x, v, eps):
    return (grad_f(x + eps * v) - grad_f(x - eps * v)) / eps


def hvp_no_eps(grad_f, x, v, eps):
    return (grad_f(x + eps * v) - grad_f(x - eps * v)) / 2


def hvp_flipped(grad_f, x, v, eps):
    return (grad_f(x - eps * v) - grad_f(x + eps * v)) / (2 * eps)


def hvp_own_step(grad_f, x, v, eps):           # ignores eps: a tiny step of its own (passed the old check)
    h = 1e-5
    return (grad_f(x + h * v) - grad_f(x - h * v)) / (2 * h)


def hvp_own_relative_step(grad_f, x, v, eps):  # ignores eps: ls.hvp's convention, |h v| = 1e-5
    h = 1e-5 / np.linalg.norm(v)
    return (grad_f(x + h * v) - grad_f(x - h * v)) / (2 * h)


def hvp_eps_on_every_coordinate(grad_f, x, v, eps):   # x +- eps: forgets v in the step
    return (grad_f(x + eps) - grad_f(x - eps)) / (2 * eps)


def hvp_loop(grad_f, x, v, eps):               # right: one component at a time, float32 v
    x = np.asarray(x, dtype=float)
    v = np.asarray(v, dtype=np.float32).astype(float)
    up, down = x.copy(), x.copy()
    for i in range(x.size):
        up[i] += eps * v[i]
        down[i] -= eps * v[i]
    gu, gd = grad_f(up), grad_f(down)
    return np.array([(gu[i] - gd[i]) * (0.5 / eps) for i in range(x.size)])


def test_102_reference_passes(capsys):
    assert check("10.2", hvp).passed
    assert "✅ Exercise 10.2 passed" in capsys.readouterr().out


def test_102_stub_not_attempted():
    assert run("10.2", stub).status == "not attempted"






# ---- 10.3 filter normalization ----------------------------------------------------------------
def filter_normalize(d, w):
    out = []
    for dl, wl in zip(d, w, strict=True):
        nd = np.linalg.norm(dl, axis=0, keepdims=True)
        nw = np.linalg.norm(wl, axis=0, keepdims=True)
        out.append(dl * np.where(nd > 0, nw / np.where(nd > 0, nd, 1.0), 0.0))
    return out


def fn_no_zero_guard(d, w):
    with np.errstate(invalid="ignore"):
        return [dl / np.linalg.norm(dl, axis=0) * np.linalg.norm(wl, axis=0) for dl, wl in zip(d, w, strict=True)]


def fn_whole_direction(d, w):
    nd = np.sqrt(sum(np.sum(a * a) for a in d))
    nw = np.sqrt(sum(np.sum(a * a) for a in w))
    return [dl * nw / nd for dl in d]


def fn_per_layer(d, w):
    return [dl * np.linalg.norm(wl) / np.linalg.norm(dl) for dl, wl in zip(d, w, strict=True)]


def fn_rows(d, w):
    return [dl / np.linalg.norm(dl, axis=1, keepdims=True) * np.linalg.norm(wl, axis=1, keepdims=True)
            for dl, wl in zip(d, w, strict=True)]


def fn_unit_columns(d, w):
    return [dl / np.linalg.norm(dl, axis=0, keepdims=True) for dl in d]


def fn_no_division(d, w):
    return [dl * np.linalg.norm(wl, axis=0, keepdims=True) for dl, wl in zip(d, w, strict=True)]


def fn_in_place(d, w):
    for dl, wl in zip(d, w, strict=True):
        dl *= np.linalg.norm(wl, axis=0, keepdims=True) / np.linalg.norm(dl, axis=0, keepdims=True)
    return d


def fn_column_loop(d, w):                      # right: a loop over the columns
    out = []
    for dl, wl in zip(d, w, strict=True):
        dl = np.asarray(dl, dtype=np.float64)
        res = np.zeros_like(dl)
        for j in range(dl.shape[1]):
            nd = np.sqrt(np.sum(dl[:, j] ** 2))
            if nd > 0:
                res[:, j] = dl[:, j] / nd * np.sqrt(np.sum(np.asarray(wl)[:, j] ** 2))
        out.append(res)
    return out


def test_103_reference_passes(capsys):
    assert check("10.3", filter_normalize).passed
    assert "✅ Exercise 10.3 passed" in capsys.readouterr().out


def test_103_stub_not_attempted():
    assert run("10.3", stub).status == "not attempted"








# ---- the tables (conftest.py): each wrong answer fails with the hint that names its mistake ----------------
def _classify_with(tol_of):
    def classify(H):
        lam = np.linalg.eigvalsh(H)
        t = tol_of(lam)
        pos, neg = int(np.sum(lam > t)), int(np.sum(lam < -t))
        if pos and neg:
            return "saddle"
        if pos == len(lam):
            return "minimum"
        if neg == len(lam):
            return "maximum"
        return "degenerate"
    return classify


def hvp_precedence(grad_f, x, v, eps):          # `/ 2 * eps`: multiplies by eps
    return (grad_f(x + eps * v) - grad_f(x - eps * v)) / 2 * eps


def hvp_divided_by_norm(grad_f, x, v, eps):
    return (grad_f(x + eps * v) - grad_f(x - eps * v)) / (2 * eps * np.linalg.norm(v))


def hvp_float32(grad_f, x, v, eps):             # the formula in float32: 1e-4 off at eps = 1e-3
    return ((grad_f(x + eps * v) - grad_f(x - eps * v)).astype(np.float32) / np.float32(2 * eps))


def fn_float32(d, w):                            # right: float32, and Li et al.'s guard nd + 1e-10
    return [np.float32(dl) * (np.linalg.norm(np.float32(wl), axis=0) / (np.linalg.norm(np.float32(dl), axis=0)
                                                                       + np.float32(1e-10))) for dl, wl in zip(d, w, strict=False)]


WRONG_ANSWERS = {
    "10.1": [
        Wrong(classify_by_determinant, "determinant test", "the 2x2 determinant test in n dimensions"),
        Wrong(classify_by_trace, "trace", "the sign of the trace"),
        Wrong(classify_by_diagonal, "diagonal entries", "the signs of the diagonal entries"),
        Wrong(classify_zero_means_degenerate, "even when some eigenvalues are 0", "a zero eigenvalue always degenerate"),
        Wrong(classify_capitalised, "lower-case", "capitalised strings"),
        Wrong(_classify_with(lambda lam: 0.0), "with 0 exactly", "no threshold at all"),
        Wrong(_classify_with(lambda lam: 1e-8), "relative to the largest", "an absolute threshold 1e-8 (passed)"),
        Wrong(_classify_with(lambda lam: 1e-8 * np.abs(lam).max()), "never below 1e-8",
              "a purely relative threshold, without max(1, .) (passed)"),
        Wrong(_classify_with(lambda lam: 1e-4), "no larger", "an absolute threshold 1e-4 (passed)"),
    ],
    "10.2": [
        Wrong(hvp_forward, "forward (one-sided) difference", "a forward difference"),
        Wrong(hvp_no_two, "divide by 2·eps, not by eps", "dividing by eps instead of 2 eps"),
        Wrong(hvp_no_eps, "you divided by 2 only", "forgetting to divide by eps"),
        Wrong(hvp_flipped, "grad_f(x + eps v) - grad_f(x - eps v)", "the sign flipped"),
        Wrong(hvp_own_step, "ignores the eps argument", "a step of its own, ignoring eps"),
        Wrong(hvp_own_relative_step, "ignores the eps argument", "ls.hvp's step |h v| = 1e-5, ignoring eps"),
        Wrong(hvp_normalized_v, "do not normalize v", "normalizing v (step eps along v/|v|)"),
        Wrong(hvp_eps_on_every_coordinate, "move along v", "x ± eps instead of x ± eps v"),
        Wrong(hvp_precedence, "MULTIPLIES by eps", "`/ 2 * eps` (got the generic hint)"),
        Wrong(hvp_divided_by_norm, "do not normalize v", "divided by |v| (got the generic hint)"),
        Wrong(hvp_float32, "not float64", "float32 arithmetic (got the generic hint)"),
    ],
    "10.3": [
        Wrong(fn_whole_direction, "whole direction", "one norm for the whole direction"),
        Wrong(fn_per_layer, "each layer as a whole", "one norm per layer"),
        Wrong(fn_rows, "normalized rows", "rows instead of columns (PyTorch's layout)"),
        Wrong(fn_unit_columns, "norm 1", "unit columns, not scaled to the weights"),
        Wrong(fn_no_division, "forgot to divide", "not dividing by the direction's column norm"),
        Wrong(fn_in_place, "in place", "scaling d in place"),
        Wrong(fn_no_zero_guard, "keep a column of d that is all zeros at zero", "0/0 on a zero column"),
    ],
}

RIGHT_ANSWERS = {
    "10.1": [Right(classify_by_loop, "eigh and a loop over the signs"),
             Right(classify_min_max_eigenvalues, "only the smallest and largest eigenvalues")],
    "10.2": [Right(hvp, "the reference written in the test"),
             Right(hvp_loop, "a loop over the components, v as float32, times 0.5/eps")],
    "10.3": [Right(fn_column_loop, "a loop over the columns, norms by hand"),
             Right(fn_float32, "float32 with Li et al.'s + 1e-10 guard (was rejected)")],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
