"""The in-notebook ``check`` and the trusted helpers (issue 3, item 6)."""

import textwrap
import time

import numpy as np
import pytest

import mathdl.exercises as mx
from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import REGISTRY, Wrong

CHECKS = '''
from mathdl.exercises.registry import exercise, Wrong
from mathdl.exercises import _trusted as T

@exercise("99.1", target="double", title="Double it", points=2)
def _check_double(double):
    T.require_callable(double, "double")
    x = T.np.array([1.0, -2.0, 3.5])
    got = double(x)
    if T.close(got, x, rtol=1e-12):
        raise Wrong("double(x) returned x unchanged", hint="multiply by 2")
    T.expect_close(got, 2 * x, "double(x)", rtol=1e-12)
    return "doubles a vector"

@exercise("99.2", target=("f", "g"), title="Two objects")
def _check_two(f, g):
    if not T.close(f(1.0) + g(1.0), 3.0):
        raise Wrong("f(1) + g(1) should be 3")

@exercise("99.3", target="h", title="Buggy check")
def _check_buggy(h):
    return {}["missing"]

@exercise("99.4", target="scalar", title="Scalar")
def _check_scalar(scalar):
    T.expect_close(T.as_float(scalar(), "scalar()"), 1.5, "scalar()")
'''


@pytest.fixture(scope="module", autouse=True)
def extra_checks(tmp_path_factory):
    d = tmp_path_factory.mktemp("checks")
    (d / "demo.py").write_text(CHECKS)
    added = mx.load_checks_from(d)
    assert added == ["99.1", "99.2", "99.3", "99.4"]
    yield
    for k in added:
        REGISTRY.pop(k, None)


def double(x):
    return 2 * x


def test_pass_prints_one_line(capsys):
    res = mx.check("99.1", double)
    out = capsys.readouterr().out
    assert out == "✅ Exercise 99.1 passed: doubles a vector\n"
    assert res.passed and res.status == "passed" and res.score == 2 and res.max_score == 2
    assert bool(res) is True
    assert "passed" in repr(res) and "\n" not in repr(res) and len(repr(res)) < 100


def test_not_attempted(capsys):
    def double(x):
        raise NotImplementedError("Exercise 99.1: Double it")
    res = mx.check("99.1", double)
    assert res.status == "not attempted" and res.score == 0 and not res
    assert res.message == mx.NOT_ATTEMPTED
    assert "not yet attempted" in capsys.readouterr().out


def test_wrong_gives_hint(capsys):
    res = mx.check("99.1", lambda x: x)
    assert res.status == "failed" and res.hint == "multiply by 2"
    out = capsys.readouterr().out
    assert out.startswith("❌ Exercise 99.1 failed: double(x) returned x unchanged")
    assert "Hint: multiply by 2" in out


def test_wrong_values_name_entry():
    res = mx.run_check(REGISTRY["99.1"], [lambda x: 2 * x + np.array([0, 0, 1.0])])
    assert res.status == "failed"
    assert "double(x)[2] = 8, expected 7" in res.message


@pytest.mark.parametrize("ret, needle", [
    (None, "is None"), ("abc", "is a string"), (np.ones(4), "has shape (4,), expected (3,)"),
    (np.array([1.0, np.nan, 2.0]), "NaN"), ([[1, 2], [3]], "cannot be read as an array"),
])
def test_bad_return_types(ret, needle):
    res = mx.run_check(REGISTRY["99.1"], [lambda x: ret])
    assert res.status == "failed", res
    assert needle in res.message


def test_learner_exception_points_at_learner():
    def double(x):
        return x / undefined_name  # noqa: F821

    res = mx.run_check(REGISTRY["99.1"], [double])
    assert res.status == "failed"
    assert "your function `double`" in res.message and "NameError" in res.message
    assert "mathdl" not in res.message


def test_learner_exception_deep_in_numpy():
    res = mx.run_check(REGISTRY["99.1"], [lambda x: x @ np.ones((5, 2))])
    assert res.status == "failed" and "ValueError" in res.message and "<lambda>" in res.message


def test_bug_in_check_is_error():
    res = mx.run_check(REGISTRY["99.3"], [lambda: 1])
    assert res.status == "error" and "bug in the check" in res.message and "KeyError" in res.message


def test_two_objects_and_arity():
    assert mx.run_check(REGISTRY["99.2"], [lambda x: 1.0, lambda x: 2.0]).passed
    with pytest.raises(TypeError, match="takes 2 object"):
        mx.check("99.2", lambda x: 1.0)


