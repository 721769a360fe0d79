"""Sphinx extension: the site's in-browser Python (JupyterLite), built into ``_build/html/lite``.

At the end of every HTML build (Sphinx's ``build-finished`` event), offline:

1. **The mathdl wheel.** ``pyproject.toml``, ``README.md`` and ``mathdl/`` are copied to a
   temporary directory and built with setuptools' PEP 517 backend, in this Python, without build
   isolation (nothing is downloaded). The wheel must be pure Python (``py3-none-any``): the
   Pyodide kernel's ``%pip`` (piplite) can only install such wheels.
2. **The notebooks.** Every ``book/*.ipynb`` is copied to ``book/`` in JupyterLite's files, with
   two cells put before its first code cell: a note, and a set-up cell that installs ``mathdl``
   from this site (``%pip install mathdl``), stands in for myst-nb's ``glue`` (myst-nb needs
   Sphinx and does not run in Pyodide) and installs ``ipywidgets`` for the live sliders.
   The kernelspec becomes the Pyodide kernel's. ``book/`` itself is never written to.
3. **JupyterLite.** ``jupyter lite build`` (jupyterlite-core, with the jupyterlite-pyodide-kernel
   addon and the ipywidgets front end found in this environment) writes the app to
   ``<outdir>/lite``; ``lite/jupyter_lite_config.json`` holds its build options. The wheel is
   indexed in ``lite/pypi/all.json``, which the kernel's piplite searches first.

Nothing is fetched at build time: JupyterLite's files come from the jupyterlite-core and
jupyterlite-pyodide-kernel packages. At run time the reader's browser loads Pyodide and its
packages (numpy, matplotlib) from the public Pyodide CDN, and ``ipywidgets`` from PyPI
(``book/lite.md`` lists what needs the network).

A chapter's page links to its copy through sphinx-book-theme's launch button
(``launch_buttons.jupyterlite_url`` in ``_config.yml``); ``book/lite.md`` links to all of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent

#: where the app goes, relative to the HTML output directory
LITE_DIR = "lite"
#: the Pyodide kernel of jupyterlite-pyodide-kernel
PYODIDE_KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
#: cell ids of the cells added to the in-browser copies (tests/test_lite.py finds them by these)
NOTE_ID, SETUP_ID = "mathdl-lite-note", "mathdl-lite-setup"

NOTE = """\
**In your browser.** This copy of the chapter runs in JupyterLite: Python (Pyodide) runs in \
this browser tab, and nothing is installed on your computer. **Run the next cell first** \
(or *Run → Run All Cells*). It is only in the in-browser copy. It installs the book's package \
`mathdl` from this site, gives `glue` a stand-in (myst-nb's `glue` puts computed numbers into the \
book's text and does not run in a browser), and installs `ipywidgets` from PyPI for the live \
sliders. Python, numpy and matplotlib are downloaded from the Pyodide CDN the first time, \
which takes a while. Your changes are kept in this browser only: use *File → Download* to \
keep a copy."""

SETUP = """\
# Set-up of the in-browser copy (JupyterLite). Added to this notebook when the site was built.
%pip install -q mathdl

# `from myst_nb import glue` in the next cell: myst-nb needs Sphinx, which does not run in the
# browser. This stand-in only shows the values glued with display=True.
import importlib.util, sys, types
if importlib.util.find_spec("myst_nb") is None:
    def glue(name, variable, display=True):
        if display:
            from IPython.display import display as show
            show(variable)
    sys.modules["myst_nb"] = types.ModuleType("myst_nb")
    sys.modules["myst_nb"].glue = glue

# The live sliders (from PyPI). Without it, the sliders show their precomputed frames.
%pip install -q ipywidgets"""


