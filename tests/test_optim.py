"""Tests of mathdl.optim: PyTorch-parity trajectories, API, state_dict and validation."""

import copy
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mathdl as mdl
from mathdl import optim

# ---------------------------------------------------------------------------------------
# A small test problem with a known gradient field, evaluated in numpy for both libraries,
# so that only the optimizers are compared. Three parameters; the third one ("c") gets a
# gradient only on even steps, which exercises "parameters whose grad is None are skipped".
# ---------------------------------------------------------------------------------------

_rng = np.random.default_rng(0)
_M = _rng.normal(size=(4, 4))
A = _M @ _M.T / 4 + 0.1 * np.eye(4)
W0 = _rng.normal(size=(3, 4))
b0 = _rng.normal(size=4)
c0 = _rng.normal(size=2)
NUM_STEPS = 100


def grads(W, b, c, step, sign=1.0):
    gW = W @ A + 0.1 * W**3 + b + 0.3
    gb = 2.0 * b + 0.1 * W.sum(axis=0) - 0.5
    gc = (c - 1.0) if step % 2 == 0 else None
    if sign != 1.0:
        gW, gb = sign * gW, sign * gb
        gc = None if gc is None else sign * gc
    return gW, gb, gc


def run_mathdl(cls, kwargs, sign=1.0, groups=None, num_steps=NUM_STEPS):
    params = [mdl.tensor(x, requires_grad=True) for x in (W0, b0, c0)]
    opt = cls(params if groups is None else groups(params), **kwargs)
    history = []
    for t in range(num_steps):
        opt.zero_grad()
        for p, g in zip(params, grads(*(p.data for p in params), t, sign), strict=True):
            p.grad = None if g is None else g.copy()
        opt.step()
        history.append([p.data.copy() for p in params])
    return history, opt


