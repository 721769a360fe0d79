"""The checks of chapter 6: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

import numpy as np
import pytest

from mathdl.exercises import check, get_exercise, run_check


def run(ex_id, *objs):
    return run_check(get_exercise(ex_id), objs)


def expect_hint(ex_id, obj, fragment):
    res = run(ex_id, obj)
    assert res.status == "failed", res.line()
    assert res.hint and fragment in res.hint, res.line()
    return res


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise 6.k: not yet")


# ---- 6.1 Value ---------------------------------------------------------------------------------
def make_value(add_rule="+=", mul_swapped=False, seed=True, reverse=True, rops=True):
    """A Value class; the keyword arguments inject one realistic mistake each."""

    class Value:
        def __init__(self, data, inputs=()):
            self.data = float(data)
            self.grad = 0.0
            self.inputs = inputs
            self._backward = None

        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data + other.data, (self, other))

            def _backward(g):
                if add_rule == "+=":
                    self.grad += g
                    other.grad += g
                else:
                    self.grad = g
                    other.grad = g
            out._backward = _backward
            return out

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data * other.data, (self, other))

            def _backward(g):
                a, b = (self.data, other.data) if mul_swapped else (other.data, self.data)
                if add_rule == "+=":
                    self.grad += g * a
                    other.grad += g * b
                else:
                    self.grad = g * a
                    other.grad = g * b
            out._backward = _backward
            return out

        def backward(self):
            order, seen = [], set()

            def visit(n):
                if id(n) not in seen:
                    seen.add(id(n))
                    for p in n.inputs:
                        visit(p)
                    order.append(n)
            visit(self)
            if seed:
                self.grad = 1.0
            for n in (reversed(order) if reverse else order):
                if n._backward is not None:
                    n._backward(n.grad)

    if rops:
        Value.__radd__ = lambda self, other: self + other
        Value.__rmul__ = lambda self, other: self * other
    return Value


def test_61_reference_passes(capsys):
    res = check("6.1", make_value())
    assert res.passed, res.line()
    assert "✅ Exercise 6.1 passed" in capsys.readouterr().out


def test_61_stub_not_attempted():
    class Value:
        def __init__(self, data):
            self.data = float(data)
            self.grad = 0.0

        def __add__(self, other):
            raise NotImplementedError("Exercise 6.1: __add__")

        __mul__ = __radd__ = __rmul__ = __add__

        def backward(self):
            raise NotImplementedError("Exercise 6.1: backward")

    assert run("6.1", Value).status == "not attempted"


def test_61_assignment_instead_of_accumulation():
    expect_hint("6.1", make_value(add_rule="="), "+=")


def test_61_swapped_mul_rule():
    expect_hint("6.1", make_value(mul_swapped=True), "swapped")


def test_61_no_seed():
    expect_hint("6.1", make_value(seed=False), "self.grad = 1.0")


def test_61_forward_order():
    expect_hint("6.1", make_value(reverse=False), "REVERSE topological order")


def test_61_missing_radd_rmul():
    expect_hint("6.1", make_value(rops=False), "__rmul__")


# ---- 6.2 topo_sort ------------------------------------------------------------------------------
def topo_sort(root):
    order, seen = [], set()

    def visit(n):
        if id(n) in seen:
            return
        seen.add(id(n))
        for p in n.inputs:
            visit(p)
        order.append(n)
    visit(root)
    return order


def topo_sort_iterative(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        n, done = stack.pop()
        if done:
            order.append(n)
            continue
        if id(n) in seen:
            continue
        seen.add(id(n))
        stack.append((n, True))
        for p in reversed(n.inputs):
            if id(p) not in seen:
                stack.append((p, False))
    return order


def topo_no_visited(root):
    order = []

    def visit(n):
        for p in n.inputs:
            visit(p)
        order.append(n)
    visit(root)
    return order


def topo_not_reversed(root):  # root first: the order backward() walks, returned as is
    return topo_sort(root)[::-1]


def topo_preorder(root):
    order, seen = [], set()

    def visit(n):
        if id(n) in seen:
            return
        seen.add(id(n))
        order.append(n)
        for p in n.inputs:
            visit(p)
    visit(root)
    return order


def topo_direct_only(root):
    return list(root.inputs) + [root]


def test_62_reference_passes():
    assert run("6.2", topo_sort).passed
    assert run("6.2", topo_sort_iterative).passed


def test_62_stub_not_attempted():
    assert run("6.2", _stub).status == "not attempted"


def test_62_duplicates_without_visited_set():
    expect_hint("6.2", topo_no_visited, "visited")


def test_62_reversed_order():
    expect_hint("6.2", topo_not_reversed, "reversed")


def test_62_preorder():
    expect_hint("6.2", topo_preorder, "pre-order")


def test_62_only_direct_inputs():
    expect_hint("6.2", topo_direct_only, "recursively")


def test_62_returns_names():
    expect_hint("6.2", lambda root: [n.name for n in topo_sort(root)], "node objects")


# ---- 6.3 mlp_grads -------------------------------------------------------------------------------
def mlp_grads(X, y, W1, b1, W2, b2, *, mask=True, divide=True, transpose=False, bias_axis=0, factor=1.0):
    B = X.shape[0]
    Z = X @ W1 + b1
    H = np.maximum(Z, 0.0)
    g = factor * (H @ W2 + b2 - y) / (B if divide else 1)
    g_Z = (g @ W2.T) * (Z > 0) if mask else g @ W2.T
    gW1 = (g_Z.T @ X) if transpose else X.T @ g_Z
    return {"W1": gW1, "b1": g_Z.sum(axis=bias_axis), "W2": H.T @ g, "b2": g.sum(axis=bias_axis)}


def test_63_reference_passes():
    res = run("6.3", mlp_grads)
    assert res.passed, res.line()


def test_63_stub_not_attempted():
    assert run("6.3", _stub).status == "not attempted"


def test_63_missing_relu_mask():
    expect_hint("6.3", lambda *a: mlp_grads(*a, mask=False), "relu mask")


def test_63_no_division_by_batch():
    expect_hint("6.3", lambda *a: mlp_grads(*a, divide=False), "batch size")


def test_63_transposed_weight_gradient():
    expect_hint("6.3", lambda *a: mlp_grads(*a, transpose=True), "transposed")


def test_63_bias_summed_over_wrong_axis():
    expect_hint("6.3", lambda *a: mlp_grads(*a, bias_axis=1), "batch axis")


def test_63_factor_two():
    expect_hint("6.3", lambda *a: mlp_grads(*a, factor=2.0), "½")


def test_63_sign_flipped():
    expect_hint("6.3", lambda *a: mlp_grads(*a, factor=-1.0), "sign")


def test_63_not_a_dict():
    expect_hint("6.3", lambda *a: list(mlp_grads(*a).values()), "return {")


def test_63_inputs_not_mutated_by_check():
    # the check hands copies to the learner: an in-place edit of X must not change the verdict
    def sloppy(X, y, W1, b1, W2, b2):
        out = mlp_grads(X, y, W1, b1, W2, b2)
        X *= 0.0
        return out
    assert run("6.3", sloppy).passed


@pytest.mark.parametrize("seed", [0, 1])
def test_63_test_points_are_away_from_the_relu_kink(seed):
    from mathdl.exercises.checks.ch06 import _mlp_data
    X, y, W1, b1, W2, b2 = _mlp_data(seed)
    assert np.abs(X @ W1 + b1).min() > 1e-3
