"""Tests of mathdl.autograd.

One table of operations (``UNARY``, ``BINARY``, ``MATMUL``, ``JOIN``) drives
three checks of every entry: the forward value against plain numpy, the
gradient against central differences in float64 (``gradcheck``), and values
and gradients against PyTorch in float64 where torch is installed.  Binary
operations run over every pair of the broadcasting shapes (), (4,), (3, 4),
(1, 4).
"""

from __future__ import annotations

import gc
import itertools
import warnings
import weakref
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mathdl as mdl
from mathdl import autograd as A
from mathdl.gradcheck import gradcheck

# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def sample(shape, domain, rng):
    """Random float64 input of ``shape`` from a domain where the operation is smooth."""
    if domain == "real":
        return rng.standard_normal(shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "away0":  # |x| >= 0.3: abs, relu, 1/x are smooth there
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)
    if domain == "distinct":  # a permutation of well separated values: no ties for max/min
        n = int(np.prod(shape, dtype=int))
        return (rng.permutation(n) * 0.37 - n * 0.15).reshape(shape)
    if domain == "clip":  # away from the bounds -0.5 and 0.8 used by the clip entries
        v = rng.uniform(-2.0, 2.0, shape)
        return np.where(np.abs(v + 0.5) < 0.1, v + 0.3, np.where(np.abs(v - 0.8) < 0.1, v + 0.3, v))
    raise ValueError(domain)


@dataclass
class Op:
    name: str
    fn: object             # on mathdl tensors
    ref: object            # on numpy arrays
    torch: object | None   # (torch, *tensors) -> tensor, or None when PyTorch has no equivalent
    shapes: tuple
    domains: tuple = ("real",)
    kwargs: dict = field(default_factory=dict)

    def inputs(self, seed=0):
        rng = np.random.default_rng(seed)
        domains = self.domains * len(self.shapes) if len(self.domains) == 1 else self.domains
        return [sample(s, d, rng) for s, d in zip(self.shapes, domains, strict=True)]

    def __repr__(self):
        return self.name


S34 = (3, 4)
S234 = (2, 3, 4)