def run_torch(torch, name, kwargs, sign=1.0, groups=None, num_steps=NUM_STEPS):
    params = [torch.tensor(x, requires_grad=True) for x in (W0, b0, c0)]
    cls = getattr(torch.optim, name)
    opt = cls(params if groups is None else groups(params), foreach=False, **kwargs)
    history = []
    for t in range(num_steps):
        opt.zero_grad()
        for p, g in zip(params, grads(*(p.detach().numpy() for p in params), t, sign), strict=True):
            p.grad = None if g is None else torch.from_numpy(g.copy())
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def max_diff(h1, h2):
    return max(
        np.abs(a - b).max()
        for s1, s2 in zip(h1, h2, strict=True)
        for a, b in zip(s1, s2, strict=True)
    )


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.2, "weight_decay": 0.1}),
    ("SGD", {}),  # default lr=1e-3
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.3, "eps": 1e-3, "lr_decay": 0.1, "weight_decay": 0.01}),
    ("Adagrad", {}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.02, "alpha": 0.5, "centered": True}),  # lerp's other branch
    # eps is not tiny here on purpose: as the gradients tend to 0, g / (sqrt(v) + eps) with a
    # small eps is ill-conditioned and amplifies rounding differences (PyTorch's kernels use
    # FMA) to ~1e-8 over 100 steps; a 1e-16 perturbation of the start point does the same
    # within one library.
    (
        "RMSprop",
        {
            "lr": 0.01,
            "alpha": 0.8,
            "eps": 1e-2,
            "centered": True,
            "momentum": 0.5,
            "weight_decay": 0.01,
        },
    ),
    ("RMSprop", {}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "betas": (0.5, 0.9)}),  # 1 - beta1 >= 0.5: lerp's other branch
    (
        "Adam",
        {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 0.05, "amsgrad": True},
    ),
    ("Adam", {}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.0}),
    ("AdamW", {"lr": 0.05, "betas": (0.3, 0.95), "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {}),
]


def _id(case):
    name, kw = case
    return name + "-" + ("-".join(f"{k}={v}" for k, v in kw.items()) or "defaults")


@pytest.mark.parametrize("name, kwargs", CASES, ids=[_id(c) for c in CASES])
def test_trajectory_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, _ = run_mathdl(getattr(optim, name), kwargs)
    theirs = run_torch(torch, name, kwargs)
    assert max_diff(ours, theirs) < 1e-10
    # the run actually moved the parameters
    assert np.abs(ours[-1][0] - W0).max() > 1e-3


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_maximize_matches_torch(name):
    torch = pytest.importorskip("torch")
    kwargs = {"lr": 0.01, "maximize": True}
    if name == "SGD":
        kwargs["momentum"] = 0.9
    # ascending the negated field is descending the original one
    ours, _ = run_mathdl(getattr(optim, name), kwargs, sign=-1.0)
    theirs = run_torch(torch, name, kwargs, sign=-1.0)
    assert max_diff(ours, theirs) < 1e-10
    plain, _ = run_mathdl(
        getattr(optim, name), {k: v for k, v in kwargs.items() if k != "maximize"}
    )
    assert max_diff(ours, plain) < 1e-12


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_param_groups_match_torch(name):
    torch = pytest.importorskip("torch")

    def groups(params):
        extra = {"momentum": 0.5} if name in ("SGD", "RMSprop") else {}
        return [{"params": params[:1]}, {"params": params[1:], "lr": 0.003, **extra}]

    kwargs = {"lr": 0.02}
    ours, opt = run_mathdl(getattr(optim, name), kwargs, groups=groups)
    theirs = run_torch(torch, name, kwargs, groups=groups)
    assert max_diff(ours, theirs) < 1e-10
    assert opt.param_groups[1]["lr"] == 0.003 and opt.param_groups[0]["lr"] == 0.02


def test_mlp_training_matches_torch():
    """End to end: mathdl's MLP, loss, backward and optimizers against PyTorch's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(32, 3))
    y = rng.integers(0, 3, size=32)
    settings_ = [
        ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
        ("Adagrad", {"lr": 0.05, "lr_decay": 0.01}),
        ("RMSprop", {"lr": 0.003, "momentum": 0.5, "centered": True}),
        ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 1e-3}),
        ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ]
    for name, kwargs in settings_:
        model = mdl.nn.MLP([3, 8, 3], activation="tanh", rng=np.random.default_rng(0))
        tmodel = torch.nn.Sequential(
            torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)
        ).double()
        with torch.no_grad():
            for (_, p), (_, tp) in zip(
                model.named_parameters(), tmodel.named_parameters(), strict=True
            ):
                tp.copy_(torch.from_numpy(p.data.T.copy() if p.ndim == 2 else p.data))
        opt = getattr(optim, name)(model.parameters(), **kwargs)
        topt = getattr(torch.optim, name)(tmodel.parameters(), foreach=False, **kwargs)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        for _ in range(NUM_STEPS):
            opt.zero_grad()
            loss = mdl.functional.cross_entropy(model(mdl.tensor(X)), y)
            loss.backward()
            opt.step()
            topt.zero_grad()
            tloss = torch.nn.functional.cross_entropy(tmodel(Xt), yt)
            tloss.backward()
            topt.step()
            assert abs(loss.item() - tloss.item()) < 1e-10, name
        for (_, p), (_, tp) in zip(
            model.named_parameters(), tmodel.named_parameters(), strict=True
        ):
            ref = tp.detach().numpy()
            np.testing.assert_allclose(p.data, ref.T if p.ndim == 2 else ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_signature_defaults_match_torch(name):
    torch = pytest.importorskip("torch")
    ours = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    for arg, p in ours.items():
        if arg == "params":
            continue
        assert arg in theirs, arg
        assert p.default == theirs[arg].default, arg
    # the positional order of the shared arguments is torch's
    positional = [a for a, p in ours.items() if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional == [a for a in theirs if a in positional]


def test_documented_defaults():
    p = [mdl.tensor(np.zeros(2), requires_grad=True)]
    assert optim.SGD(p).defaults["lr"] == 1e-3
    assert optim.Adagrad(p).defaults["lr"] == 1e-2
    assert optim.RMSprop(p).defaults["alpha"] == 0.99
    assert optim.Adam(p).defaults["betas"] == (0.9, 0.999)
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2


# ---------------------------------------------------------------------------------------
# state_dict / load_state_dict
# ---------------------------------------------------------------------------------------

STATE_CASES = [
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
]


@pytest.mark.parametrize("name, kwargs", STATE_CASES)
def test_state_dict_roundtrip_resumes_exactly(name, kwargs):
    cls = getattr(optim, name)
    full, _ = run_mathdl(cls, kwargs, num_steps=60)

    params = [mdl.tensor(x, requires_grad=True) for x in (W0, b0, c0)]
    opt = cls(params, **kwargs)
    for t in range(30):
        for p, g in zip(params, grads(*(p.data for p in params), t), strict=True):
            p.grad = g
        opt.step()
    saved = opt.state_dict()
    saved_params = [p.data.copy() for p in params]
    assert set(saved) == {"state", "param_groups"}
    assert saved["param_groups"][0]["params"] == [0, 1, 2]
    # the snapshot does not change when the optimizer continues
    snapshot = copy.deepcopy(saved)
    opt.step()
    for i, s in saved["state"].items():
        for k, v in s.items():
            np.testing.assert_array_equal(v, snapshot["state"][i][k])

    params2 = [mdl.tensor(x, requires_grad=True) for x in saved_params]
    opt2 = cls(params2, lr=123.0)  # hyperparameters come from the state dict
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    for t in range(30, 60):
        for p, g in zip(params2, grads(*(p.data for p in params2), t), strict=True):
            p.grad = g
        opt2.step()
    for a, b in zip(full[-1], [p.data for p in params2], strict=True):
        np.testing.assert_array_equal(a, b)


def test_load_state_dict_checks_groups():
    p = [mdl.tensor(np.zeros(2), requires_grad=True), mdl.tensor(np.zeros(3), requires_grad=True)]
    opt = optim.SGD(p, lr=0.1)
    sd = opt.state_dict()
    other = optim.SGD(p[:1], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        other.load_state_dict(sd)
    two = optim.SGD([{"params": p[:1]}, {"params": p[1:]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two.load_state_dict(sd)


# ---------------------------------------------------------------------------------------
# API behaviour
# ---------------------------------------------------------------------------------------


def _param(shape=(3,), value=1.0, dtype=np.float64):
    return mdl.tensor(np.full(shape, value, dtype=dtype), requires_grad=True)


def test_zero_grad_set_to_none_and_zeros():
    p = _param()
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.ones(3)
    opt.zero_grad()
    assert p.grad is None
    g = np.ones(3)
    p.grad = g
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and np.all(g == 0)


def test_parameters_without_grad_are_skipped():
    p, q = _param(), _param()
    opt = optim.Adam([p, q], lr=0.1)
    p.grad = np.ones(3)
    opt.step()
    assert np.all(p.data < 1) and np.all(q.data == 1)
    assert q not in opt.state and len(opt.state[p]) > 0


def test_step_with_closure_returns_loss():
    p = _param()
    opt = optim.SGD([p], lr=0.5)
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert len(calls) == 1 and loss.item() == 3.0
    np.testing.assert_array_equal(p.data, np.zeros(3))  # 1 - 0.5 * 2


def test_updates_in_place_and_keep_dtype():
    for name in ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]:
        p = _param(dtype=np.float32)
        data = p.data
        kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
        opt = getattr(optim, name)([p], lr=0.1, **kwargs)
        for _ in range(3):
            p.grad = np.full(3, 0.5, dtype=np.float32)
            opt.step()
        assert p.data is data and p.dtype == np.float32, name
        assert np.all(data < 1), name
        for v in opt.state[p].values():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32, name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lr", [0.1, np.float64(0.1), np.float32(0.1)])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_large_parameters_same_as_small(dtype, lr, momentum):
    """SGD writes lr * grad for large parameters into a reused array (optim._SCRATCH_BYTES):
    the updates must be those of the plain formula, step after step, also for an lr whose
    dtype is wider than the parameter's, and also for two parameters of the same shape."""
    n = 2 * optim._SCRATCH_BYTES // np.dtype(dtype).itemsize  # above the threshold
    rng = np.random.default_rng(1)
    params = [mdl.nn.Parameter(rng.normal(size=n).astype(dtype)) for _ in range(2)]
    expect = [p.data.copy() for p in params]
    bufs = [None, None]
    opt = optim.SGD(params, lr=lr, momentum=momentum)
    for _ in range(3):
        for i, p in enumerate(params):
            g = rng.normal(size=n).astype(dtype)
            p.grad = g.copy()
            if momentum:
                bufs[i] = g if bufs[i] is None else momentum * bufs[i] + g
                g = bufs[i]
            expect[i] = (expect[i] - lr * g).astype(dtype)  # as `param -= lr * grad` does
        opt.step()
    for p, e in zip(params, expect, strict=True):
        assert p.dtype == dtype
        np.testing.assert_array_equal(p.data, e)


def test_step_does_not_modify_grad():
    p = _param()
    g = np.full(3, 2.0)
    p.grad = g
    for name in ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]:
        opt = getattr(optim, name)([p], lr=0.1, weight_decay=0.1)
        opt.step()
        opt.step()
        assert p.grad is g and np.all(g == 2.0), name


