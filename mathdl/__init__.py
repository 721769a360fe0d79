"""mathdl: the companion package of *The Mathematics of Deep Learning*.

A small, readable, numpy-only reverse-mode autograd with PyTorch's API
(``Tensor``, ``nn``, ``functional``, ``init``, ``optim``), plus what the
book's chapters use: finite differences (``calculus``), gradient checking
(``gradcheck``), loss-landscape tools (``landscape``), small offline data sets
(``data``), the book's claims and rounded glue (``claims``), plotting and slider
helpers (``viz``, ``widgets``) and the exercise checks (``exercises``).

Submodules are imported on first use (PEP 562), so ``import mathdl`` costs
little more than ``import numpy``; matplotlib and ipywidgets are only imported
by the functions that draw.
"""

from importlib import import_module

__version__ = "0.1.0"

# name -> submodule that defines it.  Attribute access imports the submodule lazily.
_ATTRS = {
    "Tensor": "autograd",
    "tensor": "autograd",
    "no_grad": "autograd",
    "enable_grad": "autograd",
    "is_grad_enabled": "autograd",
    "exp": "autograd",
    "log": "autograd",
    "sqrt": "autograd",
    "abs": "autograd",
    "tanh": "autograd",
    "sigmoid": "autograd",
    "relu": "autograd",
    "concatenate": "autograd",
    "cat": "autograd",
    "stack": "autograd",
    "where": "autograd",
    "maximum": "autograd",
    "clip": "autograd",
    "zeros": "autograd",
    "ones": "autograd",
    "randn": "autograd",
    "gradcheck": "gradcheck",
}
_SUBMODULES = (
    "autograd", "functional", "init", "nn", "optim", "gradcheck", "calculus",
    "landscape", "data", "claims", "viz", "widgets", "exercises",
)

__all__ = sorted(set(_ATTRS) | set(_SUBMODULES))


def __getattr__(name):
    if name in _SUBMODULES:
        return import_module(f"{__name__}.{name}")
    if name in _ATTRS:
        module = import_module(f"{__name__}.{_ATTRS[name]}")
        try:
            value = getattr(module, name)
        except AttributeError:
            raise AttributeError(f"module 'mathdl' has no attribute {name!r}") from None
        globals()[name] = value  # cache: later lookups are plain attribute access
        return value
    raise AttributeError(f"module 'mathdl' has no attribute {name!r}")


def __dir__():
    return __all__