UNARY = [
    Op("exp", mdl.exp, np.exp, lambda T, x: T.exp(x), (S34,)),
    Op("log", mdl.log, np.log, lambda T, x: T.log(x), (S34,), ("positive",)),
    Op("sqrt", mdl.sqrt, np.sqrt, lambda T, x: T.sqrt(x), (S34,), ("positive",)),
    Op("abs", mdl.abs, np.abs, lambda T, x: T.abs(x), (S34,), ("away0",)),
    Op("tanh", mdl.tanh, np.tanh, lambda T, x: T.tanh(x), (S34,)),
    Op("sigmoid", mdl.sigmoid, lambda x: 1 / (1 + np.exp(-x)), lambda T, x: T.sigmoid(x), (S34,)),
    Op("relu", mdl.relu, lambda x: np.maximum(x, 0), lambda T, x: T.relu(x), (S34,), ("away0",)),
    Op("method_exp", lambda x: x.exp(), np.exp, lambda T, x: x.exp(), (S34,)),
    Op("method_relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), lambda T, x: x.relu(),
       (S34,), ("away0",)),
    Op("method_sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)),
       lambda T, x: x.sigmoid(), (S34,)),
    Op("method_tanh", lambda x: x.tanh(), np.tanh, lambda T, x: x.tanh(), (S34,)),
    Op("neg", lambda x: -x, np.negative, lambda T, x: -x, (S34,)),
    Op("pos", lambda x: +x, np.positive, lambda T, x: +x, (S34,)),
    Op("pow2", lambda x: x ** 2, np.square, lambda T, x: x ** 2, (S34,)),
    Op("pow3", lambda x: x ** 3, lambda x: x ** 3, lambda T, x: x ** 3, (S34,)),
    Op("pow_half", lambda x: x ** 0.5, np.sqrt, lambda T, x: x ** 0.5, (S34,), ("positive",)),
    Op("pow_neg1", lambda x: x ** -1, lambda x: 1 / x, lambda T, x: x ** -1, (S34,), ("away0",)),
    Op("pow0", lambda x: x ** 0, np.ones_like, lambda T, x: x ** 0, (S34,)),
    Op("pow_method", lambda x: x.pow(2.5), lambda x: x ** 2.5, lambda T, x: x.pow(2.5), (S34,),
       ("positive",)),
    Op("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, lambda T, x: 2.0 ** x, (S34,)),
    Op("radd", lambda x: 1.5 + x, lambda x: 1.5 + x, lambda T, x: 1.5 + x, (S34,)),
    Op("rsub", lambda x: 1.5 - x, lambda x: 1.5 - x, lambda T, x: 1.5 - x, (S34,)),
    Op("rmul", lambda x: 1.5 * x, lambda x: 1.5 * x, lambda T, x: 1.5 * x, (S34,)),
    Op("rdiv", lambda x: 1.5 / x, lambda x: 1.5 / x, lambda T, x: 1.5 / x, (S34,), ("away0",)),
    Op("div_scalar", lambda x: x / 1.5, lambda x: x / 1.5, lambda T, x: x / 1.5, (S34,)),
    Op("sub_int", lambda x: x - 2, lambda x: x - 2, lambda T, x: x - 2, (S34,)),
    Op("add_array", lambda x: x + np.arange(4.0), lambda x: x + np.arange(4.0),
       lambda T, x: x + T.arange(4.0, dtype=T.float64), (S34,)),
    Op("rmul_array", lambda x: np.arange(4.0) * x, lambda x: np.arange(4.0) * x,
       lambda T, x: T.arange(4.0, dtype=T.float64) * x, (S34,)),
    Op("sum", lambda x: x.sum(), np.sum, lambda T, x: x.sum(), (S34,)),
    Op("sum_axis0", lambda x: x.sum(axis=0), lambda x: x.sum(axis=0),
       lambda T, x: x.sum(dim=0), (S34,)),
    Op("sum_dim_keepdim", lambda x: x.sum(dim=-1, keepdim=True),
       lambda x: x.sum(axis=-1, keepdims=True), lambda T, x: x.sum(dim=-1, keepdim=True), (S34,)),
    Op("sum_tuple", lambda x: x.sum(axis=(0, 2)), lambda x: x.sum(axis=(0, 2)),
       lambda T, x: x.sum(dim=(0, 2)), (S234,)),
    Op("sum_tuple_keepdims", lambda x: x.sum(axis=(0, -1), keepdims=True),
       lambda x: x.sum(axis=(0, -1), keepdims=True),
       lambda T, x: x.sum(dim=(0, -1), keepdim=True), (S234,)),
    Op("sum_0d", lambda x: x.sum(), np.sum, lambda T, x: x.sum(), ((),)),
    Op("mean", lambda x: x.mean(), np.mean, lambda T, x: x.mean(), (S34,)),
    Op("mean_axis1", lambda x: x.mean(axis=1), lambda x: x.mean(axis=1),
       lambda T, x: x.mean(dim=1), (S34,)),
    Op("mean_tuple_keepdims", lambda x: x.mean(axis=(1, 2), keepdims=True),
       lambda x: x.mean(axis=(1, 2), keepdims=True),
       lambda T, x: x.mean(dim=(1, 2), keepdim=True), (S234,)),
    Op("max", lambda x: x.max(), np.max, lambda T, x: T.amax(x), (S34,), ("distinct",)),
    Op("max_axis1", lambda x: x.max(axis=1), lambda x: x.max(axis=1),
       lambda T, x: T.amax(x, dim=1), (S34,), ("distinct",)),
    Op("max_tuple_keepdims", lambda x: x.max(axis=(0, 2), keepdims=True),
       lambda x: x.max(axis=(0, 2), keepdims=True),
       lambda T, x: T.amax(x, dim=(0, 2), keepdim=True), (S234,), ("distinct",)),
    Op("min_axis0", lambda x: x.min(axis=0), lambda x: x.min(axis=0),
       lambda T, x: T.amin(x, dim=0), (S34,), ("distinct",)),
    Op("reshape", lambda x: x.reshape(2, 6), lambda x: x.reshape(2, 6),
       lambda T, x: x.reshape(2, 6), (S34,)),
    Op("reshape_tuple_neg1", lambda x: x.reshape((-1, 2)), lambda x: x.reshape(-1, 2),
       lambda T, x: x.reshape(-1, 2), (S234,)),
    Op("view", lambda x: x.view(4, 3), lambda x: x.reshape(4, 3), lambda T, x: x.view(4, 3), (S34,)),
    Op("flatten", lambda x: x.flatten(1), lambda x: x.reshape(2, 12), lambda T, x: x.flatten(1),
       (S234,)),
    Op("unsqueeze", lambda x: x.unsqueeze(1), lambda x: x[:, None], lambda T, x: x.unsqueeze(1),
       (S34,)),
    Op("squeeze", lambda x: x.squeeze(0), lambda x: x[0], lambda T, x: x.squeeze(0), ((1, 4),)),
    Op("T", lambda x: x.T, lambda x: x.T, lambda T, x: x.T, (S34,)),
    Op("mT", lambda x: x.mT, lambda x: x.swapaxes(-1, -2), lambda T, x: x.mT, (S234,)),
    Op("transpose", lambda x: x.transpose(0, 2), lambda x: x.swapaxes(0, 2),
       lambda T, x: x.transpose(0, 2), (S234,)),
    Op("transpose_noargs", lambda x: x.transpose(), lambda x: x.T, lambda T, x: x.permute(2, 1, 0),
       (S234,)),
    Op("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1),
       lambda T, x: x.permute(2, 0, 1), (S234,)),
    Op("index_int", lambda x: x[1], lambda x: x[1], lambda T, x: x[1], (S34,)),
    Op("index_neg_int", lambda x: x[-1, 2], lambda x: x[-1, 2], lambda T, x: x[-1, 2], (S34,)),
    Op("index_slice", lambda x: x[1:, ::2], lambda x: x[1:, ::2], lambda T, x: x[1:, ::2], (S34,)),
    Op("index_ellipsis_none", lambda x: x[..., None, 1], lambda x: x[..., None, 1],
       lambda T, x: x[..., None, 1], (S234,)),
    Op("index_int_array_repeats", lambda x: x[np.array([0, 2, 0, 0])],
       lambda x: x[np.array([0, 2, 0, 0])], lambda T, x: x[T.tensor([0, 2, 0, 0])], (S34,)),
    Op("index_list", lambda x: x[[2, 1, 2]], lambda x: x[[2, 1, 2]],
       lambda T, x: x[[2, 1, 2]], (S34,)),
    Op("index_pairs", lambda x: x[np.array([0, 2, 0]), np.array([1, 3, 1])],
       lambda x: x[np.array([0, 2, 0]), np.array([1, 3, 1])],
       lambda T, x: x[T.tensor([0, 2, 0]), T.tensor([1, 3, 1])], (S34,)),
    Op("index_slice_and_array", lambda x: x[:, np.array([3, 3, 0])],
       lambda x: x[:, np.array([3, 3, 0])], lambda T, x: x[:, T.tensor([3, 3, 0])], (S34,)),
    Op("index_bool_mask", lambda x: x[np.arange(12).reshape(3, 4) % 3 == 0],
       lambda x: x[np.arange(12).reshape(3, 4) % 3 == 0],
       lambda T, x: x[T.arange(12).reshape(3, 4) % 3 == 0], (S34,)),
    Op("index_tensor", lambda x: x[mdl.tensor(np.array([1, 1]))], lambda x: x[np.array([1, 1])],
       lambda T, x: x[T.tensor([1, 1])], (S34,)),
    Op("clip", lambda x: mdl.clip(x, -0.5, 0.8), lambda x: np.clip(x, -0.5, 0.8),
       lambda T, x: T.clamp(x, -0.5, 0.8), (S34,), ("clip",)),
    Op("clip_min_only", lambda x: x.clamp(min=-0.5), lambda x: np.maximum(x, -0.5),
       lambda T, x: T.clamp(x, min=-0.5), (S34,), ("clip",)),
    Op("clip_max_only", lambda x: x.clip(max=0.8), lambda x: np.minimum(x, 0.8),
       lambda T, x: T.clamp(x, max=0.8), (S34,), ("clip",)),
    Op("maximum_scalar", lambda x: mdl.maximum(x, 0.1), lambda x: np.maximum(x, 0.1),
       lambda T, x: T.clamp(x, min=0.1), (S34,), ("away0",)),
    Op("where_scalar_other", lambda x: mdl.where(np.arange(12).reshape(3, 4) % 2 == 0, x, 0.0),
       lambda x: np.where(np.arange(12).reshape(3, 4) % 2 == 0, x, 0.0),
       lambda T, x: T.where(T.arange(12).reshape(3, 4) % 2 == 0, x, 0.0), (S34,)),
    Op("composite", lambda x: (x * x.sigmoid()).sum(axis=1).tanh() / 3,
       lambda x: np.tanh((x / (1 + np.exp(-x))).sum(axis=1)) / 3,
       lambda T, x: (x * x.sigmoid()).sum(dim=1).tanh() / 3, (S34,)),
    Op("reuse", lambda x: x * x + x.exp() * x, lambda x: x * x + np.exp(x) * x,
       lambda T, x: x * x + x.exp() * x, (S34,)),
]


BINARY_FUNCS = [
    # name, mdl fn, numpy fn, torch fn, domains
    ("add", lambda x, y: x + y, np.add, lambda T, x, y: x + y, ("real", "real")),
    ("sub", lambda x, y: x - y, np.subtract, lambda T, x, y: x - y, ("real", "real")),
    ("mul", lambda x, y: x * y, np.multiply, lambda T, x, y: x * y, ("real", "real")),
    ("div", lambda x, y: x / y, np.divide, lambda T, x, y: x / y, ("real", "away0")),
    ("pow", lambda x, y: x ** y, np.power, lambda T, x, y: x ** y, ("positive", "real")),
    ("maximum", mdl.maximum, np.maximum, lambda T, x, y: T.maximum(x, y), ("distinct", "distinct")),
    ("minimum", A.minimum, np.minimum, lambda T, x, y: T.minimum(x, y), ("distinct", "distinct")),
    ("where", lambda x, y: mdl.where(np.array([True, False, False, True]), x, y),
     lambda x, y: np.where(np.array([True, False, False, True]), x, y),
     lambda T, x, y: T.where(T.tensor([True, False, False, True]), x, y), ("real", "real")),
]
SHAPES = [(), (4,), (3, 4), (1, 4)]


def _binary_ops():
    ops = []
    for (name, f, ref, tf, domains), sx, sy in itertools.product(BINARY_FUNCS, SHAPES, SHAPES):
        ops.append(Op(f"{name}{sx}{sy}", f, ref, tf, (sx, sy), domains))
    return ops


BINARY = _binary_ops()

MATMUL_SHAPES = [
    ((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((3, 4), (4, 2)), ((1, 4), (4, 1)),
    ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4,)), ((4,), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
]
MATMUL = [Op(f"matmul{a}{b}", lambda x, y: x @ y, np.matmul, lambda T, x, y: x @ y, (a, b))
          for a, b in MATMUL_SHAPES]
MATMUL.append(Op("matmul_fn", mdl.autograd.matmul, np.matmul, lambda T, x, y: T.matmul(x, y),
                 ((3, 4), (4, 2))))
MATMUL.append(Op("rmatmul_array", lambda y: np.ones((2, 3)) @ y, lambda y: np.ones((2, 3)) @ y,
                 lambda T, y: T.ones(2, 3, dtype=T.float64) @ y, ((3, 4),)))

JOIN = [
    Op("concatenate0", lambda *xs: mdl.concatenate(xs), lambda *xs: np.concatenate(xs),
       lambda T, *xs: T.cat(xs), ((2, 3), (1, 3), (4, 3))),
    Op("concatenate_axis1", lambda *xs: mdl.concatenate(list(xs), axis=1),
       lambda *xs: np.concatenate(xs, axis=1), lambda T, *xs: T.cat(xs, dim=1),
       ((2, 3), (2, 1), (2, 2))),
    Op("cat_dim_neg1", lambda *xs: mdl.cat(xs, dim=-1), lambda *xs: np.concatenate(xs, axis=-1),
       lambda T, *xs: T.cat(xs, dim=-1), ((2, 2, 3), (2, 2, 1))),
    Op("cat_one", lambda x: mdl.cat([x]), lambda x: x, lambda T, x: T.cat([x]), ((3,),)),
    Op("stack0", lambda *xs: mdl.stack(xs), lambda *xs: np.stack(xs), lambda T, *xs: T.stack(xs),
       ((2, 3), (2, 3), (2, 3))),
    Op("stack_dim1", lambda *xs: mdl.stack(xs, dim=1), lambda *xs: np.stack(xs, axis=1),
       lambda T, *xs: T.stack(xs, dim=1), ((2, 3), (2, 3))),
    Op("stack_axis_neg1", lambda *xs: mdl.stack(xs, axis=-1), lambda *xs: np.stack(xs, axis=-1),
       lambda T, *xs: T.stack(xs, dim=-1), ((2, 3), (2, 3))),
    Op("cat_reuse", lambda x, y: mdl.cat([x, y, x]), lambda x, y: np.concatenate([x, y, x]),
       lambda T, x, y: T.cat([x, y, x]), ((2,), (3,))),
]

ALL_OPS = UNARY + BINARY + MATMUL + JOIN


def _distinct_pair(op, seed):
    """Inputs for maximum/minimum with no ties after broadcasting."""
    rng = np.random.default_rng(seed)
    sx, sy = op.shapes
    n = int(np.prod(sx, dtype=int)) + int(np.prod(sy, dtype=int))
    vals = rng.permutation(n) * 0.37 - n * 0.15
    k = int(np.prod(sx, dtype=int))
    return [vals[:k].reshape(sx), vals[k:].reshape(sy)]


def op_inputs(op, seed=0):
    if op.name.startswith(("maximum", "minimum")) and len(op.shapes) == 2:
        return _distinct_pair(op, seed)
    return op.inputs(seed)


# ---------------------------------------------------------------------------
# The table-driven checks
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("op", ALL_OPS, ids=repr)
def test_forward_matches_numpy(op):
    xs = op_inputs(op)
    out = op.fn(*[mdl.tensor(x) for x in xs])
    assert isinstance(out, mdl.Tensor)
    assert isinstance(out.data, np.ndarray)
    want = op.ref(*xs)
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.data, want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("op", ALL_OPS, ids=repr)
def test_gradient_matches_central_differences(op):
    xs = [mdl.tensor(x, requires_grad=True) for x in op_inputs(op)]
    assert gradcheck(op.fn, xs, eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("op", [op for op in ALL_OPS if op.torch is not None], ids=repr)
def test_matches_pytorch(op):
    torch = pytest.importorskip("torch")
    xs = op_inputs(op)
    ours = [mdl.tensor(x, requires_grad=True) for x in xs]
    theirs = [torch.tensor(x, requires_grad=True) for x in xs]
    out = op.fn(*ours)
    tout = op.torch(torch, *theirs)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    G = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(G)
    tout.backward(torch.tensor(G))
    for x, tx in zip(ours, theirs, strict=True):
        tgrad = np.zeros(x.shape) if tx.grad is None else tx.grad.numpy()
        got = np.zeros(x.shape) if x.grad is None else x.grad
        np.testing.assert_allclose(got, tgrad, rtol=1e-12, atol=1e-12)


def test_every_primitive_has_a_rule_and_a_test():
    primitives = [name for name in dir(A) if name.endswith("_p") and callable(getattr(A, name))]
    assert len(primitives) >= 25
    for name in primitives:
        assert getattr(A, name) in A.VJP_RULES, f"{name} has no VJP rule"
    exercised = set()
    for op in ALL_OPS:  # run every table entry once with recording on; collect the primitives
        out = op.fn(*[mdl.tensor(x, requires_grad=True) for x in op_inputs(op)])
        stack = [out]
        while stack:
            t = stack.pop()
            if t.grad_fn is not None:
                exercised.add(t.grad_fn.__name__)
                stack.extend(i for i in t._inputs if i is not None)
    missing = set(primitives) - exercised - {"astype_p"}  # astype: tested in test_astype
    assert not missing, f"primitives not exercised by the op table: {sorted(missing)}"


# ---------------------------------------------------------------------------
# Hypothesis: random bounded floats and random broadcasting shapes
# ---------------------------------------------------------------------------

floats = st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=40, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), st.data())
def test_hypothesis_broadcast_mul_add(shapes, data):
    sx, sy = shapes.input_shapes
    x = data.draw(hnp.arrays(np.float64, sx, elements=floats))
    y = data.draw(hnp.arrays(np.float64, sy, elements=floats))
    X, Y = mdl.tensor(x, requires_grad=True), mdl.tensor(y, requires_grad=True)
    out = X * Y + Y
    G = np.ones(out.shape)
    out.backward(G)
    assert out.shape == shapes.result_shape
    assert X.grad.shape == sx and Y.grad.shape == sy
    np.testing.assert_allclose(X.grad, A.unbroadcast(np.broadcast_to(y, out.shape) * G, sx))
    np.testing.assert_allclose(Y.grad, A.unbroadcast(np.broadcast_to(x, out.shape) + 1.0, sy))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4),
                  elements=floats))
