"""The kernel-free slider figures (mathdl.widgets' HTML form): moving a slider changes the figure.

A reader without a kernel moves the range input with the keyboard (as Home/End/arrow keys do in
any browser); every position must show its own readout and the figure must change.
"""

from __future__ import annotations

import pytest

from .conftest import pages_with

pytestmark = pytest.mark.browser

SLIDER_PAGES = pages_with('class="mdl-interactive"')

_STATE_JS = """(fig) => ({src: fig.querySelector('img').src,
    texts: [...fig.querySelectorAll('output')].map(o => o.textContent),
    valuetexts: [...fig.querySelectorAll('input[type=range]')].map(i => i.getAttribute('aria-valuetext')),
    values: [...fig.querySelectorAll('input[type=range]')].map(i => +i.value)})"""


def test_the_site_has_slider_figures(site_dir):
    assert SLIDER_PAGES, f"no kernel-free slider figure (class mdl-interactive) on any page of {site_dir}"


@pytest.mark.parametrize("page", SLIDER_PAGES)
def test_sliders_move_the_figure(tab, page):
    tab.open(page)
    figures = tab.page.locator(".mdl-interactive").all()
    assert figures, f"{page}: no slider figure rendered"
    for fig in figures:
        fig_id = fig.get_attribute("id")
        where = f"{page} #{fig_id}"
        img = fig.locator("img")
        assert (img.get_attribute("alt") or "").strip(), f"{where}: figure without alt text"
        assert img.evaluate("i => i.complete && i.naturalWidth > 0"), f"{where}: figure did not load"
        start = fig.evaluate(_STATE_JS)
        inputs = fig.locator("input[type=range]")
        assert inputs.count() >= 1, f"{where}: no range input"
        for j in range(inputs.count()):
            slider = inputs.nth(j)
            sid = slider.get_attribute("id")
            assert fig.locator(f"label[for='{sid}']").count() == 1, f"{where}: slider {sid} has no <label>"
            n = int(slider.get_attribute("max")) - int(slider.get_attribute("min")) + 1
            assert n >= 2, f"{where}: slider {sid} has {n} positions"
            slider.focus()
            slider.press("Home")
            states = [fig.evaluate(_STATE_JS)]
            for _ in range(n - 1):
                slider.press("ArrowRight")
                states.append(fig.evaluate(_STATE_JS))
            values = [s["values"][j] for s in states]
            assert values == list(range(n)), f"{where}: keyboard steps gave positions {values}"
            texts = [s["texts"][j] for s in states]
            assert len(set(texts)) == n, f"{where}: readouts do not change with the slider: {texts}"
            assert all(s["valuetexts"][j] == s["texts"][j] for s in states), f"{where}: aria-valuetext != readout"
            srcs = [s["src"] for s in states]
            changes = sum(a != b for a, b in zip(srcs, srcs[1:], strict=False))
            assert changes >= (n - 1) / 2, (
                f"{where}: the figure changed on only {changes} of {n - 1} steps of slider {sid}")
            # back to where it started: the page's initial image is the frame of the initial value
            slider.press("Home")
            for _ in range(start["values"][j]):
                slider.press("ArrowRight")
        end = fig.evaluate(_STATE_JS)
        assert end == start, f"{where}: the initial image/readout is not the frame of the initial value"
    assert not tab.errors, f"{page}: " + "\n".join(tab.errors)


def test_slider_screenshots(tab, shots_dir):
    """Before/after screenshots of the first slider figure (saved for a human to look at)."""
    if not SLIDER_PAGES:
        pytest.skip("no slider figure")
    tab.open(SLIDER_PAGES[0])
    fig = tab.page.locator(".mdl-interactive").first
    fig.scroll_into_view_if_needed()
    before = fig.screenshot(path=str(shots_dir / "slider-before.png"))
    slider = fig.locator("input[type=range]").first
    at_max = slider.evaluate("i => i.value === i.max")
    src = fig.locator("img").get_attribute("src")
    slider.focus()
    slider.press("Home" if at_max else "End")  # to the other end of the range
    assert fig.locator("img").get_attribute("src") != src, "the figure did not change"
    after = fig.screenshot(path=str(shots_dir / "slider-after.png"))
    assert before != after, "the slider figure looks the same before and after moving the slider"
    print(f"slider screenshots: {shots_dir}/slider-before.png, slider-after.png")
