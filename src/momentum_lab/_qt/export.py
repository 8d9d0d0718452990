"""Taking results away: each plot as PNG or SVG, the history as CSV, weights and deltas as
``.npz``, the run as a Python script; every file written atomically (a failed write leaves an earlier file as it was).

Used by the window's File ▸ Export menu and by ``momentum-lab gui --export DIR``.

A plot's PNG is the plot as the window shows it: the widget's width and height, drawn at an
integer multiple of its on-screen size (at least :data:`MIN_EXPORT_WIDTH` pixels wide), so its
text, legends, lines and symbols are all enlarged by the same factor and keep their proportions.

"Export everything" leaves out the views with nothing in them (see :func:`plot_is_empty`): a
sweep plot before any sweep, a delta trace before any step.
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter

from ..engine import (PARAM_NAMES, Outputs, check_outputs, check_writable_target, save_arrays,
                      save_weights, staged, write_history_csv)
from .report import save_bytes, save_png, svg_supported

__all__ = ["DATA_EXPORTS", "MIN_EXPORT_WIDTH", "PLOTS", "PLOT_FORMATS", "check_run_output", "export_all",
           "export_plot", "export_scale", "export_targets", "plot_image", "plot_is_empty", "plots_of",
           "save_deltas_ring", "save_history", "save_script", "save_weights_now", "svg_supported"]

#: The picture formats a plot can be saved in.
PLOT_FORMATS = ("png", "svg")


#: The window's plots: file-name stem -> what it shows (plots_of gives each its PlotItem).
PLOTS = {"error": "Error curves", "accuracy": "Accuracy", "delta-traces": "Delta traces",
         "delta-heatmap": "Delta heatmap", "network": "Network", "decision-regions": "Decision regions",
         "stability-map": "Stability map", "sweep": "Sweep heatmap", "delta-flips": "Delta sign flips per epoch",
         "delta-size": "Mean |delta| per epoch"}


def plots_of(window) -> dict[str, tuple[str, pg.PlotItem]]:
    """The window's plots: file-name stem -> (what it shows, its PlotItem)."""
    items = {
        "error": window.curves.loss_plot,
        "accuracy": window.curves.acc_plot,
        "delta-traces": window.delta_panel.trace_plot,
        "delta-heatmap": window.delta_panel.heat_plot,
        "network": window.network.getPlotItem(),
        "decision-regions": window.regions.plot,
        "stability-map": window.stability.plot,
        "sweep": window.sweep_panel.plot,
        "delta-flips": window.summary.flip_plot,
        "delta-size": window.summary.size_plot,
    }
    return {stem: (PLOTS[stem], items[stem]) for stem in PLOTS}


#: The views no window run without a user fills: the command line (``gui --screenshot --export``)
#: never starts a sweep, so its sweep plot is always empty.
NEVER_FILLED_HEADLESS = frozenset({"sweep"})

# What counts as something drawn in a plot (the zero lines, group lines, notes and legends of an
# empty plot do not).
_CONTENT_TYPES = (pg.PlotDataItem, pg.PlotCurveItem, pg.ScatterPlotItem, pg.ImageItem, pg.BarGraphItem)


def _has_data(item) -> bool:
    if not item.isVisible():
        return False
    if isinstance(item, pg.ImageItem):
        return item.image is not None and item.image.size > 0
    if isinstance(item, pg.ScatterPlotItem):
        return len(item.data) > 0
    if isinstance(item, pg.BarGraphItem):
        return True
    x, _ = item.getData()
    return x is not None and len(x) > 0


def plot_is_empty(window, stem: str, item: pg.PlotItem | None = None) -> bool:
    """Whether the view ``stem`` has nothing in it now: the sweep plot until a sweep has a
    result; any other plot while none of its curves, scatters or images holds a point (axes, zero
    lines, notes and legends alone are empty)."""
    if stem == "sweep":
        sweeps = getattr(window.sweep_panel, "sweeps", None)
        return getattr(sweeps, "result", None) is None
    if item is None:
        item = plots_of(window)[stem][1]
    return not any(isinstance(child, _CONTENT_TYPES) and _has_data(child) for child in item.items)


