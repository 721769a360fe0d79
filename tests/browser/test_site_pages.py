"""Every page of the table of contents, as a reader's browser shows it.

Each page is visited once (``Tab.report``); the tests below assert on what that visit gathered:
no console errors, no external request beyond the CDN copies, typeset math, loaded images with
alt text, exercises with collapsed solutions, and internal links (with #fragments) that resolve.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from .conftest import is_chapter, toc_pages

pytestmark = pytest.mark.browser

PAGES = toc_pages()
CHAPTERS = [p for p in PAGES if is_chapter(p)]


def test_toc_has_pages():
    assert PAGES[0].endswith(".html") and len(PAGES) >= 3, PAGES


def test_index_redirects_to_the_first_page(tab):
    tab.errors = []
    tab.page.goto(tab.base_url + "index.html")
    tab.page.wait_for_url(f"**/{PAGES[0]}")
    assert not tab.errors, tab.errors


@pytest.mark.parametrize("page", PAGES)
def test_no_console_errors(tab, page):
    rep = tab.report(page)
    assert not rep["errors"], f"{page}: " + "\n".join(rep["errors"])


@pytest.mark.parametrize("page", PAGES)
def test_no_unexpected_external_requests(tab, page):
    rep = tab.report(page)
    assert not rep["blocked"], (
        f"{page} requested external resources that have no local copy (tests/browser/package.json) "
        f"and are not in ALLOWED_EXTERNAL: {rep['blocked']}")


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset(tab, page):
    rep = tab.report(page)
    if rep["math"]:
        assert rep["mathjax"], f"{page} has {rep['math']} formulas but MathJax did not load"
        assert rep["mjx"] >= rep["math"], f"{page}: {rep['mjx']} typeset of {rep['math']} formulas"
    assert not rep["math_untypeset"], f"{page}: formulas left as TeX: {rep['math_untypeset'][:5]}"
    assert not rep["math_errors"], f"{page}: MathJax errors: {rep['math_errors'][:5]}"
    assert not rep["raw_tex"], f"{page}: raw TeX in the text (not typeset): {rep['raw_tex'][:5]}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapters_have_math(tab, page):
    assert tab.report(page)["mjx"] > 0, f"{page}: no typeset formula at all"


@pytest.mark.parametrize("page", PAGES)
def test_images_load_and_have_alt_text(tab, page):
    rep = tab.report(page)
    broken = [i["src"] for i in rep["images"] if not (i["complete"] and i["width"] > 0)]
    assert not broken, f"{page}: images that did not load: {broken}"
    no_alt = [i["src"] for i in rep["images"] if not (i["alt"] or "").strip()]
    assert not no_alt, f"{page}: images without alt text: {no_alt}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapters_have_figures(tab, page):
    figures = [i for i in tab.report(page)["images"] if i["visible"]]
    assert figures, f"{page}: no visible figure"


@pytest.mark.parametrize("page", CHAPTERS)
def test_exercises_with_collapsed_solutions(tab, page):
    rep = tab.report(page)
    exercises = rep["exercises"]
    assert exercises, f"{page}: no sphinx-exercise exercise"
    for ex in exercises:
        where = f"{page} {ex['title']!r} (#{ex['id']})"
        assert ex["id"].startswith("ex-"), f"{where}: no :label: ex-N-k"
        assert ex["solution"], f"{where}: the next code cell is not a ### BEGIN SOLUTION cell"
        assert ex["hide_input"] and ex["details_closed"], f"{where}: the solution cell is not tagged hide-input"
        assert not ex["code_visible"], f"{where}: the solution code is visible"
    assert not rep["visible_solutions"], f"{page}: solution code shown: {rep['visible_solutions']}"


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


_FETCHED: dict[str, tuple[int, set[str] | None]] = {}


def _fetch(tab, url: str) -> tuple[int, set[str] | None]:
    if url not in _FETCHED:
        resp = tab.context.request.get(url)
        ids = None
        if resp.ok and "html" in (resp.headers.get("content-type") or ""):
            parser = _Ids()
            parser.feed(resp.text())
            ids = parser.ids
        _FETCHED[url] = (resp.status, ids)
    return _FETCHED[url]


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_resolve(tab, page):
    rep = tab.report(page)
    bad = []
    for link in rep["links"]:
        url, fragment = urldefrag(link)
        status, ids = _fetch(tab, url)
        if status != 200:
            bad.append(f"{link} -> HTTP {status}")
        elif fragment and ids is not None and fragment not in ids:
            bad.append(f"{link} -> no element with id {fragment!r} on {urlsplit(url).path}")
    assert not bad, f"{page}: broken internal links:\n" + "\n".join(bad)
