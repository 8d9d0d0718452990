"""The plots: error curves, per-weight delta histories, the network, decision regions.

Each view takes the :class:`~momentum_lab._qt.controller.RunController` in its
``__init__`` and draws from its buffers when :meth:`refresh` is called (the
window calls it at most ~30 times a second). Few graphics items, image items
for dense data: drawing, not training, is what costs time here.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..engine import HISTORY_COLUMNS, MAX_RUNS, RUN_NAMES, delta_diagnostics, gradient_steps
from .controller import RunController

__all__ = ["DecisionRegions", "DeltaPanel", "ErrorCurves", "LANE_COLOURS", "NetworkView", "PALETTE", "style_plot"]

TRAIN = "#0072B2"  # blue
TEST = "#D55E00"  # vermilion
GHOST = "#8C8C8C"  # a branch's original
MARK = "#6A3D9A"  # purple: live setting changes
#: Runs compared side by side: A blue, B vermilion, C green, D black (apart for colour-blind eyes too).
LANE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#000000")
# Distinct colours (Okabe–Ito and friends) for picked weights and classes.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
           "#882255", "#44AA99")
# Width (and strength of colour) classes of the network's edges.
EDGE_LEVELS = 6
# The network view draws at most this many edges, the strongest (a wide data set times 1,000
# hidden units has a million: a second a paint).
MAX_EDGES = 20_000
# The decision regions evaluate the network on a grid of at most GRID x GRID points, fewer for
# large networks: points x parameters stays under this many (a draw of about a tenth of a second).
REGIONS_BUDGET = 200_000_000
# Marks drawn at most (the newest), so a busy lecture stays readable.
MARKS_SHOWN = 12


def nice_ceil(value: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, … (times a power of ten) that is >= ``value`` > 0."""
    if not value > 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        if m * 10.0**exponent >= value * (1 - 1e-12):
            return m * 10.0**exponent
    return 10.0 ** (exponent + 1)


class StickyLimit:
    """A limit that moves in 1-2-5 jumps: up as soon as data passes it, down only when data
    falls below a quarter of it. An axis whose range does not change is not re-rendered,
    which is most of the cost of a frame."""

    def __init__(self) -> None:
        self.value: float | None = None

    def update(self, needed: float) -> bool:
        """Fit ``needed``; return whether the limit changed."""
        if self.value is not None and needed <= self.value and needed >= self.value / 4:
            return False
        new = nice_ceil(needed)
        changed = new != self.value
        self.value = new
        return changed


# Small enough that the window fits a 1024-pixel-wide screen: splitters never shrink a child
# below its minimum, and pyqtgraph's own minimum hints add up to more than that.
MIN_PLOT_SIZE = (140, 120)


# Lecture mode (see set_presentation): lines this many times thicker, text this large.
_PRESENTATION = {"on": False}
PRESENTATION_LINES = 2.0
PRESENTATION_TICK_PT, PRESENTATION_LABEL_PT, PRESENTATION_TITLE_PT = 14, 15, 14


def presenting() -> bool:
    return _PRESENTATION["on"]


def pen_width(width: float) -> float:
    """A line width, thicker in lecture mode."""
    return width * PRESENTATION_LINES if _PRESENTATION["on"] else width


def set_title(plot: pg.PlotItem, title: str) -> None:
    # (A title's text sets its plot's minimum width: keep titles short.)
    plot._shown_title = title
    size = PRESENTATION_TITLE_PT if _PRESENTATION["on"] else 11.5
    weight = "bold" if _PRESENTATION["on"] else "normal"
    plot.setTitle(f"<span style='font-size:{size}pt; font-weight:{weight}'>{title}</span>", color="#000"
                  if _PRESENTATION["on"] else "#111")


def set_presentation(on: bool) -> None:
    """Lecture mode on or off for plots styled from now on (see :func:`present_plot` for those on show)."""
    _PRESENTATION["on"] = bool(on)


