"""The in-browser Python of the site (JupyterLite, in ``_build/html/lite``).

``lite/mathdl_jupyterlite.py`` (a local Sphinx extension) builds it at the end of the site build:
the pure-Python wheel of mathdl, a copy of every chapter notebook with a set-up cell, and the
JupyterLite app with the Pyodide kernel. These tests check that build offline: the app's files
and configuration, the wheel, the notebooks, and the links to them on the site. They do not run
Pyodide (it comes from a CDN at run time; ``book/lite.md`` says what needs the network).

The README's test command builds the site before pytest runs. Without a built site the tests
that need it are skipped, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
SITE = Path(os.environ.get("MATHDL_SITE_DIR") or ROOT / "_build" / "html")
LITE = SITE / "lite"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

sys.path.insert(0, str(ROOT / "lite"))
import mathdl_jupyterlite as ext  # noqa: E402


def _unavailable(reason: str):
    """Skip locally; under CI a missing build is a failure, never a silent skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the site must be built before the tests)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        _unavailable(f"no built site at {SITE}: build it first with "
                     "`jupyter-book build . -W -n --keep-going` (or set MATHDL_SITE_DIR)")
    return SITE


@pytest.fixture(scope="module")
def lite_config(site) -> dict:
    path = LITE / "jupyter-lite.json"
    assert path.is_file(), f"{path} is missing: the JupyterLite build (lite/mathdl_jupyterlite.py) did not run"
    return json.loads(path.read_text(encoding="utf-8"))["jupyter-config-data"]


def _toc_notebooks() -> list[str]:
    """Docnames of _toc.yml's entries that are notebooks (``book/01_derivatives``, ...)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return [f for f in files if (ROOT / f"{f}.ipynb").is_file()]


def _pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _wheel(site) -> Path:
    wheels = sorted((LITE / "pypi").glob("mathdl-*.whl"))
    assert len(wheels) == 1, f"expected one mathdl wheel in {LITE / 'pypi'}, found {wheels}"
    return wheels[0]


# ---- configuration (no build needed) -------------------------------------------------------
def test_extension_and_launch_button_are_configured():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "mathdl_jupyterlite" in config["sphinx"]["config"]["extensions"]
    assert config["sphinx"]["local_extensions"]["mathdl_jupyterlite"] == "lite"
    assert config["launch_buttons"]["jupyterlite_url"] == "../lite/lab/index.html"
    assert "book/lite" in (ROOT / "_toc.yml").read_text(encoding="utf-8")


def test_lite_copy_adds_the_setup_cells_before_the_first_code_cell():
    nb = json.loads((BOOK / "01_derivatives.ipynb").read_text(encoding="utf-8"))
    before = json.dumps(nb, sort_keys=True)
    lite = ext.lite_notebook(nb)
    assert json.dumps(nb, sort_keys=True) == before, "lite_notebook must not modify its input"
    added = [c for c in lite["cells"] if c.get("id") in (ext.NOTE_ID, ext.SETUP_ID)]
    assert [c["cell_type"] for c in added] == ["markdown", "code"]
    rest = [c for c in lite["cells"] if c not in added]
    assert rest == nb["cells"], "the in-browser copy must keep every cell of the chapter unchanged"
    first_code = next(i for i, c in enumerate(lite["cells"]) if c["cell_type"] == "code")
    assert lite["cells"][first_code].get("id") == ext.SETUP_ID
    assert lite["metadata"]["kernelspec"]["name"] == "python"  # jupyterlite-pyodide-kernel's


def test_glue_stand_in_lets_the_chapters_import_glue():
    """The set-up cell's Python (without its %pip lines), where myst-nb is not importable."""
    code = "\n".join(line for line in ext.SETUP.splitlines() if not line.lstrip().startswith("%pip"))
    script = ("import sys\nsys.modules['myst_nb'] = None  # as in Pyodide: not installed\n" + code +
              "\nfrom myst_nb import glue\nglue('x', 1.5, display=False)\nglue('y', 2.5)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2.5", proc.stdout  # display=True shows the value, display=False nothing


# ---- the built JupyterLite ----------------------------------------------------------------
def test_lite_app_is_built(site, lite_config):
    for path in ("index.html", "lab/index.html", "notebooks/index.html", "api/contents/all.json"):
        assert (LITE / path).is_file(), f"{LITE / path} is missing"
    assert lite_config["defaultKernelName"] == "python"
    extensions = {e["name"] for e in lite_config["federated_extensions"]}
    # the Pyodide kernel, and the ipywidgets front end for the live sliders
    assert {"@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager"} <= extensions
    for ext_name in extensions:
        entry = next(e for e in lite_config["federated_extensions"] if e["name"] == ext_name)
        assert (LITE / "extensions" / ext_name / entry["load"]).is_file(), entry


def test_piplite_index_serves_the_mathdl_wheel(site, lite_config):
    settings = lite_config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    urls = [u.split("?")[0] for u in settings["pipliteUrls"]]
    assert "./pypi/all.json" in urls, urls
    index = json.loads((LITE / "pypi" / "all.json").read_text(encoding="utf-8"))
    wheel = _wheel(site)
    releases = index["mathdl"]["releases"][_pyproject_version()]
    assert [r["filename"] for r in releases] == [wheel.name]
    assert releases[0]["digests"]["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()


def test_mathdl_wheel_is_pure_python_with_the_data_files(site):
    wheel = _wheel(site)
    version = _pyproject_version()
    assert wheel.name == f"mathdl-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(f"mathdl-{version}.dist-info/WHEEL").decode()
        metadata = zf.read(f"mathdl-{version}.dist-info/METADATA").decode()
    assert "Root-Is-Purelib: true" in meta and "Tag: py3-none-any" in meta, meta
    assert re.search(rf"^Version: {re.escape(version)}$", metadata, re.M), "wheel version != pyproject's"
    binaries = [n for n in names if n.endswith((".so", ".pyd", ".dylib", ".dll"))]
    assert not binaries, binaries
    assert "mathdl/__init__.py" in names
    data = {f"mathdl/_datafiles/{p.name}" for p in (ROOT / "mathdl" / "_datafiles").iterdir() if p.is_file()}
    assert data and data <= names, f"data files missing from the wheel: {sorted(data - names)}"
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "mathdl").rglob("*.py")}
    assert sources <= names, f"modules missing from the wheel: {sorted(sources - names)}"