def export_targets(folder: str | os.PathLike[str], window=None) -> list[Path]:
    """The files :func:`export_all` writes into ``folder``, in the order it writes them.

    With ``window``: exactly the files ``export_all(window, folder)`` writes now, the views with
    something in them (:func:`plot_is_empty`) and the run's data. Without one (the command line
    checks every name before there is a window or any work): every file a window run without a
    user can write, the data and every view but those in :data:`NEVER_FILLED_HEADLESS`; a view
    that is still empty when the export is made is then left out, so what is written is these
    files or fewer, never another.
    """
    formats = PLOT_FORMATS if svg_supported() else ("png",)
    if window is None:
        stems = [stem for stem in PLOTS if stem not in NEVER_FILLED_HEADLESS]
    else:
        stems = [stem for stem, (_, item) in plots_of(window).items() if not plot_is_empty(window, stem, item)]
    return [Path(folder) / f"{stem}.{fmt}" for stem in stems for fmt in formats] + \
        [Path(folder) / name for name in DATA_EXPORTS]


def check_run_output(controller, path: str | os.PathLike[str], option: str) -> None:
    """Before writing: ``path`` can be written and is none of the run's input files."""
    check_outputs({option: path}, controller.config.input_paths())


def export_plot(item: pg.PlotItem, path: str | os.PathLike[str], option: str = "export", controller=None,
                outputs: Outputs | None = None) -> None:
    """Write one plot as PNG or SVG (by the file's suffix), atomically (or staged into ``outputs``).

    Raises
    ------
    InputError
        An unknown suffix, SVG on a Qt stack where pyqtgraph cannot make it, a path that is one of
        the ``controller``'s run's inputs, or a failed write (the message names the file and why;
        an earlier file there is intact).
    """
    from ..engine import InputError

    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in PLOT_FORMATS:
        raise InputError(f"{option}: '{path}': a plot is saved as .png or .svg, not {suffix or 'no suffix'!r}")
    if controller is not None:
        check_run_output(controller, path, option)
    else:
        check_writable_target(path, option)
    if suffix == "png":
        image = plot_image(item)
        if image is None or image.isNull():
            raise InputError(f"{option}: cannot write '{path}': the picture could not be drawn")
        save_png(image, path, outputs, option)
    else:
        if not svg_supported():
            import PySide6

            raise InputError(f"{option}: '{path}': SVG export needs PySide6 6.10 (pyqtgraph 0.14 cannot "
                             f"write SVG with {PySide6.__version__}); save a PNG instead")
        data = SVGExporter(item).export(toBytes=True)
        save_bytes(path, data if isinstance(data, bytes) else bytes(data), outputs, option)


#: An exported PNG is at least this many pixels wide: sharp on a slide or a handout.
MIN_EXPORT_WIDTH = 1200


def _shown_rect(item: pg.PlotItem):
    """The part of ``item`` its widget shows, in scene coordinates (the whole item when it is in
    no widget, or the widget shows none of it yet)."""
    rect = item.sceneBoundingRect()
    view = item.getViewWidget()
    if view is not None:
        visible = view.mapToScene(view.viewport().rect()).boundingRect()
        shown = rect.intersected(visible)
        if shown.width() >= 1 and shown.height() >= 1:
            return shown
    return rect


def _wider(pen, scale: int):
    """A cosmetic pen (pyqtgraph's usual: its width in device pixels) ``scale`` times as wide;
    any other pen as it is (its width is in the plot's units, enlarged with the plot)."""
    from PySide6.QtGui import QPen

    if pen is None or not isinstance(pen, QPen) or not pen.isCosmetic() or pen.style() == pg.QtCore.Qt.PenStyle.NoPen:
        return pen
    wide = QPen(pen)
    wide.setWidthF(max(pen.widthF(), 1.0) * scale)  # (width 0: one pixel)
    return wide


