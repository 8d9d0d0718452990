"""Exports look like the screen (issue 12): a plot's PNG keeps its widget's proportions, is at
least 1200 px wide, and its legends, tick labels and lines are enlarged with it; "export
everything" leaves out the views with nothing in them, and says so before it writes; the sweep
heatmap's ticks are the grid's own values, at cell centres (pytest-qt, offscreen)."""

from __future__ import annotations

import io
import os

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage

import momentum_lab as ml
from momentum_lab.cli import main
from momentum_lab._qt import report
from momentum_lab._qt.export import (MIN_EXPORT_WIDTH, PLOTS, export_all, export_plot, export_scale, export_targets,
                                     plot_is_empty, plots_of, svg_supported)
from momentum_lab._qt.report import grid_labels, sweep_view

from test_gui import dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)
from test_teach import run_to_limit

# Where the tests leave the pictures they made, to look at (MOMENTUM_LAB_LOOK=DIR); else tmp_path.
LOOK = os.environ.get("MOMENTUM_LAB_LOOK")


@pytest.fixture(scope="module", autouse=True)
def like_the_app():
    """Dark on white, as ``momentum-lab gui`` sets pyqtgraph up (the tests' windows are black)."""
    old = {key: pg.getConfigOption(key) for key in ("antialias", "background", "foreground")}
    pg.setConfigOptions(antialias=True, background="w", foreground="#111")
    yield
    pg.setConfigOptions(**old)


def out_dir(tmp_path):
    if LOOK:
        os.makedirs(LOOK, exist_ok=True)
        return LOOK
    return tmp_path


