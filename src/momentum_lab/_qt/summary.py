"""The delta summary: every epoch's sign-flip rate and mean |delta| over the whole run.

The delta traces and the heatmap show the latest 2,000 steps; this view shows oscillation and
convergence over all of training, one point per epoch (the engine gathers the statistics inside
its kernel: see :class:`~momentum_lab.engine.DeltaStats`). Two plots share the epoch axis: the
share of steps at which a delta flipped sign (0 to 1), and the mean |delta| on a log axis. One
curve is the mean over every parameter; the others are the parameters picked in the delta
panel's list (runs side by side: each run's mean, and its first picked parameter dashed, in the
run's colour).

Cheap at any size: the controller keeps at most a few thousand rows a run (older epochs merged
pairwise, see :class:`~momentum_lab.engine.DeltaStatsLog`, with the mean over the parameters
kept as rows come), a refresh reads a column per curve, and pyqtgraph draws each curve
decimated to the plot's width (peak downsampling), not antialiased.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QListWidget, QVBoxLayout, QWidget

from ..engine import RUN_NAMES
from .controller import RunController
from .plots import (LANE_COLOURS, NO_STEPS, PALETTE, EmptyNote, blank_axes, pen_width, presenting, snug_ceil,
                    style_plot, switch_empty)

__all__ = ["DeltaSummary"]

#: The "all parameters" curve of a run on its own.
ALL_COLOUR = "#111111"


class DeltaSummary(QWidget):
    """Per-epoch sign-flip rate and mean |delta| of the whole run: all parameters, and the picked ones.

    Parameters
    ----------
    controller : RunController
    picks : QListWidget
        The delta panel's parameter list (``DeltaPanel.weights``): its selected rows, in list
        order, at most :attr:`MAX_PICKS`, are the parameters drawn.
    """

    MAX_PICKS = 6

    def __init__(self, controller: RunController, picks: QListWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.picks = picks
        self.flip_view = pg.PlotWidget()
        self.size_view = pg.PlotWidget()
        self.flip_plot = self.flip_view.getPlotItem()
        self.size_plot = self.size_view.getPlotItem()
        style_plot(self.flip_plot, "Sign flips of the deltas, per epoch", "", "share of steps")
        style_plot(self.size_plot, "Mean |delta| per epoch", "epoch", "mean |delta|")
        self.size_plot.setXLink(self.flip_plot)
        self.size_plot.setLogMode(y=True)
        self.flip_plot.setYRange(0, 1, padding=0.02)  # a share: the axis never moves
        for plot in (self.flip_plot, self.size_plot):
            plot.disableAutoRange()  # ranges move in steps: axes re-render rarely
            plot.getViewBox().setMouseEnabled(y=False)
            plot.getAxis("left").setWidth(62)  # both the same: the epochs line up
        self.legend = self.flip_plot.addLegend(offset=(-8, 4), labelTextColor="#111", colCount=2,
                                               brush=pg.mkBrush(255, 255, 255, 200))
        self.legend.setZValue(10)
        self.curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem, int, int | None]] = []
        self.empty_notes = {"flips": EmptyNote(self.flip_plot), "size": EmptyNote(self.size_plot)}
        self._empty: bool | None = None
        self._built: tuple | None = None  # what the curves were built for (see _build_curves)
        self._drawn: tuple | None = None  # what was drawn last (see refresh)
        self._seen_lanes = None
        self._x_range: float | None = None
        self._size_range: tuple[int, int] | None = None
        self.caption = QLabel()
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.flip_view, 1)
        box.addWidget(self.size_view, 1)
        box.addWidget(self.caption)
        picks.itemSelectionChanged.connect(self._on_pick)

    # -- what is drawn -------------------------------------------------------------------------

    def picked(self) -> list[int]:
        """The picked parameters' indices, in list order (at most MAX_PICKS)."""
        return sorted(self.picks.row(item) for item in self.picks.selectedItems())[: self.MAX_PICKS]

    def _name(self, row: int) -> str:
        item = self.picks.item(row)
        return item.text().split("  ")[0] if item is not None else f"#{row}"

    def _wanted(self) -> tuple:
        """(lanes, picks with their names, lecture mode): the curves are built again when it changes."""
        rows = self.picked()
        return len(self.controller.lanes), tuple((row, self._name(row)) for row in rows), presenting()

    def _build_curves(self) -> None:
        """One curve a plot for each run's mean over every parameter and for each pick; runs side
        by side: each run's mean and its first pick (dashed), in the run's colour."""
        key = self._wanted()
        if key == self._built:
            return
        self._built = key
        lanes, picks, _ = key
        for flip, size, _, _ in self.curves:
            self.flip_plot.removeItem(flip)
            self.size_plot.removeItem(size)
        self.legend.clear()
        self.curves = []
        wanted: list[tuple[int, int | None, str, str, float, Qt.PenStyle]] = []
        if lanes > 1:
            for lane in range(lanes):
                wanted.append((lane, None, f"{RUN_NAMES[lane]}: all", LANE_COLOURS[lane], 2.5, Qt.PenStyle.SolidLine))
                if picks:
                    row, name = picks[0]
                    wanted.append((lane, row, f"{RUN_NAMES[lane]}: {name}", LANE_COLOURS[lane], 1.5,
                                   Qt.PenStyle.DashLine))
        else:
            wanted.append((0, None, "all parameters", ALL_COLOUR, 2.5, Qt.PenStyle.SolidLine))
            # The traces' colours: a parameter is the same colour in the delta panel and here.
            wanted += [(0, row, name, PALETTE[k % len(PALETTE)], 1.5, Qt.PenStyle.SolidLine)
                       for k, (row, name) in enumerate(picks)]
        for z, (lane, row, label, colour, width, style) in enumerate(wanted):
            pair = []
            for plot in (self.flip_plot, self.size_plot):
                # Not antialiased, downsampled to the plot's width: thousands of epochs stay cheap.
                curve = plot.plot(pen=pg.mkPen(colour, width=pen_width(width), style=style), antialias=False)
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
                curve.setZValue(-z)  # the mean over all parameters on top
                # (for present_plot: the width in normal mode, and that this one is drawn for the mode on)
                curve._normal_width, curve._presented = width, presenting()
                pair.append(curve)
            self.legend.addItem(pair[0], label)
            self.curves.append((pair[0], pair[1], lane, row))
        self._drawn = None

    @Slot()
    def _on_pick(self) -> None:
        self.refresh()

    def _show_empty(self, empty: bool, text: str) -> None:
        for note in self.empty_notes.values():
            note.setText(text)
        if not switch_empty(self, empty):
            return
        for plot in (self.flip_plot, self.size_plot):
            blank_axes(plot, empty)
        if not empty:
            self._size_range = None  # its ticks again (see _fit_size)
        self.legend.setVisible(not empty)

    # -- drawing -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Draw from the controller's per-epoch delta statistics (when they or the picks changed)."""
        c = self.controller
        self._build_curves()
        lanes = c.lanes[0] if c.lanes else None
        if lanes is not self._seen_lanes:  # a new run or a Reset: ranges fitted afresh
            self._seen_lanes = lanes
            self._x_range = None
            self._size_range = None
        logs = [lane.delta_stats for lane in c.lanes]
        key = (c.revision, self._built, id(lanes))
        if key == self._drawn:
            return
        self._drawn = key
        empty = not any(len(log) for log in logs)
        step = c.latest.step if c.latest is not None else 0
        self._show_empty(empty, NO_STEPS if step == 0 else "no epoch completed yet")
        if empty:
            for flip, size, _, _ in self.curves:
                flip.setData([], [])
                size.setData([], [])
            self.caption.setText("One point per epoch, over the whole run: press Start (Space).")
            return
        smallest, largest = math.inf, 0.0
        for flip, size, lane, row in self.curves:
            log = logs[lane] if lane < len(logs) else None
            if log is None or not len(log) or (row is not None and row >= log.n_params):
                flip.setData([], [])
                size.setData([], [])
                continue
            x = log.epoch.astype(float)
            rate = log.overall[:, 0] if row is None else log.flip_rate[:, row]
            mean = log.overall[:, 1] if row is None else log.mean_abs[:, row].astype(float)
            flip.setData(x, rate, connect="finite")
            positive = mean[np.isfinite(mean) & (mean > 0)]
            if positive.size:
                smallest, largest = min(smallest, float(positive.min())), max(largest, float(positive.max()))
            size.setData(x, np.where(mean > 0, mean, np.nan), connect="finite")
        self._fit_x(max(int(log.epoch[-1]) for log in logs if len(log)))
        if largest > 0:
            self._fit_size(smallest, largest)
        self._caption(logs)

    def _fit_x(self, newest: int) -> None:
        """From 0 to a few per cent past the newest epoch (in 1-2-5 steps of a 25th)."""
        right = snug_ceil(float(max(newest, 1)))
        if right != self._x_range:
            self._x_range = right
            self.flip_plot.setXRange(0, right, padding=0.01)

    def _fit_size(self, smallest: float, largest: float) -> None:
        """Whole decades around the data: the range moves only when a curve crosses one."""
        wanted = (math.floor(math.log10(smallest)), max(math.ceil(math.log10(largest)),
                                                        math.floor(math.log10(smallest)) + 1))
        if wanted == self._size_range:
            return
        self._size_range = wanted
        self.size_plot.setYRange(*wanted, padding=0.02)
        low, high = wanted
        every = max(1, math.ceil((high - low) / 6))  # at most about six labelled decades
        major = [(e, f"{10.0 ** e:g}") for e in range(low, high + 1) if (e - low) % every == 0]
        minor = [(math.log10(m * 10.0 ** e), "") for e in range(low, high) for m in (2, 5)] if every == 1 else []
        self.size_plot.getAxis("left").setTicks([major, minor])

    def _caption(self, logs: list) -> None:
        log = logs[0]
        if not len(log):
            self.caption.setText("")
            return
        span = (f"; {log.stride} epochs a point (older epochs merged to keep memory bounded)"
                if log.stride > 1 else "")
        self.caption.setText(f"{log.epochs:,} epochs{span}. Flips: the share of an epoch's steps at which a "
                             "delta changed sign; all: the mean over every parameter.")

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._drawn = None  # drawn again as it comes into sight (a tab chosen while paused)
        self.refresh()
