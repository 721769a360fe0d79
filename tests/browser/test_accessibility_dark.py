"""Accessibility in the theme's dark mode: colour contrast with axe-core (see axe.py)."""

from __future__ import annotations

import pytest

from .axe import CHAPTERS, FULL_CONTRAST, PAGE, WHOLE_PAGE, violations
from .conftest import opened_tab

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dark_tab(browser, base_url, vendor_dir):
    with opened_tab(browser, base_url, vendor_dir, dark=True) as t:
        yield t


DARK_PAGES = sorted(FULL_CONTRAST) + [p for p in CHAPTERS if "04_" in p]


@pytest.mark.parametrize("page", DARK_PAGES)
def test_axe_dark_mode(dark_tab, axe_js, shots_dir, page):
    """The theme's dark mode (the reader's choice, stored in localStorage): contrast there too."""
    contrast = WHOLE_PAGE if page in FULL_CONTRAST else PAGE
    found = violations(dark_tab, page, axe_js, [(contrast, ["color-contrast"])])
    name = page.split("/")[-1].removesuffix(".html")
    for part in ("div.exercise", ".mdl-interactive"):  # for a human to look at
        loc = dark_tab.page.locator(part).first
        if loc.count():
            loc.scroll_into_view_if_needed()
            dark_tab.page.screenshot(path=str(shots_dir / f"dark-{name}-{part.split('.')[-1]}.png"))
    theme = dark_tab.page.evaluate("document.documentElement.dataset.theme")
    assert theme == "dark", f"{page}: the theme did not switch to dark mode (data-theme={theme!r})"
    assert not found, f"{page} (dark mode): {len(found)} accessibility violations:\n" + "\n".join(found)
    assert not dark_tab.errors, f"{page} (dark mode): " + "\n".join(dark_tab.errors)
