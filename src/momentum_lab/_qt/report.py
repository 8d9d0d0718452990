"""A still picture of a run's error curves, for headless runs and handouts."""

from __future__ import annotations

import math
import os

import numpy as np

from ..engine import Divergence, History, InputError, Outputs, staged
from ._app import ensure_app

__all__ = ["SWEEP_MEASURES", "svg_supported", "draw_sweep", "grid_labels", "grid_ticks", "label_every", "render_sweep",
           "save_png", "sweep_cells", "sweep_view", "write_curves_png", "write_sweep_png"]

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


# A grid value with at most this many significant digits is labelled exactly (0.001, 0.25, 0.9);
# one with more (0.00215443469003, from a log-spaced grid) to 3 of them, more if two neighbours
# would look the same.
_EXACT_DIGITS = 4
_SHORT_DIGITS = 3


def grid_labels(values) -> list[str]:
    """The label of each value of a sweep's grid: the decimal the grid holds (0.001, 0.1, 0.95)
    when it has at most 4 significant digits, else rounded to 3 (0.00215), or to as many as it
    takes for no two labels to be alike."""
    values = [float(v) for v in values]
    exact: list[str | None] = []
    for v in values:
        shown = None
        for digits in range(1, _EXACT_DIGITS + 1):
            if float(f"{v:.{digits}g}") == v:
                shown = f"{v:.{digits}g}"
                break
        exact.append(shown)
    for digits in range(_SHORT_DIGITS, 18):
        labels = [e if e is not None else f"{v:.{digits}g}" for e, v in zip(exact, values)]
        if len(set(labels)) == len(labels):
            break
    return labels


def grid_ticks(values, every: int = 1) -> list[tuple[float, str]]:
    """Ticks for a sweep's axis: at the centre of every ``every``-th cell (cell i spans [i, i+1]),
    from the first, each labelled with its grid value (see :func:`grid_labels`)."""
    labels = grid_labels(values)
    return [(i + 0.5, labels[i]) for i in range(0, len(labels), max(1, int(every)))]


def _set_grid_ticks(plot, result, every: tuple[int, int]) -> None:
    from PySide6.QtGui import QFontMetricsF

    bottom = plot.getAxis("bottom")
    ticks = grid_ticks(result.lrs, every[0])
    bottom.setTicks([ticks])
    # The first and last columns' labels reach past the axis's ends by half their width: drawn
    # (pyqtgraph hides a label past the end of a horizontal axis).
    metrics = QFontMetricsF(bottom.style.get("tickFont") or bottom.font())
    bottom.setStyle(hideOverlappingLabels=math.ceil(max(metrics.horizontalAdvance(t) for _, t in ticks) / 2) + 2)
    plot.getAxis("left").setTicks([grid_ticks(result.momenta, every[1])])


def draw_sweep(plot, result, measure: str = "final_train_loss",
               every: tuple[int, int] | None = None) -> tuple[list, tuple]:
    """Add a sweep's heatmap to ``plot``: cell (i, j) spans [i, i+1] x [j, j+1] for lrs[i],
    momenta[j]; diverged cells crossed out. The axes are labelled at cell centres with the grid's
    values: every ``every[0]``-th learning rate and ``every[1]``-th momentum (by default, every
    k-th for six labels at most). Returns the items added and (colour map, levels, label)."""
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
    every_lr, every_m = every or (max(1, -(-n_lr // 6)), max(1, -(-n_m // 6)))
    _set_grid_ticks(plot, result, (every_lr, every_m))
    plot.setRange(xRange=(0, n_lr), yRange=(0, n_m), padding=0)
    return items, (cmap, levels, label)


# Room a tick label takes beyond its text: pixels across (learning rates), and down (momenta).
_LABEL_GAP_PX = 12
_LABEL_LEAD_PX = 4


def label_every(axis, labels: list[str], cell_px: float, across: bool) -> int:
    """The least k such that labelling every k-th cell of ``axis`` keeps its labels apart."""
    from PySide6.QtGui import QFontMetricsF

    metrics = QFontMetricsF(axis.style.get("tickFont") or axis.font())
    if across:
        needed = max(metrics.horizontalAdvance(label) for label in labels) + _LABEL_GAP_PX
    else:
        needed = metrics.height() + _LABEL_LEAD_PX
    return max(1, math.ceil(needed / max(cell_px, 1e-9)))


def sweep_view(result, title: str = "", size: tuple[int, int] = (900, 720)):
    """The widget :func:`render_sweep` draws, laid out at ``size``: a heatmap of the final train
    loss over learning rate x momentum, diverged cells crossed out, every column and row labelled
    with its grid value at its centre (every k-th when they would not fit). Its plot is
    ``view.sweep_plot``."""
    pg, view = _canvas(title, size)
    plot = view.addPlot(row=1, col=0, title="<span style='color:#000;font-size:12pt'>Final train loss "
                                            "(log colour; × diverged)</span>")
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen("k")
        axis.setTextPen("k")
    _, (cmap, levels, label) = draw_sweep(plot, result, every=(1, 1))
    plot.setLabel("bottom", "learning rate (log-spaced)", color="k")
    plot.setLabel("left", "momentum", color="k")
    bar = pg.ColorBarItem(values=levels, colorMap=cmap, interactive=False)
    bar.axis.setPen("k")
    bar.axis.setTextPen("k")
    bar.axis.setLabel(label, color="k")
    view.addItem(bar, row=1, col=1)
    view.sweep_plot = plot
    n_lr, n_m = len(result.lrs), len(result.momenta)
    for _ in range(2):  # lay out, fit the labels to the cells; again, as their width moves the plot
        view.grab()
        every = (label_every(plot.getAxis("bottom"), grid_labels(result.lrs), plot.vb.width() / n_lr, True),
                 label_every(plot.getAxis("left"), grid_labels(result.momenta), plot.vb.height() / n_m, False))
        _set_grid_ticks(plot, result, every)
    view.grab()
    return view


def render_sweep(result, title: str = "", size: tuple[int, int] = (900, 720)):
    """:func:`sweep_view` as a picture (a QImage)."""
    return sweep_view(result, title, size).grab().toImage()


def write_sweep_png(path: str | os.PathLike[str], result, title: str = "", outputs: Outputs | None = None,
                    option: str | None = None) -> None:
    """Write :func:`render_sweep` as a PNG, atomically (or staged into ``outputs``)."""
    save_png(render_sweep(result, title), path, outputs, option)