def present_plot(plot: pg.PlotItem, left: bool = True) -> None:
    """Restyle a plot on show for the current mode: tick and label text (of the left axis
    too, with ``left``), title, line widths."""
    on = _PRESENTATION["on"]
    for side in ("left", "bottom") if left else ("bottom",):
        axis = plot.getAxis(side)
        if not hasattr(axis, "_normal_font"):
            axis._normal_font = QFont(axis.style.get("tickFont") or axis.font())
            axis._normal_size = (axis.fixedWidth, axis.fixedHeight)
        font = QFont(axis._normal_font)
        if on:
            font.setPointSizeF(PRESENTATION_TICK_PT)
        axis.setStyle(tickFont=font)
        # Larger text needs a wider left axis and a taller bottom one (labels are not re-measured).
        width, height = axis._normal_size
        grow = PRESENTATION_TICK_PT / max(axis._normal_font.pointSizeF(), 6.0)
        if side == "left":
            axis.setWidth(int((width or 48) * grow) if on else width)
        else:
            axis.setHeight(int((height or 40) * grow) if on else height)
        axis.setPen(pg.mkPen("#000" if on else "#333", width=2 if on else 1))
        axis.setTextPen("#000" if on else "#111")
        style = {"color": "#000" if on else "#111"}
        if on:
            style["font-size"] = f"{PRESENTATION_LABEL_PT}pt"
        axis.setLabel(axis.labelText, **style)
    title = getattr(plot, "_shown_title", None)
    if title is not None:
        set_title(plot, title)
    for item in plot.listDataItems():
        pen = item.opts.get("pen")
        if pen is None:
            continue
        pen = pg.mkPen(pen)
        base = getattr(item, "_normal_width", None)
        if base is None:
            base = item._normal_width = pen.widthF() / (PRESENTATION_LINES if getattr(item, "_presented", False)
                                                         else 1.0)
        item._presented = on
        pen.setWidthF(base * (PRESENTATION_LINES if on else 1.0))
        item.setPen(pen)


def run_a(controller: RunController, title: str) -> str:
    """A title for a view that shows the main run only: says so when runs are compared."""
    return f"{title} (run A)" if controller.comparing else title


def show_title(plot: pg.PlotItem, title: str) -> None:
    """Set the title only when it changes (a new title re-lays the plot out)."""
    if getattr(plot, "_shown_title", None) != title:
        plot._shown_title = title
        set_title(plot, title)


def style_plot(plot: pg.PlotItem, title: str, x: str, y: str, grid: bool = False) -> None:
    """Dark text on white, readable from the back of a room.

    No grid on the live plots: pyqtgraph's grid costs 3–5 ms a plot a frame, more
    than the curves; the ticks stay, and hovering gives exact values.
    """
    set_title(plot, title)
    for side, label in (("bottom", x), ("left", y)):
        axis = plot.getAxis(side)
        axis.setPen("#333")
        axis.setTextPen("#111")
        axis.enableAutoSIPrefix(False)  # "0.7", not "7·10² (x0.001)"
        # pyqtgraph 0.14 still computes a prefix scale in that call (from the current range)
        # and keeps it; undo that, or a second call can leave the ticks 1000 times too big.
        axis.autoSIPrefixScale = 1.0
        axis.labelUnitPrefix = ""
        axis.setLabel(label, color="#111")
        axis.setStyle(maxTickLevel=1)
    plot.showGrid(x=grid, y=grid, alpha=0.2)
    view = plot.getViewWidget()
    if view is not None:
        view.setMinimumSize(*MIN_PLOT_SIZE)