def _source_lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def lite_notebook(nb: dict) -> dict:
    """The in-browser copy of a book notebook: the note and set-up cells before the first code cell."""
    nb = json.loads(json.dumps(nb))
    with_ids = (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) >= (4, 5)
    note = {"cell_type": "markdown", "metadata": {"tags": ["jupyterlite"]}, "source": _source_lines(NOTE)}
    setup = {"cell_type": "code", "execution_count": None, "metadata": {"tags": ["jupyterlite"]},
             "outputs": [], "source": _source_lines(SETUP)}
    if with_ids:
        note["id"], setup["id"] = NOTE_ID, SETUP_ID
    cells = nb["cells"]
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    nb["cells"] = cells[:first_code] + [note, setup] + cells[first_code:]
    nb.setdefault("metadata", {})["kernelspec"] = dict(PYODIDE_KERNELSPEC)
    return nb


def build_wheel(root: Path, dest: Path) -> Path:
    """Build mathdl's wheel from a copy of its sources (the work tree is not written to)."""
    with tempfile.TemporaryDirectory(prefix="mathdl-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "setup.cfg", "setup.py", "MANIFEST.in"):
            if (root / name).is_file():
                shutil.copy2(root / name, src / name)
        for lic in root.glob("LICEN[CS]E*"):
            shutil.copy2(lic, src / lic.name)
        shutil.copytree(root / "mathdl", src / "mathdl",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        dest.mkdir(parents=True, exist_ok=True)
        code = ("import sys; from setuptools import build_meta; "
                "print(build_meta.build_wheel(sys.argv[1]))")
        proc = subprocess.run([sys.executable, "-c", code, str(dest)], cwd=src,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise ExtensionError(f"jupyterlite: building the mathdl wheel failed:\n{proc.stdout}\n{proc.stderr}")
        wheel = dest / proc.stdout.strip().splitlines()[-1]
    if not wheel.name.endswith("-py3-none-any.whl"):
        raise ExtensionError(f"jupyterlite: {wheel.name} is not a pure-Python wheel (py3-none-any); "
                             "the Pyodide kernel cannot install it")
    with zipfile.ZipFile(wheel) as zf:
        if "mathdl/__init__.py" not in zf.namelist():
            raise ExtensionError(f"jupyterlite: {wheel.name} has no mathdl/__init__.py")
    return wheel


def build_lite(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.confdir)
    out = Path(app.outdir) / LITE_DIR
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mathdl-lite-") as tmp:
        lite_dir = Path(tmp)
        # the build options, and runtime settings if any (jupyter-lite.json, overrides.json)
        for name in ("jupyter_lite_config.json", "jupyter-lite.json", "overrides.json"):
            if (HERE / name).is_file():
                shutil.copy2(HERE / name, lite_dir / name)
        wheel = build_wheel(root, lite_dir / "pypi")  # lite_dir/pypi/*.whl: indexed for piplite
        t_wheel = time.perf_counter() - t0

        contents = lite_dir / "contents"
        notebooks = sorted((root / "book").glob("*.ipynb"))
        for path in notebooks:
            nb = json.loads(path.read_text(encoding="utf-8"))
            target = contents / "book" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(lite_notebook(nb), indent=1, ensure_ascii=False) + "\n",
                              encoding="utf-8")

        # A clean output every time: no notebook or wheel left over from an earlier build.
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "jupyter", "lite", "build", "--lite-dir", str(lite_dir),
               "--contents", str(contents), "--output-dir", str(out)]
        proc = subprocess.run(cmd, cwd=lite_dir, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ExtensionError(f"jupyterlite: `{' '.join(cmd)}` failed:\n{proc.stdout[-5000:]}\n"
                                 f"{proc.stderr[-5000:]}")
    LOGGER.info(f"jupyterlite: {out} with {len(notebooks)} notebooks and {wheel.name} "
                f"in {time.perf_counter() - t0:.1f} s (wheel {t_wheel:.1f} s)")


def setup(app: Sphinx) -> dict:
    import importlib.util

    missing = [m for m in ("jupyterlite_core", "jupyterlite_pyodide_kernel", "setuptools")
               if importlib.util.find_spec(m) is None]
    if missing:
        raise ExtensionError(f"mathdl_jupyterlite needs {', '.join(missing)}: "
                             "pip install -r requirements-dev.txt")
    # after the other build-finished handlers (default priority 500)
    app.connect("build-finished", build_lite, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
