"""Plotting helpers shared by the book's chapters.

* :data:`COLORS`: the Okabe-Ito palette by name, a palette that stays distinguishable
  under the common forms of colour blindness (Okabe and Ito, 2008).
* :func:`use_book_style`: matplotlib settings for the book (readable sizes, a light grid,
  that palette as the colour cycle).
* :func:`loglog_error_plot`: error against step size, with reference slopes (chapters 1, 2, 4, 6).
* :func:`contour_with_path`: contours of f(x, y) with optimisation paths (chapters 3, 8, 10).
* :func:`surface_and_contour`: a surface and its contour map side by side (chapters 2, 3).
* :func:`secant_figure`: the secant-to-tangent figure with its ``update(h)`` (chapter 1's slider).
* :func:`savefig_png_bytes`: a figure as PNG bytes.

matplotlib is imported inside the functions; importing this module costs nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence

import numpy as np

__all__ = [
    "COLORS",
    "CYCLE",
    "use_book_style",
    "savefig_png_bytes",
    "loglog_error_plot",
    "contour_with_path",
    "surface_and_contour",
    "secant_figure",
]

#: The Okabe-Ito colour-blind-safe palette, by name.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#7F7F7F",
}

#: The order in which lines take colours (the book's colour cycle).
CYCLE = ("blue", "vermillion", "green", "orange", "purple", "sky", "black")

_BOOK_RC = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    "image.cmap": "viridis",
    "mathtext.fontset": "dejavusans",
}


def use_book_style() -> None:
    """Apply the book's matplotlib style (sizes, grid, the Okabe-Ito colour cycle) globally."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(_BOOK_RC)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=[COLORS[c] for c in CYCLE])