@contextmanager
def _pens_widened(item: pg.PlotItem, scale: int):
    """While drawing ``item``'s scene ``scale`` times larger: its lines (curves, axes and ticks,
    markers, symbol outlines, frames) as many times wider, as text and everything else is; each
    pen put back afterwards. (A cosmetic pen stays one device pixel at any device-pixel ratio.)"""
    from PySide6.QtWidgets import QAbstractGraphicsShapeItem

    undo: list = []

    def swap(holder, key, value) -> None:
        if isinstance(holder, (dict, np.ndarray)):  # (a scatter's points: a record array)
            old = holder[key]
            undo.append((holder, key, old.copy() if isinstance(old, np.ndarray) else old))
            holder[key] = value
        else:
            undo.append((holder, key, getattr(holder, key)))
            setattr(holder, key, value)

    axes = []
    if scale > 1:
        for child in item.scene().items():
            if isinstance(child, pg.AxisItem):
                swap(child, "_pen", _wider(child.pen(), scale))
                if child._tickPen is not None:
                    swap(child, "_tickPen", _wider(child.tickPen(), scale))
                axes.append(child)
            elif isinstance(child, pg.ScatterPlotItem):
                swap(child.opts, "pen", _wider(child.opts["pen"], scale))
                if len(child.data):
                    pens = np.empty(len(child.data), dtype=object)
                    pens[:] = [_wider(pen, scale) for pen in child.data["pen"]]
                    swap(child.data, "pen", pens)
            elif isinstance(child, (pg.PlotCurveItem, pg.PlotDataItem)):
                # (A PlotDataItem's pens draw its legend sample; its curve has pens of its own.)
                for key in ("pen", "shadowPen", "symbolPen"):
                    if key in child.opts:
                        swap(child.opts, key, _wider(child.opts[key], scale))
            elif isinstance(child, pg.InfiniteLine):
                swap(child, "pen", _wider(child.pen, scale))
                swap(child, "currentPen", _wider(child.currentPen, scale))
            elif isinstance(child, pg.LegendItem):
                swap(child.opts, "pen", _wider(child.opts["pen"], scale))
            elif isinstance(child, QAbstractGraphicsShapeItem):
                pen = child.pen()
                child.setPen(_wider(pen, scale))
                undo.append((child, None, pen))
    for axis in axes:
        axis.picture = None  # (an axis draws from a picture it keeps)
    try:
        yield
    finally:
        for holder, key, value in reversed(undo):
            if key is None:
                holder.setPen(value)
            elif isinstance(holder, (dict, np.ndarray)):
                holder[key] = value
            else:
                setattr(holder, key, value)
        for axis in axes:
            axis.picture = None
            axis.update()


def export_scale(item: pg.PlotItem, min_width: int = MIN_EXPORT_WIDTH) -> int:
    """The whole factor a plot's PNG enlarges its on-screen size by: the least that makes it
    ``min_width`` pixels wide or wider (1 for a plot that wide on screen)."""
    width = _shown_rect(item).width()
    return max(1, math.ceil(min_width / width)) if width >= 1 else 1


