#!/usr/bin/env python
"""Median time of one slider update of chapter 1's secant figure: compute + Agg redraw + PNG.

    python benchmarks/slider_update.py            # 3 sweeps over the 25 values of the h slider
    python benchmarks/slider_update.py --sweeps 10 --json

The figure is built exactly as ``book/01_derivatives.ipynb`` builds it
(``mdl.viz.secant_figure`` + ``mdl.widgets.h_slider`` + ``mdl.widgets.interactive_figure``).
"One update" is what happens in Jupyter when the reader moves the slider: the
SelectionSlider's value changes, its observer calls ``update(h=...)``, redraws the
figure with Agg (blitting the moved artists over a cached background) and encodes
the PNG that the ipywidgets Image shows.  The time the browser needs to receive and
paint the image is not included.  Target (issue 3): median < 50 ms.

Also reported, for comparison: the parts of an update (update(), Agg draw, PNG
encoding), and the same update with a full redraw (no blitting).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import mathdl as mdl  # noqa: E402
from mathdl import widgets as W  # noqa: E402

TARGET_MS = 50.0


def build():
    """Chapter 1's slider figure, as the notebook builds it."""
    mdl.viz.use_book_style()
    x0 = 1.0
    h_spec = mdl.widgets.h_slider(1e-3, 1.0, value=1.0, num=25)
    fig, update = mdl.viz.secant_figure(np.sin, np.cos, x0, hs=h_spec.values, f_label=r"$f(x) = \sin x$")
    view = mdl.widgets.interactive_figure(fig, update, h_spec, alt="benchmark")
    return view, h_spec


def sweep_times(fn, values, sweeps):
    out = []
    for _ in range(sweeps):
        for v in list(values) + list(values)[::-1]:
            t = time.perf_counter()
            fn(v)
            out.append(1000.0 * (time.perf_counter() - t))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--sweeps", type=int, default=3, help="sweeps over the grid, each back and forth")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)

    view, spec = build()
    slider = view.widget.children[0]          # the live SelectionSlider
    values = spec.values
    slider.value = values[0]                  # warm up: caches the background, imports PIL

    live = sweep_times(lambda v: setattr(slider, "value", v), values, args.sweeps)

    # the parts of one update
    parts_update = sweep_times(lambda v: view.update(h=v), values, 1)
    fig = view.fig
    rgba = np.asarray(W._agg_canvas(fig).buffer_rgba()).copy()   # the last live frame
    parts_encode = sweep_times(lambda v: W._encode(rgba, view.colors, W.LIVE_COMPRESS), values, 1)

    # the same update with a full redraw (what a callback that returns no artists costs)
    full = W.InteractiveFigure(fig, lambda h: view.update(h=h) and None, view.sliders, title=None, alt="",
                               dpi=view.dpi, live_dpi=view.live_dpi, colors=view.colors)
    for a in view._animated:
        a.set_animated(False)
    full_times = sweep_times(lambda v: full.set(h=v) or full._png(full.live_dpi, W.LIVE_COMPRESS, full.colors),
                             values[::4], 1)

    res = {
        "median_ms": statistics.median(live),
        "p90_ms": float(np.percentile(live, 90)),
        "n": len(live),
        "update_call_ms": statistics.median(parts_update),
        "encode_png_ms": statistics.median(parts_encode),
        "full_redraw_median_ms": statistics.median(full_times),
        "image_bytes": len(view._image.value),
        "target_ms": TARGET_MS,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
        "machine": platform.machine(),
    }
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print("chapter 1 h-slider (secant figure), live update = update() + Agg blit + PNG for ipywidgets.Image")
        print(f"  median {res['median_ms']:.1f} ms, p90 {res['p90_ms']:.1f} ms over {res['n']} updates "
              f"(target < {TARGET_MS:.0f} ms)")
        print(f"  parts: update() {res['update_call_ms']:.2f} ms, PNG encoding {res['encode_png_ms']:.1f} ms "
              f"({res['image_bytes']} bytes)")
        print(f"  same update with a full redraw instead of blitting: median {res['full_redraw_median_ms']:.1f} ms")
        print(f"  python {res['python']}, numpy {res['numpy']}, matplotlib {res['matplotlib']}, {res['machine']}")
    return 0 if res["median_ms"] < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
