r"""Learning-rate schedules, as in ``torch.optim.lr_scheduler``.

A scheduler changes ``group["lr"]`` in its optimizer's parameter groups each time its
:meth:`~LRScheduler.step` is called, normally once per epoch, *after* ``optimizer.step()``::

    opt = mdl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = mdl.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=num_epochs)
    for epoch in range(num_epochs):
        for X, y in batches:
            ...
            opt.step()
        sched.step()

Like PyTorch, :class:`StepLR` and :class:`CosineAnnealingLR` update the rate *recursively*
from the current ``group["lr"]`` at each ``step()`` (so they compose with other changes to
the rate), and use the *closed form* in terms of the initial rate :math:`\eta_0` only when
an explicit ``epoch`` is passed to ``step`` (deprecated in PyTorch). The two agree up to
rounding. The rates equal PyTorch's ``get_last_lr()`` step for step (tested to 1e-12).
"""

from __future__ import annotations

import math
import numbers
import warnings

from . import Optimizer

__all__ = ["LRScheduler", "StepLR", "CosineAnnealingLR"]


class LRScheduler:
    """Base class of the schedulers.

    On construction it records ``group["initial_lr"]`` (the base rates :math:`\\eta_0`,
    ``self.base_lrs``) and performs the initial step, which sets ``last_epoch = 0``.
    Subclasses implement :meth:`get_lr` (recursive form) and ``_get_closed_form_lr``.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming a scheduler with last_epoch >= 0 (load the optimizer's "
                        "state_dict first)"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The next learning rates, computed from the current ones (recursive form)."""
        raise NotImplementedError

    def get_last_lr(self):
        """The learning rates of the parameter groups set by the last :meth:`step`."""
        return list(self._last_lr)

    def step(self, epoch=None):
        """Advance the schedule by one epoch and write the new rates into the optimizer."""
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
                "Call them in the opposite order: `optimizer.step()` before "
                "`lr_scheduler.step()`; otherwise the first value of the learning rate "
                "schedule is skipped.",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(
                "The epoch parameter in `scheduler.step()` is deprecated (as in PyTorch); "
                "call `scheduler.step()` without arguments.",
                UserWarning,
                stacklevel=2,
            )
            self.last_epoch = epoch
            values = self._get_closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return self.get_lr()

    def state_dict(self):
        """Everything but the optimizer (save the optimizer's own state_dict with it)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a state saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    .. math::
        \eta_t = \eta_0\, \gamma^{\lfloor t / \text{step\_size} \rfloor}

    (closed form). Recursively, :math:`\eta_t = \gamma\,\eta_{t-1}` when :math:`t` is a
    positive multiple of ``step_size`` and :math:`\eta_t = \eta_{t-1}` otherwise.
    Defaults: ``gamma=0.1``, ``last_epoch=-1``.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if (
            isinstance(step_size, bool)
            or not isinstance(step_size, numbers.Integral)
            or step_size <= 0
        ):
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [
            base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs
        ]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing (Loshchilov & Hutter, 2017, SGDR, without restarts).

    .. math::
        \eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})
                 \left(1 + \cos\frac{\pi t}{T_{\max}}\right)

    (closed form), so the rate falls from :math:`\eta_0` at :math:`t = 0` to
    :math:`\eta_{\min}` at :math:`t = T_{\max}`. Beyond :math:`T_{\max}` the cosine
    continues, i.e. the rate rises again with period :math:`2T_{\max}`. As in PyTorch,
    ``step()`` uses the recursive form

    .. math::
        \eta_t = \eta_{\min} + (\eta_{t-1} - \eta_{\min})\,
                 \frac{1 + \cos(\pi t / T_{\max})}{1 + \cos(\pi (t-1) / T_{\max})},

    with the special case :math:`\eta_t = \eta_{t-1} + \tfrac12(\eta_0 - \eta_{\min})
    (1 - \cos(\pi/T_{\max}))` when :math:`(t - 1 - T_{\max})` is a multiple of
    :math:`2T_{\max}` (where the denominator above vanishes).
    Defaults: ``eta_min=0.0``, ``last_epoch=-1``.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if isinstance(T_max, bool) or not isinstance(T_max, numbers.Real) or T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and self.last_epoch > 0:
            return self._get_closed_form_lr()
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return [
                group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                for base_lr, group in zip(self.base_lrs, groups, strict=True)
            ]
        return [
            (1 + math.cos(math.pi * self.last_epoch / self.T_max))
            / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
            * (group["lr"] - self.eta_min)
            + self.eta_min
            for group in groups
        ]

    def _get_closed_form_lr(self):
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base_lr in self.base_lrs
        ]
