"""The checks of chapter 6: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

import numpy as np
import pytest

from mathdl.exercises import check

from .conftest import Right, Wrong, expect_hint, run, stub

_stub = stub


# ---- 6.1 Value ---------------------------------------------------------------------------------
def make_value(add_rule="+=", mul_swapped=False, seed=True, reverse=True, rops=True, walk="topological"):
    """A Value class; the keyword arguments inject one realistic mistake each.

    ``walk``: "topological" (right), "no_visited" (the sort lists shared nodes twice), "recursive" (a
    recursion from the output that runs each node's rule when first reached, with a visited set),
    "recursive_no_visited", "queue" (breadth-first from the output).
    """

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
            if seed:
                self.grad = 1.0
            if walk in ("recursive", "recursive_no_visited"):
                seen = {id(self)}

                def go(n):
                    if n._backward is not None:
                        n._backward(n.grad)
                    for p in n.inputs:
                        if walk == "recursive_no_visited" or id(p) not in seen:
                            seen.add(id(p))
                            go(p)
                go(self)
                return
            if walk == "queue":
                queue, seen = [self], {id(self)}
                while queue:
                    n = queue.pop(0)
                    if n._backward is not None:
                        n._backward(n.grad)
                    for p in n.inputs:
                        if id(p) not in seen:
                            seen.add(id(p))
                            queue.append(p)
                return
            order, seen = [], set()

            def visit(n):
                if walk == "no_visited" or id(n) not in seen:
                    seen.add(id(n))
                    for p in n.inputs:
                        visit(p)
                    order.append(n)
            visit(self)
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
    if mask == "no_bias":
        g_Z = (g @ W2.T) * (X @ W1 > 0)          # the mask of X W1, the bias left out
    else:
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


def test_61_right_plus_equals_without_visited_set_is_not_told_to_use_plus_equals():
    res = expect_hint("6.1", make_value(walk="no_visited"), "visited set")
    assert "use `+=`" not in res.hint, res.hint


def test_61_right_plus_equals_without_topological_order_is_not_told_to_use_plus_equals():
    for walk in ("recursive", "queue"):
        res = expect_hint("6.1", make_value(walk=walk), "topological order")
        assert "use `+=`" not in res.hint, res.hint


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


# ---- the tables: plausible wrong answers (each gets the hint naming its mistake) and right answers
# ---- written differently from the reference (each passes) --------------------------------------------
def make_value_iterative():
    """A right Value written differently: an explicit stack for the order, rules stored as (input, factor)."""
    class Value:
        def __init__(self, data, inputs=()):
            self.data, self.grad, self.inputs, self.local = float(data), 0.0, inputs, ()

        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data + other.data, (self, other))
            out.local = ((self, lambda: 1.0), (other, lambda: 1.0))
            return out

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data * other.data, (self, other))
            out.local = ((self, lambda: other.data), (other, lambda: self.data))
            return out

        __radd__ = __add__
        __rmul__ = __mul__

        def backward(self):
            order, seen, stack = [], set(), [(self, False)]
            while stack:
                n, done = stack.pop()
                if done:
                    order.append(n)
                elif id(n) not in seen:
                    seen.add(id(n))
                    stack.append((n, True))
                    stack.extend((p, False) for p in n.inputs)
            self.grad = 1.0
            for n in reversed(order):
                for p, d in n.local:
                    p.grad += n.grad * d()
    return Value


def topo_sort_kahn(root):                       # Kahn's algorithm on the reachable graph
    nodes, stack = {}, [root]
    while stack:
        n = stack.pop()
        if id(n) not in nodes:
            nodes[id(n)] = n
            stack.extend(n.inputs)
    pending = {i: len({id(p) for p in n.inputs}) for i, n in nodes.items()}
    consumers = {i: [] for i in nodes}
    for i, n in nodes.items():
        for pid in {id(p) for p in n.inputs}:
            consumers[pid].append(i)
    ready = [i for i, c in pending.items() if c == 0]
    order = []
    while ready:
        i = ready.pop()
        order.append(nodes[i])
        for c in consumers[i]:
            pending[c] -= 1
            if pending[c] == 0:
                ready.append(c)
    return order


def mlp_grads_einsum(X, y, W1, b1, W2, b2):     # einsum, np.where for the mask, the mean written as np.mean
    Z = np.einsum("bd,dh->bh", X, W1) + b1
    H = np.where(Z > 0, Z, 0.0)
    R = H @ W2 + b2 - y
    g = R / len(X)
    g_Z = np.where(Z > 0, g @ W2.T, 0.0)
    return {"W2": np.einsum("bh,bm->hm", H, g), "b2": np.mean(R, axis=0),
            "W1": np.einsum("bd,bh->dh", X, g_Z), "b1": g_Z.sum(axis=0)}


WRONG_ANSWERS = {
    "6.1": [
        Wrong(make_value(add_rule="="), "use `+=`", "= instead of +="),
        Wrong(make_value(mul_swapped=True), "swapped", "the local derivatives of a*b swapped"),
        Wrong(make_value(seed=False), "self.grad = 1.0", "no seed dL/dL = 1"),
        Wrong(make_value(reverse=False), "REVERSE topological order", "the order walked forwards"),
        Wrong(make_value(rops=False), "__rmul__", "no __radd__/__rmul__"),
        Wrong(make_value(walk="no_visited"), "visited set", "no visited set: shared nodes processed twice"),
        Wrong(make_value(walk="recursive"), "topological order", "a recursion from the output, no topological order"),
        Wrong(make_value(walk="recursive_no_visited"), "topological order", "a recursion without a visited set"),
        Wrong(make_value(walk="queue"), "topological order", "a breadth-first queue from the output"),
    ],
    "6.2": [
        Wrong(topo_no_visited, "visited", "no visited set: duplicates"),
        Wrong(topo_not_reversed, "reversed", "root first"),
        Wrong(topo_preorder, "pre-order", "node appended before its inputs"),
        Wrong(topo_direct_only, "recursively", "only the direct inputs"),
        Wrong(lambda root: [n.name for n in topo_sort(root)], "node objects", "names instead of nodes"),
        Wrong(lambda root: None, "return order", "no return"),
    ],
    "6.3": [
        Wrong(lambda *a: mlp_grads(*a, mask=False), "relu mask", "no relu mask"),
        Wrong(lambda *a: mlp_grads(*a, divide=False), "batch size", "no division by B"),
        Wrong(lambda *a: mlp_grads(*a, mask=False, divide=False), "two mistakes", "no mask and no 1/B"),
        Wrong(lambda *a: mlp_grads(*a, transpose=True), "transposed", "dW1 transposed"),
        Wrong(lambda *a: mlp_grads(*a, bias_axis=1), "batch axis", "bias summed over the wrong axis"),
        Wrong(lambda *a: mlp_grads(*a, factor=2.0), "½", "a factor 2: the ½ forgotten"),
        Wrong(lambda *a: mlp_grads(*a, factor=-1.0), "sign", "the sign flipped"),
        Wrong(lambda *a: list(mlp_grads(*a).values()), "return {", "a list instead of a dict"),
        Wrong(lambda *a: mlp_grads(*a, mask="no_bias"), "with its bias", "the relu mask of X W1, without b1"),
        Wrong(lambda *a: mlp_grads(*a, factor=1.0 / a[1].shape[1]), "divided by B·m",
              "np.mean over all B·m entries of the residual"),
    ],
}

RIGHT_ANSWERS = {
    "6.1": [Right(make_value_iterative(), "an explicit stack, local derivatives stored as (input, factor)")],
    "6.2": [Right(topo_sort_iterative, "an iterative depth-first search"),
            Right(topo_sort_kahn, "Kahn's algorithm")],
    "6.3": [Right(mlp_grads_einsum, "einsum, np.where and np.mean"),
            Right(lambda *a: mlp_grads(*(v.astype(np.float32) for v in a)), "computed in float32")],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
