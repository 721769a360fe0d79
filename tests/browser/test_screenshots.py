"""Screenshots of three chapters at desktop (1280 px) and phone (390 px) width.

Saved to ``$MATHDL_BROWSER_SHOTS`` (or a pytest temporary directory) for a human to look at: the
top of the page, the first display formula, figure, slider figure and exercise. The tests assert
what a machine can: the page does not scroll sideways at phone width, and the parts are visible.
"""

from __future__ import annotations

import pytest

from .conftest import DESKTOP, PHONE, is_chapter, opened_tab, pages_with, toc_pages

pytestmark = pytest.mark.browser

_CHAPTERS = [p for p in toc_pages() if is_chapter(p)]
_SLIDERS = [p for p in pages_with('class="mdl-interactive"') if is_chapter(p)]
SHOT_PAGES = list(dict.fromkeys(_CHAPTERS[:1] + _SLIDERS[-1:] + _CHAPTERS[len(_CHAPTERS) // 2:]))[:3]
PARTS = {"math": "div.math", "figure": ".cell_output img", "slider": ".mdl-interactive",
         "exercise": "div.exercise"}


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_chapter_screenshots(browser, base_url, vendor_dir, shots_dir, width):
    if not SHOT_PAGES:
        pytest.skip("no chapter in _toc.yml")
    viewport = DESKTOP if width == "desktop" else PHONE
    with opened_tab(browser, base_url, vendor_dir, viewport=viewport,
                    is_mobile=width == "phone", has_touch=width == "phone") as tab:
        for page in SHOT_PAGES:
            tab.open(page)
            name = page.split("/")[-1].removesuffix(".html")
            tab.page.screenshot(path=str(shots_dir / f"{name}-{width}-top.png"))
            for part, selector in PARTS.items():
                loc = tab.page.locator(selector).first
                if not loc.count():
                    continue
                loc.scroll_into_view_if_needed()
                assert loc.is_visible(), f"{page} ({width}): the first {part} is not visible"
                tab.page.screenshot(path=str(shots_dir / f"{name}-{width}-{part}.png"))
            overflow = tab.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{page} ({width}): the page scrolls sideways by {overflow}px"
            assert not tab.errors, f"{page} ({width}): " + "\n".join(tab.errors)
    print(f"screenshots of {SHOT_PAGES}: {shots_dir}")
