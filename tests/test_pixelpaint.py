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
