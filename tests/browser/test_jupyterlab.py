"""A learner's live session: JupyterLab runs chapters 3, 8 and 9, their sliders move the figures,
the checks pass.

The test starts its own JupyterLab server (``python -m jupyterlab``) on 127.0.0.1, on a free port,
with a random token, serving a COPY of ``book/`` in a temporary directory (Lab autosaves the
notebooks it runs; the repository's notebooks are never touched). Lab's config, settings,
workspace and runtime directories point into the same temporary directory, so nothing of the
user's own Lab set-up (open tabs, settings, disabled extensions) leaks in or is written out. One
server serves the whole module.

In headless Chromium it then does what a learner does, for each chapter of :data:`CHAPTERS` (each
in its own browser context and Lab workspace, opened once, when a test first needs it, and kept
open with its kernel until the module ends):

1. opens the notebook; waits for the kernel;
2. Edit > Clear Outputs of All Cells (so every output checked below comes from this run),
   then Run > Run All Cells; waits until the kernel is idle and every code cell has run;
3. for each slider of :data:`SLIDERS` (every slider of every live figure of the chapter: a test
   checks that the table misses none), moves it on the live ipywidgets figure
   (``mathdl.widgets``: a VBox of one ``SelectionSlider`` per slider and an ``Image``) with the
   keyboard on the focused handle, as a learner would: right, right, left. Each step must make the
   kernel send a new image; the two steps right must change the figure's pixels (something moved,
   not just re-encoded), and the step back must redraw exactly the first step's figure. A last step
   left puts the slider back where the book has it (for the figure's other sliders). A screenshot
   after the two steps right is saved (``$MATHDL_BROWSER_SHOTS`` or a pytest temporary directory)
   as ``jupyterlab-ch<NN>-<slider>-slider.png``.

It asserts that no cell produced an error, that every ``check(...)`` cell printed its pass line
(the same line as the book's stored output), that the page logged no console errors and that
nothing was requested from outside 127.0.0.1 (every such request is aborted and recorded, so an
offline machine cannot hang the test). The server and its kernels are stopped in teardown, also
when a test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT, unavailable

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The chapters with live slider figures, by test id.
CHAPTERS = {
    "03": "book/03_gradients.ipynb",
    "08": "book/08_optimizers.ipynb",
    "09": "book/09_initialization.ipynb",
}
# Every slider of the chapters' live figures: (chapter, test id, a string in the source of the cell
# that builds the figure, the slider's label). The labels are the widgets' descriptions:
# mathdl.widgets.lr_slider's and momentum_slider's, and chapter 9's own (init scale c, depth D).
SLIDERS = [
    ("03", "lr", "mdl.widgets.lr_slider(", "learning rate η"),
    ("08", "lr", "mdl.widgets.momentum_slider(", "learning rate η"),
    ("08", "momentum", "mdl.widgets.momentum_slider(", "momentum β"),
    ("09", "init-scale", "mdl.widgets.init_scale_slider(", "init scale c"),
    ("09", "depth", "mdl.widgets.init_scale_slider(", "depth D"),
]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PASS_LINE = re.compile(r"✅ Exercise (\d+\.\d+) passed: ")  # mathdl.exercises CheckResult.line()
NOT_PASSED = ("❌", "⚠️", "⏳")                                # failed / error / not attempted
CHECK_CELL = re.compile(r"^\s*check\(\s*[\"'](\d+\.\d+)[\"']", re.M)

# Console errors that are not the book's, each with its reason. Lab loads every prebuilt extension
# installed in the environment (disabling one in page_config still loads its module).
KNOWN_CONSOLE_ERRORS = {
    # jupyterlite-pyodide-kernel (requirements-dev.txt, for the site's JupyterLite build; not in
    # requirements.txt, so not in a learner's or Binder's JupyterLab) ships a prebuilt extension
    # meant for JupyterLite only; JupyterLab 4 fails to load it.
    "Shared module @jupyterlite/services doesn't exist in shared scope default":
        "jupyterlite-pyodide-kernel's extension, which only JupyterLite can load",
}

# Waits (seconds). Conditions are polled; these are only upper bounds for a loaded 2-core machine.
SERVER_START = 120
NOTEBOOK_OPEN = 90
RUN_ALL = 240
REDRAW = 60


# ---- the server ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: start time, in clock ticks after boot


def _descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, start time) of every living descendant of ``pid`` (kernels run in their own session,
    so signalling the server's process group does not reach them)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        start = _proc_start_time(p)
        if start is not None:
            out.append((p, start))
        todo.extend(children.get(p, []))
    return out


def _stop_server(proc: subprocess.Popen, base: str, token: str) -> None:
    """Shut the server down (its kernels too): REST shutdown, then SIGTERM/SIGKILL of its process
    group, then SIGKILL of any of its descendants still alive (by pid, checked by start time)."""
    family = _descendants(proc.pid) if proc.poll() is None else []
    if proc.poll() is None:
        with contextlib.suppress(Exception):
            req = urllib.request.Request(f"{base}/api/shutdown", method="POST", data=b"",
                                         headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(req, timeout=10).close()
        for sig, wait in ((None, 20), (signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            if sig is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    deadline = time.monotonic() + 10
    for pid, start in family:
        while _proc_start_time(pid) == start and time.monotonic() < deadline:
            time.sleep(0.2)  # kernels exit on their own when the server shuts them down
        if _proc_start_time(pid) == start:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _server_log(path: Path) -> str:
    text = path.read_text(errors="replace") if path.is_file() else ""
    return text[-4000:]


class Lab:
    def __init__(self, base: str, token: str, root: Path, log: Path):
        self.base, self.token, self.root, self.log = base, token, root, log

    def url(self, path: str, workspace: str) -> str:
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path}?token={self.token}"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    try:
        import ipywidgets  # noqa: F401
        import jupyterlab  # noqa: F401
        import jupyterlab_widgets  # noqa: F401
    except ImportError as exc:
        unavailable(f"JupyterLab with ipywidgets is not installed ({exc}); see requirements.txt")
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "root"
    shutil.copytree(ROOT / "book", root / "book",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build", "__pycache__"))
    config, settings = tmp / "config", tmp / "settings"
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))  # no "get Jupyter news?" toast over the page
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               # the kernelspec runs `python`: make that this interpreter (it has mathdl installed)
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               PYTHONUNBUFFERED="1")
    env.pop("JUPYTER_TOKEN", None)
    token = secrets.token_hex(24)
    log = tmp / "server.log"
    proc = base = None
    try:
        for _attempt in range(3):  # a free port can be taken between probing and binding it
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            with open(log, "ab") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                     "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                     f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
                     "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the test reads the model
                     "--LabApp.news_url=None",
                     "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                    cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True)
            deadline = time.monotonic() + SERVER_START
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    req = urllib.request.Request(f"{base}/api/status",
                                                 headers={"Authorization": f"token {token}"})
                    with urllib.request.urlopen(req, timeout=5) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
            else:
                if proc.poll() is not None and "already in use" in _server_log(log):
                    continue
                pytest.fail(f"JupyterLab did not start within {SERVER_START} s "
                            f"(exit status {proc.poll()}); its log:\n{_server_log(log)}", pytrace=False)
            break
        else:
            pytest.fail(f"JupyterLab found no free port; its log:\n{_server_log(log)}", pytrace=False)
        yield Lab(base, token, root, log)
    finally:
        if proc is not None:
            _stop_server(proc, base, token)


# ---- the page --------------------------------------------------------------------------------
# (wait_for_function predicates must be synchronous: a returned Promise counts as truthy)
_READY_JS = """() => {
  const w = window.jupyterapp && jupyterapp.shell.currentWidget;
  if (!w || !w.context || !w.sessionContext || w.context.path !== %s) return false;
  if (!w.context.isReady || !w.sessionContext.isReady || !w.content.model) return false;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""

# The notebook model as nbformat JSON, plus what the run-all wait needs.
_STATE_JS = """() => {
  const w = jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  const nb = w.content.model.toJSON();
  const code = nb.cells.filter(c => c.cell_type === 'code');
  return {
    kernel: k ? k.status : null,
    running: w.content.widgets.filter(c => c.model.type === 'code' && c.model.executionState === 'running').length,
    executed: code.filter(c => c.execution_count !== null).length,
    code: code.length,
    errors: code.filter(c => (c.outputs || []).some(o => o.output_type === 'error')).length,
    outputs: code.reduce((n, c) => n + (c.outputs || []).length, 0),
    notebook: nb,
  };
}"""

_RUN_DONE_JS = """() => {
  const w = jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!k || k.status !== 'idle') return false;
  if (w.content.widgets.some(c => c.model.type === 'code' && c.model.executionState === 'running')) return false;
  const src = (c) => Array.isArray(c.source) ? c.source.join('') : c.source;
  const code = w.content.model.toJSON().cells.filter(c => c.cell_type === 'code' && src(c).trim());
  const tags = (c) => (c.metadata && c.metadata.tags) || [];
  const errored = code.some(c => !tags(c).includes('raises-exception')
                                 && (c.outputs || []).some(o => o.output_type === 'error'));
  return errored || code.every(c => c.execution_count !== null);  // run-all stops at an error
}"""

# Bring the cell into the viewport (the notebook attaches off-screen cells lazily) and tag it.
_SHOW_CELL_JS = """async (i) => {
  const nb = jupyterapp.shell.currentWidget.content;
  nb.activeCellIndex = i;
  await nb.scrollToItem(i, 'start');
  const cell = nb.widgets[i];
  await cell.ready;
  cell.node.setAttribute('data-test-cell', String(i));
  return true;
}"""

# Decode the live figure's PNG (the Image widget's blob URL, revoked on the next update) and keep
# its pixels under a name, so frames can be compared after the image has moved on.
_CAPTURE_JS = """async (img, name) => {
  const blob = await (await fetch(img.src)).blob();
  const head = [...new Uint8Array(await blob.slice(0, 8).arrayBuffer())].join(',');
  const bmp = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bmp, 0, 0);
  (window.__mdlFrames = window.__mdlFrames || {})[name] = ctx.getImageData(0, 0, bmp.width, bmp.height);
  return {src: img.src, bytes: blob.size, png: head === '137,80,78,71,13,10,26,10',
          width: bmp.width, height: bmp.height};
}"""

# Pixels that differ between two captured frames: at all, and strongly (a channel by more than 64
# of 255, i.e. something moved, not an encoder's rounding).
_DIFF_JS = """([a, b]) => {
  const A = window.__mdlFrames[a], B = window.__mdlFrames[b];
  if (A.width !== B.width || A.height !== B.height) return {same_size: false};
  let any = 0, strong = 0;
  for (let i = 0; i < A.data.length; i += 4) {
    const d = Math.max(Math.abs(A.data[i] - B.data[i]), Math.abs(A.data[i + 1] - B.data[i + 1]),
                       Math.abs(A.data[i + 2] - B.data[i + 2]));
    if (d > 0) any++;
    if (d > 64) strong++;
  }
  return {same_size: true, any, strong, pixels: A.width * A.height};
}"""



def _click_menu(page, menu: str, command: str) -> None:
    """Open ``menu`` in the menu bar and click its item that runs ``command`` (labels vary by version)."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{re.escape(menu)}$")).click()
    page.locator(f".lm-Menu-item[role=menuitem][data-command='{command}']").click()


class Session:
    """One chapter opened after Run All: its page, the notebook JSON, and what the page logged."""

    def __init__(self, chapter: str, page, notebook: dict, errors: list[str], external: list[str],
                 seconds: float):
        self.chapter, self.path = chapter, CHAPTERS[chapter]
        self.page, self.notebook, self.errors, self.external = page, notebook, errors, external
        self.seconds = seconds


class Sessions:
    """The chapters' sessions on the module's server, each opened (and run) once, when a test first
    asks for it, and kept open until the module ends (the tests of a chapter are not adjacent)."""

    def __init__(self, lab: Lab, browser):
        self.lab, self.browser = lab, browser
        self.contexts: list = []
        self.opened: dict[str, Session | str] = {}  # a chapter's session, or why it failed to open

    def get(self, chapter: str) -> Session:
        if chapter not in self.opened:
            try:
                self.opened[chapter] = self._open(chapter)
            except AssertionError as exc:
                self.opened[chapter] = str(exc)  # fail its other tests at once, without a rerun
                raise
        got = self.opened[chapter]
        if isinstance(got, str):
            pytest.fail(f"(an earlier test of chapter {chapter} could not open it) {got}", pytrace=False)
        return got

    def _open(self, chapter: str) -> Session:
        lab, path = self.lab, CHAPTERS[chapter]
        context = self.browser.new_context(viewport={"width": 1280, "height": 1000},
                                           service_workers="block")
        self.contexts.append(context)
        errors: list[str] = []
        external: list[str] = []

        def block(route):  # JupyterLab is self-contained: anything not from the server is a finding
            external.append(route.request.url)
            route.abort("internetdisconnected")

        context.route(lambda url: not url.startswith(lab.base) and not url.startswith(("data:", "blob:")),
                      block)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("console", lambda m: errors.append(f"console.error: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        t0 = time.monotonic()
        # A workspace of its own: the page restores no other chapter's tabs (nor their kernels).
        page.goto(lab.url(path, f"mathdl-ch{chapter}"), wait_until="load", timeout=NOTEBOOK_OPEN * 1000)
        try:
            page.wait_for_function(_READY_JS % json.dumps(path), timeout=NOTEBOOK_OPEN * 1000,
                                   polling=500)
        except Exception as exc:
            raise AssertionError(f"{path} did not open with an idle kernel within {NOTEBOOK_OPEN} s "
                                 f"({exc}); page errors: {errors}; server log:\n{_server_log(lab.log)}") from None

        _click_menu(page, "Edit", "editmenu:clear-all")  # Clear Outputs of All Cells
        page.wait_for_function("() => jupyterapp.shell.currentWidget.content.model.toJSON().cells"
                               ".every(c => c.cell_type !== 'code' || (c.execution_count === null"
                               " && c.outputs.length === 0))", polling=200)
        t1 = time.monotonic()
        _click_menu(page, "Run", "runmenu:run-all")  # Run All Cells
        try:
            page.wait_for_function(_RUN_DONE_JS, timeout=RUN_ALL * 1000, polling=500)
        except Exception:
            state = page.evaluate(_STATE_JS)
            state.pop("notebook")
            with contextlib.suppress(Exception):  # a stuck kernel must not slow the other chapters
                page.evaluate("() => jupyterapp.shell.currentWidget.sessionContext.shutdown()")
            raise AssertionError(f"{path}: Run All did not finish within {RUN_ALL} s: {state}; page "
                                 f"errors: {errors}; server log:\n{_server_log(lab.log)}") from None
        notebook = page.evaluate(_STATE_JS)["notebook"]
        t2 = time.monotonic()
        print(f"JupyterLab opened {path} in {t1 - t0:.0f} s and ran all its cells in {t2 - t1:.0f} s")
        return Session(chapter, page, notebook, errors, external, t2 - t1)

    def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()


@pytest.fixture(scope="module")
def sessions(lab, browser):
    opened = Sessions(lab, browser)
    try:
        yield opened
    finally:
        opened.close()  # the kernels stop with the server (the lab fixture's teardown)


@pytest.fixture
def session(sessions, chapter) -> Session:
    return sessions.get(chapter)


def _code_cells(notebook: dict) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _stream_text(cell: dict) -> str:
    return "".join("".join(o["text"]) if isinstance(o["text"], list) else o["text"]
                   for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _live_view(session: Session, index: int):
    """The live widget view (the VBox) of code cell ``index``, scrolled into the notebook's view."""
    page = session.page
    page.evaluate(_SHOW_CELL_JS, index)
    view = page.locator(f"[data-test-cell='{index}'] .jp-OutputArea-output .widget-vbox")
    view.wait_for(state="visible")
    return view


def _slider_labels(view) -> list[str]:
    return [t.strip() for t in view.locator(".widget-slider label.widget-label").all_inner_texts()]


# ---- the tests -------------------------------------------------------------------------------
by_chapter = pytest.mark.parametrize("chapter", list(CHAPTERS))


@by_chapter
def test_run_all_executes_every_cell_without_error(session):
    errors = []
    for i, cell in _code_cells(session.notebook):
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            continue  # a cell that shows an error on purpose (Lab's Run All goes on after it)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}\n"
                              f"{_source(cell)[:300]}")
    assert not errors, f"{session.path} in JupyterLab: cells raised:\n" + "\n".join(errors)
    counts = [c.get("execution_count") for _, c in _code_cells(session.notebook) if _source(c).strip()]
    assert None not in counts, f"{session.path}: cells that did not run (execution counts {counts})"
    assert counts == sorted(counts) and len(set(counts)) == len(counts), (
        f"{session.path}: Run All did not run the cells once each, in order: execution counts {counts}")


