"""Fixtures of the browser tests: the built site on localhost, headless Chromium, offline CDNs.

* The site: ``$MATHDL_SITE_DIR`` or ``_build/html`` (the README's test command builds it with
  ``jupyter-book build . -W -n --keep-going`` before pytest runs). Served by ``http.server`` in a
  thread on an ephemeral localhost port.
* The browser: Debian's ``/usr/bin/chromium`` (``$MATHDL_CHROMIUM`` overrides) driven by the
  ``playwright`` pip package; no browser download. One browser per test module (a Playwright sync
  session may not overlap another one in the same thread, e.g. ``tests/test_widgets.py``'s).
* Offline CDNs: every request that is not to the local server goes through :class:`Vendor`.
  Requests to the public CDNs (jsdelivr, unpkg, cdnjs) for an npm package that
  ``tests/browser/package.json`` pins (MathJax 3, and axe-core for the accessibility checks) are
  answered from ``.cache/browser-vendor/node_modules`` (``$MATHDL_BROWSER_VENDOR`` overrides),
  installed there once with ``npm ci``. Anything else external is aborted and recorded, and the
  tests assert that no page asked for anything else. The published site is unchanged: readers
  online get the CDNs.

Without Chromium, Playwright, npm or a built site the tests are skipped, except under CI
(``CI=true``), where that is a failure.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import mimetypes
import os
import re
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SITE_DIR = Path(os.environ.get("MATHDL_SITE_DIR") or ROOT / "_build" / "html")
VENDOR_DIR = Path(os.environ.get("MATHDL_BROWSER_VENDOR") or ROOT / ".cache" / "browser-vendor")
CHROMIUM = os.environ.get("MATHDL_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-dev-shm-usage"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# External URLs a page may request that the tests neither serve nor count as a failure. Each
# entry needs a reason. (Nothing yet: the site's only CDN resource is MathJax, served locally.)
ALLOWED_EXTERNAL: dict[str, str] = {}

# https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js, https://unpkg.com/pkg@1.2/x.js,
# https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/tex-mml-chtml.js
_CDN = [
    re.compile(r"^https?://(?:cdn\.jsdelivr\.net/npm|unpkg\.com)/(?P<pkg>(?:@[^/@]+/)?[^/@]+)"
               r"(?:@(?P<ver>[^/]+))?/(?P<path>[^?#]*)"),
    re.compile(r"^https?://cdnjs\.cloudflare\.com/ajax/libs/(?P<pkg>[^/]+)/(?P<ver>[^/]+)/(?P<path>[^?#]*)"),
]
_CDNJS_NAMES = {"require.js": "requirejs"}


def unavailable(reason: str):
    """Skip locally; under CI a missing prerequisite is a failure, never a silent skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run in CI)", pytrace=False)
    pytest.skip(reason)