def pixels(path) -> np.ndarray:
    """An image file as (height, width, 3) uint8 RGB."""
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def shown_size(item) -> tuple[float, float]:
    """The size of ``item``'s widget on screen."""
    viewport = item.getViewWidget().viewport()
    return viewport.width(), viewport.height()


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800), (1900, 700)])
def test_an_exported_plot_keeps_its_widgets_proportions_at_1200_px_wide_or_more(qtbot, open_window, tmp_path, size):
    """The error plot came out 1200 x 1351 from a plot wider than tall: now each PNG has its
    widget's width:height (within 2 %) and is at least 1200 px wide, a whole multiple of it."""
    w = open_window(size=size)
    run_to_limit(qtbot, w.controller, 3)
    w.refresh()
    folder = out_dir(tmp_path)
    for stem, (_, item) in plots_of(w).items():
        path = os.path.join(folder, f"{stem}-{size[0]}x{size[1]}.png")
        export_plot(item, path)
        image = QImage(path)
        width, height = shown_size(item)
        assert image.width() >= MIN_EXPORT_WIDTH, stem
        assert abs(image.width() / image.height() - width / height) <= 0.02 * width / height, \
            (stem, image.width(), image.height(), width, height)
        scale = export_scale(item)
        assert scale == max(1, -(-MIN_EXPORT_WIDTH // int(width))) or image.width() == pytest.approx(width * scale, abs=1)
        assert (image.width() > image.height()) == (width > height) or abs(width - height) < 0.02 * width, stem


def test_the_legend_and_tick_labels_are_enlarged_with_the_plot(qtbot, open_window, tmp_path):
    """The delta traces' legend was microscopic (pyqtgraph draws a legend untransformed, so
    stretching the scene to 1200 px left it at screen size): now its text is as many times
    larger as the plot, as the tick labels are; the plot on screen is as it was."""
    w = open_window(size=(1280, 800))
    run_to_limit(qtbot, w.controller, 3)
    w.refresh()
    item = w.delta_panel.trace_plot
    legend = item.legend
    assert legend.items, "the trace plot has a legend"
    _, label = legend.items[0]
    pens_before = [c.opts["pen"] for c in item.listDataItems()]
    axis_pen_before = item.getAxis("bottom").pen()
    path = os.path.join(out_dir(tmp_path), "delta-traces-legend.png")
    export_plot(item, path)
    scale = export_scale(item)
    assert scale >= 2  # a plot less than 1200 px wide on screen
    # The legend's text: its height on screen times the scale, at least 24 px.
    text_height = label.item.boundingRect().height() * scale
    assert text_height >= 24
    # ... and drawn so: the dark pixels (the text) inside the legend's box span most of its rows.
    image = pixels(path)
    origin = item.sceneBoundingRect().topLeft()
    box = legend.sceneBoundingRect().translated(-origin)
    top, bottom = int(box.top() * scale), int(box.bottom() * scale)
    left, right = int(box.left() * scale), int(box.right() * scale)
    region = image[top:bottom, left:right].astype(int)
    dark_rows = np.flatnonzero((region.max(axis=2) < 110).any(axis=1))
    # (The label's box is about twice its glyphs' height; drawn at screen size they spanned 10 px.)
    span = dark_rows[-1] - dark_rows[0] + 1 if dark_rows.size else 0
    assert span >= 24 and span >= 0.35 * text_height, (span, text_height)
    # Tick labels: the bottom axis's text rows, likewise enlarged.
    axis = item.getAxis("bottom")
    strip = axis.sceneBoundingRect().translated(-origin)
    region = image[int(strip.top() * scale):int(strip.bottom() * scale)].astype(int)
    text_rows = np.flatnonzero((region.max(axis=2) < 110).sum(axis=1) > 2)
    font_px = pg.QtGui.QFontMetricsF(axis.style.get("tickFont") or axis.font()).ascent()
    assert text_rows.size and text_rows[-1] - text_rows[0] + 1 >= 0.6 * font_px * scale
    # The screen's pens are back, the same ones.
    assert [c.opts["pen"] for c in item.listDataItems()] == pens_before
    assert item.getAxis("bottom").pen() == axis_pen_before


def test_lines_are_as_many_times_thicker_as_the_text(qtbot, open_window, tmp_path):
    """A cosmetic pen (pyqtgraph's usual) is one device pixel at any pixel ratio: widened by
    the export's scale, so an axis line is `scale` pixels thick, as on screen it is one."""
    w = open_window(size=(1280, 800))
    run_to_limit(qtbot, w.controller, 2)
    w.refresh()
    item = w.curves.loss_plot
    path = os.path.join(out_dir(tmp_path), "error-lines.png")
    export_plot(item, path)
    scale = export_scale(item)
    image = pixels(path).astype(int)
    origin = item.sceneBoundingRect().topLeft()
    axis = item.getAxis("left")
    rect = axis.mapRectToScene(pg.QtCore.QRectF(0, 0, axis.width(), axis.height())).translated(-origin)
    # The left axis's line: the dark columns at its right edge, half-way down.
    row = image[int(rect.center().y() * scale), int((rect.right() - 6) * scale):int((rect.right() + 3) * scale)]
    dark = np.flatnonzero(row.max(axis=1) < 128)
    assert scale >= 2 and scale <= dark.size <= scale + 2, (dark, scale)


def test_export_everything_leaves_out_the_empty_views_and_says_so_first(qtbot, open_window, tmp_path):
    """No sweep run: no sweep.png (it was written, an empty plot labelled "log-spaced"); the
    list export_targets gives before any work is exactly what export_all writes. Once a sweep
    has a result, its plot is written too."""
    w = open_window()
    run_to_limit(qtbot, w.controller, 2)
    w.refresh()
    folder = tmp_path / "all"
    folder.mkdir()
    assert plot_is_empty(w, "sweep")
    expected = export_targets(folder, w)
    written = export_all(w, folder)
    assert written == expected
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written)
    assert not [p for p in written if p.stem == "sweep"]
    plots = {p.stem for p in written if p.stem in PLOTS}
    assert plots == set(PLOTS) - {"sweep"}
    # The command line checks its names before there is a window: the same files (no headless
    # run fills the sweep plot).
    assert export_targets(folder) == written
    # A sweep done: its plot is no longer empty, and is written.
    w.sweep_panel.sweeps.result = ml.sweep("iris", lr=(0.01, 0.1, 3), momentum=(0.0, 0.5, 2), epochs=1)
    w.sweep_panel.draw()
    assert not plot_is_empty(w, "sweep")
    again = tmp_path / "again"
    again.mkdir()
    assert export_targets(again, w) == export_all(w, again)
    assert (again / "sweep.png").exists()
    assert (again / "sweep.svg").exists() == svg_supported()


def test_a_view_with_nothing_drawn_is_empty_and_not_written(qtbot, open_window, tmp_path):
    """Before a single step there are no deltas: the two delta plots are empty and left out;
    the error curves (epoch 0) are not."""
    w = open_window()
    w.refresh()
    if w.controller.latest.step != 0:
        pytest.skip("the run moved on")
    assert plot_is_empty(w, "delta-traces") and plot_is_empty(w, "delta-heatmap")
    assert not plot_is_empty(w, "error") and not plot_is_empty(w, "network")
    written = export_all(w, tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {p.name for p in written}
    assert "delta-traces.png" not in names and "sweep.png" not in names and "error.png" in names


def bottom_ticks(view):
    return view.sweep_plot.getAxis("bottom")._tickLevels[0]


def left_ticks(view):
    return view.sweep_plot.getAxis("left")._tickLevels[0]


def test_the_sweep_pngs_ticks_are_the_grid_values_at_cell_centres(tmp_path):
    """Ticks at 0.00464, 0.0215 … on every other column: now every column is labelled (they
    fit), at its centre, with the grid's value."""
    result = ml.sweep("iris", lr=(0.001, 1.0, 4), momentum=(0.0, 0.9, 10), epochs=1)
    view = sweep_view(result)
    assert [p for p, _ in bottom_ticks(view)] == [i + 0.5 for i in range(4)]
    assert [float(t) for _, t in bottom_ticks(view)] == list(result.lrs)
    assert [t for _, t in bottom_ticks(view)] == ["0.001", "0.01", "0.1", "1"]
    assert [p for p, _ in left_ticks(view)] == [j + 0.5 for j in range(10)]
    assert [float(t) for _, t in left_ticks(view)] == list(result.momenta)
    # A log-spaced grid's inner values have no short decimal: three significant digits.
    result = ml.sweep("iris", lr=(0.001, 1.0, 10), momentum=(0.0, 0.9, 10), epochs=1)
    view = sweep_view(result)
    labels = [t for _, t in bottom_ticks(view)]
    assert labels == [f"{v:.3g}" for v in result.lrs]
    assert [p for p, _ in bottom_ticks(view)] == [i + 0.5 for i in range(10)]
    view.grab().save(os.path.join(out_dir(tmp_path), "sweep-ticks.png"))


def test_a_dense_sweep_labels_every_kth_cell_at_its_centre(tmp_path):
    result = ml.sweep("iris", lr=(0.0005, 2.0, 40), momentum=(0.0, 0.99, 34), epochs=1)
    view = sweep_view(result)
    view.grab().save(os.path.join(out_dir(tmp_path), "sweep-dense.png"))
    for ticks, values in ((bottom_ticks(view), result.lrs), (left_ticks(view), result.momenta)):
        positions = [p for p, _ in ticks]
        every = round(positions[1] - positions[0])
        assert 1 <= every < len(values) // 2
        assert every > 1 or values is result.momenta  # (forty learning rates do not fit side by side)
        assert positions == [i + 0.5 for i in range(0, len(values), every)]
        labels = grid_labels(values)
        assert [t for _, t in ticks] == [labels[int(p)] for p in positions]
    # Labels do not overlap: their widths fit in the cells between them.
    axis = view.sweep_plot.getAxis("bottom")
    metrics = pg.QtGui.QFontMetricsF(axis.style.get("tickFont") or axis.font())
    cell = view.sweep_plot.vb.width() / len(result.lrs)
    widest = max(metrics.horizontalAdvance(t) for _, t in bottom_ticks(view))
    assert widest < cell * (bottom_ticks(view)[1][0] - bottom_ticks(view)[0][0])


def test_the_command_lines_sweep_png_is_drawn_with_the_grids_ticks(tmp_path, monkeypatch):
    """`momentum-lab sweep --png`: the view it renders has the grid's values as its ticks."""
    views = []
    real = report.sweep_view

    def keep(*args, **kwargs):
        views.append(real(*args, **kwargs))
        return views[-1]

    monkeypatch.setattr(report, "sweep_view", keep)
    png = tmp_path / "sweep.png"
    code = main(["sweep", "--epochs", "2", "--lr", "0.001:1:7", "--momentum", "0:0.9:4", "--out",
                 str(tmp_path / "s.csv"), "--png", str(png), "-q"], out=io.StringIO(), err=io.StringIO())
    assert code == 0 and QImage(str(png)).width() > 0
    (view,) = views
    rows = np.genfromtxt(tmp_path / "s.csv", delimiter=",", names=True, dtype=None, encoding="utf-8")
    lrs, momenta = np.unique(rows["lr"]), np.unique(rows["momentum"])
    assert [t for _, t in bottom_ticks(view)] == grid_labels(lrs)
    assert [t for _, t in bottom_ticks(view)] == ["0.001", "0.00316", "0.01", "0.0316", "0.1", "0.316", "1"]
    assert [t for _, t in left_ticks(view)] == ["0", "0.3", "0.6", "0.9"]
    assert [p for p, _ in left_ticks(view)] == [0.5, 1.5, 2.5, 3.5]


def test_grid_labels():
    assert grid_labels([0.001, 0.01, 0.1, 1.0]) == ["0.001", "0.01", "0.1", "1"]
    assert grid_labels([0.0, 0.25, 0.5, 0.95]) == ["0", "0.25", "0.5", "0.95"]
    assert grid_labels([0.001, 0.00215443469003, 0.00464158883361]) == ["0.001", "0.00215", "0.00464"]
    # Neighbours alike at three digits: as many as tell them apart.
    assert grid_labels([0.1, 0.100012345, 0.100023456]) == ["0.1", "0.10001", "0.10002"]


def test_the_delta_summarys_plots_export_with_their_legend(qtbot, open_window, tmp_path):
    """On screen the summary's legend is a line of text above its plots; an exported plot carries
    it in a corner (else the PNG's curves were unnamed), and the plot is as before after."""
    w = open_window(size=(1600, 1000))
    w.show_view("summary")
    run_to_limit(qtbot, w.controller, 3)
    w.refresh()
    for stem in ("delta-flips", "delta-size"):
        item = plots_of(w)[stem][1]
        export_plot(item, tmp_path / f"{stem}.png")
        title = (item.titleLabel.isVisible(), item.titleLabel.text)
        items_after = list(item.vb.childItems())
        assert (item.titleLabel.isVisible(), item.titleLabel.text) == title  # (the screen's, back)
        with_legend = pixels(tmp_path / f"{stem}.png")
        item.export_extras = None  # (the same plot without it)
        export_plot(item, tmp_path / f"{stem}-bare.png")
        assert not (with_legend == pixels(tmp_path / f"{stem}-bare.png")).all()
        assert item.vb.childItems() == items_after  # (nothing left behind)