def test_hypothesis_elementwise_chain_gradcheck(x):
    X = mdl.tensor(x, requires_grad=True)
    assert gradcheck(lambda t: (t.tanh() * t.sigmoid() + (t * t + 1).sqrt()).sum(), (X,))


@settings(max_examples=30, deadline=None)
@given(hnp.array_shapes(min_dims=0, max_dims=4, max_side=4), st.data())
def test_hypothesis_unbroadcast_is_adjoint_of_broadcast(target, data):
    # <broadcast(u), g> == <u, unbroadcast(g)> for every u, g
    lead = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    big = tuple(lead) + tuple(n if n != 1 else data.draw(st.integers(1, 3)) for n in target)
    rng = np.random.default_rng(0)
    u = rng.standard_normal(target)
    g = rng.standard_normal(big)
    lhs = np.sum(np.broadcast_to(u, big) * g)
    ub = A.unbroadcast(g, tuple(target))
    assert ub.shape == tuple(target)
    np.testing.assert_allclose(lhs, np.sum(u * ub), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# Semantics: accumulation, graph, no_grad
# ---------------------------------------------------------------------------


def test_grad_accumulates_across_backward_calls_until_reset():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_backward_twice_on_same_graph_accumulates():
    x = mdl.tensor(3.0, requires_grad=True)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 12.0


def test_reused_tensor_gets_summed_adjoints():
    x = mdl.tensor(2.0, requires_grad=True)
    y = x * x * x + x  # 3x^2 + 1 = 13
    y.backward()
    assert x.grad == 13.0
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == ()


def test_leaf_grads_are_not_shared_arrays():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    y = mdl.tensor([3.0, 4.0], requires_grad=True)
    G = np.array([1.0, 1.0])
    (x + y).backward(G)
    assert x.grad is not y.grad
    assert not np.shares_memory(x.grad, G) and not np.shares_memory(x.grad, y.grad)
    x.grad[0] = 100.0
    assert y.grad[0] == 1.0 and G[0] == 1.0
    z = mdl.tensor(np.ones((2, 3)), requires_grad=True)
    z.sum().backward()
    z.grad[0, 0] = 5.0  # writeable, not a broadcast view
    w = mdl.tensor(np.ones(6), requires_grad=True)
    w.reshape(2, 3).backward(np.ones((2, 3)))
    assert w.grad.flags.owndata


def test_backward_on_leaf_and_root_grad_copied():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    G = np.array([3.0, 4.0])
    x.backward(G)
    np.testing.assert_array_equal(x.grad, G)
    assert not np.shares_memory(x.grad, G)


def test_gradient_only_for_leaves_unless_retained():
    x = mdl.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    h2 = (x * 2).retain_grad()
    (h.relu() + h2).sum().backward()
    assert h.grad is None and not h.is_leaf and x.is_leaf
    np.testing.assert_array_equal(h2.grad, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [5.0, 2.0])


def test_inputs_without_requires_grad_get_no_grad():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    c = mdl.tensor([5.0, 6.0])
    (x * c).sum().backward()
    assert c.grad is None
    assert not (c * c).requires_grad


def test_detach_and_requires_grad_flags():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    assert np.shares_memory(y.data, (x * 2).detach().data) is False
    z = y.requires_grad_()
    assert z is y and y.requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad = False
    assert (x * 2).grad_fn is A.mul_p


def test_no_grad_context_and_decorators():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    with mdl.no_grad():
        assert not mdl.is_grad_enabled()
        y = x * 2
        with mdl.enable_grad():
            assert mdl.is_grad_enabled()
            z = x * 2
        assert not mdl.is_grad_enabled()
    assert mdl.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @mdl.no_grad()
    def f(t):
        return t * 2

    @mdl.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert f.__name__ == "f"
    assert mdl.is_grad_enabled()


def test_no_grad_restored_after_exception():
    with pytest.raises(ZeroDivisionError):
        with mdl.no_grad():
            raise ZeroDivisionError
    assert mdl.is_grad_enabled()
    with A.set_grad_enabled(False):
        assert not mdl.is_grad_enabled()
    assert mdl.is_grad_enabled()


def test_in_place_update_under_no_grad_like_an_optimizer():
    W = mdl.tensor([1.0, 2.0], requires_grad=True)
    (W * W).sum().backward()
    with mdl.no_grad():
        W.data -= 0.1 * W.grad
    np.testing.assert_allclose(W.data, [0.8, 1.6])
    assert W.is_leaf and W.requires_grad


def test_deep_chain_backward_no_recursion_limit():
    x = mdl.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001 ** 5000, rtol=1e-12)
    x2 = mdl.tensor(np.ones(3), requires_grad=True)
    y2 = x2
    for _ in range(20000):
        y2 = y2 + 1
    y2.sum().backward()
    np.testing.assert_array_equal(x2.grad, np.ones(3))


