"""The import layering of DESIGN.md, read from the source with ``ast``.

Each module of mathdl may import only from modules above it in ``LAYERS``
(and from its own package, e.g. ``optim.lr_scheduler`` from ``optim``).
matplotlib, ipywidgets, IPython and torch are never imported at module top
level, so ``import mathdl`` stays fast and works with numpy alone.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import mathdl

PACKAGE = Path(mathdl.__file__).parent
LAYERS = ["autograd", "functional", "init", "nn", "optim", "gradcheck", "calculus",
          "landscape", "data", "claims", "viz", "widgets", "exercises"]
HEAVY = {"matplotlib", "ipywidgets", "IPython", "torch"}


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def _dotted(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _layer(dotted):
    """'mathdl.optim.lr_scheduler' -> 'optim'; names from mathdl/__init__ map to their module."""
    parts = dotted.split(".")
    if len(parts) < 2 or parts[0] != "mathdl":
        return None
    return parts[1]


def _imports(dotted, source, is_pkg=False):
    """(line, imported module, its top-level package, at module top level?) for each import."""
    tree = ast.parse(source)
    package = dotted if is_pkg else dotted.rpartition(".")[0]
    out = []

    def visit(node, top):
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                   ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    out.append((child.lineno, alias.name, alias.name.split(".")[0], top))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[:len(base) - child.level + 1]
                    mod = ".".join(base + ([child.module] if child.module else []))
                else:
                    mod = child.module or ""
                names = [a.name for a in child.names]
                if mod == "mathdl":  # from mathdl import X: X is a submodule or a lazy name
                    for n in names:
                        out.append((child.lineno, f"mathdl.{mathdl._ATTRS.get(n, n)}", "mathdl",
                                    top))
                elif child.module is None:  # from . import x
                    for n in names:
                        out.append((child.lineno, f"{mod}.{n}", mod.split(".")[0], top))
                else:
                    out.append((child.lineno, mod, mod.split(".")[0], top))
            visit(child, inner)

    visit(tree, True)
    return out


def _violations(dotted, source, is_pkg=False):
    """Messages for every import that breaks the layering or imports a heavy library at top."""
    problems = []
    layer = _layer(dotted)
    for line, mod, top_pkg, top in _imports(dotted, source, is_pkg):
        if top and top_pkg in HEAVY:
            problems.append(f"{dotted}:{line} imports {mod} at module top level; import it "
                            "inside the function that needs it")
        if top_pkg != "mathdl" or layer is None:
            continue
        if mod == "mathdl":
            if layer != LAYERS[-1]:
                problems.append(f"{dotted}:{line} imports the mathdl package itself; import the "
                                "module it needs (from mathdl.autograd import Tensor)")
            continue
        theirs = _layer(mod)
        if theirs not in LAYERS:
            problems.append(f"{dotted}:{line} imports unknown module {mod}")
        elif LAYERS.index(theirs) > LAYERS.index(layer):
            problems.append(f"{dotted}:{line} imports {mod}, which is below it in the layering "
                            f"{' > '.join(LAYERS)}")
    return problems


def _check(path):
    return _violations(_dotted(path), path.read_text(encoding="utf-8"),
                       is_pkg=path.name == "__init__.py")


MODULES = _modules()


def test_every_module_has_a_layer():
    for path in MODULES:
        assert _layer(_dotted(path)) in LAYERS, f"{_dotted(path)} is not in the layering {LAYERS}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _dotted(p))
def test_imports_only_from_layers_above_and_no_heavy_top_level_imports(path):
    problems = _check(path)
    assert not problems, "\n".join(problems)


def test_package_init_imports_nothing_heavy():
    path = PACKAGE / "__init__.py"
    heavy = [m for _, m, top_pkg, top in _imports("mathdl", path.read_text(), is_pkg=True)
             if top and top_pkg in HEAVY]
    assert not heavy


@pytest.mark.parametrize("dotted, source, expected", [
    ("mathdl.autograd", "from .nn import Module\n", "below it in the layering"),
    ("mathdl.autograd", "from mathdl import nn\n", "below it in the layering"),
    ("mathdl.functional", "from mathdl import Tensor, gradcheck\n", "mathdl.gradcheck"),
    ("mathdl.nn", "import mathdl\n", "imports the mathdl package itself"),
    ("mathdl.optim.lr_scheduler", "from ..viz import plot\n", "mathdl.viz, which is below"),
    ("mathdl.viz", "import matplotlib.pyplot as plt\n", "matplotlib.pyplot at module top level"),
    ("mathdl.widgets", "try:\n    import ipywidgets\nexcept ImportError:\n    pass\n",
     "ipywidgets at module top level"),
    ("mathdl.data", "class A:\n    import torch\n", "torch at module top level"),
])
def test_checker_finds_violations(dotted, source, expected):
    problems = _violations(dotted, source)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("dotted, source", [
    ("mathdl.nn", "from .autograd import Tensor\nfrom . import init\n"),
    ("mathdl.optim.lr_scheduler", "from . import Optimizer\nfrom ..autograd import no_grad\n"),
    ("mathdl.viz", "def f():\n    import matplotlib.pyplot as plt\n"),
    ("mathdl.exercises.checks.ch06", "import mathdl as mdl\nfrom mathdl.viz import COLORS\n"),
    ("mathdl.autograd", "import numpy as np\n"),
])
def test_checker_allows_legal_imports(dotted, source):
    assert _violations(dotted, source) == []


def test_import_mathdl_tensor_does_not_import_heavy_modules():
    code = ("import sys, mathdl; mathdl.Tensor; mathdl.tensor([1.0]); import mathdl.functional, "
            "mathdl.gradcheck; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'IPython', 'torch') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