# ---- the site --------------------------------------------------------------------------------
def toc_pages() -> list[str]:
    """The site's pages in _toc.yml order, as paths relative to the site root (``book/x.html``)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [f"{f}.html" for f in files]


def is_chapter(page: str) -> bool:
    return re.fullmatch(r"book/\d\d_\w+\.html", page) is not None


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE_DIR / "index.html").is_file():
        unavailable(f"no built site at {SITE_DIR}: build it first with "
                    "`jupyter-book build . -W -n --keep-going` (or set MATHDL_SITE_DIR)")
    return SITE_DIR


@pytest.fixture(scope="session")
def base_url(site_dir):
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


# ---- local copies of the CDN packages ---------------------------------------------------------
class Vendor:
    """Answers CDN requests from ``node_modules`` and records every other external request."""

    def __init__(self, root: Path):
        self.modules = root / "node_modules"
        self.blocked: list[str] = []  # external URLs aborted since the last reset()
        self.served: list[str] = []

    def reset(self):
        self.blocked, self.served = [], []

    def installed_version(self, pkg: str) -> str | None:
        meta = self.modules / pkg / "package.json"
        return json.loads(meta.read_text())["version"] if meta.is_file() else None

    def local_file(self, url: str) -> Path | None:
        for pattern in _CDN:
            m = pattern.match(url)
            if not m:
                continue
            pkg = _CDNJS_NAMES.get(m["pkg"], m["pkg"])
            have = self.installed_version(pkg)
            want = (m["ver"] or "").split(".")
            if have is None or (want != [""] and have.split(".")[: len(want)] != want):
                return None  # not pinned, or another major/minor version than the page asks for
            path = (self.modules / pkg / m["path"]).resolve()
            if path.is_file() and (self.modules / pkg).resolve() in path.parents:
                return path
        return None

    def handle(self, route):
        url = route.request.url
        path = self.local_file(url)
        if path is not None:
            self.served.append(url)
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            route.fulfill(status=200, body=path.read_bytes(), content_type=ctype,
                          headers={"Access-Control-Allow-Origin": "*"})
            return
        if not any(url.startswith(prefix) for prefix in ALLOWED_EXTERNAL):
            self.blocked.append(url)
        route.abort("internetdisconnected")


@pytest.fixture(scope="session")
def vendor_dir() -> Path:
    """``npm ci`` of tests/browser/package.json into the cache directory, once (file-locked)."""
    lock_src = (HERE / "package-lock.json").read_text()
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    with open(VENDOR_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers: one installs, the others wait
        done = VENDOR_DIR / "node_modules" / ".installed-lock.json"
        if not (done.is_file() and done.read_text() == lock_src):
            npm = shutil.which("npm")
            if npm is None:
                unavailable("npm is not installed: it provides the local copies of the CDN scripts")
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(HERE / name, VENDOR_DIR / name)
            proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                                  cwd=VENDOR_DIR, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                unavailable(f"`npm ci` in {VENDOR_DIR} failed:\n{proc.stdout}\n{proc.stderr}")
            done.write_text(lock_src)
    return VENDOR_DIR


@pytest.fixture(scope="session")
def axe_js(vendor_dir) -> Path:
    return vendor_dir / "node_modules" / "axe-core" / "axe.min.js"


# ---- the browser -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the `playwright` pip package is not installed (requirements-dev.txt)")
    if not Path(CHROMIUM).is_file():
        unavailable(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (or set MATHDL_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tab:
    """One browser page on the site: console errors and external requests recorded per visit."""

    def __init__(self, context, base_url: str, vendor: Vendor):
        self.context, self.base_url, self.vendor = context, base_url, vendor
        self.page = context.new_page()
        self.page.set_default_timeout(20_000)
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self._reports: dict[str, dict] = {}

    def _console(self, msg):
        if msg.type == "error":
            loc = msg.location or {}
            self.errors.append(f"console.error: {msg.text} ({loc.get('url', '')}:{loc.get('lineNumber', '')})")

    def open(self, path: str):
        """Navigate to ``path`` and wait until MathJax has typeset and the web fonts are loaded."""
        self.errors = []
        self.vendor.reset()
        response = self.page.goto(self.base_url + path, wait_until="load")
        status = response.status if response is not None else None
        if status != 200:
            raise AssertionError(f"{path}: HTTP {status} (a page of _toc.yml missing from the built "
                                 f"site {SITE_DIR}? rebuild it)")
        self.page.evaluate(_SETTLE_JS)
        return self.page

    def report(self, path: str) -> dict:
        """Everything the page tests assert on, gathered in one visit (cached per module)."""
        if path not in self._reports:
            try:
                self.open(path)
                rep = self.page.evaluate(_REPORT_JS)
            except Exception as exc:  # fail every test of this page fast, with the same reason
                rep = exc
            else:
                rep["errors"] = list(self.errors)
                rep["blocked"] = list(self.vendor.blocked)
            self._reports[path] = rep
        rep = self._reports[path]
        if isinstance(rep, Exception):
            pytest.fail(f"{path}: {rep}", pytrace=False)
        return rep


def new_context(browser, base_url, vendor_dir, *, dark=False, viewport=DESKTOP, **kw):
    vendor = Vendor(vendor_dir)
    context = browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light",
                                  service_workers="block", **kw)
    if dark:  # the pydata theme's switcher stores the reader's choice in localStorage "mode"
        context.add_init_script("localStorage.setItem('mode','dark');localStorage.setItem('theme','dark');")
    context.route(lambda url: not url.startswith(base_url) and not url.startswith("data:"), vendor.handle)
    return context, vendor


@pytest.fixture(scope="module")
def tab(browser, base_url, vendor_dir):
    context, vendor = new_context(browser, base_url, vendor_dir)
    yield Tab(context, base_url, vendor)
    context.close()


@contextlib.contextmanager
def opened_tab(browser, base_url, vendor_dir, **kw):
    context, vendor = new_context(browser, base_url, vendor_dir, **kw)
    try:
        yield Tab(context, base_url, vendor)
    finally:
        context.close()


_SETTLE_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  await document.fonts.ready;
  // images that are lazy or still loading: load them now (bounded wait)
  const wait = (ms) => new Promise(r => setTimeout(r, ms));
  await Promise.all([...document.images].map(img => {
    if (img.complete) return null;
    img.loading = 'eager';
    return Promise.race([img.decode().catch(() => null), wait(5000)]);
  }));
}"""

