"""Tests of mathdl.functional: one table drives forward, gradcheck and PyTorch-parity checks."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mathdl as mdl
import mathdl.functional as F
from mathdl.gradcheck import gradcheck

RNG = np.random.default_rng(7)
LABELS = np.array([0, 3, 1, 3, 2])                      # class indices for 5 examples, 4 classes
PROBS = RNG.dirichlet(np.ones(4), size=5)              # class probabilities, rows sum to 1
SOFT = RNG.uniform(0, 1, (5, 4))                        # rows not normalised (allowed, as torch)
BIN = RNG.uniform(0, 1, (3, 4))                         # binary targets in [0, 1]
WEIGHT = RNG.uniform(0.5, 2, (4,))


def _np_log_softmax(z, axis=-1):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


def _np_ce(z, y, reduction):
    logp = _np_log_softmax(z)
    loss = -logp[np.arange(len(y)), y] if y.dtype.kind == "i" else -(y * logp).sum(-1)
    return {"mean": loss.sum() / len(loss), "sum": loss.sum(), "none": loss}[reduction]


def _np_bce(z, y, w, reduction):
    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    loss = loss if w is None else loss * w
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


def _reduce(v, reduction):
    return {"mean": v.mean(), "sum": v.sum(), "none": v}[reduction]


@dataclass
class FOp:
    name: str
    fn: object        # mathdl tensors -> tensor
    ref: object       # numpy arrays -> array
    torch: object     # (torch, F, *tensors) -> tensor
    shapes: tuple
    scale: float = 2.0

    def inputs(self, seed=0):
        rng = np.random.default_rng(seed)
        return [self.scale * rng.standard_normal(s) for s in self.shapes]

    def __repr__(self):
        return self.name


FOPS = [
    FOp("relu", F.relu, lambda z: np.maximum(z, 0), lambda T, TF, z: TF.relu(z), ((3, 4),)),
    FOp("sigmoid", F.sigmoid, lambda z: 1 / (1 + np.exp(-z)), lambda T, TF, z: T.sigmoid(z),
        ((3, 4),)),
    FOp("tanh", F.tanh, np.tanh, lambda T, TF, z: T.tanh(z), ((3, 4),)),
    FOp("softmax", F.softmax, lambda z: np.exp(_np_log_softmax(z)),
        lambda T, TF, z: TF.softmax(z, dim=-1), ((3, 4),)),
    FOp("softmax_dim0", lambda z: F.softmax(z, dim=0), lambda z: np.exp(_np_log_softmax(z, 0)),
        lambda T, TF, z: TF.softmax(z, dim=0), ((3, 4),)),
    FOp("softmax_1d", F.softmax, lambda z: np.exp(_np_log_softmax(z)),
        lambda T, TF, z: TF.softmax(z, dim=-1), ((5,),)),
    FOp("softmax_3d_dim1", lambda z: F.softmax(z, dim=1), lambda z: np.exp(_np_log_softmax(z, 1)),
        lambda T, TF, z: TF.softmax(z, dim=1), ((2, 3, 4),)),
    FOp("log_softmax", F.log_softmax, _np_log_softmax, lambda T, TF, z: TF.log_softmax(z, dim=-1),
        ((3, 4),)),
    FOp("log_softmax_dim0", lambda z: F.log_softmax(z, dim=0), lambda z: _np_log_softmax(z, 0),
        lambda T, TF, z: TF.log_softmax(z, dim=0), ((3, 4),)),
    FOp("logsumexp", F.logsumexp, lambda z: np.log(np.exp(z).sum(-1)),
        lambda T, TF, z: T.logsumexp(z, dim=-1), ((3, 4),)),
    FOp("logsumexp_dim0_keepdim", lambda z: F.logsumexp(z, dim=0, keepdim=True),
        lambda z: np.log(np.exp(z).sum(0, keepdims=True)),
        lambda T, TF, z: T.logsumexp(z, dim=0, keepdim=True), ((3, 4),)),
    FOp("logsumexp_1d", F.logsumexp, lambda z: np.log(np.exp(z).sum()),
        lambda T, TF, z: T.logsumexp(z, dim=-1), ((6,),)),
]
for red in ("mean", "sum", "none"):
    FOPS += [
        FOp(f"mse_loss_{red}", lambda a, b, red=red: F.mse_loss(a, b, reduction=red),
            lambda a, b, red=red: _reduce((a - b) ** 2, red),
            lambda T, TF, a, b, red=red: TF.mse_loss(a, b, reduction=red), ((3, 4), (3, 4))),
        FOp(f"cross_entropy_labels_{red}",
            lambda z, red=red: F.cross_entropy(z, LABELS, reduction=red),
            lambda z, red=red: _np_ce(z, LABELS, red),
            lambda T, TF, z, red=red: TF.cross_entropy(z, T.tensor(LABELS), reduction=red),
            ((5, 4),)),
        FOp(f"cross_entropy_probs_{red}",
            lambda z, red=red: F.cross_entropy(z, PROBS, reduction=red),
            lambda z, red=red: _np_ce(z, PROBS, red),
            lambda T, TF, z, red=red: TF.cross_entropy(z, T.tensor(PROBS), reduction=red),
            ((5, 4),)),
        FOp(f"cross_entropy_target_grad_{red}",
            lambda z, y, red=red: F.cross_entropy(z, y, reduction=red),
            lambda z, y, red=red: _np_ce(z, y, red),
            lambda T, TF, z, y, red=red: TF.cross_entropy(z, y, reduction=red),
            ((5, 4), (5, 4))),
        FOp(f"nll_loss_{red}",
            lambda z, red=red: F.nll_loss(F.log_softmax(z, dim=1), LABELS, reduction=red),
            lambda z, red=red: _np_ce(z, LABELS, red),
            lambda T, TF, z, red=red: TF.nll_loss(TF.log_softmax(z, dim=1), T.tensor(LABELS),
                                                  reduction=red), ((5, 4),)),
        FOp(f"bce_with_logits_{red}",
            lambda z, red=red: F.binary_cross_entropy_with_logits(z, BIN, reduction=red),
            lambda z, red=red: _np_bce(z, BIN, None, red),
            lambda T, TF, z, red=red: TF.binary_cross_entropy_with_logits(
                z, T.tensor(BIN), reduction=red), ((3, 4),)),
        FOp(f"bce_with_logits_weight_target_grad_{red}",
            lambda z, y, red=red: F.binary_cross_entropy_with_logits(z, y, weight=WEIGHT,
                                                                     reduction=red),
            lambda z, y, red=red: _np_bce(z, y, WEIGHT, red),
            lambda T, TF, z, y, red=red: TF.binary_cross_entropy_with_logits(
                z, y, weight=T.tensor(WEIGHT), reduction=red), ((3, 4), (3, 4))),
    ]
FOPS += [
    FOp("cross_entropy_1d_label", lambda z: F.cross_entropy(z, np.array(2)),
        lambda z: -_np_log_softmax(z)[2],
        lambda T, TF, z: TF.cross_entropy(z, T.tensor(2)), ((4,),)),
    FOp("cross_entropy_1d_probs", lambda z: F.cross_entropy(z, PROBS[0]),
        lambda z: -(PROBS[0] * _np_log_softmax(z)).sum(),
        lambda T, TF, z: TF.cross_entropy(z, T.tensor(PROBS[0])), ((4,),)),
    FOp("cross_entropy_unnormalised_probs", lambda z: F.cross_entropy(z, SOFT),
        lambda z: _np_ce(z, SOFT, "mean"),
        lambda T, TF, z: TF.cross_entropy(z, T.tensor(SOFT)), ((5, 4),)),
    FOp("cross_entropy_list_labels", lambda z: F.cross_entropy(z, [1, 0, 2]),
        lambda z: _np_ce(z, np.array([1, 0, 2]), "mean"),
        lambda T, TF, z: TF.cross_entropy(z, T.tensor([1, 0, 2])), ((3, 4),)),
    FOp("cross_entropy_tensor_labels", lambda z: F.cross_entropy(z, mdl.tensor(LABELS)),
        lambda z: _np_ce(z, LABELS, "mean"),
        lambda T, TF, z: TF.cross_entropy(z, T.tensor(LABELS)), ((5, 4),)),
    FOp("linear", F.linear, lambda X, W, b: X @ W + b,
        lambda T, TF, X, W, b: TF.linear(X, W.T, b), ((5, 3), (3, 4), (4,)), 1.0),
    FOp("linear_no_bias", F.linear, lambda X, W: X @ W,
        lambda T, TF, X, W: TF.linear(X, W.T), ((5, 3), (3, 4)), 1.0),
    FOp("linear_batched", F.linear, lambda X, W, b: X @ W + b,
        lambda T, TF, X, W, b: TF.linear(X, W.T, b), ((2, 5, 3), (3, 4), (4,)), 1.0),
    FOp("linear_1d", F.linear, lambda X, W, b: X @ W + b,
        lambda T, TF, X, W, b: TF.linear(X, W.T, b), ((3,), (3, 4), (4,)), 1.0),
    FOp("mlp_like_linear", lambda X, W, b: F.cross_entropy(F.linear(X, W, b).relu(), LABELS),
        lambda X, W, b: _np_ce(np.maximum(X @ W + b, 0), LABELS, "mean"),
        lambda T, TF, X, W, b: TF.cross_entropy(TF.linear(X, W.T, b).relu(), T.tensor(LABELS)),
        ((5, 3), (3, 4), (4,)), 1.0),
    FOp("mlp_like", lambda X, W, b: F.cross_entropy((X @ W + b).relu(), LABELS),
        lambda X, W, b: _np_ce(np.maximum(X @ W + b, 0), LABELS, "mean"),
        lambda T, TF, X, W, b: TF.cross_entropy((X @ W + b).relu(), T.tensor(LABELS)),
        ((5, 3), (3, 4), (4,)), 1.0),
]


def _inputs(op):
    xs = op.inputs()
    if "target_grad" in op.name:  # second input is a probability target
        xs[1] = PROBS.copy() if op.name.startswith("cross") else BIN.copy()
    return xs


@pytest.mark.parametrize("op", FOPS, ids=repr)
def test_forward_matches_numpy(op):
    xs = _inputs(op)
    out = op.fn(*[mdl.tensor(x) for x in xs])
    want = op.ref(*xs)
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("op", FOPS, ids=repr)
def test_gradient_matches_central_differences(op):
    xs = [mdl.tensor(x, requires_grad=True) for x in _inputs(op)]
    assert gradcheck(op.fn, xs, eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("op", FOPS, ids=repr)
def test_matches_pytorch(op):
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    xs = _inputs(op)
    ours = [mdl.tensor(x, requires_grad=True) for x in xs]
    theirs = [torch.tensor(x, requires_grad=True) for x in xs]
    out, tout = op.fn(*ours), op.torch(torch, TF, *theirs)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-13)
    G = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(G)
    tout.backward(torch.tensor(G))
    for x, tx in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-13)


def test_softmax_rows_sum_to_one_and_fused_single_node():
    z = mdl.tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)
    p = F.softmax(z, dim=1)
    np.testing.assert_allclose(p.data.sum(axis=1), 1.0, rtol=1e-15)
    loss = F.cross_entropy(z, np.array([0, 1, 2, 3]))
    assert loss.grad_fn is F.cross_entropy_p and loss._inputs[0] is z


# ---------------------------------------------------------------------------
# Stability at logits of +-1e4
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stable_at_large_logits(dtype):
    big = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            z = mdl.tensor(big, requires_grad=True)
            lse = F.logsumexp(z, dim=1)
            np.testing.assert_allclose(lse.data, [1e4, -1e4 + np.log(3), 1e4 + np.log(2)],
                                       rtol=1e-6)
            p = F.softmax(z, dim=1)
            np.testing.assert_allclose(p.data, [[1, 0, 0], [1 / 3] * 3, [0.5, 0.5, 0]],
                                       atol=1e-7)
            logp = F.log_softmax(z, dim=1)
            np.testing.assert_allclose(logp.data[0], [0, -2e4, -1e4], rtol=1e-6)
            ce = F.cross_entropy(z, np.array([1, 0, 2]))
            np.testing.assert_allclose(ce.data, (2e4 + np.log(3) + 2e4 + np.log(2)) / 3,
                                       rtol=1e-6)
            bce = F.binary_cross_entropy_with_logits(z, np.ones_like(big) / 2)
            total = lse.sum() + (p * p).sum() + logp.sum() + ce + bce
            total.backward()
    assert np.all(np.isfinite(z.grad)) and z.grad.dtype == dtype
    assert lse.dtype == p.dtype == ce.dtype == dtype


def test_large_logits_match_torch():
    torch = pytest.importorskip("torch")
    big = np.array([[1e4, -1e4, 0.0], [-1e4, 5.0, 1e4]])
    labels = np.array([1, 2])
    z, tz = mdl.tensor(big, requires_grad=True), torch.tensor(big, requires_grad=True)
    (F.cross_entropy(z, labels) + F.binary_cross_entropy_with_logits(z, np.full_like(big, 0.3))
     ).backward()
    (torch.nn.functional.cross_entropy(tz, torch.tensor(labels))
     + torch.nn.functional.binary_cross_entropy_with_logits(tz, torch.full_like(tz, 0.3))
     ).backward()
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    with np.errstate(invalid="raise"):
        out = F.logsumexp(mdl.tensor([[-np.inf, -np.inf], [0.0, -np.inf]]), dim=1)
    assert out.data[0] == -np.inf and out.data[1] == 0.0


# ---------------------------------------------------------------------------
# dtype and errors
# ---------------------------------------------------------------------------


def test_float32_stays_float32():
    z = mdl.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    for loss in (F.cross_entropy(z, np.array([0, 1, 2])), F.softmax(z).sum(),
                 F.log_softmax(z).sum(), F.logsumexp(z).sum(),
                 F.mse_loss(z, np.zeros((3, 4), np.float32)),
                 F.binary_cross_entropy_with_logits(z, np.ones((3, 4), np.float32))):
        assert loss.dtype == np.float32, loss
        z.grad = None
        loss.backward()
        assert z.grad.dtype == np.float32


@pytest.mark.parametrize("fn", [
    lambda r: F.mse_loss(mdl.tensor([1.0]), mdl.tensor([1.0]), reduction=r),
    lambda r: F.cross_entropy(mdl.tensor([[1.0, 2.0]]), [0], reduction=r),
    lambda r: F.nll_loss(mdl.tensor([[1.0, 2.0]]), [0], reduction=r),
    lambda r: F.binary_cross_entropy_with_logits(mdl.tensor([1.0]), [1.0], reduction=r),
])
def test_unknown_reduction_lists_valid_ones(fn):
    with pytest.raises(ValueError, match=r"unknown reduction 'avg'; valid options are "
                                         r"'mean', 'sum', 'none'"):
        fn("avg")


def test_target_errors_are_clear():
    z = mdl.tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"cross_entropy: target class 4 is out of range for 4 "
                                         r"classes \(valid: 0..3\)"):
        F.cross_entropy(z, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="target class -1 is out of range"):
        F.cross_entropy(z, np.array([0, -1, 1]))
    for dtype in ("int8", "uint8", "int32", ">i4", "uint64"):   # every integer dtype is checked
        with pytest.raises(ValueError, match="target class 4 is out of range for 4 classes"):
            F.cross_entropy(z, np.array([0, 4, 1], dtype=dtype))
    for dtype in ("int8", "int32", ">i4"):
        with pytest.raises(ValueError, match="target class -1 is out of range"):
            F.cross_entropy(z, np.array([0, -1, 1], dtype=dtype))
    with pytest.raises(ValueError, match=r"class-index target must have shape \(3,\) for logits "
                                         r"of shape \(3, 4\), got \(3, 1\)"):
        F.cross_entropy(z, np.zeros((3, 1), int))
    with pytest.raises(ValueError, match=r"probability target must have the logits' shape "
                                         r"\(3, 4\), got \(3,\)"):
        F.cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="target must be integer class indices or float"):
        F.cross_entropy(z, np.array(["a", "b", "c"]))
    with pytest.raises(ValueError, match=r"logits must have shape \(B, C\) or \(C,\), got "
                                         r"\(2, 3, 4\)"):
        F.cross_entropy(mdl.tensor(np.zeros((2, 3, 4))), np.zeros((2, 3), int))
    with pytest.raises(TypeError, match="nll_loss: target must be integer"):
        F.nll_loss(z, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(3, 1\) and target shape "
                                         r"\(3,\) differ"):
        F.mse_loss(mdl.tensor(np.zeros((3, 1))), np.zeros(3))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: target shape \(4,\)"
                                         r" must equal input shape \(3, 4\)"):
        F.binary_cross_entropy_with_logits(z, np.zeros(4))
    with pytest.raises(ValueError, match=r"weight shape \(3,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(z, np.zeros((3, 4)), weight=np.ones(3))
    with pytest.raises(ValueError, match=r"softmax: dim 2 is out of range for a tensor of shape "
                                         r"\(3, 4\)"):
        F.softmax(z, dim=2)
    with pytest.raises(ValueError, match=r"linear: input of shape \(3, 4\) does not match "
                                         r"weight of shape \(3, 2\)"):
        F.linear(z, np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"linear: bias of shape \(3,\) does not match"):
        F.linear(z, np.ones((4, 2)), np.ones(3))
    with pytest.raises(TypeError, match="log_softmax: expected a Tensor"):
        F.log_softmax("abc")


def test_accepts_numpy_inputs_like_tensors():
    z = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(F.softmax(z).data, F.softmax(mdl.tensor(z)).data)
    assert not F.cross_entropy(z, [0, 1, 2]).requires_grad


# ---------------------------------------------------------------------------
# Hypothesis: properties over random bounded logits
# ---------------------------------------------------------------------------

_logits = hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 6)),
                     elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False))


@settings(max_examples=50, deadline=None)
@given(_logits, st.floats(-1e3, 1e3), st.data())
def test_hypothesis_cross_entropy_gradient_is_softmax_minus_onehot(Z, shift, data):
    B, C = Z.shape
    y = np.array(data.draw(st.lists(st.integers(0, C - 1), min_size=B, max_size=B)))
    z = mdl.tensor(Z, requires_grad=True)
    loss = F.cross_entropy(z, y)
    loss.backward()
    p = F.softmax(mdl.tensor(Z), dim=1).data
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(z.grad, (p - np.eye(C)[y]) / B, atol=1e-12)
    # softmax and cross-entropy do not change when every logit is shifted
    shifted = F.cross_entropy(mdl.tensor(Z + shift), y)
    np.testing.assert_allclose(shifted.data, loss.data, rtol=1e-9, atol=1e-9)
    assert loss.data >= 0


@settings(max_examples=50, deadline=None)
@given(_logits)
def test_hypothesis_log_softmax_is_log_of_softmax_and_lse_bounds(Z):
    logp = F.log_softmax(mdl.tensor(Z), dim=1).data
    np.testing.assert_allclose(np.exp(logp), F.softmax(mdl.tensor(Z), dim=1).data, atol=1e-12)
    lse = F.logsumexp(mdl.tensor(Z), dim=1).data
    m = Z.max(axis=1)
    assert np.all(lse >= m - 1e-12) and np.all(lse <= m + np.log(Z.shape[1]) + 1e-12)


def test_every_functional_primitive_has_a_rule_and_is_in_the_table():
    from mathdl.autograd import VJP_RULES

    primitives = {n for n in dir(F) if n.endswith("_p") and callable(getattr(F, n))}
    exercised = set()
    for op in FOPS:
        out = op.fn(*[mdl.tensor(x, requires_grad=True) for x in _inputs(op)])
        stack = [out]
        while stack:
            t = stack.pop()
            if t.grad_fn is not None:
                exercised.add(t.grad_fn.__name__)
                stack.extend(i for i in t._inputs if i is not None)
    for name in primitives:
        assert getattr(F, name) in VJP_RULES, f"{name} has no VJP rule"
    assert not primitives - exercised, sorted(primitives - exercised)


def test_cross_entropy_with_non_contiguous_logits():
    torch = pytest.importorskip("torch")
    Z = np.random.default_rng(0).standard_normal((4, 5))
    z = mdl.tensor(Z, requires_grad=True)
    tz = torch.tensor(Z, requires_grad=True)
    labels = np.array([0, 1, 2, 3, 0])
    loss = F.cross_entropy(z.T, labels) + F.cross_entropy(z[:, ::2].T, labels[:3] % 4)
    tloss = (torch.nn.functional.cross_entropy(tz.T, torch.tensor(labels))
             + torch.nn.functional.cross_entropy(tz[:, ::2].T, torch.tensor(labels[:3] % 4)))
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", ">i4", "int64", "uint64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_any_integer_target_dtype(dtype, reduction):
    """Class indices of any integer dtype give the int64 result, loss and gradient."""
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 4))
    labels = np.array([0, 3, 1, 2, 3])
    ref = mdl.tensor(logits, requires_grad=True)
    ref_loss = F.cross_entropy(ref, labels, reduction=reduction)
    ref_loss.sum().backward()
    z = mdl.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, labels.astype(dtype), reduction=reduction)
    loss.sum().backward()
    np.testing.assert_array_equal(loss.data, ref_loss.data)
    np.testing.assert_array_equal(z.grad, ref.grad)


@pytest.mark.filterwarnings("error")  # no RuntimeWarning from numpy's empty mean or 1/0
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss, target", [
    (F.cross_entropy, np.zeros(0, int)),
    (F.cross_entropy, np.zeros((0, 3))),
    (F.nll_loss, np.zeros(0, int)),
    (F.mse_loss, np.zeros((0, 3))),
    (F.binary_cross_entropy_with_logits, np.zeros((0, 3))),
])
def test_losses_of_an_empty_batch_are_pytorchs(loss, target, reduction):
    """As in PyTorch: the mean over no examples is nan, the sum is +0, 'none' is empty, and
    the gradient is an empty array; no warnings."""
    z = mdl.tensor(np.zeros((0, 3)), requires_grad=True)
    out = loss(z, target, reduction=reduction)
    if reduction == "mean":
        assert np.isnan(out.item())
    elif reduction == "sum":
        assert out.item() == 0.0 and not np.signbit(out.item())
    else:
        assert out.shape == target.shape[:1] or out.shape == target.shape
        assert out.data.size == 0
    out.sum().backward()
    assert z.grad.shape == (0, 3)