def savefig_png_bytes(fig, dpi: float = 100) -> bytes:
    """Render ``fig`` with Agg and return the PNG file's bytes (fixed size: no tight bounding box)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _as_errors(errors) -> dict:
    if isinstance(errors, Mapping):
        return dict(errors)
    return {"error": errors}


def loglog_error_plot(hs, errors, *, ax=None, reference_slopes: Mapping[str, float] | None = None,
                      mark_best: bool = True, colors: Sequence[str] | None = None,
                      reference_offset: float = 0.2,
                      xlabel: str = "step $h$", ylabel: str = "absolute error",
                      title: str | None = None):
    """Plot error against step size on log-log axes; return the axes.

    ``errors`` is an array (one curve) or a dict ``{label: errors}`` with one entry per
    method, each the same length as ``hs``.  ``reference_slopes`` maps a curve's label to
    a slope p: a dashed line C·h^p is drawn through that curve's error at the largest h,
    labelled ∝ h^p, over the truncation branch (h at least the best h), to compare the
    measured branch with the theory; it runs ``reference_offset`` times below the curve
    so that both stay visible.
    ``mark_best`` marks each curve's smallest error (the best h) with a dot.
    Zero errors are not drawn (log axes cannot show them).
    """
    import matplotlib.pyplot as plt

    hs = np.asarray(hs, dtype=float)
    curves = _as_errors(errors)
    if ax is None:
        _, ax = plt.subplots()
    names = list(colors) if colors else list(CYCLE)
    for k, (label, err) in enumerate(curves.items()):
        err = np.asarray(err, dtype=float)
        if err.shape != hs.shape:
            raise ValueError(f"loglog_error_plot: errors[{label!r}] has shape {err.shape}, hs has {hs.shape}")
        c = COLORS.get(names[k % len(names)], names[k % len(names)])
        ok = err > 0
        ax.loglog(hs[ok], err[ok], "o-", ms=3, lw=1.5, color=c, label=label)
        if mark_best and ok.any():
            i = int(np.argmin(np.where(ok, err, np.inf)))
            ax.loglog([hs[i]], [err[i]], "o", ms=9, mfc="none", mew=2, color=c)
        if reference_slopes and label in reference_slopes:
            p = reference_slopes[label]
            j = int(np.argmax(hs))
            ref = reference_offset * err[j] * (hs / hs[j]) ** p
            # only over the truncation branch: from the largest h down to the best h
            h_best = hs[int(np.argmin(np.where(ok, err, np.inf)))] if ok.any() else hs.min()
            keep = hs >= h_best
            ax.loglog(hs[keep], ref[keep], "--", lw=1.2, color=COLORS["grey"],
                      label=rf"$\propto h^{{{p:g}}}$" if p != 1 else r"$\propto h$")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def contour_with_path(f: Callable, xlim: tuple, ylim: tuple, paths=None, *, ax=None, levels=20,
                      n: int = 200, log_levels: bool = False, filled: bool = False,
                      gradient: Callable | None = None, arrows: int = 0, minimum=None,
                      xlabel: str = "$w_1$", ylabel: str = "$w_2$", title: str | None = None):
    """Contours of ``f(X, Y)`` over a rectangle, optionally with paths of iterates; return the axes.

    ``f`` is evaluated on a meshgrid and must broadcast over arrays (``f(X, Y)``).
    ``paths`` is an array of shape (T, 2) or a dict ``{label: (T, 2) array}``; each path
    is drawn with its start (square) and end (dot).  ``log_levels`` spaces the contour
    levels geometrically between the minimum and maximum of f (for valleys such as
    Rosenbrock's).  With ``gradient`` (a function of (X, Y) returning (dX, dY)) and
    ``arrows`` > 0, an ``arrows``×``arrows`` grid of gradient arrows is added.
    ``minimum`` (x, y) marks the minimiser with a star.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    x = np.linspace(*xlim, n)
    y = np.linspace(*ylim, n)
    X, Y = np.meshgrid(x, y)
    Z = np.asarray(f(X, Y), dtype=float)
    if Z.shape != X.shape:
        raise ValueError(f"contour_with_path: f(X, Y) must broadcast to the grid's shape {X.shape}, got {Z.shape}")
    if log_levels and isinstance(levels, int):
        lo = float(np.min(Z))
        shift = 0.0 if lo > 0 else 1e-3 - lo
        levels = np.geomspace(lo + shift, float(np.max(Z)) + shift, levels) - shift
    draw = ax.contourf if filled else ax.contour
    cs = draw(X, Y, Z, levels=levels, cmap="viridis", linewidths=None if filled else 0.8)
    if gradient is not None and arrows > 0:
        xa = np.linspace(*xlim, arrows + 2)[1:-1]
        ya = np.linspace(*ylim, arrows + 2)[1:-1]
        XA, YA = np.meshgrid(xa, ya)
        U, V = gradient(XA, YA)
        ax.quiver(XA, YA, U, V, color=COLORS["grey"], angles="xy", width=0.004)
    if paths is not None:
        if not isinstance(paths, Mapping):
            paths = {"path": paths}
        for k, (label, P) in enumerate(paths.items()):
            P = np.asarray(P, dtype=float)
            if P.ndim != 2 or P.shape[1] != 2:
                raise ValueError(f"contour_with_path: path {label!r} must have shape (T, 2), got {P.shape}")
            c = COLORS[CYCLE[(k + 1) % len(CYCLE)]]
            ax.plot(P[:, 0], P[:, 1], ".-", color=c, lw=1.5, ms=4, label=label)
            ax.plot(P[0, 0], P[0, 1], "s", color=c, ms=6)
            ax.plot(P[-1, 0], P[-1, 1], "o", color=c, ms=7)
        ax.legend(loc="best")
    if minimum is not None:
        ax.plot(*minimum, "*", color=COLORS["black"], ms=12, label="minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_aspect("equal", adjustable="box") if (xlim[1] - xlim[0]) == (ylim[1] - ylim[0]) else None
    ax.grid(False)
    if title:
        ax.set_title(title)
    ax._mdl_contour = cs
    return ax


def surface_and_contour(f: Callable, xlim: tuple, ylim: tuple, *, n: int = 80, levels: int = 15,
                        xlabel: str = "$x$", ylabel: str = "$y$", zlabel: str = "$f(x, y)$",
                        title: str | None = None, figsize=(10, 4.2), elev: float = 30, azim: float = -60):
    """A 3-D surface of ``f(X, Y)`` beside its contour map (same colours); return ``(fig, (ax3d, ax2d))``."""
    import matplotlib.pyplot as plt

    x = np.linspace(*xlim, n)
    y = np.linspace(*ylim, n)
    X, Y = np.meshgrid(x, y)
    Z = np.asarray(f(X, Y), dtype=float)
    if Z.shape != X.shape:
        raise ValueError(f"surface_and_contour: f(X, Y) must broadcast to the grid's shape {X.shape}, got {Z.shape}")
    fig = plt.figure(figsize=figsize)
    ax3 = fig.add_subplot(1, 2, 1, projection="3d")
    ax3.plot_surface(X, Y, Z, cmap="viridis", linewidth=0, antialiased=True, rcount=n, ccount=n)
    ax3.view_init(elev=elev, azim=azim)
    ax3.set_xlabel(xlabel)
    ax3.set_ylabel(ylabel)
    ax3.set_zlabel(zlabel)
    ax2 = fig.add_subplot(1, 2, 2)
    cs = ax2.contour(X, Y, Z, levels=levels, cmap="viridis", linewidths=1)
    ax2.clabel(cs, fontsize=8, fmt="%.3g")
    ax2.set_xlabel(xlabel)
    ax2.set_ylabel(ylabel)
    ax2.set_aspect("equal", adjustable="box")
    ax2.grid(False)
    if title:
        fig.suptitle(title)
    return fig, (ax3, ax2)


def secant_figure(f: Callable, df: Callable, x0: float, *, hs: Sequence[float] | None = None,
                  h: float | None = None, xlim: tuple | None = None, f_label: str = "$f(x)$",
                  x_label: str = "$x$", figsize=(9.0, 3.6)):
    """The secant-to-tangent figure of chapter 1; return ``(fig, update)``.

    Left: the graph of ``f`` near ``x0``, its tangent line (slope ``df(x0)``) and the
    secant through (x0, f(x0)) and (x0 + h, f(x0 + h)), whose slope is the forward
    difference (f(x0 + h) − f(x0)) / h.  Right: the error of that slope,
    :math:`|(f(x_0+h) - f(x_0))/h - f'(x_0)|`, against h on log-log axes over the grid ``hs``, with a marker at the current h.

    ``update(h)`` moves the secant, the second point, the marker and the readout in
    place and returns them; it never creates artists and never changes the axes, so
    :func:`mathdl.widgets.interactive_figure` redraws only those artists (blitting).
    """
    import matplotlib.pyplot as plt

    x0 = float(x0)
    hs = np.asarray(hs if hs is not None else np.geomspace(1e-3, 1.0, 25), dtype=float)
    if np.any(hs <= 0):
        raise ValueError("secant_figure: every h in hs must be > 0")
    h = float(h if h is not None else hs[len(hs) // 2])
    slope0 = float(df(x0))
    y0 = float(f(x0))
    hmax = float(hs.max())
    if xlim is None:
        xlim = (x0 - 0.6 * hmax, x0 + 1.25 * hmax)
    xx = np.linspace(*xlim, 300)
    yy = np.asarray(f(xx), dtype=float)
    err = np.abs((np.asarray(f(x0 + hs), dtype=float) - y0) / hs - slope0)

    fig, (ax, ax_err) = plt.subplots(1, 2, figsize=figsize, gridspec_kw={"width_ratios": [1.35, 1]},
                                     layout="constrained")
    ax.plot(xx, yy, color=COLORS["black"], lw=2, label=f_label)
    (secant,) = ax.plot([], [], color=COLORS["vermillion"], lw=2.5, label="secant", zorder=2.5)
    (tangent,) = ax.plot(xx, y0 + slope0 * (xx - x0), color=COLORS["blue"], lw=1.5, ls="--", zorder=3,
                         label=f"tangent, slope $f'(x_0)$ = {slope0:.4f}")
    ax.plot([x0], [y0], "o", color=COLORS["black"], ms=6, zorder=5)
    (p1,) = ax.plot([], [], "o", color=COLORS["vermillion"], ms=7, zorder=5)
    run, = ax.plot([], [], ":", color=COLORS["grey"], lw=1.2)
    readout = ax.text(0.03, 0.97, "", transform=ax.transAxes, va="top", ha="left", fontsize=10,
                      bbox=dict(boxstyle="round", fc="white", ec=COLORS["grey"], alpha=0.9))
    span = float(yy.max() - yy.min())
    ax.set_xlim(*xlim)
    ax.set_ylim(float(yy.min()) - 0.08 * span, float(yy.max()) + 0.3 * span)
    ax.set_xlabel(x_label)
    ax.set_ylabel(f_label)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title("secant through $x_0$ and $x_0 + h$")

    ok = err > 0
    ax_err.loglog(hs[ok], err[ok], "o-", ms=3, lw=1.2, color=COLORS["vermillion"])
    (marker,) = ax_err.loglog([], [], "o", ms=10, mfc="none", mew=2, color=COLORS["black"])
    ax_err.set_xlabel("step $h$")
    ax_err.set_ylabel("|secant slope − $f'(x_0)$|")
    ax_err.set_title("error of the secant slope")

    def update(h: float) -> None:
        h = float(h)
        y1 = float(f(x0 + h))
        s = (y1 - y0) / h
        lo, hi = xlim
        secant.set_data([lo, hi], [y0 + s * (lo - x0), y0 + s * (hi - x0)])
        p1.set_data([x0 + h], [y1])
        run.set_data([x0, x0 + h, x0 + h], [y0, y0, y1])
        e = abs(s - slope0)
        readout.set_text(f"slope {s:.4f}\nerror {e:.1e}")
        marker.set_data([h], [max(e, 1e-300)])
        return secant, tangent, p1, run, readout, marker

    update(h)
    return fig, update
