"""axe-core (npm: tests/browser/package.json) runs for the accessibility tests."""

from __future__ import annotations

from .conftest import is_chapter, toc_pages

PAGES = toc_pages()
CHAPTERS = [p for p in PAGES if is_chapter(p)]
RULES = ["color-contrast", "heading-order", "image-alt", "label", "link-name", "button-name", "html-has-lang",
         "document-title", "aria-valid-attr-value", "aria-allowed-attr"]
# Colour contrast is axe's slow rule (5-20 s a page on a busy 2-core machine). The code colours
# (pygments) are the same on every page: they are checked on FULL_CONTRAST pages only.
FULL_CONTRAST = {PAGES[0], CHAPTERS[0] if CHAPTERS else PAGES[0]}
# Everywhere: the whole page without MathJax output (thousands of mjx-* nodes a chapter, in the
# colour of the text around them), code blocks and API signatures (autodoc's dt.sig: 15k spans on
# the API page, styled by the theme alone). One axe run a page (each run walks the whole DOM).
PAGE = {"exclude": [["mjx-container"], ["div.highlight"], ["dt.sig"]]}
WHOLE_PAGE = {"exclude": [["mjx-container"]]}  # code colours too

# Known violations from the theme that our content cannot fix, one by one:
# (rule id, CSS selector the failing element matches) -> why, and the fix that removes it.
KNOWN: dict[tuple[str, str], str] = {
}

_AXE_RUN = """async ([context, rules, known]) => {
  const res = await axe.run(context || document, {runOnly: {type: 'rule', values: rules},
                                                  resultTypes: ['violations'], elementRef: true});
  const isKnown = (id, el) => known.some(([rule, sel]) => rule === id && el && el.matches(sel));
  return res.violations.map(v => ({id: v.id, help: v.help,
    nodes: v.nodes.filter(n => !isKnown(v.id, n.element)).map(n => ({
      target: n.target.join(' '), html: n.html.slice(0, 160),
      summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300)}))}));
}"""


def violations(tab, page, axe_js, runs):
    """axe's violations on ``page`` for each (context, rules) in ``runs``, minus KNOWN ones."""
    tab.open(page)
    tab.page.add_script_tag(path=str(axe_js))
    found = []
    for context, rules in runs:
        for v in tab.page.evaluate(_AXE_RUN, [context, rules, list(KNOWN)]):
            for node in v["nodes"]:
                found.append(f"[{v['id']}] {node['target']}\n    {node['html']}\n    {node['summary']}")
    return found
