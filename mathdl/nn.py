r"""Layers and models with PyTorch's ``torch.nn`` API: ``Module``, ``Parameter``, ``Linear`` ...

A :class:`Module` owns :class:`Parameter` s and sub-modules, registered simply by
assigning them as attributes (``self.fc1 = Linear(2, 16)``), and computes its output in
``forward``; calling the module calls ``forward``. This is all the structure an optimizer
needs: ``model.parameters()`` lists every trainable tensor, in a fixed order.

**Layout of a linear layer.** The book writes a batch of ``B`` inputs as the rows of
:math:`X \in \mathbb{R}^{B \times d}` and a linear layer as

.. math::
    Z = XW + b, \qquad W \in \mathbb{R}^{d \times m},\ b \in \mathbb{R}^{m}.

:class:`Linear` stores ``weight`` with shape ``(in_features, out_features)`` = ``(d, m)``.
PyTorch stores the transpose, ``(out_features, in_features)``, and computes
:math:`XW^\top + b`; so ``mdl_linear.weight.data`` equals ``torch_linear.weight.T``. Names
and defaults are otherwise PyTorch's.

``mathdl.nn.functional`` is ``mathdl.functional`` (as ``torch.nn.functional``).
"""

from __future__ import annotations

import math
import sys
from collections import OrderedDict

import numpy as np

from . import functional
from . import init as _init
from .autograd import Tensor, relu, sigmoid, tanh
from .functional import _linear

__all__ = [
    "Parameter",
    "Module",
    "Linear",
    "Sequential",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "Identity",
    "MSELoss",
    "CrossEntropyLoss",
    "MLP",
    "functional",
]

# ``import mathdl.nn.functional as F`` works too, like ``torch.nn.functional``.
sys.modules.setdefault(__name__ + ".functional", functional)