def plot_image(item: pg.PlotItem, min_width: int = MIN_EXPORT_WIDTH):
    """``item`` as its widget shows it, as a QImage :func:`export_scale` times its on-screen size.

    The plot is drawn at its on-screen size on an image of that device-pixel ratio, as on a
    high-resolution screen: text (legends too, which pyqtgraph draws untransformed), lines and
    symbols are all enlarged by the same factor, and the width:height is the widget's. (pyqtgraph's
    ImageExporter stretches the scene to a width instead: the legends stay at screen size, and a
    plot larger than its widget comes out with the plot's proportions, not the widget's.)
    """
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QImage, QPainter

    source = _shown_rect(item)
    scale = export_scale(item, min_width)
    width, height = source.width(), source.height()
    if width < 1 or height < 1:
        return None
    image = QImage(math.ceil(width * scale), math.ceil(height * scale), QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(scale)
    view = item.getViewWidget()
    brush = view.backgroundBrush() if view is not None else None
    background = QColor(brush.color()) if brush is not None else QColor(255, 255, 255)
    if brush is None or brush.style() == pg.QtCore.Qt.BrushStyle.NoBrush:
        background.setAlpha(0)
    image.fill(background)
    # pyqtgraph's export mode: symbols drawn one by one (not from the screen's pixmap cache), the
    # plot's "A" button left out; no resolution scale, the image's pixel ratio does the enlarging.
    exporter = ImageExporter(item)
    painter = QPainter(image)
    # What a view adds to its plots' images only (the delta summary: its legend, on screen a line
    # of text above the plots).
    extras = getattr(item, "export_extras", None)
    try:
        with _pens_widened(item, scale), extras() if extras is not None else nullcontext():
            exporter.setExportMode(True, {"antialias": True, "background": background, "painter": painter,
                                          "resolutionScale": 1.0})
            try:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
                item.scene().render(painter, QRectF(0, 0, width, height), source)
            finally:
                exporter.setExportMode(False)
    finally:
        painter.end()
    return image


def save_history(controller, path: str | os.PathLike[str], lane: int = 0, outputs: Outputs | None = None,
                 option: str = "export") -> None:
    """The per-epoch history of run ``lane`` as kept by the window (see HistoryLog), as CSV."""
    check_run_output(controller, path, option)
    write_history_csv(path, controller.lanes[lane].history.rows, outputs, option)


def save_weights_now(controller, path: str | os.PathLike[str], lane: int = 0, outputs: Outputs | None = None,
                     option: str = "export") -> None:
    """Run ``lane``'s current weights as ``.npz`` (ih_weights, h_biases, ho_weights, o_biases)."""
    from ..engine import InputError

    report = controller.lanes[lane].latest
    if report is None:
        raise InputError(f"{option}: no weights yet (the run is still being prepared)")
    check_run_output(controller, path, option)
    save_weights(path, {n: v.copy() for n, v in controller.layout.views(report.params).items()}, outputs, option)


def save_deltas_ring(controller, path: str | os.PathLike[str], lane: int = 0, outputs: Outputs | None = None,
                     option: str = "export") -> None:
    """The deltas of run ``lane``'s latest steps the window keeps, as ``.npz``: ``step`` (k,) and
    ``ih_deltas``, ``h_bias_deltas``, ``ho_deltas``, ``o_bias_deltas`` with a leading step axis."""
    from ..engine import DELTA_NAMES

    check_run_output(controller, path, option)
    steps, rows = controller.lanes[lane].deltas.latest()
    views = controller.layout.views(np.ascontiguousarray(rows))
    arrays = {"step": steps.copy(), **{dn: views[pn].copy() for dn, pn in zip(DELTA_NAMES, PARAM_NAMES)}}
    save_arrays(path, arrays, outputs, option)


def save_script(controller, path: str | os.PathLike[str], lane: int = 0, outputs: Outputs | None = None,
                option: str = "export") -> None:
    """The run on show as a Python script using the public API only (see
    :func:`~momentum_lab.scenario_script`): ``python run.py HISTORY.csv`` trains the same runs, its
    live changes at their steps, to where the window is, and writes run A's history."""
    from ..engine import scenario_script

    check_run_output(controller, path, option)
    text = scenario_script(controller.scenario(), source="the Momentum Lab window (File ▸ Export)")
    with staged(path, "w", outputs, option) as handle:
        handle.write(text)


#: The run's data, as the window exports it: file name -> (menu text, file-dialog filter, writer).
DATA_EXPORTS = {
    "history.csv": ("&History (CSV)…", "CSV (*.csv)", save_history),
    "weights.npz": ("&Weights now (.npz)…", "NumPy (*.npz)", save_weights_now),
    "deltas.npz": ("Latest &deltas (.npz)…", "NumPy (*.npz)", save_deltas_ring),
    "run.py": ("The run as a &Python script…", "Python scripts (*.py)", save_script),
}


def export_all(window, folder: str | os.PathLike[str], outputs: Outputs | None = None) -> list[Path]:
    """Every plot with something in it (PNG, and SVG where supported; see :func:`export_targets`),
    the history, the weights, the latest deltas and the script of the main run, into ``folder``,
    all or none; returns the files written. With ``outputs``
    the files are staged there (the caller commits them with its own)."""
    if outputs is None:
        with Outputs() as own:
            return export_all(window, folder, own)
    window.refresh()
    plots = plots_of(window)
    targets = export_targets(folder, window)  # (the views with something in them)
    for path in targets:
        if path.name in DATA_EXPORTS:
            DATA_EXPORTS[path.name][2](window.controller, path, outputs=outputs, option="--export")
        else:
            export_plot(plots[path.stem][1], path, "--export", window.controller, outputs)
    return targets