def test_mathdl_wheel_imports_and_loads_its_data(site, tmp_path):
    """The wheel alone (unzipped, as an installer would) is a working mathdl, data included."""
    with zipfile.ZipFile(_wheel(site)) as zf:
        zf.extractall(tmp_path / "wheel")
    code = ("import mathdl as mdl, pathlib, sys\n"
            "assert pathlib.Path(mdl.__file__).is_relative_to(sys.argv[1]), mdl.__file__\n"
            "X, y = mdl.data.load_digits()\n"
            "print(X.shape[1], len(set(y.tolist())))\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "wheel"))
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "wheel")], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["64", "10"], proc.stdout


@pytest.mark.parametrize("docname", _toc_notebooks())
def test_every_chapter_notebook_is_in_the_lite_contents(site, docname):
    lite_nb = LITE / "files" / f"{docname}.ipynb"
    assert lite_nb.is_file(), f"{docname}.ipynb is not in JupyterLite's files ({LITE / 'files'})"
    listing = json.loads((LITE / "api" / "contents" / Path(docname).parent / "all.json").read_text())
    assert f"{docname}.ipynb" in {item["path"] for item in listing["content"]}
    source = json.loads((ROOT / f"{docname}.ipynb").read_text(encoding="utf-8"))
    lite = json.loads(lite_nb.read_text(encoding="utf-8"))
    assert lite == ext.lite_notebook(source), (
        f"{docname}: the in-browser copy is not the current book notebook plus the set-up cells "
        "(rebuild the site)")
    setup = next(c for c in lite["cells"] if c.get("id") == ext.SETUP_ID)
    assert "%pip install -q mathdl" in "".join(setup["source"])


def test_lite_contents_are_exactly_the_book_notebooks(site):
    in_lite = sorted(p.name for p in (LITE / "files" / "book").glob("*.ipynb"))
    in_book = sorted(p.name for p in BOOK.glob("*.ipynb"))
    assert in_lite == in_book


def test_run_in_your_browser_page_links_every_chapter(site):
    page = (SITE / "book" / "lite.html").read_text(encoding="utf-8")
    for docname in _toc_notebooks():
        href = f'href="../lite/lab/index.html?path={docname}.ipynb"'
        assert href in page, f"book/lite.html has no link to {docname}'s in-browser copy"


@pytest.mark.parametrize("docname", _toc_notebooks())
def test_chapter_pages_have_a_jupyterlite_launch_button(site, docname):
    html = (SITE / f"{docname}.html").read_text(encoding="utf-8")
    assert f'href="../lite/lab/index.html?path={docname}.ipynb"' in html, (
        f"{docname}.html: no JupyterLite entry in the launch (rocket) menu")
