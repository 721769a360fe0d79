"""Tests of mathdl.landscape: Hessian-vector products, eigenvalues, directions and slices."""

import numpy as np
import pytest

import mathdl as mdl
import mathdl.functional as F
from mathdl import landscape as ls


# ---- fixtures ------------------------------------------------------------------------------
def quadratic(n=6, seed=0):
    """L(w) = 1/2 w^T A w + c^T w with a symmetric indefinite A: H = A everywhere."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    A = A + A.T
    c = rng.normal(size=n)
    w = mdl.tensor(rng.normal(size=n), requires_grad=True)
    At, ct = mdl.tensor(A), mdl.tensor(c)
    return A, w, (lambda: 0.5 * (w @ (At @ w)) + ct @ w)


def tiny_tanh_net(seed=1):
    """A 3-3-1 tanh regression net on 8 points: 16 parameters, smooth loss."""
    rng = np.random.default_rng(seed)
    net = mdl.nn.MLP([3, 3, 1], activation="tanh", rng=rng)
    X = mdl.tensor(rng.normal(size=(8, 3)))
    y = mdl.tensor(rng.normal(size=(8, 1)))
    params = list(net.parameters())
    return net, params, (lambda: F.mse_loss(net(X), y)), X, y


def relu_classifier(seed=2):
    rng = np.random.default_rng(seed)
    net = mdl.nn.MLP([2, 8, 8, 3], rng=rng)
    X = mdl.tensor(rng.normal(size=(30, 2)))
    labels = rng.integers(0, 3, size=30)
    return net, list(net.parameters()), (lambda: F.cross_entropy(net(X), labels))


def flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def loss_of_vector(params, loss_fn, vec):
    """Loss at the flattened parameter vector vec (params restored)."""
    saved = [p.data for p in params]
    start = 0
    try:
        for p in params:
            p.data = vec[start:start + p.data.size].reshape(p.shape).copy()
            start += p.data.size
        return float(loss_fn().data)
    finally:
        for p, s in zip(params, saved, strict=True):
            p.data = s


def dense_hessian_by_values(params, loss_fn, h=1e-4):
    """Independent reference: second differences of loss VALUES (no gradients)."""
    x0 = flat([p.data for p in params])
    n = x0.size
    H = np.empty((n, n))
    E = np.eye(n) * h
    for i in range(n):
        for j in range(i, n):
            f = lambda v: loss_of_vector(params, loss_fn, x0 + v)  # noqa: E731
            H[i, j] = H[j, i] = (f(E[i] + E[j]) - f(E[i] - E[j]) - f(E[j] - E[i]) + f(-E[i] - E[j])) / (4 * h * h)
    return H


# ---- gradient and hvp --------------------------------------------------------------------------
def test_gradient_matches_formula_and_leaves_grad_untouched():
    A, w, loss = quadratic()
    c = np.random.default_rng(0)          # rebuild c exactly as quadratic() drew it
    c.normal(size=(6, 6))
    c = c.normal(size=6)
    w.grad = np.full(6, 7.0)
    g = ls.gradient(loss, [w])[0]
    assert np.all(w.grad == 7.0), "gradient() must not accumulate into .grad"
    assert np.allclose(g, A @ w.data + c, rtol=1e-13, atol=1e-13)


def test_hvp_exact_on_quadratic():
    A, w, loss = quadratic()
    v = np.random.default_rng(3).normal(size=6)
    Hv = ls.hvp(loss, [w], [v])[0]
    assert np.allclose(Hv, A @ v, rtol=1e-8, atol=1e-8)


def test_hvp_restores_parameters_and_handles_zero_vector():
    _, params, loss, _, _ = tiny_tanh_net()
    before = [p.data.copy() for p in params]
    ids = [id(p.data) for p in params]
    ls.hvp(loss, params, [np.ones(p.shape) for p in params])
    assert all(np.array_equal(b, p.data) for b, p in zip(before, params, strict=True))
    assert ids == [id(p.data) for p in params]
    zero = ls.hvp(loss, params, [np.zeros(p.shape) for p in params])
    assert all(np.all(z == 0) for z in zero)


def test_hessian_of_the_saddle():
    H = ls.hessian(lambda w: 5 * w[0] ** 2 - w[1] ** 2, np.array([0.3, -0.2]))
    assert np.allclose(H, [[10.0, 0.0], [0.0, -2.0]], atol=1e-8)
    assert np.array_equal(H, H.T)


def test_hessian_of_small_mlp_matches_second_differences_of_values():
    _, params, loss, _, _ = tiny_tanh_net()
    H_ref = dense_hessian_by_values(params, loss)
    n = H_ref.shape[0]
    H = np.empty((n, n))
    shapes = [p.shape for p in params]
    for i in range(n):
        e = np.zeros(n)
        e[i] = 1.0
        pieces, start = [], 0
        for s in shapes:
            size = int(np.prod(s))
            pieces.append(e[start:start + size].reshape(s))
            start += size
        H[:, i] = flat(ls.hvp(loss, params, pieces))
    assert np.max(np.abs(H - H_ref)) < 1e-5 * max(1.0, np.max(np.abs(H_ref)))
    assert np.max(np.abs(H - H.T)) < 1e-7


def test_hvp_error_is_second_order_in_eps():
    # L(w) = sum(exp(w)): H = diag(exp(w)); the difference quotient errs by eps^2 exp(w) v^3 / 6
    w = mdl.tensor(np.array([0.5, -0.3, 1.0]), requires_grad=True)
    v = np.array([1.0, 2.0, -1.0])
    exact = np.exp(w.data) * v
    errs = [np.max(np.abs(ls.hvp(lambda: mdl.exp(w).sum(), [w], [v], eps=e)[0] - exact))
            for e in (1e-2, 5e-3)]
    assert 3.5 < errs[0] / errs[1] < 4.5, errs


# ---- eigenvalues ---------------------------------------------------------------------------
def test_hessian_eigs_extremes_of_quadratic():
    A, w, loss = quadratic(n=40, seed=5)
    lam = np.linalg.eigvalsh(A)
    rng = np.random.default_rng(0)
    top = ls.hessian_eigs(loss, [w], k=3, rng=rng)
    bottom = ls.hessian_eigs(loss, [w], k=2, which="smallest", rng=rng)
    assert np.allclose(top, lam[::-1][:3], rtol=1e-6)
    assert np.allclose(bottom, lam[:2], rtol=1e-6)


def test_hessian_eigs_full_spectrum_and_vectors():
    A, w, loss = quadratic(n=6)
    vals, vecs = ls.hessian_eigs(loss, [w], k=6, num_iters=6, rng=np.random.default_rng(1),
                                 return_vectors=True)
    assert np.allclose(vals, np.linalg.eigvalsh(A)[::-1], atol=1e-7)
    for lam, v in zip(vals, vecs, strict=True):
        assert abs(np.linalg.norm(v[0]) - 1) < 1e-12
        assert np.allclose(A @ v[0], lam * v[0], atol=1e-6)


def test_hessian_eigs_restarts_on_invariant_subspace():
    # H = diag(1, 1, 1, 2): the Krylov space of a generic start has dimension 2 only
    w = mdl.tensor(np.zeros(4), requires_grad=True)
    d = mdl.tensor(np.array([1.0, 1.0, 1.0, 2.0]))
    vals = ls.hessian_eigs(lambda: 0.5 * (d * w * w).sum(), [w], k=4, num_iters=4,
                           rng=np.random.default_rng(0))
    assert np.allclose(vals, [2, 1, 1, 1], atol=1e-7)


def test_hessian_eigs_on_mlp_match_dense():
    _, params, loss, _, _ = tiny_tanh_net()
    lam = np.linalg.eigvalsh(dense_hessian_by_values(params, loss))
    top = ls.hessian_eigs(loss, params, k=2, num_iters=16, rng=np.random.default_rng(0))
    assert np.allclose(top, lam[::-1][:2], atol=1e-5)


# ---- directions -------------------------------------------------------------------------------
def test_random_direction_shapes_and_determinism():
    _, params, _ = relu_classifier()
    d1 = ls.random_direction(params, np.random.default_rng(4))
    d2 = ls.random_direction(params, np.random.default_rng(4))
    assert [d.shape for d in d1] == [p.shape for p in params]
    assert all(np.array_equal(a, b) for a, b in zip(d1, d2, strict=True))


def test_filter_normalize_columns_and_biases():
    _, params, _ = relu_classifier()
    d = ls.random_direction(params, np.random.default_rng(0))
    d_copy = [a.copy() for a in d]
    nd = ls.filter_normalize(d, params)
    assert all(np.array_equal(a, b) for a, b in zip(d, d_copy, strict=True)), "input must not be modified"
    for di, p in zip(nd, params, strict=True):
        if p.ndim == 2:     # (in, out): each column has the norm of the weight's column
            assert np.allclose(np.linalg.norm(di, axis=0), np.linalg.norm(p.data, axis=0), rtol=1e-12)
        else:
            assert np.all(di == 0)
    nb = ls.filter_normalize(d, params, bias="norm")
    for di, p in zip(nb, params, strict=True):
        if p.ndim == 1:
            assert np.isclose(np.linalg.norm(di), np.linalg.norm(p.data), rtol=1e-12)


def test_filter_normalize_keeps_zero_filters_zero():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    d = np.array([[0.0, 1.0], [0.0, 1.0]])
    out = ls.filter_normalize([d], [W])[0]
    assert np.all(out[:, 0] == 0) and np.all(np.isfinite(out))
    assert np.isclose(np.linalg.norm(out[:, 1]), np.linalg.norm(W[:, 1]))


def rescaled_copy(net, a):
    """Same function: layer 0 (weights and bias) times a, layer 2 weights divided by a (ReLU between)."""
    twin = mdl.nn.MLP(net.sizes, rng=np.random.default_rng(0))
    twin.load_state_dict(net.state_dict())
    twin[0].weight.data = twin[0].weight.data * a
    twin[0].bias.data = twin[0].bias.data * a
    twin[2].weight.data = twin[2].weight.data / a
    return twin


def test_rescaling_invariance_of_filter_normalized_slices():
    net, params, _ = relu_classifier()
    rng = np.random.default_rng(9)
    X = mdl.tensor(rng.normal(size=(30, 2)))
    labels = rng.integers(0, 3, size=30)
    twin = rescaled_copy(net, 5.0)
    tparams = list(twin.parameters())
    with mdl.no_grad():
        assert np.allclose(net(X).data, twin(X).data, rtol=1e-12, atol=1e-12)
    loss = lambda: F.cross_entropy(net(X), labels)       # noqa: E731
    tloss = lambda: F.cross_entropy(twin(X), labels)     # noqa: E731
    d1 = ls.random_direction(params, np.random.default_rng(1))
    d2 = ls.random_direction(params, np.random.default_rng(2))
    grid = np.linspace(-1, 1, 5)
    S = ls.slice_2d(loss, params, ls.filter_normalize(d1, params), ls.filter_normalize(d2, params), grid, grid)
    St = ls.slice_2d(tloss, tparams, ls.filter_normalize(d1, tparams), ls.filter_normalize(d2, tparams),
                     grid, grid)
    assert np.max(np.abs(S - St)) < 1e-10
    R = ls.slice_2d(loss, params, d1, d2, grid, grid)
    Rt = ls.slice_2d(tloss, tparams, d1, d2, grid, grid)
    assert np.max(np.abs(R - Rt)) > 0.1


# ---- slices -----------------------------------------------------------------------------------
def test_interpolate_1d_endpoints_and_restoration():
    net, params, loss = relu_classifier(seed=2)
    other, oparams, oloss = relu_classifier(seed=3)
    with mdl.no_grad():
        La = float(loss().data)
    before = [p.data.copy() for p in params]
    vals = ls.interpolate_1d(loss, params, oparams, [0.0, 0.5, 1.0])
    assert vals.shape == (3,)
    assert np.isclose(vals[0], La, rtol=1e-14)
    # the loss function of net at B's parameters
    saved = [p.data for p in params]
    for p, q in zip(params, oparams, strict=True):
        p.data = q.data
    with mdl.no_grad():
        Lb = float(loss().data)
    for p, s in zip(params, saved, strict=True):
        p.data = s
    assert np.isclose(vals[2], Lb, rtol=1e-14)
    assert all(np.array_equal(b, p.data) for b, p in zip(before, params, strict=True))


def test_slice_2d_layout():
    w = mdl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = lambda: (w[0] * 10 + w[1]).sum()            # noqa: E731
    alphas, betas = np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0])
    Z = ls.slice_2d(loss, [w], [np.array([1.0, 0.0])], [np.array([0.0, 1.0])], alphas, betas)
    assert Z.shape == (2, 3)
    A, B = np.meshgrid(alphas, betas)
    assert np.allclose(Z, 10 * (1 + A) + (2 + B))
    assert np.array_equal(w.data, [1.0, 2.0])


def test_slice_restores_parameters_when_loss_raises():
    w = mdl.tensor(np.array([1.0, 2.0]), requires_grad=True)

    def bad():
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        ls.slice_2d(bad, [w], [np.ones(2)], [np.ones(2)], [1.0], [1.0])
    assert np.array_equal(w.data, [1.0, 2.0])


# ---- errors -----------------------------------------------------------------------------------
def test_errors_name_the_operation_and_shapes():
    _, params, loss = relu_classifier()
    bad = [np.zeros(p.shape) for p in params]
    bad[0] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"hvp: v\[0\] has shape \(3, 3\), but parameter 0 has shape \(2, 8\)"):
        ls.hvp(loss, params, bad)
    with pytest.raises(ValueError, match="slice_2d: d2 has 1 arrays but there are 6 parameters"):
        ls.slice_2d(loss, params, [np.zeros(p.shape) for p in params], [np.zeros(2)], [0.0], [0.0])
    with pytest.raises(ValueError, match=r"filter_normalize: direction\[0\] has shape"):
        ls.filter_normalize(bad, params)
    with pytest.raises(ValueError, match="valid values are 'zero', 'norm'"):
        ls.filter_normalize([np.zeros(p.shape) for p in params], params, bias="ignore")
    with pytest.raises(ValueError, match="valid values are 'largest', 'smallest'"):
        ls.hessian_eigs(loss, params, which="LA", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="k must be an int"):
        ls.hessian_eigs(loss, params, k=0, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a np.random.Generator"):
        ls.hessian_eigs(loss, params, rng=0)
    with pytest.raises(TypeError, match="random_direction: rng"):
        ls.random_direction(params, None)
    with pytest.raises(TypeError, match=r"params\[0\] is a ndarray"):
        ls.hvp(loss, [np.zeros(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match="interpolate_1d: alphas must be a non-empty 1-D"):
        ls.interpolate_1d(loss, params, params, [])
    with pytest.raises(ValueError, match="hvp: eps must be a positive number"):
        ls.hvp(loss, params, [np.zeros(p.shape) for p in params], eps=0)


def test_layering_imports_only_allowed_modules():
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(ls))
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert mods <= {"__future__", "autograd", "functional", "nn"}, mods


# ---- PyTorch parity ------------------------------------------------------------------------------
def test_hvp_matches_torch_double_backward():
    torch = pytest.importorskip("torch")
    net, params, loss, X, y = tiny_tanh_net()
    v = [np.random.default_rng(5).normal(size=p.shape) for p in params]
    ours = flat(ls.hvp(loss, params, v))

    def torch_loss(W1, b1, W2, b2):
        Xt = torch.tensor(X.data)
        out = torch.tanh(Xt @ W1 + b1) @ W2 + b2
        return ((out - torch.tensor(y.data)) ** 2).mean()
    inputs = tuple(torch.tensor(p.data) for p in params)
    _, hv = torch.autograd.functional.hvp(torch_loss, inputs, tuple(torch.tensor(a) for a in v))
    ref = flat([h.numpy() for h in hv])
    assert np.allclose(ours, ref, rtol=1e-6, atol=1e-8)


def test_filter_normalize_matches_li_et_al_in_torch_layout():
    """Li et al.'s code normalises each row of a PyTorch (out, in) weight: our columns, transposed."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    W = rng.normal(size=(4, 3))               # mathdl (in, out)
    d = rng.normal(size=(4, 3))
    ours = ls.filter_normalize([d], [W])[0]
    dt, Wt = torch.tensor(d.T.copy()), torch.tensor(W.T.copy())   # PyTorch (out, in)
    for drow, wrow in zip(dt, Wt, strict=True):                                 # their normalize_direction
        drow.mul_(wrow.norm() / (drow.norm() + 1e-10))
    assert np.allclose(ours, dt.numpy().T, rtol=1e-9)