def test_graph_has_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = mdl.tensor(np.ones((3, 4)), requires_grad=True)
        W = mdl.tensor(np.ones((4, 2)), requires_grad=True)
        h = (x @ W).relu().sigmoid()
        loss = (h * h).mean() + mdl.cat([h, h]).max() + h[0].sum()
        loss.backward()
        ref = weakref.ref(h)
        del h, loss
        assert ref() is None, "the graph was not freed by reference counting"
    finally:
        gc.enable()


def test_unbroadcast_examples():
    g = np.ones((2, 3, 4))
    assert A.unbroadcast(g, (2, 3, 4)) is g
    np.testing.assert_array_equal(A.unbroadcast(g, (4,)), np.full(4, 6.0))
    np.testing.assert_array_equal(A.unbroadcast(g, (3, 1)), np.full((3, 1), 8.0))
    np.testing.assert_array_equal(A.unbroadcast(g, (1, 1, 1)), np.full((1, 1, 1), 24.0))
    assert A.unbroadcast(g, ()) == 24.0


# ---------------------------------------------------------------------------
# Conventions that must match PyTorch exactly
# ---------------------------------------------------------------------------


def test_relu_derivative_at_zero_is_zero():
    x = mdl.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_relu_backward_with_a_wider_or_narrower_upstream_dtype():
    """relu's VJP multiplies the mask by g in place when the dtypes agree; a g of another
    dtype must give the same numbers, not be truncated into the mask's dtype."""
    w = np.array([0.1, 1e-9, 3.0, -2.5])  # 1e-9 + 1 is not representable in float32
    for x_dtype, w_dtype in ((np.float32, np.float64), (np.float64, np.float32),
                             (np.float32, np.float32)):
        x = mdl.tensor(np.array([-1.0, 0.5, 0.0, 2.0], x_dtype), requires_grad=True)
        (x.relu() * mdl.tensor(w.astype(w_dtype))).sum().backward()
        expect = np.where(x.data > 0, w.astype(w_dtype), 0).astype(x_dtype)
        assert x.grad.dtype == x_dtype
        np.testing.assert_array_equal(x.grad, expect)


