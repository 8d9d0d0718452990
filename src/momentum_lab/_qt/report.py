"""A still picture of a run's error curves, for headless runs and handouts."""

from __future__ import annotations

import os

import numpy as np

from ..engine import Divergence, History, InputError, Outputs, staged
from ._app import ensure_app

__all__ = ["SWEEP_MEASURES", "svg_supported", "draw_sweep", "render_sweep", "save_png", "sweep_cells",
           "write_curves_png", "write_sweep_png"]

# Colours that stay apart on a projector and for the common colour-vision deficiencies.
TRAIN_COLOUR = "#0072B2"
TEST_COLOUR = "#D55E00"


def svg_supported() -> bool:
    """pyqtgraph 0.14's SVG export works with PySide6 6.10 and fails from 6.11 on (measured)."""
    import PySide6

    major, minor = (int(v) for v in PySide6.__version__.split(".")[:2])
    return (major, minor) < (6, 11)


def _canvas(title: str, size: tuple[int, int]):
    """pyqtgraph, and a white layout of ``size`` with ``title`` across its top row."""
    ensure_app()
    import pyqtgraph as pg

    view = pg.GraphicsLayoutWidget()
    view.setBackground("w")
    view.resize(*size)
    if title:
        view.addLabel(title, row=0, col=0, colspan=2, color="k", size="14pt")
    return pg, view


def _curves_view(history: History, title: str, divergence: Divergence | None, size: tuple[int, int]):
    pg, view = _canvas(title, size)
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
    return view


def save_png(image, path: str | os.PathLike[str], outputs: Outputs | None = None, option: str | None = None) -> None:
    """Write a QImage as a PNG file, atomically (or staged into ``outputs``)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if image.isNull() or not image.save(buffer, "PNG"):
        raise InputError(f"{option or 'png'}: cannot write '{path}': the picture could not be drawn as a PNG "
                         "(too large, or no memory for it)")
    buffer.close()
    save_bytes(path, bytes(data), outputs, option)


def save_bytes(path: str | os.PathLike[str], data: bytes, outputs: Outputs | None, option: str | None) -> None:
    """Write ``data`` to ``path``, atomically (or staged into ``outputs``)."""
    with staged(path, "wb", outputs, option) as fh:
        fh.write(data)


def write_curves_png(path: str | os.PathLike[str], history: History, title: str = "",
                     divergence: Divergence | None = None, outputs: Outputs | None = None,
                     option: str | None = None) -> None:
    """Draw loss (log scale) and accuracy against epoch and write them as a PNG, or as SVG when
    ``path`` ends in ``.svg``, atomically
    (or staged into ``outputs``)."""
    view = _curves_view(history, title, divergence, (1200, 520))
    if str(path).lower().endswith(".svg"):
        if not svg_supported():
            raise InputError(f"{option or 'svg'}: '{path}': SVG export needs PySide6 6.10 (pyqtgraph 0.14 "
                             "cannot write SVG with later versions); write a .png instead")
        from pyqtgraph.exporters import SVGExporter

        view.grab()  # lay the scene out
        data = SVGExporter(view.scene()).export(toBytes=True)
        save_bytes(path, bytes(data), outputs, option)
    else:
        save_png(view.grab().toImage(), path, outputs, option)


#: What a sweep's heatmap can show: measure -> (title, log colour scale).
SWEEP_MEASURES = {
    "final_train_loss": ("Final train loss", True),
    "final_train_accuracy": ("Final train accuracy", False),
    "epochs_to_target": ("Epochs to the target loss", False),
    "diverged_at_epoch": ("Epoch of divergence", False),
}
# Cells with no value (diverged, never reached the target) are drawn in this grey.
_NO_VALUE = (205, 205, 205, 255)


def sweep_cells(result, measure: str):
    """A sweep's heatmap: RGBA cells (momentum rows, learning-rate columns), the colour map, its
    (low, high) and label, and the (lr index, momentum index) of the diverged cells."""
    import pyqtgraph as pg

    title, log = SWEEP_MEASURES[measure]
    values = np.array(getattr(result, measure), dtype=float)
    diverged = np.isfinite(result.diverged_at_epoch)
    if measure != "diverged_at_epoch":
        values[diverged] = np.nan  # a diverged run's last numbers say little
    if log:
        values = np.log10(np.where(values > 0, values, np.nan))
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if high <= low:
        high = low + 1
    cmap = pg.colormap.get("viridis")
    shown = np.clip((values - low) / (high - low), 0, 1)
    rgba = cmap.map(np.nan_to_num(shown).ravel(), mode="byte").reshape(*values.shape, 4)
    rgba[~np.isfinite(values)] = _NO_VALUE
    label = f"log10 {title[0].lower()}{title[1:]}" if log else title[0].lower() + title[1:]
    return np.ascontiguousarray(rgba.transpose(1, 0, 2)), cmap, (low, high), label, np.argwhere(diverged)


def draw_sweep(plot, result, measure: str = "final_train_loss") -> tuple[list, tuple]:
    """Add a sweep's heatmap to ``plot``: cell (i, j) spans [i, i+1] x [j, j+1] for lrs[i],
    momenta[j]; diverged cells crossed out. Returns the items added and (colour map, levels, label)."""
    import pyqtgraph as pg

    rgba, cmap, levels, label, diverged = sweep_cells(result, measure)
    n_lr, n_m = result.final_train_loss.shape
    image = pg.ImageItem(rgba, axisOrder="row-major")
    image.setRect(0, 0, n_lr, n_m)
    plot.addItem(image)
    items = [image]
    if diverged.size:
        crosses = pg.ScatterPlotItem(x=diverged[:, 0] + 0.5, y=diverged[:, 1] + 0.5, symbol="x",
                                     size=max(6, min(14, 200 // max(n_lr, n_m))),
                                     brush=pg.mkBrush("#CC0000"), pen=pg.mkPen("#CC0000"))
        plot.addItem(crosses)
        items.append(crosses)
    step_lr = max(1, -(-n_lr // 6))
    step_m = max(1, -(-n_m // 6))
    plot.getAxis("bottom").setTicks([[(i + 0.5, f"{result.lrs[i]:.3g}") for i in range(0, n_lr, step_lr)]])
    plot.getAxis("left").setTicks([[(j + 0.5, f"{result.momenta[j]:.2f}") for j in range(0, n_m, step_m)]])
    plot.setRange(xRange=(0, n_lr), yRange=(0, n_m), padding=0)
    return items, (cmap, levels, label)


def render_sweep(result, title: str = "", size: tuple[int, int] = (900, 720)):
    """A heatmap of the final train loss over learning rate x momentum; diverged cells crossed out."""
    pg, view = _canvas(title, size)
    plot = view.addPlot(row=1, col=0, title="<span style='color:#000;font-size:12pt'>Final train loss "
                                            "(log colour; × diverged)</span>")
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen("k")
        axis.setTextPen("k")
    _, (cmap, levels, label) = draw_sweep(plot, result)
    plot.setLabel("bottom", "learning rate (log-spaced)", color="k")
    plot.setLabel("left", "momentum", color="k")
    bar = pg.ColorBarItem(values=levels, colorMap=cmap, interactive=False, label=label)
    view.addItem(bar, row=1, col=1)
    return view.grab().toImage()


def write_sweep_png(path: str | os.PathLike[str], result, title: str = "", outputs: Outputs | None = None,
                    option: str | None = None) -> None:
    """Write :func:`render_sweep` as a PNG, atomically (or staged into ``outputs``)."""
    save_png(render_sweep(result, title), path, outputs, option)
