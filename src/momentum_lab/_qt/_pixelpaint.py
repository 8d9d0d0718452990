"""pyqtgraph's curves, painted in pixels.

A ``PlotCurveItem`` paints its data through the view's scaling: the painter maps the path to
pixels and strokes it. A cosmetic pen wider than a pixel under a scaling transform takes Qt's
slow stroker: 2,000 line segments in a 1.5 px pen took 1.35 ms a paint so and 0.47 ms mapped to
pixels first (measured offscreen, raster engine; a 1 px pen is fast either way). A delta trace
is 2,000 segments, and four runs draw four of them, each redraw.

:func:`install` makes every curve map its points to pixels itself (the same affine map the
painter would use) and draw them untransformed. What it does not cover (fills, step mode,
exports, OpenGL, pens whose width is in data units, a projective transform) is painted as
pyqtgraph paints it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems import PlotCurveItem as _curve_module
from PySide6.QtGui import QPainter, QPen

__all__ = ["install", "mapped", "paint_in_pixels"]

_PLAIN_PAINT = pg.PlotCurveItem.paint


def _covered(item: pg.PlotCurveItem, painter: QPainter) -> bool:
    opts = item.opts
    return (item._exportOpts is False and opts["fillLevel"] is None and not opts["stepMode"]
            and opts["compositionMode"] is None and painter.transform().isAffine()
            and all(pen is None or pen.style() == pg.QtCore.Qt.PenStyle.NoPen
                    or (pen.isCosmetic() and pen.brush().style() == pg.QtCore.Qt.BrushStyle.SolidPattern)
                    for pen in (opts["shadowPen"], opts["pen"])))
    # (A gradient or a texture in a pen is laid out in the item's coordinates: in pixels it would
    # land elsewhere.)


def mapped(t, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points (x, y) through the affine transform ``t`` (a QTransform), all at once, as
    ``t.map`` maps one."""
    with np.errstate(invalid="ignore", over="ignore"):  # (an infinite point: 0 × inf, as Qt's own map)
        return t.m11() * x + t.m21() * y + t.dx(), t.m12() * x + t.m22() * y + t.dy()


@pg.debug.warnOnException  # (as pyqtgraph's: an exception raised in a paint aborts)
def paint_in_pixels(self: pg.PlotCurveItem, painter: QPainter, option, widget) -> None:
    """``PlotCurveItem.paint``, with the points mapped to pixels before they are drawn."""
    if self.xData is None or len(self.xData) == 0:
        return
    if not _covered(self, painter) or isinstance(widget, _curve_module.OpenGLHelpers.GraphicsViewGLWidget):
        _PLAIN_PAINT(self, painter, option, widget)
        return
    px, py = mapped(painter.transform(), *self.getData())
    connect = self.opts["connect"]
    finite = not self.opts["skipFiniteCheck"]
    painter.save()
    painter.resetTransform()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, bool(self.opts["antialias"]))
    path = segments = None
    for kind in ("shadowPen", "pen"):
        pen: QPen | None = self.opts[kind]
        if pen is None or pen.style() == pg.QtCore.Qt.PenStyle.NoPen:
            continue
        painter.setPen(pen)
        if self._shouldUseDrawLineSegments(pen):
            if segments is None:
                segments = _curve_module.arrayToLineSegments(px, py, connect, finite)
            painter.drawLines(*segments.drawargs())
        else:
            if path is None:
                path = pg.arrayToQPath(px, py, connect, finiteCheck=finite)
            painter.drawPath(path)
    painter.restore()


def install() -> None:
    """Every ``PlotCurveItem`` (and so every ``PlotDataItem``'s line) paints in pixels."""
    pg.PlotCurveItem.paint = paint_in_pixels