def test_abs_derivative_at_zero_is_zero():
    x = mdl.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    mdl.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])


def test_max_splits_gradient_among_ties_like_amax():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    for axis in (None, 0, 1):
        x = mdl.tensor(data, requires_grad=True)
        tx = torch.tensor(data, requires_grad=True)
        out = x.max() if axis is None else x.max(axis=axis)
        tout = torch.amax(tx) if axis is None else torch.amax(tx, dim=axis)
        G = np.arange(1.0, out.data.size + 1).reshape(out.shape)
        out.backward(G)
        tout.backward(torch.tensor(G))
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-15)
    x = mdl.tensor(data, requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [0, 0, 0]])


def test_ties_in_maximum_and_clip_bounds_like_torch():
    torch = pytest.importorskip("torch")
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 4.0])
    for fn, tfn in [(mdl.maximum, torch.maximum), (A.minimum, torch.minimum)]:
        x, y = mdl.tensor(a, requires_grad=True), mdl.tensor(b, requires_grad=True)
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        fn(x, y).sum().backward()
        tfn(tx, ty).sum().backward()
        np.testing.assert_array_equal(x.grad, tx.grad.numpy())
        np.testing.assert_array_equal(y.grad, ty.grad.numpy())
    v = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    x, tx = mdl.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    mdl.clip(x, 0.0, 1.0).sum().backward()
    torch.clamp(tx, 0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


def test_pow_at_zero_like_torch():
    torch = pytest.importorskip("torch")
    cases = [(np.array([0.0, 2.0]), 0.0), (np.array([0.0, 2.0]), 2.0), (np.array([0.0, 2.0]), 1.0)]
    for base, e in cases:
        x, tx = mdl.tensor(base, requires_grad=True), torch.tensor(base, requires_grad=True)
        (x ** e).sum().backward()
        (tx ** e).sum().backward()
        np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    base, e = np.array([0.0, 0.0, 2.0]), np.array([0.0, 2.0, 3.0])
    x, y = mdl.tensor(base, requires_grad=True), mdl.tensor(e, requires_grad=True)
    tx, ty = torch.tensor(base, requires_grad=True), torch.tensor(e, requires_grad=True)
    (x ** y).sum().backward()
    (tx ** ty).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-15)