def test_grad_shape_mismatch_is_an_error():
    p = _param()
    p.grad = np.ones(4)
    with pytest.raises(
        ValueError,
        match=r"SGD.step: gradient shape \(4,\) does not match "
        r"parameter shape \(3,\)",
    ):
        optim.SGD([p], lr=0.1).step()


def test_add_param_group_fills_defaults():
    p, q = _param(), _param()
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": q, "lr": 0.01})
    assert len(opt.param_groups) == 2
    g = opt.param_groups[1]
    assert g["params"] == [q] and g["lr"] == 0.01 and g["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [p]})
    # Adagrad creates its state when a group is added
    ada = optim.Adagrad([p], initial_accumulator_value=0.25)
    ada.add_param_group({"params": [q]})
    np.testing.assert_array_equal(ada.state[q]["sum"], np.full(3, 0.25))


def test_repr_lists_groups():
    opt = optim.SGD([_param()], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text


VALIDATION = [
    ("SGD", {"lr": -1}, ValueError, r"^Invalid learning rate: -1$"),
    ("SGD", {"lr": -0.5}, ValueError, r"^Invalid learning rate: -0.5$"),
    ("SGD", {"momentum": -0.1}, ValueError, r"^Invalid momentum value: -0.1$"),
    ("SGD", {"weight_decay": -1e-4}, ValueError, r"^Invalid weight_decay value: -0.0001$"),
    ("SGD", {"nesterov": True}, ValueError, "Nesterov momentum requires a momentum and zero"),
    (
        "SGD",
        {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
        ValueError,
        "Nesterov momentum requires a momentum and zero dampening",
    ),
    ("SGD", {"lr": "0.1"}, TypeError, "Invalid learning rate: expected a real number"),
    ("Adagrad", {"lr": -1}, ValueError, r"^Invalid learning rate: -1$"),
    ("Adagrad", {"lr_decay": -1}, ValueError, r"^Invalid lr_decay value: -1$"),
    ("Adagrad", {"weight_decay": -1}, ValueError, r"^Invalid weight_decay value: -1$"),
    (
        "Adagrad",
        {"initial_accumulator_value": -1},
        ValueError,
        r"^Invalid initial_accumulator_value value: -1$",
    ),
    ("Adagrad", {"eps": -1}, ValueError, r"^Invalid epsilon value: -1$"),
    ("RMSprop", {"lr": -1}, ValueError, r"^Invalid learning rate: -1$"),
    ("RMSprop", {"eps": -1}, ValueError, r"^Invalid epsilon value: -1$"),
    ("RMSprop", {"momentum": -1}, ValueError, r"^Invalid momentum value: -1$"),
    ("RMSprop", {"weight_decay": -1}, ValueError, r"^Invalid weight_decay value: -1$"),
    ("RMSprop", {"alpha": -1}, ValueError, r"^Invalid alpha value: -1$"),
    ("Adam", {"lr": -1}, ValueError, r"^Invalid learning rate: -1$"),
    ("Adam", {"eps": -1}, ValueError, r"^Invalid epsilon value: -1$"),
    ("Adam", {"betas": (1.0, 0.999)}, ValueError, r"^Invalid beta parameter at index 0: 1.0$"),
    ("Adam", {"betas": (0.9, -0.1)}, ValueError, r"^Invalid beta parameter at index 1: -0.1$"),
    ("Adam", {"betas": (0.9,)}, ValueError, "expected a pair"),
    ("Adam", {"weight_decay": -1}, ValueError, r"^Invalid weight_decay value: -1$"),
    ("AdamW", {"lr": -1}, ValueError, r"^Invalid learning rate: -1$"),
    ("AdamW", {"weight_decay": -1}, ValueError, r"^Invalid weight_decay value: -1$"),
]


@pytest.mark.parametrize("name, kwargs, exc, message", VALIDATION)
def test_invalid_hyperparameters(name, kwargs, exc, message):
    with pytest.raises(exc, match=message):
        getattr(optim, name)([_param()], **kwargs)


@pytest.mark.parametrize("name, kwargs, exc, message", VALIDATION)
def test_invalid_hyperparameters_same_message_as_torch(name, kwargs, exc, message):
    torch = pytest.importorskip("torch")
    if exc is not ValueError or "pair" in message:
        pytest.skip("mathdl-specific check")
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(3, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([_param()], **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_bad_params_argument(name):
    cls = getattr(optim, name)
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        cls([])
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        cls(p for p in [])
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        cls(_param())
    with pytest.raises(TypeError, match="ordered collections"):
        cls({_param()})
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        cls([np.zeros(3)])
    with pytest.raises(ValueError, match="non-leaf"):
        cls([_param() * 2])
    p = _param()
    with pytest.raises(ValueError, match="duplicate parameters"):
        cls([p, p])


def test_module_parameters_generator_is_accepted():
    model = mdl.nn.MLP([2, 4, 1], rng=np.random.default_rng(0))
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 4


# ---------------------------------------------------------------------------------------
# Properties (Hypothesis)
# ---------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    lr=st.floats(1e-4, 1.0),
    momentum=st.floats(0.0, 0.99),
    g=st.floats(-10, 10),
    steps=st.integers(1, 30),
)
def test_sgd_momentum_constant_gradient_closed_form(lr, momentum, g, steps):
    """With a constant gradient g, b_t = g (1 - mu^t) / (1 - mu), so theta moves by
    -lr * g * sum_{t=1}^{T} (1 - mu^t) / (1 - mu)."""
    p = _param(shape=(), value=0.0)
    opt = optim.SGD([p], lr=lr, momentum=momentum)
    for _ in range(steps):
        p.grad = np.array(g)
        opt.step()
    expected = -lr * g * sum(sum(momentum**k for k in range(t)) for t in range(1, steps + 1))
    assert p.data == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(lr=st.floats(1e-4, 1.0), g=st.floats(1e-3, 10) | st.floats(-10, -1e-3))
def test_adam_first_step_is_lr_times_sign(lr, g):
    """Bias correction makes Adam's first step -lr * g / (|g| + eps') ~ -lr * sign(g)."""
    p = _param(shape=(), value=0.0)
    opt = optim.Adam([p], lr=lr)
    p.grad = np.array(g)
    opt.step()
    assert p.data == pytest.approx(-lr * np.sign(g), rel=1e-5)
