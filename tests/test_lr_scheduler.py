"""Tests of mathdl.optim.lr_scheduler: StepLR and CosineAnnealingLR against PyTorch."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mathdl as mdl
from mathdl.optim import SGD, Adam
from mathdl.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, StepLR

NUM_STEPS = 100


def _opt(lr=0.1, groups=1, cls=SGD, **kw):
    params = [mdl.tensor(np.ones(2), requires_grad=True) for _ in range(groups)]
    return cls([{"params": [p], "lr": lr * (k + 1)} for k, p in enumerate(params)], lr=lr, **kw)


def _torch_opt(torch, lr=0.1, groups=1):
    params = [torch.ones(2, requires_grad=True) for _ in range(groups)]
    return torch.optim.SGD(
        [{"params": [p], "lr": lr * (k + 1)} for k, p in enumerate(params)], lr=lr
    )


def _lrs(opt, sched, num_steps=NUM_STEPS):
    out = [sched.get_last_lr()]
    for _ in range(num_steps):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return np.array(out)


SCHEDULES = [
    ("StepLR", {"step_size": 10}),
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("StepLR", {"step_size": 1, "gamma": 0.97}),
    ("CosineAnnealingLR", {"T_max": 100}),
    ("CosineAnnealingLR", {"T_max": 30, "eta_min": 0.01}),  # past T_max: the cosine goes on
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.0}),
    ("CosineAnnealingLR", {"T_max": 7.5, "eta_min": 1e-3}),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULES)
@pytest.mark.parametrize("groups", [1, 2])
def test_get_last_lr_matches_torch(name, kwargs, groups):
    torch = pytest.importorskip("torch")
    opt = _opt(groups=groups)
    ours = _lrs(opt, globals()[name](opt, **kwargs))
    topt = _torch_opt(torch, groups=groups)
    theirs = _lrs(topt, getattr(torch.optim.lr_scheduler, name)(topt, **kwargs))
    assert ours.shape == (NUM_STEPS + 1, groups)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_closed_forms():
    opt = _opt(lr=0.2)
    sched = StepLR(opt, step_size=3, gamma=0.5)
    lrs = _lrs(opt, sched, 12)[:, 0]
    np.testing.assert_allclose(lrs, [0.2 * 0.5 ** (t // 3) for t in range(13)], rtol=1e-14)

    opt = _opt(lr=0.2)
    sched = CosineAnnealingLR(opt, T_max=20, eta_min=0.02)
    lrs = _lrs(opt, sched, 40)[:, 0]
    expected = [0.02 + 0.5 * (0.2 - 0.02) * (1 + math.cos(math.pi * t / 20)) for t in range(41)]
    np.testing.assert_allclose(lrs, expected, rtol=0, atol=1e-12)
    assert lrs[20] == pytest.approx(0.02) and lrs[40] == pytest.approx(0.2)


def test_scheduler_writes_into_param_groups_and_base_lrs():
    opt = _opt(lr=0.1, groups=2)
    sched = StepLR(opt, step_size=2)
    assert sched.base_lrs == [0.1, 0.2]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    for _ in range(2):
        opt.step()
        sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.01, 0.02])
    assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
    # get_last_lr returns a copy
    sched.get_last_lr().append(1.0)
    assert len(sched.get_last_lr()) == 2


def test_training_with_scheduler_matches_torch():
    """SGD with momentum under a cosine schedule: PyTorch's momentum convention matters here."""
    torch = pytest.importorskip("torch")
    A = np.diag([1.0, 4.0])
    x0 = np.array([1.0, -2.0])
    p = mdl.tensor(x0, requires_grad=True)
    opt = SGD([p], lr=0.2, momentum=0.9, nesterov=True)
    sched = CosineAnnealingLR(opt, T_max=50, eta_min=0.001)
    tp = torch.tensor(x0, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=0.2, momentum=0.9, nesterov=True)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=50, eta_min=0.001)
    for _ in range(NUM_STEPS):
        p.grad = A @ p.data
        tp.grad = torch.from_numpy(A @ tp.detach().numpy())
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=0, atol=1e-10)


def test_state_dict_roundtrip():
    opt = _opt()
    sched = CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 4
    opt2 = _opt()
    opt2.load_state_dict(opt.state_dict())
    sched2 = CosineAnnealingLR(opt2, T_max=10, last_epoch=3)
    sched2.load_state_dict(state)
    for _ in range(3):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_step_with_epoch_uses_closed_form_and_warns():
    opt = _opt(lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(5)
    assert sched.get_last_lr() == [0.25]


def test_warns_when_scheduler_steps_before_optimizer():
    opt = _opt()
    sched = StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        sched.step()
    opt2 = _opt()
    sched2 = StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_errors():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        StepLR(_opt(), step_size=0)
    with pytest.raises(ValueError, match="T_max must be positive"):
        CosineAnnealingLR(_opt(), T_max=0)
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(_opt(), step_size=2, last_epoch=3)
    with pytest.raises(NotImplementedError):
        LRScheduler(_opt())


def test_works_with_adam():
    opt = _opt(cls=Adam, lr=0.01)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.005


@settings(max_examples=25, deadline=None)
@given(
    T_max=st.integers(1, 60),
    eta_min=st.floats(0.0, 0.05),
    lr=st.floats(0.06, 1.0),
    step_size=st.integers(1, 20),
    gamma=st.floats(0.05, 1.0),
)
def test_schedules_match_torch_property(T_max, eta_min, lr, step_size, gamma):
    torch = pytest.importorskip("torch")
    for name, kwargs in [
        ("CosineAnnealingLR", {"T_max": T_max, "eta_min": eta_min}),
        ("StepLR", {"step_size": step_size, "gamma": gamma}),
    ]:
        opt = _opt(lr=lr)
        ours = _lrs(opt, globals()[name](opt, **kwargs), 50)
        topt = _torch_opt(torch, lr=lr)
        theirs = _lrs(topt, getattr(torch.optim.lr_scheduler, name)(topt, **kwargs), 50)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