def test_sigmoid_tanh_stable_at_extremes():
    x = mdl.tensor([-1e4, -800.0, 0.0, 800.0, 1e4], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            s = mdl.sigmoid(x)
            (s.sum() + mdl.tanh(x).sum()).backward()
    np.testing.assert_array_equal(s.data, [0.0, 0.0, 0.5, 1.0, 1.0])
    assert np.all(np.isfinite(x.grad))
    x = mdl.tensor([-30.0, 30.0])
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(mdl.sigmoid(x).data, torch.sigmoid(torch.tensor(x.data)).numpy(),
                               rtol=1e-14)


# ---------------------------------------------------------------------------
# dtype rules
# ---------------------------------------------------------------------------


def test_dtype_conversion_rules():
    assert mdl.tensor([1, 2, 3]).dtype == np.float64
    assert mdl.tensor(3).dtype == np.float64
    assert mdl.tensor(True).dtype == np.float64
    assert mdl.tensor(np.arange(3)).dtype == np.arange(3).dtype
    assert mdl.tensor(np.float32(2.0)).dtype == np.float32
    assert mdl.tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert mdl.tensor(np.ones(2, np.float32), dtype="float64").dtype == np.float64
    a = np.ones(3)
    t = mdl.tensor(a)
    a[0] = 5.0
    assert t.data[0] == 1.0, "tensor() copies its input"
    assert mdl.Tensor(a).data is a, "Tensor(array) wraps without copying"


@pytest.mark.parametrize(
    "op", [op for op in UNARY if "_array" not in op.name] + MATMUL[:4] + BINARY[:16], ids=repr)
def test_float32_stays_float32(op):
    xs = [mdl.tensor(x.astype(np.float32), requires_grad=True) for x in op_inputs(op)]
    out = op.fn(*xs)
    assert out.dtype == np.float32, f"{op.name} returned {out.dtype}"
    out.backward(np.ones(out.shape, np.float32))
    for x in xs:
        if x.grad is not None:
            assert x.grad.dtype == np.float32


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        mdl.tensor(np.arange(3), requires_grad=True)
    t = mdl.tensor(np.arange(3))
    with pytest.raises(RuntimeError, match="floating point"):
        t.requires_grad = True
    with pytest.raises(RuntimeError, match="floating point"):
        mdl.Tensor(np.arange(3), requires_grad=True)


def test_integer_inputs_are_promoted():
    i = mdl.tensor(np.array([1, 2, 3]))
    assert mdl.exp(i).dtype == np.float64
    assert (i / 2).dtype == np.float64
    assert (i * 2).dtype == i.dtype and not (i * 2).requires_grad
    assert i.mean().dtype == np.float64
    w = mdl.tensor([0.5, 0.5, 0.5], requires_grad=True)
    out = (i * w).sum()
    out.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])
    assert i.grad is None


