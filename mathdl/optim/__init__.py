r"""Optimizers with PyTorch's API and PyTorch's exact update equations.

Every optimizer follows the single-tensor ("for-loop") implementation of ``torch.optim``
2.x step by step, so a mathdl run and a PyTorch run from the same starting point and the
same gradients follow the same trajectory (the tests check 100 steps to 1e-10 in float64).

Usage, as in PyTorch::

    opt = mdl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(num_epochs):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()

Notation in the docstrings: parameters :math:`\theta_t`, gradient
:math:`g_t = \nabla_\theta L(\theta_{t-1})`, learning rate :math:`\eta` (``lr``),
weight decay :math:`\lambda` (``weight_decay``), step index :math:`t = 1, 2, \dots`.

Conventions shared by all optimizers
    * A parameter is any object with a ``.data`` numpy array and a ``.grad`` attribute
      (a numpy array or ``None``); normally a ``mathdl.nn.Parameter``.
    * Parameters whose ``.grad`` is ``None`` are skipped by :meth:`Optimizer.step`.
    * Updates are made **in place** on ``p.data``; ``p.grad`` is never modified.
    * ``params`` is an iterable of parameters, or of dicts (parameter groups) that
      override the defaults, e.g. ``[{"params": w_params}, {"params": b_params, "lr": 0.1}]``.
    * ``maximize=True`` ascends instead of descending (:math:`g_t \leftarrow -g_t`).
"""

from __future__ import annotations

import copy
import numbers
from collections import defaultdict

import numpy as np

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler"]


class _RequiredParameter:
    """Marks a hyperparameter that has no default and must be given."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _is_parameter(p):
    """Duck-typed check: a parameter has a ``.data`` ndarray and a ``.grad`` attribute."""
    return isinstance(getattr(p, "data", None), np.ndarray) and hasattr(p, "grad")


# An update such as ``param -= lr * grad`` makes a temporary array of the parameter's size
# at every step, and glibc's allocator gives such large blocks back to the OS and faults them
# in again (shared/PITFALLS.md).  From this size on, ``Optimizer._scaled`` writes the
# temporary into an array kept from step to step instead: a float64 784-512-256-10 SGD step
# then took 12.6 ms instead of 14.6 (about 1300 page faults fewer).
_SCRATCH_BYTES = 1 << 17  # 128 KiB, glibc's default threshold for returning memory


def _check_real(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name}: expected a real number, got {value!r}")


class Optimizer:
    r"""Base class of all optimizers (PyTorch's ``torch.optim.Optimizer``).

    After construction, ``param_groups`` is a list of dicts, each holding ``"params"`` (a
    list) and every hyperparameter; a learning-rate scheduler changes ``group["lr"]`` there.
    ``state[p]`` is the dict of per-parameter buffers (momentum, moment estimates, ...),
    created at the first step in which ``p`` has a gradient. ``defaults`` is the dict of
    default hyperparameters.

    Subclasses implement ``_update``, which updates one parameter from its gradient.

    Parameters
    ----------
    params : iterable
        Parameters, or dicts defining parameter groups (each with a ``"params"`` entry
        and optional per-group hyperparameters).
    defaults : dict
        Default hyperparameters, used for any group that does not set them.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        # state[p] is p's dict of buffers, created empty on first access (as in PyTorch).
        # Keys are the parameters themselves: mathdl Tensors hash by identity.
        self.state = defaultdict(dict)
        self.param_groups = []
        self._opt_called = False  # set by step(); lets a scheduler warn about call order
        self._scratch = {}  # (shape, dtype) -> reused array for large temporaries, see _scaled
        if _is_parameter(params):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got {type(params).__name__}"
            )
        if isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. "
                "Please use a list instead."
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``"params"``), filling in the defaults.

        Useful to train a new part of a model, e.g. when unfreezing layers.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        params = param_group["params"]
        if _is_parameter(params):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. "
                "Please use a list instead."
            )
        else:
            params = list(params)
        for p in params:
            if not _is_parameter(p):
                raise TypeError(
                    "optimizer can only optimize Tensors (objects with a .data numpy array "
                    f"and a .grad), but one of the params is {type(p).__name__}"
                )
            if not getattr(p, "is_leaf", True):
                raise ValueError("can't optimize a non-leaf Tensor")
            if type(p).__hash__ is None:
                raise TypeError(
                    f"optimizer parameters must be hashable (by identity); "
                    f"{type(p).__name__} is not"
                )
        param_group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        for group in self.param_groups:
            if ids & {id(p) for p in group["params"]}:
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters.

        ``set_to_none=True`` (the default, as in PyTorch 2.x) sets ``p.grad = None``, so the
        next ``backward`` allocates a fresh gradient and ``step`` skips parameters that got
        none. ``set_to_none=False`` fills the existing gradient arrays with zeros.
        """
        for group in self.param_groups:
            if set_to_none:
                for p in group["params"]:
                    p.grad = None
            else:
                for p in group["params"]:
                    if p.grad is not None:
                        p.grad[...] = 0

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient.

        ``closure``, if given, is called first (it should zero the gradients, compute the
        loss, call ``backward`` and return the loss); its return value is returned.
        """
        loss = None
        if closure is not None:
            loss = closure()
        self._opt_called = True
        state = self.state
        update = self._update
        for group in self.param_groups:
            maximize = group.get("maximize", False)
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                param = p.data
                if type(grad) is not np.ndarray or grad.shape != param.shape:
                    grad = self._checked_grad(grad, param)
                if maximize:
                    grad = -grad
                update(param, grad, state[p], group)
        return loss

    def _checked_grad(self, grad, param):
        grad = np.asarray(grad)
        if grad.shape != param.shape:
            raise ValueError(
                f"{type(self).__name__}.step: gradient shape {grad.shape} does not "
                f"match parameter shape {param.shape}"
            )
        return grad

    def _update(self, param, grad, state, group):
        """Update the array ``param`` in place from ``grad``; ``state`` is its buffer dict."""
        raise NotImplementedError

    def _scaled(self, a, x):
        """``a * x`` for a large array ``x``, written into a reused array (see _SCRATCH_BYTES).

        The result is only valid until the next call: use it at once, as in
        ``param -= self._scaled(lr, grad)``.
        """
        if np.result_type(a, x) != x.dtype:  # e.g. a float64 lr with a float32 x
            return a * x
        out = self._scratch.get((x.shape, x.dtype))
        if out is None:
            out = self._scratch[x.shape, x.dtype] = np.empty(x.shape, x.dtype)
        return np.multiply(x, a, out=out)

    # --- saving and restoring -------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as a dict, in PyTorch's format.

        ``{"state": {index: {buffer name: array, ...}}, "param_groups": [{..., "params":
        [index, ...]}]}``; parameters are numbered by their position across the groups.
        Unlike PyTorch, the arrays are *copies*, so the result is a snapshot.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a state saved by :meth:`state_dict` (same groups, same sizes)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)} vs {len(self.param_groups)})"
            )
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the "
                    f"size of optimizer's group ({len(saved['params'])} vs "
                    f"{len(group['params'])} parameters)"
                )
        id_map = {}
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            for p, i in zip(group["params"], saved["params"], strict=True):
                id_map[i] = p
        self.state.clear()
        for i, s in state_dict["state"].items():
            p = id_map[i]
            restored = {}
            for k, v in s.items():
                if isinstance(v, np.ndarray) and k != "step":
                    v = v.astype(p.data.dtype, copy=True)  # state follows the param's dtype
                restored[k] = copy.deepcopy(v)
            self.state[p] = restored
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        self.param_groups = new_groups