class ErrorCurves(QWidget):
    """Train and test loss (log scale on demand) and accuracy per epoch; hover shows values."""

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.loss_view = pg.PlotWidget()
        self.acc_view = pg.PlotWidget()
        self.log_scale = QCheckBox("Error on a log scale")
        self.log_scale.setChecked(True)
        self.log_scale.setToolTip("Error on a logarithmic axis (L)")
        self.loss_plot = self.loss_view.getPlotItem()
        self.acc_plot = self.acc_view.getPlotItem()
        style_plot(self.loss_plot, "Error (loss per item)", "epoch", "mean loss")
        style_plot(self.acc_plot, "Accuracy", "epoch", "share correct")
        self.acc_plot.setYRange(0, 1.02, padding=0)
        self.acc_plot.getViewBox().setMouseEnabled(y=False)
        for plot in (self.loss_plot, self.acc_plot):
            plot.disableAutoRange()  # ranges move in steps (see StickyLimit): axes re-render rarely
        self._epochs = StickyLimit()
        self._loss_range: tuple | None = None
        # One train and one test curve per run and plot; a run on its own draws train blue and
        # test vermilion, runs side by side each their own colour, test dashed.
        self.curves = {}
        self.legends = {}
        for plot, key in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            legend = plot.addLegend(offset=(-8, 8) if key == "loss" else (-8, -8), labelTextColor="#111",
                                    brush=pg.mkBrush(255, 255, 255, 210))
            legend.setZValue(10)
            self.legends[key] = legend
            for lane in range(MAX_RUNS):
                for side in ("train", "test"):
                    # Not antialiased: thousands of antialiased points cost tens of ms a frame.
                    curve = plot.plot(antialias=False)
                    curve.setDownsampling(auto=True, method="peak")
                    curve.setClipToView(True)  # fine now that ranges are set by hand
                    curve.setZValue(-lane)  # run A on top
                    self.curves[(key, side, lane)] = curve
        # A branch's original (see RunController.branch): its train curves, grey, behind the rest.
        self.ghost_curves = {}
        for plot, key in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            curve = plot.plot(antialias=False, pen=pg.mkPen(GHOST, width=pen_width(3), style=Qt.PenStyle.DotLine))
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            curve.setZValue(-10)
            self.ghost_curves[key] = curve
        self._ghost_drawn: tuple | None = None
        self._legend_key: tuple | None = None
        self.loss_plot.setLogMode(y=True)
        self.loss_plot.getAxis("left").setWidth(62)
        self.readout = pg.TextItem(color="#111", anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 220))
        self.readout.setZValue(20)
        self.loss_plot.addItem(self.readout, ignoreBounds=True)
        self.readout.hide()
        self._mark_items: list[pg.InfiniteLine] = []
        self._drawn_marks: tuple = ()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.loss_view)
        plots.addWidget(self.acc_view)
        box.addWidget(plots, 1)
        self.log_scale.toggled.connect(self._on_log_scale)
        self.loss_view.scene().sigMouseMoved.connect(self._on_mouse_moved)

    @Slot(bool)
    def _on_log_scale(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self._loss_range = None
        self.refresh()

    def _lane_rows(self, index: int) -> np.ndarray:
        lane = self.controller.lanes[index]
        rows = lane.history.rows
        latest = lane.latest
        if latest is not None and latest.now is not None and len(rows) and latest.now[0] > rows[-1, 0]:
            # The epoch in progress, up to the current weights: slow motion and a divergence
            # show it, not only completed epochs.
            rows = np.vstack([rows, latest.now])
        return rows

    def _style_curves(self) -> None:
        """Pens and legend entries, when the runs or their settings change."""
        c = self.controller
        n = len(c.lanes)
        key = (n,) if n == 1 else tuple(c.lane_title(i) for i in range(n))
        key += (c.ghost[1] if c.ghost is not None else None,)
        if key == self._legend_key:
            return
        self._legend_key = key
        for plot_key, legend in self.legends.items():
            legend.clear()
            for lane in range(MAX_RUNS):
                for side in ("train", "test"):
                    curve = self.curves[(plot_key, side, lane)]
                    if n == 1:
                        pen = pg.mkPen(TRAIN if side == "train" else TEST, width=pen_width(2.5))
                    else:
                        pen = pg.mkPen(LANE_COLOURS[lane], width=pen_width(2.5 if side == "train" else 1),
                                       style=Qt.PenStyle.SolidLine if side == "train" else Qt.PenStyle.DashLine)
                    curve.setPen(pen)
                    curve.setVisible(lane < n)  # unused curves: not painted, not in the bounds
                    if lane >= n:
                        curve.setData([], [])
            if n == 1:
                for side in ("train", "test"):
                    legend.addItem(self.curves[(plot_key, side, 0)], side)
            elif plot_key == "loss":  # one legend of the runs is enough; the accuracy plot is beside it
                for lane in range(n):
                    legend.addItem(self.curves[(plot_key, "train", lane)], key[lane])
                legend.addItem(pg.PlotDataItem(pen=pg.mkPen("#555", width=1.8, style=Qt.PenStyle.DashLine)),
                               "dashed: test")
            if c.ghost is not None and plot_key == "loss":
                legend.addItem(self.ghost_curves[plot_key], f"train, {c.ghost[1]}")

    def refresh(self) -> None:
        self._style_curves()
        every = []
        for lane in range(len(self.controller.lanes)):
            rows = self._lane_rows(lane)
            every.append(rows)
            epochs = rows[:, 0]
            for key, columns in (("loss", ("train_loss", "test_loss")),
                                 ("accuracy", ("train_accuracy", "test_accuracy"))):
                for side, column in zip(("train", "test"), columns):
                    values = rows[:, HISTORY_COLUMNS.index(column)]
                    curve = self.curves[(key, side, lane)]
                    if len(values) and np.isfinite(values).any():
                        if key == "loss" and self.log_scale.isChecked():
                            values = np.where(values > 0, values, np.nan)
                        curve.setData(epochs, values, connect="finite")
                    else:
                        curve.setData([], [])
        ghost = self.controller.ghost
        # Drawn once per branch (or log-scale switch): it does not change while the run goes on.
        ghost_key = (id(ghost[0]) if ghost is not None else None, self.log_scale.isChecked())
        for key, column in (("loss", "train_loss"), ("accuracy", "train_accuracy")):
            curve = self.ghost_curves[key]
            if ghost_key == self._ghost_drawn:
                continue
            if ghost is None:
                curve.setData([], [])
                continue
            values = ghost[0][:, HISTORY_COLUMNS.index(column)]
            if key == "loss" and self.log_scale.isChecked():
                values = np.where(values > 0, values, np.nan)
            curve.setData(ghost[0][:, 0], values, connect="finite")
        self._ghost_drawn = ghost_key
        if ghost is not None:
            every.append(ghost[0])
        rows = np.vstack(every)
        self._fit_ranges(rows[:, 0], rows)
        self._draw_marks()

    def _fit_ranges(self, epochs: np.ndarray, rows: np.ndarray) -> None:
        if self._epochs.update(float(epochs.max()) if len(epochs) else 1.0):
            for plot in (self.loss_plot, self.acc_plot):
                plot.setXRange(0, self._epochs.value, padding=0.02)
        losses = rows[:, [HISTORY_COLUMNS.index("train_loss"), HISTORY_COLUMNS.index("test_loss")]].ravel()
        losses = losses[np.isfinite(losses)]
        if self.log_scale.isChecked():
            losses = losses[losses > 0]
            if not losses.size:
                return
            low = 1.0 / nice_ceil(1.0 / losses.min())  # 1-2-5 steps below the smallest
            wanted = (math.log10(low), math.log10(max(nice_ceil(losses.max()), 2 * low)))
        else:
            if not losses.size:
                return
            limit = StickyLimit()
            limit.value = self._loss_range[1] if self._loss_range and self._loss_range[0] == 0 else None
            limit.update(float(losses.max()))
            wanted = (0, limit.value)
        if wanted != self._loss_range:
            self._loss_range = wanted
            self.loss_plot.setYRange(*wanted, padding=0.02)
            axis = self.loss_plot.getAxis("left")
            if self.log_scale.isChecked():
                # Labels at 1-2-5 values only: pyqtgraph's own log ticks crowd 0.2 … 0.9 together.
                values = [m * 10.0**e for e in range(math.floor(wanted[0]) - 1, math.ceil(wanted[1]) + 1)
                          for m in (1, 2, 5)]
                shown = [v for v in values if wanted[0] - 1e-9 <= math.log10(v) <= wanted[1] + 1e-9]
                axis.setTicks([[(math.log10(v), f"{v:g}") for v in shown], []])
            else:
                axis.setTicks(None)

    def _draw_marks(self) -> None:
        marks = tuple(self.controller.marks)[-MARKS_SHOWN:]
        if marks == self._drawn_marks:
            return
        for item in self._mark_items:
            item.getViewBox().removeItem(item) if item.getViewBox() else None
        self._mark_items = []
        n_train = self.controller.dataset.n_train
        named = self.controller.comparing
        for plot in (self.loss_plot, self.acc_plot):
            for i, mark in enumerate(marks):
                # Labels on the loss plot for the newest three only: more would overlap.
                labelled = plot is self.loss_plot and i >= len(marks) - 3
                line = pg.InfiniteLine(pos=mark.step / n_train, angle=90, pen=pg.mkPen(MARK, width=pen_width(1.5),
                                                                              style=Qt.PenStyle.DashLine),
                                       label=mark.label(named) if labelled else None,
                                       labelOpts={"color": MARK, "position": 0.92 - 0.08 * (i % 4),
                                                  "fill": pg.mkBrush(255, 255, 255, 200)})
                plot.addItem(line, ignoreBounds=True)
                self._mark_items.append(line)
        self._drawn_marks = marks

    @Slot(object)
    def _on_mouse_moved(self, pos: QPointF) -> None:
        h = self.controller.history
        if not self.loss_plot.sceneBoundingRect().contains(pos) or not len(h):
            self.readout.hide()
            return
        point = self.loss_plot.vb.mapSceneToView(pos)
        epochs = h.column("epoch")
        i = int(np.clip(np.searchsorted(epochs, point.x()), 0, len(epochs) - 1))
        if i > 0 and abs(epochs[i - 1] - point.x()) < abs(epochs[i] - point.x()):
            i -= 1
        epoch = epochs[i]
        text = f"epoch {int(epoch)}"
        for lane, buffers in enumerate(self.controller.lanes):
            found = np.flatnonzero(buffers.history.column("epoch") == epoch)
            if not found.size:
                continue
            row = buffers.history.rows[found[0]]
            name = f"{RUN_NAMES[lane]}  " if self.controller.comparing else ""
            pad = " " * len(name)
            text += f"\n{name}train loss {row[1]:.4g}   acc {row[2]:.1%}"
            if np.isfinite(row[3]):
                text += f"\n{pad}test  loss {row[3]:.4g}   acc {row[4]:.1%}"
            text += f"\n{pad}lr {row[5]:g}   momentum {row[6]:g}"
        self.readout.setText(text)
        (x0, x1), (y0, y1) = self.loss_plot.vb.viewRange()
        self.readout.setPos(x0, y1)
        self.readout.show()


class DeltaPanel(QWidget):
    """Every parameter's recent deltas as a heatmap, and the picked ones as traces."""

    MAX_PICKS = 6

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.weights = QListWidget()
        self.weights.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.weights.setToolTip("Pick up to 6 parameters to trace (Ctrl+click for several)")
        self.trace_view = pg.PlotWidget()
        self.trace_plot = self.trace_view.getPlotItem()
        style_plot(self.trace_plot, "Deltas, picked", "steps before the latest", "delta")
        self.trace_plot.addLegend(offset=(8, 4), labelTextColor="#111", brush=pg.mkBrush(255, 255, 255, 160),
                                  colCount=3)
        self.trace_plot.addLine(y=0, pen=pg.mkPen("#888", width=1))
        self.traces: list[pg.PlotDataItem] = []
        self.heat_view = pg.PlotWidget()
        self.heat_plot = self.heat_view.getPlotItem()
        style_plot(self.heat_plot, "Deltas, all", "steps before the latest", "")
        self.heat_plot.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("CET-D1"))  # diverging blue–white–red
        self.heat_plot.addItem(self.image)
        for plot in (self.trace_plot, self.heat_plot):
            # Steps before the latest, in 1-2-5 jumps: the axis re-renders rarely, and slow
            # motion's few steps fill the plot.
            plot.disableAutoRange(axis="x")
        self._steps_shown = StickyLimit()
        self.trace_plot.disableAutoRange(axis="y")
        self._trace_limit = StickyLimit()
        self._heat_limit = StickyLimit()
        self.caption = QLabel()
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        # self.weights, the list to pick from, is placed by the window (in the control dock).
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.trace_view)
        split.addWidget(self.heat_view)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(split, 1)
        box.addWidget(self.caption)
        self._layout_key = None
        self._traced_lanes = 1
        self.weights.itemSelectionChanged.connect(self._on_pick)

    def _rebuild_list(self) -> None:
        layout = self.controller.layout
        key = (layout.n_inputs, layout.n_hidden, layout.n_outputs)
        if key == self._layout_key:
            return
        self._layout_key = key
        d = self.controller.dataset
        self.weights.blockSignals(True)
        self.weights.clear()
        for label in layout.labels(d.feature_names, d.class_names, short=True):
            self.weights.addItem(QListWidgetItem(label))
        # A first weight of each layer and an output bias: a useful default to watch.
        n_ih = layout.n_inputs * layout.n_hidden
        defaults = [0, n_ih + layout.n_hidden, layout.n_params - 1]
        for i in defaults:
            self.weights.item(i).setSelected(True)
        self.weights.blockSignals(False)
        self._on_pick()
        starts = np.cumsum([0] + [int(np.prod(s)) for s in layout.shapes.values()])
        names = ("in→hidden", "hidden bias", "hidden→out", "out bias")
        ticks = [((a + b - 1) / 2, n) for a, b, n in zip(starts[:-1], starts[1:], names)]
        axis = self.heat_plot.getAxis("left")
        axis.setTicks([ticks, []])
        # pyqtgraph widens an axis for its labels only after drawing them once; say it now.
        axis.setWidth(max(QFontMetrics(axis.font()).horizontalAdvance(n) for n in names) + 18)
        for item in getattr(self, "_group_lines", []):
            self.heat_plot.removeItem(item)
        self._group_lines = [self.heat_plot.addLine(y=s - 0.5, pen=pg.mkPen("#444", width=1)) for s in starts[1:-1]]

    @Slot()
    def _on_pick(self) -> None:
        self._build_traces()
        self.refresh()

    def restyle(self) -> None:
        """Traces again at the current line width (lecture mode on or off)."""
        self._build_traces()

    def _build_traces(self) -> None:
        """A trace per picked parameter; runs side by side: the first picked one in each run."""
        rows = sorted(self.weights.row(item) for item in self.weights.selectedItems())[: self.MAX_PICKS]
        for curve in self.traces:
            self.trace_plot.removeItem(curve)
        self.trace_plot.legend.clear()
        self.traces = []
        lanes = len(self.controller.lanes)
        self._traced_lanes = lanes
        if lanes > 1 and rows:
            name = self.weights.item(rows[0]).text().split("  ")[0]
            title = f"Deltas of {name}, each run"
            picks = [(rows[0], lane, RUN_NAMES[lane], LANE_COLOURS[lane]) for lane in range(lanes)]
        else:
            title = "Deltas, picked"
            picks = [(row, 0, self.weights.item(row).text().split("  ")[0], PALETTE[k % len(PALETTE)])
                     for k, row in enumerate(rows)]
        show_title(self.trace_plot, title)
        show_title(self.heat_plot, run_a(self.controller, "Deltas, all"))
        for row, lane, name, colour in picks:
            # No antialiasing: 2,000-point traces antialiased cost ~16 ms a frame each.
            curve = self.trace_plot.plot(name=name, pen=pg.mkPen(colour, width=pen_width(1.5)), antialias=False)
            curve.row, curve.lane = row, lane
            self.traces.append(curve)

    # The list's oscillation tint is redrawn on every this-many-th refresh (about twice a second).
    DIAGNOSE_EVERY = 15

    def _diagnose(self, steps: np.ndarray, rows: np.ndarray) -> None:
        """Tint each parameter by how often its deltas flip sign; the tooltip says more."""
        gaps = np.flatnonzero(np.diff(steps) > 1)
        start = gaps[-1] + 1 if gaps.size else 0  # the latest unbroken run of steps
        d = rows[start:]
        if d.shape[0] < 4:
            return
        latest = self.controller.latest
        cfg = self.controller.config
        diag = delta_diagnostics(d, gradient_steps(d, cfg.rule, latest.momentum if latest else cfg.momentum))
        for i in range(min(self.weights.count(), d.shape[1])):
            item = self.weights.item(i)
            rate = diag["sign_flip_rate"][i]
            tint = 0 if not np.isfinite(rate) else int(150 * max(0.0, rate - 0.25) / 0.75)
            item.setBackground(QColor(255, 255 - tint, 255 - tint))
            item.setToolTip(
                f"Over the latest {d.shape[0]:,} steps: the delta flips sign {rate:.0%} of the time; "
                f"the actual change is {diag['effective_step'][i]:.2f} × lr × gradient "
                f"({diag['momentum_share'][i]:.0%} of it from momentum)." if np.isfinite(rate) else
                "No change in the latest steps.")

    def refresh(self) -> None:
        self._rebuild_list()
        if len(self.controller.lanes) != self._traced_lanes:
            self._build_traces()
        ring = self.controller.deltas
        if not len(ring):
            for curve in self.traces:
                curve.setData([], [])
            self.image.clear()
            self.caption.setText("No steps yet: press Start (Space) or Step (N).")
            return
        steps, rows = ring.latest()
        self._diagnose_clock = getattr(self, "_diagnose_clock", 0) + 1
        if self._diagnose_clock >= self.DIAGNOSE_EVERY or self.controller.state != "running":
            self._diagnose_clock = 0
            self._diagnose(steps, rows)
        # Runs side by side stand at the same step, unless some diverged and stopped: the
        # x axis counts back from the newest step of any run.
        # (Each ring read once: a read gathers every kept row, about 1 MB for Iris.)
        kept = {0: (steps, rows)}
        for index, lane in enumerate(self.controller.lanes[1:], 1):
            if any(curve.lane == index for curve in self.traces):
                kept[index] = lane.deltas.latest()
        newest = max((int(s[-1]) for s, _ in kept.values() if s.size), default=0)
        largest = 0.0
        for curve in self.traces:
            lane_steps, lane_rows = kept[curve.lane]
            if not lane_steps.size:
                curve.setData([], [])
                continue
            y = lane_rows[:, curve.row].copy()
            size = float(np.abs(y).max())
            largest = max(largest, size)
            curve.setZValue(-size)  # the smallest on top: a big trace does not hide the others
            # A gap in the step numbers (flat out, steps between batches are not sent) breaks the lines.
            y[np.flatnonzero(np.diff(lane_steps) > 1)] = np.nan
            curve.setData((lane_steps - newest).astype(float), y, connect="finite")
        gaps = np.flatnonzero(np.diff(steps) > 1)
        if self._steps_shown.update(float(len(steps))):
            for plot in (self.trace_plot, self.heat_plot):
                plot.setXRange(-self._steps_shown.value, 0, padding=0.01)
        if self._trace_limit.update(largest or 1e-12):
            self.trace_plot.setYRange(-self._trace_limit.value, self._trace_limit.value, padding=0.02)
        # The 97th percentile: a few outliers do not wash the rest out to white.
        # (Every 4th step is enough to place the 97th percentile.)
        self._heat_limit.update(float(np.percentile(np.abs(rows[::4]), 97)) or 1e-12)
        scale = self._heat_limit.value
        self.image.setImage(rows.T, autoLevels=False, levels=(-scale, scale))
        self.image.setRect(-float(len(steps)) + 0.5, -0.5, float(len(steps)), float(rows.shape[1]))
        flat_out = len(gaps) > 0
        self.caption.setText(
            f"Latest {len(steps):,} steps, to step {int(steps[-1]):,}"
            + (" (flat out: the steps just before each redraw)" if flat_out else "")
            + f".  Heatmap: red +, blue −, full colour at ±{scale:g}.")