def test_unknown_id_lists_chapter():
    with pytest.raises(mx.UnknownExercise, match=r"chapter 99 has exercises 99.1, 99.2, 99.3, 99.4"):
        mx.check("99.7", double)
    with pytest.raises(mx.UnknownExercise, match="ids look like"):
        mx.check("nonsense", double)


def test_timeout_is_failed_and_fast():
    def double(x):
        while True:
            pass
    t0 = time.perf_counter()
    res = mx.run_check(REGISTRY["99.1"], [double], timeout=0.3)
    assert time.perf_counter() - t0 < 2
    assert res.status == "failed" and "took longer than 0.3 s" in res.message


def test_timeout_not_swallowed_by_bare_except():
    def double(x):
        try:
            while True:
                pass
        except Exception:
            return 2 * x
    res = mx.run_check(REGISTRY["99.1"], [double], timeout=0.3)
    assert res.status == "failed" and "took longer" in res.message


def test_monkeypatched_numpy_does_not_fool_helpers(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "abs", lambda x: 0 * x)
    import builtins
    monkeypatch.setattr(builtins, "abs", lambda x: 0)
    assert not T.close(1.0, 2.0)
    res = mx.run_check(REGISTRY["99.1"], [lambda x: 3 * x])
    assert res.status == "failed"


def test_scalar_helpers():
    assert mx.run_check(REGISTRY["99.4"], [lambda: np.float64(1.5)]).passed
    assert mx.run_check(REGISTRY["99.4"], [lambda: np.array([1.5])]).passed
    res = mx.run_check(REGISTRY["99.4"], [lambda: np.ones(3)])
    assert res.status == "failed" and "expected a single number" in res.message


def test_trusted_close_and_shapes():
    assert T.close([1, 2], [1, 2 + 1e-12])
    assert not T.close([1, 2], [[1, 2]])
    assert not T.close(np.nan, np.nan)
    assert not T.close(object(), 1.0)
    with pytest.raises(Wrong, match=r"Z has shape \(3, 2\), expected \(2, 3\)") as info:
        T.as_float_array(np.ones((3, 2)), "Z", shape=(2, 3))
    assert "transposed" in info.value.hint
    assert T.max_error([1, 2], [1, 4]) == 2


def test_ipython_display_shows_once(capsys):
    class FakeShell:
        execution_count = 7
    import mathdl.exercises.registry as reg
    orig = reg._get_ipython
    reg._get_ipython = lambda: FakeShell()
    try:
        res = mx.check("99.1", double)
        capsys.readouterr()
        res._ipython_display_()          # same cell: nothing more
        assert capsys.readouterr().out == ""
        FakeShell.execution_count = 8    # a later cell: the line again
        res._ipython_display_()
        assert capsys.readouterr().out.startswith("✅ Exercise 99.1 passed")
    finally:
        reg._get_ipython = orig


def test_registered_book_checks_import_cleanly():
    mx.load_checks()
    assert mx.LOAD_ERRORS == {}, mx.LOAD_ERRORS
    for ex in mx.exercises():
        assert ex.target and ex.points > 0 and ex.title


def test_check_is_fast():
    t0 = time.perf_counter()
    for _ in range(20):
        mx.run_check(REGISTRY["99.1"], [double])
    assert (time.perf_counter() - t0) / 20 < 0.1


def test_check_in_real_kernel_shows_one_output(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    (tmp_path / "c.py").write_text(CHECKS)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(textwrap.dedent(f"""\
            import mathdl.exercises as mx
            mx.load_checks_from({str(tmp_path)!r})
            from mathdl.exercises import check""")),
        nbformat.v4.new_code_cell("def double(x):\n    return 2 * x"),
        nbformat.v4.new_code_cell('check("99.1", double)'),
        nbformat.v4.new_code_cell('r = check("99.1", lambda x: x)'),
        nbformat.v4.new_code_cell('r'),
    ]
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    out = nb.cells[2].outputs
    assert len(out) == 1 and out[0].output_type == "stream"
    assert out[0].text == "✅ Exercise 99.1 passed: doubles a vector\n"
    assert [o.output_type for o in nb.cells[3].outputs] == ["stream"]
    later = nb.cells[4].outputs
    assert len(later) == 1 and "failed" in later[0].text
