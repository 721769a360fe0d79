"""mathdl.viz: the book style, the palette and the shared plotting helpers."""

import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mathdl import viz  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_rc():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def test_palette_is_okabe_ito_hex():
    okabe_ito = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert okabe_ito <= set(viz.COLORS.values())
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in viz.COLORS.values())
    assert all(name in viz.COLORS for name in viz.CYCLE)


def test_use_book_style_sets_the_cycle_grid_and_sizes():
    viz.use_book_style()
    cycle = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
    assert cycle[:3] == [viz.COLORS["blue"], viz.COLORS["vermillion"], viz.COLORS["green"]]
    assert matplotlib.rcParams["axes.grid"] is True
    assert matplotlib.rcParams["font.size"] >= 10


def test_savefig_png_bytes():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    png = viz.savefig_png_bytes(fig, dpi=50)
    assert png.startswith(b"\x89PNG")


def test_loglog_error_plot_marks_best_and_draws_reference_slopes():
    hs = 10.0 ** np.arange(-8, 0.01, 0.5)
    err = hs + 1e-16 / hs
    ax = viz.loglog_error_plot(hs, {"forward": err}, reference_slopes={"forward": 1})
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert "forward" in labels and any("propto" in lab for lab in labels)
    ref = [line for line in ax.get_lines() if "propto" in line.get_label()][0]
    assert ref.get_xdata().min() >= hs[np.argmin(err)]       # only over the truncation branch
    with pytest.raises(ValueError, match="shape"):
        viz.loglog_error_plot(hs, err[:-1])


def test_contour_with_path_and_surface_and_contour():
    def f(X, Y):
        return X**2 + 10 * Y**2

    path = np.array([[1.0, 1.0], [0.5, 0.2], [0.1, 0.0]])
    ax = viz.contour_with_path(f, (-2, 2), (-2, 2), {"GD": path}, minimum=(0, 0),
                               gradient=lambda X, Y: (2 * X, 20 * Y), arrows=4)
    assert any(line.get_label() == "GD" for line in ax.get_lines())
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        viz.contour_with_path(f, (-2, 2), (-2, 2), np.zeros((3, 3)))
    fig, (ax3, ax2) = viz.surface_and_contour(f, (-1, 1), (-1, 1), n=20)
    assert ax3.name == "3d" and ax2.get_xlabel() == "$x$"


def test_secant_figure_update_moves_artists_in_place():
    fig, update = viz.secant_figure(np.sin, np.cos, 1.0, hs=np.geomspace(1e-3, 1, 7))
    ax = fig.axes[0]
    n = len(ax.get_children())
    moved = update(0.5)
    assert len(moved) >= 4 and all(a.figure is fig for a in moved)
    secant = moved[0]
    xs, ys = secant.get_data()
    slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
    assert slope == pytest.approx((np.sin(1.5) - np.sin(1.0)) / 0.5)
    update(1e-3)
    xs, ys = secant.get_data()
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(np.cos(1.0), abs=1e-3)
    assert len(ax.get_children()) == n
    with pytest.raises(ValueError, match="> 0"):
        viz.secant_figure(np.sin, np.cos, 1.0, hs=[0.1, -0.1])


def test_import_does_not_import_matplotlib():
    code = "import sys, mathdl.viz; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
