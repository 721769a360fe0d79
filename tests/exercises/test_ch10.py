"""The checks of chapter 10: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

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
    raise NotImplementedError("Exercise 10.k: not yet")


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


def test_101_reference_passes(capsys):
    assert check("10.1", classify_critical_point).passed
    assert "✅ Exercise 10.1 passed" in capsys.readouterr().out


def test_101_stub_not_attempted():
    assert run("10.1", _stub).status == "not attempted"


def test_101_determinant_only():
    expect_hint("10.1", classify_by_determinant, "determinant test")


def test_101_trace():
    expect_hint("10.1", classify_by_trace, "trace")


def test_101_diagonal():
    expect_hint("10.1", classify_by_diagonal, "diagonal entries")


def test_101_zero_eigenvalue_with_mixed_signs():
    expect_hint("10.1", classify_zero_means_degenerate, "even when some eigenvalues are 0")


def test_101_wrong_strings():
    expect_hint("10.1", classify_capitalised, "lower-case")


# ---- 10.2 Hessian-vector product --------------------------------------------------------------
def hvp(grad_f, x, v, eps):
    x, v = np.asarray(x, dtype=float), np.asarray(v, dtype=float)
    return (grad_f(x + eps * v) - grad_f(x - eps * v)) / (2 * eps)


def hvp_normalized_v(grad_f, x, v, eps):       # also second order: accepted
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


def test_102_reference_passes(capsys):
    assert check("10.2", hvp).passed
    assert "✅ Exercise 10.2 passed" in capsys.readouterr().out


def test_102_normalized_direction_is_accepted():
    assert run("10.2", hvp_normalized_v).passed


def test_102_stub_not_attempted():
    assert run("10.2", _stub).status == "not attempted"


def test_102_forward_difference():
    expect_hint("10.2", hvp_forward, "forward")


def test_102_forgot_the_two():
    expect_hint("10.2", hvp_no_two, "divide by 2·eps, not by eps")


def test_102_forgot_eps():
    expect_hint("10.2", hvp_no_eps, "you divided by 2 only")


def test_102_sign():
    expect_hint("10.2", hvp_flipped, "grad_f(x + eps v) - grad_f(x - eps v)")


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


def test_103_reference_passes(capsys):
    assert check("10.3", filter_normalize).passed
    assert "✅ Exercise 10.3 passed" in capsys.readouterr().out


def test_103_stub_not_attempted():
    assert run("10.3", _stub).status == "not attempted"


def test_103_whole_direction():
    expect_hint("10.3", fn_whole_direction, "whole direction")


def test_103_per_layer():
    expect_hint("10.3", fn_per_layer, "each layer as a whole")


def test_103_rows():
    expect_hint("10.3", fn_rows, "normalized rows")


def test_103_unit_columns():
    expect_hint("10.3", fn_unit_columns, "norm 1")


def test_103_no_division():
    expect_hint("10.3", fn_no_division, "forgot to divide")


def test_103_in_place():
    expect_hint("10.3", fn_in_place, "in place")


def test_103_zero_column():
    res = run("10.3", fn_no_zero_guard)
    assert res.status in ("failed", "error"), res.line()
    if res.status == "failed":
        assert "zero" in (res.hint or "") + res.message, res.line()