@by_chapter
def test_checks_print_their_pass_line(session):
    stored = json.loads((ROOT / session.path).read_text(encoding="utf-8"))
    stored_lines = {CHECK_CELL.search(_source(c))[1]: _stream_text(c)
                    for _, c in _code_cells(stored) if CHECK_CELL.search(_source(c))}
    checks = [(i, CHECK_CELL.search(_source(c))[1], _stream_text(c))
              for i, c in _code_cells(session.notebook) if CHECK_CELL.search(_source(c))]
    assert checks, f"{session.path}: no check(...) cell found"
    assert sorted(e for _, e, _ in checks) == sorted(stored_lines), (
        "the live notebook's check cells differ from the repository's")
    for i, exercise, text in checks:
        where = f"{session.path} cell {i} (check {exercise!r}) printed {text!r}"
        passed = PASS_LINE.findall(text)
        assert passed == [exercise], f"{where}: expected one pass line '✅ Exercise {exercise} passed: ...'"
        assert not any(mark in text for mark in NOT_PASSED), f"{where}: a check did not pass"
        assert text == stored_lines[exercise], (
            f"{where}, but the book's stored output is {stored_lines[exercise]!r}")


@by_chapter
def test_every_live_slider_is_tested(session):
    """SLIDERS names every slider of the chapter's live widget views, and only those."""
    live = {}
    for i, cell in _code_cells(session.notebook):
        if any(WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", [])):
            live[i] = sorted(_slider_labels(_live_view(session, i)))
    tested = {}
    for chapter, _id, marker, label in SLIDERS:
        if chapter == session.chapter:
            cells = [i for i, c in _code_cells(session.notebook) if marker in _source(c)]
            assert len(cells) == 1, f"{session.path}: {len(cells)} cells contain {marker!r}, not one"
            tested.setdefault(cells[0], []).append(label)
    tested = {i: sorted(labels) for i, labels in tested.items()}
    assert live, f"{session.path}: no live widget view after Run All"
    assert live == tested, (
        f"{session.path}: the sliders of its live figures (cell: labels) are {live}; "
        f"SLIDERS tests {tested}")


@pytest.mark.parametrize(("chapter", "slider"), [pytest.param(c, i, id=f"{c}-{i}") for c, i, *_ in SLIDERS])
def test_slider_redraws_the_live_figure(session, slider, shots_dir):
    _, _, marker, label = next(row for row in SLIDERS if row[:2] == (session.chapter, slider))
    page, path = session.page, session.path
    index = next((i for i, c in _code_cells(session.notebook) if marker in _source(c)), None)
    assert index is not None, f"{path}: no cell builds the figure with the slider {label!r} ({marker}...)"
    outputs = session.notebook["cells"][index]["outputs"]
    assert any(WIDGET_VIEW in o.get("data", {}) for o in outputs), (
        f"{path} cell {index}: no live widget view among its outputs {outputs!r:.300}")
    view = _live_view(session, index)
    where = f"{path} cell {index}, slider {label!r}"
    slider_box = view.locator(".widget-slider").filter(
        has=page.locator("label.widget-label", has_text=label))
    assert slider_box.count() == 1, (
        f"{path} cell {index}: expected one live slider labelled {label!r}; the output is:\n"
        f"{view.inner_html()[:1500]}")
    handle = slider_box.locator(".noUi-handle[role=slider]")
    readout = slider_box.locator(".widget-readout")
    img = view.locator("img.widget-image")
    img.wait_for(state="visible")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    start = img.evaluate(_CAPTURE_JS, "start")
    assert start["png"] and start["width"] > 100, f"{where}: the live figure is not a rendered PNG: {start}"
    pos0, text0 = float(handle.get_attribute("aria-valuenow")), readout.inner_text()
    vmax = float(handle.get_attribute("aria-valuemax"))
    assert pos0 + 2 <= vmax, f"{where}: starts at position {pos0} of {vmax:.0f}: no room for two steps"

    def step(key: str, name: str, prev: dict) -> tuple[dict, float, str]:
        """Press ``key`` on the focused slider handle; wait for the kernel's redraw; capture it."""
        handle.focus()
        handle.press(key)
        # the new value goes to the kernel, which calls update(...) and sends a new PNG
        try:
            page.wait_for_function("([img, src]) => img.src !== src && img.complete && img.naturalWidth > 0",
                                   arg=[img.element_handle(), prev["src"]], timeout=REDRAW * 1000,
                                   polling=200)
        except Exception:
            raise AssertionError(
                f"{where}: the figure was not redrawn within {REDRAW} s after {key} (readout "
                f"{readout.inner_text()!r}): the kernel sent no new image; page errors: {session.errors}"
            ) from None
        frame = img.evaluate(_CAPTURE_JS, name)
        assert frame["png"] and frame["width"] == start["width"], f"{where}: the redrawn figure: {frame}"
        return frame, float(handle.get_attribute("aria-valuenow")), readout.inner_text()

    one, pos1, text1 = step("ArrowRight", "one", start)
    two, pos2, text2 = step("ArrowRight", "two", one)
    view.scroll_into_view_if_needed()
    shot = shots_dir / f"jupyterlab-ch{session.chapter}-{slider}-slider.png"
    page.screenshot(path=str(shot))
    back, pos3, text3 = step("ArrowLeft", "back", two)

    assert [pos1, pos2, pos3] == [pos0 + 1, pos0 + 2, pos0 + 1], (
        f"{where}: ArrowRight, ArrowRight, ArrowLeft moved it from {pos0} to {[pos1, pos2, pos3]}")
    assert len({text0, text1, text2}) == 3 and text3 == text1, (
        f"{where}: the readouts: {[text0, text1, text2, text3]}")
    # Both redraws come from the live kernel with the same encoder: they must differ where the
    # figure moved, and the figure drawn again for the same value must be the same.
    moved = page.evaluate(_DIFF_JS, ["one", "two"])
    assert moved["same_size"] and moved["strong"] >= 100, (
        f"{where}: the figure hardly changed when the slider moved from {text1} to {text2}: {moved} ({shot})")
    again = page.evaluate(_DIFF_JS, ["one", "back"])
    assert again["same_size"] and again["any"] == 0, (
        f"{where}: moving back to {text1} did not redraw the same figure: {again}")
    # Back to the book's value, for the tests of the figure's other sliders.
    _, pos4, text4 = step("ArrowLeft", "restored", back)
    assert (pos4, text4) == (pos0, text0), f"{where}: a last step left gave {pos4} {text4!r}, not {pos0} {text0!r}"


@by_chapter
def test_no_console_errors_or_external_requests(session):
    errors = [e for e in session.errors if not any(known in e for known in KNOWN_CONSOLE_ERRORS)]
    assert not errors, f"{session.path} in JupyterLab logged:\n" + "\n".join(errors)
    assert not session.external, (
        f"JupyterLab or {session.path} asked for resources outside the local server (a learner "
        "offline would miss them):\n" + "\n".join(sorted(set(session.external))))