def _lerp_(start, end, weight):
    """``start += weight * (end - start)`` in place, in the order of PyTorch's CPU ``lerp_``."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (PyTorch's ``SGD``).

    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla_\theta L(\theta_{t-1}) + \lambda\,\theta_{t-1}
            && \text{(if } \lambda \neq 0\text{)}\\
        & b_t \leftarrow \begin{cases} g_t & t = 1\\
            \mu\, b_{t-1} + (1-\tau)\, g_t & t > 1 \end{cases}
            && \text{(if } \mu \neq 0\text{)}\\
        & g_t \leftarrow \begin{cases} g_t + \mu\, b_t & \text{nesterov}\\
            b_t & \text{otherwise}\end{cases}\\
        & \theta_t \leftarrow \theta_{t-1} - \eta\, g_t
        \end{aligned}

    with momentum :math:`\mu` (``momentum``, the book's :math:`\beta`) and dampening
    :math:`\tau` (``dampening``). The buffer :math:`b` is ``state[p]["momentum_buffer"]``.

    **Convention (differs from the papers).** Polyak's heavy ball (Polyak, 1964) and
    Sutskever et al. (2013) write the velocity with the learning rate inside,
    :math:`v_t = \mu v_{t-1} - \eta g_t,\ \theta_t = \theta_{t-1} + v_t`. PyTorch keeps
    :math:`\eta` outside, :math:`b_t = \mu b_{t-1} + g_t,\ \theta_t = \theta_{t-1} - \eta b_t`.
    The two produce identical iterates while :math:`\eta` is constant (:math:`v = -\eta b`)
    but differ once a scheduler changes :math:`\eta`. Also, PyTorch's first buffer is
    :math:`b_1 = g_1` (no dampening applied). Nesterov momentum (Nesterov, 1983, in the form
    of Sutskever et al., 2013) is implemented as the look-ahead-free rewrite
    :math:`\theta_t = \theta_{t-1} - \eta (g_t + \mu b_t)`.

    Parameters
    ----------
    params : iterable
        Parameters, or dicts defining parameter groups.
    lr : float
        Learning rate :math:`\eta`. Default ``1e-3``, PyTorch 2.x's default.
    momentum : float
        Momentum :math:`\mu`. Default 0 (plain SGD).
    dampening : float
        Dampening :math:`\tau` of the momentum. Default 0.
    weight_decay : float
        L2 penalty :math:`\lambda`, i.e. :math:`\tfrac{\lambda}{2}\lVert\theta\rVert^2` added
        to the loss. Default 0.
    nesterov : bool
        Use Nesterov momentum; requires ``momentum > 0`` and ``dampening == 0``.
    maximize : bool
        Keyword only. Ascend instead of descend. Default False.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
    ):
        for name, value in (
            ("learning rate", lr),
            ("momentum value", momentum),
            ("dampening value", dampening),
            ("weight_decay value", weight_decay),
        ):
            _check_real(name, value)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        lr, momentum = group["lr"], group["momentum"]
        weight_decay = group["weight_decay"]
        if weight_decay != 0:
            grad = grad + weight_decay * param
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, dtype=param.dtype, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            if group["nesterov"]:
                grad = grad + momentum * buf
            else:
                grad = buf
        if grad.nbytes < _SCRATCH_BYTES:
            param -= lr * grad
        else:
            param -= self._scaled(lr, grad)  # lr * grad in a reused array, see _SCRATCH_BYTES


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011), PyTorch's form.

    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla_\theta L(\theta_{t-1}) + \lambda\,\theta_{t-1}
            && \text{(if } \lambda \neq 0\text{)}\\
        & \tilde\eta_t \leftarrow \eta \,/\, \bigl(1 + (t-1)\,\delta\bigr)
            && \text{(learning-rate decay } \delta\text{)}\\
        & s_t \leftarrow s_{t-1} + g_t \odot g_t,
            \qquad s_0 = \text{initial\_accumulator\_value}\\
        & \theta_t \leftarrow \theta_{t-1} - \tilde\eta_t\, \frac{g_t}{\sqrt{s_t} + \epsilon}
        \end{aligned}

    The sum of squares :math:`s` is ``state[p]["sum"]``. Note: the paper's diagonal
    Adagrad has no :math:`\epsilon`, no decay :math:`\delta` and :math:`s_0 = 0`; PyTorch
    adds all three (with :math:`\epsilon` outside the square root).

    Parameters: ``lr=1e-2``, ``lr_decay=0``, ``weight_decay=0``,
    ``initial_accumulator_value=0``, ``eps=1e-10``, ``maximize=False`` (keyword only).
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        *,
        maximize=False,
    ):
        for name, value in (
            ("learning rate", lr),
            ("lr_decay value", lr_decay),
            ("weight_decay value", weight_decay),
            ("initial_accumulator_value value", initial_accumulator_value),
            ("epsilon value", eps),
        ):
            _check_real(name, value)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if lr_decay < 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if initial_accumulator_value < 0.0:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def add_param_group(self, param_group):
        # Like PyTorch, Adagrad creates its state eagerly, when a group is added.
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(self.state[p], p.data, group)

    @staticmethod
    def _init_state(state, param, group):
        if "sum" not in state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])

    def _update(self, param, grad, state, group):
        self._init_state(state, param, group)
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state_sum = state["sum"]
        state_sum += grad * grad
        std = np.sqrt(state_sum)
        std += group["eps"]
        param -= clr * grad / std


class RMSprop(Optimizer):
    r"""RMSprop (Tieleman & Hinton, 2012, Coursera lecture 6.5), PyTorch's form.

    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla_\theta L(\theta_{t-1}) + \lambda\,\theta_{t-1}
            && \text{(if } \lambda \neq 0\text{)}\\
        & v_t \leftarrow \alpha\, v_{t-1} + (1-\alpha)\, g_t \odot g_t, \qquad v_0 = 0\\
        & \text{centered:}\quad \bar g_t \leftarrow \alpha\,\bar g_{t-1} + (1-\alpha)\, g_t,
            \quad \tilde v_t \leftarrow v_t - \bar g_t \odot \bar g_t
            \quad(\text{else } \tilde v_t = v_t)\\
        & \text{momentum } \mu > 0:\quad b_t \leftarrow \mu\, b_{t-1}
            + \frac{g_t}{\sqrt{\tilde v_t} + \epsilon}, \quad
            \theta_t \leftarrow \theta_{t-1} - \eta\, b_t\\
        & \text{otherwise:}\quad
            \theta_t \leftarrow \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{\tilde v_t} + \epsilon}
        \end{aligned}

    Buffers: ``square_avg`` (:math:`v`), ``grad_avg`` (:math:`\bar g`, centered only),
    ``momentum_buffer`` (:math:`b`, momentum only). Notes: the lecture has no
    :math:`\epsilon`; PyTorch adds it *outside* the square root (TensorFlow/Keras put it
    inside). The centered variant, which divides by an estimate of the gradient's
    variance rather than its second moment, is from Graves (2013).

    Parameters: ``lr=1e-2``, ``alpha=0.99``, ``eps=1e-8``, ``weight_decay=0``,
    ``momentum=0``, ``centered=False``, ``maximize=False`` (keyword only).
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        *,
        maximize=False,
    ):
        for name, value in (
            ("learning rate", lr),
            ("epsilon value", eps),
            ("momentum value", momentum),
            ("weight_decay value", weight_decay),
            ("alpha value", alpha),
        ):
            _check_real(name, value)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        alpha, momentum = group["alpha"], group["momentum"]
        if len(state) == 0:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            _lerp_(grad_avg, grad, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += grad / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * grad / avg


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), PyTorch's form.

    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla_\theta L(\theta_{t-1}) + \lambda\,\theta_{t-1}
            && \text{(if } \lambda \neq 0\text{; AdamW decays } \theta \text{ instead)}\\
        & m_t \leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad m_0 = 0\\
        & v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t \odot g_t, \qquad v_0 = 0\\
        & \hat v^{\max}_t \leftarrow \max(\hat v^{\max}_{t-1}, v_t)
            \quad\text{and use it in place of } v_t && \text{(amsgrad)}\\
        & \theta_t \leftarrow \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{v_t}\,/\sqrt{1-\beta_2^t} + \epsilon}
        \end{aligned}

    which is the paper's Algorithm 1, :math:`\theta_t = \theta_{t-1} - \eta\,\hat m_t /
    (\sqrt{\hat v_t} + \epsilon)` with the bias corrections :math:`\hat m_t = m_t/(1-\beta_1^t)`,
    :math:`\hat v_t = v_t/(1-\beta_2^t)`, in the order PyTorch evaluates it.
    Buffers: ``exp_avg`` (:math:`m`), ``exp_avg_sq`` (:math:`v`), ``max_exp_avg_sq``
    (amsgrad), ``step`` (:math:`t`).

    Notes on conventions: ``weight_decay`` here is an L2 penalty added to the gradient,
    which Adam then rescales per coordinate; Loshchilov & Hutter (2019) show that this is
    not weight decay, see :class:`AdamW`. ``amsgrad`` (Reddi, Kale & Kumar, 2018) follows
    PyTorch: the running maximum is taken of the raw :math:`v_t` and the bias corrections
    are kept, whereas the paper's AMSGrad has no bias correction.

    Parameters: ``lr=1e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``, ``weight_decay=0``,
    ``amsgrad=False``, ``maximize=False`` (keyword only).
    """

    _decoupled_weight_decay = False

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
    ):
        for name, value in (
            ("learning rate", lr),
            ("epsilon value", eps),
            ("weight_decay value", weight_decay),
        ):
            _check_real(name, value)
        if len(tuple(betas)) != 2:
            raise ValueError(f"Invalid betas: expected a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            _check_real(f"beta parameter at index {i}", beta)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            betas=(float(betas[0]), float(betas[1])),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        lr, weight_decay = group["lr"], group["weight_decay"]
        if len(state) == 0:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        if weight_decay != 0:
            if self._decoupled_weight_decay:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"]
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            denom = np.sqrt(max_exp_avg_sq) / bias_correction2_sqrt
        else:
            denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt
        denom += group["eps"]
        param -= step_size * exp_avg / denom


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019), PyTorch's form.

    Identical to :class:`Adam` except for the weight decay, which shrinks the parameters
    directly instead of entering the gradient (and hence the moment estimates):

    .. math::
        \theta_{t-1} \leftarrow (1 - \eta\lambda)\,\theta_{t-1}
        \quad\text{then the Adam step with } g_t = \nabla_\theta L(\theta_{t-1}).

    **Convention (differs from the paper).** The paper decays by
    :math:`\eta_t\lambda\theta` where :math:`\eta_t` is the *schedule multiplier* and the
    base step size :math:`\alpha` does not multiply :math:`\lambda`; PyTorch multiplies by
    the learning rate, :math:`(1 - \text{lr}\cdot\lambda)`, so ``weight_decay`` values are
    not interchangeable between the two. Default ``weight_decay=1e-2``.

    Parameters: ``lr=1e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``, ``weight_decay=1e-2``,
    ``amsgrad=False``, ``maximize=False`` (keyword only).
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )


from . import lr_scheduler  # noqa: E402  (the submodule needs Optimizer defined above)
