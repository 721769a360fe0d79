"""Sliders for the book's figures: live in Jupyter, and still working on the static site.

A slider figure is a matplotlib figure plus an ``update`` function that moves
its artists in place, driven by one or two *slider specs*::

    fig, ax = plt.subplots()
    (line,) = ax.plot(x, np.sin(x))

    def update(h):
        line.set_ydata(np.sin(x + h))          # mutate artists; never rebuild the figure

    s = mdl.widgets.h_slider(1e-3, 1.0, value=0.1)
    mdl.widgets.interactive_figure(fig, update, s, alt="a sine curve shifted by h")

Displaying the returned object gives one output bundle with two forms of the
same figure:

* ``application/vnd.jupyter.widget-view+json``: an ipywidgets ``VBox`` with one
  ``SelectionSlider`` per spec and an ``Image``; moving a slider calls
  ``update(**values)`` and re-renders the figure with Agg.  This is what
  JupyterLab shows when a kernel is running.
* ``text/html``: a kernel-free control.  Every grid point (the product grid for
  two sliders) is rendered once, when the output is displayed, and embedded as a
  PNG behind plain HTML range inputs and a few lines of vanilla JavaScript.  The
  book's site prefers this form (myst-nb's ``nb_mime_priority_overrides``).

Both forms use the same fixed grid of values, so the live slider and the static
page show exactly the same frames.  A log slider's grid is geometric and its
label shows the value (``h = 0.01``), not the exponent.

ipywidgets, matplotlib and PIL are imported inside the functions that need them.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import io
import itertools
import json
import math
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "SliderSpec",
    "log_slider",
    "linear_slider",
    "lr_slider",
    "momentum_slider",
    "init_scale_slider",
    "h_slider",
    "interactive_figure",
    "InteractiveFigure",
    "MAX_FRAMES",
]

#: Encoding of the live image: 0 means the fast writer (full colour, no filters, zlib level 1);
#: speed matters more than size between the kernel and the browser.
LIVE_COMPRESS = 0

#: Most frames a static (kernel-free) figure may embed; beyond this the page gets heavy.
MAX_FRAMES = 120


# --------------------------------------------------------------------------------------
# Slider specs: a name, a fixed grid of values, a label and a format
# --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SliderSpec:
    """One slider: ``update`` receives ``name=value`` with ``value`` taken from ``values``.

    ``values`` is the fixed grid shared by the live slider and the static frames;
    ``value`` is the starting point (one of ``values``); ``label`` is what the reader
    sees next to the control ("learning rate η"); ``symbol`` is the short form used
    in the readout ("η = 0.10"); ``fmt`` formats a value for that readout.
    """

    name: str
    values: tuple
    value: float
    label: str
    symbol: str
    fmt: str = "{:.3g}"
    scale: str = "linear"  # "linear" | "log": how the grid was spaced (informational)

    def format(self, v: float) -> str:
        """The readout for value ``v``, e.g. ``"η = 0.10"``."""
        return f"{self.symbol} = {self.fmt.format(v)}"

    @property
    def index(self) -> int:
        """Position of the starting value in the grid."""
        return self.values.index(self.value)

    def __len__(self) -> int:
        return len(self.values)


def _check_name(fn: str, name) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{fn}: name must be a Python identifier (it becomes update's keyword), got {name!r}")
    return name


def _check_range(fn: str, lo, hi, num, *, log: bool):
    for what, v in (("min", lo), ("max", hi)):
        if not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(float(v)):
            raise ValueError(f"{fn}: {what} must be a finite number, got {v!r}")
    if not float(lo) < float(hi):
        raise ValueError(f"{fn}: need min < max, got min={lo!r}, max={hi!r}")
    if log and float(lo) <= 0:
        raise ValueError(f"{fn}: a log-scale slider needs min > 0, got min={lo!r}")
    if not isinstance(num, (int, np.integer)) or isinstance(num, bool) or num < 2:
        raise ValueError(f"{fn}: num must be an integer >= 2, got {num!r}")
    if num > MAX_FRAMES:
        raise ValueError(f"{fn}: num={num} is more than MAX_FRAMES={MAX_FRAMES} frames")


def _round_sig(v: float, digits: int) -> float:
    """``v`` rounded to ``digits`` significant figures (so grids print cleanly)."""
    if v == 0:
        return 0.0
    return float(round(v, digits - 1 - int(math.floor(math.log10(abs(v))))))


def _snap(fn: str, grid: tuple, value, *, log: bool) -> float:
    """The grid point nearest to ``value`` (nearest in log for log grids)."""
    if value is None:
        return grid[len(grid) // 2]
    if not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(float(value)):
        raise ValueError(f"{fn}: value must be a finite number, got {value!r}")
    lo, hi = grid[0], grid[-1]
    span = abs(hi - lo)
    if not (min(lo, hi) - 1e-9 * span <= float(value) <= max(lo, hi) + 1e-9 * span):
        raise ValueError(f"{fn}: value={value!r} is outside [min, max] = [{lo!r}, {hi!r}]")
    g = np.asarray(grid, dtype=float)
    if log:
        i = int(np.argmin(np.abs(np.log(g) - math.log(float(value)))))
    else:
        i = int(np.argmin(np.abs(g - float(value))))
    return grid[i]


def log_slider(name: str, min: float, max: float, value: float | None = None, num: int = 25,
               label: str | None = None, fmt: str = "{:.3g}", symbol: str | None = None) -> SliderSpec:
    """A slider over ``num`` geometrically spaced values from ``min`` to ``max``.

    The grid is ``np.geomspace(min, max, num)`` rounded to 3 significant figures,
    so the labels and the values ``update`` receives agree.  ``value`` is snapped
    to the nearest grid point (nearest in log); by default the middle one.
    """
    fn = "log_slider"
    _check_name(fn, name)
    _check_range(fn, min, max, num, log=True)
    grid = tuple(_round_sig(float(v), 3) for v in np.geomspace(float(min), float(max), int(num)))
    if len(set(grid)) != len(grid):
        raise ValueError(f"{fn}: {num} values between {min!r} and {max!r} are too close to tell apart "
                         f"at 3 significant figures; use fewer values")
    v0 = _snap(fn, grid, value, log=True)
    return SliderSpec(name=name, values=grid, value=v0, label=label or name, symbol=symbol or name,
                      fmt=fmt, scale="log")


def linear_slider(name: str, min: float, max: float, value: float | None = None, num: int = 11,
                  label: str | None = None, fmt: str = "{:.2f}", symbol: str | None = None) -> SliderSpec:
    """A slider over ``num`` evenly spaced values from ``min`` to ``max`` (``np.linspace``)."""
    fn = "linear_slider"
    _check_name(fn, name)
    _check_range(fn, min, max, num, log=False)
    grid = tuple(float(round(float(v), 12)) for v in np.linspace(float(min), float(max), int(num)))
    v0 = _snap(fn, grid, value, log=False)
    return SliderSpec(name=name, values=grid, value=v0, label=label or name, symbol=symbol or name,
                      fmt=fmt, scale="linear")


def lr_slider(min: float = 1e-3, max: float = 1.0, value: float = 0.1, num: int = 25,
              fmt: str = "{:.3g}") -> SliderSpec:
    """The learning rate η on a log scale: ``update`` receives ``lr=...``."""
    return log_slider("lr", min, max, value=value, num=num, label="learning rate η", fmt=fmt, symbol="η")


def momentum_slider(min: float = 0.0, max: float = 0.99, value: float = 0.9, num: int = 12,
                    fmt: str = "{:.2f}") -> SliderSpec:
    """The momentum β on a linear scale (PyTorch's ``momentum``): ``update`` receives ``momentum=...``."""
    return linear_slider("momentum", min, max, value=value, num=num, label="momentum β", fmt=fmt, symbol="β")


def init_scale_slider(min: float = 0.25, max: float = 2.0, value: float = 1.0, num: int = 15,
                      fmt: str = "{:.3g}") -> SliderSpec:
    """A multiplier of the initial weights' standard deviation: ``update`` receives ``scale=...``."""
    return linear_slider("scale", min, max, value=value, num=num, label="init scale", fmt=fmt, symbol="scale")


def h_slider(min: float = 1e-3, max: float = 1.0, value: float = 0.1, num: int = 25,
             fmt: str = "{:.3g}") -> SliderSpec:
    """The finite-difference step h on a log scale: ``update`` receives ``h=...``."""
    return log_slider("h", min, max, value=value, num=num, label="step h", fmt=fmt, symbol="h")


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------

def _agg_canvas(fig):
    """The figure's Agg canvas (attached if the figure has none, e.g. after ``plt.close``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)  # the constructor attaches itself as fig.canvas
    return fig.canvas


def _encode_png(rgba: np.ndarray, compress_level: int = 6) -> bytes:
    """PNG bytes of an RGBA buffer, alpha dropped (the book's figures are opaque).

    Written with PIL, without matplotlib's metadata, so the same pixels give the same bytes.
    """
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def _render_png(fig, dpi: float, *, compress_level: int = 6) -> bytes:
    """Draw the whole of ``fig`` with Agg at ``dpi`` and return PNG bytes."""
    canvas = _agg_canvas(fig)
    old_dpi = fig.dpi
    try:
        fig.dpi = dpi
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        return _encode_png(rgba, compress_level)
    finally:
        fig.dpi = old_dpi


def _fast_png(rgba: np.ndarray) -> bytes:
    """A valid RGB PNG written with numpy and zlib (no row filters, zlib level 1).

    About twice as fast as PIL's encoder, whose adaptive filtering dominates the cost of a
    live slider update; the file is larger, which does not matter between kernel and browser.
    """
    import struct
    import zlib

    h, w = rgba.shape[:2]
    rows = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    rows[:, 0] = 0  # filter type 0 (None) for every row
    rows[:, 1:] = rgba[..., :3].reshape(h, 3 * w)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + chunk(b"IEND", b""))


def _encode(rgba: np.ndarray, colors: int | None, compress_level: int) -> bytes:
    """PNG bytes of an RGBA buffer: full colour, or with an adaptive palette of ``colors`` entries.

    A palette of 64 colours keeps the book's line plots visually identical (the Okabe-Ito
    colours and their anti-aliased edges) and makes the PNG 3-4 times smaller.
    """
    if compress_level == 0:
        return _fast_png(rgba)
    if not colors:
        return _encode_png(rgba, compress_level)
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
    q = img.quantize(colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    q.save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def _as_artists(out) -> tuple:
    """The artists ``update`` returned (an Artist or an iterable of them), else ()."""
    from matplotlib.artist import Artist

    if out is None:
        return ()
    if isinstance(out, Artist):
        return (out,)
    try:
        items = tuple(out)
    except TypeError:
        return ()
    return items if items and all(isinstance(a, Artist) for a in items) else ()


_INSTANCES = itertools.count()

_SCRIPT = """(function(){
var root=document.getElementById(%(id)s);if(!root)return;
var F=%(frames)s,N=%(sizes)s,T=%(texts)s,img=root.querySelector("img");
var ins=root.querySelectorAll("input[type=range]"),outs=root.querySelectorAll("output");
function show(){var k=0;for(var j=0;j<ins.length;j++){var i=+ins[j].value;k=k*N[j]+i;
outs[j].textContent=T[j][i];ins[j].setAttribute("aria-valuetext",T[j][i]);}
img.src="data:image/png;base64,"+F[k];}
for(var j=0;j<ins.length;j++){ins[j].addEventListener("input",show);}
})();"""

_STYLE = (
    ".mdl-interactive{margin:0.5em 0 1em 0;max-width:100%%}"
    ".mdl-interactive img{display:block;max-width:100%%;height:auto}"
    ".mdl-interactive .mdl-title{font-weight:600;margin-bottom:0.25em}"
    ".mdl-interactive .mdl-row{display:flex;align-items:center;gap:0.6em;flex-wrap:wrap;margin:0.3em 0}"
    ".mdl-interactive label{min-width:9em}"
    ".mdl-interactive input[type=range]{flex:1 1 12em;max-width:24em}"
    ".mdl-interactive output{font-family:monospace;min-width:7em}"
)


class InteractiveFigure:
    """A matplotlib figure driven by sliders; see :func:`interactive_figure`.

    Attributes: ``fig``, ``update``, ``sliders`` (the specs), ``dpi``, ``alt``, ``title``.
    ``widget`` (property) builds the live ipywidgets view; ``frames()`` renders
    every grid point; ``to_html()`` gives the kernel-free form; ``set(**values)``
    drives the figure (and the live view, if built) programmatically.
    """

    def __init__(self, fig, update: Callable, sliders: Sequence[SliderSpec], *, title: str | None,
                 alt: str, dpi: float, live_dpi: float | None, colors: int | None):
        self.fig = fig
        self.update = update
        self.sliders = tuple(sliders)
        self.title = title
        self.alt = alt
        self.dpi = dpi
        self.live_dpi = live_dpi or dpi
        self.colors = colors
        self.values = {s.name: s.value for s in self.sliders}
        self._widget = None
        self._image = None
        self._frames = None
        self._html = None
        self._n = next(_INSTANCES)
        self._displayed = 0
        self._animated = None   # the artists update() returns, if any: then redraws blit them
        self._backgrounds = {}  # dpi -> (canvas region without the animated artists)

    def _call_update(self, values) -> None:
        out = self.update(**values)
        if self._animated is None:
            artists = _as_artists(out)
            self._animated = artists or ()
            for a in self._animated:
                a.set_animated(True)

    def _png(self, dpi: float, compress_level: int, colors: int | None = None) -> bytes:
        """The figure at ``dpi`` as PNG: a full Agg draw, or, when ``update`` returned the
        artists it moves, a cached background plus only those artists (blitting)."""
        fig = self.fig
        if not self._animated:
            canvas = _agg_canvas(fig)
            old_dpi = fig.dpi
            try:
                fig.dpi = dpi
                canvas.draw()
                return _encode(np.asarray(canvas.buffer_rgba()), colors, compress_level)
            finally:
                fig.dpi = old_dpi
        canvas = _agg_canvas(fig)
        old_dpi = fig.dpi
        try:
            fig.dpi = dpi
            bg = self._backgrounds.get(dpi)
            if bg is None:
                canvas.draw()  # animated artists are skipped: this is the background
                bg = self._backgrounds[dpi] = canvas.copy_from_bbox(fig.bbox)
            else:
                canvas.restore_region(bg)
            renderer = canvas.get_renderer()
            for a in sorted(self._animated, key=lambda a: a.get_zorder()):
                a.draw(renderer)
            return _encode(np.asarray(canvas.buffer_rgba()), colors, compress_level)
        finally:
            fig.dpi = old_dpi

    # -- driving the figure -----------------------------------------------------------
    def set(self, **values) -> None:
        """Set slider values (each must be on its grid), call ``update`` and refresh the live image."""
        names = {s.name: s for s in self.sliders}
        for k, v in values.items():
            if k not in names:
                raise ValueError(f"interactive_figure.set: unknown slider {k!r}; sliders are {sorted(names)}")
            if v not in names[k].values:
                raise ValueError(f"interactive_figure.set: {k}={v!r} is not on the slider's grid "
                                 f"{names[k].values[0]!r} ... {names[k].values[-1]!r}")
        self.values.update(values)
        self._call_update(self.values)
        if self._widget is not None:
            for s, ctl in zip(self.sliders, self._controls, strict=True):
                if ctl.value != self.values[s.name]:
                    ctl.unobserve(self._on_change, names="value")
                    ctl.value = self.values[s.name]
                    ctl.observe(self._on_change, names="value")
            self._image.value = self._png(self.live_dpi, LIVE_COMPRESS, self.colors)

    def render(self, dpi: float | None = None) -> bytes:
        """The figure as it is now, as PNG bytes (at the static frames' dpi unless given)."""
        return self._png(dpi or self.dpi, 6)

    # -- the live view ----------------------------------------------------------------
    def _on_change(self, change) -> None:
        for s, ctl in zip(self.sliders, self._controls, strict=True):
            self.values[s.name] = ctl.value
        self._call_update(self.values)
        self._image.value = self._png(self.live_dpi, LIVE_COMPRESS, self.colors)

    @property
    def widget(self):
        """The ipywidgets view, a VBox of one SelectionSlider per spec and an Image of the figure."""
        if self._widget is None:
            import ipywidgets as W

            self._controls = []
            for s in self.sliders:
                ctl = W.SelectionSlider(
                    options=[(s.fmt.format(v), v) for v in s.values], value=self.values[s.name],
                    description=s.label, continuous_update=True, readout=True,
                    style={"description_width": "initial"}, layout=W.Layout(width="min(100%, 32em)"),
                )
                ctl.observe(self._on_change, names="value")
                self._controls.append(ctl)
            self._call_update(self.values)
            png = self._png(self.live_dpi, 6, self.colors)  # compact: it is stored with the notebook
            width = int(round(self.fig.get_figwidth() * self.live_dpi))  # natural size: never upscaled
            self._image = W.Image(value=png, format="png", width=str(width),
                                  layout=W.Layout(max_width="100%", height="auto"))
            children = list(self._controls) + [self._image]
            if self.title:
                children.insert(0, W.HTML(f"<b>{html.escape(self.title)}</b>"))
            self._widget = W.VBox(children)
        return self._widget

    # -- the static view ----------------------------------------------------------------
    def frames(self) -> list[bytes]:
        """PNG bytes for every grid point, in row-major order over the sliders (the last varies fastest).

        Calls ``update`` once per grid point, then restores the current values.
        """
        if self._frames is None:
            grids = [s.values for s in self.sliders]
            total = math.prod(len(g) for g in grids)
            if total > MAX_FRAMES:
                raise ValueError(f"interactive_figure: {total} frames ({' x '.join(str(len(g)) for g in grids)}) "
                                 f"is more than MAX_FRAMES={MAX_FRAMES}; use coarser sliders")
            out = []
            for combo in itertools.product(*grids):
                self._call_update({s.name: v for s, v in zip(self.sliders, combo, strict=True)})
                out.append(self._png(self.dpi, 6, self.colors))
            self._call_update(self.values)
            self._frames = out
        return self._frames

    def element_id(self) -> str:
        """A deterministic, page-unique id for the static control."""
        h = hashlib.sha1()
        for s in self.sliders:
            h.update(repr((s.name, s.values)).encode())
        h.update((self.alt or "").encode())
        return f"mdl-if-{h.hexdigest()[:8]}-{self._n}"

    def to_html(self) -> str:
        """The kernel-free form: precomputed frames behind labelled HTML range inputs."""
        if self._html is not None:
            return self._html
        frames = self.frames()
        uid = self.element_id()
        cur = tuple(s.values.index(self.values[s.name]) for s in self.sliders)
        k0 = 0
        for s, i in zip(self.sliders, cur, strict=True):
            k0 = k0 * len(s) + i
        b64 = [base64.b64encode(f).decode("ascii") for f in frames]
        from PIL import Image

        width, height = Image.open(io.BytesIO(frames[0])).size
        parts = [f'<div class="mdl-interactive" id="{uid}">', f"<style>{_STYLE % ()}</style>"]
        if self.title:
            parts.append(f'<div class="mdl-title">{html.escape(self.title)}</div>')
        for j, s in enumerate(self.sliders):
            text = s.format(self.values[s.name])
            parts.append(
                f'<div class="mdl-row"><label for="{uid}-s{j}">{html.escape(s.label)}</label>'
                f'<input type="range" id="{uid}-s{j}" min="0" max="{len(s) - 1}" step="1" value="{cur[j]}" '
                f'aria-valuetext="{html.escape(text)}">'
                f'<output for="{uid}-s{j}" id="{uid}-o{j}" aria-live="polite">{html.escape(text)}</output></div>'
            )
        parts.append(f'<img src="data:image/png;base64,{b64[k0]}" alt="{html.escape(self.alt)}" '
                     f'width="{width}" height="{height}">')
        script = _SCRIPT % {
            "id": json.dumps(uid),
            "frames": json.dumps(b64),
            "sizes": json.dumps([len(s) for s in self.sliders]),
            "texts": json.dumps([[s.format(v) for v in s.values] for s in self.sliders], ensure_ascii=False),
        }
        parts.append(f"<script>{script}</script></div>")
        self._html = "".join(parts)
        return self._html

    # -- display ------------------------------------------------------------------------
    def __repr__(self) -> str:
        sl = ", ".join(f"{s.name}: {len(s)} values {s.format(s.values[0])} ... {s.format(s.values[-1])}"
                       for s in self.sliders)
        t = f" {self.title!r}" if self.title else ""
        return f"<interactive figure{t}: {sl}; {math.prod(len(s) for s in self.sliders)} frames>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self._displayed:  # shown again on the same page: the static control needs fresh element ids
            self._n = next(_INSTANCES)
            self._html = None
        self._displayed += 1
        bundle = {"text/plain": repr(self), "text/html": self.to_html()}
        try:
            wb = self.widget._repr_mimebundle_()
        except Exception:  # no ipywidgets, or no kernel to talk to: the HTML still works
            wb = None
        if isinstance(wb, tuple):
            wb = wb[0]
        if wb and "application/vnd.jupyter.widget-view+json" in wb:
            bundle["application/vnd.jupyter.widget-view+json"] = wb["application/vnd.jupyter.widget-view+json"]
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle


def _freeze_layout(fig) -> None:
    """Run the figure's layout engine (constrained/tight) once, then switch it off.

    The artists that ``update`` moves do not change the layout, and a layout pass per
    frame would cost more than the rest of the redraw.
    """
    if fig.get_layout_engine() is None:
        return
    try:
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    except Exception:  # an engine that cannot be switched off: keep it (slower, still correct)
        pass


def interactive_figure(fig, update: Callable, *sliders: SliderSpec, title: str | None = None,
                       alt: str | None = None, dpi: float = 80, live_dpi: float | None = None,
                       colors: int | None = 64) -> InteractiveFigure:
    """Drive ``fig`` with sliders; display the result for a live widget *and* a static fallback.

    ``update(**{name: value})`` must mutate the figure's artists in place
    (``line.set_data``, ``text.set_text`` ...), deterministically.  If it returns
    the artists it moves (an Artist or a tuple of them), every redraw blits: the
    rest of the figure is drawn once and cached, and only those artists are drawn
    again, several times faster.  Such an update must then change nothing else
    (no new axis limits or ticks).  If it returns None, each redraw draws the
    whole figure.  ``alt`` is
    the alt text of the image on the static page.  ``dpi`` sets the size of the
    static frames and ``colors`` (a palette size, or None for full colour) their
    compression; ``live_dpi`` sets the live image (default: the same as ``dpi``).  The figure is closed
    (``plt.close``) so that the inline backend does not show it a second time.
    """
    fn = "interactive_figure"
    if not callable(update):
        raise TypeError(f"{fn}: update must be callable, got {type(update).__name__}")
    if not sliders:
        raise ValueError(f"{fn}: give at least one slider spec (e.g. mdl.widgets.h_slider())")
    for s in sliders:
        if not isinstance(s, SliderSpec):
            raise TypeError(f"{fn}: sliders must be SliderSpec objects from mdl.widgets (log_slider, "
                            f"linear_slider, lr_slider ...), got {type(s).__name__}")
    names = [s.name for s in sliders]
    if len(set(names)) != len(names):
        raise ValueError(f"{fn}: two sliders share a name: {names}")
    total = math.prod(len(s) for s in sliders)
    if total > MAX_FRAMES:
        raise ValueError(f"{fn}: {total} frames ({' x '.join(str(len(s)) for s in sliders)}) is more than "
                         f"MAX_FRAMES={MAX_FRAMES}; use fewer values per slider")
    if not hasattr(fig, "canvas") or not hasattr(fig, "axes"):
        raise TypeError(f"{fn}: fig must be a matplotlib Figure, got {type(fig).__name__}")
    if alt is None:
        alt = title or "an interactive figure"
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:
        pass
    _freeze_layout(fig)
    view = InteractiveFigure(fig, update, sliders, title=title, alt=alt, dpi=dpi, live_dpi=live_dpi,
                             colors=colors)
    view._call_update(view.values)
    return view