def test_astype():
    x = mdl.tensor([1.5, 2.5], requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, [3.0, 5.0])
    assert x.double() is x
    assert x.astype(np.int64).dtype == np.int64 and not x.astype(np.int64).requires_grad


# ---------------------------------------------------------------------------
# Errors: clear, naming the operation and the shapes
# ---------------------------------------------------------------------------


def test_matmul_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: \(3, 4\) @ \(5, 2\)"):
        mdl.tensor(np.ones((3, 4))) @ mdl.tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: \(3,\) @ \(4,\)"):
        mdl.tensor(np.ones(3)) @ np.ones(4)
    with pytest.raises(ValueError, match=r"matmul: batch dimensions .*\(2, 3, 4\) @ \(3, 4, 5\)"):
        mdl.tensor(np.ones((2, 3, 4))) @ mdl.tensor(np.ones((3, 4, 5)))
    with pytest.raises(ValueError, match=r"matmul: both operands must be at least 1-D"):
        mdl.tensor(2.0) @ mdl.tensor(np.ones(3))


def test_backward_errors():
    x = mdl.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs.*shape \(2, 3\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match=r"grad has shape \(3,\) but the tensor has shape"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        mdl.tensor([1.0, 2.0]).sum().backward()
    with mdl.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


def test_shape_and_value_errors():
    x = mdl.tensor(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(3, 4\)"):
        x.reshape(5, 2)
    with pytest.raises(ValueError, match=r"sum: axis 2 is out of range .*\(3, 4\)"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match=r"max: axis -3 is out of range"):
        x.max(axis=(0, -3))
    with pytest.raises(TypeError, match="either axis= or dim="):
        x.sum(axis=0, dim=1)
    with pytest.raises(ValueError, match=r"cat: cannot join tensors of shapes \(3, 4\), \(2, 3\)"):
        mdl.cat([x, mdl.tensor(np.ones((2, 3)))])
    with pytest.raises(ValueError, match="non-empty"):
        mdl.stack([])
    with pytest.raises(TypeError, match="list or tuple"):
        mdl.concatenate(x)
    with pytest.raises(ValueError, match=r"where: shapes do not broadcast"):
        mdl.where(np.ones(3, bool), x, 0.0)
    with pytest.raises(TypeError, match="where: condition must be boolean"):
        mdl.where(np.ones(4), x, 0.0)
    with pytest.raises(IndexError, match=r"index 5 is out of bounds.*shape \(3, 4\)"):
        x[5]
    with pytest.raises(ValueError, match=r"item\(\): only one-element.*\(3, 4\)"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(TypeError, match="unsupported operand type"):
        x + "a"
    with pytest.raises(TypeError, match="cannot convert"):
        mdl.tensor([[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="unsupported dtype"):
        mdl.tensor(np.array(["a"]))
    with pytest.raises(ValueError, match="at least one of min and max"):
        mdl.clip(x)
    with pytest.raises(ValueError, match=r"permute: \(0, 0\) is not a permutation"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match=r"transpose: dims \(0, 5\) are out of range"):
        x.transpose(0, 5)
    with pytest.raises(ValueError, match="max: cannot reduce an empty tensor"):
        mdl.tensor(np.ones((0,))).max()


def test_numpy_ufuncs_are_refused_and_arrays_defer():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    out = np.array([1.0, 1.0]) * x
    assert isinstance(out, mdl.Tensor) and out.requires_grad
    with pytest.raises(TypeError):
        np.exp(x)


# ---------------------------------------------------------------------------
# Small API surface
# ---------------------------------------------------------------------------


def test_tensor_properties_and_helpers():
    x = mdl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == np.float64
    assert x.size() == (2, 3) and x.size(1) == 3 and x.dim() == 2 and x.numel() == 6
    assert len(x) == 2
    assert x.numpy() is x.data and x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x[1, 2].item() == 5.0 and isinstance(x[1, 2].item(), float)
    assert float(x[0, 1]) == 1.0 and int(x[1, 1]) == 4
    assert repr(mdl.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(x[0]) == "tensor([0., 1., 2.], requires_grad=True)"
    assert "dtype=float32" in repr(mdl.tensor(np.ones(2, np.float32)))
    assert np.asarray(x) is x.data
    assert (x > 2).dtype == bool and not (x > 2).requires_grad
    assert (x == x).data.all() and not (x != x).data.any()
    np.testing.assert_array_equal(x.argmax(axis=1).data, [2, 2])
    np.testing.assert_array_equal(x.argmin(dim=0).data, [0, 0, 0])
    y = mdl.tensor(np.ones(3))
    assert y.zero_() is y and not y.data.any()
    y.fill_(2.0)
    assert (y.data == 2).all()
    assert hash(x) != hash(mdl.tensor(x.data))
    assert x in [x] and len({x, x}) == 1


def test_factories():
    rng = np.random.default_rng(0)
    assert mdl.zeros(2, 3).shape == (2, 3) and mdl.zeros((2, 3)).dtype == np.float64
    assert mdl.ones((2,), dtype=np.float32).dtype == np.float32
    assert mdl.ones(2, requires_grad=True).requires_grad
    r1 = mdl.randn(3, 2, rng=np.random.default_rng(0))
    r2 = mdl.randn((3, 2), rng=np.random.default_rng(0))
    np.testing.assert_array_equal(r1.data, r2.data)
    np.testing.assert_array_equal(r1.data, np.random.default_rng(0).standard_normal((3, 2)))
    assert mdl.randn(2, rng=rng, dtype=np.float32).dtype == np.float32
    assert A.rand(4, rng=rng).data.max() < 1
    assert A.zeros_like(r1).shape == (3, 2) and A.ones_like(np.ones(2, np.float32)).dtype == np.float32
    assert A.arange(3).tolist() == [0, 1, 2]


def test_top_level_names_resolve():
    import mathdl

    for name, module in mathdl._ATTRS.items():
        if module == "autograd":
            assert getattr(mathdl, name) is getattr(A, name)


def test_setitem_only_outside_the_graph():
    W = mdl.tensor(np.zeros((2, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be modified in place"):
        W[0, 0] = 1.0
    with mdl.no_grad():
        W[0, 0] = 1.0
        W[1] = mdl.tensor([2.0, 3.0])
    np.testing.assert_array_equal(W.data, [[1.0, 0.0], [2.0, 3.0]])
    c = mdl.zeros(3)
    c[mdl.tensor(np.array([0, 2]))] = 5.0
    np.testing.assert_array_equal(c.data, [5.0, 0.0, 5.0])
