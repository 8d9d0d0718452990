"""A still picture of a run's error curves, for headless runs and handouts."""

from __future__ import annotations

import os

import numpy as np

from ..engine import Divergence, History
from ..engine._atomic import atomic_write
from ._app import ensure_app

__all__ = ["render_curves", "save_png", "write_curves_png"]

# Colours that stay apart on a projector and for the common colour-vision deficiencies.
TRAIN_COLOUR = "#0072B2"
TEST_COLOUR = "#D55E00"


def render_curves(history: History, title: str = "", divergence: Divergence | None = None,
                  size: tuple[int, int] = (1200, 520)):
    """Draw loss (log scale) and accuracy against epoch; return a QImage."""
    ensure_app()
    import pyqtgraph as pg

    view = pg.GraphicsLayoutWidget()
    view.setBackground("w")
    view.resize(*size)
    if title:
        view.addLabel(title, row=0, col=0, colspan=2, color="k", size="14pt")
    epochs = history["epoch"].astype(float)
    panels = (
        ("Loss (mean per item, log scale)", "train_loss", "test_loss", True),
        ("Accuracy", "train_accuracy", "test_accuracy", False),
    )
    for col, (name, train_col, test_col, log_y) in enumerate(panels):
        plot = view.addPlot(row=1, col=col, title=f"<span style='color:#000;font-size:13pt'>{name}</span>")
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen("k")
            axis.setTextPen("k")
        plot.setLabel("bottom", "epoch", color="k")
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setLogMode(y=log_y)
        legend = plot.addLegend(offset=(-10, 10) if log_y else (-10, -10), labelTextColor="k",
                                brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen("#888"))
        for label, column, colour in (("train", train_col, TRAIN_COLOUR), ("test", test_col, TEST_COLOUR)):
            values = history[column]
            finite = np.isfinite(values) & ((values > 0) if log_y else True)
            if finite.any():
                few = finite.sum() <= 40  # a handful of epochs: mark each one, a lone point shows
                plot.plot(epochs[finite], values[finite], pen=pg.mkPen(colour, width=3), name=label,
                          symbol="o" if few else None, symbolSize=8, symbolBrush=colour, symbolPen=None)
        if divergence is not None:
            line = pg.InfiniteLine(pos=divergence.epoch, angle=90, pen=pg.mkPen("#CC0000", width=2,
                                                                                style=pg.QtCore.Qt.DashLine),
                                   label=f"diverged (epoch {divergence.epoch})",
                                   labelOpts={"color": "#CC0000", "position": 0.5,
                                                         "anchors": [(1, 0.5), (1, 0.5)]})
            plot.addItem(line)
        if not log_y:
            plot.setYRange(0.0, 1.02, padding=0)
        legend.setParentItem(plot.vb)
    return view.grab().toImage()


def save_png(image, path: str | os.PathLike[str]) -> None:
    """Write a QImage as a PNG file, atomically."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError(f"could not encode the picture for {path} as PNG")
    buffer.close()
    with atomic_write(path, "wb") as fh:
        fh.write(bytes(data))


def write_curves_png(path: str | os.PathLike[str], history: History, title: str = "",
                     divergence: Divergence | None = None) -> None:
    """Write :func:`render_curves` as a PNG, atomically."""
    save_png(render_curves(history, title, divergence), path)
