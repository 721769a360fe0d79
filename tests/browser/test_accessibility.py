"""Accessibility: axe-core (npm, tests/browser/package.json) in every page (light mode).

Rules: colour contrast (WCAG 2 AA), heading order, image alt text, plus a few cheap structural
rules that our content controls (labels of the slider inputs, link and button names, the page
language and title). Known violations that come from the theme and that our content cannot fix
are listed one by one in axe.KNOWN (rule + selector), each with the fix that removes it.
Dark mode: test_accessibility_dark.py.
"""

from __future__ import annotations

import pytest

from .axe import FULL_CONTRAST, PAGE, PAGES, RULES, WHOLE_PAGE, violations

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page", PAGES)
def test_axe_light_mode(tab, axe_js, page):
    found = violations(tab, page, axe_js, [(WHOLE_PAGE if page in FULL_CONTRAST else PAGE, RULES)])
    assert not found, f"{page}: {len(found)} accessibility violations:\n" + "\n".join(found)