_REPORT_JS = r"""() => {
  const r = {title: document.title, theme: document.documentElement.dataset.theme || null};
  r.mathjax = !!(window.MathJax && MathJax.startup);
  // ---- math: sphinx wraps every formula in .math; MathJax replaces its TeX by mjx-container
  const maths = [...document.querySelectorAll('.math')];
  r.math = maths.length;
  r.math_untypeset = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.trim().slice(0, 100));
  r.mjx = document.querySelectorAll('mjx-container').length;
  r.math_errors = [...document.querySelectorAll('mjx-merror')].map(e =>
      (e.getAttribute('data-mjx-error') || '') + ' in ' + (e.closest('mjx-container')?.parentElement?.textContent || '').trim().slice(0, 80));
  const skip = 'pre, code, script, style, textarea, mjx-container, mjx-assistive-mml, .highlight, kbd, samp';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode(n) {
      return n.parentElement && n.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT; }});
  r.raw_tex = [];
  const rawTex = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\s][^$]*\\[A-Za-z]+[^$]*\$/;
  while (walker.nextNode()) {
    const t = walker.currentNode.nodeValue;
    if (rawTex.test(t)) r.raw_tex.push(t.trim().slice(0, 120));
  }
  // ---- images
  r.images = [...document.images].map(img => ({
      src: (img.currentSrc || img.src).slice(0, 90), complete: img.complete, width: img.naturalWidth,
      alt: img.getAttribute('alt'), visible: img.checkVisibility()}));
  // ---- exercises and their solutions (sphinx-exercise; hide-input solution cells)
  const solutionOf = (ex) => {
    let el = ex.nextElementSibling;
    while (el && !el.matches('div.cell') && !el.matches('div.exercise, section')) el = el.nextElementSibling;
    return el && el.matches('div.cell') ? el : null;
  };
  r.exercises = [...document.querySelectorAll('div.exercise')].map(ex => {
    const cell = solutionOf(ex), pre = cell && cell.querySelector('.cell_input pre');
    const details = cell && cell.querySelector('details');
    return {id: ex.id, title: (ex.querySelector('.admonition-title')?.textContent || '').trim(),
            solution: !!(pre && /### BEGIN SOLUTION/.test(pre.textContent)),
            hide_input: !!(cell && cell.classList.contains('tag_hide-input')),
            details_closed: !!(details && !details.open),
            code_visible: !!(pre && pre.checkVisibility())};
  });
  r.visible_solutions = [...document.querySelectorAll('div.cell .cell_input pre')]
      .filter(pre => /### BEGIN SOLUTION/.test(pre.textContent) && pre.checkVisibility())
      .map(pre => pre.textContent.trim().split('\n')[0].slice(0, 80));
  // ---- links and sliders
  r.links = [...new Set([...document.querySelectorAll('a[href]')].map(a => a.href)
      .filter(h => h.startsWith(location.origin)))];
  r.sliders = [...document.querySelectorAll('.mdl-interactive')].map(d => ({
      id: d.id, inputs: d.querySelectorAll('input[type=range]').length,
      outputs: d.querySelectorAll('output').length, img: !!d.querySelector('img')}));
  return r;
}"""


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory) -> Path:
    """Where screenshots go: ``$MATHDL_BROWSER_SHOTS`` or a pytest temporary directory."""
    if os.environ.get("MATHDL_BROWSER_SHOTS"):
        path = Path(os.environ["MATHDL_BROWSER_SHOTS"])
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("browser-shots")


def pages_with(marker: str) -> list[str]:
    """TOC pages whose built HTML contains ``marker`` (at collection time; [] without a build)."""
    found = []
    for page in toc_pages():
        path = SITE_DIR / page
        if path.is_file() and marker in path.read_text(encoding="utf-8", errors="replace"):
            found.append(page)
    return found
