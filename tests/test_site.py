"""The site's configuration, and the built site if it is there.

The README's test command builds the site (``jupyter-book build . -W -n --keep-going``) before it
runs pytest, so the checks on ``_build/html`` run against the site just built; they are skipped
when there is no build. Browser-level checks (console errors, MathJax, sliders) live in the
browser tests.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
HTML = ROOT / "_build" / "html"


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def _source(docname: str) -> Path | None:
    for suffix in (".md", ".ipynb"):
        if (ROOT / f"{docname}{suffix}").exists():
            return ROOT / f"{docname}{suffix}"
    return None


def test_toc_lists_existing_files_once():
    files = _toc_files()
    assert len(files) == len(set(files)), "a file is listed twice in _toc.yml"
    missing = [f for f in files if _source(f) is None]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_every_book_notebook_is_on_the_site():
    listed = {f"{f}.ipynb" for f in _toc_files()}
    notebooks = sorted(p.relative_to(ROOT).as_posix() for p in BOOK.glob("*.ipynb"))
    unlisted = [nb for nb in notebooks if nb not in listed]
    assert not unlisted, (
        f"notebooks checked by nbval but missing from _toc.yml (uncomment their lines): {unlisted}")


def test_one_repository_url_drives_readme_intro_and_buttons():
    config = _config()
    url = config["repository"]["url"].rstrip("/")
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), url
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert config["launch_buttons"]["thebe"] is False
    for doc in ("README.md", "book/intro.md"):
        text = (ROOT / doc).read_text()
        assert f"git clone {url}.git" in text, f"{doc} must clone the configured repository"


def test_site_prefers_the_kernel_free_html_of_slider_outputs():
    overrides = _config()["sphinx"]["config"]["nb_mime_priority_overrides"]
    assert ["html", "text/html", 0] in overrides


def test_postbuild_writes_the_student_edition():
    post = ROOT / "postBuild"
    assert os.access(post, os.X_OK), "postBuild must be executable for repo2docker"
    assert "python -m mathdl.exercises student book/ student/" in post.read_text()
    subprocess.run(["bash", "-n", str(post)], check=True)
    assert not (ROOT / "binder").exists(), (
        "with a binder/ folder, repo2docker ignores the root requirements.txt and postBuild")


built = pytest.mark.skipif(not (HTML / "index.html").exists(),
                           reason="site not built (jupyter-book build . -W -n --keep-going)")


def _html(docname: str) -> str:
    return (HTML / f"{docname}.html").read_text(encoding="utf-8")


@built
def test_every_toc_page_is_built():
    missing = [f for f in _toc_files() if not (HTML / f"{f}.html").exists()]
    assert not missing, f"pages missing from _build/html: {missing}"


@built
@pytest.mark.parametrize("docname", _toc_files())
def test_page_has_no_known_console_error_sources(docname):
    html = _html(docname)
    # sphinx-thebe's inline script twice: "Identifier 'THEBE_JS_URL' has already been declared".
    assert html.count("const THEBE_JS_URL") <= 1
    # An empty default mode makes the pydata theme log "Got invalid theme mode".
    assert 'localStorage.getItem("mode") || "auto"' in html
    # ipywidgets 7's HTML manager cannot render ipywidgets 8 state.
    assert "html-manager@1" not in html


@built
def test_notebook_pages_have_binder_and_colab_buttons():
    config = _config()
    org_repo = config["repository"]["url"].rstrip("/").split("github.com/")[1]
    branch = config["repository"]["branch"]
    notebooks = [f for f in _toc_files() if _source(f) and _source(f).suffix == ".ipynb"]
    if not notebooks:
        pytest.skip("no notebook in _toc.yml yet")
    for docname in notebooks:
        html = _html(docname)
        binder = (f"https://mybinder.org/v2/gh/{org_repo}/{branch}"
                  f"?urlpath=lab/tree/{docname}.ipynb")
        assert binder in html, f"{docname}: no Binder button to {binder}"
        colab = f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{docname}.ipynb"
        assert colab in html, f"{docname}: no Colab button to {colab}"


@built
def test_exercise_numbers_on_the_site_match_their_labels():
    """sphinx-exercise numbers exercises itself (chapter.k); `check("N.k", ...)` and the label
    `ex-N-k` must agree with the number the reader sees."""
    pattern = re.compile(r'class="exercise[^"]*" id="ex-(\d+)-(\d+)">\s*'
                         r'<p class="admonition-title"><span class="caption-number">'
                         r'Exercise (\d+)\.(\d+)')
    seen = 0
    for docname in _toc_files():
        for label_n, label_k, shown_n, shown_k in pattern.findall(_html(docname)):
            seen += 1
            assert (label_n, label_k) == (shown_n, shown_k), (
                f"{docname}: exercise labelled ex-{label_n}-{label_k} is shown as "
                f"Exercise {shown_n}.{shown_k} (is every earlier chapter in _toc.yml?)")
    if not seen:
        pytest.skip("no exercises on the site yet")