class NetworkView(pg.PlotWidget):
    """Nodes and edges; an edge's colour is its weight's sign, its width its magnitude."""

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        plot = self.getPlotItem()
        style_plot(plot, "Network (red +, blue −)", "", "")
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.showGrid(x=False, y=False)
        plot.setMouseEnabled(False, False)
        plot.hideButtons()
        # Edges in a few pen bins (sign x width), one "pairs" curve per bin: hundreds of edges
        # each with a pen of its own cost tens of ms a paint.
        self.edges = []
        for sign in (1, -1):
            for level in range(EDGE_LEVELS):
                curve = pg.PlotCurveItem(connect="pairs", antialias=True)
                curve.setZValue(level)
                plot.addItem(curve)
                self.edges.append((sign, level, curve))
        self.nodes = pg.ScatterPlotItem(size=13, pxMode=True, brush=pg.mkBrush("#f5f5f5"),
                                        pen=pg.mkPen("#222", width=1.5))
        self.nodes.setZValue(EDGE_LEVELS + 1)
        plot.addItem(self.nodes)
        self._labels: list[pg.TextItem] = []
        self._n_inputs = 0
        self._key = None

    def _positions(self, n_in: int, n_h: int, n_out: int) -> np.ndarray:
        tallest = max(n_in, n_h, n_out)

        def column(x: float, n: int) -> list[tuple[float, float]]:
            # Every column spread over the same height: a short one is not squeezed in the middle.
            gap = min(tallest / n, 2.0)
            return [(x, gap * ((n - 1) / 2 - i)) for i in range(n)]

        return np.array(column(0, n_in) + column(1, n_h) + column(2, n_out))

    def refresh(self) -> None:
        c = self.controller
        latest = c.latest
        if latest is None:
            return
        ly = c.layout
        key = (ly.n_inputs, ly.n_hidden, ly.n_outputs, c.dataset.feature_names, c.dataset.class_names)
        if key != self._key:
            self._key = key
            self._place_labels(ly, c.dataset.feature_names, c.dataset.class_names)
        views = ly.views(latest.params)
        ih, ho = views["ih_weights"], views["ho_weights"]
        n_in, n_h = ly.n_inputs, ly.n_hidden
        pos = self._positions(n_in, n_h, ly.n_outputs)
        src = np.concatenate([np.repeat(np.arange(n_in), n_h), n_in + np.repeat(np.arange(n_h), ly.n_outputs)])
        dst = np.concatenate([n_in + np.tile(np.arange(n_h), n_in),
                              n_in + n_h + np.tile(np.arange(ly.n_outputs), n_h)])
        weights = np.concatenate([ih.ravel(), ho.ravel()])
        title = "Network (red +, blue −)"
        if weights.size > MAX_EDGES:
            strongest = np.argpartition(np.abs(weights), weights.size - MAX_EDGES)[-MAX_EDGES:]
            title = f"Network (red +, blue −; the {MAX_EDGES:,} strongest of {weights.size:,} weights)"
            src, dst, weights = src[strongest], dst[strongest], weights[strongest]
        show_title(self.getPlotItem(), run_a(c, title))
        largest = np.abs(weights).max() or 1.0
        level = np.minimum((np.abs(weights) / largest * EDGE_LEVELS).astype(int), EDGE_LEVELS - 1)
        # Antialiased wide lines are what costs (measured: 100 hidden units, 154 ms a paint with
        # antialiasing, 18 ms without): smooth edges for small networks only.
        smooth = weights.size <= 150
        for sign, lvl, curve in self.edges:
            curve.opts["antialias"] = smooth
            chosen = np.flatnonzero((np.sign(weights) >= 0 if sign > 0 else weights < 0) & (level == lvl))
            xy = np.empty((2 * chosen.size, 2))
            xy[0::2], xy[1::2] = pos[src[chosen]], pos[dst[chosen]]
            strength = (lvl + 1) / EDGE_LEVELS  # the heatmap's colours: red +, blue −
            colour = (202, 0, 32) if sign > 0 else (33, 102, 172)
            curve.setPen(pg.mkPen((*colour, int(60 + 195 * strength)), width=pen_width(0.5 + 7.0 * strength)))
            curve.setData(xy[:, 0], xy[:, 1])
        self.nodes.setData(pos=pos)
        self._fit(max(n_in, n_h, ly.n_outputs))

    def _fit(self, tallest: int) -> None:
        """Leave the node labels exactly the room they need at this widget's width."""
        def text_width(item: pg.TextItem) -> int:
            return QFontMetrics(item.textItem.font()).horizontalAdvance(item.toPlainText())

        left = max(map(text_width, self._labels[: self._n_inputs]), default=0) + 24
        right = max(map(text_width, self._labels[self._n_inputs:]), default=0) + 24
        width = max(self.getPlotItem().vb.width(), 1.0)
        share = min((left + right) / width, 0.75)
        span = 2.0 / (1.0 - share)  # data units across: the nodes' 2 plus both margins
        self.getPlotItem().setRange(xRange=(-left / width * span, 2 + right / width * span),
                                    yRange=(-(tallest + 1) / 2, (tallest + 1) / 2), padding=0)

    def _place_labels(self, ly, features, classes) -> None:
        plot = self.getPlotItem()
        for item in self._labels:
            plot.removeItem(item)
        self._labels = []
        pos = self._positions(ly.n_inputs, ly.n_hidden, ly.n_outputs)
        for i, name in enumerate(features):
            item = pg.TextItem(_elide(name), color="#111", anchor=(1, 0.5))
            item.setPos(pos[i][0] - 0.1, pos[i][1])
            self._labels.append(item)
        for k, name in enumerate(classes):
            item = pg.TextItem(_elide(name), color="#111", anchor=(0, 0.5))
            p = pos[ly.n_inputs + ly.n_hidden + k]
            item.setPos(p[0] + 0.1, p[1])
            self._labels.append(item)
        for item in self._labels:
            plot.addItem(item)
        self._n_inputs = len(features)


