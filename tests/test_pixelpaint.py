"""The curves painted in pixels (momentum_lab._qt._pixelpaint) look as pyqtgraph paints them."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage

from momentum_lab._qt import _pixelpaint, plots  # noqa: F401 (plots installs the pixel paint)


class PlainCurve(pg.PlotCurveItem):
    """A curve painted as pyqtgraph paints it."""

    paint = _pixelpaint._PLAIN_PAINT


def _curves(plain: bool) -> list[pg.PlotCurveItem]:
    rng = np.random.default_rng(1)
    x = np.arange(2000.0)
    y = rng.standard_normal(2000)
    walk = np.cumsum(rng.standard_normal(2000)) / 30
    walk[500:520] = np.nan  # a gap
    kind = PlainCurve if plain else pg.PlotCurveItem
    return [
        kind(x, y, pen=pg.mkPen("b", width=1.5), antialias=False),  # segments (a delta trace)
        kind(x, walk, pen=pg.mkPen((200, 0, 0, 150), width=2), antialias=True, connect="finite"),  # a path
        kind(x[::50], y[::50] / 2, pen=pg.mkPen("g", width=3), antialias=True, connect="pairs"),
        kind(x, y / 5, pen=pg.mkPen("k", width=1), shadowPen=pg.mkPen("y", width=4)),
        kind(x[:200], y[:200] + 2, pen=pg.mkPen("m", width=2), fillLevel=0, brush=(0, 0, 255, 60)),  # (plain)
    ]


def _picture(qtbot, plain: bool) -> np.ndarray:
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    for curve in _curves(plain):
        widget.addItem(curve)
    widget.getPlotItem().setRange(xRange=(0, 2000), yRange=(-4, 4), padding=0)
    widget.show()
    qtbot.waitExposed(widget)
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    return pg.functions.ndarray_from_qimage(image)[..., :3].astype(int)


def test_curves_paint_in_pixels_as_pyqtgraph_paints_them_but_for_rounding(qtbot, monkeypatch):
    calls = []
    covered = _pixelpaint._covered
    monkeypatch.setattr(_pixelpaint, "_covered", lambda item, painter: calls.append(item) or covered(item, painter))
    plain, pixels = _picture(qtbot, True), _picture(qtbot, False)
    assert len({id(item) for item in calls}) == 5  # every curve of the second picture went through it
    inked = (plain.min(axis=-1) < 250) | (pixels.min(axis=-1) < 250)
    off = np.abs(plain - pixels).max(axis=-1) > 64
    assert inked.sum() > 20_000
    # A point on a pixel's edge may round to the next pixel: a few pixels of a 1.5 px line move.
    assert off.sum() < 0.02 * inked.sum()


def test_what_it_does_not_cover_is_painted_as_pyqtgraph_paints_it(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    fill = pg.PlotCurveItem(np.arange(5.0), np.ones(5), fillLevel=0, brush="b")
    data_pen = pg.PlotCurveItem(np.arange(5.0), np.ones(5), pen=pg.mkPen("r", width=0.1, cosmetic=False))
    steps = pg.PlotCurveItem(np.arange(6.0), np.ones(5), stepMode="center")
    for curve in (fill, data_pen, steps):
        widget.addItem(curve)
    painter = pg.QtGui.QPainter()
    image = QImage(10, 10, QImage.Format.Format_RGB32)
    painter.begin(image)
    try:
        assert not any(_pixelpaint._covered(curve, painter) for curve in (fill, data_pen, steps))
        assert _pixelpaint._covered(pg.PlotCurveItem(np.arange(5.0), np.ones(5)), painter)
        painter.scale(1, 0.5)
        painter.setTransform(pg.QtGui.QTransform(1, 0, 0.01, 0, 1, 0, 0, 0, 1))  # projective
        assert not _pixelpaint._covered(pg.PlotCurveItem(np.arange(5.0), np.ones(5)), painter)
    finally:
        painter.end()


def _edges(width: float, x, y) -> pg.PlotCurveItem:
    """Edges as NetworkView makes them (pairs of points, one pen), drawn sharp as a large
    network's are."""
    edges = pg.PlotCurveItem(connect="pairs", antialias=True)
    edges.opts["antialias"] = False
    edges.setPen(pg.mkPen("k", width=width))
    edges.setData(np.asarray(x, float), np.asarray(y, float))
    return edges


def test_the_network_s_edges_export_as_wide_as_the_curves_and_smooth(qtbot):
    """An export draws the plot at a device-pixel ratio: the network's edges widened as a curve's
    pen is, and antialiased whatever the view's own choice (a large network's)."""
    from momentum_lab._qt.export import export_scale, plot_image

    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    edges = _edges(6, [0.0, 10.0], [3.0, 3.0])  # a pair: one horizontal edge
    curve = pg.PlotCurveItem(np.array([0.0, 10.0]), np.array([7.0, 7.0]), pen=pg.mkPen("k", width=6))
    for item in (edges, curve):
        widget.addItem(item)
    plot = widget.getPlotItem()
    plot.setRange(xRange=(-1, 11), yRange=(0, 10), padding=0)
    widget.show()
    qtbot.waitExposed(widget)
    scale = export_scale(plot)
    assert scale >= 3
    image = plot_image(plot).convertToFormat(QImage.Format.Format_RGB32)
    pixels = pg.functions.ndarray_from_qimage(image)[..., :3].astype(int)
    column = pixels[:, pixels.shape[1] // 2].min(axis=-1)  # down the middle: the two lines
    dark = column < 128
    bounds = np.flatnonzero(np.diff(np.concatenate([[0], dark.astype(int), [0]])))  # start, end, start, end
    runs = bounds[1::2] - bounds[::2]
    assert len(runs) == 2 and abs(runs[0] - runs[1]) <= 2 and runs.min() >= 6 * scale - 2
    assert edges.opts["pen"].widthF() == 6  # put back after the export


def test_the_network_s_edges_export_smooth_where_the_view_draws_them_sharp(qtbot):
    """(A large network's edges are drawn without antialiasing on screen; its export smooths them,
    as it does pyqtgraph's curves.) A diagonal black edge on white: grey pixels in the export only."""
    from momentum_lab._qt.export import plot_image

    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(300, 300)
    plot = widget.getPlotItem()
    for side in ("left", "bottom"):
        plot.hideAxis(side)
    edges = _edges(3, [1.0, 9.0], [1.0, 6.0])
    widget.addItem(edges)
    plot.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    widget.show()
    qtbot.waitExposed(widget)

    def greys(image: QImage) -> int:
        pixels = pg.functions.ndarray_from_qimage(image.convertToFormat(QImage.Format.Format_RGB32))[..., :3]
        level = pixels.astype(int).min(axis=-1)
        return int(((level > 40) & (level < 215)).sum())

    assert greys(widget.grab().toImage()) < 10  # sharp on screen (a few: the frame's corners)
    assert greys(plot_image(plot)) > 200  # smooth in the export