class Parameter(Tensor):
    """A tensor that is a trainable parameter of a :class:`Module`.

    ``Parameter(data)`` wraps ``data`` (a numpy array, shared not copied, or a tensor's
    ``.data``) with ``requires_grad=True``. Assigning a Parameter as an attribute of a
    Module registers it, so that it appears in ``module.parameters()``.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0)
        elif isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _addindent(s, num_spaces):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(num_spaces * " " + line for line in lines)


class Module:
    """Base class of layers and models (PyTorch's ``torch.nn.Module``).

    Subclasses call ``super().__init__()`` first, assign their parameters and sub-modules
    as attributes, and define ``forward``::

        class TwoLayer(mdl.nn.Module):
            def __init__(self, rng=None):
                super().__init__()
                self.fc1 = mdl.nn.Linear(2, 16, rng=rng)
                self.fc2 = mdl.nn.Linear(16, 2, rng=rng)

            def forward(self, X):
                return self.fc2(self.fc1(X).relu())

    ``module(X)`` calls ``module.forward(X)``. ``training`` is True after construction;
    :meth:`eval` and :meth:`train` set it for the module and all its sub-modules. (No layer
    here behaves differently in the two modes; the flag is kept for PyTorch parity and for
    readers' own layers, e.g. dropout.)
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration -----------------------------------------------------------------
    # Registered parameters and modules are kept in the ordered dicts _parameters and
    # _modules (the registry, which fixes the order of parameters()) and mirrored as plain
    # instance attributes, so that reading ``self.weight`` is an ordinary attribute lookup.

    def _registries(self, what):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")
        return d["_parameters"], d["_modules"]

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        modules = d.get("_modules")
        if isinstance(value, Parameter):
            params, modules = self._registries("parameters")
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params, modules = self._registries("child modules")
            params.pop(name, None)
            modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(mathdl.nn.Parameter or None expected)"
                )
            params[name] = None
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(mathdl.nn.Module or None expected)"
                )
            modules[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        d = self.__dict__
        d.get("_parameters", {}).pop(name, None)
        d.get("_modules", {}).pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a :class:`Parameter` or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(mathdl.nn.Parameter or None required)"
            )
        self._registries("parameters")[0][name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name, module):
        """Register ``module`` (a :class:`Module` or None) as a child named ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str) or "." in name or name == "":
            raise KeyError(f'module name must be a non-empty string without ".", got {name!r}')
        self._registries("child modules")[1][name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    # -- forward ----------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """The module's computation; subclasses must define it."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- iteration --------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(name, module)`` for this module and all descendants.

        The module itself has name ``prefix`` (``""`` by default); descendants have dotted
        names such as ``"0"`` or ``"encoder.fc1"``. A module reachable along two paths is
        yielded once unless ``remove_duplicate=False``.
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub_prefix, remove_duplicate)

    def modules(self):
        """Yield this module and all its descendants."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct children."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """Yield the direct children."""
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted name, parameter)`` pairs, e.g. ``("0.weight", W)``.

        Order: this module's own parameters in the order they were assigned, then each
        child's, depth first, as in PyTorch. A parameter shared by two modules is
        listed once unless ``remove_duplicate=False``.
        """
        if recurse:
            modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            modules = [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, param in module._parameters.items():
                if param is None:
                    continue
                if remove_duplicate:
                    if id(param) in seen:
                        continue
                    seen.add(id(param))
                yield module_prefix + ("." if module_prefix else "") + name, param

    def parameters(self, recurse=True):
        """Yield the parameters (in the order of :meth:`named_parameters`)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def apply(self, fn):
        """Call ``fn(m)`` on every descendant ``m`` (children first) and on self; return self.

        Typical use: re-initialise a model, e.g. ``model.apply(init_weights)``.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- training utilities -------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (``None`` by default, else zeros)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad[...] = 0

    def train(self, mode=True):
        """Set ``training = mode`` on this module and all descendants; return self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Evaluation mode, i.e. ``train(False)``; return self."""
        return self.train(False)

    # -- saving and restoring -----------------------------------------------------------
    def state_dict(self):
        """An ordered dict ``{dotted name: array}`` with a *copy* of every parameter.

        (PyTorch returns tensors that share memory with the parameters; copies make the
        result a snapshot, which is what saving a checkpoint needs.)
        """
        return OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())

    def load_state_dict(self, state_dict, strict=True):
        """Copy the arrays of ``state_dict`` into the parameters, in place.

        With ``strict=True`` (default) the keys must match :meth:`named_parameters`
        exactly; shapes must always match. Returns ``(missing_keys, unexpected_keys)``.
        """
        own = OrderedDict(self.named_parameters())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and unexpected:
            errors.append(
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + "."
            )
        if strict and missing:
            errors.append(
                "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + "."
            )
        for name, p in own.items():
            if name in state_dict:
                value = np.asarray(getattr(state_dict[name], "data", state_dict[name]))
                if value.shape != p.data.shape:
                    errors.append(
                        f"size mismatch for {name}: copying a param with shape {value.shape} "
                        f"from checkpoint, the shape in current model is {p.data.shape}."
                    )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for name, p in own.items():
            if name in state_dict:
                p.data[...] = np.asarray(getattr(state_dict[name], "data", state_dict[name]))
        return missing, unexpected

    # -- printing -------------------------------------------------------------------------
    def extra_repr(self):
        """Extra text inside this module's ``repr`` parentheses (override in layers)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + _addindent(repr(module), 2) for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        main = type(self).__name__ + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


class Linear(Module):
    r"""Affine layer :math:`Z = XW + b` (PyTorch's ``Linear``, book layout of ``W``).

    ``weight`` :math:`W` has shape ``(in_features, out_features)`` and ``bias`` :math:`b`
    shape ``(out_features,)``. The input may have any leading (batch) axes; its last axis
    has length ``in_features``.

    Backward (for reference; autograd does it): with incoming adjoint
    :math:`\bar Z = \partial L/\partial Z` (``g``), :math:`\bar W = X^\top \bar Z`,
    :math:`\bar b = \sum_{\text{rows}} \bar Z`, :math:`\bar X = \bar Z W^\top`.

    Default initialisation, as in PyTorch: ``kaiming_uniform_(W, a=math.sqrt(5))``, i.e.
    :math:`W_{ij} \sim \mathcal{U}(-1/\sqrt{n_{in}}, 1/\sqrt{n_{in}})`, and
    :math:`b_j \sim \mathcal{U}(-1/\sqrt{n_{in}}, 1/\sqrt{n_{in}})`. The weight is drawn
    first, then the bias, from ``rng`` (a fresh unseeded generator when None).

    Parameters
    ----------
    in_features : int
        :math:`n_{in}` = d, the number of input features.
    out_features : int
        :math:`n_{out}` = m, the number of outputs.
    bias : bool
        Whether to add the bias :math:`b` (default True).
    rng : np.random.Generator
        Source of the random initial values; None means an unseeded generator.
    dtype : np.dtype
        dtype of the parameters (default float64).
    """

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = np.float64 if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((self.in_features, self.out_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None):
        """Re-draw the parameters with PyTorch's default initialisation (see the class)."""
        if rng is None:
            rng = np.random.default_rng()
        _init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if self.bias is not None:
            fan_in, _ = _init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            _init.uniform_(self.bias, -bound, bound, rng=rng)

    def forward(self, X):
        """:math:`Z = XW + b` for ``X`` of shape ``(..., in_features)``."""
        is_tensor = isinstance(X, Tensor)
        shape = X.data.shape if is_tensor else getattr(X, "shape", None)
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: input of shape {shape} does not end with in_features={self.in_features}"
            )
        if not is_tensor:
            X = Tensor(X)  # an array: wrapped (not copied), as a constant of the graph
        # functional.linear(X, W, b) without re-checking W and b, whose shapes this layer
        # fixes: one fused graph node for X @ W + b instead of two.
        return _linear(X, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Sequential(Module):
    """A chain of modules applied in order: ``Sequential(m1, m2, m3)(X) = m3(m2(m1(X)))``.

    Children are named ``"0"``, ``"1"``, ... (or by the keys of an ``OrderedDict``
    argument). Supports ``len``, iteration, indexing (``model[0]``, ``model[-1]``) and
    slicing (``model[:2]`` is a new Sequential sharing the same layers).
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def forward(self, X):
        for module in self._modules.values():
            X = module(X)
        return X

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(
                f"Sequential indices must be integers or slices, not {type(idx).__name__}"
            )
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a Sequential of length {n}")
        return list(self._modules.values())[idx]

    def append(self, module):
        """Add ``module`` at the end; return self."""
        self.add_module(str(len(self)), module)
        return self


class ReLU(Module):
    r"""Elementwise :math:`\operatorname{relu}(z) = \max(0, z)`, with relu′(0) = 0."""

    def forward(self, X):
        return relu(X)


class Tanh(Module):
    r"""Elementwise :math:`\tanh(z)`; derivative :math:`1 - \tanh^2(z)`."""

    def forward(self, X):
        return tanh(X)


class Sigmoid(Module):
    r"""Elementwise :math:`\sigma(z) = 1/(1+e^{-z})`; derivative :math:`\sigma(z)(1-\sigma(z))`."""

    def forward(self, X):
        return sigmoid(X)


class Identity(Module):
    """Returns its input unchanged (arguments to the constructor are ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, X):
        return X


class MSELoss(Module):
    """Module form of ``mathdl.functional.mse_loss`` (``reduction='mean'|'sum'|'none'``)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return functional.mse_loss(input, target, reduction=self.reduction)

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class CrossEntropyLoss(Module):
    """Module form of ``mathdl.functional.cross_entropy`` (softmax cross-entropy on logits)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return functional.cross_entropy(input, target, reduction=self.reduction)

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "identity": Identity}