def _elide(name: str, most: int = 14) -> str:
    """Long feature or class names, shortened for node labels (the list shows them whole)."""
    return name if len(name) <= most else name[: most - 1] + "…"


class DecisionRegions(pg.PlotWidget):
    """Each point of a plane coloured by the predicted class, with the items on it.

    For data with more than two inputs the plane is spanned by the two inputs
    that separate the classes best (the largest ratio of between-class to
    within-class variance), the other inputs held at their training mean.
    """

    GRID = 140

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.plot = self.getPlotItem()
        style_plot(self.plot, "Decision regions", "x1", "x2")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#111", width=0.8))
        self.test_points = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(0, 0, 0, 0), symbol="o")
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        self.note = pg.LabelItem("", color="#333", size="9pt")
        self.note.setParentItem(self.plot.vb)
        self.note.anchor(itemPos=(0, 1), parentPos=(0, 1), offset=(4, -2))
        self._data = None
        self._drawn_step = -1

    @staticmethod
    def plane(dataset) -> tuple[int, int]:
        """The two inputs drawn: both for 2-D data, else the two that separate the classes best."""
        if dataset.n_inputs <= 2:
            return 0, min(1, dataset.n_inputs - 1)
        x, y = dataset.x_train, dataset.y_train
        means = np.array([x[y == k].mean(axis=0) for k in range(dataset.n_classes) if np.any(y == k)])
        within = np.mean([x[y == k].var(axis=0) for k in range(dataset.n_classes) if np.any(y == k)], axis=0)
        score = means.var(axis=0) / (within + 1e-12)
        i, j = sorted(np.argsort(score)[-2:].tolist())
        return i, j

    @classmethod
    def grid_size(cls, n_params: int) -> int:
        """Points a side: GRID, fewer for a large network (see REGIONS_BUDGET), 16 at least."""
        return max(16, min(cls.GRID, math.isqrt(REGIONS_BUDGET // max(n_params, 1))))

    def refresh(self) -> None:
        c = self.controller
        d = c.dataset
        if c.latest is None or ((c.run_id, c.latest.step) == self._drawn_step and self._data is d):
            return
        i, j = self.plane(d)
        everything = np.vstack([d.x_train, d.x_test]) if d.n_test else d.x_train
        lo = everything[:, [i, j]].min(axis=0) - 0.5
        hi = everything[:, [i, j]].max(axis=0) + 0.5
        if self._data is not d:
            self._data = d
            names = d.feature_names
            style_plot(self.plot, "Decision regions", names[i], names[j])
            others = d.n_inputs - 2
            self.note.setText("" if others <= 0 else
                              f"{others} other input{'s' if others > 1 else ''} at {'their' if others > 1 else 'its'} mean")
            colours = [pg.mkBrush(PALETTE[k % len(PALETTE)]) for k in d.y_train]
            self.train_points.setData(pos=d.x_train[:, [i, j]], brush=colours)
            pens = [pg.mkPen(PALETTE[k % len(PALETTE)], width=2) for k in d.y_test]
            self.test_points.setData(pos=d.x_test[:, [i, j]], pen=pens)
            self.plot.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=0)
        show_title(self.plot, run_a(c, "Decision regions"))
        n = self.grid_size(c.layout.n_params)
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
        grid = np.tile(d.x_train.mean(axis=0), (gx.size, 1))
        grid[:, i], grid[:, j] = gx.ravel(), gy.ravel()
        probs = c.predict_proba(grid)
        cls = probs.argmax(axis=1)
        # Weights that are no longer finite (a run that diverged) give no class: white.
        conf = np.nan_to_num(probs.max(axis=1), nan=1 / d.n_classes)
        base = np.array([pg.mkColor(PALETTE[k % len(PALETTE)]).getRgb()[:3] for k in range(d.n_classes)],
                        dtype=float)
        # Confident regions take their class colour, uncertain ones fade to white.
        strength = ((conf - 1 / d.n_classes) / (1 - 1 / d.n_classes))[:, None] * 0.55
        rgb = 255 * (1 - strength) + base[cls] * strength
        self.image.setImage(rgb.reshape(n, n, 3).astype(np.ubyte), autoLevels=False,
                            levels=(0, 255))
        self.image.setRect(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        self._drawn_step = (c.run_id, c.latest.step)