class MLP(Sequential):
    """A multilayer perceptron: ``Linear, activation, Linear, ..., Linear``.

    ``MLP([2, 16, 16, 2])`` is ``Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(),
    Linear(16, 2))``: no activation after the last layer, whose outputs are the logits
    (or regression outputs). Parameters are named ``"0.weight"``, ``"0.bias"``,
    ``"2.weight"``, ... as in the equivalent PyTorch ``Sequential``. Each ``Linear`` has
    PyTorch's default initialisation, drawn in order from ``rng``.

    Parameters
    ----------
    sizes : sequence
        Layer widths :math:`(n_0, n_1, \\dots, n_D)`, at least two positive ints.
    activation : str or type
        ``'relu'`` (default), ``'tanh'``, ``'sigmoid'``, ``'identity'``, or a Module class
        (or any callable returning a Module), called once per hidden layer.
    rng : np.random.Generator
        Source of the initial weights; None means an unseeded generator.
    bias : bool
        Whether the linear layers have biases (default True).
    dtype : np.dtype
        dtype of the parameters (default float64).
    """

    def __init__(self, sizes, activation="relu", rng=None, bias=True, dtype=None):
        sizes = list(sizes)
        if len(sizes) < 2 or any(
            isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s <= 0 for s in sizes
        ):
            raise ValueError(f"MLP: sizes must be at least two positive ints, got {sizes!r}")
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(
                    f"MLP: unknown activation {activation!r}; valid activations are "
                    f"{', '.join(repr(a) for a in _ACTIVATIONS)} or a Module class"
                )
            make_activation = _ACTIVATIONS[activation]
        elif callable(activation):
            make_activation = activation
        else:
            raise TypeError(
                f"MLP: activation must be a string or a Module class, "
                f"got {type(activation).__name__}"
            )
        if rng is None:
            rng = np.random.default_rng()
        layers = []
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(Linear(n_in, n_out, bias=bias, rng=rng, dtype=dtype))
            if k < len(sizes) - 2:
                act = make_activation()
                if not isinstance(act, Module):
                    raise TypeError(
                        f"MLP: activation() returned {type(act).__name__}, not a Module"
                    )
                layers.append(act)
        super().__init__(*layers)
        self.sizes = tuple(int(s) for s in sizes)
